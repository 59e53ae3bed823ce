//! Cloud Run Admin v2: services (their configuration and revisions' names;
//! nothing runs).
//!
//! Owns: `services.create|get|list|patch|delete` under
//! `v2/projects/{project}/locations/{region}` and `operations.get` for the
//! operations they start. Create, patch and delete are long-running
//! operations whose `response` is the Service. The `serviceId` is 1 to 49
//! lowercase letters, digits and hyphens, starting with a letter and not
//! ending with a hyphen; a taken id is 409 ALREADY_EXISTS. A service needs
//! a `template` with at least one container, each with an `image`; an image
//! that is not an image reference (`[host/]path[:tag|@digest]`) makes the
//! operation fail (the revision never becomes ready) and nothing is kept.
//! Google's defaults are filled: `ingress` INGRESS_TRAFFIC_ALL, `launchStage`
//! GA, traffic 100% to the latest revision, the template's `timeout` 300s,
//! `maxInstanceRequestConcurrency` 80, `serviceAccount` the project's
//! default compute account, `scaling.maxInstanceCount` 100, each
//! container's port 8080 (`http1`) and limits `{cpu: 1000m, memory: 512Mi}`
//! with `cpuIdle`. Each create or template change is a new revision
//! (`{name}-0000N-xyz`); every patch increments `generation` and changes
//! `etag`; an `etag` in a patch body or a delete's query that is not the
//! current one is 409 ABORTED. `uri` is
//! `https://{name}-{hash}-{region code}.a.run.app`.
//! `run.googleapis.com` must be enabled in the project.
//!
//! Does not own: IAM policies, jobs, revisions as resources, executions,
//! `validateOnly`, list filters. `deletion_protection` is Terraform's alone
//! (no such field in the API); the provider refuses the delete.
//!
//! Store: `run.services` keyed `projects/{number}/locations/{region}/services/{id}`,
//! with hidden `revisions` (how many). Operations live in
//! `longrunning.operations`, named `projects/{projectId}/locations/{region}/operations/{uuid}`.

use super::{list_reply, page, resolve_project, serviceusage, valid_location, ApiRequest, Ctx, Project, Reply};
use crate::error::ApiError;
use crate::operation;
use crate::store::{Record, Store};
use serde_json::{json, Map, Value};

pub const SERVICES: &str = "run.services";

const SERVICE: &str = "run.googleapis.com";
const SERVICE_TYPE: &str = "type.googleapis.com/google.cloud.run.v2.Service";
const MAX_PAGE: i64 = 1000;

/// Fields only the server sets; ignored in requests.
const OUTPUT_ONLY: &[&str] = &[
    "name", "uid", "generation", "createTime", "updateTime", "deleteTime", "expireTime", "creator", "lastModifier", "observedGeneration",
    "terminalCondition", "conditions", "latestReadyRevision", "latestCreatedRevision", "trafficStatuses", "uri", "urls", "reconciling", "etag",
    "satisfiesPzs",
];

struct Parent {
    project: Project,
    region: String,
}

impl Parent {
    fn key(&self, id: &str) -> String {
        format!("{}{id}", self.key_prefix())
    }
    fn key_prefix(&self) -> String {
        format!("projects/{}/locations/{}/services/", self.project.number, self.region)
    }
    fn name(&self, id: &str) -> String {
        format!("projects/{}/locations/{}/services/{id}", self.project.id, self.region)
    }
    fn operation_name(&self, last: &str) -> String {
        format!("projects/{}/locations/{}/operations/{last}", self.project.id, self.region)
    }
}

