//! Every resource type against an in-process `cairn_sandbox` on port 0:
//! create, read, update in place, delete, import; Service Usage gating
//! Secret Manager; retries under injected faults; credential errors; the
//! data sources (`google_project`, `google_client_config`); operation
//! deadlines bounding retries and operation polls. Every request a
//! test's sandbox received is checked against Google's Discovery
//! documents when the test ends (`common`).

mod common;

use cairn_google::client::{resolve_static_token, within, Client, Error, SANDBOX_TOKEN};
use cairn_google::{data_sources, GoogleDataSource, GoogleResource, Json, ProviderConfig};
use cairn_sandbox::Config;
use common::{create, rtype, update, Checked, PROJECT};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

async fn sandbox(config: Config) -> (Checked, Client) {
    common::serve(config).await
}

/// A sandbox whose operations take `config.op_latency` (default 500 ms).
async fn slow_sandbox(config: Config) -> (Checked, Client) {
    common::serve_as_configured(config).await
}

fn data_source(name: &str) -> Box<dyn GoogleDataSource> {
    data_sources().into_iter().find(|d| d.type_name() == name).unwrap()
}

async fn enable_secret_manager(client: &Client) -> Json {
    let ps = rtype("google_project_service");
    create(ps.as_ref(), client, json!({ "service": "secretmanager.googleapis.com" })).await
}

#[tokio::test]
async fn project_service_lifecycle() {
    let (_h, client) = sandbox(Config::new("")).await;
    let r = rtype("google_project_service");
    let planned = r.plan(client.config(), None, json!({ "service": "secretmanager.googleapis.com" })).unwrap();
    assert_eq!(planned["project"], PROJECT);
    assert_eq!(planned["disable_on_destroy"], false, "unset means false, as in Google provider 7");
    let planned =
        r.plan(client.config(), None, json!({ "service": "secretmanager.googleapis.com", "disable_on_destroy": true })).unwrap();
    let state = r.create(&client, &planned).await.unwrap();
    assert_eq!(state["id"], format!("{PROJECT}/secretmanager.googleapis.com"));
    assert_eq!(r.read(&client, &state).await.unwrap(), Some(state.clone()));

    let updated = update(
        r.as_ref(),
        &client,
        &state,
        json!({ "service": "secretmanager.googleapis.com", "disable_on_destroy": true, "disable_dependent_services": true }),
    )
    .await;
    assert_eq!(updated["disable_dependent_services"], true);
    assert_eq!(r.read(&client, &updated).await.unwrap(), Some(updated.clone()));

    let imported = r.import(&client, &format!("{PROJECT}/secretmanager.googleapis.com")).await.unwrap();
    assert_eq!(imported["service"], "secretmanager.googleapis.com");

    r.delete(&client, &updated).await.unwrap();
    assert_eq!(r.read(&client, &updated).await.unwrap(), None);

    // Unset (or false) disable_on_destroy only forgets it.
    let kept = create(r.as_ref(), &client, json!({ "service": "secretmanager.googleapis.com" })).await;
    r.delete(&client, &kept).await.unwrap();
    assert!(r.read(&client, &kept).await.unwrap().is_some());
}

#[tokio::test]
async fn secret_manager_needs_the_api_enabled() {
    let (_h, client) = sandbox(Config::new("")).await;
    let secret = rtype("google_secret_manager_secret");
    let config = json!({ "secret_id": "s1", "replication": [{ "auto": [{}] }] });
    let planned = secret.plan(client.config(), None, config.clone()).unwrap();
    let err = secret.create(&client, &planned).await.unwrap_err();
    match &err {
        Error::Api { status: 403, reason, .. } => assert_eq!(reason, "SERVICE_DISABLED", "{err}"),
        other => panic!("expected 403 SERVICE_DISABLED, got {other:?}"),
    }
    assert!(err.to_string().contains("SERVICE_DISABLED"));

    enable_secret_manager(&client).await;
    let state = secret.create(&client, &planned).await.unwrap();
    assert_eq!(state["id"], format!("projects/{PROJECT}/secrets/s1"));
}

