//! Google resource types end to end: the real binary with `-sandbox` (the
//! emulator in-process). Every request a test's sandbox received is checked
//! against Google's Discovery documents when the test ends
//! (`support/google.rs`).
//!
//! - here: the example stack (apply, clean plan, saved destroy plan), and
//!   missing credentials;
//! - `sandbox/faults.rs`: injected faults, IAM eventual consistency, drift;
//! - `sandbox/data_and_timeouts.rs`: data sources at plan time, `timeouts`;
//! - `sandbox/conformance.rs`: every resource type through its lifecycle,
//!   one table row per type.

#[path = "sandbox/conformance.rs"]
mod conformance;
#[path = "sandbox/data_and_timeouts.rs"]
mod data_and_timeouts;
#[path = "sandbox/faults.rs"]
mod faults;
#[path = "support/google.rs"]
mod support;

use std::path::PathBuf;
use support::Stack;

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/sandbox")
}

#[test]
fn example_stack_applies_plans_clean_and_destroys_on_the_sandbox() {
    let stack = Stack::new();
    std::fs::copy(example().join("main.tf"), stack.path("main.tf")).unwrap();

    let run = stack.run(&["apply", "-sandbox", "-auto-approve"]).expect(0);
    let (out, err) = (&run.stdout, &run.stderr);
    assert!(out.contains("Apply complete! Resources: 11 added"), "{out}");
    assert!(out.contains("bucket_url = \"gs://sandbox-project-artifacts-"), "{out}");
    assert!(out.contains("runtime_account = \"app-runtime@sandbox-project.iam.gserviceaccount.com\""), "{out}");
    assert!(out.contains("image_registry = \"europe-west1-docker.pkg.dev/sandbox-project/app-images\""), "{out}");

    // The generated password never shows, in plan text or outputs.
    let state = stack.state();
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
    let run = stack.run(&["plan", "-sandbox", "-detailed-exitcode"]).expect(0);
    assert!(run.stdout.contains("No changes."), "{}", run.stdout);

    // The emulator holds the objects, and keeps them between commands.
    let list = stack.run(&["sandbox", "list"]).stdout;
    assert!(list.contains("storage.buckets sandbox-project-artifacts-"), "{list}");
    assert!(list.contains("secretmanager.secrets projects/"), "{list}");
    assert!(list.contains("artifactregistry.repositories projects/"), "{list}");

    // A plan made against the sandbox applies against the sandbox.
    stack.run(&["plan", "-sandbox", "-destroy", "-out=destroy.plan"]).expect(0);
    let run = stack.run(&["apply", "destroy.plan"]).expect(0);
    assert!(run.stdout.contains("Destroy complete! Resources: 11 destroyed."), "{}", run.stdout);
    let list = stack.run(&["sandbox", "list"]).stdout;
    assert!(!list.contains("storage.buckets"), "{list}");
    assert!(!list.contains("secretmanager.secrets"), "{list}");
    assert!(!list.contains("artifactregistry.repositories"), "{list}");
}

