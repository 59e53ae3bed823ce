//! `google_artifact_registry_repository`: an Artifact Registry repository
//! (v1; create and delete are google.longrunning operations).
//!
//! Create = `POST v1/projects/{p}/locations/{l}/repositories?repositoryId={r}`,
//! an operation whose `response` is the repository; read = `GET
//! v1/projects/{p}/locations/{l}/repositories/{r}` (404: gone); update =
//! `PATCH` with an `updateMask` naming only the changed fields
//! (`description`, `labels`, `dockerConfig`, `cleanupPolicies`,
//! `cleanupPolicyDryRun`); delete = `DELETE`, an operation. Every other
//! argument forces a new repository.
//!
//! What needs care:
//! - `format` and `mode` come back upper-cased: compared without case, the
//!   user's spelling kept.
//! - `location` defaults to the provider's `region`.
//! - `cleanup_policies` are a set of blocks; the API keeps a map keyed by
//!   the policy `id`. Durations (`older_than`, `newer_than`) may be written
//!   as the API's seconds (`"2592000s"`) or with units (`"30d"`, `"12h"`):
//!   they are sent as seconds and read back in whichever spelling the
//!   configuration (or prior state) used for the same length of time.
//! - The API leaves out `false` and empty values (proto3 JSON), so a
//!   missing `dockerConfig.immutableTags` reads as `false`, and a
//!   `docker_config` block the configuration has stays.
//!
//! `id`: `projects/{p}/locations/{l}/repositories/{r}`; `name` is the
//! repository id, as Terraform has it. Import IDs: that `id`, `{p}/{l}/{r}`,
//! `{l}/{r}` and `{r}` (project and location from the provider).
//!
//! Not here: `maven_config`, `virtual_repository_config`,
//! `remote_repository_config`, `vulnerability_scanning_config`.

use super::{
    api_object, block, blocks, effective_labels, encode, fill_location, fill_project, int_of, keep_prior_case, label_attrs,
    location_of, object, opt_bool, opt_str, plan_labels, project_of, read_labels, req_str, spelling_of, string_map,
    to_json_map,
};
use crate::client::Method;
use crate::{AttrSpec, BlockSpec, BoxFuture, Client, Error, GoogleResource, Json, Nesting, ProviderConfig, TypeSchema, TypeSpec};
use serde_json::{json, Map};
use std::time::Duration;

const SERVICE: &str = "artifactregistry";
/// Create, update and delete each, as Terraform's default.
const TIMEOUT: Duration = Duration::from_secs(20 * 60);
const DEFAULT_MODE: &str = "STANDARD_REPOSITORY";

pub struct ArtifactRegistryRepository;

/// A repository's place: the three parts of its name.
struct Repo {
    project: String,
    location: String,
    repository_id: String,
}

impl Repo {
    /// The repository of a planned or prior object; project and location
    /// default to the provider's.
    fn of(client: &Client, v: &Json) -> Result<Repo, Error> {
        Ok(Repo {
            project: project_of(client, v)?.to_string(),
            location: location_of(client, v)?.to_string(),
            repository_id: req_str(v, "repository_id")?.to_string(),
        })
    }

    /// The repository an import ID names.
    fn parse(client: &Client, id: &str) -> Result<Repo, Error> {
        let parts: Vec<&str> = id.split('/').collect();
        let (project, location, repository_id) = match parts.as_slice() {
            ["projects", p, "locations", l, "repositories", r] | [p, l, r] => (p.to_string(), l.to_string(), *r),
            [l, r] => (client.default_project()?.to_string(), l.to_string(), *r),
            [r] => (client.default_project()?.to_string(), client.default_region()?.to_string(), *r),
            _ => ("".into(), "".into(), ""),
        };
        if [project.as_str(), location.as_str(), repository_id].iter().any(|s| s.is_empty()) {
            return Err(Error::Invalid(format!(
                "import ID {id:?}: expected `projects/{{project}}/locations/{{location}}/repositories/{{repository_id}}`, \
                 `{{project}}/{{location}}/{{repository_id}}`, `{{location}}/{{repository_id}}` or `{{repository_id}}`"
            )));
        }
        Ok(Repo { project, location, repository_id: repository_id.to_string() })
    }

