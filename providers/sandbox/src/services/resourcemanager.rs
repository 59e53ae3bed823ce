//! Cloud Resource Manager v1 and v3: projects and their IAM policies.
//!
//! Owns: `projects.get` (v1: `projectNumber`, `projectId`, `name`,
//! `lifecycleState`, `createTime`; v3: `name: projects/{number}`, `state`,
//! `displayName`; both: `labels` and `parent` when the project has them,
//! which sandbox projects do not, so both are omitted as Google omits empty
//! fields), 403 PERMISSION_DENIED "The caller does not have permission" for
//! a project in [`crate::Config::missing_projects`] (Google's answer for a
//! project that does not exist or that the caller may not see) and 400 for
//! a malformed project id,
//! `projects.getIamPolicy` and `projects.setIamPolicy` (both versions, same
//! policy), with Google's rules: every set gives the policy a new `etag`;
//! a set carrying an `etag` that is no longer current is 409 ABORTED
//! ("There were concurrent policy changes..."); a set without an etag
//! overwrites; bindings are checked and normalised as every policy's
//! ([`super::policy`]: roles, principals, service accounts that exist and
//! have propagated, conditions only in version 3); `allUsers` and
//! `allAuthenticatedUsers` are 400 (projects do not support them); a
//! `user:` cannot be made `roles/owner` through the API (Google wants a
//! console invitation: 400 with a `SOLO_MUST_INVITE_OWNERS`
//! ProjectIamPolicyError, the answer for a project outside an organization,
//! which every sandbox project is).
//!
//! A project's policy starts empty (`{"version":1,"etag":"ACAB"}`): the
//! sandbox has no project creator to make owner.
//!
//! Does not own: project create/update/delete/list, folders, organizations
//! (so no domain restriction on members), the "last ToS-accepted owner"
//! rule (no project has a user owner), the rendering of conditional
//! bindings for `requestedPolicyVersion` below 3,
//! `testIamPermissions`, audit-config validation beyond its shape, role
//! catalogs (any well-formed role is accepted), or whether
//! `cloudresourcemanager.googleapis.com` is enabled: Google checks that on
//! the caller's quota project, which the sandbox does not know, so it is not
//! checked.
//!
//! Store: projects are [`super::PROJECTS`]; policies are
//! `cloudresourcemanager.policies` keyed by project number.

use super::policy::{self, check_bindings, Special};
use super::{resolve_project, ApiRequest, Ctx, Project, Reply, PROJECTS};
use crate::error::ApiError;
use crate::store::{Record, Store};
use base64::Engine as _;
use serde_json::{json, Map, Value};

pub const POLICIES: &str = "cloudresourcemanager.policies";

/// The etag of a policy never set.
const EMPTY_ETAG: &str = "ACAB";

/// Google's message for a stale policy etag.
const CONCURRENT: &str =
    "There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.";

/// Answers one Resource Manager request; `v3` selects the v3 shapes.
pub fn handle(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, v3: bool) -> Result<Reply, ApiError> {
    let segs: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    let p = match segs.as_slice() {
        ["projects", p] => *p,
        _ => return Err(ApiError::unknown_route(&req.method, &req.segments.join("/"))),
    };
    if ctx.config.missing_projects.iter().any(|m| m == p) {
        return Err(ApiError::permission_denied("The caller does not have permission"));
    }
    match (req.method.as_str(), req.verb.as_deref()) {
        ("GET", None) => {
            let project = resolve_project(store, ctx.now_ms, p)?;
            Ok(Reply::Json(project_json(store, &project, v3)))
        }
        ("POST", Some("getIamPolicy")) => {
            let body = req.json_object()?;
            let requested = body.get("options").and_then(|o| o.get("requestedPolicyVersion"));
            if let Some(v) = requested {
                if !matches!(int_of(v), Some(0 | 1 | 3)) {
                    return Err(ApiError::invalid(format!("Invalid requested policy version {v}: use 1 or 3.")));
                }
            }
            let project = resolve_project(store, ctx.now_ms, p)?;
            Ok(Reply::Json(policy(store, &project.number)))
        }
        ("POST", Some("setIamPolicy")) => set_policy(ctx, store, req, p),
        _ => Err(ApiError::unknown_route(&req.method, &req.segments.join("/"))),
    }
}

