//! The REST client: endpoints, credentials, retries, long-running operations.
//!
//! - Endpoints ([`Client::url`]): a per-service override from the provider
//!   block (`*_custom_endpoint`, see [`custom_endpoint_service`]), else the
//!   one base endpoint laid out as [`EndpointLayout`] says
//!   (`{base}{service}/v1/`, the sandbox's layout, or Google's own paths
//!   `{base}v1/`), else Google's own base URL for the service.
//! - Credentials ([`resolve_static_token`], then `gcp_auth`), looked up
//!   lazily on the first call and cached.
//! - [`Client::request`]: JSON in and out, Google's error shape parsed into
//!   [`Error::Api`], 404 as [`Error::NotFound`], and retries by named reason
//!   with exponential backoff, jitter and `Retry-After`, bounded by a
//!   deadline. [`Client::read_modify_write`] retries a whole
//!   read-modify-write on 412 / 409 ABORTED (stale etags);
//!   [`Client::call_if_match`] is a write conditional on an etag sent as
//!   `If-Match` (BigQuery).
//! - [`Client::wait_operation`]: polls a google.longrunning operation.
//! - Each call holds a slot of its service's adaptive limit
//!   ([`crate::throttle`]) while it is on the wire; 429s lower the limit.
//! - [`within`]: an operation deadline (a resource's `timeouts`) over
//!   everything a task does through any client: retries, backoff sleeps and
//!   operation polls run until it instead of their own bounds, and report
//!   that it was the deadline that stopped them.
//!
//! Every call is logged with `tracing::debug!` (method, URL, status,
//! latency, retry reason); tokens and bodies never are.

use crate::throttle::{service_of, Limiters};
use crate::{EndpointLayout, Json, ProviderConfig};
use std::collections::HashMap;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use reqwest::Method;

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// 404: the object does not exist.
    #[error("not found")]
    NotFound,
    /// Google answered with an error; `call` is `METHOD URL`.
    #[error("{call}: {status} {reason}: {message}")]
    Api { call: String, status: u16, reason: String, message: String },
    /// No usable credentials.
    #[error("{0}")]
    Credentials(String),
    /// The resource's timeout ran out (while retrying or polling).
    #[error("{0}")]
    Timeout(String),
    /// The connection failed.
    #[error("{0}")]
    Transport(String),
    /// A value is missing or malformed (configuration or response).
    #[error("{0}")]
    Invalid(String),
}

impl Error {
    /// An [`Error::Api`] with this HTTP status.
    pub fn is_status(&self, code: u16) -> bool {
        matches!(self, Error::Api { status, .. } if *status == code)
    }

    /// The same error, saying first what was being done (`creating
    /// repository projects/p/locations/l/repositories/r`): an operation's
    /// error names only the operation. The kind stays, so callers can still
    /// match on it; [`Error::NotFound`] and [`Error::Credentials`] are kept
    /// as they are.
    pub fn context(self, what: &str) -> Error {
        match self {
            Error::Api { call, status, reason, message } => Error::Api { call: format!("{what}: {call}"), status, reason, message },
            Error::Timeout(m) => Error::Timeout(format!("{what}: {m}")),
            Error::Transport(m) => Error::Transport(format!("{what}: {m}")),
            Error::Invalid(m) => Error::Invalid(format!("{what}: {m}")),
            e @ (Error::NotFound | Error::Credentials(_)) => e,
        }
    }
}

/// The OAuth scope every call uses.
pub const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";

/// The token sent to a loopback emulator when none is configured.
pub const SANDBOX_TOKEN: &str = "cairn-sandbox";

/// Default bound on retrying one call.
pub const DEFAULT_RETRY_DEADLINE: Duration = Duration::from_secs(240);

/// How long after this client enabled an API a 403 SERVICE_DISABLED for it
/// is taken as propagation delay and retried.
const ENABLE_PROPAGATION: Duration = Duration::from_secs(300);

/// How long a GET right after a create or update may be 404 (Google's
/// eventual consistency) before [`Client::get_consistent`] gives up.
const WRITE_CONSISTENCY: Duration = Duration::from_secs(60);

/// The error when neither a resource nor the provider block names a project.
pub(crate) const NO_PROJECT: &str = "no project: set `project` on the resource or the provider block";

/// The error when neither a resource nor the provider block names a location.
pub(crate) const NO_LOCATION: &str = "no location: set `location` on the resource or `region` on the provider block";

/// A provider-block setting that must be there and not empty.
fn setting<'a>(value: &'a Option<String>, missing: &str) -> Result<&'a str, Error> {
    value.as_deref().filter(|v| !v.is_empty()).ok_or_else(|| Error::Invalid(missing.to_string()))
}

