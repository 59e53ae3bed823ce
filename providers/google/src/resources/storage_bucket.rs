//! `google_storage_bucket`: a Cloud Storage bucket (JSON API v1, synchronous).
//!
//! Create = `POST b?project={p}`, then a GET retried while it is 404
//! (Google's brief inconsistency after a create); read = `GET b/{name}`;
//! update = `PATCH b/{name}` with the changed sub-objects only (removed ones
//! as `null`, as a JSON merge patch); delete lists every object version
//! first: with `force_destroy` they are deleted, else a non-empty bucket is
//! a clear error. `location` is upper-cased by the API, so it is compared
//! without case and keeps the user's spelling. `id` and import ID: the
//! bucket name (`{project}/{name}` is also accepted on import).
//!
//! Blocks, each an API sub-object ([`sub_objects`]): `versioning`,
//! `lifecycle_rule`, `cors`, `website`, `retention_policy`,
//! `soft_delete_policy`, `autoclass`. Plan gives each the form a read gives
//! back (defaults filled, unset fields null), so a second plan shows no
//! change. `retention_policy.is_locked` is applied by `lockRetentionPolicy`
//! after the create or update (a read-modify-write on the metageneration)
//! and is one way: a plan that unlocks, removes or shortens a locked policy
//! is refused. `soft_delete_policy` keeps Google's value (7 days by
//! default) when unset; its `effective_time` is the server's.
//!
//! Does not own: the bucket's IAM policy (`storage_bucket_iam.rs`), objects
//! beyond emptying the bucket, and the arguments not yet supported
//! (`logging`, `encryption`, `requester_pays`, `custom_placement_config`,
//! `rpo`, `default_event_based_hold`, `enable_object_retention`,
//! `hierarchical_namespace`, `ip_filter`).

use super::{
    api_object, block, blocks, effective_labels, encode, fill_project, int_of, label_attrs, object, opt_bool, opt_str,
    labels_patch, plan_labels, project_of, read_labels, req_str,
};
use crate::client::Method;
use crate::{AttrSpec, BlockSpec, BoxFuture, Client, Error, GoogleResource, Json, Nesting, ProviderConfig, Timeouts, TypeSchema, TypeSpec};
use serde_json::{json, Map};
use std::time::Duration;

const SERVICE: &str = "storage";

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

/// A list argument of strings as the API's list (`None` when empty).
fn str_list(v: &Json, key: &str) -> Option<Json> {
    let items: Vec<Json> = v.get(key).and_then(Json::as_array)?.iter().filter(|s| s.is_string()).cloned().collect();
    (!items.is_empty()).then_some(Json::Array(items))
}

/// One `cors` block as the API's `cors[]` entry.
fn cors_rule_to_api(rule: &Json) -> Json {
    let mut out = Map::new();
    for (tf, api) in [("origin", "origin"), ("method", "method"), ("response_header", "responseHeader")] {
        if let Some(list) = str_list(rule, tf) {
            out.insert(api.into(), list);
        }
    }
    if let Some(age) = rule.get("max_age_seconds").and_then(int_of) {
        out.insert("maxAgeSeconds".into(), json!(age));
    }
    Json::Object(out)
}

/// An API `cors[]` entry as a `cors` block (every field present).
fn cors_rule_from_api(rule: &Json) -> Json {
    let list = |k: &str| rule.get(k).and_then(Json::as_array).filter(|a| !a.is_empty()).map(|a| Json::Array(a.clone())).unwrap_or(Json::Null);
    json!({
        "origin": list("origin"),
        "method": list("method"),
        "response_header": list("responseHeader"),
        "max_age_seconds": rule.get("maxAgeSeconds").and_then(int_of),
    })
}

fn cors_api(v: &Json) -> Option<Json> {
    let rules: Vec<Json> = blocks(v, "cors").into_iter().map(cors_rule_to_api).collect();
    (!rules.is_empty()).then_some(Json::Array(rules))
}

