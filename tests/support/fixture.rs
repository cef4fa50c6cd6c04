//! A migrated database with regnotify's admin actions at hand, and a recording receiver.

use std::time::Duration;

use chrono::{DateTime, Utc};
use regnotify::admin::{self, Expiration, NewNotification};
use regnotify::config::{Config, DatabaseUrl};
use regnotify::db::Db;
use regnotify::domain::{RepositoryRef, TagRef};
use regnotify::expiry::{self, Digest, ScanMode};
use regnotify::service;
use serde_json::{Value, json};

use super::{Receiver, TestDb};

/// A test's world: its database, a config pointing at it, and a receiver.
pub struct Fixture {
    /// The database (kept alive for the whole test).
    pub test_db: TestDb,
    /// An open pool on it, migrated.
    pub db: Db,
    /// The configuration the code under test gets.
    pub config: Config,
    /// A webhook receiver.
    pub receiver: Receiver,
}

impl Fixture {
    /// Migrates the database and starts a receiver; the config turns the expiry scan on, allows
    /// local receivers and retries quickly.
    pub async fn new(test_db: TestDb) -> Fixture {
        regnotify::install_crypto_provider();
        let config = Config {
            database: DatabaseUrl::parse(test_db.url()).expect("test database url"),
            feature_image_expiry_trigger: true,
            allow_private_targets: true,
            server_hostname: "quay-server.example.com".into(),
            retry_schedule: vec![Duration::from_secs(1)],
            notification_send_timeout: Duration::from_secs(2),
            ..Config::defaults()
        };
        let db = Db::connect(test_db.url(), 8).await.expect("database");
        regnotify::db::migrate(&db)
            .await
            .expect("migrated database");
        Fixture {
            test_db,
            db,
            config,
            receiver: Receiver::start().await,
        }
    }

    /// Adds organization `ns` and repository `ns/name`.
    pub async fn repository(&self, text: &str) -> RepositoryRef {
        let repository: RepositoryRef = text.parse().unwrap();
        let _ = admin::add_user(&self.db, &repository.namespace, None, true).await;
        admin::add_repository(&self.db, &repository)
            .await
            .expect("repository added");
        repository
    }

    /// Adds an image-expiry trigger with a `days` window posting to the receiver's `/hook`.
    pub async fn trigger(&self, repository: &RepositoryRef, days: u32) -> String {
        self.notification(repository, "repo_image_expiry", json!({"days": days}))
            .await
    }

    /// Adds a webhook notification for `event` posting to the receiver's `/hook`.
    pub async fn notification(
        &self,
        repository: &RepositoryRef,
        event: &str,
        event_config: Value,
    ) -> String {
        let new = NewNotification {
            event: event.into(),
            method: "webhook".into(),
            config: json!({"url": self.receiver.url("/hook")}),
            event_config,
            title: None,
        };
        admin::add_notification(&self.db, repository, &new, &[])
            .await
            .expect("notification added")
    }

    /// Sets `repo:tag` to expire at `at` (or never).
    pub async fn tag(&self, repository: &RepositoryRef, tag: &str, at: Option<DateTime<Utc>>) {
        let tag = TagRef {
            repository: repository.clone(),
            tag: tag.into(),
        };
        let expiration = at.map_or(Expiration::Never, Expiration::At);
        admin::set_tag(&self.db, &tag, expiration)
            .await
            .expect("tag set");
    }

    /// Runs one scan at `now`, committing.
    pub async fn scan_at(&self, now: DateTime<Utc>) -> Scanned {
        self.scan(now, ScanMode::Commit).await
    }

    /// Runs one scan at `now`, keeping the digests it built.
    pub async fn scan(&self, now: DateTime<Utc>, mode: ScanMode) -> Scanned {
        let settings = service::scan_settings(&self.config);
        let mut digests = Vec::new();
        let mut keep = |digest: &Digest| digests.push(digest.clone());
        let report = expiry::scan(&self.db, &settings, now, mode, &mut keep)
            .await
            .expect("scan");
        Scanned {
            triggers_scanned: report.triggers_scanned,
            tags_announced: report.tags_announced,
            digests,
        }
    }

    /// `run-once` in-process: scan now, then deliver.
    pub async fn run_once(&self) -> service::Summary {
        service::run_once(&self.config, &self.db, false, &mut |_| {})
            .await
            .expect("run-once")
    }

    /// Runs a statement returning one integer.
    pub async fn count(&self, sql: &'static str) -> i64 {
        regnotify::on_db!(&self.db, pool => sqlx::query_scalar(sql).fetch_one(pool).await)
            .expect("count")
    }

    /// Runs a statement that changes rows.
    pub async fn execute(&self, sql: &'static str) {
        regnotify::on_db!(&self.db, pool => sqlx::query(sql).execute(pool).await.map(|_| ()))
            .expect("statement");
    }
}

/// What a scan did, with the digests it built.
pub struct Scanned {
    /// Triggers claimed and scanned.
    pub triggers_scanned: usize,
    /// Tags announced.
    pub tags_announced: usize,
    /// The digests, in the order they were built.
    pub digests: Vec<Digest>,
}

/// The tags named in a digest, sorted.
pub fn digest_tags(body: &Value) -> Vec<String> {
    let mut tags: Vec<String> = body["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .map(|t| t.as_str().unwrap().to_owned())
        .collect();
    tags.sort();
    tags
}
