//! `plan`, `apply`, `destroy` and `refresh`.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use super::args::{ApplyArgs, PlanArgs};
use super::context::{self, Stack};
use super::progress::{BarReporter, LineReporter};
use super::Output;
use crate::addrs::{ResourceAddr, Target};
use crate::apply::{self, ApplyOptions, Interrupt, Reporter};
use crate::diag::{Diagnostic, Diagnostics};
use crate::plan::planner::{self, PlanOptions};
use crate::plan::render::{render_plan, RenderOptions};
use crate::plan::{file as planfile, Plan};
use crate::stack::{Mode, Options};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime")
}

fn plan_options(args: &PlanArgs, diags: &mut Diagnostics) -> PlanOptions {
    let mut parse_targets = |list: &[String], flag: &str| -> Vec<Target> {
        list.iter()
            .filter_map(|t| match t.parse::<Target>() {
                Ok(t) => Some(t),
                Err(e) => {
                    diags.push(Diagnostic::error(format!("Invalid {flag} address")).with_detail(format!("{t:?}: {e}")));
                    None
                }
            })
            .collect()
    };
    let targets = parse_targets(&args.target, "-target");
    let excludes = parse_targets(&args.exclude, "-exclude");
    let replace = args
        .replace
        .iter()
        .filter_map(|r| match r.parse::<ResourceAddr>() {
            Ok(a) => Some(a),
            Err(e) => {
                diags.push(Diagnostic::error("Invalid -replace address").with_detail(format!("{r:?}: {e}")));
                None
            }
        })
        .collect();
    if args.parallelism == 0 {
        diags.push(Diagnostic::error("Invalid -parallelism").with_detail("The parallelism must be at least 1."));
    }
    PlanOptions {
        destroy: args.destroy,
        refresh_only: args.refresh_only,
        skip_refresh: args.refresh == Some(false),
        targets,
        excludes,
        replace,
        parallelism: args.parallelism.max(1),
    }
}

/// Everything planning produced, for the plan and apply commands.
struct Planned {
    /// Keeps the sandbox (if any) running while the plan is applied.
    _session: context::ProviderSession,
    plan: Plan,
    variables: indexmap::IndexMap<String, crate::value::Value>,
    config: crate::config::model::Config,
    digest: String,
}

/// Loads, evaluates and plans. Prints diagnostics. `None` on errors.
fn make_plan(stack: &Stack, args: &PlanArgs, out: &Output, rt: &tokio::runtime::Runtime, state: &crate::state::State) -> Option<Planned> {
    let (config, mut diags) = stack.load();
    if diags.has_errors() {
        context::report(out, &diags, &stack.sources);
        return None;
    }
    let interactive = args.input.unwrap_or(true);
    let (variables, var_diags) = context::resolve_variables(&config, stack, &args.vars, interactive);
    diags.extend(var_diags);
    let options = plan_options(args, &mut diags);
    if diags.has_errors() {
        context::report(out, &diags, &stack.sources);
        return None;
    }
    let session = match context::configure_providers(stack, &config, &variables, args.sandbox.as_deref(), rt) {
        Ok(s) => s,
        Err(d) => {
            context::report(out, &d, &stack.sources);
            return None;
        }
    };
    let cwd = std::env::current_dir().unwrap_or_default();
    let stack_options = Options {
        mode: Mode::Plan,
        variables: variables.clone(),
        workspace: stack.workspace.clone(),
        root_dir: cwd.join(&stack.dir),
        cwd,
    };
    let (mut plan, plan_diags) = rt.block_on(planner::plan(&config, &stack_options, state, &options));
    plan.sandbox = args.sandbox.clone();
    diags.extend(plan_diags);
    diags.sort_and_dedup();
    let failed = context::report(out, &diags, &stack.sources);
    if failed {
        return None;
    }
    let digest = planfile::config_digest(&config);
    Some(Planned { _session: session, plan, variables, config, digest })
}

