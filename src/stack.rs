//! Evaluating a whole stack: the named objects of every module (variables,
//! locals, resources, data sources, module calls, outputs), wired into one
//! dependency graph by their references, evaluated in dependency order into
//! resource instances.
//!
//! Owns: the object graph (and its cycle diagnostics), reference checking
//! (undeclared variables, resources, modules; `each`/`count` outside their
//! context), `count`/`for_each` expansion of resources and modules, module
//! inputs and outputs, variable validation, checking resource bodies against
//! their schemas (including `dynamic` blocks) and their types' own checks
//! (`ResourceType::validate_config`, reported at the argument), output
//! sensitivity, and conditions.
//!
//! Does not own: parsing or loading files (`config`), single expressions
//! (`eval`), prior state or diffs (the planner).
//!
//! Two modes: [`Mode::Validate`] evaluates each block once with unknown
//! variables, `each` and `count` (as `terraform validate` does);
//! [`Mode::Plan`] uses real variable values and expands every instance.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use indexmap::IndexMap;

use crate::addrs::{InstanceKey, ResourceMode};
use crate::config::model::{Condition, Config, Module, Resource};
use crate::config::schema::{self, BlockSchema, Nesting, Schema};
use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::eval::refs::{self, Reference};
use crate::eval::{Evaluator, FuncContext, Scope};
use crate::graph::DepGraph;
use crate::syntax::ast::{Block, Body, Expr, ExprKind};
use crate::value::{convert, Type, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Validate,
    Plan,
}

/// What the stack evaluation needs besides the configuration.
#[derive(Debug, Clone)]
pub struct Options {
    pub mode: Mode,
    /// Root module variable values (already typed), by name.
    pub variables: IndexMap<String, Value>,
    pub workspace: String,
    /// The working directory (`path.cwd`) and root module directory (`path.root`).
    pub cwd: PathBuf,
    pub root_dir: PathBuf,
}

/// A named object of one module (not yet expanded into instances).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Node {
    /// The module call path (`["net"]` for `module.net`).
    pub module: Vec<String>,
    pub kind: NodeKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodeKind {
    Var(String),
    Local(String),
    /// A managed or data resource, by its key (`type.name` / `data.type.name`).
    Resource(String),
    ModuleCall(String),
    Output(String),
}

impl std::fmt::Display for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for m in &self.module {
            write!(f, "module.{m}.")?;
        }
        match &self.kind {
            NodeKind::Var(n) => write!(f, "var.{n}"),
            NodeKind::Local(n) => write!(f, "local.{n}"),
            NodeKind::Resource(k) => write!(f, "{k}"),
            NodeKind::ModuleCall(n) => write!(f, "module.{n}"),
            NodeKind::Output(n) => write!(f, "output.{n}"),
        }
    }
}

/// A module instance: the call path with each step's instance key.
pub type ModuleInstance = Vec<(String, InstanceKey)>;

/// The typed module path of a module instance.
pub fn module_path(mi: &ModuleInstance) -> crate::addrs::ModulePath {
    crate::addrs::ModulePath(mi.iter().map(|(n, k)| crate::addrs::ModuleStep { name: n.clone(), key: k.clone() }).collect())
}

/// Display `module.a["x"].module.b` for a module instance.
pub fn module_instance_string(mi: &ModuleInstance) -> String {
    mi.iter().map(|(n, k)| format!("module.{n}{k}")).collect::<Vec<_>>().join(".")
}

/// One desired resource instance, as the configuration asks for it.
#[derive(Debug, Clone)]
pub struct ResourceInstance {
    pub module: ModuleInstance,
    pub mode: ResourceMode,
    pub type_name: String,
    pub name: String,
    pub key: InstanceKey,
    /// The configured arguments (object; computed attributes unknown).
    pub value: Value,
    /// Resources (config keys with module path) this one depends on directly.
    pub dependencies: Vec<String>,
    /// The instance's `each` (key, value) and `count.index`, for conditions.
    pub each: Option<(Value, Value)>,
    pub count: Option<Value>,
}

impl ResourceInstance {
    /// The instance's typed address.
    pub fn addr(&self) -> crate::addrs::ResourceAddr {
        crate::addrs::ResourceAddr {
            module: module_path(&self.module),
            mode: self.mode,
            type_name: self.type_name.clone(),
            name: self.name.clone(),
            key: self.key.clone(),
        }
    }

    /// `type.name` (or `data.type.name`): the resource's key in its module.
    pub fn resource_key(&self) -> String {
        crate::config::model::resource_key(self.mode, &self.type_name, &self.name)
    }

    /// The instance's address in Terraform syntax.
    pub fn address(&self) -> String {
        let mut s = module_instance_string(&self.module);
        if !s.is_empty() {
            s.push('.');
        }
        if self.mode == ResourceMode::Data {
            s.push_str("data.");
        }
        s.push_str(&format!("{}.{}{}", self.type_name, self.name, self.key));
        s
    }
}

/// The result of evaluating a stack.
#[derive(Debug, Default)]
pub struct Evaluated {
    pub instances: Vec<ResourceInstance>,
    /// Root module outputs (sensitive ones marked).
    pub outputs: IndexMap<String, Value>,
    /// The object graph.
    pub graph: DepGraph<Node>,
}

impl Evaluated {
    /// The resource-level graph: each resource depends on the resources it
    /// reaches through variables, locals, outputs and module calls.
    pub fn resource_graph(&self) -> DepGraph<Node> {
        let mut g = DepGraph::new();
        let resources: Vec<&Node> = self.graph.nodes().filter(|n| matches!(n.kind, NodeKind::Resource(_))).collect();
        for r in &resources {
            g.add((*r).clone());
            for dep in resource_deps(&self.graph, r) {
                g.depend(r, &dep);
            }
        }
        g
    }
}

/// The resources `node` reaches through non-resource nodes.
fn resource_deps(graph: &DepGraph<Node>, node: &Node) -> Vec<Node> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut stack: Vec<&Node> = graph.dependencies(node);
    while let Some(n) = stack.pop() {
        if !seen.insert(n) {
            continue;
        }
        if matches!(n.kind, NodeKind::Resource(_)) {
            out.push(n.clone());
        } else {
            stack.extend(graph.dependencies(n));
        }
    }
    out.sort();
    out
}

/// Evaluates a loaded stack.
pub fn evaluate(config: &Config, options: &Options) -> (Evaluated, Diagnostics) {
    evaluate_with(config, options, &mut ConfigOnly)
}

/// Evaluates a loaded stack, handing each resource instance to `hook`.
pub fn evaluate_with(config: &Config, options: &Options, hook: &mut dyn InstanceHook) -> (Evaluated, Diagnostics) {
    let (graph, mut diags) = build(config);
    let cycles = graph.cycles();
    let mut walker = Walker::new(config, options, &graph);
    if cycles.is_empty() {
        for node in graph.dependency_order() {
            walker.eval_node(&node, &mut *hook);
        }
    }
    if cycles.is_empty() {
        walker.run_checks();
    }
    let (instances, outputs, walk_diags) = walker.finish();
    diags.extend(walk_diags);
    (Evaluated { instances, outputs, graph }, diags)
}

