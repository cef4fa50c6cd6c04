//! regnotify as operators run it: separate processes, started together, killed, stopped, or
//! given a bad config.

mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use support::{Behaviour, Fixture, TestDb};

const BINARY: &str = env!("CARGO_BIN_EXE_regnotify");

/// A config file for child processes: the scan on, local receivers allowed, a short send
/// timeout (so that a lease, twice the timeout plus 10 s, runs out quickly).
fn write_config(dir: &Path, extra: &str) -> PathBuf {
    let path = dir.join("config.yaml");
    let text = format!(
        "FEATURE_IMAGE_EXPIRY_TRIGGER: true\nNOTIFICATION_ALLOW_PRIVATE_TARGETS: true\n\
         NOTIFICATION_SEND_TIMEOUT: 1\nNOTIFICATION_RETRY_SCHEDULE_SECONDS: [1]\n\
         SERVER_HOSTNAME: quay.example.com\n{extra}"
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn regnotify(config: &Path, database_url: &str) -> Command {
    let mut command = Command::new(BINARY);
    command
        .arg("--config")
        .arg(config)
        .env("DATABASE_URL", database_url)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn text(output: &[u8]) -> String {
    String::from_utf8_lossy(output).into_owned()
}

/// The summary line `name: value` of `run-once`'s output.
fn summary_value(output: &Output, name: &str) -> i64 {
    let stdout = text(&output.stdout);
    stdout
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{name}: ")))
        .unwrap_or_else(|| panic!("no `{name}` in:\n{stdout}"))
        .parse()
        .unwrap()
}

/// Twenty repositories, each with a trigger and three tags inside its window.
async fn twenty_repositories(fx: &Fixture) -> usize {
    for n in 0..20 {
        let repo = fx.repository(&format!("acme/app{n}")).await;
        fx.trigger(&repo, 3).await;
        for tag in ["a", "b", "c"] {
            fx.tag(&repo, tag, Some(Utc::now() + Duration::days(1)))
                .await;
        }
    }
    60
}

/// How many times each `repository:tag` was announced in these digests.
fn announcements(requests: &[support::Recorded]) -> HashMap<String, usize> {
    let mut seen = HashMap::new();
    for request in requests {
        let body = request.json.clone().expect("JSON digest");
        for tag in body["tags"].as_array().unwrap() {
            let key = format!(
                "{}:{}",
                body["repository"].as_str().unwrap(),
                tag.as_str().unwrap()
            );
            *seen.entry(key).or_insert(0) += 1;
        }
    }
    seen
}

both_databases! {
    async fn two_run_once_processes_started_together_announce_each_tag_once(db: TestDb) {
        let fx = Fixture::new(db).await;
        let tags = twenty_repositories(&fx).await;
        let dir = tempfile::tempdir().unwrap();
        let config = write_config(dir.path(), "");

        let first = regnotify(&config, fx.test_db.url()).arg("run-once").spawn().unwrap();
        let second = regnotify(&config, fx.test_db.url()).arg("run-once").spawn().unwrap();
        let (first, second) = (first.wait_with_output().unwrap(), second.wait_with_output().unwrap());

        assert!(first.status.success(), "{}", text(&first.stderr));
        assert!(second.status.success(), "{}", text(&second.stderr));
        let seen = announcements(&fx.receiver.requests());
        let ids: std::collections::HashSet<_> = fx.receiver.requests().iter()
            .map(|r| r.header("x-regnotify-delivery").unwrap().to_owned())
            .collect();
        assert_eq!(ids.len(), 20, "each digest has its own delivery id");
        assert_eq!(seen.len(), tags);
        assert!(seen.values().all(|count| *count == 1), "{seen:?}");
        assert_eq!(summary_value(&first, "tags announced") + summary_value(&second, "tags announced"), 60);
    }

    async fn a_process_killed_with_deliveries_in_flight_loses_none(db: TestDb) {
        let fx = Fixture::new(db).await;
        let tags = twenty_repositories(&fx).await;
        let dir = tempfile::tempdir().unwrap();
        let config = write_config(dir.path(), "NOTIFICATION_WORKER_CONCURRENCY: 4\n");
        fx.receiver.set_behaviour(Behaviour::Delay(StdDuration::from_secs(30)));

        let mut doomed = regnotify(&config, fx.test_db.url()).arg("run-once").spawn().unwrap();
        fx.receiver.wait_for(4, StdDuration::from_secs(30)).await;
        doomed.kill().unwrap();
        doomed.wait().unwrap();
        let recorded_before_the_kill = fx.count("SELECT COUNT(*) FROM notifier_delivery_log").await;
        fx.receiver.set_behaviour(Behaviour::Succeed);
        // The killed process's claims are leased for 2 × 1 s + 10 s.
        tokio::time::sleep(StdDuration::from_secs(13)).await;
        let survivor = regnotify(&config, fx.test_db.url()).arg("run-once").output().unwrap();

        assert!(survivor.status.success(), "{}", text(&survivor.stderr));
        assert_eq!(recorded_before_the_kill, 0, "its deliveries were all in flight when killed");
        // The first four requests are the ones the killed process had in flight.
        let requests = fx.receiver.requests();
        let (interrupted, after_the_kill) = requests.split_at(4);
        assert_eq!(announcements(after_the_kill).len(), tags, "every digest was delivered after the kill");
        assert_eq!(fx.count("SELECT COUNT(*) FROM queueitem").await, 0);
        let id = |r: &support::Recorded| r.header("x-regnotify-delivery").unwrap().to_owned();
        let redelivered: Vec<String> = after_the_kill.iter().map(id).collect();
        assert!(interrupted.iter().all(|r| redelivered.contains(&id(r))),
            "a delivery sent again after the kill carries its first id");
    }

    async fn the_service_delivers_and_stops_cleanly_on_sigterm(db: TestDb) {
        let fx = Fixture::new(db).await;
        let repo = fx.repository("acme/app").await;
        fx.trigger(&repo, 3).await;
        fx.tag(&repo, "v1", Some(Utc::now() + Duration::days(1))).await;
        let dir = tempfile::tempdir().unwrap();
        let config = write_config(dir.path(),
            "NOTIFICATION_SCHEDULER_TICK_SECONDS: 1\nNOTIFICATION_WORKER_POLL_SECONDS: 1\n");

        let service = regnotify(&config, fx.test_db.url()).arg("run").spawn().unwrap();
        fx.receiver.wait_for(1, StdDuration::from_secs(20)).await;
        let pid = service.id().to_string();
        let signalled = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let output = service.wait_with_output().unwrap();

        assert!(signalled.success());
        assert!(output.status.success(), "{}", text(&output.stderr));
        assert!(text(&output.stderr).contains("stopped"), "{}", text(&output.stderr));
        assert_eq!(fx.receiver.requests().len(), 1);
    }
}

#[test]
fn a_bad_config_value_fails_naming_the_key_the_file_and_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    std::fs::write(
        &config,
        "SERVER_HOSTNAME: quay\n\nNOTIFICATION_SEND_TIMEOUT: ten\n",
    )
    .unwrap();

    let output = Command::new(BINARY)
        .arg("--config")
        .arg(&config)
        .arg("check-config")
        .output()
        .unwrap();

    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("NOTIFICATION_SEND_TIMEOUT"), "{stderr}");
    assert!(stderr.contains("config.yaml:3"), "{stderr}");
}

#[test]
fn a_missing_explicit_config_file_is_an_error() {
    let output = Command::new(BINARY)
        .args(["--config", "/nonexistent/config.yaml", "check-config"])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("/nonexistent/config.yaml"));
}

