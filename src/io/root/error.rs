//! Errors of the ROOT reader: every problem names the file and says what is wrong where.
//!
//! Inside the reader, low-level parsing returns [`Bad`] (a message without the file); the public
//! API wraps it into a [`RootError`] that names the file and, when known, the tree and branch.
//! Nothing here panics; a corrupt file is an error value like any other.

use crate::diagnostics::{Code, Diagnostic};
use std::path::PathBuf;

/// Code of every ROOT reading problem seen from the CLI.
pub const INVALID_FILE: Code = Code("anac::root::invalid-file");

/// A problem reading a ROOT file.
#[derive(Debug, thiserror::Error)]
pub enum RootError {
    /// The operating system refused (missing file, permissions, short read).
    #[error("cannot read `{path}`: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The bytes are not what the ROOT format requires (corrupt, truncated, not ROOT).
    #[error("`{path}` is not a valid ROOT file: {what}")]
    Invalid { path: PathBuf, what: String },
    /// Valid ROOT, but a feature this reader does not handle.
    #[error("`{path}`: {what} is not supported")]
    Unsupported { path: PathBuf, what: String },
    /// A tree or branch name that is not in the file.
    #[error("`{path}`: {what}")]
    NotFound { path: PathBuf, what: String },
}

impl RootError {
    pub fn path(&self) -> &std::path::Path {
        match self {
            RootError::Io { path, .. }
            | RootError::Invalid { path, .. }
            | RootError::Unsupported { path, .. }
            | RootError::NotFound { path, .. } => path,
        }
    }

    /// The error as a diagnostic (code `anac::root::invalid-file`) for the CLI to render.
    pub fn diagnostic(&self) -> Diagnostic {
        let mut d = Diagnostic::error(INVALID_FILE, self.to_string());
        d.help = Some(match self {
            RootError::Io { path, .. } if path.to_str().is_some_and(crate::io::http::is_remote) => {
                "check the address, and that the server is reachable from this machine".to_string()
            }
            RootError::Io { .. } => "check the path and the file's permissions".to_string(),
            RootError::Invalid { .. } => {
                "the file may be truncated or corrupt; try opening it with ROOT to confirm"
                    .to_string()
            }
            RootError::Unsupported { .. } => {
                "use another branch, or convert the file with ROOT to plain branch types"
                    .to_string()
            }
            RootError::NotFound { .. } => {
                "`anac inspect FILE` lists trees and branches".to_string()
            }
        });
        d
    }
}

/// A low-level parsing failure: what is wrong, without the file name (added by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bad(pub String);

impl Bad {
    /// Prefix the message with where it happened ("basket 3 of branch `x`: ...").
    pub fn context(self, ctx: impl std::fmt::Display) -> Bad {
        Bad(format!("{ctx}: {}", self.0))
    }

    /// The file-level error: `Unsupported` when the message says a feature is not supported
    /// (such messages end with "is not supported"), `Invalid` otherwise.
    pub fn into_invalid(self, path: &std::path::Path) -> RootError {
        match self.0.strip_suffix(" is not supported") {
            Some(what) => RootError::Unsupported {
                path: path.to_path_buf(),
                what: what.to_string(),
            },
            None => RootError::Invalid {
                path: path.to_path_buf(),
                what: self.0,
            },
        }
    }
}

/// `Err(Bad)` with a formatted message.
macro_rules! bad {
    ($($arg:tt)*) => { Err($crate::io::root::error::Bad(format!($($arg)*))) };
}
pub(crate) use bad;
