//! Cloud SQL against an in-process `cairn_sandbox` on port 0: instance,
//! database and user lifecycles; plans of what was read show no change;
//! passwords changed in place and never in errors; a burst of changes on
//! one instance serialized by cairn's per-instance lock; someone else's
//! operation waited out; the window before a deleted name is free again.

use cairn_google::client::{Client, Error};
use cairn_google::{resources, GoogleResource, Json, ProviderConfig};
use cairn_sandbox::{Config, ServerHandle};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

const PROJECT: &str = "sql-test-project";

/// A sandbox with fast operations (an instance takes 20 of them to create).
async fn sandbox(mut config: Config) -> (ServerHandle, Client) {
    if config.op_latency == Config::default().op_latency {
        config.op_latency = Duration::from_millis(10);
    }
    let handle = cairn_sandbox::serve(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let client = Client::new(ProviderConfig {
        project: Some(PROJECT.into()),
        region: Some("europe-west1".into()),
        base_endpoint: Some(format!("http://{}/", handle.addr)),
        ..ProviderConfig::default()
    });
    enable_sql(&client).await;
    (handle, client)
}

async fn enable_sql(client: &Client) {
    let ps = rtype("google_project_service");
    create(ps.as_ref(), client, json!({ "service": "sqladmin.googleapis.com" })).await;
}

fn rtype(name: &str) -> Box<dyn GoogleResource> {
    resources().into_iter().find(|r| r.type_name() == name).unwrap()
}

async fn try_create(r: &dyn GoogleResource, client: &Client, config: Json) -> Result<Json, Error> {
    let planned = r.plan(client.config(), None, config).map_err(Error::Invalid)?;
    r.create(client, &planned).await
}

async fn create(r: &dyn GoogleResource, client: &Client, config: Json) -> Json {
    try_create(r, client, config).await.unwrap()
}

async fn update(r: &dyn GoogleResource, client: &Client, prior: &Json, config: Json) -> Json {
    let planned = r.plan(client.config(), Some(prior), config).unwrap();
    r.update(client, prior, &planned).await.unwrap()
}

/// Read back, and a plan of the read state with the same configuration
/// changes nothing.
async fn assert_settled(r: &dyn GoogleResource, client: &Client, state: &Json, config: &Json) {
    let read = r.read(client, state).await.unwrap().expect("still there");
    assert_eq!(&read, state, "read gives the state");
    assert_eq!(r.plan(client.config(), Some(&read), config.clone()).unwrap(), read, "no change planned for the same configuration");
}

/// Every request the sandbox logged.
async fn requests(h: &ServerHandle) -> Vec<Json> {
    let log: Json = reqwest::get(format!("http://{}/_sandbox/requests", h.addr)).await.unwrap().json().await.unwrap();
    log["requests"].as_array().cloned().unwrap_or_default()
}

/// A raw call to the sandbox, as another tool would make it.
async fn raw(h: &ServerHandle, method: &str, path: &str, body: Option<Json>) -> (u16, Json) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = reqwest::Client::new().request(method, format!("http://{}/sql/v1beta4/{path}", h.addr)).bearer_auth("other-tool");
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Json::Null))
}

fn instance_config(name: &str) -> Json {
    json!({
        "name": name,
        "database_version": "POSTGRES_15",
        "settings": [{
            "tier": "db-f1-micro",
            "user_labels": { "env": "dev" },
            "database_flags": [{ "name": "max_connections", "value": "100" }],
            "backup_configuration": [{ "enabled": true, "start_time": "03:00", "point_in_time_recovery_enabled": true }],
            "ip_configuration": [{ "authorized_networks": [{ "name": "office", "value": "203.0.113.0/24" }] }],
        }],
    })
}

/// An instance cairn may delete, and its state.
async fn instance(client: &Client, name: &str, version: &str) -> Json {
    let config = json!({ "name": name, "database_version": version, "deletion_protection": false, "settings": [{ "tier": "db-f1-micro" }] });
    create(rtype("google_sql_database_instance").as_ref(), client, config).await
}

