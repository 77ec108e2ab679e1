//! Writing to stdout and stderr without panicking: `println!` panics when the pipe is closed
//! (`anac check ... | head`) or the disk is full (`> /dev/full`).
//!
//! A closed pipe ends the output quietly, as grep and ripgrep do: later writes are skipped and the
//! command's exit code is unchanged. Any other write error (a full disk) is remembered, and
//! [`exit_code`] turns the command's exit code into 2 (an I/O problem).

use std::io::{ErrorKind, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU8, Ordering};

const OPEN: u8 = 0;
const CLOSED: u8 = 1;
const FAILED: u8 = 2;

static STDOUT: AtomicU8 = AtomicU8::new(OPEN);
static STDERR: AtomicU8 = AtomicU8::new(OPEN);

fn write(state: &AtomicU8, mut w: impl Write, text: &str) {
    if state.load(Ordering::Relaxed) != OPEN {
        return;
    }
    if let Err(e) = w.write_all(text.as_bytes()).and_then(|()| w.flush()) {
        let s = if e.kind() == ErrorKind::BrokenPipe {
            CLOSED
        } else {
            FAILED
        };
        state.store(s, Ordering::Relaxed);
    }
}

/// Writes `text` to stdout.
pub fn stdout(text: &str) {
    write(&STDOUT, std::io::stdout().lock(), text);
}

/// Writes `text` to stderr.
pub fn stderr(text: &str) {
    write(&STDERR, std::io::stderr().lock(), text);
}

/// The command's exit code, or 2 when some output could not be written (other than a closed
/// pipe).
pub fn exit_code(code: ExitCode) -> ExitCode {
    if STDOUT.load(Ordering::Relaxed) == FAILED || STDERR.load(Ordering::Relaxed) == FAILED {
        ExitCode::from(super::EXIT_USAGE)
    } else {
        code
    }
}

/// `println!` to stdout through [`stdout`].
#[macro_export]
macro_rules! outln {
    ($($t:tt)*) => { $crate::cli::out::stdout(&format!("{}\n", format_args!($($t)*))) };
}

/// `eprintln!` through [`stderr`].
#[macro_export]
macro_rules! errln {
    ($($t:tt)*) => { $crate::cli::out::stderr(&format!("{}\n", format_args!($($t)*))) };
}

/// `eprint!` through [`stderr`].
#[macro_export]
macro_rules! err {
    ($($t:tt)*) => { $crate::cli::out::stderr(&format!("{}", format_args!($($t)*))) };
}
