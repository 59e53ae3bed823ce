//! One module per resource type, and the helpers they share: reading
//! Terraform-shaped JSON, filling the provider's project, keeping computed
//! values from the prior state, parsing import IDs by their formats, and
//! labels merged with the provider's `default_labels` (provider 5+
//! semantics). What the Compute Engine types share beyond that is in
//! [`compute`]; what the BigQuery types share, in `bigquery.rs`.
//!
//! IAM types are generic over where the policy lives: `iam.rs` (policy
//! edits and the read-modify-write), `iam_member.rs` and `iam_binding.rs`
//! (the resource types), one target per resource kind (`project_iam.rs`,
//! `storage_bucket_iam.rs`), and a small file per resource type naming its
//! target (`storage_bucket_iam_member.rs`...).

pub mod artifact_registry_repository;
pub(crate) mod bigquery;
pub mod bigquery_dataset;
pub mod bigquery_table;
pub mod cloud_run_v2_service;
pub(crate) mod compute;
pub mod compute_firewall;
pub mod compute_global_address;
pub mod compute_network;
pub mod compute_subnetwork;
pub mod iam;
pub mod iam_binding;
pub mod iam_member;
pub mod project_iam;
pub mod project_iam_binding;
pub mod project_iam_member;
pub mod project_service;
pub mod redis_instance;
pub mod secret_manager_secret;
pub mod secret_manager_secret_version;
pub mod service_account;
pub mod service_networking_connection;
pub mod sql;
pub mod sql_database;
pub mod sql_database_instance;
pub mod sql_user;
pub mod storage_bucket;
pub mod storage_bucket_iam;
pub mod storage_bucket_iam_binding;
pub mod storage_bucket_iam_member;

use crate::client::{NO_LOCATION, NO_PROJECT};
use crate::{AttrSpec, Client, Error, GoogleResource, Json, ProviderConfig, TypeSchema, TypeSpec};
use serde_json::{json, Map};
use std::collections::BTreeMap;

/// Every resource type of this provider.
pub fn all() -> Vec<Box<dyn GoogleResource>> {
    vec![
        Box::new(project_service::ProjectService),
        Box::new(storage_bucket::StorageBucket),
        Box::new(secret_manager_secret::SecretManagerSecret),
        Box::new(secret_manager_secret_version::SecretManagerSecretVersion),
        Box::new(service_account::ServiceAccount),
        Box::new(project_iam_member::RESOURCE),
        Box::new(project_iam_binding::RESOURCE),
        Box::new(storage_bucket_iam_member::RESOURCE),
        Box::new(storage_bucket_iam_binding::RESOURCE),
        Box::new(artifact_registry_repository::ArtifactRegistryRepository),
        Box::new(sql_database_instance::SqlDatabaseInstance),
        Box::new(sql_database::SqlDatabase),
        Box::new(sql_user::SqlUser),
        Box::new(compute_network::ComputeNetwork),
        Box::new(compute_subnetwork::ComputeSubnetwork),
        Box::new(compute_firewall::ComputeFirewall),
        Box::new(compute_global_address::ComputeGlobalAddress),
        Box::new(service_networking_connection::ServiceNetworkingConnection),
        Box::new(redis_instance::RedisInstance),
        Box::new(bigquery_dataset::BigqueryDataset),
        Box::new(bigquery_table::BigqueryTable),
        Box::new(cloud_run_v2_service::CloudRunV2Service),
    ]
}

/// A non-empty string argument.
pub(crate) fn opt_str<'a>(v: &'a Json, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Json::as_str).filter(|s| !s.is_empty())
}

/// A required string argument, or [`Error::Invalid`] naming it.
pub(crate) fn req_str<'a>(v: &'a Json, key: &str) -> Result<&'a str, Error> {
    opt_str(v, key).ok_or_else(|| Error::Invalid(format!("`{key}` is required")))
}

pub(crate) fn opt_bool(v: &Json, key: &str) -> Option<bool> {
    v.get(key).and_then(Json::as_bool)
}

