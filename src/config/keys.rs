//! The names of the `config.yaml` keys regnotify reads.
//!
//! Quay's own keys keep Quay's names; regnotify's own keys are upper-case like Quay's and start
//! with `NOTIFICATION_`. Every other key of a Quay config is ignored.

/// The database to use, as a URL (Quay's key).
pub const DB_URI: &str = "DB_URI";
/// The host (and port) users reach the registry at (Quay's key).
pub const SERVER_HOSTNAME: &str = "SERVER_HOSTNAME";
/// `http` or `https`, for links in notifications (Quay's key).
pub const PREFERRED_URL_SCHEME: &str = "PREFERRED_URL_SCHEME";
/// Whether tags expire at all (Quay's key).
pub const FEATURE_GARBAGE_COLLECTION: &str = "FEATURE_GARBAGE_COLLECTION";
/// Whether image-expiry notifications are sent (Quay's key).
pub const FEATURE_IMAGE_EXPIRY_TRIGGER: &str = "FEATURE_IMAGE_EXPIRY_TRIGGER";
/// Whether auto-prune policies are in force (Quay's key).
pub const FEATURE_AUTO_PRUNE: &str = "FEATURE_AUTO_PRUNE";
/// The least time between two expiry digests of one trigger (Quay's key).
pub const NOTIFICATION_TASK_RUN_MINIMUM_INTERVAL_MINUTES: &str =
    "NOTIFICATION_TASK_RUN_MINIMUM_INTERVAL_MINUTES";
/// The timeout of one outgoing delivery (Quay's key).
pub const NOTIFICATION_SEND_TIMEOUT: &str = "NOTIFICATION_SEND_TIMEOUT";
/// Hostnames webhooks may never be sent to (Quay's key).
pub const WEBHOOK_HOSTNAME_BLACKLIST: &str = "WEBHOOK_HOSTNAME_BLACKLIST";
/// Whether e-mail is sent at all (Quay's key).
pub const FEATURE_MAILING: &str = "FEATURE_MAILING";
/// The SMTP server host (Quay's key).
pub const MAIL_SERVER: &str = "MAIL_SERVER";
/// The SMTP server port (Quay's key).
pub const MAIL_PORT: &str = "MAIL_PORT";
/// Whether SMTP uses STARTTLS (Quay's key).
pub const MAIL_USE_TLS: &str = "MAIL_USE_TLS";
/// The SMTP user name (Quay's key).
pub const MAIL_USERNAME: &str = "MAIL_USERNAME";
/// The SMTP password (Quay's key).
pub const MAIL_PASSWORD: &str = "MAIL_PASSWORD";
/// The `From:` address of e-mail (Quay's key).
pub const MAIL_DEFAULT_SENDER: &str = "MAIL_DEFAULT_SENDER";
/// Users with administrator rights everywhere (Quay's key).
pub const SUPER_USERS: &str = "SUPER_USERS";
/// Whether browser API calls must carry `X-Requested-With` (Quay's key).
pub const BROWSER_API_CALLS_XHR_ONLY: &str = "BROWSER_API_CALLS_XHR_ONLY";
/// The socket address of regnotify's HTTP API; none means no API.
pub const NOTIFICATION_API_LISTEN: &str = "NOTIFICATION_API_LISTEN";
/// How often the queue poller looks for due deliveries.
pub const NOTIFICATION_WORKER_POLL_SECONDS: &str = "NOTIFICATION_WORKER_POLL_SECONDS";
/// How many deliveries run at once.
pub const NOTIFICATION_WORKER_CONCURRENCY: &str = "NOTIFICATION_WORKER_CONCURRENCY";
/// The waits before each retry of a failed delivery.
pub const NOTIFICATION_RETRY_SCHEDULE_SECONDS: &str = "NOTIFICATION_RETRY_SCHEDULE_SECONDS";
/// Consecutive failures after which a notification is disabled.
pub const NOTIFICATION_FAILURE_THRESHOLD: &str = "NOTIFICATION_FAILURE_THRESHOLD";
/// How often the scheduler runs the expiry scan.
pub const NOTIFICATION_SCHEDULER_TICK_SECONDS: &str = "NOTIFICATION_SCHEDULER_TICK_SECONDS";
/// Whether webhooks may target loopback, private and link-local addresses.
pub const NOTIFICATION_ALLOW_PRIVATE_TARGETS: &str = "NOTIFICATION_ALLOW_PRIVATE_TARGETS";

/// Every key regnotify reads, in the order `check-config` prints them.
pub const ALL: [&str; 25] = [
    DB_URI,
    SERVER_HOSTNAME,
    PREFERRED_URL_SCHEME,
    FEATURE_GARBAGE_COLLECTION,
    FEATURE_IMAGE_EXPIRY_TRIGGER,
    FEATURE_AUTO_PRUNE,
    NOTIFICATION_TASK_RUN_MINIMUM_INTERVAL_MINUTES,
    NOTIFICATION_SEND_TIMEOUT,
    WEBHOOK_HOSTNAME_BLACKLIST,
    FEATURE_MAILING,
    MAIL_SERVER,
    MAIL_PORT,
    MAIL_USE_TLS,
    MAIL_USERNAME,
    MAIL_PASSWORD,
    MAIL_DEFAULT_SENDER,
    SUPER_USERS,
    BROWSER_API_CALLS_XHR_ONLY,
    NOTIFICATION_API_LISTEN,
    NOTIFICATION_WORKER_POLL_SECONDS,
    NOTIFICATION_WORKER_CONCURRENCY,
    NOTIFICATION_RETRY_SCHEDULE_SECONDS,
    NOTIFICATION_FAILURE_THRESHOLD,
    NOTIFICATION_SCHEDULER_TICK_SECONDS,
    NOTIFICATION_ALLOW_PRIVATE_TARGETS,
];

/// Keys whose value is free text: their environment override is taken verbatim, not parsed as
/// YAML, so a password may hold `#`, `@` or a leading `*`.
const TEXT: [&str; 6] = [
    DB_URI,
    SERVER_HOSTNAME,
    MAIL_SERVER,
    MAIL_USERNAME,
    MAIL_PASSWORD,
    MAIL_DEFAULT_SENDER,
];

/// Keys whose value must never be echoed in a message.
const SECRET: [&str; 2] = [DB_URI, MAIL_PASSWORD];

/// Whether `key`'s value is free text (see [`TEXT`]).
pub fn is_text(key: &str) -> bool {
    TEXT.contains(&key)
}

/// Whether `key`'s value is a secret that messages must not show.
pub fn is_secret(key: &str) -> bool {
    SECRET.contains(&key)
}

/// The environment variable that overrides `key`.
pub fn env_var(key: &str) -> String {
    format!("REGNOTIFY_{key}")
}
