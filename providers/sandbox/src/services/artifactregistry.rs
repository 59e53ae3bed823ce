//! Artifact Registry v1: repositories (their settings; no packages,
//! versions, tags or files in them).
//!
//! Owns: `repositories.create|get|list|patch|delete` under
//! `v1/projects/{project}/locations/{location}` and `operations.get` for the
//! operations they start, with Google's rules: create and delete are
//! long-running operations (`op_latency`), and their effect shows when the
//! operation is done (a new repository is 404 until then; a deleted one is
//! still there until then); a create's operation carries the repository as
//! its `response`; the `repositoryId` is 1 to 63 lowercase letters, digits
//! and hyphens, starting with a letter and not ending with a hyphen; a taken
//! id is 409 ALREADY_EXISTS; `format` is required, `mode` defaults to
//! STANDARD_REPOSITORY; `cleanupPolicies` is a map keyed by the policy id
//! (at most 10), each policy with an action (DELETE or KEEP) and exactly one
//! of `condition` or `mostRecentVersions` (only with KEEP); durations are
//! answered in Google's form (`"2592000s"`); a KMS key in another location
//! fails the create *operation* (nothing is created); a patch changes only
//! the fields its `updateMask` names (all those in the body without one),
//! and naming an immutable one (`format`, `mode`, `kmsKeyName`...) is 400.
//! Answers leave out `false`, `""`, `0` and empty lists, as proto3 JSON
//! does. `artifactregistry.googleapis.com` must be enabled in the project.
//!
//! Does not own: packages, versions, tags, files, IAM policies on
//! repositories, `projectConfig`/`vpcscConfig`, regional endpoints, the
//! checks of remote and virtual repository settings beyond their presence,
//! list `orderBy` other than by name, operations list and cancel. A
//! repository whose delete operation is done leaves the store on the next
//! Artifact Registry request (the provider's last poll).
//!
//! Store: `artifactregistry.repositories` keyed
//! `projects/{number}/locations/{location}/repositories/{id}` (the
//! resource's `name` uses the project id, as Google's does), with hidden
//! `effectiveMs` (when the create is done) and `deleteAtMs` (when the delete
//! is). Operations live in `longrunning.operations`, named
//! `projects/{projectId}/locations/{location}/operations/{id}`.

use super::{
    duration_json, duration_nanos, list_reply, page, resolve_project, serviceusage, valid_label_key, valid_location, ApiRequest, Ctx, Project,
    Reply,
};
use crate::error::ApiError;
use crate::operation;
use crate::store::{Record, Store};
use serde_json::{json, Map, Value};

pub const REPOSITORIES: &str = "artifactregistry.repositories";

/// The service every request needs enabled.
const SERVICE: &str = "artifactregistry.googleapis.com";

const FORMATS: &[&str] = &["DOCKER", "MAVEN", "NPM", "APT", "YUM", "GOOGET", "PYTHON", "KFP", "GO", "GENERIC", "RUBY", "CONDA"];
const MODES: &[&str] = &["STANDARD_REPOSITORY", "VIRTUAL_REPOSITORY", "REMOTE_REPOSITORY", "AOSS_REPOSITORY", "ASSURED_OSS_REPOSITORY"];
const DEFAULT_MODE: &str = "STANDARD_REPOSITORY";

/// Fields a patch may change (top level of an `updateMask` path).
const UPDATABLE: &[&str] = &[
    "description",
    "labels",
    "dockerConfig",
    "cleanupPolicies",
    "cleanupPolicyDryRun",
    "virtualRepositoryConfig",
    "vulnerabilityScanningConfig",
    "platformLogsConfig",
];

/// Fields set at creation for good.
const IMMUTABLE: &[&str] = &["name", "format", "mode", "kmsKeyName", "mavenConfig", "remoteRepositoryConfig", "disallowUnspecifiedMode"];

/// Fields only the server sets; ignored in requests.
const OUTPUT_ONLY: &[&str] = &["createTime", "updateTime", "registryUri", "sizeBytes", "satisfiesPzs", "satisfiesPzi"];