/// Google's base URL for a service and the path under a single emulator
/// base endpoint.
fn default_base(service: &str) -> (String, String) {
    match service {
        "storage" => ("https://storage.googleapis.com/storage/v1/".into(), "storage/v1/".into()),
        "compute" => ("https://compute.googleapis.com/compute/v1/".into(), "compute/v1/".into()),
        "sqladmin" | "sql" => ("https://sqladmin.googleapis.com/sql/v1beta4/".into(), "sql/v1beta4/".into()),
        "bigquery" => ("https://bigquery.googleapis.com/bigquery/v2/".into(), "bigquery/v2/".into()),
        "run" | "cloudrunv2" => ("https://run.googleapis.com/v2/".into(), "run/v2/".into()),
        other => (format!("https://{other}.googleapis.com/v1/"), format!("{other}/v1/")),
    }
}

/// The path part of a URL (`storage/v1/` of `https://host/storage/v1/`).
fn path_of(url: &str) -> &str {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    rest.split_once('/').map(|(_, p)| p).unwrap_or("")
}

/// The service key ([`Client::url`]'s `service`) of a provider argument
/// `{prefix}_custom_endpoint`, by Terraform's names: `secret_manager` is
/// `secretmanager`, `resource_manager` is `cloudresourcemanager`,
/// `big_query` is `bigquery`, `cloud_run_v2` is `run`.
pub fn custom_endpoint_service(argument: &str) -> Option<String> {
    let prefix = argument.strip_suffix("_custom_endpoint").filter(|p| !p.is_empty())?;
    Some(match prefix {
        "resource_manager" => "cloudresourcemanager".to_string(),
        "cloud_run_v2" => "run".to_string(),
        "sql" => "sqladmin".to_string(),
        other => other.replace('_', ""),
    })
}

fn with_slash(s: &str) -> String {
    if s.ends_with('/') {
        s.to_string()
    } else {
        format!("{s}/")
    }
}

/// Whether a URL names this machine (`localhost`, `127.x`, `[::1]`).
pub fn is_loopback(url: &str) -> bool {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let host_port = rest.split('/').next().unwrap_or("");
    let host = if let Some(h) = host_port.strip_prefix('[') {
        h.split(']').next().unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    host == "localhost" || host == "::1" || host.starts_with("127.")
}

/// The token that needs no lookup, in order: the provider's `access_token`;
/// a stand-in when every configured endpoint is a loopback emulator (a real
/// token is never sent to one); `GOOGLE_OAUTH_ACCESS_TOKEN` (`env_token`).
/// `None`: ask `gcp_auth`.
pub fn resolve_static_token(config: &ProviderConfig, env_token: Option<&str>) -> Option<String> {
    if let Some(t) = config.access_token.as_deref().filter(|t| !t.trim().is_empty()) {
        return Some(t.trim().to_string());
    }
    let sandbox = match &config.base_endpoint {
        Some(b) => is_loopback(b) && config.endpoints.values().all(|e| is_loopback(e)),
        None => !config.endpoints.is_empty() && config.endpoints.values().all(|e| is_loopback(e)),
    };
    if sandbox {
        return Some(SANDBOX_TOKEN.to_string());
    }
    env_token.map(str::trim).filter(|t| !t.is_empty()).map(str::to_string)
}

/// The message of [`Error::Credentials`] when no source gave a token.
pub fn credentials_error(detail: &str) -> Error {
    Error::Credentials(format!(
        "no Google credentials found ({detail}). cairn looks, in order, at: the provider's `access_token`; \
         GOOGLE_OAUTH_ACCESS_TOKEN; the provider's `credentials` (a service-account key file or its JSON); \
         GOOGLE_APPLICATION_CREDENTIALS; gcloud user credentials (`gcloud auth application-default login`); \
         the metadata server on Google Cloud. To try a configuration without Google, run `cairn apply --sandbox`."
    ))
}

enum TokenSource {
    Static(String),
    Provider(Arc<dyn gcp_auth::TokenProvider>),
}

/// A configured client. Cheap to share (`Arc`).
pub struct Client {
    config: ProviderConfig,
    http: reqwest::Client,
    token: tokio::sync::OnceCell<TokenSource>,
    retry_deadline: Duration,
    poll_interval: Duration,
    /// API name -> when this client enabled it.
    enabled: Mutex<HashMap<String, Instant>>,
    /// Calls in flight per service, adapted to rate limiting.
    limits: Limiters,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token: only the configuration without secrets.
        f.debug_struct("Client")
            .field("project", &self.config.project)
            .field("base_endpoint", &self.config.base_endpoint)
            .field("endpoints", &self.config.endpoints)
            .field("retry_deadline", &self.retry_deadline)
            .finish_non_exhaustive()
    }
}

