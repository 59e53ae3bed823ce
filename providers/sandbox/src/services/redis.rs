//! Memorystore for Redis v1: instances (their settings; no data, no
//! failover, import, export or maintenance rescheduling).
//!
//! Owns: `instances.create|get|list|patch|upgrade|getAuthString|delete`
//! under `v1/projects/{project}/locations/{region}` and `operations.get`
//! for the operations they start, with Google's rules: create, patch,
//! upgrade and delete are long-running operations (`op_latency`); a new
//! instance is listed at once in state CREATING and is READY when its
//! operation is done; while any operation of an instance runs (CREATING,
//! UPDATING, DELETING) another mutation of it is 400 FAILED_PRECONDITION
//! ("ongoing operations", as Google answers); the `instanceId` is 2 to 40
//! lowercase letters, digits and hyphens, starting with a letter and not
//! ending with a hyphen; a taken id is 409 ALREADY_EXISTS; `tier` (BASIC or
//! STANDARD_HA) and `memorySizeGb` (1 to 300) are required; replicas only on
//! STANDARD_HA (1 to 5); `authorizedNetwork` defaults to the project's
//! `default` network, `connectMode` to DIRECT_PEERING,
//! `transitEncryptionMode` to DISABLED, `redisVersion` to the newest; the
//! server picks `locationId` (zone `-a` of the region; `-b` as the
//! alternative of STANDARD_HA), `host` (10.x.y.z), `port` 6379 and
//! `reservedIpRange`; a patch changes only what `updateMask` names (which is
//! required), and naming a field that cannot change is 400; an upgrade may
//! not go to an older version. The AUTH string is kept out of the instance:
//! `getAuthString` answers it when `authEnabled`. Answers leave out `false`,
//! `""`, `0` and empty maps, as proto3 JSON does.
//! `redis.googleapis.com` must be enabled in the project.
//!
//! Does not own: persistence, maintenance schedules, server CA
//! certificates, `nodes`, customer-managed keys beyond their presence,
//! operations list and cancel, list filters.
//!
//! Store: `redis.instances` keyed
//! `projects/{number}/locations/{region}/instances/{id}` (the resource's
//! `name` uses the project id, as Google's does), with hidden
//! `effectiveMs` (when the create is done), `busyUntilMs` (when the last
//! patch or upgrade is), `deleteAtMs` (when the delete is) and `authString`.
//! Operations live in `longrunning.operations`, named
//! `projects/{projectId}/locations/{region}/operations/operation-{id}`.

use super::{list_reply, page, resolve_project, serviceusage, valid_label_key, valid_location, ApiRequest, Ctx, Project, Reply};
use crate::error::ApiError;
use crate::operation;
use crate::store::{Record, Store};
use serde_json::{json, Map, Value};

pub const INSTANCES: &str = "redis.instances";

/// The service every request needs enabled.
const SERVICE: &str = "redis.googleapis.com";

const TIERS: &[&str] = &["BASIC", "STANDARD_HA"];
/// Oldest first: an upgrade goes right only.
const VERSIONS: &[&str] = &["REDIS_3_2", "REDIS_4_0", "REDIS_5_0", "REDIS_6_X", "REDIS_7_0", "REDIS_7_2"];
const CONNECT_MODES: &[&str] = &["DIRECT_PEERING", "PRIVATE_SERVICE_ACCESS"];
const TRANSIT_MODES: &[&str] = &["DISABLED", "SERVER_AUTHENTICATION"];
const READ_REPLICAS_MODES: &[&str] = &["READ_REPLICAS_DISABLED", "READ_REPLICAS_ENABLED"];
const DAYS: &[&str] = &["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"];
const MAX_MEMORY_GB: i64 = 300;
const MAX_REPLICAS: i64 = 5;
const MAX_LABELS: usize = 64;
const MAX_PAGE: i64 = 1000;
const PORT: i64 = 6379;

