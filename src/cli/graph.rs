//! `cairn graph`: the resource dependency graph in DOT.

use std::path::Path;

use super::args::GraphArgs;
use super::Output;
use crate::config::variables::{self, CliVar, Prompt};
use crate::diag::SourceMap;
use crate::stack::{self, Mode, Options};

pub fn run(dir: &Path, args: &GraphArgs, out: &Output) -> i32 {
    if let Some(t) = &args.r#type {
        if t != "plan" {
            out.error(&format!("graph type {t:?} is not supported; use -type=plan"));
            return 1;
        }
    }
    let sources = SourceMap::new();
    let (config, mut diags) = crate::config::load(dir, &sources);
    if diags.has_errors() {
        out.diagnostics(&diags, &sources);
        return 1;
    }
    let cli: Vec<CliVar> = args
        .var_files
        .iter()
        .map(|f| CliVar::File(f.clone()))
        .chain(args.vars.iter().map(|v| CliVar::Var(v.clone())))
        .collect();
    let env: Vec<(String, String)> = std::env::vars().collect();
    let (values, var_diags) = variables::resolve(&config.module, dir, &cli, &env, Prompt::Unknown, &sources);
    diags.extend(var_diags);
    let cwd = std::env::current_dir().unwrap_or_default();
    let options = Options { mode: Mode::Validate, variables: values, workspace: "default".into(), cwd: cwd.clone(), root_dir: cwd.join(dir) };
    let (evaluated, eval_diags) = stack::evaluate(&config, &options);
    diags.extend(eval_diags);
    diags.sort_and_dedup();
    out.diagnostics(&diags, &sources);
    if diags.has_errors() {
        return 1;
    }
    out!("{}", evaluated.resource_graph().to_dot());
    0
}
