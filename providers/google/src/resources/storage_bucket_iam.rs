//! The IAM target of `google_storage_bucket_iam_member` and
//! `google_storage_bucket_iam_binding`: a bucket's policy in the Cloud
//! Storage JSON API v1.
//!
//! - Argument: `bucket`, required, forcing a new object: the bucket's name
//!   or `b/{name}` (both name the same bucket; state keeps the spelling
//!   used).
//! - Read: `GET b/{bucket}/iam?optionsRequestedPolicyVersion=3`.
//! - Write: `PUT b/{bucket}/iam` with the policy itself (`{bindings, etag,
//!   version}`); a stale etag is 412 conditionNotMet. Conditions need
//!   uniform bucket-level access on the bucket (Google says so with a 400).
//! - `id` starts `b/{bucket}/`; import IDs start `b/{bucket} ` or
//!   `{bucket} `.
//!
//! Does not own: the resource types (`iam_member.rs`, `iam_binding.rs`),
//! policy edits and retries (`iam.rs`), or the bucket (`storage_bucket.rs`).

use super::iam::IamTarget;
use super::{encode, opt_str, req_str};
use crate::client::Method;
use crate::{AttrSpec, Client, Error, Json, ProviderConfig, TypeSpec};
use serde_json::{json, Map};

const SERVICE: &str = "storage";

/// A bucket's IAM policy.
pub(crate) struct StorageBucketIam;

/// The bucket of `b/{name}` or `{name}`.
fn bucket_name(given: &str) -> Result<String, Error> {
    let name = given.strip_prefix("b/").unwrap_or(given);
    if name.is_empty() || name.contains('/') || name.contains(char::is_whitespace) {
        return Err(Error::Invalid(format!("bucket {given:?}: expected a bucket name or `b/{{name}}`")));
    }
    Ok(name.to_string())
}

impl IamTarget for StorageBucketIam {
    fn member_type(&self) -> &'static str {
        "google_storage_bucket_iam_member"
    }

    fn binding_type(&self) -> &'static str {
        "google_storage_bucket_iam_binding"
    }

    fn arg(&self) -> AttrSpec {
        AttrSpec::required("bucket", TypeSpec::String).force_new()
    }

    fn plan_arg(&self, _config: &ProviderConfig, prior: Option<&Json>, m: &mut Map<String, Json>) -> Result<(), String> {
        let Some(given) = m.get("bucket").and_then(Json::as_str) else { return Ok(()) };
        let name = bucket_name(given).map_err(|e| e.to_string())?;
        // `b/x` and `x` are the same bucket: keep the prior spelling.
        if let Some(p) = prior.and_then(|p| opt_str(p, "bucket")) {
            if bucket_name(p).is_ok_and(|n| n == name) {
                m.insert("bucket".into(), json!(p));
            }
        }
        Ok(())
    }

    fn resource_of(&self, _client: &Client, v: &Json) -> Result<String, Error> {
        bucket_name(req_str(v, "bucket")?)
    }

    fn import_resource(&self, field: &str) -> Result<String, Error> {
        bucket_name(field)
    }

    fn id_prefix(&self, resource: &str) -> String {
        format!("b/{resource}")
    }

    fn import_hint(&self) -> &'static str {
        "b/{bucket}"
    }

    fn describe(&self, resource: &str) -> String {
        format!("bucket {resource}")
    }

    fn get_call(&self, client: &Client, resource: &str) -> (Method, String, Option<Json>) {
        let url = client.url(SERVICE, &format!("b/{}/iam?optionsRequestedPolicyVersion=3", encode(resource)));
        (Method::GET, url, None)
    }

    fn set_call(&self, client: &Client, resource: &str, policy: Json) -> (Method, String, Json) {
        (Method::PUT, client.url(SERVICE, &format!("b/{}/iam", encode(resource))), policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_and_calls() {
        assert_eq!(bucket_name("b/my-bucket").unwrap(), "my-bucket");
        assert_eq!(bucket_name("my-bucket").unwrap(), "my-bucket");
        for bad in ["", "b/", "b/a/b", "a b"] {
            assert!(bucket_name(bad).is_err(), "{bad}");
        }
        let client = Client::new(ProviderConfig { base_endpoint: Some("http://127.0.0.1:9/".into()), ..Default::default() });
        let (m, url, body) = StorageBucketIam.get_call(&client, "my-bucket");
        assert_eq!((m, url.as_str(), body), (Method::GET, "http://127.0.0.1:9/storage/v1/b/my-bucket/iam?optionsRequestedPolicyVersion=3", None));
        let (m, url, body) = StorageBucketIam.set_call(&client, "my-bucket", json!({ "etag": "CAE=" }));
        assert_eq!((m, url.as_str(), body), (Method::PUT, "http://127.0.0.1:9/storage/v1/b/my-bucket/iam", json!({ "etag": "CAE=" })));
    }
}
