//! Type conversion functions: `tobool`, `tonumber`, `tostring`, `tolist`,
//! `toset`, `tomap`. They are thin wrappers over `value::convert`.
//!
//! As in Terraform: `null` converts to null, unknown arguments give unknowns
//! of the target type, sensitive arguments give sensitive results, and a
//! failure reads `Invalid value for "v" parameter: cannot convert tuple to
//! string.` (a sensitive argument's value is never quoted).
//!
//! ```
//! use cairn::eval::funcs::typeconv::call;
//! use cairn::value::Value;
//! let list = call("tolist", &[Value::Tuple(vec![Value::string("a"), Value::number(1)])]);
//! assert_eq!(list, Some(Ok(Value::List(vec![Value::string("a"), Value::string("1")]))));
//! assert!(call("upper", &[]).is_none());
//! ```

use super::FuncError;
use crate::value::convert::{constraint_name, convert};
use crate::value::{Type, Value};

/// The names this file implements.
pub const NAMES: &[&str] = &["tobool", "tonumber", "tostring", "tolist", "toset", "tomap"];

/// Calls `name` if it is one of this file's functions; `None` otherwise.
pub fn call(name: &str, args: &[Value]) -> Option<Result<Value, FuncError>> {
    let target = match name {
        "tobool" => Type::Bool,
        "tonumber" => Type::Number,
        "tostring" => Type::String,
        "tolist" => Type::List(Box::new(Type::Any)),
        "toset" => Type::Set(Box::new(Type::Any)),
        "tomap" => Type::Map(Box::new(Type::Any)),
        _ => return None,
    };
    Some(convert_arg(name, args, &target))
}

fn convert_arg(name: &str, args: &[Value], target: &Type) -> Result<Value, FuncError> {
    let v = match args {
        [v] => v,
        [] => {
            return Err(FuncError::new(format!("Function \"{name}\" expects 1 argument(s). Missing value for \"v\".")))
        }
        _ => return Err(FuncError::new(format!("Function \"{name}\" expects only 1 argument(s)."))),
    };
    convert(v.clone(), target).map_err(|_| {
        let sensitive = v.is_sensitive();
        let detail = match (v.unmarked(), target) {
            (Value::String(_), Type::Number | Type::Bool) if sensitive => {
                format!("cannot convert this sensitive string to {}", constraint_name(target))
            }
            (Value::String(s), Type::Number) => {
                format!(
                    "cannot convert {} to number; given string must be a decimal representation of a number",
                    quote(s)
                )
            }
            (Value::String(s), Type::Bool) => {
                format!("cannot convert {} to bool; only the strings \"true\" or \"false\" are allowed", quote(s))
            }
            (inner, _) => format!("cannot convert {} to {}", inner.type_name(), constraint_name(target)),
        };
        FuncError::arg(0, format!("Invalid value for \"v\" parameter: {detail}."))
    })
}

