//! Plans: what cairn will do, as a reviewable, saveable artifact.
//!
//! Owns: [`Plan`], [`Change`], [`Action`] and [`OutputChange`]; the generic
//! diff of a resource instance ([`diff`]); the planner that turns evaluated
//! configuration and prior state into changes ([`planner`]); the plan file
//! ([`file`]); and rendering a plan for people ([`render`]).
//!
//! Does not own: evaluating configuration (`stack`), storing state
//! (`state`), or carrying a plan out (`apply`). Apply trusts only the plan:
//! the changes, their order, the configuration snapshot and the variable
//! values it holds.

pub mod diff;
pub mod encode;
pub mod file;
pub mod planner;
pub mod render;

use serde::{Deserialize, Serialize};

use crate::addrs::ResourceAddr;
use crate::value::Value;

/// What happens to one resource instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    NoOp,
    Create,
    /// A data source read during apply (its configuration was unknown at plan time).
    Read,
    Update,
    /// Replace by deleting first (the default).
    DeleteThenCreate,
    /// Replace by creating the new object first (`create_before_destroy`).
    CreateThenDelete,
    Delete,
}

impl Action {
    pub fn is_replace(self) -> bool {
        matches!(self, Action::DeleteThenCreate | Action::CreateThenDelete)
    }

    /// Terraform's JSON `actions` list.
    pub fn terraform_actions(self) -> &'static [&'static str] {
        match self {
            Action::NoOp => &["no-op"],
            Action::Create => &["create"],
            Action::Read => &["read"],
            Action::Update => &["update"],
            Action::DeleteThenCreate => &["delete", "create"],
            Action::CreateThenDelete => &["create", "delete"],
            Action::Delete => &["delete"],
        }
    }

    /// The symbol in plan text.
    pub fn symbol(self) -> &'static str {
        match self {
            Action::NoOp => " ",
            Action::Create => "+",
            Action::Read => "<=",
            Action::Update => "~",
            Action::DeleteThenCreate => "-/+",
            Action::CreateThenDelete => "+/-",
            Action::Delete => "-",
        }
    }
}

/// Why an action was chosen, when it is not just "the configuration says so".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Attributes that cannot change in place changed (see `replace_paths`).
    ReplaceBecauseCannotUpdate,
    /// `-replace=ADDR`
    ReplaceByRequest,
    /// `lifecycle { replace_triggered_by }`
    ReplaceByTriggers,
    /// The resource block is gone from the configuration.
    DeleteBecauseNoResourceConfig,
    /// `count` shrank.
    DeleteBecauseCountIndex,
    /// The `for_each` key is gone.
    DeleteBecauseEachKey,
    /// The module instance is gone.
    DeleteBecauseNoModule,
    /// `-destroy`
    DeleteBecauseDestroy,
}

impl Reason {
    /// Terraform's `action_reason` string in JSON plans.
    pub fn terraform_name(&self) -> &'static str {
        match self {
            Reason::ReplaceBecauseCannotUpdate => "replace_because_cannot_update",
            Reason::ReplaceByRequest => "replace_by_request",
            Reason::ReplaceByTriggers => "replace_by_triggers",
            Reason::DeleteBecauseNoResourceConfig => "delete_because_no_resource_config",
            Reason::DeleteBecauseCountIndex => "delete_because_count_index",
            Reason::DeleteBecauseEachKey => "delete_because_each_key",
            Reason::DeleteBecauseNoModule => "delete_because_no_module",
            Reason::DeleteBecauseDestroy => "delete_because_destroy",
        }
    }
}

/// One planned change to one resource instance.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub addr: ResourceAddr,
    pub action: Action,
    /// The object before (prior state, refreshed); `None` on create.
    pub before: Option<Value>,
    /// The planned object, unknowns included; `None` on delete.
    pub after: Option<Value>,
    /// Attribute paths (`triggers_replace`, `settings.tier`) forcing replacement.
    pub replace_paths: Vec<String>,
    pub reason: Option<Reason>,
    /// Resources (config addresses with module path) this one depends on.
    pub dependencies: Vec<String>,
    /// An import ID when the instance is adopted by an `import` block.
    pub import_id: Option<String>,
    /// The address this instance had in prior state, when a `moved` block renamed it.
    pub moved_from: Option<ResourceAddr>,
}

/// A root output's change.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputChange {
    pub name: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub sensitive: bool,
}

impl OutputChange {
    pub fn action(&self) -> Action {
        // State keeps no null outputs, so absent and null are the same.
        let before = self.before.as_ref().filter(|v| !v.is_null());
        let after = self.after.as_ref().filter(|v| !v.is_null());
        match (before, after) {
            (None, Some(_)) => Action::Create,
            (Some(_), None) => Action::Delete,
            (Some(b), Some(a)) if b.equals(a) && a.is_wholly_known() => Action::NoOp,
            (Some(_), Some(_)) => Action::Update,
            (None, None) => Action::NoOp,
        }
    }
}

/// Counts for the summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub add: usize,
    pub change: usize,
    pub replace: usize,
    pub destroy: usize,
    pub import: usize,
}

