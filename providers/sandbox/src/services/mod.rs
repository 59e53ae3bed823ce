//! The emulated APIs, one file each, and what they share.
//!
//! Owns: the request and reply types a service handles (`ApiRequest`,
//! `Reply`), the per-request context (`Ctx`: configuration, clock, id
//! generator), projects (id ↔ number), timestamps and small helpers.
//!
//! Does not own: HTTP (the server turns requests into `ApiRequest` and
//! `Reply` into responses), authentication, fault injection or Discovery
//! validation, which happen before a service is called.
//!
//! A service is a plain synchronous function over the locked store:
//! `handle(&mut Ctx, &mut Store, &ApiRequest) -> Result<Reply, ApiError>`.
//! It matches `(method, path segments)` and answers.

pub mod artifactregistry;
pub mod bigquery;
pub mod compute;
pub mod iam;
pub mod policy;
pub mod redis;
pub mod resourcemanager;
pub mod run;
pub mod secretmanager;
pub mod servicenetworking;
pub mod serviceusage;
pub mod sqladmin;
pub mod storage;

use crate::error::ApiError;
use crate::store::{Record, Store};
use crate::Config;
use serde_json::{json, Value};

/// Which API a request is for (decided by the server from the path).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    Storage,
    ArtifactRegistry,
    SecretManager,
    ServiceUsage,
    Iam,
    /// Cloud Resource Manager v1.
    ResourceManagerV1,
    /// Cloud Resource Manager v3.
    ResourceManagerV3,
    /// Cloud SQL Admin v1beta4.
    SqlAdmin,
    /// Compute Engine v1 (the VPC part).
    Compute,
    /// Service Networking v1 (no Discovery document is embedded).
    ServiceNetworking,
    /// Memorystore for Redis v1.
    Redis,
    /// BigQuery v2 (datasets and tables).
    BigQuery,
    /// Cloud Run Admin v2 (services).
    Run,
}

impl Api {
    /// The API's id in Discovery (the `name` of its document, with the
    /// version when several are embedded: `cloudresourcemanager.v1`).
    pub fn discovery_name(self) -> &'static str {
        match self {
            Api::Storage => "storage",
            Api::ArtifactRegistry => "artifactregistry",
            Api::SecretManager => "secretmanager",
            Api::ServiceUsage => "serviceusage",
            Api::Iam => "iam",
            Api::ResourceManagerV1 => "cloudresourcemanager.v1",
            Api::ResourceManagerV3 => "cloudresourcemanager.v3",
            Api::SqlAdmin => "sqladmin",
            Api::Compute => "compute",
            Api::ServiceNetworking => "servicenetworking",
            Api::Redis => "redis",
            Api::BigQuery => "bigquery",
            Api::Run => "run",
        }
    }

    /// The service name used by Service Usage.
    pub fn service_name(self) -> &'static str {
        match self {
            Api::Storage => "storage.googleapis.com",
            Api::ArtifactRegistry => "artifactregistry.googleapis.com",
            Api::SecretManager => "secretmanager.googleapis.com",
            Api::ServiceUsage => "serviceusage.googleapis.com",
            Api::Iam => "iam.googleapis.com",
            Api::ResourceManagerV1 | Api::ResourceManagerV3 => "cloudresourcemanager.googleapis.com",
            Api::SqlAdmin => "sqladmin.googleapis.com",
            Api::Compute => "compute.googleapis.com",
            Api::ServiceNetworking => "servicenetworking.googleapis.com",
            Api::Redis => "redis.googleapis.com",
            Api::BigQuery => "bigquery.googleapis.com",
            Api::Run => "run.googleapis.com",
        }
    }
}

