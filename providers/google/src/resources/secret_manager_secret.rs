//! `google_secret_manager_secret`: a Secret Manager secret (v1, synchronous;
//! global secrets only).
//!
//! Create = `POST v1/projects/{p}/secrets?secretId={id}`; read = `GET
//! v1/projects/{p}/secrets/{id}`; update = `PATCH ...?updateMask=labels`
//! (labels are the only updatable argument here; `replication` forces a new
//! secret); delete = `DELETE` (refused while `deletion_protection`). `id`:
//! `projects/{p}/secrets/{id}`; `name` is the API's, with the project
//! number. Import IDs: `projects/{p}/secrets/{s}`, `{p}/{s}`, `{s}`.

use super::{
    api_object, block, blocks, effective_labels, encode, fill_project, label_attrs, object, opt_bool, plan_labels,
    project_of, read_labels, req_str,
};
use crate::client::Method;
use crate::{AttrSpec, BlockSpec, BoxFuture, Client, Error, GoogleResource, Json, Nesting, ProviderConfig, TypeSchema, TypeSpec};
use serde_json::{json, Map};

const SERVICE: &str = "secretmanager";

pub struct SecretManagerSecret;

/// The `replication` block as the API's `replication`.
fn replication_api(v: &Json) -> Result<Json, Error> {
    let r = block(v, "replication").ok_or_else(|| Error::Invalid("`replication` is required".into()))?;
    if let Some(um) = block(r, "user_managed") {
        let replicas: Vec<Json> = blocks(um, "replicas")
            .into_iter()
            .map(|x| req_str(x, "location").map(|l| json!({ "location": l })))
            .collect::<Result<_, _>>()?;
        if replicas.is_empty() {
            return Err(Error::Invalid("replication.user_managed needs at least one `replicas` block".into()));
        }
        return Ok(json!({ "userManaged": { "replicas": replicas } }));
    }
    Ok(json!({ "automatic": {} }))
}

/// The API's `replication` as the `replication` block.
fn replication_tf(api: &Json) -> Json {
    match api.get("userManaged") {
        Some(um) => {
            let replicas: Vec<Json> = um
                .get("replicas")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
                .map(|r| json!({ "location": r.get("location").and_then(Json::as_str) }))
                .collect();
            json!([{ "auto": [], "user_managed": [{ "replicas": replicas }] }])
        }
        None => json!([{ "auto": [{}], "user_managed": [] }]),
    }
}

fn to_state(client: &Client, api: &Json, base: Option<&Json>, project: &str, secret_id: &str) -> Result<Json, Error> {
    let o = api_object(api, "secret")?;
    let name = o.get("name").and_then(Json::as_str).ok_or_else(|| Error::Invalid("secret: answer without a name".into()))?;
    let mut out = Map::new();
    out.insert("id".into(), json!(format!("projects/{project}/secrets/{secret_id}")));
    out.insert("secret_id".into(), json!(secret_id));
    out.insert("project".into(), json!(project));
    out.insert("name".into(), json!(name));
    out.insert("replication".into(), replication_tf(o.get("replication").unwrap_or(&Json::Null)));
    out.insert("create_time".into(), o.get("createTime").cloned().unwrap_or(Json::Null));
    out.insert("deletion_protection".into(), json!(base.and_then(|b| opt_bool(b, "deletion_protection")).unwrap_or(false)));
    read_labels(client, o.get("labels"), base, &mut out);
    Ok(Json::Object(out))
}

fn secret_url(client: &Client, project: &str, secret_id: &str) -> String {
    client.url(SERVICE, &format!("projects/{}/secrets/{}", encode(project), encode(secret_id)))
}

/// `(project, secret_id)` of an import ID.
fn parse_id(client: &Client, id: &str) -> Result<(String, String), Error> {
    let parts: Vec<&str> = id.split('/').collect();
    match parts.as_slice() {
        ["projects", p, "secrets", s] | [p, s] if !p.is_empty() && !s.is_empty() => Ok((p.to_string(), s.to_string())),
        [s] if !s.is_empty() => Ok((client.default_project()?.to_string(), s.to_string())),
        _ => Err(Error::Invalid(format!("import ID {id:?}: expected `projects/{{project}}/secrets/{{secret_id}}`, `{{project}}/{{secret_id}}` or `{{secret_id}}`"))),
    }
}

