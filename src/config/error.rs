//! Why a config could not be loaded, and where each value came from.

use std::fmt;
use std::path::PathBuf;

/// Where one setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Nothing set it: the built-in default applies.
    Default,
    /// A key of the config file; `line` is `None` when it could not be found in the text.
    File {
        /// The config file.
        path: PathBuf,
        /// The 1-based line of the key.
        line: Option<usize>,
    },
    /// An environment variable `REGNOTIFY_<KEY>`.
    Env(String),
    /// `--database-url` or `DATABASE_URL`, which override `DB_URI`.
    DatabaseUrl,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::File { path, line: None } => write!(f, "{}", path.display()),
            Origin::File {
                path,
                line: Some(line),
            } => write!(f, "{}:{line}", path.display()),
            Origin::Env(var) => write!(f, "env {var}"),
            Origin::DatabaseUrl => f.write_str("DATABASE_URL"),
        }
    }
}

/// A config that cannot be used; its `Display` is the whole message for the user.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file named with `--config` or `REGNOTIFY_CONFIG` does not exist.
    #[error(
        "{}: config file not found; check the path given with --config or REGNOTIFY_CONFIG",
        path.display()
    )]
    Missing {
        /// The path that was given.
        path: PathBuf,
    },
    /// The config file exists but cannot be read.
    #[error("{}: cannot read the config file: {source}", path.display())]
    Unreadable {
        /// The config file.
        path: PathBuf,
        /// Why reading failed.
        source: std::io::Error,
    },
    /// The config file is not valid YAML.
    #[error("{}: invalid YAML: {message}; fix the syntax and try again", at_line(path, *line))]
    Syntax {
        /// The config file.
        path: PathBuf,
        /// The 1-based line of the error, when the parser knows it.
        line: Option<usize>,
        /// The parser's description.
        message: String,
    },
    /// The config file is YAML, but not a mapping of keys to values.
    #[error(
        "{}: expected a mapping of KEY: value lines at the top level, found {found}",
        path.display()
    )]
    NotAMapping {
        /// The config file.
        path: PathBuf,
        /// What the file holds instead, e.g. "a list".
        found: String,
    },
    /// A known key has a value of the wrong type or out of range.
    #[error("{}", invalid_value(key, origin, message))]
    InvalidValue {
        /// The config key.
        key: &'static str,
        /// Where the bad value came from.
        origin: Origin,
        /// What was expected and what was found.
        message: String,
    },
}

fn at_line(path: &std::path::Path, line: Option<usize>) -> String {
    match line {
        Some(line) => format!("{}:{line}", path.display()),
        None => path.display().to_string(),
    }
}

fn invalid_value(key: &str, origin: &Origin, message: &str) -> String {
    match origin {
        Origin::Env(var) => format!("environment variable {var}: {message}"),
        Origin::DatabaseUrl => format!("--database-url or DATABASE_URL: {message}"),
        Origin::File { .. } => format!("{origin}: {key}: {message}"),
        Origin::Default => format!("built-in default of {key}: {message}"),
    }
}