/// Answers one Cloud Run request.
pub fn handle(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest) -> Result<Reply, ApiError> {
    let segs: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    let (p, region, rest) = match segs.as_slice() {
        ["projects", p, "locations", l, rest @ ..] => (*p, *l, rest),
        _ => return Err(ApiError::unknown_route(&req.method, &req.segments.join("/"))),
    };
    let project = resolve_project(store, ctx.now_ms, p)?;
    serviceusage::require_enabled(ctx, store, &project.number, SERVICE)?;
    if !valid_location(region) {
        return Err(ApiError::invalid(format!("Invalid location '{region}'.")));
    }
    let parent = Parent { project, region: region.to_string() };
    match (req.method.as_str(), rest, req.verb.as_deref()) {
        ("POST", ["services"], None) => create(ctx, store, req, &parent),
        ("GET", ["services"], None) => list(store, req, &parent),
        ("GET", ["services", id], None) => Ok(Reply::Json(existing(store, &parent, id)?.resource.clone())),
        ("PATCH", ["services", id], None) => patch(ctx, store, req, &parent, id),
        ("DELETE", ["services", id], None) => delete(ctx, store, req, &parent, id),
        ("GET", ["operations", id], None) => Ok(Reply::Json(operation::get(store, &parent.operation_name(id), ctx.now_ms)?)),
        _ => Err(ApiError::unknown_route(&req.method, &req.segments.join("/"))),
    }
}

fn valid_service_id(id: &str) -> bool {
    let b = id.as_bytes();
    (1..=49).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b.last().is_some_and(|c| *c != b'-')
}

/// An image reference: `[host[:port]/]path[:tag][@sha256:hex]`, lowercase
/// path components.
pub fn valid_image(image: &str) -> bool {
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (image, None),
    };
    if let Some(d) = digest {
        let ok = d.strip_prefix("sha256:").is_some_and(|h| h.len() == 64 && h.bytes().all(|c| c.is_ascii_hexdigit()));
        if !ok {
            return false;
        }
    }
    let (path, tag) = match rest.rsplit_once(':') {
        Some((p, t)) if !t.contains('/') => (p, Some(t)),
        _ => (rest, None),
    };
    if let Some(t) = tag {
        let ok = (1..=128).contains(&t.len()) && t.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'));
        if !ok {
            return false;
        }
    }
    let parts: Vec<&str> = path.split('/').collect();
    let host_like = parts.len() > 1 && (parts[0].contains('.') || parts[0].contains(':') || parts[0] == "localhost");
    let components = if host_like { &parts[1..] } else { &parts[..] };
    !path.is_empty()
        && !components.is_empty()
        && components.iter().all(|c| {
            !c.is_empty()
                && c.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'))
                && c.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        })
}

fn existing<'a>(store: &'a Store, parent: &Parent, id: &str) -> Result<&'a Record, ApiError> {
    store
        .get(SERVICES, &parent.key(id))
        .ok_or_else(|| ApiError::not_found(format!("Resource '{}' was not found", parent.name(id))))
}

fn hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// `europe-west1` -> `ew`, as Google's run.app hosts abbreviate regions.
fn region_code(region: &str) -> String {
    region.split('-').filter_map(|p| p.chars().next()).collect()
}

/// Lowercase letters and digits from a number, `n` of them.
fn base36(mut h: u64, n: usize) -> String {
    let digits = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..n)
        .map(|_| {
            let c = digits[(h % 36) as usize] as char;
            h /= 36;
            c
        })
        .collect()
}

/// Removes nulls, recursively (the proto3 JSON form of what is absent).
fn drop_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, x| !x.is_null());
            m.values_mut().for_each(drop_nulls);
        }
        Value::Array(a) => a.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// Checks a service's template; `Err` for a request error, `Ok(Some)` for