    /// `projects/{p}/locations/{l}/repositories/{r}`: Terraform's `id`.
    fn id(&self) -> String {
        format!("projects/{}/locations/{}/repositories/{}", self.project, self.location, self.repository_id)
    }

    fn parent_url(&self, client: &Client) -> String {
        client.url(SERVICE, &format!("projects/{}/locations/{}/repositories", encode(&self.project), encode(&self.location)))
    }

    fn url(&self, client: &Client) -> String {
        format!("{}/{}", self.parent_url(client), encode(&self.repository_id))
    }
}

// ---- durations -------------------------------------------------------------

const NANOS_PER_SEC: u128 = 1_000_000_000;
/// The longest protobuf Duration: 10,000 years.
const MAX_DURATION_SECS: u128 = 315_576_000_000;

/// Nanoseconds of a duration as a user may write it: the API's seconds
/// (`"2592000s"`, `"1.5s"`) or a sequence of numbers with units `d`, `h`,
/// `m`, `s`, `ms`, `us`, `ns` (`"30d"`, `"1d12h"`, `"90m"`). `None` when it
/// is not one (or is negative, or longer than protobuf allows).
fn duration_nanos(text: &str) -> Option<u128> {
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let number_len = rest.bytes().take_while(|b| b.is_ascii_digit() || *b == b'.').count();
        let (number, after) = rest.split_at(number_len);
        let unit_len = after.bytes().take_while(u8::is_ascii_alphabetic).count();
        let (unit, after) = after.split_at(unit_len);
        let per_unit: u128 = match unit {
            "d" => 86_400 * NANOS_PER_SEC,
            "h" => 3_600 * NANOS_PER_SEC,
            "m" => 60 * NANOS_PER_SEC,
            "s" => NANOS_PER_SEC,
            "ms" => 1_000_000,
            "us" => 1_000,
            "ns" => 1,
            _ => return None,
        };
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if (whole.is_empty() && fraction.is_empty()) || fraction.contains('.') || fraction.len() > 9 {
            return None;
        }
        let whole: u128 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
        let fraction: u128 = if fraction.is_empty() { 0 } else { format!("{fraction:0<9}").parse().ok()? };
        total = total.checked_add(whole.checked_mul(per_unit)?)?.checked_add(fraction * per_unit / NANOS_PER_SEC)?;
        rest = after;
    }
    (total <= MAX_DURATION_SECS * NANOS_PER_SEC).then_some(total)
}

/// A duration as the API writes it: seconds, with 3, 6 or 9 decimals only
/// when needed (`"2592000s"`, `"1.500s"`).
fn duration_api(nanos: u128) -> String {
    let (secs, fraction) = (nanos / NANOS_PER_SEC, nanos % NANOS_PER_SEC);
    match fraction {
        0 => format!("{secs}s"),
        f if f % 1_000_000 == 0 => format!("{secs}.{:03}s", f / 1_000_000),
        f if f % 1_000 == 0 => format!("{secs}.{:06}s", f / 1_000),
        f => format!("{secs}.{f:09}s"),
    }
}

/// Whether two spellings name the same length of time (`"30d"`, `"2592000s"`).
fn same_duration(a: &str, b: &str) -> bool {
    matches!((duration_nanos(a), duration_nanos(b)), (Some(x), Some(y)) if x == y)
}

// ---- cleanup policies --------------------------------------------------------

/// `condition` fields that are lists of strings: `(terraform, API)`.
const CONDITION_LISTS: &[(&str, &str)] = &[
    ("tag_prefixes", "tagPrefixes"),
    ("version_name_prefixes", "versionNamePrefixes"),
    ("package_name_prefixes", "packageNamePrefixes"),
];