/// The deadline of the operation a task is carrying out, and whether a
/// call gave up because of it.
struct OperationDeadline {
    at: Instant,
    reached: AtomicBool,
}

tokio::task_local! {
    static OPERATION: Arc<OperationDeadline>;
}

/// Runs `fut` with every call, retry, backoff sleep and operation poll it
/// makes through a [`Client`] bounded by `limit` from now instead of their
/// own limits (the client's retry deadline, an operation wait's timeout).
/// Returns its output and whether something gave up because the deadline
/// came (its error is then [`Error::Timeout`]).
pub async fn within<F: Future>(limit: Duration, fut: F) -> (F::Output, bool) {
    let deadline = Arc::new(OperationDeadline { at: after(limit), reached: AtomicBool::new(false) });
    let out = OPERATION.scope(deadline.clone(), fut).await;
    (out, deadline.reached.load(Ordering::SeqCst))
}

/// How long a call may keep retrying or polling: the current operation's
/// deadline when there is one (the resource's timeout is the bound, as in
/// Terraform, longer or shorter than the call's own), else `own`. And
/// whether it is the operation's.
fn bound(own: Instant) -> (Instant, bool) {
    match OPERATION.try_with(|d| d.at) {
        Ok(at) => (at, true),
        Err(_) => (own, false),
    }
}

/// Notes that a call gave up at the operation's deadline.
fn note_deadline_reached() {
    let _ = OPERATION.try_with(|d| d.reached.store(true, Ordering::SeqCst));
}

/// `now + d`, or a far future when that does not fit.
fn after(d: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(d).unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 3600))
}

/// A failed attempt, classified.
struct Failure {
    error: Error,
    /// Why it may be retried (`None`: give up now).
    retry: Option<String>,
    /// The service said "too many requests" (429, 403 rate limit).
    rate_limited: bool,
    retry_after: Option<Duration>,
}

impl Client {
    /// A client for a provider block. Credentials are looked up when needed.
    pub fn new(config: ProviderConfig) -> Client {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .connect_timeout(Duration::from_secs(20))
            .build()
            .unwrap_or_default();
        Client {
            config,
            http,
            token: tokio::sync::OnceCell::new(),
            retry_deadline: DEFAULT_RETRY_DEADLINE,
            poll_interval: Duration::from_millis(250),
            enabled: Mutex::new(HashMap::new()),
            limits: Limiters::default(),
        }
    }

    /// Bounds the retries of one call (default [`DEFAULT_RETRY_DEADLINE`]).
    pub fn with_retry_deadline(mut self, d: Duration) -> Client {
        self.retry_deadline = d;
        self
    }

    /// The current concurrency limit of `service` (`storage`, `iam`...).
    pub fn concurrency(&self, service: &str) -> usize {
        self.limits.get(service).limit()
    }

    pub fn config(&self) -> &ProviderConfig {
        &self.config
    }

    /// The provider's project, or an error naming what is missing.
    pub fn default_project(&self) -> Result<&str, Error> {
        setting(&self.config.project, NO_PROJECT)
    }

    /// The provider's region (the default `location` of regional types), or
    /// an error naming what is missing.
    pub fn default_region(&self) -> Result<&str, Error> {
        setting(&self.config.region, NO_LOCATION)
    }

    /// The base URL of `service` (`storage`, `secretmanager`...), ending in `/`.
    pub fn base_url(&self, service: &str) -> String {
        if let Some(e) = self.config.endpoints.get(service).filter(|e| !e.is_empty()) {
            return with_slash(e);
        }
        let (google, under) = default_base(service);
        match self.config.base_endpoint.as_deref().filter(|b| !b.is_empty()) {
            Some(b) => match self.config.base_layout {
                EndpointLayout::PerApi => format!("{}{under}", with_slash(b)),
                EndpointLayout::Google => format!("{}{}", with_slash(b), path_of(&google)),
            },
            None => google,
        }
    }

