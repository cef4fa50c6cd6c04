//! Riding out a database outage: back off between tries, and say so once per outage.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::db::is_unreachable;
use crate::error::Error;

/// The longest pause between two tries while the database is down.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// The state of the database connection as the service's jobs see it.
#[derive(Debug, Default)]
pub struct Outage {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    down_since: Option<Instant>,
    failures: u32,
    next_try: Option<Instant>,
}

impl Outage {
    /// Whether a job should touch the database now (false while backing off).
    pub fn may_try(&self) -> bool {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.next_try.is_none_or(|at| Instant::now() >= at)
    }

    /// Records a job's result: an unreachable database starts or extends an outage (logged at
    /// its start only); other errors are logged each time; success ends an outage.
    pub fn record(&self, job: &str, result: Result<(), Error>) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match result {
            Ok(()) => {
                if let Some(since) = state.down_since.take() {
                    tracing::info!(
                        after_s = since.elapsed().as_secs(),
                        "database reachable again"
                    );
                }
                *state = State::default();
            }
            Err(Error::Database { source, .. }) if is_unreachable(&source) => {
                if state.down_since.is_none() {
                    tracing::error!(job, error = %source,
                        "database unreachable; retrying with backoff until it is back");
                    state.down_since = Some(Instant::now());
                }
                state.failures += 1;
                let backoff = Duration::from_secs(1 << state.failures.min(6)).min(MAX_BACKOFF);
                state.next_try = Some(Instant::now() + backoff);
            }
            Err(error) => tracing::error!(job, %error, "job failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unreachable() -> Error {
        Error::Database {
            context: "x".into(),
            source: sqlx::Error::PoolTimedOut,
        }
    }

    #[test]
    fn an_outage_backs_off_and_ends_with_a_success() {
        let outage = Outage::default();

        outage.record("poll", Err(unreachable()));
        let backing_off = !outage.may_try();
        outage.record("poll", Ok(()));

        assert!(backing_off);
        assert!(outage.may_try());
    }
}
