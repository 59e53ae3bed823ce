//! The VPC types against an in-process `cairn_sandbox` on port 0:
//! `google_compute_network`, `google_compute_subnetwork`,
//! `google_compute_firewall`, `google_compute_global_address` and
//! `google_service_networking_connection`. Per type: create, read, update
//! in place, a replacement found the engine's way (schema `force_new`, plus
//! the type's `replace_reasons`), import by every ID form, delete; and no
//! perma-diff (planning the read-back state with the same configuration
//! gives the state back). Also: stale fingerprints answered 412 and
//! retried, a network refused deletion while it is used, a subnetwork on a
//! missing network, Compute gated on its API.

use cairn_google::client::{Client, Error, Method};
use cairn_google::{resources, GoogleResource, Json, ProviderConfig};
use cairn_sandbox::{Config, ServerHandle};
use serde_json::json;
use std::time::Duration;

const PROJECT: &str = "test-project";
const REGION: &str = "us-central1";
const SN: &str = "servicenetworking.googleapis.com";

/// A sandbox whose operations are done at once (no polling), unless
/// `latency` says otherwise, and a client for it.
async fn sandbox_with(latency: Duration) -> (ServerHandle, Client) {
    let mut config = Config::new("");
    config.op_latency = latency;
    let handle = cairn_sandbox::serve(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let client = Client::new(ProviderConfig {
        project: Some(PROJECT.into()),
        region: Some(REGION.into()),
        base_endpoint: Some(format!("http://{}/", handle.addr)),
        ..ProviderConfig::default()
    })
    .with_retry_deadline(Duration::from_secs(20));
    (handle, client)
}

/// A sandbox with the Compute (and Service Networking) APIs enabled.
async fn sandbox() -> (ServerHandle, Client) {
    let (h, client) = sandbox_with(Duration::ZERO).await;
    for api in ["compute.googleapis.com", SN] {
        create(rtype("google_project_service").as_ref(), &client, json!({ "service": api })).await;
    }
    (h, client)
}

fn rtype(name: &str) -> Box<dyn GoogleResource> {
    resources().into_iter().find(|r| r.type_name() == name).unwrap()
}

/// plan (as the engine would) then create.
async fn create(r: &dyn GoogleResource, client: &Client, config: Json) -> Json {
    let planned = r.plan(client.config(), None, config).unwrap();
    r.create(client, &planned).await.unwrap_or_else(|e| panic!("create {}: {e}", r.type_name()))
}

async fn update(r: &dyn GoogleResource, client: &Client, prior: &Json, config: Json) -> Json {
    let planned = r.plan(client.config(), Some(prior), config).unwrap();
    assert!(replacements(r, client, prior, &planned).is_empty(), "expected an update in place");
    r.update(client, prior, &planned).await.unwrap_or_else(|e| panic!("update {}: {e}", r.type_name()))
}

/// The attributes that force a replacement, as the engine's diff finds them.
fn replacements(r: &dyn GoogleResource, _client: &Client, prior: &Json, planned: &Json) -> Vec<String> {
    let mut out: Vec<String> = r
        .schema()
        .attributes
        .iter()
        .filter(|a| a.force_new && planned.get(a.name) != prior.get(a.name))
        .map(|a| a.name.to_string())
        .collect();
    out.extend(r.replace_reasons(prior, planned).into_iter().map(|(a, _)| a.to_string()));
    out
}

fn plan_replacements(r: &dyn GoogleResource, client: &Client, prior: &Json, config: Json) -> Vec<String> {
    let planned = r.plan(client.config(), Some(prior), config).unwrap();
    replacements(r, client, prior, &planned)
}

/// Reads `state` back and checks that planning it again with `configs`
/// (equivalent spellings of one configuration) changes nothing.
async fn assert_stable(r: &dyn GoogleResource, client: &Client, state: &Json, configs: &[Json]) {
    let read = r.read(client, state).await.unwrap().expect("still there");
    assert_eq!(&read, state, "{}: read gives the state back", r.type_name());
    for c in configs {
        assert_eq!(&r.plan(client.config(), Some(&read), c.clone()).unwrap(), state, "{}: no perma-diff for {c}", r.type_name());
    }
}

async fn assert_gone(r: &dyn GoogleResource, client: &Client, state: &Json) {
    r.delete(client, state).await.unwrap();
    assert_eq!(r.read(client, state).await.unwrap(), None, "{} is gone", r.type_name());
    r.delete(client, state).await.unwrap();
}

async fn raw(h: &ServerHandle, method: &str, path: &str, body: Option<Json>) -> (u16, Json) {
    let mut req = reqwest::Client::new().request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), format!("http://{}{path}", h.addr)).bearer_auth("t");
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Json::Null))
}

