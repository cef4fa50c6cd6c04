//! Shared helpers for the integration tests: a fresh database per test on either backend, a
//! recording HTTP receiver, and `both_databases!` to run one test on SQLite and PostgreSQL.
//!
//! Each test file declares `mod support;` and uses what it needs.

// Every test file compiles this module on its own and uses only part of it.
#![allow(dead_code, unused_imports, unused_macros)]

pub mod db;
pub mod fixture;
pub mod receiver;

pub use db::{DbKind, TestDb};
pub use fixture::{Fixture, Scanned, digest_tags};
pub use receiver::{Behaviour, Receiver, Recorded};

/// Writes each test once and runs it on both databases.
///
/// ```ignore
/// both_databases! {
///     async fn expired_tags_are_not_announced(db: TestDb) {
///         // ... use db.url() ...
///     }
/// }
/// ```
///
/// becomes the tests `expired_tags_are_not_announced::sqlite` and
/// `expired_tags_are_not_announced::postgres`, each on a fresh database and a two-worker runtime.
/// Attributes written above a function (`#[ignore]`, doc comments) go onto both tests. The
/// PostgreSQL test is skipped, loudly, only with `REGNOTIFY_TEST_SKIP_POSTGRES=1` outside CI.
#[macro_export]
macro_rules! both_databases {
    ($(
        $(#[$attr:meta])*
        async fn $name:ident($db:ident : $db_ty:ty) $body:block
    )*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn test_body($db: $db_ty) $body

            $(#[$attr])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                test_body($crate::support::TestDb::sqlite()).await;
            }

            $(#[$attr])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(db) = $crate::support::TestDb::postgres_or_skip().await {
                    test_body(db).await;
                }
            }
        }
    )*};
}
