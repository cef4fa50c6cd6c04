//! Claiming due queue items: select candidates, then compare-and-set each one's `state_id`, so
//! that of two processes claiming the same item exactly one wins.

use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::db::{Db, DbKind, Tx, db_time};
use crate::on_tx;

/// A queue item this process holds until `processing_expires`.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// `queueitem.id`.
    pub id: i32,
    /// The `state_id` this claim wrote; later updates succeed only while it is unchanged.
    pub state_id: String,
    /// The canonical name.
    pub queue_name: String,
    /// The JSON body.
    pub body: String,
    /// Claims left after this one.
    pub retries_remaining: i32,
}

const CANDIDATES: &str = "SELECT id, state_id FROM queueitem \
     WHERE queue_name LIKE 'notification/%' AND available_after <= $1 \
       AND (available = true OR processing_expires <= $1) AND retries_remaining > 0 \
     ORDER BY id LIMIT $2";

const CLAIM_ONE: &str = "UPDATE queueitem SET available = false, processing_expires = $1, \
     retries_remaining = retries_remaining - 1, state_id = $2 \
     WHERE id = $3 AND state_id = $4 \
     RETURNING id, state_id, queue_name, body, retries_remaining";

/// Claims up to `limit` due items, leasing them until `lease_until`.
pub async fn claim(
    db: &Db,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<Claimed>, sqlx::Error> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let mut tx = db.begin_write().await?;
    let candidates_sql = match tx.kind() {
        // Rows another process is claiming right now are skipped, not waited for.
        DbKind::Postgres => format!("{CANDIDATES} FOR UPDATE SKIP LOCKED"),
        DbKind::Sqlite => CANDIDATES.to_owned(),
    };
    let candidates: Vec<(i32, String)> = on_tx!(&mut tx, conn => sqlx::query_as(
        sqlx::AssertSqlSafe(candidates_sql),
    )
    .bind(db_time(now))
    .bind(limit as i64)
    .fetch_all(conn)
    .await)?;

    let mut claimed = Vec::with_capacity(candidates.len());
    for (id, state_id) in candidates {
        if let Some(item) = claim_one(&mut tx, id, &state_id, lease_until).await? {
            claimed.push(item);
        }
    }
    tx.commit().await?;
    Ok(claimed)
}

async fn claim_one(
    tx: &mut Tx,
    id: i32,
    state_id: &str,
    lease_until: DateTime<Utc>,
) -> Result<Option<Claimed>, sqlx::Error> {
    let row = on_tx!(tx, conn => {
        let row = sqlx::query(CLAIM_ONE)
            .bind(db_time(lease_until))
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(id)
            .bind(state_id)
            .fetch_optional(conn)
            .await?;
        row.map(|row| -> Result<Claimed, sqlx::Error> {
            Ok(Claimed {
                id: row.try_get("id")?,
                state_id: row.try_get("state_id")?,
                queue_name: row.try_get("queue_name")?,
                body: row.try_get("body")?,
                retries_remaining: row.try_get("retries_remaining")?,
            })
        })
        .transpose()
    })?;
    Ok(row)
}
