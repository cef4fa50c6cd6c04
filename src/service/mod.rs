//! Running the job: `run-once` (scan, deliver, report) and the long-running `run`.

mod outage;
mod runner;

use std::time::Duration;

use chrono::Utc;

use crate::config::{Config, DatabaseKind};
use crate::db::{self, Db};
use crate::dispatch::{DispatchSettings, Dispatcher, DrainReport};
use crate::domain::{RegistryUrls, hostname_blacklist};
use crate::error::Error;
use crate::expiry::{self, ScanMode, ScanReport, ScanSettings};
use crate::queue;

pub use runner::run;

/// What `run-once` did, as it prints it.
#[derive(Debug, Default)]
pub struct Summary {
    /// The scan's results (empty when the scan is off).
    pub scan: ScanReport,
    /// The deliveries' results.
    pub deliveries: DrainReport,
    /// Deliveries still queued: retrying later, leased by another process, or parked.
    pub waiting: i64,
}

impl Summary {
    /// The summary printed on stdout, one `name: value` per line.
    pub fn render(&self) -> String {
        format!(
            "triggers scanned: {}\ntags announced: {}\ndigests queued: {}\n\
             deliveries sent: {}\ndeliveries failed: {}\ndeliveries waiting: {}\n",
            self.scan.triggers_scanned,
            self.scan.tags_announced,
            self.scan.digests_queued,
            self.deliveries.sent,
            self.deliveries.failed,
            self.waiting,
        )
    }
}

/// The settings the scan takes from the configuration.
pub fn scan_settings(config: &Config) -> ScanSettings {
    let interval = config.notification_task_run_minimum_interval;
    ScanSettings {
        failure_threshold: failure_threshold(config),
        interval_ms: i64::try_from(interval.as_millis()).unwrap_or(i64::MAX),
        auto_prune: config.feature_auto_prune,
        urls: RegistryUrls {
            server_hostname: config.server_hostname.clone(),
            scheme: config.preferred_url_scheme.as_str().to_owned(),
        },
        attempts: dispatch_settings(config).attempts(),
    }
}

/// The settings the dispatcher takes from the configuration.
pub fn dispatch_settings(config: &Config) -> DispatchSettings {
    DispatchSettings {
        concurrency: config.worker_concurrency,
        failure_threshold: failure_threshold(config),
        retry_schedule: config.retry_schedule.clone(),
        send_timeout: config.notification_send_timeout,
        allow_private_targets: config.allow_private_targets,
        hostname_blacklist: hostname_blacklist(
            &config.webhook_hostname_blacklist,
            config.allow_private_targets,
        ),
    }
}

fn failure_threshold(config: &Config) -> i32 {
    i32::try_from(config.failure_threshold).unwrap_or(i32::MAX)
}

/// Connects and makes sure the schema is ready: an SQLite file is migrated on the spot; on
/// PostgreSQL a missing or older schema is refused, since `migrate` is an operator's decision
/// there.
pub async fn open_database(config: &Config) -> Result<Db, Error> {
    connect(config, true).await
}

/// Connects and checks the schema without changing anything, on either database (for dry runs).
pub async fn open_database_read_only(config: &Config) -> Result<Db, Error> {
    connect(config, false).await
}

async fn connect(config: &Config, migrate_sqlite: bool) -> Result<Db, Error> {
    let connections = u32::try_from(config.worker_concurrency).unwrap_or(u32::MAX) + 2;
    let url = config.database.expose_url();
    let db = Db::connect(url, connections)
        .await
        .map_err(Error::db(format!("connecting to {}", config.database)))?;
    if migrate_sqlite && config.database.kind == DatabaseKind::Sqlite {
        db::migrate(&db)
            .await
            .map_err(Error::db("migrating the SQLite database"))?;
    } else {
        db::check_schema(&db).await?;
    }
    Ok(db)
}

/// Logs, once, that the expiry scan is off and why.
pub fn announce_scan_state(config: &Config) -> bool {
    match config.expiry_scan_disabled_reason() {
        Some(reason) => {
            tracing::info!("image-expiry scan is off: {reason}");
            false
        }
        None => true,
    }
}

/// One expiry scan of every due trigger, then every due delivery. Each digest the scan builds is
/// handed to `on_digest` (a dry run prints them).
pub async fn run_once(
    config: &Config,
    db: &Db,
    dry_run: bool,
    on_digest: expiry::DigestSink<'_>,
) -> Result<Summary, Error> {
    let mut summary = Summary::default();
    let mode = if dry_run {
        ScanMode::DryRun
    } else {
        ScanMode::Commit
    };
    if announce_scan_state(config) {
        summary.scan = expiry::scan(db, &scan_settings(config), Utc::now(), mode, on_digest)
            .await
            .map_err(Error::db("scanning for expiring tags"))?;
    }
    if dry_run {
        summary.waiting = queue::count_waiting(db)
            .await
            .map_err(Error::db("counting the queue"))?;
        return Ok(summary);
    }

    let dispatcher = Dispatcher::new(db.clone(), dispatch_settings(config))
        .map_err(|e| Error::Runtime(format!("building the HTTP client: {e}")))?;
    summary.deliveries = dispatcher.drain().await.map_err(Error::db("delivering"))?;
    summary.waiting = queue::count_waiting(db)
        .await
        .map_err(Error::db("counting the queue"))?;
    Ok(summary)
}

/// Waits out a short pause, unless told to stop; returns whether to stop.
async fn pause(duration: Duration, stop: &tokio::sync::watch::Receiver<bool>) -> bool {
    let mut stop = stop.clone();
    let stopped = tokio::select! {
        _ = tokio::time::sleep(duration) => false,
        _ = stop.wait_for(|stopping| *stopping) => true,
    };
    stopped || *stop.borrow()
}
