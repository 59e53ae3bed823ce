//! Google's Discovery documents, embedded: which methods exist at which
//! paths, and what their requests may contain. The sandbox answers only
//! what Google would, and rejects what Google would reject; the test suite
//! checks every request cairn sends against the same documents.
//!
//! # Documents and API ids
//!
//! The documents live in `providers/sandbox/discovery/` (see its README).
//! Each is parsed the first time something needs it, so a test that never
//! routes a `/compute/v1/...` path never parses Compute's 5 MB document.
//!
//! An API id ([`MethodMatch::api`](crate::discovery::MethodMatch::api)) is the document's `name` (`storage`,
//! `iam`, `secretmanager`, ...), suffixed with `.{version}` when more than one
//! version of the API is embedded: `cloudresourcemanager.v1` and
//! `cloudresourcemanager.v3` (their method ids are the same in both).
//! [`Discovery::api_ids`](crate::discovery::Discovery::api_ids) lists them.
//!
//! # Routing
//!
//! Paths are matched as they are on the wire: raw (percent-encoded) request
//! paths without host; a query string or fragment is ignored. Parameter
//! values are percent-decoded. Two forms of path are understood:
//!
//! * Google's own: the document's service path plus the method path, e.g.
//!   `/storage/v1/b/my-bucket`, `/v1/projects/p/secrets/s:addVersion`,
//!   `/compute/v1/projects/p/global/backendServices/x`, the media paths
//!   `/upload/...`, `/resumable/upload/...` and (Storage) `/download/...`.
//! * Prefixed by the API's name, for a sandbox that serves every API on one
//!   port: `/secretmanager/v1/projects/p/secrets/s`,
//!   `/cloudresourcemanager/v3/folders/1`. (An API whose service path already
//!   starts with its name, like `/storage/v1/...`, needs no extra prefix.)
//!
//! [`Discovery::find`](crate::discovery::Discovery::find) tries every API and returns the most specific match:
//! most literal characters matched (a name prefix counts), then fewest
//! `{+param}`s, then fewest parameters; on a tie, the earlier API in the
//! embedded list. Five paths are the same in several APIs and so ambiguous
//! without the name prefix: `GET /v1/operations/{}` (Resource Manager v1
//! and Service Usage: `find` answers Resource Manager), and
//! `GET /v1/projects/{}/locations`, `GET .../locations/{}`,
//! `GET .../locations/{}/operations/{}`, `POST ...operations/{}:cancel`
//! (Artifact Registry, Redis, Secret Manager). [`Discovery::find_for_api`](crate::discovery::Discovery::find_for_api)
//! takes the API (an id, a name or a `Host`) from a caller that knows it.
//!
//! Routing uses each method's `flatPath` (literal segments such as
//! `projects/{projectsId}/secrets/{secretsId}`), then reads the method's
//! declared parameters from its `path` (`v1/{+name}`), so
//! [`MethodMatch::path_params`](crate::discovery::MethodMatch::path_params) holds `name = projects/p/secrets/s`.
//!
//! # Validation
//!
//! [`Discovery::validate`](crate::discovery::Discovery::validate) checks query parameters (declared, typed, enums,
//! bounds, required) and the JSON body against the method's request schema,
//! recursively: unknown fields, JSON types, `int64` as number or string,
//! enums, maps, arrays, durations, timestamps, bytes, and fields that the
//! schema marks required for the method. Output-only fields are accepted, as
//! Google ignores them. Messages follow Google's wording.

use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::OnceLock;

/// A request matched to a Discovery method.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodMatch {
    /// `storage`, `iam`, ... (see the module docs for API ids).
    pub api: String,
    /// The method id: `storage.buckets.insert`.
    pub method_id: String,
    /// Values of the path's `{param}` / `{+param}` parts.
    pub path_params: BTreeMap<String, String>,
}

/// One way a request breaks its method's schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// Where: `body.lifecycle.rule[0].action.typ`, `query.projection`.
    pub location: String,
    /// What is wrong, in Google's words where Google has them.
    pub message: String,
}

/// Longest request path considered (longer paths match nothing).
const MAX_PATH_LEN: usize = 8 * 1024;
/// Deepest JSON nesting checked; deeper bodies are a violation.
const MAX_DEPTH: usize = 64;
/// Violations reported per request at most.
const MAX_VIOLATIONS: usize = 100;
/// Steps a single template match may take (backtracking bound).
const MATCH_BUDGET: u32 = 10_000;

/// An embedded document and what routing needs to know before parsing it.
struct Source {
    id: &'static str,
    name: &'static str,
    /// First path segments (after `/`) of every path in the document.
    prefixes: &'static [&'static str],
    /// `rootUrl` host.
    host: &'static str,
    json: &'static str,
}

macro_rules! doc {
    ($id:literal, $name:literal, $file:literal, [$($p:literal),*]) => {
        Source {
            id: $id,
            name: $name,
            prefixes: &[$($p),*],
            host: concat!($name, ".googleapis.com"),
            json: include_str!(concat!("../discovery/", $file)),
        }
    };
}

