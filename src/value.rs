//! Values of the Terraform language, with the two marks hcl-rs lacks.
//!
//! Owns: [`Value`] (null, bool, number, string, list, tuple, set, map,
//! object), the **unknown** value ("known after apply", [`Value::Unknown`])
//! and the **sensitive** mark ([`Value::Sensitive`], a wrapper that sticks
//! through every operator and function), [`Type`] (Terraform's type system,
//! including type constraints with `optional()` attributes), equality and the
//! canonical set order, and conversion to and from JSON.
//!
//! Does not own: evaluating expressions (`eval`), converting values to a
//! type constraint (`value::convert`), or printing values for plans.
//!
//! ```
//! use cairn::value::Value;
//! let v = Value::string("a").mark_sensitive();
//! assert!(v.is_sensitive());
//! assert_eq!(v.unmarked(), &Value::string("a"));
//! ```

pub mod convert;

use std::collections::BTreeMap;
use std::fmt;

/// A Terraform-language value.
///
/// Collections hold [`Value`]s, so unknown and sensitive elements can sit
/// anywhere inside a known collection (`[1, (known after apply)]`).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    /// `list(T)`: elements of one type.
    List(Vec<Value>),
    /// `tuple([...])`: what `[a, b]` produces.
    Tuple(Vec<Value>),
    /// `set(T)`: kept sorted in canonical order ([`Value::canonical_cmp`]) and free of duplicates.
    Set(Vec<Value>),
    /// `map(T)`
    Map(BTreeMap<String, Value>),
    /// `object({...})`: what `{a = 1}` produces.
    Object(BTreeMap<String, Value>),
    /// Not known until apply. The type is what is known of it (often `Any`).
    Unknown(Type),
    /// The sensitive mark around a value.
    Sensitive(Box<Value>),
}

/// Terraform's types, also used as type constraints (`Any` = `any`).
#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    Any,
    Bool,
    Number,
    String,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Tuple(Vec<Type>),
    Object(BTreeMap<String, ObjectAttr>),
}

/// An attribute of an object type constraint.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectAttr {
    pub ty: Type,
    /// Declared with `optional(T)` or `optional(T, default)`.
    pub optional: bool,
    /// The default of `optional(T, default)`.
    pub default: Option<Value>,
}

impl ObjectAttr {
    pub fn required(ty: Type) -> ObjectAttr {
        ObjectAttr { ty, optional: false, default: None }
    }
}

impl fmt::Display for Type {
    /// Terraform's spelling: `list(string)`, `object({name=string})`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Any => write!(f, "dynamic"),
            Type::Bool => write!(f, "bool"),
            Type::Number => write!(f, "number"),
            Type::String => write!(f, "string"),
            Type::List(t) => write!(f, "list({t})"),
            Type::Set(t) => write!(f, "set({t})"),
            Type::Map(t) => write!(f, "map({t})"),
            Type::Tuple(ts) => {
                write!(f, "tuple([")?;
                for (i, t) in ts.iter().enumerate() {
                    if i > 0 {
                        write!(f, ",")?;
                    }
                    write!(f, "{t}")?;
                }
                write!(f, "])")
            }
            Type::Object(attrs) => {
                write!(f, "object({{")?;
                for (i, (k, a)) in attrs.iter().enumerate() {
                    if i > 0 {
                        write!(f, ",")?;
                    }
                    if a.optional {
                        write!(f, "{k}=optional({})", a.ty)?;
                    } else {
                        write!(f, "{k}={}", a.ty)?;
                    }
                }
                write!(f, "}})")
            }
        }
    }
}

impl Type {
    /// A short name for messages: "string", "list of string", "object".
    pub fn friendly_name(&self) -> String {
        match self {
            Type::Any => "dynamic".into(),
            Type::Bool => "bool".into(),
            Type::Number => "number".into(),
            Type::String => "string".into(),
            Type::List(t) => format!("list of {}", t.friendly_name()),
            Type::Set(t) => format!("set of {}", t.friendly_name()),
            Type::Map(t) => format!("map of {}", t.friendly_name()),
            Type::Tuple(_) => "tuple".into(),
            Type::Object(_) => "object".into(),
        }
    }

    pub fn is_primitive(&self) -> bool {
        matches!(self, Type::Bool | Type::Number | Type::String)
    }
}

