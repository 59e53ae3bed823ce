//! Commands that read or edit state directly: `show`, `output`, `state ...`,
//! `force-unlock`, `workspace ...`, `import`.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use super::args::{ForceUnlockArgs, ImportArgs, OutputArgs, ShowArgs, StateCommand, WorkspaceCommand};
use super::context::{self, Stack};
use super::Output;
use crate::addrs::{ResourceAddr, Target};
use crate::apply::StateSink;
use crate::plan::planner::instances_of;
use crate::plan::render::render_value;
use crate::plan::{self, file as planfile};
use crate::state::{self, State};

fn open(dir: &Path, out: &Output) -> Option<Stack> {
    match Stack::open(dir) {
        Ok(s) => Some(s),
        Err(d) => {
            out.diagnostics(&d, &crate::diag::SourceMap::new());
            None
        }
    }
}

fn read(stack: &Stack, out: &Output) -> Option<(State, Option<u64>)> {
    match stack.read_state() {
        Ok(s) => Some(s),
        Err(d) => {
            out.diagnostics(&d, &stack.sources);
            None
        }
    }
}

/// A value as `terraform output` prints it: quoted keys, two-space
/// indentation, trailing commas in lists, heredocs for multi-line strings.
pub fn format_output(v: &serde_json::Value, indent: usize) -> String {
    use serde_json::Value as J;
    let pad = " ".repeat(indent + 2);
    let end = " ".repeat(indent);
    match v {
        J::Null => "null".into(),
        J::Bool(b) => b.to_string(),
        J::Number(n) => n.as_f64().map(crate::value::format_number).unwrap_or_else(|| n.to_string()),
        J::String(s) if s.contains('\n') => format!("<<EOT\n{s}\nEOT"),
        J::String(s) => serde_json::to_string(s).unwrap_or_default(),
        J::Array(xs) if xs.is_empty() => "[]".into(),
        J::Array(xs) => {
            let items: String = xs.iter().map(|x| format!("{pad}{},\n", format_output(x, indent + 2))).collect();
            format!("[\n{items}{end}]")
        }
        J::Object(m) if m.is_empty() => "{}".into(),
        J::Object(m) => {
            let items: String = m
                .iter()
                .map(|(k, x)| format!("{pad}{} = {}\n", serde_json::to_string(k).unwrap_or_default(), format_output(x, indent + 2)))
                .collect();
            format!("{{\n{items}{end}}}")
        }
    }
}

/// Prints root outputs after apply, sensitive ones hidden.
pub fn print_outputs(state: &State, out: &Output) {
    let _ = out;
    if state.outputs.is_empty() {
        return;
    }
    println!("\nOutputs:\n");
    for (name, o) in &state.outputs {
        if o.sensitive {
            println!("{name} = <sensitive>");
        } else {
            println!("{name} = {}", format_output(&o.value, 0));
        }
    }
}

