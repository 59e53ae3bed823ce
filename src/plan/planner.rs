//! The planner: evaluated configuration + prior state -> [`Plan`].
//!
//! Steps, in order: refresh every managed instance through its type (in
//! parallel, bounded by `-parallelism`), noting drift; apply `moved` blocks
//! to the refreshed state; walk the stack with a hook that diffs each
//! instance as it is evaluated (so references see planned values, unknowns
//! included); plan deletes for instances no longer configured; compare
//! outputs; narrow to `-target`/`-exclude`.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::diff::{self, Intent};
use super::{Action, Change, OutputChange, Plan, Reason};
use crate::addrs::{ResourceAddr, ResourceMode, Target};
use crate::config::model::{Config, IgnoreChanges, Resource};
use crate::diag::{Diagnostic, Diagnostics};
use crate::provider;
use crate::stack::{self, InstanceHook, ResourceInstance};
use crate::state::State;
use crate::syntax::ast::{Expr, ExprKind};
use crate::value::Value;

/// What the operator asked for.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    pub destroy: bool,
    pub refresh_only: bool,
    /// `-refresh=false`
    pub skip_refresh: bool,
    pub targets: Vec<Target>,
    pub excludes: Vec<Target>,
    pub replace: Vec<ResourceAddr>,
    pub parallelism: usize,
}

/// Makes a plan. `state` is the prior state as stored.
pub async fn plan(config: &Config, stack_options: &stack::Options, state: &State, options: &PlanOptions) -> (Plan, Diagnostics) {
    let mut diags = Diagnostics::new();
    let mut refreshed = state.clone();
    let mut drift = Vec::new();
    if !options.skip_refresh {
        drift = refresh(&mut refreshed, options.parallelism.max(1), &mut diags).await;
    }
    let moved = apply_moved_blocks(config, &mut refreshed, &mut diags);
    let imported = if options.destroy { HashMap::new() } else { import_blocks(config, &mut refreshed, &mut diags).await };

    let mut plan = Plan {
        changes: Vec::new(),
        drift,
        outputs: Vec::new(),
        prior_lineage: Some(state.lineage.clone()),
        prior_serial: Some(state.serial),
        workspace: stack_options.workspace.clone(),
        destroy: options.destroy,
        refresh_only: options.refresh_only,
        errored: false,
        sandbox: None,
    };

    if options.destroy {
        for (addr, _) in instances_of(&refreshed) {
            let key = crate::config::model::resource_key(addr.mode, &addr.type_name, &addr.name);
            let resource = config.descendant(&addr.module.config_path()).and_then(|c| c.module.resources.get(&key));
            if let Some(r) = resource.filter(|r| literal_true(&r.lifecycle.prevent_destroy)) {
                diags.push(
                    Diagnostic::error("Instance cannot be destroyed")
                        .with_detail(format!("Resource {addr} has lifecycle.prevent_destroy set, but the plan calls for this resource to be destroyed. To avoid this error and continue with the plan, either disable lifecycle.prevent_destroy or reduce the scope of the plan using the -target option."))
                        .with_subject(r.decl_span)
                        .with_address(addr.to_string()),
                );
            }
        }
        for (addr, inst) in instances_of(&refreshed) {
            plan.changes.push(Change {
                before: Some(super::typed_state_value(&addr, inst)),
                addr,
                action: Action::Delete,
                after: None,
                replace_paths: Vec::new(),
                reason: Some(Reason::DeleteBecauseDestroy),
                dependencies: inst.dependencies.clone(),
                import_id: None,
                moved_from: None,
            });
        }
        narrow(&mut plan, options);
        plan.errored = diags.has_errors();
        // Outputs disappear with the objects.
        for (name, o) in &state.outputs {
            plan.outputs.push(OutputChange { name: name.clone(), before: Some(Value::from_typed_json(&o.value, &crate::value::Type::from_json(&o.type_)).mark_if(o.sensitive)), after: None, sensitive: o.sensitive });
        }
        return (plan, diags);
    }

    let mut hook = PlannerHook {
        state: &refreshed,
        replace: &options.replace,
        changes: BTreeMap::new(),
        seen: HashSet::new(),
        diags: Diagnostics::new(),
        moved: &moved,
    };
    let (evaluated, eval_diags) = stack::evaluate_with(config, stack_options, &mut hook);
    diags.extend(eval_diags);
    diags.extend(hook.diags.0);
    let seen = hook.seen;
    let mut changes: Vec<Change> = hook.changes.into_values().collect();
    for c in &mut changes {
        if let Some(id) = imported.get(&c.addr) {
            c.import_id = Some(id.clone());
        }
    }

    // Instances in state that the configuration no longer has.
    for (addr, inst) in instances_of(&refreshed) {
        if seen.contains(&addr) || addr.mode == ResourceMode::Data {
            continue;
        }
        let reason = orphan_reason(config, &addr);
        changes.push(Change {
            before: Some(super::typed_state_value(&addr, inst)),
            addr,
            action: Action::Delete,
            after: None,
            replace_paths: Vec::new(),
            reason: Some(reason),
            dependencies: inst.dependencies.clone(),
            import_id: None,
            moved_from: None,
        });
    }
    changes.sort_by(|a, b| a.addr.cmp(&b.addr));
    plan.changes = changes;

    for (name, after) in &evaluated.outputs {
        let sensitive = config.module.outputs.get(name).is_some_and(|o| o.sensitive);
        let before = state.outputs.get(name).map(|o| Value::from_typed_json(&o.value, &crate::value::Type::from_json(&o.type_)).mark_if(o.sensitive));
        plan.outputs.push(OutputChange { name: name.clone(), before, after: Some(after.clone()), sensitive });
    }
    for (name, o) in &state.outputs {
        if !evaluated.outputs.contains_key(name) {
            plan.outputs.push(OutputChange { name: name.clone(), before: Some(Value::from_typed_json(&o.value, &crate::value::Type::from_json(&o.type_)).mark_if(o.sensitive)), after: None, sensitive: o.sensitive });
        }
    }

    if options.refresh_only {
        // Only the refreshed state is to be saved; no object changes.
        plan.changes.retain(|_| false);
    }
    narrow(&mut plan, options);
    plan.errored = diags.has_errors();
    (plan, diags)
}

