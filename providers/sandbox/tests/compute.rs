//! Compute Engine (VPC) and Service Networking over HTTP: a real server on
//! port 0, Compute's shapes and rules, Service Networking's hand-made
//! validation, persistence.

use cairn_sandbox::{serve, Config, ServerHandle};
use serde_json::{json, Value};
use std::time::Duration;

const P: &str = "test-project";
const SN: &str = "servicenetworking.googleapis.com";

struct Sandbox {
    handle: ServerHandle,
    client: reqwest::Client,
}

impl Sandbox {
    /// Compute and Service Networking enabled unless `enabled` says otherwise.
    async fn start(mut config: Config, enabled: bool) -> Sandbox {
        if enabled {
            config.enabled_apis.extend(["compute.googleapis.com".to_string(), SN.to_string()]);
        }
        let handle = serve(config, "127.0.0.1:0".parse().unwrap()).await.expect("server starts");
        Sandbox { handle, client: reqwest::Client::new() }
    }

    async fn new() -> Sandbox {
        let mut config = Config::new("");
        config.op_latency = Duration::ZERO;
        Sandbox::start(config, true).await
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self.client.request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), format!("http://{}{path}", self.handle.addr)).bearer_auth("t");
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn ok(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let (status, v) = self.call(method, path, body).await;
        assert_eq!(status, 200, "{method} {path}: {v}");
        v
    }

    async fn network(&self, name: &str) -> Value {
        self.ok("POST", &format!("/compute/v1/projects/{P}/global/networks"), Some(json!({ "name": name, "autoCreateSubnetworks": false }))).await
    }

    async fn subnetwork(&self, name: &str, network: &str, range: &str) -> (u16, Value) {
        let body = json!({ "name": name, "network": network, "ipCidrRange": range });
        self.call("POST", &format!("/compute/v1/projects/{P}/regions/us-central1/subnetworks"), Some(body)).await
    }
}

fn reason(v: &Value) -> &str {
    v["error"]["errors"][0]["reason"].as_str().unwrap_or("")
}

#[tokio::test]
async fn compute_is_gated_on_its_api() {
    let mut config = Config::new("");
    config.op_latency = Duration::ZERO;
    let s = Sandbox::start(config, false).await;
    let (status, v) = s.call("GET", &format!("/compute/v1/projects/{P}/global/networks"), None).await;
    assert_eq!(status, 403, "{v}");
    assert_eq!(v["error"]["details"][0]["reason"], "SERVICE_DISABLED");
    assert_eq!(v["error"]["details"][0]["metadata"]["service"], "compute.googleapis.com");
    let (status, v) = s.call("GET", &format!("/servicenetworking/v1/services/{SN}/connections?network=projects/{P}/global/networks/n"), None).await;
    assert_eq!(status, 403, "{v}");
    assert_eq!(v["error"]["details"][0]["metadata"]["service"], SN);
}