/// A whole number, as JSON may carry it: `5`, `5.0` (from the engine's
/// numbers) or `"5"` (an API's int64).
pub(crate) fn int_of(v: &Json) -> Option<i64> {
    match v {
        Json::Number(n) => n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Json::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// Gives each of `keys` that the planned object `m` leaves unset (null or
/// absent) its value in `prior`: computed attributes keep what the last
/// read saw.
pub(crate) fn keep_prior(m: &mut Map<String, Json>, prior: Option<&Json>, keys: &[&str]) {
    let Some(prior) = prior else { return };
    for k in keys {
        if m.get(*k).is_none_or(Json::is_null) {
            if let Some(v) = prior.get(*k) {
                m.insert((*k).to_string(), v.clone());
            }
        }
    }
}

/// The parts of an import ID by the first of `formats` it fits: a format
/// is `/`-separated literal segments and `{name}`s, each `{name}` taking
/// one non-empty segment (`projects/{project}/instances/{name}`).
pub(crate) fn import_id(type_name: &str, id: &str, formats: &[&str]) -> Result<BTreeMap<String, String>, Error> {
    let parts: Vec<&str> = id.split('/').collect();
    for format in formats {
        let pattern: Vec<&str> = format.split('/').collect();
        if pattern.len() != parts.len() {
            continue;
        }
        let mut found = BTreeMap::new();
        let fits = pattern.iter().zip(&parts).all(|(p, part)| match p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(name) => !part.is_empty() && found.insert(name.to_string(), (*part).to_string()).is_none(),
            None => p == part,
        });
        if fits {
            return Ok(found);
        }
    }
    let expected: Vec<String> = formats.iter().map(|f| format!("`{f}`")).collect();
    Err(Error::Invalid(format!("{type_name}: import ID {id:?} fits none of its formats: {}", expected.join(", "))))
}

/// The first object of a nested block (a list of objects, or one object).
pub(crate) fn block<'a>(v: &'a Json, key: &str) -> Option<&'a Json> {
    match v.get(key)? {
        Json::Array(a) => a.first().filter(|b| b.is_object()),
        o @ Json::Object(_) => Some(o),
        _ => None,
    }
}

/// Every object of a nested block.
pub(crate) fn blocks<'a>(v: &'a Json, key: &str) -> Vec<&'a Json> {
    match v.get(key) {
        Some(Json::Array(a)) => a.iter().filter(|b| b.is_object()).collect(),
        Some(o @ Json::Object(_)) => vec![o],
        _ => Vec::new(),
    }
}

/// The object of a JSON value, or [`Error::Invalid`].
pub(crate) fn object(v: Json, what: &str) -> Result<Map<String, Json>, String> {
    match v {
        Json::Object(m) => Ok(m),
        _ => Err(format!("{what}: expected an object")),
    }
}

/// An API answer that must be an object.
pub(crate) fn api_object<'a>(v: &'a Json, what: &str) -> Result<&'a Map<String, Json>, Error> {
    v.as_object().ok_or_else(|| Error::Invalid(format!("{what}: the answer is not a JSON object")))
}

/// Fills `key` when unset: from the prior state on update, else from the
/// provider block (`from_provider`); `missing` is the error when neither has it.
fn fill_from(
    m: &mut Map<String, Json>,
    key: &str,
    prior: Option<&Json>,
    from_provider: Option<&String>,
    missing: &str,
) -> Result<(), String> {
    if m.get(key).and_then(Json::as_str).is_some_and(|s| !s.is_empty()) {
        return Ok(());
    }
    let from = prior.and_then(|p| opt_str(p, key)).map(str::to_string).or_else(|| from_provider.filter(|v| !v.is_empty()).cloned());
    match from {
        Some(v) => {
            m.insert(key.into(), json!(v));
            Ok(())
        }
        None => Err(missing.into()),
    }
}

/// Fills `project` from the provider block when unset (or from the prior
/// state on update).
pub(crate) fn fill_project(config: &ProviderConfig, prior: Option<&Json>, m: &mut Map<String, Json>) -> Result<(), String> {
    fill_from(m, "project", prior, config.project.as_ref(), NO_PROJECT)
}

/// Fills `location` from the provider's `region` when unset (or from the
/// prior state on update): regional and multi-regional types.
pub(crate) fn fill_location(config: &ProviderConfig, prior: Option<&Json>, m: &mut Map<String, Json>) -> Result<(), String> {
    fill_from(m, "location", prior, config.region.as_ref(), NO_LOCATION)
}

/// Plans unset (null) arguments: each takes the prior state's value when
/// there is one, else its default (`None`: stays unset). For computed
/// attributes only a read changes, and for arguments whose default the API
/// decides.
pub(crate) fn fill_from_prior(prior: Option<&Json>, m: &mut Map<String, Json>, defaults: &[(&str, Option<Json>)]) {
    for (k, default) in defaults {
        if m.get(*k).is_some_and(|v| !v.is_null()) {
            continue;
        }
        match prior.and_then(|p| p.get(*k)).filter(|v| !v.is_null()).or(default.as_ref()) {
            Some(v) => {
                m.insert((*k).into(), v.clone());
            }
            None => {
                m.insert((*k).into(), Json::Null);
            }
        }
    }
}