/// The Project resource: v1 or v3 shape.
fn project_json(store: &Store, project: &Project, v3: bool) -> Value {
    let stored = store.get(PROJECTS, &project.number).map(|r| r.resource.clone()).unwrap_or_default();
    let create_time = stored.get("createTime").cloned().unwrap_or(Value::Null);
    let labels = stored.get("labels").filter(|l| l.as_object().is_some_and(|m| !m.is_empty())).cloned();
    // Stored as v1's `{type, id}`.
    let parent = stored.get("parent").filter(|p| p.is_object()).cloned();
    let mut out = if v3 {
        let mut out = json!({
            "name": format!("projects/{}", project.number),
            "projectId": project.id,
            "state": "ACTIVE",
            "displayName": stored.get("name").cloned().unwrap_or_else(|| json!(project.id)),
            "etag": format!("W/\"{}\"", project.number),
        });
        if let Some(p) = &parent {
            let kind = p.get("type").and_then(Value::as_str).unwrap_or("organization");
            let id = p.get("id").and_then(Value::as_str).unwrap_or_default();
            out["parent"] = json!(format!("{kind}s/{id}"));
        }
        out
    } else {
        let mut out = json!({
            "projectNumber": project.number,
            "projectId": project.id,
            "lifecycleState": "ACTIVE",
            "name": stored.get("name").cloned().unwrap_or_else(|| json!(project.id)),
        });
        if let Some(p) = parent {
            out["parent"] = p;
        }
        out
    };
    if !create_time.is_null() {
        out["createTime"] = create_time;
    }
    if let Some(l) = labels {
        out["labels"] = l;
    }
    out
}

