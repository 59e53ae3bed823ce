//! `google_storage_bucket_iam_member`: one member in one role of a
//! bucket's IAM policy (non-authoritative), optionally under a `condition`
//! (which needs uniform bucket-level access on the bucket).
//!
//! The generic [`IamMember`] on the bucket target ([`StorageBucketIam`]):
//! create and delete are read-modify-writes of `b/{bucket}/iam`; every
//! argument forces a new object. `bucket` is the name or `b/{name}`. `id`
//! = `b/{bucket}/{role}/{member}` (`/{condition title}` added with a
//! condition); `etag` is the policy's. Import ID: `b/{bucket} {role}
//! {member}` (or `{bucket} {role} {member}`), optionally followed by the
//! condition title.

use super::iam_member::IamMember;
use super::storage_bucket_iam::StorageBucketIam;

/// The resource type.
pub const RESOURCE: IamMember = IamMember(&StorageBucketIam);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{GoogleResource, ProviderConfig};
    use serde_json::json;

    #[test]
    fn plan_gives_terraforms_id() {
        let config = ProviderConfig::default();
        assert_eq!(RESOURCE.type_name(), "google_storage_bucket_iam_member");
        let planned = RESOURCE.plan(&config, None, json!({ "bucket": "b/bkt", "role": "roles/storage.objectViewer", "member": "user:a@x.com" })).unwrap();
        assert_eq!(planned["id"], "b/bkt/roles/storage.objectViewer/user:a@x.com");
        assert_eq!(planned["bucket"], "b/bkt");
        assert!(planned.get("project").is_none(), "a bucket's policy needs no project");
        // `bkt` is the same bucket as the prior `b/bkt`.
        let again = RESOURCE.plan(&config, Some(&planned), json!({ "bucket": "bkt", "role": "roles/storage.objectViewer", "member": "user:a@x.com" })).unwrap();
        assert_eq!(again, planned);
        assert!(RESOURCE.plan(&config, None, json!({ "bucket": "a/b", "role": "r", "member": "user:a@x.com" })).is_err());
    }
}
