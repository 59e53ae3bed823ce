//! Secret Manager v1: secrets and their versions (global secrets only).
//!
//! Owns: `secrets.create|get|patch|delete|list|addVersion` and
//! `secrets.versions.get|list|access|disable|enable|destroy` under
//! `v1/projects/{project}/secrets`, with Google's rules: names use the
//! project *number*; `replication` is required and immutable; `ttl` becomes
//! `expireTime`; `rotation` needs `topics`; patches need an `updateMask`;
//! an `etag` that does not match is 409 ABORTED; versions are numbered from 1
//! per secret and may be addressed as `latest` or by a `versionAliases` name;
//! only an ENABLED version can be accessed; a destroyed version loses its
//! payload for good; payloads are base64 with an optional CRC32C check.
//!
//! Does not own: regional secrets (`projects/*/locations/*/secrets`), IAM on
//! secrets, rotation notifications, `versionDestroyTtl` scheduling (destroy is
//! immediate), list filters other than `state:`, expiry enforcement.
//!
//! Store: `secretmanager.secrets` keyed `projects/{number}/secrets/{id}`
//! (hidden `lastVersion`), `secretmanager.versions` keyed by the version name
//! (hidden `data`, the base64 payload).

use super::{crc32c, page, resolve_project, serviceusage, ApiRequest, Ctx, Reply};
use crate::error::ApiError;
use crate::store::{Record, Store};
use base64::Engine as _;
use serde_json::{json, Map, Value};

pub const SECRETS: &str = "secretmanager.secrets";
pub const VERSIONS: &str = "secretmanager.versions";

/// Largest payload Google accepts: 64 KiB.
const MAX_PAYLOAD: usize = 65536;

/// Fields of a Secret a patch may change (top level of `updateMask`).
const UPDATABLE: &[&str] =
    &["labels", "annotations", "topics", "expireTime", "ttl", "rotation", "versionAliases", "versionDestroyTtl"];

/// Answers one Secret Manager request.
pub fn handle(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest) -> Result<Reply, ApiError> {
    let segs: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    let (p, rest) = match segs.as_slice() {
        ["projects", p, rest @ ..] => (*p, rest),
        _ => return Err(ApiError::unknown_route(&req.method, &req.segments.join("/"))),
    };
    let project = resolve_project(store, ctx.now_ms, p)?;
    serviceusage::require_enabled(ctx, store, &project.number, "secretmanager.googleapis.com")?;
    let parent = format!("projects/{}", project.number);
    let verb = req.verb.as_deref();
    match (req.method.as_str(), rest, verb) {
        ("POST", ["secrets"], None) => create(ctx, store, req, &parent),
        ("GET", ["secrets"], None) => list_secrets(store, req, &parent),
        ("GET", ["secrets", s], None) => Ok(Reply::Json(secret(store, &format!("{parent}/secrets/{s}"))?.resource.clone())),
        ("PATCH", ["secrets", s], None) => patch(ctx, store, req, &format!("{parent}/secrets/{s}")),
        ("DELETE", ["secrets", s], None) => delete(store, req, &format!("{parent}/secrets/{s}")),
        ("POST", ["secrets", s], Some("addVersion")) => add_version(ctx, store, req, &format!("{parent}/secrets/{s}")),
        ("GET", ["secrets", s, "versions"], None) => list_versions(store, req, &format!("{parent}/secrets/{s}")),
        ("GET", ["secrets", s, "versions", v], None) => {
            let name = version_name(store, &format!("{parent}/secrets/{s}"), v)?;
            Ok(Reply::Json(version(store, &name)?.resource.clone()))
        }
        ("GET", ["secrets", s, "versions", v], Some("access")) => access(store, &format!("{parent}/secrets/{s}"), v),
        ("POST", ["secrets", s, "versions", v], Some(action @ ("enable" | "disable" | "destroy"))) => {
            set_version_state(ctx, store, req, &format!("{parent}/secrets/{s}"), v, action)
        }
        _ => Err(ApiError::unknown_route(&req.method, &req.segments.join("/"))),
    }
}

