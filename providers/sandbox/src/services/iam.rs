//! IAM v1: service accounts.
//!
//! Owns: `serviceAccounts.create|get|patch|delete|list` under
//! `v1/projects/{project}/serviceAccounts`, with Google's rules: the account
//! id is 6 to 30 characters matching `[a-z][a-z0-9-]*[a-z0-9]`; the email is
//! `{accountId}@{projectId}.iam.gserviceaccount.com` and the name
//! `projects/{projectId}/serviceAccounts/{email}`; an account is addressed by
//! email or by its 21-digit `uniqueId`, under its project or under the
//! wildcard project `-`; a taken id is 409 ALREADY_EXISTS; a patch changes
//! only `displayName` and `description`, named in the body's `updateMask`.
//! `iam.googleapis.com` must be enabled in the project (it is not enabled by
//! default, as on Google). Deleting an account turns its members in project
//! and bucket policies into `deleted:serviceAccount:{email}?uid={uniqueId}`,
//! as Google does.
//!
//! Does not own: keys, `disable`/`enable`/`undelete`, `update` (PUT),
//! `signBlob`/`signJwt`, IAM policies *on* service accounts, roles, or the
//! eventual-consistency rule for policies (`policy.rs` reads `created_ms`
//! through [`lookup_for_policy`]).
//!
//! Store: `iam.serviceaccounts` keyed by the account's name
//! `projects/{projectId}/serviceAccounts/{email}`.

use super::{page, resolve_project, serviceusage, ApiRequest, Ctx, Project, Reply};
use crate::error::ApiError;
use crate::store::{Record, Store};
use serde_json::{json, Map, Value};

pub const ACCOUNTS: &str = "iam.serviceaccounts";

/// The service every request needs enabled.
const SERVICE: &str = "iam.googleapis.com";

/// The etag Google returns for every service account.
const ETAG: &str = "MDEwMjE5MjA=";

/// Fields a patch may change.
const UPDATABLE: &[&str] = &["displayName", "description"];

/// Answers one IAM request.
pub fn handle(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest) -> Result<Reply, ApiError> {
    let segs: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    let (p, rest) = match segs.as_slice() {
        ["projects", p, "serviceAccounts", rest @ ..] => (*p, rest),
        _ => return Err(ApiError::unknown_route(&req.method, &req.segments.join("/"))),
    };
    if req.verb.as_deref().is_some_and(|v| !matches!(v, "disable" | "enable")) {
        return Err(ApiError::unknown_route(&req.method, &req.segments.join("/")));
    }
    match (req.method.as_str(), rest) {
        ("POST", []) => {
            let project = project_for_collection(ctx, store, p)?;
            create(ctx, store, req, &project)
        }
        ("GET", []) => {
            let project = project_for_collection(ctx, store, p)?;
            list(store, req, &project)
        }
        ("GET", [id]) => {
            let (_, record) = account(ctx, store, p, id)?;
            Ok(Reply::Json(record.resource))
        }
        ("POST", [id]) if matches!(req.verb.as_deref(), Some("disable" | "enable")) => {
            set_disabled(ctx, store, p, id, req.verb.as_deref() == Some("disable"))
        }
        ("PATCH", [id]) => patch(ctx, store, req, p, id),
        ("DELETE", [id]) => delete(ctx, store, p, id),
        _ => Err(ApiError::unknown_route(&req.method, &req.segments.join("/"))),
    }
}

/// The project of a create or list: a real project (not `-`), with IAM on.
fn project_for_collection(ctx: &Ctx, store: &mut Store, p: &str) -> Result<Project, ApiError> {
    if p == "-" {
        return Err(ApiError::invalid("The project wildcard '-' is not allowed here; name a project."));
    }
    let project = resolve_project(store, ctx.now_ms, p)?;
    serviceusage::require_enabled(ctx, store, &project.number, SERVICE)?;
    Ok(project)
}

