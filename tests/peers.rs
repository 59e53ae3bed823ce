//! cairn against third-party emulators of Google's APIs ("peers"), so the
//! provider code is exercised by a server cairn did not write.
//!
//! drongo (`pip install drongo`, pinned in `scripts/test.sh`, which installs
//! it into `target/peer-venv` and exports `CAIRN_DRONGO`) serves Cloud
//! Storage, Secret Manager, Memorystore and BigQuery at Google's own paths
//! on one port
//! (`/storage/v1/b`, `/v1/projects/p/secrets`), which is what
//! `CAIRN_GOOGLE_ENDPOINT` sends. It has no Service Usage, so the stack
//! enables no API. Without `CAIRN_DRONGO` the test says so and passes.
//!
//! Where drongo 0.8.0 keeps less than Google, and cairn is right to expect
//! what Google does, the test tolerates exactly that gap, and only while
//! drongo's own answer shows it:
//! - a bucket's `lifecycle` is never stored (Google stores it on insert);
//! - a bucket's `versioning` is stored by PATCH only, not on insert.
//!
//! Each gap shows as an in-place update of that one argument in the second
//! plan; any other change fails the test.
//!
//! `gcp-storage-emulator` (PyPI) is not used: it keeps neither a bucket's
//! location nor its labels, versioning or lifecycle, so a clean second plan
//! would say nothing about cairn.

#[path = "support/google.rs"]
mod support;

use serde_json::Value;
use std::collections::BTreeMap;
use std::process::Command;
use support::{changed_attributes, fixture, instances, plan_block, Server, Stack};

const PROJECT: &str = "peer-project";

/// `drongo server` on a free loopback port (a few tries, should another
/// process take the port first).
fn start_drongo(program: &str) -> Server {
    let mut last = String::new();
    for _ in 0..3 {
        let port = support::free_port();
        let mut cmd = Command::new(program);
        cmd.args(["server", "--host", "127.0.0.1", "--port", &port.to_string()]);
        match Server::spawn(cmd, &format!("127.0.0.1:{port}"), "/drongo/health") {
            Ok(s) => return s,
            Err(e) => last = e,
        }
    }
    panic!("drongo did not start ({program}): {last}");
}

/// Gaps between what a bucket's configuration asks and what drongo kept,
/// by bucket address: `lifecycle_rule` and `versioning` (see the module
/// docs), read from drongo's own answer.
fn drongo_gaps(drongo: &Server, state: &Value) -> BTreeMap<String, Vec<String>> {
    let mut gaps = BTreeMap::new();
    for (ty, addr, attrs) in instances(state) {
        if ty != "google_storage_bucket" {
            continue;
        }
        let name = attrs["name"].as_str().unwrap_or_default();
        let reply = drongo.get(&format!("/storage/v1/b/{name}"));
        assert_eq!(reply.status, 200, "drongo lost bucket {name}: {}", reply.text);
        let wants = bucket_config(&addr);
        let mut missing = Vec::new();
        if wants.lifecycle && reply.body.get("lifecycle").is_none() {
            missing.push("lifecycle_rule".to_string());
        }
        if wants.versioning && reply.body["versioning"]["enabled"] != true {
            missing.push("versioning".to_string());
        }
        if !missing.is_empty() {
            gaps.insert(addr, missing);
        }
    }
    gaps
}

/// What the fixture configures for a bucket.
struct BucketConfig {
    lifecycle: bool,
    versioning: bool,
}

fn bucket_config(addr: &str) -> BucketConfig {
    match addr {
        "google_storage_bucket.logs" | "google_storage_bucket.archive" => BucketConfig { lifecycle: true, versioning: true },
        _ => BucketConfig { lifecycle: false, versioning: false },
    }
}

/// A JSON list of `field` under `key` (`items`, `secrets`) of a GET.
fn listed(drongo: &Server, path: &str, key: &str) -> Vec<Value> {
    let reply = drongo.get(path);
    assert_eq!(reply.status, 200, "GET {path}: {}", reply.text);
    reply.body[key].as_array().cloned().unwrap_or_default()
}

