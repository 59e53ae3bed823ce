//! `google_redis_instance`: a Memorystore for Redis instance (v1; create,
//! update, upgrade and delete are google.longrunning operations).
//!
//! Create = `POST v1/projects/{p}/locations/{region}/instances?instanceId={n}`;
//! read = `GET .../instances/{n}` (404: gone), and when AUTH is on `GET
//! .../instances/{n}/authString` for the sensitive `auth_string`; update =
//! `PATCH` with an `updateMask` naming only the changed fields
//! (`memorySizeGb`, `displayName`, `labels`, `redisConfigs`, `authEnabled`,
//! `replicaCount`, `readReplicasMode`, `maintenancePolicy`), then a newer
//! `redis_version` through `POST .../instances/{n}:upgrade`; delete =
//! `DELETE`. Each waits for its operation, so one runs at a time per
//! instance (Memorystore refuses a mutation while another runs). A resize
//! (`memory_size_gb`) is an update in place: an instance full of data is
//! never recreated for it. An older `redis_version` cannot be made in
//! place: it replaces the instance. Every other argument forces a new one.
//!
//! What needs care:
//! - `region` comes from the provider, else from `location_id`'s zone.
//! - `authorized_network` may be written as a network's name (`default`),
//!   its `projects/{p}/global/networks/{n}` path or URL: it is sent as the
//!   path, and read back in the spelling the configuration (or prior
//!   state) used for the same network.
//! - The API leaves out `false`, `0` and empty maps (proto3 JSON).
//! - `auth_string` is only ever in state (sensitive): never in an error.
//!
//! `id`: `projects/{p}/locations/{region}/instances/{name}`. Import IDs:
//! that `id`, `{p}/{region}/{name}`, `{region}/{name}` and `{name}` (project
//! and region from the provider).
//!
//! Not here: `persistence_config`, `customer_managed_key`,
//! `secondary_ip_range`, `maintenance_version`, `server_ca_certs`, `nodes`,
//! `deletion_protection`, a maintenance window's `duration`.

use super::{
    api_object, block, blocks, effective_labels, encode, fill_project, import_id, int_of, keep_prior, label_attrs, object, opt_bool,
    opt_str, plan_labels, project_of, read_labels, req_str, string_map, to_json_map,
};
use crate::client::Method;
use crate::{AttrSpec, BlockSpec, BoxFuture, Client, Error, GoogleResource, Json, Nesting, ProviderConfig, TypeSchema, TypeSpec};
use serde_json::{json, Map};
use std::time::Duration;

const SERVICE: &str = "redis";
/// Create, update and delete each, as Terraform's default.
const TIMEOUT: Duration = Duration::from_secs(20 * 60);

/// Computed arguments a plan keeps from the prior state when unset.
const KEPT: &[&str] = &[
    "redis_version",
    "location_id",
    "alternative_location_id",
    "authorized_network",
    "reserved_ip_range",
    "replica_count",
    "read_replicas_mode",
    "host",
    "port",
    "current_location_id",
    "persistence_iam_identity",
    "read_endpoint",
    "read_endpoint_port",
    "create_time",
    "auth_string",
];

pub struct RedisInstance;

/// An instance's place: the three parts of its name.
struct Instance {
    project: String,
    region: String,
    name: String,
}

impl Instance {
    /// The instance of a planned or prior object; project and region
    /// default to the provider's.
    fn of(client: &Client, v: &Json) -> Result<Instance, Error> {
        let region = match opt_str(v, "region") {
            Some(r) => r.to_string(),
            None => client.default_region()?.to_string(),
        };
        Ok(Instance { project: project_of(client, v)?.to_string(), region, name: req_str(v, "name")?.to_string() })
    }

    fn parse(client: &Client, id: &str) -> Result<Instance, Error> {
        let formats = ["projects/{project}/locations/{region}/instances/{name}", "{project}/{region}/{name}", "{region}/{name}", "{name}"];
        let parts = import_id("google_redis_instance", id, &formats)?;
        let project = match parts.get("project") {
            Some(p) => p.clone(),
            None => client.default_project()?.to_string(),
        };
        let region = match parts.get("region") {
            Some(r) => r.clone(),
            None => client.default_region()?.to_string(),
        };
        let name = parts.get("name").cloned().unwrap_or_default();
        Ok(Instance { project, region, name })
    }