pub fn show(dir: &Path, args: &ShowArgs, out: &Output) -> i32 {
    if let Some(file) = &args.file {
        let saved = match planfile::read(&dir.join(file)) {
            Ok(s) => s,
            Err(e) => {
                out.error(&e);
                return 1;
            }
        };
        if args.json {
            out.error("show -json of a saved plan arrives with the CI gating work; use `cairn show FILE` for now");
            return 1;
        }
        print!("{}", crate::plan::render::render_plan(&saved.plan, &crate::plan::render::RenderOptions { color: out.color, compact: false }));
        return 0;
    }
    let Some(stack) = open(dir, out) else { return 1 };
    let Some((state, _)) = read(&stack, out) else { return 1 };
    if args.json {
        let mut resources = Vec::new();
        for (addr, inst) in instances_of(&state) {
            let value = plan::state_value(&addr, inst);
            let e = plan::encode::encode(&value);
            resources.push(serde_json::json!({
                "address": addr.to_string(),
                "mode": if addr.mode == crate::addrs::ResourceMode::Data { "data" } else { "managed" },
                "type": addr.type_name,
                "name": addr.name,
                "values": redact(&e.value, &e.sensitive),
                "sensitive_values": e.sensitive,
                "depends_on": inst.dependencies,
            }));
        }
        let outputs: serde_json::Map<String, serde_json::Value> = state
            .outputs
            .iter()
            .map(|(k, o)| (k.clone(), serde_json::json!({"sensitive": o.sensitive, "value": if o.sensitive { serde_json::Value::Null } else { o.value.clone() }})))
            .collect();
        let doc = serde_json::json!({
            "format_version": "1.0",
            "values": {"outputs": outputs, "root_module": {"resources": resources}},
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        return 0;
    }
    if state.resources.is_empty() && state.outputs.is_empty() {
        println!("The state file is empty. No resources are represented.");
        return 0;
    }
    for (addr, inst) in instances_of(&state) {
        show_instance(&addr, inst);
    }
    print_outputs(&state, out);
    0
}

/// Replaces sensitive parts with null, for JSON that must not leak them.
fn redact(value: &serde_json::Value, mask: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match (value, mask) {
        (_, J::Bool(true)) => J::Null,
        (J::Object(m), J::Object(k)) => J::Object(m.iter().map(|(n, v)| (n.clone(), redact(v, k.get(n).unwrap_or(&J::Bool(false))))).collect()),
        (J::Array(xs), J::Array(k)) => J::Array(xs.iter().enumerate().map(|(i, v)| redact(v, k.get(i).unwrap_or(&J::Bool(false)))).collect()),
        (v, _) => v.clone(),
    }
}

fn show_instance(addr: &ResourceAddr, inst: &state::InstanceState) {
    let value = plan::state_value(addr, inst);
    println!("# {addr}:");
    let kind = if addr.mode == crate::addrs::ResourceMode::Data { "data" } else { "resource" };
    println!("{kind} {:?} {:?} {}\n", addr.type_name, addr.name, render_value(&value, 0));
}

pub fn output(dir: &Path, args: &OutputArgs, out: &Output) -> i32 {
    let Some(stack) = open(dir, out) else { return 1 };
    let Some((state, _)) = read(&stack, out) else { return 1 };
    match &args.name {
        Some(name) => {
            let Some(o) = state.outputs.get(name) else {
                out.error(&format!(
                    "Output \"{name}\" not found. The output variable requested could not be found in the state file. If you recently added this to your configuration, be sure to run `cairn apply`, since the state won't be updated with new output variables until that command is run."
                ));
                return 1;
            };
            if args.json {
                println!("{}", o.value);
            } else if args.raw {
                match &o.value {
                    serde_json::Value::String(s) => print!("{s}"),
                    serde_json::Value::Number(n) => print!("{n}"),
                    serde_json::Value::Bool(b) => print!("{b}"),
                    _ => {
                        out.error(&format!("Unsupported value for raw output: the value for output \"{name}\" is not a string, number or bool. Use -json for complex values."));
                        return 1;
                    }
                }
            } else if o.sensitive {
                println!("<sensitive>");
            } else {
                println!("{}", format_output(&o.value, 0));
            }
        }
        None => {
            if args.json {
                let m: serde_json::Map<String, serde_json::Value> = state
                    .outputs
                    .iter()
                    .map(|(k, o)| (k.clone(), serde_json::json!({"sensitive": o.sensitive, "type": o.type_, "value": o.value})))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&m).unwrap_or_default());
            } else if state.outputs.is_empty() {
                eprintln!("Warning: No outputs found. The state file either has no outputs defined, or all the defined outputs are empty.");
            } else {
                for (name, o) in &state.outputs {
                    if o.sensitive {
                        println!("{name} = <sensitive>");
                    } else {
                        println!("{name} = {}", format_output(&o.value, 0));
                    }
                }
            }
        }
    }
    0
}

