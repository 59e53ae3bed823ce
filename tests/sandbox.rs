//! Google resource types end to end: the real binary with `-sandbox` (the
//! emulator in-process) on `examples/sandbox`: apply, a clean second plan,
//! drift, destroy.

use std::path::{Path, PathBuf};
use std::process::Command;

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/sandbox")
}

fn cairn(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .arg(format!("-chdir={}", dir.display()))
        .args(args)
        .env("NO_COLOR", "1")
        .env("CAIRN_SANDBOX_OP_LATENCY_MS", "50")
        .env_remove("CAIRN_GOOGLE_ENDPOINT")
        .env_remove("GOOGLE_PROJECT")
        .output()
        .expect("run cairn");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn example_stack_applies_plans_clean_and_destroys_on_the_sandbox() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(example().join("main.tf"), tmp.path().join("main.tf")).unwrap();
    let dir = tmp.path();

    let (code, out, err) = cairn(dir, &["apply", "-sandbox", "-auto-approve"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("Apply complete! Resources: 9 added"), "{out}");
    assert!(out.contains("bucket_url = \"gs://sandbox-project-artifacts-"), "{out}");
    assert!(out.contains("runtime_account = \"app-runtime@sandbox-project.iam.gserviceaccount.com\""), "{out}");

    // The generated password never shows, in plan text or outputs.
    let state: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("cairn.tfstate")).unwrap()).unwrap();
    let password = state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "random_password")
        .and_then(|r| r["instances"][0]["attributes"]["result"].as_str())
        .unwrap()
        .to_string();
    assert!(!out.contains(&password) && !err.contains(&password));

    // A second plan finds nothing to do: no perpetual diffs.
    let (code, out, err) = cairn(dir, &["plan", "-sandbox", "-detailed-exitcode"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("No changes."), "{out}");

    // The emulator holds the objects, and keeps them between commands.
    let (_, list, _) = cairn(dir, &["sandbox", "list"]);
    assert!(list.contains("storage.buckets sandbox-project-artifacts-"), "{list}");
    assert!(list.contains("secretmanager.secrets projects/"), "{list}");

    // A plan made against the sandbox applies against the sandbox.
    let (code, _, err) = cairn(dir, &["plan", "-sandbox", "-destroy", "-out=destroy.plan"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = cairn(dir, &["apply", "destroy.plan"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("Destroy complete! Resources: 9 destroyed."), "{out}");
    let (_, list, _) = cairn(dir, &["sandbox", "list"]);
    assert!(!list.contains("storage.buckets"), "{list}");
    assert!(!list.contains("secretmanager.secrets"), "{list}");
}

#[test]
fn google_types_without_credentials_say_what_to_do() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("main.tf"),
        "provider \"google\" {\n  project     = \"p\"\n  credentials = \"/nonexistent/key.json\"\n}\n\nresource \"google_storage_bucket\" \"b\" {\n  name     = \"b-1234\"\n  location = \"EU\"\n}\n",
    )
    .unwrap();
    let (code, out, err) = cairn(tmp.path(), &["apply", "-auto-approve"]);
    assert_eq!(code, 1, "{out}");
    assert!(err.contains("google_storage_bucket.b"), "{err}");
    assert!(err.contains("--sandbox"), "the error suggests the sandbox: {err}");
}

#[test]
fn apply_survives_faults_and_iam_eventual_consistency() {
    // 30% of answers are 429/503 with Retry-After, and a new service account
    // stays invisible to IAM policies for 3 s: the apply still succeeds,
    // with no sleeps in the configuration, and nothing is lost.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(example().join("main.tf"), tmp.path().join("main.tf")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .arg(format!("-chdir={}", tmp.path().display()))
        .args(["apply", "-sandbox", "-auto-approve"])
        .env("NO_COLOR", "1")
        .env("CAIRN_SANDBOX_OP_LATENCY_MS", "50")
        .env("CAIRN_SANDBOX_ERROR_RATE", "0.3")
        .env("CAIRN_SANDBOX_CONSISTENCY_DELAY_MS", "3000")
        .env_remove("CAIRN_GOOGLE_ENDPOINT")
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("Apply complete! Resources: 9 added"), "{stdout}");
    let (code, plan, err) = cairn(tmp.path(), &["plan", "-sandbox", "-detailed-exitcode"]);
    assert_eq!(code, 0, "{plan}\n{err}");
}

const BUCKET_STACK: &str = r#"
provider "google" {
  project = "sandbox-project"
}

resource "google_project_service" "iam" {
  service = "iam.googleapis.com"
}

resource "google_service_account" "reader" {
  account_id = "site-reader"
  depends_on = [google_project_service.iam]
}

resource "google_storage_bucket" "site" {
  name                        = "sandbox-project-site"
  location                    = "EU"
  uniform_bucket_level_access = true

  cors {
    origin          = ["https://example.com"]
    method          = ["GET", "HEAD"]
    response_header = ["Content-Type"]
    max_age_seconds = 3600
  }

  website {
    main_page_suffix = "index.html"
    not_found_page   = "404.html"
  }

  retention_policy {
    retention_period = 3600
    is_locked        = true
  }

  soft_delete_policy {
    retention_duration_seconds = 864000
  }

  autoclass {
    enabled = true
  }
}

resource "google_storage_bucket_iam_member" "reader" {
  bucket = google_storage_bucket.site.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.reader.member
}

resource "google_storage_bucket_iam_binding" "admins" {
  bucket  = "b/${google_storage_bucket.site.name}"
  role    = "roles/storage.objectAdmin"
  members = ["group:Admins@Example.com"]

  condition {
    title      = "until 2030"
    expression = "request.time < timestamp(\"2030-01-01T00:00:00Z\")"
  }
}
"#;

#[test]
fn bucket_blocks_and_bucket_iam_plan_clean_after_apply() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("main.tf"), BUCKET_STACK).unwrap();
    let (code, out, err) = cairn(dir, &["apply", "-sandbox", "-auto-approve"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("Apply complete! Resources: 5 added"), "{out}");

    // No perpetual diff from blocks, computed fields, `b/` or member case.
    let (code, out, err) = cairn(dir, &["plan", "-sandbox", "-detailed-exitcode"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("No changes."), "{out}");

    // The binding's members change in place.
    let changed = BUCKET_STACK.replace(r#"["group:Admins@Example.com"]"#, r#"["group:admins@example.com", "user:ops@example.com"]"#);
    std::fs::write(dir.join("main.tf"), &changed).unwrap();
    let (code, out, err) = cairn(dir, &["apply", "-sandbox", "-auto-approve"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("Resources: 0 added, 1 changed, 0 replaced, 0 destroyed."), "{out}");
    let (code, out, err) = cairn(dir, &["plan", "-sandbox", "-detailed-exitcode"]);
    assert_eq!(code, 0, "{out}\n{err}");

    // The retention policy is locked: a plan that unlocks it is refused.
    let unlocked = changed.replace("is_locked        = true", "is_locked        = false");
    std::fs::write(dir.join("main.tf"), unlocked).unwrap();
    let (code, out, err) = cairn(dir, &["plan", "-sandbox"]);
    assert_ne!(code, 0, "{out}");
    assert!(err.contains("google_storage_bucket.site") && err.contains("locked"), "{err}");
}
