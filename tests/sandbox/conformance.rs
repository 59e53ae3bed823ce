//! Every Google resource type through its whole life, with the real binary
//! on the sandbox, one table row per type ([`CASES`]) and its step files
//! under `tests/fixtures/conformance/<type>/` (see the README there):
//!
//! 1. create (`create.tf`, with `common.tf` as in every step); the next
//!    plan is clean (no perpetual diff);
//!    1b. drift: the object's record is removed from the sandbox's data
//!    behind cairn's back; the next plan notes the change outside cairn and
//!    creates it again; apply converges;
//! 2. `update.tf` plans `~ <argument>` in place, applies, plans clean;
//! 3. `replace.tf` (`create.tf` with one argument changed) plans a
//!    replacement naming the argument that forces it, applies, plans clean;
//! 4. every resource of the stack is imported by its Terraform import ID
//!    into a fresh state; the plan is clean;
//! 5. destroy; the sandbox no longer holds the object.
//!
//! A new type adds a fixture directory and a row (and a `#[test]` line in
//! the `conformance!` list); `every_google_type_has_a_row` says when one
//! is missing.

use crate::support::{changed_attributes, fixture, http, instances, plan_block, Server, Stack};
use serde_json::{json, Value};
use std::path::PathBuf;

/// One resource type's row.
pub struct Case {
    /// The type; its fixtures are in `tests/fixtures/conformance/<ty>/`.
    pub ty: &'static str,
    /// The argument `update.tf` changes in place, or `None` when the type
    /// has none (every argument forces a new object, as in Terraform).
    pub update: Option<&'static str>,
    /// The argument `replace.tf` changes, which forces replacement.
    pub replace: &'static str,
    /// Terraform's import ID, from the object's state attributes.
    pub import_id: fn(&Value) -> String,
    /// Arguments only cairn holds (no API reads them back), so a plan after
    /// an import may update them from their defaults to the configured
    /// values, with no API call: Terraform's `ImportStateVerifyIgnore`.
    pub import_ignore: &'static [&'static str],
    /// Drift: the sandbox collection holding the object, and the last
    /// segment of its key there, from its state attributes. The test removes
    /// that record behind cairn's back; the next plan must create the object
    /// again. `None` where a record holds more than the object (an IAM policy
    /// holds every grant; drift of those is tested in `faults.rs`).
    pub drift: Option<(&'static str, fn(&Value) -> String)>,
    /// After destroy: `Err(why)` when the sandbox still holds the object
    /// with these state attributes.
    pub gone: fn(&Probe, &Value) -> Result<(), String>,
}

/// What a row may ask the sandbox after the destroy. (The stack's APIs
/// were disabled by it, so an object of a gated API is looked up in the
/// sandbox's listing, not through its API.)
pub struct Probe {
    /// `cairn sandbox serve` on the stack's data, `127.0.0.1:PORT`.
    pub addr: String,
    /// `cairn sandbox list -json`: `(type, name)`.
    pub list: Vec<(String, String)>,
}

impl Probe {
    /// `Ok` when the listing has no `kind` whose name ends in `/{name}`.
    fn unlisted_named(&self, kind: &str, name: &str) -> Result<(), String> {
        let tail = format!("/{name}");
        match self.list.iter().find(|(t, n)| t == kind && n.ends_with(&tail)) {
            Some((_, n)) => Err(format!("the sandbox still lists {kind} {n}")),
            None => Ok(()),
        }
    }

    /// `Ok` when the listing has no `kind` named `name`.
    fn unlisted(&self, kind: &str, name: &str) -> Result<(), String> {
        match self.list.iter().any(|(t, n)| t == kind && n == name) {
            true => Err(format!("the sandbox still lists {kind} {name}")),
            false => Ok(()),
        }
    }
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_default()
}