#[tokio::test]
async fn secret_lifecycle() {
    let (_h, client) = sandbox(Config::new("")).await;
    enable_secret_manager(&client).await;
    let r = rtype("google_secret_manager_secret");
    let state = create(
        r.as_ref(),
        &client,
        json!({ "secret_id": "db-password", "labels": { "env": "dev" },
                "replication": [{ "user_managed": [{ "replicas": [{ "location": "us-central1" }, { "location": "europe-west1" }] }] }] }),
    )
    .await;
    assert_eq!(state["id"], format!("projects/{PROJECT}/secrets/db-password"));
    assert!(state["name"].as_str().unwrap().starts_with("projects/"));
    assert_eq!(state["labels"], json!({ "env": "dev" }));
    assert_eq!(state["replication"][0]["user_managed"][0]["replicas"][1]["location"], "europe-west1");
    assert_eq!(r.read(&client, &state).await.unwrap(), Some(state.clone()));

    let config2 = json!({ "secret_id": "db-password", "labels": { "env": "prod", "team": "a" },
                          "replication": [{ "user_managed": [{ "replicas": [{ "location": "us-central1" }, { "location": "europe-west1" }] }] }] });
    let updated = update(r.as_ref(), &client, &state, config2).await;
    assert_eq!(updated["labels"], json!({ "env": "prod", "team": "a" }));
    assert_eq!(updated["name"], state["name"]);
    assert_eq!(r.read(&client, &updated).await.unwrap(), Some(updated.clone()));

    for id in [format!("projects/{PROJECT}/secrets/db-password"), format!("{PROJECT}/db-password"), "db-password".to_string()] {
        let imported = r.import(&client, &id).await.unwrap();
        assert_eq!(imported["id"], updated["id"]);
        assert_eq!(imported["labels"], updated["labels"]);
    }

    r.delete(&client, &updated).await.unwrap();
    assert_eq!(r.read(&client, &updated).await.unwrap(), None);
}

#[tokio::test]
async fn secret_version_lifecycle() {
    let (_h, client) = sandbox(Config::new("")).await;
    enable_secret_manager(&client).await;
    let secret = create(rtype("google_secret_manager_secret").as_ref(), &client, json!({ "secret_id": "api-key", "replication": [{ "auto": [{}] }] })).await;
    let r = rtype("google_secret_manager_secret_version");
    let state = create(r.as_ref(), &client, json!({ "secret": secret["id"], "secret_data": "s3cr3t" })).await;
    assert_eq!(state["version"], "1");
    assert_eq!(state["enabled"], true);
    assert_eq!(state["secret"], secret["id"]);
    assert_eq!(state["secret_data"], "s3cr3t");
    assert_eq!(r.read(&client, &state).await.unwrap(), Some(state.clone()));

    // Disable in place: the payload cannot be read back, the prior value stays.
    let disabled = update(r.as_ref(), &client, &state, json!({ "secret": secret["id"], "secret_data": "s3cr3t", "enabled": false })).await;
    assert_eq!(disabled["enabled"], false);
    assert_eq!(disabled["name"], state["name"]);
    assert_eq!(r.read(&client, &disabled).await.unwrap(), Some(disabled.clone()));

    // Import of an enabled version reads the payload.
    let v2 = create(r.as_ref(), &client, json!({ "secret": secret["id"], "secret_data": "two" })).await;
    assert_eq!(v2["version"], "2");
    let imported = r.import(&client, v2["name"].as_str().unwrap()).await.unwrap();
    assert_eq!(imported["secret_data"], "two");

    r.delete(&client, &disabled).await.unwrap();
    assert_eq!(r.read(&client, &disabled).await.unwrap(), None);
    r.delete(&client, &disabled).await.unwrap();
}