/// A request, decoded for a service.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    pub api: Api,
    /// `GET`, `POST`...
    pub method: String,
    /// Whether it came in on `/upload/...` (Cloud Storage media uploads).
    pub upload: bool,
    /// Path segments after the version (`v1`), percent-decoded: for
    /// `/storage/v1/b/x/o/a%2Fb` it is `["b","x","o","a/b"]`.
    pub segments: Vec<String>,
    /// A `:verb` suffix of the last segment (`enable` in
    /// `services/x:enable`), for the APIs that use them.
    pub verb: Option<String>,
    /// Query parameters, decoded, in order.
    pub query: Vec<(String, String)>,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The raw body.
    pub body: Vec<u8>,
    /// The `Host` header (`127.0.0.1:8765`): links a client must follow,
    /// such as a Cloud SQL operation's `selfLink`, point back here.
    pub host: Option<String>,
    /// Scheme and host the request came in on (`http://127.0.0.1:8765`), for
    /// the absolute links some APIs answer with (Compute's `selfLink`s);
    /// empty when the request named no host.
    pub base_url: String,
    /// The `If-Match` header (BigQuery's etag precondition).
    pub if_match: Option<String>,
}

impl ApiRequest {
    /// The first value of a query parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// A query parameter that must be an integer, if present.
    pub fn int_param(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.param(name) {
            None => Ok(None),
            Some(v) => v
                .parse::<i64>()
                .map(Some)
                .map_err(|_| ApiError::invalid(format!("Invalid value for {name}: '{v}' is not an integer."))),
        }
    }

    /// The body as a JSON object: `{}` when empty, 400 when it is not JSON
    /// or not an object.
    pub fn json_object(&self) -> Result<serde_json::Map<String, Value>, ApiError> {
        if self.body.iter().all(|b| b.is_ascii_whitespace()) {
            return Ok(serde_json::Map::new());
        }
        match serde_json::from_slice::<Value>(&self.body) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(_) => Err(ApiError::bad_request("Invalid JSON payload received. Expected an object.")),
            Err(e) => Err(ApiError::bad_request(format!("Invalid JSON payload received. {e}"))),
        }
    }
}

/// A successful answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// 200 with a JSON body.
    Json(Value),
    /// 204 with no body (Cloud Storage deletes).
    NoContent,
    /// 200 with raw bytes (`alt=media`).
    Media { content_type: String, data: Vec<u8> },
}

/// What a service may use besides the store.
pub struct Ctx<'a> {
    pub config: &'a Config,
    /// The request's time, Unix milliseconds; one clock reading per request.
    pub now_ms: i64,
    /// Generator of operation ids and the like.
    pub ids: &'a mut crate::server::Rng,
}

impl Ctx<'_> {
    /// `now_ms` as RFC 3339 (`2024-05-01T12:00:00.123Z`).
    pub fn now_rfc3339(&self) -> String {
        rfc3339(self.now_ms)
    }

    /// Milliseconds from now until an operation started now is done.
    pub fn op_done_at(&self) -> i64 {
        self.now_ms.saturating_add(millis(self.config.op_latency))
    }

    /// A random hex id of 16 characters.
    pub fn new_id(&mut self) -> String {
        format!("{:016x}", self.ids.next_u64())
    }
}

/// Unix milliseconds as RFC 3339 with milliseconds and `Z`.
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A duration in whole milliseconds, saturating.
pub fn millis(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// A project, by both its names.
#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    pub id: String,
    pub number: String,
}

/// The store collection of every project the sandbox has seen.
pub const PROJECTS: &str = "cloudresourcemanager.projects";