/// Google's account id rule: 6 to 30 characters, `[a-z][a-z0-9-]*[a-z0-9]`.
pub fn valid_account_id(id: &str) -> bool {
    (6..=30).contains(&id.len())
        && id.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && id.bytes().last().is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The project id of a user-managed service account email
/// (`x@p.iam.gserviceaccount.com` → `p`), if it is one.
pub fn email_project(email: &str) -> Option<&str> {
    let (local, domain) = email.split_once('@')?;
    let project = domain.strip_suffix(".iam.gserviceaccount.com")?;
    (!local.is_empty() && !project.is_empty() && !project.starts_with("gcp-sa-")).then_some(project)
}

/// The store key (the account's name) of an email.
fn key_of(email: &str) -> Option<String> {
    email_project(email).map(|p| format!("projects/{p}/serviceAccounts/{email}"))
}

/// The account `id` (email or uniqueId) under project `p` (or `-`), after
/// the enabled-API check of its project: `(key, record)`.
fn account(ctx: &Ctx, store: &mut Store, p: &str, id: &str) -> Result<(String, Record), ApiError> {
    let wanted_project = if p == "-" { None } else { Some(resolve_project(store, ctx.now_ms, p)?) };
    let found = find(store, wanted_project.as_ref().map(|pr| pr.id.as_str()), id);
    // The enabled check is on the named project, or (wildcard) on the
    // account's own project.
    let project = match (&wanted_project, &found) {
        (Some(pr), _) => Some(pr.clone()),
        (None, Some((_, r))) => {
            let pid = r.resource["projectId"].as_str().unwrap_or_default().to_string();
            Some(resolve_project(store, ctx.now_ms, &pid)?)
        }
        (None, None) => email_project(id).and_then(|pid| resolve_project(store, ctx.now_ms, pid).ok()),
    };
    if let Some(pr) = project {
        serviceusage::require_enabled(ctx, store, &pr.number, SERVICE)?;
    }
    found.ok_or_else(|| not_found(p, id))
}

fn not_found(p: &str, id: &str) -> ApiError {
    ApiError::not_found(format!("Unknown service account: projects/{p}/serviceAccounts/{id}"))
}

/// An account by email or uniqueId, optionally only in project `project_id`.
fn find(store: &Store, project_id: Option<&str>, id: &str) -> Option<(String, Record)> {
    let id_lower = id.to_ascii_lowercase();
    let by_email = key_of(&id_lower).and_then(|k| store.get(ACCOUNTS, &k).map(|r| (k, r.clone())));
    let found = by_email.or_else(|| {
        store.iter(ACCOUNTS).find(|(_, r)| r.resource["uniqueId"] == id).map(|(k, r)| (k.clone(), r.clone()))
    })?;
    match project_id {
        Some(pid) if found.1.resource["projectId"] != pid => None,
        _ => Some(found),
    }
}

/// For policies: the account with this email, if it exists and its creation
/// has propagated (`consistency_delay`), as `Some(exists)`; `None` when the
/// email is not a user-managed account (Google-managed accounts are not
/// checked).
pub fn lookup_for_policy(ctx: &Ctx, store: &Store, email: &str) -> Option<bool> {
    let key = key_of(&email.to_ascii_lowercase())?;
    let delay = super::millis(ctx.config.consistency_delay);
    Some(store.get(ACCOUNTS, &key).is_some_and(|r| ctx.now_ms >= r.created_ms.saturating_add(delay)))
}

/// `displayName` (at most 100 characters) and `description` (256) of a
/// ServiceAccount in a request body.
fn user_fields(sa: &Map<String, Value>, only: &[&str]) -> Result<Map<String, Value>, ApiError> {
    let mut out = Map::new();
    for (field, max) in [("displayName", 100), ("description", 256)] {
        if !only.contains(&field) {
            continue;
        }
        match sa.get(field) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if s.chars().count() <= max => {
                out.insert(field.to_string(), json!(s));
            }
            Some(Value::String(_)) => return Err(ApiError::invalid(format!("{field} must be at most {max} characters."))),
            Some(_) => return Err(ApiError::invalid(format!("{field} must be a string."))),
        }
    }
    Ok(out)
}

