//! Taking a state lock with a timeout (`-lock-timeout`), and releasing it
//! when done.

use std::time::{Duration, Instant};

use super::backend::{Backend, BackendError, LockInfo};

/// First wait between attempts; doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(25);
/// Longest wait between attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// A held state lock. Released by [`LockGuard::release`], or on drop (best
/// effort: a failure to unlock on drop is logged, not reported).
#[must_use = "the lock is released when the guard is dropped"]
pub struct LockGuard<'a> {
    backend: &'a dyn Backend,
    workspace: String,
    info: LockInfo,
    held: bool,
}

impl std::fmt::Debug for LockGuard<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LockGuard")
            .field("workspace", &self.workspace)
            .field("info", &self.info)
            .field("held", &self.held)
            .finish()
    }
}

impl<'a> LockGuard<'a> {
    /// The lock's info (its id in particular).
    pub fn info(&self) -> &LockInfo {
        &self.info
    }

    /// The locked workspace.
    pub fn workspace(&self) -> &str {
        &self.workspace
    }

    /// Releases the lock, reporting failure.
    pub fn release(mut self) -> Result<(), BackendError> {
        self.held = false;
        self.backend.unlock(&self.workspace, &self.info.id)
    }
}

impl Drop for LockGuard<'_> {
    fn drop(&mut self) {
        if self.held {
            if let Err(e) = self.backend.unlock(&self.workspace, &self.info.id) {
                tracing::warn!("releasing the state lock failed: {e}");
            }
        }
    }
}

/// Takes the lock of `workspace` for `info`, retrying with exponential
/// backoff while someone else holds it, for up to `timeout` (zero: try
/// once). On timeout fails with [`BackendError::Locked`] naming the
/// holder; other errors are returned at once.
pub fn acquire<'a>(
    backend: &'a dyn Backend,
    workspace: &str,
    info: &LockInfo,
    timeout: Duration,
) -> Result<LockGuard<'a>, BackendError> {
    let start = Instant::now();
    let mut backoff = FIRST_BACKOFF;
    loop {
        match backend.lock(workspace, info) {
            Ok(()) => {
                let mut info = info.clone();
                if let Ok(Some(stored)) = backend.lock_info(workspace) {
                    if stored.id == info.id {
                        info = stored;
                    }
                }
                return Ok(LockGuard {
                    backend,
                    workspace: workspace.to_string(),
                    info,
                    held: true,
                });
            }
            Err(e @ BackendError::Locked { .. }) => {
                let elapsed = start.elapsed();
                if elapsed >= timeout {
                    return Err(e);
                }
                std::thread::sleep(backoff.min(timeout - elapsed));
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
            Err(e) => return Err(e),
        }
    }
}
