//! `google_cloud_run_v2_service`: a Cloud Run service (Admin API v2; create,
//! update and delete are google.longrunning operations).
//!
//! Create = `POST v2/projects/{p}/locations/{l}/services?serviceId={n}`;
//! read = `GET .../services/{n}` (404: gone); update = `PATCH` with the
//! whole service (a template change is a new revision); delete = `DELETE`.
//! `name`, `location` and `project` force a new service; every other
//! argument changes in place.
//!
//! What needs care:
//! - `deletion_protection` (default true) is Terraform's alone: the API has
//!   no such field. A destroy while it is true is refused here, naming the
//!   service and how to allow it; nothing is sent.
//! - The API fills defaults inside `template` (timeout 300s, concurrency
//!   80, the default compute service account, `scaling.max_instance_count`
//!   100, port 8080 `http1`, limits `{cpu: 1000m, memory: 512Mi}`,
//!   `cpu_idle`), and `traffic` (100% to the latest revision): each is
//!   optional and computed, the plan fills the same value (or keeps the
//!   prior one) so none of them shows as a change.
//! - `generation` and `observed_generation` are int64s: strings in JSON.
//! - The API leaves out `false`, `0` and empty lists (proto3 JSON).
//!
//! `id`: `projects/{p}/locations/{l}/services/{name}`. Import IDs: that
//! `id`, `{p}/{l}/{name}`, `{l}/{name}` and `{name}` (project and location
//! from the provider).
//!
//! Not here: top-level `scaling`, `binary_authorization`, `custom_audiences`,
//! `invoker_iam_disabled`, volumes and volume mounts, probes, `env` from
//! secrets (`value_source`), `vpc_access.network_interfaces`,
//! `terminal_condition`, `conditions`, `traffic_statuses`.

use super::{
    api_object, block, blocks, effective_labels, encode, fill_location, fill_project, import_id, int_of, keep_prior, label_attrs, location_of,
    object, opt_bool, opt_str, plan_labels, project_of, read_labels, req_str, to_json_map,
};
use crate::client::Method;
use crate::{AttrSpec, BlockSpec, BoxFuture, Client, Error, GoogleResource, Json, Nesting, ProviderConfig, TypeSchema, TypeSpec};
use serde_json::{json, Map};
use std::time::Duration;

const SERVICE: &str = "run";
const TYPE: &str = "google_cloud_run_v2_service";
const TIMEOUT: Duration = Duration::from_secs(20 * 60);

/// Computed attributes a plan keeps from the prior state.
const KEPT: &[&str] =
    &["uri", "urls", "latest_ready_revision", "latest_created_revision", "generation", "observed_generation", "etag", "uid", "create_time"];

/// What the API gives a container left without them.
const DEFAULT_PORT: i64 = 8080;
const DEFAULT_PORT_NAME: &str = "http1";
const DEFAULT_TIMEOUT: &str = "300s";
const DEFAULT_CONCURRENCY: i64 = 80;
const DEFAULT_MAX_INSTANCES: i64 = 100;
const LATEST: &str = "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST";

pub struct CloudRunV2Service;

/// A service's place: the three parts of its name.
struct Service {
    project: String,
    location: String,
    name: String,
}

impl Service {
    fn of(client: &Client, v: &Json) -> Result<Service, Error> {
        Ok(Service {
            project: project_of(client, v)?.to_string(),
            location: location_of(client, v)?.to_string(),
            name: req_str(v, "name")?.to_string(),
        })
    }

    fn parse(client: &Client, id: &str) -> Result<Service, Error> {
        let formats = ["projects/{project}/locations/{location}/services/{name}", "{project}/{location}/{name}", "{location}/{name}", "{name}"];
        let parts = import_id(TYPE, id, &formats)?;
        let project = match parts.get("project") {
            Some(p) => p.clone(),
            None => client.default_project()?.to_string(),
        };
        let location = match parts.get("location") {
            Some(l) => l.clone(),
            None => client.default_region()?.to_string(),
        };
        Ok(Service { project, location, name: parts.get("name").cloned().unwrap_or_default() })
    }

    fn id(&self) -> String {
        format!("projects/{}/locations/{}/services/{}", self.project, self.location, self.name)
    }

    fn parent_url(&self, client: &Client) -> String {
        client.url(SERVICE, &format!("projects/{}/locations/{}/services", encode(&self.project), encode(&self.location)))
    }