    /// `path` (relative, like `b/my-bucket`) under `service`'s base URL; an
    /// absolute `http(s)://` path is kept.
    pub fn url(&self, service: &str, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            return path.to_string();
        }
        format!("{}{}", self.base_url(service), path.trim_start_matches('/'))
    }

    /// Notes that this client enabled `api` (`secretmanager.googleapis.com`):
    /// for a while, 403 SERVICE_DISABLED for it is retried as propagation.
    pub fn note_enabled(&self, api: &str) {
        if let Ok(mut m) = self.enabled.lock() {
            m.insert(api.to_string(), Instant::now());
        }
    }

    fn recently_enabled(&self, api: &str) -> bool {
        self.enabled
            .lock()
            .ok()
            .and_then(|m| m.get(api).copied())
            .is_some_and(|t| t.elapsed() < ENABLE_PROPAGATION)
    }

    /// The OAuth access token calls carry (looked up on first use): what
    /// `data "google_client_config"` exports.
    pub async fn access_token(&self) -> Result<String, Error> {
        self.bearer().await
    }

    async fn bearer(&self) -> Result<String, Error> {
        let source = self
            .token
            .get_or_try_init(|| async {
                let env = std::env::var("GOOGLE_OAUTH_ACCESS_TOKEN").ok();
                if let Some(t) = resolve_static_token(&self.config, env.as_deref()) {
                    return Ok(TokenSource::Static(t));
                }
                let provider: Arc<dyn gcp_auth::TokenProvider> =
                    match self.config.credentials.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
                        Some(c) if c.starts_with('{') => Arc::new(
                            gcp_auth::CustomServiceAccount::from_json(c)
                                .map_err(|e| credentials_error(&format!("the provider's `credentials` JSON: {e}")))?,
                        ),
                        Some(path) => Arc::new(gcp_auth::CustomServiceAccount::from_file(path).map_err(|e| {
                            credentials_error(&format!("the provider's `credentials` file {path}: {e}"))
                        })?),
                        None => gcp_auth::provider().await.map_err(|e| credentials_error(&e.to_string()))?,
                    };
                Ok::<TokenSource, Error>(TokenSource::Provider(provider))
            })
            .await?;
        match source {
            TokenSource::Static(t) => Ok(t.clone()),
            TokenSource::Provider(p) => p
                .token(&[SCOPE])
                .await
                .map(|t| t.as_str().to_string())
                .map_err(|e| credentials_error(&format!("getting a token: {e}"))),
        }
    }

    /// One JSON call with retries bounded by the client's retry deadline.
    /// `Ok(None)` for an empty answer.
    pub async fn request(&self, method: Method, url: &str, body: Option<&Json>) -> Result<Option<Json>, Error> {
        self.request_until(method, url, body, after(self.retry_deadline)).await
    }

    /// [`Client::request`] retrying until `deadline` (the operation's
    /// deadline instead, under [`within`]).
    pub async fn request_until(
        &self,
        method: Method,
        url: &str,
        body: Option<&Json>,
        deadline: Instant,
    ) -> Result<Option<Json>, Error> {
        self.request_with(method, url, body, deadline, None).await
    }

    /// A write conditional on the object's `etag` (an `If-Match` header, as
    /// BigQuery takes it): 412 when the object changed since it was read,
    /// for [`Client::read_modify_write`] to redo. The answer must be an object.
    pub async fn call_if_match(&self, method: Method, url: &str, body: Option<&Json>, etag: &str) -> Result<Json, Error> {
        let call = format!("{method} {url}");
        let if_match = Some(etag).filter(|e| !e.is_empty());
        match self.request_with(method, url, body, after(self.retry_deadline), if_match).await? {
            Some(v @ Json::Object(_)) => Ok(v),
            Some(_) => Err(Error::Invalid(format!("{call}: answer is not a JSON object"))),
            None => Ok(Json::Object(Default::default())),
        }
    }

    async fn request_with(
        &self,
        method: Method,
        url: &str,
        body: Option<&Json>,
        deadline: Instant,
        if_match: Option<&str>,
    ) -> Result<Option<Json>, Error> {
        let (deadline, operation_bound) = bound(deadline);
        let mut attempt: u32 = 0;
        let limiter = self.limits.get(&service_of(url));
        loop {
            let permit = limiter.acquire().await;
            let started = Instant::now();
            let result = self.attempt(&method, url, body, if_match).await;
            drop(permit);
            match &result {
                Ok(_) => limiter.on_success(),
                Err(f) if f.rate_limited => limiter.on_rate_limited(),
                Err(_) => {}
            }
            match result {
                Ok((status, value)) => {
                    tracing::debug!(method = %method, url, status, latency_ms = started.elapsed().as_millis() as u64, "google call");
                    return Ok(value);
                }
                Err(f) => {
                    let status = match &f.error {
                        Error::Api { status, .. } => *status,
                        Error::NotFound => 404,
                        _ => 0,
                    };
                    let Some(reason) = f.retry else {
                        tracing::debug!(method = %method, url, status, latency_ms = started.elapsed().as_millis() as u64, "google call failed");
                        return Err(f.error);
                    };
                    let wait = f.retry_after.map(|d| d + jitter(Duration::from_millis(250))).unwrap_or_else(|| backoff(attempt));
                    tracing::debug!(method = %method, url, status, latency_ms = started.elapsed().as_millis() as u64, retry = %reason, wait_ms = wait.as_millis() as u64, "google call retried");
                    if Instant::now() + wait > deadline {
                        if operation_bound {
                            note_deadline_reached();
                        }
                        return Err(Error::Timeout(format!(
                            "{method} {url}: gave up retrying ({reason}) after {attempt} retries; last error: {}",
                            f.error
                        )));
                    }
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
            }
        }
    }

    async fn attempt(&self, method: &Method, url: &str, body: Option<&Json>, if_match: Option<&str>) -> Result<(u16, Option<Json>), Failure> {
        let call = format!("{method} {url}");
        let token = self.bearer().await.map_err(|error| Failure { error, retry: None, retry_after: None, rate_limited: false })?;
        let mut req = self.http.request(method.clone(), url).bearer_auth(token).header("Accept", "application/json");
        if let Some(etag) = if_match {
            req = req.header("If-Match", etag);
        }
        if let Some(b) = body {
            req = req.json(b);
        } else if *method == Method::POST || *method == Method::PUT || *method == Method::PATCH {
            req = req.header("Content-Length", "0");
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                return Err(Failure {
                    error: Error::Transport(format!("{call}: {e}")),
                    retry: Some(format!("connection error: {e}")),
                    retry_after: None,
                    rate_limited: false,
                })
            }
        };
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|s| Duration::from_secs(s.min(60)));
        let text = match resp.text().await {
            Ok(t) => t,
            Err(e) => {
                return Err(Failure {
                    error: Error::Transport(format!("{call}: reading the answer: {e}")),
                    retry: Some("connection error while reading".into()),
                    retry_after: None,
                    rate_limited: false,
                })
            }
        };
        if (200..300).contains(&status) {
            if text.trim().is_empty() {
                return Ok((status, None));
            }
            return serde_json::from_str(&text).map(|v| (status, Some(v))).map_err(|e| Failure {
                error: Error::Invalid(format!("{call}: answer is not JSON: {e}")),
                retry: None,
                retry_after: None,
                rate_limited: false,
            });
        }
        let parsed = ApiErrorBody::parse(&text);
        if status == 404 {
            return Err(Failure { error: Error::NotFound, retry: None, retry_after: None, rate_limited: false });
        }
        let retry = self.retry_reason(status, &parsed);
        let rate_limited = status == 429 || (status == 403 && parsed.is_rate_limit());
        let error = Error::Api { call, status, reason: parsed.reason(), message: parsed.message(status) };
        Err(Failure { error, retry, retry_after, rate_limited })
    }

    /// Why a failed call may be retried, by status and named reason.
    fn retry_reason(&self, status: u16, e: &ApiErrorBody) -> Option<String> {
        let has = |r: &str| e.reasons.iter().any(|x| x.eq_ignore_ascii_case(r));
        let msg = e.message.to_ascii_lowercase();
        match status {
            429 => Some("429 rate limited".into()),
            500 | 502 | 503 | 504 => Some(format!("{status} server error")),
            409 if has("operationInProgress") => Some("409 operationInProgress".into()),
            // A stale etag or a concurrent policy change needs the whole
            // read-modify-write again (`read_modify_write`), not a resend.
            409 if (has("aborted") || has("ABORTED")) && !msg.contains("etag") && !msg.contains("concurrent policy changes") => {
                Some("409 aborted (concurrent changes)".into())
            }
            403 if e.is_rate_limit() => {
                Some("403 rate limit".into())
            }
            403 if has("quotaExceeded") && msg.contains("per minute") => Some("403 per-minute quota".into()),
            403 if has("CONCURRENT_OPERATIONS_QUOTA_EXCEEDED") => Some("403 concurrent operations quota".into()),
            403 if has("SERVICE_DISABLED") && e.service.as_deref().is_some_and(|s| self.recently_enabled(s)) => {
                Some("403 SERVICE_DISABLED right after enabling (propagation)".into())
            }
            400 if has("resourceNotReady") => Some("400 resourceNotReady".into()),
            400 if msg.contains("another activation or deactivation is in progress") => {
                Some("400 activation in progress".into())
            }
            _ => None,
        }
    }

    /// GET, with `None` for 404.
    pub async fn get_opt(&self, url: &str) -> Result<Option<Json>, Error> {
        match self.request(Method::GET, url, None).await {
            Ok(v) => Ok(Some(v.unwrap_or(Json::Null))),
            Err(Error::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// GET an object just written, retrying a 404 for a while: Google may
    /// not show a new object to reads at once.
    pub async fn get_consistent(&self, url: &str) -> Result<Json, Error> {
        let deadline = Instant::now() + WRITE_CONSISTENCY;
        let mut wait = Duration::from_millis(200);
        loop {
            match self.call(Method::GET, url, None).await {
                Err(Error::NotFound) if Instant::now() + wait < deadline => {
                    tracing::debug!(url, retry = "404 right after a write (eventual consistency)", "google call retried");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(5));
                }
                other => return other,
            }
        }
    }

    /// A call whose answer must be a JSON object.
    pub async fn call(&self, method: Method, url: &str, body: Option<&Json>) -> Result<Json, Error> {
        let call = format!("{method} {url}");
        match self.request(method, url, body).await? {
            Some(v @ Json::Object(_)) => Ok(v),
            Some(_) => Err(Error::Invalid(format!("{call}: answer is not a JSON object"))),
            None => Ok(Json::Object(Default::default())),
        }
    }

    /// Runs a read-modify-write (`attempt` re-reads each time) and retries
    /// it while it fails on a stale etag or metageneration (412, or 409
    /// ABORTED), with backoff, until the retry deadline.
    pub async fn read_modify_write<T, F, Fut>(&self, mut attempt: F) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let (deadline, operation_bound) = bound(after(self.retry_deadline));
        let mut n = 0;
        loop {
            match attempt().await {
                Err(e @ Error::Api { status: 412 | 409, .. }) => {
                    let conflict = matches!(&e, Error::Api { status: 412, .. })
                        || matches!(&e, Error::Api { reason, .. } if reason.eq_ignore_ascii_case("aborted"));
                    let wait = backoff(n);
                    if !conflict {
                        return Err(e);
                    }
                    if Instant::now() + wait > deadline {
                        if operation_bound {
                            note_deadline_reached();
                            return Err(Error::Timeout(format!("gave up redoing a read-modify-write after {n} stale etags; last error: {e}")));
                        }
                        return Err(e);
                    }
                    tracing::debug!(retry = "stale etag (412/409)", "read-modify-write retried");
                    tokio::time::sleep(wait).await;
                    n += 1;
                }
                other => return other,
            }
        }
    }

    /// Polls a google.longrunning operation (`{name, done, error, response}`)
    /// of `service` until it is done or `timeout` (the operation's deadline
    /// instead, under [`within`]) passes; the finished operation. An error
    /// inside it becomes [`Error::Api`] naming it.
    pub async fn wait_operation(&self, service: &str, op: Json, timeout: Duration) -> Result<Json, Error> {
        let name = op
            .get("name")
            .and_then(Json::as_str)
            .ok_or_else(|| Error::Invalid(format!("{service}: operation without a name")))?
            .to_string();
        let url = self.url(service, &name);
        self.poll_operation(&url, &name, op, timeout, |op| {
            if !op.get("done").and_then(Json::as_bool).unwrap_or(false) {
                return None;
            }
            let Some(err) = op.get("error").filter(|e| !e.is_null()) else { return Some(Ok(())) };
            let code = err.get("code").and_then(Json::as_i64).unwrap_or(0);
            let message = err.get("message").and_then(Json::as_str).unwrap_or("").to_string();
            let reason = err
                .get("details")
                .and_then(Json::as_array)
                .and_then(|d| d.iter().find_map(|x| x.get("reason").and_then(Json::as_str)))
                .map(str::to_string)
                .unwrap_or_else(|| grpc_status_name(code).to_string());
            Some(Err(Error::Api { call: format!("operation {name}"), status: grpc_to_http(code), reason, message }))
        })
        .await
    }

    /// Polls an operation at `url` until `finished` says it is (`Some`: its
    /// outcome) or the deadline passes: `timeout`, or the operation
    /// deadline of [`within`]. Intervals grow from the client's poll
    /// interval to 5 s; the last poll comes at the deadline.
    pub(crate) async fn poll_operation(
        &self,
        url: &str,
        name: &str,
        op: Json,
        timeout: Duration,
        finished: impl Fn(&Json) -> Option<Result<(), Error>>,
    ) -> Result<Json, Error> {
        let started = Instant::now();
        let (deadline, operation_bound) = bound(after(timeout));
        let mut op = op;
        let mut interval = self.poll_interval;
        loop {
            if !op.is_object() {
                return Err(Error::Invalid(format!("operation {name}: not a JSON object")));
            }
            if let Some(outcome) = finished(&op) {
                return outcome.map(|()| op);
            }
            let now = Instant::now();
            if now >= deadline {
                if operation_bound {
                    note_deadline_reached();
                }
                return Err(Error::Timeout(format!(
                    "operation {name} was not done after {}",
                    crate::timeouts::format_duration(Duration::from_millis(started.elapsed().as_millis() as u64))
                )));
            }
            tokio::time::sleep(interval.min(deadline - now)).await;
            interval = (interval * 3 / 2).min(Duration::from_secs(5));
            op = self.request_until(Method::GET, url, None, deadline).await?.unwrap_or(Json::Null);
        }
    }
}