/// `check-config` on one of the real Quay configs in `../shared/quay/config/`.
fn check_quay_config(name: &str) -> Output {
    let config = format!(
        "{}/../shared/quay/config/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    Command::new(BINARY)
        .args(["--config", &config, "check-config"])
        .output()
        .unwrap()
}

#[test]
fn quays_development_config_is_accepted_and_reports_the_scan_off() {
    let output = check_quay_config("local-dev.config.yaml");

    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("expiry scan: off (FEATURE_GARBAGE_COLLECTION is false)"),
        "{stdout}"
    );
}

#[test]
fn check_config_never_prints_the_secrets_of_quays_config_bundle() {
    let output = check_quay_config("config-bundle.config.yaml");

    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("DB_URI"), "{stdout}");
    for secret in [
        "user:pass@",
        "king",
        "strongpassword",
        "supersecretpassword",
    ] {
        assert!(!stdout.contains(secret), "{secret} leaked:\n{stdout}");
    }
}

#[tokio::test]
async fn run_once_refuses_a_postgres_database_without_the_schema() {
    let Some(db) = TestDb::postgres_or_skip().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "");

    let output = regnotify(&config, db.url())
        .arg("run-once")
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("regnotify migrate"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn a_relative_sqlite_url_creates_its_file_in_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();

    let output = Command::new(BINARY)
        .arg("migrate")
        .current_dir(dir.path())
        .env("DATABASE_URL", "sqlite://relative.db")
        .output()
        .unwrap();

    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(dir.path().join("relative.db").exists());
}

#[test]
fn without_a_config_file_the_scan_is_off_as_in_quay_and_the_log_says_why() {
    let dir = tempfile::tempdir().unwrap();

    let output = Command::new(BINARY)
        .arg("run-once")
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();

    let stderr = text(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        dir.path().join("regnotify.db").exists(),
        "the default SQLite file"
    );
    assert_eq!(
        stderr.matches("image-expiry scan is off").count(),
        1,
        "{stderr}"
    );
    assert!(
        stderr.contains("FEATURE_IMAGE_EXPIRY_TRIGGER is false"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_and_the_delivery_log_never_show_a_webhook_urls_secrets() {
    let fx = Fixture::new(TestDb::sqlite()).await;
    let repo = fx.repository("acme/app").await;
    let new = regnotify::admin::NewNotification {
        event: "repo_image_expiry".into(),
        method: "webhook".into(),
        config: serde_json::json!({"url": fx.receiver.url("/hook/s3cr3t-token?key=hunter2")}),
        event_config: serde_json::json!({"days": 3}),
        title: None,
    };
    regnotify::admin::add_notification(&fx.db, &repo, &new, &[])
        .await
        .unwrap();
    fx.tag(&repo, "v1", Some(Utc::now() + Duration::days(1)))
        .await;
    fx.receiver.set_behaviour(Behaviour::Fail(500));
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "");

    let output = regnotify(&config, fx.test_db.url())
        .args(["--log-format", "json", "run-once"])
        .output()
        .unwrap();

    let stderr = text(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("delivery attempt"), "{stderr}");
    for line in stderr.lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("every log line is JSON");
    }
    let logged_error: String = regnotify::on_db!(&fx.db, pool => sqlx::query_scalar(
        "SELECT error FROM notifier_delivery_log WHERE outcome = 'failed'",
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    for secret in ["s3cr3t", "hunter2"] {
        assert!(!stderr.contains(secret), "{secret} in the log:\n{stderr}");
        assert!(
            !logged_error.contains(secret),
            "{secret} in the delivery log: {logged_error}"
        );
    }
}
