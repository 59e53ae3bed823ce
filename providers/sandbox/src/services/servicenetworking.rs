//! Service Networking v1: private services access connections, the VPC
//! peering between a consumer network and Google's service producers.
//!
//! Owns, under `servicenetworking/v1/`:
//! - `services/{service}/connections`: `create` (POST) and `list` (GET,
//!   `network` required);
//! - `services/{service}/connections/{name}`: `patch` (`updateMask` =
//!   `reservedPeeringRanges` or `*`; removing a range needs `force=true`)
//!   and `:deleteConnection` (`{consumerNetwork}`); `{name}` is the peering
//!   (`servicenetworking-googleapis-com`) or `-`;
//! - `operations/{id}`: get (google.longrunning, shared with Service Usage).
//!
//! Writes answer an operation done after `op_latency`. What Google refuses
//! inside the operation is refused there: a network that does not exist
//! (NOT_FOUND), an allocated range that is not a `VPC_PEERING` global
//! address of that network, different ranges for an existing connection
//! ("Cannot modify allocated ranges in CreateConnection"), removing a range
//! without `force` (FAILED_PRECONDITION). A connection adds the peering
//! `servicenetworking-googleapis-com` to the network's `peerings[]`
//! (Compute's view, `compute.rs`), which then cannot be deleted until the
//! connection is; `deleteConnection` removes both. Only the service
//! `servicenetworking.googleapis.com` is known. Every request but
//! operations needs `servicenetworking.googleapis.com` enabled in the
//! consumer project (403 SERVICE_DISABLED).
//!
//! Validation by hand: the repository has no Discovery document for this
//! API, so the server's Discovery check passes its requests through and
//! this module checks them itself: a body may hold only the known fields
//! (`network`, `reservedPeeringRanges`, `service`, `peering` for a
//! Connection; `consumerNetwork` for `deleteConnection`), with their JSON
//! types; query parameters are each method's own (`network`; `updateMask`,
//! `force`) plus Google's standard ones. Anything else is 400
//! INVALID_ARGUMENT as Google words it.
//!
//! Networks are named `projects/{project}/global/networks/{name}`, the
//! project by number as Google asks (an id is accepted too).
//!
//! Does not own: other producer services, `searchRange`,
//! `validate`, `addSubnetwork`, DNS zones and peered DNS domains,
//! `enableVpcServiceControls`, `connections.list` across services (`-`).
//!
//! Store: `servicenetworking.connections`, keyed
//! `{service}/projects/{number}/global/networks/{name}`; operations in
//! `longrunning.operations`.

use super::{compute, resolve_project, serviceusage, ApiRequest, Ctx, Project, Reply};
use crate::error::ApiError;
use crate::operation;
use crate::store::{Record, Store};
use serde_json::{json, Map, Value};

pub const CONNECTIONS: &str = "servicenetworking.connections";

/// The only producer service the sandbox knows, and its API name.
pub const SERVICE: &str = "servicenetworking.googleapis.com";

/// The peering a connection adds to the consumer network.
pub const PEERING: &str = "servicenetworking-googleapis-com";

/// Query parameters every Google API takes.
const STANDARD_PARAMS: &[&str] =
    &["$.xgafv", "access_token", "alt", "callback", "fields", "key", "oauth_token", "prettyPrint", "quotaUser", "upload_protocol", "uploadType"];

/// Fields of a Connection.
const CONNECTION_FIELDS: &[&str] = &["network", "reservedPeeringRanges", "service", "peering"];

/// Answers one Service Networking request.
pub fn handle(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest) -> Result<Reply, ApiError> {
    let segs: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    let verb = req.verb.as_deref();
    match (req.method.as_str(), segs.as_slice(), verb) {
        ("GET", ["operations", id], None) => {
            check_query(req, &[])?;
            Ok(Reply::Json(operation::get(store, &format!("operations/{id}"), ctx.now_ms)?))
        }
        ("GET", ["services", s, "connections"], None) => list(ctx, store, req, s),
        ("POST", ["services", s, "connections"], None) => create(ctx, store, req, s),
        ("PATCH", ["services", s, "connections", name], None) => patch(ctx, store, req, s, name),
        ("POST", ["services", s, "connections", name], Some("deleteConnection")) => delete(ctx, store, req, s, name),
        _ => Err(ApiError::unknown_route(&req.method, &req.segments.join("/"))),
    }
}

// ---------------------------------------------------------------- checks by hand

fn check_query(req: &ApiRequest, own: &[&str]) -> Result<(), ApiError> {
    for (k, _) in &req.query {
        if !own.contains(&k.as_str()) && !STANDARD_PARAMS.contains(&k.as_str()) {
            return Err(ApiError::bad_request(format!(
                "Invalid JSON payload received. Unknown name \"{k}\": Cannot bind query parameter. Field '{k}' could not be found in request message."
            )));
        }
    }
    Ok(())
}

