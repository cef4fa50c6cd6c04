//! The expiry scan's statements. Each works on a whole batch of triggers at once, so the cost of
//! a scan grows with the tags inside the windows, not with all tags.

use std::collections::HashMap;

use sqlx::{QueryBuilder, Row};

use crate::db::{DbKind, Tx};
use crate::domain::ExpiryWindow;
use crate::on_tx;

/// A trigger claimed for this scan.
#[derive(Debug, Clone)]
pub struct ClaimedTrigger {
    /// `repositorynotification.id`.
    pub id: i32,
    /// `repositorynotification.uuid`.
    pub uuid: String,
    /// The repository the trigger belongs to.
    pub repository_id: i32,
    /// The method, recorded with each announced tag as Quay does.
    pub method_id: i32,
    /// The window read from `event_config_json`, or why it is invalid.
    pub window: Result<ExpiryWindow, String>,
}

/// A tag to announce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowTag {
    /// The trigger it is announced for.
    pub notification_id: i32,
    /// `tag.id`.
    pub tag_id: i32,
    /// `tag.name`.
    pub name: String,
    /// When it expires (or is pruned), in epoch milliseconds.
    pub expires_ms: i64,
}

/// Due: the trigger has a not-yet-announced, visible tag expiring within its window, and either
/// it never ran, or it ran longer than the interval ago, or that tag would expire before its next
/// regular run (so short-lived tags are never missed). With auto-prune on, a trigger whose
/// repository or namespace has a policy is also due once per interval. Triggers with nothing to
/// announce are not touched, so the cost of a scan follows the tags inside the windows.
///
/// `{window}` reads `days` from the trigger's JSON without failing on malformed JSON; the claimed
/// trigger's window is then parsed again, strictly, in Rust. A trigger stamped by this very scan
/// (`last_ran_ms` = now) is not claimed twice.
const CLAIM: &str = "UPDATE repositorynotification SET last_ran_ms = $1 WHERE id IN (\
     SELECT rn.id FROM repositorynotification rn \
     JOIN externalnotificationevent e ON e.id = rn.event_id \
     WHERE e.name = 'repo_image_expiry' AND rn.number_of_failures < $2 \
       AND (rn.last_ran_ms IS NULL OR rn.last_ran_ms < $1) \
       AND (EXISTS (SELECT 1 FROM tag t \
                WHERE t.repository_id = rn.repository_id AND t.hidden = false \
                  AND t.lifetime_end_ms > $1 AND t.lifetime_end_ms <= $1 + {window} \
                  AND (rn.last_ran_ms IS NULL OR rn.last_ran_ms <= $1 - $3 \
                       OR t.lifetime_end_ms < rn.last_ran_ms + $3) \
                  AND NOT EXISTS (SELECT 1 FROM tagnotificationsuccess s \
                      WHERE s.notification_id = rn.id AND s.tag_id = t.id)) \
            OR ($4 AND (rn.last_ran_ms IS NULL OR rn.last_ran_ms <= $1 - $3) \
                AND (EXISTS (SELECT 1 FROM repositoryautoprunepolicy p \
                             WHERE p.repository_id = rn.repository_id) \
                     OR EXISTS (SELECT 1 FROM namespaceautoprunepolicy p \
                                JOIN repository r ON r.namespace_user_id = p.namespace_id \
                                WHERE r.id = rn.repository_id)))) \
     {lock}) \
     RETURNING id, uuid, repository_id, method_id, event_config_json";

/// The window of a trigger's `event_config_json`, parsed strictly.
fn window_of(event_config_json: &str) -> Result<ExpiryWindow, String> {
    let config: serde_json::Value = serde_json::from_str(event_config_json)
        .map_err(|e| format!("event config is not JSON: {e}"))?;
    ExpiryWindow::from_event_config(&config)
}

/// `days` of a trigger's `event_config_json` in milliseconds, or NULL, per database.
const WINDOW_POSTGRES: &str = "(substring(rn.event_config_json \
     from '\"days\"\\s*:\\s*\"?\\s*([0-9]{1,6})')::bigint * 86400000)";
const WINDOW_SQLITE: &str = "(CASE WHEN json_valid(rn.event_config_json) \
     THEN CAST(json_extract(rn.event_config_json, '$.days') AS INTEGER) END * 86400000)";

/// Claims every due trigger and stamps its `last_ran_ms`.
pub async fn claim_due_triggers(
    tx: &mut Tx,
    now_ms: i64,
    failure_threshold: i32,
    interval_ms: i64,
    auto_prune: bool,
) -> Result<Vec<ClaimedTrigger>, sqlx::Error> {
    let (lock, window) = match tx.kind() {
        // Two processes never scan the same trigger: the second skips the rows the first holds.
        DbKind::Postgres => ("FOR UPDATE OF rn SKIP LOCKED", WINDOW_POSTGRES),
        // SQLite: `begin_write` already holds the database's write lock.
        DbKind::Sqlite => ("", WINDOW_SQLITE),
    };
    let sql = CLAIM.replace("{lock}", lock).replace("{window}", window);
    on_tx!(tx, conn => {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(now_ms)
            .bind(failure_threshold)
            .bind(interval_ms)
            .bind(auto_prune)
            .fetch_all(conn)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(ClaimedTrigger {
                    id: row.try_get("id")?,
                    uuid: row.try_get("uuid")?,
                    repository_id: row.try_get("repository_id")?,
                    method_id: row.try_get("method_id")?,
                    window: window_of(&row.try_get::<String, _>("event_config_json")?),
                })
            })
            .collect()
    })
}

