//! Flags and commands, as clap structures.

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "cairn", version, about = "Provision Google Cloud from Terraform-language stacks", disable_help_subcommand = true)]
pub struct Cli {
    /// Switch to a different working directory before executing the command.
    #[arg(long, global = true, value_name = "DIR")]
    pub chdir: Option<String>,

    /// Disable colour in output (also when NO_COLOR is set or output is not a terminal).
    #[arg(long, global = true)]
    pub no_color: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check whether the configuration is valid.
    Validate(ValidateArgs),
    /// Rewrite configuration files to the canonical format and style.
    Fmt(FmtArgs),
    /// Print the dependency graph of the stack's resources in DOT format.
    Graph(GraphArgs),
    /// Show what applying the configuration would change.
    Plan(PlanArgs),
    /// Make the changes: plan and apply, or apply a saved plan.
    Apply(ApplyArgs),
    /// Destroy every object the stack manages.
    Destroy(ApplyArgs),
    /// Update the state to match the real objects (apply -refresh-only -auto-approve).
    Refresh(PlanArgs),
    /// Show the state, or a saved plan.
    Show(ShowArgs),
    /// Print root module outputs.
    Output(OutputArgs),
    /// Inspect and edit the state.
    #[command(subcommand)]
    State(StateCommand),
    /// Release a state lock left behind by a crashed run.
    #[command(name = "force-unlock")]
    ForceUnlock(ForceUnlockArgs),
    /// Manage workspaces (one state each).
    #[command(subcommand)]
    Workspace(WorkspaceCommand),
    /// Adopt an existing object into the state.
    Import(ImportArgs),
    /// Run, inspect or clear the local emulator of Google's APIs.
    #[command(subcommand)]
    Sandbox(SandboxCommand),
    /// Print cairn's version.
    Version,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Produce output in Terraform's machine-readable JSON format.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Check whether files are formatted; exit 3 if not. Writes nothing.
    #[arg(long)]
    pub check: bool,
    /// Display diffs of formatting changes.
    #[arg(long)]
    pub diff: bool,
    /// Also process files in subdirectories.
    #[arg(long)]
    pub recursive: bool,
    /// Write the result to the source file (default true; false with -check).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub write: Option<bool>,
    /// List files whose formatting differs (default true).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub list: Option<bool>,
    /// Files or directories to format (default: the working directory). `-` reads stdin.
    pub paths: Vec<String>,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// Graph type: only "plan" (resources and their dependencies) is supported.
    #[arg(long, value_name = "TYPE")]
    pub r#type: Option<String>,
    /// Set a value for one of the input variables (for count/for_each expansion).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Load variable values from the given file.
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<String>,
}

/// `-var` and `-var-file`.
#[derive(Debug, Args, Clone, Default)]
pub struct VarArgs {
    /// Set a value for one of the input variables.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Load variable values from the given file.
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<String>,
}

impl VarArgs {
    /// `-var` and `-var-file` options in command-line order (later ones win,
    /// as in Terraform). Without the order (a parsed `VarArgs` built in
    /// code), files come first.
    pub fn cli_vars(&self) -> Vec<crate::config::variables::CliVar> {
        use crate::config::variables::CliVar;
        if let Some(order) = VAR_ORDER.get() {
            if order.len() == self.vars.len() + self.var_files.len() {
                let (mut vars, mut files) = (self.vars.iter(), self.var_files.iter());
                return order
                    .iter()
                    .filter_map(|is_file| if *is_file { files.next().map(|f| CliVar::File(f.clone())) } else { vars.next().map(|v| CliVar::Var(v.clone())) })
                    .collect();
            }
        }
        self.var_files.iter().map(|f| CliVar::File(f.clone())).chain(self.vars.iter().map(|v| CliVar::Var(v.clone()))).collect()
    }
}

/// For each `-var` (false) and `-var-file` (true) on the command line, in order.
static VAR_ORDER: std::sync::OnceLock<Vec<bool>> = std::sync::OnceLock::new();

/// Records the order of `-var` and `-var-file` options from clap's matches.
pub fn record_var_order(matches: &clap::ArgMatches) {
    let Some((_, sub)) = matches.subcommand() else { return };
    let mut order: Vec<(usize, bool)> = Vec::new();
    let has = |name: &str| sub.ids().any(|id| id.as_str() == name);
    if has("vars") {
        order.extend(sub.indices_of("vars").into_iter().flatten().map(|i| (i, false)));
    }
    if has("var_files") {
        order.extend(sub.indices_of("var_files").into_iter().flatten().map(|i| (i, true)));
    }
    order.sort();
    let _ = VAR_ORDER.set(order.into_iter().map(|(_, f)| f).collect());
}

/// `-lock` and `-lock-timeout`.
#[derive(Debug, Args, Clone, Default)]
pub struct LockArgs {
    /// Take the state lock (default true).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub lock: Option<bool>,
    /// How long to wait for the state lock (e.g. 30s, 5m).
    #[arg(long, value_name = "DURATION")]
    pub lock_timeout: Option<String>,
}

