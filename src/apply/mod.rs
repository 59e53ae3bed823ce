//! Carrying out a plan.
//!
//! Owns: the apply coordinator (cargo's dependency-queue pattern, in
//! tokio): one loop that owns the state and the walk over the stack's object
//! graph, starts ready provider operations up to `-parallelism`, records each
//! result, persists state after every completion, and releases dependents.
//! Workers only call the provider and send back what happened. Also owns
//! [`ApplyEvent`] and the [`Reporter`] seam to the UI, and stopping on
//! Ctrl-C.
//!
//! Does not own: deciding what to do (the [`Plan`] says; apply never plans
//! anew, it only re-evaluates configuration to learn values that were
//! unknown at plan time, and refuses if that changes the plan), storing
//! state (a [`StateSink`]), or drawing progress (a [`Reporter`]).
//!
//! Ordering: creates and updates follow the object graph (a resource after
//! everything it references). Deletes of objects gone from the configuration
//! run in reverse dependency order (an object after everything that
//! depended on it). A replacement deletes then creates, or with
//! `create_before_destroy` creates then deletes.
//!
//! CAUTION: inside the coordinator loop nothing returns early: every
//! started operation is awaited and recorded, and state is persisted,
//! whatever fails.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::addrs::ResourceAddr;
use crate::config::model::Config;
use crate::diag::{Diagnostic, Diagnostics};
use crate::plan::diff::{self, Intent};
use crate::plan::{self, Action, Change, Plan};
use crate::provider::{self, ProviderError};
use crate::stack::{self, Node, NodeKind, Walker};
use crate::state::State;
use crate::value::Value;

/// What happened, for the UI.
#[derive(Debug, Clone, PartialEq)]
pub enum ApplyEvent {
    /// An operation started.
    Started { addr: ResourceAddr, action: Action },
    /// An operation finished; `id` is the object's id attribute if it has one.
    Finished { addr: ResourceAddr, action: Action, elapsed: Duration, id: Option<String> },
    /// An operation failed.
    Failed { addr: ResourceAddr, action: Action, message: String },
    /// Not attempted because something it depends on failed.
    Skipped { addr: ResourceAddr, upstream: String },
    /// Ctrl-C: no new operations start.
    Stopping,
}

/// Receives [`ApplyEvent`]s. The terminal UI implements it; tests record.
pub trait Reporter: Send {
    fn on_event(&mut self, event: &ApplyEvent);
}

/// A reporter that ignores everything.
pub struct NoReporter;

impl Reporter for NoReporter {
    fn on_event(&mut self, _: &ApplyEvent) {}
}

/// Where state goes after every change.
pub trait StateSink: Send + 'static {
    fn persist(&mut self, state: &State) -> Result<(), String>;
}

/// Saves state off the coordinator's thread. The coordinator hands it the
/// newest state whenever it is idle, so saves run back to back while
/// operations go on: a finished change is on disk within one save of
/// finishing, and the run ends with a save of the final state. (Writing the
/// whole state after every single change made long applies quadratic.)
struct Saver {
    sink: Option<Box<dyn StateSink>>,
    dirty: bool,
    done_tx: mpsc::UnboundedSender<(Box<dyn StateSink>, Result<(), String>)>,
    done_rx: mpsc::UnboundedReceiver<(Box<dyn StateSink>, Result<(), String>)>,
}

impl Saver {
    fn new(sink: Box<dyn StateSink>) -> Saver {
        let (done_tx, done_rx) = mpsc::unbounded_channel();
        Saver { sink: Some(sink), dirty: false, done_tx, done_rx }
    }

    /// Starts a save of `state` if one is needed and none is running.
    fn maybe_save(&mut self, state: &State) {
        if !self.dirty {
            return;
        }
        let Some(mut sink) = self.sink.take() else { return };
        self.dirty = false;
        let snapshot = state.clone();
        let tx = self.done_tx.clone();
        tokio::task::spawn_blocking(move || {
            let result = sink.persist(&snapshot);
            let _ = tx.send((sink, result));
        });
    }

    fn saving(&self) -> bool {
        self.sink.is_none()
    }

    /// A save finished: takes the sink back.
    fn finished(&mut self, sink: Box<dyn StateSink>, result: Result<(), String>, diags: &mut Diagnostics) {
        self.sink = Some(sink);
        if let Err(e) = result {
            self.dirty = true;
            diags.push(Diagnostic::error("Failed to persist state").with_detail(format!(
                "{e}. The changes made so far are only in memory; cairn keeps going and tries again after the next change."
            )));
        }
    }