/// Fields a patch may change (top level of an `updateMask` path).
const UPDATABLE: &[&str] =
    &["displayName", "labels", "memorySizeGb", "redisConfigs", "authEnabled", "replicaCount", "readReplicasMode", "maintenancePolicy", "persistenceConfig", "secondaryIpRange"];

/// Fields only the server sets; ignored in requests.
const OUTPUT_ONLY: &[&str] = &[
    "name",
    "host",
    "port",
    "currentLocationId",
    "createTime",
    "state",
    "statusMessage",
    "persistenceIamIdentity",
    "readEndpoint",
    "readEndpointPort",
    "serverCaCerts",
    "nodes",
    "maintenanceSchedule",
    "availableMaintenanceVersions",
    "satisfiesPzs",
    "satisfiesPzi",
    "suspensionReasons",
];

const INSTANCE_TYPE: &str = "type.googleapis.com/google.cloud.redis.v1.Instance";
const METADATA_TYPE: &str = "type.googleapis.com/google.cloud.redis.v1.OperationMetadata";
const EMPTY_TYPE: &str = "type.googleapis.com/google.protobuf.Empty";

/// The project and region a request is under.
struct Parent {
    project: Project,
    region: String,
}

impl Parent {
    fn key(&self, id: &str) -> String {
        format!("{}{id}", self.key_prefix())
    }

    fn key_prefix(&self) -> String {
        format!("projects/{}/locations/{}/instances/", self.project.number, self.region)
    }

    /// The resource name of instance `id`, as Google spells it.
    fn name(&self, id: &str) -> String {
        format!("projects/{}/locations/{}/instances/{id}", self.project.id, self.region)
    }

    /// Operation `last` (`operation-{id}`).
    fn operation_name(&self, last: &str) -> String {
        format!("projects/{}/locations/{}/operations/{last}", self.project.id, self.region)
    }
}

/// Answers one Memorystore request.
pub fn handle(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest) -> Result<Reply, ApiError> {
    let segs: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    let (p, region, rest) = match segs.as_slice() {
        ["projects", p, "locations", l, rest @ ..] => (*p, *l, rest),
        _ => return Err(ApiError::unknown_route(&req.method, &req.segments.join("/"))),
    };
    let project = resolve_project(store, ctx.now_ms, p)?;
    serviceusage::require_enabled(ctx, store, &project.number, SERVICE)?;
    if !valid_location(region) {
        return Err(ApiError::invalid(format!("Invalid location '{region}'.")));
    }
    sweep_deleted(ctx, store)?;
    let parent = Parent { project, region: region.to_string() };
    match (req.method.as_str(), rest, req.verb.as_deref()) {
        ("POST", ["instances"], None) => create(ctx, store, req, &parent),
        ("GET", ["instances"], None) => list(ctx, store, req, &parent),
        ("GET", ["instances", id], None) => Ok(Reply::Json(render(ctx, existing(store, &parent, id)?))),
        ("GET", ["instances", id, "authString"], None) => auth_string(store, &parent, id),
        ("PATCH", ["instances", id], None) => patch(ctx, store, req, &parent, id),
        ("POST", ["instances", id], Some("upgrade")) => upgrade(ctx, store, req, &parent, id),
        ("DELETE", ["instances", id], None) => delete(ctx, store, &parent, id),
        ("GET", ["operations", id], None) => Ok(Reply::Json(operation::get(store, &parent.operation_name(id), ctx.now_ms)?)),
        _ => Err(ApiError::unknown_route(&req.method, &req.segments.join("/"))),
    }
}

/// `^[a-z][a-z0-9-]{0,39}[a-z0-9]$`.
fn valid_instance_id(id: &str) -> bool {
    let b = id.as_bytes();
    (2..=41).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b.last().is_some_and(|c| *c != b'-')
}

fn deleted(ctx: &Ctx, r: &Record) -> bool {
    let at = r.hidden_i64("deleteAtMs");
    at > 0 && ctx.now_ms >= at
}

