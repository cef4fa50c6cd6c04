//! Turning raw values into a typed [`Config`], one key at a time.

use std::collections::BTreeMap;

use secrecy::SecretString;
use yaml_serde::Value;

use super::convert::{
    boolean, cron_step, minutes, retry_schedule, seconds, secret_text, socket_addr, text,
    text_list, url_scheme, whole_number,
};
use super::error::{ConfigError, Origin};
use super::keys::*;
use super::load::RawConfig;
use super::{Config, DatabaseUrl, MailConfig};

/// Takes the raw values out one key at a time, recording where each came from.
struct Reader {
    raw: RawConfig,
    origins: BTreeMap<&'static str, Origin>,
}

impl Reader {
    /// Sets `field` to `key`'s value converted by `convert`; leaves the default when the key is
    /// unset or null (Quay configs write `null` for "not configured").
    fn set<T>(
        &mut self,
        field: &mut T,
        key: &'static str,
        convert: impl FnOnce(&Value) -> Result<T, String>,
    ) -> Result<(), ConfigError> {
        let Some(raw) = self.raw.values.remove(key) else {
            return Ok(());
        };
        self.origins.insert(key, raw.origin.clone());
        if raw.value.is_null() {
            return Ok(());
        }

        *field = convert(&raw.value).map_err(|message| ConfigError::InvalidValue {
            key,
            origin: raw.origin,
            message,
        })?;
        Ok(())
    }
}

/// Validates every known key over the defaults; the first bad one is the error.
pub(super) fn from_raw(raw: RawConfig) -> Result<Config, ConfigError> {
    let mut config = Config {
        source: raw.source.clone(),
        ..Config::defaults()
    };
    let mut r = Reader {
        raw,
        origins: BTreeMap::new(),
    };

    read_quay_keys(&mut r, &mut config)?;
    read_mail(&mut r, &mut config.mail)?;
    read_own_keys(&mut r, &mut config)?;

    config.origins = r.origins;
    Ok(config)
}

fn read_quay_keys(r: &mut Reader, c: &mut Config) -> Result<(), ConfigError> {
    r.set(&mut c.database, DB_URI, |v| {
        DatabaseUrl::parse(&secret_text(v)?)
    })?;
    r.set(&mut c.server_hostname, SERVER_HOSTNAME, text)?;
    r.set(
        &mut c.preferred_url_scheme,
        PREFERRED_URL_SCHEME,
        url_scheme,
    )?;
    r.set(
        &mut c.feature_garbage_collection,
        FEATURE_GARBAGE_COLLECTION,
        boolean,
    )?;
    r.set(
        &mut c.feature_image_expiry_trigger,
        FEATURE_IMAGE_EXPIRY_TRIGGER,
        boolean,
    )?;
    r.set(&mut c.feature_auto_prune, FEATURE_AUTO_PRUNE, boolean)?;
    r.set(
        &mut c.notification_task_run_minimum_interval,
        NOTIFICATION_TASK_RUN_MINIMUM_INTERVAL_MINUTES,
        minutes,
    )?;
    r.set(
        &mut c.notification_send_timeout,
        NOTIFICATION_SEND_TIMEOUT,
        |v| seconds(v, 1, 300),
    )?;
    r.set(
        &mut c.webhook_hostname_blacklist,
        WEBHOOK_HOSTNAME_BLACKLIST,
        text_list,
    )?;
    r.set(&mut c.super_users, SUPER_USERS, text_list)?;
    r.set(
        &mut c.browser_api_calls_xhr_only,
        BROWSER_API_CALLS_XHR_ONLY,
        boolean,
    )
}

fn read_mail(r: &mut Reader, m: &mut MailConfig) -> Result<(), ConfigError> {
    let port = |v: &Value| whole_number(v, 1, 65535, "a port number").map(|n| n as u16);
    let password = |v: &Value| secret_text(v).map(|s| Some(SecretString::from(s)));

    r.set(&mut m.enabled, FEATURE_MAILING, boolean)?;
    r.set(&mut m.server, MAIL_SERVER, text)?;
    r.set(&mut m.port, MAIL_PORT, port)?;
    r.set(&mut m.use_tls, MAIL_USE_TLS, boolean)?;
    r.set(&mut m.username, MAIL_USERNAME, |v| text(v).map(Some))?;
    r.set(&mut m.password, MAIL_PASSWORD, password)?;
    r.set(&mut m.default_sender, MAIL_DEFAULT_SENDER, text)
}

fn read_own_keys(r: &mut Reader, c: &mut Config) -> Result<(), ConfigError> {
    let count = |max| move |v: &Value| whole_number(v, 1, max, "a whole number");

    r.set(&mut c.api_listen, NOTIFICATION_API_LISTEN, |v| {
        socket_addr(v).map(Some)
    })?;
    r.set(
        &mut c.worker_poll_interval,
        NOTIFICATION_WORKER_POLL_SECONDS,
        cron_step,
    )?;
    r.set(
        &mut c.worker_concurrency,
        NOTIFICATION_WORKER_CONCURRENCY,
        |v| count(256)(v).map(|n| n as usize),
    )?;
    r.set(
        &mut c.retry_schedule,
        NOTIFICATION_RETRY_SCHEDULE_SECONDS,
        retry_schedule,
    )?;
    r.set(
        &mut c.failure_threshold,
        NOTIFICATION_FAILURE_THRESHOLD,
        |v| count(1000)(v).map(|n| n as u32),
    )?;
    r.set(
        &mut c.scheduler_tick,
        NOTIFICATION_SCHEDULER_TICK_SECONDS,
        cron_step,
    )?;
    r.set(
        &mut c.allow_private_targets,
        NOTIFICATION_ALLOW_PRIVATE_TARGETS,
        boolean,
    )
}
