//! The image-expiry scan: claim the due triggers, find the tags each will see expire (or pruned)
//! within its window, and queue one digest per trigger. The announced tags and the digest are
//! written in one transaction; the dispatcher delivers the digest like any other event.

mod autoprune;
mod digest;
mod sql;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use crate::db::{Db, Tx, epoch_ms};
use crate::domain::RegistryUrls;
use crate::queue;

pub use digest::{Digest, forget_announced};
use sql::{ClaimedTrigger, TriggerWindow, WindowTag};

/// Triggers whose tags are looked up and queued together.
const BATCH: usize = 1000;

/// What the scan needs from the configuration.
#[derive(Debug, Clone)]
pub struct ScanSettings {
    /// Triggers with this many consecutive failures are disabled and not scanned.
    pub failure_threshold: i32,
    /// `NOTIFICATION_TASK_RUN_MINIMUM_INTERVAL_MINUTES`, in milliseconds.
    pub interval_ms: i64,
    /// `FEATURE_AUTO_PRUNE`: also announce the tags auto-prune policies will remove.
    pub auto_prune: bool,
    /// For the payload's `docker_url` and `homepage`.
    pub urls: RegistryUrls,
    /// How many delivery attempts a queued digest gets.
    pub attempts: i32,
}

/// Whether a scan writes what it found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanMode {
    /// Claim, record and queue.
    Commit,
    /// Do the same work in a transaction that is rolled back: shows what would be queued.
    DryRun,
}

/// What a scan did.
#[derive(Debug, Default)]
pub struct ScanReport {
    /// Triggers claimed and scanned.
    pub triggers_scanned: usize,
    /// Tags announced, over all digests.
    pub tags_announced: usize,
    /// Digests queued (or, in a dry run, that would be).
    pub digests_queued: usize,
}

/// A consumer of the digests a scan builds, called once per digest as each batch is done.
pub type DigestSink<'a> = &'a mut (dyn FnMut(&Digest) + Send);

/// Scans every due trigger once, in one transaction: one statement claims every due trigger,
/// then they are worked through in batches. Digests are handed to `on_digest` batch by batch and
/// not kept, so memory follows the batch size, not the number of tags.
pub async fn scan(
    db: &Db,
    settings: &ScanSettings,
    now: DateTime<Utc>,
    mode: ScanMode,
    on_digest: DigestSink<'_>,
) -> Result<ScanReport, sqlx::Error> {
    let now_ms = epoch_ms(now);
    let mut tx = db.begin_write().await?;
    let triggers = sql::claim_due_triggers(
        &mut tx,
        now_ms,
        settings.failure_threshold,
        settings.interval_ms,
        settings.auto_prune,
    )
    .await?;

    let mut report = ScanReport {
        triggers_scanned: triggers.len(),
        ..ScanReport::default()
    };
    for batch in triggers.chunks(BATCH) {
        scan_batch(&mut tx, batch, settings, now, &mut report, on_digest).await?;
    }
    match mode {
        ScanMode::Commit => tx.commit().await?,
        ScanMode::DryRun => tx.rollback().await?,
    }
    Ok(report)
}

/// Finds a batch of claimed triggers' tags and queues their digests.
async fn scan_batch(
    tx: &mut Tx,
    triggers: &[ClaimedTrigger],
    settings: &ScanSettings,
    now: DateTime<Utc>,
    report: &mut ScanReport,
    on_digest: DigestSink<'_>,
) -> Result<(), sqlx::Error> {
    let now_ms = epoch_ms(now);
    let windows = windows_of(triggers, now_ms);

    let mut tags = sql::tags_in_windows(tx, &windows, now_ms).await?;
    if settings.auto_prune {
        tags.extend(pruned_tags(tx, &windows, now_ms).await?);
    }
    let by_trigger = group_by_trigger(tags);

    let repository_ids: Vec<i32> = triggers
        .iter()
        .filter(|t| by_trigger.contains_key(&t.id))
        .map(|t| t.repository_id)
        .collect();
    let names = sql::repository_names(tx, &repository_ids).await?;
    let digests = digest::build(triggers, &by_trigger, &names, settings);

    let announced: Vec<(i32, i32, i32)> = digests
        .iter()
        .flat_map(|d| {
            d.tag_ids
                .iter()
                .map(move |tag| (d.notification_id, *tag, d.method_id))
        })
        .collect();
    sql::record_announced(tx, &announced).await?;
    let items: Vec<_> = digests.iter().map(Digest::queue_item).collect();
    queue::enqueue(tx, &items, now, settings.attempts).await?;

    report.tags_announced += announced.len();
    report.digests_queued += digests.len();
    digests.iter().for_each(on_digest);
    Ok(())
}

/// The window of each trigger whose `event_config` is valid; the others are skipped with a
/// warning (they stay claimed until their next interval, so they cannot hog the scan).
fn windows_of(triggers: &[ClaimedTrigger], now_ms: i64) -> Vec<TriggerWindow> {
    triggers
        .iter()
        .filter_map(|trigger| match &trigger.window {
            Ok(window) => Some((
                trigger.id,
                trigger.repository_id,
                now_ms + window.as_millis(),
            )),
            Err(error) => {
                tracing::warn!(notification_uuid = %trigger.uuid, %error,
                        "skipping an image-expiry trigger with an invalid event config");
                None
            }
        })
        .collect()
}

async fn pruned_tags(
    tx: &mut Tx,
    windows: &[TriggerWindow],
    now_ms: i64,
) -> Result<Vec<WindowTag>, sqlx::Error> {
    let repository_ids: Vec<i32> = windows
        .iter()
        .map(|(_, repository, _)| *repository)
        .collect();
    let policies = autoprune::policies(tx, &repository_ids).await?;
    let mut pruned = Vec::new();
    for (notification_id, repository_id, window_end) in windows {
        let Some(policies) = policies.get(repository_id) else {
            continue;
        };
        let tags = autoprune::repository_tags(tx, *notification_id, *repository_id, now_ms).await?;
        pruned.extend(autoprune::pruned_in_window(
            *notification_id,
            policies,
            &tags,
            now_ms,
            *window_end,
        ));
    }
    Ok(pruned)
}

/// Groups tags by trigger, one entry per tag (the earliest time wins when expiry and a policy
/// both name it), ordered by time then name.
fn group_by_trigger(tags: Vec<WindowTag>) -> HashMap<i32, Vec<WindowTag>> {
    let mut unique: BTreeMap<(i32, i32), WindowTag> = BTreeMap::new();
    for tag in tags {
        let key = (tag.notification_id, tag.tag_id);
        match unique.get(&key) {
            Some(seen) if seen.expires_ms <= tag.expires_ms => {}
            _ => {
                unique.insert(key, tag);
            }
        }
    }
    let mut grouped: HashMap<i32, Vec<WindowTag>> = HashMap::new();
    for tag in unique.into_values() {
        grouped.entry(tag.notification_id).or_default().push(tag);
    }
    for tags in grouped.values_mut() {
        tags.sort_by(|a, b| (a.expires_ms, &a.name).cmp(&(b.expires_ms, &b.name)));
    }
    grouped
}
