//! Less travelled paths: drift, failed deletes and replacements, waiting
//! for locks, a second Ctrl-C, confirmation, sensitive values in state views.

use std::time::{Duration, Instant};

use crate::common::*;

fn remote_env(s: &Stack) -> (String, std::path::PathBuf) {
    let dir = s.path("remote");
    std::fs::create_dir_all(&dir).unwrap();
    (dir.to_str().unwrap().to_string(), dir)
}

#[test]
fn drift_refresh_false_refresh_only_and_refresh() {
    let s = Stack::new("remote");
    let (dir_s, dir) = remote_env(&s);
    let env = [("CAIRN_TEST_REMOTE_DIR", dir_s.as_str())];
    s.run_env(&["apply", "-auto-approve"], &env).expect(0);
    let st = s.state();
    let a_id = attr(&st, "cairn_test.a", "id").as_str().unwrap().to_string();
    let gone_id = attr(&st, "cairn_test.gone", "id").as_str().unwrap().to_string();
    std::fs::write(dir.join(format!("{a_id}.json")), "\"changed-outside\"").unwrap();
    std::fs::remove_file(dir.join(format!("{gone_id}.json"))).unwrap();

    // Without refresh the stored state is believed.
    let r = s.run_env(&["plan", "-refresh=false", "-detailed-exitcode"], &env).expect(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    // With refresh: drift is reported and the deleted object is planned anew.
    let r = s.run_env(&["plan"], &env).expect(0);
    assert!(r.stdout.contains("Objects have changed outside of cairn"), "{}", r.stdout);
    assert!(r.stdout.contains("# cairn_test.a has changed"), "{}", r.stdout);
    assert!(r.stdout.contains("# cairn_test.gone has been deleted"), "{}", r.stdout);
    assert!(r.stdout.contains("# cairn_test.gone will be created"), "{}", r.stdout);
    assert!(!r.stdout.contains("cairn_test.a will be"), "{}", r.stdout);
    assert_eq!(attr(&s.state(), "cairn_test.a", "output"), "x", "plan does not write state");

    // -refresh-only plans only the state update.
    let r = s.run_env(&["plan", "-refresh-only", "-detailed-exitcode"], &env).expect(2);
    assert!(r.stdout.contains("# cairn_test.gone has been deleted"), "{}", r.stdout);
    assert!(r.stdout.contains("This is a refresh-only plan"), "{}", r.stdout);
    assert!(!r.stdout.contains("will be created"), "{}", r.stdout);

    s.run_env(&["apply", "-refresh-only", "-auto-approve"], &env).expect(0);
    let st = s.state();
    assert_eq!(addresses(&st), ["cairn_test.a"], "the deleted object left the state");
    assert_eq!(attr(&st, "cairn_test.a", "output"), "changed-outside", "the drift is recorded");
    assert!(!dir.join(format!("{gone_id}.json")).exists());
    let r = s.run_env(&["plan"], &env).expect(0);
    assert!(r.stdout.contains("# cairn_test.gone will be created"), "{}", r.stdout);
    assert!(!r.stdout.contains("Objects have changed outside"), "{}", r.stdout);
}

#[test]
fn refresh_command_records_drift() {
    let s = Stack::new("remote");
    let (dir_s, dir) = remote_env(&s);
    let env = [("CAIRN_TEST_REMOTE_DIR", dir_s.as_str())];
    s.run_env(&["apply", "-auto-approve"], &env).expect(0);
    let gone_id = attr(&s.state(), "cairn_test.gone", "id").as_str().unwrap().to_string();
    std::fs::remove_file(dir.join(format!("{gone_id}.json"))).unwrap();
    s.run_env(&["refresh"], &env).expect(0);
    assert_eq!(addresses(&s.state()), ["cairn_test.a"]);
}

#[test]
fn destroy_with_failed_delete_keeps_the_object_and_what_it_needs() {
    let s = Stack::new("faildelete");
    s.apply_ok(&[]);
    let r = s.run(&["destroy", "-auto-approve"]).expect(1);
    assert!(r.stderr.contains("Failed to destroy cairn_test.stuck"), "{}", r.stderr);
    assert!(r.stderr.contains("injected failure"), "{}", r.stderr);
    assert!(r.stdout.contains("cairn_test.base: not applied: upstream cairn_test.stuck failed"), "{}", r.stdout);
    assert!(!r.stdout.contains("cairn_test.base: Destroying..."), "{}", r.stdout);
    assert_eq!(addresses(&s.state()), ["cairn_test.base", "cairn_test.stuck"], "only free is gone");
    assert!(!s.path("cairn.tfstate.lock.info").exists(), "lock released after a failure");
}

#[test]
fn fixing_a_failure_and_applying_again_creates_the_rest() {
    let s = Stack::new("failure");
    s.run(&["apply", "-auto-approve"]).expect(1);
    assert!(!s.path("cairn.tfstate.lock.info").exists(), "lock released after a failure");
    s.variant("v2");
    let r = s.apply_ok(&[]);
    assert!(r.stdout.contains("2 added"), "{}", r.stdout);
    let st = s.state();
    assert_eq!(addresses(&st), ["cairn_test.bad", "cairn_test.dependent", "cairn_test.independent"]);
    assert_eq!(attr(&st, "cairn_test.dependent", "input"), attr(&st, "cairn_test.bad", "id"));
    assert_eq!(instance(&st, "cairn_test.dependent")["dependencies"], serde_json::json!(["cairn_test.bad"]));
}

#[test]
fn failed_replacement_create_before_destroy_keeps_the_old_object() {
    let s = Stack::new("cbd");
    s.apply_ok(&[]);
    let st = s.state();
    let cbd_id = attr(&st, "cairn_test.cbd", "id").clone();
    let r = s.run(&["plan", "-var=t=2"]).expect(0);
    assert!(r.stdout.contains("# cairn_test.cbd must be replaced"), "{}", r.stdout);
    assert!(r.stdout.contains("+/- create replacement and then destroy") || r.stdout.contains("+/-"), "{}", r.stdout);
    let r = s.run(&["apply", "-auto-approve", "-var=t=2", "-var=fail=true"]).expect(1);
    assert!(r.stderr.contains("Failed to replace cairn_test.cbd"), "{}", r.stderr);
    assert!(r.stderr.contains("Failed to replace cairn_test.dbc"), "{}", r.stderr);
    let st = s.state();
    // create_before_destroy: the create failed, the old object is untouched.
    assert_eq!(attr(&st, "cairn_test.cbd", "id"), &cbd_id);
    // delete-then-create: the old object is gone, and so is its record.
    assert_eq!(addresses(&st), ["cairn_test.cbd"]);
    let r = s.run(&["plan", "-var=t=2"]).expect(0);
    assert!(r.stdout.contains("# cairn_test.dbc will be created"), "{}", r.stdout);
    assert!(r.stdout.contains("# cairn_test.cbd must be replaced"), "{}", r.stdout);
}

#[test]
fn lock_timeout_waits_for_the_holder() {
    let s = Stack::new("lockshort");
    let mut bg = s.spawn(&["apply", "-auto-approve"], &[]);
    bg.wait_for("create in flight", Duration::from_secs(20), |o| o.contains("Creating..."));
    let start = Instant::now();
    let r = s.run(&["plan", "-lock-timeout=30s", "-detailed-exitcode"]).expect(0);
    assert!(r.stdout.contains("No changes."), "planned after the apply finished:\n{}", r.stdout);
    assert!(start.elapsed() >= Duration::from_millis(500), "waited for the lock");
    assert_eq!(bg.finish().code, 0);
}

#[test]
fn second_ctrl_c_stops_at_once() {
    let s = Stack::new("lock");
    let mut bg = s.spawn(&["apply", "-auto-approve"], &[]);
    bg.wait_for("create in flight", Duration::from_secs(20), |o| o.contains("Creating..."));
    std::thread::sleep(Duration::from_millis(300));
    bg.signal(libc::SIGINT);
    bg.wait_for("interrupt acknowledged", Duration::from_secs(5), |o| o.contains("Interrupt received"));
    let start = Instant::now();
    bg.signal(libc::SIGINT);
    let r = bg.finish();
    assert!(start.elapsed() < Duration::from_millis(2500), "did not wait for the 4s create: {:?}", start.elapsed());
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("Apply interrupted"), "{}", r.stderr);
    assert!(!s.path("cairn.tfstate.lock.info").exists(), "lock released");
}

