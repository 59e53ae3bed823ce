//! Plan and apply flags.

use crate::common::*;

#[test]
fn target_plans_only_the_target_and_its_dependencies() {
    let s = Stack::new("chain");
    let r = s.run(&["plan", "-target=cairn_test.r2"]).expect(0);
    assert!(r.stdout.contains("# cairn_test.r1 will be created"), "{}", r.stdout);
    assert!(r.stdout.contains("# cairn_test.r2 will be created"), "{}", r.stdout);
    assert!(!r.stdout.contains("cairn_test.r3"), "{}", r.stdout);
    assert!(!r.stdout.contains("cairn_test.other"), "{}", r.stdout);
    assert!(r.stdout.contains("Plan: 2 to add"), "{}", r.stdout);
    s.apply_ok(&["-target=cairn_test.r2"]);
    assert_eq!(addresses(&s.state()), ["cairn_test.r1", "cairn_test.r2"]);
    let r = s.run(&["plan"]).expect(0);
    assert!(r.stdout.contains("Plan: 2 to add"), "{}", r.stdout);
}

#[test]
fn exclude_leaves_out_the_resource_and_its_dependents() {
    let s = Stack::new("chain");
    let r = s.run(&["plan", "-exclude=cairn_test.r2"]).expect(0);
    assert!(r.stdout.contains("# cairn_test.r1 will be created"), "{}", r.stdout);
    assert!(r.stdout.contains("# cairn_test.other will be created"), "{}", r.stdout);
    assert!(!r.stdout.contains("cairn_test.r2 will"), "{}", r.stdout);
    assert!(!r.stdout.contains("cairn_test.r3 will"), "{}", r.stdout);
    assert!(r.stdout.contains("Plan: 2 to add"), "{}", r.stdout);
}

#[test]
fn replace_requested() {
    let s = Stack::new("chain");
    s.apply_ok(&[]);
    let id = attr(&s.state(), "cairn_test.other", "id").clone();
    let r = s.run(&["plan", "-replace=cairn_test.other"]).expect(0);
    assert!(r.stdout.contains("# cairn_test.other will be replaced, as requested"), "{}", r.stdout);
    assert!(r.stdout.contains("1 to replace"), "{}", r.stdout);
    let r = s.apply_ok(&["-replace=cairn_test.other"]);
    assert!(r.stdout.contains("1 replaced"), "{}", r.stdout);
    assert_ne!(attr(&s.state(), "cairn_test.other", "id"), &id);
}

