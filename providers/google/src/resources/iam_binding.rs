//! The `*_iam_binding` types: the members of one role of a resource's IAM
//! policy (authoritative for that role and condition; other roles are left
//! alone); the resource ([`IamTarget`]: a project, a bucket...) is a
//! parameter, so every target's binding type is this one implementation.
//!
//! Create and update make `members` the binding's only members, delete
//! drops the binding, each a read-modify-write of the policy
//! ([`super::iam::modify_policy`]: a lock per policy, etag retries, and
//! retries while IAM does not know a just-created service account). Read:
//! the binding's members, spelled as configured where they are the same
//! principal; a binding that is gone reads as no members (as Terraform
//! does), so the next plan restores them; a resource that is gone reads as
//! gone. The target and `role` and `condition` force a new object;
//! `members` updates in place. `id` = `{target}/{role}` (`/{condition
//! title}` added with a condition); `etag` is the policy's. Import ID:
//! `{target} {role}`, then optionally the condition title.
//!
//! Does not own: the target's calls and names (its `IamTarget`), policy
//! edits (`iam.rs`).

use super::iam::{
    any_service_account, check_member, cond_of_tf, find_members, iam_schema, import_policy, members_of, modify_policy, planned_id,
    read_policy, remove_from_policy, same_member, set_members, spelled_like, state_base, Cond, IamTarget,
};
use super::{object, req_str};
use crate::{AttrSpec, BoxFuture, Client, Error, GoogleResource, Json, ProviderConfig, TypeSchema, TypeSpec};
use serde_json::json;

/// `*_iam_binding` on one kind of resource.
pub struct IamBinding(pub(crate) &'static dyn IamTarget);

impl IamBinding {
    fn to_state(&self, policy: &Json, resource: &str, role: &str, cond: &Cond, base: Option<&Json>) -> Json {
        let members = spelled_like(find_members(policy, role, cond).unwrap_or_default(), base);
        let mut out = state_base(self.0, policy, resource, role, None, cond, base);
        out.insert("members".into(), json!(members));
        Json::Object(out)
    }

    /// Create and update: the planned members become the role's.
    async fn apply(&self, client: &Client, planned: &Json) -> Result<Json, Error> {
        let resource = self.0.resource_of(client, planned)?;
        let role = req_str(planned, "role")?;
        let members = members_of(planned);
        for m in &members {
            check_member(m).map_err(|e| Error::Invalid(format!("{}: {e}", self.type_name())))?;
        }
        let cond = cond_of_tf(planned);
        let grants_sa = any_service_account(members.iter().map(String::as_str));
        let policy = modify_policy(client, self.0, &resource, grants_sa, |p| set_members(p, role, &cond, &members)).await?;
        Ok(self.to_state(&policy, &resource, role, &cond, Some(planned)))
    }
}

impl GoogleResource for IamBinding {
    fn type_name(&self) -> &'static str {
        self.0.binding_type()
    }

    fn changes_on_write(&self) -> &'static [&'static str] {
        &["etag"]
    }

    fn schema(&self) -> TypeSchema {
        iam_schema(self.0, AttrSpec::required("members", TypeSpec::Set(Box::new(TypeSpec::String))))
    }

    fn plan(&self, config: &ProviderConfig, prior: Option<&Json>, proposed: Json) -> Result<Json, String> {
        let mut m = object(proposed, self.type_name())?;
        self.0.plan_arg(config, prior, &mut m)?;
        let configured = members_of(&Json::Object(m.clone()));
        for member in &configured {
            check_member(member)?;
        }
        // The same principals as the prior state, spelled otherwise, are no
        // change: keep the prior spelling.
        if let Some(prior_members) = prior.map(members_of) {
            let same = prior_members.len() == configured.len()
                && configured.iter().all(|c| prior_members.iter().any(|p| same_member(p, c)));
            if same && m.get("members").is_some_and(Json::is_array) {
                m.insert("members".into(), json!(prior_members));
            }
        }
        if let Some(id) = planned_id(self.0, &m, None) {
            m.insert("id".into(), json!(id));
        }
        Ok(Json::Object(m))
    }

    fn read<'a>(&'a self, client: &'a Client, state: &'a Json) -> BoxFuture<'a, Result<Option<Json>, Error>> {
        Box::pin(async move {
            let resource = self.0.resource_of(client, state)?;
            let role = req_str(state, "role")?;
            let cond = cond_of_tf(state);
            let policy = read_policy(client, self.0, &resource).await?;
            Ok(policy.map(|p| self.to_state(&p, &resource, role, &cond, Some(state))))
        })
    }

    fn create<'a>(&'a self, client: &'a Client, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(self.apply(client, planned))
    }

    fn update<'a>(&'a self, client: &'a Client, _prior: &'a Json, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(self.apply(client, planned))
    }

    fn delete<'a>(&'a self, client: &'a Client, prior: &'a Json) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let resource = self.0.resource_of(client, prior)?;
            let role = req_str(prior, "role")?;
            let cond = cond_of_tf(prior);
            remove_from_policy(client, self.0, &resource, |p| set_members(p, role, &cond, &[])).await
        })
    }

    fn import<'a>(&'a self, client: &'a Client, id: &'a str) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let found = import_policy(client, self.0, id, 2, "{role}").await?;
            let [role] = found.fields.as_slice() else {
                return Err(Error::Invalid(format!("import ID {id:?}: expected a role after the {}", self.0.import_hint())));
            };
            if find_members(&found.policy, role, &found.cond).is_none() {
                let what = self.0.describe(&found.resource);
                return Err(Error::Invalid(format!("import {id:?}: {what} has no such binding of {role}")));
            }
            Ok(self.to_state(&found.policy, &found.resource, role, &found.cond, None))
        })
    }
}
