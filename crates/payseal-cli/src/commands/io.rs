//! Bytes in and out: files or stdin/stdout, binary-safe, with optional hex text.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;

use crate::Failure;

/// Largest input read: the default envelope limit plus room for hex.
const MAX_INPUT: u64 = 2 * payseal::Limits::DEFAULT.max_envelope_bytes as u64 + 1024;

fn is_stdio(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Reads all of `path` (`-`: stdin), refusing more than the envelope limit allows.
pub(crate) fn read_input(path: &Path) -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::new();
    let read = if is_stdio(path) {
        std::io::stdin()
            .lock()
            .take(MAX_INPUT + 1)
            .read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(MAX_INPUT + 1).read_to_end(&mut bytes))
    };
    read.map_err(|e| Failure::io("read", path, &e))?;
    if bytes.len() as u64 > MAX_INPUT {
        return Err(Failure::BadInput(format!(
            "'{}' is larger than {MAX_INPUT} bytes",
            path.display()
        )));
    }
    Ok(bytes)
}

/// Reads an envelope, as raw bytes or as hex text.
pub(crate) fn read_envelope(path: &Path, hex_text: bool) -> Result<Vec<u8>, Failure> {
    let bytes = read_input(path)?;
    if !hex_text {
        return Ok(bytes);
    }
    let text: String = String::from_utf8_lossy(&bytes).split_whitespace().collect();
    hex::decode(&text).map_err(|e| Failure::BadInput(format!("input is not hex: {e}")))
}

/// Writes `bytes` to `path` (`-`: stdout). Binary is not written to a terminal.
///
/// A file is written mode 0600 (a decrypted payload, or a signed one that carries its payload
/// in clear, is for this user only): created so, and an existing file is made so before
/// anything is written into it.
pub(crate) fn write_output(path: &Path, bytes: &[u8], binary: bool) -> Result<(), Failure> {
    if is_stdio(path) {
        let stdout = std::io::stdout();
        if binary && stdout.is_terminal() {
            return Err(Failure::Usage(
                "refusing to write a binary envelope to a terminal: use -o FILE, a pipe, or --hex"
                    .into(),
            ));
        }
        let mut out = stdout.lock();
        return out
            .write_all(bytes)
            .and_then(|()| out.flush())
            .map_err(|e| Failure::io("write", path, &e));
    }
    write_private(path, bytes).map_err(|e| Failure::io("write", path, &e))
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if file.metadata()?.permissions().mode() & 0o077 != 0 {
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
    }
    // Truncated only now: a file that cannot be made private keeps its old content.
    file.set_len(0)?;
    file.write_all(bytes)?;
    file.flush()
}