/// Every current instance in a state, with its typed address.
pub fn instances_of(state: &State) -> Vec<(ResourceAddr, &crate::state::InstanceState)> {
    let mut out = Vec::new();
    for r in &state.resources {
        for inst in &r.instances {
            if inst.deposed.is_some() {
                continue;
            }
            let a = r.instance_addr(inst.index_key.clone());
            if let Ok(addr) = a.to_string().parse::<ResourceAddr>() {
                out.push((addr, inst));
            }
        }
    }
    out
}

fn orphan_reason(config: &Config, addr: &ResourceAddr) -> Reason {
    let Some(module) = config.descendant(&addr.module.config_path()) else { return Reason::DeleteBecauseNoModule };
    let key = crate::config::model::resource_key(addr.mode, &addr.type_name, &addr.name);
    match module.module.resources.get(&key) {
        None => Reason::DeleteBecauseNoResourceConfig,
        Some(r) if r.count.is_some() => Reason::DeleteBecauseCountIndex,
        Some(r) if r.for_each.is_some() => Reason::DeleteBecauseEachKey,
        Some(_) => Reason::DeleteBecauseNoResourceConfig,
    }
}

/// Refreshes every managed instance; returns drift as update changes.
async fn refresh(state: &mut State, parallelism: usize, diags: &mut Diagnostics) -> Vec<Change> {
    use futures_util::stream::{self, StreamExt};
    let items: Vec<(ResourceAddr, Value)> = instances_of(state)
        .into_iter()
        .filter(|(a, _)| a.mode == ResourceMode::Managed)
        .map(|(a, i)| {
            let v = super::typed_state_value(&a, i);
            (a, v)
        })
        .collect();
    let results: Vec<(ResourceAddr, Value, Result<Option<Value>, provider::ProviderError>)> = stream::iter(items)
        .map(|(addr, before)| async move {
            let result = match provider::lookup(addr.mode, &addr.type_name) {
                Some(t) => t.read(&before).await,
                None => Ok(Some(before.clone())),
            };
            (addr, before, result)
        })
        .buffer_unordered(parallelism)
        .collect()
        .await;
    let mut drift = Vec::new();
    for (addr, before, result) in results {
        match result {
            Ok(Some(now)) if now.equals(&before) => {}
            Ok(Some(now)) => {
                let sa = super::state_addr(&addr);
                if let Some(inst) = state.find_instance_mut(&sa) {
                    super::store_value(inst, &now);
                }
                drift.push(Change {
                    addr,
                    action: Action::Update,
                    before: Some(before),
                    after: Some(now),
                    replace_paths: Vec::new(),
                    reason: None,
                    dependencies: Vec::new(),
                    import_id: None,
                    moved_from: None,
                });
            }
            Ok(None) => {
                state.remove_instance(&super::state_addr(&addr));
                drift.push(Change {
                    addr,
                    action: Action::Delete,
                    before: Some(before),
                    after: None,
                    replace_paths: Vec::new(),
                    reason: None,
                    dependencies: Vec::new(),
                    import_id: None,
                    moved_from: None,
                });
            }
            Err(e) => diags.push(
                Diagnostic::error("Failed to refresh")
                    .with_detail(format!("Reading {addr} failed: {e}. Retry, or plan with -refresh=false to use the stored state as it is."))
                    .with_address(addr.to_string()),
            ),
        }
    }
    drift.sort_by(|a, b| a.addr.cmp(&b.addr));
    drift
}

