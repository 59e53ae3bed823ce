//! The `cairn` command line.
//!
//! Owns: flags (Terraform's single-dash spellings as well as `--` forms, so
//! a CI script can swap `terraform` for `cairn`), dispatch to one small
//! module per command, terminal concerns (colour, `NO_COLOR`, TTY
//! detection), and exit codes.
//!
//! Does not own: any pipeline step; commands call into `config`, `stack`,
//! `syntax` and render what they return.
//!
//! Command output goes through [`outln!`] and [`out!`], never `println!`:
//! when stdout is a pipe that closes early (`cairn plan | head`), output
//! stops quietly and the command still finishes its work, releases its
//! lock and saves state, where `println!` would panic and a SIGPIPE would
//! kill it half-way.

/// `println!` for command output; a closed stdout silences it.
macro_rules! outln {
    () => {
        $crate::cli::output::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::output::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` for command output; a closed stdout silences it.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::output::write_stdout(format_args!($($arg)*))
    };
}

mod args;
mod context;
mod fmt;
mod graph;
pub(crate) mod output;
mod plan_cmd;
mod progress;
mod sandbox_cmd;
mod state_cmd;
mod validate;


pub use args::{Cli, Command};
/// Loads and validates the stack in a directory (the work of `cairn validate`).
pub use validate::check as validate_dir;
pub use output::Output;

/// Long flags that Terraform spells with one dash (`-chdir=DIR`). Such
/// arguments get a second dash before clap sees them.
const SINGLE_DASH_FLAGS: &[&str] = &[
    "chdir", "json", "no-color", "check", "diff", "recursive", "write", "list", "input", "var", "var-file", "type",
    "out", "auto-approve", "detailed-exitcode", "target", "replace", "exclude", "parallelism", "lock", "lock-timeout",
    "refresh", "refresh-only", "destroy", "compact", "raw", "state", "backup", "force", "help", "version", "exclude",
    "addr", "data", "op-latency-ms", "error-rate", "consistency-delay-ms", "request-log", "fault-retry-after-s", "sandbox",
];

/// Rewrites `-flag` and `-flag=value` into `--flag` forms clap understands.
pub fn normalize_args(args: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest_literal = false;
    for a in args {
        if rest_literal || a == "--" {
            rest_literal = true;
            out.push(a);
            continue;
        }
        if let Some(stripped) = a.strip_prefix('-') {
            if !stripped.starts_with('-') {
                let name = stripped.split('=').next().unwrap_or("");
                if SINGLE_DASH_FLAGS.contains(&name) {
                    out.push(format!("-{a}"));
                    continue;
                }
            }
        }
        out.push(a);
    }
    out
}

/// `CAIRN_LOG=debug` (or Terraform's `TF_LOG`) logs to stderr: every API
/// call with its method, URL, status, latency and retry reason. Tokens and
/// request bodies are never logged.
fn init_logging() {
    let level = std::env::var("CAIRN_LOG").ok().or_else(|| std::env::var("TF_LOG").ok()).filter(|v| !v.is_empty());
    let Some(level) = level else { return };
    let filter = match level.to_ascii_lowercase().as_str() {
        "trace" | "debug" | "info" | "warn" | "error" => level.to_ascii_lowercase(),
        "json" | "1" | "true" => "debug".to_string(),
        other => other.to_string(),
    };
    let filter = tracing_subscriber::EnvFilter::try_new(&filter).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("debug"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(false).try_init();
}

/// Runs the CLI and returns the process exit code.
pub fn main() -> i32 {
    init_logging();
    let args = normalize_args(std::env::args());
    use clap::{CommandFactory, FromArgMatches};
    let parsed = Cli::command().try_get_matches_from(args).and_then(|m| {
        args::record_var_order(&m);
        Cli::from_arg_matches(&m)
    });
    let cli = match parsed {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    run(cli)
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> i32 {
    let out = Output::detect(cli.no_color);
    let dir = match &cli.chdir {
        Some(d) => std::path::PathBuf::from(d),
        None => std::path::PathBuf::from("."),
    };
    if cli.chdir.is_some() && !dir.is_dir() {
        out.error(&format!("Error handling -chdir option: chdir {}: no such directory", dir.display()));
        return 1;
    }
    // Like Terraform, -chdir really changes directory: relative paths in the
    // configuration (file("x"), backend paths, -out, -var-file) are the stack's.
    let dir = if cli.chdir.is_some() {
        if let Err(e) = std::env::set_current_dir(&dir) {
            out.error(&format!("Error handling -chdir option: chdir {}: {e}", dir.display()));
            return 1;
        }
        std::path::PathBuf::from(".")
    } else {
        dir
    };
    match cli.command {
        Command::Validate(a) => validate::run(&dir, &a, &out),
        Command::Fmt(a) => fmt::run(&dir, &a, &out),
        Command::Graph(a) => graph::run(&dir, &a, &out),
        Command::Plan(a) => plan_cmd::plan(&dir, &a, &out),
        Command::Apply(a) => plan_cmd::apply(&dir, &a, &out, false),
        Command::Destroy(a) => plan_cmd::apply(&dir, &a, &out, true),
        Command::Refresh(a) => {
            let mut plan = a.clone();
            plan.refresh_only = true;
            plan_cmd::apply(&dir, &args::ApplyArgs { plan_file: None, auto_approve: true, plan }, &out, false)
        }
        Command::Show(a) => state_cmd::show(&dir, &a, &out),
        Command::Output(a) => state_cmd::output(&dir, &a, &out),
        Command::State(c) => state_cmd::state(&dir, &c, &out),
        Command::ForceUnlock(a) => state_cmd::force_unlock(&dir, &a, &out),
        Command::Workspace(c) => state_cmd::workspace(&dir, &c, &out),
        Command::Import(a) => state_cmd::import(&dir, &a, &out),
        Command::Sandbox(c) => sandbox_cmd::run(&dir, &c, &out),
        Command::Version => {
            outln!("cairn v{}", crate::VERSION);
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_dash_flags_become_double() {
        let args = normalize_args(["cairn", "-chdir=x", "validate", "-json", "-no-color", "-x", "--", "-json"].map(String::from));
        assert_eq!(args, ["cairn", "--chdir=x", "validate", "--json", "--no-color", "-x", "--", "-json"]);
    }
}