/// an image that cannot run (the operation fails).
fn check_template(svc: &Map<String, Value>) -> Result<Option<String>, ApiError> {
    let Some(t) = svc.get("template").and_then(Value::as_object) else { return Err(ApiError::invalid("service.template must be specified.")) };
    let containers = t.get("containers").and_then(Value::as_array).cloned().unwrap_or_default();
    if containers.is_empty() {
        return Err(ApiError::invalid("service.template.containers must have at least one container."));
    }
    for c in &containers {
        let image = c.get("image").and_then(Value::as_str).unwrap_or("");
        if image.is_empty() {
            return Err(ApiError::invalid("service.template.containers.image must be specified."));
        }
        if !valid_image(image) {
            return Ok(Some(format!("Image '{image}' is not a valid image reference: the revision cannot be deployed.")));
        }
    }
    if let Some(i) = svc.get("ingress").and_then(Value::as_str) {
        const INGRESS: &[&str] = &["INGRESS_TRAFFIC_ALL", "INGRESS_TRAFFIC_INTERNAL_ONLY", "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER", "INGRESS_TRAFFIC_NONE"];
        if !INGRESS.contains(&i) {
            return Err(ApiError::invalid(format!("Invalid value for ingress: '{i}'.")));
        }
    }
    let total: i64 = svc.get("traffic").and_then(Value::as_array).into_iter().flatten().filter_map(|t| t.get("percent").and_then(Value::as_i64)).sum();
    if svc.get("traffic").and_then(Value::as_array).is_some_and(|a| !a.is_empty()) && total != 100 {
        return Err(ApiError::invalid(format!("Traffic percents must add up to 100, not {total}.")));
    }
    Ok(None)
}

/// Google's defaults for what the request left out.
fn fill_defaults(svc: &mut Map<String, Value>, project: &Project) {
    svc.entry("ingress").or_insert(json!("INGRESS_TRAFFIC_ALL"));
    svc.entry("launchStage").or_insert(json!("GA"));
    if svc.get("traffic").and_then(Value::as_array).is_none_or(Vec::is_empty) {
        svc.insert("traffic".into(), json!([{ "type": "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", "percent": 100 }]));
    }
    let Some(t) = svc.get_mut("template").and_then(Value::as_object_mut) else { return };
    t.entry("timeout").or_insert(json!("300s"));
    t.entry("maxInstanceRequestConcurrency").or_insert(json!(80));
    t.entry("serviceAccount").or_insert(json!(format!("{}-compute@developer.gserviceaccount.com", project.number)));
    let scaling = t.entry("scaling").or_insert(json!({}));
    if let Some(s) = scaling.as_object_mut() {
        s.entry("maxInstanceCount").or_insert(json!(100));
    }
    for c in t.get_mut("containers").and_then(Value::as_array_mut).into_iter().flatten() {
        let Some(c) = c.as_object_mut() else { continue };
        if c.get("ports").and_then(Value::as_array).is_none_or(Vec::is_empty) {
            c.insert("ports".into(), json!([{ "name": "http1", "containerPort": 8080 }]));
        }
        for port in c.get_mut("ports").and_then(Value::as_array_mut).into_iter().flatten() {
            if let Some(p) = port.as_object_mut() {
                p.entry("containerPort").or_insert(json!(8080));
                p.entry("name").or_insert(json!("http1"));
            }
        }
        let res = c.entry("resources").or_insert(json!({}));
        if let Some(r) = res.as_object_mut() {
            r.entry("limits").or_insert(json!({ "cpu": "1000m", "memory": "512Mi" }));
            r.entry("cpuIdle").or_insert(json!(true));
        }
    }
}

/// The next revision's name: `{id}-0000N-xyz`.
fn revision_name(id: &str, n: i64) -> String {
    format!("{id}-{n:05}-{}", base36(hash(&format!("{id}/{n}")), 3))
}

