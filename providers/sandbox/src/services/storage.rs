//! Cloud Storage JSON API v1: buckets, bucket IAM, and just enough of objects
//! to fill a bucket.
//!
//! Owns, under `storage/v1/`:
//! - buckets: `insert` (`POST b?project=`), `get`, `patch`, `update` (PUT),
//!   `delete`, `list` (`GET b?project=`), `lockRetentionPolicy`, with
//!   `projection=noAcl|full` and `ifMetagenerationMatch` /
//!   `ifMetagenerationNotMatch`. The server sets `kind`, `id`, `selfLink`,
//!   `projectNumber`, `timeCreated`, `updated`, `metageneration`, `etag`,
//!   `locationType`, `rpo`, `softDeletePolicy`; `location` is upper-cased
//!   (default `US`), `storageClass` defaults to `STANDARD`,
//!   `iamConfiguration` gets its defaults. Names are global (409 whoever owns
//!   them); deleting a bucket that holds objects is 409; a GET within
//!   `consistency_delay` of the create is 404, as Google's brief
//!   inconsistency. Sub-objects, with Google's rules:
//!   - `cors`, `website`, `versioning`, `labels`, `lifecycle` are kept as
//!     sent (labels and lifecycle rules checked);
//!   - `retentionPolicy`: `retentionPeriod` from 1 second to 100 years,
//!     `effectiveTime` set by the server; `isLocked` is set only by
//!     `lockRetentionPolicy` (one way); removing or shortening a locked
//!     policy is 403;
//!   - `softDeletePolicy`: `retentionDurationSeconds` 0 (off) or 7 to 90
//!     days, 7 days by default; `effectiveTime` set when it changes;
//!   - `autoclass`: `terminalStorageClass` NEARLINE (default) or ARCHIVE,
//!     `toggleTime` and `terminalStorageClassUpdateTime` set by the server;
//!     the bucket's storage class must then be STANDARD.
//! - bucket IAM: `GET b/{bucket}/iam` (a policy with conditions needs
//!   `optionsRequestedPolicyVersion=3`), `PUT b/{bucket}/iam`, `GET
//!   b/{bucket}/iam/testPermissions` (the caller holds every `storage.*`
//!   permission). A new bucket's policy gives its project's owners, editors
//!   and viewers the legacy roles, as Google's. A set with a stale `etag` is
//!   412 conditionNotMet; bindings are checked as every policy's
//!   ([`super::policy`]: roles, principals, service accounts that exist and
//!   have propagated), with `allUsers`, `allAuthenticatedUsers` and
//!   `projectOwner:|projectEditor:|projectViewer:{project id}` accepted too;
//!   basic roles (`roles/owner`, `roles/editor`, `roles/viewer`) are 400;
//!   conditions need version 3 and uniform bucket-level access; `allUsers`
//!   is refused under enforced public access prevention (412).
//! - objects: `POST upload/storage/v1/b/{bucket}/o?uploadType=media&name=`,
//!   `GET b/{bucket}/o` (list, `prefix`), `GET b/{bucket}/o/{object}`
//!   (`alt=media` for the bytes), `DELETE b/{bucket}/o/{object}`. An object
//!   younger than the bucket's retention period cannot be deleted or
//!   overwritten (403).
//!
//! Does not own: ACL endpoints, object versioning (one live generation per
//! name), soft-deleted objects (a delete is final), object holds and
//! per-object retention, multipart/resumable uploads, `md5Hash`, object
//! patch/copy/compose, notifications, `userProject` billing.
//!
//! Every call checks that `storage.googleapis.com` is enabled in the bucket's
//! project (the `project` parameter for insert and list).
//!
//! Store: `storage.buckets` keyed by bucket name; `storage.bucketiam` keyed by
//! bucket name (hidden `serial` for the etag); `storage.objects` keyed
//! `{bucket}/{object}` (hidden `data`, base64).

use super::policy::{self, check_bindings, Special};
use super::{crc32c, merge_patch, page, resolve_project, serviceusage, ApiRequest, Ctx, Reply, PROJECTS};
use crate::error::ApiError;
use crate::store::{Record, Store};
use base64::Engine as _;
use serde_json::{json, Map, Value};

pub const BUCKETS: &str = "storage.buckets";
pub const BUCKET_IAM: &str = "storage.bucketiam";
pub const OBJECTS: &str = "storage.objects";

const SERVICE: &str = "storage.googleapis.com";

/// Fields the server sets; a client may send them back, they are ignored.
const OUTPUT_ONLY: &[&str] =
    &["kind", "id", "selfLink", "projectNumber", "timeCreated", "updated", "metageneration", "etag", "locationType", "generation", "owner", "acl", "defaultObjectAcl", "satisfiesPZS", "satisfiesPZI"];

const STORAGE_CLASSES: &[&str] =
    &["STANDARD", "NEARLINE", "COLDLINE", "ARCHIVE", "MULTI_REGIONAL", "REGIONAL", "DURABLE_REDUCED_AVAILABILITY"];

const MULTI_REGIONS: &[&str] = &["US", "EU", "ASIA"];
const DUAL_REGIONS: &[&str] = &["NAM4", "EUR4", "ASIA1", "EUR5", "EUR7", "EUR8"];
const REGIONS: &[&str] = &[
    "US-CENTRAL1", "US-EAST1", "US-EAST4", "US-EAST5", "US-SOUTH1", "US-WEST1", "US-WEST2", "US-WEST3", "US-WEST4",
    "NORTHAMERICA-NORTHEAST1", "NORTHAMERICA-NORTHEAST2", "SOUTHAMERICA-EAST1", "SOUTHAMERICA-WEST1",
    "EUROPE-WEST1", "EUROPE-WEST2", "EUROPE-WEST3", "EUROPE-WEST4", "EUROPE-WEST6", "EUROPE-WEST8", "EUROPE-WEST9",
    "EUROPE-WEST10", "EUROPE-WEST12", "EUROPE-NORTH1", "EUROPE-CENTRAL2", "EUROPE-SOUTHWEST1",
    "ASIA-EAST1", "ASIA-EAST2", "ASIA-NORTHEAST1", "ASIA-NORTHEAST2", "ASIA-NORTHEAST3", "ASIA-SOUTH1", "ASIA-SOUTH2",
    "ASIA-SOUTHEAST1", "ASIA-SOUTHEAST2", "AUSTRALIA-SOUTHEAST1", "AUSTRALIA-SOUTHEAST2",
    "ME-WEST1", "ME-CENTRAL1", "AFRICA-SOUTH1",
];

