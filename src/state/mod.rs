//! State: what cairn last recorded about the real world, where it is stored,
//! and how concurrent runs are kept apart.
//!
//! Owns:
//! - the model ([`State`], [`ResourceState`], [`InstanceState`], the
//!   [`PendingOperation`] journal), with addresses stored as their parts;
//! - the file format ([`format`]): Terraform's state v4 JSON layout, so
//!   Terraform-written state can be read and tools that read Terraform state
//!   can read cairn's, plus cairn's own fields;
//! - the storage seam ([`Backend`]): opaque bytes per workspace, conditional
//!   writes by generation, and locks; the local-file implementation
//!   ([`LocalBackend`]) and a conformance suite for all backends
//!   ([`testing::conformance`]);
//! - taking a lock with a timeout ([`lock::acquire`]) and loading/persisting
//!   a state through a backend ([`load`], [`persist`]).
//!
//! Does not own: resource addresses as engine types (`addrs`), values
//! (`value`; state stores attributes as JSON), planning, applying, or the
//! commands that show or edit state (`cli`). Remote backends (GCS,
//! PostgreSQL) implement [`Backend`] elsewhere.
//!
//! ```no_run
//! use cairn::state::{self, LocalBackend, LockInfo};
//! use std::time::Duration;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let backend = LocalBackend::in_dir("stack");
//! let _lock = state::lock::acquire(&backend, "default", &LockInfo::new("apply"), Duration::from_secs(30))?;
//! let (mut st, mut generation) = state::load(&backend, "default")?;
//! st.set_output("greeting", "hello".into(), "string".into(), false);
//! state::persist(&backend, "default", &mut st, &mut generation)?;
//! # Ok(()) }
//! ```

pub mod backend;
pub mod format;
pub mod local;
pub mod lock;
pub mod model;
pub mod testing;

pub use backend::{
    Backend, BackendError, LockInfo, Snapshot, DEFAULT_WORKSPACE, GENERATION_ABSENT,
};
pub use format::FormatError;
pub use local::LocalBackend;
pub use lock::{acquire, LockGuard};
pub use model::{
    AttrPath, IndexKey, InstanceAddr, InstanceState, Mode, OutputState, PathStep, PendingKind,
    PendingOperation, ResourceState, State,
};

/// Why loading or persisting state failed.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// Storage failed, the state is locked, or someone else wrote it.
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// The stored bytes are not a state cairn can read.
    #[error(transparent)]
    Format(#[from] FormatError),
}

/// Loads `workspace`'s state: the stored state and its generation, or a new
/// empty state and `None` if nothing is stored (an empty file counts as
/// nothing, like Terraform, but keeps its generation).
pub fn load(backend: &dyn Backend, workspace: &str) -> Result<(State, Option<u64>), StateError> {
    match backend.read(workspace)? {
        None => Ok((State::new(), None)),
        Some(snap) if snap.bytes.iter().all(u8::is_ascii_whitespace) => {
            Ok((State::new(), Some(snap.generation)))
        }
        Some(snap) => {
            let state = format::from_bytes(&snap.bytes, &backend.location(workspace))?;
            Ok((state, Some(snap.generation)))
        }
    }
}

/// Writes `state` to `workspace` with its serial bumped, on condition that
/// the stored generation is still `generation` (`None`: nothing stored), so
/// an update made by someone else in between is never overwritten. On
/// success `generation` holds the new generation; on failure `state` is
/// left unchanged (serial not bumped).
pub fn persist(
    backend: &dyn Backend,
    workspace: &str,
    state: &mut State,
    generation: &mut Option<u64>,
) -> Result<(), StateError> {
    let mut next = state.clone();
    next.serial += 1;
    next.version = model::FORMAT_VERSION;
    next.cairn_version = Some(crate::VERSION.to_string());
    next.normalize();
    let bytes = format::to_bytes(&next, &backend.location(workspace))?;
    let g = backend.write(
        workspace,
        &bytes,
        Some(generation.unwrap_or(GENERATION_ABSENT)),
    )?;
    *state = next;
    *generation = Some(g);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn load_persist_cycle() {
        let d = tempfile::tempdir().expect("tempdir");
        let b = LocalBackend::in_dir(d.path());
        let (mut s, mut g) = load(&b, "default").expect("load empty");
        assert_eq!((s.serial, g), (0, None));
        s.insert_instance(
            &InstanceAddr::managed("terraform_data", "a"),
            "provider[\"terraform.io/builtin/terraform\"]",
            InstanceState::new(json!({"id": "1"})),
        );
        persist(&b, "default", &mut s, &mut g).expect("persist");
        assert_eq!(s.serial, 1);
        assert!(g.is_some());
        persist(&b, "default", &mut s, &mut g).expect("persist again");
        let (back, g2) = load(&b, "default").expect("load");
        assert_eq!(back, s);
        assert_eq!(back.serial, 2);
        assert_eq!(g2, g);

        // a second writer working from a stale generation is refused and
        // its state is left as it was
        let (mut other, mut og) = (back.clone(), g2);
        persist(&b, "default", &mut s, &mut g).expect("first writer");
        let err = persist(&b, "default", &mut other, &mut og).expect_err("stale");
        assert!(
            matches!(err, StateError::Backend(BackendError::Conflict { .. })),
            "{err}"
        );
        assert_eq!(other.serial, 2);
        assert_eq!(og, g2);
    }

    #[test]
    fn persist_refuses_to_clobber_state_created_meanwhile() {
        let d = tempfile::tempdir().expect("tempdir");
        let b = LocalBackend::in_dir(d.path());
        let (mut first, mut g1) = load(&b, "default").expect("load");
        let (mut second, mut g2) = load(&b, "default").expect("load");
        persist(&b, "default", &mut first, &mut g1).expect("first creates");
        assert!(persist(&b, "default", &mut second, &mut g2).is_err());
    }

    #[test]
    fn load_names_file_on_bad_state() {
        let d = tempfile::tempdir().expect("tempdir");
        let b = LocalBackend::in_dir(d.path());
        b.write("default", b"{\"version\": 99}", None)
            .expect("write");
        let e = load(&b, "default").expect_err("too new");
        assert!(
            e.to_string()
                .contains(&d.path().join("cairn.tfstate").display().to_string()),
            "{e}"
        );
        b.write("default", b"\n", None).expect("write");
        let (s, g) = load(&b, "default").expect("empty file is no state");
        assert!(s.is_empty() && g.is_some());
    }
}