impl GoogleResource for SecretManagerSecret {
    fn type_name(&self) -> &'static str {
        "google_secret_manager_secret"
    }

    fn schema(&self) -> TypeSchema {
        let s = || TypeSpec::String;
        let mut attributes = vec![
            AttrSpec::computed("id", s()),
            AttrSpec::required("secret_id", s()).force_new(),
            AttrSpec::optional_computed("project", s()).force_new(),
            AttrSpec::computed("name", s()),
            AttrSpec::computed("create_time", s()),
            AttrSpec::optional("deletion_protection", TypeSpec::Bool),
        ];
        attributes.extend(label_attrs());
        let empty = TypeSchema::default();
        let replicas = TypeSchema { attributes: vec![AttrSpec::required("location", s()).force_new()], blocks: Vec::new() };
        let user_managed = TypeSchema {
            attributes: Vec::new(),
            blocks: vec![BlockSpec { name: "replicas", nesting: Nesting::List, min_items: 1, max_items: 0, schema: replicas, force_new: true }],
        };
        let replication = TypeSchema {
            attributes: Vec::new(),
            blocks: vec![
                BlockSpec { name: "auto", nesting: Nesting::List, min_items: 0, max_items: 1, schema: empty, force_new: true },
                BlockSpec { name: "user_managed", nesting: Nesting::List, min_items: 0, max_items: 1, schema: user_managed, force_new: true },
            ],
        };
        TypeSchema {
            attributes,
            blocks: vec![BlockSpec { name: "replication", nesting: Nesting::List, min_items: 1, max_items: 1, schema: replication, force_new: true }],
        }
    }

    fn plan(&self, config: &ProviderConfig, prior: Option<&Json>, proposed: Json) -> Result<Json, String> {
        let mut m = object(proposed, self.type_name())?;
        fill_project(config, prior, &mut m)?;
        if m.get("deletion_protection").is_none_or(Json::is_null) {
            m.insert("deletion_protection".into(), json!(false));
        }
        // Replication in the canonical form a read gives back.
        let whole = Json::Object(m.clone());
        if block(&whole, "replication").is_some() {
            let api = replication_api(&whole).map_err(|e| e.to_string())?;
            m.insert("replication".into(), replication_tf(&api));
        }
        plan_labels(config, &mut m);
        if let (Some(p), Some(s)) = (m.get("project").and_then(Json::as_str), m.get("secret_id").and_then(Json::as_str)) {
            let id = format!("projects/{p}/secrets/{s}");
            m.insert("id".into(), json!(id));
        }
        for k in ["name", "create_time"] {
            if let Some(v) = prior.and_then(|p| p.get(k)).filter(|v| !v.is_null()) {
                m.insert(k.into(), v.clone());
            }
        }
        Ok(Json::Object(m))
    }

    fn read<'a>(&'a self, client: &'a Client, state: &'a Json) -> BoxFuture<'a, Result<Option<Json>, Error>> {
        Box::pin(async move {
            let project = project_of(client, state)?;
            let secret_id = req_str(state, "secret_id")?;
            match client.get_opt(&secret_url(client, project, secret_id)).await? {
                Some(api) => to_state(client, &api, Some(state), project, secret_id).map(Some),
                None => Ok(None),
            }
        })
    }

    fn create<'a>(&'a self, client: &'a Client, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let project = project_of(client, planned)?;
            let secret_id = req_str(planned, "secret_id")?;
            let mut body = json!({ "replication": replication_api(planned)? });
            let labels = effective_labels(client, planned);
            if !labels.is_empty() {
                body["labels"] = Json::Object(labels.iter().map(|(k, v)| (k.clone(), json!(v))).collect());
            }
            let url = client.url(SERVICE, &format!("projects/{}/secrets?secretId={}", encode(project), encode(secret_id)));
            let api = client.call(Method::POST, &url, Some(&body)).await?;
            to_state(client, &api, Some(planned), project, secret_id)
        })
    }

    fn update<'a>(&'a self, client: &'a Client, prior: &'a Json, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let project = project_of(client, planned)?;
            let secret_id = req_str(planned, "secret_id")?;
            let labels = effective_labels(client, planned);
            let url = secret_url(client, project, secret_id);
            let api = if labels != super::string_map(prior, "effective_labels") {
                let body = json!({ "labels": Json::Object(labels.iter().map(|(k, v)| (k.clone(), json!(v))).collect()) });
                client.call(Method::PATCH, &format!("{url}?updateMask=labels"), Some(&body)).await?
            } else {
                client.call(Method::GET, &url, None).await?
            };
            to_state(client, &api, Some(planned), project, secret_id)
        })
    }

    fn delete<'a>(&'a self, client: &'a Client, prior: &'a Json) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let project = project_of(client, prior)?;
            let secret_id = req_str(prior, "secret_id")?;
            if opt_bool(prior, "deletion_protection") == Some(true) {
                return Err(Error::Invalid(format!(
                    "secret {secret_id} has deletion_protection = true: set it to false and apply before destroying"
                )));
            }
            match client.request(Method::DELETE, &secret_url(client, project, secret_id), None).await {
                Ok(_) | Err(Error::NotFound) => Ok(()),
                Err(e) => Err(e),
            }
        })
    }

    fn import<'a>(&'a self, client: &'a Client, id: &'a str) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let (project, secret_id) = parse_id(client, id)?;
            match client.get_opt(&secret_url(client, &project, &secret_id)).await? {
                Some(api) => to_state(client, &api, None, &project, &secret_id),
                None => Err(Error::Invalid(format!("secret {id} does not exist"))),
            }
        })
    }
}
