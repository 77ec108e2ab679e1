//! Reading a text input (an `.ana` file, a samples file, a reference JSON) safely: only regular
//! files, at most [`MAX_TEXT_BYTES`], valid UTF-8 with the position of the first bad byte.
//!
//! A FIFO would block forever and `/dev/zero` would be read until memory runs out; a directory,
//! a socket or a device is not "not found". Each gets its own message, as do an empty path and a
//! symbolic-link loop.

use std::io::Read;
use std::path::Path;

/// The largest text input anac reads (64 MiB): far above any analysis or samples file.
pub const MAX_TEXT_BYTES: u64 = 64 << 20;

/// Reads `path` as UTF-8 text; the error is a one-line reason (the caller names the file).
pub fn read_text(path: &Path) -> Result<String, String> {
    if path.as_os_str().is_empty() {
        return Err("the path is empty".into());
    }
    let meta = std::fs::metadata(path).map_err(|e| {
        if e.raw_os_error() == Some(40) {
            "it is a symbolic link loop".to_string()
        } else {
            e.to_string()
        }
    })?;
    let ft = meta.file_type();
    if !ft.is_file() {
        use std::os::unix::fs::FileTypeExt;
        let what = if ft.is_dir() {
            "a directory"
        } else if ft.is_fifo() {
            "a named pipe (FIFO)"
        } else if ft.is_socket() {
            "a socket"
        } else if ft.is_char_device() || ft.is_block_device() {
            "a device"
        } else {
            "not a regular file"
        };
        return Err(format!("it is {what}, not a regular file"));
    }
    if meta.len() > MAX_TEXT_BYTES {
        return Err(format!(
            "it has {} bytes, more than the {} MiB anac reads as text",
            meta.len(),
            MAX_TEXT_BYTES >> 20
        ));
    }
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // The size can change after `metadata`: read one byte more than the limit to notice.
    file.take(MAX_TEXT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_TEXT_BYTES {
        return Err(format!(
            "it has more than the {} MiB anac reads as text",
            MAX_TEXT_BYTES >> 20
        ));
    }
    // UTF-16 without a byte-order mark may be valid UTF-8 (ASCII with a NUL between
    // characters): say what it is rather than pointing at the first NUL.
    let looks_utf16 = |b: &[u8]| {
        b.starts_with(&[0xff, 0xfe])
            || b.starts_with(&[0xfe, 0xff])
            || b.iter().take(200).filter(|&&c| c == 0).count() > 20
    };
    if looks_utf16(&bytes) && std::str::from_utf8(&bytes).is_ok() {
        return Err(
            "it looks like UTF-16 (a zero byte beside every character): save the file as \
                    UTF-8"
                .into(),
        );
    }
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let at = e.utf8_error().valid_up_to();
        let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = bytes[..at]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let col = String::from_utf8_lossy(&bytes[line_start..at])
            .chars()
            .count()
            + 1;
        let hint = if looks_utf16(bytes) {
            "; this looks like UTF-16: save the file as UTF-8"
        } else {
            ""
        };
        format!(
            "it is not valid UTF-8: byte {:#04x} at line {line}, column {col}{hint}",
            bytes[at]
        )
    })
}

/// Why a JSON input (a store description, a results file, a reference) could not be used.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonError {
    /// It could not be read (missing, not a regular file, not UTF-8): an I/O problem.
    Unreadable(String),
    /// It was read but is not valid JSON: bad input.
    Invalid(String),
}

impl JsonError {
    pub fn message(&self) -> &str {
        match self {
            JsonError::Unreadable(m) | JsonError::Invalid(m) => m,
        }
    }
}

/// Reads `path` as JSON; the messages name the file.
pub fn read_json(path: &Path) -> Result<serde_json::Value, JsonError> {
    let text = read_text(path)
        .map_err(|e| JsonError::Unreadable(format!("cannot read `{}`: {e}", path.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| JsonError::Invalid(format!("`{}` is not valid JSON: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("anac-text-{}-{name}", std::process::id()))
    }

    #[test]
    fn not_regular_files_and_bad_bytes_are_named() {
        assert_eq!(read_text(Path::new("")), Err("the path is empty".into()));
        let dir = std::env::temp_dir();
        assert!(read_text(&dir).unwrap_err().contains("a directory"));
        if Path::new("/dev/zero").exists() {
            assert!(
                read_text(Path::new("/dev/zero"))
                    .unwrap_err()
                    .contains("a device")
            );
        }
        let bad = tmp("bad.ana");
        std::fs::write(&bad, b"let a = 1\nlet \xff = 2\n").unwrap();
        let e = read_text(&bad).unwrap_err();
        assert!(e.contains("line 2, column 5") && e.contains("0xff"), "{e}");
        let u16 = tmp("u16.ana");
        std::fs::write(&u16, b"\xff\xfel\x00e\x00t\x00").unwrap();
        assert!(read_text(&u16).unwrap_err().contains("UTF-16"));
        // Big-endian without a byte-order mark is valid UTF-8, but not text.
        let be: Vec<u8> = "tree Events\nlet a = 1\n"
            .bytes()
            .flat_map(|b| [0, b])
            .collect();
        std::fs::write(&u16, be).unwrap();
        assert!(read_text(&u16).unwrap_err().contains("looks like UTF-16"));
        let good = tmp("good.ana");
        std::fs::write(&good, "tree Events\n").unwrap();
        assert_eq!(read_text(&good).unwrap(), "tree Events\n");
        for p in [bad, u16, good] {
            let _ = std::fs::remove_file(p);
        }
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let fifo = tmp("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            eprintln!("skipping: mkfifo is not available");
            return;
        }
        assert!(read_text(&fifo).unwrap_err().contains("named pipe"));
        let _ = std::fs::remove_file(fifo);
    }
}
