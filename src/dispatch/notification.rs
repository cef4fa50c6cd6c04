//! The notification a queue item is for, as the dispatcher needs it.

use serde_json::Value;
use sqlx::Row;

use crate::db::Db;
use crate::on_db;

/// A `repositorynotification` row with its names resolved.
#[derive(Debug, Clone)]
pub struct Notification {
    /// `repositorynotification.id`.
    pub id: i32,
    /// The uuid users and queue items name it by.
    pub uuid: String,
    /// The event name.
    pub event: String,
    /// The method name.
    pub method: String,
    /// The method's settings (`url`, `template`, ...). Holds secrets: never log it.
    pub config: Value,
    /// The event filter's settings (`days`, `ref-regex`, `level`).
    pub event_config: Value,
    /// Consecutive failures.
    pub number_of_failures: i32,
}

const BY_UUID: &str = "SELECT rn.id, rn.uuid, e.name AS event, m.name AS method, rn.config_json, \
     rn.event_config_json, rn.number_of_failures \
     FROM repositorynotification rn \
     JOIN externalnotificationevent e ON e.id = rn.event_id \
     JOIN externalnotificationmethod m ON m.id = rn.method_id \
     WHERE rn.uuid = $1 ORDER BY rn.id LIMIT 1";

/// Loads the notification with `uuid`, if it still exists. JSON that does not parse reads as
/// `{}`, as in Quay.
pub async fn load(db: &Db, uuid: &str) -> Result<Option<Notification>, sqlx::Error> {
    on_db!(db, pool => {
        let Some(row) = sqlx::query(BY_UUID).bind(uuid).fetch_optional(pool).await? else {
            return Ok(None);
        };
        let json = |column: &str| -> Result<Value, sqlx::Error> {
            let text: String = row.try_get(column)?;
            Ok(serde_json::from_str(&text).unwrap_or_else(|_| Value::Object(Default::default())))
        };
        Ok(Some(Notification {
            id: row.try_get("id")?,
            uuid: row.try_get("uuid")?,
            event: row.try_get("event")?,
            method: row.try_get("method")?,
            config: json("config_json")?,
            event_config: json("event_config_json")?,
            number_of_failures: row.try_get("number_of_failures")?,
        }))
    })
}
