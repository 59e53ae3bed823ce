//! State in local files, like Terraform's `local` backend.
//!
//! Layout, for `LocalBackend::new("stack/cairn.tfstate")`:
//!
//! | file | what |
//! |---|---|
//! | `stack/cairn.tfstate` | state of workspace `default` |
//! | `stack/terraform.tfstate.d/<name>/cairn.tfstate` | state of workspace `<name>` |
//! | `<state>.backup` | the previous snapshot, replaced on every write |
//! | `<state>.lock.info` | the lock: JSON [`LockInfo`] of the holder |
//!
//! **Writes** are atomic: the bytes go to a temporary file in the same
//! directory (mode 0600), which is fsynced, renamed over the state file, and
//! then the directory is fsynced. A reader sees the old or the new state,
//! never a mix, and a crash leaves one of them.
//!
//! **Generations** are the first 8 bytes of the SHA-256 of the stored
//! bytes (never 0). They depend only on content, so they survive restarts
//! and need no sidecar file. Two different snapshots having the same
//! generation is only possible if they are byte-identical (or collide in 64
//! bits of SHA-256), and a conditional write against identical content
//! loses nothing. The compare-and-write runs under an exclusive `flock(2)`
//! on the state file's directory, so it is atomic against other cairn
//! processes and other `LocalBackend` values on the same machine (`flock`
//! is not reliable on network file systems).
//!
//! **Locks**: the lock file is created atomically and already complete —
//! the info is written to a temporary file which is then hard-linked to
//! `<state>.lock.info` (`link(2)` fails if the name exists, exactly like
//! `O_CREAT|O_EXCL`, but a reader never sees a half-written lock). Unlock
//! checks the id and removes the file under the directory `flock`.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::backend::{
    validate_workspace_name, Backend, BackendError, LockInfo, Snapshot, DEFAULT_WORKSPACE,
    GENERATION_ABSENT,
};

/// The default state file name in a stack directory.
pub const DEFAULT_STATE_FILE: &str = "cairn.tfstate";
/// The directory (next to the default state file) holding other workspaces.
pub const WORKSPACES_DIR: &str = "terraform.tfstate.d";

/// A [`Backend`] storing state in local files. See the module docs for the
/// layout and guarantees.
#[derive(Debug, Clone)]
pub struct LocalBackend {
    path: PathBuf,
    /// What this process last wrote to each state file: lets a run's later
    /// writes skip re-reading and re-hashing the file (the file's identity
    /// and timestamps show nobody replaced it), and keeps the backup as the
    /// state *before this run*, as Terraform's is.
    written: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<PathBuf, Written>>>,
}

/// The identity of a file this process wrote, and its generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Written {
    inode: u64,
    modified_ns: i128,
    len: u64,
    generation: u64,
}

fn identity(path: &Path) -> Option<(u64, i128, u64)> {
    use std::os::unix::fs::MetadataExt;
    let m = fs::metadata(path).ok()?;
    Some((m.ino(), m.mtime() as i128 * 1_000_000_000 + m.mtime_nsec() as i128, m.len()))
}

fn io_err(action: &'static str, location: &Path, source: io::Error) -> BackendError {
    BackendError::Io {
        action,
        location: location.to_path_buf(),
        source,
    }
}

/// The generation of `bytes`: 64 bits of their SHA-256, never 0.
pub fn generation_of(bytes: &[u8]) -> u64 {
    let digest = Sha256::digest(bytes);
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    match u64::from_be_bytes(first) {
        GENERATION_ABSENT => 1,
        g => g,
    }
}

/// An exclusive `flock` on a directory, released on drop (when the file
/// descriptor closes).
struct DirLock {
    _dir: File,
}

impl DirLock {
    fn take(dir: &Path) -> Result<DirLock, BackendError> {
        let f = File::open(dir).map_err(|e| io_err("open directory", dir, e))?;
        loop {
            // SAFETY: flock on a valid, owned file descriptor.
            let rc = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) };
            if rc == 0 {
                return Ok(DirLock { _dir: f });
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(io_err("lock directory", dir, e));
            }
        }
    }
}

