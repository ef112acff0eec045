//! The one runtime error type of shaped.
//!
//! Every variant carries the values a user needs to fix the mistake: both sides of a mismatch,
//! the offending index, the file. Nothing in the runtime panics on user data; it returns one of
//! these instead.

use std::fmt;

/// Result alias used across the runtime.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong at run time.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Data handed to a model or layer does not have the shape it needs.
    ShapeMismatch {
        /// What was being checked, e.g. "input of model `Digits`".
        context: String,
        /// The shape that was needed, formatted like `(None, 64)`.
        expected: String,
        /// The shape that was given.
        found: String,
    },
    /// A layer's inputs do not fit its shape rule (the shared rules of `shaped::rules`: a merge
    /// given sequences of different lengths, say).
    Inputs {
        /// The layer, as Keras names its class (`Concatenate`).
        layer: String,
        /// Why, continuing the sentence ``layer `Concatenate` …``: the rule's
        /// `Fail::message`, naming the inputs and both sizes.
        reason: String,
    },
    /// Two things that must have the same length do not.
    LengthMismatch {
        /// What the two lengths are, e.g. "x and y".
        context: String,
        /// The first length.
        left: usize,
        /// The second length.
        right: usize,
    },
    /// A weight file or array does not fit the model.
    Weights {
        /// The file or array name.
        name: String,
        /// What is wrong, stating both values.
        detail: String,
    },
    /// A file could not be parsed.
    Format {
        /// The file that was being read.
        path: String,
        /// What is wrong with it.
        detail: String,
    },
    /// An argument is outside its allowed range.
    InvalidArgument {
        /// The argument, e.g. "batch_size".
        name: &'static str,
        /// What is wrong, stating the value given and what is allowed.
        detail: String,
    },
    /// Training met a NaN or infinite loss or weight and stopped; the weights are those of the
    /// last finite step.
    NonFinite {
        /// What became non-finite, where, and what to try.
        detail: String,
    },
    /// A whole-model file was saved from another architecture (or with another optimizer)
    /// than the model loading it: nothing was loaded.
    Architecture {
        /// The file.
        path: String,
        /// The first difference: which layer, which argument, both values.
        detail: String,
    },
    /// A cell of a table does not hold a value of the type its column is read as
    /// ([`Table::rows`](crate::data::Table::rows), [`Table::column`](crate::data::Table::column)).
    Table {
        /// The file, or the name given to text read from memory.
        source: String,
        /// The cell's line in the file, 1-based, the header being line 1.
        line: usize,
        /// The column's name, as the header writes it.
        column: String,
        /// The cell as written.
        value: String,
        /// Why, continuing the sentence `"<value>" …`: "is not a number".
        why: String,
    },
    /// An operating-system error while reading or writing a file.
    Io {
        /// The file involved.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl Error {
    /// Shorthand for [`Error::ShapeMismatch`].
    pub fn shape(context: impl Into<String>, expected: impl fmt::Display, found: impl fmt::Display) -> Self {
        Error::ShapeMismatch {
            context: context.into(),
            expected: expected.to_string(),
            found: found.to_string(),
        }
    }

    /// Shorthand for [`Error::Io`].
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        Error::Io { path: path.as_ref().display().to_string(), source }
    }

    /// Shorthand for [`Error::Format`].
    pub fn format(path: impl AsRef<std::path::Path>, detail: impl Into<String>) -> Self {
        Error::Format { path: path.as_ref().display().to_string(), detail: detail.into() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::ShapeMismatch { context, expected, found } => {
                write!(f, "{context} must have shape {expected}, but has shape {found}")
            }
            Error::Inputs { layer, reason } => write!(f, "layer `{layer}` {reason}"),
            Error::LengthMismatch { context, left, right } => {
                write!(f, "{context} must have the same length, but have {left} and {right}")
            }
            Error::Weights { name, detail } => write!(f, "weights `{name}`: {detail}"),
            Error::Format { path, detail } => write!(f, "cannot read {path}: {detail}"),
            Error::InvalidArgument { name, detail } => write!(f, "invalid `{name}`: {detail}"),
            Error::NonFinite { detail } => write!(f, "training stopped: {detail}"),
            Error::Architecture { path, detail } => {
                write!(f, "cannot load {path}: it was saved from a different model: {detail}")
            }
            Error::Table { source, line, column, value, why } => {
                write!(f, "{source}, line {line}, column `{column}`: {value:?} {why}")
            }
            Error::Io { path, source } => write!(f, "{path}: {source}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
