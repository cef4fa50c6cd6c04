//! Reading the config file and the environment into raw values, each with its origin.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use yaml_serde::{Mapping, Value};

use super::convert::describe;
use super::error::{ConfigError, Origin};
use super::{ConfigSource, LoadOptions, keys};

/// The config file read when none is named.
pub const DEFAULT_PATH: &str = "config.yaml";

/// One known key's value before conversion, and where it came from.
pub(super) struct RawValue {
    pub value: Value,
    pub origin: Origin,
}

/// The known keys that the file, the environment or `DATABASE_URL` set, the last one winning.
pub(super) struct RawConfig {
    pub source: ConfigSource,
    pub values: HashMap<&'static str, RawValue>,
}

/// Collects the raw values: file first, then `REGNOTIFY_<KEY>`, then `DATABASE_URL`.
pub(super) fn read_layers(
    opts: &LoadOptions<'_>,
    default_path: &Path,
) -> Result<RawConfig, ConfigError> {
    let mut values = HashMap::new();
    let source = match read_file(opts.explicit_path, default_path)? {
        Some((path, text)) => {
            file_values(&path, &text, &mut values)?;
            ConfigSource::File(path)
        }
        None => ConfigSource::Defaults,
    };

    env_values(opts.env, &mut values)?;

    // An empty DATABASE_URL counts as unset, as an empty variable usually does.
    if let Some(url) = opts.database_url.filter(|url| !url.trim().is_empty()) {
        let value = Value::String(url.to_string());
        let origin = Origin::DatabaseUrl;
        values.insert(keys::DB_URI, RawValue { value, origin });
    }
    Ok(RawConfig { source, values })
}

/// The file's path and text; `None` when the default file does not exist.
fn read_file(
    explicit: Option<&Path>,
    default_path: &Path,
) -> Result<Option<(PathBuf, String)>, ConfigError> {
    let path = explicit.unwrap_or(default_path).to_path_buf();
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some((path, text))),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => match explicit {
            None => Ok(None),
            Some(_) => Err(ConfigError::Missing { path }),
        },
        Err(source) => Err(ConfigError::Unreadable { path, source }),
    }
}

fn file_values(
    path: &Path,
    text: &str,
    values: &mut HashMap<&'static str, RawValue>,
) -> Result<(), ConfigError> {
    let mapping = parse_mapping(path, text)?;
    for key in keys::ALL {
        if let Some(value) = mapping.get(key) {
            let origin = Origin::File {
                path: path.to_path_buf(),
                line: key_line(text, key),
            };
            values.insert(
                key,
                RawValue {
                    value: value.clone(),
                    origin,
                },
            );
        }
    }
    Ok(())
}

fn parse_mapping(path: &Path, text: &str) -> Result<Mapping, ConfigError> {
    let value: Value = yaml_serde::from_str(text).map_err(|err| ConfigError::Syntax {
        path: path.to_path_buf(),
        line: err.location().map(|location| location.line()),
        message: err.to_string(),
    })?;
    match value {
        Value::Mapping(mapping) => Ok(mapping),
        // An empty file, or one holding only comments.
        Value::Null => Ok(Mapping::new()),
        other => Err(ConfigError::NotAMapping {
            path: path.to_path_buf(),
            found: describe(&other),
        }),
    }
}

/// The 1-based line where top-level `key` is set: the YAML parser keeps no positions for values,
/// so the text is searched for `KEY:`, `"KEY":` or `'KEY':` at column 0.
fn key_line(text: &str, key: &str) -> Option<usize> {
    let spellings = [key.to_string(), format!("\"{key}\""), format!("'{key}'")];
    let sets_key = |line: &str| {
        spellings.iter().any(|spelling| {
            line.strip_prefix(spelling.as_str())
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
    };
    text.lines().position(sets_key).map(|index| index + 1)
}

fn env_values(
    env: &dyn Fn(&str) -> Option<String>,
    values: &mut HashMap<&'static str, RawValue>,
) -> Result<(), ConfigError> {
    for key in keys::ALL {
        let var = keys::env_var(key);
        if let Some(text) = env(&var) {
            let value = env_value(key, &var, &text)?;
            let origin = Origin::Env(var);
            values.insert(key, RawValue { value, origin });
        }
    }
    Ok(())
}

/// An empty variable means "use the default"; text keys are taken verbatim; other values are
/// parsed as a YAML scalar or flow value, e.g. `true`, `10` or `[1, 2, 3]`.
fn env_value(key: &'static str, var: &str, text: &str) -> Result<Value, ConfigError> {
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    if keys::is_text(key) {
        return Ok(Value::String(text.to_string()));
    }
    yaml_serde::from_str(text).map_err(|err| ConfigError::InvalidValue {
        key,
        origin: Origin::Env(var.to_string()),
        message: format!(
            "not a YAML value ({err}); write it as in config.yaml, e.g. true, 10 or [1, 2, 3]"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_found_at_column_zero_plain_or_quoted() {
        let text = "A: 1\n  MAIL_PORT: 2\nMAIL_PORT_X: 3\n\"MAIL_PORT\" : 4\n";

        assert_eq!(key_line(text, "MAIL_PORT"), Some(4));
        assert_eq!(key_line("'MAIL_PORT': 5\n", "MAIL_PORT"), Some(1));
        assert_eq!(key_line("{MAIL_PORT: 5}\n", "MAIL_PORT"), None);
    }

    #[test]
    fn an_empty_file_has_no_values() {
        let mapping = parse_mapping(Path::new("c.yaml"), "# only a comment\n").unwrap();

        assert!(mapping.is_empty());
    }

    #[test]
    fn a_file_that_is_a_list_is_rejected() {
        let err = parse_mapping(Path::new("c.yaml"), "- a\n- b\n").unwrap_err();

        assert_eq!(
            err.to_string(),
            "c.yaml: expected a mapping of KEY: value lines at the top level, found a list"
        );
    }

    #[test]
    fn a_text_key_from_the_environment_is_taken_verbatim() {
        let value = env_value(keys::MAIL_PASSWORD, "V", "*p@ss #1").unwrap();

        assert_eq!(value, Value::String("*p@ss #1".to_string()));
    }
}
