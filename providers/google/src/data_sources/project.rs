//! `data "google_project"`: one project, by `project_id` (default: the
//! provider's project), read with Cloud Resource Manager v1
//! `GET v1/projects/{projectId}`.
//!
//! Exports what Terraform's data source does: `number` (a string, as the
//! API's `projectNumber`), `name`, `labels` (for a data source `labels`,
//! `terraform_labels` and `effective_labels` are all the project's labels),
//! `org_id` or `folder_id` from the parent, and `id` =
//! `projects/{project_id}`. `billing_account` is null: reading it needs the
//! Cloud Billing API, which cairn does not call. `auto_create_network` and
//! `deletion_policy` only matter when managing a project and are null.
//!
//! A project that does not exist, or that the caller may not see (Google
//! answers 403 for both), or one that is not ACTIVE, is an error naming the
//! project id.

use crate::resources::encode;
use crate::{AttrSpec, BoxFuture, Client, Error, GoogleDataSource, Json, TypeSchema, TypeSpec};
use serde_json::json;

const SERVICE: &str = "cloudresourcemanager";

pub struct Project;

fn labels_of(p: &Json) -> Json {
    match p.get("labels") {
        Some(l @ Json::Object(_)) => l.clone(),
        _ => json!({}),
    }
}

/// `(org_id, folder_id)` from a v1 `parent` (`{type, id}`).
fn parent_of(p: &Json) -> (Json, Json) {
    let parent = p.get("parent");
    let id = parent.and_then(|x| x.get("id")).and_then(Json::as_str).map(|s| json!(s));
    match parent.and_then(|x| x.get("type")).and_then(Json::as_str) {
        Some("organization") => (id.unwrap_or(Json::Null), json!("")),
        Some("folder") => (json!(""), id.unwrap_or(Json::Null)),
        _ => (Json::Null, Json::Null),
    }
}

/// The answer as the data source's object.
fn state(project_id: &str, p: &Json) -> Json {
    let number = match p.get("projectNumber") {
        Some(Json::String(s)) => json!(s),
        Some(Json::Number(n)) => json!(n.to_string()),
        _ => Json::Null,
    };
    let labels = labels_of(p);
    let (org_id, folder_id) = parent_of(p);
    json!({
        "id": format!("projects/{project_id}"),
        "project_id": project_id,
        "number": number,
        "name": p.get("name").cloned().unwrap_or(Json::Null),
        "labels": labels,
        "terraform_labels": labels,
        "effective_labels": labels,
        "org_id": org_id,
        "folder_id": folder_id,
        "billing_account": Json::Null,
        "auto_create_network": Json::Null,
        "deletion_policy": Json::Null,
    })
}

impl GoogleDataSource for Project {
    fn type_name(&self) -> &'static str {
        "google_project"
    }

    fn schema(&self) -> TypeSchema {
        let map = || TypeSpec::Map(Box::new(TypeSpec::String));
        TypeSchema {
            attributes: vec![
                AttrSpec::optional_computed("project_id", TypeSpec::String),
                AttrSpec::computed("id", TypeSpec::String),
                AttrSpec::computed("number", TypeSpec::String),
                AttrSpec::computed("name", TypeSpec::String),
                AttrSpec::computed("labels", map()),
                AttrSpec::computed("terraform_labels", map()),
                AttrSpec::computed("effective_labels", map()),
                AttrSpec::computed("org_id", TypeSpec::String),
                AttrSpec::computed("folder_id", TypeSpec::String),
                AttrSpec::computed("billing_account", TypeSpec::String),
                AttrSpec::computed("auto_create_network", TypeSpec::Bool),
                AttrSpec::computed("deletion_policy", TypeSpec::String),
            ],
            blocks: Vec::new(),
        }
    }

    fn read<'a>(&'a self, client: &'a Client, config: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let given = config.get("project_id").and_then(Json::as_str).map(str::trim).filter(|s| !s.is_empty());
            let project_id = match given {
                Some(p) => p.strip_prefix("projects/").unwrap_or(p),
                None => client.default_project().map_err(|_| {
                    Error::Invalid(
                        "google_project: no project to read: set `project_id` on the data source, or `project` on the provider block".into(),
                    )
                })?,
            };
            if project_id.is_empty() || project_id.contains('/') {
                return Err(Error::Invalid(format!(
                    "google_project: project_id {project_id:?} is not a project id (like \"my-project-123\", or \"projects/my-project-123\")"
                )));
            }
            let url = client.url(SERVICE, &format!("projects/{}", encode(project_id)));
            let missing = |why: String| {
                Error::Invalid(format!(
                    "google_project: project {project_id:?} was not found, or these credentials may not see it ({why}). \
                     Check project_id (or the provider's project), and that the caller has resourcemanager.projects.get on it."
                ))
            };
            let found = match client.get_opt(&url).await {
                Ok(Some(p)) => p,
                Ok(None) => return Err(missing(format!("GET {url}: 404"))),
                Err(e @ Error::Api { status: 403, .. }) => return Err(missing(e.to_string())),
                Err(e) => return Err(e),
            };
            match found.get("lifecycleState").and_then(Json::as_str) {
                Some("ACTIVE") | None => Ok(state(project_id, &found)),
                Some(other) => Err(Error::Invalid(format!(
                    "google_project: project {project_id:?} is {other}, not ACTIVE: a project pending deletion cannot be read as a data source"
                ))),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_and_numbers() {
        let org = state("p-1", &json!({"projectNumber": "123", "name": "P", "parent": {"type": "organization", "id": "42"}}));
        assert_eq!((org["org_id"].clone(), org["folder_id"].clone()), (json!("42"), json!("")));
        assert_eq!(org["number"], "123");
        assert_eq!(org["labels"], json!({}));
        let folder = state("p-1", &json!({"projectNumber": 7, "labels": {"a": "b"}, "parent": {"type": "folder", "id": "9"}}));
        assert_eq!((folder["org_id"].clone(), folder["folder_id"].clone()), (json!(""), json!("9")));
        assert_eq!(folder["number"], "7");
        assert_eq!(folder["effective_labels"], json!({"a": "b"}));
        let none = state("p-1", &json!({}));
        assert!(none["org_id"].is_null() && none["folder_id"].is_null() && none["billing_account"].is_null());
        assert_eq!(none["id"], "projects/p-1");
    }
}
