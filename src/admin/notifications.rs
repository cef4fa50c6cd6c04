//! Notifications on a repository: add (validated as Quay validates, and stricter), list, reset,
//! remove.

use regex::Regex;
use serde_json::Value;
use sqlx::Row;

use super::repository_id;
use crate::db::Db;
use crate::domain::{EventName, ExpiryWindow, JsonTemplate, MethodName, RepositoryRef, WebhookUrl};
use crate::error::Error;
use crate::{on_tx, queue};

/// A notification to create.
#[derive(Debug, Clone)]
pub struct NewNotification {
    /// The event name.
    pub event: String,
    /// The method name.
    pub method: String,
    /// The method's settings, a JSON object.
    pub config: Value,
    /// The event filter's settings, a JSON object.
    pub event_config: Value,
    /// An optional title, at most 255 characters.
    pub title: Option<String>,
}

/// A notification as `notification list` shows it.
#[derive(Debug, Clone)]
pub struct NotificationRow {
    /// Its uuid.
    pub uuid: String,
    /// Its title.
    pub title: Option<String>,
    /// The event name.
    pub event: String,
    /// The method name.
    pub method: String,
    /// The event filter's settings.
    pub event_config: String,
    /// Consecutive failures.
    pub number_of_failures: i32,
}

/// Validates and creates a notification; returns its uuid. `blacklist` holds the host names a
/// webhook may not call.
pub async fn add_notification(
    db: &Db,
    repository: &RepositoryRef,
    new: &NewNotification,
    blacklist: &[String],
) -> Result<String, Error> {
    validate(new, blacklist).map_err(Error::Invalid)?;
    let context = "adding the notification";
    let mut tx = db.begin_write().await.map_err(Error::db(context))?;
    let repository_id = repository_id(&mut tx, repository).await?;
    let uuid = uuid::Uuid::new_v4().to_string();
    let sql = "INSERT INTO repositorynotification (uuid, repository_id, event_id, method_id, \
               title, config_json, event_config_json, number_of_failures) \
               SELECT $1, $2, e.id, m.id, $3, $4, $5, 0 \
               FROM externalnotificationevent e, externalnotificationmethod m \
               WHERE e.name = $6 AND m.name = $7";
    let inserted = on_tx!(&mut tx, conn => sqlx::query(sql)
        .bind(&uuid)
        .bind(repository_id)
        .bind(&new.title)
        .bind(new.config.to_string())
        .bind(new.event_config.to_string())
        .bind(&new.event)
        .bind(&new.method)
        .execute(conn)
        .await.map(|done| done.rows_affected()))
    .map_err(Error::db(context))?;
    if inserted != 1 {
        return Err(Error::Runtime(
            "the event or method lookup row is missing; run `regnotify migrate`".into(),
        ));
    }
    tx.commit().await.map_err(Error::db(context))?;
    Ok(uuid)
}

fn validate(new: &NewNotification, blacklist: &[String]) -> Result<(), String> {
    let event: EventName = new
        .event
        .parse()
        .map_err(|e: crate::domain::UnknownName| e.to_string())?;
    let method: MethodName = new
        .method
        .parse()
        .map_err(|e: crate::domain::UnknownName| e.to_string())?;
    if !new.config.is_object() {
        return Err("--config must be a JSON object".into());
    }
    if !new.event_config.is_object() {
        return Err("--event-config must be a JSON object".into());
    }
    if new.title.as_ref().is_some_and(|t| t.chars().count() > 255) {
        return Err("the title is longer than 255 characters".into());
    }
    validate_event_config(event, &new.event_config)?;
    match method {
        MethodName::Webhook => {
            let url = new
                .config
                .get("url")
                .and_then(Value::as_str)
                .unwrap_or_default();
            WebhookUrl::parse(url, blacklist)?;
            match new.config.get("template").and_then(Value::as_str) {
                Some(template) if !template.trim().is_empty() => {
                    JsonTemplate::parse(template).map(|_| ())
                }
                _ => Ok(()),
            }
        }
        // LIMITATION: only the webhook method is delivered so far, so only it can be added.
        other => Err(format!(
            "the {other} method is not supported yet (supported: webhook)"
        )),
    }
}