#[test]
fn drongo_applies_plans_clean_and_destroys() {
    let Some(program) = std::env::var("CAIRN_DRONGO").ok().filter(|p| !p.is_empty()) else {
        eprintln!("note: CAIRN_DRONGO is not set; skipping the drongo peer test (scripts/test.sh installs drongo)");
        return;
    };
    let drongo = start_drongo(&program);
    let stack = Stack::from_dir(&fixture("peers/drongo"));
    let endpoint = format!("http://{}", drongo.addr);
    let env = [("CAIRN_GOOGLE_ENDPOINT", endpoint.as_str()), ("GOOGLE_OAUTH_ACCESS_TOKEN", "peer-token")];

    let run = stack.run_env(&["apply", "-auto-approve"], &env).expect(0);
    assert!(run.stdout.contains("Apply complete! Resources: 8 added"), "{}", run.stdout);
    let state = stack.state();
    assert_eq!(listed(&drongo, &format!("/storage/v1/b?project={PROJECT}"), "items").len(), 3);
    assert_eq!(listed(&drongo, &format!("/v1/projects/{PROJECT}/secrets"), "secrets").len(), 2);
    let versions = listed(&drongo, &format!("/v1/projects/{PROJECT}/secrets/api-key/versions"), "versions");
    assert_eq!(versions.len(), 2, "{versions:?}");

    // The second plan is clean, but for drongo's known gaps.
    let gaps = drongo_gaps(&drongo, &state);
    let run = stack.run_env(&["plan", "-detailed-exitcode"], &env);
    if gaps.is_empty() {
        let run = run.expect(0);
        assert!(run.stdout.contains("No changes."), "{}", run.stdout);
    } else {
        eprintln!("note: drongo did not keep, so the plan updates: {gaps:?}");
        let run = run.expect(2);
        let out = &run.stdout;
        assert!(out.contains(&format!("Plan: 0 to add, {} to change, 0 to destroy.", gaps.len())), "{out}");
        for (addr, missing) in &gaps {
            let block = plan_block(out, addr);
            assert!(block.first().is_some_and(|h| h.ends_with("will be updated in-place")), "{addr}:\n{out}");
            assert_eq!(&changed_attributes(&block), missing, "{addr} changes more than drongo's gaps:\n{out}");
        }
    }

    let run = stack.run_env(&["destroy", "-auto-approve"], &env).expect(0);
    assert!(run.stdout.contains("Destroy complete! Resources: 8 destroyed."), "{}", run.stdout);
    assert_eq!(listed(&drongo, &format!("/storage/v1/b?project={PROJECT}"), "items"), Vec::<Value>::new());
    assert_eq!(listed(&drongo, &format!("/v1/projects/{PROJECT}/secrets"), "secrets"), Vec::<Value>::new());
}

#[test]
fn drongo_through_terraforms_custom_endpoint_arguments() {
    // Each API pointed at its own base URL by the provider block, with
    // Terraform's argument names, and no CAIRN_GOOGLE_ENDPOINT.
    let Some(program) = std::env::var("CAIRN_DRONGO").ok().filter(|p| !p.is_empty()) else {
        eprintln!("note: CAIRN_DRONGO is not set; skipping the drongo peer test (scripts/test.sh installs drongo)");
        return;
    };
    let drongo = start_drongo(&program);
    let stack = Stack::new();
    stack.write(
        "main.tf",
        &format!(
            r#"provider "google" {{
  project                        = "{PROJECT}"
  storage_custom_endpoint        = "http://{addr}/storage/v1/"
  secret_manager_custom_endpoint = "http://{addr}/v1/"
}}

resource "google_storage_bucket" "b" {{
  name     = "peer-project-custom"
  location = "EU"
}}

resource "google_secret_manager_secret" "s" {{
  secret_id = "custom"

  replication {{
    auto {{}}
  }}
}}

resource "google_secret_manager_secret_version" "v" {{
  secret      = google_secret_manager_secret.s.id
  secret_data = "x"
}}
"#,
            addr = drongo.addr
        ),
    );
    let env = [("GOOGLE_OAUTH_ACCESS_TOKEN", "peer-token")];
    stack.run_env(&["apply", "-auto-approve"], &env).expect(0);
    assert_eq!(drongo.get("/storage/v1/b/peer-project-custom").status, 200);
    assert_eq!(drongo.get(&format!("/v1/projects/{PROJECT}/secrets/custom/versions/1")).status, 200);
    stack.run_env(&["plan", "-detailed-exitcode"], &env).expect(0);
    stack.run_env(&["destroy", "-auto-approve"], &env).expect(0);
    assert_eq!(drongo.get("/storage/v1/b/peer-project-custom").status, 404);
}

