//! Parking: the deliveries of a disabled notification wait, neither claimed nor dropped, until
//! the notification is enabled again (reset, or a success elsewhere).

use chrono::{DateTime, Utc};

use super::Claimed;
use crate::db::{Db, DbKind, Tx, epoch_ms};
use crate::on_tx;

/// Holds a claimed item back until its notification is enabled again. The claim does not count
/// as an attempt.
pub async fn park(
    tx: &mut Tx,
    item: &Claimed,
    notification_id: i32,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let hold = "UPDATE queueitem SET available = false, processing_expires = NULL, \
                retries_remaining = retries_remaining + 1, state_id = $1 \
                WHERE id = $2 AND state_id = $3";
    let held = on_tx!(&mut *tx, conn => sqlx::query(hold)
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(item.id)
        .bind(&item.state_id)
        .execute(conn)
        .await.map(|done| done.rows_affected()))?;
    if held == 0 {
        return Ok(false);
    }
    let record = "INSERT INTO notifier_parked_delivery (queueitem_id, notification_id, \
                  parked_at_ms) VALUES ($1, $2, $3)";
    on_tx!(tx, conn => sqlx::query(record)
        .bind(i64::from(item.id))
        .bind(i64::from(notification_id))
        .bind(epoch_ms(now))
        .execute(conn)
        .await.map(|done| done.rows_affected()))?;
    Ok(true)
}

/// Releases the parked items whose notification is no longer disabled (or no longer exists:
/// those are then dropped when claimed). Returns how many were released.
pub async fn unpark_enabled(db: &Db, failure_threshold: i32) -> Result<u64, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let new_state = match tx.kind() {
        DbKind::Postgres => "gen_random_uuid()::text",
        DbKind::Sqlite => "lower(hex(randomblob(16)))",
    };
    let release = format!(
        "UPDATE queueitem SET available = true, state_id = {new_state} WHERE id IN \
         (SELECT p.queueitem_id FROM notifier_parked_delivery p WHERE NOT EXISTS \
         (SELECT 1 FROM repositorynotification rn \
          WHERE rn.id = p.notification_id AND rn.number_of_failures >= $1))"
    );
    let released = on_tx!(&mut tx, conn => sqlx::query(sqlx::AssertSqlSafe(release))
        .bind(failure_threshold)
        .execute(conn)
        .await.map(|done| done.rows_affected()))?;
    let forget = "DELETE FROM notifier_parked_delivery WHERE NOT EXISTS \
                  (SELECT 1 FROM repositorynotification rn \
                   WHERE rn.id = notifier_parked_delivery.notification_id \
                   AND rn.number_of_failures >= $1)";
    on_tx!(&mut tx, conn => sqlx::query(forget)
        .bind(failure_threshold)
        .execute(conn)
        .await.map(|done| done.rows_affected()))?;
    tx.commit().await?;
    Ok(released)
}
