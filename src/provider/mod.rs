//! The engine's view of a resource type implementation.
//!
//! Owns: the [`ResourceType`] trait (schema, configuration checks beyond
//! the schema, plan customisation, read, create, update, delete, import),
//! [`ProviderError`], [`ConfigProblem`], and the registry that maps a type
//! name to its implementation: the built-in types ([`terraform_data`], the
//! `random_*` types, `terraform_remote_state`) and the Google resource types
//! and data sources ([`google`]).
//!
//! Does not own: diffing (the planner does the generic part: which
//! attributes change, which force replacement) or ordering and retries (the
//! executor and the Google client).

pub mod google;
pub mod random;
pub mod remote_state;
pub mod terraform_data;
pub mod test_data;

use std::future::Future;
use std::pin::Pin;

use crate::addrs::ResourceMode;
use crate::config::schema::Schema;
use crate::value::Value;

/// A boxed future, so the trait stays object-safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a provider call failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProviderError {
    /// The object does not exist (any more).
    #[error("not found")]
    NotFound,
    /// The call failed; `message` says why and what to do.
    #[error("{0}")]
    Failed(String),
}

/// Something wrong with one argument of a configuration that its type
/// (not the schema) knows: the stack evaluator reports it at the argument.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigProblem {
    /// Attribute and block names down to the argument: `["timeouts", "create"]`.
    pub path: Vec<String>,
    pub summary: String,
    /// What is wrong and what to write instead.
    pub detail: String,
}

/// One resource type. Values are objects shaped by [`ResourceType::schema`];
/// unknown values appear only in plans, never in what `create`/`update`
/// receive or return.
pub trait ResourceType: Send + Sync {
    fn name(&self) -> &str;

    fn mode(&self) -> ResourceMode {
        ResourceMode::Managed
    }

    fn schema(&self) -> &Schema;

    /// Checks an evaluated configuration beyond its schema (formats of
    /// string arguments, say). Unknown values are not checked. The default
    /// finds nothing.
    fn validate_config(&self, config: &Value) -> Vec<ConfigProblem> {
        let _ = config;
        Vec::new()
    }

    /// Adjusts the engine's proposed new value: sets computed attributes
    /// the type knows (or marks them unknown). `prior` is `None` on create.
    /// The default keeps the proposal.
    fn plan(&self, prior: Option<&Value>, proposed: Value) -> Result<Value, String> {
        let _ = prior;
        Ok(proposed)
    }

    /// Attributes of an in-place update that need a replacement after all,
    /// beyond the schema's `force_new` ones: the type knows the change is
    /// one its API cannot make in place (a range that would shrink). The
    /// default is none.
    fn requires_replace(&self, prior: &Value, planned: &Value) -> Vec<String> {
        let _ = (prior, planned);
        Vec::new()
    }

    /// Refreshes: the object as it is now, or `None` if it is gone.
    fn read<'a>(&'a self, current: &'a Value) -> BoxFuture<'a, Result<Option<Value>, ProviderError>> {
        Box::pin(async move { Ok(Some(current.clone())) })
    }

    /// Creates the object; returns its full state.
    fn create<'a>(&'a self, planned: &'a Value) -> BoxFuture<'a, Result<Value, ProviderError>>;

    /// Updates in place; returns the new state.
    fn update<'a>(&'a self, prior: &'a Value, planned: &'a Value) -> BoxFuture<'a, Result<Value, ProviderError>>;

    /// Deletes the object.
    fn delete<'a>(&'a self, prior: &'a Value) -> BoxFuture<'a, Result<(), ProviderError>> {
        let _ = prior;
        Box::pin(async { Ok(()) })
    }

    /// Adopts an existing object by its import ID.
    fn import<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Value, ProviderError>> {
        Box::pin(async move { Err(ProviderError::Failed(format!("{} does not support import (ID {id:?})", self.name()))) })
    }
}

/// What `create` and `update` of a data source answer: data sources are
/// only read (the planner never asks them for more).
pub fn data_source_only<'a, T: Send + 'a>(name: &str) -> BoxFuture<'a, Result<T, ProviderError>> {
    let message = format!("{name} is a data source: it is read, never created or updated");
    Box::pin(async move { Err(ProviderError::Failed(message)) })
}

/// Attribute `name` of an object value (null when absent): the accessor
/// every type uses.
pub fn attr<'a>(v: &'a Value, name: &str) -> &'a Value {
    v.as_map().and_then(|m| m.get(name)).unwrap_or(&Value::Null)
}

/// `v` with attribute `name` set to `value`.
pub fn with_attr(v: &Value, name: &str, value: Value) -> Value {
    let mut m = v.as_map().cloned().unwrap_or_default();
    m.insert(name.to_string(), value);
    Value::Object(m)
}

/// Every built-in type.
pub fn builtin_types() -> Vec<Box<dyn ResourceType>> {
    let mut types: Vec<Box<dyn ResourceType>> =
        vec![Box::new(terraform_data::TerraformData::new()), Box::new(remote_state::RemoteState::new())];
    types.extend(random::types());
    types.extend(google::types());
    if test_data::enabled() { types.push(Box::new(test_data::TestData::new())); }
    types
}

fn registry() -> &'static [Box<dyn ResourceType>] {
    use std::sync::OnceLock;
    static TYPES: OnceLock<Vec<Box<dyn ResourceType>>> = OnceLock::new();
    TYPES.get_or_init(builtin_types)
}

/// The implementation of a type, if cairn has one.
pub fn lookup(mode: ResourceMode, name: &str) -> Option<&'static dyn ResourceType> {
    registry().iter().find(|t| t.mode() == mode && t.name() == name).map(|b| b.as_ref())
}

/// `(mode, name)` of every known type.
pub fn builtin_names() -> Vec<(ResourceMode, &'static str)> {
    registry().iter().map(|t| (t.mode(), t.name())).collect()
}
