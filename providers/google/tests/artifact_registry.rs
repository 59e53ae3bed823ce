//! `google_artifact_registry_repository` against an in-process
//! `cairn_sandbox`: Service Usage gating, create (an operation), read,
//! update in place with a minimal `updateMask`, replacement seen through the
//! schema's `force_new`, import by every ID form, delete, no perpetual
//! diff, and an operation's error naming the repository.

mod common;

use cairn_google::client::{Client, Error};
use cairn_google::{Json, ProviderConfig};
use cairn_sandbox::{Config, ServerHandle};
use common::Checked;
use common::{create, rtype, update};
use serde_json::json;

const TYPE: &str = "google_artifact_registry_repository";
const REGION: &str = "europe-west1";
const ID: &str = "projects/test-project/locations/europe-west1/repositories/app-images";

/// A sandbox, and a client whose provider block has a `region`.
async fn sandbox() -> (Checked, Client) {
    let (handle, client) = common::serve(Config::new("")).await;
    let client = Client::new(ProviderConfig { region: Some(REGION.into()), ..client.config().clone() });
    (handle, client)
}

async fn enable_artifact_registry(client: &Client) {
    create(rtype("google_project_service").as_ref(), client, json!({ "service": "artifactregistry.googleapis.com" })).await;
}

fn config() -> Json {
    json!({
        "repository_id": "app-images",
        "format": "docker",
        "description": "Application images",
        "labels": { "env": "dev" },
        "docker_config": [{ "immutable_tags": true }],
        "cleanup_policies": [
            { "id": "delete-untagged", "action": "DELETE",
              "condition": [{ "tag_state": "UNTAGGED", "older_than": "30d" }], "most_recent_versions": [] },
            { "id": "keep-recent", "action": "KEEP",
              "condition": [], "most_recent_versions": [{ "keep_count": 5 }] },
        ],
    })
}

/// The `updateMask` of every PATCH the sandbox has answered, in order.
async fn patch_masks(h: &ServerHandle) -> Vec<String> {
    let log: Json = reqwest::get(format!("http://{}/_sandbox/requests", h.addr)).await.unwrap().json().await.unwrap();
    log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["method"] == "PATCH" && r["path"].as_str().unwrap().contains("/repositories/"))
        .map(|r| {
            let query = r["query"].as_str().unwrap_or("");
            let mask = query.split('&').find_map(|kv| kv.strip_prefix("updateMask=")).unwrap_or("");
            mask.replace("%2C", ",")
        })
        .collect()
}

#[tokio::test]
async fn repository_needs_the_api_enabled() {
    let (_h, client) = sandbox().await;
    let r = rtype(TYPE);
    let planned = r.plan(client.config(), None, config()).unwrap();
    let err = r.create(&client, &planned).await.unwrap_err();
    match &err {
        Error::Api { status: 403, reason, .. } => assert_eq!(reason, "SERVICE_DISABLED", "{err}"),
        other => panic!("expected 403 SERVICE_DISABLED, got {other:?}"),
    }
    assert!(err.to_string().contains("artifactregistry.googleapis.com"), "{err}");

    enable_artifact_registry(&client).await;
    let state = r.create(&client, &planned).await.unwrap();
    assert_eq!(state["id"], ID);
}

