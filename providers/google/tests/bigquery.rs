//! BigQuery against an in-process `cairn_sandbox` on port 0: dataset and
//! table lifecycles; plans of what was read show no change (default access
//! entries, schemas spelled otherwise); a column added in place, a column
//! removed or retyped replaced with a reason naming it; deletion_protection;
//! a dataset with tables deleted only with delete_contents_on_destroy;
//! import forms; a stale etag redone.

mod common;

use cairn_google::client::Error;
use cairn_google::{GoogleResource, Json};
use cairn_sandbox::Config;
use common::{create, rtype, serve, update, PROJECT};
use serde_json::json;

/// Read back, and a plan of the read state with the same configuration
/// changes nothing.
async fn assert_settled(r: &dyn GoogleResource, client: &cairn_google::Client, state: &Json, config: &Json) {
    let read = r.read(client, state).await.unwrap().expect("still there");
    assert_eq!(&read, state, "read gives the state");
    assert_eq!(r.plan(client.config(), Some(&read), config.clone()).unwrap(), read, "no change planned for the same configuration");
}

/// A raw call to the sandbox's BigQuery, as another tool would make it.
async fn raw(addr: std::net::SocketAddr, method: &str, path: &str, body: Option<Json>) -> (u16, Json) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = reqwest::Client::new().request(method, format!("http://{addr}/bigquery/v2/projects/{PROJECT}/{path}")).bearer_auth("other-tool");
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Json::Null))
}

const SCHEMA: &str = r#"[
  {"name": "id", "type": "INTEGER", "mode": "REQUIRED"},
  {"name": "name", "type": "STRING"},
  {"name": "ts", "type": "TIMESTAMP", "mode": "NULLABLE"},
  {"name": "addr", "type": "RECORD", "fields": [{"name": "city", "type": "STRING"}]}
]"#;

fn table_config(schema: &str) -> Json {
    json!({
        "dataset_id": "analytics",
        "table_id": "events",
        "schema": schema,
        "deletion_protection": false,
        "time_partitioning": [{ "type": "DAY", "field": "ts", "expiration_ms": 86_400_000 }],
        "clustering": ["name"],
        "labels": { "env": "dev" },
    })
}

#[tokio::test]
async fn dataset_lifecycle_keeps_default_access_and_case() {
    let (h, client) = serve(Config::new("")).await;
    let ds = rtype("google_bigquery_dataset");
    let config = json!({ "dataset_id": "analytics", "location": "eu", "friendly_name": "A", "labels": { "env": "dev" },
                         "default_table_expiration_ms": 3_600_000 });
    let state = create(ds.as_ref(), &client, config.clone()).await;
    assert_eq!(state["id"], "projects/test-project/datasets/analytics");
    assert_eq!(state["location"], "eu", "the user's spelling is kept");
    assert_eq!(state["default_table_expiration_ms"], 3_600_000);
    let access = state["access"].as_array().unwrap();
    assert!(access.iter().any(|a| a["special_group"] == "projectOwners" && a["role"] == "OWNER"), "{access:?}");
    assert!(state["etag"].is_string() && state["creation_time"].is_number());
    assert_settled(ds.as_ref(), &client, &state, &config).await;

    // An update: description set, labels changed, explicit access.
    let config2 = json!({ "dataset_id": "analytics", "location": "EU", "description": "d", "labels": { "team": "x" },
                          "access": [{ "role": "OWNER", "special_group": "projectOwners" },
                                     { "role": "READER", "domain": "example.com" }] });
    let planned = ds.plan(client.config(), Some(&state), config2.clone()).unwrap();
    assert_eq!(planned["location"], "eu");
    let state2 = update(ds.as_ref(), &client, &state, config2.clone()).await;
    assert_eq!(state2["description"], "d");
    assert_eq!(state2["labels"], json!({ "team": "x" }));
    assert_eq!(state2["access"].as_array().unwrap().len(), 2);
    assert_ne!(state2["etag"], state["etag"], "a change is a new etag");
    assert_settled(ds.as_ref(), &client, &state2, &config2).await;

    // Listed by the sandbox; deleted; a read then finds nothing.
    let (status, list) = raw(h.addr, "GET", "datasets", None).await;
    assert_eq!((status, list["datasets"][0]["datasetReference"]["datasetId"].as_str()), (200, Some("analytics")));
    ds.delete(&client, &state2).await.unwrap();
    assert!(ds.read(&client, &state2).await.unwrap().is_none());
    ds.delete(&client, &state2).await.unwrap();
}