async fn requests(h: &ServerHandle) -> Vec<Json> {
    raw(h, "GET", "/_sandbox/requests", None).await.1["requests"].as_array().cloned().unwrap_or_default()
}

async fn network(client: &Client, name: &str) -> Json {
    create(rtype("google_compute_network").as_ref(), client, json!({ "name": name, "auto_create_subnetworks": false })).await
}

#[tokio::test]
async fn compute_needs_its_api_enabled() {
    let (_h, client) = sandbox_with(Duration::ZERO).await;
    let r = rtype("google_compute_network");
    let planned = r.plan(client.config(), None, json!({ "name": "vpc" })).unwrap();
    let err = r.create(&client, &planned).await.unwrap_err();
    assert!(matches!(&err, Error::Api { status: 403, reason, .. } if reason == "SERVICE_DISABLED"), "{err:?}");
    assert!(err.to_string().contains("creating network vpc"), "{err}");
}

#[tokio::test]
async fn network_lifecycle() {
    let (h, client) = sandbox().await;
    let r = rtype("google_compute_network");
    let config = json!({ "name": "vpc", "auto_create_subnetworks": false, "description": "main" });
    let state = create(r.as_ref(), &client, config.clone()).await;
    assert_eq!(state["id"], format!("projects/{PROJECT}/global/networks/vpc"));
    assert_eq!(state["routing_mode"], "REGIONAL");
    assert_eq!(state["mtu"], 1460);
    assert_eq!(state["self_link"], format!("https://www.googleapis.com/compute/v1/projects/{PROJECT}/global/networks/vpc"));
    assert!(state["network_id"].as_str().unwrap().bytes().all(|b| b.is_ascii_digit()));
    assert_stable(r.as_ref(), &client, &state, std::slice::from_ref(&config)).await;

    // routing_mode and mtu change in place.
    let config2 = json!({ "name": "vpc", "auto_create_subnetworks": false, "description": "main", "routing_mode": "GLOBAL", "mtu": 1500 });
    let updated = update(r.as_ref(), &client, &state, config2.clone()).await;
    assert_eq!((updated["routing_mode"].clone(), updated["mtu"].clone()), (json!("GLOBAL"), json!(1500)));
    assert_eq!(updated["network_id"], state["network_id"]);
    assert_stable(r.as_ref(), &client, &updated, &[config2]).await;

    // The mode and the description force a new network.
    let auto = json!({ "name": "vpc", "auto_create_subnetworks": true, "description": "main" });
    assert_eq!(plan_replacements(r.as_ref(), &client, &updated, auto), vec!["auto_create_subnetworks"]);
    let other = json!({ "name": "vpc", "auto_create_subnetworks": false, "description": "other" });
    assert_eq!(plan_replacements(r.as_ref(), &client, &updated, other), vec!["description"]);

    for id in [format!("projects/{PROJECT}/global/networks/vpc"), format!("{PROJECT}/vpc"), "vpc".to_string()] {
        assert_eq!(r.import(&client, &id).await.unwrap(), updated, "import {id}");
    }
    assert!(r.import(&client, "nope").await.is_err());

    // A network starts with a default route, unless told otherwise.
    let routes = |v: Json| v["items"].as_array().cloned().unwrap_or_default();
    let (_, listed) = raw(&h, "GET", &format!("/compute/v1/projects/{PROJECT}/global/routes"), None).await;
    assert_eq!(routes(listed).len(), 1);
    let bare = create(r.as_ref(), &client, json!({ "name": "bare", "auto_create_subnetworks": false, "delete_default_routes_on_create": true })).await;
    assert_eq!(bare["delete_default_routes_on_create"], true);
    let (_, listed) = raw(&h, "GET", &format!("/compute/v1/projects/{PROJECT}/global/routes"), None).await;
    let left: Vec<Json> = routes(listed).into_iter().filter(|x| x["network"].as_str().unwrap_or("").ends_with("/bare")).collect();
    assert!(left.is_empty(), "{left:?}");

    assert_gone(r.as_ref(), &client, &updated).await;
    assert_gone(r.as_ref(), &client, &bare).await;
}