#[tokio::test]
async fn instance_lifecycle() {
    let (_h, client) = sandbox(Config::new("")).await;
    let r = rtype("google_sql_database_instance");
    let config = instance_config("main-db");
    let planned = r.plan(client.config(), None, config.clone()).unwrap();
    assert_eq!(planned["region"], "europe-west1", "from the provider block");
    assert_eq!(planned["deletion_protection"], true, "Terraform's default");
    assert_eq!(planned["connection_name"], format!("{PROJECT}:europe-west1:main-db"));
    assert_eq!(planned["settings"][0]["disk_size"], 10);
    let state = r.create(&client, &planned).await.unwrap();
    assert_eq!(state["id"], format!("projects/{PROJECT}/instances/main-db"));
    assert_eq!(state["connection_name"], planned["connection_name"]);
    assert!(state["public_ip_address"].as_str().unwrap().starts_with("34."));
    assert_eq!(state["first_ip_address"], state["public_ip_address"]);
    assert_eq!(state["private_ip_address"], Json::Null);
    assert!(state["service_account_email_address"].as_str().unwrap().ends_with("@gcp-sa-cloud-sql.iam.gserviceaccount.com"));
    let s = &state["settings"][0];
    assert_eq!(s["version"], 1);
    assert_eq!(s["edition"], "ENTERPRISE");
    assert_eq!(s["backup_configuration"][0]["start_time"], "03:00");
    assert_eq!(s["backup_configuration"][0]["transaction_log_retention_days"], 7, "an API default");
    assert!(s["location_preference"][0]["zone"].as_str().unwrap().starts_with("europe-west1-"));
    assert_settled(r.as_ref(), &client, &state, &config).await;

    // In place: tier, flags, labels; the settings version moves on.
    let mut config2 = config.clone();
    config2["settings"][0]["tier"] = json!("db-custom-1-3840");
    config2["settings"][0]["user_labels"] = json!({ "env": "prod" });
    config2["settings"][0]["database_flags"] = json!([{ "name": "max_connections", "value": "200" }, { "name": "log_min_duration_statement", "value": "500" }]);
    let updated = update(r.as_ref(), &client, &state, config2.clone()).await;
    assert_eq!(updated["id"], state["id"]);
    assert_eq!(updated["settings"][0]["tier"], "db-custom-1-3840");
    assert_eq!(updated["settings"][0]["user_labels"], json!({ "env": "prod" }));
    assert_eq!(updated["settings"][0]["database_flags"][1]["name"], "log_min_duration_statement");
    assert_eq!(updated["settings"][0]["version"], 2);
    assert_eq!(updated["settings"][0]["backup_configuration"], state["settings"][0]["backup_configuration"]);
    assert_settled(r.as_ref(), &client, &updated, &config2).await;

    // A new database_version is a replacement, by the schema.
    let version = r.schema().attributes.into_iter().find(|a| a.name == "database_version").unwrap();
    assert!(version.force_new);
    let mut config3 = config2.clone();
    config3["database_version"] = json!("POSTGRES_16");
    assert_ne!(r.plan(client.config(), Some(&updated), config3).unwrap()["database_version"], updated["database_version"]);

    for id in [format!("projects/{PROJECT}/instances/main-db"), format!("{PROJECT}/main-db"), "main-db".to_string()] {
        let imported = r.import(&client, &id).await.unwrap();
        assert_eq!(imported["settings"], updated["settings"], "{id}");
        assert_eq!(imported["deletion_protection"], true);
    }

    // deletion_protection refuses, clearly; turning it off calls nothing.
    let err = r.delete(&client, &updated).await.unwrap_err().to_string();
    assert!(err.contains("google_sql_database_instance main-db") && err.contains("deletion_protection = false") && err.contains("apply"), "{err}");
    let mut config4 = config2.clone();
    config4["deletion_protection"] = json!(false);
    let unprotected = update(r.as_ref(), &client, &updated, config4).await;
    assert_eq!(unprotected["settings"][0]["version"], 2, "no settings change");
    r.delete(&client, &unprotected).await.unwrap();
    assert_eq!(r.read(&client, &unprotected).await.unwrap(), None);
}

