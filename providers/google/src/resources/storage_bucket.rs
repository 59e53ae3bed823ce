//! `google_storage_bucket`: a Cloud Storage bucket (JSON API v1, synchronous).
//!
//! Create = `POST b?project={p}`, then a GET retried while it is 404
//! (Google's brief inconsistency after a create); read = `GET b/{name}`;
//! update = `PATCH b/{name}` with the changed sub-objects only (labels
//! removed by `null`, as a JSON merge patch); delete lists every object
//! version first: with `force_destroy` they are deleted, else a non-empty
//! bucket is a clear error. `location` is upper-cased by the API, so it is
//! compared without case and keeps the user's spelling. `id` and import ID:
//! the bucket name (`{project}/{name}` is also accepted on import).

use super::{
    api_object, block, blocks, effective_labels, encode, fill_project, int_of, label_attrs, object, opt_bool, opt_str,
    plan_labels, project_of, read_labels, req_str, string_map,
};
use crate::client::Method;
use crate::{AttrSpec, BlockSpec, BoxFuture, Client, Error, GoogleResource, Json, Nesting, ProviderConfig, TypeSchema, TypeSpec};
use serde_json::{json, Map};
use std::time::{Duration, Instant};

const SERVICE: &str = "storage";
/// How long a GET right after a create or update may be 404.
const CONSISTENCY: Duration = Duration::from_secs(60);

pub struct StorageBucket;

/// `(terraform name, API name, kind)` of a lifecycle condition's fields.
const CONDITION_FIELDS: &[(&str, &str, Kind)] = &[
    ("age", "age", Kind::Int),
    ("created_before", "createdBefore", Kind::Str),
    ("matches_storage_class", "matchesStorageClass", Kind::List),
    ("num_newer_versions", "numNewerVersions", Kind::Int),
    ("matches_prefix", "matchesPrefix", Kind::List),
    ("matches_suffix", "matchesSuffix", Kind::List),
    ("days_since_noncurrent_time", "daysSinceNoncurrentTime", Kind::Int),
    ("noncurrent_time_before", "noncurrentTimeBefore", Kind::Str),
    ("days_since_custom_time", "daysSinceCustomTime", Kind::Int),
    ("custom_time_before", "customTimeBefore", Kind::Str),
];

#[derive(Clone, Copy)]
enum Kind {
    Int,
    Str,
    List,
}

/// One `lifecycle_rule` block as the API's `lifecycle.rule[]` entry.
fn rule_to_api(rule: &Json) -> Json {
    let mut action = Map::new();
    if let Some(a) = block(rule, "action") {
        if let Some(t) = opt_str(a, "type") {
            action.insert("type".into(), json!(t));
        }
        if let Some(c) = opt_str(a, "storage_class") {
            action.insert("storageClass".into(), json!(c));
        }
    }
    let mut condition = Map::new();
    if let Some(c) = block(rule, "condition") {
        for (tf, api, kind) in CONDITION_FIELDS {
            let Some(v) = c.get(*tf).filter(|v| !v.is_null()) else { continue };
            match kind {
                Kind::Int => {
                    if let Some(i) = int_of(v) {
                        condition.insert((*api).into(), json!(i));
                    }
                }
                Kind::Str => {
                    if let Some(s) = v.as_str().filter(|s| !s.is_empty()) {
                        condition.insert((*api).into(), json!(s));
                    }
                }
                Kind::List => {
                    if let Some(a) = v.as_array().filter(|a| !a.is_empty()) {
                        condition.insert((*api).into(), Json::Array(a.clone()));
                    }
                }
            }
        }
        match opt_str(c, "with_state") {
            Some("LIVE") => {
                condition.insert("isLive".into(), json!(true));
            }
            Some("ARCHIVED") => {
                condition.insert("isLive".into(), json!(false));
            }
            _ => {}
        }
    }
    json!({ "action": action, "condition": condition })
}