/// `moved { from = a.x  to = a.y }`: renames objects in state before
/// planning, so they are updated instead of replaced. Returns new -> old.
fn apply_moved_blocks(config: &Config, state: &mut State, diags: &mut Diagnostics) -> HashMap<ResourceAddr, ResourceAddr> {
    let mut moved = HashMap::new();
    for m in &config.module.moved {
        let (Some(from), Some(to)) = (traversal_text(&m.from), traversal_text(&m.to)) else {
            diags.push(Diagnostic::error("Invalid moved block").with_detail("from and to must be resource addresses, like terraform_data.old and terraform_data.new.").with_subject(m.span));
            continue;
        };
        let (Ok(from), Ok(to)) = (from.parse::<ResourceAddr>(), to.parse::<ResourceAddr>()) else {
            diags.push(Diagnostic::error("Invalid moved block").with_detail("from and to must be resource addresses, like terraform_data.old and terraform_data.new.").with_subject(m.span));
            continue;
        };
        // A whole resource (no key) moves every instance.
        let pairs: Vec<(ResourceAddr, ResourceAddr)> = instances_of(state)
            .into_iter()
            .filter(|(a, _)| a.config() == from.config() && (from.key.is_none() || a.key == from.key))
            .map(|(a, _)| {
                let key = if from.key.is_none() { a.key.clone() } else { to.key.clone() };
                (a.clone(), to.with_key(key))
            })
            .collect();
        for (old, new) in pairs {
            if state.find_instance(&super::state_addr(&new)).is_some() {
                continue;
            }
            if let Some(inst) = state.remove_instance(&super::state_addr(&old)) {
                let provider = provider_name(&new);
                state.insert_instance(&super::state_addr(&new), provider, inst);
                moved.insert(new, old);
            }
        }
    }
    moved
}

