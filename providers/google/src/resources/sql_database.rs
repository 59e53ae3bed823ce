//! `google_sql_database`: a database in a Cloud SQL instance (Admin API
//! v1beta4; every change is a `sql#operation`, 20 minutes at most).
//!
//! Create = `POST projects/{p}/instances/{i}/databases`; read = `GET
//! .../databases/{name}`; update = `PATCH .../databases/{name}` (charset
//! and collation); delete = `DELETE .../databases/{name}`, or nothing with
//! `deletion_policy = "ABANDON"` (a Postgres database that still has
//! connections or owned objects cannot be dropped). Every change holds the
//! instance's lock (`sql.rs`).
//!
//! `charset` and `collation` are filled by the API when unset (UTF8 /
//! en_US.UTF8 on Postgres, utf8mb3 / utf8mb3_general_ci on MySQL), so they
//! keep what was last read; `charset` compares without case. `id` =
//! `projects/{p}/instances/{i}/databases/{name}`; import IDs
//! `projects/{p}/instances/{i}/databases/{name}`, `{p}/{i}/{name}`,
//! `instances/{i}/databases/{name}`, `{i}/{name}`.

use super::sql::{self, instance_url, lock_instance};
use super::{api_object, fill_project, import_id, keep_prior, object, opt_str, project_of, req_str};
use crate::client::Method;
use crate::{AttrSpec, BoxFuture, Client, Error, GoogleResource, Json, ProviderConfig, TypeSchema, TypeSpec};
use serde_json::{json, Map};
use std::time::Duration;

/// Terraform's default for create, update and delete.
const TIMEOUT: Duration = Duration::from_secs(20 * 60);

const TYPE_NAME: &str = "google_sql_database";

pub struct SqlDatabase;

fn database_url(client: &Client, project: &str, instance: &str, name: &str) -> String {
    instance_url(client, project, instance, &format!("/databases/{}", super::encode(name)))
}

/// The Terraform object for an API database. `base` gives
/// `deletion_policy`, which the API does not hold.
fn to_state(api: &Json, base: Option<&Json>, project: &str, instance: &str) -> Result<Json, Error> {
    let o = api_object(api, "Cloud SQL database")?;
    let name = o.get("name").and_then(Json::as_str).ok_or_else(|| Error::Invalid("Cloud SQL database: answer without a name".into()))?;
    let mut out = Map::new();
    out.insert("id".into(), json!(format!("projects/{project}/instances/{instance}/databases/{name}")));
    out.insert("name".into(), json!(name));
    out.insert("instance".into(), json!(instance));
    out.insert("project".into(), json!(project));
    out.insert("charset".into(), o.get("charset").cloned().unwrap_or(Json::Null));
    out.insert("collation".into(), o.get("collation").cloned().unwrap_or(Json::Null));
    out.insert("deletion_policy".into(), json!(base.and_then(|b| opt_str(b, "deletion_policy")).unwrap_or("DELETE")));
    out.insert("self_link".into(), o.get("selfLink").cloned().unwrap_or(Json::Null));
    Ok(Json::Object(out))
}

impl SqlDatabase {
    async fn get(client: &Client, project: &str, instance: &str, name: &str) -> Result<Json, Error> {
        client.call(Method::GET, &database_url(client, project, instance, name), None).await
    }
}

impl GoogleResource for SqlDatabase {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> TypeSchema {
        let s = || TypeSpec::String;
        TypeSchema {
            attributes: vec![
                AttrSpec::computed("id", s()),
                AttrSpec::required("name", s()).force_new(),
                AttrSpec::required("instance", s()).force_new(),
                AttrSpec::optional_computed("project", s()).force_new(),
                AttrSpec::optional_computed("charset", s()),
                AttrSpec::optional_computed("collation", s()),
                AttrSpec::optional("deletion_policy", s()),
                AttrSpec::computed("self_link", s()),
            ],
            blocks: Vec::new(),
        }
    }

    fn plan(&self, config: &ProviderConfig, prior: Option<&Json>, proposed: Json) -> Result<Json, String> {
        let mut m = object(proposed, TYPE_NAME)?;
        fill_project(config, prior, &mut m)?;
        // `utf8` and `UTF8` are the same charset: keep the spelling read.
        if let (Some(p), Some(c)) = (prior.and_then(|p| opt_str(p, "charset")), m.get("charset").and_then(Json::as_str)) {
            if p.eq_ignore_ascii_case(c) {
                m.insert("charset".into(), json!(p));
            }
        }
        match m.get("deletion_policy").and_then(Json::as_str) {
            None => {
                m.insert("deletion_policy".into(), json!("DELETE"));
            }
            Some("DELETE" | "ABANDON") => {}
            Some(other) => return Err(format!("{TYPE_NAME}: deletion_policy {other:?} is not DELETE or ABANDON")),
        }
        keep_prior(&mut m, prior, &["charset", "collation", "self_link"]);
        let known = |k: &str| m.get(k).and_then(Json::as_str).filter(|s| !s.is_empty()).map(str::to_string);
        if let (Some(p), Some(i), Some(n)) = (known("project"), known("instance"), known("name")) {
            m.insert("id".into(), json!(format!("projects/{p}/instances/{i}/databases/{n}")));
        }
        Ok(Json::Object(m))
    }

