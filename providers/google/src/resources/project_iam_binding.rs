//! `google_project_iam_binding`: the members of one role of a project's IAM
//! policy (authoritative for that role and condition; other roles are left
//! alone).
//!
//! Create and update make `members` the binding's only members, delete
//! drops the binding, each a read-modify-write of the project's policy
//! ([`super::project_iam::modify_policy`]: per-project lock, etag retries,
//! and retries while IAM does not know a just-created service account).
//! Read: the binding's members; a binding that is gone reads as no members
//! (as Terraform does), so the next plan restores them. `project`, `role`
//! and `condition` force a new object; `members` updates in place. `id` =
//! `{project}/{role}` (`/{condition title}` added with a condition); `etag`
//! is the policy's. Import ID: `{project} {role}` or `{project} {role}
//! {condition title}`.

use super::project_iam::{
    any_service_account, check_member, cond_by_title, cond_of_tf, cond_to_tf, condition_block, find_members, get_policy,
    modify_policy, same_member, set_members, split_import_id, Cond,
};
use super::{fill_project, object, project_of, req_str};
use crate::{AttrSpec, BoxFuture, Client, Error, GoogleResource, Json, ProviderConfig, TypeSchema, TypeSpec};
use serde_json::{json, Map};

pub struct ProjectIamBinding;

fn id_of(project: &str, role: &str, cond: &Cond) -> String {
    match cond {
        Some((title, _, _)) => format!("{project}/{role}/{title}"),
        None => format!("{project}/{role}"),
    }
}

/// The `members` argument.
fn members_of(v: &Json) -> Vec<String> {
    v.get("members").and_then(Json::as_array).into_iter().flatten().filter_map(Json::as_str).map(str::to_string).collect()
}

/// The binding's members, spelled as `base` has them where they match
/// (Google lower-cases emails), in `base`'s order, then the others.
fn spelled_like(found: Vec<String>, base: Option<&Json>) -> Vec<String> {
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

fn to_state(policy: &Json, project: &str, role: &str, cond: &Cond, base: Option<&Json>) -> Json {
    let members = spelled_like(find_members(policy, role, cond).unwrap_or_default(), base);
    let mut out = Map::new();
    out.insert("id".into(), json!(id_of(project, role, cond)));
    out.insert("project".into(), json!(project));
    out.insert("role".into(), json!(role));
    out.insert("members".into(), json!(members));
    out.insert("etag".into(), policy.get("etag").cloned().unwrap_or(Json::Null));
    let condition = match base.map(|b| (cond_of_tf(b), b.get("condition"))) {
        Some((c, Some(block))) if c == *cond && !block.is_null() => block.clone(),
        _ => cond_to_tf(cond),
    };
    out.insert("condition".into(), condition);
    Json::Object(out)
}

/// Create and update: the planned members become the role's.
async fn apply(client: &Client, planned: &Json) -> Result<Json, Error> {
    let project = project_of(client, planned)?;
    let role = req_str(planned, "role")?;
    let members = members_of(planned);
    for m in &members {
        check_member(m).map_err(Error::Invalid)?;
    }
    let cond = cond_of_tf(planned);
    let grants_sa = any_service_account(members.iter().map(String::as_str));
    let policy = modify_policy(client, project, grants_sa, |p| set_members(p, role, &cond, &members)).await?;
    Ok(to_state(&policy, project, role, &cond, Some(planned)))
}

impl GoogleResource for ProjectIamBinding {
    fn type_name(&self) -> &'static str {
        "google_project_iam_binding"
    }

    fn schema(&self) -> TypeSchema {
        let s = || TypeSpec::String;
        TypeSchema {
            attributes: vec![
                AttrSpec::computed("id", s()),
                AttrSpec::optional_computed("project", s()).force_new(),
                AttrSpec::required("role", s()).force_new(),
                AttrSpec::required("members", TypeSpec::Set(Box::new(s()))),
                AttrSpec::computed("etag", s()),
            ],
            blocks: vec![condition_block()],
        }
    }

    fn plan(&self, config: &ProviderConfig, prior: Option<&Json>, proposed: Json) -> Result<Json, String> {
        let mut m = object(proposed, self.type_name())?;
        fill_project(config, prior, &mut m)?;
        for member in m.get("members").and_then(Json::as_array).into_iter().flatten().filter_map(Json::as_str) {
            check_member(member)?;
        }
        let whole = Json::Object(m.clone());
        if let (Some(p), Some(r)) = (m.get("project").and_then(Json::as_str), m.get("role").and_then(Json::as_str)) {
            m.insert("id".into(), json!(id_of(p, r, &cond_of_tf(&whole))));
        }
        Ok(Json::Object(m))
    }

    fn read<'a>(&'a self, client: &'a Client, state: &'a Json) -> BoxFuture<'a, Result<Option<Json>, Error>> {
        Box::pin(async move {
            let project = project_of(client, state)?;
            let role = req_str(state, "role")?;
            let cond = cond_of_tf(state);
            match get_policy(client, project).await {
                Ok(policy) => Ok(Some(to_state(&policy, project, role, &cond, Some(state)))),
                Err(Error::NotFound) => Ok(None),
                Err(e) => Err(e),
            }
        })
    }

    fn create<'a>(&'a self, client: &'a Client, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(apply(client, planned))
    }

    fn update<'a>(&'a self, client: &'a Client, _prior: &'a Json, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(apply(client, planned))
    }

    fn delete<'a>(&'a self, client: &'a Client, prior: &'a Json) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let project = project_of(client, prior)?;
            let role = req_str(prior, "role")?;
            let cond = cond_of_tf(prior);
            match modify_policy(client, project, false, |p| set_members(p, role, &cond, &[])).await {
                Ok(_) | Err(Error::NotFound) => Ok(()),
                Err(e) => Err(e),
            }
        })
    }

    fn import<'a>(&'a self, client: &'a Client, id: &'a str) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let (fields, title) = split_import_id(id, 2, "`{project} {role}` or `{project} {role} {condition title}`")?;
            let (project, role) = (fields[0], fields[1]);
            let policy = get_policy(client, project).await?;
            let cond = cond_by_title(&policy, role, title.as_deref());
            if find_members(&policy, role, &cond).is_none() {
                return Err(Error::Invalid(format!("import {id:?}: project {project} has no such binding of {role}")));
            }
            Ok(to_state(&policy, project, role, &cond, None))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_fills_project_and_id() {
        let config = ProviderConfig { project: Some("p1".into()), ..Default::default() };
        let planned = ProjectIamBinding.plan(&config, None, json!({ "role": "roles/viewer", "members": ["user:a@x.com"] })).unwrap();
        assert_eq!(planned["project"], "p1");
        assert_eq!(planned["id"], "p1/roles/viewer");
        assert!(ProjectIamBinding.plan(&config, None, json!({ "role": "r", "members": ["nobody"] })).is_err());
    }

    #[test]
    fn state_spells_members_as_configured() {
        let policy = json!({ "etag": "e", "bindings": [{ "role": "r", "members": ["user:a@x.com", "user:c@x.com"] }] });
        let base = json!({ "members": ["user:B@x.com", "user:A@x.com"] });
        let s = to_state(&policy, "p", "r", &None, Some(&base));
        assert_eq!(s["members"], json!(["user:A@x.com", "user:c@x.com"]));
        assert_eq!(s["id"], "p/r");
        // A binding that is gone reads as no members.
        let s = to_state(&json!({ "etag": "e" }), "p", "r", &None, Some(&base));
        assert_eq!(s["members"], json!([]));
    }
}
