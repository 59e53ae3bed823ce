//! The in-memory model of a state snapshot.
//!
//! Addresses are stored as their parts (module path string, mode, type,
//! name, index key), exactly as Terraform's state v4 does, so this module
//! does not depend on the engine's address types. [`InstanceAddr`] is a
//! small local carrier for those parts.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

/// The state format version cairn reads and writes (Terraform's v4 layout).
pub const FORMAT_VERSION: u64 = 4;

/// One state snapshot: what exists in the world, as last recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    /// The state format version (always [`FORMAT_VERSION`] once loaded).
    pub version: u64,
    /// The cairn version that last wrote this state; `None` when it was
    /// written by Terraform (or never written).
    pub cairn_version: Option<String>,
    /// Incremented on every persisted change.
    pub serial: u64,
    /// A UUID v4 fixed when the state is first created; two snapshots with
    /// different lineages are unrelated histories.
    pub lineage: String,
    /// Root module outputs by name.
    pub outputs: BTreeMap<String, OutputState>,
    /// Resources, kept in a deterministic order by [`State::normalize`].
    pub resources: Vec<ResourceState>,
    /// Journal of cloud operations started but not yet recorded as
    /// resources, so a crash mid-apply can be recovered.
    pub pending: Vec<PendingOperation>,
}

/// A root module output value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputState {
    /// The value as JSON.
    pub value: Json,
    /// The value's type in Terraform's JSON type notation (`"string"`,
    /// `["object", {...}]`).
    #[serde(rename = "type")]
    pub type_: Json,
    /// Whether the output was declared sensitive.
    #[serde(default, skip_serializing_if = "is_false")]
    pub sensitive: bool,
}

/// A resource's mode: `resource` blocks are managed, `data` blocks data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// A `resource` block.
    Managed,
    /// A `data` block.
    Data,
}

impl Mode {
    /// The mode as written in state files: `"managed"` or `"data"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Managed => "managed",
            Mode::Data => "data",
        }
    }
}

/// Ordered by name (`data` before `managed`), which is Terraform's order.
impl Ord for Mode {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for Mode {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The key of one instance of a resource with `count` (`Int`) or
/// `for_each` (`Str`). Written as a JSON number or string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum IndexKey {
    /// `count.index`
    Int(i64),
    /// `each.key`
    Str(String),
}

impl fmt::Display for IndexKey {
    /// `[0]` or `["a"]`, as in an address.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IndexKey::Int(i) => write!(f, "[{i}]"),
            IndexKey::Str(s) => {
                f.write_str("[")?;
                write_quoted(f, s)?;
                f.write_str("]")
            }
        }
    }
}

fn write_quoted(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if c.is_control() => write!(f, "\\u{:04x}", c as u32)?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}

/// All instances of one `resource` or `data` block in one module instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceState {
    /// The module instance path, `""` for the root module, else like
    /// `module.net["a"].module.sub`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub module: String,
    /// Managed or data.
    pub mode: Mode,
    /// The resource type, e.g. `google_compute_network`.
    #[serde(rename = "type")]
    pub type_name: String,
    /// The resource name from the block label.
    pub name: String,
    /// The provider configuration address, e.g.
    /// `provider["registry.terraform.io/hashicorp/google"]`.
    pub provider: String,
    /// The instances, ordered by key (current object before deposed ones).
    #[serde(default)]
    pub instances: Vec<InstanceState>,
    /// Fields cairn does not know (e.g. from newer Terraform), kept as-is.
    #[serde(flatten)]
    pub extra: Map<String, Json>,
}

