//! What `google_project_iam_member` and `google_project_iam_binding` share:
//! a project's IAM policy (Resource Manager v1), edited by
//! read-modify-write.
//!
//! - Wire: `POST v1/projects/{p}:getIamPolicy` with
//!   `{options: {requestedPolicyVersion: 3}}`; `POST
//!   v1/projects/{p}:setIamPolicy` with `{policy: {bindings, etag, version,
//!   auditConfigs}, updateMask: "bindings,etag,auditConfigs"}`.
//! - Pure edits of a policy ([`add_member`], [`remove_member`],
//!   [`set_members`], [`find_members`]), keyed by role and condition
//!   (title, expression, description), as Terraform groups bindings. Each
//!   says whether it changed anything; nothing changed, nothing is written.
//! - [`modify_policy`]: one read-modify-write under a process-wide async
//!   lock per policy (writes to one project's policy never race inside
//!   this process), retried on a stale etag (412, 409 ABORTED) by
//!   [`Client::read_modify_write`], and, when asked, on `400 ... does not
//!   exist` for a service account for up to [`MISSING_MEMBER_WAIT`] (an
//!   account just created is not yet known to IAM).
//! - The `condition` block and member spelling: `user:`, `serviceAccount:`,
//!   `group:` and `domain:` members compare case-insensitively, as Google
//!   stores them lower-cased.

use super::{blocks, encode, opt_str};
use crate::client::Method;
use crate::{AttrSpec, BlockSpec, Client, Error, Json, Nesting, TypeSchema, TypeSpec};
use serde_json::{json, Map};
use std::time::{Duration, Instant};

const SERVICE: &str = "cloudresourcemanager";

/// How long `400 ... does not exist` for a service-account member is
/// retried (IAM eventual consistency after the account is created).
pub(crate) const MISSING_MEMBER_WAIT: Duration = Duration::from_secs(90);

/// A binding's condition: `(title, expression, description)`; `None` for an
/// unconditional binding.
pub(crate) type Cond = Option<(String, String, String)>;

/// The `condition` block of a Terraform object.
pub(crate) fn cond_of_tf(v: &Json) -> Cond {
    let c = blocks(v, "condition").into_iter().next()?;
    let s = |k: &str| opt_str(c, k).unwrap_or("").to_string();
    Some((s("title"), s("expression"), s("description")))
}

/// The `condition` of an API binding.
fn cond_of_binding(b: &Json) -> Cond {
    let c = b.get("condition").filter(|c| c.is_object())?;
    let s = |k: &str| c.get(k).and_then(Json::as_str).unwrap_or("").to_string();
    Some((s("title"), s("expression"), s("description")))
}

/// A condition as the `condition` block (`[]` for none).
pub(crate) fn cond_to_tf(cond: &Cond) -> Json {
    match cond {
        None => json!([]),
        Some((title, expression, description)) => json!([{
            "title": title,
            "expression": expression,
            "description": if description.is_empty() { Json::Null } else { json!(description) },
        }]),
    }
}

fn cond_to_api(cond: &Cond) -> Option<Json> {
    let (title, expression, description) = cond.as_ref()?;
    let mut m = Map::new();
    m.insert("title".into(), json!(title));
    m.insert("expression".into(), json!(expression));
    if !description.is_empty() {
        m.insert("description".into(), json!(description));
    }
    Some(Json::Object(m))
}

/// The optional `condition` block (force new) of both types.
pub(crate) fn condition_block() -> BlockSpec {
    let s = || TypeSpec::String;
    BlockSpec {
        name: "condition",
        nesting: Nesting::List,
        min_items: 0,
        max_items: 1,
        schema: TypeSchema {
            attributes: vec![
                AttrSpec::required("title", s()).force_new(),
                AttrSpec::required("expression", s()).force_new(),
                AttrSpec::optional("description", s()).force_new(),
            ],
            blocks: Vec::new(),
        },
        force_new: true,
    }
}

/// Whether two members name the same principal.
pub(crate) fn same_member(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (Some((ka, va)), Some((kb, vb))) = (a.split_once(':'), b.split_once(':')) else { return false };
    let folded = ["user", "serviceaccount", "group", "domain"];
    ka.eq_ignore_ascii_case(kb) && folded.contains(&ka.to_ascii_lowercase().as_str()) && va.eq_ignore_ascii_case(vb)
}