impl Summary {
    pub fn is_empty(&self) -> bool {
        self.add + self.change + self.replace + self.destroy + self.import == 0
    }
}

impl std::fmt::Display for Summary {
    /// `Plan: 3 to add, 1 to change, 1 to replace, 2 to destroy.`
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Plan: ")?;
        if self.import > 0 {
            write!(f, "{} to import, ", self.import)?;
        }
        write!(f, "{} to add, {} to change, ", self.add, self.change)?;
        if self.replace > 0 {
            write!(f, "{} to replace, ", self.replace)?;
        }
        write!(f, "{} to destroy.", self.destroy)
    }
}

/// Everything apply needs, and everything a reviewer reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub changes: Vec<Change>,
    /// Objects changed outside cairn, found by refresh (before vs refreshed).
    pub drift: Vec<Change>,
    pub outputs: Vec<OutputChange>,
    /// The prior state this plan was made against.
    pub prior_lineage: Option<String>,
    pub prior_serial: Option<u64>,
    pub workspace: String,
    /// `-destroy`
    pub destroy: bool,
    /// `-refresh-only`
    pub refresh_only: bool,
    /// Whether planning hit errors (an errored plan cannot be applied).
    pub errored: bool,
    /// Made against the sandbox (its data directory, "" for the default):
    /// applying it must use the sandbox too.
    pub sandbox: Option<String>,
}

impl Plan {
    /// Counts: replacements on their own, imports apart.
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for c in &self.changes {
            if c.import_id.is_some() {
                s.import += 1;
            }
            match c.action {
                Action::Create => s.add += 1,
                Action::Update => s.change += 1,
                Action::DeleteThenCreate | Action::CreateThenDelete => s.replace += 1,
                Action::Delete => s.destroy += 1,
                Action::NoOp | Action::Read => {}
            }
        }
        s
    }

    /// Whether applying would change anything (resources or outputs).
    pub fn has_changes(&self) -> bool {
        !self.summary().is_empty()
            || self.changes.iter().any(|c| c.moved_from.is_some())
            || self.outputs.iter().any(|o| o.action() != Action::NoOp)
            || (self.refresh_only && !self.drift.is_empty())
    }
}

// ---------------------------------------------------------------------------
// Between plan values and state records.

/// The state record address of a resource instance.
pub fn state_addr(addr: &ResourceAddr) -> crate::state::InstanceAddr {
    use crate::addrs::InstanceKey;
    use crate::state::{IndexKey, InstanceAddr, Mode};
    InstanceAddr {
        module: addr.module.to_string(),
        mode: match addr.mode {
            crate::addrs::ResourceMode::Managed => Mode::Managed,
            crate::addrs::ResourceMode::Data => Mode::Data,
        },
        type_name: addr.type_name.clone(),
        name: addr.name.clone(),
        key: match &addr.key {
            InstanceKey::NoKey => None,
            InstanceKey::Int(i) => Some(IndexKey::Int(*i)),
            InstanceKey::Str(s) => Some(IndexKey::Str(s.clone())),
        },
    }
}

/// An instance's attributes as a value, its sensitive paths marked.
pub fn state_value(inst: &crate::state::InstanceState) -> Value {
    encode::mark_paths(Value::from_json(&inst.attributes), &sensitive_paths(inst))
}

/// An instance's attributes as a value of its type's schema, so that what
/// the schema says is a set is a set (as a read gives it, and the diff
/// compares it), its sensitive paths marked; untyped when cairn does not
/// know the type.
pub fn typed_state_value(addr: &ResourceAddr, inst: &crate::state::InstanceState) -> Value {
    match crate::provider::lookup(addr.mode, &addr.type_name) {
        Some(t) => encode::mark_paths(Value::from_typed_json(&inst.attributes, &t.schema().value_type()), &sensitive_paths(inst)),
        None => state_value(inst),
    }
}

/// The sensitive paths of an instance, as `mark_paths` takes them.
fn sensitive_paths(inst: &crate::state::InstanceState) -> Vec<serde_json::Value> {
    use crate::state::PathStep;
    inst.sensitive_attributes
        .iter()
        .map(|p| {
            serde_json::Value::Array(
                p.iter()
                    .map(|s| match s {
                        PathStep::GetAttr(n) => serde_json::Value::String(n.clone()),
                        PathStep::Index(i) => i.clone(),
                    })
                    .collect(),
            )
        })
        .collect()
}

/// Stores a (wholly known) value into an instance record.
pub fn store_value(inst: &mut crate::state::InstanceState, value: &Value) {
    use crate::state::PathStep;
    let e = encode::encode(value);
    inst.attributes = e.value;
    inst.sensitive_attributes = encode::mask_paths(&e.sensitive)
        .into_iter()
        .map(|p| match p {
            serde_json::Value::Array(steps) => steps
                .into_iter()
                .map(|s| match s {
                    serde_json::Value::String(n) => PathStep::GetAttr(n),
                    other => PathStep::Index(other),
                })
                .collect(),
            _ => Vec::new(),
        })
        .collect();
}