#[tokio::test]
async fn networks_and_operations_have_computes_shapes() {
    let s = Sandbox::new().await;
    let op = s.network("vpc").await;
    assert_eq!(op["kind"], "compute#operation");
    assert_eq!(op["operationType"], "insert");
    assert_eq!(op["status"], "DONE");
    assert_eq!(op["targetLink"], format!("https://www.googleapis.com/compute/v1/projects/{P}/global/networks/vpc"));
    let link = op["selfLink"].as_str().unwrap();
    assert!(link.starts_with(&format!("http://{}/compute/v1/projects/{P}/global/operations/operation-", s.handle.addr)), "{link}");
    let polled = s.ok("GET", &link[link.find("/compute/").unwrap()..], None).await;
    assert_eq!(polled["name"], op["name"]);
    let waited = s.ok("POST", &format!("{}/wait", &link[link.find("/compute/").unwrap()..]), None).await;
    assert_eq!(waited["status"], "DONE");

    let net = s.ok("GET", &format!("/compute/v1/projects/{P}/global/networks/vpc"), None).await;
    assert_eq!(net["kind"], "compute#network");
    assert!(net["id"].as_str().unwrap().bytes().all(|b| b.is_ascii_digit()));
    assert!(net["creationTimestamp"].is_string());
    assert_eq!(net["routingConfig"]["routingMode"], "REGIONAL");
    assert_eq!(net["mtu"], 1460);
    let list = s.ok("GET", &format!("/compute/v1/projects/{P}/global/networks"), None).await;
    assert_eq!(list["kind"], "compute#networkList");
    assert_eq!(list["items"][0]["name"], "vpc");

    // Compute's errors: no canonical status, its own reasons.
    let (status, v) = s.call("POST", &format!("/compute/v1/projects/{P}/global/networks"), Some(json!({ "name": "vpc", "autoCreateSubnetworks": false }))).await;
    assert_eq!((status, reason(&v)), (409, "alreadyExists"), "{v}");
    assert!(v["error"].get("status").is_none());
    let (status, v) = s.call("GET", &format!("/compute/v1/projects/{P}/global/networks/nope"), None).await;
    assert_eq!((status, reason(&v)), (404, "notFound"), "{v}");
    // Discovery still checks the body.
    let (status, v) = s.call("POST", &format!("/compute/v1/projects/{P}/global/networks"), Some(json!({ "name": "x", "autoCreateSubnetworks": false, "colour": "blue" }))).await;
    assert_eq!(status, 400, "{v}");

    // Only routing and MTU change.
    s.ok("PATCH", &format!("/compute/v1/projects/{P}/global/networks/vpc"), Some(json!({ "routingConfig": { "routingMode": "GLOBAL" }, "mtu": 1500 }))).await;
    let (status, v) = s.call("PATCH", &format!("/compute/v1/projects/{P}/global/networks/vpc"), Some(json!({ "autoCreateSubnetworks": true }))).await;
    assert_eq!(status, 400, "{v}");
}

#[tokio::test]
async fn operations_take_the_configured_latency() {
    let mut config = Config::new("");
    config.op_latency = Duration::from_millis(300);
    let s = Sandbox::start(config, true).await;
    let op = s.network("slow").await;
    assert_ne!(op["status"], "DONE");
    let path = format!("/compute/v1/projects/{P}/global/operations/{}", op["name"].as_str().unwrap());
    tokio::time::sleep(Duration::from_millis(350)).await;
    let done = s.ok("GET", &path, None).await;
    assert_eq!(done["status"], "DONE");
    assert_eq!(done["progress"], 100);
}

