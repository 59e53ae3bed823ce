//! Partial failure, Ctrl-C, and state locks.

use std::time::Duration;

use crate::common::*;

#[test]
fn partial_failure_keeps_every_success() {
    let s = Stack::new("failure");
    let r = s.run(&["apply", "-auto-approve"]).expect(1);
    let st = s.state();
    assert_eq!(addresses(&st), ["cairn_test.independent"], "state holds every success");
    assert!(r.stdout.contains("cairn_test.dependent: not applied: upstream cairn_test.bad failed"), "{}", r.stdout);
    assert!(!r.stdout.contains("cairn_test.dependent: Creating..."), "{}", r.stdout);
    assert_eq!(count(&r.stderr, "Failed to create cairn_test.bad"), 1, "reported once:\n{}", r.stderr);
    assert!(r.stderr.contains("injected failure"), "{}", r.stderr);
    assert!(r.stdout.contains("Apply failed: 1 added, 0 changed, 0 replaced, 0 destroyed, 1 failed, 1 not applied."), "{}", r.stdout);

    // The next plan wants the failed and skipped ones only.
    let r = s.run(&["plan"]).expect(0);
    assert!(r.stdout.contains("Plan: 2 to add"), "{}", r.stdout);
    assert!(!r.stdout.contains("cairn_test.independent will"), "{}", r.stdout);
}

#[test]
fn ctrl_c_finishes_in_flight_and_starts_nothing_new() {
    let s = Stack::new("interrupt");
    let mut bg = s.spawn(&["apply", "-auto-approve", "-parallelism=2"], &[]);
    bg.wait_for("two creates in flight", Duration::from_secs(20), |o| count(o, "Creating...") >= 2);
    std::thread::sleep(Duration::from_millis(400));
    bg.signal(libc::SIGINT);
    let r = bg.finish();
    assert_eq!(r.code, 1, "stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("Interrupt received"), "{}", r.stdout);
    assert!(r.stderr.contains("Apply interrupted"), "{}", r.stderr);
    assert_eq!(count(&r.stdout, "Creating..."), 2, "nothing new started:\n{}", r.stdout);
    assert_eq!(count(&r.stdout, "Creation complete"), 2, "in-flight ones finished:\n{}", r.stdout);
    let st = s.state();
    assert_eq!(addresses(&st).len(), 2, "{:?}", addresses(&st));
    // The lock is released.
    assert!(!s.path("cairn.tfstate.lock.info").exists());
    let r = s.run(&["plan"]).expect(0);
    assert!(r.stdout.contains("Plan: 2 to add"), "{}", r.stdout);
}

#[test]
fn lock_contention_and_lock_false() {
    let s = Stack::new("lock");
    let mut bg = s.spawn(&["apply", "-auto-approve"], &[]);
    bg.wait_for("create in flight", Duration::from_secs(20), |o| o.contains("Creating..."));
    let r = s.run(&["plan", "-lock-timeout=1s"]).expect(1);
    assert!(r.stderr.contains("Error acquiring the state lock"), "{}", r.stderr);
    assert!(r.stderr.contains("ID:"), "{}", r.stderr);
    assert!(r.stderr.contains("Operation: apply"), "{}", r.stderr);
    let r = s.run(&["plan", "-lock=false"]).expect(0);
    assert!(r.stdout.contains("Plan: 1 to add"), "{}", r.stdout);
    let r = bg.finish();
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(!s.path("cairn.tfstate.lock.info").exists());
    s.run(&["plan"]).expect(0);
}

#[test]
fn force_unlock_clears_a_lock_left_by_a_killed_apply() {
    let s = Stack::new("lock");
    let mut bg = s.spawn(&["apply", "-auto-approve"], &[]);
    bg.wait_for("create in flight", Duration::from_secs(20), |o| o.contains("Creating..."));
    bg.signal(libc::SIGKILL);
    let r = bg.finish();
    assert_eq!(r.code, -1);
    let lock_path = s.path("cairn.tfstate.lock.info");
    let lock: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&lock_path).expect("lock left behind")).expect("lock JSON");
    let id = lock["ID"].as_str().expect("lock ID").to_string();
    assert_eq!(lock["Operation"], "apply");

    let r = s.run(&["plan"]).expect(1);
    assert!(r.stderr.contains("Error acquiring the state lock"), "{}", r.stderr);
    assert!(r.stderr.contains(&id), "names the holder's ID:\n{}", r.stderr);

    let r = s.run(&["force-unlock", "-force", "not-the-id"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(lock_path.exists());

    let r = s.run(&["force-unlock", "-force", &id]).expect(0);
    assert!(r.stdout.contains("successfully unlocked"), "{}", r.stdout);
    assert!(!lock_path.exists());
    s.run(&["plan"]).expect(0);
}

#[test]
fn preconditions_postconditions_and_checks() {
    let s = Stack::new("conditions");
    // A failed check is a warning; a failed postcondition fails the apply
    // after the object is made (it stays in state), and stops dependents.
    let r = s.run(&["apply", "-auto-approve"]).expect(1);
    let err = &r.stderr;
    assert!(err.contains("Warning: Check block assertion failed: small"), "{err}");
    assert!(err.contains("n should be small"), "{err}");
    assert!(err.contains("Error: Resource postcondition failed"), "{err}");
    assert!(err.contains("b's output must be y, got x"), "{err}");
    assert!(err.contains("in terraform_data.b"), "{err}");
    assert!(!err.contains("output mismatch"), "a's postconditions hold: {err}");
    assert_eq!(addresses(&s.state()), ["terraform_data.a[0]", "terraform_data.a[1]", "terraform_data.b"]);
    // A failed precondition stops the plan, once per instance.
    let r = s.run(&["plan", "-var", "n=20"]).expect(1);
    assert_eq!(r.stderr.matches("Error: Resource precondition failed").count(), 2, "{}", r.stderr);
    assert!(r.stderr.contains("in terraform_data.a[1]"), "{}", r.stderr);
}
