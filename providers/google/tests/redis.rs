//! `google_redis_instance` against an in-process `cairn_sandbox`: Service
//! Usage gating, create (an operation), read, a memory resize in place with
//! a minimal `updateMask`, an upgrade, replacement seen through the
//! schema's `force_new` and a downgrade, import by every ID form, the AUTH
//! string (sensitive, never in an error), delete, and no perpetual diff.

mod common;

use cairn_google::client::{Client, Error};
use cairn_google::{Json, ProviderConfig};
use cairn_sandbox::{Config, ServerHandle};
use common::Checked;
use common::{create, rtype, update};
use serde_json::json;

const TYPE: &str = "google_redis_instance";
const REGION: &str = "europe-west1";
const ID: &str = "projects/test-project/locations/europe-west1/instances/cache";

/// A sandbox, and a client whose provider block has a `region`.
async fn sandbox() -> (Checked, Client) {
    let (handle, client) = common::serve(Config::new("")).await;
    let client = Client::new(ProviderConfig { region: Some(REGION.into()), ..client.config().clone() });
    (handle, client)
}

async fn enable_redis(client: &Client) {
    create(rtype("google_project_service").as_ref(), client, json!({ "service": "redis.googleapis.com" })).await;
}

fn config() -> Json {
    json!({
        "name": "cache",
        "memory_size_gb": 1,
        "display_name": "Session cache",
        "labels": { "env": "dev" },
        "redis_configs": { "maxmemory-policy": "allkeys-lru" },
        "authorized_network": "default",
        "redis_version": "REDIS_7_0",
        "maintenance_policy": [{ "weekly_maintenance_window": [{ "day": "TUESDAY", "start_time": [{ "hours": 3, "minutes": 0 }] }] }],
    })
}

/// `(path, updateMask)` of every PATCH, and the path of every upgrade, the
/// sandbox has answered, in order.
async fn writes(h: &ServerHandle) -> Vec<(String, String)> {
    let log: Json = reqwest::get(format!("http://{}/_sandbox/requests", h.addr)).await.unwrap().json().await.unwrap();
    log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["path"].as_str().unwrap().contains("/instances/"))
        .filter(|r| r["method"] == "PATCH" || (r["method"] == "POST" && r["path"].as_str().unwrap().ends_with(":upgrade")))
        .map(|r| {
            let query = r["query"].as_str().unwrap_or("");
            let mask = query.split('&').find_map(|kv| kv.strip_prefix("updateMask=")).unwrap_or("");
            (r["method"].as_str().unwrap().to_string(), mask.replace("%2C", ","))
        })
        .collect()
}

#[tokio::test]
async fn instance_needs_the_api_enabled() {
    let (_h, client) = sandbox().await;
    let r = rtype(TYPE);
    let planned = r.plan(client.config(), None, config()).unwrap();
    let err = r.create(&client, &planned).await.unwrap_err();
    match &err {
        Error::Api { status: 403, reason, .. } => assert_eq!(reason, "SERVICE_DISABLED", "{err}"),
        other => panic!("expected 403 SERVICE_DISABLED, got {other:?}"),
    }
    assert!(err.to_string().contains("redis.googleapis.com"), "{err}");
    enable_redis(&client).await;
    let state = r.create(&client, &planned).await.unwrap();
    assert_eq!(state["id"], ID);
}

