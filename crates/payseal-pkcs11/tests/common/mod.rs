//! Each test gets its own SoftHSM2 token and runs in its own process: `SOFTHSM2_CONF` is read
//! by the module when it is initialized, once per process, so a test re-runs itself as a child
//! of this test binary with the variable set for it (and nothing changes this process's
//! environment).
#![allow(dead_code, unreachable_pub, clippy::expect_used, clippy::panic)]

use std::process::Command;

pub use payseal_testkit::softhsm::SoftHsm;

const CHILD_DIR: &str = "PAYSEAL_TEST_SOFTHSM_DIR";

/// Runs `body` with a fresh token, in a child process of this test binary.
/// `env` is extra environment for the child.
pub fn isolated(test: &str, env: &[(&str, &str)], body: impl FnOnce(&SoftHsm)) {
    if let Some(dir) = std::env::var_os(CHILD_DIR) {
        body(&SoftHsm::attach(std::path::Path::new(&dir)));
        return;
    }
    let hsm = SoftHsm::new().expect("SoftHSM2 must be installed (apt-get install softhsm2)");
    let output = Command::new(std::env::current_exe().expect("test binary"))
        .args([test, "--exact", "--test-threads=1", "--nocapture"])
        // Only what the test gives: a developer's own PIN or module must not leak in.
        .env_remove(payseal_pkcs11::PIN_ENV)
        .env_remove(payseal_pkcs11::MODULE_ENV)
        .env("SOFTHSM2_CONF", hsm.config())
        .env(CHILD_DIR, hsm.dir())
        .envs(env.iter().copied())
        .output()
        .expect("run the test in a child process");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{test} failed in its child process:\n{stdout}\n{stderr}"
    );
    // The child ran exactly this test (a renamed test must not pass by running nothing).
    assert!(
        stdout.contains("running 1 test") && stdout.contains("1 passed"),
        "{test}: the child did not run it:\n{stdout}"
    );
}
