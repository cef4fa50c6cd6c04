//! The long-running service: a cron-driven expiry scan and queue poller, stopped cleanly by
//! SIGTERM or SIGINT.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{Mutex, watch};
use tokio_cron_scheduler::{Job, JobScheduler};

use super::outage::Outage;
use super::{announce_scan_state, dispatch_settings, open_database, pause, scan_settings};
use crate::config::Config;
use crate::db::{Db, is_unreachable};
use crate::dispatch::Dispatcher;
use crate::error::Error;
use crate::expiry::{self, ScanMode};

/// Runs until SIGTERM or SIGINT, then finishes the deliveries in flight and returns.
pub async fn run(config: Config) -> Result<(), Error> {
    let (stop_tx, stop) = watch::channel(false);
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("stopping: no new claims; finishing deliveries in flight");
        let _ = stop_tx.send(true);
    });

    let Some(db) = connect_until_reachable(&config, &stop).await? else {
        return Ok(());
    };
    if config.api_listen.is_some() {
        // LIMITATION: the HTTP API is not part of this build yet; the address is ignored.
        tracing::warn!("NOTIFICATION_API_LISTEN is set, but this regnotify has no HTTP API yet");
    }
    let scan_on = announce_scan_state(&config);
    let dispatcher = Dispatcher::new(db.clone(), dispatch_settings(&config))
        .map_err(|e| Error::Runtime(format!("building the HTTP client: {e}")))?;
    let jobs = Arc::new(Jobs {
        config,
        db: db.clone(),
        dispatcher: dispatcher.clone(),
        outage: Outage::default(),
        scanning: Mutex::new(()),
        polling: Mutex::new(()),
    });

    let mut scheduler = schedule(&jobs, scan_on).await?;
    tracing::info!("regnotify is running");
    let first_poll = Arc::clone(&jobs);
    tokio::spawn(async move { first_poll.poll().await });

    let mut stop = stop;
    let _ = stop.wait_for(|stopping| *stopping).await;
    dispatcher.stop();
    let _ = scheduler.shutdown().await;
    let _scan = jobs.scanning.lock().await;
    let _poll = jobs.polling.lock().await;
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Everything the scheduled jobs share.
struct Jobs {
    config: Config,
    db: Db,
    dispatcher: Dispatcher,
    outage: Outage,
    /// Held while a scan runs, so that a slow scan is not started twice.
    scanning: Mutex<()>,
    /// Held while the poller drains the queue.
    polling: Mutex<()>,
}

impl Jobs {
    async fn scan(&self) {
        let Ok(_running) = self.scanning.try_lock() else {
            return;
        };
        if !self.outage.may_try() {
            return;
        }
        let settings = scan_settings(&self.config);
        let result = expiry::scan(
            &self.db,
            &settings,
            Utc::now(),
            ScanMode::Commit,
            &mut |_| {},
        )
        .await;
        if let Ok(report) = &result
            && report.triggers_scanned > 0
        {
            tracing::info!(
                triggers = report.triggers_scanned,
                tags = report.tags_announced,
                digests = report.digests_queued,
                "expiry scan"
            );
        }
        let result = result
            .map(|_| ())
            .map_err(Error::db("scanning for expiring tags"));
        self.outage.record("expiry scan", result);
    }

    async fn poll(&self) {
        let Ok(_running) = self.polling.try_lock() else {
            return;
        };
        if !self.outage.may_try() {
            return;
        }
        let result = self
            .dispatcher
            .drain()
            .await
            .map(|_| ())
            .map_err(Error::db("delivering"));
        self.outage.record("queue poll", result);
    }
}

async fn schedule(jobs: &Arc<Jobs>, scan_on: bool) -> Result<JobScheduler, Error> {
    let failed = |e: tokio_cron_scheduler::JobSchedulerError| {
        Error::Runtime(format!("starting the scheduler: {e}"))
    };
    let scheduler = JobScheduler::new().await.map_err(failed)?;
    if scan_on {
        let scan_jobs = Arc::clone(jobs);
        let every = cron_every(jobs.config.scheduler_tick);
        let job = Job::new_async(every.as_str(), move |_, _| {
            let jobs = Arc::clone(&scan_jobs);
            Box::pin(async move { jobs.scan().await })
        })
        .map_err(failed)?;
        scheduler.add(job).await.map_err(failed)?;
    }
    let poll_jobs = Arc::clone(jobs);
    let every = cron_every(jobs.config.worker_poll_interval);
    let job = Job::new_async(every.as_str(), move |_, _| {
        let jobs = Arc::clone(&poll_jobs);
        Box::pin(async move { jobs.poll().await })
    })
    .map_err(failed)?;
    scheduler.add(job).await.map_err(failed)?;
    scheduler.start().await.map_err(failed)?;
    Ok(scheduler)
}

/// A 6-field cron expression (seconds first) firing every `period`, which the configuration
/// has already checked to be a divisor of a minute or a whole number of minutes dividing an hour.
pub fn cron_every(period: Duration) -> String {
    let seconds = period.as_secs().max(1);
    match seconds {
        s if s < 60 => format!("0/{s} * * * * *"),
        3600 => "0 0 * * * *".to_owned(),
        s => format!("0 0/{} * * * *", s / 60),
    }
}

/// Connects, retrying with backoff while the database is unreachable (logged once).
async fn connect_until_reachable(
    config: &Config,
    stop: &watch::Receiver<bool>,
) -> Result<Option<Db>, Error> {
    let mut delay = Duration::from_secs(1);
    let mut logged = false;
    loop {
        match open_database(config).await {
            Ok(db) => return Ok(Some(db)),
            Err(Error::Database { source, .. }) if is_unreachable(&source) => {
                if !logged {
                    tracing::error!(error = %source, database = %config.database,
                        "database unreachable; retrying with backoff until it is back");
                    logged = true;
                }
            }
            Err(error) => return Err(error),
        }
        if pause(delay, stop).await {
            return Ok(None);
        }
        delay = (delay * 2).min(Duration::from_secs(60));
    }
}

async fn wait_for_signal() {
    let mut terminate =
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM; only SIGINT stops regnotify");
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
    tokio::select! {
        _ = terminate.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_become_cron_steps() {
        assert_eq!(cron_every(Duration::from_secs(10)), "0/10 * * * * *");
        assert_eq!(cron_every(Duration::from_secs(300)), "0 0/5 * * * *");
        assert_eq!(cron_every(Duration::from_secs(3600)), "0 0 * * * *");
    }
}