/// Answers one Cloud Storage request.
pub fn handle(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest) -> Result<Reply, ApiError> {
    let segs: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    if req.upload {
        return match (req.method.as_str(), segs.as_slice()) {
            ("POST", ["b", bucket, "o"]) => upload(ctx, store, req, bucket),
            _ => Err(ApiError::unknown_route(&req.method, &req.segments.join("/"))),
        };
    }
    match (req.method.as_str(), segs.as_slice()) {
        ("POST", ["b"]) => insert(ctx, store, req),
        ("GET", ["b"]) => list_buckets(ctx, store, req),
        ("GET", ["b", bucket]) => get_bucket(ctx, store, req, bucket),
        ("PATCH", ["b", bucket]) => change_bucket(ctx, store, req, bucket, false),
        ("PUT", ["b", bucket]) => change_bucket(ctx, store, req, bucket, true),
        ("DELETE", ["b", bucket]) => delete_bucket(ctx, store, req, bucket),
        ("POST", ["b", bucket, "lockRetentionPolicy"]) => lock_retention(ctx, store, req, bucket),
        ("GET", ["b", bucket, "iam"]) => get_policy(ctx, store, req, bucket),
        ("PUT", ["b", bucket, "iam"]) => set_policy(ctx, store, req, bucket),
        ("GET", ["b", bucket, "iam", "testPermissions"]) => test_permissions(ctx, store, req, bucket),
        ("GET", ["b", bucket, "o"]) => list_objects(ctx, store, req, bucket),
        ("GET", ["b", bucket, "o", object @ ..]) if !object.is_empty() => get_object(ctx, store, req, bucket, &object.join("/")),
        ("DELETE", ["b", bucket, "o", object @ ..]) if !object.is_empty() => {
            delete_object(ctx, store, bucket, &object.join("/"))
        }
        _ => Err(ApiError::unknown_route(&req.method, &req.segments.join("/"))),
    }
}

// ---------------------------------------------------------------- helpers

fn bucket_not_found() -> ApiError {
    ApiError::not_found("The specified bucket does not exist.")
}

/// The stored bucket named `name`, after checking the API is enabled in its
/// project.
fn bucket_for(ctx: &Ctx, store: &Store, name: &str) -> Result<Record, ApiError> {
    let record = store.get(BUCKETS, name).ok_or_else(bucket_not_found)?;
    let number = record.resource["projectNumber"].as_str().unwrap_or_default();
    serviceusage::require_enabled(ctx, store, number, SERVICE)?;
    Ok(record.clone())
}

/// Google's etags for storage resources: the base64 of a protobuf message
/// whose fields 1, 2... are these integers (`CAE=` for metageneration 1).
fn etag(fields: &[u64]) -> String {
    let mut bytes = Vec::new();
    for (i, &v) in fields.iter().enumerate() {
        bytes.push(((i as u8 + 1) << 3) & 0xf8);
        let mut v = v;
        loop {
            let low = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                bytes.push(low);
                break;
            }
            bytes.push(low | 0x80);
        }
    }
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// An int64 field, which the JSON API writes as a string.
fn int_field(v: &Value) -> u64 {
    v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok())).unwrap_or(0)
}

/// Bucket names: 3-63 characters (222 with dots, 63 per dot-part) of
/// lowercase letters, digits, `-`, `_` and `.`, starting and ending with a
/// letter or digit, not starting with `goog`, not an IP address.
fn valid_bucket_name(name: &str) -> bool {
    let max = if name.contains('.') { 222 } else { 63 };
    let chars_ok = name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.'));
    let ends_ok = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let parts_ok = name.split('.').all(|p| !p.is_empty() && p.len() <= 63);
    let is_ip = name.split('.').count() == 4 && name.split('.').all(|p| p.parse::<u8>().is_ok());
    (3..=max).contains(&name.len())
        && chars_ok
        && ends_ok(name.bytes().next())
        && ends_ok(name.bytes().last())
        && parts_ok
        && !name.starts_with("goog")
        && !name.contains("google")
        && !is_ip
}

fn check_metageneration(req: &ApiRequest, current: u64) -> Result<(), ApiError> {
    if let Some(want) = req.int_param("ifMetagenerationMatch")? {
        if want != current as i64 {
            return Err(ApiError::condition_not_met());
        }
    }
    if let Some(not) = req.int_param("ifMetagenerationNotMatch")? {
        if not == current as i64 {
            return Err(ApiError::condition_not_met());
        }
    }
    Ok(())
}

fn projection(req: &ApiRequest, default: &str) -> Result<bool, ApiError> {
    match req.param("projection").unwrap_or(default) {
        "full" => Ok(true),
        "noAcl" => Ok(false),
        other => Err(ApiError::invalid(format!("Invalid value for projection: '{other}'."))),
    }
}

