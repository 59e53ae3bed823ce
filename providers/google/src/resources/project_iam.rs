//! The IAM target of `google_project_iam_member` and
//! `google_project_iam_binding`: a project's policy in Resource Manager v1.
//!
//! - Argument: `project` (optional, from the provider block when unset;
//!   forces a new object).
//! - Read: `POST v1/projects/{p}:getIamPolicy` with `{options:
//!   {requestedPolicyVersion: 3}}`.
//! - Write: `POST v1/projects/{p}:setIamPolicy` with `{policy: {bindings,
//!   etag, version, auditConfigs}, updateMask: "bindings,etag,auditConfigs"}`;
//!   a stale etag is 409 ABORTED.
//! - `id` starts `{project}/`; import IDs start `{project} `.
//!
//! Does not own: the resource types (`iam_member.rs`, `iam_binding.rs`) or
//! policy edits and retries (`iam.rs`).

use super::iam::IamTarget;
use super::{encode, fill_project, project_of};
use crate::client::Method;
use crate::{AttrSpec, Client, Error, Json, ProviderConfig, TypeSpec};
use serde_json::{json, Map};

const SERVICE: &str = "cloudresourcemanager";

/// A project's IAM policy.
pub(crate) struct ProjectIam;

impl ProjectIam {
    fn url(client: &Client, project: &str, verb: &str) -> String {
        client.url(SERVICE, &format!("projects/{}:{verb}", encode(project)))
    }
}

impl IamTarget for ProjectIam {
    fn member_type(&self) -> &'static str {
        "google_project_iam_member"
    }

    fn binding_type(&self) -> &'static str {
        "google_project_iam_binding"
    }

    fn arg(&self) -> AttrSpec {
        AttrSpec::optional_computed("project", TypeSpec::String).force_new()
    }

    fn plan_arg(&self, config: &ProviderConfig, prior: Option<&Json>, m: &mut Map<String, Json>) -> Result<(), String> {
        fill_project(config, prior, m)
    }

    fn resource_of(&self, client: &Client, v: &Json) -> Result<String, Error> {
        project_of(client, v).map(str::to_string)
    }

    fn import_resource(&self, field: &str) -> Result<String, Error> {
        if field.is_empty() || field.contains('/') {
            return Err(Error::Invalid(format!("{field:?} is not a project id")));
        }
        Ok(field.to_string())
    }

    fn id_prefix(&self, resource: &str) -> String {
        resource.to_string()
    }

    fn import_hint(&self) -> &'static str {
        "{project}"
    }

    fn describe(&self, resource: &str) -> String {
        format!("project {resource}")
    }

    fn get_call(&self, client: &Client, resource: &str) -> (Method, String, Option<Json>) {
        let body = json!({ "options": { "requestedPolicyVersion": 3 } });
        (Method::POST, Self::url(client, resource, "getIamPolicy"), Some(body))
    }

    fn set_call(&self, client: &Client, resource: &str, policy: Json) -> (Method, String, Json) {
        let body = json!({ "policy": policy, "updateMask": "bindings,etag,auditConfigs" });
        (Method::POST, Self::url(client, resource, "setIamPolicy"), body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls() {
        let client = Client::new(ProviderConfig { base_endpoint: Some("http://127.0.0.1:9/".into()), ..Default::default() });
        let (m, url, body) = ProjectIam.get_call(&client, "p1");
        assert_eq!((m, url.as_str()), (Method::POST, "http://127.0.0.1:9/cloudresourcemanager/v1/projects/p1:getIamPolicy"));
        assert_eq!(body, Some(json!({ "options": { "requestedPolicyVersion": 3 } })));
        let (_, url, body) = ProjectIam.set_call(&client, "p1", json!({ "etag": "e" }));
        assert!(url.ends_with("projects/p1:setIamPolicy"));
        assert_eq!(body, json!({ "policy": { "etag": "e" }, "updateMask": "bindings,etag,auditConfigs" }));
        assert!(ProjectIam.import_resource("a/b").is_err());
    }
}
