//! `cargo bench --bench expiry_scan`: the expiry scan against its floor and Quay's algorithm.
//!
//! Seeds 10,000 repositories, each with an image-expiry trigger (3-day window), and N tags spread
//! over them, 1% of which expire inside the windows. Then, on the same data:
//! - floor: the one indexed query that returns the same tags (read only);
//! - quay: Quay's algorithm, per trigger the notified tag ids, then a `NOT IN` query;
//! - scan: regnotify's scan, which also records the announced tags and queues the digests;
//! - the peak resident memory of the process during the scan (each size runs in a fresh child
//!   process, and the peak is reset after seeding).
//!
//! Environment: `REGNOTIFY_BENCH_TAGS` (default `100000,1000000`), `REGNOTIFY_BENCH_DATABASES`
//! (default `sqlite,postgres`), `TEST_DATABASE_URL` (default the local PostgreSQL).
//! The last lines read `expiry_scan <db>: tags=N scan_ms=X floor_ms=Y quay_ms=Z peak_rss_mib=M`.

use std::process::Command;
use std::time::Instant;

use chrono::{Duration, Utc};
use regnotify::db::{Db, DbKind};
use regnotify::domain::RegistryUrls;
use regnotify::expiry::{self, ScanMode, ScanSettings};
use regnotify::on_db;
use sqlx::{AssertSqlSafe, Row};

const REPOSITORIES: i64 = 10_000;
const WINDOW_DAYS: i64 = 3;
const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--child") {
        let database = args[at + 1].clone();
        let tags: i64 = args[at + 2].parse().expect("tag count");
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        runtime.block_on(child(&database, tags));
        return;
    }
    parent();
}

/// Runs every measurement in its own process and prints the comparison.
fn parent() {
    let sizes = env_list("REGNOTIFY_BENCH_TAGS", "100000,1000000");
    let databases = env_list("REGNOTIFY_BENCH_DATABASES", "sqlite,postgres");
    let exe = std::env::current_exe().expect("bench binary");
    println!(
        "expiry_scan: {REPOSITORIES} repositories with one trigger each, 1% of tags in window"
    );
    let mut finals = Vec::new();
    for database in &databases {
        for size in &sizes {
            let output = Command::new(&exe)
                .args(["--child", database, size])
                .output()
                .expect("child");
            let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
            if !output.status.success() {
                eprintln!("{stdout}{}", String::from_utf8_lossy(&output.stderr));
                panic!("the {database} run with {size} tags failed");
            }
            print!("{stdout}");
            if let Some(line) = stdout.lines().find(|l| l.starts_with("expiry_scan ")) {
                finals.push(line.to_owned());
            }
        }
    }
    println!(
        "\nlimits: scan within 2x of floor, at least 5x faster than quay, memory flat in tags"
    );
    for line in finals {
        println!("{line}");
    }
}

