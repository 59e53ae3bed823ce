//! The storage seam: where state snapshots live and how they are locked.
//!
//! A [`Backend`] stores opaque bytes per workspace; it knows nothing of the
//! state model. Every stored snapshot has a *generation*, an opaque `u64`
//! that changes whenever the stored bytes change and is never `0` (`0`
//! means "nothing stored"). Writes are conditional on the generation the
//! writer last saw, so two writers can never silently overwrite each
//! other's update.

use std::fmt;
use std::io;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The workspace every backend has and cannot delete.
pub const DEFAULT_WORKSPACE: &str = "default";

/// The generation meaning "no snapshot stored": pass it as `if_generation`
/// to write only if the workspace has no state yet.
pub const GENERATION_ABSENT: u64 = 0;

/// One stored snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The stored bytes (a state file).
    pub bytes: Vec<u8>,
    /// The generation of these bytes; never [`GENERATION_ABSENT`].
    pub generation: u64,
}

/// Who holds a state lock, and why. Serialized with Terraform's lock-info
/// field names (`ID`, `Operation`, `Who`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// Unique lock id (UUID); needed to unlock or force-unlock.
    #[serde(rename = "ID")]
    pub id: String,
    /// What the holder is doing: `"plan"`, `"apply"`, `"refresh"`, ...
    #[serde(rename = "Operation")]
    pub operation: String,
    /// `user@host` of the holder.
    #[serde(rename = "Who")]
    pub who: String,
    /// The holder's cairn version.
    #[serde(rename = "Version")]
    pub version: String,
    /// When the lock was taken (RFC 3339).
    #[serde(rename = "Created")]
    pub created: String,
    /// What is locked (the state file, object URL, ...). Backends fill this
    /// in when locking.
    #[serde(rename = "Path", default)]
    pub path: String,
    /// When the holder last proved it is alive (RFC 3339), for backends
    /// whose locks expire.
    #[serde(rename = "Heartbeat", default, skip_serializing_if = "Option::is_none")]
    pub heartbeat: Option<String>,
}

impl LockInfo {
    /// Lock info for `operation` by the current user and host, with a fresh
    /// id, this cairn's version and the current time. `path` is left empty
    /// for the backend to fill in.
    pub fn new(operation: impl Into<String>) -> LockInfo {
        LockInfo {
            id: uuid::Uuid::new_v4().to_string(),
            operation: operation.into(),
            who: current_who(),
            version: crate::VERSION.to_string(),
            created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            path: String::new(),
            heartbeat: None,
        }
    }
}

/// `user@host` for the current process, from `USER`/`USERNAME` and
/// `HOSTNAME` or `/etc/hostname`.
pub fn current_who() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".to_string());
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_string())
                .filter(|h| !h.is_empty())
        })
        .unwrap_or_else(|| "unknown".to_string());
    format!("{user}@{host}")
}

impl fmt::Display for LockInfo {
    /// The `Lock Info:` block of lock errors.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Lock Info:")?;
        writeln!(f, "  ID:        {}", self.id)?;
        writeln!(f, "  Path:      {}", self.path)?;
        writeln!(f, "  Operation: {}", self.operation)?;
        writeln!(f, "  Who:       {}", self.who)?;
        writeln!(f, "  Version:   {}", self.version)?;
        write!(f, "  Created:   {}", self.created)?;
        if let Some(h) = &self.heartbeat {
            write!(f, "\n  Heartbeat: {h}")?;
        }
        Ok(())
    }
}

fn locked_message(workspace: &str, holder: &LockInfo) -> String {
    format!(
        "Error acquiring the state lock: the state of workspace \"{workspace}\" is locked\n\n\
         {holder}\n\n\
         cairn locks the state so that two runs never change it at the same time. If the run \
         holding the lock is still going, wait for it to finish (or retry with -lock-timeout=DURATION). \
         If it was interrupted and left the lock behind, release it with:\n  cairn force-unlock {}",
        holder.id
    )
}

/// Why a backend operation failed. Messages are written for the user and
/// name the file or object involved.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// An I/O error on a file or object.
    #[error("cannot {action} {location}: {source}")]
    Io {
        /// What was being done ("read", "write", "create", ...).
        action: &'static str,
        /// The file or object.
        location: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A conditional write found a different generation than expected:
    /// someone else changed the state since it was read.
    #[error(
        "the state at {location} was changed by someone else since cairn read it \
         (expected {}, found {}); nothing was written. Re-run the command to work from the latest state",
        describe_generation(*.expected),
        describe_generation(*.found)
    )]
    Conflict {
        /// The file or object.
        location: String,
        /// The generation the writer expected.
        expected: u64,
        /// The generation actually stored.
        found: u64,
    },
    /// The state is locked by someone else.
    #[error("{}", locked_message(.workspace, .holder))]
    Locked {
        /// The workspace.
        workspace: String,
        /// Who holds the lock.
        holder: Box<LockInfo>,
    },
    /// Unlock or force-unlock with an id that does not match the lock held.
    #[error(
        "cannot unlock the state of workspace \"{workspace}\": lock ID \"{requested}\" does not match \
         the lock held, whose ID is \"{}\"\n\n{holder}",
        holder.id
    )]
    LockIdMismatch {
        /// The workspace.
        workspace: String,
        /// The id given.
        requested: String,
        /// The lock actually held.
        holder: Box<LockInfo>,
    },
    /// Unlock of a workspace that is not locked.
    #[error("cannot unlock the state of workspace \"{workspace}\": it is not locked ({location})")]
    NotLocked {
        /// The workspace.
        workspace: String,
        /// The lock file or object.
        location: String,
    },
    /// A lock file or object exists but cannot be understood.
    #[error(
        "the state lock {location} exists but cannot be read ({detail}); if no cairn run is using \
         this state, delete that file"
    )]
    CorruptLock {
        /// The lock file or object.
        location: String,
        /// What is wrong with it.
        detail: String,
    },
    /// A workspace name that cannot be used.
    #[error("invalid workspace name \"{name}\": {reason}")]
    InvalidWorkspace {
        /// The name.
        name: String,
        /// Why.
        reason: String,
    },
    /// The workspace does not exist.
    #[error("workspace \"{name}\" does not exist")]
    NoSuchWorkspace {
        /// The name.
        name: String,
    },
    /// A backend-specific failure (remote API errors and the like).
    #[error("{location}: {message}")]
    Other {
        /// The file, object or service.
        location: String,
        /// What failed.
        message: String,
    },
}

