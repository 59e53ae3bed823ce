//! `google_sql_database_instance`: a Cloud SQL instance (Admin API
//! v1beta4; every change is a `sql#operation`, waited for up to 90 minutes
//! as Terraform's defaults).
//!
//! - Create = `POST projects/{p}/instances`, wait; then, on MySQL with no
//!   `root_password`, delete the password-less `root`@`%` user Cloud SQL
//!   makes (as Terraform's provider does); then read.
//! - Read = `GET projects/{p}/instances/{name}`.
//! - Update = `PUT projects/{p}/instances/{name}` with the whole `settings`
//!   and the `settingsVersion` just read (Cloud SQL's optimistic lock: a
//!   stale one is 412 `staleData`, and the read-modify-write runs again);
//!   a new `root_password` is set on the engine's default user (`PUT
//!   users?name=&host=`, or `POST users` for a MySQL `root`@`%` dropped at
//!   creation). `deletion_protection` is cairn's alone: changing
//!   it calls nothing.
//! - Delete = `DELETE projects/{p}/instances/{name}`, refused by cairn while
//!   `deletion_protection` is true (the default) and by Cloud SQL while
//!   `settings.deletion_protection_enabled` is.
//! - Every change holds the instance's lock (`sql.rs`), shared with the
//!   instance's databases and users.
//!
//! The `settings` block is described once, by the tables below, which give
//! its schema, its API form both ways and its plan: an unset argument the
//! API fills (disk size, backup start time, zone...) keeps the value last
//! read, and an unset nested block (`backup_configuration`...) keeps the
//! block last read, as Terraform's optional+computed blocks, so API
//! defaults never show as changes. `database_flags` and
//! `authorized_networks` are Terraform's sets: authoritative, and read back
//! in the configured order whatever order the API lists them in.
//!
//! `id` = `projects/{p}/instances/{name}`; import IDs
//! `projects/{p}/instances/{name}`, `{p}/{name}`, `{name}`. `name` may be
//! left out: cairn then names the instance `cairn-{unix ms}`.
//! `root_password` is sensitive and never read back (Cloud SQL does not
//! return it).

use super::sql::{self, instance_url, lock_instance, SERVICE};
use super::{api_object, block, blocks, encode, fill_project, import_id, int_of, keep_prior, object, opt_bool, opt_str, project_of, req_str};
use crate::client::Method;
use crate::{AttrSpec, BlockSpec, BoxFuture, Client, Error, GoogleResource, Json, Nesting, ProviderConfig, TypeSchema, TypeSpec};
use serde_json::{json, Map};
use std::time::Duration;

/// Terraform's default for create, update and delete.
const TIMEOUT: Duration = Duration::from_secs(90 * 60);

const TYPE_NAME: &str = "google_sql_database_instance";

pub struct SqlDatabaseInstance;

/// How a value is written in Terraform and in the API.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Str,
    Bool,
    /// A number both sides.
    Int,
    /// A number in Terraform, a string in the API (int64).
    Int64,
    /// A map of strings.
    Labels,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Presence {
    Required,
    Optional,
    /// Unset keeps what the API chose.
    OptionalComputed,
    Computed,
}

/// What plan shows for an unset argument of a new object.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Default {
    None,
    Str(&'static str),
    Bool(bool),
    Int(i64),
}

/// One argument of a block: Terraform's name, the API's, and how.
#[derive(Debug, Clone, Copy)]
struct Field {
    tf: &'static str,
    api: &'static str,
    kind: Kind,
    presence: Presence,
    default: Default,
}

const fn field(tf: &'static str, api: &'static str, kind: Kind, presence: Presence) -> Field {
    Field { tf, api, kind, presence, default: Default::None }
}

/// Optional, and computed: the API fills it when unset.
const fn filled(tf: &'static str, api: &'static str, kind: Kind) -> Field {
    field(tf, api, kind, Presence::OptionalComputed)
}

const fn or(f: Field, default: Default) -> Field {
    Field { default, ..f }
}

/// A nested block: a single object (a list of at most one), or a set of
/// objects. Sets are lists in the schema (the engine keeps state untyped,
/// and a set read back would never equal the tuple stored), whose order
/// follows the configuration rather than the API ([`align_sets`]).
#[derive(Debug, Clone, Copy)]
struct Block {
    tf: &'static str,
    api: &'static str,
    set: bool,
    fields: &'static [Field],
    blocks: &'static [Block],
}