/// Exponential backoff (500 ms doubling, at most 16 s) with up to 50% jitter.
fn backoff(attempt: u32) -> Duration {
    let base = Duration::from_millis(500) * 2u32.saturating_pow(attempt.min(5));
    base + jitter(base / 2)
}

fn jitter(max: Duration) -> Duration {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(Instant::now().elapsed().as_nanos());
    let ms = max.as_millis() as u64;
    if ms == 0 {
        return Duration::ZERO;
    }
    Duration::from_millis(h.finish() % (ms + 1))
}

fn grpc_status_name(code: i64) -> &'static str {
    match code {
        1 => "CANCELLED",
        2 => "UNKNOWN",
        3 => "INVALID_ARGUMENT",
        4 => "DEADLINE_EXCEEDED",
        5 => "NOT_FOUND",
        6 => "ALREADY_EXISTS",
        7 => "PERMISSION_DENIED",
        8 => "RESOURCE_EXHAUSTED",
        9 => "FAILED_PRECONDITION",
        10 => "ABORTED",
        11 => "OUT_OF_RANGE",
        12 => "UNIMPLEMENTED",
        13 => "INTERNAL",
        14 => "UNAVAILABLE",
        16 => "UNAUTHENTICATED",
        _ => "UNKNOWN",
    }
}

