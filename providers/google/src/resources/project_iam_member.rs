//! `google_project_iam_member`: one member in one role of a project's IAM
//! policy (non-authoritative), optionally under a `condition`.
//!
//! The generic [`IamMember`] on the project target ([`ProjectIam`]): create
//! and delete are read-modify-writes of the project's policy; every
//! argument forces a new object. `project` defaults to the provider's. `id`
//! = `{project}/{role}/{member}` (`/{condition title}` added with a
//! condition); `etag` is the policy's. Import ID: `{project} {role}
//! {member}` or `{project} {role} {member} {condition title}`.

use super::iam_member::IamMember;
use super::project_iam::ProjectIam;

/// The resource type.
pub const RESOURCE: IamMember = IamMember(&ProjectIam);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{GoogleResource, ProviderConfig};
    use serde_json::json;

    #[test]
    fn plan_fills_project_and_id() {
        let config = ProviderConfig { project: Some("p1".into()), ..Default::default() };
        assert_eq!(RESOURCE.type_name(), "google_project_iam_member");
        let planned = RESOURCE.plan(&config, None, json!({ "role": "roles/viewer", "member": "user:a@x.com" })).unwrap();
        assert_eq!(planned["project"], "p1");
        assert_eq!(planned["id"], "p1/roles/viewer/user:a@x.com");
        let planned = RESOURCE
            .plan(&config, None, json!({ "role": "roles/viewer", "member": "user:a@x.com", "condition": [{ "title": "t", "expression": "e" }] }))
            .unwrap();
        assert_eq!(planned["id"], "p1/roles/viewer/user:a@x.com/t");
        assert!(RESOURCE.plan(&config, None, json!({ "role": "r", "member": "deleted:user:a@x.com?uid=1" })).is_err());
        assert!(RESOURCE.plan(&ProviderConfig::default(), None, json!({ "role": "r", "member": "user:a" })).is_err());
        // Another spelling of the prior member is no change.
        let again = RESOURCE.plan(&config, Some(&planned), json!({ "role": "roles/viewer", "member": "user:A@X.com" })).unwrap();
        assert_eq!(again["member"], "user:a@x.com");
    }
}