#[test]
fn google_types_without_credentials_say_what_to_do() {
    let stack = Stack::new();
    stack.write(
        "main.tf",
        "provider \"google\" {\n  project     = \"p\"\n  credentials = \"/nonexistent/key.json\"\n}\n\nresource \"google_storage_bucket\" \"b\" {\n  name     = \"b-1234\"\n  location = \"EU\"\n}\n",
    );
    let run = stack.run(&["apply", "-auto-approve"]).expect(1);
    assert!(run.stderr.contains("google_storage_bucket.b"), "{}", run.stderr);
    assert!(run.stderr.contains("--sandbox"), "the error suggests the sandbox: {}", run.stderr);
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
    let stack = Stack::new();
    stack.write("main.tf", BUCKET_STACK);
    let run = stack.run(&["apply", "-sandbox", "-auto-approve"]).expect(0);
    assert!(run.stdout.contains("Apply complete! Resources: 5 added"), "{}", run.stdout);

    // No perpetual diff from blocks, computed fields, `b/` or member case.
    let run = stack.run(&["plan", "-sandbox", "-detailed-exitcode"]).expect(0);
    assert!(run.stdout.contains("No changes."), "{}", run.stdout);

    // The binding's members change in place.
    let changed = BUCKET_STACK.replace(r#"["group:Admins@Example.com"]"#, r#"["group:admins@example.com", "user:ops@example.com"]"#);
    stack.write("main.tf", &changed);
    let run = stack.run(&["apply", "-sandbox", "-auto-approve"]).expect(0);
    assert!(run.stdout.contains("Resources: 0 added, 1 changed, 0 replaced, 0 destroyed."), "{}", run.stdout);
    stack.run(&["plan", "-sandbox", "-detailed-exitcode"]).expect(0);

    // The retention policy is locked: a plan that unlocks it is refused.
    let unlocked = changed.replace("is_locked        = true", "is_locked        = false");
    stack.write("main.tf", &unlocked);
    let run = stack.run(&["plan", "-sandbox"]);
    assert_ne!(run.code, 0, "{}", run.stdout);
    assert!(run.stderr.contains("google_storage_bucket.site") && run.stderr.contains("locked"), "{}", run.stderr);
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
    let stack = Stack::new();
    let write = |cidr: &str| stack.write("main.tf", &VPC_STACK.replace("CIDR", cidr));
    write("10.0.0.0/24");
    let out = stack.run(&["apply", "-sandbox", "-auto-approve"]).expect(0).stdout;
    assert!(out.contains("Apply complete! Resources: 7 added"), "{out}");
    stack.run(&["plan", "-sandbox", "-detailed-exitcode"]).expect(0);
    let list = stack.run(&["sandbox", "list"]).stdout;
    for what in ["compute.networks projects/sandbox-project/global/networks/main", "compute.subnetworks ", "compute.firewalls ", "servicenetworking.connections "] {
        assert!(list.contains(what), "{what} missing from:\n{list}");
    }

    // Widening the range is an update in place...
    write("10.0.0.0/22");
    let out = stack.run(&["apply", "-sandbox", "-auto-approve"]).expect(0).stdout;
    assert!(out.contains("Resources: 0 added, 1 changed, 0 replaced"), "{out}");
    // ...narrowing it replaces the subnetwork, and says why.
    write("10.0.0.0/24");
    let out = stack.run(&["plan", "-sandbox"]).expect(0).stdout;
    assert!(out.contains("must be replaced") && out.contains("forces replacement"), "{out}");
    assert!(out.contains("0 to add, 0 to change, 1 to replace, 0 to destroy"), "{out}");

    let out = stack.run(&["destroy", "-sandbox", "-auto-approve"]).expect(0).stdout;
    assert!(out.contains("Destroy complete! Resources: 7 destroyed."), "{out}");
    let list = stack.run(&["sandbox", "list"]).stdout;
    assert!(!list.contains("compute.networks ") && !list.contains("servicenetworking.connections "), "{list}");
}

/// The data tier of the platform: a Cloud SQL instance with 14 databases
/// and 14 users, Redis, and a BigQuery dataset with 3 tables. Cloud SQL runs one operation per instance at a
/// time; cairn serializes the calls itself, so no 409 reaches the user and
/// the sandbox never had to refuse one; `CAIRN_LOG=debug` shows the waits.
#[test]
fn data_tier_applies_with_per_instance_serialization_and_no_409() {
    let stack = Stack::from_dir(&support::fixture("sandbox/data_tier"));
    let run = stack.run_env(&["apply", "-sandbox", "-auto-approve", "-parallelism=16"], &[("CAIRN_LOG", "debug")]).expect(0);
    assert!(run.stdout.contains("Apply complete! Resources: 51 added"), "{}", run.stdout);
    assert!(!run.stdout.contains("409") && !run.stderr.contains("operationInProgress\""), "a 409 surfaced:\n{}", run.stderr);
    assert!(run.stderr.contains("waiting for the lock"), "no serialization in the log:\n{}", run.stderr);

    let sql: Vec<_> = stack.requests().into_iter().filter(|e| e.path.starts_with("/sql/v1beta4/")).collect();
    let inserts = sql.iter().filter(|e| e.method == "POST" && (e.path.ends_with("/databases") || e.path.ends_with("/users"))).count();
    assert_eq!(inserts, 28, "one insert per database and user");
    let refused: Vec<String> = sql.iter().filter(|e| e.status == 409).map(|e| e.call()).collect();
    assert!(refused.is_empty(), "cairn let Cloud SQL refuse concurrent operations: {refused:?}");
    // No password in the log or the output.
    let state = stack.state();
    for (_, addr, attrs) in support::instances(&state) {
        if addr.starts_with("random_password.") {
            let pw = attrs["result"].as_str().unwrap_or_default();
            assert!(!pw.is_empty() && !run.stdout.contains(pw) && !run.stderr.contains(pw), "{addr} leaked");
        }
    }
    stack.run(&["plan", "-sandbox", "-detailed-exitcode"]).expect(0);
    stack.run(&["destroy", "-sandbox", "-auto-approve"]).expect(0);
}