#[tokio::test]
async fn bucket_lifecycle() {
    let (_h, client) = sandbox(Config::new("")).await;
    let r = rtype("google_storage_bucket");
    let config = json!({
        "name": "cairn-test-bucket", "location": "us", "labels": { "env": "dev" },
        "versioning": [{ "enabled": true }],
        "lifecycle_rule": [{ "action": [{ "type": "Delete" }], "condition": [{ "age": 30 }] }],
    });
    let planned = r.plan(client.config(), None, config.clone()).unwrap();
    let state = r.create(&client, &planned).await.unwrap();
    let mut known = state.clone();
    known.as_object_mut().unwrap().remove("project_number"); // computed, unknown at plan
    assert!(known["soft_delete_policy"][0]["effective_time"].is_string());
    known["soft_delete_policy"][0]["effective_time"] = Json::Null; // the server's, unknown at plan
    assert_eq!(known, planned, "create gives what plan promised");
    assert_eq!(state["soft_delete_policy"][0]["retention_duration_seconds"], 604800, "Google's default");
    assert_eq!(state["location"], "us");
    assert_eq!(state["url"], "gs://cairn-test-bucket");
    assert_eq!(state["self_link"], "https://www.googleapis.com/storage/v1/b/cairn-test-bucket");
    assert!(state["project_number"].is_number());
    assert_eq!(state["storage_class"], "STANDARD");
    assert_eq!(state["lifecycle_rule"][0]["condition"][0]["age"], 30);
    assert_eq!(state["lifecycle_rule"][0]["condition"][0]["with_state"], "ANY");
    assert_eq!(r.read(&client, &state).await.unwrap(), Some(state.clone()));

    // Replanning `US` against the prior `us` is no change.
    let mut same = config.clone();
    same["location"] = json!("US");
    assert_eq!(r.plan(client.config(), Some(&state), same).unwrap(), state);

    let config2 = json!({
        "name": "cairn-test-bucket", "location": "us", "labels": { "team": "a" },
        "storage_class": "NEARLINE", "uniform_bucket_level_access": true, "public_access_prevention": "enforced",
        "versioning": [{ "enabled": false }],
        "lifecycle_rule": [{ "action": [{ "type": "SetStorageClass", "storage_class": "COLDLINE" }], "condition": [{ "age": 60, "with_state": "LIVE" }] }],
    });
    let planned2 = r.plan(client.config(), Some(&state), config2).unwrap();
    let updated = r.update(&client, &state, &planned2).await.unwrap();
    assert_eq!(updated, planned2);
    assert_eq!(updated["labels"], json!({ "team": "a" }));
    assert_eq!(updated["effective_labels"], json!({ "team": "a" }));
    assert_eq!(r.read(&client, &updated).await.unwrap(), Some(updated.clone()));

    let imported = r.import(&client, "cairn-test-bucket").await.unwrap();
    assert_eq!(imported["storage_class"], "NEARLINE");
    assert_eq!(imported["force_destroy"], false);

    r.delete(&client, &updated).await.unwrap();
    assert_eq!(r.read(&client, &updated).await.unwrap(), None);
}

#[tokio::test]
async fn bucket_default_labels_and_force_destroy() {
    let (h, mut client) = sandbox(Config::new("")).await;
    let mut pc = client.config().clone();
    pc.default_labels.insert("managed-by".into(), "cairn".into());
    client = Client::new(pc);
    let r = rtype("google_storage_bucket");
    let state = create(r.as_ref(), &client, json!({ "name": "cairn-full-bucket", "location": "EU", "labels": { "env": "dev" } })).await;
    assert_eq!(state["labels"], json!({ "env": "dev" }));
    assert_eq!(state["effective_labels"], json!({ "env": "dev", "managed-by": "cairn" }));
    assert_eq!(r.read(&client, &state).await.unwrap(), Some(state.clone()));

    let url = format!("http://{}/upload/storage/v1/b/cairn-full-bucket/o?uploadType=media&name=dir%2Fa.txt", h.addr);
    let resp = reqwest::Client::new().post(url).bearer_auth("t").body("hello").send().await.unwrap();
    assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());

    let err = r.delete(&client, &state).await.unwrap_err();
    assert!(err.to_string().contains("force_destroy"), "{err}");
    let mut forced = state.clone();
    forced["force_destroy"] = json!(true);
    r.delete(&client, &forced).await.unwrap();
    assert_eq!(r.read(&client, &state).await.unwrap(), None);
}

#[tokio::test]
async fn retries_injected_faults() {
    let mut config = Config::new("");
    config.error_rate = 0.3;
    config.seed = Some(7);
    let (_h, client) = sandbox(config).await;
    let client = Arc::new(client);
    let mut tasks = Vec::new();
    for i in 0..20 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let r = rtype("google_storage_bucket");
            let planned = r.plan(client.config(), None, json!({ "name": format!("cairn-retry-{i}"), "location": "US" })).unwrap();
            r.create(&client, &planned).await
        }));
    }
    for t in tasks {
        let state = t.await.unwrap().unwrap();
        assert!(state["name"].as_str().unwrap().starts_with("cairn-retry-"));
    }
}