/// Removes the instances whose delete operation is done.
fn sweep_deleted(ctx: &Ctx, store: &mut Store) -> Result<(), ApiError> {
    let done: Vec<String> = store.iter(INSTANCES).filter(|(_, r)| deleted(ctx, r)).map(|(k, _)| k.clone()).collect();
    for key in done {
        store.remove(INSTANCES, &key)?;
    }
    Ok(())
}

/// Instance `id`; 404 otherwise.
fn existing<'a>(store: &'a Store, parent: &Parent, id: &str) -> Result<&'a Record, ApiError> {
    store
        .get(INSTANCES, &parent.key(id))
        .ok_or_else(|| ApiError::not_found(format!("Resource '{}' was not found", parent.name(id))))
}

/// The state of an instance as of now.
fn state(ctx: &Ctx, r: &Record) -> &'static str {
    if r.hidden_i64("deleteAtMs") > 0 {
        "DELETING"
    } else if ctx.now_ms < r.hidden_i64("effectiveMs") {
        "CREATING"
    } else if ctx.now_ms < r.hidden_i64("busyUntilMs") {
        "UPDATING"
    } else {
        "READY"
    }
}

/// The instance as Google answers it now.
fn render(ctx: &Ctx, r: &Record) -> Value {
    let mut out = r.resource.clone();
    out["state"] = json!(state(ctx, r));
    out
}

/// 400 FAILED_PRECONDITION unless the instance is READY.
fn require_ready(ctx: &Ctx, r: &Record, what: &str) -> Result<(), ApiError> {
    match state(ctx, r) {
        "READY" => Ok(()),
        s => Err(ApiError::failed_precondition(format!(
            "Unable to {what} due to ongoing operations (the instance is {s}). Please wait until instance is in READY state."
        ))),
    }
}

fn int_field(m: &Map<String, Value>, key: &str) -> Result<Option<i64>, ApiError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| ApiError::invalid(format!("{key} must be an integer."))),
        Some(Value::String(s)) => s.parse().map(Some).map_err(|_| ApiError::invalid(format!("{key} must be an integer."))),
        Some(_) => Err(ApiError::invalid(format!("{key} must be an integer."))),
    }
}

fn str_field<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    m.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn one_of(m: &Map<String, Value>, key: &str, allowed: &[&str]) -> Result<(), ApiError> {
    match str_field(m, key) {
        Some(v) if !allowed.contains(&v) => Err(ApiError::invalid(format!("Invalid value for {key}: '{v}'. Expected one of {}.", allowed.join(", ")))),
        _ => Ok(()),
    }
}