use Kind::{Bool, Int, Int64, Labels, Str};

const RETENTION: Block = Block {
    tf: "backup_retention_settings",
    api: "backupRetentionSettings",
    set: false,
    fields: &[field("retained_backups", "retainedBackups", Int, Presence::Required), filled("retention_unit", "retentionUnit", Str)],
    blocks: &[],
};

const BACKUP: Block = Block {
    tf: "backup_configuration",
    api: "backupConfiguration",
    set: false,
    fields: &[
        filled("enabled", "enabled", Bool),
        filled("start_time", "startTime", Str),
        filled("point_in_time_recovery_enabled", "pointInTimeRecoveryEnabled", Bool),
        filled("binary_log_enabled", "binaryLogEnabled", Bool),
        filled("transaction_log_retention_days", "transactionLogRetentionDays", Int),
    ],
    blocks: &[RETENTION],
};

const AUTHORIZED_NETWORKS: Block = Block {
    tf: "authorized_networks",
    api: "authorizedNetworks",
    set: true,
    fields: &[
        field("name", "name", Str, Presence::Optional),
        field("value", "value", Str, Presence::Required),
        field("expiration_time", "expirationTime", Str, Presence::Optional),
    ],
    blocks: &[],
};

const IP: Block = Block {
    tf: "ip_configuration",
    api: "ipConfiguration",
    set: false,
    fields: &[
        filled("ipv4_enabled", "ipv4Enabled", Bool),
        field("private_network", "privateNetwork", Str, Presence::Optional),
        filled("ssl_mode", "sslMode", Str),
    ],
    blocks: &[AUTHORIZED_NETWORKS],
};

const FLAGS: Block = Block {
    tf: "database_flags",
    api: "databaseFlags",
    set: true,
    fields: &[field("name", "name", Str, Presence::Required), field("value", "value", Str, Presence::Required)],
    blocks: &[],
};

const MAINTENANCE: Block = Block {
    tf: "maintenance_window",
    api: "maintenanceWindow",
    set: false,
    fields: &[filled("day", "day", Int), filled("hour", "hour", Int), filled("update_track", "updateTrack", Str)],
    blocks: &[],
};

const INSIGHTS: Block = Block {
    tf: "insights_config",
    api: "insightsConfig",
    set: false,
    fields: &[
        filled("query_insights_enabled", "queryInsightsEnabled", Bool),
        filled("query_string_length", "queryStringLength", Int),
        filled("record_application_tags", "recordApplicationTags", Bool),
        filled("record_client_address", "recordClientAddress", Bool),
    ],
    blocks: &[],
};

const LOCATION: Block = Block { tf: "location_preference", api: "locationPreference", set: false, fields: &[filled("zone", "zone", Str)], blocks: &[] };

const SETTINGS: Block = Block {
    tf: "settings",
    api: "settings",
    set: false,
    fields: &[
        field("tier", "tier", Str, Presence::Required),
        filled("edition", "edition", Str),
        or(filled("availability_type", "availabilityType", Str), Default::Str("ZONAL")),
        or(filled("disk_type", "dataDiskType", Str), Default::Str("PD_SSD")),
        or(filled("disk_size", "dataDiskSizeGb", Int64), Default::Int(10)),
        or(filled("disk_autoresize", "storageAutoResize", Bool), Default::Bool(true)),
        or(filled("disk_autoresize_limit", "storageAutoResizeLimit", Int64), Default::Int(0)),
        or(filled("activation_policy", "activationPolicy", Str), Default::Str("ALWAYS")),
        or(filled("pricing_plan", "pricingPlan", Str), Default::Str("PER_USE")),
        or(filled("deletion_protection_enabled", "deletionProtectionEnabled", Bool), Default::Bool(false)),
        field("user_labels", "userLabels", Labels, Presence::Optional),
        field("version", "settingsVersion", Int64, Presence::Computed),
    ],
    blocks: &[BACKUP, IP, FLAGS, MAINTENANCE, INSIGHTS, LOCATION],
};

/// Top-level attributes the API decides.
const COMPUTED: &[&str] = &[
    "id",
    "name",
    "connection_name",
    "self_link",
    "service_account_email_address",
    "public_ip_address",
    "private_ip_address",
    "first_ip_address",
    "ip_address",
];

