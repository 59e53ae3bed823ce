//! What every state-touching command needs: the stack directory, its
//! backend and workspace, the loaded configuration, variable values, and the
//! state behind a lock.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use indexmap::IndexMap;

use super::args::{LockArgs, VarArgs};
use super::Output;
use crate::config::model::Config;
use crate::config::variables::{self, CliVar, Prompt};
use crate::diag::{Diagnostic, Diagnostics, SourceMap};
use crate::state::{self, Backend, LocalBackend, LockInfo, State};
use crate::value::Value;

/// The stack a command works on.
pub struct Stack {
    pub dir: PathBuf,
    pub sources: SourceMap,
    pub workspace: String,
    pub backend: std::sync::Arc<dyn Backend>,
}

/// Where the selected workspace is remembered (like Terraform's `.terraform/environment`).
pub fn environment_file(dir: &Path) -> PathBuf {
    dir.join(".cairn").join("environment")
}

impl Stack {
    /// Opens the stack in `dir`: backend from `terraform { backend "local" }` or the default.
    pub fn open(dir: &Path) -> Result<Stack, Diagnostics> {
        let sources = SourceMap::new();
        let workspace = std::env::var("TF_WORKSPACE")
            .ok()
            .filter(|w| !w.is_empty())
            .or_else(|| std::fs::read_to_string(environment_file(dir)).ok().map(|s| s.trim().to_string()))
            .filter(|w| !w.is_empty())
            .unwrap_or_else(|| "default".to_string());
        let backend = backend_for(dir, &sources)?;
        Ok(Stack { dir: dir.to_path_buf(), sources, workspace, backend })
    }

    /// Loads the configuration (every file of every module).
    pub fn load(&self) -> (Config, Diagnostics) {
        crate::config::load(&self.dir, &self.sources)
    }

    /// Reads the workspace's state (a new one if there is none) and its generation.
    pub fn read_state(&self) -> Result<(State, Option<u64>), Diagnostics> {
        let location = self.backend.location(&self.workspace);
        match self.backend.read(&self.workspace) {
            Ok(None) => Ok((State::new(), None)),
            Ok(Some(snap)) => match state::format::from_bytes(&snap.bytes, &location) {
                Ok(s) => Ok((s, Some(snap.generation))),
                Err(e) => Err(Diagnostic::error("Failed to load state").with_detail(e.to_string()).into()),
            },
            Err(e) => Err(Diagnostic::error("Failed to read state").with_detail(e.to_string()).into()),
        }
    }

    /// Takes the state lock unless `-lock=false`.
    pub fn lock(&self, operation: &str, args: &LockArgs) -> Result<Option<state::lock::LockGuard<'_>>, Diagnostics> {
        if !args.lock.unwrap_or(true) {
            return Ok(None);
        }
        let timeout = parse_duration(args.lock_timeout.as_deref().unwrap_or("0s")).map_err(|e| {
            Diagnostics::from(Diagnostic::error("Invalid -lock-timeout").with_detail(format!("{e}. Use a duration like 30s or 5m.")))
        })?;
        let info = LockInfo::new(operation);
        match state::lock::acquire(self.backend.as_ref(), &self.workspace, &info, timeout) {
            Ok(g) => Ok(Some(g)),
            Err(e) => Err(Diagnostic::error("Error acquiring the state lock").with_detail(e.to_string()).into()),
        }
    }

    /// A sink that writes state after every change.
    pub fn sink(&self, generation: Option<u64>) -> BackendSink {
        BackendSink { backend: self.backend.clone(), workspace: self.workspace.clone(), generation }
    }
}

/// Persists state through a backend with conditional writes.
pub struct BackendSink {
    backend: std::sync::Arc<dyn Backend>,
    workspace: String,
    generation: Option<u64>,
}

impl crate::apply::StateSink for BackendSink {
    fn persist(&mut self, state: &State) -> Result<(), String> {
        let location = self.backend.location(&self.workspace);
        // Apply keeps its state in canonical order, so it is written as it is.
        let bytes = state::format::to_bytes_as_is(state, &location).map_err(|e| e.to_string())?;
        let generation = self.backend.write(&self.workspace, &bytes, self.generation).map_err(|e| e.to_string())?;
        self.generation = Some(generation);
        Ok(())
    }
}

fn backend_for(dir: &Path, sources: &SourceMap) -> Result<std::sync::Arc<dyn Backend>, Diagnostics> {
    // Only the root module's terraform block matters; load just that directory.
    let mut diags = Diagnostics::new();
    let module = crate::config::load::load_module(dir, ".", sources, &mut diags);
    let Some(backend) = module.terraform.backend else {
        return Ok(std::sync::Arc::new(LocalBackend::in_dir(dir)));
    };
    match backend.kind.as_str() {
        "local" => {
            let path = backend.body.attribute("path").and_then(|a| match &a.expr.kind {
                crate::syntax::ast::ExprKind::Template(t) => t.as_literal().map(str::to_string),
                _ => None,
            });
            Ok(std::sync::Arc::new(match path {
                Some(p) => LocalBackend::new(dir.join(p)),
                None => LocalBackend::in_dir(dir),
            }))
        }
        other => Err(Diagnostic::error("Unsupported backend")
            .with_detail(format!(
                "The backend \"{other}\" is not supported yet; cairn stores state locally (backend \"local\"). Remove the backend block or use backend \"local\"."
            ))
            .with_subject(backend.span)
            .into()),
    }
}

/// Root variable values from every source.
pub fn resolve_variables(config: &Config, stack: &Stack, vars: &VarArgs, input: bool) -> (IndexMap<String, Value>, Diagnostics) {
    let cli: Vec<CliVar> = vars.cli_vars();
    let env: Vec<(String, String)> = std::env::vars().collect();
    let prompt = if input && std::io::stdin().is_terminal() { Prompt::Interactive } else { Prompt::Never };
    variables::resolve(&config.module, &stack.dir, &cli, &env, prompt, &stack.sources)
}

/// `30s`, `5m`, `1h`, `500ms`, `0`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if t == "0" {
        return Ok(Duration::ZERO);
    }
    let split = t.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().map_err(|_| format!("{text:?} is not a duration"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" | "" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("{text:?} has an unknown unit")),
    };
    Ok(Duration::from_secs_f64(secs))
}

/// Prints diagnostics and says whether there were errors.
pub fn report(out: &Output, diags: &Diagnostics, sources: &SourceMap) -> bool {
    out.diagnostics(diags, sources);
    diags.has_errors()
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations() {
        assert_eq!(super::parse_duration("30s").unwrap().as_secs(), 30);
        assert_eq!(super::parse_duration("5m").unwrap().as_secs(), 300);
        assert_eq!(super::parse_duration("0").unwrap().as_secs(), 0);
        assert!(super::parse_duration("5x").is_err());
    }
}
