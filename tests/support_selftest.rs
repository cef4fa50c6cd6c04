//! Checks that the shared test support does what the other tests rely on.

mod support;

use std::str::FromStr;
use std::time::{Duration, Instant};

use sqlx::postgres::PgConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{Connection, Row};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use support::{Behaviour, DbKind, Receiver, TestDb};

/// Sends one HTTP/1.1 POST and returns the answered status code.
async fn post(url: &str, body: &str) -> u16 {
    let rest = url.strip_prefix("http://").expect("plain http URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         X-Test: selftest\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(host).await.expect("connect to receiver");
    stream.write_all(request.as_bytes()).await.expect("send");

    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    let status = response.split(' ').nth(1).expect("status line");
    status.parse().expect("numeric status")
}

#[tokio::test]
async fn receiver_records_what_it_got_and_answers_200() {
    let receiver = Receiver::start().await;

    let status = post(&receiver.url("/hook?x=1"), r#"{"event":"repo_push"}"#).await;

    assert_eq!(status, 200);
    let got = receiver.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(got[0].method, "POST");
    assert_eq!(got[0].path, "/hook");
    assert_eq!(got[0].query.as_deref(), Some("x=1"));
    assert_eq!(got[0].header("x-test"), Some("selftest"));
    assert_eq!(&got[0].body[..], br#"{"event":"repo_push"}"#);
    assert_eq!(got[0].status, 200);
    assert_eq!(
        receiver.bodies(),
        vec![serde_json::json!({"event": "repo_push"})]
    );
}

#[tokio::test]
async fn receiver_url_joins_the_path() {
    let receiver = Receiver::start().await;

    let (with_slash, without) = (receiver.url("/hook"), receiver.url("hook"));

    assert_eq!(with_slash, format!("http://{}/hook", receiver.addr()));
    assert_eq!(with_slash, without);
}

#[tokio::test]
async fn receiver_fails_every_request_when_told_to() {
    let receiver = Receiver::start().await;
    receiver.set_behaviour(Behaviour::Fail(503));

    let statuses = [
        post(&receiver.url("/a"), "{}").await,
        post(&receiver.url("/b"), "x").await,
    ];

    assert_eq!(statuses, [503, 503]);
    let recorded: Vec<u16> = receiver.requests().iter().map(|r| r.status).collect();
    assert_eq!(recorded, [503, 503]);
    assert_eq!(receiver.bodies().len(), 1, "the non-JSON body is left out");
}

#[tokio::test]
async fn receiver_fails_the_first_requests_then_succeeds() {
    let receiver = Receiver::start().await;
    receiver.set_behaviour(Behaviour::FailFirst {
        count: 2,
        status: 500,
    });

    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(post(&receiver.url("/hook"), "{}").await);
    }

    assert_eq!(statuses, [500, 500, 200, 200]);
}

#[tokio::test]
async fn receiver_holds_delayed_requests_but_records_them_on_arrival() {
    let receiver = Receiver::start().await;
    receiver.set_behaviour(Behaviour::Delay(Duration::from_secs(1)));
    let url = receiver.url("/slow");
    let started = Instant::now();

    let answer = tokio::spawn(async move { post(&url, "{}").await });
    receiver.wait_for(1, Duration::from_secs(5)).await;
    let still_held = !answer.is_finished();
    let status = answer.await.expect("client task");

    assert!(
        still_held,
        "the request was recorded while it was still held"
    );
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(status, 200);
}

#[tokio::test]
#[should_panic(expected = "expected at least 2 request(s) within 200ms, got 1")]
async fn receiver_wait_for_names_what_arrived_when_it_times_out() {
    let receiver = Receiver::start().await;
    post(&receiver.url("/hook"), "{}").await;

    receiver.wait_for(2, Duration::from_millis(200)).await;
}

#[tokio::test]
async fn receiver_stops_listening_when_dropped() {
    let receiver = Receiver::start().await;
    let addr = receiver.addr();

    drop(receiver);

    let refused = async {
        while TcpStream::connect(addr).await.is_ok() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(5), refused)
        .await
        .expect("the port is closed after drop");
}

/// The table round trip every test database must support.
async fn insert_and_read_back(db: &TestDb) -> Vec<String> {
    const CREATE: &str = "CREATE TABLE notification (uuid TEXT PRIMARY KEY, event TEXT NOT NULL)";
    const INSERT: &str = "INSERT INTO notification (uuid, event) VALUES ($1, $2)";
    const SELECT: &str = "SELECT event FROM notification ORDER BY uuid";

    match db.kind() {
        DbKind::Sqlite => {
            let options = SqliteConnectOptions::from_str(db.url())
                .expect("SQLite URL parses")
                .create_if_missing(true);
            let mut conn = SqliteConnection::connect_with(&options)
                .await
                .expect("connect");
            sqlx::query(CREATE)
                .execute(&mut conn)
                .await
                .expect("create");
            sqlx::query(INSERT)
                .bind("a")
                .bind("repo_push")
                .execute(&mut conn)
                .await
                .expect("insert");
            let rows = sqlx::query(SELECT)
                .fetch_all(&mut conn)
                .await
                .expect("select");
            rows.iter().map(|row| row.get("event")).collect()
        }
        DbKind::Postgres => {
            let mut conn = PgConnection::connect(db.url()).await.expect("connect");
            sqlx::query(CREATE)
                .execute(&mut conn)
                .await
                .expect("create");
            sqlx::query(INSERT)
                .bind("a")
                .bind("repo_push")
                .execute(&mut conn)
                .await
                .expect("insert");
            let rows = sqlx::query(SELECT)
                .fetch_all(&mut conn)
                .await
                .expect("select");
            rows.iter().map(|row| row.get("event")).collect()
        }
    }
}

both_databases! {
    async fn test_db_hands_out_a_usable_url(db: TestDb) {
        let events = insert_and_read_back(&db).await;

        assert_eq!(events, ["repo_push"]);
    }

    /// Two fresh databases never see each other's tables.
    async fn each_test_db_starts_empty(db: TestDb) {
        let other = match db.kind() {
            DbKind::Sqlite => TestDb::sqlite(),
            DbKind::Postgres => TestDb::postgres().await,
        };

        insert_and_read_back(&db).await;
        let events = insert_and_read_back(&other).await;

        assert_eq!(events, ["repo_push"], "the second CREATE TABLE did not collide");
        assert_ne!(db.url(), other.url());
    }
}

#[test]
fn sqlite_url_is_absolute_and_its_directory_goes_with_the_test_db() {
    let db = TestDb::sqlite();
    let path = db
        .url()
        .strip_prefix("sqlite://")
        .expect("sqlite:// URL")
        .to_owned();
    let dir = std::path::Path::new(&path)
        .parent()
        .expect("parent")
        .to_owned();

    assert!(
        path.starts_with('/') && path.ends_with("/regnotify.db"),
        "{path}"
    );
    assert!(dir.is_dir());
    drop(db);

    assert!(!dir.exists());
}

/// Connects to the server itself, outside any test schema.
async fn admin_connection() -> PgConnection {
    let url = support::db::admin_url();
    PgConnection::connect(&url).await.expect("admin connection")
}

async fn schema_exists(conn: &mut PgConnection, schema: &str) -> bool {
    sqlx::query("SELECT 1 FROM pg_namespace WHERE nspname = $1")
        .bind(schema)
        .fetch_optional(conn)
        .await
        .expect("look up schema")
        .is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_url_puts_every_table_in_the_private_schema() {
    let Some(db) = TestDb::postgres_or_skip().await else {
        return;
    };
    let schema = db.schema().expect("postgres has a schema").to_owned();

    insert_and_read_back(&db).await;
    let mut conn = PgConnection::connect(db.url()).await.expect("connect");
    let current: String = sqlx::query("SELECT current_schema()")
        .fetch_one(&mut conn)
        .await
        .expect("current_schema")
        .get(0);
    let homes: Vec<String> = sqlx::query(
        "SELECT table_schema FROM information_schema.tables WHERE table_name = 'notification'",
    )
    .fetch_all(&mut admin_connection().await)
    .await
    .expect("find the table")
    .iter()
    .map(|row| row.get(0))
    .filter(|home: &String| !home.starts_with("regnotify_test_") || *home == schema)
    .collect();

    assert!(schema.starts_with("regnotify_test_"), "{schema}");
    assert_eq!(current, schema);
    assert_eq!(
        homes,
        [schema],
        "the table is in the test schema, not in public"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_schema_is_dropped_with_the_test_db() {
    let Some(db) = TestDb::postgres_or_skip().await else {
        return;
    };
    let schema = db.schema().expect("postgres has a schema").to_owned();
    insert_and_read_back(&db).await;
    let mut admin = admin_connection().await;
    assert!(schema_exists(&mut admin, &schema).await);

    drop(db);

    assert!(
        !schema_exists(&mut admin, &schema).await,
        "{schema} is still there"
    );
}