impl Value {
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    pub fn number(n: impl Into<f64>) -> Value {
        Value::Number(n.into())
    }

    pub fn unknown() -> Value {
        Value::Unknown(Type::Any)
    }

    /// Builds an object from `(key, value)` pairs.
    pub fn object<K: Into<String>>(items: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Object(items.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// Builds a set: sorts canonically and removes duplicates.
    pub fn set(mut items: Vec<Value>) -> Value {
        items.sort_by(Value::canonical_cmp);
        items.dedup_by(|a, b| a.equals(b));
        Value::Set(items)
    }

    /// Wraps in the sensitive mark (once).
    pub fn mark_sensitive(self) -> Value {
        match self {
            Value::Sensitive(_) => self,
            v => Value::Sensitive(Box::new(v)),
        }
    }

    /// Marks `self` sensitive when `sensitive` is true.
    pub fn mark_if(self, sensitive: bool) -> Value {
        if sensitive {
            self.mark_sensitive()
        } else {
            self
        }
    }

    /// The value under any sensitive mark at the top level.
    pub fn unmarked(&self) -> &Value {
        match self {
            Value::Sensitive(v) => v.unmarked(),
            v => v,
        }
    }

    /// Consumes the top-level mark, returning the value and whether it was marked.
    pub fn into_unmarked(self) -> (Value, bool) {
        match self {
            Value::Sensitive(v) => (v.into_unmarked().0, true),
            v => (v, false),
        }
    }

    /// Whether this value is marked at the top level.
    pub fn is_sensitive(&self) -> bool {
        matches!(self, Value::Sensitive(_))
    }

    /// Whether any part of this value is marked.
    pub fn contains_sensitive(&self) -> bool {
        match self {
            Value::Sensitive(_) => true,
            Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => xs.iter().any(Value::contains_sensitive),
            Value::Map(m) | Value::Object(m) => m.values().any(Value::contains_sensitive),
            _ => false,
        }
    }

    /// Removes every sensitive mark, deep. Returns whether any was found.
    pub fn deep_unmark(self) -> (Value, bool) {
        match self {
            Value::Sensitive(v) => (v.deep_unmark().0, true),
            Value::List(xs) => {
                let (xs, s) = unmark_all(xs);
                (Value::List(xs), s)
            }
            Value::Tuple(xs) => {
                let (xs, s) = unmark_all(xs);
                (Value::Tuple(xs), s)
            }
            Value::Set(xs) => {
                let (xs, s) = unmark_all(xs);
                (Value::Set(xs), s)
            }
            Value::Map(m) => {
                let (m, s) = unmark_map(m);
                (Value::Map(m), s)
            }
            Value::Object(m) => {
                let (m, s) = unmark_map(m);
                (Value::Object(m), s)
            }
            v => (v, false),
        }
    }

    /// Whether the value (at the top level, under marks) is unknown.
    pub fn is_unknown(&self) -> bool {
        matches!(self.unmarked(), Value::Unknown(_))
    }

    /// Whether the value is fully known (no unknown anywhere inside).
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown(_) => false,
            Value::Sensitive(v) => v.is_wholly_known(),
            Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => xs.iter().all(Value::is_wholly_known),
            Value::Map(m) | Value::Object(m) => m.values().all(Value::is_wholly_known),
            _ => true,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.unmarked(), Value::Null)
    }

    /// The value's type, as far as known. Null is `Any`.
    pub fn type_of(&self) -> Type {
        match self {
            Value::Null => Type::Any,
            Value::Bool(_) => Type::Bool,
            Value::Number(_) => Type::Number,
            Value::String(_) => Type::String,
            Value::List(xs) => Type::List(Box::new(xs.first().map(Value::type_of).unwrap_or(Type::Any))),
            Value::Set(xs) => Type::Set(Box::new(xs.first().map(Value::type_of).unwrap_or(Type::Any))),
            Value::Tuple(xs) => Type::Tuple(xs.iter().map(Value::type_of).collect()),
            Value::Map(m) => Type::Map(Box::new(m.values().next().map(Value::type_of).unwrap_or(Type::Any))),
            Value::Object(m) => {
                Type::Object(m.iter().map(|(k, v)| (k.clone(), ObjectAttr::required(v.type_of()))).collect())
            }
            Value::Unknown(t) => t.clone(),
            Value::Sensitive(v) => v.type_of(),
        }
    }

