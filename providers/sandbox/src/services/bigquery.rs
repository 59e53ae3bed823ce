//! BigQuery v2: datasets and tables, under `bigquery/v2/projects/{project}`.
//!
//! Owns: `datasets.insert|get|list|patch|update|delete` and
//! `tables.insert|get|list|patch|update|delete`, and BigQuery's rules for
//! them:
//! - Synchronous: every change answers the resource itself.
//! - Server-set fields: `kind`, `id` (`p:d`, `p:d.t`), `selfLink`, `etag`
//!   (new on every change), `creationTime` / `lastModifiedTime` (Unix
//!   milliseconds as strings), a dataset's `location` (`US` unless set;
//!   `us`/`eu` upper-cased) and its default `access` entries when none are
//!   given (project owners, writers and readers), a table's `type` (`TABLE`),
//!   `numRows` / `numBytes` (`"0"`), `location` (its dataset's) and its
//!   schema in the API's spelling (legacy type names `INTEGER`, `FLOAT`,
//!   `BOOLEAN`, `RECORD`; `mode` always given, `NULLABLE` by default).
//! - `If-Match` with a stale etag is 412; a name taken is 409 `duplicate`
//!   (`Already Exists: Dataset p:d`); a missing one 404 `notFound`.
//! - A table's schema may only grow: a PATCH or PUT that drops or retypes a
//!   column, or makes one REQUIRED, is 400 `invalid` ("Provided Schema does
//!   not match Table"); new columns must be NULLABLE or REPEATED.
//! - A dataset that holds tables is deleted only with `deleteContents=true`
//!   (else 400 `resourceInUse`, "Dataset p:d is still in use").
//!
//! Does not own: jobs, queries, data, views, routines, IAM policies,
//! external tables, encryption or table snapshots.
//!
//! Store: `bigquery.datasets` keyed `{project}/{dataset}`,
//! `bigquery.tables` keyed `{project}/{dataset}/{table}`.

use super::{merge_patch, page, resolve_project, serviceusage, ApiRequest, Ctx, Project, Reply};
use crate::error::ApiError;
use crate::store::{Record, Store};
use serde_json::{json, Map, Value};

pub const DATASETS: &str = "bigquery.datasets";
pub const TABLES: &str = "bigquery.tables";

const SERVICE: &str = "bigquery.googleapis.com";
const GOOGLE_BASE: &str = "https://bigquery.googleapis.com/bigquery/v2/";

// ---------------------------------------------------------------- errors

fn not_found(message: String) -> ApiError {
    ApiError::not_found(message)
}

fn duplicate(message: String) -> ApiError {
    ApiError { reason: "duplicate", ..ApiError::already_exists(message) }
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::invalid(message)
}

fn in_use(message: String) -> ApiError {
    ApiError { status: "FAILED_PRECONDITION", reason: "resourceInUse", ..ApiError::invalid(message) }
}

// ---------------------------------------------------------------- routing

/// Answers one BigQuery request.
pub fn handle(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest) -> Result<Reply, ApiError> {
    let segs: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    let (p, rest) = match segs.as_slice() {
        ["projects", p, rest @ ..] => (*p, rest),
        _ => return Err(ApiError::unknown_route(&req.method, &req.segments.join("/"))),
    };
    let project = resolve_project(store, ctx.now_ms, p)?;
    serviceusage::require_enabled(ctx, store, &project.number, SERVICE)?;
    let reply = match (req.method.as_str(), rest) {
        ("GET", ["datasets"]) => list_datasets(store, req, &project)?,
        ("POST", ["datasets"]) => insert_dataset(ctx, store, req, &project)?,
        ("GET", ["datasets", d]) => dataset(store, &project, d)?.resource.clone(),
        ("PATCH", ["datasets", d]) => update_dataset(ctx, store, req, &project, d, true)?,
        ("PUT", ["datasets", d]) => update_dataset(ctx, store, req, &project, d, false)?,
        ("DELETE", ["datasets", d]) => return delete_dataset(store, req, &project, d),
        ("GET", ["datasets", d, "tables"]) => list_tables(store, req, &project, d)?,
        ("POST", ["datasets", d, "tables"]) => insert_table(ctx, store, req, &project, d)?,
        ("GET", ["datasets", d, "tables", t]) => table(store, &project, d, t)?.resource.clone(),
        ("PATCH", ["datasets", d, "tables", t]) => update_table(ctx, store, req, &project, d, t, true)?,
        ("PUT", ["datasets", d, "tables", t]) => update_table(ctx, store, req, &project, d, t, false)?,
        ("DELETE", ["datasets", d, "tables", t]) => {
            let _ = dataset(store, &project, d)?;
            if store.remove(TABLES, &table_key(&project, d, t))?.is_none() {
                return Err(table_missing(&project, d, t));
            }
            return Ok(Reply::NoContent);
        }
        _ => return Err(ApiError::unknown_route(&req.method, &req.segments.join("/"))),
    };
    Ok(Reply::Json(reply))
}

