//! Service Usage v1: which APIs are enabled in which project.
//!
//! Owns: `services.get`, `services.list` (with `filter=state:ENABLED|DISABLED`),
//! `services.enable`, `services.disable`, `services.batchEnable` (the last
//! three as long-running operations), `operations.get`; the catalog of
//! services the sandbox knows; and the rule every other service enforces
//! through [`require_enabled`]: a request to an API that is not enabled in
//! its project is answered 403 PERMISSION_DENIED / SERVICE_DISABLED.
//!
//! A project starts with `Config::enabled_apis` enabled. A change (enable or
//! disable) takes effect when its operation is done (`op_latency`), and other
//! APIs see an enabled API only `consistency_delay` after that, as Google's
//! propagation delay.
//!
//! Does not own: dependencies between services (enabling `run` does not
//! enable its dependencies), `services:batchGet`, operation list, cancel and
//! delete, or usage checks on disable.
//!
//! Store: collection `serviceusage.services`, key `{projectNumber}/{service}`,
//! holding the last requested state and (hidden) `effectiveMs`, when it takes
//! effect. A service with no record has its default state.

use super::{page, resolve_project, ApiRequest, Ctx, Reply};
use crate::error::ApiError;
use crate::operation;
use crate::store::{Record, Store};
use serde_json::{json, Value};

/// The store collection of service states.
pub const COLLECTION: &str = "serviceusage.services";

/// APIs a new project has enabled unless the configuration says otherwise
/// (a subset of what Google enables in a new project).
pub const DEFAULT_ENABLED: &[&str] = &[
    "bigquery.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "servicemanagement.googleapis.com",
    "serviceusage.googleapis.com",
    "storage-api.googleapis.com",
    "storage-component.googleapis.com",
    "storage.googleapis.com",
];

/// Every service the sandbox knows, with its title, sorted by name.
const CATALOG: &[(&str, &str)] = &[
    ("artifactregistry.googleapis.com", "Artifact Registry API"),
    ("bigquery.googleapis.com", "BigQuery API"),
    ("cloudbuild.googleapis.com", "Cloud Build API"),
    ("cloudkms.googleapis.com", "Cloud Key Management Service (KMS) API"),
    ("cloudresourcemanager.googleapis.com", "Cloud Resource Manager API"),
    ("compute.googleapis.com", "Compute Engine API"),
    ("dns.googleapis.com", "Cloud DNS API"),
    ("iam.googleapis.com", "Identity and Access Management (IAM) API"),
    ("iamcredentials.googleapis.com", "IAM Service Account Credentials API"),
    ("logging.googleapis.com", "Cloud Logging API"),
    ("monitoring.googleapis.com", "Cloud Monitoring API"),
    ("pubsub.googleapis.com", "Cloud Pub/Sub API"),
    ("redis.googleapis.com", "Google Cloud Memorystore for Redis API"),
    ("run.googleapis.com", "Cloud Run Admin API"),
    ("secretmanager.googleapis.com", "Secret Manager API"),
    ("servicemanagement.googleapis.com", "Service Management API"),
    ("servicenetworking.googleapis.com", "Service Networking API"),
    ("serviceusage.googleapis.com", "Service Usage API"),
    ("sqladmin.googleapis.com", "Cloud SQL Admin API"),
    ("storage-api.googleapis.com", "Google Cloud Storage JSON API"),
    ("storage-component.googleapis.com", "Cloud Storage"),
    ("storage.googleapis.com", "Cloud Storage API"),
    ("vpcaccess.googleapis.com", "Serverless VPC Access API"),
];

/// The human title of a service (`Secret Manager API`), or its name.
pub fn title(service: &str) -> &str {
    CATALOG.iter().find(|(n, _)| *n == service).map(|(_, t)| *t).unwrap_or(service)
}

fn known(service: &str) -> bool {
    CATALOG.iter().any(|(n, _)| *n == service)
}

/// The state of `service` in a project as of `now_ms`: `(enabled, since_ms)`.
/// `since_ms` is when the current state took effect (0 for a default).
fn state(ctx: &Ctx, store: &Store, number: &str, service: &str) -> (bool, i64) {
    match store.get(COLLECTION, &format!("{number}/{service}")) {
        Some(r) => {
            let target = r.resource["state"] == "ENABLED";
            let effective = r.hidden_i64("effectiveMs");
            if ctx.now_ms >= effective {
                (target, effective)
            } else {
                (!target, 0)
            }
        }
        None => (ctx.config.enabled_apis.iter().any(|a| a == service), 0),
    }
}

/// Ok if `service` is enabled in the project numbered `number` and the
/// enablement has propagated; 403 SERVICE_DISABLED otherwise.
pub fn require_enabled(ctx: &Ctx, store: &Store, number: &str, service: &str) -> Result<(), ApiError> {
    let (enabled, since) = state(ctx, store, number, service);
    let propagated = ctx.now_ms >= since.saturating_add(super::millis(ctx.config.consistency_delay));
    if enabled && propagated {
        Ok(())
    } else {
        Err(ApiError::service_disabled(service, number))
    }
}

/// The Service resource as the API shows it.
fn service_json(number: &str, service: &str, enabled: bool) -> Value {
    json!({
        "name": format!("projects/{number}/services/{service}"),
        "config": { "name": service, "title": title(service) },
        "state": if enabled { "ENABLED" } else { "DISABLED" },
        "parent": format!("projects/{number}"),
    })
}

