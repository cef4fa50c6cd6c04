//! One delivery, in typed steps: read the item, find its notification, filter, send, record.

use std::borrow::Cow;

use chrono::Utc;
use serde_json::Value;
use tracing::Instrument;

use super::notification::{self, Notification};
use super::record::{self, LogEntry};
use super::{Attempt, Dispatcher, Outcome, should_perform};
use crate::domain::{EventName, JsonTemplate, MethodName, WebhookUrl};
use crate::expiry;
use crate::queue::{self, Claimed};

/// How long an item this regnotify cannot deliver waits before it is looked at again.
const DEFER: chrono::Duration = chrono::Duration::hours(1);

/// The parts of a queue item body the dispatcher reads.
struct Body {
    notification_uuid: String,
    event_data: Value,
    /// The id receivers see in every attempt.
    delivery_id: String,
    /// Quay marks the items of namespace (quota) notifications `"notification_type":
    /// "namespace"`; their uuid names a `namespacenotification`.
    for_namespace: bool,
}

fn read_body(item: &Claimed) -> Option<Body> {
    let mut body: Value = serde_json::from_str(&item.body).ok()?;
    let delivery_id = queue::delivery_id(item, &body);
    let notification_uuid = body.get("notification_uuid")?.as_str()?.to_owned();
    let event_data = body
        .get_mut("event_data")
        .map(Value::take)
        .unwrap_or_default();
    let for_namespace = body.get("notification_type").and_then(Value::as_str) == Some("namespace");
    Some(Body {
        notification_uuid,
        event_data,
        delivery_id,
        for_namespace,
    })
}

/// Delivers one claimed item and records the outcome.
pub async fn deliver(dispatcher: &Dispatcher, item: Claimed) -> Result<Outcome, sqlx::Error> {
    let inner = &dispatcher.inner;
    // Items Quay queued start with its own count of retries (5), so for them the number is only
    // approximate; it picks the retry delay and is logged.
    let attempt = (inner.settings.attempts() - item.retries_remaining).max(1);
    let Some(body) = read_body(&item) else {
        let note = "the queue item's body is not a notification";
        return settle_unsent(dispatcher, &item, None, attempt, Outcome::Dropped, note).await;
    };
    if body.for_namespace {
        // LIMITATION: namespace (quota) notifications are not delivered yet; Quay's items for
        // them are put back untouched every hour.
        let note = "this regnotify cannot deliver namespace notifications yet";
        return settle_unsent(dispatcher, &item, None, attempt, Outcome::Deferred, note).await;
    }
    let Some(notification) = notification::load(&inner.db, &body.notification_uuid).await? else {
        let note = "the notification no longer exists";
        return settle_unsent(dispatcher, &item, None, attempt, Outcome::Dropped, note).await;
    };

    let span = tracing::info_span!("delivery", notification_uuid = %notification.uuid,
        event = %notification.event, method = %notification.method, attempt);
    deliver_to(dispatcher, &item, &notification, body, attempt)
        .instrument(span)
        .await
}

async fn deliver_to(
    dispatcher: &Dispatcher,
    item: &Claimed,
    notification: &Notification,
    body: Body,
    attempt: i32,
) -> Result<Outcome, sqlx::Error> {
    let settings = &dispatcher.inner.settings;
    let found = Some(notification);
    if notification.number_of_failures >= settings.failure_threshold {
        let note = "the notification is disabled";
        return settle_unsent(dispatcher, item, found, attempt, Outcome::Parked, note).await;
    }
    let Ok(event) = notification.event.parse::<EventName>() else {
        // An event newer than this regnotify: keep it for a version that knows it.
        let note = "the notification's event is unknown to this regnotify";
        return settle_unsent(dispatcher, item, found, attempt, Outcome::Deferred, note).await;
    };
    if !should_perform(event, &notification.event_config, &body.event_data) {
        let note = "the notification's filter does not want this event";
        return settle_unsent(dispatcher, item, found, attempt, Outcome::Skipped, note).await;
    }

    let sent = match notification.method.parse::<MethodName>() {
        Ok(MethodName::Webhook) => send_webhook(dispatcher, notification, &body).await,
        // LIMITATION: only webhooks are delivered so far; items for e-mail, Slack, in-app,
        // Flowdock and HipChat notifications are put back untouched every hour.
        _ => {
            let note = "this regnotify cannot deliver through this method yet";
            return settle_unsent(dispatcher, item, found, attempt, Outcome::Deferred, note).await;
        }
    };
    settle_sent(dispatcher, item, notification, &body, attempt, sent).await
}

