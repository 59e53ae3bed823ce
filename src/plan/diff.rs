//! The generic diff of one resource instance: from prior state and
//! configuration to the planned object and its action.
//!
//! Rules (Terraform's): an argument set in configuration takes that value;
//! an unset computed attribute keeps its prior value (or is unknown on
//! create); an unset optional argument is null. Attributes marked
//! `force_new` that change (or become unknown) force replacement, as do the
//! ones the type says it cannot update in place
//! ([`ResourceType::requires_replace`]), and then
//! every unset computed attribute is unknown again. `ignore_changes` keeps
//! prior values for the listed attributes. The type may then adjust the
//! result ([`ResourceType::plan`]).

use std::collections::BTreeMap;

use super::Action;
use crate::config::model::IgnoreChanges;
use crate::config::schema::Schema;
use crate::provider::{attr, ResourceType};
use crate::value::Value;

/// What the diff needs to know of the configuration's intent.
#[derive(Debug, Clone, Default)]
pub struct Intent<'a> {
    pub ignore_changes: Option<&'a IgnoreChanges>,
    /// Paths under `ignore_changes` (pre-resolved): `["labels"]`,
    /// `["input", "min_scale"]` (attribute names, map keys, list indexes).
    pub ignored: Vec<Vec<String>>,
    pub create_before_destroy: bool,
    /// `-replace` or `replace_triggered_by` asked for a replacement.
    pub force_replace: bool,
}

/// The outcome for one instance.
#[derive(Debug, Clone, PartialEq)]
pub struct Diffed {
    pub action: Action,
    pub after: Value,
    pub replace_paths: Vec<String>,
}

/// Plans one instance of `rtype`.
pub fn diff(rtype: &dyn ResourceType, prior: Option<&Value>, config: &Value, intent: &Intent<'_>) -> Result<Diffed, String> {
    let schema = rtype.schema();
    let Some(prior) = prior.filter(|p| !p.is_null()) else {
        let proposed = propose(schema, None, config, intent);
        let after = rtype.plan(None, proposed)?;
        return Ok(Diffed { action: Action::Create, after, replace_paths: Vec::new() });
    };
    let proposed = propose(schema, Some(prior), config, intent);
    let after = rtype.plan(Some(prior), proposed)?;
    let mut replace_paths = Vec::new();
    for (name, a) in &schema.attributes {
        if !a.force_new {
            continue;
        }
        let before = attr(prior, name);
        let now = attr(&after, name);
        if !now.equals(before) || !now.is_wholly_known() {
            replace_paths.push(name.clone());
        }
    }
    for (name, b) in &schema.blocks {
        if b.force_new && !attr(&after, name).equals(attr(prior, name)) {
            replace_paths.push(name.clone());
        }
    }
    for name in rtype.requires_replace(prior, &after) {
        if !replace_paths.contains(&name) {
            replace_paths.push(name);
        }
    }
    if !replace_paths.is_empty() || intent.force_replace {
        // A new object: computed attributes are decided anew.
        let proposed = propose(schema, None, config, intent);
        let after = rtype.plan(None, proposed)?;
        let action = if intent.create_before_destroy { Action::CreateThenDelete } else { Action::DeleteThenCreate };
        return Ok(Diffed { action, after, replace_paths });
    }
    let action = if after.equals(prior) && after.is_wholly_known() { Action::NoOp } else { Action::Update };
    Ok(Diffed { action, after, replace_paths })
}

