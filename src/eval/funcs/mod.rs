//! Terraform's built-in functions.
//!
//! Owns: every function callable from an expression except `can` and `try`
//! (which need unevaluated arguments and live in `eval`). Each family has its
//! own file. Unknown arguments give unknown results (except where Terraform
//! knows better, like `length` of a tuple with unknown elements); sensitive
//! arguments give sensitive results.
//!
//! Does not own: evaluating argument expressions or locating errors in source
//! (the caller attaches spans to [`FuncError`]).

pub mod typeconv;

use std::path::PathBuf;

use crate::value::Value;

/// What functions may know of the world.
#[derive(Debug, Clone, Default)]
pub struct FuncContext {
    /// Directory that relative paths in `file()`, `fileset()` and friends
    /// are resolved against (Terraform resolves against the working
    /// directory; `path.module` is how stacks make them module-relative).
    pub base_dir: PathBuf,
    /// When true (plan and validate), `timestamp()` and `uuid()` are unknown.
    pub defer_impure: bool,
}

/// A function call that failed. `arg` is the index of the offending argument.
#[derive(Debug, Clone, PartialEq)]
pub struct FuncError {
    pub message: String,
    pub arg: Option<usize>,
}

impl FuncError {
    pub fn new(message: impl Into<String>) -> FuncError {
        FuncError { message: message.into(), arg: None }
    }

    pub fn arg(index: usize, message: impl Into<String>) -> FuncError {
        FuncError { message: message.into(), arg: Some(index) }
    }
}

/// Whether a function of this name exists.
pub fn exists(name: &str) -> bool {
    let _ = name;
    false
}

/// Calls function `name` with already-evaluated arguments.
pub fn call(name: &str, args: Vec<Value>, ctx: &FuncContext) -> Result<Value, FuncError> {
    let _ = (args, ctx);
    Err(FuncError::new(format!("There is no function named \"{name}\".")))
}
