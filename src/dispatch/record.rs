//! Writing down what happened to a delivery: the queue item, the notification's failure count
//! and the delivery log change together, in one transaction.

use chrono::{DateTime, Utc};

use crate::db::{Tx, epoch_ms};
use crate::on_tx;

/// One row of `notifier_delivery_log`.
#[derive(Debug, Clone)]
pub struct LogEntry<'a> {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The queue item.
    pub queueitem_id: i32,
    /// The notification, when known.
    pub notification_uuid: Option<&'a str>,
    /// The event name.
    pub event: &'a str,
    /// The method name.
    pub method: &'a str,
    /// 1 for the first attempt.
    pub attempt: i32,
    /// `delivered`, `failed`, `gave_up`, `skipped`, `dropped`, `parked` or `deferred`.
    pub outcome: &'a str,
    /// The receiver's HTTP status.
    pub http_status: Option<u16>,
    /// How long the send took, in milliseconds.
    pub latency_ms: Option<i64>,
    /// Why it failed.
    pub error: Option<&'a str>,
}

/// Appends a row to the delivery log.
pub async fn log(tx: &mut Tx, entry: &LogEntry<'_>) -> Result<(), sqlx::Error> {
    let sql = "INSERT INTO notifier_delivery_log (attempted_at_ms, queueitem_id, \
               notification_uuid, event, method, attempt, outcome, http_status, latency_ms, \
               error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
    on_tx!(tx, conn => sqlx::query(sql)
        .bind(epoch_ms(entry.at))
        .bind(i64::from(entry.queueitem_id))
        .bind(entry.notification_uuid)
        .bind(entry.event)
        .bind(entry.method)
        .bind(entry.attempt)
        .bind(entry.outcome)
        .bind(entry.http_status.map(i32::from))
        .bind(entry.latency_ms)
        .bind(entry.error)
        .execute(conn)
        .await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// Sets a notification's consecutive-failure count: 0 after a success, +1 after a failure.
pub async fn count_failure(
    tx: &mut Tx,
    notification_id: i32,
    failed: bool,
) -> Result<(), sqlx::Error> {
    let sql = if failed {
        "UPDATE repositorynotification SET number_of_failures = number_of_failures + 1 \
         WHERE id = $1"
    } else {
        "UPDATE repositorynotification SET number_of_failures = 0 WHERE id = $1"
    };
    on_tx!(tx, conn => sqlx::query(sql).bind(notification_id).execute(conn).await.map(|done| done.rows_affected()))?;
    Ok(())
}