#[tokio::test]
async fn server_side_protection_and_stale_settings() {
    let (h, client) = sandbox(Config::new("")).await;
    let r = rtype("google_sql_database_instance");
    let config = json!({ "name": "guarded", "database_version": "MYSQL_8_0", "deletion_protection": false,
                         "settings": [{ "tier": "db-f1-micro", "deletion_protection_enabled": true }] });
    let state = create(r.as_ref(), &client, config.clone()).await;
    assert_eq!(state["settings"][0]["backup_configuration"][0]["binary_log_enabled"], false);
    assert_eq!(state["settings"][0]["backup_configuration"][0]["point_in_time_recovery_enabled"], Json::Null);
    assert_settled(r.as_ref(), &client, &state, &config).await;
    let err = r.delete(&client, &state).await.unwrap_err();
    assert!(err.is_status(400) && err.to_string().contains("protected from deletion"), "{err}");

    // Someone else changes the settings: cairn's state is one version behind.
    let (status, _) = raw(&h, "PATCH", &format!("projects/{PROJECT}/instances/guarded"), Some(json!({ "settings": { "activationPolicy": "ALWAYS" } }))).await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(50)).await;
    // A PUT carrying the old version is refused as Google does...
    let stale = json!({ "settings": { "tier": "db-f1-micro", "settingsVersion": "1" } });
    let (status, body) = raw(&h, "PUT", &format!("projects/{PROJECT}/instances/guarded"), Some(stale)).await;
    assert_eq!((status, body["error"]["errors"][0]["reason"].as_str()), (412, Some("staleData")));
    // ...while cairn reads the current one before writing.
    let mut config2 = config.clone();
    config2["settings"][0]["deletion_protection_enabled"] = json!(false);
    let updated = update(r.as_ref(), &client, &state, config2).await;
    assert_eq!(updated["settings"][0]["version"], 3);
    r.delete(&client, &updated).await.unwrap();
}

#[tokio::test]
async fn mysql_root_user_and_defaults() {
    let (_h, client) = sandbox(Config::new("")).await;
    let users = rtype("google_sql_user");
    // No root_password: the open root@% Cloud SQL makes is removed.
    instance(&client, "my-open", "MYSQL_8_0").await;
    let root = json!({ "name": "root", "instance": "my-open", "host": "%" });
    let planned = users.plan(client.config(), None, root.clone()).unwrap();
    assert_eq!(users.read(&client, &planned).await.unwrap(), None);
    // With one, it stays, and can be imported.
    let config = json!({ "name": "my-root", "database_version": "MYSQL_8_0", "deletion_protection": false,
                         "root_password": "r00t-Secret", "settings": [{ "tier": "db-f1-micro" }] });
    let r = rtype("google_sql_database_instance");
    let state = create(r.as_ref(), &client, config.clone()).await;
    assert_eq!(state["root_password"], "r00t-Secret", "kept from the configuration");
    assert_settled(r.as_ref(), &client, &state, &config).await;
    let imported = users.import(&client, &format!("{PROJECT}/my-root/%/root")).await.unwrap();
    assert_eq!(imported["id"], "root/%/my-root");
    assert_eq!(imported["password"], Json::Null, "never read back");
    // A new root password is set in place.
    let mut config2 = config.clone();
    config2["root_password"] = json!("n3w-Secret");
    let updated = update(r.as_ref(), &client, &state, config2).await;
    assert_eq!(updated["root_password"], "n3w-Secret");
    assert_eq!(updated["settings"][0]["version"], 1, "the password is not a settings change");

    // A root password set later makes the root@% that creation dropped.
    let open = instance(&client, "my-late", "MYSQL_8_0").await;
    let late = json!({ "name": "my-late", "database_version": "MYSQL_8_0", "deletion_protection": false,
                       "root_password": "l8te-Secret", "settings": [{ "tier": "db-f1-micro" }] });
    update(r.as_ref(), &client, &open, late).await;
    let planned = users.plan(client.config(), None, json!({ "name": "root", "instance": "my-late", "host": "%" })).unwrap();
    assert!(users.read(&client, &planned).await.unwrap().is_some());

    let db = create(rtype("google_sql_database").as_ref(), &client, json!({ "name": "app", "instance": "my-root" })).await;
    assert_eq!((db["charset"].as_str(), db["collation"].as_str()), (Some("utf8mb3"), Some("utf8mb3_general_ci")));
}