/// An API lifecycle rule as a `lifecycle_rule` block (every field present).
fn rule_from_api(rule: &Json) -> Json {
    let a = rule.get("action").unwrap_or(&Json::Null);
    let c = rule.get("condition").unwrap_or(&Json::Null);
    let mut cond = Map::new();
    for (tf, api, kind) in CONDITION_FIELDS {
        let v = c.get(*api).unwrap_or(&Json::Null);
        let out = match kind {
            Kind::Int => int_of(v).map(|i| json!(i)).unwrap_or(Json::Null),
            Kind::Str => v.as_str().map(|s| json!(s)).unwrap_or(Json::Null),
            Kind::List => v.as_array().filter(|a| !a.is_empty()).map(|a| Json::Array(a.clone())).unwrap_or(Json::Null),
        };
        cond.insert((*tf).into(), out);
    }
    let with_state = match c.get("isLive").and_then(Json::as_bool) {
        Some(true) => "LIVE",
        Some(false) => "ARCHIVED",
        None => "ANY",
    };
    cond.insert("with_state".into(), json!(with_state));
    json!({
        "action": [{
            "type": a.get("type").and_then(Json::as_str),
            "storage_class": a.get("storageClass").and_then(Json::as_str),
        }],
        "condition": [Json::Object(cond)],
    })
}

fn lifecycle_api(v: &Json) -> Json {
    json!({ "rule": blocks(v, "lifecycle_rule").into_iter().map(rule_to_api).collect::<Vec<_>>() })
}

fn iam_api(v: &Json) -> Json {
    let mut iam = json!({
        "uniformBucketLevelAccess": { "enabled": opt_bool(v, "uniform_bucket_level_access").unwrap_or(false) },
    });
    if let Some(p) = opt_str(v, "public_access_prevention") {
        iam["publicAccessPrevention"] = json!(p);
    }
    iam
}

fn versioning_api(v: &Json) -> Json {
    json!({ "enabled": block(v, "versioning").and_then(|b| opt_bool(b, "enabled")).unwrap_or(false) })
}

fn labels_json(m: &std::collections::BTreeMap<String, String>) -> Json {
    Json::Object(m.iter().map(|(k, v)| (k.clone(), json!(v))).collect())
}

/// The Terraform object for an API bucket. `base` (the planned or prior
/// object) gives what the API does not hold: `project`, `force_destroy`,
/// the spelling of `location`, and which labels are managed.
fn to_state(client: &Client, api: &Json, base: Option<&Json>, project: &str) -> Result<Json, Error> {
    let o = api_object(api, "storage bucket")?;
    let name = o.get("name").and_then(Json::as_str).ok_or_else(|| Error::Invalid("storage bucket: answer without a name".into()))?;
    let api_loc = o.get("location").and_then(Json::as_str).unwrap_or("");
    let location = match base.and_then(|b| opt_str(b, "location")) {
        Some(l) if l.eq_ignore_ascii_case(api_loc) => l.to_string(),
        _ => api_loc.to_string(),
    };
    let iam = o.get("iamConfiguration").unwrap_or(&Json::Null);
    let prior_versioning = base.and_then(|b| block(b, "versioning")).is_some();
    let versioning = match o.get("versioning").and_then(|v| v.get("enabled")).and_then(Json::as_bool) {
        Some(true) => json!([{ "enabled": true }]),
        Some(false) if prior_versioning => json!([{ "enabled": false }]),
        _ => json!([]),
    };
    let rules: Vec<Json> = o
        .get("lifecycle")
        .and_then(|l| l.get("rule"))
        .and_then(Json::as_array)
        .map(|a| a.iter().map(rule_from_api).collect())
        .unwrap_or_default();
    let project_number = o.get("projectNumber").and_then(int_of);
    let mut out = Map::new();
    out.insert("id".into(), json!(name));
    out.insert("name".into(), json!(name));
    out.insert("location".into(), json!(location));
    out.insert("project".into(), json!(project));
    out.insert("storage_class".into(), o.get("storageClass").cloned().unwrap_or(json!("STANDARD")));
    out.insert("force_destroy".into(), json!(base.and_then(|b| opt_bool(b, "force_destroy")).unwrap_or(false)));
    out.insert(
        "uniform_bucket_level_access".into(),
        json!(iam.pointer("/uniformBucketLevelAccess/enabled").and_then(Json::as_bool).unwrap_or(false)),
    );
    out.insert(
        "public_access_prevention".into(),
        json!(iam.get("publicAccessPrevention").and_then(Json::as_str).unwrap_or("inherited")),
    );
    out.insert("versioning".into(), versioning);
    out.insert("lifecycle_rule".into(), Json::Array(rules));
    read_labels(client, o.get("labels"), base, &mut out);
    out.insert("self_link".into(), o.get("selfLink").cloned().unwrap_or_else(|| json!(format!("https://www.googleapis.com/storage/v1/b/{name}"))));
    out.insert("url".into(), json!(format!("gs://{name}")));
    out.insert("project_number".into(), project_number.map(|n| json!(n)).unwrap_or(Json::Null));
    Ok(Json::Object(out))
}

