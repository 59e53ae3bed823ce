//! Cloud SQL Admin v1beta4: instances, their databases and users, and the
//! `sql#operation`s that change them, under `sql/v1beta4/projects/{project}`.
//!
//! Owns: `instances.insert|get|list|patch|update|delete`,
//! `databases.insert|get|list|patch|update|delete`,
//! `users.insert|get|list|update|delete`, `operations.get|list`, and
//! Google's rules for them:
//! - Every change is an operation (`status` PENDING, RUNNING, then DONE;
//!   `selfLink` points at this sandbox, so a client polls it here). Creating
//!   an instance takes [`CREATE_LATENCIES`] operation latencies; every other
//!   change one. Nothing runs in the background: an operation's status and
//!   an instance's `state` (PENDING_CREATE until its creation is done) are
//!   worked out from the clock when asked.
//! - One operation at a time per instance: a change to an instance, its
//!   databases or its users while one of its operations runs is 409
//!   `operationInProgress`.
//! - `settings.settingsVersion` starts at 1 and grows with every settings
//!   change; a PATCH or PUT that carries an older one is 412 `staleData`
//!   (PUT must carry it). PUT replaces the settings (unset fields take their
//!   defaults; the disk never shrinks), PATCH merges them.
//! - A deleted instance's name is not reusable for
//!   [`Config::sql_name_reuse_window`](crate::Config::sql_name_reuse_window)
//!   (409 `instanceAlreadyExists`, saying so); `deletionProtectionEnabled`
//!   refuses a delete.
//! - Server-set fields: `connectionName` (`{project}:{region}:{name}`),
//!   `ipAddresses` (PRIMARY with public IP, PRIVATE with a private network),
//!   `serviceAccountEmailAddress`, `databaseInstalledVersion`, `createTime`,
//!   `gceZone`, settings defaults (disk, backups with a start time of the
//!   sandbox's choosing, IP configuration, zone).
//! - What a new instance holds: Postgres its `postgres` database and user,
//!   MySQL `root`@`%` and its system databases (which exist but are not
//!   listed), SQL Server `sqlserver` (which needs a `rootPassword`).
//!   Database defaults: `UTF8`/`en_US.UTF8` on Postgres (the only charset it
//!   takes), `utf8mb3`/`utf8mb3_general_ci` on MySQL. A BUILT_IN user's
//!   `type` is not returned (proto3 omits the first enum value); passwords
//!   never are. Only MySQL users have a `host` (`%` when unset).
//!
//! Does not own: replicas, clones, backups, restarts, SSL certificates,
//! checks that a private network exists or is peered, user password
//! policies, or passwords themselves (the sandbox keeps none).
//!
//! Store: `sqladmin.instances` keyed `{project}/{instance}` (hidden
//! `readyAtMs`, `busyUntilMs`, `primaryIp`, `privateIp`),
//! `sqladmin.databases` keyed `{project}/{instance}/{database}`,
//! `sqladmin.users` keyed `{project}/{instance}/{host}/{name}`,
//! `sqladmin.operations` keyed `{project}/{operation}` (hidden `startMs`,
//! `doneAtMs`), `sqladmin.deletednames` keyed `{project}/{instance}` (hidden
//! `reusableAtMs`).

use super::{merge_patch, millis, page, resolve_project, rfc3339, serviceusage, ApiRequest, Ctx, Project, Reply};
use crate::error::ApiError;
use crate::store::{Record, Store};
use serde_json::{json, Map, Value};

pub const INSTANCES: &str = "sqladmin.instances";
pub const DATABASES: &str = "sqladmin.databases";
pub const USERS: &str = "sqladmin.users";
pub const OPERATIONS: &str = "sqladmin.operations";
pub const DELETED_NAMES: &str = "sqladmin.deletednames";

const SERVICE: &str = "sqladmin.googleapis.com";
/// What Google's links start with (instances, databases, operation targets).
const GOOGLE_BASE: &str = "https://sqladmin.googleapis.com/sql/v1beta4/";
/// Creating an instance takes this many operation latencies.
pub const CREATE_LATENCIES: i64 = 20;
const MIN_DISK_GB: i64 = 10;
const DEFAULT_REGION: &str = "us-central1";
/// MySQL's own databases: they exist, cannot be made or dropped, and are not listed.
const MYSQL_SYSTEM_DATABASES: &[&str] = &["information_schema", "mysql", "performance_schema", "sys"];

/// A database engine, from `databaseVersion`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Engine {
    Postgres,
    MySql,
    SqlServer,
}

/// The engine of a `databaseVersion` and its version numbers (to order
/// upgrades), or `None` for a version Google does not offer.
fn parse_version(v: &str) -> Option<(Engine, Vec<u32>)> {
    let numbers = |rest: &str| -> Option<Vec<u32>> { rest.split('_').map(|n| n.parse::<u32>().ok()).collect() };
    if let Some(rest) = v.strip_prefix("POSTGRES_") {
        let n = numbers(rest)?;
        return (n.len() <= 2 && n.first().is_some_and(|m| (9..=18).contains(m))).then_some((Engine::Postgres, n));
    }
    if let Some(rest) = v.strip_prefix("MYSQL_") {
        let n = numbers(rest)?;
        return ((2..=3).contains(&n.len()) && n.first().is_some_and(|m| (5..=8).contains(m))).then_some((Engine::MySql, n));
    }
    let (year, kind) = v.strip_prefix("SQLSERVER_")?.split_once('_')?;
    let year = year.parse::<u32>().ok().filter(|y| (2017..=2030).contains(y))?;
    ["STANDARD", "ENTERPRISE", "EXPRESS", "WEB"].contains(&kind).then_some((Engine::SqlServer, vec![year]))
}

/// The version a new instance runs: the major version with a minor.
fn installed_version(v: &str, engine: Engine) -> String {
    match engine {
        Engine::Postgres if v.matches('_').count() == 1 => format!("{v}_4"),
        Engine::MySql if v.matches('_').count() == 2 => format!("{v}_41"),
        _ => v.to_string(),
    }
}

/// ENTERPRISE_PLUS for Postgres 16 and later, else ENTERPRISE.
fn default_edition(engine: Engine, numbers: &[u32]) -> &'static str {
    if engine == Engine::Postgres && numbers.first().is_some_and(|m| *m >= 16) {
        "ENTERPRISE_PLUS"
    } else {
        "ENTERPRISE"
    }
}

// ---------------------------------------------------------------- errors

/// 409 `operationInProgress`: another operation on the instance runs.
fn in_progress() -> ApiError {
    ApiError {
        code: 409,
        status: "ABORTED",
        reason: "operationInProgress",
        ..ApiError::conflict("Operation failed because another operation was already in progress. Try again once it is done.")
    }
}