#[tokio::test]
async fn duplicate_and_missing_are_bigquerys_errors() {
    let (h, client) = serve(Config::new("")).await;
    let ds = rtype("google_bigquery_dataset");
    create(ds.as_ref(), &client, json!({ "dataset_id": "d1" })).await;
    let planned = ds.plan(client.config(), None, json!({ "dataset_id": "d1" })).unwrap();
    let err = ds.create(&client, &planned).await.unwrap_err();
    assert!(err.is_status(409) && err.to_string().contains("Already Exists: Dataset test-project:d1"), "{err}");
    let (status, body) = raw(h.addr, "GET", "datasets/nope", None).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["errors"][0]["reason"], "notFound");
    assert_eq!(body["error"]["status"], "NOT_FOUND");
}

#[tokio::test]
async fn table_lifecycle_schema_by_meaning() {
    let (h, client) = serve(Config::new("")).await;
    let (ds, tb) = (rtype("google_bigquery_dataset"), rtype("google_bigquery_table"));
    create(ds.as_ref(), &client, json!({ "dataset_id": "analytics" })).await;
    let config = table_config(SCHEMA);
    let state = create(tb.as_ref(), &client, config.clone()).await;
    assert_eq!(state["id"], "projects/test-project/datasets/analytics/tables/events");
    assert_eq!((state["type"].as_str(), state["num_rows"].as_i64()), (Some("TABLE"), Some(0)));
    assert_eq!(state["schema"], SCHEMA, "the configured spelling is kept");
    assert_eq!(state["time_partitioning"][0]["field"], "ts");
    assert_eq!(state["clustering"], json!(["name"]));
    assert_settled(tb.as_ref(), &client, &state, &config).await;

    // The same schema spelled otherwise: no change.
    let same = r#"{"fields":[{"mode":"REQUIRED","type":"INT64","name":"id"},{"name":"name","type":"string","mode":"NULLABLE"},
        {"name":"ts","type":"TIMESTAMP"},{"name":"addr","type":"STRUCT","fields":[{"type":"STRING","name":"city"}]}]}"#;
    let planned = tb.plan(client.config(), Some(&state), table_config(same)).unwrap();
    assert_eq!(planned, state, "an equivalent schema plans no change");

    // A NULLABLE column added at the end and one nested: in place.
    let grown = r#"[{"name":"id","type":"INTEGER","mode":"REQUIRED"},{"name":"name","type":"STRING"},{"name":"ts","type":"TIMESTAMP"},
        {"name":"addr","type":"RECORD","fields":[{"name":"city","type":"STRING"},{"name":"zip","type":"STRING"}]},{"name":"score","type":"FLOAT64"}]"#;
    let planned = tb.plan(client.config(), Some(&state), table_config(grown)).unwrap();
    assert!(tb.replace_reasons(&state, &planned).is_empty());
    let state2 = update(tb.as_ref(), &client, &state, table_config(grown)).await;
    assert_eq!(state2["schema"], grown);
    assert_ne!(state2["etag"], state["etag"]);
    assert_settled(tb.as_ref(), &client, &state2, &table_config(grown)).await;

    // Removing or retyping a column is a replacement, naming the column.
    let retyped = grown.replace(r#"{"name":"name","type":"STRING"}"#, r#"{"name":"name","type":"BYTES"}"#);
    let planned = tb.plan(client.config(), Some(&state2), table_config(&retyped)).unwrap();
    let reasons = tb.replace_reasons(&state2, &planned);
    assert_eq!(reasons.len(), 1);
    assert_eq!(reasons[0].0, "schema");
    assert!(reasons[0].1.contains("column `name` changes type from STRING to BYTES"), "{reasons:?}");
    let removed = grown.replace(r#",{"name":"zip","type":"STRING"}"#, "");
    let planned = tb.plan(client.config(), Some(&state2), table_config(&removed)).unwrap();
    let reasons = tb.replace_reasons(&state2, &planned);
    assert!(reasons.iter().any(|(_, w)| w.contains("column `addr.zip` is removed")), "{reasons:?}");
    let required = grown.replace(r#"{"name":"score","type":"FLOAT64"}"#, r#"{"name":"score","type":"FLOAT64","mode":"REQUIRED"}"#);
    let planned = tb.plan(client.config(), Some(&state2), table_config(&required)).unwrap();
    assert!(tb.replace_reasons(&state2, &planned)[0].1.contains("column `score` changes mode from NULLABLE to REQUIRED"));
    // ... and the API itself refuses it in place.
    let err = tb.update(&client, &state2, &planned).await.unwrap_err();
    assert!(err.is_status(400) && err.to_string().contains("Provided Schema does not match Table"), "{err}");

    // Import by every form.
    for id in ["projects/test-project/datasets/analytics/tables/events", "test-project/analytics/events", "analytics/events"] {
        let imported = tb.import(&client, id).await.unwrap();
        assert_eq!(imported["id"], state2["id"]);
        assert_eq!(imported["deletion_protection"], true);
        let planned = tb.plan(client.config(), Some(&imported), table_config(grown)).unwrap();
        assert!(tb.replace_reasons(&imported, &planned).is_empty(), "the API's spelling of the schema means the same");
        assert_eq!(planned["schema"], imported["schema"], "no schema change after import");
    }
    let (status, list) = raw(h.addr, "GET", "datasets/analytics/tables", None).await;
    assert_eq!((status, list["tables"][0]["tableReference"]["tableId"].as_str()), (200, Some("events")));
    tb.delete(&client, &state2).await.unwrap();
    assert!(tb.read(&client, &state2).await.unwrap().is_none());
}

#[tokio::test]
async fn deletion_protection_refuses_destroy() {
    let (_h, client) = serve(Config::new("")).await;
    let (ds, tb) = (rtype("google_bigquery_dataset"), rtype("google_bigquery_table"));
    create(ds.as_ref(), &client, json!({ "dataset_id": "analytics" })).await;
    let config = json!({ "dataset_id": "analytics", "table_id": "t", "schema": r#"[{"name":"a","type":"STRING"}]"# });
    let state = create(tb.as_ref(), &client, config.clone()).await;
    assert_eq!(state["deletion_protection"], true, "on by default");
    let err = tb.delete(&client, &state).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("test-project:analytics.t") && text.contains("deletion_protection = false"), "{text}");
    assert!(tb.read(&client, &state).await.unwrap().is_some(), "still there");
    // Turning it off is cairn's alone; then destroy works.
    let mut off = config.clone();
    off["deletion_protection"] = json!(false);
    let state = update(tb.as_ref(), &client, &state, off).await;
    assert_eq!(state["deletion_protection"], false);
    tb.delete(&client, &state).await.unwrap();
}

#[tokio::test]
async fn dataset_with_tables_needs_delete_contents() {
    let (_h, client) = serve(Config::new("")).await;
    let (ds, tb) = (rtype("google_bigquery_dataset"), rtype("google_bigquery_table"));
    let dataset = create(ds.as_ref(), &client, json!({ "dataset_id": "full" })).await;
    create(tb.as_ref(), &client, json!({ "dataset_id": "full", "table_id": "t", "schema": "[]", "deletion_protection": false })).await;
    let err = ds.delete(&client, &dataset).await.unwrap_err();
    assert!(matches!(&err, Error::Invalid(m) if m.contains("delete_contents_on_destroy = true") && m.contains("still in use")), "{err}");
    assert!(ds.read(&client, &dataset).await.unwrap().is_some());
    let dataset = update(ds.as_ref(), &client, &dataset, json!({ "dataset_id": "full", "delete_contents_on_destroy": true })).await;
    ds.delete(&client, &dataset).await.unwrap();
    assert!(ds.read(&client, &dataset).await.unwrap().is_none());
}

#[tokio::test]
async fn dataset_import_forms() {
    let (_h, client) = serve(Config::new("")).await;
    let ds = rtype("google_bigquery_dataset");
    let config = json!({ "dataset_id": "imp", "labels": { "a": "1" } });
    let state = create(ds.as_ref(), &client, config.clone()).await;
    for id in ["projects/test-project/datasets/imp", "test-project/imp", "imp"] {
        let imported = ds.import(&client, id).await.unwrap();
        assert_eq!(imported, state, "import of {id} gives the state");
    }
    assert!(ds.import(&client, "a/b/c").await.is_err());
    assert!(ds.import(&client, "missing").await.unwrap_err().to_string().contains("does not exist"));
}

#[tokio::test]
async fn stale_etag_is_redone() {
    let (h, client) = serve(Config::new("")).await;
    let ds = rtype("google_bigquery_dataset");
    let state = create(ds.as_ref(), &client, json!({ "dataset_id": "busy" })).await;
    // Someone else changes the dataset: the state's etag is stale.
    let (status, _) = raw(h.addr, "PATCH", "datasets/busy", Some(json!({ "friendlyName": "theirs" }))).await;
    assert_eq!(status, 200);
    let config = json!({ "dataset_id": "busy", "description": "mine" });
    let planned = ds.plan(client.config(), Some(&state), config).unwrap();
    let after = ds.update(&client, &state, &planned).await.unwrap();
    assert_eq!(after["description"], "mine");
    let statuses: Vec<u16> = h
        .requests()
        .iter()
        .filter(|e| e.method == "PATCH" && e.tag.is_none() && e.path.ends_with("/datasets/busy"))
        .map(|e| e.status)
        .collect();
    assert!(statuses.starts_with(&[200, 412]) && statuses.last() == Some(&200), "{statuses:?}");
    // A stale If-Match from anyone is 412.
    let resp = reqwest::Client::new()
        .patch(format!("http://{}/bigquery/v2/projects/{PROJECT}/datasets/busy", h.addr))
        .bearer_auth("t")
        .header("If-Match", "stale")
        .json(&json!({ "description": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 412);
}