#[tokio::test]
async fn database_lifecycle() {
    let (_h, client) = sandbox(Config::new("")).await;
    instance(&client, "db-host", "POSTGRES_15").await;
    let r = rtype("google_sql_database");
    let config = json!({ "name": "orders", "instance": "db-host" });
    let state = create(r.as_ref(), &client, config.clone()).await;
    assert_eq!(state["id"], format!("projects/{PROJECT}/instances/db-host/databases/orders"));
    assert_eq!((state["charset"].as_str(), state["collation"].as_str()), (Some("UTF8"), Some("en_US.UTF8")));
    assert_eq!(state["deletion_policy"], "DELETE");
    assert_settled(r.as_ref(), &client, &state, &config).await;
    // `utf8` is the charset read, spelled otherwise: no change.
    assert_settled(r.as_ref(), &client, &state, &json!({ "name": "orders", "instance": "db-host", "charset": "utf8" })).await;

    let config2 = json!({ "name": "orders", "instance": "db-host", "collation": "C" });
    let updated = update(r.as_ref(), &client, &state, config2.clone()).await;
    assert_eq!(updated["collation"], "C");
    assert_settled(r.as_ref(), &client, &updated, &config2).await;
    let err = try_create(r.as_ref(), &client, json!({ "name": "latin", "instance": "db-host", "charset": "LATIN1" })).await.unwrap_err();
    assert!(err.is_status(400) && err.to_string().contains("UTF8"), "{err}");

    for id in [
        format!("projects/{PROJECT}/instances/db-host/databases/orders"),
        format!("{PROJECT}/db-host/orders"),
        "instances/db-host/databases/orders".to_string(),
        "db-host/orders".to_string(),
    ] {
        let imported = r.import(&client, &id).await.unwrap();
        assert_eq!(imported, updated, "{id}");
    }
    assert!(r.import(&client, "a/b/c/d/e").await.unwrap_err().to_string().contains("instances/{instance}/databases/{name}"));

    // ABANDON forgets; DELETE drops.
    let mut kept = updated.clone();
    kept["deletion_policy"] = json!("ABANDON");
    r.delete(&client, &kept).await.unwrap();
    assert!(r.read(&client, &updated).await.unwrap().is_some());
    r.delete(&client, &updated).await.unwrap();
    assert_eq!(r.read(&client, &updated).await.unwrap(), None);
    r.delete(&client, &updated).await.unwrap();
}

