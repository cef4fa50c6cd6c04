//! The image-expiry scan: which tags are announced, when, and how often.

mod support;

use chrono::{Duration, Utc};
use support::{Fixture, TestDb, digest_tags};

both_databases! {
    async fn only_alive_visible_tags_inside_the_window_are_announced(db: TestDb) {
        let fx = Fixture::new(db).await;
        let repo = fx.repository("acme/app").await;
        fx.trigger(&repo, 3).await;
        let now = Utc::now() + Duration::hours(1);
        fx.tag(&repo, "expired", Some(now - Duration::minutes(1))).await;
        fx.tag(&repo, "at-the-edge", Some(now + Duration::days(3))).await;
        fx.tag(&repo, "just-beyond", Some(now + Duration::days(3) + Duration::milliseconds(1))).await;
        fx.tag(&repo, "inside", Some(now + Duration::days(1))).await;
        fx.tag(&repo, "hidden", Some(now + Duration::days(1))).await;
        fx.execute("UPDATE tag SET hidden = true WHERE name = 'hidden'").await;
        fx.tag(&repo, "forever", None).await;

        let report = fx.scan_at(now).await;

        assert_eq!(report.triggers_scanned, 1);
        assert_eq!(report.digests.len(), 1);
        assert_eq!(digest_tags(&report.digests[0].event_data), ["at-the-edge", "inside"]);
    }

    async fn a_tag_is_never_announced_twice(db: TestDb) {
        let fx = Fixture::new(db).await;
        let repo = fx.repository("acme/app").await;
        fx.trigger(&repo, 3).await;
        fx.tag(&repo, "v1", Some(Utc::now() + Duration::days(2))).await;
        let now = Utc::now();

        let first = fx.scan_at(now).await;
        let much_later = fx.scan_at(now + Duration::hours(6)).await;

        assert_eq!(first.tags_announced, 1);
        assert_eq!(much_later.triggers_scanned, 0, "nothing is left to announce: not even claimed");
        assert_eq!(much_later.tags_announced, 0);
        assert_eq!(fx.count("SELECT COUNT(*) FROM queueitem").await, 1);
    }

    async fn a_changed_expiration_is_announced_again(db: TestDb) {
        let fx = Fixture::new(db).await;
        let repo = fx.repository("acme/app").await;
        fx.trigger(&repo, 3).await;
        fx.tag(&repo, "v1", Some(Utc::now() + Duration::days(2))).await;
        let now = Utc::now();
        fx.scan_at(now).await;

        fx.tag(&repo, "v1", Some(Utc::now() + Duration::days(1))).await;
        let again = fx.scan_at(now + Duration::hours(6)).await;

        assert_eq!(again.digests.len(), 1);
        assert_eq!(digest_tags(&again.digests[0].event_data), ["v1"]);
    }

    async fn a_trigger_is_not_rescanned_within_its_interval(db: TestDb) {
        let fx = Fixture::new(db).await;
        let repo = fx.repository("acme/app").await;
        fx.trigger(&repo, 3).await;
        let now = Utc::now();
        fx.tag(&repo, "first", Some(now + Duration::days(1))).await;
        fx.scan_at(now).await;
        // Inside the window, but it expires after the next regular run (300 minutes away).
        fx.tag(&repo, "later", Some(now + Duration::days(2))).await;

        let within_interval = fx.scan_at(now + Duration::minutes(10)).await;
        let after_interval = fx.scan_at(now + Duration::minutes(301)).await;

        assert_eq!(within_interval.triggers_scanned, 0);
        assert_eq!(after_interval.triggers_scanned, 1);
        assert_eq!(digest_tags(&after_interval.digests[0].event_data), ["later"]);
    }

    async fn a_tag_expiring_before_the_next_run_is_announced_at_once(db: TestDb) {
        let fx = Fixture::new(db).await;
        let repo = fx.repository("acme/app").await;
        fx.trigger(&repo, 3).await;
        let now = Utc::now();
        fx.tag(&repo, "first", Some(now + Duration::days(1))).await;
        fx.scan_at(now).await;
        fx.tag(&repo, "short-lived", Some(now + Duration::hours(2))).await;

        let report = fx.scan_at(now + Duration::minutes(10)).await;

        assert_eq!(report.triggers_scanned, 1);
        assert_eq!(digest_tags(&report.digests[0].event_data), ["short-lived"]);
    }

    async fn each_trigger_gets_its_own_digest(db: TestDb) {
        let fx = Fixture::new(db).await;
        let repo = fx.repository("acme/app").await;
        let wide = fx.trigger(&repo, 7).await;
        let narrow = fx.trigger(&repo, 1).await;
        fx.tag(&repo, "soon", Some(Utc::now() + Duration::hours(12))).await;
        fx.tag(&repo, "later", Some(Utc::now() + Duration::days(5))).await;

        let report = fx.scan_at(Utc::now()).await;

        let digest = |uuid: &str| report.digests.iter().find(|d| d.notification_uuid == uuid).unwrap();
        assert_eq!(report.digests.len(), 2);
        assert_eq!(digest_tags(&digest(&wide).event_data), ["later", "soon"]);
        assert_eq!(digest_tags(&digest(&narrow).event_data), ["soon"]);
        assert_eq!(digest(&narrow).event_data["expiring_in"], "1 days");
    }

    async fn disabled_triggers_and_invalid_windows_announce_nothing(db: TestDb) {
        let fx = Fixture::new(db).await;
        let repo = fx.repository("acme/app").await;
        fx.trigger(&repo, 3).await;
        fx.execute("UPDATE repositorynotification SET number_of_failures = 3").await;
        let other = fx.repository("acme/other").await;
        fx.trigger(&other, 3).await;
        fx.execute("UPDATE repositorynotification SET event_config_json = '{\"days\": 0}' \
                    WHERE number_of_failures = 0").await;
        fx.tag(&repo, "v1", Some(Utc::now() + Duration::days(1))).await;
        fx.tag(&other, "v1", Some(Utc::now() + Duration::days(1))).await;

        let report = fx.scan_at(Utc::now()).await;

        assert_eq!(report.triggers_scanned, 0, "one is disabled, the other's window is invalid");
        assert!(report.digests.is_empty());
    }

    async fn auto_prune_policies_add_their_tags_once(db: TestDb) {
        let mut fx = Fixture::new(db).await;
        fx.config.feature_auto_prune = true;
        let repo = fx.repository("acme/app").await;
        fx.trigger(&repo, 3).await;
        fx.tag(&repo, "old", None).await;
        fx.tag(&repo, "new", Some(Utc::now() + Duration::days(2))).await;
        fx.execute("UPDATE tag SET lifetime_start_ms = lifetime_start_ms - 10 * 86400000 \
                    WHERE name = 'old'").await;
        fx.execute("INSERT INTO repositoryautoprunepolicy (uuid, repository_id, namespace_id, policy) \
                    SELECT 'p1', r.id, r.namespace_user_id, \
                    '{\"method\": \"creation_date\", \"value\": \"7d\"}' FROM repository r").await;

        let now = Utc::now();
        let first = fx.scan_at(now).await;
        let second = fx.scan_at(now + Duration::hours(6)).await;

        assert_eq!(digest_tags(&first.digests[0].event_data), ["new", "old"]);
        assert_eq!(second.tags_announced, 0, "pruned tags are announced once too");
    }

    async fn a_trigger_whose_only_tags_are_pruned_is_scanned_too(db: TestDb) {
        let mut fx = Fixture::new(db).await;
        fx.config.feature_auto_prune = true;
        let repo = fx.repository("acme/app").await;
        fx.trigger(&repo, 3).await;
        fx.tag(&repo, "old", None).await;
        fx.execute("UPDATE tag SET lifetime_start_ms = lifetime_start_ms - 10 * 86400000").await;
        fx.execute("INSERT INTO namespaceautoprunepolicy (uuid, namespace_id, policy) \
                    SELECT 'p1', id, '{\"method\": \"number_of_tags\", \"value\": 0}' \
                    FROM \"user\" WHERE username = 'acme'").await;

        let with_policy = fx.scan_at(Utc::now()).await;
        fx.config.feature_auto_prune = false;
        let without_feature = fx.scan_at(Utc::now() + Duration::hours(6)).await;

        assert_eq!(digest_tags(&with_policy.digests[0].event_data), ["old"]);
        assert_eq!(without_feature.triggers_scanned, 0);
    }

    async fn a_dry_run_changes_nothing(db: TestDb) {
        let fx = Fixture::new(db).await;
        let repo = fx.repository("acme/app").await;
        fx.trigger(&repo, 3).await;
        fx.tag(&repo, "v1", Some(Utc::now() + Duration::days(1))).await;

        let dry = fx.scan(Utc::now(), regnotify::expiry::ScanMode::DryRun).await;

        assert_eq!(dry.digests.len(), 1);
        assert_eq!(fx.count("SELECT COUNT(*) FROM queueitem").await, 0);
        assert_eq!(fx.count("SELECT COUNT(*) FROM tagnotificationsuccess").await, 0);
        assert_eq!(fx.count("SELECT COUNT(*) FROM repositorynotification \
                             WHERE last_ran_ms IS NOT NULL").await, 0);
    }
}