/// Checks a `member` argument.
pub(crate) fn check_member(m: &str) -> Result<(), String> {
    if m.starts_with("deleted:") {
        return Err(format!("member {m:?}: `deleted:` principals cannot be granted"));
    }
    if !m.contains(':') && !matches!(m, "allUsers" | "allAuthenticatedUsers") {
        return Err(format!("member {m:?}: expected `user:`, `serviceAccount:`, `group:`, `domain:`, `principal://`... or allUsers"));
    }
    Ok(())
}

fn binding_members(b: &Json) -> Vec<String> {
    b.get("members").and_then(Json::as_array).into_iter().flatten().filter_map(Json::as_str).map(str::to_string).collect()
}

fn matches(b: &Json, role: &str, cond: &Cond) -> bool {
    b.get("role").and_then(Json::as_str) == Some(role) && cond_of_binding(b) == *cond
}

/// The policy's `bindings` (created when absent).
fn bindings_mut(policy: &mut Json) -> Result<&mut Vec<Json>, Error> {
    let o = policy.as_object_mut().ok_or_else(|| Error::Invalid("IAM policy: not a JSON object".into()))?;
    let b = o.entry("bindings").or_insert_with(|| json!([]));
    if b.is_null() {
        *b = json!([]);
    }
    b.as_array_mut().ok_or_else(|| Error::Invalid("IAM policy: `bindings` is not a list".into()))
}

fn new_binding(role: &str, cond: &Cond, members: Vec<String>) -> Json {
    let mut m = Map::new();
    m.insert("role".into(), json!(role));
    m.insert("members".into(), json!(members));
    if let Some(c) = cond_to_api(cond) {
        m.insert("condition".into(), c);
    }
    Json::Object(m)
}

/// The members of the role's binding (all matching bindings merged), or
/// `None` when there is none.
pub(crate) fn find_members(policy: &Json, role: &str, cond: &Cond) -> Option<Vec<String>> {
    let mut found = None;
    for b in policy.get("bindings").and_then(Json::as_array).into_iter().flatten().filter(|b| matches(b, role, cond)) {
        let all: &mut Vec<String> = found.get_or_insert_with(Vec::new);
        for m in binding_members(b) {
            if !all.iter().any(|x| same_member(x, &m)) {
                all.push(m);
            }
        }
    }
    found
}

/// Whether the member is in the role's binding.
pub(crate) fn has_member(policy: &Json, role: &str, cond: &Cond, member: &str) -> bool {
    find_members(policy, role, cond).is_some_and(|ms| ms.iter().any(|m| same_member(m, member)))
}

/// The condition of the role's binding titled `title` (import).
pub(crate) fn cond_by_title(policy: &Json, role: &str, title: Option<&str>) -> Cond {
    let title = title?;
    policy
        .get("bindings")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter(|b| b.get("role").and_then(Json::as_str) == Some(role))
        .filter_map(cond_of_binding)
        .find(|c| c.0 == title)
}

/// Adds the member to the role's binding (made when absent). Whether the
/// policy changed.
pub(crate) fn add_member(policy: &mut Json, role: &str, cond: &Cond, member: &str) -> Result<bool, Error> {
    if has_member(policy, role, cond, member) {
        return Ok(false);
    }
    let bindings = bindings_mut(policy)?;
    match bindings.iter_mut().find(|b| matches(b, role, cond)) {
        Some(b) => {
            let mut members = binding_members(b);
            members.push(member.to_string());
            b["members"] = json!(members);
        }
        None => bindings.push(new_binding(role, cond, vec![member.to_string()])),
    }
    Ok(true)
}

/// Removes the member from the role's binding, dropping a binding left
/// empty. Whether the policy changed.
pub(crate) fn remove_member(policy: &mut Json, role: &str, cond: &Cond, member: &str) -> Result<bool, Error> {
    if !has_member(policy, role, cond, member) {
        return Ok(false);
    }
    let bindings = bindings_mut(policy)?;
    for b in bindings.iter_mut().filter(|b| matches(b, role, cond)) {
        let members: Vec<String> = binding_members(b).into_iter().filter(|m| !same_member(m, member)).collect();
        b["members"] = json!(members);
    }
    bindings.retain(|b| !matches(b, role, cond) || !binding_members(b).is_empty());
    Ok(true)
}