/// Builds the object graph of a stack, reporting bad references and cycles.
pub fn build(config: &Config) -> (DepGraph<Node>, Diagnostics) {
    let mut diags = Diagnostics::new();
    let graph = build_graph(config, &mut diags);
    for cycle in &graph.cycles() {
        diags.push(cycle_diagnostic(config, cycle));
    }
    (graph, diags)
}

/// Receives each resource instance's evaluated configuration during a walk
/// and answers with the value references to it will see (the planner's
/// planned value).
pub trait InstanceHook {
    fn instance(&mut self, resource: &Resource, instance: &ResourceInstance) -> Value;
}

/// The hook of validate and graph: references see the configuration, with
/// unset computed attributes unknown.
pub struct ConfigOnly;

impl InstanceHook for ConfigOnly {
    fn instance(&mut self, resource: &Resource, instance: &ResourceInstance) -> Value {
        match schema::lookup(resource.mode, &resource.type_name) {
            Some(schema) => planned_value(schema, instance.value.clone()),
            None => Value::unknown(),
        }
    }
}

fn cycle_diagnostic(config: &Config, cycle: &[Node]) -> Diagnostic {
    let names: Vec<String> = cycle.iter().map(|n| n.to_string()).collect();
    let mut detail = String::from("These objects refer to each other, so none can be evaluated first:\n");
    for n in cycle {
        detail.push_str(&format!("  - {n}\n"));
    }
    detail.push_str("Break the loop by removing one of the references (or a depends_on).");
    let mut d = Diagnostic::error(format!("Cycle: {}", names.join(", "))).with_detail(detail);
    if let Some(span) = cycle.first().and_then(|n| node_span(config, n)) {
        d = d.with_subject(span);
    }
    d
}

fn node_span(config: &Config, node: &Node) -> Option<Span> {
    let m = &config.descendant(&node.module)?.module;
    Some(match &node.kind {
        NodeKind::Var(n) => m.variables.get(n)?.span,
        NodeKind::Local(n) => m.locals.get(n)?.span,
        NodeKind::Resource(k) => m.resources.get(k)?.decl_span,
        NodeKind::ModuleCall(n) => m.module_calls.get(n)?.decl_span,
        NodeKind::Output(n) => m.outputs.get(n)?.span,
    })
}

// ---------------------------------------------------------------------------
// Graph building: static, from references.

/// Where `each` and `count` may be used in an expression.
#[derive(Clone, Copy)]
struct RefContext {
    each: bool,
    count: bool,
    self_ok: bool,
}

const NO_ITER: RefContext = RefContext { each: false, count: false, self_ok: false };

fn build_graph(config: &Config, diags: &mut Diagnostics) -> DepGraph<Node> {
    let mut g = DepGraph::new();
    config.walk(&mut |c| {
        let path = &c.path;
        let m = &c.module;
        let node = |kind| Node { module: path.clone(), kind };
        for name in m.variables.keys() {
            let n = node(NodeKind::Var(name.clone()));
            g.add(n.clone());
            if let Some((call, parent)) = path.split_last() {
                g.depend(&n, &Node { module: parent.to_vec(), kind: NodeKind::ModuleCall(call.clone()) });
            }
        }
        for (name, local) in &m.locals {
            let n = node(NodeKind::Local(name.clone()));
            g.add(n.clone());
            add_refs(&mut g, c, &n, &local.expr, NO_ITER, diags);
        }
        for (key, r) in &m.resources {
            let n = node(NodeKind::Resource(key.clone()));
            g.add(n.clone());
            let ctx = RefContext { each: r.for_each.is_some(), count: r.count.is_some(), self_ok: false };
            for e in r.count.iter().chain(r.for_each.iter()) {
                add_refs(&mut g, c, &n, e, NO_ITER, diags);
            }
            for e in &r.depends_on {
                add_refs(&mut g, c, &n, e, NO_ITER, diags);
            }
            for_each_body_expr(&r.body, &mut |e| add_refs(&mut g, c, &n, e, ctx, diags));
            for e in &r.lifecycle.replace_triggered_by {
                add_refs(&mut g, c, &n, e, ctx, diags);
            }
            for cond in r.lifecycle.preconditions.iter() {
                add_condition_refs(&mut g, c, &n, cond, ctx, diags);
            }
            let post = RefContext { self_ok: true, ..ctx };
            for cond in r.lifecycle.postconditions.iter() {
                add_condition_refs(&mut g, c, &n, cond, post, diags);
            }
        }
        for (name, call) in &m.module_calls {
            let n = node(NodeKind::ModuleCall(name.clone()));
            g.add(n.clone());
            let ctx = RefContext { each: call.for_each.is_some(), count: call.count.is_some(), self_ok: false };
            for e in call.count.iter().chain(call.for_each.iter()) {
                add_refs(&mut g, c, &n, e, NO_ITER, diags);
            }
            for e in &call.depends_on {
                add_refs(&mut g, c, &n, e, NO_ITER, diags);
            }
            for attr in call.inputs.values() {
                add_refs(&mut g, c, &n, &attr.expr, ctx, diags);
            }
            if let Some(child) = c.children.get(name) {
                for (input, attr) in &call.inputs {
                    if !child.module.variables.contains_key(input) {
                        diags.push(
                            Diagnostic::error("Unsupported argument")
                                .with_detail(format!("An argument named \"{input}\" is not expected here: module \"{name}\" declares no variable of that name."))
                                .with_subject(attr.name.span),
                        );
                    }
                }
                for (vname, var) in &child.module.variables {
                    if var.default.is_none() && !call.inputs.contains_key(vname) {
                        diags.push(
                            Diagnostic::error("Missing required argument")
                                .with_detail(format!("The argument \"{vname}\" is required by module \"{name}\", but no definition was found."))
                                .with_subject(call.decl_span),
                        );
                    }
                }
            }
        }
        for (name, out) in &m.outputs {
            let n = node(NodeKind::Output(name.clone()));
            g.add(n.clone());
            add_refs(&mut g, c, &n, &out.expr, NO_ITER, diags);
            for e in &out.depends_on {
                add_refs(&mut g, c, &n, e, NO_ITER, diags);
            }
            for cond in &out.preconditions {
                add_condition_refs(&mut g, c, &n, cond, NO_ITER, diags);
            }
        }
        for check in &m.checks {
            for cond in &check.asserts {
                // Checks depend on things but nothing depends on them: they
                // are evaluated last and need no node of their own.
                check_refs(c, &cond.condition, NO_ITER, diags);
                check_refs(c, &cond.error_message, NO_ITER, diags);
            }
        }
        for v in m.variables.values() {
            for cond in &v.validations {
                // Validations may refer to their own variable (and, since
                // Terraform 1.9, to other objects); check the references exist.
                check_refs(c, &cond.condition, NO_ITER, diags);
            }
        }
    });
    g
}

fn add_condition_refs(g: &mut DepGraph<Node>, c: &Config, n: &Node, cond: &Condition, ctx: RefContext, diags: &mut Diagnostics) {
    add_refs(g, c, n, &cond.condition, ctx, diags);
    add_refs(g, c, n, &cond.error_message, ctx, diags);
}

/// Checks the references of `expr` and adds an edge from `from` to each target.
fn add_refs(g: &mut DepGraph<Node>, c: &Config, from: &Node, expr: &Expr, ctx: RefContext, diags: &mut Diagnostics) {
    for target in check_refs(c, expr, ctx, diags) {
        // A resource's own postconditions may refer to it through self only;
        // a direct self-reference is a cycle Terraform reports too.
        g.depend(from, &target);
    }
}