#[tokio::test]
async fn credentials_missing_is_one_clear_error() {
    // A key file that does not exist, no token, no base endpoint.
    let client = Client::new(ProviderConfig {
        project: Some(PROJECT.into()),
        credentials: Some("/nonexistent/cairn-key.json".into()),
        ..ProviderConfig::default()
    });
    if std::env::var("GOOGLE_OAUTH_ACCESS_TOKEN").is_ok() {
        return; // a token in the environment takes precedence
    }
    let err = client.request(cairn_google::client::Method::GET, &client.url("storage", "b/x"), None).await.unwrap_err();
    let Error::Credentials(msg) = &err else { panic!("expected Credentials, got {err:?}") };
    for needle in ["GOOGLE_OAUTH_ACCESS_TOKEN", "GOOGLE_APPLICATION_CREDENTIALS", "gcloud", "metadata server", "cairn apply --sandbox"] {
        assert!(msg.contains(needle), "{needle} missing from: {msg}");
    }
    // Without a base endpoint nothing stands in for a token.
    assert_eq!(resolve_static_token(&ProviderConfig::default(), None), None);
}

#[tokio::test]
async fn faults_were_really_injected_and_retried() {
    let mut config = Config::new("");
    config.error_rate = 0.3;
    config.seed = Some(11);
    let (h, client) = sandbox(config).await;
    let r = rtype("google_storage_bucket");
    for i in 0..5 {
        create(r.as_ref(), &client, json!({ "name": format!("cairn-fault-{i}"), "location": "US" })).await;
    }
    let log: Json = reqwest::get(format!("http://{}/_sandbox/requests", h.addr)).await.unwrap().json().await.unwrap();
    let statuses: Vec<i64> = log["requests"].as_array().unwrap().iter().filter_map(|r| r["status"].as_i64()).collect();
    assert!(statuses.iter().any(|s| *s == 429 || *s == 503), "no fault injected: {statuses:?}");
    // A 429 lowered Storage's concurrency; the few successes since have not
    // yet raised it back to the top.
    if statuses.contains(&429) {
        assert!(client.concurrency("storage") < cairn_google::throttle::MAX_LIMIT as usize);
    }
    assert_eq!(client.concurrency("iam"), cairn_google::throttle::MAX_LIMIT as usize, "an untouched service kept its limit");
    // The same log in process, with what each request carried: a faulted
    // insert never reached validation, yet its body was recorded for the
    // Discovery check.
    let faulted_insert = h.requests().into_iter().find(|e| e.method == "POST" && e.path == "/storage/v1/b" && e.status >= 429);
    if let Some(e) = faulted_insert {
        assert_eq!(e.method_id, None);
        assert!(e.body.as_ref().is_some_and(|b| b["name"].as_str().is_some_and(|n| n.starts_with("cairn-fault-"))), "{e:?}");
    }
}

#[tokio::test]
async fn eventual_consistency_is_waited_out() {
    // Buckets 404 for a moment after creation; an API is usable only a
    // moment after its enabling operation is done.
    let mut config = Config::new("");
    config.consistency_delay = Duration::from_millis(1500);
    let (_h, client) = sandbox(config).await;
    let bucket = create(rtype("google_storage_bucket").as_ref(), &client, json!({ "name": "cairn-consistent", "location": "US" })).await;
    assert_eq!(bucket["name"], "cairn-consistent");
    enable_secret_manager(&client).await;
    let secret = create(rtype("google_secret_manager_secret").as_ref(), &client, json!({ "secret_id": "soon", "replication": [{ "auto": [{}] }] })).await;
    assert_eq!(secret["secret_id"], "soon");
}