/// Makes `members` the role's only members (authoritative; no members: no
/// binding). Whether the policy changed.
pub(crate) fn set_members(policy: &mut Json, role: &str, cond: &Cond, members: &[String]) -> Result<bool, Error> {
    let mut want: Vec<String> = Vec::new();
    for m in members {
        if !want.iter().any(|x| same_member(x, m)) {
            want.push(m.clone());
        }
    }
    let have = find_members(policy, role, cond);
    let count = policy.get("bindings").and_then(Json::as_array).map_or(0, |bs| bs.iter().filter(|b| matches(b, role, cond)).count());
    let same = match &have {
        None => want.is_empty(),
        Some(h) => count == 1 && h.len() == want.len() && h.iter().all(|m| want.iter().any(|w| same_member(w, m))),
    };
    if same {
        return Ok(false);
    }
    let bindings = bindings_mut(policy)?;
    let at = bindings.iter().position(|b| matches(b, role, cond)).unwrap_or(bindings.len());
    bindings.retain(|b| !matches(b, role, cond));
    if !want.is_empty() {
        let at = at.min(bindings.len());
        bindings.insert(at, new_binding(role, cond, want));
    }
    Ok(true)
}

/// Whether an error is IAM not knowing a service account yet.
fn is_missing_service_account(e: &Error) -> bool {
    match e {
        Error::Api { status: 400, message, .. } => {
            let m = message.to_ascii_lowercase();
            m.contains("does not exist") && (m.contains("service account") || m.contains("serviceaccount"))
        }
        _ => false,
    }
}

/// The process-wide lock of one policy (keyed by its URL, so different
/// endpoints never wait for each other).
async fn lock_policy(key: String) -> crate::locks::KeyGuard {
    crate::locks::lock(format!("iam-policy {key}")).await
}

fn policy_url(client: &Client, project: &str, verb: &str) -> String {
    client.url(SERVICE, &format!("projects/{}:{verb}", encode(project)))
}

/// The project's IAM policy (version 3).
pub(crate) async fn get_policy(client: &Client, project: &str) -> Result<Json, Error> {
    let body = json!({ "options": { "requestedPolicyVersion": 3 } });
    client.call(Method::POST, &policy_url(client, project, "getIamPolicy"), Some(&body)).await
}

/// The `setIamPolicy` request for an edited policy: version 3 when a
/// binding has a condition.
fn set_request(policy: &Json) -> Json {
    let bindings = policy.get("bindings").cloned().unwrap_or_else(|| json!([]));
    let conditional = bindings.as_array().is_some_and(|bs| bs.iter().any(|b| b.get("condition").is_some_and(Json::is_object)));
    let read_version = policy.get("version").and_then(Json::as_i64).unwrap_or(1);
    let mut p = Map::new();
    p.insert("bindings".into(), bindings);
    if let Some(e) = policy.get("etag").filter(|e| e.is_string()) {
        p.insert("etag".into(), e.clone());
    }
    p.insert("version".into(), json!(if conditional { 3 } else { read_version }));
    if let Some(a) = policy.get("auditConfigs").filter(|a| a.is_array()) {
        p.insert("auditConfigs".into(), a.clone());
    }
    json!({ "policy": Json::Object(p), "updateMask": "bindings,etag,auditConfigs" })
}

/// One read-modify-write of the project's policy: `edit` changes it (and
/// says whether it did); the policy after (as written, or as read when
/// nothing changed). `grants_service_account`: retry IAM not knowing a
/// service account yet.
pub(crate) async fn modify_policy<F>(client: &Client, project: &str, grants_service_account: bool, edit: F) -> Result<Json, Error>
where
    F: Fn(&mut Json) -> Result<bool, Error>,
{
    let _guard = lock_policy(policy_url(client, project, "")).await;
    let deadline = Instant::now() + MISSING_MEMBER_WAIT;
    let mut wait = Duration::from_secs(1);
    loop {
        let edit = &edit;
        let result = client
            .read_modify_write(|| async move {
                let mut policy = get_policy(client, project).await?;
                if !edit(&mut policy)? {
                    return Ok(policy);
                }
                let set = policy_url(client, project, "setIamPolicy");
                client.call(Method::POST, &set, Some(&set_request(&policy))).await
            })
            .await;
        match result {
            Err(e) if grants_service_account && is_missing_service_account(&e) && Instant::now() + wait <= deadline => {
                tracing::debug!(project, wait_ms = wait.as_millis() as u64, "service account not yet known to IAM; retrying");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(10));
            }
            other => return other,
        }
    }
}

