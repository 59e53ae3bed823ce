//! The Google provider's types as the engine sees them: each
//! [`cairn_google::GoogleResource`] and [`cairn_google::GoogleDataSource`]
//! wrapped as a [`ResourceType`].
//!
//! Owns: turning the provider crate's [`cairn_google::TypeSchema`] into a
//! [`Schema`], values into JSON and back (typed by the schema, sensitive
//! attributes marked), errors into [`ProviderError`]s, the configured client
//! the types call (set once per command by [`configure`]), and the
//! `timeouts` block of every Google resource type: added to its schema,
//! checked ([`ResourceType::validate_config`]), kept in state but never sent
//! to the provider, and enforced here, once for every type: each call runs
//! under its operation's limit ([`cairn_google::client::within`] makes the
//! client's retries and operation polls stop at the same deadline). A change
//! of `timeouts` alone updates state without calling Google.
//!
//! Does not own: any Google API detail (the provider crate does), nor the
//! limits' defaults and syntax ([`cairn_google::timeouts`]).

use std::future::Future;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use cairn_google::timeouts::{self, format_duration, Operation};
use cairn_google::{
    AttrSpec, BlockSpec, Client, GoogleDataSource, GoogleResource, Json, Nesting as GNesting, ProviderConfig, TypeSchema, TypeSpec,
};

use super::{attr, BoxFuture, ConfigProblem, ProviderError, ResourceType};
use crate::addrs::ResourceMode;
use crate::config::schema::{AttrSchema, BlockSchema, Nesting, Schema};
use crate::value::{ObjectAttr, Type, Value};

fn client_slot() -> &'static RwLock<Option<Arc<Client>>> {
    static SLOT: OnceLock<RwLock<Option<Arc<Client>>>> = OnceLock::new();
    SLOT.get_or_init(|| RwLock::new(None))
}

/// Configures the client every Google type uses for the rest of the process.
pub fn configure(config: ProviderConfig) {
    let mut slot = client_slot().write().unwrap_or_else(|e| e.into_inner());
    *slot = Some(Arc::new(Client::new(config)));
}

fn client() -> Result<Arc<Client>, ProviderError> {
    client_slot().read().unwrap_or_else(|e| e.into_inner()).clone().ok_or_else(|| {
        ProviderError::Failed(
            "the google provider is not configured for this command (this is a bug in cairn: plan, apply and import configure it)".into(),
        )
    })
}

fn provider_config() -> ProviderConfig {
    client_slot().read().unwrap_or_else(|e| e.into_inner()).as_ref().map(|c| c.config().clone()).unwrap_or_default()
}

/// How long after its limit a call is cut off if it has not stopped by
/// itself.
const HARD_STOP_GRACE: Duration = Duration::from_secs(2);

/// A Google resource type, adapted.
pub struct GoogleType {
    inner: Box<dyn GoogleResource>,
    schema: Schema,
}

impl GoogleType {
    pub fn new(inner: Box<dyn GoogleResource>) -> GoogleType {
        let schema = convert_schema(&inner.schema()).block(timeouts::BLOCK, convert_block(&timeouts::block_spec()));
        GoogleType { inner, schema }
    }

    /// The limit of `op` for an object (its configured `timeouts` over the
    /// type's defaults), and whether it was configured.
    fn limit(&self, op: Operation, v: &Value) -> Result<(Duration, bool), ProviderError> {
        let block = attr(v, timeouts::BLOCK).to_json();
        let configured = block.get(op.key()).is_some_and(Json::is_string);
        let all = self.inner.default_timeouts().configured(&block).map_err(|e| ProviderError::Failed(format!("{}: {e}", self.name())))?;
        Ok((all.get(op), configured))
    }

    /// Runs one provider call as operation `op` of the object `v`: the whole
    /// call (retries, backoff, operation polls) within its limit.
    async fn bounded<T>(
        &self,
        op: Operation,
        v: &Value,
        on_error: fn(cairn_google::Error) -> ProviderError,
        call: impl Future<Output = Result<T, cairn_google::Error>>,
    ) -> Result<T, ProviderError> {
        let (limit, configured) = self.limit(op, v)?;
        // The client stops its retries and polls at the limit and says what
        // it was waiting for; the hard stop, a moment later, ends what does
        // not watch the deadline (a type's own waits, a hung connection).
        match tokio::time::timeout(limit.saturating_add(HARD_STOP_GRACE), cairn_google::client::within(limit, call)).await {
            Ok((Ok(out), _)) => Ok(out),
            Ok((Err(e), true)) => Err(self.timed_out(op, limit, configured, Some(e))),
            Ok((Err(e), false)) => Err(on_error(e)),
            Err(_) => Err(self.timed_out(op, limit, configured, None)),
        }
    }