async fn send_webhook(
    dispatcher: &Dispatcher,
    notification: &Notification,
    body: &Body,
) -> Attempt {
    let data = &body.event_data;
    let blacklist = &dispatcher.inner.settings.hostname_blacklist;
    let raw = notification
        .config
        .get("url")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let url = match WebhookUrl::parse(raw, blacklist) {
        Ok(url) => url,
        Err(message) => return Attempt::failed(None, message, std::time::Instant::now()),
    };
    let template = notification.config.get("template").and_then(Value::as_str);
    let payload = match template.filter(|text| !text.trim().is_empty()) {
        None => Cow::Borrowed(data),
        Some(text) => match JsonTemplate::parse(text) {
            Ok(template) => Cow::Owned(template.apply(data)),
            Err(message) => return Attempt::failed(None, message, std::time::Instant::now()),
        },
    };
    dispatcher
        .inner
        .webhook
        .send(&url, &payload, &body.delivery_id)
        .await
}

/// Records an attempt that reached the network, and moves the item on.
async fn settle_sent(
    dispatcher: &Dispatcher,
    item: &Claimed,
    notification: &Notification,
    body: &Body,
    attempt: i32,
    sent: Attempt,
) -> Result<Outcome, sqlx::Error> {
    let inner = &dispatcher.inner;
    let now = Utc::now();
    let mut tx = inner.db.begin_write().await?;
    record::count_failure(&mut tx, notification.id, !sent.delivered).await?;

    let (outcome, owned) = if sent.delivered {
        (Outcome::Delivered, queue::complete(&mut tx, item).await?)
    } else if item.retries_remaining <= 0 {
        if notification.event == EventName::RepoImageExpiry.as_str() {
            let tags = tag_names(&body.event_data);
            expiry::forget_announced(&mut tx, &notification.uuid, &tags).await?;
        }
        (Outcome::GaveUp, queue::complete(&mut tx, item).await?)
    } else {
        let delay = inner.settings.retry_delay(attempt);
        let delay = chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::days(7));
        let retry_at = now.checked_add_signed(delay).unwrap_or(now);
        (
            Outcome::Failed,
            queue::release(&mut tx, item, retry_at, false).await?,
        )
    };

    let latency_ms = i64::try_from(sent.latency.as_millis()).ok();
    let entry = LogEntry {
        at: now,
        queueitem_id: item.id,
        notification_uuid: Some(&notification.uuid),
        event: &notification.event,
        method: &notification.method,
        attempt,
        outcome: outcome_name(outcome),
        http_status: sent.http_status,
        latency_ms,
        error: sent.error.as_deref(),
    };
    record::log(&mut tx, &entry).await?;
    tx.commit().await?;

    tracing::info!(outcome = outcome_name(outcome), status = ?sent.http_status,
        latency_ms, error = ?sent.error, "delivery attempt");
    Ok(if owned { outcome } else { Outcome::LostLease })
}

/// Records a decision that sent nothing, and moves the item on.
async fn settle_unsent(
    dispatcher: &Dispatcher,
    item: &Claimed,
    notification: Option<&Notification>,
    attempt: i32,
    outcome: Outcome,
    note: &str,
) -> Result<Outcome, sqlx::Error> {
    let now = Utc::now();
    let mut tx = dispatcher.inner.db.begin_write().await?;
    let owned = match (outcome, notification) {
        (Outcome::Parked, Some(found)) => queue::park(&mut tx, item, found.id, now).await?,
        (Outcome::Deferred, _) => queue::release(&mut tx, item, now + DEFER, true).await?,
        _ => queue::complete(&mut tx, item).await?,
    };
    let entry = LogEntry {
        at: now,
        queueitem_id: item.id,
        notification_uuid: notification.map(|n| n.uuid.as_str()),
        event: notification.map_or("unknown", |n| n.event.as_str()),
        method: notification.map_or("unknown", |n| n.method.as_str()),
        attempt,
        outcome: outcome_name(outcome),
        http_status: None,
        latency_ms: None,
        error: Some(note),
    };
    record::log(&mut tx, &entry).await?;
    tx.commit().await?;

    tracing::info!(
        queueitem_id = item.id,
        outcome = outcome_name(outcome),
        note,
        "not sent"
    );
    Ok(if owned { outcome } else { Outcome::LostLease })
}

fn tag_names(event_data: &Value) -> Vec<String> {
    event_data
        .get("tags")
        .and_then(Value::as_array)
        .map(|tags| {
            tags.iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn outcome_name(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Delivered => "delivered",
        Outcome::Failed => "failed",
        Outcome::GaveUp => "gave_up",
        Outcome::Skipped => "skipped",
        Outcome::Dropped => "dropped",
        Outcome::Parked => "parked",
        Outcome::Deferred => "deferred",
        Outcome::LostLease => "lost_lease",
    }
}