impl StorageBucket {
    /// GET the bucket, retrying a 404 for a while (after a create/update).
    async fn get_consistent(client: &Client, name: &str) -> Result<Json, Error> {
        let url = client.url(SERVICE, &format!("b/{}", encode(name)));
        let deadline = Instant::now() + CONSISTENCY;
        let mut wait = Duration::from_millis(200);
        loop {
            match client.call(Method::GET, &url, None).await {
                Err(Error::NotFound) if Instant::now() + wait < deadline => {
                    tracing::debug!(url, retry = "404 right after a write (eventual consistency)", "google call retried");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(5));
                }
                other => return other,
            }
        }
    }

    /// Every object generation in the bucket: `(name, generation)`.
    async fn objects(client: &Client, bucket: &str) -> Result<Vec<(String, Option<String>)>, Error> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut path = format!("b/{}/o?versions=true&maxResults=1000", encode(bucket));
            if let Some(t) = &token {
                path.push_str(&format!("&pageToken={}", encode(t)));
            }
            let page = client.call(Method::GET, &client.url(SERVICE, &path), None).await?;
            for item in page.get("items").and_then(Json::as_array).into_iter().flatten() {
                let Some(name) = item.get("name").and_then(Json::as_str) else {
                    return Err(Error::Invalid(format!("objects of bucket {bucket}: an item without a name")));
                };
                let generation = item.get("generation").and_then(|g| int_of(g).map(|i| i.to_string()));
                out.push((name.to_string(), generation));
            }
            match page.get("nextPageToken").and_then(Json::as_str) {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok(out),
            }
        }
    }
}

