//! `google_bigquery_table`: a native BigQuery table (API v2, synchronous).
//!
//! Create = `POST projects/{p}/datasets/{d}/tables`; read = `GET
//! .../tables/{t}`; update = `PATCH .../tables/{t}` with `If-Match` (a stale
//! etag is redone, [`super::bigquery::write_if_match`]); delete = `DELETE
//! .../tables/{t}`, refused by cairn itself while `deletion_protection`
//! (true unless set false) holds.
//!
//! `schema` is a JSON string (a list of fields, or `{"fields": [...]}`)
//! compared by meaning ([`normalize_schema`]): whitespace, key order, an
//! omitted `mode` (NULLABLE), the case of types and their standard-SQL
//! aliases (INT64, FLOAT64, BOOL, STRUCT) never show as a change, and the
//! spelling last read or configured is kept. A schema may grow in place
//! (new NULLABLE or REPEATED columns, at the end or nested); dropping or
//! retyping a column, changing its mode other than REQUIRED to NULLABLE,
//! adding a REQUIRED one, or changing the partitioning's `type` or `field`
//! replaces the table ([`replace_reasons`](GoogleResource::replace_reasons)
//! says which column). `id` = `projects/{p}/datasets/{d}/tables/{t}`; import
//! IDs `projects/{p}/datasets/{d}/tables/{t}`, `{p}/{d}/{t}`, `{d}/{t}`.
//!
//! Does not own: views, materialized views, external tables, range
//! partitioning, encryption, table constraints, or the table's data.

use super::bigquery::{dataset_url, from_api, import_project, table_url, to_api, write_if_match};
use super::{
    api_object, block, complete, effective_labels, fill_project, import_id, int_of, keep_prior, label_attrs, labels_patch,
    object, opt_bool, opt_str, plan_labels, project_of, read_labels, req_str,
};
use crate::client::Method;
use crate::{AttrSpec, BlockSpec, BoxFuture, Client, Error, GoogleResource, Json, Nesting, ProviderConfig, TypeSchema, TypeSpec};
use serde_json::{json, Map};

const TYPE_NAME: &str = "google_bigquery_table";

pub struct BigqueryTable;

/// A column type's canonical (legacy SQL) name: the API's spelling.
fn canonical_type(t: &str) -> String {
    let up = t.to_ascii_uppercase();
    match up.as_str() {
        "INT64" => "INTEGER".into(),
        "FLOAT64" => "FLOAT".into(),
        "BOOL" => "BOOLEAN".into(),
        "STRUCT" => "RECORD".into(),
        _ => up,
    }
}

/// Schema fields in one canonical form: types canonical, `mode` given
/// (NULLABLE when unset), empty descriptions and nested lists left out.
fn normalize_fields(fields: &[Json]) -> Json {
    Json::Array(
        fields
            .iter()
            .map(|f| {
                let mut out = Map::new();
                for (k, v) in f.as_object().into_iter().flatten() {
                    let empty = v.is_null() || v.as_str() == Some("") || v.as_array().is_some_and(Vec::is_empty);
                    if !empty {
                        out.insert(k.clone(), v.clone());
                    }
                }
                if let Some(t) = f.get("type").and_then(Json::as_str) {
                    out.insert("type".into(), json!(canonical_type(t)));
                }
                let mode = f.get("mode").and_then(Json::as_str).filter(|m| !m.is_empty()).unwrap_or("NULLABLE").to_ascii_uppercase();
                out.insert("mode".into(), json!(mode));
                if let Some(sub) = f.get("fields").and_then(Json::as_array).filter(|a| !a.is_empty()) {
                    out.insert("fields".into(), normalize_fields(sub));
                }
                Json::Object(out)
            })
            .collect(),
    )
}

/// A `schema` string (a list of fields or `{"fields": [...]}`) in
/// canonical form; `None` when it is not such JSON.
pub fn normalize_schema(schema: &str) -> Option<Json> {
    let v: Json = serde_json::from_str(schema).ok()?;
    let fields = match &v {
        Json::Array(a) => a,
        Json::Object(o) => o.get("fields")?.as_array()?,
        _ => return None,
    };
    fields.iter().all(Json::is_object).then(|| normalize_fields(fields))
}