    fn read<'a>(&'a self, client: &'a Client, state: &'a Json) -> BoxFuture<'a, Result<Option<Json>, Error>> {
        Box::pin(async move {
            let project = project_of(client, state)?;
            let (instance, name) = (req_str(state, "instance")?, req_str(state, "name")?);
            match client.get_opt(&database_url(client, project, instance, name)).await? {
                Some(api) => to_state(&api, Some(state), project, instance).map(Some),
                None => Ok(None),
            }
        })
    }

    fn create<'a>(&'a self, client: &'a Client, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let project = project_of(client, planned)?;
            let (instance, name) = (req_str(planned, "instance")?, req_str(planned, "name")?);
            let mut body = json!({ "name": name, "instance": instance, "project": project });
            for (tf, api) in [("charset", "charset"), ("collation", "collation")] {
                if let Some(v) = opt_str(planned, tf) {
                    body[api] = json!(v);
                }
            }
            let _turn = lock_instance(client, project, instance).await;
            sql::run(client, Method::POST, &instance_url(client, project, instance, "/databases"), Some(&body), TIMEOUT)
                .await
                .map_err(|e| sql::instance_gone(e, &format!("{TYPE_NAME} {name}"), project, instance))?;
            to_state(&Self::get(client, project, instance, name).await?, Some(planned), project, instance)
        })
    }

    fn update<'a>(&'a self, client: &'a Client, prior: &'a Json, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let project = project_of(client, planned)?;
            let (instance, name) = (req_str(planned, "instance")?, req_str(planned, "name")?);
            let mut patch = Map::new();
            for key in ["charset", "collation"] {
                if let Some(v) = opt_str(planned, key).filter(|v| Some(*v) != opt_str(prior, key)) {
                    patch.insert(key.into(), json!(v));
                }
            }
            if !patch.is_empty() {
                let _turn = lock_instance(client, project, instance).await;
                let url = database_url(client, project, instance, name);
                sql::run(client, Method::PATCH, &url, Some(&Json::Object(patch)), TIMEOUT).await?;
            }
            to_state(&Self::get(client, project, instance, name).await?, Some(planned), project, instance)
        })
    }

    fn delete<'a>(&'a self, client: &'a Client, prior: &'a Json) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            if opt_str(prior, "deletion_policy") == Some("ABANDON") {
                return Ok(());
            }
            let project = project_of(client, prior)?;
            let (instance, name) = (req_str(prior, "instance")?, req_str(prior, "name")?);
            sql::delete(client, project, instance, &database_url(client, project, instance, name), TIMEOUT).await
        })
    }

    fn import<'a>(&'a self, client: &'a Client, id: &'a str) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let formats = [
                "projects/{project}/instances/{instance}/databases/{name}",
                "{project}/{instance}/{name}",
                "instances/{instance}/databases/{name}",
                "{instance}/{name}",
            ];
            let parts = import_id(TYPE_NAME, id, &formats)?;
            let project = match parts.get("project") {
                Some(p) => p.clone(),
                None => client.default_project()?.to_string(),
            };
            let part = |k: &str| parts.get(k).map(String::as_str).unwrap_or_default();
            let (instance, name) = (part("instance"), part("name"));
            match client.get_opt(&database_url(client, &project, instance, name)).await? {
                Some(api) => to_state(&api, None, &project, instance),
                None => Err(Error::Invalid(format!("{TYPE_NAME}: database {name} does not exist in instance {instance} of project {project}"))),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_and_plans() {
        let api = json!({ "kind": "sql#database", "name": "app", "instance": "db", "project": "p", "charset": "UTF8",
                          "collation": "en_US.UTF8", "selfLink": "https://x/app" });
        let state = to_state(&api, None, "p", "db").unwrap();
        assert_eq!(state["id"], "projects/p/instances/db/databases/app");
        assert_eq!(state["deletion_policy"], "DELETE");
        let config = ProviderConfig { project: Some("p".into()), ..Default::default() };
        // Unset charset and collation keep what the API chose; `utf8` is `UTF8`.
        let planned = SqlDatabase.plan(&config, Some(&state), json!({ "name": "app", "instance": "db", "charset": "utf8" })).unwrap();
        assert_eq!(planned, state);
        assert!(SqlDatabase.plan(&config, None, json!({ "name": "a", "instance": "i", "deletion_policy": "KEEP" })).is_err());
    }
}
