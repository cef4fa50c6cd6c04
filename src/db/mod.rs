//! Storage: Quay's tables and regnotify's own, behind one interface over the native PostgreSQL and
//! SQLite drivers.
//!
//! Most statements are the same text on both databases (`$1` placeholders work on SQLite too);
//! the [`on_db!`] and [`on_tx!`] macros compile one body once per driver, so that each gets its
//! native types (booleans, timestamps) without a lowest-common-denominator layer.

mod migrate;

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Timelike, Utc};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};

pub use migrate::{MigrateReport, SchemaProblem, check_schema, migrate};

/// A connection pool on one of the two supported databases.
#[derive(Clone, Debug)]
pub enum Db {
    /// PostgreSQL: production, Quay's own database or a fresh one.
    Postgres(PgPool),
    /// SQLite: the embedded default.
    Sqlite(SqlitePool),
}

/// An open transaction on either database.
pub enum Tx {
    /// A PostgreSQL transaction.
    Postgres(Transaction<'static, Postgres>),
    /// A SQLite transaction.
    Sqlite(Transaction<'static, Sqlite>),
}

/// Runs `$body` with `$pool` bound to the native pool of `$db`.
#[macro_export]
macro_rules! on_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Postgres($pool) => $body,
            $crate::db::Db::Sqlite($pool) => $body,
        }
    };
}

/// Runs `$body` with `$conn` bound to the native connection of the transaction `$tx`.
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            $crate::db::Tx::Postgres(tx) => {
                let $conn = &mut **tx;
                $body
            }
            $crate::db::Tx::Sqlite(tx) => {
                let $conn = &mut **tx;
                $body
            }
        }
    };
}

/// Which database a URL points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DbKind {
    /// `postgres://` or `postgresql://`.
    Postgres,
    /// `sqlite:`.
    Sqlite,
}

impl DbKind {
    /// The kind named by a database URL's scheme, if regnotify supports it.
    pub fn of_url(url: &str) -> Option<DbKind> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(DbKind::Postgres)
        } else if url.starts_with("sqlite:") {
            Some(DbKind::Sqlite)
        } else {
            None
        }
    }
}

/// How long a connection waits for another writer on SQLite, and for a pooled connection.
const WAIT_FOR_LOCK: Duration = Duration::from_secs(30);

impl Db {
    /// Opens a pool; an SQLite file is created when missing.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db, sqlx::Error> {
        match DbKind::of_url(url) {
            Some(DbKind::Postgres) => {
                let options = PgConnectOptions::from_str(url)?;
                let pool = PgPoolOptions::new()
                    .max_connections(max_connections)
                    .acquire_timeout(WAIT_FOR_LOCK)
                    .connect_with(options)
                    .await?;
                Ok(Db::Postgres(pool))
            }
            Some(DbKind::Sqlite) => Ok(Db::Sqlite(connect_sqlite(url, max_connections).await?)),
            None => Err(sqlx::Error::Configuration(
                "unsupported database URL scheme (use postgresql:// or sqlite://)".into(),
            )),
        }
    }

    /// Which database this is.
    pub fn kind(&self) -> DbKind {
        match self {
            Db::Postgres(_) => DbKind::Postgres,
            Db::Sqlite(_) => DbKind::Sqlite,
        }
    }

    /// Begins a transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so that what it reads cannot be changed by another process before it
    /// writes.
    pub async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        match self {
            Db::Postgres(pool) => Ok(Tx::Postgres(pool.begin().await?)),
            Db::Sqlite(pool) => Ok(Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?)),
        }
    }

    /// Closes every connection of the pool.
    pub async fn close(&self) {
        on_db!(self, pool => pool.close().await)
    }
}

impl Tx {
    /// Commits the transaction.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Postgres(tx) => tx.commit().await,
            Tx::Sqlite(tx) => tx.commit().await,
        }
    }

    /// Rolls the transaction back.
    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Postgres(tx) => tx.rollback().await,
            Tx::Sqlite(tx) => tx.rollback().await,
        }
    }

    /// Which database this transaction runs on.
    pub fn kind(&self) -> DbKind {
        match self {
            Tx::Postgres(_) => DbKind::Postgres,
            Tx::Sqlite(_) => DbKind::Sqlite,
        }
    }
}

async fn connect_sqlite(url: &str, max_connections: u32) -> Result<SqlitePool, sqlx::Error> {
    let in_memory = url.contains(":memory:");
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .busy_timeout(WAIT_FOR_LOCK)
        .foreign_keys(true);
    // WAL lets readers go on while one process writes; an in-memory database has no journal.
    let options = if in_memory {
        options
    } else {
        options
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
    };
    let max_connections = if in_memory { 1 } else { max_connections };
    SqlitePoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(WAIT_FOR_LOCK)
        .connect_with(options)
        .await
}

/// Milliseconds since the Unix epoch, the unit of Quay's `lifetime_end_ms` and `last_ran_ms`.
pub fn epoch_ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// A time as Quay stores it in DATETIME columns: naive UTC with microseconds, the precision
/// Python's `datetime` reads back.
pub fn db_time(at: DateTime<Utc>) -> NaiveDateTime {
    let naive = at.naive_utc();
    let micros = naive.nanosecond() / 1_000 * 1_000;
    naive.with_nanosecond(micros).unwrap_or(naive)
}

/// Whether an error means the database could not be reached at all (as opposed to a bad
/// statement), which the long-running service rides out with backoff.
pub fn is_unreachable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_) => true,
        // PostgreSQL's connection-exception and operator-intervention classes (08, 57P).
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
        _ => false,
    }
}
