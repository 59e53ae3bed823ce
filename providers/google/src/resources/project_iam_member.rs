//! `google_project_iam_member`: one member in one role of a project's IAM
//! policy (non-authoritative), optionally under a `condition`.
//!
//! Create and delete are read-modify-writes of the project's policy
//! ([`super::project_iam::modify_policy`]: per-project lock, etag retries,
//! and, for a `serviceAccount:` member, retries while IAM does not know the
//! account yet). Read: present iff the member is in the role's binding with
//! the same condition. Every argument forces a new object; there is no
//! update. `id` = `{project}/{role}/{member}` (`/{condition title}` added
//! with a condition); `etag` is the policy's. Import ID: `{project} {role}
//! {member}` or `{project} {role} {member} {condition title}`.

use super::project_iam::{
    add_member, any_service_account, check_member, cond_by_title, cond_of_tf, cond_to_tf, condition_block, find_members,
    get_policy, modify_policy, remove_member, same_member, split_import_id, Cond,
};
use super::{fill_project, object, project_of, req_str};
use crate::{AttrSpec, BoxFuture, Client, Error, GoogleResource, Json, ProviderConfig, TypeSchema, TypeSpec};
use serde_json::{json, Map};

pub struct ProjectIamMember;

fn id_of(project: &str, role: &str, member: &str, cond: &Cond) -> String {
    match cond {
        Some((title, _, _)) => format!("{project}/{role}/{member}/{title}"),
        None => format!("{project}/{role}/{member}"),
    }
}

/// The state for a member found in `policy` (`member` spelled as given).
fn to_state(policy: &Json, project: &str, role: &str, member: &str, cond: &Cond, base: Option<&Json>) -> Json {
    let mut out = Map::new();
    out.insert("id".into(), json!(id_of(project, role, member, cond)));
    out.insert("project".into(), json!(project));
    out.insert("role".into(), json!(role));
    out.insert("member".into(), json!(member));
    out.insert("etag".into(), policy.get("etag").cloned().unwrap_or(Json::Null));
    // The configured block as written when it matches (so an unset
    // `description` stays unset).
    let condition = match base.map(|b| (cond_of_tf(b), b.get("condition"))) {
        Some((c, Some(block))) if c == *cond && !block.is_null() => block.clone(),
        _ => cond_to_tf(cond),
    };
    out.insert("condition".into(), condition);
    Json::Object(out)
}

