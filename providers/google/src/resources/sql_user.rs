//! `google_sql_user`: a user of a Cloud SQL instance (Admin API v1beta4;
//! every change is a `sql#operation`, 10 minutes at most).
//!
//! Users have no id of their own: they are addressed by `name` and, on
//! MySQL, `host`. Create = `POST projects/{p}/instances/{i}/users`; read =
//! `GET .../users` (the list) and the one with this name and host; update =
//! `PUT .../users?name=&host=` with the new `password`, in place; delete =
//! `DELETE .../users?name=&host=`, or nothing with `deletion_policy =
//! "ABANDON"`. Every change holds the instance's lock (`sql.rs`).
//!
//! `password` is sensitive, and Cloud SQL never returns it: the state keeps
//! the configured one. `host` is filled by the API (`%` on MySQL, none
//! elsewhere); `type` reads `BUILT_IN` when the API leaves it out. `id` =
//! `{name}/{host}/{instance}` (`name//instance` without a host); import IDs
//! `{p}/{instance}/{host}/{name}` (MySQL) and `{p}/{instance}/{name}`.

use super::sql::{self, instance_url, lock_instance};
use super::{fill_project, import_id, keep_prior, object, opt_str, project_of, req_str};
use crate::client::Method;
use crate::{AttrSpec, BoxFuture, Client, Error, GoogleResource, Json, ProviderConfig, TypeSchema, TypeSpec};
use serde_json::{json, Map};
use std::time::Duration;

/// Terraform's default for create, update and delete.
const TIMEOUT: Duration = Duration::from_secs(10 * 60);

const TYPE_NAME: &str = "google_sql_user";

pub struct SqlUser;

/// The Terraform object for an API user. `base` gives what the API does
/// not return: `password` and `deletion_policy`.
fn to_state(api: &Json, base: Option<&Json>, project: &str, instance: &str) -> Result<Json, Error> {
    let name = api.get("name").and_then(Json::as_str).ok_or_else(|| Error::Invalid("Cloud SQL user: answer without a name".into()))?;
    let host = api.get("host").and_then(Json::as_str).unwrap_or("");
    let mut out = Map::new();
    out.insert("id".into(), json!(format!("{name}/{host}/{instance}")));
    out.insert("name".into(), json!(name));
    out.insert("instance".into(), json!(instance));
    out.insert("project".into(), json!(project));
    out.insert("host".into(), json!(host));
    out.insert("type".into(), json!(api.get("type").and_then(Json::as_str).unwrap_or("BUILT_IN")));
    out.insert("password".into(), base.and_then(|b| b.get("password")).cloned().unwrap_or(Json::Null));
    out.insert("deletion_policy".into(), base.and_then(|b| b.get("deletion_policy")).cloned().unwrap_or(Json::Null));
    Ok(Json::Object(out))
}

/// The user as the API lists it: at `host` when known, else the one the
/// API gave a default host (none, or MySQL's `%`). `None` when the user or
/// the instance is gone.
async fn find(client: &Client, project: &str, instance: &str, name: &str, host: Option<&str>) -> Result<Option<Json>, Error> {
    let Some(users) = sql::list_users(client, project, instance).await? else { return Ok(None) };
    let found = match host {
        Some(h) => sql::find_user(&users, name, h),
        None => sql::find_user(&users, name, "").or_else(|| sql::find_user(&users, name, "%")),
    };
    Ok(found.cloned())
}

/// `(name, host)` of a planned or prior user (host `""` when there is none).
fn address(v: &Json) -> Result<(&str, &str), Error> {
    Ok((req_str(v, "name")?, v.get("host").and_then(Json::as_str).unwrap_or("")))
}