fn describe_generation(g: u64) -> String {
    if g == GENERATION_ABSENT {
        "no state".to_string()
    } else {
        format!("generation {g}")
    }
}

/// Checks a workspace name: non-empty, no path separators, not `.`/`..`,
/// no control characters.
pub fn validate_workspace_name(name: &str) -> Result<(), BackendError> {
    let bad = |reason: &str| {
        Err(BackendError::InvalidWorkspace {
            name: name.to_string(),
            reason: reason.to_string(),
        })
    };
    if name.is_empty() {
        return bad("it is empty");
    }
    if name == "." || name == ".." {
        return bad("it is a path component");
    }
    if name.contains('/') || name.contains('\\') {
        return bad("it contains a path separator");
    }
    if name.chars().any(char::is_control) {
        return bad("it contains control characters");
    }
    Ok(())
}

/// Where state snapshots are stored and locked. Implementations must be
/// safe to use from several threads and several processes at once.
///
/// Synchronous on purpose: async callers use `spawn_blocking`.
pub trait Backend: Send + Sync {
    /// A human-readable name of where `workspace`'s state lives (a path or
    /// URL), used in error messages.
    fn location(&self, workspace: &str) -> String;

    /// The stored snapshot of `workspace`, or `None` if it has none.
    fn read(&self, workspace: &str) -> Result<Option<Snapshot>, BackendError>;

    /// Stores `bytes` as `workspace`'s snapshot and returns the new
    /// generation.
    ///
    /// With `if_generation: Some(g)` the write happens only if the stored
    /// generation is `g` ([`GENERATION_ABSENT`]: only if nothing is
    /// stored); otherwise it fails with [`BackendError::Conflict`] and
    /// stores nothing. `None` writes unconditionally (`state push -force`).
    fn write(
        &self,
        workspace: &str,
        bytes: &[u8],
        if_generation: Option<u64>,
    ) -> Result<u64, BackendError>;

    /// Takes the lock of `workspace` for `info.id`. Fails with
    /// [`BackendError::Locked`] (carrying the holder) if anyone holds it,
    /// including the same id. Does not wait; see [`super::lock::acquire`].
    fn lock(&self, workspace: &str, info: &LockInfo) -> Result<(), BackendError>;

    /// Releases the lock held with `id`. Fails with
    /// [`BackendError::LockIdMismatch`] if another id holds it and
    /// [`BackendError::NotLocked`] if nobody does.
    fn unlock(&self, workspace: &str, id: &str) -> Result<(), BackendError>;

    /// Releases a lock left behind by another run (`cairn force-unlock ID`).
    /// The id must match the lock held, so a user cannot break a lock they
    /// have not looked at; otherwise fails with
    /// [`BackendError::LockIdMismatch`] naming the holder.
    fn force_unlock(&self, workspace: &str, id: &str) -> Result<(), BackendError>;

    /// Who holds the lock of `workspace`, if anyone.
    fn lock_info(&self, workspace: &str) -> Result<Option<LockInfo>, BackendError>;

    /// The workspaces with stored state, sorted, always including
    /// [`DEFAULT_WORKSPACE`] first.
    fn workspaces(&self) -> Result<Vec<String>, BackendError>;

    /// Deletes workspace `name` and its state. Refuses the default
    /// workspace and locked workspaces.
    fn delete_workspace(&self, name: &str) -> Result<(), BackendError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locked_message_like_terraform() {
        let mut info = LockInfo::new("apply");
        info.path = "/s/cairn.tfstate".into();
        let e = BackendError::Locked {
            workspace: "default".into(),
            holder: Box::new(info.clone()),
        };
        let msg = e.to_string();
        for want in [
            "Error acquiring the state lock",
            "Lock Info:",
            &format!("ID:        {}", info.id),
            "Path:      /s/cairn.tfstate",
            "Operation: apply",
            &format!("Who:       {}", info.who),
            &format!("Version:   {}", crate::VERSION),
            "Created:",
            &format!("cairn force-unlock {}", info.id),
        ] {
            assert!(msg.contains(want), "missing {want:?} in:\n{msg}");
        }
    }

    #[test]
    fn lock_info_json_uses_terraform_names() {
        let info = LockInfo::new("plan");
        let v = serde_json::to_value(&info).expect("json");
        assert_eq!(v["ID"], serde_json::json!(info.id));
        assert_eq!(v["Operation"], serde_json::json!("plan"));
        assert!(v.get("Heartbeat").is_none());
        assert!(chrono::DateTime::parse_from_rfc3339(&info.created).is_ok());
        assert!(info.who.contains('@'));
    }

    #[test]
    fn workspace_names() {
        assert!(validate_workspace_name("staging-1").is_ok());
        for bad in ["", ".", "..", "a/b", "a\\b", "a\nb"] {
            assert!(validate_workspace_name(bad).is_err(), "{bad:?}");
        }
    }
}