/// Validates each reference in `expr` and returns the nodes they name.
fn check_refs(c: &Config, expr: &Expr, ctx: RefContext, diags: &mut Diagnostics) -> Vec<Node> {
    let m = &c.module;
    let mut out = Vec::new();
    for found in refs::references(expr) {
        let node = |kind| Node { module: c.path.clone(), kind };
        match &found.reference {
            Reference::Var(name) => {
                if m.variables.contains_key(name) {
                    out.push(node(NodeKind::Var(name.clone())));
                } else {
                    diags.push(undeclared("input variable", &format!("variable \"{name}\""), found.span, c.path.is_empty()));
                }
            }
            Reference::Local(name) => {
                if m.locals.contains_key(name) {
                    out.push(node(NodeKind::Local(name.clone())));
                } else {
                    diags.push(
                        Diagnostic::error("Reference to undeclared local value")
                            .with_detail(format!("A local value with the name \"{name}\" has not been declared."))
                            .with_subject(found.span),
                    );
                }
            }
            Reference::Resource { type_name, name } | Reference::Data { type_name, name } => {
                let mode = if matches!(found.reference, Reference::Data { .. }) { ResourceMode::Data } else { ResourceMode::Managed };
                let key = crate::config::model::resource_key(mode, type_name, name);
                if m.resources.contains_key(&key) {
                    out.push(node(NodeKind::Resource(key)));
                } else if m.checks.iter().any(|ch| ch.data.iter().any(|d| d.key() == key)) {
                    // Scoped data sources of check blocks: no graph edge.
                } else {
                    let what = if mode == ResourceMode::Data { "data resource" } else { "resource" };
                    diags.push(
                        Diagnostic::error(format!("Reference to undeclared {what}"))
                            .with_detail(format!(
                                "A {what} \"{type_name}\" \"{name}\" has not been declared in {}.",
                                if c.path.is_empty() { "the root module".to_string() } else { format!("module.{}", c.path.join(".module.")) }
                            ))
                            .with_subject(found.span),
                    );
                }
            }
            Reference::Module(name) => {
                if m.module_calls.contains_key(name) {
                    let mut child = c.path.clone();
                    child.push(name.clone());
                    match c.children.get(name) {
                        Some(cc) if !cc.module.outputs.is_empty() => {
                            for o in cc.module.outputs.keys() {
                                out.push(Node { module: child.clone(), kind: NodeKind::Output(o.clone()) });
                            }
                        }
                        _ => out.push(node(NodeKind::ModuleCall(name.clone()))),
                    }
                } else {
                    diags.push(
                        Diagnostic::error("Reference to undeclared module")
                            .with_detail(format!("No module call named \"{name}\" is declared in this module."))
                            .with_subject(found.span),
                    );
                }
            }
            Reference::Each => {
                if !ctx.each {
                    diags.push(
                        Diagnostic::error("Reference to \"each\" in context without for_each")
                            .with_detail("The \"each\" object can be used only in \"module\" or \"resource\" blocks, and only when the \"for_each\" argument is set.")
                            .with_subject(found.span),
                    );
                }
            }
            Reference::Count => {
                if !ctx.count {
                    diags.push(
                        Diagnostic::error("Reference to \"count\" in non-counted context")
                            .with_detail("The \"count\" object can only be used in \"module\", \"resource\", and \"data\" blocks, and only when the \"count\" argument is set.")
                            .with_subject(found.span),
                    );
                }
            }
            Reference::SelfRef => {
                if !ctx.self_ok {
                    diags.push(
                        Diagnostic::error("Invalid \"self\" reference")
                            .with_detail("The \"self\" object is not available in this context. It is only available in a resource's postcondition, connection and provisioner blocks.")
                            .with_subject(found.span),
                    );
                }
            }
            Reference::Path(attr) => {
                if !matches!(attr.as_str(), "module" | "root" | "cwd") {
                    diags.push(
                        Diagnostic::error("Invalid \"path\" attribute")
                            .with_detail(format!("The \"path\" object does not have an attribute named \"{attr}\". The supported attributes are path.cwd, path.module, and path.root."))
                            .with_subject(found.span),
                    );
                }
            }
            Reference::Terraform(attr) => {
                if attr != "workspace" {
                    diags.push(
                        Diagnostic::error("Invalid \"terraform\" attribute")
                            .with_detail(format!("The \"terraform\" object does not have an attribute named \"{attr}\". The only supported attribute is terraform.workspace."))
                            .with_subject(found.span),
                    );
                }
            }
        }
    }
    out
}

fn undeclared(what: &str, decl: &str, span: Span, root: bool) -> Diagnostic {
    let hint = if root {
        format!("An {what} with the name must be declared: add a {decl} block.")
    } else {
        format!("An {what} with this name must be declared in this module with a {decl} block.")
    };
    Diagnostic::error(format!("Reference to undeclared {what}")).with_detail(hint).with_subject(span)
}

/// Calls `f` on every expression of a resource body, nested blocks and
/// dynamic blocks included.
fn for_each_body_expr<'a>(body: &'a Body, f: &mut dyn FnMut(&'a Expr)) {
    for a in &body.attributes {
        f(&a.expr);
    }
    for b in &body.blocks {
        for_each_body_expr(&b.body, f);
    }
}

// ---------------------------------------------------------------------------
// Evaluation.

#[derive(Default)]
struct ModuleValues {
    vars: HashMap<String, Value>,
    locals: HashMap<String, Value>,
    resources: HashMap<String, Value>,
    module_calls: HashMap<String, Value>,
    outputs: BTreeMap<String, Value>,
    /// Inputs given by the parent's module call, for this instance.
    inputs: HashMap<String, Value>,
}

#[derive(Default)]
struct Store {
    /// Instances of each module (by config path).
    module_instances: HashMap<Vec<String>, Vec<ModuleInstance>>,
    modules: HashMap<ModuleInstance, ModuleValues>,
}

pub struct Walker<'a> {
    config: &'a Config,
    options: &'a Options,
    store: Store,
    instances: Vec<ResourceInstance>,
    diags: Diagnostics,
    graph: &'a DepGraph<Node>,
}

/// The scope of one module instance, with optional `each`/`count` bindings.
struct InstanceScope<'a> {
    store: &'a Store,
    module: &'a ModuleInstance,
    dir: &'a PathBuf,
    options: &'a Options,
    each: Option<(Value, Value)>,
    count: Option<Value>,
}