/// `condition` fields that are durations: `(terraform, API)`.
const CONDITION_DURATIONS: &[(&str, &str)] = &[("older_than", "olderThan"), ("newer_than", "newerThan")];

/// A non-empty list of strings (an empty list is the same as none).
fn string_list(v: Option<&Json>) -> Option<Json> {
    let items: Vec<Json> = v?.as_array()?.iter().filter(|x| x.is_string()).cloned().collect();
    (!items.is_empty()).then_some(Json::Array(items))
}

/// One `cleanup_policies` block as the API's `(id, CleanupPolicy)`.
fn policy_api(policy: &Json) -> Result<(String, Json), String> {
    let id = opt_str(policy, "id").ok_or("cleanup_policies: every policy needs an `id`")?;
    let mut out = Map::new();
    out.insert("id".into(), json!(id));
    if let Some(action) = opt_str(policy, "action") {
        out.insert("action".into(), json!(action));
    }
    if let Some(c) = block(policy, "condition") {
        let mut condition = Map::new();
        if let Some(state) = opt_str(c, "tag_state") {
            condition.insert("tagState".into(), json!(state));
        }
        for (tf, api) in CONDITION_LISTS {
            if let Some(list) = string_list(c.get(*tf)) {
                condition.insert((*api).into(), list);
            }
        }
        for (tf, api) in CONDITION_DURATIONS {
            if let Some(text) = opt_str(c, tf) {
                let nanos = duration_nanos(text).ok_or_else(|| {
                    format!(
                        "cleanup policy {id:?}: condition.{tf} = {text:?} is not a duration: write seconds (\"2592000s\") \
                         or a number with a unit d, h, m or s (\"30d\", \"12h\")"
                    )
                })?;
                condition.insert((*api).into(), json!(duration_api(nanos)));
            }
        }
        out.insert("condition".into(), Json::Object(condition));
    }
    if let Some(m) = block(policy, "most_recent_versions") {
        let mut most_recent = Map::new();
        if let Some(list) = string_list(m.get("package_name_prefixes")) {
            most_recent.insert("packageNamePrefixes".into(), list);
        }
        if let Some(n) = m.get("keep_count").and_then(int_of) {
            most_recent.insert("keepCount".into(), json!(n));
        }
        out.insert("mostRecentVersions".into(), Json::Object(most_recent));
    }
    Ok((id.to_string(), Json::Object(out)))
}

/// The `cleanup_policies` blocks as the API's `cleanupPolicies` map.
fn policies_api(v: &Json) -> Result<Map<String, Json>, String> {
    let mut out = Map::new();
    for policy in blocks(v, "cleanup_policies") {
        let (id, p) = policy_api(policy)?;
        if out.insert(id.clone(), p).is_some() {
            return Err(format!("cleanup_policies: two policies have the id {id:?}; ids must be unique"));
        }
    }
    Ok(out)
}

/// The API's `cleanupPolicies` as `cleanup_policies` blocks, sorted by id,
/// every field present. A duration takes the spelling of the first of
/// `bases` (objects with `cleanup_policies`) whose policy of the same id
/// says the same length of time; else the API's.
fn policies_tf(api: Option<&Json>, bases: &[Option<&Json>]) -> Json {
    let Some(map) = api.and_then(Json::as_object) else { return json!([]) };
    let mut policies: Vec<(&String, &Json)> = map.iter().collect();
    policies.sort_by(|a, b| a.0.cmp(b.0));
    Json::Array(policies.into_iter().map(|(id, p)| policy_tf(id, p, bases)).collect())
}