fn website_api(v: &Json) -> Option<Json> {
    let w = block(v, "website")?;
    let mut out = Map::new();
    for (tf, api) in [("main_page_suffix", "mainPageSuffix"), ("not_found_page", "notFoundPage")] {
        if let Some(s) = opt_str(w, tf) {
            out.insert(api.into(), json!(s));
        }
    }
    (!out.is_empty()).then_some(Json::Object(out))
}

fn website_from_api(w: Option<&Json>) -> Json {
    let field = |k: &str| w.and_then(|w| w.get(k)).and_then(Json::as_str).filter(|s| !s.is_empty());
    match (field("mainPageSuffix"), field("notFoundPage")) {
        (None, None) => json!([]),
        (main, not_found) => json!([{ "main_page_suffix": main, "not_found_page": not_found }]),
    }
}

/// `retention_period` as a whole number of seconds (a string since provider
/// 7; a number is accepted).
fn retention_period(rp: &Json) -> Option<i64> {
    rp.get("retention_period").and_then(int_of)
}

/// Whether the object's retention policy is (to be) locked.
fn retention_locked(v: &Json) -> bool {
    block(v, "retention_policy").and_then(|rp| opt_bool(rp, "is_locked")).unwrap_or(false)
}

/// The API's `retentionPolicy` (without `isLocked`: only
/// `lockRetentionPolicy` locks).
fn retention_api(v: &Json) -> Option<Json> {
    let period = block(v, "retention_policy").and_then(retention_period)?;
    Some(json!({ "retentionPeriod": period.to_string() }))
}

fn retention_from_api(rp: Option<&Json>) -> Json {
    match rp.and_then(|rp| rp.get("retentionPeriod")).and_then(int_of) {
        Some(period) => json!([{
            "retention_period": period.to_string(),
            "is_locked": rp.and_then(|rp| rp.get("isLocked")).and_then(Json::as_bool).unwrap_or(false),
        }]),
        None => json!([]),
    }
}

/// Google's soft-delete retention when none is set: 7 days.
const SOFT_DELETE_DEFAULT: i64 = 604_800;

fn soft_delete_api(v: &Json) -> Option<Json> {
    let secs = block(v, "soft_delete_policy")?.get("retention_duration_seconds").and_then(int_of).unwrap_or(SOFT_DELETE_DEFAULT);
    Some(json!({ "retentionDurationSeconds": secs.to_string() }))
}

fn soft_delete_from_api(p: Option<&Json>) -> Json {
    match p.and_then(|p| p.get("retentionDurationSeconds")).and_then(int_of) {
        Some(secs) => json!([{
            "retention_duration_seconds": secs,
            "effective_time": p.and_then(|p| p.get("effectiveTime")).and_then(Json::as_str),
        }]),
        None => json!([]),
    }
}

fn autoclass_api(v: &Json) -> Option<Json> {
    let a = block(v, "autoclass")?;
    let enabled = opt_bool(a, "enabled").unwrap_or(false);
    let mut out = json!({ "enabled": enabled });
    if let Some(t) = opt_str(a, "terminal_storage_class").filter(|_| enabled) {
        out["terminalStorageClass"] = json!(t);
    }
    Some(out)
}

/// `autoclass` as read: enabled, or disabled where the prior object has the
/// block (as `versioning`).
fn autoclass_from_api(a: Option<&Json>, base: Option<&Json>) -> Json {
    match a.and_then(|a| a.get("enabled")).and_then(Json::as_bool) {
        Some(true) => json!([{
            "enabled": true,
            "terminal_storage_class": a.and_then(|a| a.get("terminalStorageClass")).and_then(Json::as_str),
        }]),
        Some(false) if base.and_then(|b| block(b, "autoclass")).is_some() => json!([{ "enabled": false, "terminal_storage_class": null }]),
        _ => json!([]),
    }
}