#[tokio::test]
async fn user_lifecycle_and_password_secrecy() {
    let (h, client) = sandbox(Config::new("")).await;
    instance(&client, "users-host", "POSTGRES_15").await;
    let r = rtype("google_sql_user");
    let config = json!({ "name": "app", "instance": "users-host", "password": "first-S3cret" });
    let state = create(r.as_ref(), &client, config.clone()).await;
    assert_eq!(state["id"], "app//users-host");
    assert_eq!((state["host"].as_str(), state["type"].as_str()), (Some(""), Some("BUILT_IN")));
    assert_eq!(state["password"], "first-S3cret");
    assert_settled(r.as_ref(), &client, &state, &config).await;

    // The password changes in place, by name.
    let config2 = json!({ "name": "app", "instance": "users-host", "password": "second-S3cret" });
    let planned = r.plan(client.config(), Some(&state), config2.clone()).unwrap();
    assert_eq!(planned["id"], state["id"], "same user");
    let updated = r.update(&client, &state, &planned).await.unwrap();
    assert_eq!(updated["password"], "second-S3cret");
    assert_settled(r.as_ref(), &client, &updated, &config2).await;
    let log = requests(&h).await;
    assert!(log.iter().any(|e| e["method"] == "PUT" && e["query"].as_str().is_some_and(|q| q.contains("name=app"))), "PUT users?name=app");

    let imported = r.import(&client, &format!("{PROJECT}/users-host/app")).await.unwrap();
    assert_eq!((imported["id"].as_str(), imported["password"].is_null()), (Some("app//users-host"), true));
    let postgres = r.import(&client, &format!("{PROJECT}/users-host/postgres")).await.unwrap();
    assert_eq!(postgres["name"], "postgres", "Cloud SQL's own user on a Postgres instance");

    // Passwords appear in no error, and in no log entry.
    let dup = try_create(r.as_ref(), &client, config2.clone()).await.unwrap_err();
    let gone = try_create(r.as_ref(), &client, json!({ "name": "x", "instance": "no-such-host", "password": "third-S3cret" })).await.unwrap_err();
    let bad_root = try_create(
        rtype("google_sql_database_instance").as_ref(),
        &client,
        json!({ "name": "bad-tier", "database_version": "POSTGRES_15", "root_password": "root-S3cret", "settings": [{ "tier": "f1-micro" }] }),
    )
    .await
    .unwrap_err();
    for err in [&dup, &gone, &bad_root] {
        let text = format!("{err} {err:?}");
        assert!(!text.contains("S3cret"), "a password leaked: {text}");
    }
    assert!(dup.is_status(409), "{dup}");
    assert!(matches!(&gone, Error::Invalid(m) if m.contains("instance no-such-host does not exist")), "{gone:?}");
    assert!(bad_root.is_status(400) && bad_root.to_string().contains("Tier"), "{bad_root}");
    assert!(!requests(&h).await.iter().any(|e| e.to_string().contains("S3cret")));

    r.delete(&client, &updated).await.unwrap();
    assert_eq!(r.read(&client, &updated).await.unwrap(), None);
}