impl Scope for InstanceScope<'_> {
    fn lookup(&self, reference: &Reference, span: Span) -> Result<Value, Diagnostic> {
        let values = self.store.modules.get(self.module);
        let missing = || Ok(Value::Unknown(Type::Any));
        match reference {
            Reference::Var(n) => values.and_then(|m| m.vars.get(n)).cloned().map_or_else(missing, Ok),
            Reference::Local(n) => values.and_then(|m| m.locals.get(n)).cloned().map_or_else(missing, Ok),
            Reference::Resource { type_name, name } => values
                .and_then(|m| m.resources.get(&format!("{type_name}.{name}")))
                .cloned()
                .map_or_else(missing, Ok),
            Reference::Data { type_name, name } => values
                .and_then(|m| m.resources.get(&format!("data.{type_name}.{name}")))
                .cloned()
                .map_or_else(missing, Ok),
            Reference::Module(n) => values.and_then(|m| m.module_calls.get(n)).cloned().map_or_else(missing, Ok),
            // Misplaced `each`, `count`, `self` and bad `path` attributes were
            // reported when the graph was built; evaluation goes on with unknowns.
            Reference::Each => Ok(match &self.each {
                Some((k, v)) => Value::object([("key", k.clone()), ("value", v.clone())]),
                None => Value::unknown(),
            }),
            Reference::Count => Ok(match &self.count {
                Some(i) => Value::object([("index", i.clone())]),
                None => Value::unknown(),
            }),
            Reference::Path(attr) => {
                let p = match attr.as_str() {
                    "module" => relative_display(self.dir, &self.options.cwd),
                    "root" => relative_display(&self.options.root_dir, &self.options.cwd),
                    "cwd" => self.options.cwd.display().to_string(),
                    _ => return Ok(Value::Unknown(Type::String)),
                };
                Ok(Value::String(p))
            }
            Reference::Terraform(_) => Ok(Value::String(self.options.workspace.clone())),
            Reference::SelfRef => {
                let _ = span;
                Ok(Value::unknown())
            }
        }
    }
}

/// `path.module` is relative to the working directory, as in Terraform.
fn relative_display(dir: &std::path::Path, cwd: &std::path::Path) -> String {
    let rel = dir.strip_prefix(cwd).map(|p| p.to_path_buf()).unwrap_or_else(|_| dir.to_path_buf());
    let s = rel.display().to_string();
    if s.is_empty() {
        ".".into()
    } else {
        s
    }
}

impl<'a> Walker<'a> {
    pub fn new(config: &'a Config, options: &'a Options, graph: &'a DepGraph<Node>) -> Walker<'a> {
        let mut store = Store::default();
        store.module_instances.insert(Vec::new(), vec![Vec::new()]);
        Walker { config, options, store, instances: Vec::new(), diags: Diagnostics::new(), graph }
    }

    /// Evaluates the root module's `check` assertions: a failed one is a
    /// warning (checks never block a plan or apply), an unknown one is left
    /// for apply.
    pub fn run_checks(&mut self) {
        if self.options.mode != Mode::Plan {
            return;
        }
        let root: ModuleInstance = Vec::new();
        for check in &self.config.module.checks {
            for cond in &check.asserts {
                let Some(v) = self.eval_expr(&[], &root, &cond.condition, None, None) else { continue };
                if v.as_bool() == Some(false) {
                    let message = self.condition_message(&[], &root, cond);
                    self.diags.push(
                        Diagnostic::warning(format!("Check block assertion failed: {}", check.name))
                            .with_detail(message)
                            .with_subject(cond.condition.span),
                    );
                }
            }
        }
    }

    /// The instances evaluated so far, the root outputs and the diagnostics.
    pub fn finish(self) -> (Vec<ResourceInstance>, IndexMap<String, Value>, Diagnostics) {
        let outputs = self.store.modules.get(&Vec::new()).map(|m| m.outputs.clone()).unwrap_or_default();
        (self.instances, outputs.into_iter().collect(), self.diags)
    }

    /// The module instances of a module (by config path) known so far.
    pub fn module_instances(&self, path: &[String]) -> Vec<ModuleInstance> {
        self.store.module_instances.get(path).cloned().unwrap_or_default()
    }

    /// Evaluates the instances of a resource node for every instance of its
    /// module, without storing values (apply stores them as objects are made).
    pub fn resource_instance_configs(&mut self, node: &Node) -> Vec<ResourceInstance> {
        let NodeKind::Resource(key) = &node.kind else { return Vec::new() };
        let mut out = Vec::new();
        for mi in self.module_instances(&node.module) {
            if let Some(list) = self.instance_configs(node, &mi, key) {
                out.extend(list);
            }
        }
        out
    }

    /// Diagnostics so far (taken).
    pub fn take_diagnostics(&mut self) -> Diagnostics {
        std::mem::take(&mut self.diags)
    }

    fn module_config(&self, path: &[String]) -> &'a Module {
        &self.config.descendant(path).expect("graph nodes come from the config").module
    }

    fn funcs_for(&self, path: &[String]) -> FuncContext {
        let _ = path;
        FuncContext { base_dir: self.options.cwd.clone(), defer_impure: true }
    }

    /// Evaluates one node of the object graph for every instance of its
    /// module. Its dependencies must have been evaluated.
    pub fn eval_node(&mut self, node: &Node, hook: &mut dyn InstanceHook) {
        let instances = self.store.module_instances.get(&node.module).cloned().unwrap_or_default();
        for mi in instances {
            match &node.kind {
                NodeKind::Var(name) => self.eval_var(node, &mi, name),
                NodeKind::Local(name) => {
                    let m = self.module_config(&node.module);
                    let local = &m.locals[name];
                    let v = self.eval_expr(&node.module, &mi, &local.expr, None, None).unwrap_or(Value::Unknown(Type::Any));
                    self.values(&mi).locals.insert(name.clone(), v);
                }
                NodeKind::Output(name) => self.eval_output(node, &mi, name),
                NodeKind::Resource(key) => self.eval_resource(node, &mi, key, &mut *hook),
                NodeKind::ModuleCall(name) => self.eval_module_call(node, &mi, name),
            }
        }
    }

    fn values(&mut self, mi: &ModuleInstance) -> &mut ModuleValues {
        self.store.modules.entry(mi.clone()).or_default()
    }

    fn eval_expr(&mut self, path: &[String], mi: &ModuleInstance, expr: &Expr, each: Option<(Value, Value)>, count: Option<Value>) -> Option<Value> {
        let dir = self.module_config(path).dir.clone();
        let funcs = self.funcs_for(path);
        let scope = InstanceScope { store: &self.store, module: mi, dir: &dir, options: self.options, each, count };
        let mut ev = Evaluator::new(&scope, &funcs);
        match ev.eval(expr) {
            Ok(v) => Some(v),
            Err(d) => {
                self.diags.push(d);
                None
            }
        }
    }

    fn eval_var(&mut self, node: &Node, mi: &ModuleInstance, name: &str) {
        let m = self.module_config(&node.module);
        let var = &m.variables[name];
        let value = if node.module.is_empty() {
            match self.options.variables.get(name) {
                Some(v) => v.clone(),
                None if self.options.mode == Mode::Validate => Value::Unknown(var.ty.clone()).mark_if(var.sensitive),
                None => return,
            }
        } else {
            let given = self.store.modules.get(mi).and_then(|v| v.inputs.get(name)).cloned();
            let raw = match given {
                Some(v) if !(v.is_null() && var.default.is_some()) => v,
                _ => match &var.default {
                    Some(d) => {
                        let funcs = self.funcs_for(&node.module);
                        let mut ev = Evaluator::new(&crate::eval::EmptyScope, &funcs);
                        match ev.eval(d) {
                            Ok(v) => v,
                            Err(e) => {
                                self.diags.push(e);
                                Value::Unknown(var.ty.clone())
                            }
                        }
                    }
                    None => Value::Unknown(var.ty.clone()),
                },
            };
            match crate::config::variables::finish_variable(var, raw, &mut self.diags) {
                Some(v) => v,
                None => Value::Unknown(var.ty.clone()),
            }
        };
        self.values(mi).vars.insert(name.to_string(), value.clone());
        // Validation conditions see the value as var.<name>.
        for cond in &var.validations {
            let Some(ok) = self.eval_expr(&node.module, mi, &cond.condition, None, None) else { continue };
            match ok.unmarked() {
                Value::Bool(true) | Value::Unknown(_) => {}
                Value::Bool(false) => {
                    let msg = self.condition_message(&node.module, mi, cond);
                    self.diags.push(
                        Diagnostic::error("Invalid value for variable")
                            .with_detail(msg)
                            .with_subject(var.span),
                    );
                }
                other => self.diags.push(
                    Diagnostic::error("Invalid validation result")
                        .with_detail(format!("The condition must return true or false, not {}.", other.type_name()))
                        .with_subject(cond.condition.span),
                ),
            }
        }
    }