/// The API bucket's sub-objects made from blocks and arguments: `(field,
/// what the object asks for (None: unset), what an update sends to unset
/// it)`. Create sends the set ones; update the changed ones.
fn sub_objects(v: &Json) -> Vec<(&'static str, Option<Json>, Json)> {
    let lifecycle = (!blocks(v, "lifecycle_rule").is_empty()).then(|| lifecycle_api(v));
    vec![
        ("iamConfiguration", Some(iam_api(v)), Json::Null),
        ("versioning", block(v, "versioning").map(|_| versioning_api(v)), json!({ "enabled": false })),
        ("lifecycle", lifecycle, json!({ "rule": [] })),
        ("cors", cors_api(v), Json::Null),
        ("website", website_api(v), Json::Null),
        ("retentionPolicy", retention_api(v), Json::Null),
        ("softDeletePolicy", soft_delete_api(v), Json::Null),
        ("autoclass", autoclass_api(v), json!({ "enabled": false })),
    ]
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
    let cors: Vec<Json> = o.get("cors").and_then(Json::as_array).map(|a| a.iter().map(cors_rule_from_api).collect()).unwrap_or_default();
    out.insert("cors".into(), Json::Array(cors));
    out.insert("website".into(), website_from_api(o.get("website")));
    out.insert("retention_policy".into(), retention_from_api(o.get("retentionPolicy")));
    // Google always reports a soft-delete policy (7 days unless set); an
    // answer without one (an emulator that does not keep it) tells nothing,
    // so the known value stays rather than showing as removed.
    let soft_delete = match (o.get("softDeletePolicy"), base.and_then(|b| b.get("soft_delete_policy"))) {
        (None, Some(known @ Json::Array(a))) if !a.is_empty() => known.clone(),
        (api, _) => soft_delete_from_api(api),
    };
    out.insert("soft_delete_policy".into(), soft_delete);
    out.insert("autoclass".into(), autoclass_from_api(o.get("autoclass"), base));
    read_labels(client, o.get("labels"), base, &mut out);
    out.insert("self_link".into(), o.get("selfLink").cloned().unwrap_or_else(|| json!(format!("https://www.googleapis.com/storage/v1/b/{name}"))));
    out.insert("url".into(), json!(format!("gs://{name}")));
    out.insert("project_number".into(), project_number.map(|n| json!(n)).unwrap_or(Json::Null));
    Ok(Json::Object(out))
}

/// Longest retention period Google takes: 100 years.
const MAX_RETENTION: i64 = 3_155_760_000;

/// Refuses a plan Google would refuse: a retention period that is not a
/// whole number of seconds from 1 to 100 years, and a locked retention
/// policy unlocked, removed or shortened (unless the bucket is replaced).
fn check_retention(planned: &Json, prior: Option<&Json>) -> Result<(), String> {
    let name = opt_str(planned, "name").unwrap_or("bucket");
    if let Some(rp) = block(planned, "retention_policy") {
        if !retention_period(rp).is_some_and(|p| (1..=MAX_RETENTION).contains(&p)) {
            let given = rp.get("retention_period").cloned().unwrap_or(Json::Null);
            return Err(format!(
                "google_storage_bucket {name}: retention_policy.retention_period {given} must be a whole number of seconds from 1 to {MAX_RETENTION} (100 years)"
            ));
        }
    }
    let Some(prior) = prior.filter(|p| retention_locked(p)) else { return Ok(()) };
    let same = |k: &str| match (opt_str(prior, k), opt_str(planned, k)) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        _ => true,
    };
    if !(same("name") && same("location") && same("project")) {
        return Ok(()); // a new bucket: the old one (and its policy) goes
    }
    let locked_period = block(prior, "retention_policy").and_then(retention_period).unwrap_or(0);
    let refused = if !retention_locked(planned) {
        Some("unlock or remove it".to_string())
    } else if block(planned, "retention_policy").and_then(retention_period).unwrap_or(0) < locked_period {
        Some(format!("shorten it below {locked_period} seconds"))
    } else {
        None
    };
    match refused {
        Some(what) => Err(format!(
            "google_storage_bucket {name}: its retention policy is locked, and locking is one way: Google refuses to {what}. \
             Keep `retention_policy {{ is_locked = true, retention_period = \"{locked_period}\" }}` (or longer)."
        )),
        None => Ok(()),
    }
}