/// The body, which may hold only `fields`; strings and string lists typed.
fn check_body(req: &ApiRequest, fields: &[&str], message: &str) -> Result<Map<String, Value>, ApiError> {
    let body = req.json_object()?;
    for (k, v) in &body {
        if !fields.contains(&k.as_str()) {
            return Err(ApiError::bad_request(format!(
                "Invalid JSON payload received. Unknown name \"{k}\" at '{message}': Cannot find field."
            )));
        }
        let ok = match k.as_str() {
            "reservedPeeringRanges" => v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
            _ => v.is_string(),
        };
        if !ok && !v.is_null() {
            return Err(ApiError::bad_request(format!(
                "Invalid JSON payload received. Invalid value at '{message}.{k}' ({v}): expected {}.",
                if k == "reservedPeeringRanges" { "a list of strings" } else { "a string" }
            )));
        }
    }
    Ok(body)
}

fn check_service(service: &str) -> Result<(), ApiError> {
    if service == SERVICE {
        Ok(())
    } else {
        Err(ApiError::not_found(format!("Service 'services/{service}' not found: the sandbox knows only {SERVICE}.")))
    }
}

/// A consumer network `projects/{project}/global/networks/{name}`: its
/// project (which must have the API enabled) and name.
fn consumer_network(ctx: &Ctx, store: &mut Store, value: &str, field: &str) -> Result<(Project, String), ApiError> {
    let parts: Vec<&str> = value.split('/').collect();
    let (p, n) = match parts.as_slice() {
        ["projects", p, "global", "networks", n] if !p.is_empty() && !n.is_empty() => (*p, *n),
        _ => {
            return Err(ApiError::invalid(format!(
                "Invalid {field} '{value}': use projects/{{project number}}/global/networks/{{network name}}."
            )))
        }
    };
    let project = resolve_project(store, ctx.now_ms, p)?;
    serviceusage::require_enabled(ctx, store, &project.number, SERVICE)?;
    Ok((project, n.to_string()))
}

fn connection_key(service: &str, project: &Project, network: &str) -> String {
    format!("{service}/projects/{}/global/networks/{network}", project.number)
}

fn compute_key(project: &Project, network: &str) -> String {
    format!("projects/{}/global/networks/{network}", project.id)
}

/// The allocated ranges of a request: at least one.
fn ranges_of(body: &Map<String, Value>) -> Result<Vec<String>, ApiError> {
    let ranges: Vec<String> =
        body.get("reservedPeeringRanges").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).map(str::to_string).collect();
    if ranges.is_empty() {
        return Err(ApiError::invalid("reservedPeeringRanges must name at least one allocated IP range."));
    }
    Ok(ranges)
}

/// Every range must be a `VPC_PEERING` global address of the network.
fn check_ranges(store: &Store, project: &Project, network: &str, ranges: &[String]) -> Result<(), ApiError> {
    let key = compute_key(project, network);
    if !compute::network_exists(store, &key) {
        return Err(ApiError::not_found(format!("Network 'projects/{}/global/networks/{network}' not found.", project.number)));
    }
    for r in ranges {
        if compute::peering_range(store, &project.id, r, &key).is_none() {
            return Err(ApiError::failed_precondition(format!(
                "Allocated IP range '{r}' not found in network: reserve it first as a global address with purpose VPC_PEERING in \
                 network '{network}'."
            )));
        }
    }
    Ok(())
}

fn typed(connection: &Value) -> Value {
    let mut out = json!({ "@type": "type.googleapis.com/google.cloud.servicenetworking.v1.Connection" });
    if let (Some(o), Some(c)) = (out.as_object_mut(), connection.as_object()) {
        o.extend(c.clone());
    }
    out
}

fn start(ctx: &mut Ctx, store: &mut Store, project: &Project, outcome: Result<Value, ApiError>) -> Result<Reply, ApiError> {
    let name = format!("operations/pssn.p24-{}-{}", project.number, ctx.new_id());
    let done_at = ctx.op_done_at();
    Ok(Reply::Json(operation::start(store, &name, ctx.now_ms, done_at, None, outcome)?))
}

// ---------------------------------------------------------------- methods

fn list(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, service: &str) -> Result<Reply, ApiError> {
    check_query(req, &["network"])?;
    check_service(service)?;
    let network = req.param("network").filter(|n| !n.is_empty()).ok_or_else(|| ApiError::required("network"))?;
    let (project, name) = consumer_network(ctx, store, network, "network")?;
    let key = connection_key(service, &project, &name);
    let found: Vec<Value> = store.get(CONNECTIONS, &key).map(|r| r.resource.clone()).into_iter().collect();
    Ok(Reply::Json(if found.is_empty() { json!({}) } else { json!({ "connections": found }) }))
}