    fn url(&self, client: &Client) -> String {
        format!("{}/{}", self.parent_url(client), encode(&self.name))
    }
}

// ---- Terraform -> API ----------------------------------------------------------

fn str_list(v: &Json, key: &str) -> Option<Json> {
    let items: Vec<Json> = v.get(key).and_then(Json::as_array)?.iter().filter(|s| s.is_string()).cloned().collect();
    (!items.is_empty()).then_some(Json::Array(items))
}

fn str_map(v: &Json, key: &str) -> Option<Json> {
    let m: Map<String, Json> = v.get(key).and_then(Json::as_object)?.iter().filter(|(_, v)| v.is_string()).map(|(k, v)| (k.clone(), v.clone())).collect();
    (!m.is_empty()).then_some(Json::Object(m))
}

fn container_api(c: &Json) -> Json {
    let mut out = Map::new();
    for (tf, api) in [("name", "name"), ("image", "image")] {
        if let Some(s) = opt_str(c, tf) {
            out.insert(api.into(), json!(s));
        }
    }
    for k in ["args", "command"] {
        if let Some(l) = str_list(c, k) {
            out.insert(k.into(), l);
        }
    }
    let ports: Vec<Json> = blocks(c, "ports")
        .into_iter()
        .map(|p| {
            let mut m = Map::new();
            if let Some(n) = opt_str(p, "name") {
                m.insert("name".into(), json!(n));
            }
            if let Some(n) = p.get("container_port").and_then(int_of) {
                m.insert("containerPort".into(), json!(n));
            }
            Json::Object(m)
        })
        .collect();
    if !ports.is_empty() {
        out.insert("ports".into(), Json::Array(ports));
    }
    let env: Vec<Json> = blocks(c, "env")
        .into_iter()
        .map(|e| {
            let mut m = Map::new();
            m.insert("name".into(), json!(opt_str(e, "name").unwrap_or("")));
            if let Some(v) = e.get("value").and_then(Json::as_str) {
                m.insert("value".into(), json!(v));
            }
            Json::Object(m)
        })
        .collect();
    if !env.is_empty() {
        out.insert("env".into(), Json::Array(env));
    }
    if let Some(r) = block(c, "resources") {
        let mut m = Map::new();
        if let Some(l) = str_map(r, "limits") {
            m.insert("limits".into(), l);
        }
        if let Some(b) = opt_bool(r, "cpu_idle") {
            m.insert("cpuIdle".into(), json!(b));
        }
        if opt_bool(r, "startup_cpu_boost") == Some(true) {
            m.insert("startupCpuBoost".into(), json!(true));
        }
        out.insert("resources".into(), Json::Object(m));
    }
    Json::Object(out)
}

fn template_api(t: &Json) -> Json {
    let mut out = Map::new();
    for (tf, api) in [("service_account", "serviceAccount"), ("timeout", "timeout"), ("execution_environment", "executionEnvironment")] {
        if let Some(s) = opt_str(t, tf) {
            out.insert(api.into(), json!(s));
        }
    }
    if let Some(n) = t.get("max_instance_request_concurrency").and_then(int_of) {
        out.insert("maxInstanceRequestConcurrency".into(), json!(n));
    }
    for k in ["labels", "annotations"] {
        if let Some(m) = str_map(t, k) {
            out.insert(k.into(), m);
        }
    }
    if let Some(s) = block(t, "scaling") {
        let mut m = Map::new();
        for (tf, api) in [("min_instance_count", "minInstanceCount"), ("max_instance_count", "maxInstanceCount")] {
            if let Some(n) = s.get(tf).and_then(int_of).filter(|n| *n != 0) {
                m.insert(api.into(), json!(n));
            }
        }
        out.insert("scaling".into(), Json::Object(m));
    }
    if let Some(v) = block(t, "vpc_access") {
        let mut m = Map::new();
        for k in ["connector", "egress"] {
            if let Some(s) = opt_str(v, k) {
                m.insert(k.into(), json!(s));
            }
        }
        out.insert("vpcAccess".into(), Json::Object(m));
    }
    out.insert("containers".into(), Json::Array(blocks(t, "containers").into_iter().map(container_api).collect()));
    Json::Object(out)
}