/// The project named `id_or_number` in a request. Any well-formed project id
/// is accepted (and remembered) on first use, with a number derived from the
/// id, so the same id always has the same number. A number is accepted only
/// if its project has been seen.
pub fn resolve_project(store: &mut Store, now_ms: i64, id_or_number: &str) -> Result<Project, ApiError> {
    if !id_or_number.is_empty() && id_or_number.bytes().all(|b| b.is_ascii_digit()) {
        return match store.get(PROJECTS, id_or_number) {
            Some(r) => Ok(Project {
                id: r.resource["projectId"].as_str().unwrap_or_default().to_string(),
                number: id_or_number.to_string(),
            }),
            None => Err(ApiError::permission_denied(format!(
                "Permission denied on resource project {id_or_number} (or it may not exist)."
            ))),
        };
    }
    if !valid_project_id(id_or_number) {
        return Err(ApiError::invalid(format!("Invalid project id '{id_or_number}'.")));
    }
    let number = project_number(id_or_number);
    if store.get(PROJECTS, &number).is_none() {
        let resource = json!({
            "projectNumber": number,
            "projectId": id_or_number,
            "name": id_or_number,
            "lifecycleState": "ACTIVE",
            "createTime": rfc3339(now_ms),
        });
        store.put(PROJECTS, &number, Record::new(resource, now_ms))?;
    }
    Ok(Project { id: id_or_number.to_string(), number })
}

/// The project number the sandbox gives a project id: 12 digits, stable.
pub fn project_number(id: &str) -> String {
    // FNV-1a, 64 bits.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{}", 100_000_000_000 + h % 900_000_000_000)
}

/// Google's rule: 6 to 30 characters, lowercase letters, digits and
/// hyphens, starting with a letter and not ending with a hyphen.
pub fn valid_project_id(id: &str) -> bool {
    let len_ok = (6..=30).contains(&id.len());
    let chars_ok = id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let starts = id.bytes().next().is_some_and(|b| b.is_ascii_lowercase());
    len_ok && chars_ok && starts && !id.ends_with('-')
}

/// A location id (a region, a multi-region, a resource id of the same
/// form): 1 to 63 lowercase letters, digits and hyphens, starting with a
/// letter and not ending with a hyphen.
pub fn valid_location(l: &str) -> bool {
    (1..=63).contains(&l.len())
        && l.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && l.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !l.ends_with('-')
}

