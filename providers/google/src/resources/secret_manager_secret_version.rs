//! `google_secret_manager_secret_version`: one version of a secret's payload.
//!
//! Create = `POST v1/{secret}:addVersion` with the base64 payload (then
//! `:disable` when `enabled = false`); read = `GET v1/{name}` (a DESTROYED
//! version is gone) and, only while the version is ENABLED, `GET
//! v1/{name}:access` for `secret_data`; otherwise the prior value is kept
//! (the API cannot give it back). Update = `:enable` / `:disable` (the only
//! updatable argument; `secret_data` forces a new version). Delete =
//! `:destroy`. `id` = `name` = `projects/{number}/secrets/{s}/versions/{n}`,
//! also the import ID.

use super::{api_object, object, opt_bool, opt_str, req_str};
use crate::client::Method;
use crate::{AttrSpec, BoxFuture, Client, Error, GoogleResource, Json, ProviderConfig, TypeSchema, TypeSpec};
use base64::Engine as _;
use serde_json::{json, Map};

const SERVICE: &str = "secretmanager";

pub struct SecretManagerSecretVersion;

/// The secret (`projects/{p}/secrets/{s}`) of a version name.
fn secret_of(version_name: &str) -> Option<String> {
    let parts: Vec<&str> = version_name.split('/').collect();
    match parts.as_slice() {
        ["projects", p, "secrets", s, "versions", _] => Some(format!("projects/{p}/secrets/{s}")),
        _ => None,
    }
}

impl SecretManagerSecretVersion {
    /// The payload of an ENABLED version as text, `None` when it cannot be
    /// read (not enabled, not UTF-8).
    async fn access(client: &Client, name: &str) -> Result<Option<String>, Error> {
        let url = client.url(SERVICE, &format!("{name}:access"));
        let v = client.call(Method::GET, &url, None).await?;
        let Some(data) = v.pointer("/payload/data").and_then(Json::as_str) else {
            return Ok(None);
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|e| Error::Invalid(format!("secret version {name}: payload is not base64: {e}")))?;
        Ok(String::from_utf8(bytes).ok())
    }

    /// The state for an API version; `None` when it is destroyed.
    async fn to_state(client: &Client, api: &Json, base: Option<&Json>, secret: Option<&str>) -> Result<Option<Json>, Error> {
        let o = api_object(api, "secret version")?;
        let name = o.get("name").and_then(Json::as_str).ok_or_else(|| Error::Invalid("secret version: answer without a name".into()))?;
        let state = o.get("state").and_then(Json::as_str).unwrap_or("");
        if state == "DESTROYED" {
            return Ok(None);
        }
        let enabled = state == "ENABLED";
        let prior_data = base.and_then(|b| b.get("secret_data")).filter(|v| !v.is_null()).cloned();
        let secret_data = match (enabled, prior_data) {
            // The payload never changes: no need to read it back.
            (_, Some(d)) => d,
            (true, None) => Self::access(client, name).await?.map(Json::from).unwrap_or(Json::Null),
            (false, None) => Json::Null,
        };
        let secret = secret.map(str::to_string).or_else(|| secret_of(name)).unwrap_or_default();
        let version = name.rsplit('/').next().unwrap_or("").to_string();
        let mut out = Map::new();
        out.insert("id".into(), json!(name));
        out.insert("name".into(), json!(name));
        out.insert("secret".into(), json!(secret));
        out.insert("secret_data".into(), secret_data);
        out.insert("enabled".into(), json!(enabled));
        out.insert("version".into(), json!(version));
        out.insert("create_time".into(), o.get("createTime").cloned().unwrap_or(Json::Null));
        out.insert("destroy_time".into(), o.get("destroyTime").cloned().unwrap_or(Json::Null));
        Ok(Some(Json::Object(out)))
    }

    async fn set_enabled(client: &Client, name: &str, enabled: bool) -> Result<Json, Error> {
        let verb = if enabled { "enable" } else { "disable" };
        client.call(Method::POST, &client.url(SERVICE, &format!("{name}:{verb}")), Some(&json!({}))).await
    }
}

