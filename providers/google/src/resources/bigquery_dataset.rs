//! `google_bigquery_dataset`: a BigQuery dataset (API v2, synchronous).
//!
//! Create = `POST projects/{p}/datasets`; read = `GET .../datasets/{d}`;
//! update = `PATCH .../datasets/{d}` with `If-Match` (a stale etag is
//! redone, [`super::bigquery::write_if_match`]); delete = `DELETE
//! .../datasets/{d}?deleteContents=` `delete_contents_on_destroy` (a dataset
//! with tables is refused by the API without it).
//!
//! `location` defaults to `US` and compares without case (the API
//! upper-cases multi-regions). `access` is optional and computed: the API
//! gives a dataset created without it default entries (project owners,
//! writers, readers), so a configuration without `access` blocks keeps
//! what was read and never shows a change. `id` =
//! `projects/{p}/datasets/{d}`; import IDs `projects/{p}/datasets/{d}`,
//! `{p}/{d}`, `{d}`.
//!
//! Does not own: the dataset's tables (`bigquery_table.rs`), its IAM
//! policy, encryption, `max_time_travel_hours`, `default_collation`,
//! routines and authorized datasets in `access`.

use super::bigquery::{dataset_url, from_api, import_project, to_api, write_if_match, SERVICE};
use super::{
    api_object, blocks, complete, effective_labels, encode, fill_project, import_id, keep_prior, label_attrs, labels_patch,
    object, opt_bool, opt_str, plan_labels, project_of, read_labels, req_str, to_json_map,
};
use crate::client::Method;
use crate::{AttrSpec, BlockSpec, BoxFuture, Client, Error, GoogleResource, Json, Nesting, ProviderConfig, TypeSchema, TypeSpec};
use serde_json::{json, Map};

const TYPE_NAME: &str = "google_bigquery_dataset";

pub struct BigqueryDataset;

/// `(terraform name, API name)` of an access entry's string fields.
const ACCESS_FIELDS: &[(&str, &str)] = &[
    ("role", "role"),
    ("user_by_email", "userByEmail"),
    ("group_by_email", "groupByEmail"),
    ("special_group", "specialGroup"),
    ("domain", "domain"),
    ("iam_member", "iamMember"),
];

/// An `access` block as the API's entry.
fn access_to_api(a: &Json) -> Json {
    let mut out = Map::new();
    for (tf, api) in ACCESS_FIELDS {
        if let Some(v) = opt_str(a, tf) {
            out.insert((*api).into(), json!(v));
        }
    }
    if let Some(v) = super::block(a, "view") {
        out.insert(
            "view".into(),
            json!({ "projectId": opt_str(v, "project_id"), "datasetId": opt_str(v, "dataset_id"), "tableId": opt_str(v, "table_id") }),
        );
    }
    Json::Object(out)
}

/// An API access entry as an `access` block (every field present).
fn access_from_api(e: &Json) -> Json {
    let mut out = Map::new();
    for (tf, api) in ACCESS_FIELDS {
        out.insert((*tf).into(), e.get(*api).and_then(Json::as_str).filter(|s| !s.is_empty()).map(|s| json!(s)).unwrap_or(Json::Null));
    }
    let view = match e.get("view").filter(|v| v.is_object()) {
        Some(v) => json!([{ "project_id": v.get("projectId"), "dataset_id": v.get("datasetId"), "table_id": v.get("tableId") }]),
        None => json!([]),
    };
    out.insert("view".into(), view);
    Json::Object(out)
}

/// The configured `access` blocks in the form a read gives back; `None`
/// when there are none (the API's, or the prior state's, stand).
fn planned_access(v: &Json) -> Option<Json> {
    let list = blocks(v, "access");
    (!list.is_empty()).then(|| Json::Array(list.into_iter().map(|a| access_from_api(&access_to_api(a))).collect()))
}

/// The Terraform object for an API dataset. `base` gives what the API does
/// not hold (`delete_contents_on_destroy`, the spelling of `location`,
/// which labels are managed).
fn to_state(client: &Client, api: &Json, base: Option<&Json>, project: &str) -> Result<Json, Error> {
    let o = api_object(api, "BigQuery dataset")?;
    let d = o
        .get("datasetReference")
        .and_then(|r| r.get("datasetId"))
        .and_then(Json::as_str)
        .ok_or_else(|| Error::Invalid("BigQuery dataset: answer without a datasetReference.datasetId".into()))?;
    let location = super::spelling_of(base, "location", o.get("location").and_then(Json::as_str).unwrap_or("US"));
    let access: Vec<Json> = o.get("access").and_then(Json::as_array).map(|a| a.iter().map(access_from_api).collect()).unwrap_or_default();
    let mut out = Map::new();
    out.insert("id".into(), json!(format!("projects/{project}/datasets/{d}")));
    out.insert("dataset_id".into(), json!(d));
    out.insert("project".into(), json!(project));
    out.insert("location".into(), json!(location));
    from_api(o, &mut out, STRINGS, INTS);
    from_api(o, &mut out, &[], &[("creation_time", "creationTime"), ("last_modified_time", "lastModifiedTime")]);
    out.insert("access".into(), Json::Array(access));
    out.insert("delete_contents_on_destroy".into(), json!(base.and_then(|b| opt_bool(b, "delete_contents_on_destroy")).unwrap_or(false)));
    out.insert("etag".into(), o.get("etag").cloned().unwrap_or(Json::Null));
    out.insert("self_link".into(), o.get("selfLink").cloned().unwrap_or(Json::Null));
    read_labels(client, o.get("labels"), base, &mut out);
    Ok(Json::Object(out))
}