fn policy_tf(id: &str, policy: &Json, bases: &[Option<&Json>]) -> Json {
    let base_conditions: Vec<&Json> = bases
        .iter()
        .flatten()
        .flat_map(|b| blocks(b, "cleanup_policies"))
        .filter(|p| opt_str(p, "id") == Some(id))
        .filter_map(|p| block(p, "condition"))
        .collect();
    let condition = match policy.get("condition").filter(|c| c.is_object()) {
        Some(c) => {
            let mut out = Map::new();
            out.insert("tag_state".into(), c.get("tagState").filter(|s| s.is_string()).cloned().unwrap_or(Json::Null));
            for (tf, api) in CONDITION_LISTS {
                out.insert((*tf).into(), string_list(c.get(*api)).unwrap_or(Json::Null));
            }
            for (tf, api) in CONDITION_DURATIONS {
                let spelled = c.get(*api).and_then(Json::as_str).map(|from_api| {
                    base_conditions.iter().filter_map(|b| opt_str(b, tf)).find(|b| same_duration(b, from_api)).unwrap_or(from_api)
                });
                out.insert((*tf).into(), spelled.map(|s| json!(s)).unwrap_or(Json::Null));
            }
            json!([out])
        }
        None => json!([]),
    };
    let most_recent = match policy.get("mostRecentVersions").filter(|m| m.is_object()) {
        Some(m) => json!([{
            "package_name_prefixes": string_list(m.get("packageNamePrefixes")),
            "keep_count": m.get("keepCount").and_then(int_of),
        }]),
        None => json!([]),
    };
    json!({
        "id": id,
        "action": policy.get("action").and_then(Json::as_str),
        "condition": condition,
        "most_recent_versions": most_recent,
    })
}

// ---- docker_config -----------------------------------------------------------

/// The `docker_config` block as the API's `dockerConfig`, if there is one.
fn docker_api(v: &Json) -> Option<Json> {
    block(v, "docker_config").map(|d| json!({ "immutableTags": opt_bool(d, "immutable_tags").unwrap_or(false) }))
}

/// The API's `dockerConfig` as a `docker_config` block: present when the
/// tags are immutable, or when `base` has the block (the API leaves out
/// `immutableTags: false`).
fn docker_tf(api: Option<&Json>, base: Option<&Json>) -> Json {
    let immutable = api.and_then(|d| d.get("immutableTags")).and_then(Json::as_bool).unwrap_or(false);
    if immutable || base.is_some_and(|b| block(b, "docker_config").is_some()) {
        json!([{ "immutable_tags": immutable }])
    } else {
        json!([])
    }
}

// ---- state -------------------------------------------------------------------

/// The Terraform object for an API repository. `base` (the planned or prior
/// object; `None` on import) gives the spellings and the labels managed.
fn to_state(client: &Client, api: &Json, base: Option<&Json>, repo: &Repo) -> Result<Json, Error> {
    let o = api_object(api, "Artifact Registry repository")?;
    let text = |k: &str| o.get(k).and_then(Json::as_str).filter(|s| !s.is_empty());
    let format = text("format").ok_or_else(|| Error::Invalid(format!("repository {}: the API's answer has no format", repo.id())))?;
    let mut out = Map::new();
    out.insert("id".into(), json!(repo.id()));
    out.insert("repository_id".into(), json!(repo.repository_id));
    out.insert("name".into(), json!(repo.repository_id));
    out.insert("project".into(), json!(repo.project));
    out.insert("location".into(), json!(repo.location));
    out.insert("format".into(), json!(spelling_of(base, "format", format)));
    out.insert("mode".into(), json!(spelling_of(base, "mode", text("mode").unwrap_or(DEFAULT_MODE))));
    out.insert("description".into(), json!(text("description")));
    out.insert("kms_key_name".into(), json!(text("kmsKeyName")));
    out.insert("cleanup_policy_dry_run".into(), json!(o.get("cleanupPolicyDryRun").and_then(Json::as_bool).unwrap_or(false)));
    out.insert("cleanup_policies".into(), policies_tf(o.get("cleanupPolicies"), &[base]));
    out.insert("docker_config".into(), docker_tf(o.get("dockerConfig"), base));
    read_labels(client, o.get("labels"), base, &mut out);
    for (tf, api) in [("create_time", "createTime"), ("update_time", "updateTime"), ("registry_uri", "registryUri")] {
        out.insert(tf.into(), json!(text(api)));
    }
    Ok(Json::Object(out))
}