static SOURCES: &[Source] = &[
    doc!("storage", "storage", "storage.v1.json", ["storage", "upload", "resumable", "download"]),
    doc!("iam", "iam", "iam.v1.json", ["v1"]),
    doc!("cloudresourcemanager.v1", "cloudresourcemanager", "cloudresourcemanager.v1.json", ["v1"]),
    doc!("cloudresourcemanager.v3", "cloudresourcemanager", "cloudresourcemanager.v3.json", ["v3"]),
    doc!("serviceusage", "serviceusage", "serviceusage.v1.json", ["v1"]),
    doc!("secretmanager", "secretmanager", "secretmanager.v1.json", ["v1"]),
    doc!("artifactregistry", "artifactregistry", "artifactregistry.v1.json", ["v1", "upload", "resumable", "download"]),
    doc!("sqladmin", "sqladmin", "sqladmin.v1beta4.json", ["sql"]),
    doc!("redis", "redis", "redis.v1.json", ["v1"]),
    doc!("bigquery", "bigquery", "bigquery.v2.json", ["bigquery", "upload", "resumable"]),
    doc!("run", "run", "run.v2.json", ["v2", "upload"]),
    doc!("compute", "compute", "compute.v1.json", ["compute"]),
];

/// Query parameters every Google API accepts.
const STANDARD_PARAMS: &[&str] = &[
    "alt",
    "fields",
    "key",
    "prettyPrint",
    "quotaUser",
    "userIp",
    "uploadType",
    "upload_protocol",
    "$.xgafv",
    "callback",
    "access_token",
    "oauth_token",
];

/// The loaded documents. Each is parsed on first use.
pub struct Discovery {
    apis: Vec<OnceLock<Option<Api>>>,
}

impl Default for Discovery {
    /// A fresh set of the embedded documents, none parsed yet.
    fn default() -> Self {
        Discovery { apis: SOURCES.iter().map(|_| OnceLock::new()).collect() }
    }
}

impl fmt::Debug for Discovery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let loaded: Vec<&str> =
            SOURCES.iter().zip(&self.apis).filter(|(_, a)| a.get().is_some()).map(|(s, _)| s.id).collect();
        f.debug_struct("Discovery").field("parsed", &loaded).finish()
    }
}

/// One parsed Discovery document.
#[derive(Debug)]
pub struct Api {
    /// The API id (see the module docs).
    pub id: &'static str,
    /// The document's `name`: `storage`.
    pub name: String,
    /// The document's `version`: `v1`.
    pub version: String,
    /// `https://storage.googleapis.com/`.
    pub root_url: String,
    /// `storage/v1/`, or empty when method paths carry the version.
    pub service_path: String,
    /// The document's own `revision`.
    pub revision: String,
    /// Query parameters every method of the API accepts.
    pub parameters: BTreeMap<String, Parameter>,
    /// Schemas by name (the targets of `$ref`).
    pub schemas: BTreeMap<String, Schema>,
    /// Methods by id.
    pub methods: HashMap<String, Method>,
    routes: Vec<Route>,
}

/// A Discovery method.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Method {
    /// `storage.buckets.insert`.
    pub id: String,
    /// `GET`, `POST`, ...
    pub http_method: String,
    /// Relative to the service path: `b/{bucket}`, `v1/{+name}:addVersion`.
    pub path: String,
    /// `path` with `{+param}` spelled out segment by segment.
    #[serde(default)]
    pub flat_path: Option<String>,
    /// Path and query parameters by name.
    #[serde(default)]
    pub parameters: BTreeMap<String, Parameter>,
    /// Required parameters in order.
    #[serde(default)]
    pub parameter_order: Vec<String>,
    /// The body's schema.
    #[serde(default)]
    pub request: Option<SchemaRef>,
    /// The response's schema.
    #[serde(default)]
    pub response: Option<SchemaRef>,
    /// Media upload paths, when the method takes media.
    #[serde(default)]
    pub media_upload: Option<MediaUpload>,
    /// Whether `alt=media` downloads go through `/download/...`.
    #[serde(default)]
    pub use_media_download_service: bool,
}

/// A `{"$ref": "Bucket"}`.
#[derive(Debug, Clone, Deserialize)]
pub struct SchemaRef {
    /// The schema's name.
    #[serde(rename = "$ref")]
    pub reference: String,
}

/// A method's media upload protocols.
#[derive(Debug, Clone, Deserialize)]
pub struct MediaUpload {
    /// `simple`, `resumable` → their absolute paths.
    #[serde(default)]
    pub protocols: BTreeMap<String, UploadProtocol>,
}

/// One upload protocol.
#[derive(Debug, Clone, Deserialize)]
pub struct UploadProtocol {
    /// Absolute path: `/upload/storage/v1/b/{bucket}/o`.
    pub path: String,
}

/// A path or query parameter.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Parameter {
    /// `string`, `integer`, `boolean`, `number`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// `path` or `query`.
    #[serde(default)]
    pub location: String,
    /// `int32`, `uint32`, `int64`, `google-fieldmask`, ...
    #[serde(default)]
    pub format: Option<String>,
    /// Whether the parameter must be given.
    #[serde(default)]
    pub required: bool,
    /// Whether it may be given more than once.
    #[serde(default)]
    pub repeated: bool,
    /// Allowed values, when listed.
    #[serde(rename = "enum", default)]
    pub enum_values: Vec<String>,
    /// Google's regular expression for the value (not checked).
    #[serde(default)]
    pub pattern: Option<String>,
    /// Lower bound of an integer.
    #[serde(default)]
    pub minimum: Option<Value>,
    /// Upper bound of an integer.
    #[serde(default)]
    pub maximum: Option<Value>,
}