fn grpc_to_http(code: i64) -> u16 {
    match code {
        3 | 9 | 11 => 400,
        16 => 401,
        7 => 403,
        5 => 404,
        6 | 10 => 409,
        8 => 429,
        12 => 501,
        14 => 503,
        4 => 504,
        _ => 500,
    }
}

/// Google's error shape:
/// `{"error":{"code","message","status","errors":[{"reason"}],"details":[{"reason","metadata"}]}}`.
#[derive(Debug, Default)]
struct ApiErrorBody {
    message: String,
    status: String,
    /// ErrorInfo reasons first, then `errors[].reason`.
    reasons: Vec<String>,
    /// `details[].metadata.service` of an ErrorInfo.
    service: Option<String>,
}

impl ApiErrorBody {
    fn parse(text: &str) -> ApiErrorBody {
        let mut out = ApiErrorBody::default();
        let Ok(v) = serde_json::from_str::<Json>(text) else {
            out.message = text.chars().take(300).collect();
            return out;
        };
        let e = v.get("error").unwrap_or(&Json::Null);
        if let Some(s) = e.as_str() {
            // OAuth style: {"error":"invalid_grant","error_description":...}
            out.reasons.push(s.to_string());
            out.message = v.get("error_description").and_then(Json::as_str).unwrap_or("").to_string();
            return out;
        }
        out.message = e.get("message").and_then(Json::as_str).unwrap_or("").to_string();
        out.status = e.get("status").and_then(Json::as_str).unwrap_or("").to_string();
        for d in e.get("details").and_then(Json::as_array).into_iter().flatten() {
            if let Some(r) = d.get("reason").and_then(Json::as_str) {
                out.reasons.push(r.to_string());
            }
            if let Some(s) = d.get("metadata").and_then(|m| m.get("service")).and_then(Json::as_str) {
                out.service = Some(s.to_string());
            }
        }
        for x in e.get("errors").and_then(Json::as_array).into_iter().flatten() {
            if let Some(r) = x.get("reason").and_then(Json::as_str) {
                out.reasons.push(r.to_string());
            }
        }
        if !out.status.is_empty() {
            out.reasons.push(out.status.clone());
        }
        out
    }

