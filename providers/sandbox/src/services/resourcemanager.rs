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
//! overwrites; roles must be `roles/...` or custom role names; members must
//! be well formed (`user:`, `group:`, `serviceAccount:`, `domain:`,
//! `deleted:...?uid=`, `principal://`, `principalSet://`), else 400;
//! `allUsers` and `allAuthenticatedUsers` are 400 (projects do not support
//! them); a `user:` cannot be made `roles/owner` through the API (Google
//! wants a console invitation: 400 with a `SOLO_MUST_INVITE_OWNERS`
//! ProjectIamPolicyError, the answer for a project outside an organization,
//! which every sandbox project is); a `serviceAccount:` member naming a
//! user-managed account (`...@{project}.iam.gserviceaccount.com`) that does
//! not exist is 400 "Service account ... does not exist." — and so is one
//! created less than `Config::consistency_delay` ago, Google's propagation
//! delay that makes clients retry. Conditions need policy version 3.
//! Bindings are normalised as Google does: empty ones dropped, members
//! deduplicated, bindings of the same role and condition merged.
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

use super::{iam, resolve_project, ApiRequest, Ctx, Project, Reply, PROJECTS};
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

/// Most members a project policy may hold (Google: 1,500 principals).
const MAX_MEMBERS: usize = 1500;

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
        check_bindings(ctx, store, &raw, version, &owners)?
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

/// Validates and normalises bindings: roles and members well formed,
/// service accounts existing (and propagated), conditions only in version 3;
/// empty bindings dropped, duplicate members removed, same role+condition
/// merged.
///
/// `owners` are the current unconditional `roles/owner` members: a `user:`
/// may stay owner, not become one.
fn check_bindings(ctx: &Ctx, store: &Store, raw: &[Value], version: i64, owners: &[String]) -> Result<Vec<Value>, ApiError> {
    let mut out: Vec<(String, Option<Value>, Vec<String>)> = Vec::new();
    let mut total = 0usize;
    for b in raw {
        let Some(obj) = b.as_object() else { return Err(ApiError::invalid("Every binding must be an object.")) };
        let role = obj.get("role").and_then(Value::as_str).unwrap_or("");
        check_role(role)?;
        let condition = match obj.get("condition") {
            None | Some(Value::Null) => None,
            Some(c @ Value::Object(m)) => {
                if version < 3 {
                    return Err(ApiError::invalid(
                        "Request contains an invalid argument: a binding with a condition requires policy version 3.",
                    ));
                }
                if m.get("expression").and_then(Value::as_str).is_none_or(|e| e.trim().is_empty()) {
                    return Err(ApiError::invalid("A condition needs a non-empty expression."));
                }
                Some(c.clone())
            }
            Some(_) => return Err(ApiError::invalid("A binding's condition must be an object.")),
        };
        let members = match obj.get("members") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a.clone(),
            Some(_) => return Err(ApiError::invalid("A binding's members must be a list.")),
        };
        let mut names = Vec::new();
        for m in &members {
            let Some(m) = m.as_str() else { return Err(ApiError::invalid("Every member must be a string.")) };
            check_member(ctx, store, m)?;
            if role == "roles/owner" && m.starts_with("user:") && !owners.iter().any(|o| o == m) {
                return Err(must_invite(m));
            }
            names.push(m.to_string());
        }
        if names.is_empty() {
            continue;
        }
        total += names.len();
        if total > MAX_MEMBERS {
            return Err(ApiError::invalid(format!("The policy has more than {MAX_MEMBERS} members.")));
        }
        let slot = match out.iter().position(|(r, c, _)| r == role && *c == condition) {
            Some(i) => i,
            None => {
                out.push((role.to_string(), condition, Vec::new()));
                out.len() - 1
            }
        };
        if let Some((_, _, list)) = out.get_mut(slot) {
            for n in names {
                if !list.contains(&n) {
                    list.push(n);
                }
            }
        }
    }
    Ok(out
        .into_iter()
        .map(|(role, condition, members)| {
            let mut b = json!({ "role": role, "members": members });
            if let Some(c) = condition {
                b["condition"] = c;
            }
            b
        })
        .collect())
}

/// `roles/x`, `projects/p/roles/x` or `organizations/o/roles/x`.
fn check_role(role: &str) -> Result<(), ApiError> {
    let ok_name = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_');
    let segs: Vec<&str> = role.split('/').collect();
    let ok = match segs.as_slice() {
        ["roles", name] => ok_name(name),
        ["projects" | "organizations", parent, "roles", name] => !parent.is_empty() && ok_name(name),
        _ => false,
    };
    if ok {
        Ok(())
    } else if role.is_empty() {
        Err(ApiError::invalid("Request contains an invalid argument: every binding needs a role."))
    } else {
        Err(ApiError::invalid(format!("Role {role} is not supported for this resource.")))
    }
}