#[test]
fn apply_without_auto_approve_and_no_terminal_refuses() {
    let s = Stack::new("basic");
    let r = s.run(&["apply"]).expect(1);
    assert!(r.stderr.contains("-auto-approve"), "{}", r.stderr);
    assert!(!r.stdout.contains("Creating..."), "{}", r.stdout);
    assert!(!s.path("cairn.tfstate").exists() || addresses(&s.state()).is_empty());
    assert!(!s.path("cairn.tfstate.lock.info").exists());
}

#[test]
fn destroy_with_target_takes_dependents_along() {
    let s = Stack::new("chain");
    s.apply_ok(&[]);
    let r = s.run(&["destroy", "-auto-approve", "-target=cairn_test.r2"]).expect(0);
    assert!(r.stdout.contains("2 destroyed"), "{}", r.stdout);
    assert_eq!(addresses(&s.state()), ["cairn_test.other", "cairn_test.r1"]);
}

#[test]
fn saved_destroy_plan() {
    let s = Stack::new("chain");
    s.apply_ok(&[]);
    s.run(&["plan", "-destroy", "-out=d.plan"]).expect(0);
    let r = s.run(&["apply", "d.plan"]).expect(0);
    assert!(r.stdout.contains("Destroy complete! Resources: 4 destroyed."), "{}", r.stdout);
    assert!(addresses(&s.state()).is_empty());
}

#[test]
fn target_instance_key() {
    let s = Stack::new("parallel");
    let r = s.run(&["plan", "-target=cairn_test.p[1]"]).expect(0);
    assert!(r.stdout.contains("# cairn_test.p[1] will be created"), "{}", r.stdout);
    assert!(r.stdout.contains("Plan: 1 to add"), "{}", r.stdout);
}

#[test]
fn sensitive_values_hidden_in_state_views() {
    let s = Stack::new("saved");
    s.apply_ok(&[]);
    let st = std::fs::read_to_string(s.path("cairn.tfstate")).unwrap();
    assert!(st.contains("s3cr3t-variable-value"), "state holds the real value");
    for args in [&["show"][..], &["show", "-json"], &["state", "show", "terraform_data.s"]] {
        let r = s.run(args).expect(0);
        assert!(!r.all().contains("s3cr3t-variable-value"), "{args:?} shows the sensitive value:\n{}", r.stdout);
    }
    let r = s.run(&["plan", "-var=secret=another-s3cr3t"]).expect(0);
    assert!(!r.all().contains("s3cr3t"), "{}", r.stdout);
}
