//! IAM policies edited by read-modify-write: what every `*_iam_member` and
//! `*_iam_binding` type shares, whatever resource the policy is on.
//!
//! - [`IamTarget`]: where a policy lives (a project, a bucket...): the
//!   argument naming the resource, the calls that read and write its
//!   policy, and how the resource appears in `id` and import IDs. One
//!   implementation per resource kind (`project_iam.rs`,
//!   `storage_bucket_iam.rs`); the resource types themselves are generic
//!   ([`super::iam_member::IamMember`], [`super::iam_binding::IamBinding`]).
//! - Pure edits of a policy ([`add_member`], [`remove_member`],
//!   [`set_members`], [`find_members`]), keyed by role and condition
//!   (title, expression, description), as Terraform groups bindings. Each
//!   says whether it changed anything; nothing changed, nothing is written.
//! - [`modify_policy`]: one read-modify-write under a process-wide async
//!   lock per policy (keyed by the policy's URL: writes to one policy never
//!   race inside this process), retried on a stale etag (412, 409 ABORTED)
//!   by [`Client::read_modify_write`], and, when asked, on `400 ... does not
//!   exist` for a service account for up to [`MISSING_MEMBER_WAIT`] (an
//!   account just created is not yet known to IAM). Written policies are
//!   version 3 when a binding has a condition.
//! - Member spelling: `user:`, `serviceAccount:`, `group:` and `domain:`
//!   members compare case-insensitively (Google stores them lower-cased),
//!   and state keeps the configured spelling ([`spelled_like`]), so case
//!   never shows as a change. `deleted:` principals (what a deleted account
//!   becomes) cannot be granted, and are not the account they were.
//! - Import IDs: space-separated fields, then an optional condition title
//!   ([`split_import_id`]).
//!
//! Does not own: `*_iam_policy` types (authoritative for a whole policy),
//! audit configs (kept as read), batching several members into one write.

use super::{blocks, opt_str};
use crate::client::Method;
use crate::{AttrSpec, BlockSpec, Client, Error, Json, Nesting, ProviderConfig, TypeSchema, TypeSpec};
use serde_json::{json, Map};

use std::time::{Duration, Instant};

/// The resource an IAM policy is on, and how its policy is read and written.
pub(crate) trait IamTarget: Send + Sync {
    /// `google_storage_bucket_iam_member`.
    fn member_type(&self) -> &'static str;
    /// `google_storage_bucket_iam_binding`.
    fn binding_type(&self) -> &'static str;
    /// The argument naming the resource (`project`, `bucket`); forces a new
    /// object.
    fn arg(&self) -> AttrSpec;
    /// Plans that argument: fills it (from the provider or the prior state)
    /// and keeps an equivalent prior spelling.
    fn plan_arg(&self, config: &ProviderConfig, prior: Option<&Json>, m: &mut Map<String, Json>) -> Result<(), String>;
    /// The resource a planned or prior object names (`p1`, `my-bucket`).
    fn resource_of(&self, client: &Client, v: &Json) -> Result<String, Error>;
    /// The resource named by an import ID's first field (`p1`; `b/x` or `x`).
    fn import_resource(&self, field: &str) -> Result<String, Error>;
    /// How the resource starts `id` (`p1`, `b/my-bucket`).
    fn id_prefix(&self, resource: &str) -> String;
    /// The first field of an import ID, for messages (`{project}`, `b/{bucket}`).
    fn import_hint(&self) -> &'static str;
    /// The resource in messages (`project p1`, `bucket my-bucket`).
    fn describe(&self, resource: &str) -> String;
    /// The call reading the policy, asking for version 3: method, URL, body.
    fn get_call(&self, client: &Client, resource: &str) -> (Method, String, Option<Json>);
    /// The call writing a policy whose fields are `policy` ([`policy_body`]).
    fn set_call(&self, client: &Client, resource: &str, policy: Json) -> (Method, String, Json);
}

/// How a state spells the target's argument: as `base` has it when that
/// names `resource` (`b/x` stays `b/x`), else the resource's own name.
fn arg_spelling(target: &dyn IamTarget, resource: &str, base: Option<&Json>) -> String {
    base.and_then(|b| opt_str(b, target.arg().name))
        .filter(|given| target.import_resource(given).is_ok_and(|r| r == resource))
        .map(str::to_string)
        .unwrap_or_else(|| resource.to_string())
}

