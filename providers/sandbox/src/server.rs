//! The HTTP server: one port, every API, routed by path as Google's hosts do.
//!
//! Owns: binding and shutting down; the pipeline every request goes through
//! (request log → routing → `Authorization` check → fault injection →
//! Discovery validation → the service, under the store lock → the reply);
//! the request log ([`request_log`](crate::request_log) entries, in memory
//! at `/_sandbox/requests` and appended to [`Config::request_log`] when
//! set); the random number generator behind fault injection and ids.
//!
//! Does not own: what any API does (`services/`), the error shape
//! (`error.rs`), persistence (`store.rs`), or the Discovery rules
//! (`discovery.rs`).
//!
//! Routing (see the crate documentation for the client's view):
//! - `/storage/v1/...` and `/upload/storage/v1/...` → Cloud Storage;
//!   `/compute/v1/...` → Compute Engine (Google's own paths, as Storage's);
//! - `/sql/v1beta4/...` → Cloud SQL Admin (Google's own path);
//! - `/run/v2/...` → Cloud Run Admin v2;
//! - `/{api}/v1/...` with `api` one of `artifactregistry`, `secretmanager`,
//!   `serviceusage`, `iam`, `servicenetworking`, `redis`, `cloudresourcemanager` (also
//!   `/cloudresourcemanager/v3/...`) → that API (the form cairn's client
//!   uses: one base URL per service);
//! - `/v1/...` → the API whose paths these are (`.../secrets...` is Secret
//!   Manager, `.../services...` and `operations/...` are Service Usage,
//!   `projects/p/serviceAccounts...` is IAM, `projects/p/locations/l/repositories...`
//!   is Artifact Registry, `projects/p/locations/l/instances...` is
//!   Memorystore for Redis, `services/...` is Service Networking, `projects/p`
//!   and `projects/p:verb` are Resource
//!   Manager v1); `/v3/projects/...` → Resource Manager v3. A location's
//!   operations (`/v1/projects/p/locations/l/operations/x`) have the same
//!   path in several APIs and are answered only under `/{api}/v1/`.
//!
//! Discovery is asked, for the route's own API, with the path as Google's
//! host would see it (`/storage/v1/b`, `/v1/projects/p/secrets`), without
//! the `/{api}` prefix.

use crate::discovery::Discovery;
use crate::error::ApiError;
use crate::request_log::{self, Entry};
use crate::services::{self, Api, ApiRequest, Ctx, Reply};
use crate::store::Store;
use crate::Config;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

/// Largest request body accepted (Google's simple-upload limit is 5 TiB;
/// the sandbox keeps objects in memory).
const MAX_BODY: usize = 64 * 1024 * 1024;

/// Entries the request log keeps; past that the oldest half is dropped.
const MAX_LOG: usize = 100_000;

/// SplitMix64: small, fast, deterministic from a seed. Not for secrets.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// Seeded from the clock and the process id.
    pub fn from_entropy() -> Rng {
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0);
        Rng(t ^ (u64::from(std::process::id()) << 32))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The store and the id generator: everything a service may change.
struct World {
    store: Store,
    ids: Rng,
}

/// State shared by every request.
struct Shared {
    config: Config,
    world: Mutex<World>,
    faults: Mutex<Rng>,
    /// The in-memory log; its lock also serializes appends to the file.
    log: Arc<Mutex<Vec<Entry>>>,
}

/// Locks a mutex, recovering from poisoning (a panicking request must not
/// take the server down with it).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A running sandbox server. Dropping the handle stops the server as
/// [`shutdown`](Self::shutdown) does.
#[derive(Debug)]
pub struct ServerHandle {
    /// Where it listens (the real port when bound to port 0).
    pub addr: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
    log: Arc<Mutex<Vec<Entry>>>,
}

impl ServerHandle {
    /// The requests answered so far (what `GET /_sandbox/requests` shows),
    /// for a test in the same process to [`check`](crate::request_log::check).
    pub fn requests(&self) -> Vec<Entry> {
        lock(&self.log).clone()
    }