    fn condition_message(&mut self, path: &[String], mi: &ModuleInstance, cond: &Condition) -> String {
        match self.eval_expr(path, mi, &cond.error_message, None, None) {
            Some(v) if v.contains_sensitive() => "(error message contains sensitive values)".into(),
            Some(v) => v.as_str().map(str::to_string).unwrap_or_else(|| "(error message is not a string)".into()),
            None => "(error message could not be evaluated)".into(),
        }
    }

    fn eval_output(&mut self, node: &Node, mi: &ModuleInstance, name: &str) {
        let m = self.module_config(&node.module);
        let out = &m.outputs[name];
        for cond in &out.preconditions {
            if let Some(v) = self.eval_expr(&node.module, mi, &cond.condition, None, None) {
                if v.as_bool() == Some(false) {
                    let msg = self.condition_message(&node.module, mi, cond);
                    self.diags.push(
                        Diagnostic::error("Module output value precondition failed")
                            .with_detail(msg)
                            .with_subject(cond.condition.span),
                    );
                }
            }
        }
        let Some(value) = self.eval_expr(&node.module, mi, &out.expr, None, None) else { return };
        if value.contains_sensitive() && !out.sensitive && node.module.is_empty() {
            self.diags.push(
                Diagnostic::error("Output refers to sensitive values")
                    .with_detail("To reduce the risk of accidentally exporting sensitive data that was intended to be only internal, cairn requires that any root module output containing sensitive data be explicitly marked as sensitive, to confirm your intent.\n\nIf you do intend to export this data, annotate the output value as sensitive by adding the following argument:\n    sensitive = true")
                    .with_subject(out.span),
            );
        }
        let value = value.mark_if(out.sensitive);
        self.values(mi).outputs.insert(name.to_string(), value);
        // Refresh the parent's view of this module instance's outputs.
        if let Some(((call, key), parent)) = mi.split_last().map(|(l, p)| (l.clone(), p.to_vec())) {
            let outputs = Value::Object(self.values(mi).outputs.clone());
            let parent_values = self.values(&parent);
            let entry = parent_values.module_calls.entry(call).or_insert(Value::Null);
            insert_instance(entry, &key, outputs);
        }
    }

    /// Evaluates `count` / `for_each` into instance keys with their
    /// `each`/`count` bindings. `None`: unknown (validate) or failed.
    fn expand(
        &mut self,
        path: &[String],
        mi: &ModuleInstance,
        count: Option<&Expr>,
        for_each: Option<&Expr>,
        what: &str,
    ) -> Option<Vec<(InstanceKey, Option<(Value, Value)>, Option<Value>)>> {
        if let Some(e) = count {
            let v = self.eval_expr(path, mi, e, None, None)?;
            let (v, marked) = v.into_unmarked();
            if marked {
                self.diags.push(
                    Diagnostic::error("Invalid count argument")
                        .with_detail("Sensitive values, or values derived from sensitive values, cannot be used as count arguments.")
                        .with_subject(e.span),
                );
                return None;
            }
            return match v {
                Value::Unknown(_) => {
                    if self.options.mode == Mode::Plan {
                        self.diags.push(
                            Diagnostic::error("Invalid count argument")
                                .with_detail(format!("The \"count\" value depends on {what} attributes that cannot be determined until apply, so cairn cannot predict how many instances will be created. To work around this, use -target to first apply only the resources that the count depends on."))
                                .with_subject(e.span),
                        );
                    }
                    None
                }
                Value::Number(n) if n >= 0.0 && n.fract() == 0.0 && n <= 1_000_000.0 => Some(
                    (0..n as i64).map(|i| (InstanceKey::Int(i), None, Some(Value::Number(i as f64)))).collect(),
                ),
                Value::String(s) if s.parse::<u32>().is_ok() => {
                    let n: i64 = s.parse::<u32>().map(i64::from).unwrap_or(0);
                    Some((0..n).map(|i| (InstanceKey::Int(i), None, Some(Value::Number(i as f64)))).collect())
                }
                Value::Null => {
                    self.diags.push(
                        Diagnostic::error("Invalid count argument")
                            .with_detail("The given \"count\" argument value is null. An integer is required.")
                            .with_subject(e.span),
                    );
                    None
                }
                other => {
                    self.diags.push(
                        Diagnostic::error("Invalid count argument")
                            .with_detail(format!(
                                "The given \"count\" argument value is unsuitable: must be a whole number between 0 and 1000000, not {}.",
                                crate::eval::primitive_to_string(&other).unwrap_or_else(|| other.type_name())
                            ))
                            .with_subject(e.span),
                    );
                    None
                }
            };
        }
        if let Some(e) = for_each {
            let v = self.eval_expr(path, mi, e, None, None)?;
            if v.is_sensitive() {
                self.diags.push(
                    Diagnostic::error("Invalid for_each argument")
                        .with_detail("Sensitive values, or values derived from sensitive values, cannot be used as for_each arguments. If used, the sensitive value could be exposed as a resource instance key.")
                        .with_subject(e.span),
                );
                return None;
            }
            let unknown_err = |s: &mut Self| {
                if s.options.mode == Mode::Plan {
                    s.diags.push(
                        Diagnostic::error("Invalid for_each argument")
                            .with_detail("The \"for_each\" map includes keys derived from resource attributes that cannot be determined until apply, and so cairn cannot determine the full set of keys that will identify the instances of this resource. Use a map whose keys are known values (like names from variables) and move apply-time values into the map's values.")
                            .with_subject(e.span),
                    );
                }
                None
            };
            return match v {
                Value::Unknown(_) => unknown_err(self),
                Value::Map(m) | Value::Object(m) => {
                    Some(m.into_iter().map(|(k, v)| (InstanceKey::Str(k.clone()), Some((Value::String(k), v)), None)).collect())
                }
                Value::Set(items) => {
                    let mut out = Vec::new();
                    for item in items {
                        match item.unmarked() {
                            Value::String(s) => out.push((InstanceKey::Str(s.clone()), Some((item.clone(), item.clone())), None)),
                            Value::Unknown(_) => return unknown_err(self),
                            Value::Null => {
                                self.diags.push(
                                    Diagnostic::error("Invalid for_each set argument")
                                        .with_detail("The given \"for_each\" argument value is unsuitable: \"for_each\" sets must not contain null values.")
                                        .with_subject(e.span),
                                );
                                return None;
                            }
                            other => {
                                self.diags.push(
                                    Diagnostic::error("Invalid for_each set argument")
                                        .with_detail(format!("The given \"for_each\" argument value is unsuitable: \"for_each\" supports sets of strings, but you have provided a set containing type {}.", other.type_name()))
                                        .with_subject(e.span),
                                );
                                return None;
                            }
                        }
                    }
                    Some(out)
                }
                Value::Null => {
                    self.diags.push(
                        Diagnostic::error("Invalid for_each argument")
                            .with_detail("The given \"for_each\" argument value is null. A map, or set of strings is allowed.")
                            .with_subject(e.span),
                    );
                    None
                }
                other => {
                    self.diags.push(
                        Diagnostic::error("Invalid for_each argument")
                            .with_detail(format!(
                                "The given \"for_each\" argument value is unsuitable: the \"for_each\" argument must be a map, or set of strings, and you have provided a value of type {}. Wrap a list with toset() to use its elements as keys.",
                                other.type_name()
                            ))
                            .with_subject(e.span),
                    );
                    None
                }
            };
        }
        Some(vec![(InstanceKey::NoKey, None, None)])
    }

