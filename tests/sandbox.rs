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

/// A VPC stack (network, subnetwork, firewall, private services access).
const VPC_STACK: &str = r#"
provider "google" {
  project = "sandbox-project"
  region  = "us-central1"
}

resource "google_project_service" "compute" {
  service = "compute.googleapis.com"
}

resource "google_project_service" "servicenetworking" {
  service = "servicenetworking.googleapis.com"
}

resource "google_compute_network" "vpc" {
  name                    = "main"
  auto_create_subnetworks = false
  depends_on              = [google_project_service.compute]
}

resource "google_compute_subnetwork" "apps" {
  name          = "apps"
  network       = google_compute_network.vpc.id
  ip_cidr_range = "CIDR"

  secondary_ip_range {
    range_name    = "pods"
    ip_cidr_range = "10.8.0.0/16"
  }
}

resource "google_compute_firewall" "ssh" {
  name          = "allow-ssh"
  network       = google_compute_network.vpc.name
  source_ranges = ["35.235.240.0/20"]

  allow {
    protocol = "tcp"
    ports    = ["22"]
  }
}

resource "google_compute_global_address" "psa" {
  name          = "psa"
  purpose       = "VPC_PEERING"
  address_type  = "INTERNAL"
  address       = "10.100.0.0"
  prefix_length = 16
  network       = google_compute_network.vpc.self_link
}

resource "google_service_networking_connection" "psa" {
  network                 = google_compute_network.vpc.id
  service                 = "servicenetworking.googleapis.com"
  reserved_peering_ranges = [google_compute_global_address.psa.name]
  depends_on              = [google_project_service.servicenetworking]
}
"#;

#[test]
fn vpc_stack_applies_widens_in_place_replaces_when_narrowed_and_destroys() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let write = |cidr: &str| std::fs::write(dir.join("main.tf"), VPC_STACK.replace("CIDR", cidr)).unwrap();
    write("10.0.0.0/24");
    let (code, out, err) = cairn(dir, &["apply", "-sandbox", "-auto-approve"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("Apply complete! Resources: 7 added"), "{out}");
    let (code, out, err) = cairn(dir, &["plan", "-sandbox", "-detailed-exitcode"]);
    assert_eq!(code, 0, "no perpetual diff:\n{out}\n{err}");
    let (_, list, _) = cairn(dir, &["sandbox", "list"]);
    for what in ["compute.networks projects/sandbox-project/global/networks/main", "compute.subnetworks ", "compute.firewalls ", "servicenetworking.connections "] {
        assert!(list.contains(what), "{what} missing from:\n{list}");
    }

    // Widening the range is an update in place...
    write("10.0.0.0/22");
    let (code, out, err) = cairn(dir, &["apply", "-sandbox", "-auto-approve"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("Resources: 0 added, 1 changed, 0 replaced"), "{out}");
    // ...narrowing it replaces the subnetwork, and says why.
    write("10.0.0.0/24");
    let (code, out, err) = cairn(dir, &["plan", "-sandbox"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("must be replaced") && out.contains("forces replacement"), "{out}");
    assert!(out.contains("0 to add, 0 to change, 1 to replace, 0 to destroy"), "{out}");

    let (code, out, err) = cairn(dir, &["destroy", "-sandbox", "-auto-approve"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("Destroy complete! Resources: 7 destroyed."), "{out}");
    let (_, list, _) = cairn(dir, &["sandbox", "list"]);
    assert!(!list.contains("compute.networks ") && !list.contains("servicenetworking.connections "), "{list}");
}