/// Gives every attribute of `schema` a value in a plan (null when unset),
/// as a read does, so a plan and a read of the same object are equal.
pub(crate) fn complete(schema: &TypeSchema, m: &mut Map<String, Json>) {
    for a in &schema.attributes {
        m.entry(a.name).or_insert(Json::Null);
    }
}

/// The project of a planned or prior object (set by `plan`), else the client's.
pub(crate) fn project_of<'a>(client: &'a Client, v: &'a Json) -> Result<&'a str, Error> {
    match opt_str(v, "project") {
        Some(p) => Ok(p),
        None => client.default_project(),
    }
}

/// The `location` of a planned or prior object (set by `plan`), else the
/// provider's region.
pub(crate) fn location_of<'a>(client: &'a Client, v: &'a Json) -> Result<&'a str, Error> {
    match opt_str(v, "location") {
        Some(l) => Ok(l),
        None => client.default_region(),
    }
}

/// Keeps the prior spelling of `key` when the new value differs only in
/// case: for values the API normalizes (`docker` read back as `DOCKER`), so
/// that they never show as a change, nor force a replacement.
pub(crate) fn keep_prior_case(prior: Option<&Json>, m: &mut Map<String, Json>, key: &str) {
    let Some(p) = prior.and_then(|p| opt_str(p, key)) else { return };
    if m.get(key).and_then(Json::as_str).is_some_and(|now| now != p && now.eq_ignore_ascii_case(p)) {
        m.insert(key.into(), json!(p));
    }
}

/// What a read gives for a value the API normalizes: `base`'s spelling of
/// `key` when it is the same ignoring case, else the API's.
pub(crate) fn spelling_of(base: Option<&Json>, key: &str, api: &str) -> String {
    match base.and_then(|b| opt_str(b, key)) {
        Some(b) if b.eq_ignore_ascii_case(api) => b.to_string(),
        _ => api.to_string(),
    }
}

/// A string map argument (`labels`).
pub(crate) fn string_map(v: &Json, key: &str) -> BTreeMap<String, String> {
    v.get(key)
        .and_then(Json::as_object)
        .map(|m| m.iter().filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string()))).collect())
        .unwrap_or_default()
}

/// A string map as a JSON object (`labels` for the API).
pub(crate) fn to_json_map(m: &BTreeMap<String, String>) -> Json {
    Json::Object(m.iter().map(|(k, v)| (k.clone(), json!(v))).collect())
}

/// Plan of `labels`: `terraform_labels` = provider `default_labels` merged
/// with `labels` (resource wins), and `effective_labels` the same (what is
/// sent to the API).
pub(crate) fn plan_labels(config: &ProviderConfig, m: &mut Map<String, Json>) {
    let mut all = config.default_labels.clone();
    all.extend(string_map(&Json::Object(m.clone()), "labels"));
    m.insert("terraform_labels".into(), to_json_map(&all));
    m.insert("effective_labels".into(), to_json_map(&all));
}

/// The labels sent to the API for a planned object.
pub(crate) fn effective_labels(client: &Client, planned: &Json) -> BTreeMap<String, String> {
    if planned.get("effective_labels").is_some_and(Json::is_object) {
        return string_map(planned, "effective_labels");
    }
    let mut all = client.config().default_labels.clone();
    all.extend(string_map(planned, "labels"));
    all
}

/// The `labels` of a merge patch (PATCH) from `prior` to `planned`: every
/// label to set, and `null` for each one removed; `None` when the labels
/// do not change.
pub(crate) fn labels_patch(client: &Client, prior: &Json, planned: &Json) -> Option<Json> {
    let new_labels = effective_labels(client, planned);
    let old_labels = string_map(prior, "effective_labels");
    if new_labels == old_labels {
        return None;
    }
    let mut l: Map<String, Json> = new_labels.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    for k in old_labels.keys().filter(|k| !new_labels.contains_key(*k)) {
        l.insert(k.clone(), Json::Null);
    }
    Some(Json::Object(l))
}