/// Why `new` cannot replace `old` in place: each column dropped, retyped or
/// whose mode changes (other than REQUIRED to NULLABLE), and each new
/// REQUIRED column, by its dotted path.
fn schema_replacements(old: &Json, new: &Json, path: &str, out: &mut Vec<String>) {
    let empty = Vec::new();
    let (old, new) = (old.as_array().unwrap_or(&empty), new.as_array().unwrap_or(&empty));
    let name = |f: &Json| f.get("name").and_then(Json::as_str).unwrap_or("").to_string();
    let same = |a: &Json, b: &Json| name(a).eq_ignore_ascii_case(&name(b));
    let full = |f: &Json| if path.is_empty() { name(f) } else { format!("{path}.{}", name(f)) };
    let text = |f: &Json, k: &str| f.get(k).and_then(Json::as_str).unwrap_or("").to_string();
    for o in old {
        let Some(n) = new.iter().find(|n| same(o, n)) else {
            out.push(format!("column `{}` is removed", full(o)));
            continue;
        };
        if text(o, "type") != text(n, "type") {
            out.push(format!("column `{}` changes type from {} to {}", full(o), text(o, "type"), text(n, "type")));
            continue;
        }
        let (om, nm) = (text(o, "mode"), text(n, "mode"));
        if om != nm && !(om == "REQUIRED" && nm == "NULLABLE") {
            out.push(format!("column `{}` changes mode from {om} to {nm}", full(o)));
        }
        if text(o, "type") == "RECORD" {
            schema_replacements(o.get("fields").unwrap_or(&Json::Null), n.get("fields").unwrap_or(&Json::Null), &full(o), out);
        }
    }
    for n in new.iter().filter(|n| !old.iter().any(|o| same(o, n))) {
        if text(n, "mode") == "REQUIRED" {
            out.push(format!("new column `{}` is REQUIRED", full(n)));
        }
    }
}

/// The `time_partitioning` block as the API's object.
fn partitioning_to_api(v: &Json) -> Option<Json> {
    let tp = block(v, "time_partitioning")?;
    let mut out = json!({ "type": opt_str(tp, "type").unwrap_or("DAY") });
    if let Some(f) = opt_str(tp, "field") {
        out["field"] = json!(f);
    }
    if let Some(ms) = tp.get("expiration_ms").and_then(int_of) {
        out["expirationMs"] = json!(ms.to_string());
    }
    if opt_bool(tp, "require_partition_filter") == Some(true) {
        out["requirePartitionFilter"] = json!(true);
    }
    Some(out)
}

/// The API's `timePartitioning` as the block (every field present).
fn partitioning_from_api(tp: Option<&Json>) -> Json {
    match tp.filter(|t| t.is_object()) {
        Some(t) => json!([{
            "type": t.get("type").and_then(Json::as_str).unwrap_or("DAY"),
            "field": t.get("field").and_then(Json::as_str).filter(|s| !s.is_empty()),
            "expiration_ms": t.get("expirationMs").and_then(int_of),
            "require_partition_filter": t.get("requirePartitionFilter").and_then(Json::as_bool).unwrap_or(false),
        }]),
        None => json!([]),
    }
}

/// A list of strings (`clustering`), `None` when empty.
fn clustering_of(v: Option<&Json>) -> Option<Json> {
    let items: Vec<Json> = v?.as_array()?.iter().filter(|s| s.is_string()).cloned().collect();
    (!items.is_empty()).then_some(Json::Array(items))
}

/// The table's plain string arguments: `(terraform name, API name)`.
const STRINGS: &[(&str, &str)] = &[("friendly_name", "friendlyName"), ("description", "description")];