/// The bucket as returned: with `owner` and ACLs for `projection=full`
/// (ACLs only without uniform bucket-level access).
fn render_bucket(resource: &Value, full: bool) -> Value {
    let mut out = resource.clone();
    if full {
        let number = resource["projectNumber"].as_str().unwrap_or_default();
        out["owner"] = json!({ "entity": format!("project-owners-{number}") });
        let ubla = resource.pointer("/iamConfiguration/uniformBucketLevelAccess/enabled") == Some(&json!(true));
        if !ubla {
            let acl = |role: &str, team: &str| {
                json!({ "kind": "storage#bucketAccessControl", "entity": format!("project-{team}-{number}"), "role": role,
                        "projectTeam": { "projectNumber": number, "team": team } })
            };
            out["acl"] = json!([acl("OWNER", "owners"), acl("OWNER", "editors"), acl("READER", "viewers")]);
            out["defaultObjectAcl"] = json!([
                { "kind": "storage#objectAccessControl", "entity": format!("project-owners-{number}"), "role": "OWNER" },
                { "kind": "storage#objectAccessControl", "entity": format!("project-editors-{number}"), "role": "OWNER" },
                { "kind": "storage#objectAccessControl", "entity": format!("project-viewers-{number}"), "role": "READER" },
            ]);
        }
    }
    out
}

/// Longest retention period: 100 years.
const MAX_RETENTION_SECS: u64 = 3_155_760_000;
/// Soft delete: the default retention, and the longest (0 turns it off).
const SOFT_DELETE_DEFAULT_SECS: u64 = 7 * 86_400;
const SOFT_DELETE_MAX_SECS: u64 = 90 * 86_400;

fn set_or_remove(b: &mut Map<String, Value>, key: &str, v: Option<Value>) {
    match v {
        Some(v) => b.insert(key.into(), v),
        None => b.remove(key),
    };
}

/// A sub-object's field the server keeps while the field it depends on
/// stays the same (`effectiveTime` while the duration does), else now.
fn kept_time(ctx: &Ctx, old: Option<&Value>, same: bool, field: &str) -> Value {
    match old.and_then(|o| o.get(field)) {
        Some(t) if same && t.is_string() => t.clone(),
        _ => json!(ctx.now_rfc3339()),
    }
}

/// The bucket's `retentionPolicy` (`None`: it has none), given the one it
/// had: the period checked, `effectiveTime` the server's, `isLocked` only
/// as `lockRetentionPolicy` left it; a locked policy can be neither removed
/// nor shortened (403).
fn retention_policy(ctx: &Ctx, b: &Map<String, Value>, old: Option<&Value>) -> Result<Option<Value>, ApiError> {
    let name = b.get("name").and_then(Value::as_str).unwrap_or_default();
    let locked = old.filter(|o| o.get("isLocked") == Some(&json!(true)));
    let given = match b.get("retentionPolicy") {
        None | Some(Value::Null) => {
            if locked.is_some() {
                return Err(ApiError::permission_denied(format!(
                    "Cannot remove the locked retention policy of bucket '{name}'."
                )));
            }
            return Ok(None);
        }
        Some(v @ Value::Object(_)) => v,
        Some(_) => return Err(ApiError::invalid("retentionPolicy must be an object.")),
    };
    let period = given.get("retentionPeriod").map(int_field).unwrap_or(0);
    if period == 0 || period > MAX_RETENTION_SECS {
        return Err(ApiError::invalid(
            "retentionPolicy.retentionPeriod must be greater than zero and less than 100 years.",
        ));
    }
    if let Some(l) = locked {
        if period < l.get("retentionPeriod").map(int_field).unwrap_or(0) {
            return Err(ApiError::permission_denied(format!(
                "Cannot reduce the retention period of the locked retention policy of bucket '{name}'."
            )));
        }
    }
    let mut out = json!({
        "retentionPeriod": period.to_string(),
        "effectiveTime": kept_time(ctx, old, true, "effectiveTime"),
    });
    if locked.is_some() {
        out["isLocked"] = json!(true);
    }
    Ok(Some(out))
}

/// The bucket's `softDeletePolicy`, given the one it had: 0 (off) or 7 to
/// 90 days, 7 days when unset; `effectiveTime` changes with the duration.
fn soft_delete_policy(ctx: &Ctx, b: &Map<String, Value>, old: Option<&Value>) -> Result<Value, ApiError> {
    let old_secs = old.and_then(|o| o.get("retentionDurationSeconds")).map(int_field);
    let secs = match b.get("softDeletePolicy") {
        None | Some(Value::Null) => old_secs.unwrap_or(SOFT_DELETE_DEFAULT_SECS),
        Some(Value::Object(p)) => match p.get("retentionDurationSeconds") {
            None | Some(Value::Null) => SOFT_DELETE_DEFAULT_SECS,
            Some(v) => v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok())).ok_or_else(|| {
                ApiError::invalid(format!("Invalid value for softDeletePolicy.retentionDurationSeconds: {v}"))
            })?,
        },
        Some(_) => return Err(ApiError::invalid("softDeletePolicy must be an object.")),
    };
    if secs != 0 && !(SOFT_DELETE_DEFAULT_SECS..=SOFT_DELETE_MAX_SECS).contains(&secs) {
        return Err(ApiError::invalid(format!(
            "softDeletePolicy.retentionDurationSeconds must be 0 (off) or between {SOFT_DELETE_DEFAULT_SECS} and {SOFT_DELETE_MAX_SECS} seconds (7 to 90 days), not {secs}."
        )));
    }
    Ok(json!({
        "retentionDurationSeconds": secs.to_string(),
        "effectiveTime": kept_time(ctx, old, old_secs == Some(secs), "effectiveTime"),
    }))
}