#[tokio::test]
async fn project_data_source_reads_the_project() {
    let (_h, client) = sandbox(Config::new("")).await;
    let ds = data_source("google_project");
    let p = ds.read(&client, &json!({ "project_id": null })).await.unwrap();
    assert_eq!(p["id"], format!("projects/{PROJECT}"));
    assert_eq!(p["project_id"], PROJECT);
    assert_eq!(p["number"], cairn_sandbox::services::project_number(PROJECT), "the sandbox's stable number, as a string");
    assert_eq!(p["name"], PROJECT);
    for k in ["labels", "terraform_labels", "effective_labels"] {
        assert_eq!(p[k], json!({}), "{k}");
    }
    for k in ["org_id", "folder_id", "billing_account", "auto_create_network", "deletion_policy"] {
        assert!(p[k].is_null(), "{k}: {}", p[k]);
    }
    // Another project, also as `projects/{id}`; the same number every time.
    let other = ds.read(&client, &json!({ "project_id": "projects/other-project-1" })).await.unwrap();
    assert_eq!(other["project_id"], "other-project-1");
    assert_eq!(other["id"], "projects/other-project-1");
    assert_ne!(other["number"], p["number"]);
    assert_eq!(ds.read(&client, &json!({})).await.unwrap(), p);
}

#[tokio::test]
async fn project_data_source_names_a_missing_project() {
    let mut config = Config::new("");
    config.missing_projects.push("ghost-project-1".into());
    let (_h, client) = sandbox(config).await;
    let ds = data_source("google_project");
    let err = ds.read(&client, &json!({ "project_id": "ghost-project-1" })).await.unwrap_err().to_string();
    for needle in ["google_project", "\"ghost-project-1\"", "403", "The caller does not have permission", "project_id"] {
        assert!(err.contains(needle), "{needle} missing from: {err}");
    }
    let err = ds.read(&client, &json!({ "project_id": "Not_A_Project" })).await.unwrap_err().to_string();
    assert!(err.contains("400") && err.contains("Not_A_Project"), "{err}");
    let err = ds.read(&client, &json!({ "project_id": "a/b/c" })).await.unwrap_err().to_string();
    assert!(err.contains("is not a project id"), "{err}");
    let no_project = Client::new(ProviderConfig { project: None, ..client.config().clone() });
    let err = ds.read(&no_project, &json!({})).await.unwrap_err().to_string();
    assert!(err.contains("set `project_id`"), "{err}");
}

#[tokio::test]
async fn client_config_data_source_is_the_provider_block() {
    let (_h, client) = sandbox(Config::new("")).await;
    let ds = data_source("google_client_config");
    let c = ds.read(&client, &json!({})).await.unwrap();
    assert_eq!(c["project"], PROJECT);
    assert_eq!((c["region"].clone(), c["zone"].clone()), (json!(""), json!("")));
    assert_eq!(c["id"], format!("projects/{PROJECT}/regions//zones/"));
    assert_eq!(c["access_token"], SANDBOX_TOKEN, "the stand-in token against the sandbox");
    assert_eq!(c["default_labels"], json!({}));

    let mut pc = client.config().clone();
    pc.region = Some("europe-west1".into());
    pc.zone = Some("europe-west1-b".into());
    pc.access_token = Some("ya29.configured".into());
    pc.default_labels.insert("team".into(), "infra".into());
    let c = ds.read(&Client::new(pc), &json!({})).await.unwrap();
    assert_eq!(c["id"], format!("projects/{PROJECT}/regions/europe-west1/zones/europe-west1-b"));
    assert_eq!(c["access_token"], "ya29.configured");
    assert_eq!(c["default_labels"], json!({ "team": "infra" }));
}

#[tokio::test]
async fn an_operation_deadline_stops_operation_polls() {
    let mut config = Config::new("");
    config.op_latency = Duration::from_secs(5);
    let (_h, client) = slow_sandbox(config).await;
    let r = rtype("google_project_service");
    let planned = r.plan(client.config(), None, json!({ "service": "secretmanager.googleapis.com" })).unwrap();
    let started = Instant::now();
    let (result, reached) = within(Duration::from_secs(1), r.create(&client, &planned)).await;
    assert!(reached, "the deadline stopped it: {result:?}");
    match result {
        Err(Error::Timeout(m)) => assert!(m.contains("operation") && m.contains("not done"), "{m}"),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());

    // A deadline longer than the operation lets it finish; none is reached.
    let (result, reached) = within(Duration::from_secs(30), r.create(&client, &planned)).await;
    assert!(!reached);
    assert_eq!(result.unwrap()["service"], "secretmanager.googleapis.com");
}