#[tokio::test]
async fn instance_lifecycle() {
    let (h, client) = sandbox().await;
    enable_redis(&client).await;
    let r = rtype(TYPE);

    // Create: what plan promised, and the computed rest.
    let planned = r.plan(client.config(), None, config()).unwrap();
    assert_eq!(planned["region"], REGION, "region from the provider");
    assert_eq!((planned["tier"].as_str(), planned["connect_mode"].as_str()), (Some("BASIC"), Some("DIRECT_PEERING")));
    assert_eq!(planned["id"], ID);
    let state = r.create(&client, &planned).await.unwrap();
    assert_eq!(state["id"], ID);
    assert_eq!(state["memory_size_gb"], 1);
    assert_eq!(state["authorized_network"], "default", "the configured spelling of the default network");
    assert_eq!(state["port"], 6379);
    let host = state["host"].as_str().unwrap();
    assert!(host.starts_with("10.") && host.split('.').count() == 4, "{host}");
    assert_eq!(state["location_id"], "europe-west1-a");
    assert_eq!(state["current_location_id"], "europe-west1-a");
    assert_eq!(state["redis_configs"], json!({ "maxmemory-policy": "allkeys-lru" }));
    assert_eq!(state["maintenance_policy"][0]["weekly_maintenance_window"][0]["start_time"][0]["hours"], 3);
    assert_eq!(state["auth_enabled"], false);
    assert_eq!(state["auth_string"], Json::Null);
    assert!(state["persistence_iam_identity"].as_str().unwrap().starts_with("serviceAccount:"));
    for (k, v) in planned.as_object().unwrap() {
        if !v.is_null() {
            assert_eq!(&state[k], v, "{k}: create gives what plan promised");
        }
    }

    // Read gives the same; planning the same configuration changes nothing,
    // whichever way the network is written.
    let read = r.read(&client, &state).await.unwrap().unwrap();
    assert_eq!(read, state);
    assert_eq!(r.plan(client.config(), Some(&read), config()).unwrap(), read, "no perpetual diff");
    let mut long_network = config();
    long_network["authorized_network"] = json!("projects/test-project/global/networks/default");
    assert_eq!(r.plan(client.config(), Some(&read), long_network).unwrap(), read);

    // What forces a new instance, and what does not.
    let schema = r.schema();
    let force_new = |name: &str| schema.attributes.iter().find(|a| a.name == name).unwrap().force_new;
    for name in ["name", "tier", "region", "authorized_network", "connect_mode", "transit_encryption_mode", "location_id"] {
        assert!(force_new(name), "{name}");
    }
    for name in ["memory_size_gb", "display_name", "labels", "redis_configs", "auth_enabled", "replica_count", "redis_version"] {
        assert!(!force_new(name), "{name}");
    }
    let mut older = config();
    older["redis_version"] = json!("REDIS_6_X");
    let planned_older = r.plan(client.config(), Some(&read), older).unwrap();
    assert_eq!(r.replace_reasons(&read, &planned_older)[0].0, "redis_version", "a downgrade replaces");

    // A resize is an update in place, with only memorySizeGb in the mask.
    let mut bigger = config();
    bigger["memory_size_gb"] = json!(2);
    let planned_bigger = r.plan(client.config(), Some(&read), bigger.clone()).unwrap();
    assert!(r.replace_reasons(&read, &planned_bigger).is_empty());
    let resized = update(r.as_ref(), &client, &read, bigger.clone()).await;
    assert_eq!(resized["memory_size_gb"], 2);
    assert_eq!(resized["host"], state["host"], "the same instance");
    assert_eq!(resized["create_time"], state["create_time"]);
    assert_eq!(writes(&h).await, vec![("PATCH".to_string(), "memorySizeGb".to_string())]);
    let reread = r.read(&client, &resized).await.unwrap().unwrap();
    assert_eq!(reread, resized);
    assert_eq!(r.plan(client.config(), Some(&reread), bigger.clone()).unwrap(), reread, "no perpetual diff");

    // AUTH on, labels, configs and an upgrade: one PATCH, one upgrade.
    let mut config3 = bigger.clone();
    config3["auth_enabled"] = json!(true);
    config3["labels"] = json!({ "env": "prod" });
    config3["redis_configs"] = json!({ "maxmemory-policy": "volatile-lru" });
    config3["redis_version"] = json!("REDIS_7_2");
    let updated = update(r.as_ref(), &client, &reread, config3.clone()).await;
    assert_eq!(updated["redis_version"], "REDIS_7_2");
    assert_eq!(updated["auth_enabled"], true);
    let auth = updated["auth_string"].as_str().unwrap().to_string();
    assert!(!auth.is_empty());
    let w = writes(&h).await;
    assert_eq!(w[1], ("PATCH".to_string(), "labels,redisConfigs,authEnabled".to_string()));
    assert_eq!(w[2].0, "POST", "the upgrade");
    assert_eq!(w.len(), 3);
    assert!(r.schema().attributes.iter().find(|a| a.name == "auth_string").unwrap().sensitive);
    let reread = r.read(&client, &updated).await.unwrap().unwrap();
    assert_eq!(reread, updated);
    assert_eq!(r.plan(client.config(), Some(&reread), config3.clone()).unwrap(), reread, "no perpetual diff");
    // The AUTH string is in no request log entry, nor in an error.
    let log = reqwest::get(format!("http://{}/_sandbox/requests", h.addr)).await.unwrap().text().await.unwrap();
    assert!(!log.contains(&auth), "the AUTH string leaked into the request log");
    let mut too_big = config3.clone();
    too_big["memory_size_gb"] = json!(400);
    let planned_big = r.plan(client.config(), Some(&reread), too_big).unwrap();
    let err = r.update(&client, &reread, &planned_big).await.unwrap_err();
    assert!(err.is_status(400), "{err}");
    assert!(!format!("{err} {err:?}").contains(&auth), "the AUTH string leaked into an error");

    // Import by every ID form, then plan the configuration on it.
    for id in [ID, "test-project/europe-west1/cache", "europe-west1/cache", "cache"] {
        let imported = r.import(&client, id).await.unwrap();
        assert_eq!(imported["id"], ID, "{id}");
        assert_eq!(imported["authorized_network"], "projects/test-project/global/networks/default", "{id}");
        assert_eq!(imported["labels"], json!({ "env": "prod" }), "{id}");
        assert_eq!(imported["auth_string"], auth.as_str(), "{id}");
        let replanned = r.plan(client.config(), Some(&imported), config3.clone()).unwrap();
        assert_eq!(replanned, imported, "{id}: no change after an import");
    }
    assert!(matches!(r.import(&client, "a/b/c/d").await, Err(Error::Invalid(_))));
    assert!(matches!(r.import(&client, "europe-west1/missing").await, Err(Error::Invalid(m)) if m.contains("does not exist")));

    // Delete: gone; deleting again is fine.
    r.delete(&client, &updated).await.unwrap();
    assert_eq!(r.read(&client, &updated).await.unwrap(), None);
    r.delete(&client, &updated).await.unwrap();
}