impl GoogleResource for ProjectIamMember {
    fn type_name(&self) -> &'static str {
        "google_project_iam_member"
    }

    fn schema(&self) -> TypeSchema {
        let s = || TypeSpec::String;
        TypeSchema {
            attributes: vec![
                AttrSpec::computed("id", s()),
                AttrSpec::optional_computed("project", s()).force_new(),
                AttrSpec::required("role", s()).force_new(),
                AttrSpec::required("member", s()).force_new(),
                AttrSpec::computed("etag", s()),
            ],
            blocks: vec![condition_block()],
        }
    }

    fn plan(&self, config: &ProviderConfig, prior: Option<&Json>, proposed: Json) -> Result<Json, String> {
        let mut m = object(proposed, self.type_name())?;
        fill_project(config, prior, &mut m)?;
        if let Some(member) = m.get("member").and_then(Json::as_str) {
            check_member(member)?;
        }
        let whole = Json::Object(m.clone());
        if let (Some(p), Some(r), Some(mem)) =
            (m.get("project").and_then(Json::as_str), m.get("role").and_then(Json::as_str), m.get("member").and_then(Json::as_str))
        {
            m.insert("id".into(), json!(id_of(p, r, mem, &cond_of_tf(&whole))));
        }
        Ok(Json::Object(m))
    }

    fn read<'a>(&'a self, client: &'a Client, state: &'a Json) -> BoxFuture<'a, Result<Option<Json>, Error>> {
        Box::pin(async move {
            let project = project_of(client, state)?;
            let role = req_str(state, "role")?;
            let member = req_str(state, "member")?;
            let cond = cond_of_tf(state);
            let policy = match get_policy(client, project).await {
                Ok(p) => p,
                // The project is gone, and the grant with it.
                Err(Error::NotFound) => return Ok(None),
                Err(e) => return Err(e),
            };
            let found = find_members(&policy, role, &cond).is_some_and(|ms| ms.iter().any(|m| same_member(m, member)));
            Ok(found.then(|| to_state(&policy, project, role, member, &cond, Some(state))))
        })
    }

    fn create<'a>(&'a self, client: &'a Client, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let project = project_of(client, planned)?;
            let role = req_str(planned, "role")?;
            let member = req_str(planned, "member")?;
            check_member(member).map_err(Error::Invalid)?;
            let cond = cond_of_tf(planned);
            let policy =
                modify_policy(client, project, any_service_account([member]), |p| add_member(p, role, &cond, member)).await?;
            Ok(to_state(&policy, project, role, member, &cond, Some(planned)))
        })
    }

    fn update<'a>(&'a self, client: &'a Client, _prior: &'a Json, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        // Every argument forces a new object: nothing to change in place
        // but the computed etag.
        Box::pin(async move {
            match self.read(client, planned).await? {
                Some(s) => Ok(s),
                None => self.create(client, planned).await,
            }
        })
    }

    fn delete<'a>(&'a self, client: &'a Client, prior: &'a Json) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let project = project_of(client, prior)?;
            let role = req_str(prior, "role")?;
            let member = req_str(prior, "member")?;
            let cond = cond_of_tf(prior);
            match modify_policy(client, project, false, |p| remove_member(p, role, &cond, member)).await {
                Ok(_) | Err(Error::NotFound) => Ok(()),
                Err(e) => Err(e),
            }
        })
    }

    fn import<'a>(&'a self, client: &'a Client, id: &'a str) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let (fields, title) = split_import_id(id, 3, "`{project} {role} {member}` or `{project} {role} {member} {condition title}`")?;
            let (project, role, member) = (fields[0], fields[1], fields[2]);
            let policy = get_policy(client, project).await?;
            let cond = cond_by_title(&policy, role, title.as_deref());
            if title.is_some() && cond.is_none() {
                return Err(Error::Invalid(format!("import {id:?}: no binding of {role} with condition titled {:?}", title.unwrap_or_default())));
            }
            let found = find_members(&policy, role, &cond).and_then(|ms| ms.into_iter().find(|m| same_member(m, member)));
            match found {
                Some(_) => Ok(to_state(&policy, project, role, member, &cond, None)),
                None => Err(Error::Invalid(format!("import {id:?}: {member} is not in the {role} binding of project {project}"))),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_fills_project_and_id() {
        let config = ProviderConfig { project: Some("p1".into()), ..Default::default() };
        let planned = ProjectIamMember.plan(&config, None, json!({ "role": "roles/viewer", "member": "user:a@x.com" })).unwrap();
        assert_eq!(planned["project"], "p1");
        assert_eq!(planned["id"], "p1/roles/viewer/user:a@x.com");
        let planned = ProjectIamMember
            .plan(&config, None, json!({ "role": "roles/viewer", "member": "user:a@x.com", "condition": [{ "title": "t", "expression": "e" }] }))
            .unwrap();
        assert_eq!(planned["id"], "p1/roles/viewer/user:a@x.com/t");
        assert!(ProjectIamMember.plan(&config, None, json!({ "role": "r", "member": "deleted:user:a@x.com?uid=1" })).is_err());
        assert!(ProjectIamMember.plan(&ProviderConfig::default(), None, json!({ "role": "r", "member": "user:a" })).is_err());
    }

    #[test]
    fn state_keeps_the_configured_spelling() {
        let policy = json!({ "etag": "e", "bindings": [{ "role": "r", "members": ["user:a@x.com"] }] });
        let s = to_state(&policy, "p", "r", "user:A@x.com", &None, None);
        assert_eq!(s, json!({ "id": "p/r/user:A@x.com", "project": "p", "role": "r", "member": "user:A@x.com", "etag": "e", "condition": [] }));
    }
}