    /// The word Terraform uses for this kind of value in messages.
    pub fn type_name(&self) -> String {
        self.type_of().friendly_name()
    }

    pub fn as_str(&self) -> Option<&str> {
        match self.unmarked() {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.unmarked() {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<f64> {
        match self.unmarked() {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// Elements of a list, tuple or set.
    pub fn as_seq(&self) -> Option<&[Value]> {
        match self.unmarked() {
            Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => Some(xs),
            _ => None,
        }
    }

    /// Entries of a map or object.
    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self.unmarked() {
            Value::Map(m) | Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// Equality as Terraform's `==` sees it (ignores marks, compares
    /// list and tuple alike, map and object alike).
    pub fn equals(&self, other: &Value) -> bool {
        match (self.unmarked(), other.unmarked()) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::List(a) | Value::Tuple(a), Value::List(b) | Value::Tuple(b))
            | (Value::Set(a), Value::Set(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.equals(y)),
            (Value::Map(a) | Value::Object(a), Value::Map(b) | Value::Object(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|((ka, va), (kb, vb))| ka == kb && va.equals(vb))
            }
            _ => false,
        }
    }

    /// The canonical order of set elements: by kind, then numbers ascending,
    /// strings lexically, others by their JSON text.
    pub fn canonical_cmp(a: &Value, b: &Value) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        fn rank(v: &Value) -> u8 {
            match v.unmarked() {
                Value::Bool(_) => 0,
                Value::Number(_) => 1,
                Value::String(_) => 2,
                Value::Null => 5,
                Value::Unknown(_) => 6,
                _ => 3,
            }
        }
        match (a.unmarked(), b.unmarked()) {
            (Value::Number(x), Value::Number(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
            (Value::String(x), Value::String(y)) => x.cmp(y),
            (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
            (x, y) => rank(x).cmp(&rank(y)).then_with(|| x.to_json().to_string().cmp(&y.to_json().to_string())),
        }
    }

    /// JSON form of a known value (marks dropped, unknown as null). For
    /// state and `jsonencode`; callers that must hide sensitive values check
    /// [`Value::contains_sensitive`] first.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null | Value::Unknown(_) => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Number(n) => number_to_json(*n),
            Value::String(s) => J::String(s.clone()),
            Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => J::Array(xs.iter().map(Value::to_json).collect()),
            Value::Map(m) | Value::Object(m) => J::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
            Value::Sensitive(v) => v.to_json(),
        }
    }

    /// A value from JSON: arrays become tuples, objects become objects.
    pub fn from_json(json: &serde_json::Value) -> Value {
        use serde_json::Value as J;
        match json {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => Value::Number(n.as_f64().unwrap_or(0.0)),
            J::String(s) => Value::String(s.clone()),
            J::Array(xs) => Value::Tuple(xs.iter().map(Value::from_json).collect()),
            J::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), Value::from_json(v))).collect()),
        }
    }
}

impl Type {
    /// Terraform's JSON spelling of a type (state outputs, JSON plans):
    /// `"string"`, `["list","number"]`, `["object",{"a":"bool"}]`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Type::Any => json!("dynamic"),
            Type::Bool => json!("bool"),
            Type::Number => json!("number"),
            Type::String => json!("string"),
            Type::List(t) => json!(["list", t.to_json()]),
            Type::Set(t) => json!(["set", t.to_json()]),
            Type::Map(t) => json!(["map", t.to_json()]),
            Type::Tuple(ts) => json!(["tuple", ts.iter().map(Type::to_json).collect::<Vec<_>>()]),
            Type::Object(attrs) => {
                json!(["object", attrs.iter().map(|(k, a)| (k.clone(), a.ty.to_json())).collect::<serde_json::Map<_, _>>()])
            }
        }
    }

    /// The type a Terraform type JSON spells; `Any` for anything unknown.
    pub fn from_json(j: &serde_json::Value) -> Type {
        use serde_json::Value as J;
        match j {
            J::String(s) => match s.as_str() {
                "bool" => Type::Bool,
                "number" => Type::Number,
                "string" => Type::String,
                _ => Type::Any,
            },
            J::Array(parts) => match (parts.first().and_then(J::as_str), parts.get(1)) {
                (Some("list"), Some(t)) => Type::List(Box::new(Type::from_json(t))),
                (Some("set"), Some(t)) => Type::Set(Box::new(Type::from_json(t))),
                (Some("map"), Some(t)) => Type::Map(Box::new(Type::from_json(t))),
                (Some("tuple"), Some(J::Array(ts))) => Type::Tuple(ts.iter().map(Type::from_json).collect()),
                (Some("object"), Some(J::Object(m))) => {
                    Type::Object(m.iter().map(|(k, t)| (k.clone(), ObjectAttr::required(Type::from_json(t)))).collect())
                }
                _ => Type::Any,
            },
            _ => Type::Any,
        }
    }
}

