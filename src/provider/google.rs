//! The Google provider's types as the engine sees them: each
//! [`cairn_google::GoogleResource`] wrapped as a [`ResourceType`].
//!
//! Owns: turning the provider crate's [`cairn_google::TypeSchema`] into a
//! [`Schema`], values into JSON and back (typed by the schema, sensitive
//! attributes marked), errors into [`ProviderError`]s, and the configured
//! client the types call (set once per command by [`configure`]).
//!
//! Does not own: any Google API detail (the provider crate does).

use std::sync::{Arc, OnceLock, RwLock};

use cairn_google::{AttrSpec, BlockSpec, Client, GoogleResource, Nesting as GNesting, ProviderConfig, TypeSchema, TypeSpec};

use super::{BoxFuture, ProviderError, ResourceType};
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

/// A Google resource type, adapted.
pub struct GoogleType {
    inner: Box<dyn GoogleResource>,
    schema: Schema,
}

impl GoogleType {
    pub fn new(inner: Box<dyn GoogleResource>) -> GoogleType {
        let schema = convert_schema(&inner.schema());
        GoogleType { inner, schema }
    }

    /// JSON from the provider, as a value of this type's schema.
    fn value(&self, json: &serde_json::Value) -> Value {
        mark_sensitive(&self.schema, Value::from_typed_json(json, &self.schema.value_type()))
    }
}

/// Every Google type.
pub fn types() -> Vec<Box<dyn ResourceType>> {
    cairn_google::resources().into_iter().map(|r| Box::new(GoogleType::new(r)) as Box<dyn ResourceType>).collect()
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

impl ResourceType for GoogleType {
    fn name(&self) -> &str {
        self.inner.type_name()
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn plan(&self, prior: Option<&Value>, proposed: Value) -> Result<Value, String> {
        let json = proposed.to_json();
        let prior_json = prior.map(Value::to_json);
        let filled = self.inner.plan(&provider_config(), prior_json.as_ref(), json)?;
        let (proposed, marked) = proposed.into_unmarked();
        let Value::Object(mut m) = proposed else { return Ok(proposed.mark_if(marked)) };
        let filled_value = self.value(&filled);
        // The provider's answer wins wherever the proposal was known: it
        // fills defaults and normalizes equivalent forms (`eu` -> `EU`) so
        // they never show as changes. Unknown parts stay unknown.
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
            let found = self.inner.read(&client, &current.to_json()).await.map_err(failed)?;
            Ok(found.map(|j| self.value(&j)))
        })
    }

    fn create<'a>(&'a self, planned: &'a Value) -> BoxFuture<'a, Result<Value, ProviderError>> {
        Box::pin(async move {
            let client = client()?;
            let made = self.inner.create(&client, &planned.to_json()).await.map_err(failed)?;
            Ok(self.value(&made))
        })
    }

    fn update<'a>(&'a self, prior: &'a Value, planned: &'a Value) -> BoxFuture<'a, Result<Value, ProviderError>> {
        Box::pin(async move {
            let client = client()?;
            let made = self.inner.update(&client, &prior.to_json(), &planned.to_json()).await.map_err(failed)?;
            Ok(self.value(&made))
        })
    }

    fn delete<'a>(&'a self, prior: &'a Value) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            let client = client()?;
            self.inner.delete(&client, &prior.to_json()).await.map_err(failed)
        })
    }

    fn import<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Value, ProviderError>> {
        Box::pin(async move {
            let client = client()?;
            let found = self.inner.import(&client, id).await.map_err(failed)?;
            Ok(self.value(&found))
        })
    }
}
