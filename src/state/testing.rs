//! A conformance suite every [`Backend`] must pass.
//!
//! Call [`conformance`] from a backend's tests. It panics (test failure)
//! with a description of the first broken expectation; it is test code and
//! not meant for production paths.

use super::backend::{Backend, BackendError, LockInfo, GENERATION_ABSENT};

/// Runs every check against the backend.
///
/// `make` must return a new handle to ONE shared store, which is empty
/// before the first call (e.g. a `LocalBackend` on the same temporary
/// directory each time, or a GCS backend on one fresh bucket prefix). Two
/// handles stand for two cairn processes. The checks run in order, each in
/// workspaces of its own, so a store is only usable for one run.
pub fn conformance(make: impl Fn() -> Box<dyn Backend>) {
    empty(&make);
    round_trip(&make);
    conditional_write(&make);
    lock_contention(&make);
    force_unlock(&make);
    workspaces(&make);
}

fn empty(make: &impl Fn() -> Box<dyn Backend>) {
    let b = make();
    assert!(
        b.read("default").expect("read of empty store").is_none(),
        "empty store has state"
    );
    assert_eq!(
        b.workspaces().expect("workspaces"),
        vec!["default".to_string()]
    );
    assert!(
        b.lock_info("default").expect("lock_info").is_none(),
        "empty store is locked"
    );
    assert!(
        !b.location("default").is_empty(),
        "location names the state"
    );
}

fn round_trip(make: &impl Fn() -> Box<dyn Backend>) {
    let (a, b) = (make(), make());
    let ws = "conf-rw";
    let g1 = a
        .write(ws, b"first\n", Some(GENERATION_ABSENT))
        .expect("create");
    assert_ne!(
        g1, GENERATION_ABSENT,
        "generation of stored state must not be 0"
    );
    let s = b.read(ws).expect("read").expect("state stored");
    assert_eq!(s.bytes, b"first\n");
    assert_eq!(
        s.generation, g1,
        "read reports the generation write returned"
    );
    let g2 = b
        .write(ws, b"second\n", Some(g1))
        .expect("conditional update");
    assert_ne!(g2, g1, "generation changes when bytes change");
    let s = a.read(ws).expect("read").expect("state stored");
    assert_eq!((s.bytes.as_slice(), s.generation), (&b"second\n"[..], g2));
    let g3 = a.write(ws, b"forced\n", None).expect("unconditional write");
    let s = b.read(ws).expect("read").expect("state stored");
    assert_eq!((s.bytes.as_slice(), s.generation), (&b"forced\n"[..], g3));
    // large, binary-safe payloads survive
    let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let g4 = a.write(ws, &big, Some(g3)).expect("big write");
    let s = b.read(ws).expect("read").expect("state stored");
    assert!(
        s.bytes == big && s.generation == g4,
        "big payload round trip"
    );
    assert!(b.read("conf-never-written").expect("read").is_none());
}

fn conditional_write(make: &impl Fn() -> Box<dyn Backend>) {
    let (a, b) = (make(), make());
    let ws = "conf-conflict";
    match a.write(ws, b"x", Some(42)) {
        Err(BackendError::Conflict {
            expected: 42,
            found: GENERATION_ABSENT,
            ..
        }) => {}
        other => panic!("write to absent state with a generation must conflict, got {other:?}"),
    }
    assert!(
        a.read(ws).expect("read").is_none(),
        "failed write stored something"
    );
    let g1 = a
        .write(ws, b"base", Some(GENERATION_ABSENT))
        .expect("create");
    match b.write(ws, b"other", Some(GENERATION_ABSENT)) {
        Err(BackendError::Conflict { found, .. }) => assert_eq!(found, g1),
        other => panic!("create over existing state must conflict, got {other:?}"),
    }
    // both read g1; b wins, a must not overwrite b's update
    let g2 = b.write(ws, b"from b", Some(g1)).expect("b updates");
    let e = a
        .write(ws, b"from a", Some(g1))
        .expect_err("a's stale write must fail");
    match &e {
        BackendError::Conflict {
            expected,
            found,
            location,
        } => {
            assert_eq!((*expected, *found), (g1, g2));
            assert!(
                e.to_string().contains(location.as_str()),
                "message names the location: {e}"
            );
        }
        other => panic!("expected Conflict, got {other:?}"),
    }
    let s = a.read(ws).expect("read").expect("state");
    assert_eq!(s.bytes, b"from b", "the winner's update was lost");
}