/// The bucket's `autoclass` (`None`: never configured), given the one it
/// had: `terminalStorageClass` NEARLINE or ARCHIVE while enabled, times
/// set by the server; an Autoclass bucket's storage class is STANDARD.
fn autoclass(ctx: &Ctx, b: &Map<String, Value>, old: Option<&Value>) -> Result<Option<Value>, ApiError> {
    let given = match b.get("autoclass") {
        None | Some(Value::Null) => return Ok(None),
        Some(v @ Value::Object(_)) => v,
        Some(_) => return Err(ApiError::invalid("autoclass must be an object.")),
    };
    let enabled = given.get("enabled").and_then(Value::as_bool).unwrap_or(false);
    let was_enabled = old.and_then(|o| o.get("enabled")).and_then(Value::as_bool).unwrap_or(false);
    let mut out = json!({ "enabled": enabled, "toggleTime": kept_time(ctx, old, old.is_some() && was_enabled == enabled, "toggleTime") });
    if enabled {
        let terminal = given.get("terminalStorageClass").and_then(Value::as_str).unwrap_or("NEARLINE");
        if !matches!(terminal, "NEARLINE" | "ARCHIVE") {
            return Err(ApiError::invalid(format!("Invalid autoclass.terminalStorageClass '{terminal}': use NEARLINE or ARCHIVE.")));
        }
        if b.get("storageClass").and_then(Value::as_str).is_some_and(|c| c != "STANDARD") {
            return Err(ApiError::invalid("A bucket with Autoclass enabled must have the STANDARD storage class."));
        }
        let same = old.and_then(|o| o.get("terminalStorageClass")).and_then(Value::as_str) == Some(terminal);
        out["terminalStorageClass"] = json!(terminal);
        out["terminalStorageClassUpdateTime"] = kept_time(ctx, old, same, "terminalStorageClassUpdateTime");
    }
    Ok(Some(out))
}