/// One object of a resource instance: the current object, or a deposed one
/// left behind by `create_before_destroy`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceState {
    /// The `count`/`for_each` key; absent for a single-instance resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_key: Option<IndexKey>,
    /// `"tainted"` when the object must be replaced on the next apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The deposed key when this is a deposed object, else absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deposed: Option<String>,
    /// The provider's schema version for the attributes.
    #[serde(default)]
    pub schema_version: u64,
    /// The object's attributes as JSON.
    #[serde(default)]
    pub attributes: Json,
    /// Paths (within `attributes`) of sensitive values.
    #[serde(default)]
    pub sensitive_attributes: Vec<AttrPath>,
    /// Provider-private data (base64), opaque to cairn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private: Option<String>,
    /// DIRECT dependencies only, as configuration addresses like
    /// `terraform_data.a` or `module.x.terraform_data.b`. Sorted, unique.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<String>,
    /// Whether the resource had `create_before_destroy` when last applied.
    #[serde(default, skip_serializing_if = "is_false")]
    pub create_before_destroy: bool,
    /// Fields cairn does not know (e.g. from newer Terraform), kept as-is.
    #[serde(flatten)]
    pub extra: Map<String, Json>,
}

impl InstanceState {
    /// A current (not deposed, not tainted) object with these attributes.
    pub fn new(attributes: Json) -> InstanceState {
        InstanceState {
            index_key: None,
            status: None,
            deposed: None,
            schema_version: 0,
            attributes,
            sensitive_attributes: Vec::new(),
            private: None,
            dependencies: Vec::new(),
            create_before_destroy: false,
            extra: Map::new(),
        }
    }

    /// Whether the object is marked tainted.
    pub fn is_tainted(&self) -> bool {
        self.status.as_deref() == Some("tainted")
    }
}

/// A path to a value inside an instance's attributes.
pub type AttrPath = Vec<PathStep>;

/// One step of an [`AttrPath`], written like Terraform:
/// `{"type": "get_attr", "value": "name"}` or `{"type": "index", "value": 0}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum PathStep {
    /// `.name`
    GetAttr(String),
    /// `[key]`: a number or string key.
    Index(Json),
}

/// What a pending operation was doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PendingKind {
    /// Creating a cloud object.
    Create,
    /// Deleting a cloud object.
    Delete,
}

/// A journal entry for a cloud operation that was started but whose outcome
/// is not yet recorded in `resources` (written before the call is made).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingOperation {
    /// Unique id of the operation (UUID).
    pub id: String,
    /// Create or delete.
    pub kind: PendingKind,
    /// The full instance address, e.g. `module.net.google_compute_network.x`.
    pub address: String,
    /// The resource type.
    #[serde(rename = "type")]
    pub type_name: String,
    /// The cloud-side name of the object being created or deleted, if known,
    /// so it can be found again after a crash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// When the operation started (RFC 3339).
    pub started_at: String,
    /// The outcome once known (e.g. an operation id or error), else absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Json>,
}

/// The parts of a resource instance address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InstanceAddr {
    /// The module instance path, `""` for root.
    pub module: String,
    /// Managed or data.
    pub mode: Mode,
    /// The resource type.
    pub type_name: String,
    /// The resource name.
    pub name: String,
    /// The instance key, if any.
    pub key: Option<IndexKey>,
}

impl InstanceAddr {
    /// A managed resource instance in the root module without a key.
    pub fn managed(type_name: impl Into<String>, name: impl Into<String>) -> InstanceAddr {
        InstanceAddr {
            module: String::new(),
            mode: Mode::Managed,
            type_name: type_name.into(),
            name: name.into(),
            key: None,
        }
    }

    /// The same address in module `module`.
    pub fn in_module(mut self, module: impl Into<String>) -> InstanceAddr {
        self.module = module.into();
        self
    }

    /// The same address with instance key `key`.
    pub fn with_key(mut self, key: IndexKey) -> InstanceAddr {
        self.key = Some(key);
        self
    }

}

impl fmt::Display for InstanceAddr {
    /// `module.net.terraform_data.x["a"]`, `data.google_project.p`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_resource_addr(f, &self.module, self.mode, &self.type_name, &self.name)?;
        if let Some(k) = &self.key {
            write!(f, "{k}")?;
        }
        Ok(())
    }
}

fn write_resource_addr(
    f: &mut fmt::Formatter<'_>,
    module: &str,
    mode: Mode,
    type_name: &str,
    name: &str,
) -> fmt::Result {
    if !module.is_empty() {
        write!(f, "{module}.")?;
    }
    if mode == Mode::Data {
        f.write_str("data.")?;
    }
    write!(f, "{type_name}.{name}")
}

