//! Compute Engine v1, the VPC part: networks (with their default routes),
//! subnetworks, firewalls, global addresses, and the global and regional
//! `compute#operation`s every write answers with.
//!
//! Owns, under `compute/v1/projects/{project}/`:
//! - `global/networks`: insert, get, list, patch (`routingConfig`, `mtu`,
//!   `networkFirewallPolicyEnforcementOrder`, `enableUlaInternalIpv6`;
//!   anything else that differs is 400), delete (an operation that fails
//!   with RESOURCE_IN_USE_BY_ANOTHER_RESOURCE while a subnetwork, firewall,
//!   address or peering uses the network). `subnetworks[]` is derived from
//!   the subnetworks that name the network; `peerings[]` is kept by Service
//!   Networking (`servicenetworking.rs`). Legacy networks
//!   (`autoCreateSubnetworks` unset) are refused; an auto-mode network
//!   reserves `10.128.0.0/9` but its per-region subnetworks are not
//!   materialized.
//! - `global/routes`: get, list, delete. Each network gets a default route
//!   to the internet (`0.0.0.0/0`) on insert, removed with the network;
//!   there is no `routes.insert`.
//! - `regions/{r}/subnetworks`: insert (a missing network is 404 at insert,
//!   as Compute answers), get, list, patch (needs the current
//!   `fingerprint`: stale or missing is 412 conditionNotMet), delete,
//!   `expandIpCidrRange` (only a superset of the current range),
//!   `setPrivateIpGoogleAccess`. Ranges (primary and secondary) may not
//!   overlap within a network, nor overlap its `VPC_PEERING` allocations.
//! - `global/firewalls`: insert, get, list, patch (JSON merge patch; `name`,
//!   `network` and `direction` are fixed), delete. Sources default to
//!   `0.0.0.0/0` on ingress and destinations on egress, as Compute does.
//! - `global/addresses`: insert (an external IPv4/IPv6 or an internal
//!   `VPC_PEERING` / `PRIVATE_SERVICE_CONNECT` address, allocated when not
//!   given), get, list, delete, `setLabels` (needs the current
//!   `labelFingerprint`: stale or missing is 412).
//! - `global/operations/{op}` and `regions/{r}/operations/{op}`: get, and
//!   `wait`, which answers at once (Compute allows it to return early).
//!
//! Every request needs `compute.googleapis.com` enabled in the project (403
//! SERVICE_DISABLED). Errors have Compute's shape (no `status`; reasons
//! `notFound`, `alreadyExists`, `invalid`, `conditionNotMet`...). A write
//! takes effect when it is answered; its operation reports DONE
//! `op_latency` later, with the error inside when the write was refused
//! there (as Compute refuses deleting a network in use).
//!
//! Links are Google's (`https://www.googleapis.com/compute/v1/projects/...`)
//! in every resource, so they stay the same from one sandbox port to the
//! next, as they would in state; only an operation's `selfLink` points at
//! the sandbox's own address (the `Host` it was asked on), so a client
//! polls the sandbox. References in requests may be URLs of any host,
//! partial URLs (`projects/p/global/networks/n`, `global/networks/n`) or
//! bare names.
//!
//! Does not own: instances, routers, regional addresses, `filter` and
//! `orderBy` on lists (400), `requestId` deduplication, IAM on
//! subnetworks, IPv6 subnet ranges.
//!
//! Store: `compute.networks`, `compute.subnetworks`, `compute.firewalls`,
//! `compute.globaladdresses`, `compute.routes` and `compute.operations`,
//! each keyed by the resource's path (`projects/{id}/global/networks/{n}`,
//! `projects/{id}/regions/{r}/subnetworks/{n}`...), with the project's id.

use super::{page, resolve_project, rfc3339, serviceusage, ApiRequest, Ctx, Reply, PROJECTS};
use crate::error::ApiError;
use crate::store::{Record, Store};
use base64::Engine as _;
use serde_json::{json, Map, Value};
use std::net::Ipv4Addr;

pub const NETWORKS: &str = "compute.networks";
pub const SUBNETWORKS: &str = "compute.subnetworks";
pub const FIREWALLS: &str = "compute.firewalls";
pub const ADDRESSES: &str = "compute.globaladdresses";
pub const ROUTES: &str = "compute.routes";
pub const OPERATIONS: &str = "compute.operations";

/// The API name Service Usage knows.
pub const SERVICE: &str = "compute.googleapis.com";

/// How Compute writes links; answers rewrite it to the sandbox's address.
pub const CANONICAL: &str = "https://www.googleapis.com/compute/v1/";

/// Who operations say started them.
const USER: &str = "cairn-sandbox";

/// The range an auto-mode network's subnetworks take.
const AUTO_MODE_RANGE: &str = "10.128.0.0/9";

/// Answers one Compute Engine request.
pub fn handle(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest) -> Result<Reply, ApiError> {
    let segs: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    let (p, rest) = match segs.as_slice() {
        ["projects", p, rest @ ..] => (*p, rest),
        _ => return Err(ApiError::unknown_route(&req.method, &req.segments.join("/"))),
    };
    let project = resolve_project(store, ctx.now_ms, p)?;
    serviceusage::require_enabled(ctx, store, &project.number, SERVICE)?;
    let pid = project.id.as_str();
    // The key of the resource a path names (`projects/{id}/global/networks/n`).
    let key = |parts: &[&str]| format!("projects/{pid}/{}", parts.join("/"));
    let out = match (req.method.as_str(), rest) {
        ("GET", ["global", "networks"]) => list(store, req, pid, "global/networks", NETWORKS, "compute#networkList"),
        ("POST", ["global", "networks"]) => insert_network(ctx, store, req, pid),
        ("GET", ["global", "networks", _]) => get(store, NETWORKS, &key(rest)),
        ("PATCH", ["global", "networks", _]) => patch_network(ctx, store, req, &key(rest)),
        ("DELETE", ["global", "networks", _]) => delete_network(ctx, store, &key(rest)),
        ("GET", ["global", "routes"]) => list(store, req, pid, "global/routes", ROUTES, "compute#routeList"),
        ("GET", ["global", "routes", _]) => get(store, ROUTES, &key(rest)),
        ("DELETE", ["global", "routes", _]) => delete_plain(ctx, store, ROUTES, &key(rest)),
        ("GET", ["global", "firewalls"]) => list(store, req, pid, "global/firewalls", FIREWALLS, "compute#firewallList"),
        ("POST", ["global", "firewalls"]) => insert_firewall(ctx, store, req, pid),
        ("GET", ["global", "firewalls", _]) => get(store, FIREWALLS, &key(rest)),
        ("PATCH", ["global", "firewalls", _]) => patch_firewall(ctx, store, req, pid, &key(rest)),
        ("DELETE", ["global", "firewalls", _]) => delete_plain(ctx, store, FIREWALLS, &key(rest)),
        ("GET", ["global", "addresses"]) => list(store, req, pid, "global/addresses", ADDRESSES, "compute#addressList"),
        ("POST", ["global", "addresses"]) => insert_address(ctx, store, req, pid),
        ("GET", ["global", "addresses", _]) => get(store, ADDRESSES, &key(rest)),
        ("DELETE", ["global", "addresses", _]) => delete_plain(ctx, store, ADDRESSES, &key(rest)),
        ("POST", ["global", "addresses", n, "setLabels"]) => set_labels(ctx, store, req, &key(&["global", "addresses", *n])),
        ("GET", ["global", "operations", _]) => get_operation(ctx, store, &key(rest)),
        ("POST", ["global", "operations", op, "wait"]) => get_operation(ctx, store, &key(&["global", "operations", *op])),
        ("GET", ["regions", r, "subnetworks"]) => {
            check_region(pid, r)?;
            list(store, req, pid, &format!("regions/{r}/subnetworks"), SUBNETWORKS, "compute#subnetworkList")
        }
        ("POST", ["regions", r, "subnetworks"]) => insert_subnetwork(ctx, store, req, pid, r),
        ("GET", ["regions", _, "subnetworks", _]) => get(store, SUBNETWORKS, &key(rest)),
        ("PATCH", ["regions", _, "subnetworks", _]) => patch_subnetwork(ctx, store, req, pid, &key(rest)),
        ("DELETE", ["regions", _, "subnetworks", _]) => delete_plain(ctx, store, SUBNETWORKS, &key(rest)),
        ("POST", ["regions", r, "subnetworks", n, "expandIpCidrRange"]) => {
            expand_ip_cidr_range(ctx, store, req, &key(&["regions", *r, "subnetworks", *n]))
        }
        ("POST", ["regions", r, "subnetworks", n, "setPrivateIpGoogleAccess"]) => {
            set_private_ip_google_access(ctx, store, req, &key(&["regions", *r, "subnetworks", *n]))
        }
        ("GET", ["regions", _, "operations", _]) => get_operation(ctx, store, &key(rest)),
        ("POST", ["regions", r, "operations", op, "wait"]) => get_operation(ctx, store, &key(&["regions", *r, "operations", *op])),
        _ => Err(ApiError::unknown_route(&req.method, &req.segments.join("/"))),
    }?;
    Ok(Reply::Json(pollable(out, &req.base_url)))
}