/// `Ok` when a GET of `path` is 404, or answers with `field` = `value`
/// (a disabled API: what Google keeps).
fn absent(addr: &str, path: &str, or: Option<(&str, &str)>) -> Result<(), String> {
    let r = http(addr, "GET", path, None);
    match (r.status, or) {
        (404, _) => Ok(()),
        (200, Some((field, value))) if r.body[field] == value => Ok(()),
        _ => Err(format!("GET {path}: {} {}", r.status, r.text)),
    }
}

/// `Ok` when no binding of `role` in the project's policy holds `member`
/// (any member, for `None`).
fn not_in_policy(addr: &str, project: &str, role: &str, member: Option<&str>) -> Result<(), String> {
    let path = format!("/cloudresourcemanager/v1/projects/{project}:getIamPolicy");
    let r = http(addr, "POST", &path, Some(&json!({ "options": { "requestedPolicyVersion": 3 } })));
    if r.status != 200 {
        return Err(format!("POST {path}: {} {}", r.status, r.text));
    }
    let held = r.body["bindings"].as_array().into_iter().flatten().filter(|b| b["role"] == role).any(|b| {
        let members = b["members"].as_array().cloned().unwrap_or_default();
        match member {
            Some(m) => members.iter().any(|x| x == m),
            None => !members.is_empty(),
        }
    });
    if held {
        Err(format!("the policy still grants {role}: {}", r.body))
    } else {
        Ok(())
    }
}

/// `Ok` when the bucket is gone, or no binding of `role` in its policy
/// holds `member` (any member, for `None`).
fn not_in_bucket_policy(addr: &str, bucket: &str, role: &str, member: Option<&str>) -> Result<(), String> {
    let bucket = bucket.trim_start_matches("b/");
    let path = format!("/storage/v1/b/{bucket}/iam?optionsRequestedPolicyVersion=3");
    let r = http(addr, "GET", &path, None);
    match r.status {
        404 => return Ok(()),
        200 => {}
        _ => return Err(format!("GET {path}: {} {}", r.status, r.text)),
    }
    let held = r.body["bindings"].as_array().into_iter().flatten().filter(|b| b["role"] == role).any(|b| {
        let members = b["members"].as_array().cloned().unwrap_or_default();
        member.map_or(!members.is_empty(), |m| members.iter().any(|x| x == m))
    });
    if held { Err(format!("the bucket policy still grants {role}: {}", r.body)) } else { Ok(()) }
}