fn fsync_dir(dir: &Path) -> Result<(), BackendError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_err("sync directory", dir, e))
}

/// Writes `bytes` to a new temporary file (mode 0600) next to `target` and
/// fsyncs it; returns its path.
fn write_temp(target: &Path, bytes: &[u8]) -> Result<PathBuf, BackendError> {
    let dir = parent_of(target);
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "state".to_string());
    let tmp = dir.join(format!(".{name}.tmp-{}", uuid::Uuid::new_v4().simple()));
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    })();
    match result {
        Ok(()) => Ok(tmp),
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(io_err("write", &tmp, e))
        }
    }
}

/// Atomically replaces `target` with `bytes` (temp file + rename).
fn replace_file(target: &Path, bytes: &[u8]) -> Result<(), BackendError> {
    let tmp = write_temp(target, bytes)?;
    if let Err(e) = fs::rename(&tmp, target) {
        let _ = fs::remove_file(&tmp);
        return Err(io_err("replace", target, e));
    }
    Ok(())
}

fn parent_of(p: &Path) -> PathBuf {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn with_suffix(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, BackendError> {
    match fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err("read", path, e)),
    }
}

impl LocalBackend {
    /// A backend whose default workspace is stored at `path` (usually
    /// `<stack dir>/cairn.tfstate`).
    pub fn new(path: impl Into<PathBuf>) -> LocalBackend {
        LocalBackend { path: path.into(), written: Default::default() }
    }

    /// A backend with the default layout in stack directory `dir`.
    pub fn in_dir(dir: impl AsRef<Path>) -> LocalBackend {
        LocalBackend::new(dir.as_ref().join(DEFAULT_STATE_FILE))
    }

    /// The state file of workspace `workspace`.
    pub fn state_path(&self, workspace: &str) -> Result<PathBuf, BackendError> {
        validate_workspace_name(workspace)?;
        if workspace == DEFAULT_WORKSPACE {
            return Ok(self.path.clone());
        }
        Ok(self.workspaces_dir().join(workspace).join(self.file_name()))
    }

    /// The backup file of workspace `workspace` (the previous snapshot).
    pub fn backup_path(&self, workspace: &str) -> Result<PathBuf, BackendError> {
        Ok(with_suffix(&self.state_path(workspace)?, ".backup"))
    }

    /// The lock file of workspace `workspace`.
    pub fn lock_path(&self, workspace: &str) -> Result<PathBuf, BackendError> {
        Ok(with_suffix(&self.state_path(workspace)?, ".lock.info"))
    }

    fn file_name(&self) -> PathBuf {
        self.path
            .file_name()
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_STATE_FILE))
    }

    fn workspaces_dir(&self) -> PathBuf {
        parent_of(&self.path).join(WORKSPACES_DIR)
    }

    fn ensure_dir(&self, state: &Path) -> Result<PathBuf, BackendError> {
        let dir = parent_of(state);
        fs::create_dir_all(&dir).map_err(|e| io_err("create directory", &dir, e))?;
        Ok(dir)
    }

    /// Reads and parses the lock file; `None` if there is none.
    fn read_lock(&self, lock: &Path) -> Result<Option<LockInfo>, BackendError> {
        let Some(bytes) = read_optional(lock)? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| BackendError::CorruptLock {
                location: lock.display().to_string(),
                detail: e.to_string(),
            })
    }

    fn unlock_matching(&self, workspace: &str, id: &str) -> Result<(), BackendError> {
        let state = self.state_path(workspace)?;
        let lock = self.lock_path(workspace)?;
        let dir = parent_of(&state);
        let not_locked = || BackendError::NotLocked {
            workspace: workspace.to_string(),
            location: lock.display().to_string(),
        };
        if !dir.is_dir() {
            return Err(not_locked());
        }
        let _guard = DirLock::take(&dir)?;
        let holder = self.read_lock(&lock)?.ok_or_else(not_locked)?;
        if holder.id != id {
            return Err(BackendError::LockIdMismatch {
                workspace: workspace.to_string(),
                requested: id.to_string(),
                holder: Box::new(holder),
            });
        }
        match fs::remove_file(&lock) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(not_locked()),
            Err(e) => return Err(io_err("remove", &lock, e)),
        }
        fsync_dir(&dir)
    }
}