impl Value {
    /// A value from JSON shaped by a type: lists, sets and maps come back
    /// as such (plain [`Value::from_json`] gives tuples and objects).
    pub fn from_typed_json(json: &serde_json::Value, ty: &Type) -> Value {
        use serde_json::Value as J;
        match (json, ty) {
            (J::Array(xs), Type::List(t)) => Value::List(xs.iter().map(|x| Value::from_typed_json(x, t)).collect()),
            (J::Array(xs), Type::Set(t)) => Value::set(xs.iter().map(|x| Value::from_typed_json(x, t)).collect()),
            (J::Array(xs), Type::Tuple(ts)) => {
                Value::Tuple(xs.iter().enumerate().map(|(i, x)| Value::from_typed_json(x, ts.get(i).unwrap_or(&Type::Any))).collect())
            }
            (J::Object(m), Type::Map(t)) => Value::Map(m.iter().map(|(k, x)| (k.clone(), Value::from_typed_json(x, t))).collect()),
            (J::Object(m), Type::Object(attrs)) => Value::Object(
                m.iter()
                    .map(|(k, x)| (k.clone(), Value::from_typed_json(x, attrs.get(k).map(|a| &a.ty).unwrap_or(&Type::Any))))
                    .collect(),
            ),
            (other, _) => Value::from_json(other),
        }
    }
}

fn unmark_all(xs: Vec<Value>) -> (Vec<Value>, bool) {
    let mut any = false;
    let xs = xs
        .into_iter()
        .map(|x| {
            let (x, s) = x.deep_unmark();
            any |= s;
            x
        })
        .collect();
    (xs, any)
}

fn unmark_map(m: BTreeMap<String, Value>) -> (BTreeMap<String, Value>, bool) {
    let mut any = false;
    let m = m
        .into_iter()
        .map(|(k, v)| {
            let (v, s) = v.deep_unmark();
            any |= s;
            (k, v)
        })
        .collect();
    (m, any)
}

/// A string as a quoted literal for messages and plan text: `"a\"b"`, with
/// control characters escaped.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Integers as JSON integers, other numbers as floats.
pub fn number_to_json(n: f64) -> serde_json::Value {
    if n.fract() == 0.0 && n.abs() < 9.007_199_254_740_992e15 {
        serde_json::Value::Number(serde_json::Number::from(n as i64))
    } else {
        serde_json::Number::from_f64(n).map(serde_json::Value::Number).unwrap_or(serde_json::Value::Null)
    }
}

/// Terraform's string form of a number (`tostring(1.5)`, `"${n}"`): integers
/// without a fraction, others in shortest round-trip form.
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.is_finite() {
        format!("{n:.0}")
    } else {
        format!("{n}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_are_sorted_and_deduplicated() {
        let s = Value::set(vec![Value::string("b"), Value::string("a"), Value::string("b")]);
        assert_eq!(s, Value::Set(vec![Value::string("a"), Value::string("b")]));
    }

    #[test]
    fn marks_are_found_deep() {
        let v = Value::Tuple(vec![Value::number(1), Value::string("x").mark_sensitive()]);
        assert!(!v.is_sensitive());
        assert!(v.contains_sensitive());
        let (plain, found) = v.deep_unmark();
        assert!(found);
        assert!(!plain.contains_sensitive());
    }

    #[test]
    fn numbers_format_like_terraform() {
        assert_eq!(format_number(3.0), "3");
        assert_eq!(format_number(0.5), "0.5");
        assert_eq!(format_number(18446744073709551616.0), "18446744073709551616");
    }
}