#[tokio::test]
async fn a_burst_on_one_instance_is_serialized() {
    let (h, client) = sandbox(Config::new("")).await;
    instance(&client, "busy-host", "MYSQL_8_0").await;
    let client = Arc::new(client);
    let mut tasks = Vec::new();
    for i in 0..14 {
        for (kind, config) in [
            ("google_sql_database", json!({ "name": format!("db{i}"), "instance": "busy-host" })),
            ("google_sql_user", json!({ "name": format!("user{i}"), "instance": "busy-host", "password": format!("pw-{i}") })),
        ] {
            let client = client.clone();
            tasks.push(tokio::spawn(async move { try_create(rtype(kind).as_ref(), &client, config).await }));
        }
    }
    for t in tasks {
        let state = t.await.unwrap().unwrap();
        assert!(state["id"].as_str().unwrap().contains("busy-host"));
    }
    let log = requests(&h).await;
    let conflicts: Vec<&Json> = log.iter().filter(|e| e["status"] == 409).collect();
    assert!(conflicts.is_empty(), "a 409 reached the wire: {conflicts:?}");
    // The instance's operations ran one after another.
    let (status, ops) = raw(&h, "GET", &format!("projects/{PROJECT}/operations?instance=busy-host"), None).await;
    assert_eq!(status, 200);
    let mut windows: Vec<(String, String)> = ops["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["startTime"].as_str().unwrap().to_string(), o["endTime"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(windows.len(), 1 + 1 + 28, "create, drop root@%, 14 databases, 14 users");
    windows.sort();
    for pair in windows.windows(2) {
        assert!(pair[1].0 >= pair[0].1, "operations overlap: {pair:?}");
    }
}

#[tokio::test]
async fn someone_elses_operation_is_waited_out() {
    let (h, client) = sandbox(Config { op_latency: Duration::from_millis(25), ..Config::new("") }).await;
    // Another tool creates an instance: it is busy for 20 operation latencies.
    let body = json!({ "name": "shared", "databaseVersion": "POSTGRES_15", "region": "europe-west1", "settings": { "tier": "db-f1-micro" } });
    let (status, op) = raw(&h, "POST", &format!("projects/{PROJECT}/instances"), Some(body)).await;
    assert_eq!((status, op["kind"].as_str(), op["operationType"].as_str()), (200, Some("sql#operation"), Some("CREATE")));
    assert!(op["selfLink"].as_str().unwrap().starts_with(&format!("http://{}/sql/v1beta4/projects/{PROJECT}/operations/", h.addr)));
    let (_, during) = raw(&h, "GET", &format!("projects/{PROJECT}/instances/shared"), None).await;
    assert_eq!(during["state"], "PENDING_CREATE");
    let (status, busy) = raw(&h, "POST", &format!("projects/{PROJECT}/instances/shared/databases"), Some(json!({ "name": "early" }))).await;
    assert_eq!((status, busy["error"]["errors"][0]["reason"].as_str()), (409, Some("operationInProgress")));
    // cairn's client retries that 409 until the instance is free.
    let db = create(rtype("google_sql_database").as_ref(), &client, json!({ "name": "late", "instance": "shared" })).await;
    assert_eq!(db["name"], "late");
    let (_, after) = raw(&h, "GET", &format!("projects/{PROJECT}/instances/shared"), None).await;
    assert_eq!(after["state"], "RUNNABLE");
}

#[tokio::test]
async fn a_deleted_name_is_reusable_only_after_the_window() {
    let window = Duration::from_millis(1500);
    let (_h, client) = sandbox(Config { sql_name_reuse_window: window, ..Config::new("") }).await;
    let r = rtype("google_sql_database_instance");
    let state = instance(&client, "phoenix", "POSTGRES_15").await;
    r.delete(&client, &state).await.unwrap();
    let deleted = std::time::Instant::now();
    let config = json!({ "name": "phoenix", "database_version": "POSTGRES_15", "deletion_protection": false, "settings": [{ "tier": "db-f1-micro" }] });
    let err = try_create(r.as_ref(), &client, config.clone()).await.unwrap_err();
    let text = err.to_string();
    assert!(err.is_status(409) && text.contains("used recently") && text.contains("choose another name"), "{text}");
    tokio::time::sleep(window.saturating_sub(deleted.elapsed()) + Duration::from_millis(100)).await;
    let again = create(r.as_ref(), &client, config).await;
    assert_eq!(again["name"], "phoenix");
}

#[tokio::test]
async fn cloud_sql_needs_its_api_enabled() {
    let handle = cairn_sandbox::serve(Config { op_latency: Duration::from_millis(10), ..Config::new("") }, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let client = Client::new(ProviderConfig { project: Some(PROJECT.into()), base_endpoint: Some(format!("http://{}/", handle.addr)), ..Default::default() });
    let err = try_create(rtype("google_sql_database_instance").as_ref(), &client, instance_config("early-bird")).await.unwrap_err();
    assert!(matches!(&err, Error::Api { status: 403, reason, .. } if reason == "SERVICE_DISABLED"), "{err:?}");
    assert!(err.to_string().contains("sqladmin.googleapis.com"), "{err}");
}
