//! Delivering queued notifications: payloads, retries, the failure threshold, Quay's own items.

mod support;

use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use regnotify::admin;
use serde_json::{Value, json};
use support::{Behaviour, Fixture, TestDb, digest_tags};

/// The JSON example of the Quay docs' notifications chapter that has `key`.
fn quay_docs_example(key: &str) -> Value {
    let chapter = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/quay/notifications-chapter.txt"
    ))
    .expect("the Quay docs chapter in ../shared/quay");
    let line = chapter
        .lines()
        .find(|line| line.contains(&format!("\"{key}\"")))
        .unwrap_or_else(|| panic!("an example with {key}"));
    serde_json::from_str(line.trim()).expect("the example is JSON")
}

/// Waits out the retry delay of the fixtures' one-second schedule (+20% jitter).
async fn wait_for_retry() {
    tokio::time::sleep(StdDuration::from_millis(1300)).await;
}

both_databases! {
    async fn the_digest_is_shaped_like_the_quay_docs_example(db: TestDb) {
        let fx = Fixture::new(db).await;
        let repo = fx.repository("sample_org/busybox").await;
        fx.trigger(&repo, 1).await;
        fx.tag(&repo, "latest", Some(Utc::now() + Duration::hours(10))).await;
        fx.tag(&repo, "v1", Some(Utc::now() + Duration::hours(20))).await;

        let first = fx.run_once().await;
        let second = fx.run_once().await;

        let requests = fx.receiver.requests();
        assert_eq!(requests.len(), 1, "exactly one digest, and none on the second run");
        assert_eq!(requests[0].header("content-type"), Some("application/json"));
        let mut body = requests[0].json.clone().expect("a JSON body");
        let expirations = body.as_object_mut().unwrap().remove("tag_expirations").unwrap();
        assert_eq!(body, quay_docs_example("expiring_in"));
        assert_eq!(expirations.as_object().unwrap().len(), 2);
        assert!(expirations["latest"].as_str().unwrap().ends_with('Z'));
        assert_eq!((first.scan.digests_queued, first.deliveries.sent), (1, 1));
        assert_eq!((second.scan.tags_announced, second.deliveries.sent), (0, 0));
    }

    async fn a_receiver_that_fails_then_recovers_gets_the_digest(db: TestDb) {
        let fx = Fixture::new(db).await;
        let repo = fx.repository("acme/app").await;
        fx.trigger(&repo, 3).await;
        fx.tag(&repo, "v1", Some(Utc::now() + Duration::days(1))).await;
        fx.receiver.set_behaviour(Behaviour::FailFirst { count: 1, status: 503 });

        let failed = fx.run_once().await;
        wait_for_retry().await;
        let recovered = fx.run_once().await;

        assert_eq!((failed.deliveries.failed, failed.waiting), (1, 1));
        assert_eq!((recovered.deliveries.sent, recovered.waiting), (1, 0));
        let statuses: Vec<u16> = fx.receiver.requests().iter().map(|r| r.status).collect();
        assert_eq!(statuses, [503, 200]);
        assert_eq!(fx.receiver.bodies()[0], fx.receiver.bodies()[1]);
        let ids: Vec<_> = fx.receiver.requests().iter()
            .map(|r| r.header("x-regnotify-delivery").expect("a delivery id").to_owned())
            .collect();
        assert_eq!(ids[0], ids[1], "a retry carries the same delivery id");
        assert_eq!(fx.count("SELECT COUNT(*) FROM repositorynotification \
                             WHERE number_of_failures = 0").await, 1);
        assert_eq!(fx.count("SELECT COUNT(*) FROM notifier_delivery_log \
                             WHERE outcome = 'failed' AND http_status = 503 AND attempt = 1").await, 1);
        assert_eq!(fx.count("SELECT COUNT(*) FROM notifier_delivery_log \
                             WHERE outcome = 'delivered' AND http_status = 200 AND attempt = 2").await, 1);
    }

    async fn the_threshold_disables_a_notification_and_a_reset_resumes_it(db: TestDb) {
        let mut fx = Fixture::new(db).await;
        fx.config.retry_schedule = vec![StdDuration::from_secs(1); 5];
        let repo = fx.repository("acme/app").await;
        let uuid = fx.trigger(&repo, 3).await;
        fx.tag(&repo, "v1", Some(Utc::now() + Duration::days(1))).await;
        fx.receiver.set_behaviour(Behaviour::Fail(500));

        for _ in 0..3 {
            fx.run_once().await;
            wait_for_retry().await;
        }
        let while_disabled = fx.run_once().await;
        let attempts_while_disabled = fx.receiver.requests().len();
        fx.receiver.set_behaviour(Behaviour::Succeed);
        admin::reset_notification(&fx.db, &repo, &uuid, 3).await.unwrap();
        let after_reset = fx.run_once().await;

        assert_eq!(attempts_while_disabled, 3, "the fourth attempt waits");
        assert_eq!((while_disabled.deliveries.sent, while_disabled.waiting), (0, 1));
        assert_eq!(after_reset.deliveries.sent, 1);
        assert_eq!(fx.receiver.requests().len(), 4);
        assert_eq!(fx.count("SELECT COUNT(*) FROM queueitem").await, 0);
    }

    async fn a_digest_given_up_announces_its_tags_again(db: TestDb) {
        let mut fx = Fixture::new(db).await;
        fx.config.failure_threshold = 10;
        let repo = fx.repository("acme/app").await;
        fx.trigger(&repo, 3).await;
        fx.tag(&repo, "v1", Some(Utc::now() + Duration::days(1))).await;
        fx.receiver.set_behaviour(Behaviour::Fail(500));

        fx.run_once().await;
        wait_for_retry().await;
        let last_try = fx.run_once().await;
        let rescanned = fx.scan_at(Utc::now() + Duration::hours(6)).await;

        assert_eq!(last_try.deliveries.failed, 1);
        assert_eq!(last_try.waiting, 0, "given up after its two attempts");
        assert_eq!(rescanned.digests.len(), 1);
        assert_eq!(digest_tags(&rescanned.digests[0].event_data), ["v1"]);
    }

    async fn queue_items_written_by_quay_are_delivered(db: TestDb) {
        let fx = Fixture::new(db).await;
        let repo = fx.repository("dgangaia/test").await;
        let uuid = fx.notification(&repo, "repo_push", json!({})).await;
        let event_data = quay_docs_example("updated_tags");
        // Quay's worker writes the body with Python's json.dumps and its DATETIME as text.
        let body = format!(
            r#"{{"notification_uuid": "{uuid}", "event_data": {event_data}, "performer_data": {{"entity_id": 1, "entity_name": "devtable"}}}}"#
        );
        let insert = match fx.db.kind() {
            regnotify::db::DbKind::Sqlite => "INSERT INTO queueitem (queue_name, body, available_after, \
                available, processing_expires, retries_remaining, state_id) VALUES \
                ('notification/dgangaia/test/repo_push/', $1, strftime('%Y-%m-%d %H:%M:%f', 'now', '-1 minute'), \
                1, NULL, 5, 'quay-state')",
            regnotify::db::DbKind::Postgres => "INSERT INTO queueitem (queue_name, body, available_after, \
                available, processing_expires, retries_remaining, state_id) VALUES \
                ('notification/dgangaia/test/repo_push/', $1, \
                (NOW() AT TIME ZONE 'UTC') - INTERVAL '1 minute', true, NULL, 5, 'quay-state')",
        };
        regnotify::on_db!(&fx.db, pool => sqlx::query(insert).bind(&body).execute(pool).await.map(|_| ()))
            .unwrap();

        let summary = fx.run_once().await;

        assert_eq!(summary.deliveries.sent, 1);
        assert_eq!(fx.receiver.bodies(), [event_data]);
        let id = fx.receiver.requests()[0].header("x-regnotify-delivery").unwrap().to_owned();
        assert!(id.starts_with("quay-"), "{id}");
        assert_eq!(fx.count("SELECT COUNT(*) FROM queueitem").await, 0);
    }

    async fn a_build_notification_only_fires_for_matching_refs(db: TestDb) {
        let fx = Fixture::new(db).await;
        let repo = fx.repository("acme/app").await;
        let uuid = fx.notification(&repo, "build_success", json!({"ref-regex": "refs/tags/.+"})).await;
        let items: Vec<regnotify::queue::NewItem> = ["refs/heads/main", "refs/tags/v1"]
            .iter()
            .map(|reference| regnotify::queue::NewItem {
                queue_name: "notification/acme/app/build_success/".into(),
                body: regnotify::queue::body(&uuid,
                    json!({"build_id": reference, "trigger_metadata": {"ref": reference}}), json!({})),
            })
            .collect();
        let mut tx = fx.db.begin_write().await.unwrap();
        regnotify::queue::enqueue(&mut tx, &items, Utc::now(), 2).await.unwrap();
        tx.commit().await.unwrap();

        let summary = fx.run_once().await;

        assert_eq!(summary.deliveries.sent, 1);
        assert_eq!(fx.receiver.bodies()[0]["build_id"], "refs/tags/v1");
        assert_eq!(fx.count("SELECT COUNT(*) FROM queueitem").await, 0, "the other is skipped");
    }

    async fn deliveries_this_regnotify_cannot_make_are_kept_not_dropped(db: TestDb) {
        let fx = Fixture::new(db).await;
        let repo = fx.repository("acme/app").await;
        let uuid = fx.notification(&repo, "repo_push", json!({})).await;
        fx.execute("UPDATE repositorynotification SET method_id = \
                    (SELECT id FROM externalnotificationmethod WHERE name = 'slack')").await;
        let quota = r#"{"notification_uuid": "quota-1", "notification_type": "namespace",
                        "event_data": {"namespace": "acme"}, "performer_data": {}}"#;
        let items = [
            regnotify::queue::NewItem {
                queue_name: "notification/acme/app/repo_push/".into(),
                body: regnotify::queue::body(&uuid, json!({"updated_tags": ["v1"]}), json!({})),
            },
            regnotify::queue::NewItem {
                queue_name: "notification/acme/quota_warning/".into(),
                body: quota.into(),
            },
        ];
        let mut tx = fx.db.begin_write().await.unwrap();
        regnotify::queue::enqueue(&mut tx, &items, Utc::now(), 6).await.unwrap();
        tx.commit().await.unwrap();

        let summary = fx.run_once().await;

        assert_eq!((summary.deliveries.sent, summary.deliveries.failed), (0, 0));
        assert_eq!(summary.waiting, 2);
        assert_eq!(fx.count("SELECT COUNT(*) FROM queueitem WHERE retries_remaining = 6").await, 2);
        assert_eq!(fx.count("SELECT COUNT(*) FROM notifier_delivery_log \
                             WHERE outcome = 'deferred'").await, 2);
        assert!(fx.receiver.requests().is_empty());
    }

    async fn a_webhook_template_shapes_the_body(db: TestDb) {
        let fx = Fixture::new(db).await;
        let repo = fx.repository("sample_org/busybox").await;
        let template = r#"{"text": "${tags[*]} of ${repository} expire in ${expiring_in}", "tags": "${tags[*]}"}"#;
        let new = admin::NewNotification {
            event: "repo_image_expiry".into(),
            method: "webhook".into(),
            config: json!({"url": fx.receiver.url("/hook"), "template": template}),
            event_config: json!({"days": 1}),
            title: None,
        };
        admin::add_notification(&fx.db, &repo, &new, &[]).await.unwrap();
        fx.tag(&repo, "latest", Some(Utc::now() + Duration::hours(10))).await;
        fx.tag(&repo, "v1", Some(Utc::now() + Duration::hours(20))).await;

        fx.run_once().await;

        assert_eq!(
            fx.receiver.bodies(),
            [json!({"text": "latest,v1 of sample_org/busybox expire in 1 days", "tags": ["latest", "v1"]})]
        );
    }
}