/// The proposed new object before the type adjusts it.
fn propose(schema: &Schema, prior: Option<&Value>, config: &Value, intent: &Intent<'_>) -> Value {
    let mut out = BTreeMap::new();
    let all_ignored = matches!(intent.ignore_changes, Some(IgnoreChanges::All));
    for (name, a) in &schema.attributes {
        let configured = attr(config, name);
        let previous = prior.map(|p| attr(p, name));
        let ignored = prior.is_some() && (all_ignored || intent.ignored.iter().any(|i| i.len() == 1 && &i[0] == name)) && a.configurable();
        let v = if ignored {
            previous.cloned().unwrap_or(Value::Null)
        } else if !configured.is_null() {
            configured.clone()
        } else if a.computed {
            match previous {
                Some(p) => p.clone(),
                None => Value::Unknown(a.ty.clone()),
            }
        } else {
            Value::Null
        };
        let v = if a.sensitive { v.mark_sensitive() } else { v };
        out.insert(name.clone(), v);
    }
    for name in schema.blocks.keys() {
        let ignored = prior.is_some() && (all_ignored || intent.ignored.iter().any(|i| i.len() == 1 && &i[0] == name));
        let v = if ignored { prior.map(|p| attr(p, name).clone()).unwrap_or(Value::Null) } else { attr(config, name).clone() };
        out.insert(name.clone(), v);
    }
    let mut proposed = Value::Object(out);
    // Deeper paths (`input["min_scale"]`): keep the prior value at the path.
    if let Some(prior) = prior {
        for path in intent.ignored.iter().filter(|p| p.len() > 1) {
            if let Some(old) = get_path(prior, path) {
                proposed = set_path(proposed, path, old.clone());
            }
        }
    }
    proposed
}

fn get_path<'a>(v: &'a Value, path: &[String]) -> Option<&'a Value> {
    let Some((first, rest)) = path.split_first() else { return Some(v) };
    let next = match v.unmarked() {
        Value::Object(m) | Value::Map(m) => m.get(first)?,
        Value::List(xs) | Value::Tuple(xs) => xs.get(first.parse::<usize>().ok()?)?,
        _ => return None,
    };
    get_path(next, rest)
}

