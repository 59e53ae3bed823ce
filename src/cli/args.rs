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
