//! `google_cloud_run_v2_service` against an in-process `cairn_sandbox`:
//! Service Usage gating, create (an operation), read, no perpetual diff
//! with the API's defaults, updates in place (image, env, scaling) as new
//! revisions, replacement seen through the schema's `force_new`, an image
//! that is no image reference failing the operation, deletion protection,
//! import by every ID form, delete.

mod common;

use cairn_google::client::{Client, Error};
use cairn_google::{Json, ProviderConfig};
use cairn_sandbox::Config;
use common::Checked;
use common::{create, rtype, update};
use serde_json::json;

const TYPE: &str = "google_cloud_run_v2_service";
const REGION: &str = "europe-west1";
const ID: &str = "projects/test-project/locations/europe-west1/services/api";

async fn sandbox() -> (Checked, Client) {
    let (handle, client) = common::serve(Config::new("")).await;
    let client = Client::new(ProviderConfig { region: Some(REGION.into()), ..client.config().clone() });
    (handle, client)
}

async fn enable_run(client: &Client) {
    create(rtype("google_project_service").as_ref(), client, json!({ "service": "run.googleapis.com" })).await;
}

fn config(image: &str) -> Json {
    json!({
        "name": "api",
        "description": "The API",
        "labels": { "env": "dev" },
        "deletion_protection": false,
        "template": [{
            "containers": [{
                "image": image,
                "args": ["--port", "8080"],
                "env": [{ "name": "MODE", "value": "prod" }],
            }],
        }],
    })
}

#[tokio::test]
async fn service_needs_the_api_enabled() {
    let (_h, client) = sandbox().await;
    let r = rtype(TYPE);
    let planned = r.plan(client.config(), None, config("us-docker.pkg.dev/cloudrun/container/hello")).unwrap();
    let err = r.create(&client, &planned).await.unwrap_err();
    match &err {
        Error::Api { status: 403, reason, .. } => assert_eq!(reason, "SERVICE_DISABLED", "{err}"),
        other => panic!("expected 403 SERVICE_DISABLED, got {other:?}"),
    }
    assert!(err.to_string().contains("run.googleapis.com"), "{err}");
}