// ---------------------------------------------------------------- shared

fn dataset_key(project: &Project, d: &str) -> String {
    format!("{}/{d}", project.id)
}

fn table_key(project: &Project, d: &str, t: &str) -> String {
    format!("{}/{d}/{t}", project.id)
}

fn dataset<'a>(store: &'a Store, project: &Project, d: &str) -> Result<&'a Record, ApiError> {
    store.get(DATASETS, &dataset_key(project, d)).ok_or_else(|| not_found(format!("Not found: Dataset {}:{d}", project.id)))
}

fn table_missing(project: &Project, d: &str, t: &str) -> ApiError {
    not_found(format!("Not found: Table {}:{d}.{t}", project.id))
}

fn table<'a>(store: &'a Store, project: &Project, d: &str, t: &str) -> Result<&'a Record, ApiError> {
    let _ = dataset(store, project, d)?;
    store.get(TABLES, &table_key(project, d, t)).ok_or_else(|| table_missing(project, d, t))
}

/// BigQuery's ids: letters, digits and underscores, 1 to 1024 of them.
fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 1024 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// 412 when `If-Match` names another etag than the resource's.
fn check_if_match(req: &ApiRequest, current: &Value) -> Result<(), ApiError> {
    match req.if_match.as_deref().map(|e| e.trim().trim_matches('"')) {
        Some(want) if !want.is_empty() && want != "*" && Some(want) != current["etag"].as_str().map(|e| e.trim_matches('"')) => {
            Err(ApiError::condition_not_met())
        }
        _ => Ok(()),
    }
}

/// Stamps what changes on every write: `etag`, `lastModifiedTime`.
fn stamp(ctx: &mut Ctx, resource: &mut Value) {
    resource["etag"] = json!(ctx.new_id());
    resource["lastModifiedTime"] = json!(ctx.now_ms.to_string());
}

/// An int64 the API writes as a string.
fn int64_field(body: &Map<String, Value>, key: &str) -> Result<Option<String>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.parse::<i64>().is_ok() => Ok(Some(s.clone())),
        Some(Value::Number(n)) if n.is_i64() => Ok(n.as_i64().map(|i| i.to_string())),
        Some(v) => Err(invalid(format!("Invalid value for {key}: {v}"))),
    }
}

/// Fields a client may write, copied from the body as given.
fn copy_fields(body: &Map<String, Value>, out: &mut Value, keys: &[&str]) {
    for k in keys {
        if let Some(v) = body.get(*k).filter(|v| !v.is_null()) {
            out[*k] = v.clone();
        }
    }
}

/// A PATCH (merge, `null` removes) or PUT (replace) of the client's fields.
fn apply_body(current: &mut Value, body: &Map<String, Value>, writable: &[&str], patch: bool) {
    if !patch {
        if let Some(m) = current.as_object_mut() {
            for k in writable {
                m.remove(*k);
            }
        }
    }
    for k in writable {
        match body.get(*k) {
            None => {}
            Some(Value::Null) => {
                if let Some(m) = current.as_object_mut() {
                    m.remove(*k);
                }
            }
            // Arrays (access, schema fields) replace; objects (labels) merge.
            Some(v) if *k == "labels" && patch => merge_patch(current.get_mut(*k).get_or_insert(&mut Value::Null), v),
            Some(v) => current[*k] = v.clone(),
        }
    }
}

