//! The state file, and commands that work on state.

use crate::common::*;

#[test]
fn state_file_mode_backup_dependencies_lineage_serial() {
    let s = Stack::new("chain");
    s.apply_ok(&[]);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(s.path("cairn.tfstate")).expect("state").permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "state file mode");
    let first = s.state();
    let lineage = first["lineage"].as_str().expect("lineage").to_string();
    let serial = first["serial"].as_u64().expect("serial");
    assert!(!lineage.is_empty());
    assert_eq!(instance(&first, "cairn_test.r1")["dependencies"].as_array().map_or(0, |a| a.len()), 0);
    assert_eq!(instance(&first, "cairn_test.r2")["dependencies"], serde_json::json!(["cairn_test.r1"]));
    assert_eq!(instance(&first, "cairn_test.r3")["dependencies"], serde_json::json!(["cairn_test.r2"]), "direct dependencies only");

    s.apply_ok(&["-var=tag=v2"]);
    let second = s.state();
    assert_eq!(second["lineage"], lineage.as_str(), "lineage stays");
    assert!(second["serial"].as_u64().unwrap() > serial, "serial grows");
    assert_eq!(attr(&second, "cairn_test.r3", "output"), "v2");
    let backup = s.state_at("cairn.tfstate.backup");
    assert_eq!(backup["lineage"], lineage.as_str());
    assert!(backup["serial"].as_u64().unwrap() < second["serial"].as_u64().unwrap());
}

#[test]
fn newer_state_version_is_refused() {
    let s = Stack::new("chain");
    s.apply_ok(&[]);
    let mut st = s.state();
    st["version"] = serde_json::json!(5);
    s.write("cairn.tfstate", &serde_json::to_string_pretty(&st).unwrap());
    let r = s.run(&["plan"]).expect(1);
    assert!(r.stderr.contains("version 5"), "{}", r.stderr);
    assert!(r.stderr.contains("upgrade cairn"), "{}", r.stderr);
    let r = s.run(&["apply", "-auto-approve"]).expect(1);
    assert!(r.stderr.contains("upgrade cairn"), "{}", r.stderr);
    assert_eq!(s.state()["version"], 5, "left untouched");
}

#[test]
fn state_list_show_mv_rm() {
    let s = Stack::new("statecmds");
    s.apply_ok(&[]);
    let r = s.run(&["state", "list"]).expect(0);
    assert_eq!(r.stdout.lines().collect::<Vec<_>>(), ["terraform_data.a", "terraform_data.b[0]", "terraform_data.b[1]"]);
    let r = s.run(&["state", "list", "terraform_data.b"]).expect(0);
    assert_eq!(r.stdout.lines().collect::<Vec<_>>(), ["terraform_data.b[0]", "terraform_data.b[1]"]);

    let r = s.run(&["state", "show", "terraform_data.a"]).expect(0);
    assert!(r.stdout.contains("# terraform_data.a:"), "{}", r.stdout);
    assert!(r.stdout.contains("resource \"terraform_data\" \"a\""), "{}", r.stdout);
    assert!(r.stdout.contains("input"), "{}", r.stdout);
    let r = s.run(&["state", "show", "terraform_data.nope"]).expect(1);
    assert!(r.stderr.contains("No instance found"), "{}", r.stderr);

    let id = attr(&s.state(), "terraform_data.a", "id").clone();
    let r = s.run(&["state", "mv", "terraform_data.a", "terraform_data.c"]).expect(0);
    assert!(r.stdout.contains("Successfully moved 1 object(s)."), "{}", r.stdout);
    assert_eq!(attr(&s.state(), "terraform_data.c", "id"), &id);
    let r = s.run(&["state", "list"]).expect(0);
    assert!(r.stdout.contains("terraform_data.c") && !r.stdout.contains("terraform_data.a"), "{}", r.stdout);
    // The plan now wants to create a and destroy c.
    let r = s.run(&["plan"]).expect(0);
    assert!(r.stdout.contains("# terraform_data.a will be created"), "{}", r.stdout);
    assert!(r.stdout.contains("# terraform_data.c will be destroyed"), "{}", r.stdout);

    let r = s.run(&["state", "rm", "terraform_data.c", "terraform_data.b"]).expect(0);
    assert!(r.stdout.contains("Successfully removed 3 resource instance(s)."), "{}", r.stdout);
    assert!(addresses(&s.state()).is_empty(), "{:?}", addresses(&s.state()));
    let r = s.run(&["state", "rm", "terraform_data.c"]).expect(1);
    assert!(r.stderr.contains("no objects match"), "{}", r.stderr);
}