fn secret<'a>(store: &'a Store, name: &str) -> Result<&'a Record, ApiError> {
    store.get(SECRETS, name).ok_or_else(|| ApiError::not_found(format!("Secret [{name}] not found.")))
}

fn version<'a>(store: &'a Store, name: &str) -> Result<&'a Record, ApiError> {
    store.get(VERSIONS, name).ok_or_else(|| ApiError::not_found(format!("Secret Version [{name}] not found.")))
}

/// The full name of version `v` of `secret_name`: `v` is a number, `latest`
/// or an alias.
fn version_name(store: &Store, secret_name: &str, v: &str) -> Result<String, ApiError> {
    let s = secret(store, secret_name)?;
    let number = if v == "latest" {
        let last = s.hidden_i64("lastVersion");
        if last == 0 {
            return Err(ApiError::not_found(format!("Secret [{secret_name}] not found or has no versions.")));
        }
        last
    } else if let Ok(n) = v.parse::<i64>() {
        if n < 1 {
            return Err(ApiError::invalid(format!("Invalid version id '{v}'.")));
        }
        n
    } else if let Some(n) = s.resource.get("versionAliases").and_then(|a| a.get(v)).and_then(number_of) {
        n
    } else {
        return Err(ApiError::not_found(format!("Secret Version [{secret_name}/versions/{v}] not found.")));
    };
    Ok(format!("{secret_name}/versions/{number}"))
}

