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
//!
//! Every function is described by a [`Func`] entry in its family's table:
//! parameter names (for messages), an optional variadic parameter, the result
//! type when it is unknown, and flags saying whether the implementation
//! handles unknown, null or sensitive arguments itself. [`call`] does the
//! generic work (arity, nulls, unknowns, marks) and then runs the
//! implementation on plain arguments.

pub mod collection;
pub mod datetime;
pub mod encoding;
pub mod filesystem;
pub mod hash;
pub mod ip;
pub mod numeric;
pub mod sensitivity;
pub mod string;
pub mod typeconv;

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::value::{format_number, Type, Value};

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

pub(crate) type FResult = Result<Value, FuncError>;
type Impl = fn(&[Value], &FuncContext) -> FResult;

/// Flags for [`Func::flags`].
pub(crate) const UNKNOWNS: u8 = 1; // implementation handles unknown arguments
pub(crate) const NULLS: u8 = 2; // null arguments are allowed
pub(crate) const MARKS: u8 = 4; // implementation handles sensitive marks
pub(crate) const SHALLOW: u8 = 8; // only top-level marks make the result sensitive

/// The unknown result's type.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Ret {
    Any,
    Str,
    Num,
    Bool,
    ListStr,
}

impl Ret {
    fn ty(self) -> Type {
        match self {
            Ret::Any => Type::Any,
            Ret::Str => Type::String,
            Ret::Num => Type::Number,
            Ret::Bool => Type::Bool,
            Ret::ListStr => Type::List(Box::new(Type::String)),
        }
    }
}

/// One built-in function.
pub(crate) struct Func {
    pub name: &'static str,
    pub params: &'static [&'static str],
    pub variadic: Option<&'static str>,
    pub ret: Ret,
    pub flags: u8,
    pub imp: Impl,
}

pub(crate) const fn func(
    name: &'static str,
    params: &'static [&'static str],
    variadic: Option<&'static str>,
    ret: Ret,
    flags: u8,
    imp: Impl,
) -> Func {
    Func { name, params, variadic, ret, flags, imp }
}

const TYPECONV: &[&str] = &["tobool", "tonumber", "tostring", "tolist", "toset", "tomap"];

fn tables() -> [&'static [Func]; 9] {
    [
        numeric::FUNCS,
        string::FUNCS,
        collection::FUNCS,
        encoding::FUNCS,
        filesystem::FUNCS,
        datetime::FUNCS,
        hash::FUNCS,
        ip::FUNCS,
        sensitivity::FUNCS,
    ]
}

fn lookup(name: &str) -> Option<&'static Func> {
    tables().into_iter().flat_map(|t| t.iter()).find(|f| f.name == name)
}

/// Whether a function of this name exists.
pub fn exists(name: &str) -> bool {
    TYPECONV.contains(&name) || lookup(name).is_some()
}

/// Calls function `name` with already-evaluated arguments.
pub fn call(name: &str, args: Vec<Value>, ctx: &FuncContext) -> Result<Value, FuncError> {
    if let Some(result) = typeconv::call(name, &args) {
        return result;
    }
    let Some(f) = lookup(name) else {
        return Err(FuncError::new(format!("There is no function named \"{name}\".")));
    };
    check_arity(f, args.len())?;
    for (i, a) in args.iter().enumerate() {
        if f.flags & NULLS == 0 && a.is_null() {
            return Err(FuncError::arg(i, format!("Invalid value for \"{}\" parameter: argument must not be null.", param_name(f, i))));
        }
    }
    if f.flags & MARKS != 0 {
        return (f.imp)(&args, ctx);
    }
    let mut marked = false;
    let shallow = f.flags & SHALLOW != 0;
    let args: Vec<Value> = args
        .into_iter()
        .map(|a| {
            let top = a.is_sensitive();
            let (a, m) = a.deep_unmark();
            marked |= if shallow { top } else { m };
            a
        })
        .collect();
    if f.flags & UNKNOWNS == 0 && !args.iter().all(Value::is_wholly_known) {
        return Ok(Value::Unknown(f.ret.ty()).mark_if(marked));
    }
    (f.imp)(&args, ctx).map(|v| v.mark_if(marked))
}

fn param_name(f: &Func, i: usize) -> &'static str {
    f.params.get(i).copied().or(f.variadic).unwrap_or("")
}