impl Backend for LocalBackend {
    fn location(&self, workspace: &str) -> String {
        match self.state_path(workspace) {
            Ok(p) => p.display().to_string(),
            Err(_) => format!("{} (workspace {workspace:?})", self.path.display()),
        }
    }

    fn read(&self, workspace: &str) -> Result<Option<Snapshot>, BackendError> {
        let path = self.state_path(workspace)?;
        Ok(read_optional(&path)?.map(|bytes| Snapshot {
            generation: generation_of(&bytes),
            bytes,
        }))
    }

    fn write(
        &self,
        workspace: &str,
        bytes: &[u8],
        if_generation: Option<u64>,
    ) -> Result<u64, BackendError> {
        let path = self.state_path(workspace)?;
        let dir = self.ensure_dir(&path)?;
        let _guard = DirLock::take(&dir)?;
        let ours = {
            let written = self.written.lock().unwrap_or_else(|e| e.into_inner());
            written.get(&path).copied().filter(|w| identity(&path) == Some((w.inode, w.modified_ns, w.len)))
        };
        // Our own last write, untouched since: no need to read it back, and
        // the backup already holds the state from before this run.
        let current = if ours.is_some() { None } else { read_optional(&path)? };
        let found = match ours {
            Some(w) => w.generation,
            None => current.as_deref().map(generation_of).unwrap_or(GENERATION_ABSENT),
        };
        if let Some(expected) = if_generation {
            if expected != found {
                return Err(BackendError::Conflict {
                    location: path.display().to_string(),
                    expected,
                    found,
                });
            }
        }
        // Write the new state to a temp file first, so a failure here leaves
        // both the state and its backup untouched.
        let tmp = write_temp(&path, bytes)?;
        if let Some(previous) = &current {
            if let Err(e) = replace_file(&with_suffix(&path, ".backup"), previous) {
                let _ = fs::remove_file(&tmp);
                return Err(e);
            }
        }
        if let Err(e) = fs::rename(&tmp, &path) {
            let _ = fs::remove_file(&tmp);
            return Err(io_err("replace", &path, e));
        }
        fsync_dir(&dir)?;
        let generation = generation_of(bytes);
        if let Some((inode, modified_ns, len)) = identity(&path) {
            let mut written = self.written.lock().unwrap_or_else(|e| e.into_inner());
            written.insert(path.clone(), Written { inode, modified_ns, len, generation });
        }
        Ok(generation)
    }