/// Checks what an instance would hold (after a create or a patch).
fn check_fields(inst: &Map<String, Value>) -> Result<(), ApiError> {
    let tier = str_field(inst, "tier").unwrap_or("");
    if !TIERS.contains(&tier) {
        return Err(ApiError::invalid(format!("Invalid tier '{tier}': expected BASIC or STANDARD_HA.")));
    }
    match int_field(inst, "memorySizeGb")? {
        Some(gb) if (1..=MAX_MEMORY_GB).contains(&gb) => {}
        Some(gb) => return Err(ApiError::invalid(format!("Invalid memorySizeGb {gb}: an instance has 1 to {MAX_MEMORY_GB} GB."))),
        None => return Err(ApiError::invalid("memorySizeGb must be specified.")),
    }
    one_of(inst, "connectMode", CONNECT_MODES)?;
    one_of(inst, "transitEncryptionMode", TRANSIT_MODES)?;
    one_of(inst, "readReplicasMode", READ_REPLICAS_MODES)?;
    if let Some(v) = str_field(inst, "redisVersion") {
        if !VERSIONS.contains(&v) {
            return Err(ApiError::invalid(format!("Unsupported redisVersion '{v}'.")));
        }
    }
    let replicas = int_field(inst, "replicaCount")?.unwrap_or(0);
    if tier == "BASIC" && (replicas != 0 || str_field(inst, "readReplicasMode") == Some("READ_REPLICAS_ENABLED")) {
        return Err(ApiError::invalid("Replicas are only supported by the STANDARD_HA tier."));
    }
    if tier == "STANDARD_HA" && !(0..=MAX_REPLICAS).contains(&replicas) {
        return Err(ApiError::invalid(format!("Invalid replicaCount {replicas}: 0 to {MAX_REPLICAS}.")));
    }
    if let Some(labels) = inst.get("labels").filter(|l| !l.is_null()) {
        let Some(m) = labels.as_object() else { return Err(ApiError::invalid("labels must be a map.")) };
        if m.len() > MAX_LABELS {
            return Err(ApiError::invalid(format!("An instance can have at most {MAX_LABELS} labels.")));
        }
        for (k, v) in m {
            if !valid_label_key(k) || v.as_str().is_none_or(|v| v.len() > 63) {
                return Err(ApiError::invalid(format!("Invalid label: '{k}'.")));
            }
        }
    }
    if let Some(configs) = inst.get("redisConfigs").filter(|c| !c.is_null()) {
        let ok = configs.as_object().is_some_and(|m| m.values().all(Value::is_string));
        if !ok {
            return Err(ApiError::invalid("redisConfigs must be a map of strings."));
        }
    }
    if let Some(w) = inst.get("maintenancePolicy").and_then(|p| p.get("weeklyMaintenanceWindow")).and_then(Value::as_array) {
        for window in w {
            let day = window.get("day").and_then(Value::as_str).unwrap_or("");
            if !DAYS.contains(&day) {
                return Err(ApiError::invalid(format!("Invalid maintenance window day '{day}'.")));
            }
            let start = window.get("startTime");
            let hours = start.and_then(|s| s.get("hours")).and_then(Value::as_i64).unwrap_or(0);
            let minutes = start.and_then(|s| s.get("minutes")).and_then(Value::as_i64).unwrap_or(0);
            if !(0..=23).contains(&hours) || !(0..=59).contains(&minutes) {
                return Err(ApiError::invalid("Invalid maintenance window start time."));
            }
        }
    }
    Ok(())
}

/// The proto3 JSON form: `false`, `""`, `0` and empty maps left out.
fn canonicalize(inst: &mut Map<String, Value>) {
    if let Some(gb) = int_field(inst, "memorySizeGb").ok().flatten() {
        inst.insert("memorySizeGb".into(), json!(gb));
    }
    if let Some(n) = int_field(inst, "replicaCount").ok().flatten() {
        inst.insert("replicaCount".into(), json!(n));
    }
    inst.retain(|_, v| match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::String(s) => !s.is_empty(),
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
    });
}

/// A stable number from a name, for addresses.
fn hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

fn new_auth_string(ctx: &mut Ctx) -> String {
    let (a, b) = (ctx.new_id(), ctx.new_id());
    format!("{}-{}-{}-{}-{}", &a[..8], &a[8..12], &a[12..16], &b[..4], &b[4..16])
}