    /// Stops accepting connections and lets requests in flight finish. Every
    /// answered change is already on disk: nothing is lost.
    pub fn shutdown(self) {
        let _ = self.stop.send(());
        drop(self.task);
    }

    /// Like [`shutdown`](Self::shutdown), then waits until the server task
    /// has ended.
    pub async fn shutdown_and_wait(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// Opens the data directory, binds `addr` and starts serving in the
/// background (on the current Tokio runtime).
pub async fn serve(config: Config, addr: SocketAddr) -> std::io::Result<ServerHandle> {
    let mut store = if config.data_dir.as_os_str().is_empty() { Store::in_memory() } else { Store::open(&config.data_dir)? };
    if !config.default_project.is_empty() {
        services::resolve_project(&mut store, now_ms(), &config.default_project)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.message))?;
    }
    let (faults, ids) = match config.seed {
        Some(s) => (Rng::new(s), Rng::new(s ^ 0x05ee_d1d5)),
        None => (Rng::from_entropy(), Rng::from_entropy()),
    };
    let shared = Arc::new(Shared {
        config,
        world: Mutex::new(World { store, ids }),
        faults: Mutex::new(faults),
        log: Arc::new(Mutex::new(Vec::new())),
    });
    let log = shared.log.clone();
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let app = axum::Router::new().fallback(dispatch).with_state(shared);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await;
    });
    Ok(ServerHandle { addr, stop, task, log })
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Where a path goes: the API, whether it is an upload, the segments after
/// the version, and the path as Google's host sees it (for Discovery).
#[derive(Debug, PartialEq)]
struct Route {
    api: Api,
    upload: bool,
    rest: String,
    google_path: String,
}

fn route(path: &str) -> Option<Route> {
    let make = |api, upload, rest: &str, google_path: String| Some(Route { api, upload, rest: rest.to_string(), google_path });
    if let Some(rest) = path.strip_prefix("/storage/v1/") {
        return make(Api::Storage, false, rest, path.to_string());
    }
    if let Some(rest) = path.strip_prefix("/upload/storage/v1/") {
        return make(Api::Storage, true, rest, path.to_string());
    }
    if let Some(rest) = path.strip_prefix("/sql/v1beta4/") {
        return make(Api::SqlAdmin, false, rest, path.to_string());
    }
    if let Some(rest) = path.strip_prefix("/run/v2/") {
        return make(Api::Run, false, rest, format!("/v2/{rest}"));
    }
    if let Some(rest) = path.strip_prefix("/compute/v1/") {
        return make(Api::Compute, false, rest, path.to_string());
    }
    if let Some(rest) = path.strip_prefix("/bigquery/v2/") {
        return make(Api::BigQuery, false, rest, path.to_string());
    }
    for (prefix, api, version) in [
        ("/artifactregistry/v1/", Api::ArtifactRegistry, "v1"),
        ("/secretmanager/v1/", Api::SecretManager, "v1"),
        ("/servicenetworking/v1/", Api::ServiceNetworking, "v1"),
        ("/redis/v1/", Api::Redis, "v1"),
        ("/serviceusage/v1/", Api::ServiceUsage, "v1"),
        ("/iam/v1/", Api::Iam, "v1"),
        ("/cloudresourcemanager/v1/", Api::ResourceManagerV1, "v1"),
        ("/cloudresourcemanager/v3/", Api::ResourceManagerV3, "v3"),
    ] {
        if let Some(rest) = path.strip_prefix(prefix) {
            return make(api, false, rest, format!("/{version}/{rest}"));
        }
    }
    if let Some(rest) = path.strip_prefix("/v3/") {
        return rest.starts_with("projects/").then(|| Route { api: Api::ResourceManagerV3, upload: false, rest: rest.to_string(), google_path: path.to_string() });
    }
    let rest = path.strip_prefix("/v1/")?;
    let segs: Vec<&str> = rest.split('/').collect();
    let has = |name: &str| segs.iter().any(|s| *s == name || s.starts_with(&format!("{name}:")));
    let in_project = segs.first() == Some(&"projects");
    let api = if segs.first() == Some(&"operations") || (in_project && segs.get(2).is_some_and(|s| s.starts_with("services"))) {
        Api::ServiceUsage
    } else if in_project && segs.len() == 2 {
        Api::ResourceManagerV1
    } else if in_project && segs.get(2).is_some_and(|s| *s == "serviceAccounts" || s.starts_with("serviceAccounts:")) {
        Api::Iam
    } else if in_project && segs.get(2) == Some(&"locations") && segs.get(4).is_some_and(|s| *s == "repositories" || s.starts_with("repositories:")) {
        Api::ArtifactRegistry
    } else if in_project && segs.get(2) == Some(&"locations") && segs.get(4) == Some(&"instances") {
        Api::Redis
    } else if has("secrets") {
        Api::SecretManager
    } else if segs.first() == Some(&"services") {
        Api::ServiceNetworking
    } else {
        return None;
    };
    make(api, false, rest, path.to_string())
}