const MAX_POLICIES: usize = 10;
const MAX_LABELS: usize = 64;
const MAX_PAGE: i64 = 1000;

const REPOSITORY_TYPE: &str = "type.googleapis.com/google.devtools.artifactregistry.v1.Repository";
const METADATA_TYPE: &str = "type.googleapis.com/google.devtools.artifactregistry.v1.OperationMetadata";
const EMPTY_TYPE: &str = "type.googleapis.com/google.protobuf.Empty";

/// The project and location a request is under.
struct Parent {
    project: Project,
    location: String,
}

impl Parent {
    /// The store key of repository `id`.
    fn key(&self, id: &str) -> String {
        format!("{}{id}", self.key_prefix())
    }

    fn key_prefix(&self) -> String {
        format!("projects/{}/locations/{}/repositories/", self.project.number, self.location)
    }

    /// The resource name of repository `id`, as Google spells it.
    fn name(&self, id: &str) -> String {
        format!("projects/{}/locations/{}/repositories/{id}", self.project.id, self.location)
    }

    fn operation_name(&self, id: &str) -> String {
        format!("projects/{}/locations/{}/operations/{id}", self.project.id, self.location)
    }
}

/// Answers one Artifact Registry request.
pub fn handle(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest) -> Result<Reply, ApiError> {
    let segs: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    let (p, location, rest) = match segs.as_slice() {
        ["projects", p, "locations", l, rest @ ..] => (*p, *l, rest),
        _ => return Err(ApiError::unknown_route(&req.method, &req.segments.join("/"))),
    };
    let project = resolve_project(store, ctx.now_ms, p)?;
    serviceusage::require_enabled(ctx, store, &project.number, SERVICE)?;
    if !valid_location(location) {
        return Err(ApiError::invalid(format!("Invalid location '{location}'.")));
    }
    sweep_deleted(ctx, store)?;
    let parent = Parent { project, location: location.to_string() };
    match (req.method.as_str(), rest, req.verb.as_deref()) {
        ("POST", ["repositories"], None) => create(ctx, store, req, &parent),
        ("GET", ["repositories"], None) => list(ctx, store, req, &parent),
        ("GET", ["repositories", id], None) => Ok(Reply::Json(existing(ctx, store, &parent, id)?.resource.clone())),
        ("PATCH", ["repositories", id], None) => patch(ctx, store, req, &parent, id),
        ("DELETE", ["repositories", id], None) => delete(ctx, store, &parent, id),
        ("GET", ["operations", id], None) => Ok(Reply::Json(operation::get(store, &parent.operation_name(id), ctx.now_ms)?)),
        _ => Err(ApiError::unknown_route(&req.method, &req.segments.join("/"))),
    }
}

/// 1 to 63 lowercase letters, digits and hyphens, starting with a letter
/// and not ending with a hyphen.
fn valid_repository_id(id: &str) -> bool {
    valid_location(id)
}

/// `projects/*/locations/*/keyRings/*/cryptoKeys/*`.
fn kms_key_location(key: &str) -> Option<&str> {
    match key.split('/').collect::<Vec<_>>().as_slice() {
        ["projects", p, "locations", l, "keyRings", r, "cryptoKeys", k] if [p, l, r, k].iter().all(|s| !s.is_empty()) => Some(l),
        _ => None,
    }
}

/// Whether a delete operation of this record is done.
fn deleted(ctx: &Ctx, r: &Record) -> bool {
    let at = r.hidden_i64("deleteAtMs");
    at > 0 && ctx.now_ms >= at
}

/// Whether a delete operation of this record is still running.
fn being_deleted(ctx: &Ctx, r: &Record) -> bool {
    r.hidden_i64("deleteAtMs") > 0 && !deleted(ctx, r)
}

