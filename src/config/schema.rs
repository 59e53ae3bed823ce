//! Resource and data source schemas: which arguments a type takes, their
//! types, which are required, computed or sensitive, which force
//! replacement, and its nested blocks.
//!
//! Owns: the schema model, the registry of known types, and the built-in
//! types' schemas (`terraform_data`). Provider issues add their types here.
//!
//! Does not own: checking a body against a schema (the stack evaluator does
//! that, since it needs evaluated values).

use std::collections::BTreeMap;

use crate::addrs::ResourceMode;
use crate::value::Type;

#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    pub attributes: BTreeMap<String, AttrSchema>,
    pub blocks: BTreeMap<String, BlockSchema>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AttrSchema {
    pub ty: Type,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    pub sensitive: bool,
    /// Changing it replaces the object.
    pub force_new: bool,
}

impl AttrSchema {
    pub fn required(ty: Type) -> AttrSchema {
        AttrSchema { ty, required: true, optional: false, computed: false, sensitive: false, force_new: false }
    }
    pub fn optional(ty: Type) -> AttrSchema {
        AttrSchema { ty, required: false, optional: true, computed: false, sensitive: false, force_new: false }
    }
    pub fn computed(ty: Type) -> AttrSchema {
        AttrSchema { ty, required: false, optional: false, computed: true, sensitive: false, force_new: false }
    }
    pub fn optional_computed(ty: Type) -> AttrSchema {
        AttrSchema { computed: true, ..AttrSchema::optional(ty) }
    }
    pub fn force_new(mut self) -> AttrSchema {
        self.force_new = true;
        self
    }
    pub fn sensitive(mut self) -> AttrSchema {
        self.sensitive = true;
        self
    }
    /// Whether the configuration may set it.
    pub fn configurable(&self) -> bool {
        self.required || self.optional
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    /// At most one block; its value is an object (or null).
    Single,
    /// An ordered list of blocks.
    List,
    /// An unordered set of blocks.
    Set,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BlockSchema {
    pub nesting: Nesting,
    pub min_items: usize,
    pub max_items: usize,
    pub schema: Schema,
    pub force_new: bool,
}

impl Schema {
    pub fn new() -> Schema {
        Schema { attributes: BTreeMap::new(), blocks: BTreeMap::new() }
    }

    pub fn attr(mut self, name: &str, a: AttrSchema) -> Schema {
        self.attributes.insert(name.to_string(), a);
        self
    }

    pub fn block(mut self, name: &str, b: BlockSchema) -> Schema {
        self.blocks.insert(name.to_string(), b);
        self
    }

    /// The object type of values of this schema.
    pub fn value_type(&self) -> Type {
        let mut attrs = BTreeMap::new();
        for (k, a) in &self.attributes {
            attrs.insert(k.clone(), crate::value::ObjectAttr::required(a.ty.clone()));
        }
        for (k, b) in &self.blocks {
            let inner = b.schema.value_type();
            let t = match b.nesting {
                Nesting::Single => inner,
                Nesting::List => Type::List(Box::new(inner)),
                Nesting::Set => Type::Set(Box::new(inner)),
            };
            attrs.insert(k.clone(), crate::value::ObjectAttr::required(t));
        }
        Type::Object(attrs)
    }

    /// Names of attributes and blocks, for "did you mean" suggestions.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.attributes.keys().chain(self.blocks.keys()).map(String::as_str)
    }
}

impl Default for Schema {
    fn default() -> Schema {
        Schema::new()
    }
}

/// The schema of a resource or data source type, if cairn knows it.
pub fn lookup(mode: ResourceMode, type_name: &str) -> Option<&'static Schema> {
    crate::provider::lookup(mode, type_name).map(|t| t.schema())
}

/// Every known type of a mode, sorted: for suggestions.
pub fn known_types(mode: ResourceMode) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for t in crate::provider::builtin_names() {
        if t.0 == mode {
            names.push(t.1);
        }
    }
    names.sort();
    names
}

/// The closest of `candidates` to `name`, if close enough to suggest.
pub fn suggest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (levenshtein(name, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terraform_data_is_known() {
        let t = lookup(ResourceMode::Managed, "terraform_data").unwrap();
        assert!(t.attributes["triggers_replace"].force_new);
        assert!(lookup(ResourceMode::Data, "terraform_data").is_none());
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest("inptu", ["input", "output"].into_iter()), Some("input"));
        assert_eq!(suggest("zzzzzz", ["input"].into_iter()), None);
    }
}