/// `import { to = ADDR  id = "..." }`: adopts each object not yet in state,
/// so the plan diffs the configuration against it. Returns address -> ID.
async fn import_blocks(config: &Config, state: &mut State, diags: &mut Diagnostics) -> HashMap<ResourceAddr, String> {
    let mut out = HashMap::new();
    for imp in &config.module.imports {
        let Some(addr) = traversal_text(&imp.to).and_then(|t| t.parse::<ResourceAddr>().ok()) else {
            diags.push(Diagnostic::error("Invalid import address").with_detail("to must be a resource instance address, like terraform_data.x or google_storage_bucket.b[\"a\"].").with_subject(imp.to.span));
            continue;
        };
        if state.find_instance(&super::state_addr(&addr)).is_some() {
            continue;
        }
        let funcs = crate::eval::FuncContext { base_dir: config.module.dir.clone(), defer_impure: true };
        let mut ev = crate::eval::Evaluator::new(&crate::eval::EmptyScope, &funcs);
        let id = match ev.eval(&imp.id) {
            Ok(v) => match v.as_str() {
                Some(s) => s.to_string(),
                None => {
                    diags.push(Diagnostic::error("Invalid import id").with_detail("The import ID must be a known string.").with_subject(imp.id.span));
                    continue;
                }
            },
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        let Some(rtype) = provider::lookup(addr.mode, &addr.type_name) else {
            diags.push(Diagnostic::error("Invalid import address").with_detail(format!("The resource type {} is not supported.", addr.type_name)).with_subject(imp.to.span));
            continue;
        };
        match rtype.import(&id).await {
            Ok(value) => {
                let mut inst = crate::state::InstanceState::new(serde_json::Value::Null);
                super::store_value(&mut inst, &value);
                state.insert_instance(&super::state_addr(&addr), provider_name(&addr), inst);
                out.insert(addr, id);
            }
            Err(e) => diags.push(
                Diagnostic::error("Import failed")
                    .with_detail(format!("Importing {addr} with ID {id:?} failed: {e}. Check the ID; for this type it is what `cairn import` documents."))
                    .with_subject(imp.span)
                    .with_address(addr.to_string()),
            ),
        }
    }
    out
}

/// Terraform's provider string for a type.
pub fn provider_name(addr: &ResourceAddr) -> String {
    let prefix = addr.type_name.split('_').next().unwrap_or("");
    match prefix {
        "terraform" => "provider[\"terraform.io/builtin/terraform\"]".to_string(),
        other => format!("provider[\"registry.terraform.io/hashicorp/{other}\"]"),
    }
}

/// `a.b["k"][0]` as text, for address-like expressions.
pub fn traversal_text(expr: &Expr) -> Option<String> {
    match &expr.kind {
        ExprKind::Variable(n) => Some(n.clone()),
        ExprKind::GetAttr { expr, name } => Some(format!("{}.{}", traversal_text(expr)?, name.name)),
        ExprKind::Index { expr, key } => {
            let k = match &key.kind {
                ExprKind::Number(n) => format!("[{}]", crate::value::format_number(*n)),
                ExprKind::Template(t) => format!("[{:?}]", t.as_literal()?),
                _ => return None,
            };
            Some(format!("{}{k}", traversal_text(expr)?))
        }
        _ => None,
    }
}

/// Keeps only targeted changes (and what they depend on), minus excluded ones.
fn narrow(plan: &mut Plan, options: &PlanOptions) {
    if !options.targets.is_empty() {
        let mut keep: BTreeSet<String> = BTreeSet::new();
        let by_config: HashMap<String, Vec<&Change>> = plan.changes.iter().fold(HashMap::new(), |mut m, c| {
            m.entry(c.addr.config().to_string()).or_default().push(c);
            m
        });
        let mut stack: Vec<String> = plan
            .changes
            .iter()
            .filter(|c| options.targets.iter().any(|t| t.matches(&c.addr)))
            .map(|c| c.addr.to_string())
            .collect();
        let by_addr: HashMap<String, &Change> = plan.changes.iter().map(|c| (c.addr.to_string(), c)).collect();
        // What depends on each resource: a destroy takes its dependents along
        // (they cannot outlive it), a create or update takes its dependencies.
        let mut dependents: HashMap<String, Vec<String>> = HashMap::new();
        for c in &plan.changes {
            for d in &c.dependencies {
                dependents.entry(d.clone()).or_default().push(c.addr.to_string());
            }
        }
        while let Some(a) = stack.pop() {
            if !keep.insert(a.clone()) {
                continue;
            }
            let Some(c) = by_addr.get(&a) else { continue };
            if plan.destroy {
                for dep in dependents.get(&c.addr.config().to_string()).into_iter().flatten() {
                    stack.push(dep.clone());
                }
            } else {
                for d in &c.dependencies {
                    for dc in by_config.get(d).into_iter().flatten() {
                        stack.push(dc.addr.to_string());
                    }
                }
            }
        }
        plan.changes.retain(|c| keep.contains(&c.addr.to_string()));
    }
    if !options.excludes.is_empty() {
        let excluded: Vec<String> =
            plan.changes.iter().filter(|c| options.excludes.iter().any(|t| t.matches(&c.addr))).map(|c| c.addr.config().to_string()).collect();
        plan.changes.retain(|c| {
            !options.excludes.iter().any(|t| t.matches(&c.addr)) && !c.dependencies.iter().any(|d| excluded.contains(d))
        });
    }
}

/// Diffs each instance as the walk evaluates it.
struct PlannerHook<'a> {
    state: &'a State,
    replace: &'a [ResourceAddr],
    changes: BTreeMap<ResourceAddr, Change>,
    seen: HashSet<ResourceAddr>,
    diags: Diagnostics,
    moved: &'a HashMap<ResourceAddr, ResourceAddr>,
}

