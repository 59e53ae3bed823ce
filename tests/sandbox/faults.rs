//! Applies that meet what Google does to a client: answers of 429/503 with
//! `Retry-After` (`CAIRN_SANDBOX_ERROR_RATE`), IAM's eventual consistency
//! (`CAIRN_SANDBOX_CONSISTENCY_DELAY_MS`), and objects changed behind
//! cairn's back (drift, made through `cairn sandbox serve`).

use crate::support::{addresses, attributes, fixture, http, instances, Server, Stack};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// The members of `role` in the project's IAM policy, asked of a sandbox.
fn policy_members(server: &Server, project: &str, role: &str) -> BTreeSet<String> {
    let path = format!("/cloudresourcemanager/v1/projects/{project}:getIamPolicy");
    let reply = http(&server.addr, "POST", &path, Some(&json!({ "options": { "requestedPolicyVersion": 3 } })));
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body["bindings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|b| b["role"] == role)
        .flat_map(|b| b["members"].as_array().cloned().unwrap_or_default())
        .filter_map(|m| m.as_str().map(str::to_string))
        .collect()
}

/// The names the sandbox lists under `kind`.
fn listed(list: &[(String, String)], kind: &str) -> BTreeSet<String> {
    list.iter().filter(|(t, _)| t == kind).map(|(_, n)| n.clone()).collect()
}

/// `attr` of every instance of `ty` in the state.
fn in_state(state: &Value, ty: &str, attr: &str) -> BTreeSet<String> {
    instances(state).into_iter().filter(|(t, _, _)| t == ty).filter_map(|(_, _, a)| a[attr].as_str().map(str::to_string)).collect()
}

#[test]
fn fifty_resources_survive_injected_faults() {
    // 30% of the sandbox's answers are 429 or 503, with `Retry-After: 0`
    // to keep the test quick (`apply_survives_faults_and_iam_eventual_consistency`
    // keeps the default, 1 s).
    let faults = [("CAIRN_SANDBOX_ERROR_RATE", "0.3"), ("CAIRN_SANDBOX_FAULT_RETRY_AFTER_S", "0")];
    let stack = Stack::from_dir(&fixture("sandbox/fifty"));
    let run = stack.run_env(&["apply", "-sandbox", "-auto-approve"], &faults).expect(0);
    assert!(run.stdout.contains("Apply complete! Resources: 50 added, 0 changed"), "{}", run.stdout);

    // Faults really happened, and were retried.
    let faulted = stack.requests().iter().filter(|e| e.status == 429 || e.status == 503).count();
    assert!(faulted > 0, "no request was answered 429/503");

    // State holds all fifty...
    let state = stack.state();
    assert_eq!(addresses(&state).len(), 50, "{:?}", addresses(&state));

    // ...and the sandbox holds exactly them.
    let list = stack.sandbox_list();
    assert_eq!(listed(&list, "storage.buckets"), in_state(&state, "google_storage_bucket", "name"));
    assert_eq!(listed(&list, "storage.buckets").len(), 16);
    assert_eq!(listed(&list, "secretmanager.secrets"), in_state(&state, "google_secret_manager_secret", "name"));
    assert_eq!(listed(&list, "secretmanager.versions"), in_state(&state, "google_secret_manager_secret_version", "name"));
    assert_eq!(listed(&list, "iam.serviceaccounts"), in_state(&state, "google_service_account", "name"));
    let services: BTreeSet<String> =
        listed(&list, "serviceusage.services").iter().filter_map(|n| n.rsplit('/').next().map(str::to_string)).collect();
    assert_eq!(services, in_state(&state, "google_project_service", "service"));
    {
        let server = Server::sandbox(&stack, &stack.sandbox_data());
        let members = policy_members(&server, "fault-project", "roles/secretmanager.secretAccessor");
        assert_eq!(members, in_state(&state, "google_project_iam_member", "member"));
        assert_eq!(members.len(), 5);
    }

    // The next plan, faults and all, finds nothing to do.
    let run = stack.run_env(&["plan", "-sandbox", "-detailed-exitcode"], &faults).expect(0);
    assert!(run.stdout.contains("No changes."), "{}", run.stdout);
}

#[test]
fn a_new_service_account_is_granted_a_role_in_the_same_apply() {
    // A service account stays invisible to IAM policies (and a new API
    // unusable) for 5 s: cairn waits it out, with no sleeps in the stack.
    let stack = Stack::new();
    stack.write(
        "main.tf",
        r#"provider "google" {
  project = "consistency-project"
}

resource "google_project_service" "iam" {
  service = "iam.googleapis.com"
}

resource "google_service_account" "app" {
  account_id = "app-runtime"

  depends_on = [google_project_service.iam]
}

resource "google_project_iam_member" "app" {
  project = "consistency-project"
  role    = "roles/viewer"
  member  = google_service_account.app.member
}
"#,
    );
    let consistency = [("CAIRN_SANDBOX_CONSISTENCY_DELAY_MS", "5000")];
    let run = stack.run_env(&["apply", "-sandbox", "-auto-approve"], &consistency).expect(0);
    assert!(run.stdout.contains("Apply complete! Resources: 3 added"), "{}", run.stdout);
    // The window was really met: the policy write was refused at least once
    // while the account was too young.
    let refused = stack.requests().iter().filter(|e| e.path.ends_with(":setIamPolicy") && e.status == 400).count();
    assert!(refused > 0, "no setIamPolicy was refused for the young account");
    stack.run_env(&["plan", "-sandbox", "-detailed-exitcode"], &consistency).expect(0);
}

