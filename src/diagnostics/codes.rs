//! Stable diagnostic codes and their documentation.
//!
//! A code is a string like `anac::sema::unknown-field`. Each stage declares the codes it emits as
//! constants next to the code that emits them; the long explanation of each lives in
//! `docs/codes/<code without "anac::", "::" as ".">.md` (e.g. `docs/codes/sema.unknown-field.md`),
//! embedded at build time by `build.rs`, and printed by `anac explain CODE`.
//!
//! Invariant (tested): every code constant in the crate has a page; `Code::doc` never fails for
//! a code the crate emits.

use std::fmt;

/// A stable diagnostic code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Code(pub &'static str);

include!(concat!(env!("OUT_DIR"), "/code_docs.rs"));

impl Code {
    pub fn as_str(self) -> &'static str {
        self.0
    }

    /// The documentation page of this code, if it has one.
    pub fn doc(self) -> Option<&'static str> {
        explain(self.0)
    }

    /// Every documented code, sorted.
    pub fn documented() -> impl Iterator<Item = &'static str> {
        CODE_DOCS.iter().map(|(c, _)| *c)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// The page for a code; accepts the full code (`anac::sema::unknown-field`) or the short form
/// without the `anac::` prefix (`sema::unknown-field`).
pub fn explain(code: &str) -> Option<&'static str> {
    let full = if code.starts_with("anac::") {
        code.to_string()
    } else {
        format!("anac::{code}")
    };
    CODE_DOCS
        .iter()
        .find(|(c, _)| *c == full)
        .map(|(_, doc)| *doc)
}

/// Codes emitted outside any single stage.
pub mod common {
    use super::Code;
    /// A file named on the command line or in the analysis could not be read.
    pub const IO: Code = Code("anac::io::unreadable");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_codes_have_pages_and_short_forms_resolve() {
        assert!(Code::documented().count() > 0);
        for code in Code::documented() {
            assert!(code.starts_with("anac::"), "{code}");
            let doc = explain(code).unwrap_or_default();
            assert!(
                doc.starts_with("# "),
                "page of {code} must start with a title"
            );
            assert_eq!(explain(&code["anac::".len()..]), Some(doc));
        }
        assert!(common::IO.doc().is_some());
    }
}