impl PlannerHook<'_> {
    /// Whether a `replace_triggered_by` reference names something that changes.
    fn triggered(&self, resource: &Resource, instance: &ResourceInstance) -> bool {
        resource.lifecycle.replace_triggered_by.iter().any(|e| {
            crate::eval::refs::references(e).iter().any(|r| {
                let crate::eval::refs::Reference::Resource { type_name, name } = &r.reference else { return false };
                self.changes.values().any(|c| {
                    c.addr.module == instance.addr().module
                        && &c.addr.type_name == type_name
                        && &c.addr.name == name
                        && !matches!(c.action, Action::NoOp | Action::Read)
                })
            })
        })
    }
}

fn literal_true(e: &Option<Expr>) -> bool {
    matches!(e.as_ref().map(|e| &e.kind), Some(ExprKind::Bool(true)))
}

/// The paths under `ignore_changes`: `labels` -> `["labels"]`,
/// `input["min_scale"]` -> `["input", "min_scale"]`, `rules[0]` -> `["rules", "0"]`.
pub fn ignored_paths(ic: &IgnoreChanges) -> Vec<Vec<String>> {
    fn path(e: &Expr) -> Option<Vec<String>> {
        match &e.kind {
            ExprKind::Variable(n) => Some(vec![n.clone()]),
            ExprKind::GetAttr { expr, name } => {
                let mut p = path(expr)?;
                p.push(name.name.clone());
                Some(p)
            }
            ExprKind::Index { expr, key } => {
                let mut p = path(expr)?;
                p.push(match &key.kind {
                    ExprKind::Number(n) => crate::value::format_number(*n),
                    ExprKind::Template(t) => t.as_literal()?.to_string(),
                    _ => return None,
                });
                Some(p)
            }
            _ => None,
        }
    }
    match ic {
        IgnoreChanges::Paths(paths) => paths.iter().filter_map(path).collect(),
        _ => Vec::new(),
    }
}

/// How the diff of an instance of `resource` should treat it.
pub fn intent_for(resource: &Resource, force_replace: bool) -> Intent<'_> {
    Intent {
        ignore_changes: Some(&resource.lifecycle.ignore_changes),
        ignored: ignored_paths(&resource.lifecycle.ignore_changes),
        create_before_destroy: literal_true(&resource.lifecycle.create_before_destroy),
        force_replace,
    }
}

