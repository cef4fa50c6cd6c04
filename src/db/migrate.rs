//! Schema creation and upgrade.
//!
//! Quay's tables are created only where absent, one table at a time, so that on a database Quay
//! built nothing of Quay's changes. regnotify's own tables (prefix `notifier_`) are versioned in
//! `notifier_schema_migrations`. Lookup rows are looked up and inserted by name, never by id.

use sqlx::{AssertSqlSafe, Row};

use super::{Db, DbKind, Tx};
use crate::domain::{EventName, MethodName};
use crate::on_tx;

/// One versioned migration of regnotify's own tables.
struct Migration {
    version: i64,
    name: &'static str,
    postgres: &'static str,
    sqlite: &'static str,
}

const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "delivery log and parked deliveries",
    postgres: include_str!("../../sql/postgres/0001_notifier.sql"),
    sqlite: include_str!("../../sql/sqlite/0001_notifier.sql"),
}];

const QUAY_TABLES_POSTGRES: &str = include_str!("../../sql/postgres/quay_tables.sql");
const QUAY_TABLES_SQLITE: &str = include_str!("../../sql/sqlite/quay_tables.sql");

/// The notification kinds Quay seeds, plus `repo_image_expiry`, which Quay lacks (so that its
/// in-app expiry notices always fail there).
const NOTIFICATION_KINDS: &[&str] = &[
    "build_failure",
    "build_queued",
    "build_start",
    "build_success",
    "build_cancelled",
    "repo_push",
    "vulnerability_found",
    "repo_mirror_sync_started",
    "repo_mirror_sync_success",
    "repo_mirror_sync_failed",
    "quota_warning",
    "quota_error",
    "repo_image_expiry",
];

/// What `migrate` changed.
#[derive(Debug, Default)]
pub struct MigrateReport {
    /// Quay tables that were absent and have been created.
    pub created_tables: Vec<String>,
    /// regnotify migrations applied, by version.
    pub applied_versions: Vec<i64>,
    /// Lookup rows inserted, as `table.name`.
    pub inserted_lookup_rows: Vec<String>,
}

impl MigrateReport {
    /// Whether the database was already up to date.
    pub fn is_empty(&self) -> bool {
        self.created_tables.is_empty()
            && self.applied_versions.is_empty()
            && self.inserted_lookup_rows.is_empty()
    }
}

/// Why the schema is not ready for `run` or `run-once`.
#[derive(Debug, thiserror::Error)]
pub enum SchemaProblem {
    /// Quay tables regnotify needs do not exist.
    #[error("the database lacks the tables {0}; run `regnotify migrate` first")]
    MissingTables(String),
    /// regnotify's own tables are older than this binary.
    #[error(
        "the database schema is at version {found}, older than this regnotify's {expected}; \
         run `regnotify migrate` first"
    )]
    Outdated {
        /// The version found in the database.
        found: i64,
        /// The version this binary needs.
        expected: i64,
    },
    /// The check itself failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Creates what is missing and upgrades regnotify's tables, in one transaction.
pub async fn migrate(db: &Db) -> Result<MigrateReport, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let mut report = MigrateReport::default();

    for (table, ddl) in quay_table_blocks(tx.kind()) {
        if !table_exists(&mut tx, table).await? {
            on_tx!(&mut tx, conn => sqlx::raw_sql(AssertSqlSafe(ddl)).execute(conn).await.map(|done| done.rows_affected()))?;
            report.created_tables.push(table.to_owned());
        }
    }

    create_version_table(&mut tx).await?;
    let current = schema_version(&mut tx).await?;
    for migration in MIGRATIONS.iter().filter(|m| m.version > current) {
        apply(&mut tx, migration).await?;
        report.applied_versions.push(migration.version);
    }

    insert_lookup_rows(&mut tx, &mut report).await?;
    tx.commit().await?;
    Ok(report)
}

/// Checks that every table regnotify uses exists and its own schema is current.
pub async fn check_schema(db: &Db) -> Result<(), SchemaProblem> {
    let mut tx = match db {
        Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        Db::Sqlite(pool) => Tx::Sqlite(pool.begin().await?),
    };
    let mut missing = Vec::new();
    for (table, _) in quay_table_blocks(tx.kind()) {
        if !table_exists(&mut tx, table).await? {
            missing.push(table);
        }
    }
    if !table_exists(&mut tx, "notifier_schema_migrations").await? {
        missing.push("notifier_schema_migrations");
    }
    if !missing.is_empty() {
        return Err(SchemaProblem::MissingTables(missing.join(", ")));
    }

    let found = schema_version(&mut tx).await?;
    let expected = latest_version();
    tx.rollback().await?;
    if found < expected {
        return Err(SchemaProblem::Outdated { found, expected });
    }
    Ok(())
}