/// The table's API fields a create or update sends, from a planned or
/// prior object (`null` for unset ones; labels aside).
fn api_fields(v: &Json) -> Map<String, Json> {
    let mut body = Map::new();
    to_api(v, &mut body, STRINGS, &[("expiration_time", "expirationTime")]);
    let schema = opt_str(v, "schema").and_then(|s| serde_json::from_str::<Json>(s).ok()).map(|s| match s {
        Json::Array(a) => json!({ "fields": a }),
        other => other,
    });
    body.insert("schema".into(), schema.unwrap_or(Json::Null));
    body.insert("timePartitioning".into(), partitioning_to_api(v).unwrap_or(Json::Null));
    body.insert("clustering".into(), clustering_of(v.get("clustering")).map(|c| json!({ "fields": c })).unwrap_or(Json::Null));
    body
}

/// The Terraform object for an API table. `base` gives what the API does
/// not hold (`deletion_protection`, the schema's spelling, managed labels).
fn to_state(client: &Client, api: &Json, base: Option<&Json>, project: &str) -> Result<Json, Error> {
    let o = api_object(api, "BigQuery table")?;
    let reference = o.get("tableReference").unwrap_or(&Json::Null);
    let (Some(d), Some(t)) = (reference.get("datasetId").and_then(Json::as_str), reference.get("tableId").and_then(Json::as_str)) else {
        return Err(Error::Invalid("BigQuery table: answer without a tableReference".into()));
    };
    let api_fields: Vec<Json> = api.pointer("/schema/fields").and_then(Json::as_array).cloned().unwrap_or_default();
    let api_schema = normalize_fields(&api_fields);
    let schema = match base.and_then(|b| opt_str(b, "schema")) {
        Some(s) if normalize_schema(s).as_ref() == Some(&api_schema) => json!(s),
        _ if api_fields.is_empty() => Json::Null,
        _ => json!(serde_json::to_string(&api_fields).unwrap_or_default()),
    };
    let mut out = Map::new();
    out.insert("id".into(), json!(format!("projects/{project}/datasets/{d}/tables/{t}")));
    out.insert("dataset_id".into(), json!(d));
    out.insert("table_id".into(), json!(t));
    out.insert("project".into(), json!(project));
    out.insert("schema".into(), schema);
    let ints = [
        ("expiration_time", "expirationTime"),
        ("creation_time", "creationTime"),
        ("last_modified_time", "lastModifiedTime"),
        ("num_rows", "numRows"),
        ("num_bytes", "numBytes"),
    ];
    from_api(o, &mut out, STRINGS, &ints);
    out.insert("time_partitioning".into(), partitioning_from_api(o.get("timePartitioning")));
    out.insert("clustering".into(), clustering_of(o.get("clustering").and_then(|c| c.get("fields"))).unwrap_or(Json::Null));
    out.insert("deletion_protection".into(), json!(base.and_then(|b| opt_bool(b, "deletion_protection")).unwrap_or(true)));
    for (tf, api) in [("etag", "etag"), ("type", "type"), ("self_link", "selfLink"), ("location", "location")] {
        out.insert(tf.into(), o.get(api).cloned().unwrap_or(Json::Null));
    }
    read_labels(client, o.get("labels"), base, &mut out);
    Ok(Json::Object(out))
}