#[test]
fn drongo_memorystore_applies_resizes_in_place_plans_clean_and_destroys() {
    let Some(program) = std::env::var("CAIRN_DRONGO").ok().filter(|p| !p.is_empty()) else {
        eprintln!("note: CAIRN_DRONGO is not set; skipping the drongo peer test (scripts/test.sh installs drongo)");
        return;
    };
    let drongo = start_drongo(&program);
    let stack = Stack::new();
    let config = |gb: u32| {
        format!(
            "provider \"google\" {{\n  project = \"{PROJECT}\"\n  region  = \"europe-west1\"\n}}\n\n\
             resource \"google_redis_instance\" \"cache\" {{\n  name           = \"cache\"\n  memory_size_gb = {gb}\n\n  labels = {{\n    team = \"data\"\n  }}\n}}\n"
        )
    };
    let endpoint = format!("http://{}", drongo.addr);
    let env = [("CAIRN_GOOGLE_ENDPOINT", endpoint.as_str()), ("GOOGLE_OAUTH_ACCESS_TOKEN", "peer-token")];
    let instances = format!("/v1/projects/{PROJECT}/locations/europe-west1/instances");

    stack.write("main.tf", &config(1));
    stack.run_env(&["apply", "-auto-approve"], &env).expect(0);
    assert_eq!(listed(&drongo, &instances, "instances").len(), 1);
    stack.run_env(&["plan", "-detailed-exitcode"], &env).expect(0);

    // A resize is an update in place, never a new instance.
    stack.write("main.tf", &config(2));
    let run = stack.run_env(&["apply", "-auto-approve"], &env).expect(0);
    assert!(run.stdout.contains("Resources: 0 added, 1 changed, 0 replaced, 0 destroyed."), "{}", run.stdout);
    assert_eq!(drongo.get(&format!("{instances}/cache")).body["memorySizeGb"], 2);
    stack.run_env(&["plan", "-detailed-exitcode"], &env).expect(0);

    stack.run_env(&["destroy", "-auto-approve"], &env).expect(0);
    assert_eq!(listed(&drongo, &instances, "instances"), Vec::<Value>::new());
}

#[test]
fn drongo_bigquery_applies_adds_a_column_in_place_plans_clean_and_destroys() {
    let Some(program) = std::env::var("CAIRN_DRONGO").ok().filter(|p| !p.is_empty()) else {
        eprintln!("note: CAIRN_DRONGO is not set; skipping the drongo peer test (scripts/test.sh installs drongo)");
        return;
    };
    let drongo = start_drongo(&program);
    let stack = Stack::new();
    let config = |extra: &str| {
        format!(
            r#"provider "google" {{
  project = "{PROJECT}"
}}

resource "google_bigquery_dataset" "analytics" {{
  dataset_id                 = "analytics"
  location                   = "EU"
  delete_contents_on_destroy = true

  labels = {{
    team = "data"
  }}
}}

resource "google_bigquery_table" "orders" {{
  dataset_id          = google_bigquery_dataset.analytics.dataset_id
  table_id            = "orders"
  deletion_protection = false

  schema = jsonencode([
    {{ name = "id", type = "STRING", mode = "REQUIRED" }},
    {{ name = "amount", type = "NUMERIC" }},{extra}
  ])
}}
"#
        )
    };
    let endpoint = format!("http://{}", drongo.addr);
    let env = [("CAIRN_GOOGLE_ENDPOINT", endpoint.as_str()), ("GOOGLE_OAUTH_ACCESS_TOKEN", "peer-token")];
    let datasets = format!("/bigquery/v2/projects/{PROJECT}/datasets");

    stack.write("main.tf", &config(""));
    stack.run_env(&["apply", "-auto-approve"], &env).expect(0);
    assert_eq!(listed(&drongo, &datasets, "datasets").len(), 1);
    stack.run_env(&["plan", "-detailed-exitcode"], &env).expect(0);

    // A new NULLABLE column is an update in place.
    stack.write("main.tf", &config("\n    { name = \"note\", type = \"STRING\" },"));
    let run = stack.run_env(&["apply", "-auto-approve"], &env).expect(0);
    assert!(run.stdout.contains("Resources: 0 added, 1 changed, 0 replaced, 0 destroyed."), "{}", run.stdout);
    let fields = drongo.get(&format!("{datasets}/analytics/tables/orders")).body["schema"]["fields"].clone();
    assert_eq!(fields.as_array().map(Vec::len), Some(3), "{fields}");
    stack.run_env(&["plan", "-detailed-exitcode"], &env).expect(0);

    stack.run_env(&["destroy", "-auto-approve"], &env).expect(0);
    assert_eq!(listed(&drongo, &datasets, "datasets"), Vec::<Value>::new());
}
