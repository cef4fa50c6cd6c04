//! The effective settings, as `regnotify check-config` prints them.

use std::fmt::Write as _;
use std::time::Duration;

use super::Config;
use super::keys::{self, *};

impl Config {
    /// Every key regnotify reads as `KEY: value  # origin`, secrets redacted, then whether the
    /// expiry scan runs.
    pub fn render_effective(&self) -> String {
        let mut out = format!("# effective settings; config read from {}\n", self.source);
        for key in keys::ALL {
            // Writing to a String cannot fail.
            let _ = writeln!(
                out,
                "{key}: {}  # {}",
                self.rendered_value(key),
                self.origin(key)
            );
        }

        match self.expiry_scan_disabled_reason() {
            None => out.push_str("expiry scan: on\n"),
            Some(reason) => {
                let _ = writeln!(out, "expiry scan: off ({reason})");
            }
        }
        out
    }

    /// `key`'s value in YAML flow syntax, in the unit its name states.
    fn rendered_value(&self, key: &str) -> String {
        let m = &self.mail;
        match key {
            DB_URI => quote(&self.database.to_string()),
            SERVER_HOSTNAME => quote(&self.server_hostname),
            PREFERRED_URL_SCHEME => self.preferred_url_scheme.to_string(),
            FEATURE_GARBAGE_COLLECTION => self.feature_garbage_collection.to_string(),
            FEATURE_IMAGE_EXPIRY_TRIGGER => self.feature_image_expiry_trigger.to_string(),
            FEATURE_AUTO_PRUNE => self.feature_auto_prune.to_string(),
            NOTIFICATION_TASK_RUN_MINIMUM_INTERVAL_MINUTES => {
                (self.notification_task_run_minimum_interval.as_secs() / 60).to_string()
            }
            NOTIFICATION_SEND_TIMEOUT => self.notification_send_timeout.as_secs().to_string(),
            WEBHOOK_HOSTNAME_BLACKLIST => text_list(&self.webhook_hostname_blacklist),
            FEATURE_MAILING => m.enabled.to_string(),
            MAIL_SERVER => quote(&m.server),
            MAIL_PORT => m.port.to_string(),
            MAIL_USE_TLS => m.use_tls.to_string(),
            MAIL_USERNAME => m.username.as_deref().map_or("null".to_string(), quote),
            MAIL_PASSWORD => m
                .password
                .as_ref()
                .map_or("null", |_| "\"***\"")
                .to_string(),
            MAIL_DEFAULT_SENDER => quote(&m.default_sender),
            SUPER_USERS => text_list(&self.super_users),
            BROWSER_API_CALLS_XHR_ONLY => self.browser_api_calls_xhr_only.to_string(),
            _ => self.rendered_own_value(key),
        }
    }

    fn rendered_own_value(&self, key: &str) -> String {
        match key {
            NOTIFICATION_API_LISTEN => self
                .api_listen
                .map_or("null".to_string(), |addr| quote(&addr.to_string())),
            NOTIFICATION_WORKER_POLL_SECONDS => self.worker_poll_interval.as_secs().to_string(),
            NOTIFICATION_WORKER_CONCURRENCY => self.worker_concurrency.to_string(),
            NOTIFICATION_RETRY_SCHEDULE_SECONDS => seconds_list(&self.retry_schedule),
            NOTIFICATION_FAILURE_THRESHOLD => self.failure_threshold.to_string(),
            NOTIFICATION_SCHEDULER_TICK_SECONDS => self.scheduler_tick.as_secs().to_string(),
            NOTIFICATION_ALLOW_PRIVATE_TARGETS => self.allow_private_targets.to_string(),
            _ => "null  # not rendered".to_string(),
        }
    }
}

/// A double-quoted YAML string.
fn quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\t' => quoted.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(quoted, "\\u{:04x}", u32::from(c));
            }
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

fn text_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|item| quote(item)).collect();
    format!("[{}]", quoted.join(", "))
}

fn seconds_list(waits: &[Duration]) -> String {
    let numbers: Vec<String> = waits.iter().map(|w| w.as_secs().to_string()).collect();
    format!("[{}]", numbers.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Origin;

    #[test]
    fn defaults_render_every_key_with_its_origin() {
        let rendered = Config::defaults().render_effective();

        for key in keys::ALL {
            assert!(
                rendered.contains(&format!("\n{key}: ")),
                "{key} missing:\n{rendered}"
            );
        }
        assert!(!rendered.contains("not rendered"), "{rendered}");
        assert!(rendered.contains("DB_URI: \"sqlite://regnotify.db\"  # default\n"));
        assert!(
            rendered.contains("NOTIFICATION_RETRY_SCHEDULE_SECONDS: [30, 120, 600, 3600, 14400]")
        );
        assert!(rendered.ends_with("expiry scan: off (FEATURE_IMAGE_EXPIRY_TRIGGER is false)\n"));
    }

    #[test]
    fn the_rendered_defaults_load_back_as_the_same_settings() {
        let rendered = Config::defaults().render_effective();
        let mapping: yaml_serde::Mapping = yaml_serde::from_str(&rendered).unwrap();

        assert_eq!(mapping.get(MAIL_PORT), Some(&yaml_serde::Value::from(587)));
        assert_eq!(
            mapping.get(SUPER_USERS),
            Some(&yaml_serde::Value::Sequence(vec![]))
        );
    }

    #[test]
    fn a_set_password_is_shown_as_stars_and_the_origin_as_the_env_var() {
        let mut config = Config::defaults();
        config.mail.password = Some("hunter2".into());
        let var = "REGNOTIFY_MAIL_PASSWORD".to_string();
        config.origins.insert(MAIL_PASSWORD, Origin::Env(var));

        let rendered = config.render_effective();

        assert!(rendered.contains("MAIL_PASSWORD: \"***\"  # env REGNOTIFY_MAIL_PASSWORD\n"));
        assert!(!rendered.contains("hunter2"));
    }

    #[test]
    fn strings_are_quoted_and_escaped() {
        assert_eq!(quote("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
    }
}