/// The table: one row per resource type.
pub const CASES: &[Case] = &[
    Case {
        ty: "google_project_service",
        update: Some("disable_dependent_services"),
        replace: "service",
        import_id: |a| format!("{}/{}", s(a, "project"), s(a, "service")),
        drift: None,
        import_ignore: &[],
        // Disabled on destroy only when asked (`disable_on_destroy`, unset =
        // false as in Google provider 7); otherwise forgotten, still enabled.
        gone: |p, a| {
            let path = format!("/serviceusage/v1/projects/{}/services/{}", s(a, "project"), s(a, "service"));
            let expect = if a["disable_on_destroy"] == true { "DISABLED" } else { "ENABLED" };
            let r = http(&p.addr, "GET", &path, None);
            match r.body["state"].as_str() {
                Some(state) if state == expect => Ok(()),
                _ => Err(format!("GET {path}: expected state {expect}: {} {}", r.status, r.text)),
            }
        },
    },
    Case {
        ty: "google_storage_bucket",
        update: Some("labels"),
        replace: "location",
        import_id: |a| s(a, "name").to_string(),
        drift: Some(("storage.buckets", |a| s(a, "name").to_string())),
        import_ignore: &[],
        gone: |p, a| absent(&p.addr, &format!("/storage/v1/b/{}", s(a, "name")), None),
    },
    Case {
        ty: "google_secret_manager_secret",
        update: Some("labels"),
        replace: "replication",
        import_id: |a| s(a, "id").to_string(),
        drift: Some(("secretmanager.secrets", |a| s(a, "secret_id").to_string())),
        import_ignore: &[],
        gone: |p, a| p.unlisted("secretmanager.secrets", s(a, "name")),
    },
    Case {
        ty: "google_secret_manager_secret_version",
        update: Some("enabled"),
        replace: "secret_data",
        // Terraform's documented form, with the project's ID (the `name`
        // Google gives has its number).
        import_id: |a| format!("{}/versions/{}", s(a, "secret"), s(a, "version")),
        drift: Some(("secretmanager.versions", |a| s(a, "version").to_string())),
        import_ignore: &[],
        gone: |p, a| p.unlisted("secretmanager.versions", s(a, "name")),
    },
    Case {
        ty: "google_service_account",
        update: Some("display_name"),
        replace: "account_id",
        import_id: |a| s(a, "name").to_string(),
        drift: Some(("iam.serviceaccounts", |a| s(a, "email").to_string())),
        import_ignore: &[],
        gone: |p, a| p.unlisted("iam.serviceaccounts", s(a, "name")),
    },
    Case {
        ty: "google_project_iam_member",
        update: None,
        replace: "role",
        import_id: |a| format!("{} {} {}", s(a, "project"), s(a, "role"), s(a, "member")),
        drift: None,
        import_ignore: &[],
        gone: |p, a| not_in_policy(&p.addr, s(a, "project"), s(a, "role"), Some(s(a, "member"))),
    },
    Case {
        ty: "google_project_iam_binding",
        update: Some("members"),
        replace: "role",
        import_id: |a| format!("{} {}", s(a, "project"), s(a, "role")),
        drift: None,
        import_ignore: &[],
        gone: |p, a| not_in_policy(&p.addr, s(a, "project"), s(a, "role"), None),
    },
    Case {
        ty: "google_artifact_registry_repository",
        update: Some("description"),
        replace: "format",
        import_id: |a| s(a, "id").to_string(),
        drift: Some(("artifactregistry.repositories", |a| s(a, "repository_id").to_string())),
        import_ignore: &[],
        gone: |p, a| p.unlisted("artifactregistry.repositories", s(a, "id")),
    },
    Case {
        ty: "google_storage_bucket_iam_member",
        update: None,
        replace: "role",
        import_id: |a| format!("{} {} {}", s(a, "bucket"), s(a, "role"), s(a, "member")),
        drift: None,
        import_ignore: &[],
        gone: |p, a| not_in_bucket_policy(&p.addr, s(a, "bucket"), s(a, "role"), Some(s(a, "member"))),
    },
    Case {
        ty: "google_storage_bucket_iam_binding",
        update: Some("members"),
        replace: "role",
        import_id: |a| format!("{} {}", s(a, "bucket"), s(a, "role")),
        drift: None,
        import_ignore: &[],
        gone: |p, a| not_in_bucket_policy(&p.addr, s(a, "bucket"), s(a, "role"), None),
    },
    Case {
        ty: "google_sql_database_instance",
        update: Some("settings"),
        replace: "database_version",
        import_id: |a| format!("{}/{}", s(a, "project"), s(a, "name")),
        drift: Some(("sqladmin.instances", |a| s(a, "name").to_string())),
        import_ignore: &["deletion_protection"],
        gone: |p, a| p.unlisted("sqladmin.instances", &format!("{}/{}", s(a, "project"), s(a, "name"))),
    },
    Case {
        ty: "google_sql_database",
        update: Some("collation"),
        replace: "name",
        import_id: |a| format!("{}/{}/{}", s(a, "project"), s(a, "instance"), s(a, "name")),
        drift: Some(("sqladmin.databases", |a| s(a, "name").to_string())),
        import_ignore: &[],
        gone: |p, a| p.unlisted("sqladmin.databases", &format!("{}/{}/{}", s(a, "project"), s(a, "instance"), s(a, "name"))),
    },
    Case {
        ty: "google_sql_user",
        update: Some("password"),
        replace: "name",
        import_id: |a| format!("{}/{}/{}", s(a, "project"), s(a, "instance"), s(a, "name")),
        drift: Some(("sqladmin.users", |a| s(a, "name").to_string())),
        import_ignore: &[],
        gone: |p, a| p.unlisted("sqladmin.users", &format!("{}/{}/{}/{}", s(a, "project"), s(a, "instance"), s(a, "host"), s(a, "name"))),
    },
    Case {
        ty: "google_compute_network",
        update: Some("routing_mode"),
        replace: "name",
        import_id: |a| s(a, "id").to_string(),
        drift: Some(("compute.networks", |a| s(a, "name").to_string())),
        import_ignore: &[],
        gone: |p, a| p.unlisted_named("compute.networks", s(a, "name")),
    },
    Case {
        ty: "google_compute_subnetwork",
        update: Some("private_ip_google_access"),
        replace: "ip_cidr_range",
        import_id: |a| s(a, "id").to_string(),
        drift: Some(("compute.subnetworks", |a| s(a, "name").to_string())),
        import_ignore: &[],
        gone: |p, a| p.unlisted_named("compute.subnetworks", s(a, "name")),
    },
    Case {
        ty: "google_compute_firewall",
        update: Some("source_ranges"),
        replace: "name",
        import_id: |a| s(a, "id").to_string(),
        drift: Some(("compute.firewalls", |a| s(a, "name").to_string())),
        import_ignore: &[],
        gone: |p, a| p.unlisted_named("compute.firewalls", s(a, "name")),
    },
    Case {
        ty: "google_compute_global_address",
        update: Some("labels"),
        replace: "prefix_length",
        import_id: |a| s(a, "id").to_string(),
        drift: Some(("compute.globaladdresses", |a| s(a, "name").to_string())),
        import_ignore: &[],
        gone: |p, a| p.unlisted_named("compute.globaladdresses", s(a, "name")),
    },
    Case {
        ty: "google_service_networking_connection",
        update: Some("reserved_peering_ranges"),
        replace: "network",
        import_id: |a| s(a, "id").to_string(),
        drift: None,
        import_ignore: &[],
        gone: |p, _| match p.list.iter().find(|(t, _)| t == "servicenetworking.connections") {
            Some((_, n)) => Err(format!("the sandbox still lists servicenetworking.connections {n}")),
            None => Ok(()),
        },
    },
    Case {
        ty: "google_cloud_run_v2_service",
        update: Some("template"),
        replace: "name",
        import_id: |a| s(a, "id").to_string(),
        drift: Some(("run.services", |a| s(a, "name").to_string())),
        // Only cairn holds it (true on import, as in Terraform).
        import_ignore: &["deletion_protection"],
        gone: |p, a| p.unlisted_named("run.services", s(a, "name")),
    },
    Case {
        ty: "google_redis_instance",
        update: Some("memory_size_gb"),
        replace: "tier",
        import_id: |a| s(a, "id").to_string(),
        drift: Some(("redis.instances", |a| s(a, "name").to_string())),
        import_ignore: &[],
        gone: |p, a| p.unlisted_named("redis.instances", s(a, "name")),
    },
    Case {
        ty: "google_bigquery_dataset",
        update: Some("friendly_name"),
        replace: "location",
        import_id: |a| s(a, "id").to_string(),
        drift: Some(("bigquery.datasets", |a| s(a, "dataset_id").to_string())),
        import_ignore: &["delete_contents_on_destroy"],
        gone: |p, a| p.unlisted("bigquery.datasets", &format!("{}/{}", s(a, "project"), s(a, "dataset_id"))),
    },
    Case {
        ty: "google_bigquery_table",
        update: Some("description"),
        replace: "schema",
        import_id: |a| format!("{}/{}/{}", s(a, "project"), s(a, "dataset_id"), s(a, "table_id")),
        drift: Some(("bigquery.tables", |a| s(a, "table_id").to_string())),
        // Only cairn holds it (true on import, as in Terraform).
        import_ignore: &["deletion_protection"],
        gone: |p, a| p.unlisted("bigquery.tables", &format!("{}/{}/{}", s(a, "project"), s(a, "dataset_id"), s(a, "table_id"))),
    },
];