    /// `projects/{p}/locations/{region}/instances/{n}`: Terraform's `id`.
    fn id(&self) -> String {
        format!("projects/{}/locations/{}/instances/{}", self.project, self.region, self.name)
    }

    fn parent_url(&self, client: &Client) -> String {
        client.url(SERVICE, &format!("projects/{}/locations/{}/instances", encode(&self.project), encode(&self.region)))
    }

    fn url(&self, client: &Client) -> String {
        format!("{}/{}", self.parent_url(client), encode(&self.name))
    }
}

// ---- authorized_network ------------------------------------------------------

/// A network as the API names it: `projects/{p}/global/networks/{n}`, from
/// a name (in `project`), that path, or a URL ending in it.
fn network_path(project: &str, network: &str) -> String {
    match network.find("projects/") {
        Some(i) => network[i..].to_string(),
        None => format!("projects/{project}/global/networks/{network}"),
    }
}

/// The spelling a read gives `authorized_network`: `base`'s when it names
/// the same network, else the API's.
fn network_spelling(project: &str, base: Option<&Json>, api: &str) -> String {
    match base.and_then(|b| opt_str(b, "authorized_network")) {
        Some(b) if network_path(project, b) == network_path(project, api) => b.to_string(),
        _ => api.to_string(),
    }
}

// ---- maintenance_policy --------------------------------------------------------

/// The `maintenance_policy` block as the API's `maintenancePolicy`.
fn maintenance_api(v: &Json) -> Option<Json> {
    let policy = block(v, "maintenance_policy")?;
    let windows: Vec<Json> = blocks(policy, "weekly_maintenance_window")
        .into_iter()
        .map(|w| {
            let mut start = Map::new();
            if let Some(t) = block(w, "start_time") {
                for k in ["hours", "minutes", "seconds", "nanos"] {
                    if let Some(n) = t.get(k).and_then(int_of).filter(|n| *n != 0) {
                        start.insert(k.into(), json!(n));
                    }
                }
            }
            json!({ "day": opt_str(w, "day").unwrap_or(""), "startTime": start })
        })
        .collect();
    let mut out = Map::new();
    if let Some(d) = opt_str(policy, "description") {
        out.insert("description".into(), json!(d));
    }
    if !windows.is_empty() {
        out.insert("weeklyMaintenanceWindow".into(), Json::Array(windows));
    }
    Some(Json::Object(out))
}

/// The API's `maintenancePolicy` as a `maintenance_policy` block, every
/// field present; `[]` when there is none.
fn maintenance_tf(api: Option<&Json>) -> Json {
    let Some(p) = api.filter(|p| p.as_object().is_some_and(|m| !m.is_empty())) else { return json!([]) };
    let windows: Vec<Json> = p
        .get("weeklyMaintenanceWindow")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .map(|w| {
            let t = w.get("startTime");
            let n = |k: &str| t.and_then(|t| t.get(k)).and_then(int_of).unwrap_or(0);
            json!({
                "day": w.get("day").and_then(Json::as_str),
                "start_time": [{ "hours": n("hours"), "minutes": n("minutes"), "seconds": n("seconds"), "nanos": n("nanos") }],
            })
        })
        .collect();
    json!([{ "description": p.get("description").and_then(Json::as_str).filter(|s| !s.is_empty()), "weekly_maintenance_window": windows }])
}

// ---- state ---------------------------------------------------------------------