/// Splits the part after the version into decoded segments and a `:verb`.
fn segments(api: Api, rest: &str) -> (Vec<String>, Option<String>) {
    let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
    let mut segs: Vec<String> = rest.split('/').map(decode).collect();
    if segs.last().is_some_and(String::is_empty) {
        segs.pop();
    }
    let mut verb = None;
    // Cloud Storage object names may hold `:`; Compute has no verbs (its
    // custom methods are path segments: `.../expandIpCidrRange`).
    if api != Api::Storage && api != Api::Compute && api != Api::BigQuery {
        if let Some(last) = segs.last_mut() {
            if let Some((name, v)) = last.rsplit_once(':') {
                verb = Some(v.to_string());
                *last = name.to_string();
            }
        }
    }
    (segs, verb)
}

/// The one handler: every request comes here.
async fn dispatch(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let mut entry = Entry {
        method: req.method().as_str().to_string(),
        path: req.uri().path().to_string(),
        query: req.uri().query().unwrap_or("").to_string(),
        tag: req.headers().get("x-sandbox-record").and_then(|v| v.to_str().ok()).map(str::to_string),
        ..Entry::default()
    };

    if entry.path == "/_sandbox/requests" {
        return sandbox_requests(&shared, &entry.method);
    }

    let response = answer(&shared, req, &mut entry).await;
    entry.status = response.status().as_u16();
    let mut log = lock(&shared.log);
    if let Some(file) = &shared.config.request_log {
        if let Err(e) = request_log::append(file, &entry) {
            // The log is for tests; the answer still goes out.
            eprintln!("cairn sandbox: cannot append to the request log {}: {e}", file.display());
        }
    }
    if log.len() >= MAX_LOG {
        log.drain(..MAX_LOG / 2);
    }
    log.push(entry);
    drop(log);
    response
}

/// `GET /_sandbox/requests`: the log; `DELETE`: clears it.
fn sandbox_requests(shared: &Shared, method: &str) -> Response {
    match method {
        "GET" => json_response(StatusCode::OK, &json!({ "requests": *lock(&shared.log) })),
        "DELETE" => {
            lock(&shared.log).clear();
            Response::builder().status(StatusCode::NO_CONTENT).body(Body::empty()).unwrap_or_default()
        }
        _ => error_response(&ApiError::unknown_route(method, "/_sandbox/requests")),
    }
}