fn list_params(req: &ApiRequest) -> Result<usize, ApiError> {
    Ok(req.int_param("maxResults")?.filter(|n| *n > 0).map(|n| n as usize).unwrap_or(1000))
}

// ---------------------------------------------------------------- datasets

const DATASET_WRITABLE: &[&str] =
    &["friendlyName", "description", "defaultTableExpirationMs", "defaultPartitionExpirationMs", "labels", "access"];

/// What a dataset gets when it is given no `access`.
fn default_access() -> Value {
    json!([
        { "role": "WRITER", "specialGroup": "projectWriters" },
        { "role": "OWNER", "specialGroup": "projectOwners" },
        { "role": "READER", "specialGroup": "projectReaders" },
    ])
}

fn check_dataset_body(body: &Map<String, Value>) -> Result<(), ApiError> {
    for k in ["defaultTableExpirationMs", "defaultPartitionExpirationMs"] {
        if let Some(ms) = int64_field(body, k)? {
            if k == "defaultTableExpirationMs" && ms.parse::<i64>().unwrap_or(0) < 3_600_000 {
                return Err(invalid("Invalid default table expiration: it must be at least one hour (3600000 ms)."));
            }
        }
    }
    if let Some(access) = body.get("access").filter(|a| !a.is_null()) {
        let Some(entries) = access.as_array() else { return Err(invalid("Invalid value for access: expected a list.")) };
        for e in entries {
            let who = ["userByEmail", "groupByEmail", "specialGroup", "domain", "iamMember", "view", "dataset", "routine"];
            if who.iter().filter(|k| e.get(**k).is_some_and(|v| !v.is_null())).count() != 1 {
                return Err(invalid("Invalid access entry: exactly one of userByEmail, groupByEmail, specialGroup, domain, iamMember or view must be set."));
            }
            if e.get("view").is_none() && e.get("role").and_then(Value::as_str).is_none_or(str::is_empty) {
                return Err(invalid("Invalid access entry: a role is required."));
            }
        }
    }
    Ok(())
}

/// `int64` fields in the API's spelling (strings).
fn normalize_int64(resource: &mut Value, keys: &[&str]) {
    for k in keys {
        if let Some(v) = resource.get(*k).cloned() {
            match v {
                Value::Number(n) => resource[*k] = json!(n.as_i64().unwrap_or(0).to_string()),
                Value::Null => {
                    if let Some(m) = resource.as_object_mut() {
                        m.remove(*k);
                    }
                }
                _ => {}
            }
        }
    }
}

fn insert_dataset(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, project: &Project) -> Result<Value, ApiError> {
    let body = req.json_object()?;
    let reference = body.get("datasetReference").cloned().unwrap_or(Value::Null);
    let d = reference["datasetId"].as_str().unwrap_or("");
    if !valid_id(d) {
        return Err(invalid(format!("Invalid dataset ID \"{d}\". Dataset IDs must be alphanumeric (plus underscores) and must be at most 1024 characters long.")));
    }
    if let Some(p) = reference["projectId"].as_str().filter(|p| *p != project.id) {
        return Err(invalid(format!("The project {p} in the dataset reference does not match the project {} of the request.", project.id)));
    }
    if store.get(DATASETS, &dataset_key(project, d)).is_some() {
        return Err(duplicate(format!("Already Exists: Dataset {}:{d}", project.id)));
    }
    check_dataset_body(&body)?;
    let location = match body.get("location").and_then(Value::as_str).filter(|l| !l.is_empty()) {
        None => "US".to_string(),
        Some(l) if l.eq_ignore_ascii_case("us") || l.eq_ignore_ascii_case("eu") => l.to_ascii_uppercase(),
        Some(l) => l.to_string(),
    };
    let mut resource = json!({
        "kind": "bigquery#dataset",
        "id": format!("{}:{d}", project.id),
        "selfLink": format!("{GOOGLE_BASE}projects/{}/datasets/{d}", project.id),
        "datasetReference": { "projectId": project.id, "datasetId": d },
        "location": location,
        "creationTime": ctx.now_ms.to_string(),
        "type": "DEFAULT",
    });
    copy_fields(&body, &mut resource, DATASET_WRITABLE);
    if resource.get("access").and_then(Value::as_array).is_none_or(Vec::is_empty) {
        resource["access"] = default_access();
    }
    normalize_int64(&mut resource, &["defaultTableExpirationMs", "defaultPartitionExpirationMs"]);
    stamp(ctx, &mut resource);
    store.put(DATASETS, &dataset_key(project, d), Record::new(resource.clone(), ctx.now_ms))?;
    Ok(resource)
}

