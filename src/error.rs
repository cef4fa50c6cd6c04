//! The command-line boundary's error: what went wrong for the user, and what went wrong inside.

use crate::config::ConfigError;
use crate::db::SchemaProblem;

/// Everything a command can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The command's input is invalid (a name, a JSON document, a time, ...).
    #[error("{0}")]
    Invalid(String),
    /// The database is not ready for this command.
    #[error(transparent)]
    Schema(#[from] SchemaProblem),
    /// The database failed.
    #[error("{context}: {source}")]
    Database {
        /// What regnotify was doing.
        context: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// Anything else that failed while running.
    #[error("{0}")]
    Runtime(String),
}

impl Error {
    /// A mapper for `map_err` that says what regnotify was doing when the database failed.
    pub fn db(context: impl Into<String>) -> impl FnOnce(sqlx::Error) -> Error {
        let context = context.into();
        move |source| Error::Database { context, source }
    }

    /// The process exit code: 2 for invalid configuration or input, 1 for runtime failures.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Config(_) | Error::Invalid(_) => 2,
            Error::Schema(_) | Error::Database { .. } | Error::Runtime(_) => 1,
        }
    }
}