// ---------------------------------------------------------------- errors

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::compute(400, "invalid", message)
}

fn not_found(key: &str) -> ApiError {
    ApiError::compute(404, "notFound", format!("The resource '{key}' was not found"))
}

fn required(field: &str) -> ApiError {
    ApiError::compute(400, "required", format!("Required field 'resource.{field}' not specified"))
}

fn stale_fingerprint(field: &str) -> ApiError {
    ApiError::compute(
        412,
        "conditionNotMet",
        format!("Supplied {field} does not match the current one: get the resource again and retry with its {field}."),
    )
}

// ---------------------------------------------------------------- links, names, ids

/// The Google URL of a resource path.
fn link(path: &str) -> String {
    format!("{CANONICAL}{path}")
}

/// An operation as answered: its `selfLink` on the sandbox's own address
/// (`base`), so the client polls the sandbox; other answers unchanged.
pub fn pollable(mut v: Value, base: &str) -> Value {
    if v["kind"] != "compute#operation" || base.is_empty() {
        return v;
    }
    if let Some(rest) = v["selfLink"].as_str().and_then(|l| l.strip_prefix(CANONICAL)) {
        let ours = format!("{}/compute/v1/{rest}", base.trim_end_matches('/'));
        v["selfLink"] = json!(ours);
    }
    v
}

/// The last segment of a link (`.../regions/us-central1` -> `us-central1`).
fn last_segment(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

/// Compute's names: RFC 1035, 1 to 63 characters.
fn valid_name(n: &str) -> bool {
    let b = n.as_bytes();
    (1..=63).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && !n.ends_with('-')
}

fn check_name(body: &Map<String, Value>) -> Result<String, ApiError> {
    let name = body.get("name").and_then(Value::as_str).unwrap_or("");
    if name.is_empty() {
        return Err(required("name"));
    }
    if !valid_name(name) {
        return Err(invalid(format!(
            "Invalid value for field 'resource.name': '{name}'. Must be a match of regex '(?:[a-z](?:[-a-z0-9]{{0,61}}[a-z0-9])?)'"
        )));
    }
    Ok(name.to_string())
}

/// Region names look like `us-central1`; others are unknown regions.
fn check_region(pid: &str, r: &str) -> Result<(), ApiError> {
    let ok = r.contains('-')
        && r.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && r.bytes().last().is_some_and(|b| b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(not_found(&format!("projects/{pid}/regions/{r}")))
    }
}

/// A project named in a link, by id (numbers of known projects are mapped).
fn project_id_of(store: &Store, p: &str) -> String {
    if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) {
        if let Some(id) = store.get(PROJECTS, p).and_then(|r| r.resource["projectId"].as_str()) {
            return id.to_string();
        }
    }
    p.to_string()
}

/// The store key of a reference to a global resource of `collection`
/// (`networks`): a URL of any host, a partial URL or a bare name in `pid`.
fn global_ref(store: &Store, value: &str, pid: &str, collection: &str) -> Option<String> {
    let rel = match value.find("/compute/") {
        Some(i) => value[i + "/compute/".len()..].split_once('/').map(|(_, r)| r).unwrap_or(""),
        None => value,
    };
    let segs: Vec<&str> = rel.trim_matches('/').split('/').collect();
    let (p, name) = match segs.as_slice() {
        ["projects", p, "global", c, n] if *c == collection => (project_id_of(store, p), *n),
        ["global", c, n] if *c == collection => (pid.to_string(), *n),
        [n] => (pid.to_string(), *n),
        _ => return None,
    };
    valid_name(name).then(|| format!("projects/{p}/global/{collection}/{name}"))
}

/// The network a request names in `field`, which must exist.
fn network_of(store: &Store, value: &str, pid: &str, field: &str) -> Result<String, ApiError> {
    let key = global_ref(store, value, pid, "networks")
        .ok_or_else(|| invalid(format!("Invalid value for field 'resource.{field}': '{value}'. The URL is malformed.")))?;
    if store.get(NETWORKS, &key).is_none() {
        return Err(not_found(&key));
    }
    Ok(key)
}

/// A numeric id (as Compute's, 19 digits, as a string).
fn numeric_id(ctx: &mut Ctx) -> String {
    (1_000_000_000_000_000_000u64 + ctx.ids.next_u64() % 8_000_000_000_000_000_000).to_string()
}

/// A fingerprint of `v`: 8 bytes of FNV-1a over its JSON, in base64, so it
/// changes exactly when the content does.
fn fingerprint(v: &Value) -> String {
    let text = serde_json::to_string(v).unwrap_or_default();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    base64::engine::general_purpose::STANDARD.encode(h.to_be_bytes())
}

/// A subnetwork's `fingerprint`: of everything but itself.
fn refingerprint(resource: &mut Value) {
    if let Some(o) = resource.as_object_mut() {
        o.remove("fingerprint");
    }
    let f = fingerprint(resource);
    resource["fingerprint"] = json!(f);
}

/// The common fields every new resource has.
fn new_resource(ctx: &mut Ctx, kind: &str, key: &str, name: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("kind".into(), json!(kind));
    m.insert("id".into(), json!(numeric_id(ctx)));
    m.insert("creationTimestamp".into(), json!(ctx.now_rfc3339()));
    m.insert("name".into(), json!(name));
    m.insert("selfLink".into(), json!(link(key)));
    m
}

/// Fields the server sets: ignored in requests, as Google does.
const OUTPUT_ONLY: &[&str] = &[
    "kind", "id", "creationTimestamp", "selfLink", "selfLinkWithId", "gatewayIPv4", "subnetworks", "peerings", "firewallPolicy",
    "gatewayAddress", "fingerprint", "state", "status", "users", "region", "labelFingerprint", "ipv6CidrRange",
];

// ---------------------------------------------------------------- CIDR ranges

/// An IPv4 range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub base: u32,
    pub len: u8,
}

impl Cidr {
    /// `10.0.0.0/24`; `None` when malformed.
    pub fn parse(s: &str) -> Option<Cidr> {
        let (ip, len) = s.split_once('/')?;
        let ip: Ipv4Addr = ip.parse().ok()?;
        let len: u8 = len.parse().ok().filter(|l| *l <= 32)?;
        Some(Cidr { base: u32::from(ip), len })
    }

    fn mask(len: u8) -> u32 {
        if len == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(len))
        }
    }

    /// No host bits set.
    pub fn aligned(&self) -> bool {
        self.base & !Cidr::mask(self.len) == 0
    }

    pub fn overlaps(&self, o: &Cidr) -> bool {
        let m = Cidr::mask(self.len.min(o.len));
        self.base & m == o.base & m
    }

    pub fn contains(&self, o: &Cidr) -> bool {
        self.len <= o.len && o.base & Cidr::mask(self.len) == self.base
    }

    /// The first usable address (Compute's gateway).
    fn gateway(&self) -> String {
        Ipv4Addr::from(self.base.wrapping_add(1)).to_string()
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", Ipv4Addr::from(self.base), self.len)
    }
}

/// A range of a request, which must be a well-formed range with no host bits.
fn parse_range(value: &str, field: &str) -> Result<Cidr, ApiError> {
    match Cidr::parse(value) {
        Some(c) if c.aligned() && c.len >= 8 => Ok(c),
        Some(_) => Err(invalid(format!(
            "Invalid value for field '{field}': '{value}'. The range must be a network address (no host bits set) of prefix length 8 to 32."
        ))),
        None => Err(invalid(format!("Invalid value for field '{field}': '{value}'. Must be a CIDR range like 10.0.0.0/24."))),
    }
}