    fn eval_module_call(&mut self, node: &Node, mi: &ModuleInstance, name: &str) {
        let m = self.module_config(&node.module);
        let call = &m.module_calls[name];
        let mut child_path = node.module.clone();
        child_path.push(name.to_string());
        if self.config.descendant(&child_path).is_none() {
            return;
        }
        let keys = self.expand(&node.module, mi, call.count.as_ref(), call.for_each.as_ref(), "resource");
        let (keys, unknown) = match keys {
            Some(k) => (k, false),
            // Unknown expansion (validate): evaluate the module once with unknown keys.
            None => (vec![(InstanceKey::NoKey, Some((Value::unknown(), Value::unknown())), Some(Value::Unknown(Type::Number)))], true),
        };
        let initial = if call.count.is_some() {
            Value::Tuple(Vec::new())
        } else if call.for_each.is_some() {
            Value::Object(BTreeMap::new())
        } else {
            Value::Null
        };
        self.values(mi).module_calls.insert(name.to_string(), if unknown { Value::unknown() } else { initial });
        for (key, each, count) in keys {
            let mut child = mi.clone();
            child.push((name.to_string(), key));
            let mut inputs = HashMap::new();
            for (input, attr) in &call.inputs {
                if let Some(v) = self.eval_expr(&node.module, mi, &attr.expr, each.clone(), count.clone()) {
                    inputs.insert(input.clone(), v);
                }
            }
            self.values(&child).inputs = inputs;
            self.store.module_instances.entry(child_path.clone()).or_default().push(child);
        }
        if unknown {
            // Keep the parent's view unknown even as child outputs arrive.
            self.values(mi).module_calls.insert(name.to_string(), Value::unknown());
        }
    }

    /// Evaluates a resource node for one module instance: expands it, checks
    /// each instance's body, and stores the values references will see (the
    /// hook's planned values, or the configuration with unknown computed
    /// attributes when there is no hook).
    fn eval_resource(&mut self, node: &Node, mi: &ModuleInstance, key: &str, hook: &mut dyn InstanceHook) {
        let Some(instances) = self.instance_configs(node, mi, key) else { return };
        let m = self.module_config(&node.module);
        let r = &m.resources[key];
        for inst in instances {
            let value = hook.instance(r, &inst);
            if self.options.mode == Mode::Plan && value.is_wholly_known() {
                self.check_conditions(&node.module, r, &inst, Some(&value));
            }
            self.set_instance_value(mi, key, &inst.key, value);
            self.instances.push(inst);
        }
    }

    /// Checks a resource instance's preconditions (`self_value` None) or,
    /// with the object's value, its postconditions (where `self` is the
    /// object). A false condition is an error carrying `error_message`.
    pub fn check_conditions(&mut self, path: &[String], r: &Resource, inst: &ResourceInstance, self_value: Option<&Value>) {
        let conditions = if self_value.is_some() { &r.lifecycle.postconditions } else { &r.lifecycle.preconditions };
        if conditions.is_empty() {
            return;
        }
        let dir = self.module_config(path).dir.clone();
        let funcs = self.funcs_for(path);
        let scope = InstanceScope { store: &self.store, module: &inst.module, dir: &dir, options: self.options, each: inst.each.clone(), count: inst.count.clone() };
        let mut ev = Evaluator::new(&scope, &funcs);
        if let Some(v) = self_value {
            ev.bind("self", v.clone());
        }
        let mut found = Vec::new();
        for cond in conditions {
            match ev.eval(&cond.condition).map(|v| v.unmarked().clone()) {
                Ok(Value::Bool(false)) => {
                    let message = match ev.eval(&cond.error_message) {
                        Ok(m) if m.contains_sensitive() => "(error message refers to sensitive values)".to_string(),
                        Ok(m) => m.as_str().unwrap_or("(error message is not a string)").to_string(),
                        Err(_) => "(error message could not be evaluated)".to_string(),
                    };
                    let summary = if self_value.is_some() { "Resource postcondition failed" } else { "Resource precondition failed" };
                    found.push(Diagnostic::error(summary).with_detail(message).with_subject(cond.condition.span).with_address(inst.address()));
                }
                Ok(Value::Bool(true)) | Ok(Value::Unknown(_)) => {}
                Ok(other) => found.push(
                    Diagnostic::error("Invalid condition result")
                        .with_detail(format!("The condition must be true or false, not {}.", other.type_name()))
                        .with_subject(cond.condition.span)
                        .with_address(inst.address()),
                ),
                Err(d) => found.push(d.with_address(inst.address())),
            }
        }
        self.diags.extend(found);
    }