/// Removes the repositories whose delete operation is done.
fn sweep_deleted(ctx: &Ctx, store: &mut Store) -> Result<(), ApiError> {
    let done: Vec<String> = store.iter(REPOSITORIES).filter(|(_, r)| deleted(ctx, r)).map(|(k, _)| k.clone()).collect();
    for key in done {
        store.remove(REPOSITORIES, &key)?;
    }
    Ok(())
}

/// Whether a record is visible as of now: created and not yet deleted.
fn visible(ctx: &Ctx, r: &Record) -> bool {
    ctx.now_ms >= r.hidden_i64("effectiveMs") && !deleted(ctx, r)
}

/// Repository `id`, if it exists as of now; 404 otherwise.
fn existing<'a>(ctx: &Ctx, store: &'a Store, parent: &Parent, id: &str) -> Result<&'a Record, ApiError> {
    store
        .get(REPOSITORIES, &parent.key(id))
        .filter(|r| visible(ctx, r))
        .ok_or_else(|| ApiError::not_found(format!("Requested entity was not found: repository {}.", parent.name(id))))
}

/// Checks what a repository would hold (after a create or a patch).
fn check_fields(repo: &Map<String, Value>) -> Result<(), ApiError> {
    if let Some(labels) = repo.get("labels").filter(|l| !l.is_null()) {
        let Some(m) = labels.as_object() else { return Err(ApiError::invalid("labels must be a map.")) };
        if m.len() > MAX_LABELS {
            return Err(ApiError::invalid(format!("A repository can have at most {MAX_LABELS} labels.")));
        }
        for (k, v) in m {
            if !valid_label_key(k) || v.as_str().is_none_or(|v| v.len() > 63) {
                return Err(ApiError::invalid(format!("Invalid label: '{k}'.")));
            }
        }
    }
    if let Some(key) = repo.get("kmsKeyName").and_then(Value::as_str).filter(|k| !k.is_empty()) {
        if kms_key_location(key).is_none() {
            return Err(ApiError::invalid(format!(
                "Invalid kmsKeyName '{key}': expected projects/*/locations/*/keyRings/*/cryptoKeys/*."
            )));
        }
    }
    check_policies(repo.get("cleanupPolicies"))?;
    let mode = repo.get("mode").and_then(Value::as_str).unwrap_or(DEFAULT_MODE);
    for (field, needs) in [("remoteRepositoryConfig", "REMOTE_REPOSITORY"), ("virtualRepositoryConfig", "VIRTUAL_REPOSITORY")] {
        let has = repo.get(field).is_some_and(|v| !v.is_null());
        if has != (mode == needs) {
            return Err(ApiError::invalid(format!("{field} is required for a {needs} and allowed for no other mode (this one is {mode}).")));
        }
    }
    Ok(())
}

/// Checks `cleanupPolicies`: a map of at most [`MAX_POLICIES`] policies
/// keyed by their id.
fn check_policies(policies: Option<&Value>) -> Result<(), ApiError> {
    let Some(p) = policies.filter(|p| !p.is_null()) else { return Ok(()) };
    let Some(map) = p.as_object() else { return Err(ApiError::invalid("cleanupPolicies must be a map.")) };
    if map.len() > MAX_POLICIES {
        return Err(ApiError::invalid(format!("A repository can have at most {MAX_POLICIES} cleanup policies.")));
    }
    for (key, policy) in map {
        if key.is_empty() || key.len() >= 128 {
            return Err(ApiError::invalid(format!("Invalid cleanup policy id '{key}': use 1 to 127 characters.")));
        }
        if let Some(id) = policy.get("id").and_then(Value::as_str).filter(|id| *id != key) {
            return Err(ApiError::invalid(format!("Cleanup policy '{key}' says its id is '{id}': the id must be the map key.")));
        }
        let action = policy.get("action").and_then(Value::as_str).unwrap_or("");
        if !matches!(action, "DELETE" | "KEEP") {
            return Err(ApiError::invalid(format!("Cleanup policy '{key}' needs an action: DELETE or KEEP.")));
        }
        let condition = policy.get("condition").filter(|c| !c.is_null());
        let most_recent = policy.get("mostRecentVersions").filter(|c| !c.is_null());
        match (condition, most_recent) {
            (Some(_), Some(_)) | (None, None) => {
                return Err(ApiError::invalid(format!("Cleanup policy '{key}' needs exactly one of condition or mostRecentVersions.")));
            }
            (None, Some(_)) if action != "KEEP" => {
                return Err(ApiError::invalid(format!("Cleanup policy '{key}': mostRecentVersions may only be used with a KEEP action.")));
            }
            _ => {}
        }
        for field in ["olderThan", "newerThan"] {
            if let Some(d) = condition.and_then(|c| c.get(field)).filter(|d| !d.is_null()) {
                if d.as_str().and_then(duration_nanos).is_none_or(|n| n < 0) {
                    return Err(ApiError::invalid(format!("Cleanup policy '{key}': invalid condition.{field} {d}.")));
                }
            }
        }
        if let Some(n) = most_recent.and_then(|m| m.get("keepCount")).and_then(Value::as_i64) {
            if n < 0 {
                return Err(ApiError::invalid(format!("Cleanup policy '{key}': keepCount must not be negative.")));
            }
        }
    }
    Ok(())
}