/// `instances.create`: an operation; the instance is CREATING until it is done.
fn create(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, parent: &Parent) -> Result<Reply, ApiError> {
    let id = req.param("instanceId").unwrap_or("");
    if id.is_empty() {
        return Err(ApiError::invalid("instance_id must be specified."));
    }
    if !valid_instance_id(id) {
        return Err(ApiError::invalid(format!(
            "Invalid instance id '{id}': use 2 to 40 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen."
        )));
    }
    let mut body = req.json_object()?;
    for field in OUTPUT_ONLY {
        body.remove(*field);
    }
    check_fields(&body)?;
    let key = parent.key(id);
    let name = parent.name(id);
    if store.get(INSTANCES, &key).is_some() {
        return Err(ApiError::already_exists(format!("Instance {name} already exists.")));
    }
    let tier = str_field(&body, "tier").unwrap_or("BASIC").to_string();
    let mut inst = Map::new();
    inst.insert("name".into(), json!(name));
    let defaults = [
        ("authorizedNetwork", format!("projects/{}/global/networks/default", parent.project.id)),
        ("connectMode", "DIRECT_PEERING".into()),
        ("transitEncryptionMode", "DISABLED".into()),
        ("redisVersion", VERSIONS[VERSIONS.len() - 1].into()),
        ("locationId", format!("{}-a", parent.region)),
    ];
    for (k, v) in defaults {
        if str_field(&body, k).is_none() {
            body.insert(k.into(), json!(v));
        }
    }
    // A network's short name means the request's project's network.
    if let Some(n) = str_field(&body, "authorizedNetwork").filter(|n| !n.contains('/')).map(str::to_string) {
        body.insert("authorizedNetwork".into(), json!(format!("projects/{}/global/networks/{n}", parent.project.id)));
    }
    if tier == "STANDARD_HA" {
        if str_field(&body, "alternativeLocationId").is_none() {
            body.insert("alternativeLocationId".into(), json!(format!("{}-b", parent.region)));
        }
        if str_field(&body, "readReplicasMode").is_none() {
            body.insert("readReplicasMode".into(), json!("READ_REPLICAS_DISABLED"));
        }
        if int_field(&body, "replicaCount")?.unwrap_or(0) == 0 {
            body.insert("replicaCount".into(), json!(1));
        }
    }
    inst.append(&mut body);
    let h = hash(&name);
    let (x, y, z) = ((h >> 8) as u8, (h >> 16) as u8, (h & 0xf8) as u8);
    inst.insert("host".into(), json!(format!("10.{x}.{y}.{}", z + 3)));
    inst.insert("port".into(), json!(PORT));
    if str_field(&inst, "reservedIpRange").is_none() {
        inst.insert("reservedIpRange".into(), json!(format!("10.{x}.{y}.{z}/29")));
    }
    if let Some(l) = str_field(&inst, "locationId").map(str::to_string) {
        inst.insert("currentLocationId".into(), json!(l));
    }
    inst.insert("persistenceIamIdentity".into(), json!(format!("serviceAccount:service-{}@cloud-redis.iam.gserviceaccount.com", parent.project.number)));
    inst.insert("createTime".into(), json!(ctx.now_rfc3339()));
    if inst.get("readReplicasMode").and_then(Value::as_str) == Some("READ_REPLICAS_ENABLED") {
        inst.insert("readEndpoint".into(), json!(format!("10.{x}.{y}.{}", z + 4)));
        inst.insert("readEndpointPort".into(), json!(PORT));
    }
    canonicalize(&mut inst);

    let done_at = ctx.op_done_at();
    let mut record = Record::new(Value::Object(inst.clone()), ctx.now_ms);
    record.hidden.insert("effectiveMs".into(), json!(done_at));
    let auth = new_auth_string(ctx);
    record.hidden.insert("authString".into(), json!(auth));
    store.put(INSTANCES, &key, record)?;
    let mut response = Map::new();
    response.insert("@type".into(), json!(INSTANCE_TYPE));
    response.extend(inst);
    response.insert("state".into(), json!("READY"));
    start_op(ctx, store, parent, &name, "create", done_at, Value::Object(response))
}

/// Starts an operation on instance `target` with `response`.
fn start_op(ctx: &mut Ctx, store: &mut Store, parent: &Parent, target: &str, verb: &str, done_at: i64, response: Value) -> Result<Reply, ApiError> {
    let op_name = parent.operation_name(&format!("operation-{}", ctx.new_id()));
    let metadata = json!({
        "@type": METADATA_TYPE, "createTime": ctx.now_rfc3339(), "target": target, "verb": verb, "apiVersion": "v1",
    });
    Ok(Reply::Json(operation::start(store, &op_name, ctx.now_ms, done_at, Some(metadata), Ok(response))?))
}