    /// The configuration of a resource (by node) for apply's postcondition checks.
    pub fn resource_config(&self, node: &Node) -> Option<&'a Resource> {
        let NodeKind::Resource(key) = &node.kind else { return None };
        self.config.descendant(&node.module)?.module.resources.get(key)
    }

    /// Expands a resource for one module instance and evaluates each
    /// instance's configuration. Prepares the resource's collection value
    /// (tuple for count, object for for_each) for [`Walker::set_instance_value`].
    /// `None` when the type is unknown or the expansion is unknown (validate).
    fn instance_configs(&mut self, node: &Node, mi: &ModuleInstance, key: &str) -> Option<Vec<ResourceInstance>> {
        let m = self.module_config(&node.module);
        let r = &m.resources[key];
        let Some(schema) = schema::lookup(r.mode, &r.type_name) else {
            self.unknown_type(r);
            self.values(mi).resources.insert(key.to_string(), Value::unknown());
            return None;
        };
        let deps: Vec<String> = resource_deps(self.graph, node).iter().map(|n| n.to_string()).collect();
        let expansion = self.expand(&node.module, mi, r.count.as_ref(), r.for_each.as_ref(), "resource");
        let Some(keys) = expansion else {
            // Unknown expansion: check the body once with unknown each/count.
            let each = r.for_each.as_ref().map(|_| (Value::Unknown(Type::String), Value::unknown()));
            let count = r.count.as_ref().map(|_| Value::Unknown(Type::Number));
            self.eval_body_checked(&node.module, mi, r, schema, each, count);
            self.values(mi).resources.insert(key.to_string(), Value::unknown());
            return None;
        };
        let collected: Value = if r.count.is_some() {
            Value::Tuple(Vec::new())
        } else if r.for_each.is_some() {
            Value::Object(BTreeMap::new())
        } else {
            Value::Unknown(schema.value_type())
        };
        self.values(mi).resources.insert(key.to_string(), collected);
        let mut out = Vec::new();
        for (ikey, each, count) in keys {
            let Some(value) = self.eval_body_checked(&node.module, mi, r, schema, each.clone(), count.clone()) else {
                self.set_instance_value(mi, key, &ikey, Value::Unknown(schema.value_type()));
                continue;
            };
            let inst = ResourceInstance {
                module: mi.clone(),
                mode: r.mode,
                type_name: r.type_name.clone(),
                name: r.name.clone(),
                key: ikey,
                value,
                dependencies: deps.clone(),
                each,
                count,
            };
            if self.options.mode == Mode::Plan {
                self.check_conditions(&node.module, r, &inst, None);
            }
            out.push(inst);
        }
        Some(out)
    }

    /// Records the value references to one resource instance will see.
    pub fn set_instance_value(&mut self, mi: &ModuleInstance, resource_key: &str, key: &InstanceKey, value: Value) {
        let slot = self.values(mi).resources.entry(resource_key.to_string()).or_insert(Value::Null);
        insert_instance(slot, key, value);
    }

    fn unknown_type(&mut self, r: &Resource) {
        let what = if r.mode == ResourceMode::Data { "data source" } else { "resource type" };
        let known: Vec<&str> = schema::known_types(r.mode);
        let mut detail = format!("The {what} \"{}\" is not supported by cairn.", r.type_name);
        if let Some(s) = schema::suggest(&r.type_name, known.iter().copied()) {
            detail.push_str(&format!(" Did you mean \"{s}\"?"));
        } else if known.is_empty() {
            detail.push_str(" No types of this kind are available yet.");
        } else {
            detail.push_str(&format!(" Supported: {}.", known.join(", ")));
        }
        self.diags.push(Diagnostic::error(format!("Invalid {what}")).with_detail(detail).with_subject(r.decl_span));
    }

    fn eval_body_checked(
        &mut self,
        path: &[String],
        mi: &ModuleInstance,
        r: &Resource,
        schema: &Schema,
        each: Option<(Value, Value)>,
        count: Option<Value>,
    ) -> Option<Value> {
        let dir = self.module_config(path).dir.clone();
        let funcs = self.funcs_for(path);
        let scope = InstanceScope { store: &self.store, module: mi, dir: &dir, options: self.options, each, count };
        let mut ev = Evaluator::new(&scope, &funcs);
        let mut diags = Diagnostics::new();
        let addr = format!("{}{}", module_prefix(mi), r.key());
        let value = decode_body(&mut ev, &r.body, schema, r.decl_span, &mut diags);
        if !diags.has_errors() {
            if let Some(rtype) = crate::provider::lookup(r.mode, &r.type_name) {
                for p in rtype.validate_config(&value) {
                    let span = argument_span(&r.body, &p.path).unwrap_or(r.decl_span);
                    diags.push(Diagnostic::error(p.summary).with_detail(p.detail).with_subject(span));
                }
            }
        }
        let failed = diags.has_errors();
        for d in diags {
            let d = if d.address.is_none() { d.with_address(addr.clone()) } else { d };
            self.diags.push(d);
        }
        if failed {
            None
        } else {
            Some(value)
        }
    }
}

fn module_prefix(mi: &ModuleInstance) -> String {
    let s = module_instance_string(mi);
    if s.is_empty() {
        s
    } else {
        s + "."
    }
}

/// Where the argument at `path` (attribute and block names) is written in
/// a body: an attribute's value, else the nearest block header on the way.
/// `None` when the body does not write it literally (a `dynamic` block).
fn argument_span(body: &Body, path: &[String]) -> Option<Span> {
    let (first, rest) = path.split_first()?;
    if let Some(a) = body.attributes.iter().find(|a| &a.name.name == first) {
        return Some(a.expr.span);
    }
    let b = body.blocks.iter().find(|b| &b.kind.name == first)?;
    Some(argument_span(&b.body, rest).unwrap_or(b.kind.span))
}

/// Puts one instance's value into the collection for its resource or module.
fn insert_instance(collection: &mut Value, key: &InstanceKey, value: Value) {
    match (collection, key) {
        (Value::Tuple(xs), InstanceKey::Int(i)) => {
            let i = *i as usize;
            if xs.len() <= i {
                xs.resize(i + 1, Value::Null);
            }
            xs[i] = value;
        }
        (Value::Object(m), InstanceKey::Str(s)) => {
            m.insert(s.clone(), value);
        }
        (slot, InstanceKey::NoKey) => *slot = value,
        (slot, _) => *slot = value,
    }
}

/// The value of a new instance as plan sees it: configured arguments as
/// given, unset computed attributes unknown, unset optional ones null.
fn planned_value(schema: &Schema, config: Value) -> Value {
    let (config, marked) = config.into_unmarked();
    let Value::Object(mut m) = config else { return config.mark_if(marked) };
    for (name, a) in &schema.attributes {
        let unset = m.get(name).is_none_or(Value::is_null);
        if unset && a.computed {
            m.insert(name.clone(), Value::Unknown(a.ty.clone()));
        }
        if a.sensitive {
            if let Some(v) = m.remove(name) {
                m.insert(name.clone(), v.mark_sensitive());
            }
        }
    }
    Value::Object(m).mark_if(marked)
}

/// Checks a body against a schema and evaluates it into an object value.
/// Every problem is collected; the value is built from what succeeded.
pub fn decode_body(ev: &mut Evaluator<'_>, body: &Body, schema: &Schema, header: Span, diags: &mut Diagnostics) -> Value {
    let mut out: BTreeMap<String, Value> = BTreeMap::new();
    for attr in &body.attributes {
        let name = attr.name.name.as_str();
        let Some(a) = schema.attributes.get(name) else {
            let mut detail = format!("An argument named \"{name}\" is not expected here.");
            if schema.blocks.contains_key(name) {
                detail = format!("An argument named \"{name}\" is not expected here. Did you mean to define a block of type \"{name}\"?");
            } else if let Some(s) = schema::suggest(name, schema.names()) {
                detail.push_str(&format!(" Did you mean \"{s}\"?"));
            }
            diags.push(Diagnostic::error("Unsupported argument").with_detail(detail).with_subject(attr.name.span));
            continue;
        };
        if !a.configurable() {
            diags.push(
                Diagnostic::error("Value for unconfigurable attribute")
                    .with_detail(format!("Can't configure a value for \"{name}\": its value will be decided automatically based on the result of applying this configuration."))
                    .with_subject(attr.name.span),
            );
            continue;
        }
        match ev.eval(&attr.expr) {
            Ok(v) => match convert::convert(v, &a.ty) {
                Ok(v) => {
                    out.insert(name.to_string(), v);
                }
                Err(e) => diags.push(
                    Diagnostic::error("Incorrect attribute value type")
                        .with_detail(format!("Inappropriate value for attribute \"{name}\": {e}."))
                        .with_subject(attr.expr.span),
                ),
            },
            Err(d) => diags.push(d),
        }
    }
    for (name, a) in &schema.attributes {
        if a.required && body.attribute(name).is_none() {
            diags.push(
                Diagnostic::error("Missing required argument")
                    .with_detail(format!("The argument \"{name}\" is required, but no definition was found."))
                    .with_subject(header),
            );
        }
        out.entry(name.clone()).or_insert(Value::Null);
    }
    // Nested blocks, literal and dynamic, grouped by type.
    let mut blocks: BTreeMap<String, (Vec<Value>, bool, Option<Span>)> = BTreeMap::new();
    for b in &body.blocks {
        if b.kind.name == "dynamic" {
            decode_dynamic(ev, b, schema, &mut blocks, diags);
            continue;
        }
        let name = b.kind.name.as_str();
        let Some(bs) = schema.blocks.get(name) else {
            diags.push(unsupported_nested(name, schema, b.kind.span));
            continue;
        };
        if !b.labels.is_empty() {
            diags.push(
                Diagnostic::error("Extraneous label for block")
                    .with_detail(format!("No labels are expected for {name} blocks."))
                    .with_subject(b.labels[0].span),
            );
        }
        let v = decode_body(ev, &b.body, &bs.schema, b.kind.span, diags);
        let entry = blocks.entry(name.to_string()).or_insert((Vec::new(), false, Some(b.kind.span)));
        entry.0.push(v);
    }
    for (name, bs) in &schema.blocks {
        let (items, unknown, span) = blocks.remove(name).unwrap_or((Vec::new(), false, None));
        out.insert(name.clone(), block_value(name, bs, items, unknown, span.unwrap_or(header), diags));
    }
    Value::Object(out)
}

