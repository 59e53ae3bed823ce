//! `cairn validate`: load and evaluate the stack with unknown inputs,
//! report every problem.

use std::path::Path;

use super::args::ValidateArgs;
use super::Output;
use crate::diag::{self, Diagnostics, SourceMap};
use crate::stack::{self, Mode, Options};

/// Loads and checks the stack in `dir`; returns its diagnostics.
pub fn check(dir: &Path, sources: &SourceMap) -> Diagnostics {
    let (config, mut diags) = crate::config::load(dir, sources);
    if diags.has_errors() && config.module.resources.is_empty() && config.module.variables.is_empty() && config.module.outputs.is_empty() {
        return diags;
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    let root = cwd.join(dir);
    let options = Options { mode: Mode::Validate, variables: Default::default(), workspace: "default".into(), cwd: cwd.clone(), root_dir: root };
    let (_, eval_diags) = stack::evaluate(&config, &options);
    diags.extend(eval_diags);
    diags.sort_and_dedup();
    diags
}

pub fn run(dir: &Path, args: &ValidateArgs, out: &Output) -> i32 {
    let sources = SourceMap::new();
    let diags = check(dir, &sources);
    let valid = !diags.has_errors();
    if args.json {
        let json = serde_json::json!({
            "format_version": "1.0",
            "valid": valid,
            "error_count": diags.error_count(),
            "warning_count": diags.warning_count(),
            "diagnostics": diags.iter().map(|d| diag::to_json(d, &sources)).collect::<Vec<_>>(),
        });
        outln!("{}", serde_json::to_string_pretty(&json).unwrap_or_default());
        return if valid { 0 } else { 1 };
    }
    out.diagnostics(&diags, &sources);
    if valid {
        if diags.is_empty() {
            out.success("Success! The configuration is valid.");
        } else {
            out.success("Success! The configuration is valid, but there were some validation warnings as shown above.");
        }
        0
    } else {
        1
    }
}