fn validate_event_config(event: EventName, config: &Value) -> Result<(), String> {
    if event == EventName::RepoImageExpiry {
        ExpiryWindow::from_event_config(config)?;
    }
    if event.is_build()
        && let Some(pattern) = config.get("ref-regex").and_then(Value::as_str)
    {
        Regex::new(pattern).map_err(|e| format!("ref-regex does not compile: {e}"))?;
    }
    if event == EventName::VulnerabilityFound
        && let Some(level) = config.get("level")
    {
        let index = level
            .as_u64()
            .or_else(|| level.as_str().and_then(|s| s.parse().ok()));
        if index.is_none_or(|i| i > 5) {
            return Err(format!(
                "level must be 0 (Critical) to 5 (Unknown), found {level}"
            ));
        }
    }
    Ok(())
}

/// The notifications of a repository.
pub async fn list_notifications(
    db: &Db,
    repository: &RepositoryRef,
) -> Result<Vec<NotificationRow>, Error> {
    let context = "listing the notifications";
    let mut tx = db.begin_write().await.map_err(Error::db(context))?;
    let repository_id = repository_id(&mut tx, repository).await?;
    let sql = "SELECT rn.uuid, rn.title, e.name AS event, m.name AS method, \
               rn.event_config_json, rn.number_of_failures FROM repositorynotification rn \
               JOIN externalnotificationevent e ON e.id = rn.event_id \
               JOIN externalnotificationmethod m ON m.id = rn.method_id \
               WHERE rn.repository_id = $1 ORDER BY rn.id";
    let rows = on_tx!(&mut tx, conn => {
        let rows = sqlx::query(sql).bind(repository_id).fetch_all(conn).await;
        rows.and_then(|rows| rows.iter()
            .map(|row| {
                Ok(NotificationRow {
                    uuid: row.try_get("uuid")?,
                    title: row.try_get("title")?,
                    event: row.try_get("event")?,
                    method: row.try_get("method")?,
                    event_config: row.try_get("event_config_json")?,
                    number_of_failures: row.try_get("number_of_failures")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>())
    })
    .map_err(Error::db(context))?;
    tx.rollback().await.map_err(Error::db(context))?;
    Ok(rows)
}

/// Sets a notification's failures back to 0, which enables it and releases its waiting
/// deliveries.
pub async fn reset_notification(
    db: &Db,
    repository: &RepositoryRef,
    uuid: &str,
    failure_threshold: i32,
) -> Result<(), Error> {
    let reset = "UPDATE repositorynotification SET number_of_failures = 0 \
                 WHERE uuid = $1 AND repository_id = $2";
    change_one(db, repository, uuid, &[reset], "resetting the notification").await?;
    queue::unpark_enabled(db, failure_threshold)
        .await
        .map_err(Error::db("releasing the notification's deliveries"))?;
    Ok(())
}

/// Deletes a notification and its record of announced tags.
pub async fn remove_notification(
    db: &Db,
    repository: &RepositoryRef,
    uuid: &str,
) -> Result<(), Error> {
    let forget = "DELETE FROM tagnotificationsuccess WHERE notification_id IN \
                  (SELECT id FROM repositorynotification WHERE uuid = $1 AND repository_id = $2)";
    let remove = "DELETE FROM repositorynotification WHERE uuid = $1 AND repository_id = $2";
    change_one(
        db,
        repository,
        uuid,
        &[forget, remove],
        "removing the notification",
    )
    .await
}

/// Runs `statements` (each binding the uuid and the repository id) in one transaction; the last
/// must change exactly the one notification, or nothing is changed.
async fn change_one(
    db: &Db,
    repository: &RepositoryRef,
    uuid: &str,
    statements: &[&'static str],
    context: &'static str,
) -> Result<(), Error> {
    let mut tx = db.begin_write().await.map_err(Error::db(context))?;
    let repository_id = repository_id(&mut tx, repository).await?;
    let mut changed = 0;
    for &sql in statements {
        changed = on_tx!(&mut tx, conn => sqlx::query(sql)
            .bind(uuid)
            .bind(repository_id)
            .execute(conn)
            .await
            .map(|done| done.rows_affected()))
        .map_err(Error::db(context))?;
    }
    if changed == 0 {
        return Err(Error::Invalid(format!(
            "no notification {uuid} on {repository}"
        )));
    }
    tx.commit().await.map_err(Error::db(context))
}