/// Answers one request, noting in `entry` what it carried and what
/// Discovery made of it.
async fn answer(shared: &Shared, req: Request, entry: &mut Entry) -> Response {
    let (method, path, raw_query) = (entry.method.clone(), entry.path.clone(), entry.query.clone());
    let (method, path) = (method.as_str(), path.as_str());
    let Some(route) = route(path) else {
        return error_response(&ApiError::unknown_route(method, path));
    };
    entry.upload = route.upload;
    let authorized = authorized(req.headers().get(header::AUTHORIZATION));
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
    let if_match = req.headers().get(header::IF_MATCH).and_then(|v| v.to_str().ok()).map(str::to_string);
    let host = req.headers().get(header::HOST).and_then(|v| v.to_str().ok()).map(str::to_string);
    let base_url = req.headers().get(header::HOST).and_then(|v| v.to_str().ok()).map(|h| format!("http://{h}")).unwrap_or_default();
    let body = match axum::body::to_bytes(req.into_body(), MAX_BODY).await {
        Ok(b) => b.to_vec(),
        Err(_) => return error_response(&ApiError::bad_request(format!("The request body is larger than {MAX_BODY} bytes."))),
    };
    // Recorded whatever the answer, for the log's own check.
    entry.set_body(&body);
    if !authorized {
        let mut r = error_response(&ApiError::unauthenticated());
        r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"https://accounts.google.com/\""));
        return r;
    }
    // Decided before the request touches any state, so retrying is safe.
    if let Some(fault) = injected_fault(shared) {
        return error_response(&fault);
    }
    let query: Vec<(String, String)> = form_urlencoded::parse(raw_query.as_bytes()).into_owned().collect();
    if let Err(e) = validate(method, &route, &query, &body, entry) {
        return error_response(&e);
    }
    let (segments, verb) = segments(route.api, &route.rest);
    let api_req = ApiRequest {
        api: route.api,
        method: method.to_string(),
        upload: route.upload,
        segments,
        verb,
        query,
        content_type,
        body,
        host,
        base_url,
        if_match,
    };

    let result = {
        let mut world = lock(&shared.world);
        let World { store, ids } = &mut *world;
        let mut ctx = Ctx { config: &shared.config, now_ms: now_ms(), ids };
        match route.api {
            Api::Storage => services::storage::handle(&mut ctx, store, &api_req),
            Api::ArtifactRegistry => services::artifactregistry::handle(&mut ctx, store, &api_req),
            Api::SecretManager => services::secretmanager::handle(&mut ctx, store, &api_req),
            Api::ServiceUsage => services::serviceusage::handle(&mut ctx, store, &api_req),
            Api::Iam => services::iam::handle(&mut ctx, store, &api_req),
            Api::ResourceManagerV1 => services::resourcemanager::handle(&mut ctx, store, &api_req, false),
            Api::ResourceManagerV3 => services::resourcemanager::handle(&mut ctx, store, &api_req, true),
            Api::SqlAdmin => services::sqladmin::handle(&mut ctx, store, &api_req),
            Api::Compute => services::compute::handle(&mut ctx, store, &api_req),
            Api::ServiceNetworking => services::servicenetworking::handle(&mut ctx, store, &api_req),
            Api::Redis => services::redis::handle(&mut ctx, store, &api_req),
            Api::BigQuery => services::bigquery::handle(&mut ctx, store, &api_req),
            Api::Run => services::run::handle(&mut ctx, store, &api_req),
        }
    };
    match result {
        Ok(Reply::Json(v)) => json_response(StatusCode::OK, &v),
        Ok(Reply::NoContent) => Response::builder().status(StatusCode::NO_CONTENT).body(Body::empty()).unwrap_or_default(),
        Ok(Reply::Media { content_type, data }) => {
            let mut r = Response::new(Body::from(data));
            if let Ok(v) = HeaderValue::from_str(&content_type) {
                r.headers_mut().insert(header::CONTENT_TYPE, v);
            }
            r
        }
        Err(e) => error_response(&e),
    }
}

/// `Authorization: Bearer <non-empty token>`; the token is not checked.
fn authorized(value: Option<&HeaderValue>) -> bool {
    let Some(v) = value.and_then(|v| v.to_str().ok()) else { return false };
    let mut parts = v.splitn(2, ' ');
    let scheme = parts.next().unwrap_or("");
    let token = parts.next().unwrap_or("").trim();
    scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()
}