/// An int that JSON may carry as a number or a string.
fn int_of(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

/// The current policy of the project numbered `number`.
fn policy(store: &Store, number: &str) -> Value {
    store.get(POLICIES, number).map(|r| r.resource.clone()).unwrap_or_else(|| json!({ "version": 1, "etag": EMPTY_ETAG }))
}

/// A fresh policy etag: 8 random bytes, base64, as Google's (`BwX...=`).
fn new_etag(ctx: &mut Ctx) -> String {
    let mut bytes = ctx.ids.next_u64().to_be_bytes();
    bytes[0] = 0x07; // Google's etags start with `Bw`.
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// `setIamPolicy`: `{policy:{bindings, etag, version, auditConfigs}, updateMask?}`.
fn set_policy(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, p: &str) -> Result<Reply, ApiError> {
    let body = req.json_object()?;
    let project = resolve_project(store, ctx.now_ms, p)?;
    let given = match body.get("policy") {
        Some(Value::Object(m)) => m.clone(),
        _ => return Err(ApiError::invalid("Request contains an invalid argument: policy is required.")),
    };
    let current = policy(store, &project.number);
    if let Some(etag) = given.get("etag") {
        let etag = etag.as_str().ok_or_else(|| ApiError::invalid("policy.etag must be a string."))?;
        if !etag.is_empty() && Some(etag) != current["etag"].as_str() {
            return Err(ApiError::aborted(CONCURRENT));
        }
    }
    // The update mask names the policy fields to change; Google's default is
    // `bindings,etag`.
    let mask = body.get("updateMask").and_then(Value::as_str).unwrap_or("");
    let mut fields: Vec<&str> = mask.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    if fields.is_empty() {
        fields = vec!["bindings", "etag"];
    }
    for f in &fields {
        if !matches!(*f, "bindings" | "etag" | "auditConfigs" | "version") {
            return Err(ApiError::invalid(format!("Invalid updateMask path '{f}' for a policy.")));
        }
    }
    let version = match given.get("version") {
        None | Some(Value::Null) => 1,
        Some(v) => match int_of(v) {
            Some(n @ (0 | 1 | 3)) => n.max(1),
            _ => return Err(ApiError::invalid(format!("Invalid policy version {v}: use 1 or 3."))),
        },
    };
    let mut out = Map::new();
    let bindings = if fields.contains(&"bindings") {
        let raw = match given.get("bindings") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a.clone(),
            Some(_) => return Err(ApiError::invalid("policy.bindings must be a list.")),
        };
        let owners: Vec<String> = current["bindings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|b| b["role"] == "roles/owner" && b.get("condition").is_none())
            .flat_map(|b| b["members"].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_string))
            .collect();
        let refuse_public: Special<'_> = &|m| {
            matches!(m, "allUsers" | "allAuthenticatedUsers").then(|| {
                Err(ApiError::invalid(format!(
                    "Request contains an invalid argument: a project policy does not support {m} as a member."
                )))
            })
        };
        let bindings = check_bindings(ctx, store, &raw, version, refuse_public)?;
        // A `user:` may stay owner, not become one.
        for b in bindings.iter().filter(|b| b["role"] == "roles/owner") {
            let members = b["members"].as_array().into_iter().flatten().filter_map(Value::as_str);
            if let Some(m) = members.filter(|m| m.starts_with("user:")).find(|m| !owners.iter().any(|o| o == m)) {
                return Err(must_invite(m));
            }
        }
        bindings
    } else {
        current.get("bindings").and_then(Value::as_array).cloned().unwrap_or_default()
    };
    let has_condition = bindings.iter().any(|b| b.get("condition").is_some());
    out.insert("version".into(), json!(if has_condition { 3 } else { version }));
    out.insert("etag".into(), json!(new_etag(ctx)));
    if !bindings.is_empty() {
        out.insert("bindings".into(), Value::Array(bindings));
    }
    let audit = if fields.contains(&"auditConfigs") { given.get("auditConfigs").cloned() } else { current.get("auditConfigs").cloned() };
    match audit {
        None | Some(Value::Null) => {}
        Some(Value::Array(a)) if a.is_empty() => {}
        Some(a @ Value::Array(_)) => {
            out.insert("auditConfigs".into(), a);
        }
        Some(_) => return Err(ApiError::invalid("policy.auditConfigs must be a list.")),
    }
    let resource = Value::Object(out);
    store.put(POLICIES, &project.number, Record::new(resource.clone(), ctx.now_ms))?;
    Ok(Reply::Json(resource))
}

/// Replaces member `from` by `to` in every project policy (a deleted
/// service account becomes `deleted:serviceAccount:...?uid=...`), with a new
/// etag for each policy changed.
pub fn rename_member(ctx: &mut Ctx, store: &mut Store, from: &str, to: &str) -> Result<(), ApiError> {
    policy::rename_member(store, POLICIES, from, to, &mut |r: &mut Record| r.resource["etag"] = json!(new_etag(ctx)))
}

/// Google's answer to `user:x` as a new owner of a project outside an
/// organization.
fn must_invite(member: &str) -> ApiError {
    let mut e = ApiError::invalid("Request contains an invalid argument.");
    e.details.push(json!({
        "@type": "type.googleapis.com/google.cloudresourcemanager.v1.ProjectIamPolicyError",
        "type": "SOLO_MUST_INVITE_OWNERS",
        "member": member,
        "role": "roles/owner",
    }));
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_user_owners_must_be_invited() {
        let e = must_invite("user:a@example.com");
        assert_eq!(e.code, 400);
        assert_eq!(e.details[0]["type"], "SOLO_MUST_INVITE_OWNERS");
    }
}