/// `instances.list`: `{instances, nextPageToken}`, by name.
fn list(ctx: &Ctx, store: &Store, req: &ApiRequest, parent: &Parent) -> Result<Reply, ApiError> {
    let size = req.int_param("pageSize")?.unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE) as usize;
    let items: Vec<(String, Value)> =
        store.iter_prefix(INSTANCES, &parent.key_prefix()).map(|(k, r)| (k.clone(), render(ctx, r))).collect();
    let (instances, next) = page(&items, req.param("pageToken"), size);
    Ok(Reply::Json(list_reply("instances", instances, next)))
}

/// `instances.getAuthString`: `{authString}` when AUTH is on, else `{}`.
fn auth_string(store: &Store, parent: &Parent, id: &str) -> Result<Reply, ApiError> {
    let r = existing(store, parent, id)?;
    let enabled = r.resource.get("authEnabled").and_then(Value::as_bool).unwrap_or(false);
    match r.hidden.get("authString").and_then(Value::as_str) {
        Some(s) if enabled => Ok(Reply::Json(json!({ "authString": s }))),
        _ => Ok(Reply::Json(json!({}))),
    }
}

/// `instances.patch`: an operation; changes what `updateMask` names.
fn patch(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, parent: &Parent, id: &str) -> Result<Reply, ApiError> {
    let body = req.json_object()?;
    let mut record = existing(store, parent, id)?.clone();
    let Some(mask) = req.param("updateMask").map(str::trim).filter(|m| !m.is_empty()) else {
        return Err(ApiError::invalid("update_mask must be specified."));
    };
    let paths: Vec<&str> = mask.split(',').map(str::trim).collect();
    for path in &paths {
        let top = path.split('.').next().unwrap_or(path);
        if !UPDATABLE.contains(&top) {
            return Err(ApiError::invalid(format!("Invalid update_mask path '{path}': the field cannot be updated.")));
        }
    }
    require_ready(ctx, &record, "update instance")?;
    let Some(inst) = record.resource.as_object_mut() else { return Err(ApiError::internal("stored instance is not an object")) };
    let was_auth = inst.get("authEnabled").and_then(Value::as_bool).unwrap_or(false);
    for path in &paths {
        let top = path.split('.').next().unwrap_or(path);
        match body.get(top).filter(|v| !v.is_null()) {
            Some(v) => inst.insert(top.to_string(), v.clone()),
            None => inst.remove(top),
        };
    }
    check_fields(inst)?;
    if inst.get("readReplicasMode").and_then(Value::as_str) == Some("READ_REPLICAS_ENABLED") && inst.get("readEndpoint").is_none() {
        let h = hash(&parent.name(id));
        inst.insert("readEndpoint".into(), json!(format!("10.{}.{}.{}", (h >> 8) as u8, (h >> 16) as u8, (h & 0xf8) as u8 + 4)));
        inst.insert("readEndpointPort".into(), json!(PORT));
    }
    canonicalize(inst);
    let now_auth = inst.get("authEnabled").and_then(Value::as_bool).unwrap_or(false);
    let out = Value::Object(inst.clone());
    if now_auth && !was_auth {
        let auth = new_auth_string(ctx);
        record.hidden.insert("authString".into(), json!(auth));
    }
    finish_update(ctx, store, parent, id, record, out, "update")
}

/// Stores an updated instance, busy until its operation is done.
fn finish_update(ctx: &mut Ctx, store: &mut Store, parent: &Parent, id: &str, mut record: Record, inst: Value, verb: &str) -> Result<Reply, ApiError> {
    let done_at = ctx.op_done_at();
    record.hidden.insert("busyUntilMs".into(), json!(done_at));
    store.put(INSTANCES, &parent.key(id), record)?;
    let mut response = json!({ "@type": INSTANCE_TYPE });
    if let (Some(r), Some(i)) = (response.as_object_mut(), inst.as_object()) {
        r.extend(i.clone());
        r.insert("state".into(), json!("READY"));
    }
    start_op(ctx, store, parent, &parent.name(id), verb, done_at, response)
}