/// Labels as read: `effective_labels` all of the API's; `labels` and
/// `terraform_labels` the API's restricted to the keys the prior state
/// managed (all of them on import, `prior` = `None`), so labels set
/// elsewhere never show as a change of `labels`.
pub(crate) fn read_labels(client: &Client, api: Option<&Json>, prior: Option<&Json>, out: &mut Map<String, Json>) {
    let api: BTreeMap<String, String> = api
        .and_then(Json::as_object)
        .map(|m| m.iter().filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string()))).collect())
        .unwrap_or_default();
    let (labels, tf) = match prior {
        Some(p) => {
            let mine = string_map(p, "labels");
            let mut tf_keys: Vec<String> = string_map(p, "terraform_labels").into_keys().collect();
            tf_keys.extend(client.config().default_labels.keys().cloned());
            tf_keys.extend(mine.keys().cloned());
            let labels: BTreeMap<_, _> = api.iter().filter(|(k, _)| mine.contains_key(*k)).map(|(k, v)| (k.clone(), v.clone())).collect();
            let tf: BTreeMap<_, _> = api.iter().filter(|(k, _)| tf_keys.contains(k)).map(|(k, v)| (k.clone(), v.clone())).collect();
            // `labels = {}` and unset both read back as they were.
            let labels = if labels.is_empty() && p.get("labels").is_none_or(Json::is_null) { None } else { Some(labels) };
            (labels, tf)
        }
        None => {
            let user: BTreeMap<_, _> = api
                .iter()
                .filter(|(k, v)| client.config().default_labels.get(*k) != Some(v))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            (if user.is_empty() { None } else { Some(user) }, api.clone())
        }
    };
    out.insert("labels".into(), labels.as_ref().map(to_json_map).unwrap_or(Json::Null));
    out.insert("terraform_labels".into(), to_json_map(&tf));
    out.insert("effective_labels".into(), to_json_map(&api));
}

/// The three label attributes of a type with labels.
pub(crate) fn label_attrs() -> Vec<AttrSpec> {
    let map = || TypeSpec::Map(Box::new(TypeSpec::String));
    vec![
        AttrSpec::optional("labels", map()),
        AttrSpec::computed("terraform_labels", map()),
        AttrSpec::computed("effective_labels", map()),
    ]
}

/// Percent-encodes one path segment or query value.
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_merge_and_read_back() {
        let mut config = ProviderConfig::default();
        config.default_labels.insert("team".into(), "infra".into());
        let mut m = Map::new();
        m.insert("labels".into(), json!({"env": "dev"}));
        plan_labels(&config, &mut m);
        assert_eq!(m["effective_labels"], json!({"env": "dev", "team": "infra"}));
        let client = Client::new(config);
        let prior = Json::Object(m.clone());
        let mut out = Map::new();
        read_labels(&client, Some(&json!({"env": "dev", "team": "infra", "other": "x"})), Some(&prior), &mut out);
        assert_eq!(out["labels"], json!({"env": "dev"}));
        assert_eq!(out["terraform_labels"], json!({"env": "dev", "team": "infra"}));
        assert_eq!(out["effective_labels"], json!({"env": "dev", "other": "x", "team": "infra"}));
    }

    #[test]
    fn import_ids_by_format() {
        let formats = ["projects/{project}/instances/{name}", "{project}/{name}", "{name}"];
        let got = import_id("t", "projects/p/instances/db", &formats).unwrap();
        assert_eq!((got["project"].as_str(), got["name"].as_str()), ("p", "db"));
        let got = import_id("t", "p/db", &formats).unwrap();
        assert_eq!((got["project"].as_str(), got["name"].as_str()), ("p", "db"));
        assert_eq!(import_id("t", "db", &formats).unwrap().get("project"), None);
        let err = import_id("t", "a/b/c", &formats).unwrap_err().to_string();
        assert!(err.contains("`{project}/{name}`") && err.contains("\"a/b/c\""), "{err}");
        assert!(import_id("t", "p/", &formats).is_err());
    }

    #[test]
    fn keeps_prior_computed_values() {
        let mut m = Map::new();
        m.insert("a".into(), Json::Null);
        m.insert("b".into(), json!("set"));
        keep_prior(&mut m, Some(&json!({"a": 1, "b": "old", "c": true, "e": null})), &["a", "b", "c", "d", "e"]);
        assert_eq!(Json::Object(m), json!({"a": 1, "b": "set", "c": true, "e": null}));
    }

    #[test]
    fn encodes_object_names() {
        assert_eq!(encode("a/b c.txt"), "a%2Fb%20c.txt");
    }
}