/// One `#[test]` per row, so rows run in parallel and fail alone.
macro_rules! conformance {
    ($($ty:ident),* $(,)?) => {
        $(
            #[test]
            fn $ty() {
                run(stringify!($ty));
            }
        )*
    };
}

conformance!(
    google_project_service,
    google_storage_bucket,
    google_secret_manager_secret,
    google_secret_manager_secret_version,
    google_service_account,
    google_project_iam_member,
    google_project_iam_binding,
    google_artifact_registry_repository,
    google_storage_bucket_iam_member,
    google_storage_bucket_iam_binding,
    google_sql_database_instance,
    google_sql_database,
    google_sql_user,
    google_compute_network,
    google_compute_subnetwork,
    google_compute_firewall,
    google_compute_global_address,
    google_service_networking_connection,
    google_redis_instance,
    google_bigquery_dataset,
    google_bigquery_table,
    google_cloud_run_v2_service,
);

#[test]
fn every_google_type_has_a_row() {
    let missing: Vec<&str> = cairn_google::resources()
        .iter()
        .map(|r| r.type_name())
        .filter(|t| !CASES.iter().any(|c| c.ty == *t))
        .collect();
    assert!(
        missing.is_empty(),
        "resource types without a conformance row: {missing:?}; add a row to CASES in tests/sandbox/conformance.rs, \
         its name to the conformance! list, and fixtures under tests/fixtures/conformance/<type>/"
    );
}