#[tokio::test]
async fn operations_are_polled_through_their_self_link() {
    let (h, client) = sandbox_with(Duration::from_millis(300)).await;
    create(rtype("google_project_service").as_ref(), &client, json!({ "service": "compute.googleapis.com" })).await;
    let state = network(&client, "polled").await;
    assert_eq!(state["name"], "polled");
    let polls: Vec<Json> = requests(&h)
        .await
        .into_iter()
        .filter(|r| r["method"] == "GET" && r["path"].as_str().unwrap_or("").starts_with(&format!("/compute/v1/projects/{PROJECT}/global/operations/")))
        .collect();
    assert!(!polls.is_empty(), "the insert operation was never polled");
    assert!(polls.iter().all(|p| p["status"] == 200));
}

#[tokio::test]
async fn subnetwork_lifecycle() {
    let (h, client) = sandbox().await;
    let vpc = network(&client, "vpc").await;
    let r = rtype("google_compute_subnetwork");
    let config = json!({
        "name": "apps", "network": "vpc", "ip_cidr_range": "10.0.0.0/24",
        "secondary_ip_range": [{ "range_name": "pods", "ip_cidr_range": "10.8.0.0/16" }],
    });
    let state = create(r.as_ref(), &client, config.clone()).await;
    assert_eq!(state["id"], format!("projects/{PROJECT}/regions/{REGION}/subnetworks/apps"));
    assert_eq!(state["region"], REGION);
    assert_eq!(state["network"], "vpc");
    assert_eq!(state["gateway_address"], "10.0.0.1");
    assert_eq!(state["private_ip_google_access"], false);
    assert_eq!(state["purpose"], "PRIVATE");
    assert_eq!(state["stack_type"], "IPV4_ONLY");
    assert!(!state["fingerprint"].as_str().unwrap().is_empty());
    assert_eq!(state["secondary_ip_range"][0]["range_name"], "pods");
    // The same network given as a self link or a path is no change.
    let mut by_link = config.clone();
    by_link["network"] = vpc["self_link"].clone();
    let mut by_path = config.clone();
    by_path["network"] = json!(format!("projects/{PROJECT}/global/networks/vpc"));
    assert_stable(r.as_ref(), &client, &state, &[config.clone(), by_link.clone(), by_path]).await;

    // Widening, private Google access, secondary ranges and flow logs change in place.
    let config2 = json!({
        "name": "apps", "network": "vpc", "ip_cidr_range": "10.0.0.0/22", "private_ip_google_access": true,
        "secondary_ip_range": [{ "range_name": "pods", "ip_cidr_range": "10.8.0.0/16" }, { "range_name": "svc", "ip_cidr_range": "10.9.0.0/20" }],
        "log_config": [{ "aggregation_interval": "INTERVAL_1_MIN" }],
    });
    let updated = update(r.as_ref(), &client, &state, config2.clone()).await;
    assert_eq!(updated["ip_cidr_range"], "10.0.0.0/22");
    assert_eq!(updated["private_ip_google_access"], true);
    assert_eq!(updated["secondary_ip_range"].as_array().unwrap().len(), 2);
    assert_eq!(updated["log_config"][0]["aggregation_interval"], "INTERVAL_1_MIN");
    assert_eq!(updated["log_config"][0]["flow_sampling"], 0.5);
    assert_ne!(updated["fingerprint"], state["fingerprint"]);
    assert_stable(r.as_ref(), &client, &updated, std::slice::from_ref(&config2)).await;

    // Narrowing or moving the range is a replacement, with its reason.
    for range in ["10.0.0.0/24", "10.1.0.0/22"] {
        let mut c = config2.clone();
        c["ip_cidr_range"] = json!(range);
        let planned = r.plan(client.config(), Some(&updated), c.clone()).unwrap();
        let reasons = r.replace_reasons(&updated, &planned);
        assert_eq!(reasons.iter().map(|(a, _)| *a).collect::<Vec<_>>(), vec!["ip_cidr_range"], "{range}");
        assert!(reasons[0].1.contains("only widen"), "{}", reasons[0].1);
        // Sent anyway, the update refuses before calling Compute.
        let err = r.update(&client, &updated, &planned).await.unwrap_err();
        assert!(err.to_string().contains("replacement"), "{err}");
    }
    let mut moved = config2.clone();
    moved["network"] = json!("other");
    assert_eq!(plan_replacements(r.as_ref(), &client, &updated, moved), vec!["network"]);

    for id in [
        format!("projects/{PROJECT}/regions/{REGION}/subnetworks/apps"),
        format!("{PROJECT}/{REGION}/apps"),
        format!("{REGION}/apps"),
        "apps".to_string(),
    ] {
        let imported = r.import(&client, &id).await.unwrap();
        assert_eq!(imported["network"].as_str(), vpc["self_link"].as_str(), "import {id} reads the self link");
        assert_eq!(r.plan(client.config(), Some(&imported), config2.clone()).unwrap(), imported, "import {id}: no diff with the config");
    }

    // Overlapping another subnetwork of the network is refused by Compute.
    let planned = r.plan(client.config(), None, json!({ "name": "clash", "network": "vpc", "ip_cidr_range": "10.0.2.0/24" })).unwrap();
    let err = r.create(&client, &planned).await.unwrap_err();
    assert!(err.to_string().contains("conflicts with existing subnetwork 'apps'"), "{err}");

    assert_gone(r.as_ref(), &client, &updated).await;
    let _ = h;
}

