//! Data sources read at plan time and `timeouts` blocks, through the real
//! binary on fixtures under `tests/fixtures/sandbox/` (one test against a
//! `cairn sandbox serve` process whose request log shows which calls were
//! made).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A copy of `tests/fixtures/sandbox/{name}` in a fresh directory.
fn fixture(name: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let from = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sandbox").join(name);
    for entry in std::fs::read_dir(&from).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, tmp.path().join(path.file_name().unwrap())).unwrap();
    }
    tmp
}

fn cairn(dir: &Path, args: &[&str]) -> (i32, String, String) {
    cairn_env(dir, args, &[])
}

/// `cairn` with extra environment variables (they win over the defaults).
fn cairn_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cairn"));
    cmd.arg(format!("-chdir={}", dir.display()))
        .args(args)
        .env("NO_COLOR", "1")
        .env("CAIRN_SANDBOX_OP_LATENCY_MS", "50")
        .env_remove("CAIRN_GOOGLE_ENDPOINT")
        .env_remove("GOOGLE_PROJECT");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run cairn");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn data_sources_are_read_at_plan_time_and_the_token_stays_hidden() {
    let tmp = fixture("data_sources");
    let dir = tmp.path();
    let number = cairn_sandbox::services::project_number("sandbox-project");

    // The number is known at plan time: in the bucket's name and the output.
    let (code, plan, err) = cairn(dir, &["plan", "-sandbox", "-out=ds.plan"]);
    assert_eq!(code, 0, "{plan}\n{err}");
    assert!(plan.contains(&format!("+ name                        = \"assets-{number}\"")), "{plan}");
    assert!(plan.contains(&format!("+ project_number = \"{number}\"")), "{plan}");
    assert!(plan.contains("+ client_id      = \"projects/sandbox-project/regions/europe-west1/zones/europe-west1-b\""), "{plan}");
    assert!(plan.contains("+ token          = (sensitive value)"), "{plan}");
    assert!(plan.contains("data.google_project.other will be read during apply"), "{plan}");
    assert!(plan.contains("+ other_number   = (known after apply)"), "{plan}");
    let (code, shown, _) = cairn(dir, &["show", "ds.plan"]);
    assert_eq!(code, 0);

    let (code, out, err) = cairn(dir, &["apply", "ds.plan"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains(&format!("bucket = \"assets-{number}\"")), "{out}");
    assert!(out.contains("token = <sensitive>"), "{out}");
    let other = cairn_sandbox::services::project_number("other-project-1");
    assert!(out.contains(&format!("other_number = \"{other}\"")), "read at apply: {out}");
    let (_, list, _) = cairn(dir, &["sandbox", "list"]);
    assert!(list.contains(&format!("storage.buckets assets-{number}")), "{list}");

    // State keeps the sensitive output (as Terraform's does); no plan,
    // apply or show output prints the token.
    let state: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("cairn.tfstate")).unwrap()).unwrap();
    assert_eq!(state["outputs"]["token"]["sensitive"], true);
    let token = state["outputs"]["token"]["value"].as_str().expect("a token").to_string();
    assert!(!token.is_empty());
    let (code, json, _) = cairn(dir, &["show", "-json"]);
    assert_eq!(code, 0);
    let (_, outputs, _) = cairn(dir, &["output"]);
    for (what, text) in [("plan", &plan), ("saved plan", &shown), ("apply", &out), ("show -json", &json), ("output", &outputs), ("plan stderr", &err)] {
        assert!(!text.contains(&token), "the token shows in {what}: {text}");
    }

    // Nothing drifts: the data sources read the same again.
    let (code, again, err) = cairn(dir, &["plan", "-sandbox", "-detailed-exitcode"]);
    assert_eq!(code, 0, "{again}\n{err}");
}

#[test]
fn a_create_slower_than_its_timeout_fails_naming_the_timeout() {
    let tmp = fixture("timeouts");
    let dir = tmp.path();
    // Enabling an API takes 3 s here; `timeouts { create = "1s" }`.
    let slow = [("CAIRN_SANDBOX_OP_LATENCY_MS", "3000")];
    let started = Instant::now();
    let (code, out, err) = cairn_env(dir, &["apply", "-sandbox", "-auto-approve"], &slow);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(started.elapsed() < Duration::from_millis(2900), "it gave up at the timeout: {:?}", started.elapsed());
    for needle in [
        "Failed to create google_project_service.secrets",
        "google_project_service: create did not finish within 1s",
        "(timeouts.create); last: operation operations/",
        "raise timeouts.create in the resource block",
    ] {
        assert!(err.contains(needle), "{needle} missing from: {err}");
    }
    // With room enough, the same apply succeeds.
    let (code, out, err) = cairn_env(dir, &["apply", "-sandbox", "-auto-approve", "-var=create_timeout=30s"], &slow);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("Apply complete! Resources: 1 added"), "{out}");
}