#[tokio::test]
async fn repository_lifecycle() {
    let (h, client) = sandbox().await;
    enable_artifact_registry(&client).await;
    let r = rtype(TYPE);

    // Create: what plan promised, and the computed rest.
    let planned = r.plan(client.config(), None, config()).unwrap();
    assert_eq!(planned["location"], REGION, "location from the provider's region");
    assert_eq!(planned["mode"], "STANDARD_REPOSITORY");
    let state = r.create(&client, &planned).await.unwrap();
    let mut known = state.clone();
    for computed in ["create_time", "update_time", "registry_uri"] {
        assert!(known[computed].is_string(), "{computed}: {state}");
        known.as_object_mut().unwrap().remove(computed);
    }
    assert_eq!(known, planned, "create gives what plan promised");
    assert_eq!(state["id"], ID);
    assert_eq!(state["name"], "app-images");
    assert_eq!(state["format"], "docker", "the configured spelling");
    assert_eq!(state["registry_uri"], "europe-west1-docker.pkg.dev/test-project/app-images");
    assert_eq!(state["cleanup_policies"][0]["condition"][0]["older_than"], "30d");
    assert_eq!(state["cleanup_policies"][1]["most_recent_versions"][0]["keep_count"], 5);
    assert_eq!(state["docker_config"], json!([{ "immutable_tags": true }]));
    assert_eq!(state["cleanup_policy_dry_run"], false);

    // Read gives the same; planning the same configuration on it changes
    // nothing, whichever way the durations and the format are spelled.
    let read = r.read(&client, &state).await.unwrap().unwrap();
    assert_eq!(read, state);
    assert_eq!(r.plan(client.config(), Some(&read), config()).unwrap(), read, "no perpetual diff");
    let mut respelled = config();
    respelled["format"] = json!("DOCKER");
    respelled["cleanup_policies"][0]["condition"][0]["older_than"] = json!("2592000s");
    assert_eq!(r.plan(client.config(), Some(&read), respelled).unwrap(), read);

    // A new format is a new repository: the schema says so.
    let schema = r.schema();
    let force_new = |name: &str| schema.attributes.iter().find(|a| a.name == name).unwrap().force_new;
    assert!(force_new("format") && force_new("repository_id") && force_new("location") && !force_new("description"));
    let mut npm = config();
    npm["format"] = json!("npm");
    assert_eq!(r.plan(client.config(), Some(&read), npm).unwrap()["format"], "npm");

    // Update in place: description, labels, cleanup policies, docker_config.
    let mut config2 = config();
    config2["description"] = json!("Images, kept 60 days");
    config2["labels"] = json!({ "env": "prod", "team": "platform" });
    config2["cleanup_policies"][0]["condition"][0]["older_than"] = json!("60d");
    config2["cleanup_policies"][1]["most_recent_versions"][0]["keep_count"] = json!(10);
    config2["docker_config"] = json!([{ "immutable_tags": false }]);
    config2["cleanup_policy_dry_run"] = json!(true);
    let updated = update(r.as_ref(), &client, &read, config2.clone()).await;
    assert_eq!(updated["description"], "Images, kept 60 days");
    assert_eq!(updated["labels"], json!({ "env": "prod", "team": "platform" }));
    assert_eq!(updated["cleanup_policies"][0]["condition"][0]["older_than"], "60d");
    assert_eq!(updated["cleanup_policies"][1]["most_recent_versions"][0]["keep_count"], 10);
    assert_eq!(updated["docker_config"], json!([{ "immutable_tags": false }]), "false is left out by the API, kept here");
    assert_eq!(updated["cleanup_policy_dry_run"], true);
    assert_eq!(updated["create_time"], state["create_time"]);
    let reread = r.read(&client, &updated).await.unwrap().unwrap();
    assert_eq!(reread, updated);
    assert_eq!(r.plan(client.config(), Some(&reread), config2.clone()).unwrap(), reread, "no perpetual diff");

    // Only what changed is in the mask.
    let mut config3 = config2.clone();
    config3["description"] = json!("Images");
    let updated3 = update(r.as_ref(), &client, &reread, config3.clone()).await;
    assert_eq!(updated3["description"], "Images");
    let masks = patch_masks(&h).await;
    assert_eq!(masks.len(), 2, "{masks:?}");
    assert_eq!(masks[0], "description,labels,cleanupPolicies,cleanupPolicyDryRun,dockerConfig");
    assert_eq!(masks[1], "description");

    // Import by every ID form, then plan the configuration on it.
    for id in [ID, "test-project/europe-west1/app-images", "europe-west1/app-images", "app-images"] {
        let imported = r.import(&client, id).await.unwrap();
        assert_eq!(imported["id"], ID, "{id}");
        assert_eq!(imported["format"], "DOCKER", "{id}");
        assert_eq!(imported["labels"], json!({ "env": "prod", "team": "platform" }), "{id}");
        assert_eq!(imported["cleanup_policies"][0]["condition"][0]["older_than"], "5184000s", "{id}");
        let replanned = r.plan(client.config(), Some(&imported), config3.clone()).unwrap();
        assert_eq!(replanned["format"], "DOCKER", "no replacement for a difference of case");
        assert_eq!(replanned["cleanup_policies"], imported["cleanup_policies"], "60d is 5184000s");
    }
    assert!(matches!(r.import(&client, "a/b/c/d").await, Err(Error::Invalid(_))));
    assert!(matches!(r.import(&client, "europe-west1/missing").await, Err(Error::Invalid(m)) if m.contains("does not exist")));

    // Delete: gone; deleting again is fine.
    r.delete(&client, &updated3).await.unwrap();
    assert_eq!(r.read(&client, &updated3).await.unwrap(), None);
    r.delete(&client, &updated3).await.unwrap();
}