/// An int64 that JSON may carry as a number or a string.
fn number_of(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

fn new_etag(ctx: &mut Ctx) -> String {
    let id = ctx.new_id();
    format!("\"{}\"", &id[..14.min(id.len())])
}

/// Secret ids: 1 to 255 letters, digits, `-` and `_`.
fn valid_secret_id(id: &str) -> bool {
    (1..=255).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A non-negative protobuf Duration (`"3600s"`, `"1.5s"`) in milliseconds.
fn duration_ms(s: &str) -> Option<i64> {
    super::duration_nanos(s).filter(|n| *n >= 0).and_then(|n| i64::try_from(n / 1_000_000).ok())
}

/// Checks the user fields of a Secret (create or the masked part of a patch).
fn check_secret_fields(body: &Map<String, Value>) -> Result<(), ApiError> {
    if let Some(r) = body.get("replication") {
        let auto = r.get("automatic").is_some();
        let user = r.get("userManaged");
        match (auto, user) {
            (true, None) => {}
            (false, Some(u)) => {
                let replicas = u.get("replicas").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
                if replicas.is_empty() {
                    return Err(ApiError::invalid("replication.userManaged.replicas must not be empty."));
                }
                if replicas.iter().any(|r| r.get("location").and_then(Value::as_str).unwrap_or("").is_empty()) {
                    return Err(ApiError::invalid("Every replica needs a location."));
                }
            }
            _ => return Err(ApiError::invalid("replication must set exactly one of automatic or userManaged.")),
        }
    }
    if body.contains_key("ttl") && body.contains_key("expireTime") {
        return Err(ApiError::invalid("Only one of ttl or expireTime may be set."));
    }
    if let Some(t) = body.get("ttl") {
        if t.as_str().and_then(duration_ms).is_none() {
            return Err(ApiError::invalid(format!("Invalid ttl: {t}.")));
        }
    }
    if let Some(t) = body.get("expireTime") {
        if t.as_str().and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok()).is_none() {
            return Err(ApiError::invalid(format!("Invalid expireTime: {t}.")));
        }
    }
    if let Some(labels) = body.get("labels") {
        let Some(m) = labels.as_object() else { return Err(ApiError::invalid("labels must be a map.")) };
        for k in m.keys() {
            if !super::valid_label_key(k) {
                return Err(ApiError::invalid(format!("Invalid label key '{k}'.")));
            }
        }
    }
    let has_topics = body.get("topics").and_then(Value::as_array).is_some_and(|a| !a.is_empty());
    if body.contains_key("rotation") && !has_topics {
        return Err(ApiError::invalid("A secret with rotation must have at least one topic."));
    }
    Ok(())
}

/// Turns `ttl` into `expireTime`, as Google stores it.
fn apply_ttl(ctx: &Ctx, secret: &mut Map<String, Value>) {
    if let Some(ttl) = secret.remove("ttl") {
        let ms = ttl.as_str().and_then(duration_ms).unwrap_or(0);
        secret.insert("expireTime".into(), json!(super::rfc3339(ctx.now_ms.saturating_add(ms))));
    }
}

/// `secrets.create`.
fn create(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, parent: &str) -> Result<Reply, ApiError> {
    let id = req.param("secretId").unwrap_or("");
    if id.is_empty() {
        return Err(ApiError::invalid("secret_id must be specified."));
    }
    if !valid_secret_id(id) {
        return Err(ApiError::invalid(format!("Invalid secret id '{id}': use 1 to 255 letters, digits, - and _.")));
    }
    let mut body = req.json_object()?;
    for output_only in ["name", "createTime", "etag"] {
        body.remove(output_only);
    }
    if !body.contains_key("replication") {
        return Err(ApiError::invalid("Secret.replication is required."));
    }
    check_secret_fields(&body)?;
    let name = format!("{parent}/secrets/{id}");
    if store.get(SECRETS, &name).is_some() {
        return Err(ApiError::already_exists(format!("Secret [{name}] already exists.")));
    }
    apply_ttl(ctx, &mut body);
    let mut resource = Map::new();
    resource.insert("name".into(), json!(name));
    resource.append(&mut body);
    resource.insert("createTime".into(), json!(ctx.now_rfc3339()));
    resource.insert("etag".into(), json!(new_etag(ctx)));
    let resource = Value::Object(resource);
    store.put(SECRETS, &name, Record::new(resource.clone(), ctx.now_ms))?;
    Ok(Reply::Json(resource))
}

/// `secrets.list`: `{secrets, nextPageToken, totalSize}`.
fn list_secrets(store: &Store, req: &ApiRequest, parent: &str) -> Result<Reply, ApiError> {
    let size = req.int_param("pageSize")?.unwrap_or(25000).clamp(1, 25000) as usize;
    let prefix = format!("{parent}/secrets/");
    let items: Vec<(String, Value)> = store.iter_prefix(SECRETS, &prefix).map(|(k, r)| (k.clone(), r.resource.clone())).collect();
    let total = items.len();
    let (secrets, next) = page(&items, req.param("pageToken"), size);
    let mut out = json!({});
    if !secrets.is_empty() {
        out["secrets"] = Value::Array(secrets);
        out["totalSize"] = json!(total);
    }
    if let Some(t) = next {
        out["nextPageToken"] = json!(t);
    }
    Ok(Reply::Json(out))
}

/// Fails with 409 ABORTED when `given` is set and differs from `current`.
fn check_etag(given: Option<&str>, current: &Value) -> Result<(), ApiError> {
    match given {
        Some(e) if !e.is_empty() && Some(e) != current.as_str() => {
            Err(ApiError::aborted(format!("The etag {e} does not match the current etag {current}.")))
        }
        _ => Ok(()),
    }
}

/// `secrets.patch` with `updateMask`.
fn patch(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, name: &str) -> Result<Reply, ApiError> {
    let body = req.json_object()?;
    let mut record = secret(store, name)?.clone();
    check_etag(body.get("etag").and_then(Value::as_str), &record.resource["etag"])?;
    let mask = req.param("updateMask").unwrap_or("");
    if mask.trim().is_empty() {
        return Err(ApiError::invalid("updateMask is required."));
    }
    let mut changes = Map::new();
    for path in mask.split(',').map(str::trim) {
        let top = path.split('.').next().unwrap_or(path);
        if top == "replication" || top == "tags" {
            return Err(ApiError::invalid(format!("Field '{top}' is immutable.")));
        }
        if !UPDATABLE.contains(&top) || (path != top && top != "rotation") {
            return Err(ApiError::invalid(format!("Invalid updateMask path '{path}'.")));
        }
        changes.insert(top.to_string(), body.get(top).cloned().unwrap_or(Value::Null));
    }
    if let Some(aliases) = changes.get("versionAliases").and_then(Value::as_object) {
        let last = record.hidden_i64("lastVersion");
        for (alias, v) in aliases {
            if !number_of(v).is_some_and(|n| n >= 1 && n <= last) {
                return Err(ApiError::invalid(format!("Alias '{alias}' points to a version that does not exist.")));
            }
        }
    }
    let Some(obj) = record.resource.as_object_mut() else { return Err(ApiError::internal("stored secret is not an object")) };
    if changes.contains_key("ttl") || changes.contains_key("expireTime") {
        obj.remove("expireTime");
    }
    for (k, v) in changes {
        if v.is_null() {
            obj.remove(&k);
        } else {
            obj.insert(k, v);
        }
    }
    // The secret as it would be must still be valid (e.g. rotation needs topics).
    check_secret_fields(obj)?;
    apply_ttl(ctx, obj);
    obj.insert("etag".into(), json!(new_etag(ctx)));
    let out = record.resource.clone();
    store.put(SECRETS, name, record)?;
    Ok(Reply::Json(out))
}

/// `secrets.delete` (optional `etag` query); removes every version too.
fn delete(store: &mut Store, req: &ApiRequest, name: &str) -> Result<Reply, ApiError> {
    let record = secret(store, name)?;
    check_etag(req.param("etag"), &record.resource["etag"])?;
    let prefix = format!("{name}/versions/");
    let versions: Vec<String> = store.iter_prefix(VERSIONS, &prefix).map(|(k, _)| k.clone()).collect();
    for v in versions {
        store.remove(VERSIONS, &v)?;
    }
    store.remove(SECRETS, name)?;
    Ok(Reply::Json(json!({})))
}

/// `secrets.addVersion`: `{payload:{data, dataCrc32c?}}`.
fn add_version(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, secret_name: &str) -> Result<Reply, ApiError> {
    let body = req.json_object()?;
    let mut record = secret(store, secret_name)?.clone();
    let payload = body.get("payload").cloned().unwrap_or(Value::Null);
    let data_b64 = payload.get("data").and_then(Value::as_str).unwrap_or("");
    let data = base64::engine::general_purpose::STANDARD
        .decode(data_b64)
        .map_err(|_| ApiError::invalid("payload.data is not valid base64."))?;
    if data.len() > MAX_PAYLOAD {
        return Err(ApiError::invalid(format!("Secret payload is larger than {MAX_PAYLOAD} bytes.")));
    }
    let checksum = payload.get("dataCrc32c");
    if let Some(c) = checksum {
        if number_of(c) != Some(i64::from(crc32c(&data))) {
            return Err(ApiError::invalid("Checksum mismatch: payload.dataCrc32c does not match payload.data."));
        }
    }
    let number = record.hidden_i64("lastVersion") + 1;
    record.hidden.insert("lastVersion".into(), json!(number));
    let name = format!("{secret_name}/versions/{number}");
    let replication_status = match record.resource.pointer("/replication/userManaged/replicas").and_then(Value::as_array) {
        Some(rs) => json!({ "userManaged": { "replicas": rs.iter().map(|r| json!({"location": r["location"]})).collect::<Vec<_>>() } }),
        None => json!({ "automatic": {} }),
    };
    let resource = json!({
        "name": name,
        "createTime": ctx.now_rfc3339(),
        "state": "ENABLED",
        "replicationStatus": replication_status,
        "etag": new_etag(ctx),
        "clientSpecifiedPayloadChecksum": checksum.is_some(),
    });
    let mut vrec = Record::new(resource.clone(), ctx.now_ms);
    vrec.hidden.insert("data".into(), json!(data_b64));
    store.put(VERSIONS, &name, vrec)?;
    store.put(SECRETS, secret_name, record)?;
    Ok(Reply::Json(resource))
}

/// `versions.list`: newest first, optional `filter=state:X`.
fn list_versions(store: &Store, req: &ApiRequest, secret_name: &str) -> Result<Reply, ApiError> {
    secret(store, secret_name)?;
    let want = match req.param("filter").unwrap_or("").trim() {
        "" => None,
        f => match f.strip_prefix("state:") {
            Some(s @ ("ENABLED" | "DISABLED" | "DESTROYED")) => Some(s.to_string()),
            _ => return Err(ApiError::invalid(format!("Unsupported filter '{f}'."))),
        },
    };
    let size = req.int_param("pageSize")?.unwrap_or(25000).clamp(1, 25000) as usize;
    let prefix = format!("{secret_name}/versions/");
    let mut items: Vec<(i64, Value)> = store
        .iter_prefix(VERSIONS, &prefix)
        .filter(|(_, r)| want.as_deref().is_none_or(|w| r.resource["state"] == w))
        .map(|(k, r)| (k[prefix.len()..].parse::<i64>().unwrap_or(0), r.resource.clone()))
        .collect();
    items.sort_by_key(|(n, _)| std::cmp::Reverse(*n));
    // Page tokens must sort the way items are listed: zero-padded, inverted numbers.
    let keyed: Vec<(String, Value)> = items.into_iter().map(|(n, v)| (format!("{:020}", i64::MAX - n), v)).collect();
    let total = keyed.len();
    let (versions, next) = page(&keyed, req.param("pageToken"), size);
    let mut out = json!({});
    if !versions.is_empty() {
        out["versions"] = Value::Array(versions);
        out["totalSize"] = json!(total);
    }
    if let Some(t) = next {
        out["nextPageToken"] = json!(t);
    }
    Ok(Reply::Json(out))
}

/// `versions.access`: the payload of an ENABLED version.
fn access(store: &Store, secret_name: &str, v: &str) -> Result<Reply, ApiError> {
    let name = version_name(store, secret_name, v)?;
    let record = version(store, &name)?;
    let state = record.resource["state"].as_str().unwrap_or("");
    if state != "ENABLED" {
        return Err(ApiError::failed_precondition(format!("Secret Version [{name}] is in {state} state.")));
    }
    let data_b64 = record.hidden_str("data");
    let data = base64::engine::general_purpose::STANDARD.decode(data_b64).unwrap_or_default();
    Ok(Reply::Json(json!({
        "name": name,
        "payload": { "data": data_b64, "dataCrc32c": crc32c(&data).to_string() },
    })))
}

/// `versions.enable|disable|destroy` (optional `etag` in the body).
fn set_version_state(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, secret_name: &str, v: &str, action: &str) -> Result<Reply, ApiError> {
    let body = req.json_object()?;
    let name = version_name(store, secret_name, v)?;
    let mut record = version(store, &name)?.clone();
    check_etag(body.get("etag").and_then(Value::as_str), &record.resource["etag"])?;
    if record.resource["state"] == "DESTROYED" {
        return Err(ApiError::failed_precondition(format!("Secret Version [{name}] is in DESTROYED state.")));
    }
    let state = match action {
        "enable" => "ENABLED",
        "disable" => "DISABLED",
        _ => "DESTROYED",
    };
    record.resource["state"] = json!(state);
    record.resource["etag"] = json!(new_etag(ctx));
    if state == "DESTROYED" {
        record.resource["destroyTime"] = json!(ctx.now_rfc3339());
        record.hidden.remove("data");
    }
    let out = record.resource.clone();
    store.put(VERSIONS, &name, record)?;
    Ok(Reply::Json(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration_ms("3600s"), Some(3_600_000));
        assert_eq!(duration_ms("1.5s"), Some(1500));
        assert_eq!(duration_ms("-1s"), None);
        assert_eq!(duration_ms("1h"), None);
    }
}