fn env_list(name: &str, default: &str) -> Vec<String> {
    std::env::var(name)
        .unwrap_or_else(|_| default.to_owned())
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// One measurement: seed, floor, Quay's algorithm, then the scan with its peak memory.
async fn child(database: &str, tags: i64) {
    regnotify::install_crypto_provider();
    let (url, cleanup) = fresh_database(database).await;
    let db = Db::connect(&url, 4).await.expect("connect");
    regnotify::db::migrate(&db).await.expect("migrate");

    let now = Utc::now();
    let started = Instant::now();
    let expected = seed(&db, tags, now.timestamp_millis()).await;
    println!(
        "  {database} {tags} tags: seeded in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let window_end = (now + Duration::days(WINDOW_DAYS)).timestamp_millis();
    let (floor_ms, floor_rows) =
        best_of(3, || floor(&db, now.timestamp_millis(), window_end)).await;
    let (quay_ms, quay_rows) = best_of(1, || quay(&db, now.timestamp_millis())).await;
    assert_eq!(
        (floor_rows, quay_rows),
        (expected, expected),
        "every method finds the same tags"
    );

    reset_peak_rss();
    let started = Instant::now();
    let report = expiry::scan(&db, &settings(), now, ScanMode::Commit, &mut |_| {})
        .await
        .expect("scan");
    let scan_ms = started.elapsed().as_secs_f64() * 1000.0;
    let peak = peak_rss_mib();
    assert_eq!(
        report.tags_announced as i64, expected,
        "the scan announces every tag once"
    );
    assert_eq!(report.digests_queued as i64, expected.min(REPOSITORIES));

    println!(
        "  {database} {tags} tags: {expected} in windows; scan {scan_ms:.0} ms ({:.2}x floor, \
         {:.1}x faster than quay); floor {floor_ms:.0} ms; quay {quay_ms:.0} ms; peak {peak:.1} MiB",
        scan_ms / floor_ms,
        quay_ms / scan_ms
    );
    println!(
        "expiry_scan {database}: tags={tags} scan_ms={scan_ms:.0} floor_ms={floor_ms:.0} \
         quay_ms={quay_ms:.0} peak_rss_mib={peak:.1}"
    );
    db.close().await;
    cleanup.await;
}

fn settings() -> ScanSettings {
    ScanSettings {
        failure_threshold: 3,
        interval_ms: 300 * 60_000,
        auto_prune: false,
        urls: RegistryUrls {
            server_hostname: "quay.example.com".into(),
            scheme: "https".into(),
        },
        attempts: 6,
    }
}

async fn best_of<F, Fut>(runs: usize, mut run: F) -> (f64, i64)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = i64>,
{
    let mut best = f64::MAX;
    let mut rows = 0;
    for _ in 0..runs {
        let started = Instant::now();
        rows = run().await;
        best = best.min(started.elapsed().as_secs_f64() * 1000.0);
    }
    (best, rows)
}

/// A database nobody else uses, and how to remove it.
async fn fresh_database(kind: &str) -> (String, std::pin::Pin<Box<dyn Future<Output = ()>>>) {
    match kind {
        "sqlite" => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}/bench.db", dir.path().display());
            (url, Box::pin(async move { drop(dir) }))
        }
        "postgres" => {
            let admin =
                std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_POSTGRES.into());
            let schema = format!("regnotify_bench_{}", std::process::id());
            let pool = sqlx::PgPool::connect(&admin)
                .await
                .expect("PostgreSQL for the benchmark");
            let create = format!("CREATE SCHEMA {schema}");
            sqlx::query(AssertSqlSafe(create))
                .execute(&pool)
                .await
                .expect("schema");
            let separator = if admin.contains('?') { '&' } else { '?' };
            let url = format!("{admin}{separator}options=-c%20search_path%3D{schema}");
            let drop_schema = format!("DROP SCHEMA {schema} CASCADE");
            let cleanup = async move {
                let _ = sqlx::query(AssertSqlSafe(drop_schema)).execute(&pool).await;
            };
            (url, Box::pin(cleanup))
        }
        other => panic!("unknown database {other} (use sqlite or postgres)"),
    }
}

/// Seeds the repositories, triggers and tags; returns how many tags expire inside the windows.
async fn seed(db: &Db, tags: i64, now_ms: i64) -> i64 {
    regnotify::admin::add_user(db, "bench", None, true)
        .await
        .expect("namespace");
    let per_repository = tags / REPOSITORIES;
    let (series, uuid) = match db.kind() {
        DbKind::Postgres => (
            "generate_series($1::bigint, $2::bigint) AS s(value)",
            "gen_random_uuid()::text",
        ),
        DbKind::Sqlite => ("series AS s", "lower(hex(randomblob(16)))"),
    };
    let with_series = match db.kind() {
        DbKind::Postgres => String::new(),
        DbKind::Sqlite => "WITH RECURSIVE series(value) AS (SELECT $1 UNION ALL \
                           SELECT value + 1 FROM series WHERE value < $2) "
            .to_owned(),
    };
    let repositories = format!(
        "{with_series}INSERT INTO repository (namespace_user_id, name, visibility_id, description, \
         badge_token, kind_id, trust_enabled, state) SELECT u.id, 'repo' || s.value, v.id, '', 'x', \
         k.id, false, 0 FROM {series}, \"user\" u, visibility v, repositorykind k \
         WHERE u.username = 'bench' AND v.name = 'private' AND k.name = 'image'"
    );
    execute(db, &repositories, 1, REPOSITORIES, 0).await;
    // Tag n of a repository: 1% expire inside the window, the rest never or in 60 days.
    let tag_rows = format!(
        "{with_series}INSERT INTO tag (name, repository_id, manifest_id, lifetime_start_ms, \
         lifetime_end_ms, hidden, reversion, tag_kind_id, immutable) \
         SELECT 't' || s.value, r.id, NULL, $3 - 2592000000, \
         CASE WHEN (r.id * {per_repository} + s.value) % 100 = 0 THEN $3 + 86400000 + s.value \
              WHEN s.value % 2 = 0 THEN NULL ELSE $3 + 5184000000 END, \
         false, false, k.id, false FROM repository r, {series}, tagkind k \
         WHERE k.name = 'tag'"
    );
    execute(db, &tag_rows, 0, per_repository - 1, now_ms).await;
    let triggers = format!(
        "INSERT INTO repositorynotification (uuid, repository_id, event_id, method_id, title, \
         config_json, event_config_json, number_of_failures, last_ran_ms) \
         SELECT {uuid}, r.id, e.id, m.id, NULL, '{{\"url\": \"https://hooks.example.com/h\"}}', \
         '{{\"days\": {WINDOW_DAYS}}}', 0, NULL FROM repository r, externalnotificationevent e, \
         externalnotificationmethod m WHERE e.name = 'repo_image_expiry' AND m.name = 'webhook'"
    );
    execute(db, &triggers, 0, 0, 0).await;
    execute(db, "ANALYZE", 0, 0, 0).await;

    let in_window = "SELECT COUNT(*) FROM tag WHERE lifetime_end_ms > $1 AND lifetime_end_ms <= $2";
    let window_end = now_ms + WINDOW_DAYS * 86_400_000;
    on_db!(db, pool => sqlx::query_scalar(in_window).bind(now_ms).bind(window_end).fetch_one(pool).await)
        .expect("count")
}