impl ResourceState {
    /// The address of instance `key` of this resource.
    pub fn instance_addr(&self, key: Option<IndexKey>) -> InstanceAddr {
        InstanceAddr {
            module: self.module.clone(),
            mode: self.mode,
            type_name: self.type_name.clone(),
            name: self.name.clone(),
            key,
        }
    }

    fn sort_key(&self) -> (&str, Mode, &str, &str) {
        (&self.module, self.mode, &self.type_name, &self.name)
    }
}

impl Default for State {
    fn default() -> Self {
        State::new()
    }
}

impl State {
    /// An empty state with a fresh lineage and serial 0.
    pub fn new() -> State {
        State {
            version: FORMAT_VERSION,
            cairn_version: Some(crate::VERSION.to_string()),
            serial: 0,
            lineage: uuid::Uuid::new_v4().to_string(),
            outputs: BTreeMap::new(),
            resources: Vec::new(),
            pending: Vec::new(),
        }
    }

    /// Whether the state records nothing (no resources, outputs or pending
    /// operations).
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty() && self.outputs.is_empty() && self.pending.is_empty()
    }

    /// The resource (all its instances) with these parts, if recorded.
    pub fn find_resource(
        &self,
        module: &str,
        mode: Mode,
        type_name: &str,
        name: &str,
    ) -> Option<&ResourceState> {
        self.resources.iter().find(|r| {
            r.module == module && r.mode == mode && r.type_name == type_name && r.name == name
        })
    }

    /// Where the resource of `addr` is. Resources are kept in canonical
    /// order (reading normalizes, inserting keeps the order; code that edits
    /// `resources` directly must call [`State::normalize`]), so this is a
    /// binary search.
    fn resource_position(&self, addr: &InstanceAddr) -> Option<usize> {
        let key = (addr.module.as_str(), addr.mode, addr.type_name.as_str(), addr.name.as_str());
        self.resources.binary_search_by(|r| r.sort_key().cmp(&key)).ok()
    }

    /// The current (not deposed) object of the instance at `addr`.
    pub fn find_instance(&self, addr: &InstanceAddr) -> Option<&InstanceState> {
        self.resources
            .get(self.resource_position(addr)?)?
            .instances
            .iter()
            .find(|i| i.index_key == addr.key && i.deposed.is_none())
    }

    /// Mutable access to the current object of the instance at `addr`.
    pub fn find_instance_mut(&mut self, addr: &InstanceAddr) -> Option<&mut InstanceState> {
        let pos = self.resource_position(addr)?;
        self.resources
            .get_mut(pos)?
            .instances
            .iter_mut()
            .find(|i| i.index_key == addr.key && i.deposed.is_none())
    }

    /// Records `instance` as the object at `addr` (its `index_key` is set
    /// from `addr`), replacing any object with the same key and deposed key.
    /// Creates the resource entry with `provider` if needed (an existing
    /// entry's provider is updated). Returns the replaced object.
    pub fn insert_instance(
        &mut self,
        addr: &InstanceAddr,
        provider: impl Into<String>,
        mut instance: InstanceState,
    ) -> Option<InstanceState> {
        instance.index_key = addr.key.clone();
        let provider = provider.into();
        let pos = match self.resource_position(addr) {
            Some(p) => p,
            None => {
                let r = ResourceState {
                    module: addr.module.clone(),
                    mode: addr.mode,
                    type_name: addr.type_name.clone(),
                    name: addr.name.clone(),
                    provider: provider.clone(),
                    instances: Vec::new(),
                    extra: Map::new(),
                };
                let at = self
                    .resources
                    .partition_point(|x| x.sort_key() < r.sort_key());
                self.resources.insert(at, r);
                at
            }
        };
        let res = &mut self.resources[pos];
        res.provider = provider;
        if let Some(existing) = res
            .instances
            .iter_mut()
            .find(|i| i.index_key == instance.index_key && i.deposed == instance.deposed)
        {
            return Some(std::mem::replace(existing, instance));
        }
        let at = res
            .instances
            .partition_point(|x| instance_order(x, &instance) == Ordering::Less);
        res.instances.insert(at, instance);
        None
    }

    /// Removes the current object at `addr` (deposed objects stay). Drops
    /// the resource entry when it has no objects left.
    pub fn remove_instance(&mut self, addr: &InstanceAddr) -> Option<InstanceState> {
        let pos = self.resource_position(addr)?;
        let res = &mut self.resources[pos];
        let i = res
            .instances
            .iter()
            .position(|i| i.index_key == addr.key && i.deposed.is_none())?;
        let removed = res.instances.remove(i);
        if res.instances.is_empty() {
            self.resources.remove(pos);
        }
        Some(removed)
    }

    /// The addresses of all recorded instances (current or deposed, each
    /// listed once), as strings like `module.net.terraform_data.x["a"]`, in
    /// state order: by module, mode, type, name, then key (numeric keys
    /// numerically).
    pub fn instance_addresses(&self) -> Vec<String> {
        let mut resources: Vec<&ResourceState> = self.resources.iter().collect();
        resources.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        let mut out = Vec::new();
        for r in resources {
            let mut keys: Vec<&Option<IndexKey>> =
                r.instances.iter().map(|i| &i.index_key).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                out.push(r.instance_addr(k.clone()).to_string());
            }
        }
        out
    }

    /// Sets root module output `name`.
    pub fn set_output(
        &mut self,
        name: impl Into<String>,
        value: Json,
        type_: Json,
        sensitive: bool,
    ) {
        self.outputs.insert(
            name.into(),
            OutputState {
                value,
                type_,
                sensitive,
            },
        );
    }

    /// Removes root module output `name`, returning it.
    pub fn remove_output(&mut self, name: &str) -> Option<OutputState> {
        self.outputs.remove(name)
    }

    /// Puts everything in the canonical order so files diff cleanly:
    /// resources by (module, mode, type, name), instances by (key, deposed),
    /// dependencies sorted and unique, JSON object keys in attributes and
    /// outputs sorted, empty resources dropped.
    pub fn normalize(&mut self) {
        self.resources.retain(|r| !r.instances.is_empty());
        self.resources
            .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        for r in &mut self.resources {
            r.instances.sort_by(instance_order);
            for i in &mut r.instances {
                i.dependencies.sort();
                i.dependencies.dedup();
                sort_json_keys(&mut i.attributes);
            }
        }
        for o in self.outputs.values_mut() {
            sort_json_keys(&mut o.value);
            sort_json_keys(&mut o.type_);
        }
    }
}

