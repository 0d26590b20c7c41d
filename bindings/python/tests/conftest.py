"""Shared fixtures: the repository root, a Mosquitto broker on a free port, the Rust CLI."""

import os
import pathlib
import shutil
import socket
import subprocess
import time

import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def mosquitto(tmp_path):
    """A Mosquitto broker the test owns, on a free port; its port. Missing Mosquitto fails."""
    assert os.path.exists(MOSQUITTO), f"mosquitto not found at {MOSQUITTO}"
    port = free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    proc = subprocess.Popen(
        [MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"mosquitto did not start: {proc.stderr.read()!r}")
            time.sleep(0.05)
    yield port
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def payseal_cli():
    """The Rust `payseal` binary: $PAYSEAL_BIN, else built with cargo into the workspace."""
    given = os.environ.get("PAYSEAL_BIN")
    if given:
        return given
    subprocess.run(
        ["cargo", "build", "--quiet", "--locked", "-p", "payseal-cli", "--bin", "payseal"],
        cwd=REPO,
        check=True,
    )
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return str(target / "debug" / "payseal")