#[tokio::test]
async fn standard_ha_with_replicas_and_sandbox_refusals() {
    let (_h, client) = sandbox().await;
    enable_redis(&client).await;
    let r = rtype(TYPE);
    let ha = json!({ "name": "ha", "memory_size_gb": 5, "tier": "STANDARD_HA", "replica_count": 2, "read_replicas_mode": "READ_REPLICAS_ENABLED" });
    let state = create(r.as_ref(), &client, ha.clone()).await;
    assert_eq!(state["alternative_location_id"], "europe-west1-b");
    assert_eq!(state["replica_count"], 2);
    assert!(state["read_endpoint"].is_string(), "{state}");
    assert_eq!(r.plan(client.config(), Some(&state), ha.clone()).unwrap(), state, "no perpetual diff");
    let mut more = ha.clone();
    more["replica_count"] = json!(3);
    let updated = update(r.as_ref(), &client, &state, more).await;
    assert_eq!(updated["replica_count"], 3);

    // A taken name is 409; a size out of bounds is 400.
    let planned = r.plan(client.config(), None, ha).unwrap();
    assert!(r.create(&client, &planned).await.unwrap_err().is_status(409));
    for bad in [json!({ "name": "x1", "memory_size_gb": 301 }), json!({ "name": "x2", "memory_size_gb": 0 })] {
        let planned = r.plan(client.config(), None, bad).unwrap();
        assert!(r.create(&client, &planned).await.unwrap_err().is_status(400));
    }

    let no_region = ProviderConfig { region: None, ..client.config().clone() };
    let err = r.plan(&no_region, None, json!({ "name": "x", "memory_size_gb": 1 })).unwrap_err();
    assert!(err.contains("region"), "{err}");
    let from_zone = r.plan(&no_region, None, json!({ "name": "x", "memory_size_gb": 1, "location_id": "us-east1-c" })).unwrap();
    assert_eq!(from_zone["region"], "us-east1");
}

#[tokio::test]
async fn one_operation_at_a_time() {
    // Operations of 3 s: the create is still running below.
    let mut config = Config::new("");
    config.op_latency = std::time::Duration::from_secs(3);
    let (h, client) = common::serve_as_configured(config).await;
    create(rtype("google_project_service").as_ref(), &client, json!({ "service": "redis.googleapis.com" })).await;
    let base = format!("http://{}/redis/v1/projects/test-project/locations/europe-west1/instances", h.addr);
    let http = reqwest::Client::new();
    let slow = http
        .post(format!("{base}?instanceId=busy"))
        .bearer_auth("t")
        .json(&json!({ "tier": "BASIC", "memorySizeGb": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(slow.status(), 200);
    let got: Json = http.get(format!("{base}/busy")).bearer_auth("t").send().await.unwrap().json().await.unwrap();
    assert_eq!(got["state"], "CREATING");
    let patch = http
        .patch(format!("{base}/busy?updateMask=memorySizeGb"))
        .bearer_auth("t")
        .json(&json!({ "memorySizeGb": 2 }))
        .send()
        .await
        .unwrap();
    assert_eq!(patch.status(), 400);
    let body: Json = patch.json().await.unwrap();
    assert_eq!(body["error"]["status"], "FAILED_PRECONDITION", "{body}");

    let deleting = http.delete(format!("{base}/busy")).bearer_auth("t").send().await.unwrap();
    assert_eq!(deleting.status(), 400, "nor a delete");
}
