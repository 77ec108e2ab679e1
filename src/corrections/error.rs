//! Error values of the correction loader and evaluator: plain data (kind, JSON path, message,
//! optional help), rendered elsewhere.

/// What went wrong while loading a correction file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadErrorKind {
    /// The file could not be read.
    Io,
    /// The file starts with the gzip magic bytes but does not decompress.
    Decompress,
    /// The text is not JSON (or exceeds the nesting/size limits).
    Syntax,
    /// The JSON does not describe a valid schema-v2 correction set.
    Schema,
    /// A valid construct that anac does not evaluate (LWTNN, numexpr formulas).
    Unsupported,
}

/// An error while loading: `path` is the JSON path of the offending value
/// (e.g. `corrections[3].data.content[2].edges`; empty for the document root).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", self.render())]
pub struct LoadError {
    /// The category of the problem.
    pub kind: LoadErrorKind,
    /// JSON path of the offending value (empty for the document itself).
    pub path: String,
    /// What is wrong, in one sentence.
    pub message: String,
    /// How to fix it, when there is something useful to say.
    pub help: Option<String>,
    /// For syntax errors: 1-based line and column in the (decompressed) text.
    pub position: Option<(usize, usize)>,
}

impl LoadError {
    pub(crate) fn schema(path: String, message: impl Into<String>) -> Self {
        LoadError {
            kind: LoadErrorKind::Schema,
            path,
            message: message.into(),
            help: None,
            position: None,
        }
    }

    pub(crate) fn unsupported(path: String, message: impl Into<String>) -> Self {
        LoadError {
            kind: LoadErrorKind::Unsupported,
            ..LoadError::schema(path, message)
        }
    }

    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    fn render(&self) -> String {
        let mut s = String::new();
        if let Some((line, col)) = self.position {
            s.push_str(&format!("line {line}, column {col}: "));
        }
        if !self.path.is_empty() {
            s.push_str(&format!("at `{}`: ", self.path));
        }
        s.push_str(&self.message);
        s
    }
}

/// An error while evaluating a correction.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalError {
    /// The number of arguments differs from the number of declared inputs.
    #[error("correction `{correction}` takes {expected} inputs, got {got}")]
    ArgCount {
        /// Name of the correction.
        correction: String,
        /// Declared number of inputs.
        expected: usize,
        /// Number of arguments given.
        got: usize,
    },
    /// An argument's type does not match the declared input type.
    #[error("input `{input}` is declared {expected}, got {got}")]
    WrongType {
        /// Name of the input.
        input: String,
        /// Declared type.
        expected: &'static str,
        /// Type of the given argument.
        got: &'static str,
    },
    /// A binning with `flow: "error"` got a value outside its edges (or NaN, which correctionlib
    /// treats as above a non-uniform range).
    #[error("input `{input}` = {value} is {side} the binning range (flow: error)")]
    OutOfRange {
        /// Name of the input.
        input: String,
        /// The value, formatted.
        value: String,
        /// `"below"` or `"above"`.
        side: &'static str,
    },
    /// A category lookup found no key and the category has no default.
    #[error("input `{input}` = {value} is not a key of the category (and it has no default)")]
    MissingCategory {
        /// Name of the input.
        input: String,
        /// The value, formatted.
        value: String,
    },
    /// A `wrap` binning with non-uniform edges could not map the value into the range (NaN,
    /// infinite, or rounded onto the upper edge); correctionlib raises here as well.
    #[error("input `{input}` = {value} cannot be wrapped into the binning range")]
    WrapFailed {
        /// Name of the input.
        input: String,
        /// The value, formatted.
        value: String,
    },
    /// A multi-binning whose uniform axis got NaN computed a flat index past its content
    /// (correctionlib raises `IndexError` in the same situation).
    #[error("multi-binning index out of range: input `{input}` = {value}")]
    BadIndex {
        /// Name of the input.
        input: String,
        /// The value, formatted.
        value: String,
    },
    /// An internal inconsistency (a bug in anac, never a property of the data).
    #[error("internal error in correction evaluation: {0}")]
    Internal(&'static str),
}

/// A pretty name for a value in messages.
pub(crate) fn show_f64(v: f64) -> String {
    format!("{v}")
}