fn attr_spec(f: &Field) -> AttrSpec {
    let ty = match f.kind {
        Str => TypeSpec::String,
        Bool => TypeSpec::Bool,
        Int | Int64 => TypeSpec::Number,
        Labels => TypeSpec::Map(Box::new(TypeSpec::String)),
    };
    match f.presence {
        Presence::Required => AttrSpec::required(f.tf, ty),
        Presence::Optional => AttrSpec::optional(f.tf, ty),
        Presence::OptionalComputed => AttrSpec::optional_computed(f.tf, ty),
        Presence::Computed => AttrSpec::computed(f.tf, ty),
    }
}

fn block_spec(b: &Block, min_items: usize) -> BlockSpec {
    BlockSpec {
        name: b.tf,
        nesting: Nesting::List,
        min_items,
        max_items: if b.set { 0 } else { 1 },
        schema: TypeSchema { attributes: b.fields.iter().map(attr_spec).collect(), blocks: b.blocks.iter().map(|s| block_spec(s, 0)).collect() },
        force_new: false,
    }
}

/// A Terraform value as the API writes it (`None`: leave it out).
fn value_to_api(kind: Kind, v: &Json) -> Option<Json> {
    match kind {
        Str => v.as_str().map(|s| json!(s)),
        Bool => v.as_bool().map(|b| json!(b)),
        Int => int_of(v).map(|i| json!(i)),
        Int64 => int_of(v).map(|i| json!(i.to_string())),
        Labels => v.as_object().map(|m| Json::Object(m.clone())),
    }
}

/// An API value as Terraform writes it (null when absent or malformed).
fn value_from_api(kind: Kind, v: Option<&Json>) -> Json {
    let Some(v) = v else { return Json::Null };
    match kind {
        Str => v.as_str().map(|s| json!(s)).unwrap_or(Json::Null),
        Bool => v.as_bool().map(|b| json!(b)).unwrap_or(Json::Null),
        Int | Int64 => int_of(v).map(|i| json!(i)).unwrap_or(Json::Null),
        Labels => v.as_object().map(|m| Json::Object(m.clone())).unwrap_or(Json::Null),
    }
}

/// One object of a block as the API's object: unset arguments and
/// computed ones left out; sets always sent (an empty one clears them).
fn block_to_api(b: &Block, tf: &Json) -> Map<String, Json> {
    let mut out = Map::new();
    for f in b.fields.iter().filter(|f| f.presence != Presence::Computed) {
        if let Some(v) = tf.get(f.tf).filter(|v| !v.is_null()).and_then(|v| value_to_api(f.kind, v)) {
            out.insert(f.api.into(), v);
        }
    }
    for sub in b.blocks {
        if sub.set {
            let items: Vec<Json> = blocks(tf, sub.tf).into_iter().map(|o| Json::Object(block_to_api(sub, o))).collect();
            out.insert(sub.api.into(), Json::Array(items));
        } else if let Some(o) = block(tf, sub.tf) {
            out.insert(sub.api.into(), Json::Object(block_to_api(sub, o)));
        }
    }
    out
}

/// An API object as one object of a block, every argument present.
fn block_from_api(b: &Block, api: &Json) -> Json {
    let mut out = Map::new();
    for f in b.fields {
        out.insert(f.tf.into(), value_from_api(f.kind, api.get(f.api)));
    }
    for sub in b.blocks {
        let v = match api.get(sub.api) {
            Some(Json::Array(items)) if sub.set => Json::Array(items.iter().map(|i| block_from_api(sub, i)).collect()),
            Some(o @ Json::Object(_)) if !sub.set => json!([block_from_api(sub, o)]),
            _ => json!([]),
        };
        out.insert(sub.tf.into(), v);
    }
    Json::Object(out)
}

/// Puts the objects of every set under `read` in the order `base` has
/// them (those it lacks after, in the API's order), so that a set read back
/// in another order is no change.
fn align_sets(b: &Block, read: &mut Json, base: &Json) {
    for sub in b.blocks {
        let wanted = blocks(base, sub.tf);
        let Some(Json::Array(items)) = read.get_mut(sub.tf) else { continue };
        if sub.set {
            let mut rest = std::mem::take(items);
            for w in wanted {
                if let Some(at) = rest.iter().position(|x| x == w) {
                    items.push(rest.remove(at));
                }
            }
            items.append(&mut rest);
        } else if let (Some(inner), Some(w)) = (items.first_mut(), wanted.first()) {
            align_sets(sub, inner, w);
        }
    }
}