/// Validates the user part of a bucket and fills in defaults; `old` is the
/// bucket before an update (for the fields the server keeps).
fn normalize(ctx: &Ctx, b: &mut Map<String, Value>, old: Option<&Map<String, Value>>) -> Result<(), ApiError> {
    let class = b.get("storageClass").and_then(Value::as_str).unwrap_or("STANDARD").to_ascii_uppercase();
    if !STORAGE_CLASSES.contains(&class.as_str()) {
        return Err(ApiError::invalid(format!("Invalid storage class: '{class}'.")));
    }
    b.insert("storageClass".into(), json!(class));

    let mut iam = b.get("iamConfiguration").cloned().unwrap_or_else(|| json!({}));
    if !iam.is_object() {
        return Err(ApiError::invalid("iamConfiguration must be an object."));
    }
    let ubla = iam
        .pointer("/uniformBucketLevelAccess/enabled")
        .or_else(|| iam.pointer("/bucketPolicyOnly/enabled"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let locked = iam.pointer("/uniformBucketLevelAccess/lockedTime").cloned();
    let mut access = json!({ "enabled": ubla });
    if ubla {
        let lock = locked.unwrap_or_else(|| json!(super::rfc3339(ctx.now_ms.saturating_add(90 * 24 * 3600 * 1000))));
        access["lockedTime"] = lock;
    }
    iam["uniformBucketLevelAccess"] = access.clone();
    iam["bucketPolicyOnly"] = access;
    let pap = iam.get("publicAccessPrevention").and_then(Value::as_str).unwrap_or("inherited");
    let pap = match pap {
        "inherited" | "unspecified" => "inherited",
        "enforced" => "enforced",
        other => return Err(ApiError::invalid(format!("Invalid publicAccessPrevention: '{other}'."))),
    };
    iam["publicAccessPrevention"] = json!(pap);
    b.insert("iamConfiguration".into(), iam);

    if let Some(labels) = b.get("labels") {
        let Some(m) = labels.as_object() else { return Err(ApiError::invalid("labels must be a map.")) };
        for (k, v) in m {
            if !super::valid_label_key(k) || !v.is_string() {
                return Err(ApiError::invalid(format!("Invalid label: '{k}'.")));
            }
        }
    }
    if let Some(rules) = b.get("lifecycle").and_then(|l| l.get("rule")) {
        for (i, rule) in rules.as_array().map(Vec::as_slice).unwrap_or_default().iter().enumerate() {
            match rule.pointer("/action/type").and_then(Value::as_str) {
                Some("Delete" | "AbortIncompleteMultipartUpload") => {}
                Some("SetStorageClass") => {
                    let class = rule.pointer("/action/storageClass").and_then(Value::as_str).unwrap_or("");
                    if !STORAGE_CLASSES.contains(&class) {
                        return Err(ApiError::invalid(format!("lifecycle.rule[{i}]: SetStorageClass needs a valid storageClass.")));
                    }
                }
                _ => return Err(ApiError::invalid(format!("lifecycle.rule[{i}].action.type is not a valid action."))),
            }
            if rule.get("condition").and_then(Value::as_object).is_none_or(Map::is_empty) {
                return Err(ApiError::invalid(format!("lifecycle.rule[{i}] needs a condition.")));
            }
        }
    }
    match b.get("cors") {
        None | Some(Value::Null) => {}
        Some(Value::Array(rules)) if rules.iter().all(Value::is_object) => {}
        Some(_) => return Err(ApiError::invalid("cors must be a list of CORS configurations.")),
    }
    if b.get("website").is_some_and(|w| !w.is_object() && !w.is_null()) {
        return Err(ApiError::invalid("website must be an object."));
    }
    let was = |key: &str| old.and_then(|o| o.get(key)).filter(|v| v.is_object());
    let retention = retention_policy(ctx, b, was("retentionPolicy"))?;
    set_or_remove(b, "retentionPolicy", retention);
    let soft_delete = soft_delete_policy(ctx, b, was("softDeletePolicy"))?;
    b.insert("softDeletePolicy".into(), soft_delete);
    let autoclass = autoclass(ctx, b, was("autoclass"))?;
    set_or_remove(b, "autoclass", autoclass);
    if !b.contains_key("rpo") && b.get("locationType") != Some(&json!("region")) {
        b.insert("rpo".into(), json!("DEFAULT"));
    }
    Ok(())
}

// ---------------------------------------------------------------- buckets

/// `buckets.insert`.
fn insert(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest) -> Result<Reply, ApiError> {
    let Some(p) = req.param("project") else { return Err(ApiError::required("project")) };
    let full = projection(req, "noAcl")?;
    let project = resolve_project(store, ctx.now_ms, p)?;
    serviceusage::require_enabled(ctx, store, &project.number, SERVICE)?;
    let mut body = req.json_object()?;
    let name = body.get("name").and_then(Value::as_str).unwrap_or("").to_string();
    if name.is_empty() {
        return Err(ApiError::required("resource.name"));
    }
    if !valid_bucket_name(&name) {
        return Err(ApiError::invalid(format!("Invalid bucket name: '{name}'")));
    }
    if let Some(existing) = store.get(BUCKETS, &name) {
        let mine = existing.resource["projectNumber"] == json!(project.number);
        return Err(ApiError::already_exists(if mine {
            "Your previous request to create the named bucket succeeded and you already own it."
        } else {
            "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again."
        }));
    }
    for f in OUTPUT_ONLY {
        body.remove(*f);
    }
    let location = body.get("location").and_then(Value::as_str).unwrap_or("US").to_ascii_uppercase();
    let location_type = if MULTI_REGIONS.contains(&location.as_str()) {
        "multi-region"
    } else if DUAL_REGIONS.contains(&location.as_str()) || body.contains_key("customPlacementConfig") {
        "dual-region"
    } else if REGIONS.contains(&location.as_str()) {
        "region"
    } else {
        return Err(ApiError::invalid("The specified location constraint is not valid."));
    };
    let now = ctx.now_rfc3339();
    let mut b = Map::new();
    b.insert("kind".into(), json!("storage#bucket"));
    b.insert("selfLink".into(), json!(format!("https://www.googleapis.com/storage/v1/b/{name}")));
    b.insert("id".into(), json!(name));
    b.insert("name".into(), json!(name));
    b.insert("projectNumber".into(), json!(project.number));
    b.insert("metageneration".into(), json!("1"));
    b.append(&mut body);
    b.insert("location".into(), json!(location));
    b.insert("locationType".into(), json!(location_type));
    normalize(ctx, &mut b, None)?;
    b.insert("etag".into(), json!(etag(&[1])));
    b.insert("timeCreated".into(), json!(now));
    b.insert("updated".into(), json!(now));
    let resource = Value::Object(b);
    store.put(BUCKETS, &name, Record::new(resource.clone(), ctx.now_ms))?;
    Ok(Reply::Json(render_bucket(&resource, full)))
}

/// `buckets.get`.
fn get_bucket(ctx: &Ctx, store: &Store, req: &ApiRequest, name: &str) -> Result<Reply, ApiError> {
    let full = projection(req, "noAcl")?;
    let record = bucket_for(ctx, store, name)?;
    if ctx.now_ms < record.created_ms.saturating_add(super::millis(ctx.config.consistency_delay)) {
        return Err(bucket_not_found());
    }
    check_metageneration(req, int_field(&record.resource["metageneration"]))?;
    Ok(Reply::Json(render_bucket(&record.resource, full)))
}

/// `buckets.patch` (merge) and `buckets.update` (replace).
fn change_bucket(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, name: &str, replace: bool) -> Result<Reply, ApiError> {
    let full = projection(req, "full")?;
    let mut record = bucket_for(ctx, store, name)?;
    let mg = int_field(&record.resource["metageneration"]);
    check_metageneration(req, mg)?;
    let mut body = req.json_object()?;
    for f in OUTPUT_ONLY {
        body.remove(*f);
    }
    if let Some(n) = body.get("name") {
        if n != &json!(name) {
            return Err(ApiError::invalid("The bucket name cannot be changed."));
        }
    }
    if let Some(l) = body.get("location") {
        let same = l.as_str().is_some_and(|l| l.eq_ignore_ascii_case(record.resource["location"].as_str().unwrap_or("")));
        if !same {
            return Err(ApiError::invalid("The bucket location cannot be changed."));
        }
        body.remove("location");
    }
    let old = record.resource.as_object().cloned().unwrap_or_default();
    let before = old.clone();
    let mut merged = if replace {
        // Keep only the server fields, then the new user fields.
        let keep = ["kind", "selfLink", "id", "name", "projectNumber", "location", "locationType", "timeCreated", "softDeletePolicy", "rpo"];
        let mut m: Map<String, Value> = old.iter().filter(|(k, _)| keep.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
        m.append(&mut body);
        m
    } else {
        let mut v = Value::Object(old);
        merge_patch(&mut v, &Value::Object(body));
        v.as_object().cloned().unwrap_or_default()
    };
    // A lock already in place survives an update of the access setting.
    if let Some(lock) = record.resource.pointer("/iamConfiguration/uniformBucketLevelAccess/lockedTime") {
        if merged.get("iamConfiguration").and_then(|i| i.pointer("/uniformBucketLevelAccess/enabled")) == Some(&json!(true)) {
            if let Some(iam) = merged.get_mut("iamConfiguration") {
                iam["uniformBucketLevelAccess"]["lockedTime"] = lock.clone();
            }
        }
    }
    normalize(ctx, &mut merged, Some(&before))?;
    record.resource = Value::Object(merged);
    next_metageneration(ctx, &mut record.resource, mg);
    store.put(BUCKETS, name, record.clone())?;
    Ok(Reply::Json(render_bucket(&record.resource, full)))
}

/// A bucket changed: its metageneration (`mg` before), etag and `updated`.
fn next_metageneration(ctx: &Ctx, bucket: &mut Value, mg: u64) {
    let mg = mg + 1;
    bucket["metageneration"] = json!(mg.to_string());
    bucket["etag"] = json!(etag(&[mg]));
    bucket["updated"] = json!(ctx.now_rfc3339());
}

/// `buckets.lockRetentionPolicy`: locks the bucket's retention policy, for
/// good; `ifMetagenerationMatch` is required.
fn lock_retention(ctx: &Ctx, store: &mut Store, req: &ApiRequest, name: &str) -> Result<Reply, ApiError> {
    let mut record = bucket_for(ctx, store, name)?;
    let mg = int_field(&record.resource["metageneration"]);
    match req.int_param("ifMetagenerationMatch")? {
        None => return Err(ApiError::required("ifMetagenerationMatch")),
        Some(want) if want != mg as i64 => return Err(ApiError::condition_not_met()),
        Some(_) => {}
    }
    match record.resource.get_mut("retentionPolicy").filter(|p| p.is_object()) {
        Some(p) => p["isLocked"] = json!(true),
        None => return Err(ApiError::invalid(format!("Bucket '{name}' has no retention policy to lock."))),
    }
    next_metageneration(ctx, &mut record.resource, mg);
    store.put(BUCKETS, name, record.clone())?;
    Ok(Reply::Json(render_bucket(&record.resource, false)))
}

/// `buckets.delete`: only an empty bucket.
fn delete_bucket(ctx: &Ctx, store: &mut Store, req: &ApiRequest, name: &str) -> Result<Reply, ApiError> {
    let record = bucket_for(ctx, store, name)?;
    check_metageneration(req, int_field(&record.resource["metageneration"]))?;
    if store.iter_prefix(OBJECTS, &format!("{name}/")).next().is_some() {
        return Err(ApiError::conflict("The bucket you tried to delete is not empty."));
    }
    store.remove(BUCKET_IAM, name)?;
    store.remove(BUCKETS, name)?;
    Ok(Reply::NoContent)
}

/// `buckets.list`: the project's buckets by name, `prefix`, `maxResults`.
fn list_buckets(ctx: &Ctx, store: &mut Store, req: &ApiRequest) -> Result<Reply, ApiError> {
    let Some(p) = req.param("project") else { return Err(ApiError::required("project")) };
    let full = projection(req, "noAcl")?;
    let project = resolve_project(store, ctx.now_ms, p)?;
    serviceusage::require_enabled(ctx, store, &project.number, SERVICE)?;
    let prefix = req.param("prefix").unwrap_or("");
    let size = req.int_param("maxResults")?.unwrap_or(1000).clamp(1, 1000) as usize;
    let items: Vec<(String, Value)> = store
        .iter_prefix(BUCKETS, prefix)
        .filter(|(_, r)| r.resource["projectNumber"] == json!(project.number))
        .map(|(k, r)| (k.clone(), render_bucket(&r.resource, full)))
        .collect();
    let (buckets, next) = page(&items, req.param("pageToken"), size);
    let mut out = json!({ "kind": "storage#buckets" });
    if !buckets.is_empty() {
        out["items"] = Value::Array(buckets);
    }
    if let Some(t) = next {
        out["nextPageToken"] = json!(t);
    }
    Ok(Reply::Json(out))
}

// ---------------------------------------------------------------- IAM

/// The bucket's policy: stored, or the default a new bucket has (its
/// project's owners, editors and viewers in the legacy roles).
fn policy(store: &Store, bucket: &Record) -> Value {
    let name = bucket.resource["name"].as_str().unwrap_or_default();
    if let Some(r) = store.get(BUCKET_IAM, name) {
        return r.resource.clone();
    }
    let number = bucket.resource["projectNumber"].as_str().unwrap_or_default();
    let project = store.get(PROJECTS, number).and_then(|r| r.resource["projectId"].as_str()).unwrap_or(number);
    let owners = json!([format!("projectEditor:{project}"), format!("projectOwner:{project}")]);
    let viewers = json!([format!("projectViewer:{project}")]);
    json!({
        "kind": "storage#policy",
        "resourceId": format!("projects/_/buckets/{name}"),
        "version": 1,
        "etag": etag(&[1]),
        "bindings": [
            { "role": "roles/storage.legacyBucketOwner", "members": owners },
            { "role": "roles/storage.legacyBucketReader", "members": viewers },
            { "role": "roles/storage.legacyObjectOwner", "members": owners },
            { "role": "roles/storage.legacyObjectReader", "members": viewers },
        ],
    })
}

fn is_public(member: &str) -> bool {
    matches!(member, "allUsers" | "allAuthenticatedUsers")
}

/// `GET b/{bucket}/iam`: a policy with conditions is given only to a
/// caller asking for version 3.
fn get_policy(ctx: &Ctx, store: &Store, req: &ApiRequest, name: &str) -> Result<Reply, ApiError> {
    let bucket = bucket_for(ctx, store, name)?;
    let requested = req.int_param("optionsRequestedPolicyVersion")?.unwrap_or(1);
    let current = policy(store, &bucket);
    let conditional = current["bindings"].as_array().is_some_and(|bs| bs.iter().any(|b| b.get("condition").is_some()));
    if conditional && requested < 3 {
        return Err(ApiError::invalid(format!(
            "The IAM policy of bucket '{name}' has conditions: request it with optionsRequestedPolicyVersion=3."
        )));
    }
    Ok(Reply::Json(current))
}

/// `PUT b/{bucket}/iam`: replaces the policy; a stale `etag` is 412.
fn set_policy(ctx: &Ctx, store: &mut Store, req: &ApiRequest, name: &str) -> Result<Reply, ApiError> {
    let bucket = bucket_for(ctx, store, name)?;
    let body = req.json_object()?;
    let current = policy(store, &bucket);
    if let Some(given) = body.get("etag").and_then(Value::as_str) {
        if !given.is_empty() && Some(given) != current["etag"].as_str() {
            return Err(ApiError::condition_not_met());
        }
    }
    let version = match body.get("version") {
        None | Some(Value::Null) => 1,
        Some(v) => v
            .as_i64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .filter(|n| matches!(n, 0 | 1 | 3))
            .ok_or_else(|| ApiError::invalid(format!("Invalid policy version {v}.")))?,
    };
    let raw = match body.get("bindings") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(_) => return Err(ApiError::invalid("bindings must be a list.")),
    };
    let ubla = bucket.resource.pointer("/iamConfiguration/uniformBucketLevelAccess/enabled") == Some(&json!(true));
    let enforced = bucket.resource.pointer("/iamConfiguration/publicAccessPrevention") == Some(&json!("enforced"));
    // What only buckets refuse, before the rules every policy has.
    for (i, b) in raw.iter().enumerate() {
        let role = b.get("role").and_then(Value::as_str).unwrap_or("");
        if matches!(role, "roles/owner" | "roles/editor" | "roles/viewer") {
            return Err(ApiError::invalid(format!("bindings[{i}]: Role {role} is not supported for this resource.")));
        }
        if b.get("condition").is_some_and(|c| !c.is_null()) && !ubla {
            return Err(ApiError::invalid(format!(
                "bindings[{i}]: IAM conditions need uniform bucket-level access on bucket '{name}'."
            )));
        }
        let mut members = b.get("members").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str);
        if enforced && members.any(is_public) {
            let mut e = ApiError::condition_not_met();
            e.message = "The member bindings allUsers and allAuthenticatedUsers are not allowed since public access prevention is enforced.".into();
            return Err(e);
        }
    }
    let bucket_members: Special<'_> = &|m| {
        if is_public(m) {
            return Some(Ok(()));
        }
        let team = ["projectOwner:", "projectEditor:", "projectViewer:"].iter().find_map(|k| m.strip_prefix(k))?;
        let ok = super::valid_project_id(team) || (!team.is_empty() && team.bytes().all(|b| b.is_ascii_digit()));
        Some(if ok { Ok(()) } else { Err(policy::malformed(m)) })
    };
    let bindings = check_bindings(ctx, store, &raw, version, bucket_members)?;
    let conditional = bindings.iter().any(|b| b.get("condition").is_some());
    let serial = store.get(BUCKET_IAM, name).map(|r| r.hidden_i64("serial")).unwrap_or(1) + 1;
    let resource = json!({
        "kind": "storage#policy",
        "resourceId": format!("projects/_/buckets/{name}"),
        "version": if conditional { 3 } else { version.max(1) },
        "etag": etag(&[serial as u64]),
        "bindings": bindings,
    });
    let mut record = Record::new(resource.clone(), ctx.now_ms);
    record.hidden.insert("serial".into(), json!(serial));
    store.put(BUCKET_IAM, name, record)?;
    Ok(Reply::Json(resource))
}