/// 412 `staleData`: a PATCH or PUT carried an old `settingsVersion`.
fn stale_data() -> ApiError {
    ApiError {
        code: 412,
        status: "FAILED_PRECONDITION",
        reason: "staleData",
        message: "Condition does not match.".into(),
        ..ApiError::condition_not_met()
    }
}

fn instance_missing(name: &str) -> ApiError {
    ApiError { reason: "instanceDoesNotExist", ..ApiError::not_found(format!("The Cloud SQL instance {name} does not exist.")) }
}

fn instance_exists(message: String) -> ApiError {
    ApiError { reason: "instanceAlreadyExists", ..ApiError::already_exists(message) }
}

fn invalid(message: impl std::fmt::Display) -> ApiError {
    ApiError::invalid(format!("Invalid request: {message}"))
}

// ---------------------------------------------------------------- routing

/// Answers one Cloud SQL Admin request.
pub fn handle(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest) -> Result<Reply, ApiError> {
    let segs: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    let (p, rest) = match segs.as_slice() {
        ["projects", p, rest @ ..] if req.verb.is_none() => (*p, rest),
        _ => return Err(ApiError::unknown_route(&req.method, &req.segments.join("/"))),
    };
    let project = resolve_project(store, ctx.now_ms, p)?;
    serviceusage::require_enabled(ctx, store, &project.number, SERVICE)?;
    let reply = match (req.method.as_str(), rest) {
        ("GET", ["instances"]) => list_instances(ctx, store, req, &project)?,
        ("POST", ["instances"]) => insert_instance(ctx, store, req, &project)?,
        ("GET", ["instances", i]) => render_instance(instance(store, &project, i)?, ctx.now_ms),
        ("PATCH", ["instances", i]) => update_instance(ctx, store, req, &project, i, true)?,
        ("PUT", ["instances", i]) => update_instance(ctx, store, req, &project, i, false)?,
        ("DELETE", ["instances", i]) => delete_instance(ctx, store, req, &project, i)?,
        ("GET", ["instances", i, "databases"]) => list_databases(store, &project, i)?,
        ("POST", ["instances", i, "databases"]) => insert_database(ctx, store, req, &project, i)?,
        ("GET", ["instances", i, "databases", d]) => get_database(store, &project, i, d)?,
        ("PATCH" | "PUT", ["instances", i, "databases", d]) => update_database(ctx, store, req, &project, i, d)?,
        ("DELETE", ["instances", i, "databases", d]) => delete_database(ctx, store, req, &project, i, d)?,
        ("GET", ["instances", i, "users"]) => list_users(store, &project, i)?,
        ("GET", ["instances", i, "users", name]) => get_user(store, req, &project, i, name)?,
        ("POST", ["instances", i, "users"]) => insert_user(ctx, store, req, &project, i)?,
        ("PUT", ["instances", i, "users"]) => update_user(ctx, store, req, &project, i)?,
        ("DELETE", ["instances", i, "users"]) => delete_user(ctx, store, req, &project, i)?,
        ("GET", ["operations"]) => list_operations(ctx, store, req, &project)?,
        ("GET", ["operations", op]) => get_operation(ctx, store, &project, op)?,
        _ => return Err(ApiError::unknown_route(&req.method, &req.segments.join("/"))),
    };
    Ok(Reply::Json(reply))
}

fn instance_key(project: &Project, name: &str) -> String {
    format!("{}/{name}", project.id)
}

fn instance<'a>(store: &'a Store, project: &Project, name: &str) -> Result<&'a Record, ApiError> {
    store.get(INSTANCES, &instance_key(project, name)).ok_or_else(|| instance_missing(name))
}

/// The instance about to be changed: 409 while one of its operations runs.
fn instance_for_change(ctx: &Ctx, store: &Store, project: &Project, name: &str) -> Result<Record, ApiError> {
    let r = instance(store, project, name)?;
    if ctx.now_ms < r.hidden_i64("busyUntilMs") {
        return Err(in_progress());
    }
    Ok(r.clone())
}

/// The engine of a stored instance.
fn engine_of(r: &Record) -> Engine {
    r.resource.get("databaseVersion").and_then(Value::as_str).and_then(parse_version).map_or(Engine::Postgres, |(e, _)| e)
}

fn obj_mut<'a>(v: &'a mut Value, what: &str) -> Result<&'a mut Map<String, Value>, ApiError> {
    v.as_object_mut().ok_or_else(|| ApiError::internal(format!("stored {what} is not an object")))
}

fn str_of<'a>(m: &'a Map<String, Value>, k: &str) -> &'a str {
    m.get(k).and_then(Value::as_str).unwrap_or("")
}