/// The planned form of one configured object of a block, given the prior
/// one: configured arguments as the API will write them, unset computed
/// ones as last read (or their default on a new object); an unset single
/// block keeps the prior block.
fn plan_block(b: &Block, configured: &Json, prior: Option<&Json>) -> Json {
    let mut out = Map::new();
    for f in b.fields {
        let set = configured.get(f.tf).filter(|v| !v.is_null());
        let v = match (set, f.presence) {
            (Some(v), _) => match f.kind {
                Int | Int64 => int_of(v).map(|i| json!(i)).unwrap_or_else(|| v.clone()),
                _ => v.clone(),
            },
            (None, Presence::OptionalComputed | Presence::Computed) => match prior {
                Some(p) => p.get(f.tf).cloned().unwrap_or(Json::Null),
                None => match f.default {
                    Default::None => Json::Null,
                    Default::Str(s) => json!(s),
                    Default::Bool(x) => json!(x),
                    Default::Int(i) => json!(i),
                },
            },
            (None, _) => Json::Null,
        };
        out.insert(f.tf.into(), v);
    }
    for sub in b.blocks {
        let v = if sub.set {
            Json::Array(blocks(configured, sub.tf).into_iter().map(|o| plan_block(sub, o, None)).collect())
        } else {
            let before = prior.and_then(|p| block(p, sub.tf));
            match block(configured, sub.tf) {
                Some(o) => json!([plan_block(sub, o, before)]),
                None => before.map(|p| json!([p])).unwrap_or_else(|| json!([])),
            }
        };
        out.insert(sub.tf.into(), v);
    }
    Json::Object(out)
}

/// The Terraform object for an API instance. `base` (the planned or prior
/// object) gives what the API does not return: `deletion_protection`,
/// `root_password`, and whether `user_labels` was `{}`.
fn to_state(api: &Json, base: Option<&Json>, project: &str) -> Result<Json, Error> {
    let o = api_object(api, "Cloud SQL instance")?;
    let name = o.get("name").and_then(Json::as_str).ok_or_else(|| Error::Invalid("Cloud SQL instance: answer without a name".into()))?;
    let mut settings = block_from_api(&SETTINGS, o.get("settings").unwrap_or(&Json::Null));
    let empty_labels = base.and_then(|b| block(b, "settings")).and_then(|s| s.get("user_labels")).is_some_and(|l| l.as_object().is_some_and(Map::is_empty));
    if empty_labels && settings.get("user_labels").is_some_and(Json::is_null) {
        settings["user_labels"] = json!({});
    }
    if let Some(b) = base.and_then(|b| block(b, "settings")) {
        align_sets(&SETTINGS, &mut settings, b);
    }
    let addresses: Vec<&Json> = o.get("ipAddresses").and_then(Json::as_array).map(|a| a.iter().collect()).unwrap_or_default();
    let address = |kind: &str| {
        addresses
            .iter()
            .find(|a| a.get("type").and_then(Json::as_str) == Some(kind))
            .and_then(|a| a.get("ipAddress").cloned())
            .unwrap_or(Json::Null)
    };
    let ip_address: Vec<Json> = addresses
        .iter()
        .map(|a| json!({ "ip_address": a.get("ipAddress"), "type": a.get("type"), "time_to_retire": a.get("timeToRetire") }))
        .collect();
    let mut out = Map::new();
    out.insert("id".into(), json!(format!("projects/{project}/instances/{name}")));
    out.insert("name".into(), json!(name));
    out.insert("project".into(), json!(project));
    out.insert("region".into(), o.get("region").cloned().unwrap_or(Json::Null));
    out.insert("database_version".into(), o.get("databaseVersion").cloned().unwrap_or(Json::Null));
    out.insert("deletion_protection".into(), json!(base.and_then(|b| opt_bool(b, "deletion_protection")).unwrap_or(true)));
    out.insert("root_password".into(), base.and_then(|b| b.get("root_password")).cloned().unwrap_or(Json::Null));
    out.insert("settings".into(), json!([settings]));
    out.insert("connection_name".into(), o.get("connectionName").cloned().unwrap_or(Json::Null));
    out.insert("self_link".into(), o.get("selfLink").cloned().unwrap_or(Json::Null));
    out.insert("service_account_email_address".into(), o.get("serviceAccountEmailAddress").cloned().unwrap_or(Json::Null));
    out.insert("public_ip_address".into(), address("PRIMARY"));
    out.insert("private_ip_address".into(), address("PRIVATE"));
    out.insert("first_ip_address".into(), addresses.first().and_then(|a| a.get("ipAddress").cloned()).unwrap_or(Json::Null));
    out.insert("ip_address".into(), Json::Array(ip_address));
    Ok(Json::Object(out))
}