    /// The error of an operation that ran out of time.
    fn timed_out(&self, op: Operation, limit: Duration, configured: bool, last: Option<cairn_google::Error>) -> ProviderError {
        let (key, name) = (op.key(), self.name());
        let whose = if configured { "the limit its timeouts block sets".to_string() } else { format!("the default for {name}") };
        let last = last.map(|e| format!("; last: {e}")).unwrap_or_default();
        ProviderError::Failed(format!(
            "{name}: {key} did not finish within {}, {whose} (timeouts.{key}){last}. If it needs longer, raise timeouts.{key} in the resource block, for example: timeouts {{ {key} = \"{}\" }}.",
            format_duration(limit),
            format_duration(limit.saturating_mul(2).max(Duration::from_secs(60))),
        ))
    }
}

/// What the provider gets of a value: its JSON without `timeouts`.
fn provider_json(v: &Value) -> Json {
    let mut j = v.to_json();
    if let Some(m) = j.as_object_mut() {
        m.remove(timeouts::BLOCK);
    }
    j
}

/// An object from the provider with `timeouts` as `from` has it (null when
/// it has none), so state keeps what the configuration said.
fn with_timeouts(mut j: Json, from: &Value) -> Json {
    if let Some(m) = j.as_object_mut() {
        m.insert(timeouts::BLOCK.to_string(), attr(from, timeouts::BLOCK).to_json());
    }
    j
}

/// JSON from the provider, as a value of `schema`.
fn from_provider(schema: &Schema, json: &Json) -> Value {
    mark_sensitive(schema, Value::from_typed_json(json, &schema.value_type()))
}

/// A Google data source, adapted: read at plan time like any data source.
pub struct GoogleDataType {
    inner: Box<dyn GoogleDataSource>,
    schema: Schema,
}

impl GoogleDataType {
    pub fn new(inner: Box<dyn GoogleDataSource>) -> GoogleDataType {
        let schema = convert_schema(&inner.schema());
        GoogleDataType { inner, schema }
    }
}

/// Every Google type: resource types and data sources.
pub fn types() -> Vec<Box<dyn ResourceType>> {
    let mut out: Vec<Box<dyn ResourceType>> =
        cairn_google::resources().into_iter().map(|r| Box::new(GoogleType::new(r)) as Box<dyn ResourceType>).collect();
    out.extend(cairn_google::data_sources().into_iter().map(|d| Box::new(GoogleDataType::new(d)) as Box<dyn ResourceType>));
    out
}

fn convert_type(t: &TypeSpec) -> Type {
    match t {
        TypeSpec::String => Type::String,
        TypeSpec::Number => Type::Number,
        TypeSpec::Bool => Type::Bool,
        TypeSpec::Any => Type::Any,
        TypeSpec::List(t) => Type::List(Box::new(convert_type(t))),
        TypeSpec::Set(t) => Type::Set(Box::new(convert_type(t))),
        TypeSpec::Map(t) => Type::Map(Box::new(convert_type(t))),
        TypeSpec::Object(attrs) => Type::Object(attrs.iter().map(|(k, t)| (k.clone(), ObjectAttr::required(convert_type(t)))).collect()),
    }
}

fn convert_attr(a: &AttrSpec) -> AttrSchema {
    AttrSchema {
        ty: convert_type(&a.ty),
        required: a.required,
        optional: a.optional,
        computed: a.computed,
        sensitive: a.sensitive,
        force_new: a.force_new,
    }
}

fn convert_block(b: &BlockSpec) -> BlockSchema {
    BlockSchema {
        nesting: match b.nesting {
            GNesting::Single => Nesting::Single,
            GNesting::List => Nesting::List,
            GNesting::Set => Nesting::Set,
        },
        min_items: b.min_items,
        max_items: b.max_items,
        schema: convert_schema(&b.schema),
        force_new: b.force_new,
    }
}

/// The engine's schema for a provider type schema.
pub fn convert_schema(s: &TypeSchema) -> Schema {
    let mut out = Schema::new();
    for a in &s.attributes {
        out = out.attr(a.name, convert_attr(a));
    }
    for b in &s.blocks {
        out = out.block(b.name, convert_block(b));
    }
    out
}

