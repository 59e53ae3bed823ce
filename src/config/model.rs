//! The static configuration model: what a module's files declare, with
//! expressions left unevaluated and every declaration located.

use indexmap::IndexMap;
use std::path::PathBuf;

use crate::addrs::ResourceMode;
use crate::diag::Span;
use crate::syntax::ast::{Body, Expr};
use crate::value::Type;

/// A loaded stack: the root module and, recursively, the modules it calls.
#[derive(Debug, Clone)]
pub struct Config {
    pub module: Module,
    /// Child modules by call name.
    pub children: IndexMap<String, Config>,
    /// The call path from the root (`["net", "subnets"]`), empty for the root.
    pub path: Vec<String>,
}

impl Config {
    /// Visits this module and every descendant, parents first.
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Config)) {
        f(self);
        for child in self.children.values() {
            child.walk(f);
        }
    }

    /// The descendant at a call path.
    pub fn descendant(&self, path: &[String]) -> Option<&Config> {
        match path.split_first() {
            None => Some(self),
            Some((first, rest)) => self.children.get(first)?.descendant(rest),
        }
    }
}

/// One module: the blocks of every `*.tf` and `*.tf.json` file in a directory.
#[derive(Debug, Clone, Default)]
pub struct Module {
    pub dir: PathBuf,
    pub terraform: TerraformSettings,
    pub providers: Vec<ProviderConfig>,
    pub variables: IndexMap<String, Variable>,
    pub locals: IndexMap<String, Local>,
    pub outputs: IndexMap<String, Output>,
    /// Keyed by `type.name` (managed) or `data.type.name` (data).
    pub resources: IndexMap<String, Resource>,
    pub module_calls: IndexMap<String, ModuleCall>,
    pub moved: Vec<Moved>,
    pub imports: Vec<Import>,
    pub checks: Vec<Check>,
}

#[derive(Debug, Clone, Default)]
pub struct TerraformSettings {
    pub required_version: Option<(String, Span)>,
    pub backend: Option<Backend>,
    /// Local name -> (source, version constraint).
    pub required_providers: IndexMap<String, (Option<String>, Option<String>)>,
}

#[derive(Debug, Clone)]
pub struct Backend {
    pub kind: String,
    pub body: Body,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct ProviderConfig {
    pub name: String,
    pub alias: Option<String>,
    pub body: Body,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Variable {
    pub name: String,
    pub ty: Type,
    /// Whether a `type` was given (an absent type accepts anything as is).
    pub has_type: bool,
    pub default: Option<Expr>,
    pub description: Option<String>,
    pub sensitive: bool,
    pub nullable: bool,
    pub validations: Vec<Condition>,
    pub span: Span,
}

/// A `validation`, `precondition` or `postcondition` block, or a `check` assertion.
#[derive(Debug, Clone)]
pub struct Condition {
    pub condition: Expr,
    pub error_message: Expr,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Local {
    pub name: String,
    pub expr: Expr,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Output {
    pub name: String,
    pub expr: Expr,
    pub description: Option<String>,
    pub sensitive: bool,
    pub depends_on: Vec<Expr>,
    pub preconditions: Vec<Condition>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Resource {
    pub mode: ResourceMode,
    pub type_name: String,
    pub name: String,
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    pub depends_on: Vec<Expr>,
    /// `provider = google.west`: (provider name, alias).
    pub provider: Option<(String, Option<String>, Span)>,
    pub lifecycle: Lifecycle,
    /// The resource's own arguments and nested blocks (meta-arguments removed).
    pub body: Body,
    /// The `resource "type" "name"` header.
    pub decl_span: Span,
    /// The whole block.
    pub span: Span,
}

impl Resource {
    /// `type.name` or `data.type.name`.
    pub fn key(&self) -> String {
        resource_key(self.mode, &self.type_name, &self.name)
    }
}

pub fn resource_key(mode: ResourceMode, type_name: &str, name: &str) -> String {
    match mode {
        ResourceMode::Managed => format!("{type_name}.{name}"),
        ResourceMode::Data => format!("data.{type_name}.{name}"),
    }
}

#[derive(Debug, Clone, Default)]
pub struct Lifecycle {
    pub create_before_destroy: Option<Expr>,
    pub prevent_destroy: Option<Expr>,
    pub ignore_changes: IgnoreChanges,
    pub replace_triggered_by: Vec<Expr>,
    pub preconditions: Vec<Condition>,
    pub postconditions: Vec<Condition>,
}

#[derive(Debug, Clone, Default)]
pub enum IgnoreChanges {
    #[default]
    None,
    /// `ignore_changes = all`
    All,
    /// Attribute paths, as traversal expressions (`tags["a"]`, `labels`).
    Paths(Vec<Expr>),
}

#[derive(Debug, Clone)]
pub struct ModuleCall {
    pub name: String,
    pub source: String,
    pub source_span: Span,
    pub version: Option<String>,
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    pub depends_on: Vec<Expr>,
    /// `providers = { google = google.west }`
    pub providers: Vec<(Expr, Expr)>,
    /// Input variables for the child module.
    pub inputs: IndexMap<String, crate::syntax::ast::Attribute>,
    pub decl_span: Span,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Moved {
    pub from: Expr,
    pub to: Expr,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Import {
    pub to: Expr,
    pub id: Expr,
    pub for_each: Option<Expr>,
    pub provider: Option<Expr>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Check {
    pub name: String,
    pub data: Vec<Resource>,
    pub asserts: Vec<Condition>,
    pub span: Span,
}