    /// A 403 that means "too many requests", not "forbidden".
    fn is_rate_limit(&self) -> bool {
        self.reasons.iter().any(|r| {
            ["rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED"].iter().any(|x| r.eq_ignore_ascii_case(x))
        })
    }

    fn reason(&self) -> String {
        self.reasons.first().cloned().unwrap_or_default()
    }

    fn message(&self, status: u16) -> String {
        if self.message.is_empty() {
            format!("HTTP {status}")
        } else {
            self.message.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_in_order() {
        let mut c = ProviderConfig::default();
        assert_eq!(Client::new(c.clone()).url("storage", "b/x"), "https://storage.googleapis.com/storage/v1/b/x");
        assert_eq!(Client::new(c.clone()).url("secretmanager", "projects/p"), "https://secretmanager.googleapis.com/v1/projects/p");
        c.base_endpoint = Some("http://127.0.0.1:9".into());
        assert_eq!(Client::new(c.clone()).url("storage", "/b"), "http://127.0.0.1:9/storage/v1/b");
        assert_eq!(Client::new(c.clone()).url("serviceusage", "operations/x"), "http://127.0.0.1:9/serviceusage/v1/operations/x");
        c.base_layout = EndpointLayout::Google;
        assert_eq!(Client::new(c.clone()).url("storage", "b/x"), "http://127.0.0.1:9/storage/v1/b/x");
        assert_eq!(Client::new(c.clone()).url("secretmanager", "projects/p"), "http://127.0.0.1:9/v1/projects/p");
        assert_eq!(Client::new(c.clone()).url("sqladmin", "projects/p"), "http://127.0.0.1:9/sql/v1beta4/projects/p");
        c.endpoints.insert("storage".into(), "http://h/custom".into());
        assert_eq!(Client::new(c).url("storage", "b"), "http://h/custom/b");
    }

    #[test]
    fn custom_endpoint_arguments_name_services() {
        for (arg, service) in [
            ("storage_custom_endpoint", "storage"),
            ("secret_manager_custom_endpoint", "secretmanager"),
            ("service_usage_custom_endpoint", "serviceusage"),
            ("iam_custom_endpoint", "iam"),
            ("resource_manager_custom_endpoint", "cloudresourcemanager"),
            ("artifact_registry_custom_endpoint", "artifactregistry"),
            ("big_query_custom_endpoint", "bigquery"),
            ("cloud_run_v2_custom_endpoint", "run"),
            ("sql_custom_endpoint", "sqladmin"),
        ] {
            assert_eq!(custom_endpoint_service(arg).as_deref(), Some(service), "{arg}");
        }
        assert_eq!(custom_endpoint_service("project"), None);
        assert_eq!(custom_endpoint_service("_custom_endpoint"), None);
    }

    #[test]
    fn static_token_order() {
        let mut c = ProviderConfig::default();
        assert_eq!(resolve_static_token(&c, None), None);
        assert_eq!(resolve_static_token(&c, Some("env")), Some("env".into()));
        c.base_endpoint = Some("http://localhost:8765/".into());
        assert_eq!(resolve_static_token(&c, Some("env")), Some(SANDBOX_TOKEN.into()));
        c.base_endpoint = Some("https://example.com/".into());
        assert_eq!(resolve_static_token(&c, None), None);
        c.access_token = Some("tok".into());
        assert_eq!(resolve_static_token(&c, Some("env")), Some("tok".into()));
    }

    #[tokio::test]
    async fn operation_errors_name_the_operation() {
        let c = Client::new(ProviderConfig { base_endpoint: Some("http://127.0.0.1:9/".into()), ..Default::default() });
        let op = serde_json::json!({"name": "operations/x", "done": true, "error": {"code": 9, "message": "boom"}});
        let err = c.wait_operation("serviceusage", op, Duration::from_secs(1)).await.unwrap_err();
        assert_eq!(
            err,
            Error::Api { call: "operation operations/x".into(), status: 400, reason: "FAILED_PRECONDITION".into(), message: "boom".into() }
        );
        let done = serde_json::json!({"name": "operations/y", "done": true, "response": {}});
        assert_eq!(c.wait_operation("serviceusage", done.clone(), Duration::from_secs(1)).await.unwrap(), done);
        assert!(matches!(c.wait_operation("serviceusage", serde_json::json!({"done": true}), Duration::from_secs(1)).await, Err(Error::Invalid(_))));
    }

    #[test]
    fn loopback() {
        assert!(is_loopback("http://127.0.0.1:1/x"));
        assert!(is_loopback("http://[::1]:80"));
        assert!(is_loopback("http://localhost"));
        assert!(!is_loopback("https://storage.googleapis.com/"));
    }

    #[test]
    fn error_body_reasons() {
        let e = ApiErrorBody::parse(
            r#"{"error":{"code":403,"message":"m","status":"PERMISSION_DENIED","errors":[{"reason":"accessNotConfigured"}],
               "details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"SERVICE_DISABLED","metadata":{"service":"secretmanager.googleapis.com"}}]}}"#,
        );
        assert_eq!(e.reason(), "SERVICE_DISABLED");
        assert_eq!(e.service.as_deref(), Some("secretmanager.googleapis.com"));
        assert!(ApiErrorBody::parse("<html>").reasons.is_empty());
    }
}
