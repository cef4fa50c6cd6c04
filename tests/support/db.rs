//! A fresh database per test, on SQLite or PostgreSQL, handed out as a connection URL.
//!
//! PostgreSQL tests share one server: each test gets its own schema, and the URL carries
//! `options=-c search_path=<schema>`, which sqlx (and libpq) apply to every connection. The URL
//! is a plain string, so it also works as `DATABASE_URL` for a child process.

use std::fmt;
use std::io::Write;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{AssertSqlSafe, Connection};
use tempfile::TempDir;

/// Where `TestDb::postgres` connects unless `TEST_DATABASE_URL` says otherwise.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// How long to wait for the PostgreSQL server before calling it unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Which database a `TestDb` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    /// An SQLite file in a temporary directory.
    Sqlite,
    /// A private schema on a PostgreSQL server.
    Postgres,
}

impl fmt::Display for DbKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DbKind::Sqlite => "sqlite",
            DbKind::Postgres => "postgres",
        })
    }
}

/// A database nobody else uses, removed when this value is dropped.
pub struct TestDb {
    url: String,
    kind: DbKind,
    cleanup: Cleanup,
}

/// What has to go when the test is over.
enum Cleanup {
    /// Deleting the directory deletes the SQLite file (and its -wal/-shm files).
    Sqlite(TempDir),
    Postgres(SchemaGuard),
}

impl TestDb {
    /// A new SQLite database: `sqlite:///<tmp>/regnotify.db`.
    ///
    /// The file does not exist yet; the code under test creates it, as it must in production.
    pub fn sqlite() -> TestDb {
        let dir = tempfile::Builder::new()
            .prefix("regnotify-test-")
            .tempdir()
            .expect("create a temporary directory for SQLite");
        let path = dir.path().join("regnotify.db");
        let path = path.to_str().expect("temporary path is UTF-8");

        TestDb {
            url: format!("sqlite://{path}"),
            kind: DbKind::Sqlite,
            cleanup: Cleanup::Sqlite(dir),
        }
    }

    /// A new schema on the PostgreSQL server at `TEST_DATABASE_URL`.
    ///
    /// Panics, saying how to fix it, when the server cannot be reached.
    pub async fn postgres() -> TestDb {
        let admin_url = admin_url();
        match create_schema(&admin_url).await {
            Ok(db) => db,
            Err(err) => panic!("{}", unreachable_message(&admin_url, &err)),
        }
    }

    /// Like `postgres`, but returns `None` (and says so loudly) when PostgreSQL is unreachable
    /// and the developer has opted out with `REGNOTIFY_TEST_SKIP_POSTGRES=1`. Never skips in CI.
    pub async fn postgres_or_skip() -> Option<TestDb> {
        let admin_url = admin_url();
        match create_schema(&admin_url).await {
            Ok(db) => Some(db),
            Err(err) if skip_allowed() => {
                announce_skip(&admin_url, &err);
                None
            }
            Err(err) => panic!("{}", unreachable_message(&admin_url, &err)),
        }
    }

    /// The URL to connect with (or to hand to a child process as `DATABASE_URL`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Which database this is.
    pub fn kind(&self) -> DbKind {
        self.kind
    }

    /// The private schema on PostgreSQL; `None` on SQLite.
    pub fn schema(&self) -> Option<&str> {
        match &self.cleanup {
            Cleanup::Sqlite(_) => None,
            Cleanup::Postgres(guard) => Some(&guard.schema),
        }
    }
}

impl fmt::Debug for TestDb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestDb")
            .field("kind", &self.kind)
            .field("url", &self.url)
            .finish()
    }
}

/// The server-wide URL tests create their schemas through (`TEST_DATABASE_URL` or the default).
pub fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|url| !url.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_POSTGRES_URL.to_owned())
}

/// Skipping needs an explicit opt-out, and CI never skips.
fn skip_allowed() -> bool {
    let opted_out = std::env::var("REGNOTIFY_TEST_SKIP_POSTGRES").is_ok_and(|v| v == "1");
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    opted_out && !in_ci
}

/// Writes straight to stderr: the test harness captures `eprintln!` of passing tests.
fn announce_skip(admin_url: &str, err: &sqlx::Error) {
    let line = format!(
        "SKIPPED (postgres): {admin_url} is unreachable ({err}); \
         REGNOTIFY_TEST_SKIP_POSTGRES=1 is set, so this test did not run on PostgreSQL\n"
    );
    let _ = std::io::stderr().write_all(line.as_bytes());
}

fn unreachable_message(admin_url: &str, err: &sqlx::Error) -> String {
    format!(
        "PostgreSQL at {admin_url} cannot be used: {err}\n\
         Every storage test also runs on PostgreSQL. Either start it \
         (`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, or run \
         `.ci/run`, which starts one), or point TEST_DATABASE_URL at a server with a database \
         you may create schemas in. To skip the PostgreSQL half locally (never in CI), set \
         REGNOTIFY_TEST_SKIP_POSTGRES=1."
    )
}

/// Creates `regnotify_test_<short uuid>` and builds the URL that selects it.
async fn create_schema(admin_url: &str) -> Result<TestDb, sqlx::Error> {
    let schema = format!(
        "regnotify_test_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    let mut conn = connect(admin_url).await?;
    let create = format!("CREATE SCHEMA {schema}");
    sqlx::query(AssertSqlSafe(create))
        .execute(&mut conn)
        .await?;
    conn.close().await?;

    Ok(TestDb {
        url: url_with_search_path(admin_url, &schema),
        kind: DbKind::Postgres,
        cleanup: Cleanup::Postgres(SchemaGuard {
            admin_url: admin_url.to_owned(),
            schema,
        }),
    })
}

/// Appends `options=-c search_path=<schema>`, percent-encoded, to the server URL.
fn url_with_search_path(admin_url: &str, schema: &str) -> String {
    let separator = if admin_url.contains('?') { '&' } else { '?' };
    format!("{admin_url}{separator}options=-c%20search_path%3D{schema}")
}

async fn connect(url: &str) -> Result<PgConnection, sqlx::Error> {
    let options = PgConnectOptions::from_str(url)?;
    match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&options)).await {
        Ok(result) => result,
        Err(_) => Err(sqlx::Error::Io(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!("no connection within {CONNECT_TIMEOUT:?}"),
        ))),
    }
}

/// Drops its schema, with everything in it, when dropped.
// LIMITATION: a test process that is killed (not one that panics) never runs this, so its
// `regnotify_test_*` schema stays on the server until someone drops it by hand. A throwaway
// cluster from `.ci/run` goes away whole; on a long-lived server such schemas pile up.
struct SchemaGuard {
    admin_url: String,
    schema: String,
}

impl Drop for SchemaGuard {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, which cannot be blocked on; a thread with its
        // own small runtime can, and joining it means the schema is gone when the test ends.
        let (url, schema) = (self.admin_url.clone(), self.schema.clone());
        let dropped = std::thread::spawn(move || drop_schema_blocking(&url, &schema)).join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(err)) => eprintln!("warning: could not drop schema {}: {err}", self.schema),
            Err(_) => eprintln!("warning: dropping schema {} panicked", self.schema),
        }
    }
}

fn drop_schema_blocking(admin_url: &str, schema: &str) -> Result<(), sqlx::Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut conn = connect(admin_url).await?;
        // A leftover session holding a lock must not hang the test run.
        sqlx::query("SET lock_timeout = '10s'")
            .execute(&mut conn)
            .await?;
        let drop = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
        sqlx::query(AssertSqlSafe(drop)).execute(&mut conn).await?;
        conn.close().await
    })
}