impl GoogleResource for SecretManagerSecretVersion {
    fn type_name(&self) -> &'static str {
        "google_secret_manager_secret_version"
    }

    fn schema(&self) -> TypeSchema {
        let s = || TypeSpec::String;
        TypeSchema {
            attributes: vec![
                AttrSpec::computed("id", s()),
                AttrSpec::required("secret", s()).force_new(),
                AttrSpec::required("secret_data", s()).force_new().sensitive(),
                AttrSpec::optional_computed("enabled", TypeSpec::Bool),
                AttrSpec::computed("name", s()),
                AttrSpec::computed("version", s()),
                AttrSpec::computed("create_time", s()),
                AttrSpec::computed("destroy_time", s()),
            ],
            blocks: Vec::new(),
        }
    }

    fn plan(&self, _config: &ProviderConfig, prior: Option<&Json>, proposed: Json) -> Result<Json, String> {
        let mut m = object(proposed, self.type_name())?;
        if m.get("enabled").is_none_or(Json::is_null) {
            m.insert("enabled".into(), json!(true));
        }
        for k in ["id", "name", "version", "create_time", "destroy_time"] {
            if let Some(v) = prior.and_then(|p| p.get(k)).filter(|v| !v.is_null()) {
                m.insert(k.into(), v.clone());
            }
        }
        Ok(Json::Object(m))
    }

    fn read<'a>(&'a self, client: &'a Client, state: &'a Json) -> BoxFuture<'a, Result<Option<Json>, Error>> {
        Box::pin(async move {
            let name = req_str(state, "name")?;
            match client.get_opt(&client.url(SERVICE, name)).await? {
                Some(api) => Self::to_state(client, &api, Some(state), opt_str(state, "secret")).await,
                None => Ok(None),
            }
        })
    }

    fn create<'a>(&'a self, client: &'a Client, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let secret = req_str(planned, "secret")?;
            let data = planned.get("secret_data").and_then(Json::as_str).ok_or_else(|| Error::Invalid("`secret_data` is required".into()))?;
            let body = json!({ "payload": { "data": base64::engine::general_purpose::STANDARD.encode(data.as_bytes()) } });
            let url = client.url(SERVICE, &format!("{secret}:addVersion"));
            let mut api = client.call(Method::POST, &url, Some(&body)).await?;
            if opt_bool(planned, "enabled") == Some(false) {
                let name = req_str(&api, "name")?.to_string();
                api = Self::set_enabled(client, &name, false).await?;
            }
            Self::to_state(client, &api, Some(planned), Some(secret))
                .await?
                .ok_or_else(|| Error::Invalid(format!("secret version of {secret} was destroyed right after it was added")))
        })
    }

    fn update<'a>(&'a self, client: &'a Client, prior: &'a Json, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let name = req_str(prior, "name")?;
            let want = opt_bool(planned, "enabled").unwrap_or(true);
            let api = if opt_bool(prior, "enabled") != Some(want) {
                Self::set_enabled(client, name, want).await?
            } else {
                client.call(Method::GET, &client.url(SERVICE, name), None).await?
            };
            Self::to_state(client, &api, Some(planned), opt_str(planned, "secret"))
                .await?
                .ok_or_else(|| Error::Invalid(format!("secret version {name} is destroyed")))
        })
    }

    fn delete<'a>(&'a self, client: &'a Client, prior: &'a Json) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let name = req_str(prior, "name")?;
            match client.get_opt(&client.url(SERVICE, name)).await? {
                None => return Ok(()),
                Some(v) if v.get("state").and_then(Json::as_str) == Some("DESTROYED") => return Ok(()),
                Some(_) => {}
            }
            match client.request(Method::POST, &client.url(SERVICE, &format!("{name}:destroy")), Some(&json!({}))).await {
                Ok(_) | Err(Error::NotFound) => Ok(()),
                Err(e) => Err(e),
            }
        })
    }

    fn import<'a>(&'a self, client: &'a Client, id: &'a str) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let secret = secret_of(id).ok_or_else(|| {
                Error::Invalid(format!("import ID {id:?}: expected `projects/{{project}}/secrets/{{secret_id}}/versions/{{version}}`"))
            })?;
            let api = client
                .get_opt(&client.url(SERVICE, id))
                .await?
                .ok_or_else(|| Error::Invalid(format!("secret version {id} does not exist")))?;
            Self::to_state(client, &api, None, Some(&secret))
                .await?
                .ok_or_else(|| Error::Invalid(format!("secret version {id} is destroyed")))
        })
    }
}