#[derive(Debug, Args, Clone, Default)]
pub struct PlanArgs {
    /// Write the plan to this file, for `cairn apply FILE`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<String>,
    /// Plan to destroy every object.
    #[arg(long)]
    pub destroy: bool,
    /// Only update the state to match the real objects.
    #[arg(long)]
    pub refresh_only: bool,
    /// Read objects before planning (default true).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub refresh: Option<bool>,
    /// Limit the plan to these resources (and what they depend on).
    #[arg(long, value_name = "ADDR")]
    pub target: Vec<String>,
    /// Leave these resources (and what depends on them) out of the plan.
    #[arg(long, value_name = "ADDR")]
    pub exclude: Vec<String>,
    /// Replace this object even if nothing forces it.
    #[arg(long, value_name = "ADDR")]
    pub replace: Vec<String>,
    /// How many operations run at once.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub parallelism: usize,
    /// Exit 0 with no changes, 1 on error, 2 with changes.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Show only changed attributes.
    #[arg(long)]
    pub compact: bool,
    /// Ask for missing values (default true on a terminal).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub input: Option<bool>,
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub lock: LockArgs,
    /// Run against the local emulator of Google's APIs instead of Google
    /// (data kept in DIR, default .cairn/sandbox). No account needed.
    #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = "", require_equals = true)]
    pub sandbox: Option<String>,
}

#[derive(Debug, Args, Clone, Default)]
pub struct ApplyArgs {
    /// A saved plan to apply exactly.
    pub plan_file: Option<String>,
    /// Apply without asking for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    #[command(flatten)]
    pub plan: PlanArgs,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Machine-readable JSON.
    #[arg(long)]
    pub json: bool,
    /// A saved plan (default: the current state).
    pub file: Option<String>,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// All outputs (or one) as JSON, sensitive values included.
    #[arg(long)]
    pub json: bool,
    /// One output's raw string value.
    #[arg(long)]
    pub raw: bool,
    pub name: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// List the objects in the state.
    List { addresses: Vec<String> },
    /// Show one object's attributes.
    Show { address: String },
    /// Rename an object in the state.
    Mv {
        source: String,
        destination: String,
        #[command(flatten)]
        lock: LockArgs,
    },
    /// Forget objects (they are not destroyed).
    Rm {
        addresses: Vec<String>,
        #[command(flatten)]
        lock: LockArgs,
    },
    /// Print the raw state.
    Pull,
    /// Replace the state with a file's contents.
    Push {
        file: String,
        /// Overwrite even a state of another lineage or a higher serial.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        lock: LockArgs,
    },
}

#[derive(Debug, Args)]
pub struct ForceUnlockArgs {
    pub lock_id: String,
    /// Don't ask for confirmation.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum WorkspaceCommand {
    List,
    New { name: String },
    Select { name: String },
    Delete {
        name: String,
        #[arg(long)]
        force: bool,
    },
    Show,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    pub address: String,
    pub id: String,
    /// Import from the local emulator of Google's APIs (data in DIR).
    #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = "", require_equals = true)]
    pub sandbox: Option<String>,
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub lock: LockArgs,
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub input: Option<bool>,
}

#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Serve the emulated APIs on a loopback address until Ctrl-C.
    Serve {
        /// Address to listen on (port 0 picks a free port).
        #[arg(long, default_value = "127.0.0.1:8765")]
        addr: String,
        /// Where emulated resources are kept between runs.
        #[arg(long, default_value = ".cairn/sandbox")]
        data: String,
        /// How long long-running operations take.
        #[arg(long, env = "CAIRN_SANDBOX_OP_LATENCY_MS", default_value_t = 500)]
        op_latency_ms: u64,
        /// Fraction of requests answered 429/503 with Retry-After (0 to 1).
        #[arg(long, env = "CAIRN_SANDBOX_ERROR_RATE", default_value_t = 0.0)]
        error_rate: f64,
        /// The Retry-After (seconds) of those answers.
        #[arg(long, value_name = "SECONDS", env = "CAIRN_SANDBOX_FAULT_RETRY_AFTER_S", default_value_t = 1)]
        fault_retry_after_s: u64,
        /// How long a new object stays invisible to reads.
        #[arg(long, env = "CAIRN_SANDBOX_CONSISTENCY_DELAY_MS", default_value_t = 0)]
        consistency_delay_ms: u64,
        /// Append every request to FILE as a line of JSON (for tests).
        #[arg(long, value_name = "FILE", env = "CAIRN_SANDBOX_REQUEST_LOG")]
        request_log: Option<String>,
    },
    /// List every emulated resource: type and name, one a line.
    List {
        #[arg(long, default_value = ".cairn/sandbox")]
        data: String,
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
    /// Delete every emulated resource.
    Reset {
        #[arg(long, default_value = ".cairn/sandbox")]
        data: String,
    },
}