/// `local@domain` with a dotted domain and no spaces.
fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    let ok_chars = |t: &str| t.bytes().all(|b| b.is_ascii_graphic() && b != b'@' && b != b':' && b != b'/' && b != b',');
    !local.is_empty() && ok_chars(local) && valid_domain(domain)
}

fn valid_domain(d: &str) -> bool {
    d.contains('.')
        && !d.starts_with('.')
        && !d.ends_with('.')
        && !d.contains("..")
        && d.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
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

fn malformed(member: &str) -> ApiError {
    ApiError::invalid(format!(
        "Invalid member '{member}': policy members must be of the form \"<type>:<value>\" (user:, serviceAccount:, group:, domain:, ...)."
    ))
}

/// A member as Google accepts it in a project policy.
fn check_member(ctx: &Ctx, store: &Store, member: &str) -> Result<(), ApiError> {
    if matches!(member, "allUsers" | "allAuthenticatedUsers") {
        return Err(ApiError::invalid(format!(
            "Request contains an invalid argument: a project policy does not support {member} as a member."
        )));
    }
    let Some((kind, value)) = member.split_once(':') else { return Err(malformed(member)) };
    let ok = match kind {
        "user" | "group" => valid_email(value),
        "domain" => valid_domain(value),
        "serviceAccount" => {
            if !valid_email(value) {
                return Err(malformed(member));
            }
            if iam::lookup_for_policy(ctx, store, value) == Some(false) {
                return Err(ApiError::invalid(format!("Service account {value} does not exist.")));
            }
            true
        }
        "deleted" => match value.split_once(':') {
            Some(("user" | "group" | "serviceAccount", rest)) => {
                rest.split_once("?uid=").is_some_and(|(email, uid)| valid_email(email) && !uid.is_empty())
            }
            _ => false,
        },
        "principal" | "principalSet" => value.starts_with("//") && value.len() > 2,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(malformed(member))
    }
}

/// Replaces member `from` by `to` in every project policy (a deleted
/// service account becomes `deleted:serviceAccount:...?uid=...`), with a new
/// etag for each policy changed.
pub fn rename_member(ctx: &mut Ctx, store: &mut Store, from: &str, to: &str) -> Result<(), ApiError> {
    let affected: Vec<(String, Record)> = store
        .iter(POLICIES)
        .filter(|(_, r)| {
            r.resource["bindings"]
                .as_array()
                .is_some_and(|bs| bs.iter().any(|b| b["members"].as_array().is_some_and(|ms| ms.iter().any(|m| m == from))))
        })
        .map(|(k, r)| (k.clone(), r.clone()))
        .collect();
    for (key, mut record) in affected {
        if let Some(bs) = record.resource.get_mut("bindings").and_then(Value::as_array_mut) {
            for b in bs.iter_mut() {
                if let Some(ms) = b.get_mut("members").and_then(Value::as_array_mut) {
                    for m in ms.iter_mut() {
                        if m == from {
                            *m = json!(to);
                        }
                    }
                }
            }
        }
        record.resource["etag"] = json!(new_etag(ctx));
        store.put(POLICIES, &key, record)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles() {
        assert!(check_role("roles/viewer").is_ok());
        assert!(check_role("roles/storage.objectViewer").is_ok());
        assert!(check_role("projects/p/roles/custom_1").is_ok());
        assert!(check_role("organizations/1/roles/x").is_ok());
        for bad in ["", "viewer", "roles/", "roles/a/b", "projects//roles/x"] {
            assert_eq!(check_role(bad).unwrap_err().code, 400, "{bad}");
        }
    }

    #[test]
    fn member_shapes() {
        let config = crate::Config::default();
        let mut ids = crate::server::Rng::new(1);
        let ctx = Ctx { config: &config, now_ms: 0, ids: &mut ids };
        let store = Store::in_memory();
        for good in [
            "user:a@example.com",
            "group:g@example.com",
            "domain:example.com",
            "serviceAccount:123-compute@developer.gserviceaccount.com",
            "serviceAccount:service-1@gcp-sa-run.iam.gserviceaccount.com",
            "deleted:serviceAccount:a@p.iam.gserviceaccount.com?uid=123",
            "principal://iam.googleapis.com/x",
        ] {
            assert!(check_member(&ctx, &store, good).is_ok(), "{good}");
        }
        for bad in ["", "allUsers", "allAuthenticatedUsers", "a@example.com", "user:", "user:nobody", "user:a@b", "bogus:a@example.com", "domain:x", "deleted:user:a@b.com", ":"] {
            assert_eq!(check_member(&ctx, &store, bad).unwrap_err().code, 400, "{bad}");
        }
        let missing = check_member(&ctx, &store, "serviceAccount:ghost-sa@p-1234.iam.gserviceaccount.com").unwrap_err();
        assert!(missing.message.contains("does not exist"));
    }
}