pub fn plan(dir: &Path, args: &PlanArgs, out: &Output) -> i32 {
    let stack = match Stack::open(dir) {
        Ok(s) => s,
        Err(d) => {
            out.diagnostics(&d, &crate::diag::SourceMap::new());
            return 1;
        }
    };
    let _lock = match stack.lock("plan", &args.lock) {
        Ok(l) => l,
        Err(d) => {
            out.diagnostics(&d, &stack.sources);
            return 1;
        }
    };
    let (state, _) = match stack.read_state() {
        Ok(s) => s,
        Err(d) => {
            out.diagnostics(&d, &stack.sources);
            return 1;
        }
    };
    let rt = runtime();
    let Some(planned) = make_plan(&stack, args, out, &rt, &state) else { return 1 };
    out!("{}", render_plan(&planned.plan, &RenderOptions { color: out.color, compact: args.compact }));
    if let Some(path) = &args.out {
        let path = dir.join(path);
        if let Err(e) = planfile::write(&path, &planned.plan, &planned.variables, &planned.digest) {
            out.error(&e);
            return 1;
        }
        outln!("\nSaved the plan to: {}\n\nTo perform exactly these actions, run the following command to apply:\n    cairn apply {:?}", path.display(), args.out.as_deref().unwrap_or(""));
    } else if planned.plan.has_changes() {
        outln!("\nNote: You didn't use the -out option to save this plan, so cairn can't guarantee to take exactly these actions if you run \"cairn apply\" now.");
    }
    if args.detailed_exitcode && planned.plan.has_changes() {
        2
    } else {
        0
    }
}