fn update_dataset(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, project: &Project, d: &str, patch: bool) -> Result<Value, ApiError> {
    let mut record = dataset(store, project, d)?.clone();
    check_if_match(req, &record.resource)?;
    let body = req.json_object()?;
    check_dataset_body(&body)?;
    if let Some(l) = body.get("location").and_then(Value::as_str) {
        if !l.eq_ignore_ascii_case(record.resource["location"].as_str().unwrap_or("")) {
            return Err(invalid(format!("Cannot change the location of dataset {}:{d}.", project.id)));
        }
    }
    apply_body(&mut record.resource, &body, DATASET_WRITABLE, patch);
    if record.resource.get("access").and_then(Value::as_array).is_none_or(Vec::is_empty) {
        record.resource["access"] = default_access();
    }
    normalize_int64(&mut record.resource, &["defaultTableExpirationMs", "defaultPartitionExpirationMs"]);
    stamp(ctx, &mut record.resource);
    store.put(DATASETS, &dataset_key(project, d), record.clone())?;
    Ok(record.resource)
}

fn delete_dataset(store: &mut Store, req: &ApiRequest, project: &Project, d: &str) -> Result<Reply, ApiError> {
    let _ = dataset(store, project, d)?;
    let prefix = format!("{}/", dataset_key(project, d));
    let tables: Vec<String> = store.iter_prefix(TABLES, &prefix).map(|(k, _)| k.clone()).collect();
    if !tables.is_empty() {
        if req.param("deleteContents") != Some("true") {
            return Err(in_use(format!("Dataset {}:{d} is still in use", project.id)));
        }
        for k in tables {
            store.remove(TABLES, &k)?;
        }
    }
    store.remove(DATASETS, &dataset_key(project, d))?;
    Ok(Reply::NoContent)
}

fn list_datasets(store: &Store, req: &ApiRequest, project: &Project) -> Result<Value, ApiError> {
    let prefix = format!("{}/", project.id);
    let items: Vec<(String, Value)> = store
        .iter_prefix(DATASETS, &prefix)
        .map(|(k, r)| {
            let o = &r.resource;
            let mut entry = json!({ "kind": "bigquery#dataset", "id": o["id"], "datasetReference": o["datasetReference"], "location": o["location"] });
            copy_fields(o.as_object().unwrap_or(&Map::new()), &mut entry, &["labels", "friendlyName"]);
            (k.clone(), entry)
        })
        .collect();
    let (items, next) = page(&items, req.param("pageToken"), list_params(req)?);
    let mut out = json!({ "kind": "bigquery#datasetList", "etag": format!("{:x}", items.len()) });
    if !items.is_empty() {
        out["datasets"] = Value::Array(items);
    }
    if let Some(t) = next {
        out["nextPageToken"] = json!(t);
    }
    Ok(out)
}

// ---------------------------------------------------------------- tables

const TABLE_WRITABLE: &[&str] =
    &["friendlyName", "description", "labels", "expirationTime", "schema", "timePartitioning", "clustering"];

