//! `google_project_iam_binding`: the members of one role of a project's
//! IAM policy (authoritative for that role and condition; other roles are
//! left alone).
//!
//! The generic [`IamBinding`] on the project target ([`ProjectIam`]):
//! create and update make `members` the binding's only members, delete
//! drops the binding. `project` (default: the provider's), `role` and
//! `condition` force a new object; `members` updates in place. `id` =
//! `{project}/{role}` (`/{condition title}` added with a condition); `etag`
//! is the policy's. Import ID: `{project} {role}` or `{project} {role}
//! {condition title}`.

use super::iam_binding::IamBinding;
use super::project_iam::ProjectIam;

/// The resource type.
pub const RESOURCE: IamBinding = IamBinding(&ProjectIam);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{GoogleResource, ProviderConfig};
    use serde_json::json;

    #[test]
    fn plan_fills_project_and_id() {
        let config = ProviderConfig { project: Some("p1".into()), ..Default::default() };
        assert_eq!(RESOURCE.type_name(), "google_project_iam_binding");
        let planned = RESOURCE.plan(&config, None, json!({ "role": "roles/viewer", "members": ["user:a@x.com"] })).unwrap();
        assert_eq!(planned["project"], "p1");
        assert_eq!(planned["id"], "p1/roles/viewer");
        assert!(RESOURCE.plan(&config, None, json!({ "role": "r", "members": ["nobody"] })).is_err());
        // The same principals spelled otherwise are no change.
        let again = RESOURCE.plan(&config, Some(&planned), json!({ "role": "roles/viewer", "members": ["user:A@x.com"] })).unwrap();
        assert_eq!(again["members"], json!(["user:a@x.com"]));
    }
}