/// Google's rule for label keys: 1 to 63 lowercase letters, digits, `-`
/// and `_`, starting with a letter.
pub fn valid_label_key(k: &str) -> bool {
    (1..=63).contains(&k.len())
        && k.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && k.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// A google.protobuf.Duration in its JSON form (`"3600s"`, `"1.5s"`,
/// `"-2s"`) as nanoseconds; `None` when malformed.
pub fn duration_nanos(s: &str) -> Option<i128> {
    let n = s.strip_suffix('s')?;
    let (negative, n) = match n.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, n),
    };
    let (whole, frac) = n.split_once('.').unwrap_or((n, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 12 || frac.len() > 9 || !digits(whole) || !digits(frac) {
        return None;
    }
    let secs: i128 = whole.parse().ok()?;
    let nanos: i128 = if frac.is_empty() { 0 } else { format!("{frac:0<9}").parse().ok()? };
    let total = secs * 1_000_000_000 + nanos;
    Some(if negative { -total } else { total })
}

/// Nanoseconds as a google.protobuf.Duration's JSON form, as Google
/// writes it: `"3600s"`, `"1.500s"` (0, 3, 6 or 9 decimals).
pub fn duration_json(nanos: i128) -> String {
    let sign = if nanos < 0 { "-" } else { "" };
    let (secs, frac) = (nanos.abs() / 1_000_000_000, nanos.abs() % 1_000_000_000);
    if frac == 0 {
        format!("{sign}{secs}s")
    } else if frac % 1_000_000 == 0 {
        format!("{sign}{secs}.{:03}s", frac / 1_000_000)
    } else if frac % 1_000 == 0 {
        format!("{sign}{secs}.{:06}s", frac / 1_000)
    } else {
        format!("{sign}{secs}.{frac:09}s")
    }
}

/// Applies a JSON merge patch (RFC 7386): `null` removes a field, objects
/// merge, anything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// A page of `items` (already in order) after `page_token`, at most
/// `page_size` long; with the token for the next page. Tokens are the key
/// of the last item returned.
pub fn page<T: Clone>(items: &[(String, T)], page_token: Option<&str>, page_size: usize) -> (Vec<T>, Option<String>) {
    let page_size = page_size.max(1);
    let start = match page_token {
        Some(t) if !t.is_empty() => items.iter().position(|(k, _)| k.as_str() > t).unwrap_or(items.len()),
        _ => 0,
    };
    let rest = &items[start..];
    let taken: Vec<T> = rest.iter().take(page_size).map(|(_, v)| v.clone()).collect();
    let next = if rest.len() > page_size { rest.get(page_size - 1).map(|(k, _)| k.clone()) } else { None };
    (taken, next)
}

/// The reply of a list method: `{field: items, nextPageToken}`, each left
/// out when empty, as Google answers.
pub fn list_reply(field: &str, items: Vec<Value>, next_page_token: Option<String>) -> Value {
    let mut out = json!({});
    if !items.is_empty() {
        out[field] = Value::Array(items);
    }
    if let Some(t) = next_page_token {
        out["nextPageToken"] = json!(t);
    }
    out
}

/// CRC-32C (Castagnoli): Secret Manager's `dataCrc32c`, Cloud Storage's
/// `crc32c`.
pub fn crc32c(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0x82f6_3b78 } else { crc >> 1 };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_known_value() {
        assert_eq!(crc32c(b"123456789"), 0xe306_9283);
    }

    #[test]
    fn project_numbers_are_stable_and_twelve_digits() {
        let n = project_number("my-project");
        assert_eq!(n.len(), 12);
        assert_eq!(n, project_number("my-project"));
        assert_ne!(n, project_number("other-project"));
    }

    #[test]
    fn projects_resolve_by_id_then_number() {
        let mut s = Store::in_memory();
        assert_eq!(resolve_project(&mut s, 0, "123456789012").unwrap_err().code, 403);
        let p = resolve_project(&mut s, 0, "my-project").unwrap();
        assert_eq!(resolve_project(&mut s, 0, &p.number).unwrap(), p);
        assert_eq!(resolve_project(&mut s, 0, "Bad_Project").unwrap_err().code, 400);
    }

    #[test]
    fn durations_round_trip_in_googles_form() {
        assert_eq!(duration_nanos("3600s"), Some(3_600_000_000_000));
        assert_eq!(duration_nanos("-1.5s"), Some(-1_500_000_000));
        assert_eq!(duration_nanos("1h"), None);
        assert_eq!(duration_nanos(".5s"), None);
        assert_eq!(duration_json(2_592_000_000_000_000), "2592000s");
        assert_eq!(duration_json(1_500_000_000), "1.500s");
        assert_eq!(duration_json(-1), "-0.000000001s");
        assert_eq!(duration_nanos(&duration_json(123_456_789_012)), Some(123_456_789_012));
    }

    #[test]
    fn label_keys() {
        assert!(valid_label_key("env") && valid_label_key("a-b_1"));
        assert!(!valid_label_key("") && !valid_label_key("Env") && !valid_label_key("1a"));
    }

    #[test]
    fn merge_patch_removes_nulls() {
        let mut t = json!({"a":1,"b":{"c":2,"d":3}});
        merge_patch(&mut t, &json!({"a":null,"b":{"c":5},"e":[1]}));
        assert_eq!(t, json!({"b":{"c":5,"d":3},"e":[1]}));
    }

    #[test]
    fn pages() {
        let items: Vec<(String, i32)> = (0..5).map(|i| (format!("k{i}"), i)).collect();
        let (a, t) = page(&items, None, 2);
        assert_eq!(a, vec![0, 1]);
        let (b, t) = page(&items, t.as_deref(), 2);
        assert_eq!(b, vec![2, 3]);
        let (c, t) = page(&items, t.as_deref(), 2);
        assert_eq!((c, t), (vec![4], None));
    }
}
