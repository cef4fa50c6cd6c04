//! The admin commands a standalone deployment needs, and their errors.

mod support;

use std::process::Command;

use chrono::{Duration, Utc};
use regnotify::admin::{self, Expiration, NewNotification, TagChange};
use regnotify::domain::TagRef;
use regnotify::error::Error;
use serde_json::json;
use support::{Fixture, TestDb};

fn webhook(event: &str, url: &str, event_config: serde_json::Value) -> NewNotification {
    NewNotification {
        event: event.into(),
        method: "webhook".into(),
        config: json!({"url": url}),
        event_config,
        title: Some("ops".into()),
    }
}

fn invalid_message(result: Result<impl std::fmt::Debug, Error>) -> String {
    match result {
        Err(Error::Invalid(message)) => message,
        other => panic!("expected invalid input, got {other:?}"),
    }
}

both_databases! {
    async fn notifications_are_listed_reset_and_removed(db: TestDb) {
        let fx = Fixture::new(db).await;
        let repo = fx.repository("acme/app").await;
        let uuid = fx.trigger(&repo, 3).await;
        fx.execute("UPDATE repositorynotification SET number_of_failures = 5").await;

        let listed = admin::list_notifications(&fx.db, &repo).await.unwrap();
        admin::reset_notification(&fx.db, &repo, &uuid, 3).await.unwrap();
        let after_reset = admin::list_notifications(&fx.db, &repo).await.unwrap();
        admin::remove_notification(&fx.db, &repo, &uuid).await.unwrap();
        let removed_twice = admin::remove_notification(&fx.db, &repo, &uuid).await;

        assert_eq!(listed.len(), 1);
        assert_eq!((listed[0].event.as_str(), listed[0].method.as_str()), ("repo_image_expiry", "webhook"));
        assert_eq!(listed[0].number_of_failures, 5);
        assert_eq!(after_reset[0].number_of_failures, 0);
        assert!(admin::list_notifications(&fx.db, &repo).await.unwrap().is_empty());
        assert!(invalid_message(removed_twice).contains(&uuid));
    }

    async fn a_notification_of_another_repository_cannot_be_touched(db: TestDb) {
        let fx = Fixture::new(db).await;
        let mine = fx.repository("acme/app").await;
        let theirs = fx.repository("other/app").await;
        let uuid = fx.trigger(&theirs, 3).await;

        let reset = admin::reset_notification(&fx.db, &mine, &uuid, 3).await;
        let removed = admin::remove_notification(&fx.db, &mine, &uuid).await;

        assert!(invalid_message(reset).contains("acme/app"));
        assert!(invalid_message(removed).contains("acme/app"));
        assert_eq!(admin::list_notifications(&fx.db, &theirs).await.unwrap().len(), 1);
    }

    async fn bad_notifications_are_refused_with_a_reason_and_nothing_is_written(db: TestDb) {
        let fx = Fixture::new(db).await;
        let repo = fx.repository("acme/app").await;
        let quay_blacklist = ["localhost".to_owned(), "127.0.0.1".to_owned()];
        let add = |new: NewNotification| {
            let (db, repo, blacklist) = (fx.db.clone(), repo.clone(), quay_blacklist.clone());
            async move { admin::add_notification(&db, &repo, &new, &blacklist).await }
        };

        let unknown_event = add(webhook("repo_pushed", "https://example.com", json!({}))).await;
        let local_url = add(webhook("repo_push", "http://localhost:5000/x", json!({}))).await;
        let no_url = add(webhook("repo_push", "", json!({}))).await;
        let zero_days = add(webhook("repo_image_expiry", "https://example.com", json!({"days": 0}))).await;
        let bad_regex = add(webhook("build_success", "https://example.com", json!({"ref-regex": "]["}))).await;
        let bad_template = add(NewNotification {
            config: json!({"url": "https://example.com", "template": "{\"a\": \"${}\"}"}),
            ..webhook("repo_push", "", json!({}))
        }).await;
        let slack = add(NewNotification { method: "slack".into(), ..webhook("repo_push", "https://x", json!({})) }).await;

        assert!(invalid_message(unknown_event).contains("unknown event `repo_pushed`"));
        assert_eq!(invalid_message(local_url), "Invalid webhook URL");
        assert_eq!(invalid_message(no_url), "Missing webhook URL");
        assert!(invalid_message(zero_days).contains("days"));
        assert!(invalid_message(bad_regex).contains("ref-regex"));
        assert_eq!(invalid_message(bad_template), "Empty expression found");
        assert!(invalid_message(slack).contains("not supported yet"));
        assert_eq!(fx.count("SELECT COUNT(*) FROM repositorynotification").await, 0);
    }

    async fn tag_set_creates_changes_and_clears_expirations(db: TestDb) {
        let fx = Fixture::new(db).await;
        let repo = fx.repository("acme/app").await;
        let tag = TagRef { repository: repo.clone(), tag: "v1".into() };
        let at = Utc::now() + Duration::days(2);

        let created = admin::set_tag(&fx.db, &tag, Expiration::At(at)).await.unwrap();
        let unchanged = admin::set_tag(&fx.db, &tag, Expiration::At(at)).await.unwrap();
        let cleared = admin::set_tag(&fx.db, &tag, Expiration::Never).await.unwrap();
        let in_the_past = admin::set_tag(&fx.db, &tag, Expiration::At(Utc::now() - Duration::hours(1))).await;
        let no_repository = admin::set_tag(&fx.db, &TagRef { repository: "acme/none".parse().unwrap(),
            tag: "v1".into() }, Expiration::Never).await;

        assert_eq!((created, unchanged, cleared), (TagChange::Created, TagChange::Unchanged, TagChange::Changed));
        assert_eq!(fx.count("SELECT COUNT(*) FROM tag WHERE lifetime_end_ms IS NULL").await, 1);
        assert!(invalid_message(in_the_past).contains("in the past"));
        assert!(invalid_message(no_repository).contains("regnotify repo add acme/none"));
    }

    async fn users_and_repositories_are_not_created_twice(db: TestDb) {
        let fx = Fixture::new(db).await;
        let repo = fx.repository("acme/app").await;

        let user_again = admin::add_user(&fx.db, "acme", None, true).await;
        let repo_again = admin::add_repository(&fx.db, &repo).await;
        let no_namespace = admin::add_repository(&fx.db, &"ghost/app".parse().unwrap()).await;

        assert!(invalid_message(user_again).contains("already exists"));
        assert!(invalid_message(repo_again).contains("already exists"));
        assert!(invalid_message(no_namespace).contains("regnotify user add ghost"));
    }
}

#[test]
fn invalid_input_on_the_command_line_exits_with_2_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_regnotify"))
            .args(args)
            .current_dir(dir.path())
            .env_remove("DATABASE_URL")
            .output()
            .unwrap()
    };

    let bad_tag = run(&["tag", "set", "acme/app", "--no-expiry"]);
    let bad_duration = run(&["tag", "set", "acme/app:v1", "--expires-in", "3 days"]);
    let missing_repo = run(&["repo", "add", "acme/app"]);

    for (output, expected) in [
        (&bad_tag, "NAMESPACE/REPO:TAG"),
        (&bad_duration, "is not a duration"),
        (&missing_repo, "namespace acme does not exist"),
    ] {
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
    }
}