pub fn state(dir: &Path, cmd: &StateCommand, out: &Output) -> i32 {
    let Some(stack) = open(dir, out) else { return 1 };
    match cmd {
        StateCommand::List { addresses } => {
            let Some((state, _)) = read(&stack, out) else { return 1 };
            let filters: Vec<Target> = match addresses.iter().map(|a| a.parse::<Target>()).collect() {
                Ok(f) => f,
                Err(e) => {
                    out.error(&format!("invalid address: {e}"));
                    return 1;
                }
            };
            for (addr, _) in instances_of(&state) {
                if filters.is_empty() || filters.iter().any(|f| f.matches(&addr)) {
                    println!("{addr}");
                }
            }
            0
        }
        StateCommand::Show { address } => {
            let Some((state, _)) = read(&stack, out) else { return 1 };
            let Ok(addr) = address.parse::<ResourceAddr>() else {
                out.error(&format!("{address:?} is not a resource instance address"));
                return 1;
            };
            match state.find_instance(&plan::state_addr(&addr)) {
                Some(inst) => {
                    show_instance(&addr, inst);
                    0
                }
                None => {
                    out.error(&format!("No instance found for the given address {addr}. Run `cairn state list` to see the addresses in the state."));
                    1
                }
            }
        }
        StateCommand::Mv { source, destination, lock } => edit(&stack, lock, out, |state| {
            let (Ok(from), Ok(to)) = (source.parse::<ResourceAddr>(), destination.parse::<ResourceAddr>()) else {
                return Err("both addresses must be resource instance addresses, like terraform_data.a or terraform_data.b[\"x\"]".into());
            };
            if state.find_instance(&plan::state_addr(&to)).is_some() {
                return Err(format!("cannot move to {to}: an object already exists there"));
            }
            let Some(inst) = state.remove_instance(&plan::state_addr(&from)) else {
                return Err(format!("no object at {from} (see `cairn state list`)"));
            };
            state.insert_instance(&plan::state_addr(&to), crate::plan::planner::provider_name(&to), inst);
            println!("Move \"{from}\" to \"{to}\"\nSuccessfully moved 1 object(s).");
            Ok(())
        }),
        StateCommand::Rm { addresses, lock } => edit(&stack, lock, out, |state| {
            let mut removed = 0;
            for a in addresses {
                let target: Target = a.parse().map_err(|e| format!("invalid address {a:?}: {e}"))?;
                let matching: Vec<ResourceAddr> = instances_of(state).into_iter().map(|(x, _)| x).filter(|x| target.matches(x)).collect();
                if matching.is_empty() {
                    return Err(format!("no objects match {a} (see `cairn state list`)"));
                }
                for m in matching {
                    state.remove_instance(&plan::state_addr(&m));
                    println!("Removed {m}");
                    removed += 1;
                }
            }
            println!("Successfully removed {removed} resource instance(s).");
            Ok(())
        }),
        StateCommand::Pull => {
            let Some((state, _)) = read(&stack, out) else { return 1 };
            match state::format::to_bytes(&state, &stack.backend.location(&stack.workspace)) {
                Ok(b) => {
                    let _ = std::io::stdout().write_all(&b);
                    0
                }
                Err(e) => {
                    out.error(&e.to_string());
                    1
                }
            }
        }
        StateCommand::Push { file, force, lock } => {
            let bytes = match std::fs::read(file) {
                Ok(b) => b,
                Err(e) => {
                    out.error(&format!("failed to read {file}: {e}"));
                    return 1;
                }
            };
            let new = match state::format::from_bytes(&bytes, file) {
                Ok(s) => s,
                Err(e) => {
                    out.error(&e.to_string());
                    return 1;
                }
            };
            let force = *force;
            edit(&stack, lock, out, move |state| {
                if !force && !state.resources.is_empty() && state.lineage != new.lineage {
                    return Err(format!("cannot push: the state's lineage {} differs from {file}'s {}; use -force to overwrite", state.lineage, new.lineage));
                }
                if !force && new.serial < state.serial {
                    return Err(format!("cannot push: {file} has serial {} but the state is at {}; use -force to overwrite", new.serial, state.serial));
                }
                *state = new.clone();
                Ok(())
            })
        }
    }
}

