//! `google_project_service`: an API enabled in a project (Service Usage).
//!
//! Create = `POST v1/projects/{p}/services/{service}:enable` (a
//! google.longrunning operation, waited for); read = `GET
//! v1/projects/{p}/services/{service}` (gone unless `state` is ENABLED);
//! update touches only the Terraform-side flags; delete = `:disable` (an
//! operation) when `disable_on_destroy` is true, else only forgets it:
//! unset means false, as in Google provider 7 (disabling an API can break
//! what other stacks run in the project, so it must be asked for).
//! `id` and import ID: `{project}/{service}`.

use super::{fill_project, object, opt_bool, project_of, req_str};
use crate::client::Method;
use crate::{AttrSpec, BoxFuture, Client, Error, GoogleResource, Json, Operation, ProviderConfig, Timeouts, TypeSchema, TypeSpec};
use serde_json::json;
use std::time::Duration;

const SERVICE: &str = "serviceusage";

pub struct ProjectService;

fn state(project: &str, service: &str, planned: Option<&Json>) -> Json {
    let flag = |k: &str, default: bool| planned.and_then(|p| opt_bool(p, k)).unwrap_or(default);
    json!({
        "id": format!("{project}/{service}"),
        "project": project,
        "service": service,
        "disable_on_destroy": flag("disable_on_destroy", false),
        // Not an API field and not computed: whatever the configuration said
        // (null when unset), so it never shows as a change.
        "disable_dependent_services": planned.and_then(|p| p.get("disable_dependent_services")).cloned().unwrap_or(Json::Null),
    })
}

impl ProjectService {
    async fn enabled(client: &Client, project: &str, service: &str) -> Result<bool, Error> {
        let url = client.url(SERVICE, &format!("projects/{project}/services/{service}"));
        match client.get_opt(&url).await? {
            Some(v) => Ok(v.get("state").and_then(Json::as_str) == Some("ENABLED")),
            None => Ok(false),
        }
    }
}

impl GoogleResource for ProjectService {
    fn type_name(&self) -> &'static str {
        "google_project_service"
    }

    /// Terraform's: read 10m, the rest 20m.
    fn default_timeouts(&self) -> Timeouts {
        Timeouts::default().with(Operation::Read, Duration::from_secs(10 * 60))
    }

    fn schema(&self) -> TypeSchema {
        TypeSchema {
            attributes: vec![
                AttrSpec::computed("id", TypeSpec::String),
                AttrSpec::required("service", TypeSpec::String).force_new(),
                AttrSpec::optional_computed("project", TypeSpec::String).force_new(),
                AttrSpec::optional_computed("disable_on_destroy", TypeSpec::Bool),
                AttrSpec::optional("disable_dependent_services", TypeSpec::Bool),
            ],
            blocks: Vec::new(),
        }
    }

    fn plan(&self, config: &ProviderConfig, prior: Option<&Json>, proposed: Json) -> Result<Json, String> {
        let mut m = object(proposed, self.type_name())?;
        fill_project(config, prior, &mut m)?;
        if !m.get("disable_on_destroy").is_some_and(Json::is_boolean) {
            m.insert("disable_on_destroy".into(), json!(false));
        }
        if let (Some(p), Some(s)) = (m.get("project").and_then(Json::as_str), m.get("service").and_then(Json::as_str)) {
            let id = format!("{p}/{s}");
            m.insert("id".into(), json!(id));
        }
        Ok(Json::Object(m))
    }

    fn read<'a>(&'a self, client: &'a Client, state_in: &'a Json) -> BoxFuture<'a, Result<Option<Json>, Error>> {
        Box::pin(async move {
            let project = project_of(client, state_in)?;
            let service = req_str(state_in, "service")?;
            if Self::enabled(client, project, service).await? {
                Ok(Some(state(project, service, Some(state_in))))
            } else {
                Ok(None)
            }
        })
    }

    fn create<'a>(&'a self, client: &'a Client, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let project = project_of(client, planned)?;
            let service = req_str(planned, "service")?;
            let url = client.url(SERVICE, &format!("projects/{project}/services/{service}:enable"));
            let op = client.call(Method::POST, &url, Some(&json!({}))).await?;
            client.wait_operation(SERVICE, op, self.default_timeouts().create).await?;
            client.note_enabled(service);
            Ok(state(project, service, Some(planned)))
        })
    }

    fn update<'a>(&'a self, client: &'a Client, _prior: &'a Json, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let project = project_of(client, planned)?;
            let service = req_str(planned, "service")?;
            Ok(state(project, service, Some(planned)))
        })
    }

    fn delete<'a>(&'a self, client: &'a Client, prior: &'a Json) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            if opt_bool(prior, "disable_on_destroy") != Some(true) {
                return Ok(());
            }
            let project = project_of(client, prior)?;
            let service = req_str(prior, "service")?;
            let url = client.url(SERVICE, &format!("projects/{project}/services/{service}:disable"));
            let body = json!({
                "disableDependentServices": opt_bool(prior, "disable_dependent_services").unwrap_or(false),
                "checkIfServiceHasUsage": "SKIP",
            });
            let op = client.call(Method::POST, &url, Some(&body)).await?;
            client.wait_operation(SERVICE, op, self.default_timeouts().delete).await?;
            Ok(())
        })
    }

    fn import<'a>(&'a self, client: &'a Client, id: &'a str) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let (project, service) = match id.split_once('/') {
                Some((p, s)) if !p.is_empty() && !s.is_empty() && !s.contains('/') => (p.to_string(), s.to_string()),
                _ if !id.is_empty() && !id.contains('/') => (client.default_project()?.to_string(), id.to_string()),
                _ => return Err(Error::Invalid(format!("import ID {id:?}: expected `{{project}}/{{service}}`"))),
            };
            if !Self::enabled(client, &project, &service).await? {
                return Err(Error::Invalid(format!("{service} is not enabled in project {project}")));
            }
            Ok(state(&project, &service, None))
        })
    }
}