fn instance_order(a: &InstanceState, b: &InstanceState) -> Ordering {
    (&a.index_key, &a.deposed).cmp(&(&b.index_key, &b.deposed))
}

/// Recursively sorts the keys of every JSON object in `v`.
fn sort_json_keys(v: &mut Json) {
    match v {
        Json::Object(map) => {
            let mut entries: Vec<(String, Json)> = std::mem::take(map).into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            for (k, mut val) in entries {
                sort_json_keys(&mut val);
                map.insert(k, val);
            }
        }
        Json::Array(items) => items.iter_mut().for_each(sort_json_keys),
        _ => {}
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn addr(name: &str) -> InstanceAddr {
        InstanceAddr::managed("terraform_data", name)
    }

    #[test]
    fn new_state_has_fresh_lineage() {
        let a = State::new();
        let b = State::new();
        assert_eq!(a.serial, 0);
        assert_eq!(a.version, 4);
        assert_ne!(a.lineage, b.lineage);
        assert!(uuid::Uuid::parse_str(&a.lineage).is_ok());
        assert!(a.is_empty());
    }

    #[test]
    fn insert_find_remove() {
        let mut s = State::new();
        let p = "provider[\"terraform.io/builtin/terraform\"]";
        let a0 = addr("x").with_key(IndexKey::Int(0));
        assert!(s
            .insert_instance(&a0, p, InstanceState::new(json!({"id": "0"})))
            .is_none());
        let old = s.insert_instance(&a0, p, InstanceState::new(json!({"id": "0b"})));
        assert_eq!(old.map(|o| o.attributes), Some(json!({"id": "0"})));
        assert_eq!(
            s.find_instance(&a0).map(|i| &i.attributes),
            Some(&json!({"id": "0b"}))
        );
        assert_eq!(
            s.find_instance(&a0).and_then(|i| i.index_key.clone()),
            Some(IndexKey::Int(0))
        );
        assert!(s.find_instance(&addr("x")).is_none());
        if let Some(i) = s.find_instance_mut(&a0) {
            i.schema_version = 3;
        }
        assert_eq!(s.find_instance(&a0).map(|i| i.schema_version), Some(3));
        assert!(s
            .find_resource("", Mode::Managed, "terraform_data", "x")
            .is_some());
        assert!(s.remove_instance(&a0).is_some());
        assert!(s.remove_instance(&a0).is_none());
        assert!(s.resources.is_empty(), "empty resource dropped");
    }

    #[test]
    fn addresses_in_state_order() {
        let mut s = State::new();
        let p = "provider[\"terraform.io/builtin/terraform\"]";
        for k in [10, 2] {
            s.insert_instance(
                &addr("c").with_key(IndexKey::Int(k)),
                p,
                InstanceState::new(json!({})),
            );
        }
        s.insert_instance(
            &addr("x")
                .in_module("module.net")
                .with_key(IndexKey::Str("a\"b".into())),
            p,
            InstanceState::new(json!({})),
        );
        s.insert_instance(&addr("b"), p, InstanceState::new(json!({})));
        let mut d = addr("p");
        d.mode = Mode::Data;
        d.type_name = "google_project".into();
        s.insert_instance(&d, p, InstanceState::new(json!({})));
        let mut deposed = InstanceState::new(json!({}));
        deposed.deposed = Some("00000001".into());
        s.insert_instance(&addr("b"), p, deposed);
        assert_eq!(
            s.instance_addresses(),
            vec![
                "data.google_project.p",
                "terraform_data.b",
                "terraform_data.c[2]",
                "terraform_data.c[10]",
                "module.net.terraform_data.x[\"a\\\"b\"]",
            ]
        );
        let b = s
            .find_resource("", Mode::Managed, "terraform_data", "b")
            .map(|r| r.instances.len());
        assert_eq!(b, Some(2));
        // removing the current object keeps the deposed one
        assert!(s.remove_instance(&addr("b")).is_some());
        assert!(s
            .find_resource("", Mode::Managed, "terraform_data", "b")
            .is_some());
    }

    #[test]
    fn normalize_sorts_everything() {
        let mut s = State::new();
        let mut i = InstanceState::new(json!({"z": 1, "a": {"y": 2, "b": 3}}));
        i.dependencies = vec![
            "terraform_data.b".into(),
            "terraform_data.a".into(),
            "terraform_data.b".into(),
        ];
        s.resources.push(ResourceState {
            module: "module.z".into(),
            mode: Mode::Managed,
            type_name: "t".into(),
            name: "n".into(),
            provider: "p".into(),
            instances: vec![i],
            extra: Map::new(),
        });
        s.resources.push(ResourceState {
            module: String::new(),
            mode: Mode::Managed,
            type_name: "t".into(),
            name: "empty".into(),
            provider: "p".into(),
            instances: vec![],
            extra: Map::new(),
        });
        s.set_output(
            "o",
            json!({"b": 1, "a": 2}),
            json!(["object", {"b": "number", "a": "number"}]),
            false,
        );
        s.normalize();
        assert_eq!(s.resources.len(), 1);
        let i = &s.resources[0].instances[0];
        assert_eq!(i.dependencies, vec!["terraform_data.a", "terraform_data.b"]);
        assert_eq!(
            serde_json::to_string(&i.attributes).ok().as_deref(),
            Some(r#"{"a":{"b":3,"y":2},"z":1}"#)
        );
        assert_eq!(
            serde_json::to_string(&s.outputs["o"].value).ok().as_deref(),
            Some(r#"{"a":2,"b":1}"#)
        );
        assert!(s.remove_output("o").is_some());
        assert!(s.outputs.is_empty());
    }
}