fn create(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, service: &str) -> Result<Reply, ApiError> {
    check_query(req, &[])?;
    check_service(service)?;
    let body = check_body(req, CONNECTION_FIELDS, "connection")?;
    let network = body.get("network").and_then(Value::as_str).filter(|n| !n.is_empty()).ok_or_else(|| ApiError::required("network"))?;
    let ranges = ranges_of(&body)?;
    let (project, name) = consumer_network(ctx, store, network, "network")?;
    let key = connection_key(service, &project, &name);
    let outcome = match check_ranges(store, &project, &name, &ranges) {
        Err(e) => Err(e),
        Ok(()) => match store.get(CONNECTIONS, &key) {
            Some(existing) => {
                let mut old: Vec<&str> = existing.resource["reservedPeeringRanges"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
                let mut new: Vec<&str> = ranges.iter().map(String::as_str).collect();
                old.sort_unstable();
                new.sort_unstable();
                if old == new {
                    Ok(typed(&existing.resource))
                } else {
                    Err(ApiError::failed_precondition("Cannot modify allocated ranges in CreateConnection. Please use UpdateConnection."))
                }
            }
            None => {
                let connection = json!({
                    "network": format!("projects/{}/global/networks/{name}", project.number),
                    "reservedPeeringRanges": ranges,
                    "peering": PEERING,
                    "service": format!("services/{service}"),
                });
                store.put(CONNECTIONS, &key, Record::new(connection.clone(), ctx.now_ms))?;
                let peering = json!({
                    "name": PEERING,
                    "network": compute::network_link(&format!("projects/sn-{}-tp/global/networks/servicenetworking", project.number)),
                    "state": "ACTIVE",
                    "stateDetails": format!("[{}]: Connected.", ctx.now_rfc3339()),
                    "autoCreateRoutes": true,
                    "exchangeSubnetRoutes": true,
                    "exportCustomRoutes": false,
                    "importCustomRoutes": false,
                    "exportSubnetRoutesWithPublicIp": false,
                    "importSubnetRoutesWithPublicIp": false,
                    "stackType": "IPV4_ONLY",
                });
                compute::put_peering(store, &compute_key(&project, &name), peering)?;
                Ok(typed(&connection))
            }
        },
    };
    start(ctx, store, &project, outcome)
}

/// The connection `{name}` of a path names: the peering, or `-`.
fn check_connection_name(name: &str) -> Result<(), ApiError> {
    if name == PEERING || name == "-" {
        Ok(())
    } else {
        Err(ApiError::not_found(format!("Connection '{name}' not found: connections are named {PEERING} (or -).")))
    }
}

fn patch(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, service: &str, name: &str) -> Result<Reply, ApiError> {
    check_query(req, &["updateMask", "force"])?;
    check_service(service)?;
    check_connection_name(name)?;
    match req.param("updateMask").unwrap_or("*") {
        "*" | "reservedPeeringRanges" | "reserved_peering_ranges" => {}
        other => return Err(ApiError::invalid(format!("Invalid updateMask '{other}': only reservedPeeringRanges can be updated."))),
    }
    let force = match req.param("force") {
        None | Some("false") => false,
        Some("true") => true,
        Some(v) => return Err(ApiError::bad_request(format!("Invalid value at 'force' (TYPE_BOOL), \"{v}\""))),
    };
    let body = check_body(req, CONNECTION_FIELDS, "connection")?;
    let network = body.get("network").and_then(Value::as_str).filter(|n| !n.is_empty()).ok_or_else(|| ApiError::required("network"))?;
    let ranges = ranges_of(&body)?;
    let (project, net) = consumer_network(ctx, store, network, "network")?;
    let key = connection_key(service, &project, &net);
    let mut record = store
        .get(CONNECTIONS, &key)
        .cloned()
        .ok_or_else(|| ApiError::not_found(format!("No connection to {service} in network '{network}'.")))?;
    let removed: Vec<String> = record.resource["reservedPeeringRanges"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter(|r| !ranges.iter().any(|x| x == r))
        .map(str::to_string)
        .collect();
    let outcome = match check_ranges(store, &project, &net, &ranges) {
        Err(e) => Err(e),
        Ok(()) if !removed.is_empty() && !force => Err(ApiError::failed_precondition(format!(
            "Removing allocated ranges ({}) from a connection needs force=true.",
            removed.join(", ")
        ))),
        Ok(()) => {
            record.resource["reservedPeeringRanges"] = json!(ranges);
            let out = typed(&record.resource);
            store.put(CONNECTIONS, &key, record)?;
            Ok(out)
        }
    };
    start(ctx, store, &project, outcome)
}

fn delete(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, service: &str, name: &str) -> Result<Reply, ApiError> {
    check_query(req, &[])?;
    check_service(service)?;
    check_connection_name(name)?;
    let body = check_body(req, &["consumerNetwork"], "delete_connection_request")?;
    let network =
        body.get("consumerNetwork").and_then(Value::as_str).filter(|n| !n.is_empty()).ok_or_else(|| ApiError::required("consumerNetwork"))?;
    let (project, net) = consumer_network(ctx, store, network, "consumerNetwork")?;
    let key = connection_key(service, &project, &net);
    if store.remove(CONNECTIONS, &key)?.is_none() {
        return Err(ApiError::not_found(format!("No connection to {service} in network '{network}'.")));
    }
    compute::remove_peering(store, &compute_key(&project, &net), PEERING)?;
    start(ctx, store, &project, Ok(json!({ "@type": "type.googleapis.com/google.protobuf.Empty" })))
}
