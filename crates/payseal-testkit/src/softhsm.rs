//! A SoftHSM2 token owned by one test: its own configuration and token directory in a
//! temporary folder (`SOFTHSM2_CONF` points at it), so tests never touch the machine's tokens
//! and run in parallel. Removed when dropped.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Where Debian installs the module; `PAYSEAL_SOFTHSM2_MODULE` overrides it.
const DEFAULT_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
/// The token's label.
pub const TOKEN: &str = "payseal-test";
/// The user PIN of the token (written to [`SoftHsm::pin_file`]).
pub const PIN: &str = "246810";
/// The security officer's PIN.
const SO_PIN: &str = "13579";

/// A SoftHSM2 configuration with one initialized token.
#[derive(Debug)]
pub struct SoftHsm {
    dir: PathBuf,
    owned: bool,
}

impl SoftHsm {
    /// Creates the folder, the configuration and the token (labelled [`TOKEN`], user PIN
    /// [`PIN`]), with `softhsm2-util`.
    ///
    /// # Errors
    /// If the module or `softhsm2-util` is missing or fails. Tests should `expect` this: a
    /// missing SoftHSM2 is a failure, never a skip.
    pub fn new() -> io::Result<Self> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("payseal-softhsm-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("tokens"))?;
        let hsm = SoftHsm { dir, owned: true };
        std::fs::write(
            hsm.config(),
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                hsm.dir.join("tokens").display()
            ),
        )?;
        std::fs::write(hsm.pin_file(), format!("{PIN}\n"))?;
        if !hsm.module().exists() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "SoftHSM2 module {} is missing (apt-get install softhsm2)",
                    hsm.module().display()
                ),
            ));
        }
        hsm.util(&[
            "--init-token",
            "--free",
            "--label",
            TOKEN,
            "--so-pin",
            SO_PIN,
            "--pin",
            PIN,
        ])?;
        Ok(hsm)
    }

    /// The token made by [`new`](Self::new) in another process, found by its folder (not
    /// removed when dropped: its maker removes it).
    pub fn attach(dir: &Path) -> Self {
        SoftHsm {
            dir: dir.to_owned(),
            owned: false,
        }
    }

    /// The folder everything lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The configuration file: `SOFTHSM2_CONF` for any process using this token.
    pub fn config(&self) -> PathBuf {
        self.dir.join("softhsm2.conf")
    }

    /// A file holding the user PIN.
    pub fn pin_file(&self) -> PathBuf {
        self.dir.join("pin")
    }

    /// The PKCS#11 module.
    pub fn module(&self) -> PathBuf {
        std::env::var_os("PAYSEAL_SOFTHSM2_MODULE")
            .map_or_else(|| PathBuf::from(DEFAULT_MODULE), PathBuf::from)
    }

    /// A `pkcs11:` URI for the key labelled `object`, PIN from [`pin_file`](Self::pin_file).
    pub fn uri(&self, object: &str) -> String {
        format!(
            "pkcs11:token={TOKEN};object={object}?module-path={}&pin-source=file:{}",
            self.module().display(),
            self.pin_file().display()
        )
    }

    /// Deletes the token, as unplugging it would remove it.
    ///
    /// # Errors
    /// If `softhsm2-util` fails.
    pub fn delete_token(&self) -> io::Result<()> {
        self.util(&["--delete-token", "--token", TOKEN])
    }

    fn util(&self, args: &[&str]) -> io::Result<()> {
        let output = Command::new("softhsm2-util")
            .args(args)
            .env("SOFTHSM2_CONF", self.config())
            .output()
            .map_err(|e| io::Error::new(e.kind(), format!("cannot run softhsm2-util: {e}")))?;
        if !output.status.success() {
            return Err(io::Error::other(format!(
                "softhsm2-util {args:?} failed: {}",
                String::from_utf8_lossy(&output.stderr)
            )));
        }
        Ok(())
    }
}

impl Drop for SoftHsm {
    fn drop(&mut self) {
        if self.owned {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