fn lock_contention(make: &impl Fn() -> Box<dyn Backend>) {
    let (a, b) = (make(), make());
    let ws = "conf-lock";
    let ia = LockInfo::new("apply");
    let ib = LockInfo::new("plan");
    a.lock(ws, &ia).expect("lock a free workspace");
    let held = b
        .lock_info(ws)
        .expect("lock_info")
        .expect("lock visible to other handle");
    assert_eq!(
        (held.id.as_str(), held.operation.as_str(), held.who.as_str()),
        (ia.id.as_str(), "apply", ia.who.as_str())
    );
    assert!(!held.path.is_empty(), "backend fills in the lock path");
    match b.lock(ws, &ib) {
        Err(BackendError::Locked { holder, .. }) => assert_eq!(holder.id, ia.id),
        other => panic!("second locker must get Locked(holder), got {other:?}"),
    }
    match a.lock(ws, &ia) {
        Err(BackendError::Locked { .. }) => {}
        other => panic!("locks are not re-entrant, got {other:?}"),
    }
    // other workspaces are independent
    b.lock("conf-lock-other", &ib)
        .expect("other workspace is free");
    b.unlock("conf-lock-other", &ib.id)
        .expect("unlock other workspace");
    match b.unlock(ws, &ib.id) {
        Err(BackendError::LockIdMismatch { holder, .. }) => assert_eq!(holder.id, ia.id),
        other => panic!("unlock with the wrong id must fail, got {other:?}"),
    }
    a.unlock(ws, &ia.id).expect("unlock by holder");
    assert!(
        b.lock_info(ws).expect("lock_info").is_none(),
        "lock gone after unlock"
    );
    match a.unlock(ws, &ia.id) {
        Err(BackendError::NotLocked { .. }) => {}
        other => panic!("unlock of a free lock must be NotLocked, got {other:?}"),
    }
    b.lock(ws, &ib).expect("lock after release");
    b.unlock(ws, &ib.id).expect("unlock");
}

fn force_unlock(make: &impl Fn() -> Box<dyn Backend>) {
    let (a, b) = (make(), make());
    let ws = "conf-force";
    let info = LockInfo::new("apply");
    a.lock(ws, &info).expect("lock");
    let e = b
        .force_unlock(ws, "not-the-id")
        .expect_err("wrong id must not unlock");
    match &e {
        BackendError::LockIdMismatch { holder, .. } => assert_eq!(holder.id, info.id),
        other => panic!("expected LockIdMismatch, got {other:?}"),
    }
    assert!(
        e.to_string().contains(&info.id),
        "message names the holding id: {e}"
    );
    assert!(
        b.lock_info(ws).expect("lock_info").is_some(),
        "wrong-id force-unlock removed the lock"
    );
    b.force_unlock(ws, &info.id)
        .expect("force-unlock with the right id");
    assert!(a.lock_info(ws).expect("lock_info").is_none());
    match b.force_unlock(ws, &info.id) {
        Err(BackendError::NotLocked { .. }) => {}
        other => panic!("force-unlock of a free lock must be NotLocked, got {other:?}"),
    }
    a.lock(ws, &LockInfo::new("apply"))
        .expect("lock again after force-unlock");
}

fn workspaces(make: &impl Fn() -> Box<dyn Backend>) {
    let (a, b) = (make(), make());
    a.write("conf-ws-b", b"b", Some(GENERATION_ABSENT))
        .expect("write b");
    a.write("conf-ws-a", b"a", Some(GENERATION_ABSENT))
        .expect("write a");
    let list = b.workspaces().expect("workspaces");
    assert_eq!(
        list.first().map(String::as_str),
        Some("default"),
        "default first: {list:?}"
    );
    assert!(
        list[1..].windows(2).all(|w| w[0] < w[1]),
        "sorted, unique: {list:?}"
    );
    for want in ["conf-ws-a", "conf-ws-b", "conf-rw", "conf-conflict"] {
        assert!(
            list.iter().any(|w| w == want),
            "{want} missing from {list:?}"
        );
    }
    assert!(
        !list.iter().any(|w| w == "conf-lock-other"),
        "lock alone does not create a workspace: {list:?}"
    );

    b.delete_workspace("conf-ws-a").expect("delete");
    assert!(
        a.read("conf-ws-a").expect("read").is_none(),
        "deleted workspace still has state"
    );
    assert!(!a
        .workspaces()
        .expect("workspaces")
        .iter()
        .any(|w| w == "conf-ws-a"));
    assert!(a
        .workspaces()
        .expect("workspaces")
        .iter()
        .any(|w| w == "conf-ws-b"));
    match b.delete_workspace("conf-ws-a") {
        Err(BackendError::NoSuchWorkspace { .. }) => {}
        other => panic!("deleting a missing workspace must fail, got {other:?}"),
    }
    match b.delete_workspace("default") {
        Err(BackendError::InvalidWorkspace { .. }) => {}
        other => panic!("the default workspace cannot be deleted, got {other:?}"),
    }
    let info = LockInfo::new("apply");
    a.lock("conf-ws-b", &info).expect("lock");
    match b.delete_workspace("conf-ws-b") {
        Err(BackendError::Locked { holder, .. }) => assert_eq!(holder.id, info.id),
        other => panic!("deleting a locked workspace must fail, got {other:?}"),
    }
    a.unlock("conf-ws-b", &info.id).expect("unlock");
    b.delete_workspace("conf-ws-b")
        .expect("delete after unlock");
    for bad in ["", "..", "a/b"] {
        match a.read(bad) {
            Err(BackendError::InvalidWorkspace { .. }) => {}
            other => panic!("workspace name {bad:?} must be refused, got {other:?}"),
        }
    }
}