/// A name for an instance the configuration does not name.
fn generated_name() -> String {
    let ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
    format!("cairn-{ms}")
}

/// Adds to a failed create what to do about a name Cloud SQL still holds.
fn explain_create(e: Error, name: &str) -> Error {
    match e {
        Error::Api { call, status: 409, reason, message } if reason == "instanceAlreadyExists" => Error::Api {
            call,
            status: 409,
            reason,
            message: format!(
                "{message} ({TYPE_NAME} {name}: Cloud SQL keeps the name of a deleted instance for up to a week; choose another name, for example with a random suffix)"
            ),
        },
        other => other,
    }
}

impl SqlDatabaseInstance {
    /// The instance as the API has it now.
    async fn get(client: &Client, project: &str, name: &str) -> Result<Json, Error> {
        client.call(Method::GET, &instance_url(client, project, name, ""), None).await
    }

    /// Deletes the password-less `root`@`%` a new MySQL instance has.
    async fn drop_open_root(client: &Client, project: &str, name: &str) -> Result<(), Error> {
        let users = sql::list_users(client, project, name).await?.unwrap_or_default();
        if sql::find_user(&users, "root", "%").is_some() {
            let url = instance_url(client, project, name, &sql::user_query("root", "%"));
            sql::run(client, Method::DELETE, &url, None, TIMEOUT).await?;
        }
        Ok(())
    }
}

impl GoogleResource for SqlDatabaseInstance {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> TypeSchema {
        let s = || TypeSpec::String;
        let address = TypeSpec::Object(vec![("ip_address".into(), s()), ("type".into(), s()), ("time_to_retire".into(), s())]);
        TypeSchema {
            attributes: vec![
                AttrSpec::computed("id", s()),
                AttrSpec::optional_computed("name", s()).force_new(),
                AttrSpec::required("database_version", s()).force_new(),
                AttrSpec::optional_computed("region", s()).force_new(),
                AttrSpec::optional_computed("project", s()).force_new(),
                AttrSpec::optional("deletion_protection", TypeSpec::Bool),
                AttrSpec::optional("root_password", s()).sensitive(),
                AttrSpec::computed("connection_name", s()),
                AttrSpec::computed("self_link", s()),
                AttrSpec::computed("service_account_email_address", s()),
                AttrSpec::computed("public_ip_address", s()),
                AttrSpec::computed("private_ip_address", s()),
                AttrSpec::computed("first_ip_address", s()),
                AttrSpec::computed("ip_address", TypeSpec::List(Box::new(address))),
            ],
            blocks: vec![block_spec(&SETTINGS, 1)],
        }
    }

    fn plan(&self, config: &ProviderConfig, prior: Option<&Json>, proposed: Json) -> Result<Json, String> {
        let mut m = object(proposed, TYPE_NAME)?;
        fill_project(config, prior, &mut m)?;
        keep_prior(&mut m, prior, &["region"]);
        if m.get("region").is_none_or(Json::is_null) {
            if let Some(r) = config.region.as_deref().filter(|r| !r.is_empty()) {
                m.insert("region".into(), json!(r));
            }
        }
        if m.get("deletion_protection").is_none_or(Json::is_null) {
            m.insert("deletion_protection".into(), json!(true));
        }
        m.entry("root_password").or_insert(Json::Null);
        // (A `settings` not known yet is left as it is: the schema requires one.)
        let whole = Json::Object(m.clone());
        if let Some(configured) = block(&whole, "settings") {
            let before = prior.and_then(|p| block(p, "settings"));
            m.insert("settings".into(), json!([plan_block(&SETTINGS, configured, before)]));
        }
        keep_prior(&mut m, prior, COMPUTED);
        let known = |k: &str| m.get(k).and_then(Json::as_str).filter(|s| !s.is_empty()).map(str::to_string);
        let (project, name, region) = (known("project"), known("name"), known("region"));
        if let (Some(p), Some(n)) = (project, name) {
            m.insert("id".into(), json!(format!("projects/{p}/instances/{n}")));
            if let (Some(r), true) = (region, m.get("connection_name").is_none_or(Json::is_null)) {
                m.insert("connection_name".into(), json!(format!("{p}:{r}:{n}")));
            }
        }
        Ok(Json::Object(m))
    }