fn traffic_api(v: &Json) -> Vec<Json> {
    blocks(v, "traffic")
        .into_iter()
        .map(|t| {
            let mut m = Map::new();
            for k in ["type", "revision", "tag"] {
                if let Some(s) = opt_str(t, k) {
                    m.insert(k.into(), json!(s));
                }
            }
            if let Some(n) = t.get("percent").and_then(int_of).filter(|n| *n != 0) {
                m.insert("percent".into(), json!(n));
            }
            Json::Object(m)
        })
        .collect()
}

/// The Service a create or an update sends.
fn service_api(client: &Client, planned: &Json) -> Json {
    let mut body = Map::new();
    for (tf, api) in [("description", "description"), ("ingress", "ingress"), ("launch_stage", "launchStage")] {
        if let Some(s) = opt_str(planned, tf) {
            body.insert(api.into(), json!(s));
        }
    }
    let labels = effective_labels(client, planned);
    if !labels.is_empty() {
        body.insert("labels".into(), to_json_map(&labels));
    }
    if let Some(m) = str_map(planned, "annotations") {
        body.insert("annotations".into(), m);
    }
    if let Some(t) = block(planned, "template") {
        body.insert("template".into(), template_api(t));
    }
    let traffic = traffic_api(planned);
    if !traffic.is_empty() {
        body.insert("traffic".into(), Json::Array(traffic));
    }
    Json::Object(body)
}

// ---- API -> Terraform ----------------------------------------------------------

fn text(v: Option<&Json>, key: &str) -> Json {
    json!(v.and_then(|v| v.get(key)).and_then(Json::as_str).filter(|s| !s.is_empty()))
}

fn list_or_null(v: Option<&Json>, key: &str) -> Json {
    let items: Vec<Json> = v.and_then(|v| v.get(key)).and_then(Json::as_array).map(|a| a.iter().filter(|s| s.is_string()).cloned().collect()).unwrap_or_default();
    if items.is_empty() {
        Json::Null
    } else {
        Json::Array(items)
    }
}