/// `serviceAccounts.create`: `{accountId, serviceAccount:{displayName, description}}`.
fn create(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, project: &Project) -> Result<Reply, ApiError> {
    let body = req.json_object()?;
    let id = match body.get("accountId") {
        Some(Value::String(s)) => s.as_str(),
        None | Some(Value::Null) => return Err(ApiError::invalid("accountId is required.")),
        Some(_) => return Err(ApiError::invalid("accountId must be a string.")),
    };
    if !valid_account_id(id) {
        return Err(ApiError::invalid(format!(
            "Invalid account ID '{id}': it must be 6 to 30 characters, start with a lowercase letter, \
             contain only lowercase letters, digits and hyphens, and end with a letter or digit."
        )));
    }
    let sa = match body.get("serviceAccount") {
        Some(Value::Object(m)) => m.clone(),
        None | Some(Value::Null) => Map::new(),
        Some(_) => return Err(ApiError::invalid("serviceAccount must be an object.")),
    };
    let fields = user_fields(&sa, UPDATABLE)?;
    let email = format!("{id}@{}.iam.gserviceaccount.com", project.id);
    let name = format!("projects/{}/serviceAccounts/{email}", project.id);
    if store.get(ACCOUNTS, &name).is_some() {
        return Err(ApiError::already_exists(format!(
            "Service account {id} already exists within project projects/{}.",
            project.id
        )));
    }
    let (hi, lo) = (ctx.ids.next_u64() % 10_000_000_000, ctx.ids.next_u64() % 10_000_000_000);
    let unique_id = format!("1{hi:010}{lo:010}");
    let mut resource = Map::new();
    resource.insert("name".into(), json!(name));
    resource.insert("projectId".into(), json!(project.id));
    resource.insert("uniqueId".into(), json!(unique_id));
    resource.insert("email".into(), json!(email));
    for (k, v) in fields {
        if v.as_str().is_some_and(|s| !s.is_empty()) {
            resource.insert(k, v);
        }
    }
    resource.insert("etag".into(), json!(ETAG));
    resource.insert("oauth2ClientId".into(), json!(unique_id));
    let resource = Value::Object(resource);
    store.put(ACCOUNTS, &name, Record::new(resource.clone(), ctx.now_ms))?;
    Ok(Reply::Json(resource))
}

/// `serviceAccounts.list`: `{accounts, nextPageToken}`, by email.
fn list(store: &Store, req: &ApiRequest, project: &Project) -> Result<Reply, ApiError> {
    let size = req.int_param("pageSize")?.unwrap_or(20).clamp(1, 100) as usize;
    let prefix = format!("projects/{}/serviceAccounts/", project.id);
    let items: Vec<(String, Value)> = store.iter_prefix(ACCOUNTS, &prefix).map(|(k, r)| (k.clone(), r.resource.clone())).collect();
    let (accounts, next) = page(&items, req.param("pageToken"), size);
    let mut out = json!({});
    if !accounts.is_empty() {
        out["accounts"] = Value::Array(accounts);
    }
    if let Some(t) = next {
        out["nextPageToken"] = json!(t);
    }
    Ok(Reply::Json(out))
}

/// `serviceAccounts.disable` / `.enable`: sets `disabled`; answers `{}`.
fn set_disabled(ctx: &mut Ctx, store: &mut Store, p: &str, id: &str, disabled: bool) -> Result<Reply, ApiError> {
    let (key, mut record) = account(ctx, store, p, id)?;
    let Some(obj) = record.resource.as_object_mut() else { return Err(ApiError::internal("stored service account is not an object")) };
    if disabled {
        obj.insert("disabled".into(), json!(true));
    } else {
        obj.remove("disabled");
    }
    store.put(ACCOUNTS, &key, record)?;
    Ok(Reply::Json(json!({})))
}

