//! Create, plan again, update, replace, delete; saved plans; outputs.

use crate::common::*;

#[test]
fn create_then_no_changes_and_outputs() {
    let s = Stack::new("basic");
    let r = s.run(&["plan"]).expect(0);
    assert!(r.stdout.contains("Plan: 2 to add"), "{}", r.stdout);
    assert!(r.stdout.contains("# cairn_test.a will be created"), "{}", r.stdout);
    assert!(!r.all().contains("hunter2-output-secret"), "{}", r.all());
    s.run(&["plan", "-detailed-exitcode"]).expect(2);
    assert!(!s.path("cairn.tfstate").exists() || addresses(&s.state()).is_empty(), "plan must not create objects");

    let r = s.apply_ok(&[]);
    assert!(r.stdout.contains("cairn_test.a: Creating..."), "{}", r.stdout);
    assert!(r.stdout.contains("Apply complete! Resources: 2 added, 0 changed"), "{}", r.stdout);
    assert!(r.stdout.contains("Outputs:"), "{}", r.stdout);
    assert!(r.stdout.contains("a_out = \"one\""), "{}", r.stdout);
    assert!(r.stdout.contains("secret = <sensitive>"), "{}", r.stdout);
    assert!(!r.all().contains("hunter2-output-secret"), "{}", r.all());
    let st = s.state();
    assert_eq!(addresses(&st), ["cairn_test.a", "terraform_data.b"]);
    assert_eq!(attr(&st, "cairn_test.a", "output"), "one");
    assert_eq!(attr(&st, "terraform_data.b", "output"), "one");

    let r = s.run(&["plan"]).expect(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    s.run(&["plan", "-detailed-exitcode"]).expect(0);

    let r = s.run(&["output"]).expect(0);
    assert!(r.stdout.contains("a_out = \"one\""), "{}", r.stdout);
    assert!(r.stdout.contains("secret = <sensitive>"), "{}", r.stdout);
    assert!(!r.stdout.contains("hunter2"), "{}", r.stdout);

    let r = s.run(&["output", "-json"]).expect(0);
    let j: serde_json::Value = serde_json::from_str(&r.stdout).expect("output -json is JSON");
    assert_eq!(j["a_out"]["value"], "one");
    assert_eq!(j["a_out"]["sensitive"], false);
    assert_eq!(j["secret"]["value"], "hunter2-output-secret");
    assert_eq!(j["secret"]["sensitive"], true);

    let r = s.run(&["output", "-raw", "a_out"]).expect(0);
    assert_eq!(r.stdout, "one");
    let r = s.run(&["output", "secret"]).expect(0);
    assert_eq!(r.stdout.trim(), "<sensitive>");
    let r = s.run(&["output", "missing"]).expect(1);
    assert!(r.stderr.contains("Output \"missing\" not found"), "{}", r.stderr);
}

#[test]
fn update_replace_delete_count_and_for_each() {
    let s = Stack::new("changes");
    s.apply_ok(&[]);
    let before = s.state();
    assert_eq!(addresses(&before).len(), 9, "{:?}", addresses(&before));
    let upd_id = attr(&before, "cairn_test.upd", "id").clone();
    let rep_id = attr(&before, "cairn_test.rep", "id").clone();

    s.variant("v2");
    let r = s.run(&["plan", "-detailed-exitcode"]).expect(2);
    let p = &r.stdout;
    assert!(p.contains("# cairn_test.upd will be updated in-place"), "{p}");
    assert!(p.contains("# cairn_test.rep must be replaced"), "{p}");
    assert!(p.contains("# forces replacement"), "{p}");
    assert!(p.contains("# cairn_test.gone will be destroyed"), "{p}");
    assert!(p.contains("(because cairn_test.gone is not in configuration)"), "{p}");
    assert!(p.contains("# cairn_test.counted[2] will be destroyed"), "{p}");
    assert!(p.contains("out of range for count"), "{p}");
    assert!(p.contains("# cairn_test.each[\"z\"] will be destroyed"), "{p}");
    assert!(p.contains("is not in for_each map"), "{p}");
    assert!(!p.contains("cairn_test.counted[1] will"), "{p}");
    assert!(p.contains("0 to add"), "{p}");
    assert!(p.contains("1 to change"), "{p}");
    assert!(p.contains("1 to replace"), "{p}");
    assert!(p.contains("3 to destroy"), "{p}");

    let r = s.apply_ok(&[]);
    assert!(r.stdout.contains("1 changed, 1 replaced, 3 destroyed"), "{}", r.stdout);
    let after = s.state();
    assert_eq!(
        addresses(&after),
        ["cairn_test.counted[0]", "cairn_test.counted[1]", "cairn_test.each[\"x\"]", "cairn_test.each[\"y\"]", "cairn_test.rep", "cairn_test.upd"]
    );
    assert_eq!(attr(&after, "cairn_test.upd", "id"), &upd_id, "update keeps the id");
    assert_eq!(attr(&after, "cairn_test.upd", "output"), "v2");
    assert_ne!(attr(&after, "cairn_test.rep", "id"), &rep_id, "replacement makes a new object");
    assert_eq!(attr(&after, "cairn_test.rep", "triggers_replace"), "t2");
    s.run(&["plan", "-detailed-exitcode"]).expect(0);
}

#[test]
fn saved_plan_applies_exactly_what_was_planned() {
    let s = Stack::new("saved");
    let r = s.run(&["plan", "-out=p.plan", "-var=name=planned"]).expect(0);
    assert!(r.stdout.contains("Saved the plan to"), "{}", r.stdout);
    let mode = std::fs::metadata(s.path("p.plan")).expect("plan file").permissions();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(mode.mode() & 0o777, 0o600, "plan file mode");

    let show = s.run(&["show", "p.plan"]).expect(0);
    assert!(show.stdout.contains("# cairn_test.a will be created"), "{}", show.stdout);
    assert!(!show.all().contains("s3cr3t-variable-value"), "{}", show.all());

    // No -var now: the saved plan's values are used.
    let r = s.run(&["apply", "p.plan"]).expect(0);
    assert!(r.stdout.contains("Apply complete! Resources: 2 added"), "{}", r.stdout);
    assert!(!r.all().contains("s3cr3t-variable-value"), "{}", r.all());
    let st = s.state();
    assert_eq!(attr(&st, "cairn_test.a", "input"), "planned");
}

#[test]
fn saved_plan_is_stale_after_config_change() {
    let s = Stack::new("saved");
    s.run(&["plan", "-out=p.plan"]).expect(0);
    let mut tf = std::fs::read_to_string(s.path("main.tf")).unwrap();
    tf.push_str("\nresource \"terraform_data\" \"extra\" {}\n");
    s.write("main.tf", &tf);
    let r = s.run(&["apply", "p.plan"]).expect(1);
    assert!(r.stderr.contains("Saved plan is stale"), "{}", r.stderr);
    assert!(r.stderr.contains("configuration changed"), "{}", r.stderr);
    assert!(!s.path("cairn.tfstate").exists() || addresses(&s.state()).is_empty());
}

#[test]
fn saved_plan_is_stale_after_another_apply() {
    let s = Stack::new("saved");
    s.apply_ok(&[]);
    s.run(&["plan", "-out=p.plan", "-var=name=second"]).expect(0);
    s.apply_ok(&["-var=name=third"]);
    let r = s.run(&["apply", "p.plan"]).expect(1);
    assert!(r.stderr.contains("Saved plan is stale"), "{}", r.stderr);
    assert!(r.stderr.contains("state changed"), "{}", r.stderr);
    assert!(r.stderr.contains("serial"), "{}", r.stderr);
    assert!(r.stderr.contains("lineage"), "{}", r.stderr);
    assert_eq!(attr(&s.state(), "cairn_test.a", "input"), "third");
}