impl GoogleResource for SqlUser {
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
                AttrSpec::optional_computed("host", s()).force_new(),
                AttrSpec::optional("password", s()).sensitive(),
                AttrSpec::optional_computed("type", s()).force_new(),
                AttrSpec::optional("deletion_policy", s()),
                AttrSpec::optional_computed("project", s()).force_new(),
            ],
            blocks: Vec::new(),
        }
    }

    fn plan(&self, config: &ProviderConfig, prior: Option<&Json>, proposed: Json) -> Result<Json, String> {
        let mut m = object(proposed, TYPE_NAME)?;
        fill_project(config, prior, &mut m)?;
        keep_prior(&mut m, prior, &["host", "type", "id"]);
        if m.get("type").is_none_or(Json::is_null) {
            m.insert("type".into(), json!("BUILT_IN"));
        }
        match m.entry("deletion_policy").or_insert(Json::Null) {
            Json::Null => {}
            Json::String(p) if matches!(p.as_str(), "DELETE" | "ABANDON") => {}
            other => return Err(format!("{TYPE_NAME}: deletion_policy {other} is not DELETE or ABANDON")),
        }
        let known = |k: &str| m.get(k).and_then(Json::as_str).map(str::to_string);
        if let (Some(n), Some(h), Some(i)) = (known("name"), known("host"), known("instance")) {
            m.insert("id".into(), json!(format!("{n}/{h}/{i}")));
        }
        Ok(Json::Object(m))
    }

    fn read<'a>(&'a self, client: &'a Client, state: &'a Json) -> BoxFuture<'a, Result<Option<Json>, Error>> {
        Box::pin(async move {
            let project = project_of(client, state)?;
            let instance = req_str(state, "instance")?;
            let (name, host) = address(state)?;
            match find(client, project, instance, name, Some(host)).await? {
                Some(api) => to_state(&api, Some(state), project, instance).map(Some),
                None => Ok(None),
            }
        })
    }

    fn create<'a>(&'a self, client: &'a Client, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let project = project_of(client, planned)?;
            let instance = req_str(planned, "instance")?;
            let name = req_str(planned, "name")?;
            let host = opt_str(planned, "host");
            let mut body = json!({ "name": name });
            for (tf, api) in [("host", "host"), ("password", "password"), ("type", "type")] {
                if let Some(v) = opt_str(planned, tf) {
                    body[api] = json!(v);
                }
            }
            let _turn = lock_instance(client, project, instance).await;
            sql::run(client, Method::POST, &instance_url(client, project, instance, "/users"), Some(&body), TIMEOUT)
                .await
                .map_err(|e| sql::instance_gone(e, &format!("{TYPE_NAME} {name}"), project, instance))?;
            match find(client, project, instance, name, host).await? {
                Some(api) => to_state(&api, Some(planned), project, instance),
                None => Err(Error::Invalid(format!("{TYPE_NAME} {name}: created, but instance {instance} does not list it"))),
            }
        })
    }

    fn update<'a>(&'a self, client: &'a Client, prior: &'a Json, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let project = project_of(client, planned)?;
            let instance = req_str(prior, "instance")?;
            let (name, host) = address(prior)?;
            let password = opt_str(planned, "password");
            if password.is_some() && password != opt_str(prior, "password") {
                let mut body = json!({ "name": name, "password": password });
                if !host.is_empty() {
                    body["host"] = json!(host);
                }
                let _turn = lock_instance(client, project, instance).await;
                let url = instance_url(client, project, instance, &sql::user_query(name, host));
                sql::run(client, Method::PUT, &url, Some(&body), TIMEOUT).await?;
            }
            match find(client, project, instance, name, Some(host)).await? {
                Some(api) => to_state(&api, Some(planned), project, instance),
                None => Err(Error::NotFound),
            }
        })
    }

    fn delete<'a>(&'a self, client: &'a Client, prior: &'a Json) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            if opt_str(prior, "deletion_policy") == Some("ABANDON") {
                return Ok(());
            }
            let project = project_of(client, prior)?;
            let instance = req_str(prior, "instance")?;
            let (name, host) = address(prior)?;
            sql::delete(client, project, instance, &instance_url(client, project, instance, &sql::user_query(name, host)), TIMEOUT).await
        })
    }

    fn import<'a>(&'a self, client: &'a Client, id: &'a str) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let parts = import_id(TYPE_NAME, id, &["{project}/{instance}/{host}/{name}", "{project}/{instance}/{name}"])?;
            let part = |k: &str| parts.get(k).map(String::as_str).unwrap_or_default();
            let (project, instance, name) = (part("project"), part("instance"), part("name"));
            let host = parts.get("host").map(String::as_str);
            match find(client, project, instance, name, host).await? {
                Some(api) => to_state(&api, None, project, instance),
                None => Err(Error::Invalid(format!("{TYPE_NAME}: user {name} does not exist in instance {instance} of project {project}"))),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_and_plans() {
        let base = json!({ "name": "app", "instance": "db", "password": "pw", "deletion_policy": null });
        let state = to_state(&json!({ "kind": "sql#user", "name": "app", "instance": "db", "project": "p" }), Some(&base), "p", "db").unwrap();
        assert_eq!(state["id"], "app//db");
        assert_eq!(state["host"], "");
        assert_eq!(state["type"], "BUILT_IN", "left out by the API");
        assert_eq!(state["password"], "pw", "never read back: the configured one stays");
        let mysql = to_state(&json!({ "name": "app", "host": "%", "type": "CLOUD_IAM_USER" }), None, "p", "db").unwrap();
        assert_eq!((mysql["id"].as_str(), mysql["type"].as_str(), mysql["password"].is_null()), (Some("app/%/db"), Some("CLOUD_IAM_USER"), true));
        let config = ProviderConfig { project: Some("p".into()), ..Default::default() };
        let planned = SqlUser.plan(&config, Some(&state), json!({ "name": "app", "instance": "db", "password": "pw" })).unwrap();
        assert_eq!(planned, state);
        let new = SqlUser.plan(&config, None, json!({ "name": "app", "instance": "db", "host": "%" })).unwrap();
        assert_eq!((new["id"].as_str(), new["type"].as_str()), (Some("app/%/db"), Some("BUILT_IN")));
        assert!(SqlUser.plan(&config, None, json!({ "name": "a", "instance": "i", "deletion_policy": "KEEP" })).is_err());
    }
}