/// Answers one Service Usage request.
pub fn handle(ctx: &mut Ctx, store: &mut Store, req: &ApiRequest) -> Result<Reply, ApiError> {
    let segs: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    let verb = req.verb.as_deref();
    match (req.method.as_str(), segs.as_slice(), verb) {
        ("GET", ["operations", id], None) => {
            Ok(Reply::Json(operation::get(store, &format!("operations/{id}"), ctx.now_ms)?))
        }
        ("GET", ["projects", p, "services", svc], None) => {
            let project = resolve_project(store, ctx.now_ms, p)?;
            let (enabled, _) = state(ctx, store, &project.number, svc);
            if !known(svc) {
                return Err(not_found(svc));
            }
            Ok(Reply::Json(service_json(&project.number, svc, enabled)))
        }
        ("GET", ["projects", p, "services"], None) => list(ctx, store, req, p),
        ("POST", ["projects", p, "services", svc], Some("enable")) => change(ctx, store, p, &[svc.to_string()], true, false),
        ("POST", ["projects", p, "services", svc], Some("disable")) => {
            let body = req.json_object()?;
            let _ = body; // disableDependentServices / checkIfServiceHasUsage: no dependencies are modelled.
            change(ctx, store, p, &[svc.to_string()], false, false)
        }
        ("POST", ["projects", p, "services"], Some("batchEnable")) => {
            let body = req.json_object()?;
            let ids: Vec<String> = match body.get("serviceIds") {
                Some(Value::Array(a)) => a.iter().map(|v| v.as_str().unwrap_or_default().to_string()).collect(),
                _ => Vec::new(),
            };
            if ids.is_empty() {
                return Err(ApiError::invalid("serviceIds must not be empty."));
            }
            if ids.len() > 20 {
                return Err(ApiError::invalid("At most 20 services can be enabled in one batch."));
            }
            change(ctx, store, p, &ids, true, true)
        }
        _ => Err(ApiError::unknown_route(&req.method, &req.segments.join("/"))),
    }
}

fn not_found(service: &str) -> ApiError {
    ApiError::permission_denied(format!("Not found or permission denied for service(s): {service}."))
}

/// `services.list`: every known service, optionally filtered by state.
fn list(ctx: &Ctx, store: &mut Store, req: &ApiRequest, p: &str) -> Result<Reply, ApiError> {
    let project = resolve_project(store, ctx.now_ms, p)?;
    let want = match req.param("filter").unwrap_or("").trim() {
        "" => None,
        "state:ENABLED" => Some(true),
        "state:DISABLED" => Some(false),
        other => return Err(ApiError::invalid(format!("Invalid filter: '{other}'."))),
    };
    let size = req.int_param("pageSize")?.unwrap_or(50).clamp(1, 200) as usize;
    let items: Vec<(String, Value)> = CATALOG
        .iter()
        .filter_map(|(svc, _)| {
            let (enabled, _) = state(ctx, store, &project.number, svc);
            (want.is_none() || want == Some(enabled)).then(|| (svc.to_string(), service_json(&project.number, svc, enabled)))
        })
        .collect();
    let (services, next) = page(&items, req.param("pageToken"), size);
    let mut out = json!({});
    if !services.is_empty() {
        out["services"] = Value::Array(services);
    }
    if let Some(t) = next {
        out["nextPageToken"] = json!(t);
    }
    Ok(Reply::Json(out))
}

/// Enables or disables `services` in project `p`, as one operation.
fn change(ctx: &mut Ctx, store: &mut Store, p: &str, services: &[String], enable: bool, batch: bool) -> Result<Reply, ApiError> {
    let project = resolve_project(store, ctx.now_ms, p)?;
    let unknown: Vec<&str> = services.iter().map(String::as_str).filter(|s| !known(s)).collect();
    if !unknown.is_empty() {
        return Err(not_found(&unknown.join(", ")));
    }
    // A change still in flight in the other direction blocks a new one, as
    // Google's "Another activation or deactivation is in progress".
    for svc in services {
        if let Some(r) = store.get(COLLECTION, &format!("{}/{svc}", project.number)) {
            let pending = ctx.now_ms < r.hidden_i64("effectiveMs");
            if pending && (r.resource["state"] == "ENABLED") != enable {
                return Err(ApiError::failed_precondition(format!(
                    "Another activation or deactivation is in progress for service {svc}."
                )));
            }
        }
    }
    let done_at = ctx.op_done_at();
    let mut shown = Vec::new();
    for svc in services {
        let key = format!("{}/{svc}", project.number);
        let (now_enabled, _) = state(ctx, store, &project.number, svc);
        let pending_same = store.get(COLLECTION, &key).is_some_and(|r| ctx.now_ms < r.hidden_i64("effectiveMs"));
        if now_enabled != enable && !pending_same {
            let mut record = Record::new(json!({ "state": if enable { "ENABLED" } else { "DISABLED" } }), ctx.now_ms);
            record.hidden.insert("effectiveMs".into(), json!(done_at));
            store.put(COLLECTION, &key, record)?;
        }
        shown.push(service_json(&project.number, svc, enable));
    }
    let response = match (batch, enable) {
        (true, _) => json!({
            "@type": "type.googleapis.com/google.api.serviceusage.v1.BatchEnableServicesResponse",
            "services": shown,
        }),
        (false, true) => json!({
            "@type": "type.googleapis.com/google.api.serviceusage.v1.EnableServiceResponse",
            "service": shown.first().cloned().unwrap_or_default(),
        }),
        (false, false) => json!({
            "@type": "type.googleapis.com/google.api.serviceusage.v1.DisableServiceResponse",
            "service": shown.first().cloned().unwrap_or_default(),
        }),
    };
    let name = format!("operations/acat.p2-{}-{}", project.number, ctx.new_id());
    let metadata = json!({ "@type": "type.googleapis.com/google.protobuf.Empty" });
    let op = operation::start(store, &name, ctx.now_ms, done_at, Some(metadata), Ok(response))?;
    Ok(Reply::Json(op))
}