/// Every range already taken in the network `net` (except by the
/// subnetwork `skip`), with what takes it.
fn taken_ranges(store: &Store, net: &str, skip: Option<&str>) -> Vec<(Cidr, String)> {
    let net_link = link(net);
    let mut out = Vec::new();
    if store.get(NETWORKS, net).is_some_and(|r| r.resource["autoCreateSubnetworks"] == true) {
        if let Some(c) = Cidr::parse(AUTO_MODE_RANGE) {
            out.push((c, "the subnetworks of the auto-mode network".to_string()));
        }
    }
    for (k, r) in store.iter(SUBNETWORKS) {
        if r.resource["network"] != net_link.as_str() || Some(k.as_str()) == skip {
            continue;
        }
        let name = r.resource["name"].as_str().unwrap_or("");
        let region = last_segment(r.resource["region"].as_str().unwrap_or(""));
        if let Some(c) = r.resource["ipCidrRange"].as_str().and_then(Cidr::parse) {
            out.push((c, format!("subnetwork '{name}' in region '{region}'")));
        }
        for s in r.resource["secondaryIpRanges"].as_array().into_iter().flatten() {
            if let Some(c) = s["ipCidrRange"].as_str().and_then(Cidr::parse) {
                let rn = s["rangeName"].as_str().unwrap_or("");
                out.push((c, format!("secondary range '{rn}' of subnetwork '{name}' in region '{region}'")));
            }
        }
    }
    for (_, r) in store.iter(ADDRESSES) {
        if r.resource["network"] != net_link.as_str() || r.resource["purpose"] != "VPC_PEERING" {
            continue;
        }
        let range = format!("{}/{}", r.resource["address"].as_str().unwrap_or(""), r.resource["prefixLength"].as_i64().unwrap_or(32));
        if let Some(c) = Cidr::parse(&range) {
            out.push((c, format!("allocated range '{}'", r.resource["name"].as_str().unwrap_or(""))));
        }
    }
    out
}