/// Locks, reads, changes and writes the state.
fn edit(stack: &Stack, lock: &super::args::LockArgs, out: &Output, change: impl FnOnce(&mut State) -> Result<(), String>) -> i32 {
    let _guard = match stack.lock("state", lock) {
        Ok(g) => g,
        Err(d) => {
            out.diagnostics(&d, &stack.sources);
            return 1;
        }
    };
    let Some((mut state, generation)) = read(stack, out) else { return 1 };
    if let Err(e) = change(&mut state) {
        out.error(&e);
        return 1;
    }
    state.serial += 1;
    state.normalize();
    let mut sink = stack.sink(generation);
    if let Err(e) = sink.persist(&state) {
        out.error(&format!("failed to write state: {e}"));
        return 1;
    }
    0
}

pub fn force_unlock(dir: &Path, args: &ForceUnlockArgs, out: &Output) -> i32 {
    let Some(stack) = open(dir, out) else { return 1 };
    if !args.force && std::io::stdin().is_terminal() {
        print!("Do you really want to force-unlock?\n  cairn will remove the lock on the remote state.\n  This will allow local cairn commands to modify this state, even though it\n  may still be in use. Only 'yes' will be accepted to confirm.\n\n  Enter a value: ");
        let _ = std::io::stdout().flush();
        let mut line = String::new();
        let _ = std::io::stdin().lock().read_line(&mut line);
        if line.trim() != "yes" {
            println!("force-unlock cancelled.");
            return 1;
        }
    }
    match stack.backend.force_unlock(&stack.workspace, &args.lock_id) {
        Ok(()) => {
            out.success("cairn state has been successfully unlocked!");
            0
        }
        Err(e) => {
            out.error(&format!("Failed to unlock state: {e}"));
            1
        }
    }
}

pub fn workspace(dir: &Path, cmd: &WorkspaceCommand, out: &Output) -> i32 {
    let Some(stack) = open(dir, out) else { return 1 };
    let select = |name: &str| -> std::io::Result<()> {
        let f = context::environment_file(dir);
        if let Some(parent) = f.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(f, name)
    };
    match cmd {
        WorkspaceCommand::Show => {
            println!("{}", stack.workspace);
            0
        }
        WorkspaceCommand::List => {
            let mut names = stack.backend.workspaces().unwrap_or_default();
            if !names.iter().any(|n| n == "default") {
                names.insert(0, "default".into());
            }
            for n in names {
                let mark = if n == stack.workspace { "*" } else { " " };
                println!("{mark} {n}");
            }
            0
        }
        WorkspaceCommand::New { name } => {
            if let Err(e) = state::backend::validate_workspace_name(name) {
                out.error(&e.to_string());
                return 1;
            }
            if stack.backend.workspaces().unwrap_or_default().iter().any(|n| n == name) || name == "default" {
                out.error(&format!("Workspace {name:?} already exists"));
                return 1;
            }
            // An empty state makes the workspace exist.
            let mut state = State::new();
            state.serial = 1;
            let bytes = match state::format::to_bytes(&state, &stack.backend.location(name)) {
                Ok(b) => b,
                Err(e) => {
                    out.error(&e.to_string());
                    return 1;
                }
            };
            if let Err(e) = stack.backend.write(name, &bytes, None) {
                out.error(&e.to_string());
                return 1;
            }
            if let Err(e) = select(name) {
                out.error(&format!("failed to select the workspace: {e}"));
                return 1;
            }
            out.success(&format!("Created and switched to workspace {name:?}!"));
            0
        }
        WorkspaceCommand::Select { name } => {
            let exists = name == "default" || stack.backend.workspaces().unwrap_or_default().iter().any(|n| n == name);
            if !exists {
                out.error(&format!("Workspace {name:?} doesn't exist. You can create this workspace with the \"new\" subcommand."));
                return 1;
            }
            if let Err(e) = select(name) {
                out.error(&format!("failed to select the workspace: {e}"));
                return 1;
            }
            out.success(&format!("Switched to workspace {name:?}."));
            0
        }
        WorkspaceCommand::Delete { name, force } => {
            if name == "default" {
                out.error("the default workspace cannot be deleted");
                return 1;
            }
            if *name == stack.workspace {
                out.error(&format!("Workspace {name:?} is your active workspace. Select another workspace first."));
                return 1;
            }
            if !force {
                if let Ok(Some(snap)) = stack.backend.read(name) {
                    if let Ok(s) = state::format::from_bytes(&snap.bytes, name) {
                        if !s.resources.is_empty() {
                            out.error(&format!("Workspace {name:?} is not empty: it still manages {} resource(s). Destroy them first, or use -force to forget them.", s.resources.len()));
                            return 1;
                        }
                    }
                }
            }
            match stack.backend.delete_workspace(name) {
                Ok(()) => {
                    out.success(&format!("Deleted workspace {name:?}!"));
                    0
                }
                Err(e) => {
                    out.error(&e.to_string());
                    1
                }
            }
        }
    }
}