fn map_or_null(v: Option<&Json>, key: &str) -> Json {
    let m: Map<String, Json> =
        v.and_then(|v| v.get(key)).and_then(Json::as_object).map(|m| m.iter().filter(|(_, v)| v.is_string()).map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default();
    if m.is_empty() {
        Json::Null
    } else {
        Json::Object(m)
    }
}

fn container_tf(c: &Json) -> Json {
    let ports: Vec<Json> = c
        .get("ports")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .map(|p| json!({ "name": text(Some(p), "name"), "container_port": p.get("containerPort").and_then(int_of).unwrap_or(0) }))
        .collect();
    let env: Vec<Json> =
        c.get("env").and_then(Json::as_array).into_iter().flatten().map(|e| json!({ "name": text(Some(e), "name"), "value": e.get("value").and_then(Json::as_str) })).collect();
    let resources = match c.get("resources").filter(|r| r.is_object()) {
        Some(r) => json!([{
            "limits": map_or_null(Some(r), "limits"),
            "cpu_idle": r.get("cpuIdle").and_then(Json::as_bool).unwrap_or(false),
            "startup_cpu_boost": r.get("startupCpuBoost").and_then(Json::as_bool).unwrap_or(false),
        }]),
        None => json!([]),
    };
    json!({
        "name": text(Some(c), "name"),
        "image": text(Some(c), "image"),
        "args": list_or_null(Some(c), "args"),
        "command": list_or_null(Some(c), "command"),
        "ports": ports,
        "env": env,
        "resources": resources,
    })
}

fn template_tf(t: Option<&Json>) -> Json {
    let Some(t) = t.filter(|t| t.is_object()) else { return json!([]) };
    let scaling = match t.get("scaling").filter(|s| s.is_object()) {
        Some(s) => json!([{
            "min_instance_count": s.get("minInstanceCount").and_then(int_of).unwrap_or(0),
            "max_instance_count": s.get("maxInstanceCount").and_then(int_of).unwrap_or(0),
        }]),
        None => json!([]),
    };
    let vpc = match t.get("vpcAccess").filter(|s| s.is_object()) {
        Some(v) => json!([{ "connector": text(Some(v), "connector"), "egress": text(Some(v), "egress") }]),
        None => json!([]),
    };
    let containers: Vec<Json> = t.get("containers").and_then(Json::as_array).into_iter().flatten().map(container_tf).collect();
    json!([{
        "service_account": text(Some(t), "serviceAccount"),
        "timeout": text(Some(t), "timeout"),
        "execution_environment": text(Some(t), "executionEnvironment"),
        "max_instance_request_concurrency": t.get("maxInstanceRequestConcurrency").and_then(int_of).unwrap_or(0),
        "labels": map_or_null(Some(t), "labels"),
        "annotations": map_or_null(Some(t), "annotations"),
        "scaling": scaling,
        "vpc_access": vpc,
        "containers": containers,
    }])
}

fn traffic_tf(api: Option<&Json>) -> Json {
    let items: Vec<Json> = api
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .map(|t| json!({
            "type": text(Some(t), "type"),
            "percent": t.get("percent").and_then(int_of).unwrap_or(0),
            "revision": text(Some(t), "revision"),
            "tag": text(Some(t), "tag"),
        }))
        .collect();
    Json::Array(items)
}

/// The Terraform object for an API service. `base` (the planned or prior
/// object; `None` on import) gives the labels managed and
/// `deletion_protection`.
fn to_state(client: &Client, api: &Json, base: Option<&Json>, svc: &Service) -> Result<Json, Error> {
    let o = api_object(api, "Cloud Run service")?;
    let mut out = Map::new();
    out.insert("id".into(), json!(svc.id()));
    out.insert("name".into(), json!(svc.name));
    out.insert("project".into(), json!(svc.project));
    out.insert("location".into(), json!(svc.location));
    out.insert("deletion_protection".into(), json!(base.and_then(|b| opt_bool(b, "deletion_protection")).unwrap_or(true)));
    out.insert("description".into(), text(Some(api), "description"));
    out.insert("ingress".into(), text(Some(api), "ingress"));
    out.insert("launch_stage".into(), text(Some(api), "launchStage"));
    out.insert("annotations".into(), map_or_null(Some(api), "annotations"));
    read_labels(client, o.get("labels"), base, &mut out);
    out.insert("template".into(), template_tf(o.get("template")));
    out.insert("traffic".into(), traffic_tf(o.get("traffic")));
    for (tf, key) in [
        ("uri", "uri"),
        ("latest_ready_revision", "latestReadyRevision"),
        ("latest_created_revision", "latestCreatedRevision"),
        ("etag", "etag"),
        ("uid", "uid"),
        ("create_time", "createTime"),
    ] {
        out.insert(tf.into(), text(Some(api), key));
    }
    out.insert("urls".into(), list_or_null(Some(api), "urls"));
    for (tf, key) in [("generation", "generation"), ("observed_generation", "observedGeneration")] {
        out.insert(tf.into(), json!(o.get(key).and_then(int_of).map(|n| n.to_string())));
    }
    Ok(Json::Object(out))
}

// ---- plan ------------------------------------------------------------------------

/// Fills `key` of `m` when null: from `prior`'s `key`, else `default`.
fn fill(m: &mut Map<String, Json>, prior: Option<&Json>, key: &str, default: Json) {
    if m.get(key).is_none_or(Json::is_null) {
        let v = prior.and_then(|p| p.get(key)).filter(|v| !v.is_null()).cloned().unwrap_or(default);
        m.insert(key.into(), v);
    }
}

/// The `i`th object of block `key` of `v`.
fn nth<'a>(v: Option<&'a Json>, key: &str, i: usize) -> Option<&'a Json> {
    v.and_then(|v| v.get(key)).and_then(Json::as_array).and_then(|a| a.get(i)).filter(|b| b.is_object())
}