    /// Waits for a running save, then saves `state` and waits for that.
    async fn flush(&mut self, state: &State, diags: &mut Diagnostics) {
        if self.saving() {
            if let Some((sink, result)) = self.done_rx.recv().await {
                self.finished(sink, result, diags);
            }
        }
        self.dirty = true;
        self.maybe_save(state);
        if let Some((sink, result)) = self.done_rx.recv().await {
            self.sink = Some(sink);
            if let Err(e) = result {
                diags.push(Diagnostic::error("Failed to persist state").with_detail(format!(
                    "{e}. The final state could not be saved; run `cairn state push` with a copy, or apply again once the storage works."
                )));
            }
        }
    }
}

/// How the run ended.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub imported: usize,
    pub added: usize,
    pub changed: usize,
    pub replaced: usize,
    pub destroyed: usize,
    pub failed: usize,
    pub skipped: usize,
    /// Ctrl-C stopped the run before everything was done.
    pub interrupted: bool,
}

/// Options of one apply.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    pub parallelism: usize,
}

/// Ctrl-C requests, counted: 1 = stop starting work, 2 = stop now.
#[derive(Debug, Clone, Default)]
pub struct Interrupt(Arc<AtomicUsize>);

impl Interrupt {
    pub fn new() -> Interrupt {
        Interrupt::default()
    }
    pub fn request(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    pub fn level(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// One unit of scheduling.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Item {
    /// A node of the object graph (resources run their changes).
    Node(Node),
    /// Deleting an object that the configuration no longer has.
    Delete(ResourceAddr),
}

/// A worker's report.
struct Done {
    item: Item,
    addr: ResourceAddr,
    action: Action,
    elapsed: Duration,
    /// What the plan said the object would be (create and update).
    planned: Option<Value>,
    result: Result<Option<Value>, ProviderError>,
}

/// Applies `plan`. `config` must be the configuration the plan was made
/// from (the caller checks its digest); `state` is the prior state, which
/// must be the one the plan was made against.
pub async fn apply(
    plan: &Plan,
    config: &Config,
    stack_options: &stack::Options,
    mut state: State,
    sink: Box<dyn StateSink>,
    reporter: &mut dyn Reporter,
    options: &ApplyOptions,
    interrupt: &Interrupt,
) -> (State, Outcome, Diagnostics) {
    let mut diags = Diagnostics::new();
    let mut outcome = Outcome::default();
    // What refresh found is the truth now, whatever else happens.
    for d in &plan.drift {
        let sa = plan::state_addr(&d.addr);
        match (&d.action, &d.after) {
            (Action::Delete, _) => {
                state.remove_instance(&sa);
            }
            (_, Some(after)) => {
                if let Some(inst) = state.find_instance_mut(&sa) {
                    plan::store_value(inst, after);
                }
            }
            _ => {}
        }
    }
    // Kept canonical from here on, so each save writes it as it is.
    state.normalize();
    let (graph, graph_diags) = stack::build(config);
    if graph_diags.has_errors() {
        diags.extend(graph_diags);
        return (state, outcome, diags);
    }
    let changes: HashMap<ResourceAddr, &Change> = plan.changes.iter().map(|c| (c.addr.clone(), c)).collect();
    let mut walker = Walker::new(config, stack_options, &graph);

    // Work items and their dependencies.
    let mut deps: BTreeMap<Item, HashSet<Item>> = BTreeMap::new();
    if !plan.destroy {
        for node in graph.nodes() {
            let d: HashSet<Item> = graph.dependencies(node).into_iter().map(|n| Item::Node(n.clone())).collect();
            deps.insert(Item::Node(node.clone()), d);
        }
    }
    // Deletes of objects without configuration: after whatever depended on them.
    let deletes: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Delete)
        .collect();
    let delete_items: HashMap<String, Vec<Item>> = deletes.iter().fold(HashMap::new(), |mut m, c| {
        m.entry(c.addr.config().to_string()).or_default().push(Item::Delete(c.addr.clone()));
        m
    });
    for c in &deletes {
        deps.entry(Item::Delete(c.addr.clone())).or_default();
    }
    for c in &deletes {
        // `c` depended on each of c.dependencies: those deletes wait for c.
        for d in &c.dependencies {
            for item in delete_items.get(d).into_iter().flatten() {
                deps.entry(item.clone()).or_default().insert(Item::Delete(c.addr.clone()));
            }
        }
    }
    // An object still configured that depended (in state) on a deleted one
    // must be updated before the delete.
    if !plan.destroy {
        for c in plan.changes.iter().filter(|c| c.action != Action::Delete) {
            let prior_deps = state.find_instance(&plan::state_addr(&c.addr)).map(|i| i.dependencies.clone()).unwrap_or_default();
            for d in prior_deps {
                for item in delete_items.get(&d).into_iter().flatten() {
                    let node = Item::Node(Node { module: c.addr.module.config_path(), kind: NodeKind::Resource(resource_key(c)) });
                    deps.entry(item.clone()).or_default().insert(node);
                }
            }
        }
    }

    let mut pending: BTreeMap<Item, usize> = deps.iter().map(|(k, v)| (k.clone(), v.len())).collect();
    let mut dependents: HashMap<Item, Vec<Item>> = HashMap::new();
    for (item, ds) in &deps {
        for d in ds {
            dependents.entry(d.clone()).or_default().push(item.clone());
        }
    }
    let mut ready: Vec<Item> = pending.iter().filter(|(_, n)| **n == 0).map(|(k, _)| k.clone()).collect();
    ready.sort();
    ready.reverse();
    let mut failed_items: HashMap<Item, String> = HashMap::new();
    // Resource nodes wait for all their instances.
    let mut outstanding: HashMap<Item, usize> = HashMap::new();
    let (tx, mut rx) = mpsc::unbounded_channel::<Done>();
    let limit = options.parallelism.max(1);
    let mut in_flight = 0usize;
    // Operations waiting for a parallelism slot.
    let mut queued_ops: std::collections::VecDeque<(Item, ResourceAddr, Action, Option<Value>, Option<Value>)> = Default::default();
    let mut stopping = false;
    let mut saver = Saver::new(sink);
    // Each instance's `each`/`count`, for postconditions after it is made.
    let mut bindings: HashMap<ResourceAddr, (Option<(Value, Value)>, Option<Value>)> = HashMap::new();

    loop {
        // 1. Start everything that is ready.
        while let Some(item) = ready.pop() {
            if stopping {
                continue;
            }
            if let Some(upstream) = failed_items.get(&item).cloned() {
                skip(&item, &upstream, &changes, reporter, &mut outcome);
                complete(&item, &mut pending, &dependents, &mut ready, &mut failed_items, Some(upstream));
                continue;
            }
            match &item {
                Item::Node(node) if matches!(node.kind, NodeKind::Resource(_)) => {
                    let instances = walker.resource_instance_configs(node);
                    let mut started = 0;
                    for inst in instances {
                        let addr = inst.addr();
                        let key = inst.resource_key();
                        bindings.insert(addr.clone(), (inst.each.clone(), inst.count.clone()));
                        let Some(change) = changes.get(&addr) else {
                            // Not in the plan (outside -target): keep the prior object visible.
                            let prior = state.find_instance(&plan::state_addr(&addr)).map(|i| plan::prior_value(&addr, i));
                            walker.set_instance_value(&inst.module, &key, &inst.key, prior.unwrap_or(Value::Null));
                            continue;
                        };
                        let (after, action) = match final_after(change, &inst.value, config, &addr) {
                            Ok(a) => a,
                            Err(d) => {
                                diags.push(d);
                                outcome.failed += 1;
                                failed_items.insert(item.clone(), addr.to_string());
                                continue;
                            }
                        };
                        if change.action == Action::NoOp && change.moved_from.is_some() {
                            // A move that needs no other change: the object changes address only.
                            if let (Some(old), Some(before)) = (&change.moved_from, &change.before) {
                                let mut record = crate::state::InstanceState::new(serde_json::Value::Null);
                                plan::store_value(&mut record, before);
                                record.dependencies = change.dependencies.clone();
                                state.remove_instance(&plan::state_addr(old));
                                state.insert_instance(&plan::state_addr(&addr), crate::plan::planner::provider_name(&addr), record);
                                saver.dirty = true;
                            }
                        }
                        if change.action == Action::NoOp && change.import_id.is_some() {
                            // An import that needs no change: the adopted object goes into state as it is.
                            if let Some(before) = &change.before {
                                let mut record = crate::state::InstanceState::new(serde_json::Value::Null);
                                plan::store_value(&mut record, before);
                                record.dependencies = change.dependencies.clone();
                                state.insert_instance(&plan::state_addr(&addr), crate::plan::planner::provider_name(&addr), record);
                                outcome.imported += 1;
                            }
                        }
                        if matches!(action, Action::NoOp) || action == Action::Delete {
                            walker.set_instance_value(&inst.module, &key, &inst.key, change.before.clone().or(after).unwrap_or(Value::Null));
                            continue;
                        }
                        queued_ops.push_back((item.clone(), addr, action, change.before.clone(), after));
                        started += 1;
                    }
                    if started == 0 {
                        let failed = failed_items.get(&item).cloned();
                        complete(&item, &mut pending, &dependents, &mut ready, &mut failed_items, failed);
                    } else {
                        outstanding.insert(item.clone(), started);
                    }
                }
                Item::Node(node) => {
                    walker.eval_node(node, &mut stack::ConfigOnly);
                    complete(&item, &mut pending, &dependents, &mut ready, &mut failed_items, None);
                }
                Item::Delete(addr) => {
                    let before = changes.get(addr).and_then(|c| c.before.clone());
                    queued_ops.push_back((item.clone(), addr.clone(), Action::Delete, before, None));
                    outstanding.insert(item.clone(), 1);
                }
            }
        }
        while in_flight < limit && !stopping {
            let Some((item, addr, action, before, after)) = queued_ops.pop_front() else { break };
            reporter.on_event(&ApplyEvent::Started { addr: addr.clone(), action });
            in_flight += 1;
            let tx = tx.clone();
            tokio::spawn(async move {
                let start = Instant::now();
                let result = run_operation(&addr, action, before.as_ref(), after.as_ref()).await;
                let _ = tx.send(Done { item, addr, action, elapsed: start.elapsed(), planned: after, result });
            });
        }
        if in_flight == 0 && (queued_ops.is_empty() || stopping) && ready.is_empty() {
            break;
        }

        // 2. Wait for a result, a finished save or Ctrl-C, then take every
        //    result already there.
        let first = tokio::select! {
            d = rx.recv() => d,
            Some((sink, result)) = saver.done_rx.recv() => {
                saver.finished(sink, result, &mut diags);
                saver.maybe_save(&state);
                None
            }
            // Also wakes up to notice Ctrl-C (a second one stops at once).
            _ = tokio::time::sleep(Duration::from_millis(100)) => None,
        };
        if !stopping && interrupt.level() >= 1 {
            stopping = true;
            outcome.interrupted = true;
            reporter.on_event(&ApplyEvent::Stopping);
        }
        let mut batch: Vec<Done> = first.into_iter().collect();
        while let Ok(d) = rx.try_recv() {
            batch.push(d);
        }
        if batch.is_empty() {
            if interrupt.level() >= 2 {
                break;
            }
            continue;
        }
        for done in batch {
            in_flight -= 1;
            record(&done, &mut state, &changes, &mut walker, reporter, &mut outcome, &mut diags, &mut failed_items, &bindings);
            let left = outstanding.get_mut(&done.item).map(|n| {
                *n -= 1;
                *n
            });
            if left == Some(0) {
                outstanding.remove(&done.item);
                let failed = failed_items.get(&done.item).cloned();
                complete(&done.item, &mut pending, &dependents, &mut ready, &mut failed_items, failed);
            }
        }
        // 3. Persist after every batch of completions (or as soon as the
        //    running save is done).
        state.serial += 1;
        saver.dirty = true;
        saver.maybe_save(&state);
        if interrupt.level() >= 2 {
            break;
        }
    }

    // Outputs, once everything ran.
    let (_, outputs, walk_diags) = walker.finish();
    diags.extend(walk_diags);
    if !outcome.interrupted && outcome.failed == 0 {
        state.outputs.clear();
        if !plan.destroy {
            for (name, value) in outputs {
                let sensitive = config.module.outputs.get(&name).is_some_and(|o| o.sensitive) || value.contains_sensitive();
                // Like Terraform, state keeps no null outputs.
                if !value.is_wholly_known() || value.is_null() {
                    continue;
                }
                state.set_output(name, value.to_json(), value.type_of().to_json(), sensitive);
            }
        }
    }
    state.serial += 1;
    saver.flush(&state, &mut diags).await;
    if outcome.interrupted {
        diags.push(Diagnostic::error("Apply interrupted").with_detail(
            "cairn stopped starting new operations after Ctrl-C and saved the state of everything that finished. Run plan again to see what is left.",
        ));
    }
    (state, outcome, diags)
}

fn resource_key(c: &Change) -> String {
    crate::config::model::resource_key(c.addr.mode, &c.addr.type_name, &c.addr.name)
}

/// The object to create or update, with values that were unknown at plan
/// time now known. Refuses when the final configuration disagrees with
/// what was planned.
fn final_after(change: &Change, config_value: &Value, config: &Config, addr: &ResourceAddr) -> Result<(Option<Value>, Action), Diagnostic> {
    let Some(planned) = &change.after else { return Ok((None, change.action)) };
    if planned.is_wholly_known() {
        return Ok((Some(planned.clone()), change.action));
    }
    let Some(rtype) = provider::lookup(addr.mode, &addr.type_name) else { return Ok((Some(planned.clone()), change.action)) };
    let key = crate::config::model::resource_key(addr.mode, &addr.type_name, &addr.name);
    let resource = config.descendant(&addr.module.config_path()).and_then(|c| c.module.resources.get(&key));
    let mut intent = match resource {
        Some(r) => crate::plan::planner::intent_for(r, change.action.is_replace()),
        None => Intent::default(),
    };
    intent.create_before_destroy = change.action == Action::CreateThenDelete;
    intent.force_replace = change.action.is_replace();
    let diffed = diff::diff(rtype, change.before.as_ref(), config_value, &intent).map_err(|m| {
        Diagnostic::error("Invalid resource configuration").with_detail(m).with_address(addr.to_string())
    })?;
    // A data source read deferred to apply diffs as a create of its
    // configuration: still the planned read.
    let consistent = diffed.action == change.action
        || (change.action == Action::Update && diffed.action == Action::NoOp)
        || (change.action == Action::Read && diffed.action == Action::Create);
    if !consistent || !conforms(planned, &diffed.after) {
        return Err(Diagnostic::error("Configuration changed during apply")
            .with_detail(format!(
                "When the values unknown at plan time became known, {addr} needed a different change than the plan shows ({:?} planned, {:?} now). Nothing was done to it; run plan again.",
                change.action, diffed.action
            ))
            .with_address(addr.to_string()));
    }
    // An update whose unknowns turned out to be the old values is no change.
    let action = if change.action == Action::Update && diffed.action == Action::NoOp { Action::NoOp } else { change.action };
    Ok((Some(diffed.after), action))
}

/// Whether `now` agrees with `planned` wherever `planned` was known.
fn conforms(planned: &Value, now: &Value) -> bool {
    match (planned.unmarked(), now.unmarked()) {
        (Value::Unknown(_), _) => true,
        (Value::Object(a) | Value::Map(a), Value::Object(b) | Value::Map(b)) => {
            a.iter().all(|(k, v)| b.get(k).is_some_and(|w| conforms(v, w)))
        }
        (Value::List(a) | Value::Tuple(a) | Value::Set(a), Value::List(b) | Value::Tuple(b) | Value::Set(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(v, w)| conforms(v, w))
        }
        (a, b) => a.equals(b),
    }
}

/// A warning when the object a provider made differs from the plan where
/// the plan was known (Terraform's "inconsistent result after apply"):
/// the state keeps what the provider returned, and the next plan shows any
/// difference. Names the attributes, never their values (they may be
/// sensitive).
fn inconsistent_result(addr: &ResourceAddr, planned: &Value, made: &Value) -> Option<Diagnostic> {
    let (Some(p), Some(m)) = (planned.unmarked().as_map(), made.unmarked().as_map()) else { return None };
    let differs: Vec<&str> = p
        .iter()
        .filter(|(k, v)| !m.get(*k).is_some_and(|w| conforms(v, w)))
        .map(|(k, _)| k.as_str())
        .collect();
    if differs.is_empty() {
        return None;
    }
    Some(
        Diagnostic::warning("Provider produced an inconsistent result after apply")
            .with_detail(format!(
                "{addr}: the object made differs from the plan in {}. cairn keeps the object as the provider \
                 returned it; the next plan shows any difference. This is a bug in the resource type's plan: \
                 please report it.",
                differs.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
            ))
            .with_address(addr.to_string()),
    )
}

/// The provider calls of one change.
async fn run_operation(addr: &ResourceAddr, action: Action, before: Option<&Value>, after: Option<&Value>) -> Result<Option<Value>, ProviderError> {
    let Some(rtype) = provider::lookup(addr.mode, &addr.type_name) else {
        return Err(ProviderError::Failed(format!("resource type {} is not supported", addr.type_name)));
    };
    let null = Value::Null;
    match action {
        Action::Create => rtype.create(after.unwrap_or(&null)).await.map(Some),
        Action::Update => rtype.update(before.unwrap_or(&null), after.unwrap_or(&null)).await.map(Some),
        Action::DeleteThenCreate => {
            if let Some(b) = before {
                match rtype.delete(b).await {
                    Ok(()) | Err(ProviderError::NotFound) => {}
                    Err(e) => return Err(e),
                }
            }
            rtype.create(after.unwrap_or(&null)).await.map(Some)
        }
        Action::CreateThenDelete => {
            let created = rtype.create(after.unwrap_or(&null)).await?;
            if let Some(b) = before {
                match rtype.delete(b).await {
                    Ok(()) | Err(ProviderError::NotFound) => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(Some(created))
        }
        Action::Delete => match rtype.delete(before.unwrap_or(&null)).await {
            Ok(()) | Err(ProviderError::NotFound) => Ok(None),
            Err(e) => Err(e),
        },
        Action::Read => rtype.read(after.unwrap_or(&null)).await,
        Action::NoOp => Ok(before.cloned()),
    }
}

/// Records one finished operation in state, the walk and the outcome.
#[allow(clippy::too_many_arguments)]
fn record(
    done: &Done,
    state: &mut State,
    changes: &HashMap<ResourceAddr, &Change>,
    walker: &mut Walker<'_>,
    reporter: &mut dyn Reporter,
    outcome: &mut Outcome,
    diags: &mut Diagnostics,
    failed_items: &mut HashMap<Item, String>,
    bindings: &HashMap<ResourceAddr, (Option<(Value, Value)>, Option<Value>)>,
) {
    let addr = &done.addr;
    let sa = plan::state_addr(addr);
    match &done.result {
        Ok(Some(value)) => {
            // Terraform makes this an error. Google types cannot yet mark a
            // computed attribute unknown in their plan (etags, fingerprints,
            // update times keep their prior values), so for now it is only
            // logged (CAIRN_LOG=debug).
            if let Some(d) = done.planned.as_ref().and_then(|p| inconsistent_result(addr, p, value)) {
                tracing::debug!(address = %addr, detail = %d.detail, "{}", d.summary);
            }
            let deps = changes.get(addr).map(|c| c.dependencies.clone()).unwrap_or_default();
            let mut inst = crate::state::InstanceState::new(serde_json::Value::Null);
            plan::store_value(&mut inst, value);
            inst.dependencies = deps;
            inst.dependencies.sort();
            inst.dependencies.dedup();
            inst.create_before_destroy = done.action == Action::CreateThenDelete;
            state.insert_instance(&sa, crate::plan::planner::provider_name(addr), inst);
            if let Some(old) = changes.get(addr).and_then(|c| c.moved_from.as_ref()) {
                state.remove_instance(&plan::state_addr(old));
            }
            let key = crate::config::model::resource_key(addr.mode, &addr.type_name, &addr.name);
            let mi = module_instance(addr);
            walker.set_instance_value(&mi, &key, &addr.key, value.clone());
            // Postconditions see the object as made.
            if let Item::Node(node) = &done.item {
                if let Some(resource) = walker.resource_config(node) {
                    let inst = stack::ResourceInstance {
                        module: mi.clone(),
                        mode: addr.mode,
                        type_name: addr.type_name.clone(),
                        name: addr.name.clone(),
                        key: addr.key.clone(),
                        value: value.clone(),
                        dependencies: Vec::new(),
                        each: bindings.get(addr).and_then(|b| b.0.clone()),
                        count: bindings.get(addr).and_then(|b| b.1.clone()),
                    };
                    let before = walker.take_diagnostics();
                    walker.check_conditions(&node.module, resource, &inst, Some(value));
                    let found = walker.take_diagnostics();
                    if found.has_errors() {
                        failed_items.insert(done.item.clone(), addr.to_string());
                        outcome.failed += 1;
                    }
                    diags.extend(before);
                    diags.extend(found);
                }
            }
            let id = value.as_map().and_then(|m| m.get("id")).and_then(|v| v.as_str()).map(str::to_string);
            reporter.on_event(&ApplyEvent::Finished { addr: addr.clone(), action: done.action, elapsed: done.elapsed, id });
            match done.action {
                Action::Create => outcome.added += 1,
                Action::Update => outcome.changed += 1,
                Action::DeleteThenCreate | Action::CreateThenDelete => outcome.replaced += 1,
                _ => {}
            }
        }
        Ok(None) => {
            state.remove_instance(&sa);
            reporter.on_event(&ApplyEvent::Finished { addr: addr.clone(), action: done.action, elapsed: done.elapsed, id: None });
            outcome.destroyed += 1;
        }
        Err(e) => {
            // A replacement that deleted first has lost its object.
            if done.action == Action::DeleteThenCreate {
                state.remove_instance(&sa);
            }
            outcome.failed += 1;
            let message = e.to_string();
            reporter.on_event(&ApplyEvent::Failed { addr: addr.clone(), action: done.action, message: message.clone() });
            diags.push(
                Diagnostic::error(format!("Failed to {} {addr}", verb(done.action)))
                    .with_detail(message)
                    .with_address(addr.to_string()),
            );
            failed_items.insert(done.item.clone(), addr.to_string());
        }
    }
}

fn verb(action: Action) -> &'static str {
    match action {
        Action::Create => "create",
        Action::Update => "update",
        Action::DeleteThenCreate | Action::CreateThenDelete => "replace",
        Action::Delete => "destroy",
        Action::NoOp | Action::Read => "read",
    }
}

fn module_instance(addr: &ResourceAddr) -> stack::ModuleInstance {
    addr.module.0.iter().map(|s| (s.name.clone(), s.key.clone())).collect()
}

fn skip(item: &Item, upstream: &str, changes: &HashMap<ResourceAddr, &Change>, reporter: &mut dyn Reporter, outcome: &mut Outcome) {
    let addrs: Vec<ResourceAddr> = match item {
        Item::Delete(a) => vec![a.clone()],
        Item::Node(n) => changes
            .keys()
            .filter(|a| {
                matches!(&n.kind, NodeKind::Resource(k) if a.module.config_path() == n.module && &crate::config::model::resource_key(a.mode, &a.type_name, &a.name) == k)
            })
            .cloned()
            .collect(),
    };
    for a in addrs {
        if changes.get(&a).is_some_and(|c| c.action != Action::NoOp) {
            outcome.skipped += 1;
            reporter.on_event(&ApplyEvent::Skipped { addr: a, upstream: upstream.to_string() });
        }
    }
}

/// Marks `item` done and makes ready whatever waited only for it. A failed
/// item passes its failure on to its dependents.
fn complete(
    item: &Item,
    pending: &mut BTreeMap<Item, usize>,
    dependents: &HashMap<Item, Vec<Item>>,
    ready: &mut Vec<Item>,
    failed_items: &mut HashMap<Item, String>,
    failure: Option<String>,
) {
    for d in dependents.get(item).into_iter().flatten() {
        if let Some(f) = &failure {
            failed_items.entry(d.clone()).or_insert_with(|| f.clone());
        }
        if let Some(n) = pending.get_mut(d) {
            *n -= 1;
            if *n == 0 {
                ready.push(d.clone());
            }
        }
    }
}

#[cfg(test)]
mod inconsistency_tests {
    use super::*;

    #[test]
    fn names_the_attributes_that_differ_where_the_plan_was_known() {
        let addr: ResourceAddr = "google_storage_bucket.b".parse().unwrap();
        let planned = Value::object([("name", Value::string("b")), ("etag", Value::string("e1")), ("id", Value::Unknown(crate::value::Type::String))]);
        let made = Value::object([("name", Value::string("b")), ("etag", Value::string("e2")), ("id", Value::string("b"))]);
        let d = inconsistent_result(&addr, &planned, &made).expect("etag differs");
        assert!(d.detail.contains("`etag`") && !d.detail.contains("`id`") && !d.detail.contains("e2"), "{}", d.detail);
        assert!(inconsistent_result(&addr, &made, &made).is_none());
    }
}