fn latest_version() -> i64 {
    MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Splits the Quay DDL file into `(table, statements)` blocks at its `-- table: NAME` markers.
fn quay_table_blocks(kind: DbKind) -> Vec<(&'static str, &'static str)> {
    let ddl = match kind {
        DbKind::Postgres => QUAY_TABLES_POSTGRES,
        DbKind::Sqlite => QUAY_TABLES_SQLITE,
    };
    let mut blocks = Vec::new();
    let mut rest = ddl;
    while let Some(start) = rest.find("-- table: ") {
        let after = &rest[start + "-- table: ".len()..];
        let name_end = after.find('\n').unwrap_or(after.len());
        let body_end = after.find("-- table: ").unwrap_or(after.len());
        blocks.push((after[..name_end].trim(), &after[name_end..body_end]));
        rest = &after[body_end..];
    }
    blocks
}

async fn table_exists(tx: &mut Tx, table: &str) -> Result<bool, sqlx::Error> {
    let sql = match tx.kind() {
        DbKind::Postgres => {
            "SELECT COUNT(*) FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = $1"
        }
        DbKind::Sqlite => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1",
    };
    let count: i64 = on_tx!(tx, conn => sqlx::query_scalar(sql).bind(table).fetch_one(conn).await)?;
    Ok(count > 0)
}

async fn create_version_table(tx: &mut Tx) -> Result<(), sqlx::Error> {
    let sql = "CREATE TABLE IF NOT EXISTS notifier_schema_migrations (\
               version BIGINT NOT NULL PRIMARY KEY, \
               name VARCHAR(255) NOT NULL, \
               applied_at_ms BIGINT NOT NULL)";
    on_tx!(tx, conn => sqlx::query(sql).execute(conn).await.map(|done| done.rows_affected()))?;
    Ok(())
}

async fn schema_version(tx: &mut Tx) -> Result<i64, sqlx::Error> {
    let sql = "SELECT MAX(version) AS version FROM notifier_schema_migrations";
    let version: Option<i64> = on_tx!(tx, conn => sqlx::query(sql)
        .fetch_one(conn)
        .await?
        .try_get("version"))?;
    Ok(version.unwrap_or(0))
}

async fn apply(tx: &mut Tx, migration: &Migration) -> Result<(), sqlx::Error> {
    let ddl = match tx.kind() {
        DbKind::Postgres => migration.postgres,
        DbKind::Sqlite => migration.sqlite,
    };
    on_tx!(&mut *tx, conn => sqlx::raw_sql(AssertSqlSafe(ddl)).execute(conn).await.map(|done| done.rows_affected()))?;
    let record = "INSERT INTO notifier_schema_migrations (version, name, applied_at_ms) \
                  VALUES ($1, $2, $3)";
    let now = chrono::Utc::now().timestamp_millis();
    on_tx!(tx, conn => sqlx::query(record)
        .bind(migration.version)
        .bind(migration.name)
        .bind(now)
        .execute(conn)
        .await.map(|done| done.rows_affected()))?;
    Ok(())
}

async fn insert_lookup_rows(tx: &mut Tx, report: &mut MigrateReport) -> Result<(), sqlx::Error> {
    let events: Vec<&str> = EventName::ALL.iter().map(|e| e.as_str()).collect();
    let methods: Vec<&str> = MethodName::ALL.iter().map(|m| m.as_str()).collect();
    let tables: [(&str, &[&str]); 8] = [
        ("externalnotificationevent", &events),
        ("externalnotificationmethod", &methods),
        ("notificationkind", NOTIFICATION_KINDS),
        ("role", &["admin", "write", "read"]),
        ("teamrole", &["admin", "creator", "member"]),
        ("visibility", &["public", "private"]),
        ("repositorykind", &["image", "application"]),
        ("tagkind", &["tag"]),
    ];
    for (table, names) in tables {
        for name in names {
            if insert_name_if_missing(tx, table, name).await? {
                report.inserted_lookup_rows.push(format!("{table}.{name}"));
            }
        }
    }
    Ok(())
}

async fn insert_name_if_missing(tx: &mut Tx, table: &str, name: &str) -> Result<bool, sqlx::Error> {
    // `table` comes from the fixed list above, never from input.
    let sql = format!(
        "INSERT INTO {table} (name) SELECT $1 WHERE NOT EXISTS \
         (SELECT 1 FROM {table} WHERE name = $1)"
    );
    let done = on_tx!(tx, conn => sqlx::query(AssertSqlSafe(sql)).bind(name).execute(conn).await.map(|done| done.rows_affected()))?;
    Ok(done > 0)
}
