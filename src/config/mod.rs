//! Loading a stack: from a directory of `*.tf` / `*.tf.json` files to a
//! [`Config`] tree of modules.
//!
//! Owns: finding files, decoding blocks into the static model ([`model`]),
//! the block-level rules (labels, allowed arguments, duplicates,
//! meta-arguments), local module sources and the module tree, resource type
//! schemas ([`schema`]) and input variable values ([`variables`]).
//!
//! Does not own: evaluating expressions (`eval`) or the order of evaluation
//! across a stack (`stack`). Expressions stay unevaluated here, with spans.

pub mod load;
pub mod model;
pub mod schema;
pub mod variables;

use std::path::{Path, PathBuf};

use indexmap::IndexMap;

pub use model::*;

use crate::diag::{Diagnostic, Diagnostics, SourceMap};

/// Modules nested deeper than this are refused (a module calling itself).
const MAX_MODULE_DEPTH: usize = 32;

/// Loads the stack in `dir` and every local module it calls.
pub fn load(dir: &Path, sources: &SourceMap) -> (Config, Diagnostics) {
    let mut diags = Diagnostics::new();
    if !dir.is_dir() {
        diags.push(
            Diagnostic::error("No configuration directory")
                .with_detail(format!("The directory {} does not exist or is not a directory.", dir.display())),
        );
        return (Config { module: Module::default(), children: IndexMap::new(), path: Vec::new() }, diags);
    }
    let config = load_tree(dir, ".", Vec::new(), sources, &mut diags);
    let mut any_file = false;
    config.walk(&mut |c| any_file |= !load::config_files(&c.module.dir).unwrap_or_default().is_empty());
    if !any_file && !diags.has_errors() {
        diags.push(Diagnostic::error("No configuration files").with_detail(format!(
            "The directory {} contains no Terraform configuration files (*.tf or *.tf.json).",
            dir.display()
        )));
    }
    (config, diags)
}

fn load_tree(dir: &Path, display: &str, path: Vec<String>, sources: &SourceMap, diags: &mut Diagnostics) -> Config {
    let module = load::load_module(dir, display, sources, diags);
    let mut children = IndexMap::new();
    for call in module.module_calls.values() {
        let Some(child_dir) = local_source(dir, &call.source) else {
            diags.push(
                Diagnostic::error("Module not installed")
                    .with_detail(format!(
                        "The module source {:?} is not a local path. cairn loads modules from local directories (\"./modules/net\"); vendor remote modules into the repository and point source at them.",
                        call.source
                    ))
                    .with_subject(call.source_span),
            );
            continue;
        };
        if path.len() >= MAX_MODULE_DEPTH {
            diags.push(
                Diagnostic::error("Module nesting too deep")
                    .with_detail(format!(
                        "Modules are nested more than {MAX_MODULE_DEPTH} levels deep here; does a module call itself?"
                    ))
                    .with_subject(call.source_span),
            );
            continue;
        }
        if !child_dir.is_dir() {
            diags.push(
                Diagnostic::error("Unreadable module directory")
                    .with_detail(format!("The directory {} does not exist. Check the module's source path.", child_dir.display()))
                    .with_subject(call.source_span),
            );
            continue;
        }
        let child_display = join_display(display, &call.source);
        let mut child_path = path.clone();
        child_path.push(call.name.clone());
        let child = load_tree(&child_dir, &child_display, child_path, sources, diags);
        children.insert(call.name.clone(), child);
    }
    Config { module, children, path }
}

/// The directory of a local module source (`./x`, `../x`), or `None` for
/// registry and remote sources.
fn local_source(base: &Path, source: &str) -> Option<PathBuf> {
    if source.starts_with("./") || source.starts_with("../") || source == "." || source == ".." {
        Some(base.join(source))
    } else {
        None
    }
}

fn join_display(parent: &str, source: &str) -> String {
    let joined = if parent == "." { source.to_string() } else { format!("{parent}/{source}") };
    // Normalise `a/./b` and `a/b/../c` for readable file names.
    let mut parts: Vec<&str> = Vec::new();
    for p in joined.split('/') {
        match p {
            "." | "" => {}
            ".." if parts.last().is_some_and(|l| *l != "..") => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}