/// The dataset's plain string arguments: `(terraform name, API name)`.
const STRINGS: &[(&str, &str)] = &[("friendly_name", "friendlyName"), ("description", "description")];

/// The dataset's int64 arguments.
const INTS: &[(&str, &str)] =
    &[("default_table_expiration_ms", "defaultTableExpirationMs"), ("default_partition_expiration_ms", "defaultPartitionExpirationMs")];

impl GoogleResource for BigqueryDataset {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn changes_on_write(&self) -> &'static [&'static str] {
        &["etag", "last_modified_time"]
    }

    fn schema(&self) -> TypeSchema {
        let s = || TypeSpec::String;
        let n = || TypeSpec::Number;
        let mut attributes = vec![
            AttrSpec::computed("id", s()),
            AttrSpec::required("dataset_id", s()).force_new(),
            AttrSpec::optional_computed("project", s()).force_new(),
            AttrSpec::optional_computed("location", s()).force_new(),
            AttrSpec::optional("friendly_name", s()),
            AttrSpec::optional("description", s()),
            AttrSpec::optional("default_table_expiration_ms", n()),
            AttrSpec::optional("default_partition_expiration_ms", n()),
            AttrSpec::optional("delete_contents_on_destroy", TypeSpec::Bool),
            AttrSpec::computed("etag", s()),
            AttrSpec::computed("creation_time", n()),
            AttrSpec::computed("last_modified_time", n()),
            AttrSpec::computed("self_link", s()),
        ];
        attributes.extend(label_attrs());
        let view = TypeSchema {
            attributes: vec![AttrSpec::required("project_id", s()), AttrSpec::required("dataset_id", s()), AttrSpec::required("table_id", s())],
            blocks: Vec::new(),
        };
        let mut access_attrs: Vec<AttrSpec> = ACCESS_FIELDS.iter().map(|(tf, _)| AttrSpec::optional(tf, s())).collect();
        access_attrs[0] = AttrSpec::optional_computed("role", s());
        let access = TypeSchema {
            attributes: access_attrs,
            blocks: vec![BlockSpec { name: "view", nesting: Nesting::List, min_items: 0, max_items: 1, schema: view, force_new: false }],
        };
        TypeSchema {
            attributes,
            blocks: vec![BlockSpec { name: "access", nesting: Nesting::Set, min_items: 0, max_items: 0, schema: access, force_new: false }],
        }
    }

    fn plan(&self, config: &ProviderConfig, prior: Option<&Json>, proposed: Json) -> Result<Json, String> {
        let mut m = object(proposed, TYPE_NAME)?;
        fill_project(config, prior, &mut m)?;
        if m.get("location").is_none_or(Json::is_null) {
            let l = prior.and_then(|p| opt_str(p, "location")).unwrap_or("US");
            m.insert("location".into(), json!(l));
        }
        super::keep_prior_case(prior, &mut m, "location");
        if m.get("delete_contents_on_destroy").is_none_or(Json::is_null) {
            m.insert("delete_contents_on_destroy".into(), json!(false));
        }
        // Optional and computed: no blocks keep what the API gave.
        let whole = Json::Object(m.clone());
        let access = match planned_access(&whole) {
            Some(a) => a,
            None => prior.and_then(|p| p.get("access")).filter(|a| a.is_array()).cloned().unwrap_or(json!([])),
        };
        m.insert("access".into(), access);
        plan_labels(config, &mut m);
        keep_prior(&mut m, prior, &["etag", "creation_time", "last_modified_time", "self_link"]);
        complete(&self.schema(), &mut m);
        let known = |k: &str| m.get(k).and_then(Json::as_str).filter(|s| !s.is_empty()).map(str::to_string);
        if let (Some(p), Some(d)) = (known("project"), known("dataset_id")) {
            m.insert("id".into(), json!(format!("projects/{p}/datasets/{d}")));
        }
        Ok(Json::Object(m))
    }

    fn read<'a>(&'a self, client: &'a Client, state: &'a Json) -> BoxFuture<'a, Result<Option<Json>, Error>> {
        Box::pin(async move {
            let project = project_of(client, state)?;
            let d = req_str(state, "dataset_id")?;
            match client.get_opt(&dataset_url(client, project, d)).await? {
                Some(api) => to_state(client, &api, Some(state), project).map(Some),
                None => Ok(None),
            }
        })
    }

    fn create<'a>(&'a self, client: &'a Client, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let project = project_of(client, planned)?;
            let d = req_str(planned, "dataset_id")?;
            let mut body = Map::new();
            body.insert("datasetReference".into(), json!({ "projectId": project, "datasetId": d }));
            body.insert("location".into(), json!(opt_str(planned, "location").unwrap_or("US")));
            to_api(planned, &mut body, STRINGS, INTS);
            body.retain(|_, v| !v.is_null());
            let labels = effective_labels(client, planned);
            if !labels.is_empty() {
                body.insert("labels".into(), to_json_map(&labels));
            }
            let access: Vec<Json> = blocks(planned, "access").into_iter().map(access_to_api).collect();
            if !access.is_empty() {
                body.insert("access".into(), Json::Array(access));
            }
            let url = client.url(SERVICE, &format!("projects/{}/datasets", encode(project)));
            let api = client.call(Method::POST, &url, Some(&Json::Object(body))).await?;
            to_state(client, &api, Some(planned), project)
        })
    }

    fn update<'a>(&'a self, client: &'a Client, prior: &'a Json, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let project = project_of(client, planned)?;
            let d = req_str(planned, "dataset_id")?;
            let mut body = Map::new();
            to_api(planned, &mut body, STRINGS, INTS);
            if let Some(l) = labels_patch(client, prior, planned) {
                body.insert("labels".into(), l);
            }
            if planned.get("access") != prior.get("access") {
                let access: Vec<Json> = blocks(planned, "access").into_iter().map(access_to_api).collect();
                body.insert("access".into(), Json::Array(access));
            }
            let api = write_if_match(client, Method::PATCH, &dataset_url(client, project, d), &Json::Object(body), prior).await?;
            to_state(client, &api, Some(planned), project)
        })
    }

    fn delete<'a>(&'a self, client: &'a Client, prior: &'a Json) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let project = project_of(client, prior)?;
            let d = req_str(prior, "dataset_id")?;
            let contents = opt_bool(prior, "delete_contents_on_destroy").unwrap_or(false);
            let url = format!("{}?deleteContents={contents}", dataset_url(client, project, d));
            match client.request(Method::DELETE, &url, None).await {
                Ok(_) | Err(Error::NotFound) => Ok(()),
                Err(e) if !contents && e.to_string().contains("still in use") => Err(Error::Invalid(format!(
                    "{TYPE_NAME}: dataset {project}:{d} still holds tables; delete them first, or set delete_contents_on_destroy = true ({e})"
                ))),
                Err(e) => Err(e),
            }
        })
    }

    fn import<'a>(&'a self, client: &'a Client, id: &'a str) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let parts = import_id(TYPE_NAME, id, &["projects/{project}/datasets/{dataset}", "{project}/{dataset}", "{dataset}"])?;
            let project = import_project(client, &parts)?;
            let d = parts.get("dataset").map(String::as_str).unwrap_or_default();
            match client.get_opt(&dataset_url(client, &project, d)).await? {
                Some(api) => to_state(client, &api, None, &project),
                None => Err(Error::Invalid(format!("{TYPE_NAME}: dataset {d} does not exist in project {project}"))),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_defaults_and_keeps_the_apis_access() {
        let config = ProviderConfig { project: Some("p".into()), ..Default::default() };
        let fresh = BigqueryDataset.plan(&config, None, json!({ "dataset_id": "d" })).unwrap();
        assert_eq!((fresh["location"].as_str(), fresh["id"].as_str()), (Some("US"), Some("projects/p/datasets/d")));
        let client = Client::new(config.clone());
        let api = json!({ "datasetReference": { "projectId": "p", "datasetId": "d" }, "location": "US", "etag": "e1",
                          "access": [{ "role": "OWNER", "specialGroup": "projectOwners" }], "creationTime": "17" });
        let state = to_state(&client, &api, Some(&json!({ "location": "us" })), "p").unwrap();
        assert_eq!(state["location"], "us");
        assert_eq!(state["creation_time"], 17);
        let planned = BigqueryDataset.plan(&config, Some(&state), json!({ "dataset_id": "d", "location": "US" })).unwrap();
        assert_eq!(planned["access"], state["access"]);
        assert_eq!(planned["location"], "us");
    }
}