/// The body of a create: every argument the API holds.
fn create_body(client: &Client, planned: &Json) -> Result<Json, Error> {
    let format = req_str(planned, "format")?;
    let mut body = Map::new();
    body.insert("format".into(), json!(format.to_ascii_uppercase()));
    body.insert("mode".into(), json!(opt_str(planned, "mode").unwrap_or(DEFAULT_MODE).to_ascii_uppercase()));
    for (tf, api) in [("description", "description"), ("kms_key_name", "kmsKeyName")] {
        if let Some(v) = opt_str(planned, tf) {
            body.insert(api.into(), json!(v));
        }
    }
    let labels = effective_labels(client, planned);
    if !labels.is_empty() {
        body.insert("labels".into(), to_json_map(&labels));
    }
    let policies = policies_api(planned).map_err(Error::Invalid)?;
    if !policies.is_empty() {
        body.insert("cleanupPolicies".into(), Json::Object(policies));
    }
    if opt_bool(planned, "cleanup_policy_dry_run") == Some(true) {
        body.insert("cleanupPolicyDryRun".into(), json!(true));
    }
    if let Some(d) = docker_api(planned) {
        body.insert("dockerConfig".into(), d);
    }
    Ok(Json::Object(body))
}

/// The patch of an update: `(updateMask, body)` with only what changed.
fn update_patch(client: &Client, prior: &Json, planned: &Json) -> Result<(Vec<&'static str>, Map<String, Json>), Error> {
    let mut mask = Vec::new();
    let mut body = Map::new();
    if opt_str(planned, "description") != opt_str(prior, "description") {
        mask.push("description");
        if let Some(d) = opt_str(planned, "description") {
            body.insert("description".into(), json!(d));
        }
    }
    let labels = effective_labels(client, planned);
    if labels != string_map(prior, "effective_labels") {
        mask.push("labels");
        body.insert("labels".into(), to_json_map(&labels));
    }
    let policies = policies_api(planned).map_err(Error::Invalid)?;
    if policies_api(prior).ok().as_ref() != Some(&policies) {
        mask.push("cleanupPolicies");
        body.insert("cleanupPolicies".into(), Json::Object(policies));
    }
    let dry_run = opt_bool(planned, "cleanup_policy_dry_run").unwrap_or(false);
    if dry_run != opt_bool(prior, "cleanup_policy_dry_run").unwrap_or(false) {
        mask.push("cleanupPolicyDryRun");
        body.insert("cleanupPolicyDryRun".into(), json!(dry_run));
    }
    let docker = docker_api(planned);
    if docker != docker_api(prior) {
        mask.push("dockerConfig");
        if let Some(d) = docker {
            body.insert("dockerConfig".into(), d);
        }
    }
    Ok((mask, body))
}