#[tokio::test]
async fn an_operation_deadline_stops_retries() {
    // Every answer is 429/503 with Retry-After: retried until the deadline,
    // far sooner than the client's own retry deadline.
    let mut config = Config::new("");
    config.error_rate = 1.0;
    let (_h, client) = sandbox(config).await;
    let url = client.url("storage", "b/never");
    let started = Instant::now();
    let (result, reached) = within(Duration::from_secs(2), client.get_opt(&url)).await;
    assert!(reached);
    match result {
        Err(Error::Timeout(m)) => assert!(m.contains("gave up retrying") && m.contains("b/never"), "{m}"),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
}

/// Plans `config` against `state` as the next run would: the engine's
/// proposal keeps unset computed attributes from the prior state and makes
/// other unset arguments and blocks null, then the type plans.
fn replan(r: &dyn GoogleResource, client: &Client, state: &Json, config: &Json) -> Json {
    let schema = r.schema();
    let mut proposed = config.clone();
    for a in &schema.attributes {
        if proposed.get(a.name).is_none() {
            proposed[a.name] = if a.computed { state[a.name].clone() } else { Json::Null };
        }
    }
    for b in &schema.blocks {
        if proposed.get(b.name).is_none() {
            proposed[b.name] = Json::Null;
        }
    }
    r.plan(client.config(), Some(state), proposed).unwrap()
}

#[tokio::test]
async fn bucket_blocks_round_trip_without_perpetual_diffs() {
    let (_h, client) = sandbox(Config::new("")).await;
    let r = rtype("google_storage_bucket");
    let config = json!({
        "name": "cairn-blocks", "location": "US",
        "cors": [
            { "origin": ["https://example.com"], "method": ["GET", "HEAD"], "response_header": ["Content-Type"], "max_age_seconds": 3600 },
            { "origin": ["*"], "method": ["GET"] },
        ],
        "website": [{ "main_page_suffix": "index.html", "not_found_page": "404.html" }],
        "retention_policy": [{ "retention_period": 3600 }],
        "soft_delete_policy": [{ "retention_duration_seconds": 864000 }],
        "autoclass": [{ "enabled": true }],
    });
    let state = create(r.as_ref(), &client, config.clone()).await;
    assert_eq!(state["cors"][0], json!({ "origin": ["https://example.com"], "method": ["GET", "HEAD"], "response_header": ["Content-Type"], "max_age_seconds": 3600 }));
    assert_eq!(state["cors"][1], json!({ "origin": ["*"], "method": ["GET"], "response_header": null, "max_age_seconds": null }));
    assert_eq!(state["website"], json!([{ "main_page_suffix": "index.html", "not_found_page": "404.html" }]));
    assert_eq!(state["retention_policy"], json!([{ "retention_period": "3600", "is_locked": false }]));
    assert_eq!(state["soft_delete_policy"][0]["retention_duration_seconds"], 864000);
    assert!(state["soft_delete_policy"][0]["effective_time"].is_string());
    assert_eq!(state["autoclass"], json!([{ "enabled": true, "terminal_storage_class": "NEARLINE" }]));
    assert_eq!(r.read(&client, &state).await.unwrap(), Some(state.clone()));
    assert_eq!(replan(r.as_ref(), &client, &state, &config), state, "a second plan shows no change");

    // Update: every block changes, or goes; only those are patched.
    let config2 = json!({
        "name": "cairn-blocks", "location": "US",
        "cors": [{ "origin": ["https://example.org"], "method": ["PUT"], "max_age_seconds": 60 }],
        "retention_policy": [{ "retention_period": "7200" }],
        "soft_delete_policy": [{ "retention_duration_seconds": 0 }],
        "autoclass": [{ "enabled": true, "terminal_storage_class": "ARCHIVE" }],
    });
    let updated = update(r.as_ref(), &client, &state, config2.clone()).await;
    assert_eq!(updated["cors"], json!([{ "origin": ["https://example.org"], "method": ["PUT"], "response_header": null, "max_age_seconds": 60 }]));
    assert_eq!(updated["website"], json!([]));
    assert_eq!(updated["retention_policy"][0]["retention_period"], "7200");
    assert_eq!(updated["soft_delete_policy"][0]["retention_duration_seconds"], 0);
    assert_eq!(updated["autoclass"][0]["terminal_storage_class"], "ARCHIVE");
    assert_eq!(r.read(&client, &updated).await.unwrap(), Some(updated.clone()));
    assert_eq!(replan(r.as_ref(), &client, &updated, &config2), updated);

    // Unset: cors, retention and autoclass go; soft delete keeps Google's value.
    let config3 = json!({ "name": "cairn-blocks", "location": "US", "autoclass": [{ "enabled": false }] });
    let bare = update(r.as_ref(), &client, &updated, config3.clone()).await;
    assert_eq!((&bare["cors"], &bare["retention_policy"]), (&json!([]), &json!([])));
    assert_eq!(bare["soft_delete_policy"], updated["soft_delete_policy"]);
    assert_eq!(bare["autoclass"], json!([{ "enabled": false, "terminal_storage_class": null }]));
    assert_eq!(replan(r.as_ref(), &client, &bare, &config3), bare);

    let imported = r.import(&client, "cairn-blocks").await.unwrap();
    assert_eq!(imported["soft_delete_policy"], bare["soft_delete_policy"]);
    assert_eq!(imported["retention_policy"], json!([]));
    r.delete(&client, &bare).await.unwrap();
}

#[tokio::test]
async fn locked_retention_is_one_way() {
    let (h, client) = sandbox(Config::new("")).await;
    let r = rtype("google_storage_bucket");
    let config = json!({ "name": "cairn-locked", "location": "EU", "retention_policy": [{ "retention_period": "3600", "is_locked": true }] });
    let state = create(r.as_ref(), &client, config.clone()).await;
    assert_eq!(state["retention_policy"], json!([{ "retention_period": "3600", "is_locked": true }]));
    assert_eq!(replan(r.as_ref(), &client, &state, &config), state);

    // Unlocking, removing or shortening is refused at plan, saying why.
    for (block, needle) in [
        (json!([{ "retention_period": "3600", "is_locked": false }]), "unlock or remove"),
        (json!([{ "retention_period": "3600" }]), "unlock or remove"),
        (json!([]), "unlock or remove"),
        (json!([{ "retention_period": "60", "is_locked": true }]), "shorten it below 3600"),
    ] {
        let mut c = config.clone();
        c["retention_policy"] = block.clone();
        let err = r.plan(client.config(), Some(&state), c).unwrap_err();
        assert!(err.contains("locked") && err.contains(needle), "{block}: {err}");
    }
    // Replacing the bucket is another matter; so is a longer period.
    let mut moved = config.clone();
    moved["location"] = json!("US");
    moved["retention_policy"] = json!([]);
    assert!(r.plan(client.config(), Some(&state), moved).is_ok());
    let mut longer = config.clone();
    longer["retention_policy"] = json!([{ "retention_period": "7200", "is_locked": true }]);
    let longer = update(r.as_ref(), &client, &state, longer).await;
    assert_eq!(longer["retention_policy"], json!([{ "retention_period": "7200", "is_locked": true }]));
    let bad = r.plan(client.config(), None, json!({ "name": "x-bucket", "location": "EU", "retention_policy": [{ "retention_period": "soon" }] }));
    assert!(bad.unwrap_err().contains("whole number of seconds"));

    // Objects under retention stay, even with force_destroy: Google's error says why.
    let url = format!("http://{}/upload/storage/v1/b/cairn-locked/o?uploadType=media&name=kept.txt", h.addr);
    let resp = reqwest::Client::new().post(url).bearer_auth("t").body("x").send().await.unwrap();
    assert!(resp.status().is_success());
    let mut forced = longer.clone();
    forced["force_destroy"] = json!(true);
    let err = r.delete(&client, &forced).await.unwrap_err();
    assert!(err.to_string().contains("retention policy"), "{err}");

    // Locking an existing bucket's policy in an update.
    let open = create(r.as_ref(), &client, json!({ "name": "cairn-lock-later", "location": "EU", "retention_policy": [{ "retention_period": "60" }] })).await;
    let locked = update(r.as_ref(), &client, &open, json!({ "name": "cairn-lock-later", "location": "EU", "retention_policy": [{ "retention_period": "60", "is_locked": true }] })).await;
    assert_eq!(locked["retention_policy"][0]["is_locked"], true);
    assert_eq!(r.read(&client, &locked).await.unwrap(), Some(locked));
}