fn check_arity(f: &Func, n: usize) -> Result<(), FuncError> {
    let want = f.params.len();
    if n < want {
        return Err(FuncError::new(format!(
            "Not enough function arguments: function \"{}\" expects {} argument(s). Missing value for \"{}\".",
            f.name, want, f.params[n]
        )));
    }
    if n > want && f.variadic.is_none() {
        return Err(FuncError::new(format!(
            "Too many function arguments: function \"{}\" expects only {} argument(s).",
            f.name, want
        )));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Argument helpers shared by the families. `what` is the parameter name.

pub(crate) fn invalid(i: usize, what: &str, msg: impl std::fmt::Display) -> FuncError {
    FuncError::arg(i, format!("Invalid value for \"{what}\" parameter: {msg}."))
}

/// Terraform's text for a number. Like [`format_number`], except that very
/// large integers print their shortest digits padded with zeros (`1e300` is
/// a 1 and 300 zeros, as Terraform's decimal numbers print it) rather than
/// the binary value's exact expansion.
pub(crate) fn number_text(n: f64) -> String {
    if n.is_finite() && n.fract() == 0.0 && n.abs() >= 1e21 {
        let sci = format!("{:e}", n.abs());
        let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
        let digits = mant.replace('.', "");
        let exp: usize = exp.parse().unwrap_or(0);
        let sign = if n < 0.0 { "-" } else { "" };
        return format!("{sign}{digits}{}", "0".repeat(exp + 1 - digits.len()));
    }
    format_number(n)
}

/// A primitive's string form (numbers and bools convert), as Terraform's
/// automatic conversion to string does.
pub(crate) fn as_string(v: &Value) -> Option<String> {
    match v.unmarked() {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(number_text(*n)),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Terraform's automatic conversion to number (strings that parse).
pub(crate) fn as_number(v: &Value) -> Option<f64> {
    match v.unmarked() {
        Value::Number(n) => Some(*n),
        Value::String(s) => parse_number(s),
        _ => None,
    }
}

/// Parses a number as Terraform's string-to-number conversion does.
pub(crate) fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim_start_matches(['+', '-']);
    if t.is_empty() || !t.chars().next().unwrap().is_ascii_digit() && !t.starts_with('.') {
        return None;
    }
    if s.starts_with('+') {
        return None;
    }
    s.parse::<f64>().ok().filter(|n| n.is_finite())
}

pub(crate) fn as_bool(v: &Value) -> Option<bool> {
    match v.unmarked() {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s == "true" => Some(true),
        Value::String(s) if s == "false" => Some(false),
        _ => None,
    }
}

pub(crate) fn expect_string(args: &[Value], i: usize, what: &str) -> Result<String, FuncError> {
    as_string(&args[i]).ok_or_else(|| invalid(i, what, "string required"))
}

pub(crate) fn expect_number(args: &[Value], i: usize, what: &str) -> Result<f64, FuncError> {
    match args[i].unmarked() {
        Value::Number(n) => Ok(*n),
        Value::String(s) => parse_number(s).ok_or_else(|| invalid(i, what, "a number is required")),
        _ => Err(invalid(i, what, "number required")),
    }
}

/// A whole number that fits in an i64.
pub(crate) fn expect_int(args: &[Value], i: usize, what: &str) -> Result<i64, FuncError> {
    let n = expect_number(args, i, what)?;
    to_int(n).ok_or_else(|| {
        if n.fract() != 0.0 {
            invalid(i, what, "value must be a whole number")
        } else {
            invalid(i, what, "value must be a whole number, between -9223372036854775808 and 9223372036854775807")
        }
    })
}

pub(crate) fn to_int(n: f64) -> Option<i64> {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if n.fract() == 0.0 && (-LIMIT..LIMIT).contains(&n) {
        Some(n as i64)
    } else {
        None
    }
}

#[allow(dead_code)]
pub(crate) fn expect_bool(args: &[Value], i: usize, what: &str) -> Result<bool, FuncError> {
    as_bool(&args[i]).ok_or_else(|| invalid(i, what, "bool required"))
}

/// Elements of a list, tuple or set.
pub(crate) fn expect_seq<'a>(args: &'a [Value], i: usize, what: &str) -> Result<&'a [Value], FuncError> {
    args[i].as_seq().ok_or_else(|| invalid(i, what, "list of dynamic required"))
}

/// Elements of a list, tuple or set, each converted to a string.
pub(crate) fn expect_strings(args: &[Value], i: usize, what: &str) -> Result<Vec<String>, FuncError> {
    let xs = args[i].as_seq().ok_or_else(|| invalid(i, what, "list of string required"))?;
    xs.iter()
        .enumerate()
        .map(|(j, x)| {
            if x.is_null() {
                return Err(invalid(i, what, format!("element {j}: argument must not be null")));
            }
            as_string(x).ok_or_else(|| invalid(i, what, format!("element {j}: string required")))
        })
        .collect()
}

/// Entries of a map or object.
pub(crate) fn expect_map<'a>(args: &'a [Value], i: usize, what: &str) -> Result<&'a BTreeMap<String, Value>, FuncError> {
    args[i].as_map().ok_or_else(|| invalid(i, what, "map of dynamic required"))
}