impl GoogleResource for ArtifactRegistryRepository {
    fn type_name(&self) -> &'static str {
        "google_artifact_registry_repository"
    }

    fn changes_on_write(&self) -> &'static [&'static str] {
        &["update_time"]
    }

    fn schema(&self) -> TypeSchema {
        let s = || TypeSpec::String;
        let strings = || TypeSpec::List(Box::new(TypeSpec::String));
        let mut attributes = vec![
            AttrSpec::computed("id", s()),
            AttrSpec::required("repository_id", s()).force_new(),
            AttrSpec::optional_computed("location", s()).force_new(),
            AttrSpec::optional_computed("project", s()).force_new(),
            AttrSpec::required("format", s()).force_new(),
            AttrSpec::optional_computed("mode", s()).force_new(),
            AttrSpec::optional("description", s()),
            AttrSpec::optional("kms_key_name", s()).force_new(),
            AttrSpec::optional("cleanup_policy_dry_run", TypeSpec::Bool),
            AttrSpec::computed("name", s()),
            AttrSpec::computed("create_time", s()),
            AttrSpec::computed("update_time", s()),
            AttrSpec::computed("registry_uri", s()),
        ];
        attributes.extend(label_attrs());
        let at_most_one = |name, schema| BlockSpec { name, nesting: Nesting::List, min_items: 0, max_items: 1, schema, force_new: false };
        let condition = TypeSchema {
            attributes: vec![
                AttrSpec::optional("tag_state", s()),
                AttrSpec::optional("tag_prefixes", strings()),
                AttrSpec::optional("version_name_prefixes", strings()),
                AttrSpec::optional("package_name_prefixes", strings()),
                AttrSpec::optional("older_than", s()),
                AttrSpec::optional("newer_than", s()),
            ],
            blocks: Vec::new(),
        };
        let most_recent_versions = TypeSchema {
            attributes: vec![AttrSpec::optional("package_name_prefixes", strings()), AttrSpec::optional("keep_count", TypeSpec::Number)],
            blocks: Vec::new(),
        };
        let policy = TypeSchema {
            attributes: vec![AttrSpec::required("id", s()), AttrSpec::optional("action", s())],
            blocks: vec![at_most_one("condition", condition), at_most_one("most_recent_versions", most_recent_versions)],
        };
        let docker_config = TypeSchema { attributes: vec![AttrSpec::optional("immutable_tags", TypeSpec::Bool)], blocks: Vec::new() };
        TypeSchema {
            attributes,
            blocks: vec![
                BlockSpec { name: "cleanup_policies", nesting: Nesting::Set, min_items: 0, max_items: 0, schema: policy, force_new: false },
                at_most_one("docker_config", docker_config),
            ],
        }
    }

    fn plan(&self, config: &ProviderConfig, prior: Option<&Json>, proposed: Json) -> Result<Json, String> {
        let mut m = object(proposed, self.type_name())?;
        fill_project(config, prior, &mut m)?;
        fill_location(config, prior, &mut m)?;
        if m.get("mode").is_none_or(Json::is_null) {
            let mode = prior.and_then(|p| opt_str(p, "mode")).unwrap_or(DEFAULT_MODE);
            m.insert("mode".into(), json!(mode));
        }
        for key in ["location", "format", "mode"] {
            keep_prior_case(prior, &mut m, key);
        }
        for key in ["description", "kms_key_name"] {
            // `""` is the same as unset: the API leaves both out.
            if m.get(key).is_none_or(|v| v.as_str() == Some("")) {
                m.insert(key.into(), Json::Null);
            }
        }
        m.entry("labels").or_insert(Json::Null);
        if m.get("cleanup_policy_dry_run").is_none_or(Json::is_null) {
            m.insert("cleanup_policy_dry_run".into(), json!(false));
        }
        // Blocks in the canonical form a read gives back.
        let whole = Json::Object(m.clone());
        let policies = Json::Object(policies_api(&whole)?);
        m.insert("cleanup_policies".into(), policies_tf(Some(&policies), &[prior, Some(&whole)]));
        m.insert("docker_config".into(), docker_tf(docker_api(&whole).as_ref(), Some(&whole)));
        plan_labels(config, &mut m);
        let parts = ["project", "location", "repository_id"].map(|k| m.get(k).and_then(Json::as_str).map(str::to_string));
        if let [Some(project), Some(location), Some(repository_id)] = parts {
            m.insert("id".into(), json!(format!("projects/{project}/locations/{location}/repositories/{repository_id}")));
            m.insert("name".into(), json!(repository_id));
        }
        for k in ["create_time", "update_time", "registry_uri"] {
            if let Some(v) = prior.and_then(|p| p.get(k)).filter(|v| !v.is_null()) {
                m.insert(k.into(), v.clone());
            }
        }
        Ok(Json::Object(m))
    }

    fn read<'a>(&'a self, client: &'a Client, state: &'a Json) -> BoxFuture<'a, Result<Option<Json>, Error>> {
        Box::pin(async move {
            let repo = Repo::of(client, state)?;
            match client.get_opt(&repo.url(client)).await? {
                Some(api) => to_state(client, &api, Some(state), &repo).map(Some),
                None => Ok(None),
            }
        })
    }

    fn create<'a>(&'a self, client: &'a Client, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let repo = Repo::of(client, planned)?;
            let body = create_body(client, planned)?;
            let url = format!("{}?repositoryId={}", repo.parent_url(client), encode(&repo.repository_id));
            let op = client.call(Method::POST, &url, Some(&body)).await?;
            let done = client
                .wait_operation(SERVICE, op, TIMEOUT)
                .await
                .map_err(|e| e.context(&format!("creating Artifact Registry repository {}", repo.id())))?;
            // The finished operation carries the repository; read it when not.
            let api = match done.get("response").filter(|r| r.get("name").is_some()) {
                Some(r) => r.clone(),
                None => client.get_consistent(&repo.url(client)).await?,
            };
            to_state(client, &api, Some(planned), &repo)
        })
    }

    fn update<'a>(&'a self, client: &'a Client, prior: &'a Json, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let repo = Repo::of(client, planned)?;
            let (mask, body) = update_patch(client, prior, planned)?;
            let api = if mask.is_empty() {
                client.call(Method::GET, &repo.url(client), None).await?
            } else {
                let url = format!("{}?updateMask={}", repo.url(client), encode(&mask.join(",")));
                client.call(Method::PATCH, &url, Some(&Json::Object(body))).await?
            };
            to_state(client, &api, Some(planned), &repo)
        })
    }

    fn delete<'a>(&'a self, client: &'a Client, prior: &'a Json) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let repo = Repo::of(client, prior)?;
            let op = match client.call(Method::DELETE, &repo.url(client), None).await {
                Err(Error::NotFound) => return Ok(()),
                other => other?,
            };
            client
                .wait_operation(SERVICE, op, TIMEOUT)
                .await
                .map_err(|e| e.context(&format!("deleting Artifact Registry repository {}", repo.id())))?;
            Ok(())
        })
    }

    fn import<'a>(&'a self, client: &'a Client, id: &'a str) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let repo = Repo::parse(client, id)?;
            match client.get_opt(&repo.url(client)).await? {
                Some(api) => to_state(client, &api, None, &repo),
                None => Err(Error::Invalid(format!("Artifact Registry repository {} does not exist", repo.id()))),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_every_spelling() {
        let day = 86_400 * NANOS_PER_SEC;
        assert_eq!(duration_nanos("2592000s"), Some(30 * day));
        assert_eq!(duration_nanos("30d"), Some(30 * day));
        assert_eq!(duration_nanos("720h"), Some(30 * day));
        assert_eq!(duration_nanos("1d12h"), Some(day + day / 2));
        assert_eq!(duration_nanos("1.5s"), Some(1_500_000_000));
        assert_eq!(duration_nanos("90m"), Some(5_400 * NANOS_PER_SEC));
        assert_eq!(duration_nanos(".5s"), Some(500_000_000));
        for bad in ["", "s", "30", "30x", "-1s", "1..2s", "1.0000000001s", "99999999999999999999999999999999999999999d", "1e3s"] {
            assert_eq!(duration_nanos(bad), None, "{bad:?}");
        }
        assert_eq!(duration_api(30 * day), "2592000s");
        assert_eq!(duration_api(1_500_000_000), "1.500s");
        assert_eq!(duration_api(1_000_001_000), "1.000001s");
        assert_eq!(duration_api(1), "0.000000001s");
        assert!(same_duration("30d", "2592000s"));
        assert!(same_duration("2592000.000s", "2592000s"));
        assert!(!same_duration("30d", "31d"));
        assert!(!same_duration("bogus", "bogus"));
    }

    fn config() -> Json {
        json!({
            "cleanup_policies": [
                { "id": "old", "action": "DELETE",
                  "condition": [{ "tag_state": "UNTAGGED", "older_than": "30d", "tag_prefixes": [] }],
                  "most_recent_versions": [] },
                { "id": "recent", "action": "KEEP", "condition": [],
                  "most_recent_versions": [{ "keep_count": 5.0, "package_name_prefixes": ["app"] }] },
            ],
        })
    }

    #[test]
    fn cleanup_policies_to_the_api_map() {
        let api = policies_api(&config()).unwrap();
        assert_eq!(
            Json::Object(api),
            json!({
                "old": { "id": "old", "action": "DELETE", "condition": { "tagState": "UNTAGGED", "olderThan": "2592000s" } },
                "recent": { "id": "recent", "action": "KEEP", "mostRecentVersions": { "packageNamePrefixes": ["app"], "keepCount": 5 } },
            })
        );
        let dup = json!({ "cleanup_policies": [{ "id": "a" }, { "id": "a" }] });
        assert!(policies_api(&dup).unwrap_err().contains("unique"));
        let bad = json!({ "cleanup_policies": [{ "id": "a", "condition": [{ "older_than": "a month" }] }] });
        assert!(policies_api(&bad).unwrap_err().contains("\"a month\" is not a duration"));
    }

    #[test]
    fn cleanup_policies_read_back_in_the_configured_spelling() {
        let config = config();
        let api = json!({
            "recent": { "id": "recent", "action": "KEEP", "mostRecentVersions": { "packageNamePrefixes": ["app"], "keepCount": 5 } },
            "old": { "id": "old", "action": "DELETE", "condition": { "tagState": "UNTAGGED", "olderThan": "2592000s" } },
        });
        let read = policies_tf(Some(&api), &[Some(&config)]);
        assert_eq!(read[0]["id"], "old");
        assert_eq!(read[0]["condition"][0]["older_than"], "30d", "the configuration's spelling");
        assert_eq!(read[0]["condition"][0]["tag_prefixes"], Json::Null);
        assert_eq!(read[0]["most_recent_versions"], json!([]));
        assert_eq!(read[1]["most_recent_versions"][0]["keep_count"], 5);
        assert_eq!(read[1]["condition"], json!([]));
        // On import (no base) the API's spelling; a changed length of time
        // is the API's too.
        assert_eq!(policies_tf(Some(&api), &[None])[0]["condition"][0]["older_than"], "2592000s");
        let mut longer = api.clone();
        longer["old"]["condition"]["olderThan"] = json!("2678400s");
        assert_eq!(policies_tf(Some(&longer), &[Some(&config)])[0]["condition"][0]["older_than"], "2678400s");
        // Planning the read-back form again changes nothing.
        let state = json!({ "cleanup_policies": read.clone() });
        let again = policies_tf(Some(&Json::Object(policies_api(&state).unwrap())), &[Some(&state)]);
        assert_eq!(again, read);
    }

    #[test]
    fn docker_config_false_is_kept_when_configured() {
        let with_block = json!({ "docker_config": [{ "immutable_tags": false }] });
        assert_eq!(docker_tf(Some(&json!({})), Some(&with_block)), json!([{ "immutable_tags": false }]));
        assert_eq!(docker_tf(None, Some(&json!({}))), json!([]));
        assert_eq!(docker_tf(Some(&json!({ "immutableTags": true })), None), json!([{ "immutable_tags": true }]));
        assert_eq!(docker_api(&with_block), Some(json!({ "immutableTags": false })));
    }

    #[test]
    fn import_ids() {
        let client = Client::new(ProviderConfig { project: Some("p1".into()), region: Some("us-east1".into()), ..Default::default() });
        let id = |s: &str| Repo::parse(&client, s).map(|r| r.id());
        let want = "projects/p2/locations/europe-west1/repositories/r".to_string();
        assert_eq!(id("projects/p2/locations/europe-west1/repositories/r").unwrap(), want);
        assert_eq!(id("p2/europe-west1/r").unwrap(), want);
        assert_eq!(id("europe-west1/r").unwrap(), "projects/p1/locations/europe-west1/repositories/r");
        assert_eq!(id("r").unwrap(), "projects/p1/locations/us-east1/repositories/r");
        for bad in ["", "a//b", "projects/p/locations/l/repositories/", "a/b/c/d"] {
            assert!(matches!(id(bad), Err(Error::Invalid(_))), "{bad:?}");
        }
    }
}
