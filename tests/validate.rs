//! `cairn validate` end to end: the real binary on fixture stacks.

use std::path::PathBuf;
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/validate").join(name)
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn cairn(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run cairn");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn validate(case: &str) -> Run {
    let dir = fixture(case);
    cairn(&[&format!("-chdir={}", dir.display()), "validate"])
}

/// The `Error: summary` lines with their `on file:line:col` locations.
fn located_errors(stderr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut lines = stderr.lines().peekable();
    while let Some(line) = lines.next() {
        if let Some(summary) = line.strip_prefix("│ Error: ") {
            let mut location = String::from("(no location)");
            for next in lines.by_ref() {
                if let Some(on) = next.strip_prefix("│   on ") {
                    location = on.trim_end_matches(':').to_string();
                    break;
                }
                if next.starts_with('╵') {
                    break;
                }
            }
            out.push(format!("{location}: {summary}"));
        }
    }
    out
}

#[test]
fn full_stack_is_valid() {
    let r = validate("full");
    assert_eq!(r.code, 0, "stderr:\n{}", r.stderr);
    assert!(r.stdout.contains("Success! The configuration is valid."), "{}", r.stdout);
}

#[test]
fn full_stack_validates_as_json() {
    let dir = fixture("full");
    let r = cairn(&[&format!("-chdir={}", dir.display()), "validate", "-json"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["error_count"], 0);
}

macro_rules! error_case {
    ($name:ident, $dir:expr) => {
        #[test]
        fn $name() {
            let r = validate($dir);
            assert_eq!(r.code, 1, "expected failure; stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
            assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
            insta::assert_snapshot!(located_errors(&r.stderr).join("\n"));
        }
    };
}

error_case!(syntax_errors_are_all_located, "errors/syntax");
error_case!(undeclared_references, "errors/references");
error_case!(schema_errors, "errors/schema");
error_case!(cycles_name_every_member, "errors/cycle");
error_case!(type_and_value_errors, "errors/types");
error_case!(block_structure_errors, "errors/blocks");
error_case!(sensitive_output_must_be_marked, "errors/sensitive");
error_case!(module_arguments_are_checked, "errors/modules");
error_case!(invalid_utf8_is_located, "errors/encoding");

#[test]
fn errors_as_json_have_ranges() {
    let dir = fixture("errors/references");
    let r = cairn(&[&format!("-chdir={}", dir.display()), "validate", "-json"]);
    assert_eq!(r.code, 1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["valid"], false);
    let diags = v["diagnostics"].as_array().unwrap();
    assert!(diags.len() >= 5, "{diags:?}");
    for d in diags {
        assert_eq!(d["severity"], "error");
        assert_eq!(d["range"]["filename"], "main.tf");
        assert!(d["range"]["start"]["line"].as_u64().unwrap() >= 1);
    }
}

#[test]
fn validate_leaves_variables_unknown_like_terraform() {
    // Terraform's validate does not check variable values: defaults and
    // tfvars are plan-time inputs.
    let r = validate("errors/validation");
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn variable_validation_runs_with_real_values() {
    let dir = fixture("errors/validation");
    let r = cairn(&[&format!("-chdir={}", dir.display()), "graph"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stderr.contains("Error: Invalid value for variable"), "{}", r.stderr);
    assert!(r.stderr.contains("env must be one of dev, staging or prod."), "{}", r.stderr);
    assert!(r.stderr.contains("on main.tf:1:1"), "{}", r.stderr);
    assert!(r.stderr.contains("^^^^^^^^^^^^^^"), "the subject is underlined: {}", r.stderr);
    let ok = cairn(&[&format!("-chdir={}", dir.display()), "graph", "-var", "env=prod"]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
}

#[test]
fn missing_directory_is_an_error() {
    let r = cairn(&["-chdir=/definitely/not/here", "validate"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("no such directory"), "{}", r.stderr);
}

#[test]
fn empty_directory_has_no_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let r = cairn(&[&format!("-chdir={}", dir.path().display()), "validate"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("No configuration files"), "{}", r.stderr);
}

#[test]
fn double_dash_flags_work_too() {
    let dir = fixture("full");
    let r = cairn(&[&format!("--chdir={}", dir.display()), "validate", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}