/// With probability `error_rate`, a 429 or a 503 (half each), decided before
/// the request touches any state.
fn injected_fault(shared: &Shared) -> Option<ApiError> {
    let rate = shared.config.error_rate;
    if rate.is_nan() || rate <= 0.0 {
        return None;
    }
    let mut rng = lock(&shared.faults);
    if rng.next_f64() >= rate {
        return None;
    }
    let wait = shared.config.fault_retry_after_secs;
    Some(if rng.next_u64() & 1 == 0 { ApiError::rate_limited(wait) } else { ApiError::unavailable(wait) })
}

/// Checks the request against its Discovery method, when Discovery knows it.
fn validate(method: &str, route: &Route, query: &[(String, String)], body: &[u8], entry: &mut Entry) -> Result<(), ApiError> {
    let discovery = Discovery::embedded();
    // Asked for the route's own API: some paths (`GET /v1/operations/{}`,
    // `GET /v1/projects/{}`) exist in several APIs.
    let Some(m) = discovery.find_for_api(route.api.discovery_name(), method, &route.google_path) else { return Ok(()) };
    entry.method_id = Some(m.method_id.clone());
    // An upload's body is the object's bytes, not JSON; a body that is not
    // JSON at all is left for the service to refuse.
    let json = if route.upload || body.iter().all(|b| b.is_ascii_whitespace()) { None } else { serde_json::from_slice::<Value>(body).ok() };
    discovery.validate(&m, query, json.as_ref()).map_err(|violations| {
        entry.violations = violations.iter().map(|v| format!("{}: {}", v.location, v.message)).collect();
        // A missing required parameter is Google's `required` reason.
        if let Some(name) = violations.first().and_then(|v| v.message.strip_prefix("Required parameter: ")) {
            return ApiError::required(name.trim_end_matches('.'));
        }
        let text: Vec<String> = violations.iter().map(|v| format!("{}: {}", v.location, v.message)).collect();
        let mut e = ApiError::bad_request(format!("Invalid JSON payload received. {}", text.join("; ")));
        e.details.push(json!({
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": violations.iter().map(|v| json!({ "field": v.location, "description": v.message })).collect::<Vec<_>>(),
        }));
        e
    })
}

fn json_response(status: StatusCode, value: &Value) -> Response {
    let body = serde_json::to_vec_pretty(value).unwrap_or_default();
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=UTF-8"));
    r
}