/// A JSON schema in Discovery's dialect.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Schema {
    /// The schema's name, for top-level schemas.
    #[serde(default)]
    pub id: Option<String>,
    /// `object`, `array`, `string`, `integer`, `number`, `boolean`, `any`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// A reference to a named schema instead of an inline one.
    #[serde(rename = "$ref", default)]
    pub reference: Option<String>,
    /// An object's fields.
    #[serde(default)]
    pub properties: BTreeMap<String, Schema>,
    /// A map's values.
    #[serde(default)]
    pub additional_properties: Option<Box<Schema>>,
    /// An array's items.
    #[serde(default)]
    pub items: Option<Box<Schema>>,
    /// Allowed values, when listed.
    #[serde(rename = "enum", default)]
    pub enum_values: Vec<String>,
    /// `int64`, `byte`, `google-duration`, `google-datetime`, `date`, ...
    #[serde(default)]
    pub format: Option<String>,
    /// Whether the server sets the field.
    #[serde(default)]
    pub read_only: bool,
    /// Google's description.
    #[serde(default)]
    pub description: String,
    /// Methods for which the field is required.
    #[serde(default)]
    pub annotations: Annotations,
}

/// Schema annotations.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct Annotations {
    /// Method ids for which the field must be set.
    #[serde(default)]
    pub required: Vec<String>,
}

impl Schema {
    /// Whether the field is set by the server only ("Output only", or
    /// `readOnly`). Google ignores such fields in requests.
    pub fn is_output_only(&self) -> bool {
        self.read_only
            || self.description.starts_with("Output only")
            || self.description.starts_with("[Output Only]")
            || self.description.starts_with("Output-only")
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDoc {
    name: String,
    version: String,
    root_url: String,
    #[serde(default)]
    service_path: String,
    #[serde(default)]
    revision: String,
    #[serde(default)]
    parameters: BTreeMap<String, Parameter>,
    #[serde(default)]
    schemas: BTreeMap<String, Schema>,
    #[serde(default)]
    resources: BTreeMap<String, RawResource>,
    #[serde(default)]
    methods: BTreeMap<String, Method>,
}

#[derive(Deserialize)]
struct RawResource {
    #[serde(default)]
    methods: BTreeMap<String, Method>,
    #[serde(default)]
    resources: BTreeMap<String, RawResource>,
}

fn collect_methods(r: RawResource, out: &mut Vec<Method>) {
    out.extend(r.methods.into_values());
    for sub in r.resources.into_values() {
        collect_methods(sub, out);
    }
}

// ---------------------------------------------------------------------------
// Path templates

#[derive(Debug, Clone)]
enum Tok {
    Lit(String),
    Var { name: String, plus: bool },
}

#[derive(Debug, Clone)]
struct Template(Vec<Tok>);

impl Template {
    /// Parses `v1/{+name}:addVersion`. Unclosed braces are literal text.
    fn parse(s: &str) -> Template {
        let mut toks = Vec::new();
        let mut lit = String::new();
        let mut rest = s;
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}').map(|c| open + c) else { break };
            lit.push_str(&rest[..open]);
            let inner = &rest[open + 1..close];
            let (plus, name) = match inner.strip_prefix('+') {
                Some(n) => (true, n),
                None => (false, inner),
            };
            if !lit.is_empty() {
                toks.push(Tok::Lit(std::mem::take(&mut lit)));
            }
            toks.push(Tok::Var { name: name.to_string(), plus });
            rest = &rest[close + 1..];
        }
        lit.push_str(rest);
        if !lit.is_empty() {
            toks.push(Tok::Lit(lit));
        }
        Template(toks)
    }

    fn literal_len(&self) -> usize {
        self.0.iter().map(|t| if let Tok::Lit(l) = t { l.len() } else { 0 }).sum()
    }

    fn count_vars(&self, plus_only: bool) -> usize {
        self.0.iter().filter(|t| matches!(t, Tok::Var { plus, .. } if *plus || !plus_only)).count()
    }

    /// Matches the whole of `s`; returns each variable's byte range.
    fn matches(&self, s: &[u8]) -> Option<Vec<(usize, usize)>> {
        let mut caps = Vec::new();
        let mut budget = MATCH_BUDGET;
        if match_from(&self.0, s, 0, &mut caps, &mut budget) {
            Some(caps)
        } else {
            None
        }
    }

    /// Matches `s` and returns the variables' decoded values by name.
    fn captures(&self, s: &[u8]) -> Option<BTreeMap<String, String>> {
        let caps = self.matches(s)?;
        let names = self.0.iter().filter_map(|t| if let Tok::Var { name, .. } = t { Some(name) } else { None });
        Some(names.zip(caps).map(|(n, (a, b))| (n.clone(), percent_decode(&s[a..b]))).collect())
    }
}