/// Removes the one record of `collection` whose key is `last` or ends in
/// `/{last}` from the sandbox's data, as someone deleting the object outside
/// cairn would.
fn remove_record(data: &std::path::Path, collection: &str, last: &str) {
    let path = data.join(format!("{collection}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut file: Value = serde_json::from_str(&text).unwrap();
    let records = file["records"].as_object_mut().unwrap_or_else(|| panic!("{}: no records", path.display()));
    let tail = format!("/{last}");
    let keys: Vec<String> = records.keys().filter(|k| *k == last || k.ends_with(&tail)).cloned().collect();
    assert_eq!(keys.len(), 1, "{collection}: records matching {last:?}: {keys:?} of {:?}", records.keys().collect::<Vec<_>>());
    records.remove(&keys[0]);
    std::fs::write(&path, serde_json::to_vec_pretty(&file).unwrap()).unwrap();
}

fn case(ty: &str) -> &'static Case {
    CASES.iter().find(|c| c.ty == ty).unwrap_or_else(|| panic!("no conformance row for {ty}"))
}

fn step_file(ty: &str, name: &str) -> PathBuf {
    fixture("conformance").join(ty).join(format!("{name}.tf"))
}

/// The files of a step: `common.tf` and the step's own.
fn step(ty: &str, name: &str) -> [PathBuf; 2] {
    [step_file(ty, "common"), step_file(ty, name)]
}

fn run(ty: &str) {
    let case = case(ty);
    let addr = format!("{ty}.under_test");
    let stack = Stack::new();
    let plan = |stack: &Stack, code| stack.run(&["plan", "-sandbox", "-detailed-exitcode"]).expect(code).stdout;

    // 1. Create; no perpetual diff.
    stack.use_config(&step(ty, "create"));
    stack.run(&["apply", "-sandbox", "-auto-approve"]).expect(0);
    plan(&stack, 0);

    // 1b. Drift: the object removed behind cairn's back is created again.
    if let Some((collection, last)) = case.drift {
        let attrs = crate::support::attributes(&stack.state(), &addr);
        remove_record(&stack.sandbox_data(), collection, &last(&attrs));
        let out = plan(&stack, 2);
        assert!(out.contains("Objects have changed outside of cairn"), "{out}");
        let actions = out.split("will perform the following actions:").nth(1).unwrap_or_default();
        let block = plan_block(actions, &addr);
        assert!(block.first().is_some_and(|h| h.ends_with("will be created")), "{addr} removed in the sandbox is not planned for creation:\n{out}");
        stack.run(&["apply", "-sandbox", "-auto-approve"]).expect(0);
        plan(&stack, 0);
    }

    // 2. Update in place.
    match case.update {
        Some(arg) => {
            stack.use_config(&step(ty, "update"));
            let out = plan(&stack, 2);
            let block = plan_block(&out, &addr);
            assert!(block.first().is_some_and(|h| h.ends_with("will be updated in-place")), "{addr} is not updated in place:\n{out}");
            // `~ arg`, or `+ arg` / `- arg` when it was or becomes unset.
            assert!(changed_attributes(&block).contains(&arg.to_string()), "the plan does not change `{arg}`:\n{out}");
            stack.run(&["apply", "-sandbox", "-auto-approve"]).expect(0);
            plan(&stack, 0);
        }
        None => assert!(!step_file(ty, "update").exists(), "{ty} has no updatable argument, yet update.tf exists"),
    }

    // 3. Replace, naming the argument that forces it.
    stack.use_config(&step(ty, "replace"));
    let out = plan(&stack, 2);
    let block = plan_block(&out, &addr);
    assert!(block.first().is_some_and(|h| h.ends_with("must be replaced")), "{addr} is not replaced:\n{out}");
    let reason = block.iter().any(|l| {
        let name = l.trim_start().get(2..).and_then(|r| r.split_whitespace().next());
        name == Some(case.replace) && l.contains("# forces replacement")
    });
    assert!(reason, "the plan does not say that `{}` forces replacement:\n{out}", case.replace);
    stack.run(&["apply", "-sandbox", "-auto-approve"]).expect(0);
    plan(&stack, 0);

    // 4. Import everything into a fresh state, on the same sandbox data.
    let state = stack.state();
    let fresh = Stack::new();
    fresh.use_config(&step(ty, "replace"));
    let sandbox = format!("-sandbox={}", stack.sandbox_data().display());
    for (t, a, attrs) in instances(&state) {
        let id = (self::case(&t).import_id)(&attrs);
        fresh.run(&["import", &sandbox, &a, &id]).expect(0);
    }
    let run = fresh.run(&["plan", &sandbox, "-detailed-exitcode"]);
    if run.code != 0 {
        // Only arguments no API reads back may change, and only in place.
        assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
        for (t, a, _) in instances(&state) {
            let block = plan_block(&run.stdout, &a);
            if block.is_empty() {
                continue;
            }
            let allowed = self::case(&t).import_ignore;
            assert!(block[0].ends_with("will be updated in-place"), "{a} after import:\n{}", run.stdout);
            // Values that only become unknown (an etag a write may renew) are
            // not changes of configuration.
            let known: Vec<&str> = block.iter().copied().filter(|l| !l.trim_end().ends_with("-> (known after apply)")).collect();
            let changed = changed_attributes(&known);
            assert!(changed.iter().all(|c| allowed.contains(&c.as_str())), "{a} after import changes {changed:?}, beyond {allowed:?}:\n{}", run.stdout);
        }
    }

    // 5. Destroy; the sandbox no longer holds it.
    let attrs = crate::support::attributes(&state, &addr);
    stack.run(&["destroy", "-sandbox", "-auto-approve"]).expect(0);
    let list = stack.sandbox_list();
    let server = Server::sandbox(&stack, &stack.sandbox_data());
    let probe = Probe { addr: server.addr.clone(), list };
    if let Err(why) = (case.gone)(&probe, &attrs) {
        panic!("{addr} outlived its destroy: {why}");
    }
}