/// A type's legacy SQL name, as the API answers it; `None` when unknown.
fn canonical_type(t: &str) -> Option<&'static str> {
    Some(match t.to_ascii_uppercase().as_str() {
        "STRING" => "STRING",
        "BYTES" => "BYTES",
        "INTEGER" | "INT64" => "INTEGER",
        "FLOAT" | "FLOAT64" => "FLOAT",
        "NUMERIC" => "NUMERIC",
        "BIGNUMERIC" => "BIGNUMERIC",
        "BOOLEAN" | "BOOL" => "BOOLEAN",
        "TIMESTAMP" => "TIMESTAMP",
        "DATE" => "DATE",
        "TIME" => "TIME",
        "DATETIME" => "DATETIME",
        "GEOGRAPHY" => "GEOGRAPHY",
        "JSON" => "JSON",
        "RECORD" | "STRUCT" => "RECORD",
        _ => return None,
    })
}

/// Schema fields in the API's spelling, or 400 naming the bad field.
fn normalize_fields(fields: &Value, path: &str) -> Result<Value, ApiError> {
    let Some(list) = fields.as_array() else { return Err(invalid("Invalid schema: fields must be a list.")) };
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for f in list {
        let name = f.get("name").and_then(Value::as_str).unwrap_or("");
        let full = if path.is_empty() { name.to_string() } else { format!("{path}.{name}") };
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') || name.as_bytes()[0].is_ascii_digit() {
            return Err(invalid(format!("Invalid field name \"{full}\". Fields must contain only letters, numbers, and underscores, start with a letter or underscore, and be at most 300 characters long.")));
        }
        if seen.contains(&name.to_ascii_lowercase()) {
            return Err(invalid(format!("Field {full} already exists in schema")));
        }
        seen.push(name.to_ascii_lowercase());
        let ty = f.get("type").and_then(Value::as_str).unwrap_or("");
        let Some(ty) = canonical_type(ty) else { return Err(invalid(format!("Invalid value for type: {ty} is not a valid value (field {full})"))) };
        let mode = f.get("mode").and_then(Value::as_str).filter(|m| !m.is_empty()).unwrap_or("NULLABLE").to_ascii_uppercase();
        if !["NULLABLE", "REQUIRED", "REPEATED"].contains(&mode.as_str()) {
            return Err(invalid(format!("Invalid value for mode: {mode} is not a valid value (field {full})")));
        }
        let mut g = f.as_object().cloned().unwrap_or_default();
        g.insert("type".into(), json!(ty));
        g.insert("mode".into(), json!(mode));
        match (ty, f.get("fields").filter(|v| !v.is_null())) {
            ("RECORD", Some(sub)) if sub.as_array().is_some_and(|a| !a.is_empty()) => {
                g.insert("fields".into(), normalize_fields(sub, &full)?);
            }
            ("RECORD", _) => return Err(invalid(format!("Field {full} is type RECORD but has no schema"))),
            (_, Some(_)) => return Err(invalid(format!("Field {full} is type {ty} but has a nested schema"))),
            _ => {}
        }
        out.push(Value::Object(g));
    }
    Ok(Value::Array(out))
}

/// Why a new schema may not replace an old one: a column dropped, retyped,
/// made REQUIRED, or a new column REQUIRED.
fn schema_change_error(old: &Value, new: &Value, path: &str) -> Option<String> {
    let empty = Vec::new();
    let old = old.as_array().unwrap_or(&empty);
    let new = new.as_array().unwrap_or(&empty);
    let name_of = |f: &Value| f["name"].as_str().unwrap_or("").to_ascii_lowercase();
    for o in old {
        let full = if path.is_empty() { o["name"].as_str().unwrap_or("").to_string() } else { format!("{path}.{}", o["name"].as_str().unwrap_or("")) };
        let Some(n) = new.iter().find(|n| name_of(n) == name_of(o)) else { return Some(format!("field {full} is missing in new schema")) };
        if o["type"] != n["type"] {
            return Some(format!("field {full} has changed type from {} to {}", o["type"].as_str().unwrap_or(""), n["type"].as_str().unwrap_or("")));
        }
        if o["mode"] != n["mode"] && !(o["mode"] == "REQUIRED" && n["mode"] == "NULLABLE") {
            return Some(format!("field {full} has changed mode from {} to {}", o["mode"].as_str().unwrap_or(""), n["mode"].as_str().unwrap_or("")));
        }
        if o["type"] == "RECORD" {
            if let Some(e) = schema_change_error(&o["fields"], &n["fields"], &full) {
                return Some(e);
            }
        }
    }
    for n in new {
        if n["mode"] == "REQUIRED" && !old.iter().any(|o| name_of(o) == name_of(n)) {
            return Some(format!("a new field {} cannot be REQUIRED", n["name"].as_str().unwrap_or("")));
        }
        if n["type"] == "RECORD" && !old.iter().any(|o| name_of(o) == name_of(n)) {
            if let Some(e) = schema_change_error(&json!([]), &n["fields"], "") {
                return Some(e);
            }
        }
    }
    None
}