impl GoogleResource for BigqueryTable {
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
            AttrSpec::required("table_id", s()).force_new(),
            AttrSpec::optional_computed("project", s()).force_new(),
            AttrSpec::optional_computed("schema", s()),
            AttrSpec::optional("friendly_name", s()),
            AttrSpec::optional("description", s()),
            AttrSpec::optional_computed("expiration_time", n()),
            AttrSpec::optional("clustering", TypeSpec::List(Box::new(s()))),
            AttrSpec::optional("deletion_protection", TypeSpec::Bool),
            AttrSpec::computed("etag", s()),
            AttrSpec::computed("creation_time", n()),
            AttrSpec::computed("last_modified_time", n()),
            AttrSpec::computed("num_rows", n()),
            AttrSpec::computed("num_bytes", n()),
            AttrSpec::computed("type", s()),
            AttrSpec::computed("location", s()),
            AttrSpec::computed("self_link", s()),
        ];
        attributes.extend(label_attrs());
        let partitioning = TypeSchema {
            attributes: vec![
                AttrSpec::required("type", s()),
                AttrSpec::optional("field", s()),
                AttrSpec::optional("expiration_ms", n()),
                AttrSpec::optional("require_partition_filter", TypeSpec::Bool),
            ],
            blocks: Vec::new(),
        };
        TypeSchema {
            attributes,
            blocks: vec![BlockSpec { name: "time_partitioning", nesting: Nesting::List, min_items: 0, max_items: 1, schema: partitioning, force_new: false }],
        }
    }

    fn plan(&self, config: &ProviderConfig, prior: Option<&Json>, proposed: Json) -> Result<Json, String> {
        let mut m = object(proposed, TYPE_NAME)?;
        fill_project(config, prior, &mut m)?;
        if let Some(s) = m.get("schema").and_then(Json::as_str) {
            let Some(planned) = normalize_schema(s) else {
                return Err(format!("{TYPE_NAME}: schema is not a JSON list of fields (or an object with `fields`)"));
            };
            // The same schema in another spelling keeps the prior one.
            if let Some(p) = prior.and_then(|p| opt_str(p, "schema")).filter(|p| normalize_schema(p).as_ref() == Some(&planned)) {
                m.insert("schema".into(), json!(p));
            }
        }
        if m.get("deletion_protection").is_none_or(Json::is_null) {
            m.insert("deletion_protection".into(), json!(true));
        }
        let whole = Json::Object(m.clone());
        m.insert("time_partitioning".into(), partitioning_from_api(partitioning_to_api(&whole).as_ref()));
        m.insert("clustering".into(), clustering_of(whole.get("clustering")).unwrap_or(Json::Null));
        plan_labels(config, &mut m);
        keep_prior(
            &mut m,
            prior,
            &["schema", "expiration_time", "etag", "creation_time", "last_modified_time", "num_rows", "num_bytes", "type", "location", "self_link"],
        );
        complete(&self.schema(), &mut m);
        let known = |k: &str| m.get(k).and_then(Json::as_str).filter(|s| !s.is_empty()).map(str::to_string);
        if let (Some(p), Some(d), Some(t)) = (known("project"), known("dataset_id"), known("table_id")) {
            m.insert("id".into(), json!(format!("projects/{p}/datasets/{d}/tables/{t}")));
        }
        Ok(Json::Object(m))
    }

    fn replace_reasons(&self, prior: &Json, planned: &Json) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let (Some(old), Some(new)) = (opt_str(prior, "schema").and_then(normalize_schema), opt_str(planned, "schema").and_then(normalize_schema)) {
            let mut why = Vec::new();
            schema_replacements(&old, &new, "", &mut why);
            out.extend(why.into_iter().map(|w| ("schema", format!("{w}: BigQuery cannot change it in place"))));
        }
        let part = |v: &Json, k: &str| block(v, "time_partitioning").and_then(|b| opt_str(b, k)).map(str::to_string);
        let had = block(prior, "time_partitioning").is_some();
        if had && (part(prior, "type") != part(planned, "type") || part(prior, "field") != part(planned, "field")) {
            out.push(("time_partitioning", "a table's partitioning type and field cannot change in place".into()));
        }
        out
    }

    fn read<'a>(&'a self, client: &'a Client, state: &'a Json) -> BoxFuture<'a, Result<Option<Json>, Error>> {
        Box::pin(async move {
            let project = project_of(client, state)?;
            let (d, t) = (req_str(state, "dataset_id")?, req_str(state, "table_id")?);
            match client.get_opt(&table_url(client, project, d, t)).await? {
                Some(api) => to_state(client, &api, Some(state), project).map(Some),
                None => Ok(None),
            }
        })
    }

    fn create<'a>(&'a self, client: &'a Client, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let project = project_of(client, planned)?;
            let (d, t) = (req_str(planned, "dataset_id")?, req_str(planned, "table_id")?);
            let mut body = api_fields(planned);
            body.retain(|_, v| !v.is_null());
            body.insert("tableReference".into(), json!({ "projectId": project, "datasetId": d, "tableId": t }));
            let labels = effective_labels(client, planned);
            if !labels.is_empty() {
                body.insert("labels".into(), super::to_json_map(&labels));
            }
            let url = format!("{}/tables", dataset_url(client, project, d));
            let api = client.call(Method::POST, &url, Some(&Json::Object(body))).await?;
            to_state(client, &api, Some(planned), project)
        })
    }

    fn update<'a>(&'a self, client: &'a Client, prior: &'a Json, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let project = project_of(client, planned)?;
            let (d, t) = (req_str(planned, "dataset_id")?, req_str(planned, "table_id")?);
            let url = table_url(client, project, d, t);
            let (new, old) = (api_fields(planned), api_fields(prior));
            let mut body: Map<String, Json> = new.into_iter().filter(|(k, v)| old.get(k) != Some(v)).collect();
            if let Some(l) = labels_patch(client, prior, planned) {
                body.insert("labels".into(), l);
            }
            // `deletion_protection` alone is cairn's: no call.
            let api = if body.is_empty() {
                client.call(Method::GET, &url, None).await?
            } else {
                write_if_match(client, Method::PATCH, &url, &Json::Object(body), prior).await?
            };
            to_state(client, &api, Some(planned), project)
        })
    }

    fn delete<'a>(&'a self, client: &'a Client, prior: &'a Json) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let project = project_of(client, prior)?;
            let (d, t) = (req_str(prior, "dataset_id")?, req_str(prior, "table_id")?);
            if opt_bool(prior, "deletion_protection") != Some(false) {
                return Err(Error::Invalid(format!(
                    "cannot destroy {TYPE_NAME} {project}:{d}.{t}: deletion_protection is true; set deletion_protection = false and apply first, then destroy"
                )));
            }
            match client.request(Method::DELETE, &table_url(client, project, d, t), None).await {
                Ok(_) | Err(Error::NotFound) => Ok(()),
                Err(e) => Err(e),
            }
        })
    }

    fn import<'a>(&'a self, client: &'a Client, id: &'a str) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let formats = ["projects/{project}/datasets/{dataset}/tables/{table}", "{project}/{dataset}/{table}", "{dataset}/{table}"];
            let parts = import_id(TYPE_NAME, id, &formats)?;
            let project = import_project(client, &parts)?;
            let part = |k: &str| parts.get(k).map(String::as_str).unwrap_or_default();
            let (d, t) = (part("dataset"), part("table"));
            match client.get_opt(&table_url(client, &project, d, t)).await? {
                Some(api) => to_state(client, &api, None, &project),
                None => Err(Error::Invalid(format!("{TYPE_NAME}: table {d}.{t} does not exist in project {project}"))),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_compare_by_meaning() {
        let a = r#"[{"name":"id","type":"INT64","mode":"REQUIRED"},{"name":"s","type":"STRUCT","fields":[{"name":"x","type":"bool"}]}]"#;
        let b = r#"{ "fields": [ {"mode":"REQUIRED","type":"INTEGER","name":"id"},
                    {"name":"s","type":"RECORD","mode":"NULLABLE","fields":[{"type":"BOOLEAN","name":"x","description":""}]} ] }"#;
        assert_eq!(normalize_schema(a), normalize_schema(b));
        assert!(normalize_schema("{\"x\": 1}").is_none());
    }

    #[test]
    fn says_which_column_forces_a_replacement() {
        let prior = json!({ "schema": r#"[{"name":"a","type":"STRING"},{"name":"r","type":"RECORD","fields":[{"name":"x","type":"STRING"}]}]"# });
        let grown = json!({ "schema": r#"[{"name":"a","type":"STRING"},{"name":"r","type":"RECORD","fields":[{"name":"x","type":"STRING"},{"name":"y","type":"INT64"}]},{"name":"b","type":"DATE"}]"# });
        assert!(BigqueryTable.replace_reasons(&prior, &grown).is_empty());
        let changed = json!({ "schema": r#"[{"name":"a","type":"INT64"},{"name":"r","type":"RECORD","fields":[]}]"# });
        let reasons: Vec<String> = BigqueryTable.replace_reasons(&prior, &changed).into_iter().map(|(_, w)| w).collect();
        assert!(reasons[0].contains("column `a` changes type from STRING to INTEGER"), "{reasons:?}");
        assert!(reasons[1].contains("column `r.x` is removed"), "{reasons:?}");
    }
}