#[tokio::test]
async fn stale_fingerprints_are_answered_412_and_retried() {
    let (h, client) = sandbox().await;
    network(&client, "vpc").await;
    let r = rtype("google_compute_subnetwork");
    let base = json!({ "name": "s", "network": "vpc", "ip_cidr_range": "10.0.0.0/24" });
    let state = create(r.as_ref(), &client, base.clone()).await;
    let path = format!("/compute/v1/projects/{PROJECT}/regions/{REGION}/subnetworks/s");

    // The sandbox: a stale or missing fingerprint is 412 conditionNotMet.
    for body in [json!({ "fingerprint": "AAAAAAAAAAA=", "stackType": "IPV4_ONLY" }), json!({ "stackType": "IPV4_ONLY" })] {
        let (status, answer) = raw(&h, "PATCH", &path, Some(body)).await;
        assert_eq!(status, 412, "{answer}");
        assert_eq!(answer["error"]["errors"][0]["reason"], "conditionNotMet");
        assert!(answer["error"].get("status").is_none(), "Compute's error shape has no status");
    }

    // Two updates planned from the same state, in flight together: both
    // start with the state's fingerprint, the second to arrive is 412, reads
    // the fingerprint again and succeeds.
    let mut with_range = base.clone();
    with_range["secondary_ip_range"] = json!([{ "range_name": "pods", "ip_cidr_range": "10.8.0.0/16" }]);
    let mut with_logs = base.clone();
    with_logs["log_config"] = json!([{ "metadata": "EXCLUDE_ALL_METADATA" }]);
    let (a, b) = tokio::join!(update(r.as_ref(), &client, &state, with_range), update(r.as_ref(), &client, &state, with_logs));
    assert_eq!(a["secondary_ip_range"][0]["range_name"], "pods");
    assert_eq!(b["log_config"][0]["metadata"], "EXCLUDE_ALL_METADATA");
    let now = r.read(&client, &state).await.unwrap().unwrap();
    assert_eq!(now["secondary_ip_range"][0]["range_name"], "pods", "neither update lost the other's change");
    assert_eq!(now["log_config"][0]["metadata"], "EXCLUDE_ALL_METADATA");
    let stale: Vec<Json> = requests(&h).await.into_iter().filter(|q| q["method"] == "PATCH" && q["path"] == path.as_str() && q["status"] == 412).collect();
    assert_eq!(stale.len(), 3, "two by hand above, one retried by the client");
}

