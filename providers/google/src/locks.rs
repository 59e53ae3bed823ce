//! Process-wide async locks by key: work that Google wants one at a time
//! (writes to one IAM policy, operations on one Cloud SQL instance) waits
//! its turn inside one cairn run instead of colliding at the API.
//!
//! Owns: the table of locks and its upkeep (a lock nobody holds or waits
//! for is dropped). A guard may be held across awaits.
//!
//! Does not own: what a key names or which calls take it (the resource
//! types decide; a key should include the endpoint, so that two emulators
//! in one process never wait for each other), nor serializing across
//! processes (Google's own 409s and the client's retries do).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// Held while the key is locked; dropping it lets the next waiter in.
pub(crate) type KeyGuard = tokio::sync::OwnedMutexGuard<()>;

/// Waits until no one else holds `key`, then holds it.
pub(crate) async fn lock(key: String) -> KeyGuard {
    static LOCKS: OnceLock<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>> = OnceLock::new();
    let key_for_log = key.clone();
    let lock = {
        let mut map = LOCKS.get_or_init(Default::default).lock().unwrap_or_else(|p| p.into_inner());
        // The table holds one reference; holders and waiters hold the others.
        map.retain(|k, l| k == &key || Arc::strong_count(l) > 1);
        map.entry(key).or_default().clone()
    };
    match lock.clone().try_lock_owned() {
        Ok(guard) => guard,
        Err(_) => {
            // Visible with CAIRN_LOG=debug: the serialization at work.
            let started = std::time::Instant::now();
            tracing::debug!(key = %key_for_log, "waiting for the lock: another call on this object is in progress");
            let guard = lock.lock_owned().await;
            tracing::debug!(key = %key_for_log, waited_ms = started.elapsed().as_millis() as u64, "lock acquired");
            guard
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn one_holder_per_key() {
        let g = lock("locks-test-k1".into()).await;
        // Another key is free; the same key waits.
        let _other = lock("locks-test-k2".into()).await;
        assert!(tokio::time::timeout(Duration::from_millis(50), lock("locks-test-k1".into())).await.is_err());
        drop(g);
        assert!(tokio::time::timeout(Duration::from_millis(500), lock("locks-test-k1".into())).await.is_ok());
    }

    #[tokio::test]
    async fn waiters_take_turns() {
        let inside = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let inside = inside.clone();
            tasks.push(tokio::spawn(async move {
                let _g = lock("locks-test-turns".into()).await;
                assert_eq!(inside.fetch_add(1, std::sync::atomic::Ordering::SeqCst), 0, "two holders at once");
                tokio::time::sleep(Duration::from_millis(5)).await;
                inside.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    }
}