async fn execute(db: &Db, sql: &str, first: i64, last: i64, now_ms: i64) {
    let sql = sql.to_owned();
    let statement = on_db!(db, pool => {
        let query = sqlx::query(AssertSqlSafe(sql.clone()));
        let query = if sql.contains("$3") {
            query.bind(first).bind(last).bind(now_ms)
        } else if sql.contains("$1") {
            query.bind(first).bind(last)
        } else {
            query
        };
        query.execute(pool).await.map(|_| ())
    });
    statement.unwrap_or_else(|e| panic!("seeding failed: {e}\n{sql}"));
}

/// The floor: one indexed range query returning the tags inside the window.
async fn floor(db: &Db, now_ms: i64, window_end: i64) -> i64 {
    let sql = "SELECT t.id, t.name FROM tag t WHERE t.lifetime_end_ms > $1 \
               AND t.lifetime_end_ms <= $2 AND t.hidden = false";
    let rows: Vec<(i32, String)> = on_db!(db, pool => sqlx::query_as(sql)
        .bind(now_ms)
        .bind(window_end)
        .fetch_all(pool)
        .await)
    .expect("floor query");
    rows.len() as i64
}

/// Quay's algorithm: per trigger, the notified tag ids, then the window query with `NOT IN`.
async fn quay(db: &Db, now_ms: i64) -> i64 {
    let triggers = "SELECT rn.id, rn.repository_id, rn.method_id, rn.event_config_json \
                    FROM repositorynotification rn";
    let triggers: Vec<(i32, i32, i32, String)> =
        on_db!(db, pool => sqlx::query_as(triggers).fetch_all(pool).await).expect("triggers");
    let mut found = 0;
    for (id, repository_id, method_id, event_config) in triggers {
        let config: serde_json::Value = serde_json::from_str(&event_config).expect("json");
        let days = config["days"].as_i64().expect("days");
        let notified = "SELECT DISTINCT tag_id FROM tagnotificationsuccess \
                        WHERE notification_id = $1 AND method_id = $2";
        let notified: Vec<i32> = on_db!(db, pool => sqlx::query_scalar(notified)
            .bind(id)
            .bind(method_id)
            .fetch_all(pool)
            .await)
        .expect("notified");
        let mut sql = "SELECT DISTINCT id, name FROM tag WHERE repository_id = $1 \
                       AND lifetime_end_ms IS NOT NULL AND lifetime_end_ms > $2 \
                       AND lifetime_end_ms <= $3 AND hidden = false"
            .to_owned();
        if !notified.is_empty() {
            let list: Vec<String> = notified.iter().map(i32::to_string).collect();
            sql.push_str(&format!(" AND id NOT IN ({})", list.join(", ")));
        }
        let rows = on_db!(db, pool => sqlx::query(AssertSqlSafe(sql.clone()))
            .bind(repository_id)
            .bind(now_ms)
            .bind(now_ms + days * 86_400_000)
            .fetch_all(pool)
            .await
            .map(|rows| rows.iter().filter(|row| row.try_get::<i32, _>("id").is_ok()).count()))
        .expect("window query");
        found += rows as i64;
    }
    found
}

/// Resets the kernel's peak-RSS mark of this process (Linux `clear_refs` 5).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The peak resident set size since the last reset, from `/proc/self/status`.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}