/// `instances.upgrade`: a newer `redisVersion`, as an operation.
fn upgrade(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, parent: &Parent, id: &str) -> Result<Reply, ApiError> {
    let body = req.json_object()?;
    let mut record = existing(store, parent, id)?.clone();
    let Some(to) = str_field(&body, "redisVersion") else { return Err(ApiError::invalid("redis_version must be specified.")) };
    let rank = |v: &str| VERSIONS.iter().position(|x| *x == v);
    let Some(to_rank) = rank(to) else { return Err(ApiError::invalid(format!("Unsupported redisVersion '{to}'."))) };
    require_ready(ctx, &record, "upgrade instance")?;
    let Some(inst) = record.resource.as_object_mut() else { return Err(ApiError::internal("stored instance is not an object")) };
    let from = inst.get("redisVersion").and_then(Value::as_str).unwrap_or("").to_string();
    if rank(&from).is_some_and(|f| f >= to_rank) {
        return Err(ApiError::invalid(format!("Cannot upgrade from {from} to {to}: the target version must be newer.")));
    }
    inst.insert("redisVersion".into(), json!(to));
    let out = Value::Object(inst.clone());
    finish_update(ctx, store, parent, id, record, out, "upgrade")
}

/// `instances.delete`: an operation; the instance goes when it is done.
fn delete(ctx: &mut Ctx, store: &mut Store, parent: &Parent, id: &str) -> Result<Reply, ApiError> {
    let mut record = existing(store, parent, id)?.clone();
    require_ready(ctx, &record, "delete instance")?;
    let done_at = ctx.op_done_at();
    let key = parent.key(id);
    if done_at <= ctx.now_ms {
        store.remove(INSTANCES, &key)?;
    } else {
        record.hidden.insert("deleteAtMs".into(), json!(done_at));
        store.put(INSTANCES, &key, record)?;
    }
    start_op(ctx, store, parent, &parent.name(id), "delete", done_at, json!({ "@type": EMPTY_TYPE }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_ids() {
        for ok in ["ab", "cache-1", "a0"] {
            assert!(valid_instance_id(ok), "{ok}");
        }
        for bad in ["a", "1a", "a-", "A1", "a_b", &"a".repeat(42)] {
            assert!(!valid_instance_id(bad), "{bad}");
        }
        assert!(valid_instance_id(&"a".repeat(41)));
    }

    #[test]
    fn limits_of_an_instance() {
        let check = |v: Value| check_fields(v.as_object().unwrap());
        assert!(check(json!({ "tier": "BASIC", "memorySizeGb": 1 })).is_ok());
        assert!(check(json!({ "tier": "STANDARD_HA", "memorySizeGb": "5", "replicaCount": 2 })).is_ok());
        assert_eq!(check(json!({ "tier": "PREMIUM", "memorySizeGb": 1 })).unwrap_err().code, 400);
        assert_eq!(check(json!({ "tier": "BASIC", "memorySizeGb": 0 })).unwrap_err().code, 400);
        assert_eq!(check(json!({ "tier": "BASIC", "memorySizeGb": 301 })).unwrap_err().code, 400);
        assert_eq!(check(json!({ "tier": "BASIC" })).unwrap_err().code, 400);
        assert_eq!(check(json!({ "tier": "BASIC", "memorySizeGb": 1, "replicaCount": 1 })).unwrap_err().code, 400);
        assert_eq!(check(json!({ "tier": "STANDARD_HA", "memorySizeGb": 1, "replicaCount": 6 })).unwrap_err().code, 400);
    }

    #[test]
    fn canonical_form_leaves_out_defaults() {
        let mut m = json!({ "authEnabled": false, "displayName": "", "labels": {}, "memorySizeGb": "2", "replicaCount": 0 });
        let Value::Object(o) = &mut m else { unreachable!() };
        canonicalize(o);
        assert_eq!(m, json!({ "memorySizeGb": 2 }));
    }
}