/// Terraform's `id`: `{target}/{role}`, then `/{member}` for a member,
/// then `/{condition title}` with a condition.
pub(crate) fn id_of(target: &dyn IamTarget, resource: &str, role: &str, member: Option<&str>, cond: &Cond) -> String {
    let mut id = format!("{}/{role}", target.id_prefix(resource));
    for part in [member, cond.as_ref().map(|c| c.0.as_str())].into_iter().flatten() {
        id.push('/');
        id.push_str(part);
    }
    id
}

/// The fields every member and binding state starts with: `id`, the
/// target's argument, `role`, `etag` (the policy's) and `condition` (the
/// configured block as written when it matches, so an unset `description`
/// stays unset).
pub(crate) fn state_base(
    target: &dyn IamTarget,
    policy: &Json,
    resource: &str,
    role: &str,
    member: Option<&str>,
    cond: &Cond,
    base: Option<&Json>,
) -> Map<String, Json> {
    let mut out = Map::new();
    out.insert("id".into(), json!(id_of(target, resource, role, member, cond)));
    out.insert(target.arg().name.into(), json!(arg_spelling(target, resource, base)));
    out.insert("role".into(), json!(role));
    out.insert("etag".into(), policy.get("etag").cloned().unwrap_or(Json::Null));
    let condition = match base.map(|b| (cond_of_tf(b), b.get("condition"))) {
        Some((c, Some(block))) if c == *cond && !block.is_null() => block.clone(),
        _ => cond_to_tf(cond),
    };
    out.insert("condition".into(), condition);
    out
}

/// The planned `id` (`None` until the target and role are known).
pub(crate) fn planned_id(target: &dyn IamTarget, m: &Map<String, Json>, member: Option<&str>) -> Option<String> {
    let whole = Json::Object(m.clone());
    let resource = target.import_resource(opt_str(&whole, target.arg().name)?).ok()?;
    Some(id_of(target, &resource, opt_str(&whole, "role")?, member, &cond_of_tf(&whole)))
}

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

/// The member inside a `deleted:` member.
fn strip_deleted(m: &str) -> Option<&str> {
    m.get(..8).filter(|p| p.eq_ignore_ascii_case("deleted:")).and_then(|_| m.get(8..))
}

