//! regnotify on a database built from Quay's own published SQLite schema and seed rows, driven
//! through the command line as a newcomer would.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use sqlx::{AssertSqlSafe, Connection, SqliteConnection};
use support::Receiver;

const BINARY: &str = env!("CARGO_BIN_EXE_regnotify");
const QUAY_SCHEMA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/quay/schema/quay_schema.sql"
);
const QUAY_SEED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/quay/schema/seed_data.sql"
);
const EXAMPLE_CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.yaml");

/// A SQLite file holding Quay's schema and seed rows, as Quay itself would have created it.
async fn quay_database(dir: &Path) -> String {
    let url = format!("sqlite://{}/quay.db?mode=rwc", dir.display());
    let mut conn = SqliteConnection::connect(&url).await.unwrap();
    for file in [QUAY_SCHEMA, QUAY_SEED] {
        let sql = std::fs::read_to_string(file).expect("Quay's schema in ../shared/quay/schema");
        sqlx::raw_sql(AssertSqlSafe(sql))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    conn.close().await.unwrap();
    format!("sqlite://{}/quay.db", dir.display())
}

/// Every table and index definition except regnotify's own.
async fn quay_definitions(url: &str) -> Vec<(String, String, Option<String>)> {
    let mut conn = SqliteConnection::connect(url).await.unwrap();
    sqlx::query_as(
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name NOT LIKE 'notifier_%' ORDER BY name",
    )
        .fetch_all(&mut conn)
        .await
        .unwrap()
}

fn regnotify(url: &str, args: &[&str]) -> Output {
    let output = Command::new(BINARY)
        .args(["--config", EXAMPLE_CONFIG])
        .args(args)
        .env("DATABASE_URL", url)
        .env("REGNOTIFY_NOTIFICATION_ALLOW_PRIVATE_TARGETS", "true")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "regnotify {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_leaves_quays_tables_and_indexes_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let url = quay_database(dir.path()).await;
    let before = quay_definitions(&url).await;

    let output = regnotify(&url, &["migrate"]);

    let after = quay_definitions(&url).await;
    let changed: Vec<_> = after
        .iter()
        .filter(|definition| !before.contains(definition))
        .collect();
    let removed: Vec<_> = before
        .iter()
        .filter(|definition| !after.contains(definition))
        .collect();
    assert!(
        changed.is_empty() && removed.is_empty(),
        "added {changed:?}, removed {removed:?}"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains("created table"), "{stdout}");
    assert!(
        stdout.contains("inserted lookup row notificationkind.repo_image_expiry"),
        "{stdout}"
    );
    assert!(stdout.contains("applied regnotify migration 1"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_flow_runs_on_quays_own_schema() {
    let dir = tempfile::tempdir().unwrap();
    let url = quay_database(dir.path()).await;
    let receiver = Receiver::start().await;
    let hook = format!(r#"{{"url": "{}"}}"#, receiver.url("/hook"));

    regnotify(&url, &["migrate"]);
    regnotify(&url, &["user", "add", "sample_org", "--org"]);
    regnotify(&url, &["repo", "add", "sample_org/busybox"]);
    regnotify(
        &url,
        &[
            "tag",
            "set",
            "sample_org/busybox:latest",
            "--expires-in",
            "2d",
        ],
    );
    regnotify(
        &url,
        &[
            "notification",
            "add",
            "sample_org/busybox",
            "--event",
            "repo_image_expiry",
            "--method",
            "webhook",
            "--config",
            &hook,
            "--event-config",
            r#"{"days": 3}"#,
        ],
    );
    let dry_run = regnotify(&url, &["run-once", "--dry-run"]);
    let sent_by_dry_run = receiver.requests().len();
    let first = regnotify(&url, &["run-once"]);
    let second = regnotify(&url, &["run-once"]);

    let dry_run = String::from_utf8_lossy(&dry_run.stdout);
    assert!(
        dry_run.contains("would queue a digest for sample_org/busybox"),
        "{dry_run}"
    );
    assert_eq!(sent_by_dry_run, 0);
    let bodies = receiver.bodies();
    assert_eq!(bodies.len(), 1, "one digest, and nothing on the second run");
    assert_eq!(bodies[0]["tags"], serde_json::json!(["latest"]));
    assert_eq!(bodies[0]["expiring_in"], "3 days");
    assert_eq!(bodies[0]["docker_url"], "localhost:8080/sample_org/busybox");
    assert!(String::from_utf8_lossy(&first.stdout).contains("deliveries sent: 1"));
    assert!(String::from_utf8_lossy(&second.stdout).contains("deliveries sent: 0"));
}