/// Checks and normalizes a table's client fields in place.
fn check_table(resource: &mut Value) -> Result<(), ApiError> {
    if let Some(schema) = resource.get("schema").filter(|s| !s.is_null()).cloned() {
        let fields = normalize_fields(schema.get("fields").unwrap_or(&json!([])), "")?;
        resource["schema"] = json!({ "fields": fields });
    }
    if let Some(tp) = resource.get("timePartitioning").filter(|s| !s.is_null()).cloned() {
        let ty = tp.get("type").and_then(Value::as_str).unwrap_or("");
        if !["DAY", "HOUR", "MONTH", "YEAR"].contains(&ty) {
            return Err(invalid(format!("Invalid value for timePartitioning.type: \"{ty}\"")));
        }
        if let Some(field) = tp.get("field").and_then(Value::as_str) {
            let top = resource.pointer("/schema/fields").and_then(Value::as_array).cloned().unwrap_or_default();
            let ok = top.iter().any(|f| f["name"].as_str().is_some_and(|n| n.eq_ignore_ascii_case(field)) && ["DATE", "TIMESTAMP", "DATETIME"].contains(&f["type"].as_str().unwrap_or("")));
            if !ok {
                return Err(invalid(format!("The field specified for time partitioning can only be of type TIMESTAMP, DATE or DATETIME. The type found is: missing field {field}.")));
            }
        }
        normalize_int64(&mut resource["timePartitioning"], &["expirationMs"]);
    }
    if let Some(c) = resource.get("clustering").filter(|s| !s.is_null()) {
        let n = c.get("fields").and_then(Value::as_array).map(Vec::len).unwrap_or(0);
        if n > 4 {
            return Err(invalid("Too many clustering fields: at most 4 are allowed."));
        }
    }
    normalize_int64(resource, &["expirationTime"]);
    Ok(())
}

fn insert_table(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, project: &Project, d: &str) -> Result<Value, ApiError> {
    let location = dataset(store, project, d)?.resource["location"].clone();
    let body = req.json_object()?;
    let reference = body.get("tableReference").cloned().unwrap_or(Value::Null);
    let t = reference["tableId"].as_str().unwrap_or("");
    if !valid_id(t) {
        return Err(invalid(format!("Invalid table ID \"{t}\". Table IDs must be alphanumeric (plus underscores) and must be at most 1024 characters long.")));
    }
    if reference["datasetId"].as_str().is_some_and(|x| x != d) {
        return Err(invalid(format!("The dataset in the table reference does not match the dataset {d} of the request.")));
    }
    if store.get(TABLES, &table_key(project, d, t)).is_some() {
        return Err(duplicate(format!("Already Exists: Table {}:{d}.{t}", project.id)));
    }
    let mut resource = json!({
        "kind": "bigquery#table",
        "id": format!("{}:{d}.{t}", project.id),
        "selfLink": format!("{GOOGLE_BASE}projects/{}/datasets/{d}/tables/{t}", project.id),
        "tableReference": { "projectId": project.id, "datasetId": d, "tableId": t },
        "creationTime": ctx.now_ms.to_string(),
        "numRows": "0",
        "numBytes": "0",
        "type": "TABLE",
        "location": location,
    });
    copy_fields(&body, &mut resource, TABLE_WRITABLE);
    check_table(&mut resource)?;
    stamp(ctx, &mut resource);
    store.put(TABLES, &table_key(project, d, t), Record::new(resource.clone(), ctx.now_ms))?;
    Ok(resource)
}