fn quote(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::string(x)
    }
    fn n(x: f64) -> Value {
        Value::Number(x)
    }
    fn ok(name: &str, v: Value) -> Value {
        call(name, &[v]).unwrap().unwrap()
    }
    fn err(name: &str, v: Value) -> String {
        let e = call(name, &[v]).unwrap().unwrap_err();
        assert_eq!(e.arg, Some(0));
        e.message
    }

    #[test]
    fn primitives() {
        assert_eq!(ok("tostring", Value::Bool(true)), s("true"));
        assert_eq!(ok("tostring", n(1.5)), s("1.5"));
        assert_eq!(ok("tostring", Value::Null), Value::Null);
        assert_eq!(ok("tonumber", Value::Null), Value::Null);
        assert_eq!(ok("tonumber", s("1e3")), n(1000.0));
        assert_eq!(ok("tobool", s("1")), Value::Bool(true));
        assert_eq!(ok("tobool", s("false")), Value::Bool(false));
        assert_eq!(
            err("tonumber", s("0x10")),
            "Invalid value for \"v\" parameter: cannot convert \"0x10\" to number; given string must be a decimal representation of a number."
        );
        assert_eq!(
            err("tobool", s("True")),
            "Invalid value for \"v\" parameter: cannot convert \"True\" to bool; only the strings \"true\" or \"false\" are allowed."
        );
        assert_eq!(err("tobool", n(1.0)), "Invalid value for \"v\" parameter: cannot convert number to bool.");
        assert_eq!(
            err("tonumber", Value::Bool(true)),
            "Invalid value for \"v\" parameter: cannot convert bool to number."
        );
        assert_eq!(
            err("tostring", Value::Tuple(vec![n(1.0)])),
            "Invalid value for \"v\" parameter: cannot convert tuple to string."
        );
    }

    #[test]
    fn collections() {
        assert_eq!(ok("tolist", Value::Tuple(vec![s("a"), n(1.0)])), Value::List(vec![s("a"), s("1")]));
        assert_eq!(
            err("tolist", Value::Tuple(vec![s("a"), Value::Tuple(vec![n(1.0)])])),
            "Invalid value for \"v\" parameter: cannot convert tuple to list of any single type."
        );
        assert_eq!(
            err("tolist", Value::Tuple(vec![n(1.0), Value::Bool(true)])),
            "Invalid value for \"v\" parameter: cannot convert tuple to list of any single type."
        );
        assert_eq!(
            err("tolist", s("a")),
            "Invalid value for \"v\" parameter: cannot convert string to list of any single type."
        );
        assert_eq!(
            err("tolist", Value::object([("a", n(1.0))])),
            "Invalid value for \"v\" parameter: cannot convert object to list of any single type."
        );
        assert_eq!(ok("toset", Value::Tuple(vec![s("b"), s("a"), s("b")])), Value::Set(vec![s("a"), s("b")]));
        assert_eq!(ok("toset", Value::Tuple(vec![n(1.0), s("a")])), Value::Set(vec![s("1"), s("a")]));
        assert_eq!(ok("tolist", Value::Set(vec![s("a"), s("b")])), Value::List(vec![s("a"), s("b")]));
        assert_eq!(
            ok("tomap", Value::object([("a", n(1.0)), ("b", s("x"))])),
            Value::Map([("a".to_string(), s("1")), ("b".to_string(), s("x"))].into())
        );
        assert_eq!(
            err("tomap", Value::object([("a", n(1.0)), ("b", Value::Tuple(vec![n(1.0)]))])),
            "Invalid value for \"v\" parameter: cannot convert object to map of any single type."
        );
        assert_eq!(
            err("tomap", Value::List(vec![n(1.0)])),
            "Invalid value for \"v\" parameter: cannot convert list of number to map of any single type."
        );
        assert_eq!(ok("tolist", Value::Null), Value::Null);
        assert_eq!(ok("tolist", Value::Tuple(vec![])), Value::List(vec![]));
        assert_eq!(ok("tomap", Value::object(Vec::<(String, Value)>::new())), Value::Map(Default::default()));
    }

    #[test]
    fn unknown_and_sensitive() {
        assert_eq!(ok("tostring", Value::unknown()), Value::Unknown(Type::String));
        assert_eq!(ok("tolist", Value::unknown()), Value::Unknown(Type::List(Box::new(Type::Any))));
        assert_eq!(ok("tostring", n(1.0).mark_sensitive()), s("1").mark_sensitive());
        assert_eq!(
            err("tonumber", s("abc").mark_sensitive()),
            "Invalid value for \"v\" parameter: cannot convert this sensitive string to number."
        );
        assert_eq!(
            err("tostring", Value::Tuple(vec![n(1.0)]).mark_sensitive()),
            "Invalid value for \"v\" parameter: cannot convert tuple to string."
        );
    }

    #[test]
    fn arity() {
        let e = call("tostring", &[]).unwrap().unwrap_err();
        assert_eq!(e.message, "Function \"tostring\" expects 1 argument(s). Missing value for \"v\".");
        let e = call("tostring", &[n(1.0), n(2.0)]).unwrap().unwrap_err();
        assert_eq!(e.message, "Function \"tostring\" expects only 1 argument(s).");
        assert!(call("nope", &[]).is_none());
    }
}
