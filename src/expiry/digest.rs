//! One digest per trigger: Quay's `repo_image_expiry` payload, plus `tag_expirations`.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat};
use serde_json::{Map, Value, json};
use sqlx::QueryBuilder;

use super::ScanSettings;
use super::sql::{ClaimedTrigger, WindowTag};
use crate::db::Tx;
use crate::domain::{EventName, ExpiryWindow, RepositoryRef, repository_event_data};
use crate::on_tx;
use crate::queue::{self, NewItem};

/// A digest built by a scan.
#[derive(Debug, Clone)]
pub struct Digest {
    /// The trigger's id.
    pub notification_id: i32,
    /// The trigger's uuid.
    pub notification_uuid: String,
    /// The trigger's method id, recorded with each announced tag.
    pub method_id: i32,
    /// The repository.
    pub repository: RepositoryRef,
    /// The announced tags' ids.
    pub tag_ids: Vec<i32>,
    /// The webhook body: Quay's keys `repository, namespace, name, docker_url, homepage, tags,
    /// expiring_in`, and `tag_expirations`, each tag's expiration as RFC 3339 UTC.
    pub event_data: Value,
}

impl Digest {
    /// The queue item that delivers this digest.
    pub fn queue_item(&self) -> NewItem {
        NewItem {
            queue_name: queue::canonical_name(&self.repository, EventName::RepoImageExpiry),
            body: queue::body(&self.notification_uuid, self.event_data.clone(), json!({})),
        }
    }
}

/// Builds the digests of the triggers that have tags to announce.
pub fn build(
    triggers: &[ClaimedTrigger],
    tags: &HashMap<i32, Vec<WindowTag>>,
    names: &HashMap<i32, (String, String)>,
    settings: &ScanSettings,
) -> Vec<Digest> {
    triggers
        .iter()
        .filter_map(|trigger| {
            let tags = tags.get(&trigger.id)?;
            let (namespace, name) = names.get(&trigger.repository_id)?;
            let window = trigger.window.clone().ok()?;
            let repository = RepositoryRef {
                namespace: namespace.clone(),
                name: name.clone(),
            };
            Some(Digest {
                notification_id: trigger.id,
                notification_uuid: trigger.uuid.clone(),
                method_id: trigger.method_id,
                event_data: event_data(settings, &repository, tags, window),
                repository,
                tag_ids: tags.iter().map(|t| t.tag_id).collect(),
            })
        })
        .collect()
}

fn event_data(
    settings: &ScanSettings,
    repository: &RepositoryRef,
    tags: &[WindowTag],
    window: ExpiryWindow,
) -> Value {
    let expirations: Map<String, Value> = tags
        .iter()
        .map(|tag| (tag.name.clone(), Value::String(rfc3339_ms(tag.expires_ms))))
        .collect();
    let mut extra = Map::new();
    extra.insert("tags".into(), tags.iter().map(|t| t.name.clone()).collect());
    extra.insert("expiring_in".into(), window.expiring_in().into());
    extra.insert("tag_expirations".into(), Value::Object(expirations));
    repository_event_data(&settings.urls, repository, extra)
}

fn rfc3339_ms(epoch_ms: i64) -> String {
    DateTime::from_timestamp_millis(epoch_ms)
        .map(|at| at.to_rfc3339_opts(SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// Forgets that a digest's tags were announced, so that the next scan announces them again
/// (used when the digest is finally given up). Tags are named, as in the payload.
pub async fn forget_announced(
    tx: &mut Tx,
    notification_uuid: &str,
    tag_names: &[String],
) -> Result<u64, sqlx::Error> {
    if tag_names.is_empty() {
        return Ok(0);
    }
    on_tx!(tx, conn => {
        let mut delete = QueryBuilder::new(
            "DELETE FROM tagnotificationsuccess WHERE notification_id IN \
             (SELECT id FROM repositorynotification WHERE uuid = ",
        );
        delete.push_bind(notification_uuid);
        delete.push(
            ") AND tag_id IN (SELECT t.id FROM tag t JOIN repositorynotification rn \
             ON rn.repository_id = t.repository_id WHERE rn.uuid = ",
        );
        delete.push_bind(notification_uuid);
        delete.push(" AND t.name IN (");
        let mut names = delete.separated(", ");
        for name in tag_names {
            names.push_bind(name);
        }
        delete.push("))");
        delete.build().execute(conn).await.map(|done| done.rows_affected())
    })
}