#[test]
fn destroy_removes_everything_in_reverse_dependency_order() {
    let s = Stack::new("chain");
    s.apply_ok(&[]);
    let r = s.run(&["plan", "-destroy", "-detailed-exitcode"]).expect(2);
    assert!(r.stdout.contains("4 to destroy"), "{}", r.stdout);
    assert_eq!(addresses(&s.state()).len(), 4, "plan -destroy changes nothing");
    let r = s.run(&["destroy", "-auto-approve"]).expect(0);
    assert!(r.stdout.contains("Destroy complete! Resources: 4 destroyed."), "{}", r.stdout);
    let order: Vec<&str> = r.stdout.lines().filter(|l| l.ends_with("Destroying...")).filter_map(|l| l.split(':').next()).collect();
    let pos = |a: &str| order.iter().position(|x| *x == a).unwrap_or_else(|| panic!("{a} not destroyed: {order:?}"));
    assert!(pos("cairn_test.r3") < pos("cairn_test.r2"), "{order:?}");
    assert!(pos("cairn_test.r2") < pos("cairn_test.r1"), "{order:?}");
    // Each delete starts only after its dependents' deletes finished.
    let r3_done = r.stdout.find("cairn_test.r3: Destruction complete").expect("r3 done");
    let r2_start = r.stdout.find("cairn_test.r2: Destroying...").expect("r2 start");
    assert!(r3_done < r2_start, "{}", r.stdout);
    assert!(addresses(&s.state()).is_empty());
    let r = s.run(&["destroy", "-auto-approve"]).expect(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
}

#[test]
fn refresh_false_and_refresh_only() {
    let s = Stack::new("chain");
    s.apply_ok(&[]);
    let r = s.run(&["plan", "-refresh=false", "-detailed-exitcode"]).expect(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    let r = s.run(&["plan", "-refresh=false", "-var=tag=v2"]).expect(0);
    assert!(r.stdout.contains("# cairn_test.r1 will be updated in-place"), "{}", r.stdout);
    // -refresh-only never proposes object changes, even when the configuration differs.
    let r = s.run(&["plan", "-refresh-only", "-var=tag=v2"]).expect(0);
    assert!(!r.stdout.contains("will be updated"), "{}", r.stdout);
    assert!(!r.stdout.contains("to change"), "{}", r.stdout);
    let serial = s.state()["serial"].clone();
    let r = s.run(&["refresh", "-var=tag=v2"]).expect(0);
    assert!(!r.stdout.contains("Modifying..."), "{}", r.stdout);
    assert_eq!(attr(&s.state(), "cairn_test.r1", "input"), "v1");
    let _ = serial;
}

#[test]
fn variable_precedence_env_file_cli() {
    let s = Stack::new("vars");
    let env = [("TF_VAR_v", "from-env")];
    let r = s.run_env(&["plan"], &env).expect(0);
    assert!(r.stdout.contains("\"from-env\""), "{}", r.stdout);
    let r = s.run_env(&["plan", "-var-file=file.tfvars"], &env).expect(0);
    assert!(r.stdout.contains("\"from-file\"") && !r.stdout.contains("from-env"), "{}", r.stdout);
    let r = s.run_env(&["plan", "-var-file=file.tfvars", "-var=v=from-cli"], &env).expect(0);
    assert!(r.stdout.contains("\"from-cli\"") && !r.stdout.contains("from-file"), "{}", r.stdout);
    s.write("terraform.tfvars", "v = \"from-tfvars\"\n");
    let r = s.run_env(&["plan"], &env).expect(0);
    assert!(r.stdout.contains("\"from-tfvars\""), "terraform.tfvars beats the environment:\n{}", r.stdout);
    s.write("x.auto.tfvars", "v = \"from-auto\"\n");
    let r = s.run_env(&["plan"], &env).expect(0);
    assert!(r.stdout.contains("\"from-auto\""), "*.auto.tfvars beats terraform.tfvars:\n{}", r.stdout);
    let r = s.run_env(&["plan", "-var=v=from-cli"], &env).expect(0);
    assert!(r.stdout.contains("\"from-cli\""), "{}", r.stdout);
}

#[test]
fn later_var_file_overrides_earlier_var() {
    let s = Stack::new("vars");
    let r = s.run(&["plan", "-var=v=from-cli", "-var-file=file.tfvars"]).expect(0);
    assert!(r.stdout.contains("\"from-file\""), "the last one given wins, as in Terraform:\n{}", r.stdout);
}

#[test]
fn missing_required_variable_with_input_false() {
    let s = Stack::new("vars");
    let r = s.run(&["plan", "-input=false"]).expect(1);
    assert!(r.stderr.contains("No value for required variable"), "{}", r.stderr);
    assert!(r.stderr.contains("\"v\"") || r.stderr.contains("var.v"), "names the variable:\n{}", r.stderr);
    let r = s.run(&["apply", "-auto-approve", "-input=false"]).expect(1);
    assert!(r.stderr.contains("No value for required variable"), "{}", r.stderr);
    assert!(!s.path("cairn.tfstate").exists());
}

#[test]
fn parallelism_is_honoured() {
    let s = Stack::new("parallel");
    let file = s.path("max-inflight");
    let file_s = file.to_str().unwrap();
    let r = s.run_env(&["apply", "-auto-approve", "-parallelism=2"], &[("CAIRN_TEST_MAX_INFLIGHT_FILE", file_s)]).expect(0);
    assert!(r.stdout.contains("6 added"), "{}", r.stdout);
    let max: usize = std::fs::read_to_string(&file).expect("max file").trim().parse().expect("number");
    assert_eq!(max, 2, "at most (and, with 6 independent creates, exactly) 2 in flight");

    s.run(&["destroy", "-auto-approve"]).expect(0);
    std::fs::remove_file(&file).unwrap();
    s.run_env(&["apply", "-auto-approve"], &[("CAIRN_TEST_MAX_INFLIGHT_FILE", file_s)]).expect(0);
    let max: usize = std::fs::read_to_string(&file).expect("max file").trim().parse().expect("number");
    assert!(max > 2, "the default parallelism runs more than 2 at once: {max}");

    let r = s.run(&["plan", "-parallelism=0"]).expect(1);
    assert!(r.stderr.contains("Invalid -parallelism"), "{}", r.stderr);
}

#[test]
fn chdir_and_dash_spellings() {
    let s = Stack::new("basic");
    // Double-dash spellings.
    let out = command().arg(format!("--chdir={}", s.dir().display())).args(["plan", "--detailed-exitcode", "--var=name=dd"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"dd\""));
    // Single-dash spellings with separate values.
    let out = command().arg(format!("-chdir={}", s.dir().display())).args(["plan", "-detailed-exitcode", "-var", "name=sd"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"sd\""));
    // Running inside the directory without -chdir.
    let out = command().current_dir(s.dir()).args(["apply", "-auto-approve"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(s.path("cairn.tfstate").exists(), "state written in the working directory");
    // A missing directory.
    let out = command().args(["-chdir=/nonexistent/cairn-dir", "plan"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Error handling -chdir option"));
}

#[test]
fn expansion_that_is_unknown_or_sensitive_is_a_located_error() {
    let s = Stack::new("unknown_expansion");
    let r = s.run(&["plan"]).expect(1);
    let err = &r.stderr;
    assert!(err.contains("Error: Invalid for_each argument"), "{err}");
    assert!(err.contains("on main.tf:5:14"), "{err}");
    assert!(err.contains("cannot be determined until apply"), "{err}");
    assert!(err.contains("Error: Invalid count argument"), "{err}");
    assert!(err.contains("on main.tf:14:11"), "{err}");
    assert!(err.contains("Sensitive values"), "{err}");
    assert!(!err.contains("\"pw\""), "the sensitive value never shows: {err}");
}