#[tokio::test]
async fn network_deletion_is_refused_while_a_subnetwork_uses_it() {
    let (_h, client) = sandbox().await;
    let net = rtype("google_compute_network");
    let vpc = network(&client, "busy").await;
    let sub = create(rtype("google_compute_subnetwork").as_ref(), &client, json!({ "name": "inside", "network": "busy", "ip_cidr_range": "10.0.0.0/24" })).await;
    let err = net.delete(&client, &vpc).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(&err, Error::Api { status: 400, reason, .. } if reason == "RESOURCE_IN_USE_BY_ANOTHER_RESOURCE"), "{err:?}");
    assert!(text.contains("deleting network busy") && text.contains("subnetworks/inside") && text.contains("already being used"), "{text}");
    assert!(net.read(&client, &vpc).await.unwrap().is_some(), "the network is still there");
    rtype("google_compute_subnetwork").delete(&client, &sub).await.unwrap();
    assert_gone(net.as_ref(), &client, &vpc).await;
}

#[tokio::test]
async fn subnetwork_on_a_missing_network_is_a_clear_error() {
    let (_h, client) = sandbox().await;
    let r = rtype("google_compute_subnetwork");
    let planned = r.plan(client.config(), None, json!({ "name": "lost", "network": "nowhere", "ip_cidr_range": "10.0.0.0/24" })).unwrap();
    let err = r.create(&client, &planned).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("creating subnetwork lost") && text.contains(&format!("projects/{PROJECT}/global/networks/nowhere")) && text.contains("does not exist"), "{text}");
}

#[tokio::test]
async fn firewall_lifecycle() {
    let (_h, client) = sandbox().await;
    let vpc = network(&client, "vpc").await;
    let r = rtype("google_compute_firewall");
    let config = json!({
        "name": "ssh", "network": "vpc", "source_ranges": ["35.235.240.0/20", "10.0.0.0/8"], "target_tags": ["bastion"],
        "allow": [{ "protocol": "tcp", "ports": ["22"] }, { "protocol": "icmp" }],
    });
    let state = create(r.as_ref(), &client, config.clone()).await;
    assert_eq!(state["id"], format!("projects/{PROJECT}/global/firewalls/ssh"));
    assert_eq!(state["direction"], "INGRESS");
    assert_eq!(state["priority"], 1000);
    assert_eq!(state["source_ranges"], json!(["10.0.0.0/8", "35.235.240.0/20"]));
    assert_eq!(state["allow"].as_array().unwrap().len(), 2);
    let mut by_link = config.clone();
    by_link["network"] = vpc["self_link"].clone();
    assert_stable(r.as_ref(), &client, &state, &[config.clone(), by_link]).await;

    // Rules, priority, tags, logging and `disabled` change in place.
    let config2 = json!({
        "name": "ssh", "network": "vpc", "source_ranges": ["10.0.0.0/8"], "priority": 900, "disabled": true, "description": "web",
        "allow": [{ "protocol": "tcp", "ports": ["80", "443"] }], "log_config": [{ "metadata": "INCLUDE_ALL_METADATA" }],
    });
    let updated = update(r.as_ref(), &client, &state, config2.clone()).await;
    assert_eq!(updated["allow"], json!([{ "protocol": "tcp", "ports": ["80", "443"] }]));
    assert_eq!(updated["target_tags"], Json::Null);
    assert_eq!((updated["priority"].clone(), updated["disabled"].clone()), (json!(900), json!(true)));
    assert_eq!(updated["log_config"], json!([{ "metadata": "INCLUDE_ALL_METADATA" }]));
    assert_stable(r.as_ref(), &client, &updated, std::slice::from_ref(&config2)).await;

    let mut egress = config2.clone();
    egress["direction"] = json!("EGRESS");
    assert_eq!(plan_replacements(r.as_ref(), &client, &updated, egress), vec!["direction"]);

    for id in [format!("projects/{PROJECT}/global/firewalls/ssh"), format!("{PROJECT}/ssh"), "ssh".to_string()] {
        let imported = r.import(&client, &id).await.unwrap();
        assert_eq!(r.plan(client.config(), Some(&imported), config2.clone()).unwrap(), imported, "import {id}: no diff with the config");
    }

    // Unset source ranges take Compute's default, and stay without a diff.
    let open = json!({ "name": "open", "network": "vpc", "deny": [{ "protocol": "all" }] });
    let open_state = create(r.as_ref(), &client, open.clone()).await;
    assert_eq!(open_state["source_ranges"], json!(["0.0.0.0/0"]));
    assert_stable(r.as_ref(), &client, &open_state, &[open]).await;

    assert_gone(r.as_ref(), &client, &updated).await;
    assert_gone(r.as_ref(), &client, &open_state).await;
}