/// The blocks a read gives back for what the plan asks: each in canonical
/// form, defaults filled, computed fields from the prior object where they
/// stay the same.
fn plan_blocks(planned: &Json, prior: Option<&Json>) -> Vec<(&'static str, Json)> {
    let cors: Vec<Json> = blocks(planned, "cors").into_iter().map(|r| cors_rule_from_api(&cors_rule_to_api(r))).collect();
    let retention = match block(planned, "retention_policy").and_then(retention_period) {
        Some(p) => json!([{ "retention_period": p.to_string(), "is_locked": retention_locked(planned) }]),
        None => json!([]),
    };
    // Optional and computed: unset keeps what Google has (7 days at first).
    let prior_soft = prior.and_then(|p| block(p, "soft_delete_policy"));
    let soft_delete = match (block(planned, "soft_delete_policy"), prior_soft) {
        (None, Some(p)) => json!([p]),
        (given, _) => {
            let secs = given.and_then(|g| g.get("retention_duration_seconds")).and_then(int_of).unwrap_or(SOFT_DELETE_DEFAULT);
            let same = prior_soft.and_then(|p| p.get("retention_duration_seconds")).and_then(int_of) == Some(secs);
            let effective = prior_soft.filter(|_| same).and_then(|p| p.get("effective_time")).cloned().unwrap_or(Json::Null);
            json!([{ "retention_duration_seconds": secs, "effective_time": effective }])
        }
    };
    let autoclass = match block(planned, "autoclass") {
        Some(a) if opt_bool(a, "enabled") == Some(true) => {
            let prior_terminal = prior.and_then(|p| block(p, "autoclass")).and_then(|p| opt_str(p, "terminal_storage_class"));
            let terminal = opt_str(a, "terminal_storage_class").or(prior_terminal).unwrap_or("NEARLINE");
            json!([{ "enabled": true, "terminal_storage_class": terminal }])
        }
        Some(_) => json!([{ "enabled": false, "terminal_storage_class": null }]),
        None => json!([]),
    };
    vec![
        ("cors", Json::Array(cors)),
        ("website", website_from_api(website_api(planned).as_ref())),
        ("retention_policy", retention),
        ("soft_delete_policy", soft_delete),
        ("autoclass", autoclass),
    ]
}

impl StorageBucket {
    /// Locks the bucket's retention policy (`lockRetentionPolicy` wants the
    /// current metageneration: a concurrent change is retried as a
    /// read-modify-write); the bucket after.
    async fn lock_retention(client: &Client, name: &str) -> Result<Json, Error> {
        client
            .read_modify_write(|| async move {
                let api = Self::get_consistent(client, name).await?;
                let mg = api.get("metageneration").and_then(int_of).ok_or_else(|| {
                    Error::Invalid(format!("bucket {name}: the answer has no metageneration to lock its retention policy with"))
                })?;
                let path = format!("b/{}/lockRetentionPolicy?ifMetagenerationMatch={mg}", encode(name));
                client.call(Method::POST, &client.url(SERVICE, &path), None).await
            })
            .await
    }