    fn read<'a>(&'a self, client: &'a Client, state: &'a Json) -> BoxFuture<'a, Result<Option<Json>, Error>> {
        Box::pin(async move {
            let project = project_of(client, state)?;
            let name = req_str(state, "name")?;
            match client.get_opt(&instance_url(client, project, name, "")).await? {
                Some(api) => to_state(&api, Some(state), project).map(Some),
                None => Ok(None),
            }
        })
    }

    fn create<'a>(&'a self, client: &'a Client, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let project = project_of(client, planned)?;
            let name = opt_str(planned, "name").map(str::to_string).unwrap_or_else(generated_name);
            let version = req_str(planned, "database_version")?;
            let settings = block(planned, "settings").ok_or_else(|| Error::Invalid(format!("{TYPE_NAME} {name}: the `settings` block is required")))?;
            let mut body = json!({ "name": name, "databaseVersion": version, "settings": block_to_api(&SETTINGS, settings) });
            if let Some(r) = opt_str(planned, "region").or(client.config().region.as_deref().filter(|r| !r.is_empty())) {
                body["region"] = json!(r);
            }
            let root_password = opt_str(planned, "root_password");
            if let Some(p) = root_password {
                body["rootPassword"] = json!(p);
            }
            let _turn = lock_instance(client, project, &name).await;
            let url = client.url(SERVICE, &format!("projects/{}/instances", encode(project)));
            sql::run(client, Method::POST, &url, Some(&body), TIMEOUT).await.map_err(|e| explain_create(e, &name))?;
            if root_password.is_none() && version.starts_with("MYSQL") {
                Self::drop_open_root(client, project, &name).await?;
            }
            to_state(&Self::get(client, project, &name).await?, Some(planned), project)
        })
    }

    fn update<'a>(&'a self, client: &'a Client, prior: &'a Json, planned: &'a Json) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let project = project_of(client, planned)?;
            let name = req_str(prior, "name")?;
            let url = instance_url(client, project, name, "");
            let settings = |v: &Json| block(v, "settings").map(|s| block_to_api(&SETTINGS, s)).unwrap_or_default();
            let wanted = settings(planned);
            let _turn = lock_instance(client, project, name).await;
            if wanted != settings(prior) {
                let (wanted, url) = (&wanted, &url);
                client
                    .read_modify_write(|| async move {
                        let now = Self::get(client, project, name).await?;
                        let mut s = wanted.clone();
                        s.insert("settingsVersion".into(), now.pointer("/settings/settingsVersion").cloned().unwrap_or(Json::Null));
                        sql::run(client, Method::PUT, url, Some(&json!({ "settings": s })), TIMEOUT).await
                    })
                    .await?;
            }
            let password = opt_str(planned, "root_password");
            if password.is_some() && password != opt_str(prior, "root_password") {
                let (user, host) = sql::root_user(opt_str(planned, "database_version").unwrap_or(""));
                let mut body = json!({ "name": user, "password": password });
                if !host.is_empty() {
                    body["host"] = json!(host);
                }
                let users = instance_url(client, project, name, &sql::user_query(user, host));
                match sql::run(client, Method::PUT, &users, Some(&body), TIMEOUT).await {
                    // MySQL's root@% was dropped when the instance was made without a password.
                    Err(Error::NotFound) => {
                        sql::run(client, Method::POST, &instance_url(client, project, name, "/users"), Some(&body), TIMEOUT).await?;
                    }
                    other => {
                        other?;
                    }
                }
            }
            to_state(&Self::get(client, project, name).await?, Some(planned), project)
        })
    }

    fn delete<'a>(&'a self, client: &'a Client, prior: &'a Json) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let project = project_of(client, prior)?;
            let name = req_str(prior, "name")?;
            if opt_bool(prior, "deletion_protection") != Some(false) {
                return Err(Error::Invalid(format!(
                    "{TYPE_NAME} {name}: deletion_protection is true (its default unless set), so cairn will not delete the instance: \
                     set deletion_protection = false in its configuration and apply, then destroy it"
                )));
            }
            sql::delete(client, project, name, &instance_url(client, project, name, ""), TIMEOUT).await
        })
    }

    fn import<'a>(&'a self, client: &'a Client, id: &'a str) -> BoxFuture<'a, Result<Json, Error>> {
        Box::pin(async move {
            let parts = import_id(TYPE_NAME, id, &["projects/{project}/instances/{name}", "{project}/{name}", "{name}"])?;
            let project = match parts.get("project") {
                Some(p) => p.clone(),
                None => client.default_project()?.to_string(),
            };
            let name = parts.get("name").map(String::as_str).unwrap_or_default();
            match client.get_opt(&instance_url(client, &project, name, "")).await? {
                Some(api) => to_state(&api, None, &project),
                None => Err(Error::Invalid(format!("{TYPE_NAME}: instance {name} does not exist in project {project}"))),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api_instance() -> Json {
        json!({
            "kind": "sql#instance", "name": "db", "project": "p", "region": "us-central1", "databaseVersion": "POSTGRES_15",
            "connectionName": "p:us-central1:db", "selfLink": "https://sqladmin.googleapis.com/sql/v1beta4/projects/p/instances/db",
            "serviceAccountEmailAddress": "sa@gcp-sa-cloud-sql.iam.gserviceaccount.com",
            "ipAddresses": [{ "type": "PRIMARY", "ipAddress": "34.1.2.3" }, { "type": "PRIVATE", "ipAddress": "10.0.0.5" }],
            "settings": {
                "tier": "db-f1-micro", "edition": "ENTERPRISE", "availabilityType": "ZONAL", "dataDiskType": "PD_SSD",
                "dataDiskSizeGb": "10", "storageAutoResize": true, "storageAutoResizeLimit": "0", "activationPolicy": "ALWAYS",
                "pricingPlan": "PER_USE", "deletionProtectionEnabled": false, "settingsVersion": "3", "userLabels": { "env": "dev" },
                "backupConfiguration": { "enabled": true, "startTime": "04:00", "pointInTimeRecoveryEnabled": false,
                    "transactionLogRetentionDays": 7, "backupRetentionSettings": { "retainedBackups": 7, "retentionUnit": "COUNT" } },
                "ipConfiguration": { "ipv4Enabled": true, "sslMode": "ALLOW_UNENCRYPTED_AND_ENCRYPTED",
                    "authorizedNetworks": [{ "name": "office", "value": "1.2.3.0/24" }] },
                "databaseFlags": [{ "name": "max_connections", "value": "100" }],
                "locationPreference": { "zone": "us-central1-a" },
            },
        })
    }

    #[test]
    fn reads_the_api_form() {
        let state = to_state(&api_instance(), None, "p").unwrap();
        assert_eq!(state["id"], "projects/p/instances/db");
        assert_eq!(state["deletion_protection"], true, "unset reads as Terraform's default");
        assert_eq!(state["public_ip_address"], "34.1.2.3");
        assert_eq!(state["private_ip_address"], "10.0.0.5");
        assert_eq!(state["first_ip_address"], "34.1.2.3");
        assert_eq!(state["ip_address"][1], json!({ "ip_address": "10.0.0.5", "type": "PRIVATE", "time_to_retire": null }));
        let s = &state["settings"][0];
        assert_eq!(s["disk_size"], 10, "int64 strings become numbers");
        assert_eq!(s["version"], 3);
        assert_eq!(s["backup_configuration"][0]["backup_retention_settings"][0]["retained_backups"], 7);
        assert_eq!(s["backup_configuration"][0]["binary_log_enabled"], Json::Null);
        assert_eq!(s["ip_configuration"][0]["authorized_networks"], json!([{ "name": "office", "value": "1.2.3.0/24", "expiration_time": null }]));
        assert_eq!(s["maintenance_window"], json!([]));
        assert_eq!(s["location_preference"][0]["zone"], "us-central1-a");
    }

    #[test]
    fn writes_the_api_form() {
        let tf = json!({
            "tier": "db-custom-2-7680", "disk_size": 20, "user_labels": { "a": "b" }, "version": 4, "edition": null,
            "database_flags": [{ "name": "f", "value": "1" }],
            "ip_configuration": [{ "ipv4_enabled": false, "private_network": "projects/p/global/networks/n", "authorized_networks": [] }],
        });
        let api = Json::Object(block_to_api(&SETTINGS, &tf));
        assert_eq!(api, json!({
            "tier": "db-custom-2-7680", "dataDiskSizeGb": "20", "userLabels": { "a": "b" },
            "databaseFlags": [{ "name": "f", "value": "1" }],
            "ipConfiguration": { "ipv4Enabled": false, "privateNetwork": "projects/p/global/networks/n", "authorizedNetworks": [] },
        }), "computed settingsVersion is never sent; unset arguments are left out");
    }

    #[test]
    fn plan_keeps_what_the_api_chose() {
        let state = to_state(&api_instance(), None, "p").unwrap();
        let prior = block(&state, "settings");
        // Only the tier and a flag configured: everything else as last read.
        let configured = json!({ "tier": "db-f1-micro", "user_labels": { "env": "dev" },
            "database_flags": [{ "name": "max_connections", "value": "100" }],
            "ip_configuration": [{ "authorized_networks": [{ "name": "office", "value": "1.2.3.0/24" }] }] });
        assert_eq!(plan_block(&SETTINGS, &configured, prior), state["settings"][0]);
        // A new object gets the defaults the API would choose.
        let fresh = plan_block(&SETTINGS, &json!({ "tier": "db-f1-micro" }), None);
        assert_eq!((fresh["disk_size"].clone(), fresh["availability_type"].clone()), (json!(10), json!("ZONAL")));
        assert_eq!(fresh["edition"], Json::Null);
        assert_eq!(fresh["backup_configuration"], json!([]));
        // Removing a flag is a change.
        let fewer = plan_block(&SETTINGS, &json!({ "tier": "db-f1-micro" }), prior);
        assert_eq!(fewer["database_flags"], json!([]));
    }

    #[test]
    fn sets_read_back_in_the_configured_order() {
        let base = to_state(&api_instance(), None, "p").unwrap();
        let mut api = api_instance();
        api["settings"]["databaseFlags"] = json!([{ "name": "b", "value": "2" }, { "name": "max_connections", "value": "100" }, { "name": "a", "value": "1" }]);
        api["settings"]["ipConfiguration"]["authorizedNetworks"] =
            json!([{ "value": "5.6.7.8/32" }, { "name": "office", "value": "1.2.3.0/24" }]);
        let state = to_state(&api, Some(&base), "p").unwrap();
        let s = &state["settings"][0];
        let names: Vec<&str> = s["database_flags"].as_array().unwrap().iter().filter_map(|f| f["name"].as_str()).collect();
        assert_eq!(names, ["max_connections", "b", "a"], "known ones first, in the prior order; new ones after, as the API lists them");
        assert_eq!(s["ip_configuration"][0]["authorized_networks"][0]["name"], "office");
        assert_eq!(s["ip_configuration"][0]["authorized_networks"][1]["value"], "5.6.7.8/32");
    }

    #[test]
    fn schema_from_the_tables() {
        let schema = SqlDatabaseInstance.schema();
        let settings = &schema.blocks[0];
        assert_eq!((settings.name, settings.min_items, settings.max_items), ("settings", 1, 1));
        let attr = |name: &str| settings.schema.attributes.iter().find(|a| a.name == name).cloned();
        assert!(attr("tier").is_some_and(|a| a.required));
        assert!(attr("disk_size").is_some_and(|a| a.optional && a.computed));
        assert!(attr("version").is_some_and(|a| a.computed && !a.optional));
        let flags = settings.schema.blocks.iter().find(|b| b.name == "database_flags").map(|b| (b.nesting, b.max_items));
        assert_eq!(flags, Some((Nesting::List, 0)));
        assert!(schema.attributes.iter().any(|a| a.name == "root_password" && a.sensitive));
        assert!(schema.attributes.iter().any(|a| a.name == "database_version" && a.force_new));
    }

    #[test]
    fn name_reuse_errors_say_what_to_do() {
        let e = Error::Api { call: "POST x".into(), status: 409, reason: "instanceAlreadyExists".into(), message: "taken.".into() };
        let text = explain_create(e, "db").to_string();
        assert!(text.contains("up to a week") && text.contains("db"), "{text}");
    }
}
