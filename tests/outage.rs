//! The long-running service rides out a database that goes away and comes back.

mod support;

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use support::{Fixture, TestDb};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// A TCP proxy in front of PostgreSQL that can be cut (every connection dropped, new ones
/// refused at once) and restored.
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    connections: Arc<tokio::sync::Mutex<JoinSet<()>>>,
}

impl Proxy {
    async fn start(target: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let connections = Arc::new(tokio::sync::Mutex::new(JoinSet::new()));
        let (accept_up, accept_connections) = (up.clone(), connections.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !accept_up.load(Ordering::SeqCst) {
                    continue;
                }
                let target = target.clone();
                accept_connections.lock().await.spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        });
        Proxy {
            port,
            up,
            connections,
        }
    }

    async fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.connections.lock().await.abort_all();
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_survives_a_database_outage_and_says_so_once() {
    let Some(db) = TestDb::postgres_or_skip().await else {
        return;
    };
    let fx = Fixture::new(db).await;
    let url = url::Url::parse(fx.test_db.url()).unwrap();
    let target = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432));
    let proxy = Proxy::start(target).await;
    let mut through_proxy = url.clone();
    through_proxy.set_port(Some(proxy.port)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    std::fs::write(
        &config,
        "FEATURE_IMAGE_EXPIRY_TRIGGER: true\nNOTIFICATION_ALLOW_PRIVATE_TARGETS: true\n\
         NOTIFICATION_SCHEDULER_TICK_SECONDS: 1\nNOTIFICATION_WORKER_POLL_SECONDS: 1\n",
    )
    .unwrap();
    let service = Command::new(env!("CARGO_BIN_EXE_regnotify"))
        .arg("--config")
        .arg(&config)
        .arg("run")
        .env("DATABASE_URL", through_proxy.as_str())
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(StdDuration::from_secs(2)).await;

    proxy.cut().await;
    tokio::time::sleep(StdDuration::from_secs(5)).await;
    proxy.restore();
    let repo = fx.repository("acme/app").await;
    fx.trigger(&repo, 3).await;
    fx.tag(&repo, "v1", Some(Utc::now() + Duration::days(1)))
        .await;
    fx.receiver.wait_for(1, StdDuration::from_secs(90)).await;
    let pid = service.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let output = service.wait_with_output().unwrap();

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(
        stderr.matches("database unreachable").count(),
        1,
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("database reachable again").count(),
        1,
        "{stderr}"
    );
}