    /// GET the bucket, retrying a 404 for a while (after a create/update).
    async fn get_consistent(client: &Client, name: &str) -> Result<Json, Error> {
        client.get_consistent(&client.url(SERVICE, &format!("b/{}", encode(name)))).await
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

    /// Terraform's: create 10m, read and update 4m, delete 20m.
    fn default_timeouts(&self) -> Timeouts {
        Timeouts { create: Duration::from_secs(10 * 60), read: Duration::from_secs(4 * 60), update: Duration::from_secs(4 * 60), ..Timeouts::default() }
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
        let optional = |name, max_items, attributes| BlockSpec {
            name,
            nesting: Nesting::List,
            min_items: 0,
            max_items,
            schema: TypeSchema { attributes, blocks: Vec::new() },
            force_new: false,
        };
        let b = || TypeSpec::Bool;
        TypeSchema {
            attributes,
            blocks: vec![
                optional("versioning", 1, vec![AttrSpec::required("enabled", b())]),
                BlockSpec {
                    name: "lifecycle_rule",
                    nesting: Nesting::List,
                    min_items: 0,
                    max_items: 100,
                    schema: TypeSchema { attributes: Vec::new(), blocks: vec![single("action", action), single("condition", condition)] },
                    force_new: false,
                },
                optional(
                    "cors",
                    0,
                    vec![
                        AttrSpec::optional("origin", list()),
                        AttrSpec::optional("method", list()),
                        AttrSpec::optional("response_header", list()),
                        AttrSpec::optional("max_age_seconds", n()),
                    ],
                ),
                optional("website", 1, vec![AttrSpec::optional("main_page_suffix", s()), AttrSpec::optional("not_found_page", s())]),
                optional("retention_policy", 1, vec![AttrSpec::required("retention_period", s()), AttrSpec::optional("is_locked", b())]),
                optional(
                    "soft_delete_policy",
                    1,
                    vec![AttrSpec::optional("retention_duration_seconds", n()), AttrSpec::computed("effective_time", s())],
                ),
                optional("autoclass", 1, vec![AttrSpec::required("enabled", b()), AttrSpec::optional_computed("terminal_storage_class", s())]),
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
        let whole = Json::Object(m.clone());
        check_retention(&whole, prior)?;
        for (key, planned) in plan_blocks(&whole, prior) {
            m.insert(key.into(), planned);
        }
        plan_labels(config, &mut m);
        if let Some(n) = name {
            m.insert("id".into(), json!(n));
            m.insert("url".into(), json!(format!("gs://{n}")));
            // The API's own link, once it gave one for this bucket; a guess
            // would be a perpetual diff wherever the API spells it otherwise.
            let prior_link = prior.filter(|p| opt_str(p, "name") == Some(n.as_str())).and_then(|p| p.get("self_link")).filter(|v| !v.is_null());
            let link = prior_link.cloned().unwrap_or_else(|| json!(format!("https://www.googleapis.com/storage/v1/b/{n}")));
            m.insert("self_link".into(), link);
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
            });
            let labels = effective_labels(client, planned);
            if !labels.is_empty() {
                body["labels"] = labels_json(&labels);
            }
            for (field, value, _) in sub_objects(planned) {
                if let Some(v) = value {
                    body[field] = v;
                }
            }
            let url = client.url(SERVICE, &format!("b?project={}", encode(project)));
            client.call(Method::POST, &url, Some(&body)).await?;
            let api = if retention_locked(planned) {
                Self::lock_retention(client, name).await?
            } else {
                Self::get_consistent(client, name).await?
            };
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
            for ((field, want, unset), (_, had, _)) in sub_objects(planned).into_iter().zip(sub_objects(prior)) {
                if want != had {
                    patch.insert(field.into(), want.unwrap_or(unset));
                }
            }
            if let Some(l) = labels_patch(client, prior, planned) {
                patch.insert("labels".into(), l);
            }
            if !patch.is_empty() {
                let url = client.url(SERVICE, &format!("b/{}", encode(name)));
                client.call(Method::PATCH, &url, Some(&Json::Object(patch))).await?;
            }
            let api = if retention_locked(planned) && !retention_locked(prior) {
                Self::lock_retention(client, name).await?
            } else {
                Self::get_consistent(client, name).await?
            };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_keeps_the_apis_self_link() {
        let config = ProviderConfig { project: Some("p".into()), ..ProviderConfig::default() };
        let proposed = json!({ "name": "b", "location": "EU", "labels": { "a": "1" } });
        let fresh = StorageBucket.plan(&config, None, proposed.clone()).unwrap();
        assert_eq!(fresh["self_link"], "https://www.googleapis.com/storage/v1/b/b");
        // An emulator spells it otherwise: an update keeps what it said.
        let prior = json!({ "name": "b", "location": "EU", "self_link": "http://127.0.0.1:1/storage/v1/b/b" });
        let planned = StorageBucket.plan(&config, Some(&prior), proposed).unwrap();
        assert_eq!(planned["self_link"], "http://127.0.0.1:1/storage/v1/b/b");
    }
}
