//! The dispatcher: claims due queue items and delivers each through its notification's method,
//! with bounded concurrency. [`Dispatcher::drain`] is the one-shot step: deliver what is due now
//! and report what happened. `run-once` and the tests call it directly; the service's poller
//! calls it on every tick.

mod delivery;
mod filter;
mod notification;
mod record;
mod webhook;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::task::JoinSet;

use crate::db::Db;
use crate::queue;

pub use filter::should_perform;
pub use webhook::{WebhookSender, is_public};

/// What the dispatcher needs from the configuration.
#[derive(Debug, Clone)]
pub struct DispatchSettings {
    /// Deliveries in flight at most.
    pub concurrency: usize,
    /// Consecutive failures that disable a notification.
    pub failure_threshold: i32,
    /// Delay before each retry: one more attempt than steps, then the delivery is given up.
    pub retry_schedule: Vec<Duration>,
    /// Timeout of one send.
    pub send_timeout: Duration,
    /// Whether webhooks may call loopback, private and link-local addresses.
    pub allow_private_targets: bool,
    /// Host names webhooks may never call (see `domain::hostname_blacklist`).
    pub hostname_blacklist: Vec<String>,
}

impl DispatchSettings {
    /// How long a claim holds an item: a little longer than a send can take, so that the work of
    /// a crashed process comes back soon (Quay holds 30 s for a 10 s timeout).
    pub fn lease(&self) -> Duration {
        self.send_timeout * 2 + Duration::from_secs(10)
    }

    /// Attempts a queue item gets: the first, then one per step of the retry schedule.
    pub fn attempts(&self) -> i32 {
        self.retry_schedule.len() as i32 + 1
    }

    /// The delay before retrying after failed attempt number `attempt` (1-based), ±20% jitter.
    pub fn retry_delay(&self, attempt: i32) -> Duration {
        let step = (attempt.max(1) as usize - 1).min(self.retry_schedule.len().saturating_sub(1));
        let base = self
            .retry_schedule
            .get(step)
            .copied()
            .unwrap_or(Duration::from_secs(30));
        base.mul_f64(0.8 + fastrand::f64() * 0.4)
    }
}

/// The result of one send.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// Whether the receiver took it.
    pub delivered: bool,
    /// The HTTP status, when there was an answer.
    pub http_status: Option<u16>,
    /// Why it failed, with no secrets in it.
    pub error: Option<String>,
    /// How long the send took.
    pub latency: Duration,
}

impl Attempt {
    fn delivered(status: u16, started: Instant) -> Attempt {
        Attempt {
            delivered: true,
            http_status: Some(status),
            error: None,
            latency: started.elapsed(),
        }
    }

    fn failed(status: Option<u16>, error: String, started: Instant) -> Attempt {
        Attempt {
            delivered: false,
            http_status: status,
            error: Some(error),
            latency: started.elapsed(),
        }
    }
}

/// What happened to one claimed queue item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Delivered; the item is gone.
    Delivered,
    /// Failed; it will be retried.
    Failed,
    /// Failed for the last time; the item is gone (an expiry digest's tags are re-armed).
    GaveUp,
    /// The notification's filter does not want this event; the item is gone.
    Skipped,
    /// The notification no longer exists, or the body cannot be read; the item is gone.
    Dropped,
    /// The notification is disabled; the item waits until it is reset.
    Parked,
    /// This regnotify cannot deliver it yet (its method, its event, or a namespace notification);
    /// the item is put back for later, untouched.
    Deferred,
    /// Another process took the item over (our lease ran out); nothing was recorded.
    LostLease,
}

/// Counts of outcomes over a drain.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DrainReport {
    /// Delivered.
    pub sent: usize,
    /// Failed attempts (retried later, or given up).
    pub failed: usize,
    /// Items given up.
    pub gave_up: usize,
    /// Filtered out, dropped or parked.
    pub not_sent: usize,
}

impl DrainReport {
    fn count(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Delivered => self.sent += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::GaveUp => {
                self.failed += 1;
                self.gave_up += 1;
            }
            _ => self.not_sent += 1,
        }
    }
}

/// Delivers queued notifications.
#[derive(Clone)]
pub struct Dispatcher {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    settings: DispatchSettings,
    webhook: WebhookSender,
    stopping: AtomicBool,
}

impl Dispatcher {
    /// A dispatcher on `db`.
    pub fn new(db: Db, settings: DispatchSettings) -> Result<Dispatcher, reqwest::Error> {
        let webhook = WebhookSender::new(settings.send_timeout, settings.allow_private_targets)?;
        let stopping = AtomicBool::new(false);
        Ok(Dispatcher {
            inner: Arc::new(Inner {
                db,
                settings,
                webhook,
                stopping,
            }),
        })
    }

    /// Stops claiming new items; deliveries in flight finish.
    pub fn stop(&self) {
        self.inner.stopping.store(true, Ordering::SeqCst);
    }

    /// Delivers everything due now, `concurrency` at a time, until nothing due is left.
    pub async fn drain(&self) -> Result<DrainReport, sqlx::Error> {
        let inner = &self.inner;
        let mut report = DrainReport::default();
        queue::unpark_enabled(&inner.db, inner.settings.failure_threshold).await?;

        let mut in_flight = JoinSet::new();
        let mut failure = None;
        loop {
            let claiming = failure.is_none() && !inner.stopping.load(Ordering::SeqCst);
            let room = inner.settings.concurrency - in_flight.len();
            let claimed = if claiming && room > 0 {
                let now = Utc::now();
                match queue::claim(&inner.db, now, now + inner.settings.lease(), room).await {
                    Ok(claimed) => claimed,
                    Err(error) => {
                        failure = Some(error);
                        Vec::new()
                    }
                }
            } else {
                Vec::new()
            };
            let claimed_any = !claimed.is_empty();
            for item in claimed {
                let dispatcher = self.clone();
                in_flight.spawn(async move { delivery::deliver(&dispatcher, item).await });
            }
            if claimed_any && in_flight.len() < inner.settings.concurrency {
                continue;
            }
            // A failed delivery task never aborts the others: they finish and are recorded.
            match in_flight.join_next().await {
                Some(Ok(Ok(outcome))) => report.count(outcome),
                Some(Ok(Err(error))) => failure = failure.or(Some(error)),
                Some(Err(panic)) => tracing::error!(%panic, "a delivery task failed"),
                None => return failure.map_or(Ok(report), Err),
            }
        }
    }
}
