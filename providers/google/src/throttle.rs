//! Adaptive concurrency per service: how many calls to one Google API may
//! be in flight at once.
//!
//! Owns: one [`Limiter`] per service (additive increase, multiplicative
//! decrease): a rate-limit answer (429, or 403 rateLimitExceeded) halves the
//! service's limit, at most once per [`DECREASE_QUIET`] so that a burst of
//! 429s from calls already in flight counts as one signal; each success
//! raises it by `1/limit` (one whole step per "window" of successes) back
//! towards [`MAX_LIMIT`]. The floor is one call.
//!
//! Does not own: retrying (the client retries the call after the permit is
//! released, so backoff sleeps never hold a slot) or the engine's
//! `-parallelism`, which bounds resources in flight, not API calls.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The limit a service starts at and returns to: high enough that a run
/// without rate limiting is never throttled by it.
pub const MAX_LIMIT: f64 = 64.0;

/// After one decrease, further rate-limit answers are ignored for this long.
pub const DECREASE_QUIET: Duration = Duration::from_millis(1000);

#[derive(Debug)]
struct State {
    limit: f64,
    in_flight: usize,
    last_decrease: Option<Instant>,
}

/// The adaptive limit of one service.
#[derive(Debug)]
pub struct Limiter {
    service: String,
    state: Mutex<State>,
    freed: tokio::sync::Notify,
}

/// A slot for one call; dropping it frees the slot.
#[derive(Debug)]
pub struct Permit {
    limiter: Arc<Limiter>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        {
            let mut s = self.limiter.lock();
            s.in_flight = s.in_flight.saturating_sub(1);
        }
        self.limiter.freed.notify_waiters();
    }
}

impl Limiter {
    pub fn new(service: &str) -> Limiter {
        Limiter {
            service: service.to_string(),
            state: Mutex::new(State {
                limit: MAX_LIMIT,
                in_flight: 0,
                last_decrease: None,
            }),
            freed: tokio::sync::Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for a slot.
    pub async fn acquire(self: &Arc<Self>) -> Permit {
        loop {
            // Register for a wake-up before looking, so a release between the
            // look and the wait is not missed.
            let freed = self.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            {
                let mut s = self.lock();
                if (s.in_flight as f64) < s.limit.floor().max(1.0) {
                    s.in_flight += 1;
                    return Permit {
                        limiter: Arc::clone(self),
                    };
                }
            }
            freed.await;
        }
    }

    /// A call succeeded: raise the limit a little.
    pub fn on_success(&self) {
        let mut s = self.lock();
        if s.limit < MAX_LIMIT {
            s.limit = (s.limit + 1.0 / s.limit).min(MAX_LIMIT);
        }
    }

    /// The service answered "too many requests": halve the limit (once per
    /// quiet period).
    pub fn on_rate_limited(&self) {
        let now = Instant::now();
        let lowered = {
            let mut s = self.lock();
            if s.last_decrease
                .is_some_and(|t| now.duration_since(t) < DECREASE_QUIET)
            {
                None
            } else {
                s.last_decrease = Some(now);
                s.limit = (s.limit / 2.0).max(1.0);
                Some(s.limit)
            }
        };
        if let Some(limit) = lowered {
            tracing::debug!(service = %self.service, limit = limit.floor() as u64, "rate limited: concurrency lowered");
        }
    }

    /// The current limit, in whole calls.
    pub fn limit(&self) -> usize {
        self.lock().limit.floor().max(1.0) as usize
    }
}

/// Every service's limiter, created on first use.
#[derive(Debug, Default)]
pub struct Limiters {
    by_service: Mutex<HashMap<String, Arc<Limiter>>>,
}

impl Limiters {
    pub fn get(&self, service: &str) -> Arc<Limiter> {
        let mut m = self.by_service.lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(
            m.entry(service.to_string())
                .or_insert_with(|| Arc::new(Limiter::new(service))),
        )
    }
}

/// The service a URL calls: the first label of a `*.googleapis.com` host
/// (`storage`, `secretmanager`), else the first path segment (one emulator
/// base URL routing by path: `http://127.0.0.1:P/storage/v1/...`), else the
/// host.
pub fn service_of(url: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = host.rsplit_once('@').map(|(_, h)| h).unwrap_or(host);
    if let Some(service) = host
        .strip_suffix(".googleapis.com")
        .and_then(|h| h.split('.').next())
    {
        if !service.is_empty() && service != "www" {
            return service.to_string();
        }
    }
    let first = path.split(['/', '?']).next().unwrap_or("");
    if first.is_empty() {
        host.to_string()
    } else {
        first.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_by_host_or_path() {
        assert_eq!(
            service_of("https://storage.googleapis.com/storage/v1/b/x"),
            "storage"
        );
        assert_eq!(
            service_of("https://secretmanager.googleapis.com/v1/projects/p"),
            "secretmanager"
        );
        assert_eq!(service_of("http://127.0.0.1:9/iam/v1/projects/p"), "iam");
        assert_eq!(
            service_of("https://www.googleapis.com/storage/v1/b"),
            "storage"
        );
        assert_eq!(service_of("http://h:1"), "h:1");
    }

    #[test]
    fn rate_limits_halve_and_successes_restore() {
        let l = Limiter::new("storage");
        assert_eq!(l.limit(), MAX_LIMIT as usize);
        l.on_rate_limited();
        assert_eq!(l.limit(), 32);
        // A burst of 429s from calls already in flight is one signal.
        l.on_rate_limited();
        l.on_rate_limited();
        assert_eq!(l.limit(), 32);
        // Back to the top after enough successes (1/limit per success).
        let mut n = 0;
        while l.limit() < MAX_LIMIT as usize {
            l.on_success();
            n += 1;
            assert!(n < 10_000, "the limit never recovered");
        }
        assert!(n > 32, "recovery is gradual, took {n} successes");
    }

    #[test]
    fn floor_is_one_call() {
        let l = Limiter::new("s");
        for _ in 0..20 {
            l.lock().last_decrease = None;
            l.on_rate_limited();
        }
        assert_eq!(l.limit(), 1);
    }

    #[tokio::test]
    async fn acquire_waits_for_a_free_slot() {
        let l = Arc::new(Limiter::new("s"));
        for _ in 0..6 {
            l.lock().last_decrease = None;
            l.on_rate_limited();
        }
        assert_eq!(l.limit(), 1);
        let first = l.acquire().await;
        let l2 = Arc::clone(&l);
        let second = tokio::spawn(async move {
            let _p = l2.acquire().await;
        });
        tokio::task::yield_now().await;
        assert!(
            !second.is_finished(),
            "a second call got a slot beyond the limit"
        );
        drop(first);
        tokio::time::timeout(Duration::from_secs(5), second)
            .await
            .expect("freed slot was not handed on")
            .expect("task");
    }
}
