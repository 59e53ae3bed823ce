//! `google_storage_bucket_iam_binding`: the members of one role of a
//! bucket's IAM policy (authoritative for that role and condition; other
//! roles, such as the legacy project-team roles every bucket starts with,
//! are left alone).
//!
//! The generic [`IamBinding`] on the bucket target ([`StorageBucketIam`]):
//! create and update make `members` the binding's only members, delete
//! drops the binding. `bucket` (the name or `b/{name}`), `role` and
//! `condition` force a new object; `members` updates in place. `id` =
//! `b/{bucket}/{role}` (`/{condition title}` added with a condition);
//! `etag` is the policy's. Import ID: `b/{bucket} {role}` (or `{bucket}
//! {role}`), optionally followed by the condition title.

use super::iam_binding::IamBinding;
use super::storage_bucket_iam::StorageBucketIam;

/// The resource type.
pub const RESOURCE: IamBinding = IamBinding(&StorageBucketIam);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{GoogleResource, ProviderConfig};
    use serde_json::json;

    #[test]
    fn plan_gives_terraforms_id() {
        let config = ProviderConfig::default();
        assert_eq!(RESOURCE.type_name(), "google_storage_bucket_iam_binding");
        let cond = json!([{ "title": "until 2030", "expression": "request.time < timestamp(\"2030-01-01T00:00:00Z\")" }]);
        let planned = RESOURCE
            .plan(&config, None, json!({ "bucket": "bkt", "role": "roles/storage.admin", "members": ["group:g@x.com"], "condition": cond }))
            .unwrap();
        assert_eq!(planned["id"], "b/bkt/roles/storage.admin/until 2030");
        assert!(RESOURCE.plan(&config, None, json!({ "bucket": "bkt", "role": "r", "members": ["deleted:user:a@x.com?uid=1"] })).is_err());
    }
}