/// `GET b/{bucket}/iam/testPermissions`: the sandbox's caller holds every
/// `storage.*` permission (`storage.{resource}.{verb}`); any other name is
/// 400.
fn test_permissions(ctx: &Ctx, store: &Store, req: &ApiRequest, name: &str) -> Result<Reply, ApiError> {
    bucket_for(ctx, store, name)?;
    let asked: Vec<&str> = req.query.iter().filter(|(k, _)| k == "permissions").map(|(_, v)| v.as_str()).collect();
    if asked.is_empty() {
        return Err(ApiError::required("permissions"));
    }
    for p in &asked {
        let parts: Vec<&str> = p.split('.').collect();
        if parts.len() != 3 || parts[0] != "storage" || parts.iter().any(|s| s.is_empty()) {
            return Err(ApiError::invalid(format!("Permission '{p}' is not valid for this resource.")));
        }
    }
    Ok(Reply::Json(json!({ "kind": "storage#testIamPermissionsResponse", "permissions": asked })))
}

/// Replaces member `from` by `to` in every bucket policy (a deleted service
/// account), with a new etag for each policy changed.
pub fn rename_member(store: &mut Store, from: &str, to: &str) -> Result<(), ApiError> {
    policy::rename_member(store, BUCKET_IAM, from, to, &mut |r: &mut Record| {
        let serial = r.hidden_i64("serial") + 1;
        r.hidden.insert("serial".into(), json!(serial));
        r.resource["etag"] = json!(etag(&[serial as u64]));
    })
}