fn set_path(v: Value, path: &[String], new: Value) -> Value {
    let Some((first, rest)) = path.split_first() else { return new };
    let (v, marked) = v.into_unmarked();
    let out = match v {
        Value::Object(mut m) => {
            let child = m.remove(first).unwrap_or(Value::Null);
            m.insert(first.clone(), set_path(child, rest, new));
            Value::Object(m)
        }
        Value::Map(mut m) => {
            let child = m.remove(first).unwrap_or(Value::Null);
            m.insert(first.clone(), set_path(child, rest, new));
            Value::Map(m)
        }
        Value::List(mut xs) | Value::Tuple(mut xs) => {
            if let Some(i) = first.parse::<usize>().ok().filter(|i| *i < xs.len()) {
                let child = std::mem::replace(&mut xs[i], Value::Null);
                xs[i] = set_path(child, rest, new);
            }
            Value::Tuple(xs)
        }
        other => other,
    };
    out.mark_if(marked)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::terraform_data::TerraformData;

    fn obj(input: &str, triggers: Option<&str>) -> Value {
        Value::object([
            ("input", Value::string(input)),
            ("triggers_replace", triggers.map(Value::string).unwrap_or(Value::Null)),
        ])
    }

    fn state(id: &str, input: &str, triggers: Option<&str>) -> Value {
        Value::object([
            ("id", Value::string(id)),
            ("input", Value::string(input)),
            ("output", Value::string(input)),
            ("triggers_replace", triggers.map(Value::string).unwrap_or(Value::Null)),
        ])
    }

    /// A type whose `size` may grow in place but not shrink.
    struct GrowOnly(Schema);

    impl ResourceType for GrowOnly {
        fn name(&self) -> &str {
            "test_grow_only"
        }
        fn schema(&self) -> &Schema {
            &self.0
        }
        fn requires_replace(&self, prior: &Value, planned: &Value) -> Vec<String> {
            match (attr(prior, "size").as_number(), attr(planned, "size").as_number()) {
                (Some(a), Some(b)) if b < a => vec!["size".to_string()],
                _ => Vec::new(),
            }
        }
        fn create<'a>(&'a self, planned: &'a Value) -> crate::provider::BoxFuture<'a, Result<Value, crate::provider::ProviderError>> {
            Box::pin(async move { Ok(planned.clone()) })
        }
        fn update<'a>(&'a self, _: &'a Value, planned: &'a Value) -> crate::provider::BoxFuture<'a, Result<Value, crate::provider::ProviderError>> {
            Box::pin(async move { Ok(planned.clone()) })
        }
    }

    #[test]
    fn a_change_the_type_cannot_make_in_place_replaces() {
        let t = GrowOnly(Schema::new().attr("size", crate::config::schema::AttrSchema::required(crate::value::Type::Number)));
        let prior = Value::object([("size", Value::number(10))]);
        let grow = diff(&t, Some(&prior), &Value::object([("size", Value::number(20))]), &Intent::default()).unwrap();
        assert_eq!((grow.action, grow.replace_paths.len()), (Action::Update, 0));
        let shrink = diff(&t, Some(&prior), &Value::object([("size", Value::number(5))]), &Intent::default()).unwrap();
        assert_eq!(shrink.action, Action::DeleteThenCreate);
        assert_eq!(shrink.replace_paths, vec!["size".to_string()]);
    }

    #[test]
    fn create_has_unknown_computed_attributes() {
        let d = diff(&TerraformData::new(), None, &obj("a", None), &Intent::default()).unwrap();
        assert_eq!(d.action, Action::Create);
        assert!(d.after.as_map().unwrap()["id"].is_unknown());
        assert!(d.after.as_map().unwrap()["output"].is_unknown());
    }

    #[test]
    fn unchanged_is_no_op() {
        let prior = state("x", "a", None);
        let d = diff(&TerraformData::new(), Some(&prior), &obj("a", None), &Intent::default()).unwrap();
        assert_eq!(d.action, Action::NoOp, "{:?}", d.after);
    }

    #[test]
    fn input_change_updates_in_place_with_unknown_output() {
        let prior = state("x", "a", None);
        let d = diff(&TerraformData::new(), Some(&prior), &obj("b", None), &Intent::default()).unwrap();
        assert_eq!(d.action, Action::Update);
        assert_eq!(d.after.as_map().unwrap()["id"], Value::string("x"));
        assert!(d.after.as_map().unwrap()["output"].is_unknown());
    }

    #[test]
    fn trigger_change_replaces_and_names_the_path() {
        let prior = state("x", "a", Some("1"));
        let d = diff(&TerraformData::new(), Some(&prior), &obj("a", Some("2")), &Intent::default()).unwrap();
        assert_eq!(d.action, Action::DeleteThenCreate);
        assert_eq!(d.replace_paths, vec!["triggers_replace".to_string()]);
        assert!(d.after.as_map().unwrap()["id"].is_unknown());
        let cbd = Intent { create_before_destroy: true, ..Intent::default() };
        let d = diff(&TerraformData::new(), Some(&prior), &obj("a", Some("2")), &cbd).unwrap();
        assert_eq!(d.action, Action::CreateThenDelete);
    }

    #[test]
    fn ignored_nested_paths_keep_prior_values_there_only() {
        let prior = Value::object([
            ("id", Value::string("x")),
            ("input", Value::object([("a", Value::number(1)), ("b", Value::number(2))])),
            ("output", Value::object([("a", Value::number(1)), ("b", Value::number(2))])),
            ("triggers_replace", Value::Null),
        ]);
        let config = |a: i32, b: i32| {
            Value::object([("input", Value::object([("a", Value::number(a)), ("b", Value::number(b))])), ("triggers_replace", Value::Null)])
        };
        let intent = Intent { ignored: vec![vec!["input".into(), "b".into()]], ..Intent::default() };
        let d = diff(&TerraformData::new(), Some(&prior), &config(1, 5), &intent).unwrap();
        assert_eq!(d.action, Action::NoOp, "only the ignored key changed");
        let d = diff(&TerraformData::new(), Some(&prior), &config(7, 5), &intent).unwrap();
        assert_eq!(d.action, Action::Update);
        let input = d.after.as_map().unwrap()["input"].as_map().unwrap().clone();
        assert_eq!(input["a"], Value::number(7));
        assert_eq!(input["b"], Value::number(2), "the ignored key keeps its prior value");
    }

    #[test]
    fn ignored_attributes_keep_prior_values() {
        let prior = state("x", "a", None);
        let intent = Intent { ignored: vec![vec!["input".into()]], ..Intent::default() };
        let d = diff(&TerraformData::new(), Some(&prior), &obj("b", None), &intent).unwrap();
        assert_eq!(d.action, Action::NoOp);
    }
}
