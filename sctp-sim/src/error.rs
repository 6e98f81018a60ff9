//! Typed errors: a bad scenario names the field at fault.

use std::path::PathBuf;

/// A scenario field with a value the simulator refuses.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("field `{field}`: {reason}")]
pub struct FieldError {
    /// The field's path in the scenario, e.g. `links[0].forward.loss`.
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

impl FieldError {
    /// An error about `field`.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Why a scenario could not be loaded or set up.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The text is not a valid scenario document (TOML syntax, an unknown
    /// or missing field, a wrong type); the message names the field and line.
    #[error("scenario `{scenario}`: {source}")]
    Parse {
        /// The scenario's file or built-in name.
        scenario: String,
        /// The parser's error.
        source: Box<toml::de::Error>,
    },
    /// A field has a value outside what the simulator accepts.
    #[error("scenario `{scenario}`: {source}")]
    Invalid {
        /// The scenario's name.
        scenario: String,
        /// The field and the reason.
        source: FieldError,
    },
    /// No built-in scenario has this name.
    #[error("no built-in scenario is named `{0}` (see `sctp-sim list`)")]
    UnknownBuiltin(String),
}

/// Checks that a number read from a scenario is finite and in `lo..=hi`.
pub(crate) fn check_range(field: &str, value: f64, lo: f64, hi: f64) -> Result<f64, FieldError> {
    if value.is_finite() && (lo..=hi).contains(&value) {
        Ok(value)
    } else {
        Err(FieldError::new(
            field,
            format!("{value} is outside the range {lo}..={hi}"),
        ))
    }
}

/// Converts milliseconds from a scenario to nanoseconds of virtual time.
pub(crate) fn ms_to_ns(field: &str, ms: f64) -> Result<u64, FieldError> {
    // A day of simulated time is far more than any scenario needs.
    let ms = check_range(field, ms, 0.0, 86_400_000.0)?;
    Ok((ms * 1e6).round() as u64)
}