impl GoogleResource for StorageBucket {
    fn type_name(&self) -> &'static str {
        "google_storage_bucket"
    }

    fn schema(&self) -> TypeSchema {
        let s = || TypeSpec::String;
        let n = || TypeSpec::Number;
        let list = || TypeSpec::List(Box::new(TypeSpec::String));
        let mut attributes = vec![
            AttrSpec::computed("id", s()),
            AttrSpec::required("name", s()).force_new(),
            AttrSpec::required("location", s()).force_new(),
            AttrSpec::optional_computed("project", s()).force_new(),
            AttrSpec::optional_computed("storage_class", s()),
            AttrSpec::optional("force_destroy", TypeSpec::Bool),
            AttrSpec::optional_computed("uniform_bucket_level_access", TypeSpec::Bool),
            AttrSpec::optional_computed("public_access_prevention", s()),
            AttrSpec::computed("self_link", s()),
            AttrSpec::computed("url", s()),
            AttrSpec::computed("project_number", n()),
        ];
        attributes.extend(label_attrs());
        let single = |name, schema| BlockSpec { name, nesting: Nesting::List, min_items: 1, max_items: 1, schema, force_new: false };
        let condition = TypeSchema {
            attributes: vec![
                AttrSpec::optional("age", n()),
                AttrSpec::optional("created_before", s()),
                AttrSpec::optional_computed("with_state", s()),
                AttrSpec::optional("matches_storage_class", list()),
                AttrSpec::optional("num_newer_versions", n()),
                AttrSpec::optional("matches_prefix", list()),
                AttrSpec::optional("matches_suffix", list()),
                AttrSpec::optional("days_since_noncurrent_time", n()),
                AttrSpec::optional("noncurrent_time_before", s()),
                AttrSpec::optional("days_since_custom_time", n()),
                AttrSpec::optional("custom_time_before", s()),
            ],
            blocks: Vec::new(),
        };
        let action = TypeSchema {
            attributes: vec![AttrSpec::required("type", s()), AttrSpec::optional("storage_class", s())],
            blocks: Vec::new(),
        };
        TypeSchema {
            attributes,
            blocks: vec![
                BlockSpec {
                    name: "versioning",
                    nesting: Nesting::List,
                    min_items: 0,
                    max_items: 1,
                    schema: TypeSchema { attributes: vec![AttrSpec::required("enabled", TypeSpec::Bool)], blocks: Vec::new() },
                    force_new: false,
                },
                BlockSpec {
                    name: "lifecycle_rule",
                    nesting: Nesting::List,
                    min_items: 0,
                    max_items: 100,
                    schema: TypeSchema { attributes: Vec::new(), blocks: vec![single("action", action), single("condition", condition)] },
                    force_new: false,
                },
            ],
        }
    }

    fn plan(&self, config: &ProviderConfig, prior: Option<&Json>, proposed: Json) -> Result<Json, String> {
        let mut m = object(proposed, self.type_name())?;
        fill_project(config, prior, &mut m)?;
        let name = m.get("name").and_then(Json::as_str).map(str::to_string);
        // `us` and `US` are the same location: keep the prior spelling.
        if let (Some(p), Some(l)) = (prior.and_then(|p| opt_str(p, "location")), m.get("location").and_then(Json::as_str)) {
            if p.eq_ignore_ascii_case(l) {
                m.insert("location".into(), json!(p));
            }
        }
        let defaults: [(&str, Json); 3] =
            [("storage_class", json!("STANDARD")), ("uniform_bucket_level_access", json!(false)), ("public_access_prevention", json!("inherited"))];
        for (k, default) in defaults {
            if m.get(k).is_none_or(Json::is_null) {
                let v = prior.and_then(|p| p.get(k)).filter(|v| !v.is_null()).cloned().unwrap_or(default);
                m.insert(k.into(), v);
            }
        }
        if m.get("force_destroy").is_none_or(Json::is_null) {
            m.insert("force_destroy".into(), json!(false));
        }
        // Lifecycle rules in the canonical form a read gives back.
        let whole = Json::Object(m.clone());
        let rules: Vec<Json> = blocks(&whole, "lifecycle_rule").into_iter().map(|r| rule_from_api(&rule_to_api(r))).collect();
        m.insert("lifecycle_rule".into(), Json::Array(rules));
        if m.get("versioning").is_none_or(Json::is_null) {
            m.insert("versioning".into(), json!([]));
        }
        plan_labels(config, &mut m);
        if let Some(n) = name {
            m.insert("id".into(), json!(n));
            m.insert("url".into(), json!(format!("gs://{n}")));
            m.insert("self_link".into(), json!(format!("https://www.googleapis.com/storage/v1/b/{n}")));
        }
        if let Some(pn) = prior.and_then(|p| p.get("project_number")).filter(|v| !v.is_null()) {
            m.insert("project_number".into(), pn.clone());
        }
        Ok(Json::Object(m))
    }

    fn read<'a>(&'a self, client: &'a Client, state: &'a Json) -> BoxFuture<'a, Result<Option<Json>, Error>> {
        Box::pin(async move {
            let name = req_str(state, "name")?;
            let project = project_of(client, state)?;
            match client.get_opt(&client.url(SERVICE, &format!("b/{}", encode(name)))).await? {
                Some(api) => to_state(client, &api, Some(state), project).map(Some),
                None => Ok(None),
            }
        })
    }

    fn create<'a>(&'a self, client: &'a Client, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let name = req_str(planned, "name")?;
            let location = req_str(planned, "location")?;
            let project = project_of(client, planned)?;
            let mut body = json!({
                "name": name,
                "location": location.to_ascii_uppercase(),
                "storageClass": opt_str(planned, "storage_class").unwrap_or("STANDARD"),
                "iamConfiguration": iam_api(planned),
            });
            let labels = effective_labels(client, planned);
            if !labels.is_empty() {
                body["labels"] = labels_json(&labels);
            }
            if block(planned, "versioning").is_some() {
                body["versioning"] = versioning_api(planned);
            }
            if !blocks(planned, "lifecycle_rule").is_empty() {
                body["lifecycle"] = lifecycle_api(planned);
            }
            let url = client.url(SERVICE, &format!("b?project={}", encode(project)));
            client.call(Method::POST, &url, Some(&body)).await?;
            let api = Self::get_consistent(client, name).await?;
            to_state(client, &api, Some(planned), project)
        })
    }

    fn update<'a>(&'a self, client: &'a Client, prior: &'a Json, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let name = req_str(planned, "name")?;
            let project = project_of(client, planned)?;
            let mut patch = Map::new();
            if planned.get("storage_class") != prior.get("storage_class") {
                patch.insert("storageClass".into(), json!(opt_str(planned, "storage_class").unwrap_or("STANDARD")));
            }
            if iam_api(planned) != iam_api(prior) {
                patch.insert("iamConfiguration".into(), iam_api(planned));
            }
            if versioning_api(planned) != versioning_api(prior) {
                patch.insert("versioning".into(), versioning_api(planned));
            }
            if lifecycle_api(planned) != lifecycle_api(prior) {
                patch.insert("lifecycle".into(), lifecycle_api(planned));
            }
            let new_labels = effective_labels(client, planned);
            let old_labels = string_map(prior, "effective_labels");
            if new_labels != old_labels {
                let mut l: Map<String, Json> = new_labels.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
                for k in old_labels.keys().filter(|k| !new_labels.contains_key(*k)) {
                    l.insert(k.clone(), Json::Null);
                }
                patch.insert("labels".into(), Json::Object(l));
            }
            if !patch.is_empty() {
                let url = client.url(SERVICE, &format!("b/{}", encode(name)));
                client.call(Method::PATCH, &url, Some(&Json::Object(patch))).await?;
            }
            let api = Self::get_consistent(client, name).await?;
            to_state(client, &api, Some(planned), project)
        })
    }

    fn delete<'a>(&'a self, client: &'a Client, prior: &'a Json) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let name = req_str(prior, "name")?;
            let objects = match Self::objects(client, name).await {
                Err(Error::NotFound) => return Ok(()),
                other => other?,
            };
            if !objects.is_empty() {
                if opt_bool(prior, "force_destroy") != Some(true) {
                    return Err(Error::Invalid(format!(
                        "bucket {name} is not empty ({} object(s)); set force_destroy = true to delete it with its objects",
                        objects.len()
                    )));
                }
                for (object, generation) in &objects {
                    let mut path = format!("b/{}/o/{}", encode(name), encode(object));
                    if let Some(g) = generation {
                        path.push_str(&format!("?generation={g}"));
                    }
                    match client.request(Method::DELETE, &client.url(SERVICE, &path), None).await {
                        Ok(_) | Err(Error::NotFound) => {}
                        Err(e) => return Err(e),
                    }
                }
            }
            match client.request(Method::DELETE, &client.url(SERVICE, &format!("b/{}", encode(name))), None).await {
                Ok(_) | Err(Error::NotFound) => Ok(()),
                Err(e) => Err(e),
            }
        })
    }

    fn import<'a>(&'a self, client: &'a Client, id: &'a str) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let (project, name) = match id.split_once('/') {
                Some((p, n)) if !p.is_empty() && !n.is_empty() && !n.contains('/') => (Some(p.to_string()), n.to_string()),
                None if !id.is_empty() => (None, id.to_string()),
                _ => return Err(Error::Invalid(format!("import ID {id:?}: expected `{{bucket}}` or `{{project}}/{{bucket}}`"))),
            };
            let project = match project {
                Some(p) => p,
                None => client.default_project()?.to_string(),
            };
            match client.get_opt(&client.url(SERVICE, &format!("b/{}", encode(&name)))).await? {
                Some(api) => to_state(client, &api, None, &project),
                None => Err(Error::Invalid(format!("bucket {name} does not exist"))),
            }
        })
    }
}