#[test]
fn apply_survives_faults_and_iam_eventual_consistency() {
    // The example stack with both at once: 30% faults, and a new service
    // account invisible to IAM policies for 3 s.
    let stack = Stack::new();
    std::fs::copy(crate::example().join("main.tf"), stack.path("main.tf")).unwrap();
    let env = [("CAIRN_SANDBOX_ERROR_RATE", "0.3"), ("CAIRN_SANDBOX_CONSISTENCY_DELAY_MS", "3000")];
    let run = stack.run_env(&["apply", "-sandbox", "-auto-approve"], &env).expect(0);
    assert!(run.stdout.contains("Apply complete! Resources: 11 added"), "{}", run.stdout);
    stack.run(&["plan", "-sandbox", "-detailed-exitcode"]).expect(0);
}

#[test]
fn drift_made_behind_cairns_back_is_planned_and_repaired() {
    let stack = Stack::new();
    stack.write(
        "main.tf",
        r#"provider "google" {
  project = "drift-project"
}

resource "google_project_service" "secretmanager" {
  service = "secretmanager.googleapis.com"
}

resource "google_storage_bucket" "b" {
  name     = "drift-project-bucket"
  location = "EU"

  labels = {
    team = "platform"
  }
}

resource "google_secret_manager_secret" "s" {
  secret_id = "drifting"

  replication {
    auto {}
  }

  depends_on = [google_project_service.secretmanager]
}

resource "google_secret_manager_secret_version" "v" {
  secret      = google_secret_manager_secret.s.id
  secret_data = "v1"
}
"#,
    );
    stack.run(&["apply", "-sandbox", "-auto-approve"]).expect(0);
    let secret = attributes(&stack.state(), "google_secret_manager_secret.s");

    // Someone relabels the bucket and deletes the secret, through the API.
    {
        let server = Server::sandbox(&stack, &stack.sandbox_data());
        let reply = http(&server.addr, "PATCH", "/storage/v1/b/drift-project-bucket", Some(&json!({ "labels": { "team": "someone-else" } })));
        assert_eq!(reply.status, 200, "{}", reply.text);
        let name = secret["name"].as_str().unwrap();
        let reply = http(&server.addr, "DELETE", &format!("/secretmanager/v1/{name}"), None);
        assert_eq!(reply.status, 200, "{}", reply.text);
    }

    let run = stack.run(&["plan", "-sandbox", "-detailed-exitcode"]).expect(2);
    let out = &run.stdout;
    assert!(out.contains("# google_storage_bucket.b will be updated in-place"), "{out}");
    assert!(out.contains(r#"~ "team" = "someone-else" -> "platform""#), "{out}");
    assert!(out.contains("# google_secret_manager_secret.s will be created"), "{out}");
    assert!(out.contains("# google_secret_manager_secret_version.v will be created"), "{out}");
    assert!(out.contains("Plan: 2 to add, 1 to change, 0 to destroy."), "{out}");

    stack.run(&["apply", "-sandbox", "-auto-approve"]).expect(0);
    stack.run(&["plan", "-sandbox", "-detailed-exitcode"]).expect(0);
}
