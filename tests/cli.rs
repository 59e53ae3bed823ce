//! The `graph`, `fmt` and `sandbox` commands through the real binary.

#[path = "support/google.rs"]
mod support;

use std::path::PathBuf;
use std::process::{Command, Stdio};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn cairn(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run cairn");
    if let Some(input) = stdin {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn graph_prints_resource_dependencies_as_dot() {
    let dir = fixture("validate/full");
    let (code, stdout, stderr) = cairn(&[&format!("-chdir={}", dir.display()), "graph"], None);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stdout);
}

#[test]
fn graph_reports_cycles() {
    let dir = fixture("validate/errors/cycle");
    let (code, _, stderr) = cairn(&[&format!("-chdir={}", dir.display()), "graph"], None);
    assert_eq!(code, 1);
    assert!(stderr.contains("Cycle: local.a, local.b, local.c"), "{stderr}");
    assert!(stderr.contains("  - local.b"), "{stderr}");
}

#[test]
fn fmt_check_diff_and_write() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("main.tf");
    std::fs::write(&file, "resource \"terraform_data\" \"a\" {\ninput=1\n  longer_name = 2\n}\n").unwrap();
    let chdir = format!("-chdir={}", dir.path().display());

    let (code, stdout, _) = cairn(&[&chdir, "fmt", "-check"], None);
    assert_eq!(code, 3, "unformatted files make -check exit 3");
    assert_eq!(stdout.trim(), "main.tf");

    let (code, stdout, _) = cairn(&[&chdir, "fmt", "-check", "-diff"], None);
    assert_eq!(code, 3);
    assert!(stdout.contains("+  input       = 1"), "{stdout}");

    let (code, _, _) = cairn(&[&chdir, "fmt"], None);
    assert_eq!(code, 0);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "resource \"terraform_data\" \"a\" {\n  input       = 1\n  longer_name = 2\n}\n"
    );
    let (code, stdout, _) = cairn(&[&chdir, "fmt", "-check"], None);
    assert_eq!((code, stdout.as_str()), (0, ""));
}

#[test]
fn fmt_reads_stdin() {
    let (code, stdout, _) = cairn(&["fmt", "-"], Some("a=1\nbb = 2"));
    assert_eq!(code, 0);
    assert_eq!(stdout, "a  = 1\nbb = 2\n");
}

#[test]
fn fmt_refuses_syntax_errors_with_a_location() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.tf"), "x = \"unterminated\n").unwrap();
    let (code, _, stderr) = cairn(&[&format!("-chdir={}", dir.path().display()), "fmt"], None);
    assert_eq!(code, 2);
    assert!(stderr.contains("bad.tf:1:"), "{stderr}");
}

#[test]
fn fmt_recursive_reaches_subdirectories() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("sub/x.tf"), "a=1\n").unwrap();
    let chdir = format!("-chdir={}", dir.path().display());
    let (code, stdout, _) = cairn(&[&chdir, "fmt", "-check"], None);
    assert_eq!((code, stdout.as_str()), (0, ""), "not recursive by default");
    let (code, stdout, _) = cairn(&[&chdir, "fmt", "-check", "-recursive"], None);
    assert_eq!(code, 3);
    assert_eq!(stdout.trim(), "sub/x.tf");
}

#[test]
fn repository_files_are_formatted_like_terraform_would() {
    // Every stack, example and valid fixture in the repo is canonical.
    for dir in ["examples", "tests/fixtures/validate/full"] {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir);
        let (code, stdout, stderr) = cairn(&[&format!("-chdir={}", path.display()), "fmt", "-check", "-recursive"], None);
        assert_eq!(code, 0, "{dir}: {stdout}{stderr}");
    }
}

#[test]
fn sandbox_serve_list_and_reset() {
    let stack = support::Stack::new();
    {
        let server = support::Server::sandbox(&stack, std::path::Path::new("sb"));
        let body = serde_json::json!({ "name": "cli-bucket", "location": "us" });
        let reply = support::http(&server.addr, "POST", "/storage/v1/b?project=cli-project", Some(&body));
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
    let chdir = format!("-chdir={}", stack.dir().display());
    let (code, stdout, _) = cairn(&[&chdir, "sandbox", "list", "-data=sb"], None);
    assert_eq!(code, 0);
    assert!(stdout.lines().any(|l| l == "storage.buckets cli-bucket"), "{stdout}");
    let (code, _, _) = cairn(&[&chdir, "sandbox", "reset", "-data=sb"], None);
    assert_eq!(code, 0);
    let (_, stdout, _) = cairn(&[&chdir, "sandbox", "list", "-data=sb"], None);
    assert!(!stdout.contains("cli-bucket"), "{stdout}");
}

/// `cairn apply | head -1`: the reader goes away after the first line. The
/// apply still finishes, saves every object and releases its lock, where a
/// SIGPIPE or a panic in `println!` would stop it half-way.
#[test]
fn a_closed_stdout_does_not_stop_an_apply() {
    let tmp = tempfile::tempdir().unwrap();
    let mut tf = String::new();
    for i in 0..30 {
        tf.push_str(&format!("resource \"terraform_data\" \"r{i}\" {{\n  input = \"v{i}\"\n}}\n"));
    }
    std::fs::write(tmp.path().join("main.tf"), tf).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .arg(format!("-chdir={}", tmp.path().display()))
        .args(["apply", "-auto-approve"])
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run cairn");
    drop(child.stdout.take()); // the reader is gone before the first line
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let state: serde_json::Value = serde_json::from_slice(&std::fs::read(tmp.path().join("cairn.tfstate")).unwrap()).unwrap();
    assert_eq!(state["resources"].as_array().unwrap().len(), 30);
    assert!(!tmp.path().join("cairn.tfstate.lock.info").exists(), "lock left behind");
    // The next command runs: nothing holds the lock.
    let (code, _, stderr) = cairn(&[&format!("-chdir={}", tmp.path().display()), "plan", "-detailed-exitcode", "-lock-timeout=0s"], None);
    assert_eq!(code, 0, "{stderr}");
}