/// An int64 carried as a JSON number or string.
fn int_of(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

// ---------------------------------------------------------------- operations

/// Starts an operation of `kind` on `instance` that lasts one operation
/// latency (see [`start_long_operation`]).
fn start_operation(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, project: &Project, instance: &str, kind: &str) -> Result<Value, ApiError> {
    let latency = millis(ctx.config.op_latency);
    start_long_operation(ctx, store, req, project, instance, kind, latency)
}

/// Starts an operation of `kind` on `instance` that lasts `duration_ms`,
/// marking the instance busy until then (when it still exists).
fn start_long_operation(
    ctx: &mut Ctx,
    store: &mut Store,
    req: &ApiRequest,
    project: &Project,
    instance: &str,
    kind: &str,
    duration_ms: i64,
) -> Result<Value, ApiError> {
    let a = ctx.new_id();
    let b = ctx.new_id();
    let name = format!("{}-{}-{}-{}-{}", &a[..8], &a[8..12], &a[12..16], &b[..4], &b[4..16]);
    let done_at = ctx.now_ms.saturating_add(duration_ms.max(0));
    let link = match &req.host {
        Some(h) => format!("http://{h}/sql/v1beta4/projects/{}/operations/{name}", project.id),
        None => format!("projects/{}/operations/{name}", project.id),
    };
    let resource = json!({
        "kind": "sql#operation",
        "name": name,
        "operationType": kind,
        "targetId": instance,
        "targetProject": project.id,
        "targetLink": format!("{GOOGLE_BASE}projects/{}/instances/{instance}", project.id),
        "user": "sandbox-user@cloud.google.com",
        "insertTime": ctx.now_rfc3339(),
        "selfLink": link,
    });
    let mut record = Record::new(resource, ctx.now_ms);
    record.hidden.insert("startMs".into(), json!(ctx.now_ms));
    record.hidden.insert("doneAtMs".into(), json!(done_at));
    let out = render_operation(&record, ctx.now_ms);
    store.put(OPERATIONS, &format!("{}/{name}", project.id), record)?;
    let key = instance_key(project, instance);
    if let Some(mut r) = store.get(INSTANCES, &key).cloned() {
        r.hidden.insert("busyUntilMs".into(), json!(done_at));
        store.put(INSTANCES, &key, r)?;
    }
    Ok(out)
}

/// An operation as of `now_ms`: PENDING for its first tenth, then RUNNING
/// until it is DONE.
fn render_operation(r: &Record, now_ms: i64) -> Value {
    let start = r.hidden_i64("startMs");
    let done = r.hidden_i64("doneAtMs");
    let running_from = start + (done - start) / 10;
    let mut op = r.resource.clone();
    let status = if now_ms >= done {
        "DONE"
    } else if now_ms >= running_from {
        "RUNNING"
    } else {
        "PENDING"
    };
    if let Some(m) = op.as_object_mut() {
        m.insert("status".into(), json!(status));
        if status != "PENDING" {
            m.insert("startTime".into(), json!(rfc3339(start)));
        }
        if status == "DONE" {
            m.insert("endTime".into(), json!(rfc3339(done)));
        }
    }
    op
}

fn get_operation(ctx: &Ctx, store: &Store, project: &Project, name: &str) -> Result<Value, ApiError> {
    match store.get(OPERATIONS, &format!("{}/{name}", project.id)) {
        Some(r) => Ok(render_operation(r, ctx.now_ms)),
        None => Err(ApiError { reason: "operationDoesNotExist", ..ApiError::not_found(format!("The Cloud SQL operation {name} does not exist.")) }),
    }
}

/// `operations.list`, newest first, optionally for one `instance`.
fn list_operations(ctx: &Ctx, store: &Store, req: &ApiRequest, project: &Project) -> Result<Value, ApiError> {
    let want = req.param("instance").filter(|i| !i.is_empty());
    let prefix = format!("{}/", project.id);
    let mut ops: Vec<&Record> = store
        .iter_prefix(OPERATIONS, &prefix)
        .map(|(_, r)| r)
        .filter(|r| want.is_none_or(|i| r.resource.get("targetId").and_then(Value::as_str) == Some(i)))
        .collect();
    ops.sort_by_key(|r| std::cmp::Reverse((r.hidden_i64("startMs"), r.resource.get("name").and_then(Value::as_str).unwrap_or("").to_string())));
    let size = req.int_param("maxResults")?.unwrap_or(500).clamp(1, 500) as usize;
    let items: Vec<(String, Value)> = ops.iter().enumerate().map(|(n, r)| (format!("{n:012}"), render_operation(r, ctx.now_ms))).collect();
    let (items, next) = page(&items, req.param("pageToken"), size);
    let mut out = json!({ "kind": "sql#operationsList", "items": items });
    if let Some(t) = next {
        out["nextPageToken"] = json!(t);
    }
    Ok(out)
}

// ---------------------------------------------------------------- instances

/// Google's rule: lowercase letters, digits and hyphens, starting with a
/// letter, not ending with a hyphen; `{project}:{name}` at most 98 long.
fn check_instance_name(project: &str, name: &str) -> Result<(), ApiError> {
    let ok = name.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.ends_with('-')
        && project.len() + 1 + name.len() <= 98;
    if ok {
        Ok(())
    } else {
        Err(invalid(format!(
            "instance name {name:?}: use lowercase letters, digits and hyphens, start with a letter, and keep project:name within 98 characters."
        )))
    }
}

fn check_region(region: &str) -> Result<(), ApiError> {
    let ok = region.split('-').count() >= 2
        && region.split('-').next().is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && region.bytes().last().is_some_and(|b| b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(invalid(format!("region {region:?} is not a Cloud SQL region.")))
    }
}

/// The settings a new instance (or a PUT) starts from.
fn default_settings(ctx: &mut Ctx, engine: Engine, edition: &str, region: &str) -> Map<String, Value> {
    let hour = ctx.ids.next_u64() % 24;
    let zone = ["a", "b", "c", "f"][(ctx.ids.next_u64() % 4) as usize];
    let mut backup = json!({
        "kind": "sql#backupConfiguration",
        "enabled": false,
        "startTime": format!("{hour:02}:00"),
        "transactionLogRetentionDays": 7,
        "backupRetentionSettings": { "retentionUnit": "COUNT", "retainedBackups": 7 },
        "backupTier": "STANDARD",
    });
    match engine {
        Engine::MySql => backup["binaryLogEnabled"] = json!(false),
        _ => backup["pointInTimeRecoveryEnabled"] = json!(false),
    }
    let v = json!({
        "kind": "sql#settings",
        "edition": edition,
        "availabilityType": "ZONAL",
        "pricingPlan": "PER_USE",
        "replicationType": "SYNCHRONOUS",
        "activationPolicy": "ALWAYS",
        "dataDiskType": "PD_SSD",
        "dataDiskSizeGb": MIN_DISK_GB.to_string(),
        "storageAutoResize": true,
        "storageAutoResizeLimit": "0",
        "deletionProtectionEnabled": false,
        "backupConfiguration": backup,
        "ipConfiguration": {
            "ipv4Enabled": true,
            "requireSsl": false,
            "sslMode": "ALLOW_UNENCRYPTED_AND_ENCRYPTED",
            "authorizedNetworks": [],
        },
        "locationPreference": { "kind": "sql#locationPreference", "zone": format!("{region}-{zone}") },
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// `input` laid over `base`: nested objects merged (a `null` removes),
/// lists and `userLabels` replaced.
fn overlay(base: &mut Map<String, Value>, input: &Map<String, Value>) {
    for (k, v) in input {
        if k == "settingsVersion" || k == "kind" {
            continue;
        }
        match (base.get_mut(k), v) {
            (Some(b @ Value::Object(_)), Value::Object(_)) if k != "userLabels" => merge_patch(b, v),
            (_, Value::Null) => {
                base.remove(k);
            }
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
}

/// Checks settings as they would be, and fills what follows from them.
fn check_settings(s: &mut Map<String, Value>, engine: Engine, region: &str, current_disk: Option<i64>) -> Result<(), ApiError> {
    let tier = str_of(s, "tier").to_string();
    if tier.is_empty() {
        return Err(invalid("settings.tier is required."));
    }
    let edition = str_of(s, "edition").to_string();
    let perf = tier.starts_with("db-perf-optimized-");
    if !tier.starts_with("db-") || (edition == "ENTERPRISE_PLUS") != perf {
        return Err(invalid(format!(
            "Invalid Tier ({tier}) for ({edition}) Edition: ENTERPRISE_PLUS takes db-perf-optimized-N-* tiers, ENTERPRISE the others (db-f1-micro, db-custom-CPUS-MEMORY...)."
        )));
    }
    let disk = int_of(s.get("dataDiskSizeGb")).ok_or_else(|| invalid("settings.dataDiskSizeGb is not an integer."))?;
    if disk < MIN_DISK_GB {
        return Err(invalid(format!("The disk size must be at least {MIN_DISK_GB} GB.")));
    }
    if current_disk.is_some_and(|c| disk < c) {
        return Err(invalid("The disk size cannot be decreased."));
    }
    s.insert("dataDiskSizeGb".into(), json!(disk.to_string()));
    let limit = int_of(s.get("storageAutoResizeLimit")).filter(|l| *l >= 0).ok_or_else(|| invalid("settings.storageAutoResizeLimit must be 0 or more."))?;
    s.insert("storageAutoResizeLimit".into(), json!(limit.to_string()));

    if let Some(b) = s.get_mut("backupConfiguration").and_then(Value::as_object_mut) {
        let enabled = b.get("enabled").and_then(Value::as_bool).unwrap_or(false);
        let binlog = b.get("binaryLogEnabled").and_then(Value::as_bool).unwrap_or(false);
        let pitr = b.get("pointInTimeRecoveryEnabled").and_then(Value::as_bool).unwrap_or(false);
        if binlog && engine != Engine::MySql {
            return Err(invalid("binary logging is only available on MySQL instances."));
        }
        if (binlog || pitr) && !enabled {
            return Err(invalid("point-in-time recovery and binary logging need backups enabled."));
        }
        let start = str_of(b, "startTime");
        let valid_time = start.split_once(':').is_some_and(|(h, m)| {
            h.len() == 2 && m.len() == 2 && h.parse::<u32>().is_ok_and(|h| h < 24) && m.parse::<u32>().is_ok_and(|m| m < 60)
        });
        if !valid_time {
            return Err(invalid(format!("backup start time {start:?} is not HH:MM.")));
        }
        let max_days = if edition == "ENTERPRISE_PLUS" { 35 } else { 7 };
        let days = int_of(b.get("transactionLogRetentionDays")).unwrap_or(7);
        if !(1..=max_days).contains(&days) {
            return Err(invalid(format!("transactionLogRetentionDays must be between 1 and {max_days} for {edition}.")));
        }
        if let Some(r) = b.get_mut("backupRetentionSettings").and_then(Value::as_object_mut) {
            let kept = int_of(r.get("retainedBackups")).unwrap_or(7);
            if !(1..=365).contains(&kept) {
                return Err(invalid("retainedBackups must be between 1 and 365."));
            }
            if str_of(r, "retentionUnit").is_empty() {
                r.insert("retentionUnit".into(), json!("COUNT"));
            }
        }
    }
    if let Some(ip) = s.get_mut("ipConfiguration").and_then(Value::as_object_mut) {
        let ipv4 = ip.get("ipv4Enabled").and_then(Value::as_bool).unwrap_or(true);
        let private = !str_of(ip, "privateNetwork").is_empty();
        if !ipv4 && !private {
            return Err(invalid("at least one of public IP or private IP must be enabled."));
        }
        let nets = ip.get("authorizedNetworks").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        if !ipv4 && !nets.is_empty() {
            return Err(invalid("authorized networks need public IP (ipv4Enabled)."));
        }
        for n in nets {
            let value = n.get("value").and_then(Value::as_str).unwrap_or("");
            if !valid_cidr(value) {
                return Err(invalid(format!("authorized network {value:?} is not an IPv4 address or CIDR range.")));
            }
        }
        if str_of(ip, "sslMode").is_empty() {
            let require = ip.get("requireSsl").and_then(Value::as_bool).unwrap_or(false);
            ip.insert("sslMode".into(), json!(if require { "ENCRYPTED_ONLY" } else { "ALLOW_UNENCRYPTED_AND_ENCRYPTED" }));
        }
    }
    if let Some(w) = s.get("maintenanceWindow") {
        let day = int_of(w.get("day")).unwrap_or(0);
        let hour = int_of(w.get("hour")).unwrap_or(0);
        if !(0..=7).contains(&day) || !(0..=23).contains(&hour) {
            return Err(invalid("maintenance window day must be 1 to 7 (0 for any) and hour 0 to 23."));
        }
    }
    if let Some(i) = s.get_mut("insightsConfig").and_then(Value::as_object_mut) {
        let len = int_of(i.get("queryStringLength")).unwrap_or(1024);
        if !(256..=4500).contains(&len) {
            return Err(invalid("queryStringLength must be between 256 and 4500."));
        }
        i.insert("queryStringLength".into(), json!(len));
        for k in ["queryInsightsEnabled", "recordApplicationTags", "recordClientAddress"] {
            i.entry(k).or_insert(json!(false));
        }
    }
    if let Some(z) = s.get("locationPreference").and_then(|l| l.get("zone")).and_then(Value::as_str) {
        if !z.starts_with(&format!("{region}-")) {
            return Err(invalid(format!("zone {z} is not in region {region}.")));
        }
    }
    let mut seen = Vec::new();
    for f in s.get("databaseFlags").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default() {
        let name = f.get("name").and_then(Value::as_str).unwrap_or("");
        if name.is_empty() || seen.contains(&name) {
            return Err(invalid(format!("database flag {name:?} is empty or set twice.")));
        }
        seen.push(name);
    }
    Ok(())
}

/// `a.b.c.d` or `a.b.c.d/n`.
fn valid_cidr(v: &str) -> bool {
    let (ip, bits) = match v.split_once('/') {
        Some((ip, b)) => (ip, b.parse::<u8>().ok().filter(|b| *b <= 32)),
        None => (v, Some(32)),
    };
    bits.is_some() && ip.parse::<std::net::Ipv4Addr>().is_ok()
}

/// Sets `ipAddresses` (and `gceZone`) from the settings, allocating the
/// addresses once per instance.
fn refresh_addresses(ctx: &mut Ctx, r: &mut Record) -> Result<(), ApiError> {
    let ip = r.resource.pointer("/settings/ipConfiguration").cloned().unwrap_or(Value::Null);
    let ipv4 = ip.get("ipv4Enabled").and_then(Value::as_bool).unwrap_or(true);
    let private = ip.get("privateNetwork").and_then(Value::as_str).is_some_and(|n| !n.is_empty());
    let octet = |ctx: &mut Ctx| ctx.ids.next_u64() % 250 + 2;
    let mut addresses = Vec::new();
    if ipv4 {
        if r.hidden_str("primaryIp").is_empty() {
            let a = format!("34.{}.{}.{}", octet(ctx), octet(ctx), octet(ctx));
            r.hidden.insert("primaryIp".into(), json!(a));
        }
        addresses.push(json!({ "type": "PRIMARY", "ipAddress": r.hidden_str("primaryIp") }));
    }
    if private {
        if r.hidden_str("privateIp").is_empty() {
            let a = format!("10.{}.{}.{}", octet(ctx), octet(ctx), octet(ctx));
            r.hidden.insert("privateIp".into(), json!(a));
        }
        addresses.push(json!({ "type": "PRIVATE", "ipAddress": r.hidden_str("privateIp") }));
    }
    let zone = r.resource.pointer("/settings/locationPreference/zone").cloned().unwrap_or(Value::Null);
    let m = obj_mut(&mut r.resource, "instance")?;
    m.insert("ipAddresses".into(), Value::Array(addresses));
    m.insert("gceZone".into(), zone);
    Ok(())
}

fn render_instance(r: &Record, now_ms: i64) -> Value {
    let mut v = r.resource.clone();
    if now_ms < r.hidden_i64("readyAtMs") {
        if let Some(m) = v.as_object_mut() {
            m.insert("state".into(), json!("PENDING_CREATE"));
        }
    }
    v
}

/// `instances.list` (`items` in name order).
fn list_instances(ctx: &Ctx, store: &Store, req: &ApiRequest, project: &Project) -> Result<Value, ApiError> {
    let size = req.int_param("maxResults")?.unwrap_or(500).clamp(1, 1000) as usize;
    let prefix = format!("{}/", project.id);
    let items: Vec<(String, Value)> = store.iter_prefix(INSTANCES, &prefix).map(|(k, r)| (k.clone(), render_instance(r, ctx.now_ms))).collect();
    let (items, next) = page(&items, req.param("pageToken"), size);
    let mut out = json!({ "kind": "sql#instancesList" });
    if !items.is_empty() {
        out["items"] = Value::Array(items);
    }
    if let Some(t) = next {
        out["nextPageToken"] = json!(t);
    }
    Ok(out)
}

/// `instances.insert`.
fn insert_instance(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, project: &Project) -> Result<Value, ApiError> {
    let body = req.json_object()?;
    let name = str_of(&body, "name").to_string();
    check_instance_name(&project.id, &name)?;
    if body.get("masterInstanceName").is_some_and(|m| !m.is_null()) {
        return Err(invalid("read replicas are not emulated by the sandbox."));
    }
    let version = str_of(&body, "databaseVersion").to_string();
    let (engine, numbers) = parse_version(&version).ok_or_else(|| invalid(format!("Invalid database version {version:?}.")))?;
    let key = instance_key(project, &name);
    if store.get(INSTANCES, &key).is_some() {
        return Err(instance_exists(format!("The Cloud SQL instance {name} already exists.")));
    }
    if let Some(t) = store.get(DELETED_NAMES, &key) {
        let reusable = t.hidden_i64("reusableAtMs");
        if ctx.now_ms < reusable {
            return Err(instance_exists(format!(
                "The name {name} was used recently by an instance that was deleted: a deleted instance's name cannot be reused until {} (a week after the deletion). Choose another name.",
                rfc3339(reusable)
            )));
        }
        store.remove(DELETED_NAMES, &key)?;
    }
    let region = match str_of(&body, "region") {
        "" => DEFAULT_REGION.to_string(),
        r => r.to_string(),
    };
    check_region(&region)?;
    let input = body.get("settings").and_then(Value::as_object).cloned().unwrap_or_default();
    let edition = match str_of(&input, "edition") {
        "" => default_edition(engine, &numbers).to_string(),
        e => e.to_string(),
    };
    let mut settings = default_settings(ctx, engine, &edition, &region);
    overlay(&mut settings, &input);
    check_settings(&mut settings, engine, &region, None)?;
    settings.insert("settingsVersion".into(), json!("1"));
    let root_password = str_of(&body, "rootPassword");
    if engine == Engine::SqlServer && root_password.is_empty() {
        return Err(invalid("SQL Server instances need a rootPassword."));
    }
    let sa = format!("p{}-{}@gcp-sa-cloud-sql.iam.gserviceaccount.com", project.number, &ctx.new_id()[..6]);
    let resource = json!({
        "kind": "sql#instance",
        "name": name,
        "project": project.id,
        "region": region,
        "databaseVersion": version,
        "databaseInstalledVersion": installed_version(&version, engine),
        "settings": settings,
        "state": "RUNNABLE",
        "backendType": "SECOND_GEN",
        "instanceType": "CLOUD_SQL_INSTANCE",
        "connectionName": format!("{}:{region}:{name}", project.id),
        "selfLink": format!("{GOOGLE_BASE}projects/{}/instances/{name}", project.id),
        "serviceAccountEmailAddress": sa,
        "createTime": ctx.now_rfc3339(),
    });
    let create_ms = millis(ctx.config.op_latency).saturating_mul(CREATE_LATENCIES);
    let mut record = Record::new(resource, ctx.now_ms);
    record.hidden.insert("readyAtMs".into(), json!(ctx.now_ms.saturating_add(create_ms)));
    refresh_addresses(ctx, &mut record)?;
    store.put(INSTANCES, &key, record)?;
    // What Google puts in a new instance.
    let default_user = match engine {
        Engine::Postgres => ("postgres", ""),
        Engine::MySql => ("root", "%"),
        Engine::SqlServer => ("sqlserver", ""),
    };
    put_user(ctx, store, project, &name, default_user.0, default_user.1, "BUILT_IN")?;
    if engine == Engine::Postgres {
        put_database(ctx, store, project, &name, "postgres", "UTF8", "en_US.UTF8")?;
    }
    start_long_operation(ctx, store, req, project, &name, "CREATE", create_ms)
}

/// `instances.patch` (`patch`) and `instances.update` (PUT).
fn update_instance(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, project: &Project, name: &str, patch: bool) -> Result<Value, ApiError> {
    let mut record = instance_for_change(ctx, store, project, name)?;
    let body = req.json_object()?;
    let current = record.resource.clone();
    for immutable in ["name", "region", "project"] {
        if let Some(v) = body.get(immutable).and_then(Value::as_str) {
            if Some(v) != current.get(immutable).and_then(Value::as_str) {
                return Err(invalid(format!("{immutable} cannot be changed ({} to {v}).", current.get(immutable).unwrap_or(&Value::Null))));
            }
        }
    }
    let version_now = current.get("databaseVersion").and_then(Value::as_str).unwrap_or("").to_string();
    let (engine, numbers) = parse_version(&version_now).ok_or_else(|| ApiError::internal("stored instance has no valid databaseVersion"))?;
    let mut version = version_now.clone();
    if let Some(v) = body.get("databaseVersion").and_then(Value::as_str).filter(|v| *v != version_now) {
        let upgrade = parse_version(v).is_some_and(|(e, n)| patch && e == engine && n > numbers);
        if !upgrade {
            return Err(invalid(format!("databaseVersion can only move to a later major version of the same engine, by PATCH ({version_now} to {v}).")));
        }
        version = v.to_string();
    }
    let region = current.get("region").and_then(Value::as_str).unwrap_or(DEFAULT_REGION).to_string();
    let now_settings = current.get("settings").and_then(Value::as_object).cloned().unwrap_or_default();
    let input = body.get("settings").and_then(Value::as_object).cloned();
    let version_given = input.as_ref().and_then(|s| int_of(s.get("settingsVersion")));
    let version_stored = int_of(now_settings.get("settingsVersion")).unwrap_or(1);
    match version_given {
        Some(v) if v != version_stored => return Err(stale_data()),
        None if !patch => return Err(invalid("settings.settingsVersion is required by instances.update: read the instance and send its settingsVersion.")),
        _ => {}
    }
    let mut settings = if patch {
        now_settings.clone()
    } else {
        // A PUT replaces the settings; what the server chose stays.
        let edition = input.as_ref().map(|s| str_of(s, "edition")).filter(|e| !e.is_empty()).unwrap_or(str_of(&now_settings, "edition")).to_string();
        let mut s = default_settings(ctx, engine, &edition, &region);
        for (path, key) in [("backupConfiguration", "startTime"), ("locationPreference", "zone")] {
            if let (Some(v), Some(Value::Object(o))) = (now_settings.get(path).and_then(|p| p.get(key)).cloned(), s.get_mut(path)) {
                o.insert(key.into(), v);
            }
        }
        s.insert("dataDiskSizeGb".into(), now_settings.get("dataDiskSizeGb").cloned().unwrap_or(json!("10")));
        s
    };
    if let Some(input) = &input {
        overlay(&mut settings, input);
    }
    let current_disk = int_of(now_settings.get("dataDiskSizeGb"));
    check_settings(&mut settings, engine, &region, current_disk)?;
    settings.insert("settingsVersion".into(), json!((version_stored + 1).to_string()));
    let m = obj_mut(&mut record.resource, "instance")?;
    m.insert("settings".into(), Value::Object(settings));
    if version != version_now {
        m.insert("databaseVersion".into(), json!(version));
        m.insert("databaseInstalledVersion".into(), json!(installed_version(&version, engine)));
    }
    refresh_addresses(ctx, &mut record)?;
    store.put(INSTANCES, &instance_key(project, name), record)?;
    start_operation(ctx, store, req, project, name, "UPDATE")
}

/// `instances.delete`: the instance, its databases and users go at once;
/// the name is kept from reuse for the configured window.
fn delete_instance(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, project: &Project, name: &str) -> Result<Value, ApiError> {
    let record = instance_for_change(ctx, store, project, name)?;
    if record.resource.pointer("/settings/deletionProtectionEnabled").and_then(Value::as_bool) == Some(true) {
        return Err(invalid(format!(
            "The instance {name} is protected from deletion (settings.deletionProtectionEnabled): disable deletion protection first."
        )));
    }
    let key = instance_key(project, name);
    let prefix = format!("{key}/");
    for collection in [DATABASES, USERS] {
        let keys: Vec<String> = store.iter_prefix(collection, &prefix).map(|(k, _)| k.clone()).collect();
        for k in keys {
            store.remove(collection, &k)?;
        }
    }
    store.remove(INSTANCES, &key)?;
    let mut tombstone = Record::new(json!({ "name": name, "project": project.id }), ctx.now_ms);
    let window = millis(ctx.config.sql_name_reuse_window);
    tombstone.hidden.insert("reusableAtMs".into(), json!(ctx.now_ms.saturating_add(window)));
    store.put(DELETED_NAMES, &key, tombstone)?;
    start_operation(ctx, store, req, project, name, "DELETE")
}

// ---------------------------------------------------------------- databases

fn database_key(project: &Project, instance: &str, name: &str) -> String {
    format!("{}/{instance}/{name}", project.id)
}

fn put_database(ctx: &Ctx, store: &mut Store, project: &Project, instance: &str, name: &str, charset: &str, collation: &str) -> Result<Value, ApiError> {
    let resource = json!({
        "kind": "sql#database",
        "name": name,
        "instance": instance,
        "project": project.id,
        "charset": charset,
        "collation": collation,
        "selfLink": format!("{GOOGLE_BASE}projects/{}/instances/{instance}/databases/{name}", project.id),
        "etag": format!("{:x}", ctx.now_ms),
    });
    store.put(DATABASES, &database_key(project, instance, name), Record::new(resource.clone(), ctx.now_ms))?;
    Ok(resource)
}

/// A MySQL system database, as `databases.get` shows it.
fn system_database(project: &Project, instance: &str, name: &str) -> Value {
    json!({
        "kind": "sql#database", "name": name, "instance": instance, "project": project.id,
        "charset": "utf8mb3", "collation": "utf8mb3_general_ci",
        "selfLink": format!("{GOOGLE_BASE}projects/{}/instances/{instance}/databases/{name}", project.id),
    })
}

/// The charset and collation a database gets: Postgres takes UTF8 only.
fn charset_and_collation(engine: Engine, charset: &str, collation: &str) -> Result<(String, String), ApiError> {
    match engine {
        Engine::Postgres => {
            if !charset.is_empty() && !charset.eq_ignore_ascii_case("UTF8") && !charset.eq_ignore_ascii_case("UTF-8") {
                return Err(invalid(format!("charset {charset:?}: PostgreSQL databases take UTF8 only.")));
            }
            Ok(("UTF8".into(), if collation.is_empty() { "en_US.UTF8".into() } else { collation.into() }))
        }
        Engine::MySql => {
            let charset = if charset.is_empty() { "utf8mb3".to_string() } else { charset.to_ascii_lowercase() };
            let collation = match collation {
                "" if charset == "utf8mb4" => "utf8mb4_0900_ai_ci".to_string(),
                "" => format!("{charset}_general_ci"),
                c => c.to_string(),
            };
            if !collation.starts_with(&format!("{charset}_")) {
                return Err(invalid(format!("collation {collation} does not belong to charset {charset}.")));
            }
            Ok((charset, collation))
        }
        Engine::SqlServer => Ok((
            if charset.is_empty() { "UTF8".into() } else { charset.into() },
            if collation.is_empty() { "SQL_Latin1_General_CP1_CI_AS".into() } else { collation.into() },
        )),
    }
}

fn database_missing(instance: &str, name: &str) -> ApiError {
    ApiError::not_found(format!("Database {name} does not exist in instance {instance}."))
}

fn list_databases(store: &Store, project: &Project, instance_name: &str) -> Result<Value, ApiError> {
    instance(store, project, instance_name)?;
    let prefix = format!("{}/{instance_name}/", project.id);
    let items: Vec<Value> = store.iter_prefix(DATABASES, &prefix).map(|(_, r)| r.resource.clone()).collect();
    Ok(json!({ "kind": "sql#databasesList", "items": items }))
}

fn get_database(store: &Store, project: &Project, instance_name: &str, name: &str) -> Result<Value, ApiError> {
    let i = instance(store, project, instance_name)?;
    if engine_of(i) == Engine::MySql && MYSQL_SYSTEM_DATABASES.contains(&name) {
        return Ok(system_database(project, instance_name, name));
    }
    store.get(DATABASES, &database_key(project, instance_name, name)).map(|r| r.resource.clone()).ok_or_else(|| database_missing(instance_name, name))
}

fn insert_database(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, project: &Project, instance_name: &str) -> Result<Value, ApiError> {
    let record = instance_for_change(ctx, store, project, instance_name)?;
    let engine = engine_of(&record);
    let body = req.json_object()?;
    let name = str_of(&body, "name");
    if name.is_empty() || name.len() > 64 {
        return Err(invalid("database name must be 1 to 64 characters."));
    }
    if let Some(i) = body.get("instance").and_then(Value::as_str).filter(|i| *i != instance_name) {
        return Err(invalid(format!("the body names instance {i}, the path {instance_name}.")));
    }
    let system = engine == Engine::MySql && MYSQL_SYSTEM_DATABASES.contains(&name);
    if system || store.get(DATABASES, &database_key(project, instance_name, name)).is_some() {
        return Err(ApiError::already_exists(format!("Database {name} already exists in instance {instance_name}.")));
    }
    let (charset, collation) = charset_and_collation(engine, str_of(&body, "charset"), str_of(&body, "collation"))?;
    put_database(ctx, store, project, instance_name, name, &charset, &collation)?;
    start_operation(ctx, store, req, project, instance_name, "CREATE_DATABASE")
}

fn update_database(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, project: &Project, instance_name: &str, name: &str) -> Result<Value, ApiError> {
    let record = instance_for_change(ctx, store, project, instance_name)?;
    let engine = engine_of(&record);
    let key = database_key(project, instance_name, name);
    let current = store.get(DATABASES, &key).cloned().ok_or_else(|| database_missing(instance_name, name))?;
    let body = req.json_object()?;
    if let Some(n) = body.get("name").and_then(Value::as_str).filter(|n| *n != name) {
        return Err(invalid(format!("a database cannot be renamed ({name} to {n}).")));
    }
    let have = current.resource.as_object().cloned().unwrap_or_default();
    let pick = |k: &str| match str_of(&body, k) {
        "" => str_of(&have, k).to_string(),
        v => v.to_string(),
    };
    let (charset, collation) = charset_and_collation(engine, &pick("charset"), &pick("collation"))?;
    put_database(ctx, store, project, instance_name, name, &charset, &collation)?;
    start_operation(ctx, store, req, project, instance_name, "UPDATE_DATABASE")
}

fn delete_database(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, project: &Project, instance_name: &str, name: &str) -> Result<Value, ApiError> {
    let record = instance_for_change(ctx, store, project, instance_name)?;
    if engine_of(&record) == Engine::MySql && MYSQL_SYSTEM_DATABASES.contains(&name) {
        return Err(invalid(format!("{name} is a system database and cannot be deleted.")));
    }
    let key = database_key(project, instance_name, name);
    if store.remove(DATABASES, &key)?.is_none() {
        return Err(database_missing(instance_name, name));
    }
    start_operation(ctx, store, req, project, instance_name, "DELETE_DATABASE")
}

// ---------------------------------------------------------------- users

/// The host a user is known by: MySQL's (`%` when unset); none elsewhere.
fn user_host(engine: Engine, host: Option<&str>) -> String {
    match (engine, host.filter(|h| !h.is_empty())) {
        (Engine::MySql, Some(h)) => h.to_string(),
        (Engine::MySql, None) => "%".to_string(),
        _ => String::new(),
    }
}

fn user_key(project: &Project, instance: &str, host: &str, name: &str) -> String {
    format!("{}/{instance}/{host}/{name}", project.id)
}

fn put_user(ctx: &Ctx, store: &mut Store, project: &Project, instance: &str, name: &str, host: &str, kind: &str) -> Result<(), ApiError> {
    let mut resource = json!({
        "kind": "sql#user",
        "name": name,
        "instance": instance,
        "project": project.id,
        "etag": format!("{:x}", ctx.now_ms),
    });
    if !host.is_empty() {
        resource["host"] = json!(host);
    }
    // proto3 JSON leaves out the first enum value.
    if kind != "BUILT_IN" {
        resource["type"] = json!(kind);
    }
    store.put(USERS, &user_key(project, instance, host, name), Record::new(resource, ctx.now_ms))?;
    Ok(())
}

/// `(name, host)` of the user a `users.update` or `users.delete` query
/// names, once its instance may change.
fn addressed_user(ctx: &Ctx, store: &Store, req: &ApiRequest, project: &Project, instance_name: &str) -> Result<(String, String), ApiError> {
    let record = instance_for_change(ctx, store, project, instance_name)?;
    Ok((req.param("name").unwrap_or("").to_string(), user_host(engine_of(&record), req.param("host"))))
}

fn user_missing(instance: &str, name: &str, host: &str) -> ApiError {
    let at = if host.is_empty() { String::new() } else { format!("@{host}") };
    ApiError::not_found(format!("User {name}{at} does not exist in instance {instance}."))
}

fn list_users(store: &Store, project: &Project, instance_name: &str) -> Result<Value, ApiError> {
    instance(store, project, instance_name)?;
    let prefix = format!("{}/{instance_name}/", project.id);
    let items: Vec<Value> = store.iter_prefix(USERS, &prefix).map(|(_, r)| r.resource.clone()).collect();
    Ok(json!({ "kind": "sql#usersList", "items": items }))
}

fn get_user(store: &Store, req: &ApiRequest, project: &Project, instance_name: &str, name: &str) -> Result<Value, ApiError> {
    let i = instance(store, project, instance_name)?;
    let host = user_host(engine_of(i), req.param("host"));
    store.get(USERS, &user_key(project, instance_name, &host, name)).map(|r| r.resource.clone()).ok_or_else(|| user_missing(instance_name, name, &host))
}

fn insert_user(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, project: &Project, instance_name: &str) -> Result<Value, ApiError> {
    let record = instance_for_change(ctx, store, project, instance_name)?;
    let engine = engine_of(&record);
    let body = req.json_object()?;
    let name = str_of(&body, "name");
    if name.is_empty() {
        return Err(invalid("user name is required."));
    }
    let kind = match str_of(&body, "type") {
        "" => "BUILT_IN",
        k => k,
    };
    if kind != "BUILT_IN" && body.get("password").is_some_and(|p| !p.is_null()) {
        return Err(invalid(format!("a {kind} user cannot have a password.")));
    }
    if kind.starts_with("CLOUD_IAM") && !name.contains('@') {
        return Err(invalid(format!("a {kind} user is named by an email address, not {name:?}.")));
    }
    let given_host = body.get("host").and_then(Value::as_str).filter(|h| !h.is_empty());
    if let (Some(h), false) = (given_host, engine == Engine::MySql) {
        return Err(invalid(format!("host {h:?}: only MySQL users have a host.")));
    }
    let host = user_host(engine, given_host);
    if store.get(USERS, &user_key(project, instance_name, &host, name)).is_some() {
        return Err(ApiError::already_exists(format!("User {name} already exists in instance {instance_name}.")));
    }
    put_user(ctx, store, project, instance_name, name, &host, kind)?;
    start_operation(ctx, store, req, project, instance_name, "CREATE_USER")
}

/// `users.update` (`?name=&host=`): the password (kept by no one here) and
/// policies; the user stays as it is.
fn update_user(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, project: &Project, instance_name: &str) -> Result<Value, ApiError> {
    let (name, host) = addressed_user(ctx, store, req, project, instance_name)?;
    let key = user_key(project, instance_name, &host, &name);
    let mut user = store.get(USERS, &key).cloned().ok_or_else(|| user_missing(instance_name, &name, &host))?;
    let body = req.json_object()?;
    if user.resource.get("type").is_some_and(|t| !t.is_null()) && body.get("password").is_some_and(|p| !p.is_null()) {
        return Err(invalid("only BUILT_IN users have passwords."));
    }
    obj_mut(&mut user.resource, "user")?.insert("etag".into(), json!(format!("{:x}", ctx.now_ms)));
    store.put(USERS, &key, user)?;
    start_operation(ctx, store, req, project, instance_name, "UPDATE_USER")
}

fn delete_user(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, project: &Project, instance_name: &str) -> Result<Value, ApiError> {
    let (name, host) = addressed_user(ctx, store, req, project, instance_name)?;
    if store.remove(USERS, &user_key(project, instance_name, &host, &name))?.is_none() {
        return Err(user_missing(instance_name, &name, &host));
    }
    start_operation(ctx, store, req, project, instance_name, "DELETE_USER")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(parse_version("POSTGRES_15").map(|v| v.0), Some(Engine::Postgres));
        assert_eq!(parse_version("MYSQL_8_0_31").map(|v| v.0), Some(Engine::MySql));
        assert_eq!(parse_version("SQLSERVER_2019_STANDARD").map(|v| v.0), Some(Engine::SqlServer));
        assert!(parse_version("POSTGRES_X").is_none());
        assert!(parse_version("ORACLE_19").is_none());
        assert!(parse_version("POSTGRES_16").unwrap().1 > parse_version("POSTGRES_15").unwrap().1);
        assert_eq!(installed_version("MYSQL_8_0", Engine::MySql), "MYSQL_8_0_41");
        assert_eq!(default_edition(Engine::Postgres, &[16]), "ENTERPRISE_PLUS");
        assert_eq!(default_edition(Engine::MySql, &[8, 0]), "ENTERPRISE");
    }

    #[test]
    fn names_regions_cidrs() {
        assert!(check_instance_name("p", "main-db-1").is_ok());
        assert!(check_instance_name("p", "1db").is_err());
        assert!(check_instance_name("p", "db-").is_err());
        assert!(check_instance_name("p", "Db").is_err());
        assert!(check_instance_name(&"p".repeat(90), "abcdefghij").is_err());
        assert!(check_region("europe-west1").is_ok());
        assert!(check_region("europe").is_err());
        assert!(valid_cidr("10.0.0.0/8") && valid_cidr("1.2.3.4") && !valid_cidr("10.0.0.0/33") && !valid_cidr("x"));
    }

    #[test]
    fn charsets_per_engine() {
        assert_eq!(charset_and_collation(Engine::Postgres, "utf8", "").unwrap(), ("UTF8".into(), "en_US.UTF8".into()));
        assert!(charset_and_collation(Engine::Postgres, "LATIN1", "").is_err());
        assert_eq!(charset_and_collation(Engine::MySql, "", "").unwrap(), ("utf8mb3".into(), "utf8mb3_general_ci".into()));
        assert_eq!(charset_and_collation(Engine::MySql, "utf8mb4", "").unwrap().1, "utf8mb4_0900_ai_ci");
        assert!(charset_and_collation(Engine::MySql, "utf8mb4", "latin1_swedish_ci").is_err());
    }

    #[test]
    fn overlay_merges_objects_and_replaces_lists_and_labels() {
        let mut base = match json!({"a": {"x": 1, "y": 2}, "userLabels": {"k": "v"}, "databaseFlags": [{"name": "f"}], "tier": "t"}) {
            Value::Object(m) => m,
            _ => unreachable!(),
        };
        let input = match json!({"a": {"y": 3}, "userLabels": {"n": "w"}, "databaseFlags": [], "settingsVersion": "9"}) {
            Value::Object(m) => m,
            _ => unreachable!(),
        };
        overlay(&mut base, &input);
        assert_eq!(Value::Object(base), json!({"a": {"x": 1, "y": 3}, "userLabels": {"n": "w"}, "databaseFlags": [], "tier": "t"}));
    }

    #[test]
    fn operations_pend_run_and_finish() {
        let mut r = Record::new(json!({"name": "op"}), 0);
        r.hidden.insert("startMs".into(), json!(1000));
        r.hidden.insert("doneAtMs".into(), json!(2000));
        assert_eq!(render_operation(&r, 1000)["status"], "PENDING");
        let running = render_operation(&r, 1500);
        assert_eq!(running["status"], "RUNNING");
        assert!(running.get("endTime").is_none());
        let done = render_operation(&r, 2000);
        assert_eq!(done["status"], "DONE");
        assert!(done["endTime"].is_string());
    }
}