/// Puts a repository in the form Google answers with: each policy's `id`
/// set to its key, durations in Google's form, and `false`, `""`, `0`,
/// empty lists and empty maps left out (proto3 JSON).
fn canonicalize(repo: &mut Map<String, Value>) {
    if let Some(Value::Object(policies)) = repo.get_mut("cleanupPolicies") {
        for (key, policy) in policies.iter_mut() {
            let Value::Object(p) = policy else { continue };
            p.insert("id".into(), json!(key));
            if let Some(Value::Object(c)) = p.get_mut("condition") {
                for field in ["olderThan", "newerThan"] {
                    if let Some(n) = c.get(field).and_then(Value::as_str).and_then(duration_nanos) {
                        c.insert(field.into(), json!(duration_json(n)));
                    }
                }
            }
        }
    }
    for (key, v) in repo.iter_mut() {
        // Map entries keep their empty values: only messages are pruned.
        if key != "labels" {
            prune_defaults(v);
        }
    }
    repo.retain(|k, v| {
        let empty_map = (k == "labels" || k == "cleanupPolicies") && v.as_object().is_some_and(Map::is_empty);
        !is_default(v) && !empty_map
    });
}

/// Whether proto3 JSON leaves a field with this value out.
fn is_default(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::String(s) => s.is_empty(),
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::Array(a) => a.is_empty(),
        Value::Object(_) => false,
    }
}

/// Drops default-valued fields inside messages, recursively.
fn prune_defaults(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for x in m.values_mut() {
                prune_defaults(x);
            }
            m.retain(|_, x| !is_default(x));
        }
        Value::Array(xs) => xs.iter_mut().for_each(prune_defaults),
        _ => {}
    }
}