/// Whether two members name the same principal: the kind and the email of
/// `user:`, `serviceAccount:`, `group:` and `domain:` members compare
/// without case, in `deleted:` members too (whose `?uid=` must match).
pub(crate) fn same_member(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (strip_deleted(a), strip_deleted(b)) {
        (Some(x), Some(y)) => {
            let (xm, xu) = x.split_once("?uid=").unwrap_or((x, ""));
            let (ym, yu) = y.split_once("?uid=").unwrap_or((y, ""));
            return xu == yu && same_member(xm, ym);
        }
        (None, None) => {}
        _ => return false,
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

/// The resource's IAM policy (version 3).
pub(crate) async fn get_policy(client: &Client, target: &dyn IamTarget, resource: &str) -> Result<Json, Error> {
    let (method, url, body) = target.get_call(client, resource);
    client.call(method, &url, body.as_ref()).await
}

/// The resource's IAM policy, or `None` when the resource is gone (and its
/// grants with it).
pub(crate) async fn read_policy(client: &Client, target: &dyn IamTarget, resource: &str) -> Result<Option<Json>, Error> {
    match get_policy(client, target, resource).await {
        Ok(p) => Ok(Some(p)),
        Err(Error::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A delete's read-modify-write: a resource already gone is not an error.
pub(crate) async fn remove_from_policy<F>(client: &Client, target: &dyn IamTarget, resource: &str, edit: F) -> Result<(), Error>
where
    F: Fn(&mut Json) -> Result<bool, Error>,
{
    match modify_policy(client, target, resource, false, edit).await {
        Ok(_) | Err(Error::NotFound) => Ok(()),
        Err(e) => Err(e),
    }
}

/// What an import ID names: the resource, its `fields` after the first
/// (role, member...), the policy and the condition titled by the rest.
pub(crate) struct Imported {
    pub resource: String,
    pub fields: Vec<String>,
    pub policy: Json,
    pub cond: Cond,
}

/// Reads the policy an import ID of `fixed` space-separated fields (then an
/// optional condition title) names; `fields_hint` names the fields after
/// the target's (`{role} {member}`).
pub(crate) async fn import_policy(client: &Client, target: &dyn IamTarget, id: &str, fixed: usize, fields_hint: &str) -> Result<Imported, Error> {
    let hint = target.import_hint();
    let expected = format!("`{hint} {fields_hint}` or `{hint} {fields_hint} {{condition title}}`");
    let (fields, title) = split_import_id(id, fixed, &expected)?;
    let Some((first, rest)) = fields.split_first() else {
        return Err(Error::Invalid(format!("import ID {id:?}: expected {expected}")));
    };
    let resource = target.import_resource(first)?;
    let policy = match get_policy(client, target, &resource).await {
        Err(Error::NotFound) => return Err(Error::Invalid(format!("import {id:?}: {} does not exist", target.describe(&resource)))),
        other => other?,
    };
    let role = rest.first().copied().unwrap_or_default();
    let cond = cond_by_title(&policy, role, title.as_deref());
    if let (Some(t), None) = (&title, &cond) {
        let what = target.describe(&resource);
        return Err(Error::Invalid(format!("import {id:?}: {what} has no binding of {role} with condition titled {t:?}")));
    }
    Ok(Imported { fields: rest.iter().map(|f| f.to_string()).collect(), resource, policy, cond })
}

/// The schema of a member or binding type: `id`, the target's argument,
/// `role`, `who` (`member` or `members`), `etag`, and the `condition` block.
pub(crate) fn iam_schema(target: &dyn IamTarget, who: AttrSpec) -> TypeSchema {
    let s = || TypeSpec::String;
    TypeSchema {
        attributes: vec![
            AttrSpec::computed("id", s()),
            target.arg(),
            AttrSpec::required("role", s()).force_new(),
            who,
            AttrSpec::computed("etag", s()),
        ],
        blocks: vec![condition_block()],
    }
}

/// The fields written back for an edited policy: `bindings`, the read
/// `etag`, `version` (3 when a binding has a condition, else as read) and
/// `auditConfigs` when the policy has them.
pub(crate) fn policy_body(policy: &Json) -> Json {
    let bindings = policy.get("bindings").cloned().filter(Json::is_array).unwrap_or_else(|| json!([]));
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
    Json::Object(p)
}

/// One read-modify-write of the resource's policy: `edit` changes it (and
/// says whether it did); the policy after (as written, or as read when
/// nothing changed). `grants_service_account`: retry IAM not knowing a
/// service account yet.
pub(crate) async fn modify_policy<F>(
    client: &Client,
    target: &dyn IamTarget,
    resource: &str,
    grants_service_account: bool,
    edit: F,
) -> Result<Json, Error>
where
    F: Fn(&mut Json) -> Result<bool, Error>,
{
    let (_, key, _) = target.get_call(client, resource);
    // Keyed by the policy's URL, so different endpoints never wait for each other.
    let _guard = crate::locks::lock(key).await;
    let deadline = Instant::now() + MISSING_MEMBER_WAIT;
    let mut wait = Duration::from_secs(1);
    loop {
        let edit = &edit;
        let result = client
            .read_modify_write(|| async move {
                let mut policy = get_policy(client, target, resource).await?;
                if !edit(&mut policy)? {
                    return Ok(policy);
                }
                let (method, url, body) = target.set_call(client, resource, policy_body(&policy));
                client.call(method, &url, Some(&body)).await
            })
            .await;
        match result {
            Err(e) if grants_service_account && is_missing_service_account(&e) && Instant::now() + wait <= deadline => {
                tracing::debug!(
                    resource = %target.describe(resource),
                    wait_ms = wait.as_millis() as u64,
                    "service account not yet known to IAM; retrying"
                );
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

/// `target role [member] [condition title]` of a space-separated import
/// ID: `fixed` leading fields, then the condition title (the rest, if any).
pub(crate) fn split_import_id<'a>(id: &'a str, fixed: usize, expected: &str) -> Result<(Vec<&'a str>, Option<String>), Error> {
    let parts: Vec<&str> = id.split_whitespace().collect();
    if parts.len() < fixed {
        return Err(Error::Invalid(format!("import ID {id:?}: expected {expected} (space separated)")));
    }
    let title = (parts.len() > fixed).then(|| parts[fixed..].join(" "));
    Ok((parts[..fixed].to_vec(), title))
}

/// The `members` argument.
pub(crate) fn members_of(v: &Json) -> Vec<String> {
    v.get("members").and_then(Json::as_array).into_iter().flatten().filter_map(Json::as_str).map(str::to_string).collect()
}

/// A binding's members, spelled as `base` has them where they match
/// (Google lower-cases emails), in `base`'s order, then the others.
pub(crate) fn spelled_like(found: Vec<String>, base: Option<&Json>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for b in base.map(members_of).unwrap_or_default() {
        if found.iter().any(|f| same_member(f, &b)) && !out.iter().any(|o| same_member(o, &b)) {
            out.push(b);
        }
    }
    for f in found {
        if !out.iter().any(|o| same_member(o, &f)) {
            out.push(f);
        }
    }
    out
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
        assert!(same_member("deleted:serviceAccount:A@p.iam.gserviceaccount.com?uid=1", "deleted:serviceaccount:a@p.iam.gserviceaccount.com?uid=1"));
        assert!(!same_member("deleted:serviceAccount:a@p.iam.gserviceaccount.com?uid=1", "deleted:serviceAccount:a@p.iam.gserviceaccount.com?uid=2"));
        assert!(!same_member("deleted:serviceAccount:a@p.iam.gserviceaccount.com?uid=1", "serviceAccount:a@p.iam.gserviceaccount.com"));
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
    fn policy_body_keeps_etag_and_versions_conditions() {
        let p = json!({ "etag": "BwX", "version": 1, "bindings": [{ "role": "r", "members": ["user:a"] }], "auditConfigs": [] });
        let body = policy_body(&p);
        assert_eq!(body, json!({ "bindings": [{ "role": "r", "members": ["user:a"] }], "etag": "BwX", "version": 1, "auditConfigs": [] }));
        let mut p = p;
        add_member(&mut p, "r", &cond("t"), "user:b").unwrap();
        assert_eq!(policy_body(&p)["version"], 3);
        // Storage's policies have no audit configs: none are sent.
        assert!(policy_body(&json!({ "etag": "CAE=" })).get("auditConfigs").is_none());
    }

    #[test]
    fn state_keeps_the_configured_bucket_and_condition_block() {
        let target = &super::super::storage_bucket_iam::StorageBucketIam;
        let base = json!({ "bucket": "b/bkt", "condition": [{ "title": "t", "expression": "e" }] });
        let s = state_base(target, &json!({ "etag": "CAE=" }), "bkt", "r", Some("user:a"), &cond_of_tf(&base), Some(&base));
        let want = json!({ "id": "b/bkt/r/user:a/t", "bucket": "b/bkt", "role": "r", "etag": "CAE=", "condition": [{ "title": "t", "expression": "e" }] });
        assert_eq!(Json::Object(s), want);
        // Imported (no base): the plain name and the full condition block.
        let s = state_base(target, &json!({}), "bkt", "r", None, &cond_of_tf(&base), None);
        assert_eq!(s["bucket"], "bkt");
        assert_eq!(s["etag"], Json::Null);
        assert_eq!(s["condition"], json!([{ "title": "t", "expression": "e", "description": null }]));
    }

    #[test]
    fn members_keep_the_configured_spelling() {
        let found = vec!["user:a@x.com".to_string(), "user:c@x.com".to_string()];
        let base = json!({ "members": ["user:B@x.com", "user:A@x.com"] });
        assert_eq!(spelled_like(found, Some(&base)), vec!["user:A@x.com".to_string(), "user:c@x.com".to_string()]);
        assert!(spelled_like(Vec::new(), Some(&base)).is_empty());
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

}