// ---------------------------------------------------------------- objects

fn object_not_found(bucket: &str, object: &str) -> ApiError {
    ApiError::not_found(format!("No such object: {bucket}/{object}"))
}

/// The bucket's retention period in milliseconds, if it has a policy.
fn retention_ms(bucket: &Record) -> Option<i64> {
    let secs = bucket.resource.pointer("/retentionPolicy/retentionPeriod").map(int_field)?;
    Some(i64::try_from(secs).unwrap_or(i64::MAX).saturating_mul(1000))
}

/// 403 when the bucket's retention policy still holds `object`: it may be
/// neither deleted nor overwritten before its creation plus the period.
fn check_retention(ctx: &Ctx, bucket: &Record, object: &Record) -> Result<(), ApiError> {
    let Some(period) = retention_ms(bucket) else { return Ok(()) };
    let until = object.created_ms.saturating_add(period);
    if ctx.now_ms >= until {
        return Ok(());
    }
    let name = object.resource["name"].as_str().unwrap_or_default();
    let b = bucket.resource["name"].as_str().unwrap_or_default();
    Err(ApiError::permission_denied(format!(
        "Object '{b}/{name}' is subject to bucket's retention policy and cannot be deleted or overwritten until {}.",
        super::rfc3339(until)
    )))
}