/// Marks the schema's sensitive top-level attributes.
fn mark_sensitive(schema: &Schema, v: Value) -> Value {
    let (v, marked) = v.into_unmarked();
    let Value::Object(mut m) = v else { return v.mark_if(marked) };
    for (name, a) in &schema.attributes {
        if a.sensitive {
            if let Some(x) = m.remove(name) {
                m.insert(name.clone(), x.mark_sensitive());
            }
        }
    }
    Value::Object(m).mark_if(marked)
}

fn failed(e: cairn_google::Error) -> ProviderError {
    match e {
        cairn_google::Error::NotFound => ProviderError::NotFound,
        other => ProviderError::Failed(other.to_string()),
    }
}

/// For create, update and import, where a 404 is not "already gone" but a
/// failure that needs explaining (a bare "not found" says nothing).
fn failed_write(e: cairn_google::Error) -> ProviderError {
    match e {
        cairn_google::Error::NotFound => ProviderError::Failed(
            "the API answered 404 Not Found: an object this one needs (its project, parent or secret) does not exist, \
             or the endpoint does not serve this API (with CAIRN_GOOGLE_ENDPOINT, check that the emulator serves \
             Google's paths); CAIRN_LOG=debug shows each call"
                .into(),
        ),
        other => failed(other),
    }
}

impl ResourceType for GoogleType {
    fn name(&self) -> &str {
        self.inner.type_name()
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn validate_config(&self, config: &Value) -> Vec<ConfigProblem> {
        timeouts::problems(&attr(config, timeouts::BLOCK).to_json())
            .into_iter()
            .map(|(key, message)| ConfigProblem {
                path: vec![timeouts::BLOCK.to_string(), key.clone()],
                summary: "Invalid timeout".into(),
                detail: format!("timeouts.{key} of {}: {message}.", self.name()),
            })
            .collect()
    }

    fn plan(&self, prior: Option<&Value>, proposed: Value) -> Result<Value, String> {
        let json = provider_json(&proposed);
        let prior_json = prior.map(provider_json);
        let filled = self.inner.plan(&provider_config(), prior_json.as_ref(), json)?;
        let (proposed, marked) = proposed.into_unmarked();
        let Value::Object(mut m) = proposed else { return Ok(proposed.mark_if(marked)) };
        let filled_value = from_provider(&self.schema, &filled);
        // The provider's answer wins wherever the proposal was known: it
        // fills defaults and normalizes equivalent forms (`eu` -> `EU`) so
        // they never show as changes. Unknown parts stay unknown, and so
        // does `timeouts`, which the provider never sees.
        if let Some(f) = filled_value.as_map() {
            for (k, v) in m.iter_mut() {
                if v.is_wholly_known() {
                    if let Some(new) = f.get(k) {
                        // Sensitive configuration stays sensitive.
                        let sensitive = v.contains_sensitive();
                        *v = new.clone().mark_if(sensitive);
                    }
                }
            }
        }
        // An update makes new etags and fingerprints: unknown until applied.
        // Only when something is really written: a plan with no change
        // stays one.
        let changing = self.inner.changes_on_write();
        if let (Some(prior), false) = (prior, changing.is_empty()) {
            let without = |v: &Value| {
                let mut j = provider_json(v);
                if let Some(o) = j.as_object_mut() {
                    for k in changing {
                        o.remove(*k);
                    }
                }
                j
            };
            if without(prior) != without(&Value::Object(m.clone())) {
                for k in changing {
                    if let (Some(v), Some(a)) = (m.get_mut(*k), self.schema.attributes.get(*k)) {
                        *v = Value::Unknown(a.ty.clone());
                    }
                }
            }
        }
        Ok(Value::Object(m).mark_if(marked))
    }

    fn requires_replace(&self, prior: &Value, planned: &Value) -> Vec<String> {
        let reasons = self.inner.replace_reasons(&prior.to_json(), &planned.to_json());
        for (attr, why) in &reasons {
            tracing::info!(resource_type = self.inner.type_name(), attr, why = why.as_str(), "replacement needed");
        }
        reasons.into_iter().map(|(attr, _)| attr.to_string()).collect()
    }

    fn read<'a>(&'a self, current: &'a Value) -> BoxFuture<'a, Result<Option<Value>, ProviderError>> {
        Box::pin(async move {
            let client = client()?;
            let json = provider_json(current);
            let found = self.bounded(Operation::Read, current, failed, self.inner.read(&client, &json)).await?;
            Ok(found.map(|j| from_provider(&self.schema, &with_timeouts(j, current))))
        })
    }

    fn create<'a>(&'a self, planned: &'a Value) -> BoxFuture<'a, Result<Value, ProviderError>> {
        Box::pin(async move {
            let client = client()?;
            let json = provider_json(planned);
            let made = self.bounded(Operation::Create, planned, failed_write, self.inner.create(&client, &json)).await?;
            Ok(from_provider(&self.schema, &with_timeouts(made, planned)))
        })
    }

    fn update<'a>(&'a self, prior: &'a Value, planned: &'a Value) -> BoxFuture<'a, Result<Value, ProviderError>> {
        Box::pin(async move {
            let (prior_json, json) = (provider_json(prior), provider_json(planned));
            if prior_json == json {
                // Only `timeouts` changed: Terraform keeps it in state and
                // calls no API.
                return Ok(planned.clone());
            }
            let client = client()?;
            let made = self.bounded(Operation::Update, planned, failed_write, self.inner.update(&client, &prior_json, &json)).await?;
            Ok(from_provider(&self.schema, &with_timeouts(made, planned)))
        })
    }

    fn delete<'a>(&'a self, prior: &'a Value) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            let client = client()?;
            let json = provider_json(prior);
            self.bounded(Operation::Delete, prior, failed, self.inner.delete(&client, &json)).await
        })
    }

    fn import<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Value, ProviderError>> {
        Box::pin(async move {
            let client = client()?;
            let found = self.bounded(Operation::Read, &Value::Null, failed_write, self.inner.import(&client, id)).await?;
            Ok(from_provider(&self.schema, &with_timeouts(found, &Value::Null)))
        })
    }
}