/// Fails when a range overlaps another of the request or one taken.
fn check_free(ranges: &[Cidr], taken: &[(Cidr, String)]) -> Result<(), ApiError> {
    for (i, r) in ranges.iter().enumerate() {
        if let Some(o) = ranges[..i].iter().find(|o| o.overlaps(r)) {
            return Err(invalid(format!("Invalid IPCidrRange: {r} conflicts with {o} in the same request.")));
        }
        if let Some((_, what)) = taken.iter().find(|(c, _)| c.overlaps(r)) {
            return Err(invalid(format!("Invalid IPCidrRange: {r} conflicts with existing {what}.")));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- operations

/// Why an operation failed, as its `error.errors[0]`.
struct OpError {
    code: &'static str,
    message: String,
    http: u16,
}

/// Records an operation on `target` (a store key, whose path says whether
/// the operation is global or regional) that is DONE after `op_latency`.
/// Returns it as of now.
fn start_op(
    ctx: &mut Ctx,
    store: &mut Store,
    operation_type: &str,
    target: &str,
    target_id: &Value,
    error: Option<OpError>,
) -> Result<Value, ApiError> {
    let segs: Vec<&str> = target.split('/').collect();
    let (pid, region) = match segs.as_slice() {
        ["projects", p, "regions", r, ..] => (*p, Some(*r)),
        ["projects", p, ..] => (*p, None),
        _ => return Err(ApiError::internal(format!("operation on a target without a project: {target}"))),
    };
    let id = ctx.new_id();
    let name = format!("operation-{}-{id}", ctx.now_ms);
    let key = match region {
        Some(r) => format!("projects/{pid}/regions/{r}/operations/{name}"),
        None => format!("projects/{pid}/global/operations/{name}"),
    };
    let mut op = new_resource(ctx, "compute#operation", &key, &name);
    op.remove("creationTimestamp");
    op.insert("operationType".into(), json!(operation_type));
    op.insert("targetLink".into(), json!(link(target)));
    op.insert("targetId".into(), target_id.clone());
    op.insert("status".into(), json!("PENDING"));
    op.insert("user".into(), json!(USER));
    op.insert("progress".into(), json!(0));
    op.insert("insertTime".into(), json!(ctx.now_rfc3339()));
    op.insert("startTime".into(), json!(ctx.now_rfc3339()));
    if let Some(r) = region {
        op.insert("region".into(), json!(link(&format!("projects/{pid}/regions/{r}"))));
    }
    let mut record = Record::new(Value::Object(op), ctx.now_ms);
    record.hidden.insert("doneAtMs".into(), json!(ctx.op_done_at()));
    if let Some(e) = error {
        record.hidden.insert("error".into(), json!({ "code": e.code, "message": e.message }));
        record.hidden.insert("httpErrorStatusCode".into(), json!(e.http));
    }
    let out = render_op(&record, ctx.now_ms);
    store.put(OPERATIONS, &key, record)?;
    Ok(out)
}

/// An operation as of `now_ms`: PENDING when just started, RUNNING, DONE.
fn render_op(record: &Record, now_ms: i64) -> Value {
    let mut op = record.resource.clone();
    let done_at = record.hidden_i64("doneAtMs");
    if now_ms >= done_at {
        op["status"] = json!("DONE");
        op["progress"] = json!(100);
        op["endTime"] = json!(rfc3339(done_at));
        if let Some(e) = record.hidden.get("error") {
            let http = record.hidden_i64("httpErrorStatusCode");
            op["error"] = json!({ "errors": [e] });
            op["httpErrorStatusCode"] = json!(http);
            op["httpErrorMessage"] = json!(match http {
                404 => "NOT FOUND",
                409 => "CONFLICT",
                412 => "PRECONDITION FAILED",
                _ => "BAD REQUEST",
            });
        }
    } else if now_ms > record.created_ms {
        op["status"] = json!("RUNNING");
    }
    op
}

fn get_operation(ctx: &Ctx, store: &Store, key: &str) -> Result<Value, ApiError> {
    store.get(OPERATIONS, key).map(|r| render_op(r, ctx.now_ms)).ok_or_else(|| not_found(key))
}

// ---------------------------------------------------------------- generic get, list, delete

/// A resource as the API shows it: a network lists its subnetworks.
fn view(store: &Store, collection: &str, record: &Record) -> Value {
    let mut v = record.resource.clone();
    if collection == NETWORKS {
        let own = record.resource["selfLink"].as_str().unwrap_or("");
        let subnets: Vec<Value> = store
            .iter(SUBNETWORKS)
            .filter(|(_, r)| r.resource["network"] == own)
            .map(|(_, r)| r.resource["selfLink"].clone())
            .collect();
        if !subnets.is_empty() {
            v["subnetworks"] = Value::Array(subnets);
        }
    }
    v
}

fn get(store: &Store, collection: &str, key: &str) -> Result<Value, ApiError> {
    store.get(collection, key).map(|r| view(store, collection, r)).ok_or_else(|| not_found(key))
}

/// `{kind, id, items?, selfLink, nextPageToken?}` of the resources under
/// `projects/{pid}/{path}/`.
fn list(store: &Store, req: &ApiRequest, pid: &str, path: &str, collection: &str, kind: &str) -> Result<Value, ApiError> {
    for p in ["filter", "orderBy"] {
        if req.param(p).is_some_and(|v| !v.trim().is_empty()) {
            return Err(invalid(format!("The sandbox does not support '{p}' on Compute lists; list everything and select locally.")));
        }
    }
    let size = match req.int_param("maxResults")?.unwrap_or(500) {
        n if n <= 0 => 500,
        n => n.min(500) as usize,
    };
    let prefix = format!("projects/{pid}/{path}/");
    let items: Vec<(String, Value)> =
        store.iter_prefix(collection, &prefix).map(|(k, r)| (k.clone(), view(store, collection, r))).collect();
    let (items, next) = page(&items, req.param("pageToken"), size);
    let mut out = json!({ "kind": kind, "id": format!("projects/{pid}/{path}"), "selfLink": link(&format!("projects/{pid}/{path}")) });
    if !items.is_empty() {
        out["items"] = Value::Array(items);
    }
    if let Some(t) = next {
        out["nextPageToken"] = json!(t);
    }
    Ok(out)
}

/// Deletes a resource nothing can depend on here; its operation.
fn delete_plain(ctx: &mut Ctx, store: &mut Store, collection: &str, key: &str) -> Result<Value, ApiError> {
    let record = store.remove(collection, key)?.ok_or_else(|| not_found(key))?;
    start_op(ctx, store, "delete", key, &record.resource["id"], None)
}

// ---------------------------------------------------------------- networks

fn insert_network(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, pid: &str) -> Result<Value, ApiError> {
    let body = req.json_object()?;
    let name = check_name(&body)?;
    let key = format!("projects/{pid}/global/networks/{name}");
    if store.get(NETWORKS, &key).is_some() {
        return Err(ApiError::compute(409, "alreadyExists", format!("The resource '{key}' already exists")));
    }
    let auto = match body.get("autoCreateSubnetworks") {
        Some(Value::Bool(b)) => *b,
        _ => {
            return Err(invalid(
                "Invalid value for field 'resource.autoCreateSubnetworks': legacy networks (autoCreateSubnetworks unset) are not \
                 supported; set it to true (auto mode) or false (custom mode).",
            ))
        }
    };
    let mtu = body.get("mtu").and_then(int_of).unwrap_or(1460);
    check_mtu(mtu)?;
    let mut routing = json!({ "routingMode": "REGIONAL" });
    if let Some(r) = body.get("routingConfig") {
        super::merge_patch(&mut routing, r);
    }
    let mut m = new_resource(ctx, "compute#network", &key, &name);
    if let Some(d) = body.get("description").and_then(Value::as_str).filter(|d| !d.is_empty()) {
        m.insert("description".into(), json!(d));
    }
    let id = m["id"].clone();
    m.insert("selfLinkWithId".into(), json!(link(&format!("projects/{pid}/global/networks/{}", id.as_str().unwrap_or("")))));
    m.insert("autoCreateSubnetworks".into(), json!(auto));
    m.insert("routingConfig".into(), routing);
    m.insert("mtu".into(), json!(mtu));
    let order = body.get("networkFirewallPolicyEnforcementOrder").cloned().unwrap_or(json!("AFTER_CLASSIC_FIREWALL"));
    m.insert("networkFirewallPolicyEnforcementOrder".into(), order);
    if let Some(v) = body.get("enableUlaInternalIpv6") {
        m.insert("enableUlaInternalIpv6".into(), v.clone());
    }
    store.put(NETWORKS, &key, Record::new(Value::Object(m), ctx.now_ms))?;
    // The default route to the internet every VPC network starts with.
    let route_name = format!("default-route-{}", ctx.new_id());
    let route_key = format!("projects/{pid}/global/routes/{route_name}");
    let mut route = new_resource(ctx, "compute#route", &route_key, &route_name);
    route.insert("description".into(), json!("Default route to the Internet."));
    route.insert("network".into(), json!(link(&key)));
    route.insert("destRange".into(), json!("0.0.0.0/0"));
    route.insert("priority".into(), json!(1000));
    route.insert("nextHopGateway".into(), json!(link(&format!("projects/{pid}/global/gateways/default-internet-gateway"))));
    store.put(ROUTES, &route_key, Record::new(Value::Object(route), ctx.now_ms))?;
    start_op(ctx, store, "insert", &key, &id, None)
}

fn int_of(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

fn check_mtu(mtu: i64) -> Result<(), ApiError> {
    if (1300..=8896).contains(&mtu) {
        Ok(())
    } else {
        Err(invalid(format!("Invalid value for field 'resource.mtu': '{mtu}'. Must be between 1300 and 8896.")))
    }
}

/// Fields a network patch may change.
const NETWORK_UPDATABLE: &[&str] = &["routingConfig", "mtu", "networkFirewallPolicyEnforcementOrder", "enableUlaInternalIpv6"];

fn patch_network(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, key: &str) -> Result<Value, ApiError> {
    let body = req.json_object()?;
    let mut record = store.get(NETWORKS, key).ok_or_else(|| not_found(key))?.clone();
    for (k, v) in &body {
        if OUTPUT_ONLY.contains(&k.as_str()) || NETWORK_UPDATABLE.contains(&k.as_str()) {
            continue;
        }
        if record.resource.get(k) != Some(v) {
            return Err(invalid(format!("Invalid value for field 'resource.{k}': {v}. Only routingConfig and mtu can be modified.")));
        }
    }
    if let Some(mtu) = body.get("mtu") {
        let mtu = int_of(mtu).ok_or_else(|| invalid(format!("Invalid value for field 'resource.mtu': {mtu}.")))?;
        check_mtu(mtu)?;
        record.resource["mtu"] = json!(mtu);
    }
    if let Some(r) = body.get("routingConfig") {
        super::merge_patch(&mut record.resource["routingConfig"], r);
    }
    for k in ["networkFirewallPolicyEnforcementOrder", "enableUlaInternalIpv6"] {
        if let Some(v) = body.get(k) {
            record.resource[k] = v.clone();
        }
    }
    let id = record.resource["id"].clone();
    store.put(NETWORKS, key, record)?;
    start_op(ctx, store, "patch", key, &id, None)
}

/// What uses the network `key` (store keys of subnetworks, firewalls,
/// addresses; peering names).
fn network_users(store: &Store, key: &str, record: &Record) -> Vec<String> {
    let net_link = link(key);
    let mut users: Vec<String> = [SUBNETWORKS, FIREWALLS, ADDRESSES]
        .iter()
        .flat_map(|c| store.iter(c).filter(|(_, r)| r.resource["network"] == net_link.as_str()).map(|(k, _)| k.clone()))
        .collect();
    for p in record.resource["peerings"].as_array().into_iter().flatten() {
        users.push(format!("{key}/peerings/{}", p["name"].as_str().unwrap_or("")));
    }
    users
}

fn delete_network(ctx: &mut Ctx, store: &mut Store, key: &str) -> Result<Value, ApiError> {
    let record = store.get(NETWORKS, key).ok_or_else(|| not_found(key))?.clone();
    let id = record.resource["id"].clone();
    let users = network_users(store, key, &record);
    if let Some(first) = users.first() {
        let error = OpError {
            code: "RESOURCE_IN_USE_BY_ANOTHER_RESOURCE",
            message: format!("The network resource '{key}' is already being used by '{first}'"),
            http: 400,
        };
        return start_op(ctx, store, "delete", key, &id, Some(error));
    }
    let net_link = link(key);
    let routes: Vec<String> = store.iter(ROUTES).filter(|(_, r)| r.resource["network"] == net_link.as_str()).map(|(k, _)| k.clone()).collect();
    for r in routes {
        store.remove(ROUTES, &r)?;
    }
    store.remove(NETWORKS, key)?;
    start_op(ctx, store, "delete", key, &id, None)
}

/// Adds or replaces a peering of a network (Service Networking's).
pub fn put_peering(store: &mut Store, network_key: &str, peering: Value) -> Result<(), ApiError> {
    let mut record = store.get(NETWORKS, network_key).ok_or_else(|| not_found(network_key))?.clone();
    let name = peering["name"].clone();
    let mut peerings: Vec<Value> = record.resource["peerings"].as_array().cloned().unwrap_or_default();
    peerings.retain(|p| p["name"] != name);
    peerings.push(peering);
    record.resource["peerings"] = Value::Array(peerings);
    store.put(NETWORKS, network_key, record)?;
    Ok(())
}

/// Removes a network's peering named `name`, if the network is there.
pub fn remove_peering(store: &mut Store, network_key: &str, name: &str) -> Result<(), ApiError> {
    let Some(mut record) = store.get(NETWORKS, network_key).cloned() else { return Ok(()) };
    let mut peerings: Vec<Value> = record.resource["peerings"].as_array().cloned().unwrap_or_default();
    peerings.retain(|p| p["name"] != name);
    match record.resource.as_object_mut() {
        Some(o) if peerings.is_empty() => {
            o.remove("peerings");
        }
        Some(o) => {
            o.insert("peerings".into(), Value::Array(peerings));
        }
        None => return Err(ApiError::internal("stored network is not an object")),
    }
    store.put(NETWORKS, network_key, record)?;
    Ok(())
}

/// Whether a network exists (for Service Networking).
pub fn network_exists(store: &Store, key: &str) -> bool {
    store.get(NETWORKS, key).is_some()
}

/// The `VPC_PEERING` range named `name` of the project `pid`, if it is in the
/// network `network_key`.
pub fn peering_range(store: &Store, pid: &str, name: &str, network_key: &str) -> Option<String> {
    let r = store.get(ADDRESSES, &format!("projects/{pid}/global/addresses/{name}"))?;
    let ok = r.resource["purpose"] == "VPC_PEERING" && r.resource["network"] == link(network_key).as_str();
    ok.then(|| format!("{}/{}", r.resource["address"].as_str().unwrap_or(""), r.resource["prefixLength"].as_i64().unwrap_or(32)))
}

/// A link to a network, as Compute writes it.
pub fn network_link(key: &str) -> String {
    link(key)
}

// ---------------------------------------------------------------- subnetworks

/// Fields a subnetwork patch may change.
const SUBNETWORK_UPDATABLE: &[&str] = &[
    "secondaryIpRanges", "role", "purpose", "logConfig", "stackType", "ipv6AccessType", "privateIpv6GoogleAccess",
    "allowSubnetCidrRoutesOverlap", "enableFlowLogs",
];

/// The secondary ranges of a request: named, well-formed, unique names.
fn secondary_ranges(v: Option<&Value>) -> Result<Vec<(String, Cidr)>, ApiError> {
    let mut out: Vec<(String, Cidr)> = Vec::new();
    for (i, s) in v.and_then(Value::as_array).into_iter().flatten().enumerate() {
        let name = s.get("rangeName").and_then(Value::as_str).unwrap_or("");
        if !valid_name(name) {
            return Err(invalid(format!("Invalid value for field 'resource.secondaryIpRanges[{i}].rangeName': '{name}'.")));
        }
        if out.iter().any(|(n, _)| n == name) {
            return Err(invalid(format!("Duplicate secondary range name '{name}'.")));
        }
        let range = s.get("ipCidrRange").and_then(Value::as_str).unwrap_or("");
        out.push((name.to_string(), parse_range(range, &format!("resource.secondaryIpRanges[{i}].ipCidrRange"))?));
    }
    Ok(out)
}

/// A flow-log configuration with Compute's defaults when enabled.
fn log_config(v: &Value) -> Result<Value, ApiError> {
    let mut c = v.clone();
    if c["enable"] == true {
        for (k, d) in [("aggregationInterval", json!("INTERVAL_5_SEC")), ("flowSampling", json!(0.5)), ("metadata", json!("INCLUDE_ALL_METADATA"))] {
            if c.get(k).is_none_or(Value::is_null) {
                c[k] = d;
            }
        }
        if c["metadataFields"].as_array().is_some_and(|a| !a.is_empty()) && c["metadata"] != "CUSTOM_METADATA" {
            return Err(invalid("logConfig.metadataFields can only be set with metadata CUSTOM_METADATA."));
        }
        Ok(c)
    } else if c.as_object().is_some_and(|o| o.keys().any(|k| k != "enable")) {
        Err(invalid("logConfig fields other than enable can only be set when flow logs are enabled."))
    } else {
        Ok(json!({ "enable": false }))
    }
}

fn check_role(purpose: &str, role: Option<&Value>) -> Result<(), ApiError> {
    let proxy = matches!(purpose, "REGIONAL_MANAGED_PROXY" | "GLOBAL_MANAGED_PROXY" | "INTERNAL_HTTPS_LOAD_BALANCER");
    match role {
        Some(r) if !r.is_null() && !proxy => Err(invalid(format!("role can only be set for proxy-only subnetworks, not purpose {purpose}."))),
        _ => Ok(()),
    }
}

fn insert_subnetwork(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, pid: &str, region: &str) -> Result<Value, ApiError> {
    check_region(pid, region)?;
    let body = req.json_object()?;
    let name = check_name(&body)?;
    let key = format!("projects/{pid}/regions/{region}/subnetworks/{name}");
    if store.get(SUBNETWORKS, &key).is_some() {
        return Err(ApiError::compute(409, "alreadyExists", format!("The resource '{key}' already exists")));
    }
    let network = body.get("network").and_then(Value::as_str).filter(|n| !n.is_empty()).ok_or_else(|| required("network"))?;
    let net = network_of(store, network, pid, "network")?;
    let primary = body.get("ipCidrRange").and_then(Value::as_str).filter(|r| !r.is_empty()).ok_or_else(|| required("ipCidrRange"))?;
    let primary = parse_range(primary, "resource.ipCidrRange")?;
    let secondary = secondary_ranges(body.get("secondaryIpRanges"))?;
    let mut ranges = vec![primary];
    ranges.extend(secondary.iter().map(|(_, c)| *c));
    check_free(&ranges, &taken_ranges(store, &net, None))?;
    let purpose = body.get("purpose").and_then(Value::as_str).unwrap_or("PRIVATE").to_string();
    check_role(&purpose, body.get("role"))?;

    let mut m = new_resource(ctx, "compute#subnetwork", &key, &name);
    if let Some(d) = body.get("description").and_then(Value::as_str).filter(|d| !d.is_empty()) {
        m.insert("description".into(), json!(d));
    }
    m.insert("network".into(), json!(link(&net)));
    m.insert("ipCidrRange".into(), json!(primary.to_string()));
    m.insert("gatewayAddress".into(), json!(primary.gateway()));
    m.insert("region".into(), json!(link(&format!("projects/{pid}/regions/{region}"))));
    m.insert("privateIpGoogleAccess".into(), json!(body.get("privateIpGoogleAccess").and_then(Value::as_bool).unwrap_or(false)));
    if !secondary.is_empty() {
        let s: Vec<Value> = secondary.iter().map(|(n, c)| json!({ "rangeName": n, "ipCidrRange": c.to_string() })).collect();
        m.insert("secondaryIpRanges".into(), Value::Array(s));
    }
    m.insert("purpose".into(), json!(purpose));
    if let Some(r) = body.get("role").filter(|r| !r.is_null()) {
        m.insert("role".into(), r.clone());
    }
    m.insert("stackType".into(), body.get("stackType").cloned().unwrap_or(json!("IPV4_ONLY")));
    m.insert("privateIpv6GoogleAccess".into(), body.get("privateIpv6GoogleAccess").cloned().unwrap_or(json!("DISABLE_GOOGLE_ACCESS")));
    if let Some(c) = body.get("logConfig").filter(|c| !c.is_null()) {
        m.insert("logConfig".into(), log_config(c)?);
    }
    for k in ["ipv6AccessType", "allowSubnetCidrRoutesOverlap"] {
        if let Some(v) = body.get(k) {
            m.insert(k.into(), v.clone());
        }
    }
    let mut resource = Value::Object(m);
    refingerprint(&mut resource);
    let id = resource["id"].clone();
    store.put(SUBNETWORKS, &key, Record::new(resource, ctx.now_ms))?;
    start_op(ctx, store, "insert", &key, &id, None)
}

/// The stored subnetwork `key`, and its network's key.
fn subnetwork(store: &Store, key: &str) -> Result<(Record, String), ApiError> {
    let record = store.get(SUBNETWORKS, key).ok_or_else(|| not_found(key))?.clone();
    let net = record.resource["network"].as_str().and_then(|n| n.strip_prefix(CANONICAL)).unwrap_or("").to_string();
    Ok((record, net))
}

fn patch_subnetwork(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, pid: &str, key: &str) -> Result<Value, ApiError> {
    let body = req.json_object()?;
    let (mut record, net) = subnetwork(store, key)?;
    match body.get("fingerprint").and_then(Value::as_str) {
        Some(f) if Some(f) == record.resource["fingerprint"].as_str() => {}
        _ => return Err(stale_fingerprint("fingerprint")),
    }
    for (k, v) in &body {
        if OUTPUT_ONLY.contains(&k.as_str()) || SUBNETWORK_UPDATABLE.contains(&k.as_str()) {
            continue;
        }
        let same = match k.as_str() {
            "network" => global_ref(store, v.as_str().unwrap_or(""), pid, "networks").as_deref() == Some(net.as_str()),
            _ => record.resource.get(k) == Some(v),
        };
        if !same {
            let hint = if k == "ipCidrRange" { " Use expandIpCidrRange to widen the range." } else { "" };
            return Err(invalid(format!("Invalid value for field 'resource.{k}': {v}. This field cannot be modified by patch.{hint}")));
        }
    }
    if body.contains_key("secondaryIpRanges") {
        let secondary = secondary_ranges(body.get("secondaryIpRanges"))?;
        let primary = record.resource["ipCidrRange"].as_str().and_then(Cidr::parse);
        let mut ranges: Vec<Cidr> = primary.into_iter().collect();
        ranges.extend(secondary.iter().map(|(_, c)| *c));
        check_free(&ranges, &taken_ranges(store, &net, Some(key)))?;
        let s: Vec<Value> = secondary.iter().map(|(n, c)| json!({ "rangeName": n, "ipCidrRange": c.to_string() })).collect();
        if let Some(o) = record.resource.as_object_mut() {
            if s.is_empty() {
                o.remove("secondaryIpRanges");
            } else {
                o.insert("secondaryIpRanges".into(), Value::Array(s));
            }
        }
    }
    if let Some(c) = body.get("logConfig") {
        record.resource["logConfig"] = if c.is_null() { json!({ "enable": false }) } else { log_config(c)? };
    }
    for k in SUBNETWORK_UPDATABLE.iter().filter(|k| !matches!(**k, "secondaryIpRanges" | "logConfig")) {
        if let Some(v) = body.get(*k) {
            match record.resource.as_object_mut() {
                Some(o) if v.is_null() => {
                    o.remove(*k);
                }
                Some(o) => {
                    o.insert((*k).to_string(), v.clone());
                }
                None => return Err(ApiError::internal("stored subnetwork is not an object")),
            }
        }
    }
    check_role(record.resource["purpose"].as_str().unwrap_or("PRIVATE"), record.resource.get("role"))?;
    refingerprint(&mut record.resource);
    let id = record.resource["id"].clone();
    store.put(SUBNETWORKS, key, record)?;
    start_op(ctx, store, "patch", key, &id, None)
}

fn expand_ip_cidr_range(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, key: &str) -> Result<Value, ApiError> {
    let body = req.json_object()?;
    let (mut record, net) = subnetwork(store, key)?;
    let wanted = body.get("ipCidrRange").and_then(Value::as_str).filter(|r| !r.is_empty()).ok_or_else(|| required("ipCidrRange"))?;
    let wanted = parse_range(wanted, "ipCidrRange")?;
    let current = record.resource["ipCidrRange"].as_str().and_then(Cidr::parse).ok_or_else(|| ApiError::internal("stored subnetwork has no range"))?;
    if !(wanted.contains(&current) && wanted.len < current.len) {
        return Err(invalid(format!(
            "Invalid IPCidrRange: {wanted} does not contain the current range {current} of subnetwork '{}'. A range can only be expanded \
             (a shorter prefix that contains it); narrowing or moving it needs a new subnetwork.",
            record.resource["name"].as_str().unwrap_or("")
        )));
    }
    let mut taken = taken_ranges(store, &net, Some(key));
    for s in record.resource["secondaryIpRanges"].as_array().into_iter().flatten() {
        if let Some(c) = s["ipCidrRange"].as_str().and_then(Cidr::parse) {
            taken.push((c, format!("secondary range '{}' of this subnetwork", s["rangeName"].as_str().unwrap_or(""))));
        }
    }
    check_free(&[wanted], &taken)?;
    record.resource["ipCidrRange"] = json!(wanted.to_string());
    refingerprint(&mut record.resource);
    let id = record.resource["id"].clone();
    store.put(SUBNETWORKS, key, record)?;
    start_op(ctx, store, "expandIpCidrRange", key, &id, None)
}

fn set_private_ip_google_access(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, key: &str) -> Result<Value, ApiError> {
    let body = req.json_object()?;
    let (mut record, _) = subnetwork(store, key)?;
    let on = body.get("privateIpGoogleAccess").and_then(Value::as_bool).ok_or_else(|| required("privateIpGoogleAccess"))?;
    record.resource["privateIpGoogleAccess"] = json!(on);
    refingerprint(&mut record.resource);
    let id = record.resource["id"].clone();
    store.put(SUBNETWORKS, key, record)?;
    start_op(ctx, store, "setPrivateIpGoogleAccess", key, &id, None)
}

// ---------------------------------------------------------------- firewalls

/// Protocols a firewall rule may name (or a number from 0 to 255).
const PROTOCOLS: &[&str] = &["tcp", "udp", "icmp", "esp", "ah", "sctp", "ipip", "all"];

/// `allowed` / `denied` rules: protocols lower-cased, ports only where they mean something.
fn firewall_rules(v: Option<&Value>, field: &str) -> Result<Vec<Value>, ApiError> {
    let mut out = Vec::new();
    for (i, r) in v.and_then(Value::as_array).into_iter().flatten().enumerate() {
        let raw = r.get("IPProtocol").and_then(Value::as_str).unwrap_or("");
        let proto = raw.to_ascii_lowercase();
        let numeric = proto.parse::<u8>().is_ok();
        if !numeric && !PROTOCOLS.contains(&proto.as_str()) {
            return Err(invalid(format!("Invalid value for field 'resource.{field}[{i}].IPProtocol': '{raw}'.")));
        }
        let ports: Vec<&str> = r.get("ports").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
        if !ports.is_empty() && !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
            return Err(invalid(format!("Invalid value for field 'resource.{field}[{i}].ports': ports need protocol tcp, udp or sctp.")));
        }
        for p in &ports {
            let ok = match p.split_once('-') {
                Some((a, b)) => matches!((a.parse::<u16>(), b.parse::<u16>()), (Ok(a), Ok(b)) if a <= b),
                None => p.parse::<u16>().is_ok(),
            };
            if !ok {
                return Err(invalid(format!("Invalid value for field 'resource.{field}[{i}].ports': '{p}'. Use a port or a range like 8000-8080.")));
            }
        }
        let mut rule = json!({ "IPProtocol": proto });
        if !ports.is_empty() {
            rule["ports"] = json!(ports);
        }
        out.push(rule);
    }
    Ok(out)
}

/// Checks a whole firewall (after insert defaults or a patch) and fills the
/// defaults Compute fills.
fn normalize_firewall(fw: &mut Map<String, Value>) -> Result<(), ApiError> {
    let allowed = firewall_rules(fw.get("allowed"), "allowed")?;
    let denied = firewall_rules(fw.get("denied"), "denied")?;
    if allowed.is_empty() == denied.is_empty() {
        return Err(invalid("Exactly one of 'allowed' or 'denied' must be set, with at least one rule."));
    }
    for (k, rules) in [("allowed", allowed), ("denied", denied)] {
        if rules.is_empty() {
            fw.remove(k);
        } else {
            fw.insert(k.into(), Value::Array(rules));
        }
    }
    let priority = fw.get("priority").and_then(int_of).unwrap_or(1000);
    if !(0..=65535).contains(&priority) {
        return Err(invalid(format!("Invalid value for field 'resource.priority': '{priority}'. Must be between 0 and 65535.")));
    }
    fw.insert("priority".into(), json!(priority));
    let list = |fw: &Map<String, Value>, k: &str| -> Vec<String> {
        fw.get(k).and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).map(str::to_string).collect()
    };
    for k in ["sourceRanges", "destinationRanges"] {
        for r in list(fw, k) {
            let ok = if r.contains(':') { r.split('/').next().is_some_and(|a| a.parse::<std::net::Ipv6Addr>().is_ok()) } else { Cidr::parse(&r).is_some() || r.parse::<Ipv4Addr>().is_ok() };
            if !ok {
                return Err(invalid(format!("Invalid value for field 'resource.{k}': '{r}'. Must be a CIDR range or an IP address.")));
            }
        }
    }
    let ingress = fw.get("direction").and_then(Value::as_str).unwrap_or("INGRESS") == "INGRESS";
    fw.insert("direction".into(), json!(if ingress { "INGRESS" } else { "EGRESS" }));
    if !ingress && (!list(fw, "sourceTags").is_empty() || !list(fw, "sourceServiceAccounts").is_empty()) {
        return Err(invalid("sourceTags and sourceServiceAccounts can only be set on INGRESS firewalls."));
    }
    if !list(fw, "sourceTags").is_empty() && !list(fw, "sourceServiceAccounts").is_empty() {
        return Err(invalid("sourceTags and sourceServiceAccounts cannot be used together."));
    }
    if !list(fw, "targetTags").is_empty() && !list(fw, "targetServiceAccounts").is_empty() {
        return Err(invalid("targetTags and targetServiceAccounts cannot be used together."));
    }
    // Empty lists are not shown, as Compute does.
    for k in ["sourceRanges", "destinationRanges", "sourceTags", "targetTags", "sourceServiceAccounts", "targetServiceAccounts"] {
        if fw.get(k).is_some_and(|v| v.as_array().is_none_or(Vec::is_empty)) {
            fw.remove(k);
        }
    }
    let no_source = ["sourceRanges", "sourceTags", "sourceServiceAccounts"].iter().all(|k| !fw.contains_key(*k));
    if ingress && no_source {
        fw.insert("sourceRanges".into(), json!(["0.0.0.0/0"]));
    }
    if !ingress && !fw.contains_key("destinationRanges") {
        fw.insert("destinationRanges".into(), json!(["0.0.0.0/0"]));
    }
    let log = fw.get("logConfig").cloned().unwrap_or(Value::Null);
    let log = if log["enable"] == true {
        json!({ "enable": true, "metadata": log.get("metadata").filter(|m| !m.is_null()).cloned().unwrap_or(json!("INCLUDE_ALL_METADATA")) })
    } else {
        json!({ "enable": false })
    };
    fw.insert("logConfig".into(), log);
    if !fw.get("disabled").is_some_and(Value::is_boolean) {
        fw.insert("disabled".into(), json!(false));
    }
    Ok(())
}

fn insert_firewall(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, pid: &str) -> Result<Value, ApiError> {
    let body = req.json_object()?;
    let name = check_name(&body)?;
    let key = format!("projects/{pid}/global/firewalls/{name}");
    if store.get(FIREWALLS, &key).is_some() {
        return Err(ApiError::compute(409, "alreadyExists", format!("The resource '{key}' already exists")));
    }
    let network = body.get("network").and_then(Value::as_str).filter(|n| !n.is_empty()).unwrap_or("global/networks/default");
    let net = network_of(store, network, pid, "network")?;
    let mut m = new_resource(ctx, "compute#firewall", &key, &name);
    for (k, v) in &body {
        if !OUTPUT_ONLY.contains(&k.as_str()) && k != "name" && k != "network" && !v.is_null() {
            m.insert(k.clone(), v.clone());
        }
    }
    m.insert("network".into(), json!(link(&net)));
    normalize_firewall(&mut m)?;
    let id = m["id"].clone();
    store.put(FIREWALLS, &key, Record::new(Value::Object(m), ctx.now_ms))?;
    start_op(ctx, store, "insert", &key, &id, None)
}

fn patch_firewall(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, pid: &str, key: &str) -> Result<Value, ApiError> {
    let body = req.json_object()?;
    let mut record = store.get(FIREWALLS, key).ok_or_else(|| not_found(key))?.clone();
    for k in ["name", "direction"] {
        if let Some(v) = body.get(k).filter(|v| !v.is_null()) {
            if record.resource.get(k) != Some(v) {
                return Err(invalid(format!("Invalid value for field 'resource.{k}': {v}. It cannot be changed; create a new firewall.")));
            }
        }
    }
    if let Some(n) = body.get("network").and_then(Value::as_str) {
        let same = global_ref(store, n, pid, "networks").map(|k| link(&k));
        if same.as_deref() != record.resource["network"].as_str() {
            return Err(invalid(format!("Invalid value for field 'resource.network': '{n}'. It cannot be changed; create a new firewall.")));
        }
    }
    let patch: Map<String, Value> = body.into_iter().filter(|(k, _)| !OUTPUT_ONLY.contains(&k.as_str()) && k != "network").collect();
    super::merge_patch(&mut record.resource, &Value::Object(patch));
    let Some(fw) = record.resource.as_object_mut() else { return Err(ApiError::internal("stored firewall is not an object")) };
    normalize_firewall(fw)?;
    let id = record.resource["id"].clone();
    store.put(FIREWALLS, key, record)?;
    start_op(ctx, store, "patch", key, &id, None)
}

// ---------------------------------------------------------------- global addresses

/// Labels as Compute accepts them.
fn check_labels(labels: &Value) -> Result<(), ApiError> {
    let Some(m) = labels.as_object() else { return Err(invalid("labels must be a map of strings.")) };
    if m.len() > 64 {
        return Err(invalid("At most 64 labels are allowed."));
    }
    for (k, v) in m {
        let key_ok = (1..=63).contains(&k.len())
            && k.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
            && k.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        let val = v.as_str().unwrap_or("\u{0}");
        let val_ok = val.len() <= 63 && val.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !key_ok || !val_ok {
            return Err(invalid(format!("Invalid label {k}={v}: keys start with a lowercase letter; keys and values use lowercase letters, digits, - and _ (at most 63).")));
        }
    }
    Ok(())
}

/// The first free block of prefix `len` in the private ranges of the network.
fn allocate_internal(taken: &[(Cidr, String)], len: u8) -> Option<Cidr> {
    for pool in ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] {
        let pool = Cidr::parse(pool)?;
        if len < pool.len {
            continue;
        }
        let step = 1u64 << (32 - u32::from(len));
        let end = u64::from(pool.base) + (1u64 << (32 - u32::from(pool.len)));
        let mut at = u64::from(pool.base);
        let mut tries = 0;
        while at < end && tries < 1 << 16 {
            let c = Cidr { base: u32::try_from(at).ok()?, len };
            if !taken.iter().any(|(t, _)| t.overlaps(&c)) {
                return Some(c);
            }
            at += step;
            tries += 1;
        }
    }
    None
}

fn insert_address(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, pid: &str) -> Result<Value, ApiError> {
    let body = req.json_object()?;
    let name = check_name(&body)?;
    let key = format!("projects/{pid}/global/addresses/{name}");
    if store.get(ADDRESSES, &key).is_some() {
        return Err(ApiError::compute(409, "alreadyExists", format!("The resource '{key}' already exists")));
    }
    let kind = body.get("addressType").and_then(Value::as_str).unwrap_or("EXTERNAL").to_string();
    let purpose = body.get("purpose").and_then(Value::as_str).map(str::to_string);
    let prefix = body.get("prefixLength").and_then(int_of);
    let given = body.get("address").and_then(Value::as_str).filter(|a| !a.is_empty());
    let mut m = new_resource(ctx, "compute#address", &key, &name);
    if let Some(d) = body.get("description").and_then(Value::as_str).filter(|d| !d.is_empty()) {
        m.insert("description".into(), json!(d));
    }
    match kind.as_str() {
        "INTERNAL" => {
            let network = body.get("network").and_then(Value::as_str).filter(|n| !n.is_empty()).ok_or_else(|| required("network"))?;
            let net = network_of(store, network, pid, "network")?;
            let taken = taken_ranges(store, &net, None);
            let (address, len) = match purpose.as_deref() {
                Some("VPC_PEERING") => {
                    let len = prefix.ok_or_else(|| required("prefixLength"))?;
                    let len = u8::try_from(len).ok().filter(|l| (8..=29).contains(l)).ok_or_else(|| {
                        invalid(format!("Invalid value for field 'resource.prefixLength': '{len}'. Must be between 8 and 29."))
                    })?;
                    let range = match given {
                        Some(a) => {
                            let c = parse_range(&format!("{a}/{len}"), "resource.address")?;
                            check_free(&[c], &taken)?;
                            c
                        }
                        None => allocate_internal(&taken, len).ok_or_else(|| invalid(format!("No free /{len} range is left in the network.")))?,
                    };
                    (Ipv4Addr::from(range.base).to_string(), Some(len))
                }
                Some("PRIVATE_SERVICE_CONNECT") => {
                    if prefix.is_some() {
                        return Err(invalid("prefixLength cannot be set for a PRIVATE_SERVICE_CONNECT address."));
                    }
                    let a = match given {
                        Some(a) => a.parse::<Ipv4Addr>().map_err(|_| invalid(format!("Invalid value for field 'resource.address': '{a}'.")))?.to_string(),
                        None => allocate_internal(&taken, 32).map(|c| Ipv4Addr::from(c.base).to_string()).ok_or_else(|| invalid("No free address is left in the network."))?,
                    };
                    (a, None)
                }
                other => {
                    return Err(invalid(format!(
                        "Invalid value for field 'resource.purpose': '{}'. A global INTERNAL address needs purpose VPC_PEERING or PRIVATE_SERVICE_CONNECT.",
                        other.unwrap_or("")
                    )))
                }
            };
            m.insert("address".into(), json!(address));
            if let Some(l) = len {
                m.insert("prefixLength".into(), json!(l));
            }
            m.insert("network".into(), json!(link(&net)));
        }
        "EXTERNAL" => {
            for k in ["network", "purpose", "prefixLength"] {
                if body.get(k).is_some_and(|v| !v.is_null()) {
                    return Err(invalid(format!("Invalid value for field 'resource.{k}': it can only be set on INTERNAL addresses.")));
                }
            }
            let v6 = body.get("ipVersion").and_then(Value::as_str) == Some("IPV6");
            let address = match given {
                Some(a) => a.to_string(),
                None if v6 => format!("2600:1901:0:{:x}::", ctx.ids.next_u64() & 0xffff),
                None => {
                    let n = ctx.ids.next_u64();
                    format!("34.{}.{}.{}", 64 + (n & 0x3f), (n >> 8) & 0xff, 1 + (n >> 16) % 254)
                }
            };
            m.insert("address".into(), json!(address));
            m.insert("networkTier".into(), body.get("networkTier").cloned().unwrap_or(json!("PREMIUM")));
        }
        other => return Err(invalid(format!("Invalid value for field 'resource.addressType': '{other}'."))),
    }
    m.insert("addressType".into(), json!(kind));
    if let Some(p) = purpose {
        m.insert("purpose".into(), json!(p));
    }
    if let Some(v) = body.get("ipVersion").filter(|v| !v.is_null()) {
        m.insert("ipVersion".into(), v.clone());
    }
    m.insert("status".into(), json!("RESERVED"));
    let labels = body.get("labels").cloned().unwrap_or(json!({}));
    check_labels(&labels)?;
    m.insert("labelFingerprint".into(), json!(fingerprint(&labels)));
    if labels.as_object().is_some_and(|l| !l.is_empty()) {
        m.insert("labels".into(), labels);
    }
    let id = m["id"].clone();
    store.put(ADDRESSES, &key, Record::new(Value::Object(m), ctx.now_ms))?;
    start_op(ctx, store, "insert", &key, &id, None)
}

fn set_labels(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, key: &str) -> Result<Value, ApiError> {
    let body = req.json_object()?;
    let mut record = store.get(ADDRESSES, key).ok_or_else(|| not_found(key))?.clone();
    match body.get("labelFingerprint").and_then(Value::as_str) {
        Some(f) if Some(f) == record.resource["labelFingerprint"].as_str() => {}
        _ => return Err(stale_fingerprint("labelFingerprint")),
    }
    let labels = body.get("labels").cloned().filter(|l| !l.is_null()).unwrap_or(json!({}));
    check_labels(&labels)?;
    record.resource["labelFingerprint"] = json!(fingerprint(&labels));
    if let Some(o) = record.resource.as_object_mut() {
        if labels.as_object().is_some_and(|l| !l.is_empty()) {
            o.insert("labels".into(), labels);
        } else {
            o.remove("labels");
        }
    }
    let id = record.resource["id"].clone();
    store.put(ADDRESSES, key, record)?;
    start_op(ctx, store, "setLabels", key, &id, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_arithmetic() {
        let a = Cidr::parse("10.0.0.0/24").unwrap();
        let wide = Cidr::parse("10.0.0.0/16").unwrap();
        let other = Cidr::parse("10.1.0.0/24").unwrap();
        assert!(wide.contains(&a) && !a.contains(&wide));
        assert!(a.overlaps(&wide) && wide.overlaps(&a));
        assert!(!a.overlaps(&other));
        assert!(!Cidr::parse("10.0.0.1/24").unwrap().aligned());
        assert_eq!(a.gateway(), "10.0.0.1");
        assert_eq!(Cidr::parse("10.0.0.0/33"), None);
        assert_eq!(Cidr::parse("nonsense"), None);
        assert_eq!(wide.to_string(), "10.0.0.0/16");
    }

    #[test]
    fn references_in_any_form() {
        let s = Store::in_memory();
        let key = Some("projects/p/global/networks/vpc".to_string());
        assert_eq!(global_ref(&s, "vpc", "p", "networks"), key);
        assert_eq!(global_ref(&s, "global/networks/vpc", "p", "networks"), key);
        assert_eq!(global_ref(&s, "projects/p/global/networks/vpc", "q", "networks"), key);
        assert_eq!(global_ref(&s, "https://www.googleapis.com/compute/v1/projects/p/global/networks/vpc", "q", "networks"), key);
        assert_eq!(global_ref(&s, "http://127.0.0.1:1/compute/beta/projects/p/global/networks/vpc", "q", "networks"), key);
        assert_eq!(global_ref(&s, "projects/p/global/firewalls/vpc", "p", "networks"), None);
        assert_eq!(global_ref(&s, "Bad_Name", "p", "networks"), None);
    }

    #[test]
    fn operations_are_polled_on_the_sandbox() {
        let op = json!({ "kind": "compute#operation", "selfLink": link("projects/p/global/operations/o"), "targetLink": link("x") });
        let out = pollable(op.clone(), "http://127.0.0.1:9");
        assert_eq!(out["selfLink"], "http://127.0.0.1:9/compute/v1/projects/p/global/operations/o");
        assert_eq!(out["targetLink"], link("x"), "resource links stay Google's");
        let net = json!({ "kind": "compute#network", "selfLink": link("projects/p/global/networks/n") });
        assert_eq!(pollable(net.clone(), "http://127.0.0.1:9"), net);
        assert_eq!(pollable(op.clone(), ""), op);
    }

    #[test]
    fn fingerprints_follow_content() {
        assert_eq!(fingerprint(&json!({"a": 1})), fingerprint(&json!({"a": 1})));
        assert_ne!(fingerprint(&json!({"a": 1})), fingerprint(&json!({"a": 2})));
        let mut r = json!({"a": 1, "fingerprint": "old"});
        refingerprint(&mut r);
        assert_eq!(r["fingerprint"], fingerprint(&json!({"a": 1})));
    }

    #[test]
    fn internal_ranges_avoid_what_is_taken() {
        let taken = vec![(Cidr::parse("10.0.0.0/16").unwrap(), "x".to_string())];
        assert_eq!(allocate_internal(&taken, 16), Cidr::parse("10.1.0.0/16"));
        assert_eq!(allocate_internal(&[], 24), Cidr::parse("10.0.0.0/24"));
    }

    #[test]
    fn firewall_defaults_and_rules() {
        let mut fw = json!({ "allowed": [{ "IPProtocol": "TCP", "ports": ["22", "8000-8080"] }] }).as_object().cloned().unwrap();
        normalize_firewall(&mut fw).unwrap();
        assert_eq!(fw["allowed"][0]["IPProtocol"], "tcp");
        assert_eq!(fw["sourceRanges"], json!(["0.0.0.0/0"]));
        assert_eq!(fw["priority"], 1000);
        assert_eq!(fw["direction"], "INGRESS");
        let mut both = json!({ "allowed": [{ "IPProtocol": "tcp" }], "denied": [{ "IPProtocol": "udp" }] }).as_object().cloned().unwrap();
        assert_eq!(normalize_firewall(&mut both).unwrap_err().code, 400);
        let mut bad_port = json!({ "allowed": [{ "IPProtocol": "icmp", "ports": ["22"] }] }).as_object().cloned().unwrap();
        assert_eq!(normalize_firewall(&mut bad_port).unwrap_err().code, 400);
        let mut egress = json!({ "direction": "EGRESS", "denied": [{ "IPProtocol": "all" }] }).as_object().cloned().unwrap();
        normalize_firewall(&mut egress).unwrap();
        assert_eq!(egress["destinationRanges"], json!(["0.0.0.0/0"]));
        assert!(egress.get("sourceRanges").is_none());
    }
}