    fn lock(&self, workspace: &str, info: &LockInfo) -> Result<(), BackendError> {
        let state = self.state_path(workspace)?;
        let lock = self.lock_path(workspace)?;
        let dir = self.ensure_dir(&state)?;
        let mut info = info.clone();
        info.path = state.display().to_string();
        let json = serde_json::to_vec_pretty(&info).map_err(|e| BackendError::Other {
            location: lock.display().to_string(),
            message: format!("cannot encode lock info: {e}"),
        })?;
        let _guard = DirLock::take(&dir)?;
        let tmp = write_temp(&lock, &json)?;
        let linked = fs::hard_link(&tmp, &lock);
        let _ = fs::remove_file(&tmp);
        match linked {
            Ok(()) => fsync_dir(&dir),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let holder = self.read_lock(&lock)?.ok_or_else(|| BackendError::Other {
                    location: lock.display().to_string(),
                    message: "the lock file vanished while being inspected".to_string(),
                })?;
                Err(BackendError::Locked {
                    workspace: workspace.to_string(),
                    holder: Box::new(holder),
                })
            }
            Err(e) => Err(io_err("create", &lock, e)),
        }
    }

    fn unlock(&self, workspace: &str, id: &str) -> Result<(), BackendError> {
        self.unlock_matching(workspace, id)
    }

    fn force_unlock(&self, workspace: &str, id: &str) -> Result<(), BackendError> {
        self.unlock_matching(workspace, id)
    }

    fn lock_info(&self, workspace: &str) -> Result<Option<LockInfo>, BackendError> {
        let lock = self.lock_path(workspace)?;
        self.read_lock(&lock)
    }

    fn workspaces(&self) -> Result<Vec<String>, BackendError> {
        let mut names = Vec::new();
        let dir = self.workspaces_dir();
        let entries = match fs::read_dir(&dir) {
            Ok(e) => Some(e),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(io_err("list", &dir, e)),
        };
        for entry in entries.into_iter().flatten() {
            let entry = entry.map_err(|e| io_err("list", &dir, e))?;
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            if name == DEFAULT_WORKSPACE || validate_workspace_name(&name).is_err() {
                continue;
            }
            if entry.path().join(self.file_name()).is_file() {
                names.push(name);
            }
        }
        names.sort();
        names.insert(0, DEFAULT_WORKSPACE.to_string());
        Ok(names)
    }

    fn delete_workspace(&self, name: &str) -> Result<(), BackendError> {
        validate_workspace_name(name)?;
        if name == DEFAULT_WORKSPACE {
            return Err(BackendError::InvalidWorkspace {
                name: name.to_string(),
                reason: "the default workspace cannot be deleted".to_string(),
            });
        }
        let state = self.state_path(name)?;
        let dir = parent_of(&state);
        if !state.is_file() {
            return Err(BackendError::NoSuchWorkspace {
                name: name.to_string(),
            });
        }
        let _guard = DirLock::take(&dir)?;
        if let Some(holder) = self.read_lock(&self.lock_path(name)?)? {
            return Err(BackendError::Locked {
                workspace: name.to_string(),
                holder: Box::new(holder),
            });
        }
        fs::remove_dir_all(&dir).map_err(|e| io_err("remove", &dir, e))?;
        fsync_dir(&self.workspaces_dir())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::lock::acquire;
    use std::os::unix::fs::PermissionsExt;
    use std::time::{Duration, Instant};

    fn tmp() -> tempfile::TempDir {
        tempfile::tempdir().expect("tempdir")
    }

    #[test]
    fn conformance() {
        let d = tmp();
        crate::state::testing::conformance(|| Box::new(LocalBackend::in_dir(d.path())));
    }

    fn mode(p: &Path) -> u32 {
        fs::metadata(p)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0)
    }

    fn dir_names(p: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(p)
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    #[test]
    fn files_are_private_backed_up_and_no_temp_left() {
        let d = tmp();
        let b = LocalBackend::in_dir(d.path());
        let g1 = b.write("default", b"one\n", Some(0)).expect("first write");
        let state = d.path().join("cairn.tfstate");
        assert_eq!(mode(&state), 0o600);
        assert!(
            !d.path().join("cairn.tfstate.backup").exists(),
            "no backup of nothing"
        );
        // A new run (a new backend) backs up what it finds before its first write.
        let b = LocalBackend::in_dir(d.path());
        let g2 = b
            .write("default", b"two\n", Some(g1))
            .expect("second write");
        assert_eq!(fs::read(&state).ok().as_deref(), Some(&b"two\n"[..]));
        let backup = d.path().join("cairn.tfstate.backup");
        assert_eq!(fs::read(&backup).ok().as_deref(), Some(&b"one\n"[..]));
        assert_eq!(mode(&backup), 0o600);
        // Its later writes keep that backup: the state from before the run.
        let _g3 = b.write("default", b"two and a half\n", Some(g2)).expect("third write");
        assert_eq!(fs::read(&backup).ok().as_deref(), Some(&b"one\n"[..]));
        let _ = b.write("default", b"two\n", None).expect("unconditional write");
        // a failed conditional write leaves everything as it was
        assert!(b.write("default", b"three\n", Some(g1)).is_err());
        assert_eq!(fs::read(&state).ok().as_deref(), Some(&b"two\n"[..]));
        assert_eq!(
            dir_names(d.path()),
            vec!["cairn.tfstate", "cairn.tfstate.backup"]
        );

        b.lock("default", &LockInfo::new("apply")).expect("lock");
        assert_eq!(mode(&d.path().join("cairn.tfstate.lock.info")), 0o600);
        assert_eq!(
            dir_names(d.path()),
            vec![
                "cairn.tfstate",
                "cairn.tfstate.backup",
                "cairn.tfstate.lock.info"
            ]
        );

        b.write("staging", b"s\n", Some(0))
            .expect("workspace write");
        let ws = d.path().join("terraform.tfstate.d/staging/cairn.tfstate");
        assert_eq!(fs::read(&ws).ok().as_deref(), Some(&b"s\n"[..]));
        assert_eq!(mode(&ws), 0o600);
        assert_eq!(
            dir_names(&d.path().join("terraform.tfstate.d/staging")),
            vec!["cairn.tfstate"]
        );
    }

    #[test]
    fn lock_held_by_other_instance_reports_holder() {
        let d = tmp();
        let a = LocalBackend::in_dir(d.path());
        let b = LocalBackend::in_dir(d.path());
        let info = LockInfo::new("apply");
        a.lock("default", &info).expect("lock");
        let e = b
            .lock("default", &LockInfo::new("plan"))
            .expect_err("contended");
        match &e {
            BackendError::Locked { holder, .. } => {
                assert_eq!(holder.id, info.id);
                assert_eq!(holder.operation, "apply");
                assert_eq!(
                    holder.path,
                    d.path().join("cairn.tfstate").display().to_string()
                );
            }
            other => panic!("unexpected {other:?}"),
        }
        let msg = e.to_string();
        assert!(
            msg.contains(&info.id) && msg.contains("cairn force-unlock"),
            "{msg}"
        );
        assert!(
            msg.contains(&d.path().join("cairn.tfstate").display().to_string()),
            "{msg}"
        );
    }

    #[test]
    fn acquire_waits_then_fails_with_holder() {
        let d = tmp();
        let a = LocalBackend::in_dir(d.path());
        let b = LocalBackend::in_dir(d.path());
        let held =
            acquire(&a, "default", &LockInfo::new("apply"), Duration::ZERO).expect("free lock");
        let start = Instant::now();
        let e = acquire(
            &b,
            "default",
            &LockInfo::new("plan"),
            Duration::from_millis(300),
        )
        .expect_err("held");
        let waited = start.elapsed();
        assert!(waited >= Duration::from_millis(300), "{waited:?}");
        assert!(waited < Duration::from_secs(3), "{waited:?}");
        match e {
            BackendError::Locked { holder, .. } => assert_eq!(holder.id, held.info().id),
            other => panic!("unexpected {other:?}"),
        }
        held.release().expect("release");
        assert_eq!(a.lock_info("default").ok().flatten(), None);
    }

    #[test]
    fn acquire_succeeds_when_holder_releases() {
        let d = tmp();
        let path = d.path().to_path_buf();
        let a = LocalBackend::in_dir(&path);
        let info = LockInfo::new("apply");
        a.lock("default", &info).expect("lock");
        let id = info.id.clone();
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(150));
            LocalBackend::in_dir(&path).unlock("default", &id)
        });
        let b = LocalBackend::in_dir(d.path());
        let g = acquire(
            &b,
            "default",
            &LockInfo::new("plan"),
            Duration::from_secs(10),
        )
        .expect("acquired");
        assert!(releaser.join().map(|r| r.is_ok()).unwrap_or(false));
        assert_eq!(g.info().operation, "plan");
        drop(g); // unlocks
        assert!(b.lock_info("default").ok().flatten().is_none());
    }

    #[test]
    fn concurrent_conditional_writers_never_lose_updates() {
        let d = tmp();
        let path = d.path().to_path_buf();
        LocalBackend::in_dir(&path)
            .write("default", b"0", Some(0))
            .expect("seed");
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let b = LocalBackend::in_dir(&path);
                    let mut done = 0;
                    while done < 10 {
                        let snap = match b.read("default") {
                            Ok(Some(s)) => s,
                            _ => continue,
                        };
                        let n: u64 = String::from_utf8_lossy(&snap.bytes).parse().unwrap_or(0);
                        let next = format!("{}", n + 1);
                        if b.write("default", next.as_bytes(), Some(snap.generation))
                            .is_ok()
                        {
                            done += 1;
                        }
                    }
                    t
                })
            })
            .collect();
        for t in threads {
            assert!(t.join().is_ok());
        }
        let final_bytes = fs::read(d.path().join("cairn.tfstate")).unwrap_or_default();
        assert_eq!(String::from_utf8_lossy(&final_bytes), "40");
        assert_eq!(
            dir_names(d.path()),
            vec!["cairn.tfstate", "cairn.tfstate.backup"]
        );
    }

    const CHILD_DIR_ENV: &str = "CAIRN_STATE_TEST_CHILD_DIR";

    /// Run by `lock_left_behind_by_another_process` in a child process:
    /// takes the lock and exits without releasing it, like a crashed run.
    #[test]
    #[ignore = "helper run in a child process"]
    fn child_takes_lock_and_exits() {
        let Ok(dir) = std::env::var(CHILD_DIR_ENV) else {
            return;
        };
        let b = LocalBackend::in_dir(&dir);
        b.write("default", b"from child\n", Some(0))
            .expect("child write");
        b.lock("default", &LockInfo::new("child-apply"))
            .expect("child lock");
    }

    #[test]
    fn lock_left_behind_by_another_process() {
        let d = tmp();
        let exe = std::env::current_exe().expect("test binary");
        let out = std::process::Command::new(exe)
            .args([
                "--ignored",
                "--exact",
                "state::local::tests::child_takes_lock_and_exits",
            ])
            .env(CHILD_DIR_ENV, d.path())
            .output()
            .expect("spawn child");
        assert!(
            out.status.success(),
            "child: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let b = LocalBackend::in_dir(d.path());
        let snap = b.read("default").expect("read").expect("child wrote state");
        assert_eq!(snap.bytes, b"from child\n");
        let holder = match b.lock("default", &LockInfo::new("apply")) {
            Err(BackendError::Locked { holder, .. }) => holder,
            other => panic!("expected Locked, got {other:?}"),
        };
        assert_eq!(holder.operation, "child-apply");
        b.force_unlock("default", &holder.id).expect("force-unlock");
        b.lock("default", &LockInfo::new("apply"))
            .expect("lock after force-unlock");
    }

    #[test]
    fn corrupt_lock_file_is_reported() {
        let d = tmp();
        let b = LocalBackend::in_dir(d.path());
        fs::write(d.path().join("cairn.tfstate.lock.info"), b"{").expect("write");
        let e = b
            .lock("default", &LockInfo::new("apply"))
            .expect_err("corrupt");
        assert!(e.to_string().contains("cairn.tfstate.lock.info"), "{e}");
    }

    #[test]
    fn errors_name_the_file() {
        let d = tmp();
        // the state "file" is a directory: reading it fails
        fs::create_dir(d.path().join("cairn.tfstate")).expect("mkdir");
        let b = LocalBackend::in_dir(d.path());
        let e = b.read("default").expect_err("not a file");
        assert!(
            e.to_string()
                .contains(&d.path().join("cairn.tfstate").display().to_string()),
            "{e}"
        );
    }
}