#[tokio::test]
async fn global_address_lifecycle() {
    let (h, client) = sandbox().await;
    let r = rtype("google_compute_global_address");
    let config = json!({ "name": "lb-ip", "labels": { "env": "dev" } });
    let state = create(r.as_ref(), &client, config.clone()).await;
    assert_eq!(state["id"], format!("projects/{PROJECT}/global/addresses/lb-ip"));
    assert_eq!(state["address_type"], "EXTERNAL");
    assert!(state["address"].as_str().unwrap().parse::<std::net::Ipv4Addr>().is_ok(), "{}", state["address"]);
    assert_eq!(state["labels"], json!({ "env": "dev" }));
    assert_stable(r.as_ref(), &client, &state, std::slice::from_ref(&config)).await;

    // Labels change in place with the label fingerprint...
    let updated = update(r.as_ref(), &client, &state, json!({ "name": "lb-ip", "labels": { "env": "prod", "team": "web" } })).await;
    assert_eq!(updated["labels"], json!({ "env": "prod", "team": "web" }));
    assert_eq!(updated["address"], state["address"]);
    assert_ne!(updated["label_fingerprint"], state["label_fingerprint"]);
    // ...and an update from the stale state is answered 412, then retried.
    let again = update(r.as_ref(), &client, &state, json!({ "name": "lb-ip", "labels": { "env": "test" } })).await;
    assert_eq!(again["labels"], json!({ "env": "test" }));
    let stale = requests(&h).await.into_iter().filter(|q| q["path"].as_str().unwrap_or("").ends_with("/lb-ip/setLabels") && q["status"] == 412).count();
    assert_eq!(stale, 1);
    assert_stable(r.as_ref(), &client, &again, &[json!({ "name": "lb-ip", "labels": { "env": "test" } })]).await;

    // Anything but labels forces a new address.
    assert_eq!(plan_replacements(r.as_ref(), &client, &again, json!({ "name": "lb-ip", "labels": { "env": "test" }, "ip_version": "IPV6" })), vec!["ip_version"]);

    // A range for private services access.
    let vpc = network(&client, "vpc").await;
    let psa = json!({ "name": "psa", "purpose": "VPC_PEERING", "address_type": "INTERNAL", "prefix_length": 16, "network": "vpc" });
    let range = create(r.as_ref(), &client, psa.clone()).await;
    assert_eq!(range["address"], "10.0.0.0");
    assert_eq!(range["prefix_length"], 16);
    let mut by_link = psa.clone();
    by_link["network"] = vpc["self_link"].clone();
    assert_stable(r.as_ref(), &client, &range, &[psa.clone(), by_link]).await;
    let mut wider = psa.clone();
    wider["prefix_length"] = json!(20);
    assert_eq!(plan_replacements(r.as_ref(), &client, &range, wider), vec!["prefix_length"]);

    for id in [format!("projects/{PROJECT}/global/addresses/psa"), format!("{PROJECT}/psa"), "psa".to_string()] {
        let imported = r.import(&client, &id).await.unwrap();
        assert_eq!(r.plan(client.config(), Some(&imported), psa.clone()).unwrap(), imported, "import {id}: no diff with the config");
    }
    assert_gone(r.as_ref(), &client, &range).await;
    assert_gone(r.as_ref(), &client, &again).await;
}

