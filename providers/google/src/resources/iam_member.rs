//! The `*_iam_member` types: one member in one role of a resource's IAM
//! policy (non-authoritative), optionally under a `condition`; the
//! resource ([`IamTarget`]: a project, a bucket...) is a parameter, so
//! every target's member type is this one implementation.
//!
//! Create and delete are read-modify-writes of the policy
//! ([`super::iam::modify_policy`]: a lock per policy, etag retries, and,
//! for a `serviceAccount:` member, retries while IAM does not know the
//! account yet). Read: present iff the member is in the role's binding with
//! the same condition (case-insensitively for emails; a `deleted:` member is
//! not the account it was). Every argument forces a new object; there is no
//! update. Deleting a member already gone, or whose resource is gone, is
//! not an error. `id` = `{target}/{role}/{member}` (`/{condition title}`
//! added with a condition); `etag` is the policy's. Import ID: `{target}
//! {role} {member}`, then optionally the condition title.
//!
//! Does not own: the target's calls and names (its `IamTarget`), policy
//! edits (`iam.rs`).

use super::iam::{
    add_member, any_service_account, check_member, cond_of_tf, has_member, iam_schema, import_policy, modify_policy, planned_id,
    read_policy, remove_from_policy, remove_member, same_member, state_base, Cond, IamTarget,
};
use super::{object, opt_str, req_str};
use crate::{AttrSpec, BoxFuture, Client, Error, GoogleResource, Json, ProviderConfig, TypeSchema, TypeSpec};
use serde_json::json;

/// `*_iam_member` on one kind of resource.
pub struct IamMember(pub(crate) &'static dyn IamTarget);

impl IamMember {
    /// The state for a member found in `policy` (`member` spelled as given).
    fn to_state(&self, policy: &Json, resource: &str, role: &str, member: &str, cond: &Cond, base: Option<&Json>) -> Json {
        let mut out = state_base(self.0, policy, resource, role, Some(member), cond, base);
        out.insert("member".into(), json!(member));
        Json::Object(out)
    }
}

impl GoogleResource for IamMember {
    fn type_name(&self) -> &'static str {
        self.0.member_type()
    }

    fn changes_on_write(&self) -> &'static [&'static str] {
        &["etag"]
    }

    fn schema(&self) -> TypeSchema {
        iam_schema(self.0, AttrSpec::required("member", TypeSpec::String).force_new())
    }

    fn plan(&self, config: &ProviderConfig, prior: Option<&Json>, proposed: Json) -> Result<Json, String> {
        let mut m = object(proposed, self.type_name())?;
        self.0.plan_arg(config, prior, &mut m)?;
        let Some(member) = m.get("member").and_then(Json::as_str).map(str::to_string) else { return Ok(Json::Object(m)) };
        check_member(&member)?;
        // The prior state's spelling of the same principal is no change.
        let member = match prior.and_then(|p| opt_str(p, "member")) {
            Some(p) if same_member(p, &member) => p.to_string(),
            _ => member,
        };
        if let Some(id) = planned_id(self.0, &m, Some(&member)) {
            m.insert("id".into(), json!(id));
        }
        m.insert("member".into(), json!(member));
        Ok(Json::Object(m))
    }

    fn read<'a>(&'a self, client: &'a Client, state: &'a Json) -> BoxFuture<'a, Result<Option<Json>, Error>> {
        Box::pin(async move {
            let resource = self.0.resource_of(client, state)?;
            let role = req_str(state, "role")?;
            let member = req_str(state, "member")?;
            let cond = cond_of_tf(state);
            let Some(policy) = read_policy(client, self.0, &resource).await? else { return Ok(None) };
            let found = has_member(&policy, role, &cond, member);
            Ok(found.then(|| self.to_state(&policy, &resource, role, member, &cond, Some(state))))
        })
    }

    fn create<'a>(&'a self, client: &'a Client, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let resource = self.0.resource_of(client, planned)?;
            let role = req_str(planned, "role")?;
            let member = req_str(planned, "member")?;
            check_member(member).map_err(|e| Error::Invalid(format!("{}: {e}", self.type_name())))?;
            let cond = cond_of_tf(planned);
            let grants_sa = any_service_account([member]);
            let policy = modify_policy(client, self.0, &resource, grants_sa, |p| add_member(p, role, &cond, member)).await?;
            Ok(self.to_state(&policy, &resource, role, member, &cond, Some(planned)))
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
            let resource = self.0.resource_of(client, prior)?;
            let role = req_str(prior, "role")?;
            let member = req_str(prior, "member")?;
            let cond = cond_of_tf(prior);
            remove_from_policy(client, self.0, &resource, |p| remove_member(p, role, &cond, member)).await
        })
    }

    fn import<'a>(&'a self, client: &'a Client, id: &'a str) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let found = import_policy(client, self.0, id, 3, "{role} {member}").await?;
            let [role, member] = found.fields.as_slice() else {
                return Err(Error::Invalid(format!("import ID {id:?}: expected a role and a member after the {}", self.0.import_hint())));
            };
            if !has_member(&found.policy, role, &found.cond, member) {
                let what = self.0.describe(&found.resource);
                return Err(Error::Invalid(format!("import {id:?}: {member} is not in the {role} binding of {what}")));
            }
            Ok(self.to_state(&found.policy, &found.resource, role, member, &found.cond, None))
        })
    }
}