/// `repositories.create`: an operation; the repository shows when it is done.
fn create(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, parent: &Parent) -> Result<Reply, ApiError> {
    let id = req.param("repositoryId").unwrap_or("");
    if id.is_empty() {
        return Err(ApiError::invalid("repository_id must be specified."));
    }
    if !valid_repository_id(id) {
        return Err(ApiError::invalid(format!(
            "Invalid repository id '{id}': use 1 to 63 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen."
        )));
    }
    let mut body = req.json_object()?;
    for field in OUTPUT_ONLY.iter().chain(&["name"]) {
        body.remove(*field);
    }
    let format = body.get("format").and_then(Value::as_str).unwrap_or("").to_string();
    if format.is_empty() || format == "FORMAT_UNSPECIFIED" {
        return Err(ApiError::invalid("The repository format must be specified."));
    }
    if !FORMATS.contains(&format.as_str()) {
        return Err(ApiError::invalid(format!("Unknown repository format '{format}'.")));
    }
    let strict = body.remove("disallowUnspecifiedMode").and_then(|v| v.as_bool()).unwrap_or(false);
    let mode = match body.get("mode").and_then(Value::as_str) {
        None | Some("MODE_UNSPECIFIED") if strict => return Err(ApiError::invalid("The repository mode must be specified.")),
        None | Some("MODE_UNSPECIFIED") => DEFAULT_MODE.to_string(),
        Some(m) if MODES.contains(&m) => m.to_string(),
        Some(m) => return Err(ApiError::invalid(format!("Unknown repository mode '{m}'."))),
    };
    body.insert("mode".into(), json!(mode));
    check_fields(&body)?;
    let key = parent.key(id);
    let name = parent.name(id);
    if store.get(REPOSITORIES, &key).is_some() {
        return Err(ApiError::already_exists(format!("Repository {name} already exists.")));
    }
    let now = ctx.now_rfc3339();
    let mut repo = Map::new();
    repo.insert("name".into(), json!(name));
    repo.append(&mut body);
    let host = format!("{}-{}.pkg.dev", parent.location, format.to_ascii_lowercase());
    repo.insert("registryUri".into(), json!(format!("{host}/{}/{id}", parent.project.id)));
    repo.insert("createTime".into(), json!(now));
    repo.insert("updateTime".into(), json!(now));
    canonicalize(&mut repo);

    let done_at = ctx.op_done_at();
    let op_name = parent.operation_name(&ctx.new_id());
    let metadata = json!({ "@type": METADATA_TYPE });
    // A key must be in the repository's location: Google fails the
    // operation, and nothing is created.
    let kms_location = repo.get("kmsKeyName").and_then(Value::as_str).and_then(kms_key_location);
    if let Some(l) = kms_location.filter(|l| *l != parent.location) {
        let error = ApiError::failed_precondition(format!(
            "The KMS key is in location '{l}': it must be in the repository's location '{}'.",
            parent.location
        ));
        let op = operation::start(store, &op_name, ctx.now_ms, done_at, Some(metadata), Err(error))?;
        return Ok(Reply::Json(op));
    }
    let mut response = Map::new();
    response.insert("@type".into(), json!(REPOSITORY_TYPE));
    response.extend(repo.clone());
    let mut record = Record::new(Value::Object(repo), ctx.now_ms);
    record.hidden.insert("effectiveMs".into(), json!(done_at));
    store.put(REPOSITORIES, &key, record)?;
    let op = operation::start(store, &op_name, ctx.now_ms, done_at, Some(metadata), Ok(Value::Object(response)))?;
    Ok(Reply::Json(op))
}

/// Whether `text` matches `pattern`, where `*` stands for any characters.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    // matches[j]: whether p[..i] matches t[..j], row by row.
    let mut matches = vec![false; t.len() + 1];
    matches[0] = true;
    for &c in p {
        let mut next = vec![false; t.len() + 1];
        if c == b'*' {
            let mut any = false;
            for j in 0..=t.len() {
                any |= matches[j];
                next[j] = any;
            }
        } else {
            for j in 1..=t.len() {
                next[j] = matches[j - 1] && t[j - 1] == c;
            }
        }
        matches = next;
    }
    matches[t.len()]
}

/// The pattern of a `filter` (`name="projects/p/locations/l/repositories/my-*"`).
fn name_filter(filter: Option<&str>) -> Result<Option<String>, ApiError> {
    let f = filter.unwrap_or("").trim();
    if f.is_empty() {
        return Ok(None);
    }
    let value = f.strip_prefix("name").map(str::trim_start).and_then(|r| r.strip_prefix('=')).map(str::trim);
    match value.and_then(|v| v.strip_prefix('"')).and_then(|v| v.strip_suffix('"')) {
        Some(pattern) => Ok(Some(pattern.to_string())),
        None => Err(ApiError::invalid(format!("Unsupported filter '{f}': only name=\"...\" (with * wildcards) is.")))
    }
}