/// Sets the server's fields for generation `generation` and revision `rev`.
fn stamp(ctx: &mut Ctx, svc: &mut Map<String, Value>, generation: i64, rev: &str) {
    svc.insert("generation".into(), json!(generation.to_string()));
    svc.insert("observedGeneration".into(), json!(generation.to_string()));
    svc.insert("updateTime".into(), json!(ctx.now_rfc3339()));
    svc.insert("latestReadyRevision".into(), json!(rev));
    svc.insert("latestCreatedRevision".into(), json!(rev));
    svc.insert("etag".into(), json!(format!("\"{}\"", ctx.new_id())));
    let ready = json!({ "type": "Ready", "state": "CONDITION_SUCCEEDED", "lastTransitionTime": ctx.now_rfc3339() });
    svc.insert("terminalCondition".into(), ready.clone());
    svc.insert("conditions".into(), json!([ready]));
    let statuses: Vec<Value> = svc
        .get("traffic")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|t| {
            let mut s = t.clone();
            if t.get("type").and_then(Value::as_str) == Some("TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST") {
                s["revision"] = json!(rev);
            }
            s
        })
        .collect();
    svc.insert("trafficStatuses".into(), Value::Array(statuses));
}

fn create(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, parent: &Parent) -> Result<Reply, ApiError> {
    let id = req.param("serviceId").unwrap_or("");
    if id.is_empty() {
        return Err(ApiError::invalid("service_id must be specified."));
    }
    if !valid_service_id(id) {
        return Err(ApiError::invalid(format!(
            "Invalid service id '{id}': use up to 49 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen."
        )));
    }
    let mut body = req.json_object()?;
    for f in OUTPUT_ONLY {
        body.remove(*f);
    }
    let mut v = Value::Object(body);
    drop_nulls(&mut v);
    let Value::Object(mut svc) = v else { return Err(ApiError::internal("service is not an object")) };
    let bad_image = check_template(&svc)?;
    let (key, name) = (parent.key(id), parent.name(id));
    if store.get(SERVICES, &key).is_some() {
        return Err(ApiError::already_exists(format!("Resource '{id}' already exists.")));
    }
    let done_at = ctx.op_done_at();
    if let Some(why) = bad_image {
        return start_op(ctx, store, parent, &name, done_at, Err(ApiError::failed_precondition(why)));
    }
    fill_defaults(&mut svc, &parent.project);
    svc.insert("name".into(), json!(name));
    svc.insert("uid".into(), json!(ctx.new_id()));
    svc.insert("createTime".into(), json!(ctx.now_rfc3339()));
    svc.insert("creator".into(), json!("cairn-sandbox@example.com"));
    svc.insert("lastModifier".into(), json!("cairn-sandbox@example.com"));
    let host = format!("{id}-{}-{}", base36(hash(&name), 10), region_code(&parent.region));
    svc.insert("uri".into(), json!(format!("https://{host}.a.run.app")));
    svc.insert("urls".into(), json!([format!("https://{id}-{}.{}.run.app", parent.project.number, parent.region), format!("https://{host}.a.run.app")]));
    let rev = revision_name(id, 1);
    stamp(ctx, &mut svc, 1, &rev);
    let out = Value::Object(svc);
    let mut record = Record::new(out.clone(), ctx.now_ms);
    record.hidden.insert("revisions".into(), json!(1));
    store.put(SERVICES, &key, record)?;
    start_op(ctx, store, parent, &name, done_at, Ok(out))
}

/// An operation on service `target` whose response is `outcome` (the Service).
fn start_op(ctx: &mut Ctx, store: &mut Store, parent: &Parent, target: &str, done_at: i64, outcome: Result<Value, ApiError>) -> Result<Reply, ApiError> {
    let op_name = parent.operation_name(&ctx.new_id());
    let metadata = json!({ "@type": SERVICE_TYPE, "name": target });
    let outcome = outcome.map(|mut v| {
        if let Some(m) = v.as_object_mut() {
            m.insert("@type".into(), json!(SERVICE_TYPE));
        }
        v
    });
    Ok(Reply::Json(operation::start(store, &op_name, ctx.now_ms, done_at, Some(metadata), outcome)?))
}

fn list(store: &Store, req: &ApiRequest, parent: &Parent) -> Result<Reply, ApiError> {
    let size = req.int_param("pageSize")?.unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE) as usize;
    let items: Vec<(String, Value)> = store.iter_prefix(SERVICES, &parent.key_prefix()).map(|(k, r)| (k.clone(), r.resource.clone())).collect();
    let (services, next) = page(&items, req.param("pageToken"), size);
    Ok(Reply::Json(list_reply("services", services, next)))
}