#[test]
fn a_malformed_timeout_is_an_error_at_its_value() {
    let tmp = fixture("timeouts");
    let (code, out, err) = cairn(tmp.path(), &["validate", "-json"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let (code, out, err) = cairn(tmp.path(), &["plan", "-sandbox", "-var=create_timeout=20 minutes"]);
    assert_eq!(code, 1, "{out}");
    for needle in ["Invalid timeout", "main.tf:16", "timeouts.create of google_project_service", "\"20 minutes\" is not a duration", "\"1h30m\""] {
        assert!(err.contains(needle), "{needle} missing from: {err}");
    }
    std::fs::write(tmp.path().join("main.tf"), "resource \"google_project_service\" \"s\" {\n  service = \"x.googleapis.com\"\n  timeouts {\n    creat = \"1m\"\n  }\n}\n").unwrap();
    let (code, out, err) = cairn(tmp.path(), &["validate"]);
    assert_eq!(code, 1, "{out}");
    assert!(err.contains("Unsupported argument") && err.contains("main.tf:4") && err.contains("Did you mean \"create\"?"), "{err}");
}

/// A `cairn sandbox serve` process on a free port, killed when dropped.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(data: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cairn"))
            .args(["sandbox", "serve", "--addr", "127.0.0.1:0", "--data"])
            .arg(data)
            .env("CAIRN_SANDBOX_OP_LATENCY_MS", "50")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the sandbox");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let addr = line.trim().rsplit("http://").next().unwrap_or_default().to_string();
        assert!(addr.starts_with("127.0.0.1:"), "{line}");
        Server { child, addr }
    }

    /// One request to the server; the answer's body.
    fn http(&self, method: &str, path: &str) -> String {
        let mut s = std::net::TcpStream::connect(&self.addr).unwrap();
        write!(s, "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", self.addr).unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        text.split_once("\r\n\r\n").map(|(_, body)| body.to_string()).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_change_of_timeouts_alone_updates_state_without_calling_google() {
    let tmp = fixture("timeouts");
    let dir = tmp.path();
    let server = Server::start(&dir.join("sandbox-data"));
    let endpoint = format!("http://{}/", server.addr);
    let env = [("CAIRN_GOOGLE_ENDPOINT", endpoint.as_str())];

    let (code, out, err) = cairn_env(dir, &["apply", "-auto-approve", "-var=create_timeout=1m"], &env);
    assert_eq!(code, 0, "{out}\n{err}");
    server.http("DELETE", "/_sandbox/requests");

    let (code, plan, err) = cairn_env(dir, &["plan", "-var=create_timeout=5m"], &env);
    assert_eq!(code, 0, "{plan}\n{err}");
    assert!(plan.contains("~ update in-place") && plan.contains("Plan: 0 to add, 1 to change, 0 to destroy."), "{plan}");
    assert!(plan.contains("~ create = \"1m\" -> \"5m\""), "{plan}");
    let (code, out, err) = cairn_env(dir, &["apply", "-auto-approve", "-var=create_timeout=5m"], &env);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("Resources: 0 added, 1 changed"), "{out}");

    // Only refreshes reached the API: no enable, no other write.
    let log: serde_json::Value = serde_json::from_str(&server.http("GET", "/_sandbox/requests")).unwrap();
    let calls: Vec<String> = log["requests"].as_array().unwrap().iter().map(|r| format!("{} {}", r["method"].as_str().unwrap_or(""), r["path"].as_str().unwrap_or(""))).collect();
    assert!(!calls.is_empty() && calls.iter().all(|c| c.starts_with("GET ")), "{calls:?}");

    let state: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("cairn.tfstate")).unwrap()).unwrap();
    assert_eq!(state["resources"][0]["instances"][0]["attributes"]["timeouts"]["create"], "5m");
    let (code, again, err) = cairn_env(dir, &["plan", "-detailed-exitcode", "-var=create_timeout=5m"], &env);
    assert_eq!(code, 0, "{again}\n{err}");
}
