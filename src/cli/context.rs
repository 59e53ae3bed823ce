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

/// What a command keeps alive while providers are in use: the in-process
/// sandbox, when `--sandbox` asked for one.
pub struct ProviderSession {
    _sandbox: Option<cairn_sandbox::ServerHandle>,
}

/// The default project of the sandbox when the stack names none.
pub const SANDBOX_PROJECT: &str = "sandbox-project";

/// Evaluates the root `provider "google"` block (it may use `var.*`),
/// applies the environment (`GOOGLE_PROJECT`, `GOOGLE_REGION`,
/// `CAIRN_GOOGLE_ENDPOINT`), starts the sandbox if asked (its knobs from
/// `CAIRN_SANDBOX_*`: op latency, error rate and the faults' Retry-After,
/// consistency delay, request log), and configures the Google types for
/// this command.
pub fn configure_providers(
    stack: &Stack,
    config: &Config,
    variables: &IndexMap<String, Value>,
    sandbox: Option<&str>,
    rt: &tokio::runtime::Runtime,
) -> Result<ProviderSession, Diagnostics> {
    let mut diags = Diagnostics::new();
    let mut google = cairn_google::ProviderConfig::default();
    struct VarScope<'a>(&'a IndexMap<String, Value>);
    impl crate::eval::Scope for VarScope<'_> {
        fn lookup(&self, reference: &crate::eval::Reference, span: crate::diag::Span) -> Result<Value, Diagnostic> {
            match reference {
                crate::eval::Reference::Var(n) => Ok(self.0.get(n).cloned().unwrap_or(Value::Null)),
                other => Err(Diagnostic::error("Unsupported reference in provider configuration")
                    .with_detail(format!("Provider blocks may refer to input variables only here (found {other}). Move the value into a variable.")).with_subject(span)),
            }
        }
    }
    let scope = VarScope(variables);
    let funcs = crate::eval::FuncContext { base_dir: stack.dir.clone(), defer_impure: false };
    if let Some(block) = config.module.providers.iter().find(|p| p.name == "google" && p.alias.is_none()) {
        let mut ev = crate::eval::Evaluator::new(&scope, &funcs);
        for attr in &block.body.attributes {
            let name = attr.name.name.as_str();
            let value = match ev.eval(&attr.expr) {
                Ok(v) => v.deep_unmark().0,
                Err(d) => {
                    diags.push(d);
                    continue;
                }
            };
            let text = value.as_str().map(str::to_string);
            match name {
                "project" => google.project = text,
                "region" => google.region = text,
                "zone" => google.zone = text,
                "credentials" => google.credentials = text,
                "access_token" => google.access_token = text,
                "default_labels" => {
                    if let Some(m) = value.as_map() {
                        google.default_labels = m.iter().filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string()))).collect();
                    }
                }
                other => {
                    if let (Some(service), Some(url)) = (cairn_google::client::custom_endpoint_service(other), text) {
                        google.endpoints.insert(service, url);
                    }
                }
            }
        }
    }
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    google.project = google.project.or_else(|| env("GOOGLE_PROJECT")).or_else(|| env("GOOGLE_CLOUD_PROJECT"));
    google.region = google.region.or_else(|| env("GOOGLE_REGION"));
    // One emulator for every API, addressed by Google's own paths (as a
    // client library's endpoint override sends them).
    google.base_endpoint = env("CAIRN_GOOGLE_ENDPOINT");
    google.base_layout = cairn_google::EndpointLayout::Google;
    let mut handle = None;
    if let Some(dir) = sandbox {
        let data = if dir.is_empty() { stack.dir.join(".cairn").join("sandbox") } else { stack.dir.join(dir) };
        let mut sb = cairn_sandbox::Config::new(&data);
        let ms = |k: &str| env(k).and_then(|v| v.parse::<u64>().ok());
        if let Some(v) = ms("CAIRN_SANDBOX_OP_LATENCY_MS") {
            sb.op_latency = std::time::Duration::from_millis(v);
        }
        if let Some(v) = ms("CAIRN_SANDBOX_CONSISTENCY_DELAY_MS") {
            sb.consistency_delay = std::time::Duration::from_millis(v);
        }
        if let Some(v) = env("CAIRN_SANDBOX_ERROR_RATE").and_then(|v| v.parse::<f64>().ok()) {
            sb.error_rate = v.clamp(0.0, 1.0);
        }
        if let Some(v) = env("CAIRN_SANDBOX_FAULT_RETRY_AFTER_S").and_then(|v| v.parse::<u64>().ok()) {
            sb.fault_retry_after_secs = v;
        }
        sb.request_log = env("CAIRN_SANDBOX_REQUEST_LOG").map(PathBuf::from);
        let addr: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();
        match rt.block_on(cairn_sandbox::serve(sb, addr)) {
            Ok(h) => {
                google.base_endpoint = Some(format!("http://{}/", h.addr));
                google.base_layout = cairn_google::EndpointLayout::PerApi;
                google.access_token.get_or_insert_with(|| "sandbox-token".to_string());
                google.project.get_or_insert_with(|| SANDBOX_PROJECT.to_string());
                google.endpoints.clear();
                handle = Some(h);
            }
            Err(e) => diags.push(Diagnostic::error("Failed to start the sandbox").with_detail(format!("{e}. Data directory: {}.", data.display()))),
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }
    crate::provider::google::configure(google);
    Ok(ProviderSession { _sandbox: handle })
}