/// Whether any member is a service account (whose grant may race its
/// creation).
pub(crate) fn any_service_account<'a>(members: impl IntoIterator<Item = &'a str>) -> bool {
    members.into_iter().any(|m| m.get(..15).is_some_and(|p| p.eq_ignore_ascii_case("serviceAccount:")))
}

/// `project role [member...] [condition title]` of a space-separated import
/// ID: `fixed` leading fields, then the condition title (the rest, if any).
pub(crate) fn split_import_id<'a>(id: &'a str, fixed: usize, expected: &str) -> Result<(Vec<&'a str>, Option<String>), Error> {
    let parts: Vec<&str> = id.split_whitespace().collect();
    if parts.len() < fixed {
        return Err(Error::Invalid(format!("import ID {id:?}: expected {expected} (space separated)")));
    }
    let title = (parts.len() > fixed).then(|| parts[fixed..].join(" "));
    Ok((parts[..fixed].to_vec(), title))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(t: &str) -> Cond {
        Some((t.into(), "request.time < timestamp(\"2030-01-01T00:00:00Z\")".into(), String::new()))
    }

    #[test]
    fn add_member_is_idempotent_and_groups_by_role_and_condition() {
        let mut p = json!({ "etag": "e1", "bindings": [{ "role": "roles/viewer", "members": ["user:a@x.com"] }] });
        assert!(add_member(&mut p, "roles/viewer", &None, "user:b@x.com").unwrap());
        assert_eq!(p["bindings"][0]["members"], json!(["user:a@x.com", "user:b@x.com"]));
        assert!(!add_member(&mut p, "roles/viewer", &None, "user:b@x.com").unwrap());
        assert!(!add_member(&mut p, "roles/viewer", &None, "user:B@X.com").unwrap(), "case-folded principal");
        assert!(add_member(&mut p, "roles/editor", &None, "user:b@x.com").unwrap());
        assert!(add_member(&mut p, "roles/viewer", &cond("t"), "user:b@x.com").unwrap());
        let bs = p["bindings"].as_array().unwrap();
        assert_eq!(bs.len(), 3);
        assert_eq!(bs[2]["condition"]["title"], "t");
        assert!(bs[2]["condition"].get("description").is_none());
        // A policy without bindings.
        let mut empty = json!({ "etag": "e0" });
        assert!(add_member(&mut empty, "roles/viewer", &None, "user:a@x.com").unwrap());
        assert_eq!(empty["bindings"], json!([{ "role": "roles/viewer", "members": ["user:a@x.com"] }]));
        assert!(add_member(&mut json!([]), "r", &None, "user:a@x.com").is_err());
    }

    #[test]
    fn remove_member_drops_empty_bindings() {
        let mut p = json!({ "bindings": [
            { "role": "roles/viewer", "members": ["user:a@x.com", "user:b@x.com"] },
            { "role": "roles/editor", "members": ["user:a@x.com"] },
        ] });
        assert!(remove_member(&mut p, "roles/viewer", &None, "user:A@x.com").unwrap());
        assert_eq!(p["bindings"][0]["members"], json!(["user:b@x.com"]));
        assert!(!remove_member(&mut p, "roles/viewer", &None, "user:a@x.com").unwrap());
        assert!(remove_member(&mut p, "roles/editor", &None, "user:a@x.com").unwrap());
        assert_eq!(p["bindings"].as_array().unwrap().len(), 1);
        // The conditional binding is another binding.
        assert!(!remove_member(&mut p, "roles/viewer", &cond("t"), "user:b@x.com").unwrap());
        assert!(has_member(&p, "roles/viewer", &None, "user:b@x.com"));
    }

    #[test]
    fn set_members_is_authoritative() {
        let mut p = json!({ "bindings": [
            { "role": "roles/viewer", "members": ["user:a@x.com"] },
            { "role": "roles/editor", "members": ["user:z@x.com"] },
            { "role": "roles/viewer", "members": ["user:c@x.com"] },
        ] });
        let want = vec!["user:b@x.com".to_string(), "user:a@x.com".to_string()];
        assert!(set_members(&mut p, "roles/viewer", &None, &want).unwrap());
        assert_eq!(p["bindings"], json!([
            { "role": "roles/viewer", "members": ["user:b@x.com", "user:a@x.com"] },
            { "role": "roles/editor", "members": ["user:z@x.com"] },
        ]));
        // Same set in another order and spelling: no change.
        assert!(!set_members(&mut p, "roles/viewer", &None, &["user:A@x.com".into(), "user:b@x.com".into()]).unwrap());
        assert_eq!(find_members(&p, "roles/viewer", &None), Some(vec!["user:b@x.com".into(), "user:a@x.com".into()]));
        // No members: no binding.
        assert!(set_members(&mut p, "roles/viewer", &None, &[]).unwrap());
        assert_eq!(p["bindings"], json!([{ "role": "roles/editor", "members": ["user:z@x.com"] }]));
        assert!(!set_members(&mut p, "roles/viewer", &None, &[]).unwrap());
        assert_eq!(find_members(&p, "roles/viewer", &None), None);
    }

    #[test]
    fn members_and_conditions() {
        assert!(same_member("serviceAccount:A@p.iam.gserviceaccount.com", "serviceaccount:a@p.iam.gserviceaccount.com"));
        assert!(!same_member("principal://x/A", "principal://x/a"));
        assert!(!same_member("user:a@x.com", "group:a@x.com"));
        assert!(check_member("deleted:user:a@x.com?uid=1").is_err());
        assert!(check_member("a@x.com").is_err());
        assert!(check_member("allUsers").is_ok());
        assert!(any_service_account(["user:a", "serviceAccount:b@p.iam.gserviceaccount.com"]));
        assert!(!any_service_account(["user:a", "sa"]));
        let tf = json!({ "condition": [{ "title": "t", "expression": "e" }] });
        let c = cond_of_tf(&tf);
        assert_eq!(c, Some(("t".into(), "e".into(), String::new())));
        assert_eq!(cond_to_tf(&c), json!([{ "title": "t", "expression": "e", "description": null }]));
        assert_eq!(cond_of_tf(&json!({ "condition": [] })), None);
        let p = json!({ "bindings": [{ "role": "r", "members": ["user:a"], "condition": { "title": "t", "expression": "e" } }] });
        assert_eq!(cond_by_title(&p, "r", Some("t")), c);
        assert_eq!(cond_by_title(&p, "r", Some("u")), None);
    }

    #[test]
    fn set_request_keeps_etag_and_versions_conditions() {
        let p = json!({ "etag": "BwX", "version": 1, "bindings": [{ "role": "r", "members": ["user:a"] }], "auditConfigs": [] });
        let r = set_request(&p);
        assert_eq!(r["policy"]["etag"], "BwX");
        assert_eq!(r["policy"]["version"], 1);
        assert_eq!(r["updateMask"], "bindings,etag,auditConfigs");
        let mut p = p;
        add_member(&mut p, "r", &cond("t"), "user:b").unwrap();
        assert_eq!(set_request(&p)["policy"]["version"], 3);
    }

    #[test]
    fn missing_service_account_errors() {
        let e = |status, message: &str| Error::Api { call: "c".into(), status, reason: "INVALID_ARGUMENT".into(), message: message.into() };
        assert!(is_missing_service_account(&e(400, "Service account sa@p.iam.gserviceaccount.com does not exist.")));
        assert!(!is_missing_service_account(&e(400, "Role roles/x does not exist.")));
        assert!(!is_missing_service_account(&e(403, "Service account x does not exist.")));
    }

    #[test]
    fn import_id_split() {
        let (f, t) = split_import_id("p roles/viewer user:a@x.com", 3, "x").unwrap();
        assert_eq!((f, t), (vec!["p", "roles/viewer", "user:a@x.com"], None));
        let (_, t) = split_import_id("p roles/viewer user:a@x.com my  title", 3, "x").unwrap();
        assert_eq!(t.as_deref(), Some("my title"));
        assert!(split_import_id("p/roles/viewer/user:a", 3, "x").is_err());
    }

    #[tokio::test]
    async fn policy_locks_serialize_per_key() {
        let g = lock_policy("k1".into()).await;
        // Another key is free; the same key waits.
        let _other = lock_policy("k2".into()).await;
        let same = tokio::time::timeout(Duration::from_millis(50), lock_policy("k1".into())).await;
        assert!(same.is_err());
        drop(g);
        assert!(tokio::time::timeout(Duration::from_millis(500), lock_policy("k1".into())).await.is_ok());
    }
}