/// 409 ABORTED when `etag` is given and is not the service's.
fn check_etag(r: &Record, etag: Option<&str>) -> Result<(), ApiError> {
    match (etag.filter(|e| !e.is_empty()), r.resource.get("etag").and_then(Value::as_str)) {
        (Some(given), Some(now)) if given != now => Err(ApiError::aborted(format!("The etag {given} does not match the service's current etag {now}."))),
        _ => Ok(()),
    }
}

/// `services.patch`: the whole service (updateMask is not honoured); a
/// changed template is a new revision.
fn patch(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, parent: &Parent, id: &str) -> Result<Reply, ApiError> {
    let body = req.json_object()?;
    let record = existing(store, parent, id)?.clone();
    check_etag(&record, body.get("etag").and_then(Value::as_str))?;
    let mut incoming = body;
    for f in OUTPUT_ONLY {
        incoming.remove(*f);
    }
    let mut v = Value::Object(incoming);
    drop_nulls(&mut v);
    let Value::Object(mut svc) = v else { return Err(ApiError::internal("service is not an object")) };
    if let Some(why) = check_template(&svc)? {
        let done_at = ctx.op_done_at();
        return start_op(ctx, store, parent, &parent.name(id), done_at, Err(ApiError::failed_precondition(why)));
    }
    fill_defaults(&mut svc, &parent.project);
    let old = &record.resource;
    for f in OUTPUT_ONLY {
        if let Some(v) = old.get(*f) {
            svc.insert((*f).to_string(), v.clone());
        }
    }
    let generation = old.get("generation").and_then(Value::as_str).and_then(|g| g.parse::<i64>().ok()).unwrap_or(1) + 1;
    let mut revisions = record.hidden_i64("revisions").max(1);
    let mut rev = old.get("latestReadyRevision").and_then(Value::as_str).unwrap_or("").to_string();
    if old.get("template") != svc.get("template") || rev.is_empty() {
        revisions += 1;
        rev = revision_name(id, revisions);
    }
    stamp(ctx, &mut svc, generation, &rev);
    let out = Value::Object(svc);
    let mut record = Record::new(out.clone(), record.created_ms);
    record.hidden.insert("revisions".into(), json!(revisions));
    store.put(SERVICES, &parent.key(id), record)?;
    let done_at = ctx.op_done_at();
    start_op(ctx, store, parent, &parent.name(id), done_at, Ok(out))
}

fn delete(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest, parent: &Parent, id: &str) -> Result<Reply, ApiError> {
    let record = existing(store, parent, id)?.clone();
    check_etag(&record, req.param("etag"))?;
    store.remove(SERVICES, &parent.key(id))?;
    let mut out = record.resource.clone();
    out["deleteTime"] = json!(ctx.now_rfc3339());
    let done_at = ctx.op_done_at();
    start_op(ctx, store, parent, &parent.name(id), done_at, Ok(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references() {
        for ok in ["us-docker.pkg.dev/cloudrun/container/hello", "nginx", "nginx:1.27", "localhost:5000/a/b:v1"] {
            assert!(valid_image(ok), "{ok}");
        }
        assert!(valid_image(&format!("gcr.io/p/app@sha256:{}", "a".repeat(64))));
        for bad in ["", "Not An Image", "UPPER/case", "a::b", "gcr.io/p/app@sha256:xyz", "a/"] {
            assert!(!valid_image(bad), "{bad}");
        }
    }

    #[test]
    fn hosts() {
        assert_eq!(region_code("europe-west1"), "ew");
        assert_eq!(region_code("us-central1"), "uc");
        assert_eq!(revision_name("api", 2).len(), "api-00002-xyz".len());
        assert!(valid_service_id("api") && !valid_service_id("Api") && !valid_service_id("a-"));
    }
}