pub fn import(dir: &Path, args: &ImportArgs, out: &Output) -> i32 {
    let Some(stack) = open(dir, out) else { return 1 };
    let Ok(addr) = args.address.parse::<ResourceAddr>() else {
        out.error(&format!("{:?} is not a resource instance address", args.address));
        return 1;
    };
    let (config, diags) = stack.load();
    if context::report(out, &diags, &stack.sources) {
        return 1;
    }
    let key = crate::config::model::resource_key(addr.mode, &addr.type_name, &addr.name);
    if config.descendant(&addr.module.config_path()).and_then(|c| c.module.resources.get(&key)).is_none() {
        out.error(&format!(
            "Configuration for import target does not exist: the configuration for the given import {addr} does not exist. All target instances must have an associated configuration to be imported. Add a resource block for it first."
        ));
        return 1;
    }
    let Some(rtype) = crate::provider::lookup(addr.mode, &addr.type_name) else {
        out.error(&format!("resource type {} is not supported", addr.type_name));
        return 1;
    };
    let id = args.id.clone();
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            out.error(&format!("failed to start the runtime: {e}"));
            return 1;
        }
    };
    let (variables, var_diags) = context::resolve_variables(&config, &stack, &args.vars, args.input.unwrap_or(true));
    if context::report(out, &var_diags, &stack.sources) {
        return 1;
    }
    let _session = match context::configure_providers(&stack, &config, &variables, args.sandbox.as_deref(), &rt) {
        Ok(s) => s,
        Err(d) => {
            out.diagnostics(&d, &stack.sources);
            return 1;
        }
    };
    edit(&stack, &args.lock, out, |state| {
        if state.find_instance(&plan::state_addr(&addr)).is_some() {
            return Err(format!("Resource already managed by cairn: {addr} is already in the state. To import to this address you must first remove the existing object with `cairn state rm`."));
        }
        let value = rt.block_on(rtype.import(&id)).map_err(|e| format!("import of {addr} (ID {id:?}) failed: {e}"))?;
        let mut inst = state::InstanceState::new(serde_json::Value::Null);
        plan::store_value(&mut inst, &value);
        state.insert_instance(&plan::state_addr(&addr), crate::plan::planner::provider_name(&addr), inst);
        println!("{addr}: Import prepared!\n{addr}: Refreshing state... [id={id}]\n\nImport successful!\n\nThe resources that were imported are shown above. These resources are now in\nyour cairn state and will henceforth be managed by cairn.");
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn outputs_print_like_terraform_output() {
        let v = serde_json::json!({"list": [1, "a"], "n": null, "obj": {"k": true}, "e": [], "m": {}, "ml": "a\nb\n", "q": "q\"t", "f": 1.5});
        let want = "{\n  \"e\" = []\n  \"f\" = 1.5\n  \"list\" = [\n    1,\n    \"a\",\n  ]\n  \"m\" = {}\n  \"ml\" = <<EOT\na\nb\n\nEOT\n  \"n\" = null\n  \"obj\" = {\n    \"k\" = true\n  }\n  \"q\" = \"q\\\"t\"\n}";
        let mut sorted = serde_json::Map::new();
        let obj = v.as_object().unwrap();
        let mut keys: Vec<&String> = obj.keys().collect();
        keys.sort();
        for k in keys {
            sorted.insert(k.clone(), obj[k].clone());
        }
        assert_eq!(super::format_output(&serde_json::Value::Object(sorted), 0), want);
    }
}