/// A string map that reads back as `null` when empty and `base` had none.
fn map_or_null(api: Option<&Json>, base: Option<&Json>, key: &str) -> Json {
    let m: Map<String, Json> = api.and_then(Json::as_object).map(|m| m.iter().filter(|(_, v)| v.is_string()).map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default();
    if m.is_empty() && base.is_none_or(|b| b.get(key).is_none_or(Json::is_null)) {
        Json::Null
    } else {
        Json::Object(m)
    }
}

/// The Terraform object for an API instance and its AUTH string. `base`
/// (the planned or prior object; `None` on import) gives the spellings and
/// the labels managed.
fn to_state(client: &Client, api: &Json, auth: Option<String>, base: Option<&Json>, inst: &Instance) -> Result<Json, Error> {
    let o = api_object(api, "Memorystore instance")?;
    let text = |k: &str| o.get(k).and_then(Json::as_str).filter(|s| !s.is_empty());
    let int = |k: &str| o.get(k).and_then(int_of);
    let memory = int("memorySizeGb").ok_or_else(|| Error::Invalid(format!("instance {}: the API's answer has no memorySizeGb", inst.id())))?;
    let mut out = Map::new();
    out.insert("id".into(), json!(inst.id()));
    out.insert("name".into(), json!(inst.name));
    out.insert("project".into(), json!(inst.project));
    out.insert("region".into(), json!(inst.region));
    out.insert("memory_size_gb".into(), json!(memory));
    out.insert("tier".into(), json!(text("tier").unwrap_or("BASIC")));
    out.insert("redis_version".into(), json!(text("redisVersion")));
    out.insert("display_name".into(), json!(text("displayName")));
    out.insert("redis_configs".into(), map_or_null(o.get("redisConfigs"), base, "redis_configs"));
    let network = text("authorizedNetwork").map(|n| network_spelling(&inst.project, base, n));
    out.insert("authorized_network".into(), json!(network));
    out.insert("connect_mode".into(), json!(text("connectMode").unwrap_or("DIRECT_PEERING")));
    out.insert("transit_encryption_mode".into(), json!(text("transitEncryptionMode").unwrap_or("DISABLED")));
    let auth_enabled = o.get("authEnabled").and_then(Json::as_bool).unwrap_or(false);
    out.insert("auth_enabled".into(), json!(auth_enabled));
    out.insert("auth_string".into(), json!(auth.filter(|_| auth_enabled)));
    out.insert("replica_count".into(), json!(int("replicaCount").unwrap_or(0)));
    out.insert("read_replicas_mode".into(), json!(text("readReplicasMode")));
    out.insert("maintenance_policy".into(), maintenance_tf(o.get("maintenancePolicy")));
    read_labels(client, o.get("labels"), base, &mut out);
    for (tf, api) in [
        ("location_id", "locationId"),
        ("alternative_location_id", "alternativeLocationId"),
        ("reserved_ip_range", "reservedIpRange"),
        ("host", "host"),
        ("current_location_id", "currentLocationId"),
        ("persistence_iam_identity", "persistenceIamIdentity"),
        ("read_endpoint", "readEndpoint"),
        ("create_time", "createTime"),
    ] {
        out.insert(tf.into(), json!(text(api)));
    }
    out.insert("port".into(), json!(int("port")));
    out.insert("read_endpoint_port".into(), json!(int("readEndpointPort")));
    Ok(Json::Object(out))
}

/// The API's instance, and its AUTH string when AUTH is on.
async fn fetch(client: &Client, inst: &Instance) -> Result<Option<(Json, Option<String>)>, Error> {
    let Some(api) = client.get_opt(&inst.url(client)).await? else { return Ok(None) };
    let auth = if api.get("authEnabled").and_then(Json::as_bool).unwrap_or(false) {
        let url = format!("{}/authString", inst.url(client));
        client.call(Method::GET, &url, None).await?.get("authString").and_then(Json::as_str).map(str::to_string)
    } else {
        None
    };
    Ok(Some((api, auth)))
}

/// The body of a create: every argument the API holds.
fn create_body(client: &Client, planned: &Json, inst: &Instance) -> Result<Json, Error> {
    let memory = planned.get("memory_size_gb").and_then(int_of).ok_or_else(|| Error::Invalid("`memory_size_gb` is required".into()))?;
    let mut body = Map::new();
    body.insert("tier".into(), json!(opt_str(planned, "tier").unwrap_or("BASIC")));
    body.insert("memorySizeGb".into(), json!(memory));
    for (tf, api) in [
        ("redis_version", "redisVersion"),
        ("display_name", "displayName"),
        ("location_id", "locationId"),
        ("alternative_location_id", "alternativeLocationId"),
        ("connect_mode", "connectMode"),
        ("transit_encryption_mode", "transitEncryptionMode"),
        ("reserved_ip_range", "reservedIpRange"),
        ("read_replicas_mode", "readReplicasMode"),
    ] {
        if let Some(v) = opt_str(planned, tf) {
            body.insert(api.into(), json!(v));
        }
    }
    if let Some(n) = opt_str(planned, "authorized_network") {
        body.insert("authorizedNetwork".into(), json!(network_path(&inst.project, n)));
    }
    if let Some(n) = planned.get("replica_count").and_then(int_of).filter(|n| *n > 0) {
        body.insert("replicaCount".into(), json!(n));
    }
    if opt_bool(planned, "auth_enabled") == Some(true) {
        body.insert("authEnabled".into(), json!(true));
    }
    let labels = effective_labels(client, planned);
    if !labels.is_empty() {
        body.insert("labels".into(), to_json_map(&labels));
    }
    let configs = string_map(planned, "redis_configs");
    if !configs.is_empty() {
        body.insert("redisConfigs".into(), to_json_map(&configs));
    }
    if let Some(m) = maintenance_api(planned) {
        body.insert("maintenancePolicy".into(), m);
    }
    Ok(Json::Object(body))
}

/// The patch of an update: `(updateMask, body)` with only what changed.
fn update_patch(client: &Client, prior: &Json, planned: &Json) -> (Vec<&'static str>, Map<String, Json>) {
    let mut mask = Vec::new();
    let mut body = Map::new();
    let memory = planned.get("memory_size_gb").and_then(int_of);
    if memory.is_some() && memory != prior.get("memory_size_gb").and_then(int_of) {
        mask.push("memorySizeGb");
        body.insert("memorySizeGb".into(), json!(memory));
    }
    if opt_str(planned, "display_name") != opt_str(prior, "display_name") {
        mask.push("displayName");
        if let Some(d) = opt_str(planned, "display_name") {
            body.insert("displayName".into(), json!(d));
        }
    }
    let labels = effective_labels(client, planned);
    if labels != string_map(prior, "effective_labels") {
        mask.push("labels");
        body.insert("labels".into(), to_json_map(&labels));
    }
    let configs = string_map(planned, "redis_configs");
    if configs != string_map(prior, "redis_configs") {
        mask.push("redisConfigs");
        body.insert("redisConfigs".into(), to_json_map(&configs));
    }
    let auth = opt_bool(planned, "auth_enabled").unwrap_or(false);
    if auth != opt_bool(prior, "auth_enabled").unwrap_or(false) {
        mask.push("authEnabled");
        body.insert("authEnabled".into(), json!(auth));
    }
    let replicas = planned.get("replica_count").and_then(int_of);
    if replicas.is_some() && replicas != prior.get("replica_count").and_then(int_of) {
        mask.push("replicaCount");
        body.insert("replicaCount".into(), json!(replicas));
    }
    let mode = opt_str(planned, "read_replicas_mode");
    if mode.is_some() && mode != opt_str(prior, "read_replicas_mode") {
        mask.push("readReplicasMode");
        body.insert("readReplicasMode".into(), json!(mode));
    }
    let policy = maintenance_api(planned);
    if policy != maintenance_api(prior) {
        mask.push("maintenancePolicy");
        if let Some(p) = policy {
            body.insert("maintenancePolicy".into(), p);
        }
    }
    (mask, body)
}

/// The region of a planned object: configured, else the prior state's,
/// else the provider's, else `location_id`'s (`us-central1-a`).
fn fill_region(config: &ProviderConfig, prior: Option<&Json>, m: &mut Map<String, Json>) -> Result<(), String> {
    if m.get("region").and_then(Json::as_str).is_some_and(|s| !s.is_empty()) {
        return Ok(());
    }
    let from_zone = m.get("location_id").and_then(Json::as_str).and_then(|z| z.rsplit_once('-')).map(|(r, _)| r.to_string());
    let region = prior
        .and_then(|p| opt_str(p, "region"))
        .map(str::to_string)
        .or_else(|| config.region.clone().filter(|r| !r.is_empty()))
        .or(from_zone)
        .ok_or("google_redis_instance: `region` is not set, and the provider block has no `region`")?;
    m.insert("region".into(), json!(region));
    Ok(())
}

impl GoogleResource for RedisInstance {
    fn type_name(&self) -> &'static str {
        "google_redis_instance"
    }

    fn schema(&self) -> TypeSchema {
        let s = || TypeSpec::String;
        let n = || TypeSpec::Number;
        let mut attributes = vec![
            AttrSpec::computed("id", s()),
            AttrSpec::required("name", s()).force_new(),
            AttrSpec::required("memory_size_gb", n()),
            AttrSpec::optional_computed("tier", s()).force_new(),
            AttrSpec::optional_computed("region", s()).force_new(),
            AttrSpec::optional_computed("project", s()).force_new(),
            AttrSpec::optional_computed("location_id", s()).force_new(),
            AttrSpec::optional_computed("alternative_location_id", s()).force_new(),
            AttrSpec::optional_computed("redis_version", s()),
            AttrSpec::optional("display_name", s()),
            AttrSpec::optional("redis_configs", TypeSpec::Map(Box::new(s()))),
            AttrSpec::optional_computed("authorized_network", s()).force_new(),
            AttrSpec::optional_computed("connect_mode", s()).force_new(),
            AttrSpec::optional_computed("transit_encryption_mode", s()).force_new(),
            AttrSpec::optional_computed("reserved_ip_range", s()).force_new(),
            AttrSpec::optional("auth_enabled", TypeSpec::Bool),
            AttrSpec::computed("auth_string", s()).sensitive(),
            AttrSpec::optional_computed("replica_count", n()),
            AttrSpec::optional_computed("read_replicas_mode", s()),
            AttrSpec::computed("host", s()),
            AttrSpec::computed("port", n()),
            AttrSpec::computed("current_location_id", s()),
            AttrSpec::computed("persistence_iam_identity", s()),
            AttrSpec::computed("read_endpoint", s()),
            AttrSpec::computed("read_endpoint_port", n()),
            AttrSpec::computed("create_time", s()),
        ];
        attributes.extend(label_attrs());
        let at_most_one = |name, schema| BlockSpec { name, nesting: Nesting::List, min_items: 0, max_items: 1, schema, force_new: false };
        let start_time = TypeSchema {
            attributes: ["hours", "minutes", "seconds", "nanos"].into_iter().map(|k| AttrSpec::optional(k, n())).collect(),
            blocks: Vec::new(),
        };
        let window = TypeSchema {
            attributes: vec![AttrSpec::required("day", s())],
            blocks: vec![BlockSpec { name: "start_time", nesting: Nesting::List, min_items: 1, max_items: 1, schema: start_time, force_new: false }],
        };
        let policy = TypeSchema {
            attributes: vec![AttrSpec::optional("description", s())],
            blocks: vec![BlockSpec { name: "weekly_maintenance_window", nesting: Nesting::List, min_items: 0, max_items: 0, schema: window, force_new: false }],
        };
        TypeSchema { attributes, blocks: vec![at_most_one("maintenance_policy", policy)] }
    }

    fn plan(&self, config: &ProviderConfig, prior: Option<&Json>, proposed: Json) -> Result<Json, String> {
        let mut m = object(proposed, self.type_name())?;
        fill_project(config, prior, &mut m)?;
        fill_region(config, prior, &mut m)?;
        keep_prior(&mut m, prior, KEPT);
        for (key, default) in [("tier", json!("BASIC")), ("connect_mode", json!("DIRECT_PEERING")), ("transit_encryption_mode", json!("DISABLED")), ("auth_enabled", json!(false))] {
            if m.get(key).is_none_or(Json::is_null) {
                m.insert(key.into(), prior.and_then(|p| p.get(key)).filter(|v| !v.is_null()).cloned().unwrap_or(default));
            }
        }
        for key in ["memory_size_gb", "replica_count"] {
            if let Some(n) = m.get(key).and_then(int_of) {
                m.insert(key.into(), json!(n));
            }
        }
        // The same network, however it is written, is no change.
        if let (Some(p), Some(now), Some(project)) =
            (prior.and_then(|p| opt_str(p, "authorized_network")), m.get("authorized_network").and_then(Json::as_str), m.get("project").and_then(Json::as_str))
        {
            if network_path(project, p) == network_path(project, now) {
                m.insert("authorized_network".into(), json!(p));
            }
        }
        if m.get("display_name").is_some_and(|v| v.as_str() == Some("")) {
            m.insert("display_name".into(), Json::Null);
        }
        m.entry("display_name").or_insert(Json::Null);
        m.entry("labels").or_insert(Json::Null);
        m.entry("redis_configs").or_insert(Json::Null);
        // The block in the canonical form a read gives back.
        let whole = Json::Object(m.clone());
        m.insert("maintenance_policy".into(), maintenance_tf(maintenance_api(&whole).as_ref()));
        // Turning AUTH off forgets the string; turning it on learns a new one.
        let auth_on = m.get("auth_enabled").and_then(Json::as_bool).unwrap_or(false);
        if !auth_on || prior.is_some_and(|p| opt_bool(p, "auth_enabled") != Some(true)) {
            m.insert("auth_string".into(), Json::Null);
        }
        plan_labels(config, &mut m);
        let parts = ["project", "region", "name"].map(|k| m.get(k).and_then(Json::as_str).map(str::to_string));
        if let [Some(project), Some(region), Some(name)] = parts {
            m.insert("id".into(), json!(format!("projects/{project}/locations/{region}/instances/{name}")));
        }
        Ok(Json::Object(m))
    }

    fn replace_reasons(&self, prior: &Json, planned: &Json) -> Vec<(&'static str, String)> {
        match (opt_str(prior, "redis_version"), opt_str(planned, "redis_version")) {
            // `REDIS_6_X` < `REDIS_7_0` < `REDIS_7_2`: the names sort by version.
            (Some(from), Some(to)) if to < from => {
                vec![("redis_version", format!("Memorystore cannot downgrade {from} to {to} in place"))]
            }
            _ => Vec::new(),
        }
    }

    fn read<'a>(&'a self, client: &'a Client, state: &'a Json) -> BoxFuture<'a, Result<Option<Json>, Error>> {
        Box::pin(async move {
            let inst = Instance::of(client, state)?;
            match fetch(client, &inst).await? {
                Some((api, auth)) => to_state(client, &api, auth, Some(state), &inst).map(Some),
                None => Ok(None),
            }
        })
    }

    fn create<'a>(&'a self, client: &'a Client, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let inst = Instance::of(client, planned)?;
            let body = create_body(client, planned, &inst)?;
            let url = format!("{}?instanceId={}", inst.parent_url(client), encode(&inst.name));
            let op = client.call(Method::POST, &url, Some(&body)).await?;
            client.wait_operation(SERVICE, op, TIMEOUT).await.map_err(|e| e.context(&format!("creating Memorystore instance {}", inst.id())))?;
            let (api, auth) = fetch(client, &inst).await?.ok_or_else(|| Error::Invalid(format!("Memorystore instance {} is gone after its create", inst.id())))?;
            to_state(client, &api, auth, Some(planned), &inst)
        })
    }

    fn update<'a>(&'a self, client: &'a Client, prior: &'a Json, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let inst = Instance::of(client, planned)?;
            let (mask, body) = update_patch(client, prior, planned);
            if !mask.is_empty() {
                let url = format!("{}?updateMask={}", inst.url(client), encode(&mask.join(",")));
                let op = client.call(Method::PATCH, &url, Some(&Json::Object(body))).await?;
                client.wait_operation(SERVICE, op, TIMEOUT).await.map_err(|e| e.context(&format!("updating Memorystore instance {}", inst.id())))?;
            }
            if let Some(to) = opt_str(planned, "redis_version").filter(|to| Some(*to) != opt_str(prior, "redis_version")) {
                let url = format!("{}:upgrade", inst.url(client));
                let op = client.call(Method::POST, &url, Some(&json!({ "redisVersion": to }))).await?;
                client.wait_operation(SERVICE, op, TIMEOUT).await.map_err(|e| e.context(&format!("upgrading Memorystore instance {} to {to}", inst.id())))?;
            }
            let (api, auth) = fetch(client, &inst).await?.ok_or_else(|| Error::Invalid(format!("Memorystore instance {} is gone after its update", inst.id())))?;
            to_state(client, &api, auth, Some(planned), &inst)
        })
    }

    fn delete<'a>(&'a self, client: &'a Client, prior: &'a Json) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let inst = Instance::of(client, prior)?;
            let op = match client.call(Method::DELETE, &inst.url(client), None).await {
                Err(Error::NotFound) => return Ok(()),
                other => other?,
            };
            client.wait_operation(SERVICE, op, TIMEOUT).await.map_err(|e| e.context(&format!("deleting Memorystore instance {}", inst.id())))?;
            Ok(())
        })
    }

    fn import<'a>(&'a self, client: &'a Client, id: &'a str) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let inst = Instance::parse(client, id)?;
            match fetch(client, &inst).await? {
                Some((api, auth)) => to_state(client, &api, auth, None, &inst),
                None => Err(Error::Invalid(format!("Memorystore instance {} does not exist", inst.id()))),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_in_every_spelling() {
        let path = "projects/p/global/networks/default";
        assert_eq!(network_path("p", "default"), path);
        assert_eq!(network_path("p", path), path);
        assert_eq!(network_path("p", "https://www.googleapis.com/compute/v1/projects/p/global/networks/default"), path);
        assert_eq!(network_spelling("p", Some(&json!({ "authorized_network": "default" })), path), "default");
        assert_eq!(network_spelling("p", Some(&json!({ "authorized_network": "other" })), path), path);
        assert_eq!(network_spelling("p", None, path), path);
    }

    #[test]
    fn maintenance_policy_round_trip() {
        let config = json!({ "maintenance_policy": [{ "weekly_maintenance_window": [{ "day": "TUESDAY", "start_time": [{ "hours": 3.0, "minutes": 30 }] }] }] });
        let api = maintenance_api(&config).unwrap();
        assert_eq!(api, json!({ "weeklyMaintenanceWindow": [{ "day": "TUESDAY", "startTime": { "hours": 3, "minutes": 30 } }] }));
        let tf = maintenance_tf(Some(&api));
        assert_eq!(tf[0]["weekly_maintenance_window"][0]["start_time"][0], json!({ "hours": 3, "minutes": 30, "seconds": 0, "nanos": 0 }));
        assert_eq!(maintenance_api(&json!({ "maintenance_policy": tf })), Some(api));
        assert_eq!(maintenance_tf(None), json!([]));
    }

    #[test]
    fn import_ids() {
        let client = Client::new(ProviderConfig { project: Some("p1".into()), region: Some("us-east1".into()), ..Default::default() });
        let id = |s: &str| Instance::parse(&client, s).map(|i| i.id());
        let want = "projects/p2/locations/europe-west1/instances/cache".to_string();
        assert_eq!(id("projects/p2/locations/europe-west1/instances/cache").unwrap(), want);
        assert_eq!(id("p2/europe-west1/cache").unwrap(), want);
        assert_eq!(id("europe-west1/cache").unwrap(), "projects/p1/locations/europe-west1/instances/cache");
        assert_eq!(id("cache").unwrap(), "projects/p1/locations/us-east1/instances/cache");
        for bad in ["", "a//b", "a/b/c/d"] {
            assert!(matches!(id(bad), Err(Error::Invalid(_))), "{bad:?}");
        }
    }

    #[test]
    fn a_downgrade_replaces() {
        let r = RedisInstance;
        let prior = json!({ "redis_version": "REDIS_7_0" });
        assert_eq!(r.replace_reasons(&prior, &json!({ "redis_version": "REDIS_6_X" }))[0].0, "redis_version");
        assert!(r.replace_reasons(&prior, &json!({ "redis_version": "REDIS_7_2" })).is_empty());
        assert!(r.replace_reasons(&prior, &json!({ "redis_version": null })).is_empty());
    }
}