#[tokio::test]
async fn service_networking_connection_lifecycle() {
    let (h, client) = sandbox().await;
    let net = rtype("google_compute_network");
    let addr = rtype("google_compute_global_address");
    let r = rtype("google_service_networking_connection");
    let vpc = network(&client, "vpc").await;
    let range = |name: &str| json!({ "name": name, "purpose": "VPC_PEERING", "address_type": "INTERNAL", "prefix_length": 20, "network": "vpc" });
    create(addr.as_ref(), &client, range("psa")).await;
    create(addr.as_ref(), &client, range("psa2")).await;

    let network_path = format!("projects/{PROJECT}/global/networks/vpc");
    let config = json!({ "network": network_path, "service": SN, "reserved_peering_ranges": ["psa"] });
    let state = create(r.as_ref(), &client, config.clone()).await;
    assert_eq!(state["id"], format!("{network_path}:{SN}"));
    assert_eq!(state["peering"], "servicenetworking-googleapis-com");
    assert_eq!(state["reserved_peering_ranges"], json!(["psa"]));
    let mut by_link = config.clone();
    by_link["network"] = vpc["self_link"].clone();
    assert_stable(r.as_ref(), &client, &state, &[config.clone(), by_link]).await;
    // Compute shows the peering on the network.
    let (_, got) = raw(&h, "GET", &format!("/compute/v1/{network_path}"), None).await;
    assert_eq!(got["peerings"][0]["name"], "servicenetworking-googleapis-com", "{got}");

    // The ranges change in place.
    let config2 = json!({ "network": network_path, "service": SN, "reserved_peering_ranges": ["psa", "psa2"] });
    let updated = update(r.as_ref(), &client, &state, config2.clone()).await;
    assert_eq!(updated["reserved_peering_ranges"], json!(["psa", "psa2"]));
    assert_stable(r.as_ref(), &client, &updated, std::slice::from_ref(&config2)).await;
    let mut other = config2.clone();
    other["network"] = json!("other");
    assert_eq!(plan_replacements(r.as_ref(), &client, &updated, other), vec!["network"]);

    assert_eq!(r.import(&client, &format!("{network_path}:{SN}")).await.unwrap(), updated);
    assert!(r.import(&client, "vpc").await.is_err());

    // The network is in use (by its ranges and the peering).
    let err = net.delete(&client, &vpc).await.unwrap_err();
    assert!(err.to_string().contains("already being used"), "{err}");

    // ABANDON forgets the connection and leaves it in place.
    let mut abandoned = updated.clone();
    abandoned["deletion_policy"] = json!("ABANDON");
    r.delete(&client, &abandoned).await.unwrap();
    assert!(r.read(&client, &updated).await.unwrap().is_some());

    assert_gone(r.as_ref(), &client, &updated).await;
    let (_, got) = raw(&h, "GET", &format!("/compute/v1/{network_path}"), None).await;
    assert!(got.get("peerings").is_none(), "{got}");

    // A range that is not reserved in the network fails inside the operation, named.
    let planned = r.plan(client.config(), None, json!({ "network": "vpc", "service": SN, "reserved_peering_ranges": ["missing"] })).unwrap();
    let err = r.create(&client, &planned).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("creating the connection of network vpc") && text.contains("'missing'"), "{text}");
}

#[tokio::test]
async fn writes_name_the_resource_in_errors() {
    let (_h, client) = sandbox().await;
    network(&client, "dup").await;
    let r = rtype("google_compute_network");
    let planned = r.plan(client.config(), None, json!({ "name": "dup", "auto_create_subnetworks": false })).unwrap();
    let err = r.create(&client, &planned).await.unwrap_err();
    assert!(matches!(&err, Error::Api { status: 409, reason, .. } if reason == "alreadyExists"), "{err:?}");
    assert!(err.to_string().contains("creating network dup"), "{err}");
    // Reads go through the same client: a GET of the collection works too.
    let listed = client.call(Method::GET, &client.url("compute", &format!("projects/{PROJECT}/global/networks")), None).await.unwrap();
    assert_eq!(listed["kind"], "compute#networkList");
}

