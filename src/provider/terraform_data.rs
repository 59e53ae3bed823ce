//! `terraform_data`: Terraform's built-in resource that stores a value.
//!
//! `input` is stored and copied to `output` on apply; `id` is a random UUID
//! set on create; changing `triggers_replace` replaces the instance (a new
//! id). Changing `input` updates in place, and `output` is unknown until
//! then, exactly as Terraform plans it.
//!
//! This file is the smallest complete [`ResourceType`]: copy it to add one.

use super::{attr, with_attr, BoxFuture, ProviderError, ResourceType};
use crate::config::schema::{AttrSchema, Schema};
use crate::value::{Type, Value};

pub struct TerraformData {
    schema: Schema,
}

impl TerraformData {
    pub fn new() -> TerraformData {
        TerraformData {
            schema: Schema::new()
                .attr("id", AttrSchema::computed(Type::String))
                .attr("input", AttrSchema::optional(Type::Any))
                .attr("output", AttrSchema::computed(Type::Any))
                .attr("triggers_replace", AttrSchema::optional(Type::Any).force_new()),
        }
    }
}

impl Default for TerraformData {
    fn default() -> Self {
        Self::new()
    }
}

impl ResourceType for TerraformData {
    fn name(&self) -> &str {
        "terraform_data"
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn plan(&self, prior: Option<&Value>, proposed: Value) -> Result<Value, String> {
        let input = attr(&proposed, "input").clone();
        let output = match prior {
            // Unchanged input: the output stays what it was.
            Some(p) if attr(p, "input").equals(&input) && input.is_wholly_known() => attr(p, "output").clone(),
            _ => Value::Unknown(Type::Any),
        };
        let mut planned = with_attr(&proposed, "output", output);
        if prior.is_none() {
            planned = with_attr(&planned, "id", Value::Unknown(Type::String));
        }
        Ok(planned)
    }

    fn create<'a>(&'a self, planned: &'a Value) -> BoxFuture<'a, Result<Value, ProviderError>> {
        Box::pin(async move {
            let id = uuid::Uuid::new_v4().to_string();
            let input = attr(planned, "input").clone();
            Ok(with_attr(&with_attr(planned, "id", Value::String(id)), "output", input))
        })
    }

    fn update<'a>(&'a self, prior: &'a Value, planned: &'a Value) -> BoxFuture<'a, Result<Value, ProviderError>> {
        Box::pin(async move {
            let input = attr(planned, "input").clone();
            Ok(with_attr(&with_attr(planned, "id", attr(prior, "id").clone()), "output", input))
        })
    }

    fn import<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Value, ProviderError>> {
        Box::pin(async move {
            Ok(Value::object([
                ("id", Value::string(id)),
                ("input", Value::Null),
                ("output", Value::Null),
                ("triggers_replace", Value::Null),
            ]))
        })
    }
}