impl ResourceType for GoogleDataType {
    fn name(&self) -> &str {
        self.inner.type_name()
    }

    fn mode(&self) -> ResourceMode {
        ResourceMode::Data
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn read<'a>(&'a self, current: &'a Value) -> BoxFuture<'a, Result<Option<Value>, ProviderError>> {
        Box::pin(async move {
            let client = client()?;
            let found = self.inner.read(&client, &current.to_json()).await.map_err(failed)?;
            Ok(Some(from_provider(&self.schema, &found)))
        })
    }

    fn create<'a>(&'a self, _: &'a Value) -> BoxFuture<'a, Result<Value, ProviderError>> {
        super::data_source_only(self.name())
    }

    fn update<'a>(&'a self, _: &'a Value, _: &'a Value) -> BoxFuture<'a, Result<Value, ProviderError>> {
        super::data_source_only(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Instant;

    /// A resource that calls no API: `update` counts, `create` takes
    /// `delay_ms`.
    struct Fake(Arc<AtomicUsize>);

    impl GoogleResource for Fake {
        fn type_name(&self) -> &'static str {
            "google_fake"
        }
        fn schema(&self) -> TypeSchema {
            TypeSchema {
                attributes: vec![AttrSpec::required("name", TypeSpec::String), AttrSpec::optional("delay_ms", TypeSpec::Number)],
                blocks: Vec::new(),
            }
        }
        fn read<'a>(&'a self, _: &'a Client, state: &'a Json) -> cairn_google::BoxFuture<'a, Result<Option<Json>, cairn_google::Error>> {
            Box::pin(async move { Ok(Some(state.clone())) })
        }
        fn create<'a>(&'a self, _: &'a Client, planned: &'a Json) -> cairn_google::BoxFuture<'a, Result<Json, cairn_google::Error>> {
            Box::pin(async move {
                assert!(planned.get(timeouts::BLOCK).is_none(), "the provider never sees timeouts");
                let ms = planned.get("delay_ms").and_then(Json::as_u64).unwrap_or(0);
                tokio::time::sleep(Duration::from_millis(ms)).await;
                Ok(planned.clone())
            })
        }
        fn update<'a>(&'a self, _: &'a Client, _: &'a Json, planned: &'a Json) -> cairn_google::BoxFuture<'a, Result<Json, cairn_google::Error>> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Box::pin(async move { Ok(planned.clone()) })
        }
        fn delete<'a>(&'a self, _: &'a Client, _: &'a Json) -> cairn_google::BoxFuture<'a, Result<(), cairn_google::Error>> {
            Box::pin(async { Ok(()) })
        }
        fn import<'a>(&'a self, _: &'a Client, id: &'a str) -> cairn_google::BoxFuture<'a, Result<Json, cairn_google::Error>> {
            Box::pin(async move { Ok(serde_json::json!({ "name": id, "delay_ms": null })) })
        }
    }

    fn fake() -> (GoogleType, Arc<AtomicUsize>) {
        configure(ProviderConfig { project: Some("p-unit".into()), base_endpoint: Some("http://127.0.0.1:9/".into()), ..Default::default() });
        let calls = Arc::new(AtomicUsize::new(0));
        (GoogleType::new(Box::new(Fake(calls.clone()))), calls)
    }

    fn object(name: &str, delay_ms: Option<f64>, timeouts: Value) -> Value {
        Value::object([
            ("name", Value::string(name)),
            ("delay_ms", delay_ms.map(Value::number).unwrap_or(Value::Null)),
            (timeouts::BLOCK, timeouts),
        ])
    }

    fn block(create: &str) -> Value {
        Value::object([("create", Value::string(create)), ("read", Value::Null), ("update", Value::Null), ("delete", Value::Null)])
    }

    #[test]
    fn every_google_type_takes_timeouts_and_data_sources_are_data() {
        for t in types() {
            match t.mode() {
                ResourceMode::Managed => {
                    let b = &t.schema().blocks[timeouts::BLOCK];
                    assert_eq!((b.nesting, b.max_items, b.force_new), (Nesting::Single, 1, false), "{}", t.name());
                    assert!(["create", "read", "update", "delete"].iter().all(|k| b.schema.attributes[*k].optional));
                }
                ResourceMode::Data => assert!(!t.schema().blocks.contains_key(timeouts::BLOCK), "{}", t.name()),
            }
        }
        let cc = super::super::lookup(ResourceMode::Data, "google_client_config").expect("registered");
        assert!(cc.schema().attributes["access_token"].sensitive);
        let p = super::super::lookup(ResourceMode::Data, "google_project").expect("registered");
        assert!(p.schema().attributes["project_id"].optional && p.schema().attributes["number"].computed);
    }

    #[test]
    fn malformed_timeouts_are_problems_at_their_key() {
        let (t, _) = fake();
        assert!(t.validate_config(&object("a", None, block("20m"))).is_empty());
        assert!(t.validate_config(&object("a", None, Value::Null)).is_empty());
        assert!(t.validate_config(&object("a", None, Value::object([("create", Value::Unknown(Type::String))]))).is_empty());
        let problems = t.validate_config(&object("a", None, block("20 minutes")));
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].path, vec!["timeouts".to_string(), "create".to_string()]);
        assert!(problems[0].detail.contains("google_fake") && problems[0].detail.contains("1h30m"), "{}", problems[0].detail);
    }

    #[tokio::test]
    async fn a_change_of_timeouts_alone_calls_no_api() {
        let (t, calls) = fake();
        let prior = t.create(&object("a", None, Value::Null)).await.unwrap();
        assert!(attr(&prior, timeouts::BLOCK).is_null(), "state has the block, null: {prior:?}");
        let planned = object("a", None, block("5m"));
        let after = t.update(&prior, &planned).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 0, "no provider call");
        assert!(after.equals(&planned), "state takes the new timeouts");
        t.update(&after, &object("b", None, block("5m"))).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1, "a real change still reaches the provider");
    }

    #[tokio::test]
    async fn an_operation_past_its_timeout_fails_saying_what_to_raise() {
        let (t, _) = fake();
        let started = Instant::now();
        let e = t.create(&object("a", Some(5000.0), block("200ms"))).await.unwrap_err().to_string();
        assert!(started.elapsed() < Duration::from_secs(3), "cut off at the limit and a grace: {:?}", started.elapsed());
        for needle in ["google_fake", "create did not finish within 200ms", "its timeouts block sets (timeouts.create)", "raise timeouts.create", "timeouts { create = \"1m\" }"] {
            assert!(e.contains(needle), "{needle} missing from: {e}");
        }
        let e = t.create(&object("a", Some(10.0), block("soon"))).await.unwrap_err().to_string();
        assert!(e.contains("timeouts.create") && e.contains("\"soon\""), "{e}");
        assert!(t.create(&object("a", Some(10.0), block("1s"))).await.is_ok());
    }

    #[test]
    fn a_404_is_gone_on_read_and_explained_on_write() {
        assert_eq!(failed(cairn_google::Error::NotFound), ProviderError::NotFound);
        match failed_write(cairn_google::Error::NotFound) {
            ProviderError::Failed(m) => assert!(m.contains("404") && m.contains("CAIRN_GOOGLE_ENDPOINT"), "{m}"),
            other => panic!("expected an explained failure, got {other:?}"),
        }
        let api = cairn_google::Error::Invalid("x".into());
        assert_eq!(failed_write(api), ProviderError::Failed("x".into()));
    }
}
