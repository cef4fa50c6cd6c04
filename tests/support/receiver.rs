//! A real HTTP receiver for webhook deliveries: it records every request and answers as told.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use tokio::net::TcpListener;
use tokio::sync::{Notify, oneshot};

/// How the receiver answers the requests it gets from now on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Behaviour {
    /// Answer 200 at once.
    Succeed,
    /// Answer this status to every request.
    Fail(u16),
    /// Answer `status` to the next `count` requests, then 200.
    FailFirst { count: usize, status: u16 },
    /// Hold each request this long, then answer 200.
    Delay(Duration),
}

/// One request as the receiver got it, and the status it answered.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// HTTP method, e.g. `POST`.
    pub method: Method,
    /// Path without the query string, e.g. `/hook`.
    pub path: String,
    /// Raw query string, if the URL had one.
    pub query: Option<String>,
    /// Request headers (look-ups are case-insensitive).
    pub headers: HeaderMap,
    /// The body exactly as received.
    pub body: Bytes,
    /// The body parsed as JSON, if it was JSON.
    pub json: Option<serde_json::Value>,
    /// When the request arrived (before any delay).
    pub received_at: Instant,
    /// The status the receiver answered (or will answer, while a delay runs).
    pub status: u16,
}

impl Recorded {
    /// The value of header `name` as text, if present and valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A running receiver on `127.0.0.1`; it shuts down when dropped.
pub struct Receiver {
    addr: SocketAddr,
    state: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
}

#[derive(Default)]
struct Shared {
    inner: Mutex<Inner>,
    arrived: Notify,
}

struct Inner {
    behaviour: Behaviour,
    /// Requests answered under the current behaviour (drives `FailFirst`).
    seen_under_behaviour: usize,
    requests: Vec<Recorded>,
}

impl Default for Inner {
    fn default() -> Self {
        Inner {
            behaviour: Behaviour::Succeed,
            seen_under_behaviour: 0,
            requests: Vec::new(),
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panicking test thread must not hide the recorded requests from the others.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Receiver {
    /// Binds `127.0.0.1:0` and starts serving; answers 200 until told otherwise.
    pub async fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("receiver: bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("receiver: local address");
        let state = Arc::new(Shared::default());

        let app = Router::new()
            .fallback(record_and_answer)
            .layer(DefaultBodyLimit::disable())
            .with_state(Arc::clone(&state));
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = stopped.await;
            });
            if let Err(err) = serve.await {
                eprintln!("receiver on {addr}: server error: {err}");
            }
        });

        Receiver {
            addr,
            state,
            shutdown: Some(shutdown),
        }
    }

    /// The full URL of `path` on this receiver, e.g. `http://127.0.0.1:PORT/hook`.
    pub fn url(&self, path: &str) -> String {
        let path = path.strip_prefix('/').unwrap_or(path);
        format!("http://{}/{path}", self.addr)
    }

    /// The address the receiver listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Changes how the next requests are answered (and restarts the `FailFirst` count).
    pub fn set_behaviour(&self, behaviour: Behaviour) {
        if let Behaviour::Fail(status) | Behaviour::FailFirst { status, .. } = behaviour {
            assert!(
                StatusCode::from_u16(status).is_ok(),
                "receiver: {status} is not an HTTP status"
            );
        }
        let mut inner = self.state.lock();
        inner.behaviour = behaviour;
        inner.seen_under_behaviour = 0;
    }

    /// Every request received so far, in arrival order, failed answers included.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().requests.clone()
    }

    /// The JSON bodies received so far, in arrival order; non-JSON bodies are left out.
    pub fn bodies(&self) -> Vec<serde_json::Value> {
        let inner = self.state.lock();
        inner
            .requests
            .iter()
            .filter_map(|r| r.json.clone())
            .collect()
    }

    /// Forgets the requests received so far.
    pub fn clear(&self) {
        self.state.lock().requests.clear();
    }

    /// Waits until at least `n` requests have arrived and returns all of them.
    ///
    /// Panics with what did arrive if `timeout` passes first.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Recorded> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Created before the check, so an arrival between check and await still wakes us.
            let arrived = self.state.arrived.notified();
            let requests = self.requests();
            if requests.len() >= n {
                return requests;
            }

            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                panic!("{}", self.timeout_message(n, timeout));
            }
        }
    }

    fn timeout_message(&self, n: usize, timeout: Duration) -> String {
        let requests = self.requests();
        let seen: Vec<String> = requests
            .iter()
            .map(|r| format!("{} {} -> {}", r.method, r.path, r.status))
            .collect();
        format!(
            "receiver on {}: expected at least {n} request(s) within {timeout:?}, got {}: {seen:?}",
            self.addr,
            requests.len(),
        )
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// The one handler: records the request, then answers according to the behaviour.
async fn record_and_answer(
    State(state): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let received_at = Instant::now();
    let json = serde_json::from_slice(&body).ok();
    let (status, delay) = {
        // One lock for deciding and recording keeps arrival order and the FailFirst count in step.
        let mut inner = state.lock();
        let (status, delay) = decide(&mut inner);
        inner.requests.push(Recorded {
            method,
            path: uri.path().to_owned(),
            query: uri.query().map(str::to_owned),
            headers,
            body,
            json,
            received_at,
            status,
        });
        (status, delay)
    };
    state.arrived.notify_waiters();

    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    let status = StatusCode::from_u16(status).expect("checked by set_behaviour");
    (status, if status.is_success() { "ok" } else { "failed" })
}

/// The status to answer and how long to hold the request first.
fn decide(inner: &mut Inner) -> (u16, Option<Duration>) {
    inner.seen_under_behaviour += 1;
    match inner.behaviour {
        Behaviour::Succeed => (200, None),
        Behaviour::Fail(status) => (status, None),
        Behaviour::FailFirst { count, status } if inner.seen_under_behaviour <= count => {
            (status, None)
        }
        Behaviour::FailFirst { .. } => (200, None),
        Behaviour::Delay(delay) => (200, Some(delay)),
    }
}
