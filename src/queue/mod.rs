//! Quay's notification queue (`queueitem`), with Quay's protocol: canonical names
//! `notification/<ns>/<repo>/<event>/`, a JSON body `{notification_uuid, event_data,
//! performer_data}`, claims by compare-and-set on `state_id`, and a lease in
//! `processing_expires` after which a crashed process's claim is taken over.

mod claim;
mod park;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::QueryBuilder;

use crate::db::{Db, Tx, db_time};
use crate::domain::{EventName, RepositoryRef};
use crate::{on_db, on_tx};

pub use claim::{Claimed, claim};
pub use park::{park, unpark_enabled};

/// The prefix of every notification queue item's name.
pub const QUEUE_PREFIX: &str = "notification/";

/// A delivery to put on the queue.
#[derive(Debug, Clone)]
pub struct NewItem {
    /// The canonical name, see [`canonical_name`].
    pub queue_name: String,
    /// The JSON body, see [`body`].
    pub body: String,
}

/// `notification/<ns>/<repo>/<event>/`, the name Quay gives a notification's queue item.
pub fn canonical_name(repository: &RepositoryRef, event: EventName) -> String {
    format!(
        "{QUEUE_PREFIX}{}/{}/{}/",
        repository.namespace, repository.name, event
    )
}

/// The queue item body Quay's notification worker reads.
/// regnotify adds `delivery_id`, the id receivers see in every attempt of this delivery (Quay's
/// worker ignores keys it does not know).
pub fn body(notification_uuid: &str, event_data: Value, performer_data: Value) -> String {
    json!({
        "notification_uuid": notification_uuid,
        "event_data": event_data,
        "performer_data": performer_data,
        "delivery_id": uuid::Uuid::new_v4().to_string(),
    })
    .to_string()
}

/// The id of a delivery, the same in every attempt: the body's `delivery_id`, or for items Quay
/// queued (which have none) one derived from the item's id and body, which never change.
pub fn delivery_id(item: &Claimed, body: &Value) -> String {
    match body.get("delivery_id").and_then(Value::as_str) {
        Some(id) => id.to_owned(),
        None => format!("quay-{}-{:016x}", item.id, fnv1a(item.body.as_bytes())),
    }
}

/// FNV-1a, 64 bits: a hash that is the same in every build and on every machine.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Rows per INSERT statement; keeps well under both databases' bound-parameter limits.
const INSERT_CHUNK: usize = 500;

/// Inserts items, available at once, each allowed `attempts` claims. PostgreSQL takes the
/// whole batch as arrays in one statement; SQLite, which has no arrays, takes rows in chunks.
pub async fn enqueue(
    tx: &mut Tx,
    items: &[NewItem],
    now: DateTime<Utc>,
    attempts: i32,
) -> Result<(), sqlx::Error> {
    let now = db_time(now);
    let states: Vec<String> = items
        .iter()
        .map(|_| uuid::Uuid::new_v4().to_string())
        .collect();
    match tx {
        Tx::Postgres(tx) => {
            let names: Vec<&str> = items.iter().map(|item| item.queue_name.as_str()).collect();
            let bodies: Vec<&str> = items.iter().map(|item| item.body.as_str()).collect();
            let sql = "INSERT INTO queueitem (queue_name, body, available_after, available, \
                       processing_expires, retries_remaining, state_id) \
                       SELECT u.queue_name, u.body, $3, true, NULL, $4, u.state_id \
                       FROM UNNEST($1::text[], $2::text[], $5::text[]) AS u(queue_name, body, state_id)";
            sqlx::query(sql)
                .bind(names)
                .bind(bodies)
                .bind(now)
                .bind(attempts)
                .bind(&states)
                .execute(&mut **tx)
                .await?;
        }
        Tx::Sqlite(tx) => {
            let rows: Vec<(&NewItem, &String)> = items.iter().zip(&states).collect();
            for chunk in rows.chunks(INSERT_CHUNK) {
                let mut insert = QueryBuilder::new(
                    "INSERT INTO queueitem (queue_name, body, available_after, available, \
                     processing_expires, retries_remaining, state_id) ",
                );
                insert.push_values(chunk, |mut row, (item, state)| {
                    row.push_bind(&item.queue_name)
                        .push_bind(&item.body)
                        .push_bind(now)
                        .push_bind(true)
                        .push_bind(None::<chrono::NaiveDateTime>)
                        .push_bind(attempts)
                        .push_bind(*state);
                });
                insert.build().execute(&mut **tx).await?;
            }
        }
    }
    Ok(())
}

/// Deletes a delivered (or dropped) item, if this claim still owns it.
pub async fn complete(tx: &mut Tx, item: &Claimed) -> Result<bool, sqlx::Error> {
    let sql = "DELETE FROM queueitem WHERE id = $1 AND state_id = $2";
    let done = on_tx!(tx, conn => sqlx::query(sql)
        .bind(item.id)
        .bind(&item.state_id)
        .execute(conn)
        .await.map(|done| done.rows_affected()))?;
    Ok(done == 1)
}

/// Makes a claimed item available again at `retry_at`. With `restore_attempt` the claim does not
/// count against the item's attempts (nothing was tried).
pub async fn release(
    tx: &mut Tx,
    item: &Claimed,
    retry_at: DateTime<Utc>,
    restore_attempt: bool,
) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE queueitem SET available = true, processing_expires = NULL, \
               available_after = $1, retries_remaining = retries_remaining + $2, state_id = $3 \
               WHERE id = $4 AND state_id = $5";
    let done = on_tx!(tx, conn => sqlx::query(sql)
        .bind(db_time(retry_at))
        .bind(i32::from(restore_attempt))
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(item.id)
        .bind(&item.state_id)
        .execute(conn)
        .await.map(|done| done.rows_affected()))?;
    Ok(done == 1)
}

/// Counts the notification items still on the queue (due later, leased or parked).
pub async fn count_waiting(db: &Db) -> Result<i64, sqlx::Error> {
    let sql = "SELECT COUNT(*) FROM queueitem WHERE queue_name LIKE 'notification/%' \
               AND retries_remaining > 0";
    on_db!(db, pool => sqlx::query_scalar(sql).fetch_one(pool).await)
}