#[tokio::test]
async fn subnetwork_rules() {
    let s = Sandbox::new().await;
    s.network("vpc").await;
    // A missing network is 404 at insert.
    let (status, v) = s.subnetwork("a", "nowhere", "10.0.0.0/24").await;
    assert_eq!((status, reason(&v)), (404, "notFound"), "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("global/networks/nowhere"));
    let op = s.subnetwork("a", "global/networks/vpc", "10.0.0.0/24").await.1;
    assert_eq!(op["region"], format!("https://www.googleapis.com/compute/v1/projects/{P}/regions/us-central1"));
    // Overlaps within the network are refused, in any region; host bits too.
    let (status, v) = s.subnetwork("b", "vpc", "10.0.0.128/25").await;
    assert_eq!(status, 400, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("conflicts with existing subnetwork 'a'"), "{v}");
    assert_eq!(s.subnetwork("c", "vpc", "10.0.0.1/24").await.0, 400);
    s.network("other").await;
    assert_eq!(s.subnetwork("a2", "other", "10.0.0.0/24").await.0, 200, "another network may reuse the range");

    let path = format!("/compute/v1/projects/{P}/regions/us-central1/subnetworks/a");
    let sub = s.ok("GET", &path, None).await;
    assert_eq!(sub["kind"], "compute#subnetwork");
    assert_eq!(sub["gatewayAddress"], "10.0.0.1");
    let fp = sub["fingerprint"].as_str().unwrap().to_string();
    // Narrowing or moving through expandIpCidrRange is refused; widening works.
    for bad in ["10.0.0.0/25", "10.1.0.0/16"] {
        let (status, v) = s.call("POST", &format!("{path}/expandIpCidrRange"), Some(json!({ "ipCidrRange": bad }))).await;
        assert_eq!(status, 400, "{bad}: {v}");
    }
    s.ok("POST", &format!("{path}/expandIpCidrRange"), Some(json!({ "ipCidrRange": "10.0.0.0/20" }))).await;
    s.ok("POST", &format!("{path}/setPrivateIpGoogleAccess"), Some(json!({ "privateIpGoogleAccess": true }))).await;
    let sub = s.ok("GET", &path, None).await;
    assert_eq!((sub["ipCidrRange"].clone(), sub["privateIpGoogleAccess"].clone()), (json!("10.0.0.0/20"), json!(true)));
    // Patches need the current fingerprint.
    let patch = |f: Option<&str>| {
        let mut b = json!({ "secondaryIpRanges": [{ "rangeName": "pods", "ipCidrRange": "10.8.0.0/16" }] });
        if let Some(f) = f {
            b["fingerprint"] = json!(f);
        }
        b
    };
    for body in [patch(None), patch(Some(&fp))] {
        let (status, v) = s.call("PATCH", &path, Some(body)).await;
        assert_eq!((status, reason(&v)), (412, "conditionNotMet"), "{v}");
    }
    let current = sub["fingerprint"].as_str().unwrap();
    s.ok("PATCH", &path, Some(patch(Some(current)))).await;
    let (status, v) = s.call("PATCH", &path, Some(json!({ "fingerprint": s.ok("GET", &path, None).await["fingerprint"], "ipCidrRange": "10.0.0.0/8" }))).await;
    assert_eq!(status, 400, "the range changes only through expandIpCidrRange: {v}");

    // A network in use is not deleted: its operation says why.
    let op = s.ok("DELETE", &format!("/compute/v1/projects/{P}/global/networks/vpc"), None).await;
    assert_eq!(op["status"], "DONE");
    assert_eq!(op["httpErrorStatusCode"], 400);
    assert_eq!(op["error"]["errors"][0]["code"], "RESOURCE_IN_USE_BY_ANOTHER_RESOURCE");
    assert!(op["error"]["errors"][0]["message"].as_str().unwrap().contains("subnetworks/a"), "{op}");
    s.ok("GET", &format!("/compute/v1/projects/{P}/global/networks/vpc"), None).await;
    s.ok("DELETE", &path, None).await;
    let op = s.ok("DELETE", &format!("/compute/v1/projects/{P}/global/networks/vpc"), None).await;
    assert!(op.get("error").is_none(), "{op}");
    assert_eq!(s.call("GET", &format!("/compute/v1/projects/{P}/global/networks/vpc"), None).await.0, 404);
}

#[tokio::test]
async fn firewalls_and_addresses() {
    let s = Sandbox::new().await;
    s.network("vpc").await;
    let firewalls = format!("/compute/v1/projects/{P}/global/firewalls");
    let fw = |body: Value| s.call("POST", &firewalls, Some(body));
    let (status, _) = fw(json!({ "name": "both", "network": "global/networks/vpc", "allowed": [{ "IPProtocol": "tcp" }], "denied": [{ "IPProtocol": "udp" }] })).await;
    assert_eq!(status, 400);
    let (status, v) = fw(json!({ "name": "ssh", "network": "global/networks/vpc", "allowed": [{ "IPProtocol": "TCP", "ports": ["22"] }], "targetTags": ["a"] })).await;
    assert_eq!(status, 200, "{v}");
    let got = s.ok("GET", &format!("/compute/v1/projects/{P}/global/firewalls/ssh"), None).await;
    assert_eq!((got["sourceRanges"].clone(), got["priority"].clone(), got["direction"].clone()), (json!(["0.0.0.0/0"]), json!(1000), json!("INGRESS")));
    assert_eq!(got["allowed"][0]["IPProtocol"], "tcp");
    s.ok("PATCH", &format!("/compute/v1/projects/{P}/global/firewalls/ssh"), Some(json!({ "name": "ssh", "targetTags": [], "priority": 10 }))).await;
    let got = s.ok("GET", &format!("/compute/v1/projects/{P}/global/firewalls/ssh"), None).await;
    assert!(got.get("targetTags").is_none() && got["priority"] == 10, "{got}");
    assert_eq!(s.call("PATCH", &format!("/compute/v1/projects/{P}/global/firewalls/ssh"), Some(json!({ "name": "ssh", "direction": "EGRESS" }))).await.0, 400);

    let addresses = format!("/compute/v1/projects/{P}/global/addresses");
    s.ok("POST", &addresses, Some(json!({ "name": "ip" }))).await;
    let ip = s.ok("GET", &format!("{addresses}/ip"), None).await;
    assert_eq!((ip["addressType"].clone(), ip["networkTier"].clone(), ip["status"].clone()), (json!("EXTERNAL"), json!("PREMIUM"), json!("RESERVED")));
    let fp = ip["labelFingerprint"].as_str().unwrap().to_string();
    let set = |f: &str| json!({ "labels": { "env": "dev" }, "labelFingerprint": f });
    s.ok("POST", &format!("{addresses}/ip/setLabels"), Some(set(&fp))).await;
    let (status, v) = s.call("POST", &format!("{addresses}/ip/setLabels"), Some(set(&fp))).await;
    assert_eq!((status, reason(&v)), (412, "conditionNotMet"), "a used fingerprint is stale: {v}");
    assert_eq!(s.ok("GET", &format!("{addresses}/ip"), None).await["labels"], json!({ "env": "dev" }));
    let (status, _) = s.call("POST", &addresses, Some(json!({ "name": "bad", "network": "global/networks/vpc" }))).await;
    assert_eq!(status, 400, "an external address takes no network");
    s.ok("POST", &addresses, Some(json!({ "name": "psa", "addressType": "INTERNAL", "purpose": "VPC_PEERING", "prefixLength": 16, "network": "global/networks/vpc" }))).await;
    assert_eq!(s.ok("GET", &format!("{addresses}/psa"), None).await["address"], "10.0.0.0");
    let (status, v) = s.subnetwork("inside", "vpc", "10.0.5.0/24").await;
    assert_eq!(status, 400, "subnetworks may not take an allocated range: {v}");
}

#[tokio::test]
async fn service_networking_connections() {
    let s = Sandbox::new().await;
    s.network("vpc").await;
    let addresses = format!("/compute/v1/projects/{P}/global/addresses");
    for name in ["r1", "r2"] {
        s.ok("POST", &addresses, Some(json!({ "name": name, "addressType": "INTERNAL", "purpose": "VPC_PEERING", "prefixLength": 20, "network": "global/networks/vpc" }))).await;
    }
    let number = cairn_sandbox::services::project_number(P);
    let network = format!("projects/{number}/global/networks/vpc");
    let connections = format!("/servicenetworking/v1/services/{SN}/connections");

    // Validated by hand: unknown fields and parameters are refused.
    let (status, v) = s.call("POST", &connections, Some(json!({ "network": network, "reservedPeeringRanges": ["r1"], "colour": "blue" }))).await;
    assert_eq!(status, 400, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("Unknown name \"colour\""), "{v}");
    let (status, v) = s.call("POST", &format!("{connections}?verbose=true"), Some(json!({ "network": network, "reservedPeeringRanges": ["r1"] }))).await;
    assert_eq!(status, 400, "{v}");
    let (status, _) = s.call("POST", &connections, Some(json!({ "network": network, "reservedPeeringRanges": "r1" }))).await;
    assert_eq!(status, 400, "ranges are a list");

    // A range that is not allocated fails inside the operation.
    let op = s.ok("POST", &connections, Some(json!({ "network": network, "reservedPeeringRanges": ["nope"] }))).await;
    assert_eq!(op["done"], true);
    assert_eq!(op["error"]["code"], 9);
    let op = s.ok("POST", &connections, Some(json!({ "network": network, "reservedPeeringRanges": ["r1"] }))).await;
    assert!(op["name"].as_str().unwrap().starts_with("operations/"));
    assert_eq!(op["response"]["peering"], "servicenetworking-googleapis-com");
    assert_eq!(s.ok("GET", &format!("/servicenetworking/v1/{}", op["name"].as_str().unwrap()), None).await["done"], true);
    let net = s.ok("GET", &format!("/compute/v1/projects/{P}/global/networks/vpc"), None).await;
    assert_eq!(net["peerings"][0]["name"], "servicenetworking-googleapis-com");
    assert_eq!(net["peerings"][0]["state"], "ACTIVE");
    // Creating again with other ranges is Google's well-known refusal.
    let op = s.ok("POST", &connections, Some(json!({ "network": network, "reservedPeeringRanges": ["r2"] }))).await;
    assert!(op["error"]["message"].as_str().unwrap().contains("Please use UpdateConnection"), "{op}");

    let listed = s.ok("GET", &format!("{connections}?network={network}"), None).await;
    assert_eq!(listed["connections"][0]["reservedPeeringRanges"], json!(["r1"]));
    assert_eq!(s.call("GET", &connections, None).await.0, 400, "network is required");

    // Ranges change with a patch; dropping one needs force.
    let patch = format!("{connections}/-?updateMask=reservedPeeringRanges");
    s.ok("PATCH", &patch, Some(json!({ "network": network, "reservedPeeringRanges": ["r1", "r2"] }))).await;
    let op = s.ok("PATCH", &patch, Some(json!({ "network": network, "reservedPeeringRanges": ["r2"] }))).await;
    assert_eq!(op["error"]["code"], 9, "{op}");
    let op = s.ok("PATCH", &format!("{patch}&force=true"), Some(json!({ "network": network, "reservedPeeringRanges": ["r2"] }))).await;
    assert!(op.get("error").is_none(), "{op}");

    // The peering keeps the network; deleting the connection frees it.
    let op = s.ok("DELETE", &format!("/compute/v1/projects/{P}/global/networks/vpc"), None).await;
    assert_eq!(op["error"]["errors"][0]["code"], "RESOURCE_IN_USE_BY_ANOTHER_RESOURCE");
    let delete = format!("{connections}/servicenetworking-googleapis-com:deleteConnection");
    let (status, _) = s.call("POST", &delete, Some(json!({ "network": network }))).await;
    assert_eq!(status, 400, "deleteConnection takes consumerNetwork");
    s.ok("POST", &delete, Some(json!({ "consumerNetwork": network }))).await;
    assert_eq!(s.call("POST", &delete, Some(json!({ "consumerNetwork": network }))).await.0, 404);
    assert!(s.ok("GET", &format!("/compute/v1/projects/{P}/global/networks/vpc"), None).await.get("peerings").is_none());
    assert_eq!(s.ok("GET", &format!("{connections}?network={network}"), None).await, json!({}));
}

#[tokio::test]
async fn vpc_resources_persist_and_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(dir.path());
    config.op_latency = Duration::ZERO;
    let s = Sandbox::start(config.clone(), true).await;
    s.network("vpc").await;
    assert_eq!(s.subnetwork("apps", "vpc", "10.0.0.0/24").await.0, 200);
    let before = s.ok("GET", &format!("/compute/v1/projects/{P}/regions/us-central1/subnetworks/apps"), None).await;
    s.handle.shutdown_and_wait().await;

    let items = cairn_sandbox::list(dir.path());
    for (kind, name) in [("compute.networks", format!("projects/{P}/global/networks/vpc")), ("compute.subnetworks", format!("projects/{P}/regions/us-central1/subnetworks/apps"))] {
        assert!(items.contains(&(kind.to_string(), name.clone())), "{kind} {name} missing from {items:?}");
    }
    let s = Sandbox::start(config, true).await;
    let after = s.ok("GET", &format!("/compute/v1/projects/{P}/regions/us-central1/subnetworks/apps"), None).await;
    assert_eq!(after, before, "the same subnetwork, fingerprint and links after a restart on another port");
}