#[tokio::test]
async fn repository_id_taken_is_409_and_location_is_required() {
    let (_h, client) = sandbox().await;
    enable_artifact_registry(&client).await;
    let r = rtype(TYPE);
    let minimal = json!({ "repository_id": "pkgs", "format": "PYTHON", "location": "us" });
    let state = create(r.as_ref(), &client, minimal.clone()).await;
    assert_eq!(state["id"], "projects/test-project/locations/us/repositories/pkgs");
    assert_eq!(state["docker_config"], json!([]));
    assert_eq!(state["cleanup_policies"], json!([]));
    assert_eq!(state["description"], Json::Null);
    assert_eq!(r.plan(client.config(), Some(&state), minimal.clone()).unwrap(), state, "no perpetual diff");
    let planned = r.plan(client.config(), None, minimal).unwrap();
    let err = r.create(&client, &planned).await.unwrap_err();
    assert!(err.is_status(409), "{err}");

    let no_region = ProviderConfig { region: None, ..client.config().clone() };
    let err = r.plan(&no_region, None, json!({ "repository_id": "x", "format": "GO" })).unwrap_err();
    assert!(err.contains("region"), "{err}");
}

#[tokio::test]
async fn an_operation_error_names_the_repository() {
    let (_h, client) = sandbox().await;
    enable_artifact_registry(&client).await;
    let r = rtype(TYPE);
    // The key is in another location: the create operation fails.
    let config = json!({
        "repository_id": "sealed", "format": "DOCKER",
        "kms_key_name": "projects/test-project/locations/us-east1/keyRings/kr/cryptoKeys/k",
    });
    let planned = r.plan(client.config(), None, config.clone()).unwrap();
    let err = r.create(&client, &planned).await.unwrap_err();
    let Error::Api { call, status, reason, message } = &err else { panic!("expected an API error, got {err:?}") };
    assert!(call.starts_with("creating Artifact Registry repository projects/test-project/locations/europe-west1/repositories/sealed: operation projects/"), "{call}");
    assert_eq!((*status, reason.as_str()), (400, "FAILED_PRECONDITION"));
    assert!(message.contains("us-east1"), "{message}");
    let gone = r.read(&client, &json!({ "repository_id": "sealed" })).await.unwrap();
    assert_eq!(gone, None, "nothing was created");

    // A bad duration is refused at plan time, naming the policy.
    let bad = json!({ "repository_id": "x", "format": "DOCKER",
                      "cleanup_policies": [{ "id": "old", "action": "DELETE", "condition": [{ "older_than": "a month" }] }] });
    let err = r.plan(client.config(), None, bad).unwrap_err();
    assert!(err.contains("\"old\"") && err.contains("older_than"), "{err}");
}