/// The planned template: the configured one with the API's defaults, or
/// the prior state's values, where it says nothing.
fn plan_template(t: &Json, prior: Option<&Json>) -> Json {
    let mut t = t.as_object().cloned().unwrap_or_default();
    fill(&mut t, prior, "timeout", json!(DEFAULT_TIMEOUT));
    fill(&mut t, prior, "max_instance_request_concurrency", json!(DEFAULT_CONCURRENCY));
    fill(&mut t, prior, "service_account", Json::Null);
    let scaling = nth(Some(&Json::Object(t.clone())), "scaling", 0).cloned();
    let mut s = scaling.and_then(|s| s.as_object().cloned()).unwrap_or_default();
    let prior_s = nth(prior, "scaling", 0);
    fill(&mut s, prior_s, "min_instance_count", json!(0));
    fill(&mut s, prior_s, "max_instance_count", json!(DEFAULT_MAX_INSTANCES));
    t.insert("scaling".into(), json!([s]));
    if let Some(mut v) = nth(Some(&Json::Object(t.clone())), "vpc_access", 0).and_then(|v| v.as_object().cloned()) {
        fill(&mut v, nth(prior, "vpc_access", 0), "egress", json!("PRIVATE_RANGES_ONLY"));
        t.insert("vpc_access".into(), json!([v]));
    }
    let containers: Vec<Json> = blocks(&Json::Object(t.clone()), "containers")
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let mut c = c.as_object().cloned().unwrap_or_default();
            let prior_c = nth(prior, "containers", i);
            let whole = Json::Object(c.clone());
            let ports = blocks(&whole, "ports");
            let ports: Vec<Json> = if ports.is_empty() {
                match prior_c.map(|p| blocks(p, "ports")).filter(|p| !p.is_empty()) {
                    Some(p) => p.into_iter().cloned().collect(),
                    None => vec![json!({ "container_port": DEFAULT_PORT, "name": DEFAULT_PORT_NAME })],
                }
            } else {
                ports
                    .into_iter()
                    .map(|p| {
                        let mut p = p.as_object().cloned().unwrap_or_default();
                        fill(&mut p, None, "container_port", json!(DEFAULT_PORT));
                        fill(&mut p, None, "name", json!(DEFAULT_PORT_NAME));
                        Json::Object(p)
                    })
                    .collect()
            };
            c.insert("ports".into(), Json::Array(ports));
            let prior_r = nth(prior_c, "resources", 0);
            let mut r = block(&Json::Object(c.clone()), "resources").and_then(|r| r.as_object().cloned()).unwrap_or_default();
            fill(&mut r, prior_r, "limits", json!({ "cpu": "1000m", "memory": "512Mi" }));
            fill(&mut r, prior_r, "cpu_idle", json!(true));
            fill(&mut r, None, "startup_cpu_boost", json!(false));
            c.insert("resources".into(), json!([r]));
            Json::Object(c)
        })
        .collect();
    t.insert("containers".into(), Json::Array(containers));
    // The form a read gives back.
    template_tf(Some(&template_api(&Json::Object(t))))
}