#[test]
fn state_pull_and_push() {
    let s = Stack::new("statecmds");
    s.apply_ok(&[]);
    let r = s.run(&["state", "pull"]).expect(0);
    let pulled: serde_json::Value = serde_json::from_str(&r.stdout).expect("pull prints JSON");
    assert_eq!(pulled["lineage"], s.state()["lineage"]);
    assert_eq!(addresses(&pulled).len(), 3);
    let saved = s.path("saved.tfstate");
    std::fs::write(&saved, &r.stdout).unwrap();

    s.run(&["state", "rm", "terraform_data.a"]).expect(0);
    // The saved copy is older (lower serial): refused without -force.
    let r = s.run(&["state", "push", saved.to_str().unwrap()]).expect(1);
    assert!(r.stderr.contains("-force"), "{}", r.stderr);
    assert_eq!(addresses(&s.state()).len(), 2);
    s.run(&["state", "push", "-force", saved.to_str().unwrap()]).expect(0);
    assert_eq!(addresses(&s.state()).len(), 3);
    s.run(&["plan", "-detailed-exitcode"]).expect(0);

    // Another lineage is refused too.
    let mut other = pulled.clone();
    other["lineage"] = serde_json::json!("another-lineage");
    other["serial"] = serde_json::json!(1000);
    let other_path = s.path("other.tfstate");
    std::fs::write(&other_path, serde_json::to_string(&other).unwrap()).unwrap();
    let r = s.run(&["state", "push", other_path.to_str().unwrap()]).expect(1);
    assert!(r.stderr.contains("lineage"), "{}", r.stderr);
}

#[test]
fn import_then_plan_updates_instead_of_creating() {
    let s = Stack::new("import");
    let r = s.run(&["import", "terraform_data.x", "imported-id"]).expect(0);
    assert!(r.stdout.contains("Import successful!"), "{}", r.stdout);
    assert_eq!(attr(&s.state(), "terraform_data.x", "id"), "imported-id");
    let r = s.run(&["plan"]).expect(0);
    assert!(r.stdout.contains("# terraform_data.x will be updated in-place"), "{}", r.stdout);
    assert!(r.stdout.contains("1 to change"), "{}", r.stdout);
    assert!(!r.stdout.contains("will be created"), "{}", r.stdout);
    let r = s.run(&["import", "terraform_data.x", "again"]).expect(1);
    assert!(r.stderr.contains("already managed"), "{}", r.stderr);
    let r = s.run(&["import", "terraform_data.missing", "x"]).expect(1);
    assert!(r.stderr.contains("does not exist"), "{}", r.stderr);
    s.apply_ok(&[]);
    assert_eq!(attr(&s.state(), "terraform_data.x", "id"), "imported-id");
    assert_eq!(attr(&s.state(), "terraform_data.x", "output"), "hello");
}

#[test]
fn workspaces_have_separate_state() {
    let s = Stack::new("workspaces");
    s.apply_ok(&[]);
    assert_eq!(attr(&s.state(), "terraform_data.w", "input"), "default");
    let r = s.run(&["workspace", "new", "dev"]).expect(0);
    assert!(r.stdout.contains("Created and switched to workspace \"dev\""), "{}", r.stdout);
    assert_eq!(s.run(&["workspace", "show"]).expect(0).stdout.trim(), "dev");
    let r = s.run(&["state", "list"]).expect(0);
    assert_eq!(r.stdout.trim(), "", "new workspace starts empty");
    let r = s.run(&["plan"]).expect(0);
    assert!(r.stdout.contains("Plan: 1 to add"), "{}", r.stdout);
    s.apply_ok(&[]);
    let dev = s.state_at("terraform.tfstate.d/dev/cairn.tfstate");
    assert_eq!(attr(&dev, "terraform_data.w", "input"), "dev");
    assert_eq!(attr(&s.state(), "terraform_data.w", "input"), "default", "default untouched");

    let r = s.run(&["workspace", "list"]).expect(0);
    assert!(r.stdout.lines().any(|l| l == "  default"), "{}", r.stdout);
    assert!(r.stdout.lines().any(|l| l == "* dev"), "{}", r.stdout);
    let r = s.run(&["workspace", "delete", "dev"]).expect(1);
    assert!(r.stderr.contains("active workspace"), "{}", r.stderr);
    s.run(&["workspace", "select", "default"]).expect(0);
    s.run(&["plan", "-detailed-exitcode"]).expect(0);
    let r = s.run(&["workspace", "select", "nope"]).expect(1);
    assert!(r.stderr.contains("doesn't exist"), "{}", r.stderr);
    let r = s.run(&["workspace", "delete", "dev"]).expect(1);
    assert!(r.stderr.contains("not empty"), "{}", r.stderr);
    s.run(&["workspace", "delete", "-force", "dev"]).expect(0);
    let r = s.run(&["workspace", "list"]).expect(0);
    assert!(!r.stdout.contains("dev"), "{}", r.stdout);
    // TF_WORKSPACE overrides the selection.
    s.run(&["workspace", "new", "ci"]).expect(0);
    s.run(&["workspace", "select", "default"]).expect(0);
    let r = s.run_env(&["workspace", "show"], &[("TF_WORKSPACE", "ci")]).expect(0);
    assert_eq!(r.stdout.trim(), "ci");
}