#[tokio::test]
async fn service_lifecycle() {
    let (_h, client) = sandbox().await;
    enable_run(&client).await;
    let r = rtype(TYPE);

    // Create: what plan promised, and the computed rest.
    let planned = r.plan(client.config(), None, config("us-docker.pkg.dev/cloudrun/container/hello:v1")).unwrap();
    assert_eq!(planned["location"], REGION, "location from the provider");
    assert_eq!(planned["id"], ID);
    assert_eq!(planned["ingress"], "INGRESS_TRAFFIC_ALL");
    let state = r.create(&client, &planned).await.unwrap();
    assert_eq!(state["id"], ID);
    let uri = state["uri"].as_str().unwrap();
    assert!(uri.starts_with("https://api-") && uri.ends_with("-ew.a.run.app"), "{uri}");
    assert_eq!(state["latest_ready_revision"].as_str().unwrap().len(), "api-00001-abc".len());
    assert!(state["latest_ready_revision"].as_str().unwrap().starts_with("api-00001-"));
    assert_eq!(state["generation"], "1");
    let t = &state["template"][0];
    assert_eq!(t["timeout"], "300s");
    assert_eq!(t["max_instance_request_concurrency"], 80);
    assert!(t["service_account"].as_str().unwrap().ends_with("-compute@developer.gserviceaccount.com"));
    assert_eq!(t["containers"][0]["ports"], json!([{ "container_port": 8080, "name": "http1" }]));
    assert_eq!(t["containers"][0]["resources"][0]["limits"], json!({ "cpu": "1000m", "memory": "512Mi" }));
    assert_eq!(state["traffic"], json!([{ "type": "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", "percent": 100, "revision": null, "tag": null }]));
    for (k, v) in planned.as_object().unwrap() {
        if !v.is_null() && k != "template" {
            assert_eq!(&state[k], v, "{k}: create gives what plan promised");
        }
    }

    // Read gives the same; planning the same configuration changes nothing.
    let read = r.read(&client, &state).await.unwrap().unwrap();
    assert_eq!(read, state);
    assert_eq!(r.plan(client.config(), Some(&read), config("us-docker.pkg.dev/cloudrun/container/hello:v1")).unwrap(), read, "no perpetual diff");

    // What forces a new service.
    let schema = r.schema();
    let force_new = |name: &str| schema.attributes.iter().find(|a| a.name == name).unwrap().force_new;
    assert!(force_new("name") && force_new("location") && force_new("project"));
    assert!(!force_new("description") && !force_new("ingress"));
    assert!(schema.blocks.iter().all(|b| !b.force_new), "template changes in place");

    // Update in place: a new image, env and scaling make a new revision.
    let mut next = config("us-docker.pkg.dev/cloudrun/container/hello:v2");
    next["template"][0]["containers"][0]["env"] = json!([{ "name": "MODE", "value": "staging" }]);
    next["template"][0]["scaling"] = json!([{ "min_instance_count": 1, "max_instance_count": 5 }]);
    let updated = update(r.as_ref(), &client, &read, next.clone()).await;
    assert_eq!(updated["template"][0]["containers"][0]["image"], "us-docker.pkg.dev/cloudrun/container/hello:v2");
    assert_eq!(updated["template"][0]["containers"][0]["env"][0]["value"], "staging");
    assert_eq!(updated["template"][0]["scaling"][0], json!({ "min_instance_count": 1, "max_instance_count": 5 }));
    assert_eq!(updated["generation"], "2");
    assert!(updated["latest_ready_revision"].as_str().unwrap().starts_with("api-00002-"));
    assert_eq!(updated["uri"], state["uri"], "the same service");
    assert_eq!(r.plan(client.config(), Some(&updated), next.clone()).unwrap(), updated, "no perpetual diff after the update");

    // Deletion protection: refused with a message naming the way out.
    let mut guarded = next.clone();
    guarded["deletion_protection"] = json!(true);
    let guarded_state = update(r.as_ref(), &client, &updated, guarded).await;
    assert_eq!(guarded_state["generation"], "2", "deletion_protection alone sends nothing");
    let err = r.delete(&client, &guarded_state).await.unwrap_err().to_string();
    assert!(err.contains(ID) && err.contains("deletion_protection = false"), "{err}");
    assert!(r.read(&client, &guarded_state).await.unwrap().is_some());

    // Import by every form.
    for id in [ID, "test-project/europe-west1/api", "europe-west1/api", "api"] {
        let imported = r.import(&client, id).await.unwrap();
        assert_eq!(imported["id"], ID, "{id}");
        assert_eq!(imported["template"], updated["template"], "{id}");
        assert_eq!(imported["deletion_protection"], true, "{id}: Terraform's default on import");
    }

    // Delete, then it is gone.
    r.delete(&client, &updated).await.unwrap();
    assert!(r.read(&client, &updated).await.unwrap().is_none());
    r.delete(&client, &updated).await.unwrap();
}

#[tokio::test]
async fn an_image_that_is_no_reference_fails_the_operation() {
    let (_h, client) = sandbox().await;
    enable_run(&client).await;
    let r = rtype(TYPE);
    let planned = r.plan(client.config(), None, config("Not An Image")).unwrap();
    let err = r.create(&client, &planned).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("creating Cloud Run service") && text.contains("Not An Image"), "{text}");
    assert!(r.read(&client, &planned).await.unwrap().is_none());
}

#[tokio::test]
async fn a_stale_etag_is_refused() {
    let (h, client) = sandbox().await;
    enable_run(&client).await;
    let r = rtype(TYPE);
    let state = create(r.as_ref(), &client, config("nginx:1.27")).await;
    let mut stale = state.clone();
    stale["etag"] = json!("\"stale\"");
    let planned = r.plan(client.config(), Some(&stale), config("nginx:1.28")).unwrap();
    let err = r.update(&client, &stale, &planned).await.unwrap_err();
    assert!(err.is_status(409), "{err}");
    let _ = h;
}