impl GoogleResource for CloudRunV2Service {
    fn type_name(&self) -> &'static str {
        TYPE
    }

    fn changes_on_write(&self) -> &'static [&'static str] {
        &["etag", "generation", "observed_generation", "latest_created_revision", "latest_ready_revision"]
    }

    fn schema(&self) -> TypeSchema {
        let s = || TypeSpec::String;
        let n = || TypeSpec::Number;
        let map = || TypeSpec::Map(Box::new(TypeSpec::String));
        let list = || TypeSpec::List(Box::new(TypeSpec::String));
        let blk = |name, min, max, schema| BlockSpec { name, nesting: Nesting::List, min_items: min, max_items: max, schema, force_new: false };
        let mut attributes = vec![
            AttrSpec::computed("id", s()),
            AttrSpec::required("name", s()).force_new(),
            AttrSpec::optional_computed("location", s()).force_new(),
            AttrSpec::optional_computed("project", s()).force_new(),
            AttrSpec::optional("description", s()),
            AttrSpec::optional("annotations", map()),
            AttrSpec::optional_computed("ingress", s()),
            AttrSpec::optional_computed("launch_stage", s()),
            AttrSpec::optional("deletion_protection", TypeSpec::Bool),
            AttrSpec::computed("uri", s()),
            AttrSpec::computed("urls", list()),
            AttrSpec::computed("latest_ready_revision", s()),
            AttrSpec::computed("latest_created_revision", s()),
            AttrSpec::computed("generation", s()),
            AttrSpec::computed("observed_generation", s()),
            AttrSpec::computed("etag", s()),
            AttrSpec::computed("uid", s()),
            AttrSpec::computed("create_time", s()),
        ];
        attributes.extend(label_attrs());
        let ports = TypeSchema { attributes: vec![AttrSpec::optional_computed("container_port", n()), AttrSpec::optional_computed("name", s())], blocks: vec![] };
        let env = TypeSchema { attributes: vec![AttrSpec::required("name", s()), AttrSpec::optional("value", s())], blocks: vec![] };
        let resources = TypeSchema {
            attributes: vec![
                AttrSpec::optional_computed("limits", map()),
                AttrSpec::optional_computed("cpu_idle", TypeSpec::Bool),
                AttrSpec::optional("startup_cpu_boost", TypeSpec::Bool),
            ],
            blocks: vec![],
        };
        let container = TypeSchema {
            attributes: vec![
                AttrSpec::optional("name", s()),
                AttrSpec::required("image", s()),
                AttrSpec::optional("args", list()),
                AttrSpec::optional("command", list()),
            ],
            blocks: vec![blk("ports", 0, 1, ports), blk("env", 0, 0, env), blk("resources", 0, 1, resources)],
        };
        let scaling = TypeSchema {
            attributes: vec![AttrSpec::optional_computed("min_instance_count", n()), AttrSpec::optional_computed("max_instance_count", n())],
            blocks: vec![],
        };
        let vpc = TypeSchema { attributes: vec![AttrSpec::optional("connector", s()), AttrSpec::optional_computed("egress", s())], blocks: vec![] };
        let template = TypeSchema {
            attributes: vec![
                AttrSpec::optional_computed("service_account", s()),
                AttrSpec::optional_computed("timeout", s()),
                AttrSpec::optional_computed("max_instance_request_concurrency", n()),
                AttrSpec::optional("execution_environment", s()),
                AttrSpec::optional("labels", map()),
                AttrSpec::optional("annotations", map()),
            ],
            blocks: vec![blk("scaling", 0, 1, scaling), blk("vpc_access", 0, 1, vpc), blk("containers", 1, 0, container)],
        };
        let traffic = TypeSchema {
            attributes: vec![
                AttrSpec::optional_computed("type", s()),
                AttrSpec::optional_computed("percent", n()),
                AttrSpec::optional("revision", s()),
                AttrSpec::optional("tag", s()),
            ],
            blocks: vec![],
        };
        TypeSchema { attributes, blocks: vec![blk("template", 1, 1, template), blk("traffic", 0, 0, traffic)] }
    }

    fn plan(&self, config: &ProviderConfig, prior: Option<&Json>, proposed: Json) -> Result<Json, String> {
        let mut m = object(proposed, TYPE)?;
        fill_project(config, prior, &mut m)?;
        fill_location(config, prior, &mut m)?;
        keep_prior(&mut m, prior, KEPT);
        fill(&mut m, prior, "ingress", json!("INGRESS_TRAFFIC_ALL"));
        fill(&mut m, prior, "launch_stage", json!("GA"));
        if m.get("deletion_protection").is_none_or(Json::is_null) {
            m.insert("deletion_protection".into(), json!(true));
        }
        for k in ["description", "annotations", "labels"] {
            m.entry(k).or_insert(Json::Null);
        }
        if let Some(t) = block(&Json::Object(m.clone()), "template").cloned() {
            let prior_t = prior.and_then(|p| block(p, "template"));
            m.insert("template".into(), plan_template(&t, prior_t));
        }
        // Traffic left unset: the prior split, else all to the latest revision.
        let traffic = if blocks(&Json::Object(m.clone()), "traffic").is_empty() {
            match prior.map(|p| blocks(p, "traffic")).filter(|t| !t.is_empty()) {
                Some(t) => Json::Array(t.into_iter().cloned().collect()),
                None => json!([{ "type": LATEST, "percent": 100 }]),
            }
        } else {
            Json::Object(m.clone()).get("traffic").cloned().unwrap_or(Json::Null)
        };
        let mut holder = Map::new();
        holder.insert("traffic".into(), traffic);
        m.insert("traffic".into(), traffic_tf(Some(&Json::Array(traffic_api(&Json::Object(holder))))));
        plan_labels(config, &mut m);
        let parts = ["project", "location", "name"].map(|k| m.get(k).and_then(Json::as_str).map(str::to_string));
        if let [Some(project), Some(location), Some(name)] = parts {
            m.insert("id".into(), json!(format!("projects/{project}/locations/{location}/services/{name}")));
        }
        Ok(Json::Object(m))
    }

    fn read<'a>(&'a self, client: &'a Client, state: &'a Json) -> BoxFuture<'a, Result<Option<Json>, Error>> {
        Box::pin(async move {
            let svc = Service::of(client, state)?;
            match client.get_opt(&svc.url(client)).await? {
                Some(api) => to_state(client, &api, Some(state), &svc).map(Some),
                None => Ok(None),
            }
        })
    }

    fn create<'a>(&'a self, client: &'a Client, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let svc = Service::of(client, planned)?;
            let body = service_api(client, planned);
            let url = format!("{}?serviceId={}", svc.parent_url(client), encode(&svc.name));
            let op = client.call(Method::POST, &url, Some(&body)).await?;
            client.wait_operation(SERVICE, op, TIMEOUT).await.map_err(|e| e.context(&format!("creating Cloud Run service {}", svc.id())))?;
            let api = client.get_opt(&svc.url(client)).await?.ok_or_else(|| Error::Invalid(format!("Cloud Run service {} is gone after its create", svc.id())))?;
            to_state(client, &api, Some(planned), &svc)
        })
    }

    fn update<'a>(&'a self, client: &'a Client, prior: &'a Json, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let svc = Service::of(client, planned)?;
            let mut body = service_api(client, planned);
            // `deletion_protection` alone changes nothing at Google.
            if body != service_api(client, prior) {
                if let (Some(b), Some(etag)) = (body.as_object_mut(), opt_str(prior, "etag")) {
                    b.insert("etag".into(), json!(etag));
                }
                let op = client.call(Method::PATCH, &svc.url(client), Some(&body)).await?;
                client.wait_operation(SERVICE, op, TIMEOUT).await.map_err(|e| e.context(&format!("updating Cloud Run service {}", svc.id())))?;
            }
            let api = client.get_opt(&svc.url(client)).await?.ok_or_else(|| Error::Invalid(format!("Cloud Run service {} is gone after its update", svc.id())))?;
            to_state(client, &api, Some(planned), &svc)
        })
    }

    fn delete<'a>(&'a self, client: &'a Client, prior: &'a Json) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let svc = Service::of(client, prior)?;
            if opt_bool(prior, "deletion_protection") != Some(false) {
                return Err(Error::Invalid(format!(
                    "cannot destroy {TYPE} {}: deletion_protection is true; set `deletion_protection = false` and apply, then destroy",
                    svc.id()
                )));
            }
            let op = match client.call(Method::DELETE, &svc.url(client), None).await {
                Err(Error::NotFound) => return Ok(()),
                other => other?,
            };
            client.wait_operation(SERVICE, op, TIMEOUT).await.map_err(|e| e.context(&format!("deleting Cloud Run service {}", svc.id())))?;
            Ok(())
        })
    }

    fn import<'a>(&'a self, client: &'a Client, id: &'a str) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let svc = Service::parse(client, id)?;
            match client.get_opt(&svc.url(client)).await? {
                Some(api) => to_state(client, &api, None, &svc),
                None => Err(Error::Invalid(format!("Cloud Run service {} does not exist", svc.id()))),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_ids() {
        let client = Client::new(ProviderConfig { project: Some("p1".into()), region: Some("us-east1".into()), ..Default::default() });
        let id = |s: &str| Service::parse(&client, s).map(|i| i.id());
        let want = "projects/p2/locations/europe-west1/services/api".to_string();
        assert_eq!(id("projects/p2/locations/europe-west1/services/api").unwrap(), want);
        assert_eq!(id("p2/europe-west1/api").unwrap(), want);
        assert_eq!(id("europe-west1/api").unwrap(), "projects/p1/locations/europe-west1/services/api");
        assert_eq!(id("api").unwrap(), "projects/p1/locations/us-east1/services/api");
        assert!(matches!(id("a/b/c/d"), Err(Error::Invalid(_))));
    }

    #[test]
    fn plan_fills_the_apis_template_defaults() {
        let t = json!({ "containers": [{ "image": "nginx" }] });
        let planned = plan_template(&t, None);
        let c = &planned[0]["containers"][0];
        assert_eq!(c["ports"], json!([{ "container_port": 8080, "name": "http1" }]));
        assert_eq!(c["resources"][0]["limits"], json!({ "cpu": "1000m", "memory": "512Mi" }));
        assert_eq!(planned[0]["timeout"], "300s");
        assert_eq!(planned[0]["max_instance_request_concurrency"], 80);
        assert_eq!(planned[0]["scaling"][0]["max_instance_count"], 100);
    }
}
