//! `config.yaml`: Quay's file, read once into a validated [`Config`].
//!
//! Values come from built-in defaults, then the file, then `REGNOTIFY_<KEY>` environment
//! variables, then `--database-url` / `DATABASE_URL` for `DB_URI`. Keys regnotify does not know
//! are ignored, since a Quay config has hundreds of them.

mod convert;
mod database;
mod error;
pub mod keys;
mod load;
mod render;
mod validate;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::SecretString;

pub use database::{DEFAULT_DATABASE_URL, DatabaseKind, DatabaseUrl};
pub use error::{ConfigError, Origin};
pub use load::DEFAULT_PATH;

/// Where to read the config from, and the overrides given outside the file.
pub struct LoadOptions<'a> {
    /// `--config PATH` or `REGNOTIFY_CONFIG`; `None` means the default `./config.yaml`.
    pub explicit_path: Option<&'a Path>,
    /// `--database-url` or `DATABASE_URL`; overrides `DB_URI`.
    pub database_url: Option<&'a str>,
    /// Environment lookup: `std::env::var` in the binary, a map in tests.
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

/// Where the config as a whole was read from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    /// A config file.
    File(PathBuf),
    /// No file: the default `./config.yaml` does not exist.
    Defaults,
}

impl fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigSource::File(path) => write!(f, "{}", path.display()),
            ConfigSource::Defaults => f.write_str("built-in defaults"),
        }
    }
}

/// The scheme of links to the registry (`PREFERRED_URL_SCHEME`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlScheme {
    /// `http`
    Http,
    /// `https`
    Https,
}

impl UrlScheme {
    /// The scheme as written in a URL.
    pub fn as_str(self) -> &'static str {
        match self {
            UrlScheme::Http => "http",
            UrlScheme::Https => "https",
        }
    }
}

impl fmt::Display for UrlScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Outgoing e-mail settings (Quay's `FEATURE_MAILING` and `MAIL_*` keys).
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `FEATURE_MAILING`: whether e-mail is sent at all.
    pub enabled: bool,
    /// `MAIL_SERVER`: the SMTP host; empty when unset.
    pub server: String,
    /// `MAIL_PORT`
    pub port: u16,
    /// `MAIL_USE_TLS`: STARTTLS.
    pub use_tls: bool,
    /// `MAIL_USERNAME`
    pub username: Option<String>,
    /// `MAIL_PASSWORD`
    pub password: Option<SecretString>,
    /// `MAIL_DEFAULT_SENDER`: the `From:` address.
    pub default_sender: String,
}

/// The validated settings; fields are public so tests can adjust a copy of [`Config::defaults`].
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the config was read from.
    pub source: ConfigSource,
    /// `DB_URI`, or `DATABASE_URL` when set.
    pub database: DatabaseUrl,
    /// `SERVER_HOSTNAME`
    pub server_hostname: String,
    /// `PREFERRED_URL_SCHEME`
    pub preferred_url_scheme: UrlScheme,
    /// `FEATURE_GARBAGE_COLLECTION`: without it tags never expire.
    pub feature_garbage_collection: bool,
    /// `FEATURE_IMAGE_EXPIRY_TRIGGER`
    pub feature_image_expiry_trigger: bool,
    /// `FEATURE_AUTO_PRUNE`
    pub feature_auto_prune: bool,
    /// `NOTIFICATION_TASK_RUN_MINIMUM_INTERVAL_MINUTES`
    pub notification_task_run_minimum_interval: Duration,
    /// `NOTIFICATION_SEND_TIMEOUT`
    pub notification_send_timeout: Duration,
    /// `WEBHOOK_HOSTNAME_BLACKLIST`
    pub webhook_hostname_blacklist: Vec<String>,
    /// `FEATURE_MAILING` and `MAIL_*`.
    pub mail: MailConfig,
    /// `SUPER_USERS`
    pub super_users: Vec<String>,
    /// `BROWSER_API_CALLS_XHR_ONLY`
    pub browser_api_calls_xhr_only: bool,
    /// `NOTIFICATION_API_LISTEN`; `None` runs no HTTP API.
    pub api_listen: Option<SocketAddr>,
    /// `NOTIFICATION_WORKER_POLL_SECONDS`
    pub worker_poll_interval: Duration,
    /// `NOTIFICATION_WORKER_CONCURRENCY`
    pub worker_concurrency: usize,
    /// `NOTIFICATION_RETRY_SCHEDULE_SECONDS`: the wait before the 1st, 2nd, ... retry; after the
    /// last retry a delivery is given up.
    pub retry_schedule: Vec<Duration>,
    /// `NOTIFICATION_FAILURE_THRESHOLD`
    pub failure_threshold: u32,
    /// `NOTIFICATION_SCHEDULER_TICK_SECONDS`
    pub scheduler_tick: Duration,
    /// `NOTIFICATION_ALLOW_PRIVATE_TARGETS`
    pub allow_private_targets: bool,
    /// Where each key's value came from; a key absent here has its default.
    pub origins: BTreeMap<&'static str, Origin>,
}

impl Config {
    /// Reads and validates the config: defaults, then the file, then the environment.
    pub fn load(opts: &LoadOptions<'_>) -> Result<Config, ConfigError> {
        Config::load_with_default_path(opts, Path::new(DEFAULT_PATH))
    }

    /// [`Config::load`], with `default_path` read when no path is given.
    fn load_with_default_path(
        opts: &LoadOptions<'_>,
        default_path: &Path,
    ) -> Result<Config, ConfigError> {
        let raw = load::read_layers(opts, default_path)?;
        validate::from_raw(raw)
    }

    /// The built-in defaults, Quay's where the key is Quay's.
    pub fn defaults() -> Config {
        Config {
            source: ConfigSource::Defaults,
            database: DatabaseUrl::default_sqlite(),
            server_hostname: "localhost:8080".to_string(),
            preferred_url_scheme: UrlScheme::Http,
            feature_garbage_collection: true,
            feature_image_expiry_trigger: false,
            feature_auto_prune: false,
            notification_task_run_minimum_interval: Duration::from_secs(300 * 60),
            notification_send_timeout: Duration::from_secs(10),
            webhook_hostname_blacklist: Vec::new(),
            mail: MailConfig::defaults(),
            super_users: Vec::new(),
            browser_api_calls_xhr_only: true,
            api_listen: None,
            worker_poll_interval: Duration::from_secs(10),
            worker_concurrency: 8,
            retry_schedule: [30, 120, 600, 3600, 14400]
                .map(Duration::from_secs)
                .to_vec(),
            failure_threshold: 3,
            scheduler_tick: Duration::from_secs(60),
            allow_private_targets: false,
            origins: BTreeMap::new(),
        }
    }

    /// Why the image-expiry scan does not run, or `None` when it does.
    pub fn expiry_scan_disabled_reason(&self) -> Option<&'static str> {
        if !self.feature_garbage_collection {
            Some("FEATURE_GARBAGE_COLLECTION is false")
        } else if !self.feature_image_expiry_trigger {
            Some("FEATURE_IMAGE_EXPIRY_TRIGGER is false")
        } else {
            None
        }
    }

    /// Where `key`'s value came from.
    pub fn origin(&self, key: &str) -> &Origin {
        self.origins.get(key).unwrap_or(&Origin::Default)
    }
}

impl MailConfig {
    /// Quay's defaults: mailing on, no server, port 587 with TLS.
    pub fn defaults() -> MailConfig {
        MailConfig {
            enabled: true,
            server: String::new(),
            port: 587,
            use_tls: true,
            username: None,
            password: None,
            default_sender: "admin@example.com".to_string(),
        }
    }
}