/// `serviceAccounts.patch`: `{serviceAccount:{...}, updateMask}`.
fn patch(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, p: &str, id: &str) -> Result<Reply, ApiError> {
    let body = req.json_object()?;
    let (key, mut record) = account(ctx, store, p, id)?;
    let sa = match body.get("serviceAccount") {
        Some(Value::Object(m)) => m.clone(),
        None | Some(Value::Null) => Map::new(),
        Some(_) => return Err(ApiError::invalid("serviceAccount must be an object.")),
    };
    if let Some(e) = sa.get("etag").and_then(Value::as_str) {
        if !e.is_empty() && Some(e) != record.resource["etag"].as_str() {
            return Err(ApiError::aborted(format!("The etag {e} does not match the current etag.")));
        }
    }
    let mask = body.get("updateMask").and_then(Value::as_str).unwrap_or("");
    let paths: Vec<&str> = mask.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    if paths.is_empty() {
        return Err(ApiError::invalid("updateMask is required and must name displayName and/or description."));
    }
    // Google accepts both camelCase and snake_case mask paths.
    let mut only = Vec::new();
    for path in paths {
        match path {
            "displayName" | "display_name" => only.push("displayName"),
            "description" => only.push("description"),
            other => return Err(ApiError::invalid(format!("Invalid updateMask path '{other}': only displayName and description can be patched."))),
        }
    }
    let fields = user_fields(&sa, &only)?;
    let Some(obj) = record.resource.as_object_mut() else { return Err(ApiError::internal("stored service account is not an object")) };
    for field in only {
        match fields.get(field).and_then(Value::as_str) {
            Some(s) if !s.is_empty() => {
                obj.insert(field.to_string(), json!(s));
            }
            _ => {
                obj.remove(field);
            }
        }
    }
    let out = record.resource.clone();
    store.put(ACCOUNTS, &key, record)?;
    Ok(Reply::Json(out))
}

/// `serviceAccounts.delete`: `{}`; its policy members become `deleted:`.
fn delete(ctx: &mut Ctx, store: &mut Store, p: &str, id: &str) -> Result<Reply, ApiError> {
    let (key, record) = account(ctx, store, p, id)?;
    store.remove(ACCOUNTS, &key)?;
    let email = record.resource["email"].as_str().unwrap_or_default();
    let uid = record.resource["uniqueId"].as_str().unwrap_or_default();
    let (from, to) = (format!("serviceAccount:{email}"), format!("deleted:serviceAccount:{email}?uid={uid}"));
    super::resourcemanager::rename_member(ctx, store, &from, &to)?;
    super::storage::rename_member(store, &from, &to)?;
    Ok(Reply::Json(json!({})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids() {
        assert!(valid_account_id("my-sa1"));
        assert!(valid_account_id("a23456789012345678901234567890"));
        assert!(!valid_account_id("short"));
        assert!(!valid_account_id("a234567890123456789012345678901"));
        assert!(!valid_account_id("1abcdef"));
        assert!(!valid_account_id("abcdef-"));
        assert!(!valid_account_id("Abcdef"));
        assert!(!valid_account_id("abc_def"));
        assert!(!valid_account_id("abcdé1"));
    }

    #[test]
    fn emails() {
        assert_eq!(email_project("a@p-1.iam.gserviceaccount.com"), Some("p-1"));
        assert_eq!(email_project("a@gcp-sa-run.iam.gserviceaccount.com"), None);
        assert_eq!(email_project("123-compute@developer.gserviceaccount.com"), None);
        assert_eq!(email_project("@p.iam.gserviceaccount.com"), None);
        assert_eq!(email_project("nope"), None);
    }
}