fn match_from(toks: &[Tok], s: &[u8], pos: usize, caps: &mut Vec<(usize, usize)>, budget: &mut u32) -> bool {
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    let Some(tok) = toks.first() else { return pos == s.len() };
    let rest = &toks[1..];
    match tok {
        Tok::Lit(l) => {
            s.get(pos..).is_some_and(|t| t.starts_with(l.as_bytes()))
                && match_from(rest, s, pos + l.len(), caps, budget)
        }
        Tok::Var { plus, .. } => {
            let limit = if *plus {
                s.len()
            } else {
                s[pos..].iter().position(|&b| b == b'/').map_or(s.len(), |o| pos + o)
            };
            let mut end = limit;
            while end > pos {
                let ok = match rest.first() {
                    None => end == s.len(),
                    Some(Tok::Lit(l)) => s[end..].starts_with(l.as_bytes()),
                    Some(Tok::Var { .. }) => true,
                };
                if ok {
                    caps.push((pos, end));
                    if match_from(rest, s, end, caps, budget) {
                        return true;
                    }
                    caps.pop();
                }
                if *budget == 0 {
                    return false;
                }
                end -= 1;
            }
            false
        }
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `%XX` decoding; malformed escapes are kept as they are.
fn percent_decode(s: &[u8]) -> String {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' && i + 2 < s.len() {
            if let (Some(h), Some(l)) = (hex(s[i + 1]), hex(s[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(s[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One way to reach a method.
#[derive(Debug)]
struct Route {
    method_id: String,
    http_method: String,
    /// The routing template (flat path when there is one), full path
    /// without leading `/`.
    tmpl: Template,
    /// The template naming the declared parameters, when it differs.
    params: Option<Template>,
    literal_len: usize,
    plus: usize,
    vars: usize,
}

impl Route {
    fn new(method: &Method, tmpl: String, params: Option<String>) -> Route {
        let tmpl = Template::parse(&tmpl);
        Route {
            method_id: method.id.clone(),
            http_method: method.http_method.to_ascii_uppercase(),
            literal_len: tmpl.literal_len(),
            plus: tmpl.count_vars(true),
            vars: tmpl.count_vars(false),
            params: params.map(|p| Template::parse(&p)),
            tmpl,
        }
    }
}

impl Api {
    fn parse(source: &Source) -> Option<Api> {
        let raw: RawDoc = serde_json::from_str(source.json).ok()?;
        let mut methods = Vec::new();
        collect_methods(RawResource { methods: raw.methods, resources: raw.resources }, &mut methods);
        let sp = raw.service_path.trim_start_matches('/').to_string();
        let mut routes = Vec::new();
        for m in &methods {
            let path = format!("{sp}{}", m.path);
            match &m.flat_path {
                Some(flat) if flat != &m.path => routes.push(Route::new(m, format!("{sp}{flat}"), Some(path.clone()))),
                _ => routes.push(Route::new(m, path.clone(), None)),
            }
            if let Some(mu) = &m.media_upload {
                for p in mu.protocols.values() {
                    routes.push(Route::new(m, p.path.trim_start_matches('/').to_string(), None));
                }
            }
            if m.use_media_download_service {
                routes.push(Route::new(m, format!("download/{path}"), None));
            }
        }
        Some(Api {
            id: source.id,
            name: raw.name,
            version: raw.version,
            root_url: raw.root_url,
            service_path: raw.service_path,
            revision: raw.revision,
            parameters: raw.parameters,
            schemas: raw.schemas,
            methods: methods.into_iter().map(|m| (m.id.clone(), m)).collect(),
            routes,
        })
    }

    /// The named schema.
    pub fn schema(&self, name: &str) -> Option<&Schema> {
        self.schemas.get(name)
    }

    /// Follows `$ref`s (a few hops at most).
    fn resolve<'a>(&'a self, mut s: &'a Schema) -> Option<&'a Schema> {
        for _ in 0..8 {
            match &s.reference {
                Some(r) => s = self.schemas.get(r)?,
                None => return Some(s),
            }
        }
        None
    }
}

/// A candidate match, before choosing the best.
struct Candidate<'a> {
    api: &'a Api,
    route: &'a Route,
    /// The path the route matched (after any name prefix was stripped).
    path: &'a [u8],
    score: (usize, std::cmp::Reverse<usize>, std::cmp::Reverse<usize>),
}

/// The request path without query, fragment and leading `/`.
fn clean_path(path: &str) -> Option<&str> {
    let path = path.split(['?', '#']).next().unwrap_or("");
    if path.len() > MAX_PATH_LEN {
        return None;
    }
    Some(path.strip_prefix('/').unwrap_or(path))
}

fn first_segment(p: &str) -> &str {
    p.split(['/', ':']).next().unwrap_or("")
}

/// The host of `https://host:port/path`, or of `host`.
fn host_of(s: &str) -> &str {
    let s = s.split("://").nth(1).unwrap_or(s);
    let s = s.split('/').next().unwrap_or(s);
    s.split(':').next().unwrap_or(s)
}

impl Discovery {
    /// The documents embedded in this crate.
    pub fn embedded() -> &'static Discovery {
        static D: OnceLock<Discovery> = OnceLock::new();
        D.get_or_init(Discovery::default)
    }

    /// The ids of the embedded APIs (without parsing anything).
    pub fn api_ids(&self) -> impl Iterator<Item = &'static str> {
        SOURCES.iter().map(|s| s.id)
    }

    fn api_at(&self, i: usize) -> Option<&Api> {
        self.apis.get(i)?.get_or_init(|| Api::parse(&SOURCES[i])).as_ref()
    }

    /// The parsed API with this id (`storage`, `cloudresourcemanager.v3`).
    pub fn api(&self, id: &str) -> Option<&Api> {
        let i = SOURCES.iter().position(|s| s.id == id)?;
        self.api_at(i)
    }

    /// A method by API id and method id.
    pub fn method(&self, api: &str, method_id: &str) -> Option<&Method> {
        self.api(api)?.methods.get(method_id)
    }

    /// A named schema of an API: `schema("storage", "Bucket")`.
    pub fn schema(&self, api: &str, name: &str) -> Option<&Schema> {
        self.api(api)?.schemas.get(name)
    }

    /// The schema of a matched method's request body, if it takes one.
    pub fn request_schema(&self, m: &MethodMatch) -> Option<&Schema> {
        let api = self.api(&m.api)?;
        api.schemas.get(&api.methods.get(&m.method_id)?.request.as_ref()?.reference)
    }

    /// The schema of a matched method's response, if it has one.
    pub fn response_schema(&self, m: &MethodMatch) -> Option<&Schema> {
        let api = self.api(&m.api)?;
        api.schemas.get(&api.methods.get(&m.method_id)?.response.as_ref()?.reference)
    }

    /// The method for an HTTP method and URL path (without host; a query
    /// string is ignored), trying every API and preferring the most
    /// specific match. See the module docs for the forms of path.
    pub fn find(&self, http_method: &str, path: &str) -> Option<MethodMatch> {
        self.find_in(http_method, path, |_| true)
    }

    /// Like [`find`](Self::find), for a caller that knows the API: `api` is
    /// an API id (`cloudresourcemanager.v1`), a name (`cloudresourcemanager`:
    /// every embedded version), or a host or root URL
    /// (`secretmanager.googleapis.com`, `https://storage.googleapis.com/`).
    pub fn find_for_api(&self, api: &str, http_method: &str, path: &str) -> Option<MethodMatch> {
        let host = host_of(api);
        self.find_in(http_method, path, |s| s.id == api || s.name == api || s.host.eq_ignore_ascii_case(host))
    }

    fn find_in(&self, http_method: &str, path: &str, wanted: impl Fn(&Source) -> bool) -> Option<MethodMatch> {
        let path = clean_path(path)?;
        let http = http_method.to_ascii_uppercase();
        let mut best: Option<Candidate> = None;
        for (i, source) in SOURCES.iter().enumerate() {
            if !wanted(source) {
                continue;
            }
            // The path as Google spells it, and with the API's name stripped.
            let mut forms: Vec<(&str, usize)> = vec![(path, 0)];
            if let Some(rest) = path.strip_prefix(source.name).and_then(|r| r.strip_prefix('/')) {
                forms.push((rest, source.name.len() + 1));
            }
            for (form, bonus) in forms {
                if !source.prefixes.contains(&first_segment(form)) {
                    continue;
                }
                let Some(api) = self.api_at(i) else { continue };
                for route in &api.routes {
                    if route.http_method != http {
                        continue;
                    }
                    let score = (
                        route.literal_len + bonus,
                        std::cmp::Reverse(route.plus),
                        std::cmp::Reverse(route.vars),
                    );
                    if best.as_ref().is_some_and(|b| b.score >= score) {
                        continue;
                    }
                    if route.tmpl.matches(form.as_bytes()).is_some() {
                        best = Some(Candidate { api, route, path: form.as_bytes(), score });
                    }
                }
            }
        }
        let c = best?;
        let params = c
            .route
            .params
            .as_ref()
            .and_then(|t| t.captures(c.path))
            .or_else(|| c.route.tmpl.captures(c.path))
            .unwrap_or_default();
        Some(MethodMatch { api: c.api.id.to_string(), method_id: c.route.method_id.clone(), path_params: params })
    }

    /// Checks query parameters and the JSON body against the method.
    ///
    /// `query` is the decoded query string, in order, repeats included.
    /// `body` is the parsed JSON body, if any.
    pub fn validate(
        &self,
        m: &MethodMatch,
        query: &[(String, String)],
        body: Option<&Value>,
    ) -> Result<(), Vec<Violation>> {
        let Some(api) = self.api(&m.api) else {
            return Err(vec![Violation { location: "api".into(), message: format!("Unknown API {:?}.", m.api) }]);
        };
        let Some(method) = api.methods.get(&m.method_id) else {
            return Err(vec![Violation {
                location: "method".into(),
                message: format!("Unknown method {:?} in API {:?}.", m.method_id, m.api),
            }]);
        };
        let mut out = Vec::new();
        check_query(api, method, query, &mut out);
        if let Some(body) = body {
            match &method.request {
                Some(r) => match api.schemas.get(&r.reference) {
                    Some(schema) => {
                        let label = body_label(&r.reference);
                        let mut c = Checker { api, method_id: &method.id, out: &mut out };
                        let mut path = Vec::new();
                        c.check(schema, body, &label, &mut path, 0);
                    }
                    None => out.push(Violation {
                        location: "body".into(),
                        message: format!("The request schema {:?} is missing from the document.", r.reference),
                    }),
                },
                None => {
                    let empty = match body {
                        Value::Null => true,
                        Value::Object(o) => o.is_empty(),
                        _ => false,
                    };
                    if !empty {
                        out.push(Violation {
                            location: "body".into(),
                            message: format!("Method {} does not take a request body.", method.id),
                        });
                    }
                }
            }
        }
        out.truncate(MAX_VIOLATIONS);
        if out.is_empty() {
            Ok(())
        } else {
            Err(out)
        }
    }

    /// Checks a JSON value against a named schema of an API (for example a
    /// response the sandbox is about to send). `method_id`, when given,
    /// turns on the schema's per-method required fields.
    pub fn validate_value(
        &self,
        api: &str,
        schema: &str,
        value: &Value,
        method_id: Option<&str>,
    ) -> Result<(), Vec<Violation>> {
        let Some(a) = self.api(api) else {
            return Err(vec![Violation { location: "api".into(), message: format!("Unknown API {api:?}.") }]);
        };
        let Some(s) = a.schemas.get(schema) else {
            return Err(vec![Violation { location: "schema".into(), message: format!("Unknown schema {schema:?}.") }]);
        };
        let mut out = Vec::new();
        let mut c = Checker { api: a, method_id: method_id.unwrap_or(""), out: &mut out };
        c.check(s, value, &body_label(schema), &mut Vec::new(), 0);
        out.truncate(MAX_VIOLATIONS);
        if out.is_empty() {
            Ok(())
        } else {
            Err(out)
        }
    }
}

// ---------------------------------------------------------------------------
// Query parameters

fn check_query(api: &Api, method: &Method, query: &[(String, String)], out: &mut Vec<Violation>) {
    for (name, value) in query {
        if out.len() >= MAX_VIOLATIONS {
            return;
        }
        let location = format!("query.{name}");
        let param = match method.parameters.get(name) {
            Some(p) if p.location == "query" => Some(p),
            Some(_) => {
                out.push(Violation {
                    location,
                    message: format!(
                        "Invalid JSON payload received. Unknown name {name:?}: Cannot bind query parameter. \
                         Field '{name}' is bound by the URL path."
                    ),
                });
                continue;
            }
            None => api.parameters.get(name),
        };
        match param {
            Some(p) => {
                if let Some(label) = bad_param_value(p, value) {
                    out.push(Violation {
                        location,
                        message: format!("Invalid value at '{name}' ({label}), {}", quote(value)),
                    });
                }
            }
            None if STANDARD_PARAMS.contains(&name.as_str()) => {}
            None => out.push(Violation {
                location,
                message: format!(
                    "Invalid JSON payload received. Unknown name {name:?}: Cannot bind query parameter. \
                     Field '{name}' could not be found in request message."
                ),
            }),
        }
    }
    for (name, p) in &method.parameters {
        if p.location == "query" && p.required && !query.iter().any(|(k, _)| k == name) {
            out.push(Violation { location: format!("query.{name}"), message: format!("Required parameter: {name}") });
        }
    }
}

fn bound(v: &Option<Value>) -> Option<i128> {
    match v.as_ref()? {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_i64().map(i128::from),
        _ => None,
    }
}

/// The type label when `value` is not a valid value of `p`.
fn bad_param_value(p: &Parameter, value: &str) -> Option<&'static str> {
    if !p.enum_values.is_empty() {
        return (!p.enum_values.iter().any(|e| e == value)).then_some("TYPE_ENUM");
    }
    let format = p.format.as_deref().unwrap_or("");
    match p.kind.as_str() {
        "integer" | "string" if is_integer_format(&p.kind, format) => {
            let label = int_label(&p.kind, format);
            let Some(n) = parse_int(value, &p.kind, format) else { return Some(label) };
            let low = bound(&p.minimum).is_some_and(|m| n < m);
            let high = bound(&p.maximum).is_some_and(|m| n > m);
            (low || high).then_some(label)
        }
        "number" => parse_double(value).is_none().then_some(if format == "float" { "TYPE_FLOAT" } else { "TYPE_DOUBLE" }),
        "boolean" => {
            let ok = ["true", "false", "1", "0"].iter().any(|b| value.eq_ignore_ascii_case(b));
            (!ok).then_some("TYPE_BOOL")
        }
        _ => None,
    }
}

fn is_integer_format(kind: &str, format: &str) -> bool {
    kind == "integer" || matches!(format, "int64" | "uint64" | "int32" | "uint32")
}

fn int_label(kind: &str, format: &str) -> &'static str {
    match (kind, format) {
        (_, "int64") => "TYPE_INT64",
        (_, "uint64") => "TYPE_UINT64",
        (_, "uint32") => "TYPE_UINT32",
        _ => "TYPE_INT32",
    }
}

/// Parses a decimal integer in the range of the format.
fn parse_int(s: &str, kind: &str, format: &str) -> Option<i128> {
    if s.is_empty() || s.len() > 40 {
        return None;
    }
    let n: i128 = s.parse().ok()?;
    let (lo, hi) = match (kind, format) {
        (_, "int64") => (i64::MIN as i128, i64::MAX as i128),
        (_, "uint64") => (0, u64::MAX as i128),
        (_, "uint32") => (0, u32::MAX as i128),
        _ => (i32::MIN as i128, i32::MAX as i128),
    };
    (lo..=hi).contains(&n).then_some(n)
}

fn parse_double(s: &str) -> Option<f64> {
    match s {
        "NaN" | "Infinity" | "-Infinity" => Some(0.0),
        _ if s.is_empty() || s.len() > 400 => None,
        // Rust accepts "inf" and "nan", Google does not.
        _ if s.bytes().any(|b| b.is_ascii_alphabetic() && b != b'e' && b != b'E') => None,
        _ => s.parse().ok(),
    }
}

/// A value quoted for a message, shortened.
fn quote(s: &str) -> String {
    let short: String = s.chars().take(80).collect();
    let more = if short.len() < s.len() { "..." } else { "" };
    format!("{:?}", format!("{short}{more}"))
}

// ---------------------------------------------------------------------------
// Bodies

/// The name Google gives the body in messages: the request field that
/// holds it (`bucket` for a `Bucket`), or none for a `*Request` message,
/// which is the whole request.
fn body_label(schema: &str) -> String {
    if schema.ends_with("Request") {
        return String::new();
    }
    let mut c = schema.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

enum Seg<'a> {
    Field(&'a str),
    Index(usize),
}

/// `body.lifecycle.rule[0]` (location) and `bucket.lifecycle.rule[0]` (Google).
fn render(prefix: &str, path: &[Seg]) -> String {
    let mut s = prefix.to_string();
    for seg in path {
        match seg {
            Seg::Field(f) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(f);
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// A JSON value shown in a message: scalars in full (shortened), containers
/// elided (never serialized, so depth does not matter).
fn show(v: &Value) -> String {
    match v {
        Value::String(s) => quote(s),
        Value::Array(_) => "[...]".into(),
        Value::Object(_) => "{...}".into(),
        other => other.to_string(),
    }
}

struct Checker<'a, 'o> {
    api: &'a Api,
    method_id: &'a str,
    out: &'o mut Vec<Violation>,
}

impl<'a> Checker<'a, '_> {
    fn push(&mut self, path: &[Seg], message: String) {
        if self.out.len() < MAX_VIOLATIONS {
            self.out.push(Violation { location: render("body", path), message });
        }
    }

    fn invalid(&mut self, schema: &Schema, v: &Value, label: &str, path: &[Seg]) {
        let at = render(label, path);
        let message = format!("Invalid value at '{at}' ({}), {}", type_label(schema), show(v));
        self.push(path, message);
    }

    fn check<'v>(&mut self, schema: &'a Schema, v: &'v Value, label: &str, path: &mut Vec<Seg<'v>>, depth: usize)
    where
        'a: 'v,
    {
        if self.out.len() >= MAX_VIOLATIONS {
            return;
        }
        if depth > MAX_DEPTH {
            self.push(path, format!("Invalid JSON payload received. Nesting deeper than {MAX_DEPTH} levels."));
            return;
        }
        let Some(s) = self.api.resolve(schema) else {
            let r = schema.reference.as_deref().unwrap_or("");
            self.push(path, format!("The schema {r:?} is missing from the document."));
            return;
        };
        if v.is_null() {
            return;
        }
        let kind = match s.kind.as_deref() {
            Some(k) => k,
            None if !s.properties.is_empty() || s.additional_properties.is_some() => "object",
            None => "any",
        };
        if let (Value::Array(_), Some(Seg::Field(name))) = (v, path.last()) {
            if kind != "array" && kind != "any" {
                let name = name.to_string();
                let parent = render(label, &path[..path.len() - 1]);
                let at = if parent.is_empty() { String::new() } else { format!(" at '{parent}'") };
                self.push(
                    path,
                    format!(
                        "Invalid JSON payload received. Unknown name {name:?}{at}: \
                         Proto field is not repeating, cannot start list."
                    ),
                );
                return;
            }
        }
        match kind {
            "object" => {
                let Value::Object(map) = v else { return self.invalid(s, v, label, path) };
                for (k, item) in map {
                    if let Some(p) = s.properties.get(k) {
                        path.push(Seg::Field(k));
                        self.check(p, item, label, path, depth + 1);
                        path.pop();
                    } else if let Some(ap) = &s.additional_properties {
                        path.push(Seg::Field(k));
                        self.check(ap, item, label, path, depth + 1);
                        path.pop();
                    } else if s.format.as_deref() == Some("google.protobuf.Any") {
                        // Any: `@type` plus the packed message's fields.
                    } else {
                        let parent = render(label, path);
                        let at = if parent.is_empty() { String::new() } else { format!(" at '{parent}'") };
                        path.push(Seg::Field(k));
                        self.push(path, format!("Invalid JSON payload received. Unknown name {k:?}{at}: Cannot find field."));
                        path.pop();
                    }
                }
                if !self.method_id.is_empty() {
                    for (name, p) in &s.properties {
                        if p.annotations.required.iter().any(|m| m == self.method_id)
                            && map.get(name).is_none_or(Value::is_null)
                        {
                            path.push(Seg::Field(name));
                            let at = render(label, path);
                            self.push(path, format!("Required field missing: '{at}'."));
                            path.pop();
                        }
                    }
                }
            }
            "array" => {
                let Value::Array(items) = v else {
                    let item = s.items.as_deref().unwrap_or(s);
                    return self.invalid(item, v, label, path);
                };
                let Some(item_schema) = s.items.as_deref() else { return };
                for (i, item) in items.iter().enumerate() {
                    if item.is_null() {
                        self.push(path, format!("Invalid value at '{}': null in a list.", render(label, path)));
                        continue;
                    }
                    path.push(Seg::Index(i));
                    self.check(item_schema, item, label, path, depth + 1);
                    path.pop();
                    if self.out.len() >= MAX_VIOLATIONS {
                        return;
                    }
                }
            }
            "string" if !valid_string(s, v) => self.invalid(s, v, label, path),
            "integer" => {
                let format = s.format.as_deref().unwrap_or("int32");
                if !valid_int(v, "integer", format) {
                    self.invalid(s, v, label, path);
                }
            }
            "number" => {
                let ok = match v {
                    Value::Number(_) => true,
                    Value::String(t) => parse_double(t).is_some(),
                    _ => false,
                };
                if !ok {
                    self.invalid(s, v, label, path);
                }
            }
            "boolean" if !v.is_boolean() => self.invalid(s, v, label, path),
            _ => {}
        }
    }
}

fn valid_int(v: &Value, kind: &str, format: &str) -> bool {
    match v {
        Value::Number(n) => {
            let i = if let Some(i) = n.as_i64() {
                Some(i as i128)
            } else if let Some(u) = n.as_u64() {
                Some(u as i128)
            } else {
                // 3.0 is an integer; 3.5 is not.
                n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 1.9e19).map(|f| f as i128)
            };
            i.is_some_and(|i| parse_int(&i.to_string(), kind, format).is_some())
        }
        Value::String(s) => parse_int(s, kind, format).is_some(),
        _ => false,
    }
}

fn valid_string(s: &Schema, v: &Value) -> bool {
    let format = s.format.as_deref().unwrap_or("");
    if matches!(format, "int64" | "uint64" | "int32" | "uint32") {
        return valid_int(v, "string", format);
    }
    let Value::String(t) = v else { return false };
    if !s.enum_values.is_empty() {
        return s.enum_values.iter().any(|e| e == t);
    }
    match format {
        "byte" => t.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_' | b'=')),
        "google-duration" => valid_duration(t),
        "google-datetime" | "date-time" => valid_datetime(t),
        "date" => valid_date(t),
        _ => true,
    }
}

/// `3.5s`, `-1s`, `0.000000001s`.
fn valid_duration(t: &str) -> bool {
    let Some(n) = t.strip_suffix('s') else { return false };
    let n = n.strip_prefix('-').unwrap_or(n);
    let (whole, frac) = n.split_once('.').unwrap_or((n, ""));
    !whole.is_empty()
        && whole.len() <= 12
        && whole.bytes().all(|b| b.is_ascii_digit())
        && frac.len() <= 9
        && frac.bytes().all(|b| b.is_ascii_digit())
        && !(n.contains('.') && frac.is_empty())
}

/// `2024-01-31`.
fn valid_date(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && (1..=12).contains(&((b[5] - b'0') * 10 + (b[6] - b'0')))
        && (1..=31).contains(&((b[8] - b'0') * 10 + (b[9] - b'0')))
}

/// RFC 3339: `2024-01-31T12:00:00Z`, `2024-01-31T12:00:00.5+01:00`.
fn valid_datetime(t: &str) -> bool {
    let Some((date, time)) = t.split_once(['T', 't']) else { return false };
    if !valid_date(date) || time.len() < 9 {
        return false;
    }
    let b = time.as_bytes();
    let hms = b[2] == b':'
        && b[5] == b':'
        && [0, 1, 3, 4, 6, 7].iter().all(|&i| b[i].is_ascii_digit());
    let mut rest = &time[8..];
    if let Some(r) = rest.strip_prefix('.') {
        let digits = r.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return false;
        }
        rest = &r[digits..];
    }
    let zone = rest.eq_ignore_ascii_case("z")
        || (rest.len() == 6
            && matches!(rest.as_bytes()[0], b'+' | b'-')
            && rest.as_bytes()[3] == b':'
            && [1, 2, 4, 5].iter().all(|&i| rest.as_bytes()[i].is_ascii_digit()));
    hms && zone
}

/// How Google names a field's type in "Invalid value" messages.
fn type_label(s: &Schema) -> String {
    if !s.enum_values.is_empty() {
        return "TYPE_ENUM".into();
    }
    let format = s.format.as_deref().unwrap_or("");
    let label = match (s.kind.as_deref().unwrap_or("object"), format) {
        ("string" | "integer", "int64" | "uint64" | "uint32" | "int32") => int_label("integer", format),
        ("integer", _) => "TYPE_INT32",
        ("string", "byte") => "TYPE_BYTES",
        ("string", "google-duration") => "type.googleapis.com/google.protobuf.Duration",
        ("string", "google-datetime" | "date-time") => "type.googleapis.com/google.protobuf.Timestamp",
        ("string", "google-fieldmask") => "type.googleapis.com/google.protobuf.FieldMask",
        ("string", _) => "TYPE_STRING",
        ("number", "float") => "TYPE_FLOAT",
        ("number", _) => "TYPE_DOUBLE",
        ("boolean", _) => "TYPE_BOOL",
        _ => match &s.id {
            Some(id) => return format!("type.googleapis.com/{id}"),
            None => "TYPE_MESSAGE",
        },
    };
    label.to_string()
}

#[cfg(test)]
#[path = "discovery_tests.rs"]
mod tests;