pub fn apply(dir: &Path, args: &ApplyArgs, out: &Output, destroy: bool) -> i32 {
    let stack = match Stack::open(dir) {
        Ok(s) => s,
        Err(d) => {
            out.diagnostics(&d, &crate::diag::SourceMap::new());
            return 1;
        }
    };
    let lock = match stack.lock(if destroy { "destroy" } else { "apply" }, &args.plan.lock) {
        Ok(l) => l,
        Err(d) => {
            out.diagnostics(&d, &stack.sources);
            return 1;
        }
    };
    let (state, generation) = match stack.read_state() {
        Ok(s) => s,
        Err(d) => {
            out.diagnostics(&d, &stack.sources);
            return 1;
        }
    };
    let rt = runtime();
    let planned = if let Some(file) = &args.plan_file {
        match saved_plan(&stack, dir, file, &state, out, &rt) {
            Some(p) => p,
            None => return 1,
        }
    } else {
        let mut plan_args = args.plan.clone();
        plan_args.destroy |= destroy;
        let Some(planned) = make_plan(&stack, &plan_args, out, &rt, &state) else { return 1 };
        out!("{}", render_plan(&planned.plan, &RenderOptions { color: out.color, compact: plan_args.compact }));
        if !planned.plan.has_changes() {
            return 0;
        }
        if !args.auto_approve && !confirm(destroy, args.plan.input.unwrap_or(true), out) {
            return 1;
        }
        planned
    };
    if planned.plan.errored {
        out.error("this plan has errors and cannot be applied; fix them and plan again");
        return 1;
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    let stack_options = Options {
        mode: Mode::Plan,
        variables: planned.variables.clone(),
        workspace: stack.workspace.clone(),
        root_dir: cwd.join(&stack.dir),
        cwd,
    };
    let interrupt = Interrupt::new();
    let mut reporter: Box<dyn Reporter> =
        if out.stdout_tty && std::env::var_os("CAIRN_NO_PROGRESS").is_none() { Box::new(BarReporter::new(planned.plan.changes.iter().filter(|c| c.action != crate::plan::Action::NoOp).count())) } else { Box::new(LineReporter) };
    let sink = Box::new(stack.sink(generation));
    let parallelism = args.plan.parallelism.max(1);
    let (state, outcome, diags) = rt.block_on(async {
        let watcher = interrupt.clone();
        tokio::spawn(async move {
            while tokio::signal::ctrl_c().await.is_ok() {
                watcher.request();
            }
        });
        apply::apply(&planned.plan, &planned.config, &stack_options, state, sink, reporter.as_mut(), &ApplyOptions { parallelism }, &interrupt).await
    });
    drop(reporter);
    drop(lock);
    out.diagnostics(&diags, &stack.sources);
    let verb = if planned.plan.destroy { "Destroy" } else { "Apply" };
    if diags.has_errors() {
        outln!(
            "\n{verb} failed: {} added, {} changed, {} replaced, {} destroyed, {} failed, {} not applied.",
            outcome.added, outcome.changed, outcome.replaced, outcome.destroyed, outcome.failed, outcome.skipped
        );
        return 1;
    }
    if planned.plan.destroy {
        out.success(&format!("\nDestroy complete! Resources: {} destroyed.", outcome.destroyed));
    } else {
        let imported = if outcome.imported > 0 { format!("{} imported, ", outcome.imported) } else { String::new() };
        out.success(&format!(
            "\nApply complete! Resources: {imported}{} added, {} changed, {} replaced, {} destroyed.",
            outcome.added, outcome.changed, outcome.replaced, outcome.destroyed
        ));
        super::state_cmd::print_outputs(&state, out);
    }
    0
}

/// `apply FILE`: the saved plan, if it still applies.
fn saved_plan(stack: &Stack, dir: &Path, file: &str, state: &crate::state::State, out: &Output, rt: &tokio::runtime::Runtime) -> Option<Planned> {
    let path = dir.join(file);
    let saved = match planfile::read(&path) {
        Ok(s) => s,
        Err(e) => {
            out.error(&e);
            return None;
        }
    };
    let (config, diags) = stack.load();
    if context::report(out, &diags, &stack.sources) {
        return None;
    }
    let digest = planfile::config_digest(&config);
    if digest != saved.config_digest {
        out.diagnostics(
            &Diagnostic::error("Saved plan is stale")
                .with_detail(format!(
                    "The configuration changed since {file} was made (its files differ from the ones planned). Run `cairn plan -out={file}` again and review the new plan."
                ))
                .into(),
            &stack.sources,
        );
        return None;
    }
    let state_matches = saved.plan.prior_lineage.as_deref() == Some(state.lineage.as_str()) && saved.plan.prior_serial == Some(state.serial);
    let fresh_state_ok = saved.plan.prior_serial == Some(0) && state.serial == 0 && state.resources.is_empty();
    if !state_matches && !fresh_state_ok {
        out.diagnostics(
            &Diagnostic::error("Saved plan is stale")
                .with_detail(format!(
                    "The state changed since {file} was made (planned against serial {} of lineage {}, the state is now serial {} of lineage {}). Another apply ran in between. Run `cairn plan -out={file}` again.",
                    saved.plan.prior_serial.map(|s| s.to_string()).unwrap_or_else(|| "?".into()),
                    saved.plan.prior_lineage.clone().unwrap_or_default(),
                    state.serial,
                    state.lineage
                ))
                .into(),
            &stack.sources,
        );
        return None;
    }
    if saved.plan.workspace != stack.workspace {
        out.error(&format!("{file} was made for workspace {:?}, but {:?} is selected", saved.plan.workspace, stack.workspace));
        return None;
    }
    // A plan made against the sandbox is applied against it, never Google.
    let session = match context::configure_providers(stack, &config, &saved.variables, saved.plan.sandbox.as_deref(), rt) {
        Ok(s) => s,
        Err(d) => {
            context::report(out, &d, &stack.sources);
            return None;
        }
    };
    Some(Planned { _session: session, plan: saved.plan, variables: saved.variables, config, digest })
}

fn confirm(destroy: bool, input: bool, out: &Output) -> bool {
    if !input || !std::io::stdin().is_terminal() {
        out.error("apply needs confirmation, but input is disabled or not a terminal; pass -auto-approve to apply without confirming");
        return false;
    }
    let what = if destroy { "Do you really want to destroy all resources?" } else { "Do you want to perform these actions?" };
    out!("\n{what}\n  cairn will perform the actions described above.\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    if line.trim() == "yes" {
        true
    } else {
        outln!("\n{} cancelled.", if destroy { "Destroy" } else { "Apply" });
        false
    }
}