/// `repositories.list`: `{repositories, nextPageToken}`, by name.
fn list(ctx: &Ctx, store: &Store, req: &ApiRequest, parent: &Parent) -> Result<Reply, ApiError> {
    let size = req.int_param("pageSize")?.unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE) as usize;
    let pattern = name_filter(req.param("filter"))?;
    match req.param("orderBy").unwrap_or("").trim() {
        "" | "name" | "name asc" => {}
        other => return Err(ApiError::invalid(format!("Unsupported orderBy '{other}': only name is."))),
    }
    let prefix = parent.key_prefix();
    let items: Vec<(String, Value)> = store
        .iter_prefix(REPOSITORIES, &prefix)
        .filter(|(_, r)| visible(ctx, r))
        .filter(|(_, r)| pattern.as_deref().is_none_or(|p| glob(p, r.resource["name"].as_str().unwrap_or(""))))
        .map(|(k, r)| (k.clone(), r.resource.clone()))
        .collect();
    let (repositories, next) = page(&items, req.param("pageToken"), size);
    Ok(Reply::Json(list_reply("repositories", repositories, next)))
}

/// Sets `path` (`dockerConfig.immutableTags`) of `target` to its value in
/// `source`, removing it there when `source` has none.
fn copy_path(target: &mut Map<String, Value>, source: &Map<String, Value>, path: &str) {
    let parts: Vec<&str> = path.split('.').collect();
    let Some((last, parents)) = parts.split_last() else { return };
    let mut from = Some(source);
    for p in parents {
        from = from.and_then(|m| m.get(*p)).and_then(Value::as_object);
    }
    let value = from.and_then(|m| m.get(*last)).filter(|v| !v.is_null()).cloned();
    let mut to = target;
    for p in parents {
        let entry = to.entry(p.to_string()).or_insert_with(|| json!({}));
        if !entry.is_object() {
            *entry = json!({});
        }
        let Value::Object(next) = entry else { return };
        to = next;
    }
    match value {
        Some(v) => {
            to.insert(last.to_string(), v);
        }
        None => {
            to.remove(*last);
        }
    }
}

/// `repositories.patch`: synchronous; changes what `updateMask` names.
fn patch(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, parent: &Parent, id: &str) -> Result<Reply, ApiError> {
    let body = req.json_object()?;
    let mut record = existing(ctx, store, parent, id)?.clone();
    if being_deleted(ctx, &record) {
        return Err(ApiError::failed_precondition(format!("Repository {} is being deleted.", parent.name(id))));
    }
    let Some(repo) = record.resource.as_object_mut() else { return Err(ApiError::internal("stored repository is not an object")) };
    let paths: Vec<String> = match req.param("updateMask").map(str::trim).filter(|m| !m.is_empty()) {
        Some(mask) => {
            let paths: Vec<String> = mask.split(',').map(|p| p.trim().to_string()).collect();
            if let Some(p) = paths.iter().find(|p| IMMUTABLE.contains(&p.split('.').next().unwrap_or(p))) {
                return Err(ApiError::invalid(format!("Field '{p}' is immutable.")));
            }
            paths
        }
        // Without a mask: every field of the body; an immutable one only
        // if it would change.
        None => {
            let mut paths = Vec::new();
            for (k, v) in &body {
                if OUTPUT_ONLY.contains(&k.as_str()) || (IMMUTABLE.contains(&k.as_str()) && repo.get(k) == Some(v)) {
                    continue;
                }
                if IMMUTABLE.contains(&k.as_str()) {
                    return Err(ApiError::invalid(format!("Field '{k}' is immutable.")));
                }
                paths.push(k.clone());
            }
            paths
        }
    };
    for path in &paths {
        let top = path.split('.').next().unwrap_or(path);
        if !UPDATABLE.contains(&top) {
            return Err(ApiError::invalid(format!("Invalid update_mask path '{path}'.")));
        }
        copy_path(repo, &body, path);
    }
    check_fields(repo)?;
    repo.insert("updateTime".into(), json!(ctx.now_rfc3339()));
    canonicalize(repo);
    let out = record.resource.clone();
    store.put(REPOSITORIES, &parent.key(id), record)?;
    Ok(Reply::Json(out))
}

