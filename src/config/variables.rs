//! Input variable values for the root module, from every source Terraform
//! reads, in its order of precedence (later wins):
//!
//! 1. `default` in the `variable` block
//! 2. `TF_VAR_name` environment variables
//! 3. `terraform.tfvars`, then `terraform.tfvars.json`
//! 4. `*.auto.tfvars` and `*.auto.tfvars.json`, in lexical order
//! 5. `-var` and `-var-file` options, in the order given
//!
//! Owns: reading those sources and turning each into a value of the
//! variable's type. Does not own: `validation` blocks (the stack evaluator
//! checks them, since they are expressions over the value).

use std::path::Path;

use indexmap::IndexMap;

use super::model::{Module, Variable};
use crate::diag::{Diagnostic, Diagnostics, SourceMap, Span};
use crate::eval::{EmptyScope, Evaluator, FuncContext};
use crate::syntax::ast::Expr;
use crate::value::{convert, Value};

/// A `-var` or `-var-file` option, in command-line order.
#[derive(Debug, Clone)]
pub enum CliVar {
    /// `-var 'name=value'`
    Var(String),
    /// `-var-file=path`
    File(String),
}

/// One raw value before it meets its variable's type.
#[derive(Debug, Clone)]
enum Raw {
    /// An expression from a `.tfvars` file.
    Expr(Expr),
    /// A string from `-var` or the environment: an HCL expression unless the
    /// variable is a string.
    Text(String, &'static str),
}

/// The resolved values of root variables, by name.
pub type Values = IndexMap<String, Value>;

/// How to get values nobody gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    /// Ask on the terminal.
    Interactive,
    /// Error: `-input=false` or not a terminal.
    Never,
    /// Leave required variables unknown (validate).
    Unknown,
}

/// Reads every source and resolves the root module's variables.
pub fn resolve(
    module: &Module,
    dir: &Path,
    cli: &[CliVar],
    env: &[(String, String)],
    prompt: Prompt,
    sources: &SourceMap,
) -> (Values, Diagnostics) {
    let mut diags = Diagnostics::new();
    let mut raw: IndexMap<String, (Raw, Option<Span>)> = IndexMap::new();
    for (k, v) in env {
        if let Some(name) = k.strip_prefix("TF_VAR_") {
            if module.variables.contains_key(name) {
                raw.insert(name.to_string(), (Raw::Text(v.clone(), "environment"), None));
            }
        }
    }
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    for f in ["terraform.tfvars", "terraform.tfvars.json"] {
        let p = dir.join(f);
        if p.is_file() {
            files.push(p);
        }
    }
    let mut auto: Vec<_> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| {
                    let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    n.ends_with(".auto.tfvars") || n.ends_with(".auto.tfvars.json")
                })
                .collect()
        })
        .unwrap_or_default();
    auto.sort();
    files.extend(auto);
    for f in files {
        read_tfvars(&f, module, false, sources, &mut raw, &mut diags);
    }
    for option in cli {
        match option {
            CliVar::File(path) => {
                let p = dir.join(path);
                if !p.is_file() {
                    diags.push(Diagnostic::error("Failed to read variables file").with_detail(format!(
                        "Given variables file {path} does not exist. Check the -var-file option."
                    )));
                    continue;
                }
                read_tfvars(&p, module, true, sources, &mut raw, &mut diags);
            }
            CliVar::Var(text) => {
                let Some((name, value)) = text.split_once('=') else {
                    diags.push(Diagnostic::error("Invalid -var option").with_detail(format!(
                        "The given -var option {text:?} is not correctly specified. It must be a variable name and value separated by an equals sign, like -var=\"key=value\"."
                    )));
                    continue;
                };
                let name = name.trim();
                if !module.variables.contains_key(name) {
                    diags.push(Diagnostic::error("Value for undeclared variable").with_detail(format!(
                        "A variable named \"{name}\" was assigned on the command line, but the root module does not declare a variable of that name. To use this value, add a \"variable\" block to the configuration."
                    )));
                    continue;
                }
                raw.insert(name.to_string(), (Raw::Text(value.to_string(), "-var option"), None));
            }
        }
    }

    let funcs = FuncContext { base_dir: dir.to_path_buf(), defer_impure: true };
    let mut values = Values::new();
    for (name, var) in &module.variables {
        let given = raw.shift_remove(name);
        let value = match given {
            Some((Raw::Expr(e), _)) => eval_const(&e, &funcs, &mut diags),
            // Terraform takes command-line and environment text literally for
            // string (and untyped) variables and as an expression otherwise.
            Some((Raw::Text(text, origin), _)) => {
                if matches!(var.ty, crate::value::Type::String) || !var.has_type {
                    Some(Value::String(text))
                } else {
                    parse_text(&text, origin, name, &funcs, sources, &mut diags)
                }
            }
            None => match &var.default {
                Some(e) => eval_const(e, &funcs, &mut diags),
                None => match prompt {
                    Prompt::Unknown => Some(Value::Unknown(var.ty.clone())),
                    Prompt::Interactive => ask(var).map(Value::String),
                    Prompt::Never => {
                        diags.push(
                            Diagnostic::error("No value for required variable")
                                .with_detail(format!(
                                    "The root module input variable \"{name}\" is not set, and has no default value. Use a -var or -var-file command line argument, a terraform.tfvars file, or the TF_VAR_{name} environment variable to provide a value for this variable."
                                ))
                                .with_subject(var.span),
                        );
                        None
                    }
                },
            },
        };
        let Some(value) = value else { continue };
        if let Some(v) = finish_variable(var, value, &mut diags) {
            values.insert(name.clone(), v);
        }
    }
    (values, diags)
}