fn error_response(e: &ApiError) -> Response {
    let status = StatusCode::from_u16(e.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut r = json_response(status, &e.body());
    if let Some(secs) = e.retry_after {
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        let r = route("/storage/v1/b/x").unwrap();
        assert_eq!((r.api, r.upload, r.rest.as_str()), (Api::Storage, false, "b/x"));
        assert!(route("/upload/storage/v1/b/x/o").unwrap().upload);
        let r = route("/secretmanager/v1/projects/p/secrets").unwrap();
        assert_eq!((r.api, r.google_path.as_str()), (Api::SecretManager, "/v1/projects/p/secrets"));
        assert_eq!(route("/v1/projects/p/secrets/s:addVersion").unwrap().api, Api::SecretManager);
        assert_eq!(route("/v1/projects/p/services/x.googleapis.com:enable").unwrap().api, Api::ServiceUsage);
        assert_eq!(route("/v1/projects/p/services:batchEnable").unwrap().api, Api::ServiceUsage);
        assert_eq!(route("/v1/operations/abc").unwrap().api, Api::ServiceUsage);
        assert_eq!(route("/serviceusage/v1/operations/abc").unwrap().rest, "operations/abc");
        assert_eq!(route("/v1/projects/p/serviceAccounts").unwrap().api, Api::Iam);
        assert_eq!(route("/v1/projects/p/serviceAccounts/a@p.iam.gserviceaccount.com").unwrap().api, Api::Iam);
        let r = route("/iam/v1/projects/p/serviceAccounts").unwrap();
        assert_eq!((r.api, r.google_path.as_str()), (Api::Iam, "/v1/projects/p/serviceAccounts"));
        assert_eq!(route("/v1/projects/p:getIamPolicy").unwrap().api, Api::ResourceManagerV1);
        assert_eq!(route("/v1/projects/p").unwrap().api, Api::ResourceManagerV1);
        assert_eq!(route("/v3/projects/p:setIamPolicy").unwrap().api, Api::ResourceManagerV3);
        let r = route("/cloudresourcemanager/v3/projects/p").unwrap();
        assert_eq!((r.api, r.google_path.as_str()), (Api::ResourceManagerV3, "/v3/projects/p"));
        assert_eq!(route("/cloudresourcemanager/v1/projects/p:getIamPolicy").unwrap().api, Api::ResourceManagerV1);
        let r = route("/artifactregistry/v1/projects/p/locations/us/repositories").unwrap();
        assert_eq!((r.api, r.google_path.as_str()), (Api::ArtifactRegistry, "/v1/projects/p/locations/us/repositories"));
        assert_eq!(route("/v1/projects/p/locations/us/repositories/r").unwrap().api, Api::ArtifactRegistry);
        assert_eq!(route("/artifactregistry/v1/projects/p/locations/us/operations/o").unwrap().api, Api::ArtifactRegistry);
        assert!(route("/v1/projects/p/locations/us/operations/o").is_none());
        let r = route("/sql/v1beta4/projects/p/instances/i").unwrap();
        assert_eq!((r.api, r.rest.as_str(), r.google_path.as_str()), (Api::SqlAdmin, "projects/p/instances/i", "/sql/v1beta4/projects/p/instances/i"));
        let r = route("/compute/v1/projects/p/global/networks/n").unwrap();
        assert_eq!((r.api, r.rest.as_str(), r.google_path.as_str()), (Api::Compute, "projects/p/global/networks/n", "/compute/v1/projects/p/global/networks/n"));
        let r = route("/servicenetworking/v1/services/servicenetworking.googleapis.com/connections").unwrap();
        assert_eq!((r.api, r.google_path.as_str()), (Api::ServiceNetworking, "/v1/services/servicenetworking.googleapis.com/connections"));
        assert_eq!(route("/v1/services/servicenetworking.googleapis.com/connections").unwrap().api, Api::ServiceNetworking);
        let r = route("/bigquery/v2/projects/p/datasets/d/tables/t").unwrap();
        assert_eq!((r.api, r.rest.as_str(), r.google_path.as_str()), (Api::BigQuery, "projects/p/datasets/d/tables/t", "/bigquery/v2/projects/p/datasets/d/tables/t"));
        assert!(route("/v3/folders/1").is_none());
        assert!(route("/v1/projects/p/widgets").is_none());
        assert!(route("/").is_none());
    }

    #[test]
    fn verbs_split_outside_storage_only() {
        let (s, v) = segments(Api::ServiceUsage, "projects/p/services/run.googleapis.com:enable");
        assert_eq!(s.last().map(String::as_str), Some("run.googleapis.com"));
        assert_eq!(v.as_deref(), Some("enable"));
        let (s, v) = segments(Api::Storage, "b/x/o/a%2Fb:c");
        assert_eq!(s, vec!["b", "x", "o", "a/b:c"]);
        assert_eq!(v, None);
    }

    #[test]
    fn bearer_required() {
        assert!(authorized(Some(&HeaderValue::from_static("Bearer x"))));
        assert!(!authorized(Some(&HeaderValue::from_static("Bearer "))));
        assert!(!authorized(Some(&HeaderValue::from_static("Basic abc"))));
        assert!(!authorized(None));
    }

    #[test]
    fn rng_is_deterministic() {
        let a: Vec<u64> = { let mut r = Rng::new(7); (0..3).map(|_| r.next_u64()).collect() };
        let b: Vec<u64> = { let mut r = Rng::new(7); (0..3).map(|_| r.next_u64()).collect() };
        assert_eq!(a, b);
        let mut r = Rng::new(1);
        assert!((0..1000).map(|_| r.next_f64()).all(|x| (0.0..1.0).contains(&x)));
    }
}