/// `repositories.delete`: an operation; the repository goes when it is done.
fn delete(ctx: &mut Ctx, store: &mut Store, parent: &Parent, id: &str) -> Result<Reply, ApiError> {
    let mut record = existing(ctx, store, parent, id)?.clone();
    if being_deleted(ctx, &record) {
        return Err(ApiError::failed_precondition(format!("Repository {} is being deleted.", parent.name(id))));
    }
    let done_at = ctx.op_done_at();
    let key = parent.key(id);
    if done_at <= ctx.now_ms {
        store.remove(REPOSITORIES, &key)?;
    } else {
        record.hidden.insert("deleteAtMs".into(), json!(done_at));
        store.put(REPOSITORIES, &key, record)?;
    }
    let op_name = parent.operation_name(&ctx.new_id());
    let metadata = json!({ "@type": METADATA_TYPE });
    let op = operation::start(store, &op_name, ctx.now_ms, done_at, Some(metadata), Ok(json!({ "@type": EMPTY_TYPE })))?;
    Ok(Reply::Json(op))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("projects/p/locations/l/repositories/my-*", "projects/p/locations/l/repositories/my-repo"));
        assert!(glob("*repo*", "a-repo-b"));
        assert!(glob("exact", "exact"));
        assert!(!glob("my-*", "your-repo"));
        assert!(!glob("a", ""));
        assert!(glob("*", ""));
    }

    #[test]
    fn filters() {
        assert_eq!(name_filter(Some(" name = \"x*\" ")).unwrap(), Some("x*".to_string()));
        assert_eq!(name_filter(None).unwrap(), None);
        assert_eq!(name_filter(Some("format=DOCKER")).unwrap_err().code, 400);
    }

    #[test]
    fn canonical_form_leaves_out_defaults() {
        let mut repo = json!({
            "name": "n", "description": "", "cleanupPolicyDryRun": false, "labels": { "a": "" },
            "dockerConfig": { "immutableTags": false },
            "cleanupPolicies": { "p": { "action": "DELETE", "condition": { "olderThan": "2592000.000s", "tagPrefixes": [] } } },
        });
        let Value::Object(m) = &mut repo else { unreachable!() };
        canonicalize(m);
        assert_eq!(
            repo,
            json!({
                "name": "n", "labels": { "a": "" }, "dockerConfig": {},
                "cleanupPolicies": { "p": { "id": "p", "action": "DELETE", "condition": { "olderThan": "2592000s" } } },
            })
        );
    }

    #[test]
    fn policies_need_one_kind_of_condition() {
        let check = |p: Value| check_policies(Some(&json!({ "p": p })));
        assert!(check(json!({ "action": "DELETE", "condition": { "tagState": "ANY" } })).is_ok());
        assert!(check(json!({ "action": "KEEP", "mostRecentVersions": { "keepCount": 3 } })).is_ok());
        assert!(check(json!({ "action": "DELETE", "mostRecentVersions": { "keepCount": 3 } })).is_err());
        assert!(check(json!({ "action": "DELETE" })).is_err());
        assert!(check(json!({ "condition": {} })).is_err());
        assert!(check(json!({ "id": "q", "action": "KEEP", "condition": {} })).is_err());
        assert!(check(json!({ "action": "KEEP", "condition": { "olderThan": "-5s" } })).is_err());
    }

    #[test]
    fn patch_paths_copy_and_clear() {
        let mut target = json!({ "dockerConfig": { "immutableTags": true }, "description": "d" });
        let Value::Object(t) = &mut target else { unreachable!() };
        let source = json!({ "dockerConfig": {} });
        let Value::Object(s) = &source else { unreachable!() };
        copy_path(t, s, "dockerConfig.immutableTags");
        copy_path(t, s, "description");
        assert_eq!(target, json!({ "dockerConfig": {} }));
    }
}