#[test]
fn moved_block_plans_a_move_without_replacement() {
    let s = Stack::new("moved");
    s.apply_ok(&[]);
    s.variant("v2");
    let r = s.run(&["plan"]).expect(0);
    assert!(r.stdout.contains("# terraform_data.a has moved to terraform_data.b"), "{}", r.stdout);
    assert!(!r.stdout.contains("will be created"), "{}", r.stdout);
    assert!(!r.stdout.contains("destroyed"), "{}", r.stdout);
    assert!(!r.stdout.contains("replaced"), "{}", r.stdout);
}

#[test]
fn moved_block_with_an_update_moves_and_updates() {
    let s = Stack::new("moved");
    s.apply_ok(&[]);
    let id = attr(&s.state(), "terraform_data.a", "id").clone();
    s.variant("v3");
    let r = s.run(&["plan"]).expect(0);
    assert!(r.stdout.contains("# terraform_data.b will be updated in-place"), "{}", r.stdout);
    assert!(r.stdout.contains("(moved from terraform_data.a)"), "{}", r.stdout);
    assert!(!r.stdout.contains("destroyed") && !r.stdout.contains("will be created"), "{}", r.stdout);
    s.apply_ok(&[]);
    let st = s.state();
    assert_eq!(addresses(&st), ["terraform_data.b"]);
    assert_eq!(attr(&st, "terraform_data.b", "id"), &id, "same object");
    assert_eq!(attr(&st, "terraform_data.b", "output"), "changed");
}

#[test]
fn moved_block_alone_is_recorded_in_state_by_apply() {
    let s = Stack::new("moved");
    s.apply_ok(&[]);
    let id = attr(&s.state(), "terraform_data.a", "id").clone();
    s.variant("v2");
    s.apply_ok(&[]);
    let st = s.state();
    assert_eq!(addresses(&st), ["terraform_data.b"], "the move is in state");
    assert_eq!(attr(&st, "terraform_data.b", "id"), &id, "same object");
    let r = s.run(&["plan"]).expect(0);
    assert!(!r.stdout.contains("has moved to"), "the move is done:\n{}", r.stdout);
}

#[test]
fn terraform_remote_state_reads_another_stacks_outputs() {
    // Two stacks side by side: the consumer reads the producer's outputs.
    let s = Stack::new("remote_state");
    let producer = s.dir().join("producer");
    let consumer = s.dir().join("consumer");
    std::fs::create_dir_all(&producer).unwrap();
    std::fs::create_dir_all(&consumer).unwrap();
    std::fs::copy(fixtures().join("remote_state/producer/main.tf"), producer.join("main.tf")).unwrap();
    let text = std::fs::read_to_string(fixtures().join("remote_state/consumer/main.tf")).unwrap();
    std::fs::write(consumer.join("main.tf"), text.replace("producer/cairn.tfstate", "../producer/cairn.tfstate")).unwrap();
    let run = |dir: &std::path::Path, args: &[&str]| {
        let out = command().arg(format!("-chdir={}", dir.display())).args(args).output().unwrap();
        (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    // Before the producer exists: a located error naming the missing state.
    let (code, _, err) = run(&consumer, &["plan"]);
    assert_eq!(code, 1);
    assert!(err.contains("Failed to read data source"), "{err}");
    assert!(err.contains("no state at"), "{err}");
    let (code, _, err) = run(&producer, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(&consumer, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"a\" = \"vpc-1-a-d\""), "set outputs keep their type, defaults fill gaps: {out}");
    let (code, _, _) = run(&consumer, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "no changes after apply");
}