/// `POST upload/storage/v1/b/{bucket}/o?uploadType=media&name=`.
fn upload(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, bucket: &str) -> Result<Reply, ApiError> {
    let b = bucket_for(ctx, store, bucket)?;
    match req.param("uploadType") {
        Some("media") => {}
        Some(other) => return Err(ApiError::invalid(format!("The sandbox supports uploadType=media only, not '{other}'."))),
        None => return Err(ApiError::required("uploadType")),
    }
    let Some(name) = req.param("name") else { return Err(ApiError::required("name")) };
    if name.is_empty() || name.len() > 1024 || name.contains(['\r', '\n']) || name == "." || name == ".." {
        return Err(ApiError::invalid(format!("Invalid object name: '{name}'")));
    }
    let key = format!("{bucket}/{name}");
    if let Some(old) = store.get(OBJECTS, &key) {
        check_retention(ctx, &b, old)?;
    }
    let exists = store.get(OBJECTS, &key).map(|r| int_field(&r.resource["generation"]));
    if let Some(want) = req.int_param("ifGenerationMatch")? {
        if exists.map(|g| g as i64).unwrap_or(0) != want {
            return Err(ApiError::condition_not_met());
        }
    }
    // Generations are microsecond timestamps, strictly increasing per name.
    let generation = ((ctx.now_ms as u64).saturating_mul(1000)).max(exists.unwrap_or(0) + 1);
    let now = ctx.now_rfc3339();
    let encoded: String = percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC).to_string();
    let crc = base64::engine::general_purpose::STANDARD.encode(crc32c(&req.body).to_be_bytes());
    let resource = json!({
        "kind": "storage#object",
        "id": format!("{bucket}/{name}/{generation}"),
        "selfLink": format!("https://www.googleapis.com/storage/v1/b/{bucket}/o/{encoded}"),
        "mediaLink": format!("https://storage.googleapis.com/download/storage/v1/b/{bucket}/o/{encoded}?generation={generation}&alt=media"),
        "name": name,
        "bucket": bucket,
        "generation": generation.to_string(),
        "metageneration": "1",
        "contentType": req.content_type.clone().unwrap_or_else(|| "application/octet-stream".into()),
        "storageClass": b.resource["storageClass"],
        "size": req.body.len().to_string(),
        "crc32c": crc,
        "etag": etag(&[generation, 1]),
        "timeCreated": now,
        "updated": now,
        "timeStorageClassUpdated": now,
    });
    let mut resource = resource;
    if let Some(period) = retention_ms(&b) {
        resource["retentionExpirationTime"] = json!(super::rfc3339(ctx.now_ms.saturating_add(period)));
    }
    let mut record = Record::new(resource.clone(), ctx.now_ms);
    record.hidden.insert("data".into(), json!(base64::engine::general_purpose::STANDARD.encode(&req.body)));
    store.put(OBJECTS, &key, record)?;
    Ok(Reply::Json(resource))
}

/// `objects.get`: metadata, or the bytes with `alt=media`.
fn get_object(ctx: &Ctx, store: &Store, req: &ApiRequest, bucket: &str, object: &str) -> Result<Reply, ApiError> {
    bucket_for(ctx, store, bucket)?;
    let record = store.get(OBJECTS, &format!("{bucket}/{object}")).ok_or_else(|| object_not_found(bucket, object))?;
    match req.param("alt").unwrap_or("json") {
        "json" => Ok(Reply::Json(record.resource.clone())),
        "media" => Ok(Reply::Media {
            content_type: record.resource["contentType"].as_str().unwrap_or("application/octet-stream").to_string(),
            data: base64::engine::general_purpose::STANDARD.decode(record.hidden_str("data")).unwrap_or_default(),
        }),
        other => Err(ApiError::invalid(format!("Invalid value for alt: '{other}'."))),
    }
}

/// `objects.delete`: not while the bucket's retention policy holds it.
fn delete_object(ctx: &Ctx, store: &mut Store, bucket: &str, object: &str) -> Result<Reply, ApiError> {
    let b = bucket_for(ctx, store, bucket)?;
    let key = format!("{bucket}/{object}");
    let record = store.get(OBJECTS, &key).ok_or_else(|| object_not_found(bucket, object))?;
    check_retention(ctx, &b, record)?;
    store.remove(OBJECTS, &key)?;
    Ok(Reply::NoContent)
}

/// `objects.list`: by name, `prefix`, `maxResults`; `versions` is accepted
/// (there is one generation per name).
fn list_objects(ctx: &Ctx, store: &Store, req: &ApiRequest, bucket: &str) -> Result<Reply, ApiError> {
    bucket_for(ctx, store, bucket)?;
    let prefix = format!("{bucket}/{}", req.param("prefix").unwrap_or(""));
    let size = req.int_param("maxResults")?.unwrap_or(1000).clamp(1, 1000) as usize;
    let items: Vec<(String, Value)> = store.iter_prefix(OBJECTS, &prefix).map(|(k, r)| (k.clone(), r.resource.clone())).collect();
    let token = req.param("pageToken").map(|t| format!("{bucket}/{t}"));
    let (objects, next) = page(&items, token.as_deref(), size);
    let mut out = json!({ "kind": "storage#objects" });
    if !objects.is_empty() {
        out["items"] = Value::Array(objects);
    }
    if let Some(t) = next {
        out["nextPageToken"] = json!(t.strip_prefix(&format!("{bucket}/")).unwrap_or(&t));
    }
    Ok(Reply::Json(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_match_googles() {
        assert_eq!(etag(&[1]), "CAE=");
        assert_eq!(etag(&[2]), "CAI=");
        assert_eq!(etag(&[300]), "CKwC");
    }

    #[test]
    fn bucket_names() {
        assert!(valid_bucket_name("my-bucket_1"));
        assert!(valid_bucket_name("a.b.c"));
        assert!(!valid_bucket_name("ab"));
        assert!(!valid_bucket_name("My-Bucket"));
        assert!(!valid_bucket_name("-abc"));
        assert!(!valid_bucket_name("goog-abc"));
        assert!(!valid_bucket_name("192.168.1.1"));
        assert!(!valid_bucket_name("a..b"));
    }
}