pub(crate) fn list_of_strings(xs: impl IntoIterator<Item = String>) -> Value {
    Value::List(xs.into_iter().map(Value::String).collect())
}

/// Converts a sequence's elements to one type the way Terraform unifies a
/// tuple into a list: when primitives of different kinds mix, all become
/// strings.
pub(crate) fn unify(xs: Vec<Value>) -> Vec<Value> {
    let kinds = |v: &Value| match v.unmarked() {
        Value::String(_) => 1u8,
        Value::Number(_) => 2,
        Value::Bool(_) => 4,
        Value::Null | Value::Unknown(_) => 0,
        _ => 8,
    };
    let all = xs.iter().fold(0u8, |acc, v| acc | kinds(v));
    if all & 8 == 0 && all.count_ones() > 1 {
        xs.into_iter()
            .map(|v| match v {
                Value::Null | Value::Unknown(_) => v,
                Value::Sensitive(inner) => {
                    Value::String(as_string(&inner).unwrap_or_default()).mark_sensitive()
                }
                v => Value::String(as_string(&v).unwrap_or_default()),
            })
            .collect()
    } else {
        xs
    }
}

#[cfg(test)]
pub(crate) mod testutil {
    use super::*;

    pub fn s(x: &str) -> Value {
        Value::string(x)
    }
    pub fn n(x: f64) -> Value {
        Value::Number(x)
    }
    pub fn tup(xs: Vec<Value>) -> Value {
        Value::Tuple(xs)
    }
    pub fn strs(xs: &[&str]) -> Value {
        Value::Tuple(xs.iter().map(|x| s(x)).collect())
    }
    pub fn call_ok(name: &str, args: Vec<Value>) -> Value {
        match call(name, args, &FuncContext::default()) {
            Ok(v) => v,
            Err(e) => panic!("{name} failed: {}", e.message),
        }
    }
    pub fn call_err(name: &str, args: Vec<Value>) -> String {
        match call(name, args, &FuncContext::default()) {
            Ok(v) => panic!("{name} unexpectedly returned {v:?}"),
            Err(e) => e.message,
        }
    }
    /// The result as JSON text, for compact assertions.
    pub fn js(name: &str, args: Vec<Value>) -> String {
        call_ok(name, args).to_json().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::testutil::*;
    use super::*;

    #[test]
    fn exists_covers_families_and_typeconv() {
        for name in ["abs", "tostring", "tomap", "jsonencode", "cidrsubnets", "issensitive", "fileset"] {
            assert!(exists(name), "{name}");
        }
        assert!(!exists("templatefile"));
        assert!(!exists("nope"));
    }

    #[test]
    fn numbers_print_like_terraform() {
        assert_eq!(number_text(1e300), format!("1{}", "0".repeat(300)));
        assert_eq!(number_text(-1.5e21), format!("-15{}", "0".repeat(20)));
        assert_eq!(number_text(1e20), "100000000000000000000");
        assert_eq!(number_text(1.5e-7), "0.00000015");
    }

    #[test]
    fn generic_rules() {
        assert_eq!(call_ok("upper", vec![Value::Unknown(Type::Any)]), Value::Unknown(Type::String));
        assert_eq!(call_ok("upper", vec![s("a").mark_sensitive()]), s("A").mark_sensitive());
        assert!(call_err("upper", vec![Value::Null]).contains("must not be null"));
        assert!(call_err("upper", vec![]).contains("Not enough"));
        assert!(call_err("nope", vec![]).contains("no function named"));
    }
}