/// `(notification id, repository id, window end in epoch ms)` of a trigger being scanned.
pub type TriggerWindow = (i32, i32, i64);

/// The alive, visible, not-yet-announced tags expiring within each trigger's window, in one
/// statement for the whole batch. Both databases walk the triggers first and reach each
/// repository's tags through the `(repository_id, lifetime_end_ms)` index: `CROSS JOIN` fixes
/// that order on SQLite, `LATERAL` on PostgreSQL.
pub async fn tags_in_windows(
    tx: &mut Tx,
    windows: &[TriggerWindow],
    now_ms: i64,
) -> Result<Vec<WindowTag>, sqlx::Error> {
    if windows.is_empty() {
        return Ok(Vec::new());
    }
    // PostgreSQL would flatten a plain LATERAL subquery and may pick a hash join over every
    // tag; `OFFSET 0` keeps it one index range scan per trigger.
    let tags = match tx.kind() {
        DbKind::Postgres => {
            "CROSS JOIN LATERAL (SELECT id, name, lifetime_end_ms FROM tag \
             WHERE repository_id = c.repository_id AND lifetime_end_ms > {now} \
               AND lifetime_end_ms <= c.window_end AND hidden = false OFFSET 0) t"
        }
        DbKind::Sqlite => {
            "CROSS JOIN tag t ON t.repository_id = c.repository_id AND t.lifetime_end_ms > {now} \
             AND t.lifetime_end_ms <= c.window_end AND t.hidden = false"
        }
    };
    let (before_now, after_now) = tags.split_once("{now}").unwrap_or((tags, ""));
    on_tx!(tx, conn => {
        let mut query = QueryBuilder::new("WITH c (id, repository_id, window_end) AS (");
        query.push_values(windows, |mut row, (id, repository_id, window_end)| {
            row.push_bind(*id).push_bind(*repository_id).push_bind(*window_end);
        });
        query.push(") SELECT c.id AS notification_id, t.id AS tag_id, t.name, t.lifetime_end_ms \
                    FROM c ");
        query.push(before_now);
        query.push_bind(now_ms);
        query.push(after_now);
        query.push(
            " WHERE NOT EXISTS (SELECT 1 FROM tagnotificationsuccess s \
                 WHERE s.notification_id = c.id AND s.tag_id = t.id)",
        );
        let rows = query.build().fetch_all(conn).await?;
        rows.iter()
            .map(|row| {
                Ok(WindowTag {
                    notification_id: row.try_get("notification_id")?,
                    tag_id: row.try_get("tag_id")?,
                    name: row.try_get("name")?,
                    expires_ms: row.try_get("lifetime_end_ms")?,
                })
            })
            .collect()
    })
}

/// Records the announced tags, `(notification id, tag id, method id)`, as Quay's
/// `tagnotificationsuccess` rows: in one statement of arrays on PostgreSQL, in chunks on SQLite.
pub async fn record_announced(tx: &mut Tx, rows: &[(i32, i32, i32)]) -> Result<(), sqlx::Error> {
    match tx {
        Tx::Postgres(tx) => {
            let notifications: Vec<i32> = rows.iter().map(|row| row.0).collect();
            let tags: Vec<i32> = rows.iter().map(|row| row.1).collect();
            let methods: Vec<i32> = rows.iter().map(|row| row.2).collect();
            let sql = "INSERT INTO tagnotificationsuccess (notification_id, tag_id, method_id) \
                       SELECT * FROM UNNEST($1::int4[], $2::int4[], $3::int4[])";
            sqlx::query(sql)
                .bind(notifications)
                .bind(tags)
                .bind(methods)
                .execute(&mut **tx)
                .await?;
        }
        Tx::Sqlite(tx) => {
            for chunk in rows.chunks(500) {
                let mut insert = QueryBuilder::new(
                    "INSERT INTO tagnotificationsuccess (notification_id, tag_id, method_id) ",
                );
                insert.push_values(chunk, |mut row, (notification, tag, method)| {
                    row.push_bind(*notification)
                        .push_bind(*tag)
                        .push_bind(*method);
                });
                insert.build().execute(&mut **tx).await?;
            }
        }
    }
    Ok(())
}

/// `(namespace, repository name)` of each repository id.
pub async fn repository_names(
    tx: &mut Tx,
    repository_ids: &[i32],
) -> Result<HashMap<i32, (String, String)>, sqlx::Error> {
    if repository_ids.is_empty() {
        return Ok(HashMap::new());
    }
    on_tx!(tx, conn => {
        let mut query = QueryBuilder::new(
            "SELECT r.id, u.username, r.name FROM repository r \
             JOIN \"user\" u ON u.id = r.namespace_user_id WHERE r.id IN (",
        );
        let mut ids = query.separated(", ");
        for id in repository_ids {
            ids.push_bind(*id);
        }
        query.push(")");
        let rows = query.build().fetch_all(conn).await?;
        rows.iter()
            .map(|row| Ok((row.try_get("id")?, (row.try_get("username")?, row.try_get("name")?))))
            .collect()
    })
}