#[allow(clippy::too_many_arguments)]
fn update_table(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, project: &Project, d: &str, t: &str, patch: bool) -> Result<Value, ApiError> {
    let mut record = table(store, project, d, t)?.clone();
    check_if_match(req, &record.resource)?;
    let body = req.json_object()?;
    let old_fields = record.resource.pointer("/schema/fields").cloned().unwrap_or(json!([]));
    apply_body(&mut record.resource, &body, TABLE_WRITABLE, patch);
    check_table(&mut record.resource)?;
    let new_fields = record.resource.pointer("/schema/fields").cloned().unwrap_or(json!([]));
    if let Some(why) = schema_change_error(&old_fields, &new_fields, "") {
        return Err(invalid(format!("Provided Schema does not match Table {}:{d}.{t}: {why}.", project.id)));
    }
    let old_partition = table(store, project, d, t)?.resource.get("timePartitioning").cloned();
    if old_partition.is_some() && record.resource.get("timePartitioning").map(|p| p.get("field")) != old_partition.as_ref().map(|p| p.get("field")) {
        return Err(invalid("Cannot change partitioning spec for a partitioned table."));
    }
    stamp(ctx, &mut record.resource);
    store.put(TABLES, &table_key(project, d, t), record.clone())?;
    Ok(record.resource)
}

fn list_tables(store: &Store, req: &ApiRequest, project: &Project, d: &str) -> Result<Value, ApiError> {
    let _ = dataset(store, project, d)?;
    let prefix = format!("{}/", dataset_key(project, d));
    let items: Vec<(String, Value)> = store
        .iter_prefix(TABLES, &prefix)
        .map(|(k, r)| {
            let o = &r.resource;
            let mut entry = json!({ "kind": "bigquery#table", "id": o["id"], "tableReference": o["tableReference"], "type": o["type"], "creationTime": o["creationTime"] });
            copy_fields(o.as_object().unwrap_or(&Map::new()), &mut entry, &["labels", "friendlyName", "timePartitioning", "clustering", "expirationTime"]);
            (k.clone(), entry)
        })
        .collect();
    let total = items.len();
    let (items, next) = page(&items, req.param("pageToken"), list_params(req)?);
    let mut out = json!({ "kind": "bigquery#tableList", "etag": format!("{total:x}"), "totalItems": total });
    if !items.is_empty() {
        out["tables"] = Value::Array(items);
    }
    if let Some(t) = next {
        out["nextPageToken"] = json!(t);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_grow_only() {
        let old = normalize_fields(&json!([{ "name": "a", "type": "INT64" }, { "name": "r", "type": "STRUCT", "fields": [{ "name": "x", "type": "STRING" }] }]), "").unwrap();
        assert_eq!(old[0], json!({ "name": "a", "type": "INTEGER", "mode": "NULLABLE" }));
        let grown = normalize_fields(&json!([{ "name": "a", "type": "INTEGER" }, { "name": "r", "type": "RECORD", "fields": [{ "name": "x", "type": "STRING" }, { "name": "y", "type": "BOOL" }] }, { "name": "b", "type": "STRING" }]), "").unwrap();
        assert_eq!(schema_change_error(&old, &grown, ""), None);
        let retyped = normalize_fields(&json!([{ "name": "a", "type": "STRING" }]), "").unwrap();
        assert!(schema_change_error(&old, &retyped, "").unwrap().contains("field a has changed type"));
        let dropped = normalize_fields(&json!([{ "name": "a", "type": "INTEGER" }, { "name": "r", "type": "RECORD", "fields": [{ "name": "y", "type": "STRING" }] }]), "").unwrap();
        assert!(schema_change_error(&old, &dropped, "").unwrap().contains("field r.x is missing"));
    }
}
