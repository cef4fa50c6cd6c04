//! `DB_URI`: which database regnotify uses.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use crate::redact::redact_url_password;

/// The database used when no `DB_URI` is set: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://regnotify.db";

const SUPPORTED: &str = "postgresql://USER:PASSWORD@HOST/DB, postgres://..., \
                         sqlite:///absolute/path.db, sqlite://relative/path.db or sqlite::memory:";

/// The two database engines regnotify runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    /// PostgreSQL, Quay's production database.
    Postgres,
    /// SQLite, the embedded default.
    Sqlite,
}

/// A validated database URL; the password inside stays secret.
#[derive(Debug, Clone)]
pub struct DatabaseUrl {
    /// The engine the URL points at.
    pub kind: DatabaseKind,
    /// The URL itself, password included.
    pub url: SecretString,
}

impl DatabaseUrl {
    /// Checks that `url` names a supported engine; the message never shows the password.
    pub fn parse(url: &str) -> Result<DatabaseUrl, String> {
        let url = url.trim();
        let kind = if url.starts_with("postgresql://") || url.starts_with("postgres://") {
            check_postgres(url)?;
            DatabaseKind::Postgres
        } else if url == "sqlite::memory:" {
            DatabaseKind::Sqlite
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            check_sqlite_path(path)?;
            DatabaseKind::Sqlite
        } else {
            return Err(format!(
                "unsupported database URL {}; expected one of {SUPPORTED}",
                quoted_redacted(url)
            ));
        };
        Ok(DatabaseUrl {
            kind,
            url: SecretString::from(url),
        })
    }

    /// The built-in default, a SQLite file `regnotify.db`.
    pub fn default_sqlite() -> DatabaseUrl {
        DatabaseUrl {
            kind: DatabaseKind::Sqlite,
            url: SecretString::from(DEFAULT_DATABASE_URL),
        }
    }

    /// The full URL, password included, for connecting; never log it.
    pub fn expose_url(&self) -> &str {
        self.url.expose_secret()
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact_url_password(self.expose_url()))
    }
}

fn check_postgres(url: &str) -> Result<(), String> {
    match url::Url::parse(url) {
        Ok(_) => Ok(()),
        Err(err) => Err(format!(
            "{} is not a valid PostgreSQL URL ({err}); expected \
             postgresql://USER:PASSWORD@HOST[:PORT]/DB",
            quoted_redacted(url)
        )),
    }
}

fn check_sqlite_path(path: &str) -> Result<(), String> {
    let file = path.split('?').next().unwrap_or_default();
    if file.is_empty() || file == "/" {
        return Err(format!(
            "sqlite URL \"sqlite://{path}\" names no file; expected \
             sqlite:///absolute/path.db, sqlite://relative/path.db or sqlite::memory:"
        ));
    }
    Ok(())
}

fn quoted_redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(_) => format!("\"{}\"", redact_url_password(url)),
        // An unparsable URL may still hold a password: show only its scheme.
        Err(_) => match url.split_once(':') {
            Some((scheme, _)) if !scheme.is_empty() => format!("\"{scheme}:…\""),
            _ => "\"…\" (not a URL)".to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_urls_are_accepted_with_either_scheme() {
        for url in ["postgresql://u:p@db/quay", "postgres://u@db:5433/quay"] {
            assert_eq!(
                DatabaseUrl::parse(url).unwrap().kind,
                DatabaseKind::Postgres
            );
        }
    }

    #[test]
    fn sqlite_urls_are_accepted_absolute_relative_and_in_memory() {
        for url in ["sqlite:///abs/x.db", "sqlite://rel.db", "sqlite::memory:"] {
            let db = DatabaseUrl::parse(url).unwrap();

            assert_eq!(db.kind, DatabaseKind::Sqlite);
            assert_eq!(db.expose_url(), url);
        }
    }

    #[test]
    fn a_sqlite_url_without_a_file_is_rejected() {
        let err = DatabaseUrl::parse("sqlite://").unwrap_err();

        assert!(err.contains("names no file"), "{err}");
    }

    #[test]
    fn an_unsupported_scheme_is_rejected_without_showing_the_password() {
        let err = DatabaseUrl::parse("mysql+pymysql://quay:hunter2@db/quay").unwrap_err();

        assert!(err.contains("mysql+pymysql://quay:***@db/quay"), "{err}");
        assert!(err.contains("postgresql://"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn an_unparsable_postgres_url_shows_only_its_scheme() {
        let err = DatabaseUrl::parse("postgresql://u:hunter2@[bad/x").unwrap_err();

        assert!(
            err.starts_with("\"postgresql:…\" is not a valid PostgreSQL URL"),
            "{err}"
        );
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn display_redacts_the_password() {
        let db = DatabaseUrl::parse("postgresql://user:secret@host/db").unwrap();

        assert_eq!(db.to_string(), "postgresql://user:***@host/db");
    }
}