/// Applies type conversion, `nullable` and `sensitive` to a variable's value.
pub fn finish_variable(var: &Variable, value: Value, diags: &mut Diagnostics) -> Option<Value> {
    if value.is_null() {
        if !var.nullable {
            diags.push(
                Diagnostic::error("Required variable not set")
                    .with_detail(format!("Unsuitable value for var.{}: the given value is null, but this variable is not nullable.", var.name))
                    .with_subject(var.span),
            );
            return None;
        }
        // A null given for a variable with a default takes the default (Terraform's nullable rule).
        return Some(Value::Null.mark_if(var.sensitive));
    }
    match convert::convert(value, &var.ty) {
        Ok(v) => Some(v.mark_if(var.sensitive)),
        Err(e) => {
            diags.push(
                Diagnostic::error("Invalid value for input variable")
                    .with_detail(format!("Unsuitable value for var.{}: {e}. The variable's type is {}.", var.name, var.ty))
                    .with_subject(var.span),
            );
            None
        }
    }
}

fn eval_const(expr: &Expr, funcs: &FuncContext, diags: &mut Diagnostics) -> Option<Value> {
    let scope = EmptyScope;
    let mut ev = Evaluator::new(&scope, funcs);
    match ev.eval(expr) {
        Ok(v) => Some(v),
        Err(d) => {
            diags.push(d);
            None
        }
    }
}

fn parse_text(text: &str, origin: &str, name: &str, funcs: &FuncContext, sources: &SourceMap, diags: &mut Diagnostics) -> Option<Value> {
    let id = sources.add(format!("<value for var.{name} from {origin}>"), "", text.to_string());
    let (expr, parse_diags) = crate::syntax::parser::parse_expr(text, id);
    if parse_diags.has_errors() {
        diags.extend(parse_diags);
        return None;
    }
    eval_const(&expr?, funcs, diags)
}

fn read_tfvars(
    path: &Path,
    module: &Module,
    explicit: bool,
    sources: &SourceMap,
    raw: &mut IndexMap<String, (Raw, Option<Span>)>,
    diags: &mut Diagnostics,
) {
    let display = path.file_name().and_then(|n| n.to_str()).unwrap_or("").to_string();
    let Some(body) = super::load::parse_file(path, &display, sources, diags) else { return };
    for b in &body.blocks {
        diags.push(
            Diagnostic::error("Unexpected block in variables file")
                .with_detail("A variables file holds only name = value assignments.")
                .with_subject(b.kind.span),
        );
    }
    for attr in body.attributes {
        let name = attr.name.name.clone();
        if !module.variables.contains_key(&name) {
            let d = Diagnostic::warning("Value for undeclared variable")
                .with_detail(format!(
                    "The root module does not declare a variable named \"{name}\" but a value was found in file \"{display}\". If you meant to use this value, add a \"variable\" block to the configuration."
                ))
                .with_subject(attr.name.span);
            let _ = explicit;
            diags.push(d);
            continue;
        }
        raw.insert(name, (Raw::Expr(attr.expr), Some(attr.name.span)));
    }
}

fn ask(var: &Variable) -> Option<String> {
    use std::io::{BufRead, Write};
    let mut err = std::io::stderr();
    let _ = writeln!(err, "var.{}", var.name);
    if let Some(d) = &var.description {
        let _ = writeln!(err, "  {d}");
    }
    let _ = write!(err, "\n  Enter a value: ");
    let _ = err.flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).ok()?;
    Some(line.trim_end_matches(['\n', '\r']).to_string())
}