fn unsupported_nested(name: &str, schema: &Schema, span: Span) -> Diagnostic {
    let mut detail = format!("Blocks of type \"{name}\" are not expected here.");
    if schema.attributes.contains_key(name) {
        detail = format!("Blocks of type \"{name}\" are not expected here. Did you mean to define argument \"{name}\"? If so, use the equals sign to assign it a value.");
    } else if let Some(s) = schema::suggest(name, schema.blocks.keys().map(String::as_str)) {
        detail.push_str(&format!(" Did you mean \"{s}\"?"));
    }
    Diagnostic::error("Unsupported block type").with_detail(detail).with_subject(span)
}

fn block_value(name: &str, bs: &BlockSchema, items: Vec<Value>, unknown: bool, span: Span, diags: &mut Diagnostics) -> Value {
    if unknown {
        return Value::Unknown(Type::Any);
    }
    if items.len() < bs.min_items {
        diags.push(
            Diagnostic::error(format!("Insufficient {name} blocks"))
                .with_detail(format!("At least {} \"{name}\" blocks are required.", bs.min_items))
                .with_subject(span),
        );
    }
    if bs.max_items > 0 && items.len() > bs.max_items {
        diags.push(
            Diagnostic::error(format!("Too many {name} blocks"))
                .with_detail(format!("No more than {} \"{name}\" blocks are allowed.", bs.max_items))
                .with_subject(span),
        );
    }
    match bs.nesting {
        Nesting::Single => items.into_iter().next().unwrap_or(Value::Null),
        Nesting::List => Value::List(items),
        Nesting::Set => Value::set(items),
    }
}

/// `dynamic "name" { for_each = ..., iterator = it, content { ... } }`
fn decode_dynamic(
    ev: &mut Evaluator<'_>,
    b: &Block,
    schema: &Schema,
    blocks: &mut BTreeMap<String, (Vec<Value>, bool, Option<Span>)>,
    diags: &mut Diagnostics,
) {
    let Some(label) = b.labels.first() else {
        diags.push(
            Diagnostic::error("Missing dynamic block type")
                .with_detail("A dynamic block must have one label: the type of block to generate.")
                .with_subject(b.kind.span),
        );
        return;
    };
    let name = label.name.as_str();
    let Some(bs) = schema.blocks.get(name) else {
        diags.push(unsupported_nested(name, schema, label.span));
        return;
    };
    let mut iterator = name.to_string();
    let mut for_each = None;
    for a in &b.body.attributes {
        match a.name.name.as_str() {
            "for_each" => for_each = Some(&a.expr),
            "iterator" => match &a.expr.kind {
                ExprKind::Variable(v) => iterator = v.clone(),
                _ => diags.push(
                    Diagnostic::error("Invalid dynamic iterator name")
                        .with_detail("The iterator must be a single identifier, like iterator = rule.")
                        .with_subject(a.expr.span),
                ),
            },
            "labels" => {}
            other => diags.push(
                Diagnostic::error("Unsupported argument")
                    .with_detail(format!("An argument named \"{other}\" is not expected in a dynamic block; put the block's arguments inside its content block."))
                    .with_subject(a.name.span),
            ),
        }
    }
    let content: Vec<&Block> = b.body.blocks.iter().filter(|x| x.kind.name == "content").collect();
    for other in b.body.blocks.iter().filter(|x| x.kind.name != "content") {
        diags.push(
            Diagnostic::error("Unsupported block type")
                .with_detail(format!("Blocks of type \"{}\" are not expected in a dynamic block; only content is.", other.kind.name))
                .with_subject(other.kind.span),
        );
    }
    let (Some(for_each), [content]) = (for_each, content.as_slice()) else {
        diags.push(
            Diagnostic::error("Incomplete dynamic block")
                .with_detail("A dynamic block needs a for_each argument and exactly one content block.")
                .with_subject(b.kind.span),
        );
        return;
    };
    let entry = blocks.entry(name.to_string()).or_insert((Vec::new(), false, Some(label.span)));
    let coll = match ev.eval(for_each) {
        Ok(v) => v,
        Err(d) => {
            diags.push(d);
            return;
        }
    };
    let (coll, _) = coll.into_unmarked();
    let pairs: Vec<(Value, Value)> = match coll {
        Value::Unknown(_) => {
            // Check the content once with an unknown iterator.
            ev.bind(iterator.clone(), Value::object([("key", Value::unknown()), ("value", Value::unknown())]));
            let _ = decode_body(ev, &content.body, &bs.schema, content.kind.span, diags);
            ev.unbind();
            entry.1 = true;
            return;
        }
        Value::Null => {
            diags.push(
                Diagnostic::error("Invalid dynamic for_each value")
                    .with_detail("Cannot use a null value in for_each.")
                    .with_subject(for_each.span),
            );
            return;
        }
        Value::List(xs) | Value::Tuple(xs) => xs.into_iter().enumerate().map(|(i, v)| (Value::Number(i as f64), v)).collect(),
        Value::Set(xs) => xs.into_iter().map(|v| (v.clone(), v)).collect(),
        Value::Map(m) | Value::Object(m) => m.into_iter().map(|(k, v)| (Value::String(k), v)).collect(),
        other => {
            diags.push(
                Diagnostic::error("Invalid dynamic for_each value")
                    .with_detail(format!("Cannot use a {} value in for_each. An iterable collection is required.", other.type_name()))
                    .with_subject(for_each.span),
            );
            return;
        }
    };
    for (k, v) in pairs {
        ev.bind(iterator.clone(), Value::object([("key", k), ("value", v)]));
        let value = decode_body(ev, &content.body, &bs.schema, content.kind.span, diags);
        ev.unbind();
        entry.0.push(value);
    }
}