impl PlannerHook<'_> {
    /// A data source: read now when its configuration is known (the plan
    /// carries the result, so apply uses exactly it), else at apply.
    fn read_data(&mut self, rtype: &dyn provider::ResourceType, resource: &Resource, instance: &ResourceInstance, addr: ResourceAddr) -> Value {
        let planned = match diff::diff(rtype, None, &instance.value, &Intent::default()) {
            Ok(d) => d.after,
            Err(message) => {
                self.diags.push(Diagnostic::error("Invalid data source configuration").with_detail(message).with_subject(resource.decl_span).with_address(addr.to_string()));
                return Value::unknown();
            }
        };
        let mut change = Change {
            addr: addr.clone(),
            action: Action::Read,
            before: None,
            after: Some(planned.clone()),
            replace_paths: Vec::new(),
            reason: None,
            dependencies: instance.dependencies.clone(),
            import_id: None,
            moved_from: None,
        };
        if instance.value.is_wholly_known() {
            let read = tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(rtype.read(&instance.value)));
            match read {
                Ok(Some(v)) => {
                    change.action = Action::NoOp;
                    change.after = Some(v);
                }
                Ok(None) => {
                    self.diags.push(Diagnostic::error("Data source found nothing").with_detail(format!("{addr} matched no object.")).with_subject(resource.decl_span).with_address(addr.to_string()));
                    return Value::unknown();
                }
                Err(e) => {
                    self.diags.push(
                        Diagnostic::error("Failed to read data source")
                            .with_detail(format!("Reading {addr} failed: {e}"))
                            .with_subject(resource.decl_span)
                            .with_address(addr.to_string()),
                    );
                    return Value::unknown();
                }
            }
        }
        let value = change.after.clone().unwrap_or(Value::Null);
        self.changes.insert(addr, change);
        value
    }
}

impl InstanceHook for PlannerHook<'_> {
    fn instance(&mut self, resource: &Resource, instance: &ResourceInstance) -> Value {
        let addr = instance.addr();
        self.seen.insert(addr.clone());
        let Some(rtype) = provider::lookup(resource.mode, &resource.type_name) else { return Value::unknown() };
        if resource.mode == ResourceMode::Data {
            return self.read_data(rtype, resource, instance, addr);
        }
        let prior_state = self.state.find_instance(&super::state_addr(&addr));
        let prior = prior_state.map(|i| super::typed_state_value(&addr, i));
        let intent = intent_for(resource, prior.is_some() && (self.replace.contains(&addr) || self.triggered(resource, instance)));
        let diffed = match diff::diff(rtype, prior.as_ref(), &instance.value, &intent) {
            Ok(d) => d,
            Err(message) => {
                self.diags.push(
                    Diagnostic::error("Invalid resource configuration")
                        .with_detail(message)
                        .with_subject(resource.decl_span)
                        .with_address(addr.to_string()),
                );
                return Value::unknown();
            }
        };
        let reason = if diffed.action.is_replace() {
            if self.replace.contains(&addr) {
                Some(Reason::ReplaceByRequest)
            } else if diffed.replace_paths.is_empty() {
                Some(Reason::ReplaceByTriggers)
            } else {
                Some(Reason::ReplaceBecauseCannotUpdate)
            }
        } else {
            None
        };
        if diffed.action.is_replace() && literal_true(&resource.lifecycle.prevent_destroy) {
            self.diags.push(
                Diagnostic::error("Instance cannot be destroyed")
                    .with_detail(format!(
                        "Resource {addr} has lifecycle.prevent_destroy set, but the plan calls for this resource to be destroyed (replaced because of {}). To avoid this error and continue with the plan, either disable lifecycle.prevent_destroy or reduce the scope of the plan using the -target option.",
                        if diffed.replace_paths.is_empty() { "a replacement request".to_string() } else { diffed.replace_paths.join(", ") }
                    ))
                    .with_subject(resource.decl_span)
                    .with_address(addr.to_string()),
            );
        }
        let value = diffed.after.clone();
        self.changes.insert(
            addr.clone(),
            Change {
                addr: addr.clone(),
                action: diffed.action,
                before: prior,
                after: Some(diffed.after),
                replace_paths: diffed.replace_paths,
                reason,
                dependencies: instance.dependencies.clone(),
                import_id: None,
                moved_from: self.moved.get(&addr).cloned(),
            },
        );
        value
    }
}
