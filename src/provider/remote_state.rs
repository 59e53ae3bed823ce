//! `data "terraform_remote_state"`: another stack's root outputs, read from
//! its state.
//!
//! Supports the `local` backend now (`config = { path = "..." }`, relative
//! to the working directory, and `workspace`); `gcs` and `pg` arrive with
//! the team-state backends. `defaults` fill outputs the other state lacks.

use super::{attr, BoxFuture, ProviderError, ResourceType};
use crate::addrs::ResourceMode;
use crate::config::schema::{AttrSchema, Schema};
use crate::state::{Backend, LocalBackend};
use crate::value::{Type, Value};

pub struct RemoteState {
    schema: Schema,
}

impl RemoteState {
    pub fn new() -> RemoteState {
        RemoteState {
            schema: Schema::new()
                .attr("backend", AttrSchema::required(Type::String))
                .attr("config", AttrSchema::optional(Type::Any))
                .attr("workspace", AttrSchema::optional(Type::String))
                .attr("defaults", AttrSchema::optional(Type::Any))
                .attr("outputs", AttrSchema::computed(Type::Any)),
        }
    }
}

impl Default for RemoteState {
    fn default() -> Self {
        Self::new()
    }
}

impl ResourceType for RemoteState {
    fn name(&self) -> &str {
        "terraform_remote_state"
    }

    fn mode(&self) -> ResourceMode {
        ResourceMode::Data
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn read<'a>(&'a self, current: &'a Value) -> BoxFuture<'a, Result<Option<Value>, ProviderError>> {
        Box::pin(async move {
            let backend = attr(current, "backend").as_str().unwrap_or("").to_string();
            let workspace = attr(current, "workspace").as_str().unwrap_or("default").to_string();
            let config = attr(current, "config");
            let store: Box<dyn Backend> = match backend.as_str() {
                "local" => {
                    let path = attr(config, "path").as_str().unwrap_or(crate::state::local::DEFAULT_STATE_FILE);
                    Box::new(LocalBackend::new(path))
                }
                other => {
                    return Err(ProviderError::Failed(format!(
                        "the {other:?} backend is not supported by terraform_remote_state yet; use backend = \"local\" with config = {{ path = \"../other/cairn.tfstate\" }}"
                    )))
                }
            };
            let location = store.location(&workspace);
            let snapshot = store.read(&workspace).map_err(|e| ProviderError::Failed(e.to_string()))?;
            let mut outputs = attr(current, "defaults").as_map().cloned().unwrap_or_default();
            if let Some(snapshot) = snapshot {
                let state = crate::state::format::from_bytes(&snapshot.bytes, &location).map_err(|e| ProviderError::Failed(e.to_string()))?;
                for (name, o) in &state.outputs {
                    let v = Value::from_typed_json(&o.value, &Type::from_json(&o.type_));
                    outputs.insert(name.clone(), v.mark_if(o.sensitive));
                }
            } else {
                return Err(ProviderError::Failed(format!(
                    "no state at {location}: apply that stack first, or check config.path and workspace"
                )));
            }
            let mut result = current.as_map().cloned().unwrap_or_default();
            result.insert("outputs".into(), Value::Object(outputs));
            Ok(Some(Value::Object(result)))
        })
    }

    fn create<'a>(&'a self, _: &'a Value) -> BoxFuture<'a, Result<Value, ProviderError>> {
        super::data_source_only(self.name())
    }

    fn update<'a>(&'a self, _: &'a Value, _: &'a Value) -> BoxFuture<'a, Result<Value, ProviderError>> {
        super::data_source_only(self.name())
    }
}
