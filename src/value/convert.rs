//! Conversion of values to a type constraint, as Terraform does when a value
//! meets a variable's `type`, a resource argument's schema type, or
//! `tolist`/`toset`/`tomap`/`tostring`/`tonumber`/`tobool`.
//!
//! Owns: safe conversions (number <-> string, bool <-> string, tuple -> list
//! or set, object -> map, element unification), `optional()` attributes and
//! their defaults, and the error that says which path failed and why.
//!
//! Does not own: parsing type constraint expressions (`eval::typeexpr`).
//!
//! The rules follow Terraform 1.11 (its `cty` library), checked against the
//! real binary:
//!
//! * primitives: number and bool become strings; strings become numbers when
//!   they are decimal numbers (`"1e3"`, `"+1"`, `".5"`, not `"0x10"` or
//!   `" 1"`) and bools when they are `"true"`/`"1"` or `"false"`/`"0"`;
//! * tuples become lists or sets, objects become maps; a collection of `any`
//!   first finds one element type all elements convert to ([`unify`]):
//!   `[1, "a"]` becomes `["1", "a"]`, objects with different attributes
//!   become maps, tuples of different lengths become lists;
//! * objects (and maps) become object types: missing required attributes
//!   are errors, extra ones are dropped, missing or null `optional()`
//!   attributes take their default (or null), at every depth;
//! * `null` stays null, unknowns become unknowns of the wanted type, the
//!   sensitive mark is kept around the converted value.
//!
//! ```
//! use cairn::value::{Type, Value};
//! use cairn::value::convert::convert;
//! let v = Value::Tuple(vec![Value::number(1), Value::string("a")]);
//! let got = convert(v, &Type::List(Box::new(Type::Any))).unwrap();
//! assert_eq!(got, Value::List(vec![Value::string("1"), Value::string("a")]));
//!
//! let err = convert(Value::string("x"), &Type::Number).unwrap_err();
//! assert_eq!(err.to_string(), "a number is required");
//! ```

use std::collections::BTreeMap;

use super::{format_number, quote, ObjectAttr, Type, Value};

/// Why a value cannot become the wanted type. `path` is like `.tags["a"]`
/// (empty for the value itself).
///
/// `Display` renders Terraform's wording, which spells the path out:
/// `attribute "tags": element "a": string required`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvertError {
    pub path: String,
    pub message: String,
}

impl ConvertError {
    fn at(path: &[Step], message: impl Into<String>) -> ConvertError {
        ConvertError { path: format_path(path), message: message.into() }
    }
}

impl std::fmt::Display for ConvertError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for step in parse_path(&self.path) {
            match step {
                Step::Attr(name) => write!(f, "attribute {}: ", quote(&name))?,
                Step::Index(i) => write!(f, "element {i}: ")?,
                Step::Key(k) => write!(f, "element {}: ", quote(&k))?,
            }
        }
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for ConvertError {}

/// One step of a path into a value.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Attr(String),
    Index(usize),
    Key(String),
}


fn format_path(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Attr(name) => {
                out.push('.');
                out.push_str(name);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
            Step::Key(k) => {
                out.push('[');
                out.push_str(&quote(k));
                out.push(']');
            }
        }
    }
    out
}

/// The inverse of [`format_path`] (best effort: attribute names holding `.`
/// or `[` are not told apart).
fn parse_path(path: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let chars: Vec<char> = path.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '.' => {
                let start = i + 1;
                i = start;
                while i < chars.len() && chars[i] != '.' && chars[i] != '[' {
                    i += 1;
                }
                steps.push(Step::Attr(chars[start..i].iter().collect()));
            }
            '[' if chars.get(i + 1) == Some(&'"') => {
                i += 2;
                let mut key = String::new();
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' && i + 1 < chars.len() {
                        i += 1;
                        key.push(match chars[i] {
                            'n' => '\n',
                            'r' => '\r',
                            't' => '\t',
                            c => c,
                        });
                    } else {
                        key.push(chars[i]);
                    }
                    i += 1;
                }
                i += 2; // the closing quote and bracket
                steps.push(Step::Key(key));
            }
            '[' => {
                let start = i + 1;
                while i < chars.len() && chars[i] != ']' {
                    i += 1;
                }
                let digits: String = chars[start..i.min(chars.len())].iter().collect();
                steps.push(Step::Index(digits.parse().unwrap_or(0)));
                i += 1;
            }
            _ => i += 1,
        }
    }
    steps
}

/// Converts `value` to `ty`. Unknown values convert to unknowns of `ty`;
/// sensitive marks are kept.
pub fn convert(value: Value, ty: &Type) -> Result<Value, ConvertError> {
    let mut path = Vec::new();
    conv(value, ty, &mut path)
}

/// How Terraform names a type constraint in "... required" messages:
/// `string`, `list of string`, `list of any single type`, `object`.
pub fn constraint_name(ty: &Type) -> String {
    match ty {
        Type::Any => "any single type".into(),
        Type::List(t) => format!("list of {}", constraint_name(t)),
        Type::Set(t) => format!("set of {}", constraint_name(t)),
        Type::Map(t) => format!("map of {}", constraint_name(t)),
        t => t.friendly_name(),
    }
}

fn mismatch(path: &[Step], ty: &Type) -> ConvertError {
    ConvertError::at(path, format!("{} required", constraint_name(ty)))
}

fn conv(value: Value, ty: &Type, path: &mut Vec<Step>) -> Result<Value, ConvertError> {
    let value = match value {
        Value::Sensitive(inner) => return conv(*inner, ty, path).map(Value::mark_sensitive),
        Value::Null => return Ok(Value::Null),
        Value::Unknown(known) => {
            if !convertible(&known, ty) {
                return Err(mismatch(path, ty));
            }
            return Ok(Value::Unknown(refine(ty, &known)));
        }
        v => v,
    };
    match ty {
        Type::Any => Ok(value),
        Type::String => match value {
            Value::String(s) => Ok(Value::String(s)),
            Value::Number(n) => Ok(Value::String(format_number(n))),
            Value::Bool(b) => Ok(Value::String(b.to_string())),
            _ => Err(mismatch(path, ty)),
        },
        Type::Number => match value {
            Value::Number(n) => Ok(Value::Number(n)),
            Value::String(s) => {
                parse_number(&s).map(Value::Number).ok_or_else(|| ConvertError::at(path, "a number is required"))
            }
            _ => Err(mismatch(path, ty)),
        },
        Type::Bool => match value {
            Value::Bool(b) => Ok(Value::Bool(b)),
            Value::String(s) => match s.as_str() {
                "true" | "1" => Ok(Value::Bool(true)),
                "false" | "0" => Ok(Value::Bool(false)),
                other => {
                    let lower = other.to_lowercase();
                    let msg = if lower == "true" || lower == "false" {
                        format!("a bool is required; to convert from string, use lowercase \"{lower}\"")
                    } else {
                        "a bool is required".to_string()
                    };
                    Err(ConvertError::at(path, msg))
                }
            },
            _ => Err(mismatch(path, ty)),
        },
        Type::List(et) | Type::Set(et) => {
            let is_set = matches!(ty, Type::Set(_));
            let (items, from_tuple) = match value {
                Value::List(xs) | Value::Set(xs) => (xs, false),
                Value::Tuple(xs) => (xs, true),
                _ => return Err(mismatch(path, ty)),
            };
            let kind = if is_set { "set" } else { "list" };
            let items = convert_seq(items, et, from_tuple, kind, path)?;
            Ok(if is_set { Value::set(items) } else { Value::List(items) })
        }
        Type::Map(et) => {
            let (entries, from_object) = match value {
                Value::Map(m) => (m, false),
                Value::Object(m) => (m, true),
                _ => return Err(mismatch(path, ty)),
            };
            let mut target = (**et).clone();
            if target == Type::Any && from_object {
                target = unify_elements(entries.values(), path, "map")?;
            }
            let mut out = BTreeMap::new();
            for (k, v) in entries {
                path.push(Step::Key(k.clone()));
                let v = conv(v, &target, path)?;
                path.pop();
                out.insert(k, v);
            }
            if contains_any(&target) {
                out = reunify_map(out, path)?;
            }
            Ok(Value::Map(out))
        }
        Type::Tuple(tys) => {
            let items = match value {
                Value::Tuple(xs) | Value::List(xs) | Value::Set(xs) => xs,
                _ => return Err(mismatch(path, ty)),
            };
            if items.len() != tys.len() {
                return Err(mismatch(path, ty));
            }
            let mut out = Vec::with_capacity(items.len());
            for (i, (v, t)) in items.into_iter().zip(tys).enumerate() {
                path.push(Step::Index(i));
                out.push(conv(v, t, path)?);
                path.pop();
            }
            Ok(Value::Tuple(out))
        }
        Type::Object(attrs) => {
            let (mut entries, from_map) = match value {
                Value::Object(m) => (m, false),
                Value::Map(m) => (m, true),
                _ => return Err(mismatch(path, ty)),
            };
            let mut out = BTreeMap::new();
            for (name, attr) in attrs {
                let given = entries.remove(name);
                let given = match given {
                    Some(v) if attr.optional && v.is_null() && !v.is_sensitive() => None,
                    other => other,
                };
                let v = match given {
                    Some(v) => {
                        path.push(Step::Attr(name.clone()));
                        let v = conv(v, &attr.ty, path)?;
                        path.pop();
                        v
                    }
                    None if attr.optional => match &attr.default {
                        Some(d) => {
                            path.push(Step::Attr(name.clone()));
                            let v = conv(d.clone(), &attr.ty, path)?;
                            path.pop();
                            v
                        }
                        None => Value::Null,
                    },
                    None if from_map => {
                        return Err(ConvertError::at(
                            path,
                            format!("map has no element for required attribute {}", quote(name)),
                        ))
                    }
                    None => return Err(ConvertError::at(path, format!("attribute {} is required", quote(name)))),
                };
                out.insert(name.clone(), v);
            }
            // Attributes the type does not declare are dropped, as Terraform does.
            Ok(Value::Object(out))
        }
    }
}

/// Converts the elements of a list, set or tuple to `et` (unifying them
/// first when `et` is `any` and they come from a tuple).
fn convert_seq(
    items: Vec<Value>,
    et: &Type,
    from_tuple: bool,
    kind: &str,
    path: &mut Vec<Step>,
) -> Result<Vec<Value>, ConvertError> {
    let mut target = et.clone();
    if target == Type::Any && from_tuple {
        target = unify_elements(items.iter(), path, kind)?;
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, v) in items.into_iter().enumerate() {
        path.push(Step::Index(i));
        out.push(conv(v, &target, path)?);
        path.pop();
    }
    if contains_any(&target) && target != Type::Any {
        // `list(list(any))`: each element found its own type; they must
        // still agree on one.
        let tys: Vec<Type> = out.iter().map(Value::type_of).collect();
        match unify(&tys) {
            Some(t) if !(t == Type::Any && tys.iter().any(|t| *t != Type::Any)) => {
                let mut again = Vec::with_capacity(out.len());
                for (i, v) in out.into_iter().enumerate() {
                    path.push(Step::Index(i));
                    again.push(conv(v, &t, path)?);
                    path.pop();
                }
                out = again;
            }
            _ => return Err(ConvertError::at(path, "cannot find a common base type for all elements")),
        }
    }
    Ok(out)
}

fn reunify_map(out: BTreeMap<String, Value>, path: &mut Vec<Step>) -> Result<BTreeMap<String, Value>, ConvertError> {
    let tys: Vec<Type> = out.values().map(Value::type_of).collect();
    match unify(&tys) {
        Some(t) if !(t == Type::Any && tys.iter().any(|t| *t != Type::Any)) => {
            let mut again = BTreeMap::new();
            for (k, v) in out {
                path.push(Step::Key(k.clone()));
                let v = conv(v, &t, path)?;
                path.pop();
                again.insert(k, v);
            }
            Ok(again)
        }
        _ => Err(ConvertError::at(path, "cannot find a common base type for all elements")),
    }
}

/// The single element type for a collection of `any`, or Terraform's
/// "all list elements must have the same type".
fn unify_elements<'a>(items: impl Iterator<Item = &'a Value>, path: &[Step], kind: &str) -> Result<Type, ConvertError> {
    let tys: Vec<Type> = items.map(Value::type_of).collect();
    match unify(&tys) {
        // `any` only unifies values whose types are all unknown (nulls).
        Some(Type::Any) if tys.iter().any(|t| *t != Type::Any) => {}
        Some(t) => return Ok(t),
        None => {}
    }
    Err(ConvertError::at(path, format!("all {kind} elements must have the same type")))
}

fn contains_any(ty: &Type) -> bool {
    match ty {
        Type::Any => true,
        Type::Bool | Type::Number | Type::String => false,
        Type::List(t) | Type::Set(t) | Type::Map(t) => contains_any(t),
        Type::Tuple(ts) => ts.iter().any(contains_any),
        Type::Object(attrs) => attrs.values().any(|a| contains_any(&a.ty)),
    }
}

/// The type of an unknown converted to `ty`: `ty`, with `any` parts filled in
/// from what was known of the unknown's type.
fn refine(ty: &Type, known: &Type) -> Type {
    match (ty, known) {
        (Type::Any, k) => k.clone(),
        (Type::List(t), Type::List(k) | Type::Set(k)) => Type::List(Box::new(refine(t, k))),
        (Type::Set(t), Type::List(k) | Type::Set(k)) => Type::Set(Box::new(refine(t, k))),
        (Type::Map(t), Type::Map(k)) => Type::Map(Box::new(refine(t, k))),
        (t, _) => t.clone(),
    }
}

/// Parses a string as Terraform does for string -> number: an optionally
/// signed decimal with optional fraction and exponent, or `Inf`.
pub fn parse_number(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if body == "Inf" || body == "inf" {
        return Some(if s.starts_with('-') { f64::NEG_INFINITY } else { f64::INFINITY });
    }
    let bytes = body.as_bytes();
    let mut i = 0;
    let mut digits = 0;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        i += 1;
        digits += 1;
    }
    if i < bytes.len() && bytes[i] == b'.' {
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return None;
    }
    if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
        i += 1;
        if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
            i += 1;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    if i != bytes.len() {
        return None;
    }
    s.parse::<f64>().ok()
}

/// Whether a value of type `from` may convert to `to` (for some values: a
/// string may become a number if it holds one).
pub fn convertible(from: &Type, to: &Type) -> bool {
    match (from, to) {
        (_, Type::Any) | (Type::Any, _) => true,
        (a, b) if a == b => true,
        (Type::String, Type::Number | Type::Bool) | (Type::Number | Type::Bool, Type::String) => true,
        (Type::List(e) | Type::Set(e), Type::List(t) | Type::Set(t)) => convertible(e, t),
        (Type::Tuple(es), Type::List(t) | Type::Set(t)) => {
            if **t == Type::Any {
                unify(es).is_some()
            } else {
                es.iter().all(|e| convertible(e, t))
            }
        }
        (Type::Map(e), Type::Map(t)) => convertible(e, t),
        (Type::Object(attrs), Type::Map(t)) => {
            if **t == Type::Any {
                let tys: Vec<Type> = attrs.values().map(|a| a.ty.clone()).collect();
                unify(&tys).is_some()
            } else {
                attrs.values().all(|a| convertible(&a.ty, t))
            }
        }
        (Type::Tuple(es), Type::Tuple(ts)) => es.len() == ts.len() && es.iter().zip(ts).all(|(e, t)| convertible(e, t)),
        (Type::List(e) | Type::Set(e), Type::Tuple(ts)) => ts.iter().all(|t| convertible(e, t)),
        (Type::Object(from), Type::Object(to)) => to.iter().all(|(name, attr)| match from.get(name) {
            Some(f) => convertible(&f.ty, &attr.ty),
            None => attr.optional,
        }),
        (Type::Map(e), Type::Object(to)) => to.values().all(|a| convertible(e, &a.ty)),
        _ => false,
    }
}

/// Finds the one type that all of `types` convert to, as Terraform does
/// for the elements of `tolist([...])` or a `list(any)` variable. `None`
/// when there is none. `Any` (the type of `null`) joins any type; an empty
/// list unifies to `Any`.
///
/// ```
/// use cairn::value::Type;
/// use cairn::value::convert::unify;
/// assert_eq!(unify(&[Type::Number, Type::String]), Some(Type::String));
/// assert_eq!(unify(&[Type::Number, Type::Bool]), None);
/// ```
pub fn unify(types: &[Type]) -> Option<Type> {
    if types.is_empty() {
        return Some(Type::Any);
    }
    let n = types.len();
    let (mut maps, mut lists, mut sets, mut objects, mut tuples, mut dynamic) = (0, 0, 0, 0, 0, 0);
    for t in types {
        match t {
            Type::Map(_) => maps += 1,
            Type::List(_) => lists += 1,
            Type::Set(_) => sets += 1,
            Type::Object(_) => objects += 1,
            Type::Tuple(_) => tuples += 1,
            Type::Any => dynamic += 1,
            _ => {}
        }
    }
    let has_dynamic = dynamic > 0;
    let elem = |t: &Type| -> Type {
        match t {
            Type::List(e) | Type::Set(e) | Type::Map(e) => (**e).clone(),
            _ => Type::Any,
        }
    };
    if maps > 0 && maps + dynamic == n {
        if has_dynamic {
            return Some(Type::Any);
        }
        let es: Vec<Type> = types.iter().map(elem).collect();
        return unify(&es).map(|e| Type::Map(Box::new(e)));
    }
    if maps > 0 && maps + objects + dynamic == n && !has_dynamic {
        let mut es = Vec::new();
        for t in types {
            match t {
                Type::Object(attrs) => es.extend(attrs.values().map(|a| a.ty.clone())),
                t => es.push(elem(t)),
            }
        }
        if let Some(e) = unify(&es) {
            return Some(Type::Map(Box::new(e)));
        }
    }
    if lists > 0 && lists + dynamic == n {
        if has_dynamic {
            return Some(Type::Any);
        }
        let es: Vec<Type> = types.iter().map(elem).collect();
        return unify(&es).map(|e| Type::List(Box::new(e)));
    }
    if lists > 0 && lists + tuples + dynamic == n && !has_dynamic {
        let mut es = Vec::new();
        for t in types {
            match t {
                Type::Tuple(ts) => es.extend(ts.iter().cloned()),
                t => es.push(elem(t)),
            }
        }
        if let Some(e) = unify(&es) {
            return Some(Type::List(Box::new(e)));
        }
    }
    if sets > 0 && sets + dynamic == n {
        if has_dynamic {
            return Some(Type::Any);
        }
        let es: Vec<Type> = types.iter().map(elem).collect();
        return unify(&es).map(|e| Type::Set(Box::new(e)));
    }
    if objects > 0 && objects + dynamic == n {
        if has_dynamic {
            return Some(Type::Any);
        }
        let all: Vec<&BTreeMap<String, ObjectAttr>> = types
            .iter()
            .filter_map(|t| match t {
                Type::Object(a) => Some(a),
                _ => None,
            })
            .collect();
        let first = all[0];
        let same_names = all.iter().all(|a| a.len() == first.len() && a.keys().all(|k| first.contains_key(k)));
        if same_names {
            let mut out = BTreeMap::new();
            for name in first.keys() {
                let tys: Vec<Type> = all.iter().map(|a| a[name].ty.clone()).collect();
                out.insert(name.clone(), ObjectAttr::required(unify(&tys)?));
            }
            return Some(Type::Object(out));
        }
        let tys: Vec<Type> = all.iter().flat_map(|a| a.values().map(|x| x.ty.clone())).collect();
        return unify(&tys).map(|e| Type::Map(Box::new(e)));
    }
    if tuples > 0 && tuples + dynamic == n {
        if has_dynamic {
            return Some(Type::Any);
        }
        let all: Vec<&Vec<Type>> = types
            .iter()
            .filter_map(|t| match t {
                Type::Tuple(ts) => Some(ts),
                _ => None,
            })
            .collect();
        let len = all[0].len();
        if all.iter().all(|ts| ts.len() == len) {
            let mut out = Vec::with_capacity(len);
            for i in 0..len {
                let tys: Vec<Type> = all.iter().map(|ts| ts[i].clone()).collect();
                out.push(unify(&tys)?);
            }
            return Some(Type::Tuple(out));
        }
        let tys: Vec<Type> = all.iter().flat_map(|ts| ts.iter().cloned()).collect();
        return unify(&tys).map(|e| Type::List(Box::new(e)));
    }
    if objects > 0 && tuples > 0 {
        return None;
    }
    // General case: the first type, most general first (string before the
    // other primitives, `any` last), that every other type converts to.
    let mut candidates: Vec<&Type> = Vec::new();
    for t in types {
        if *t != Type::Any && !candidates.contains(&t) {
            candidates.push(t);
        }
    }
    candidates.sort_by_key(|t| match t {
        Type::String => 0,
        _ => 1,
    });
    if candidates.is_empty() {
        return Some(Type::Any);
    }
    candidates.into_iter().find(|want| types.iter().all(|t| t == *want || convertible_for_unify(t, want))).cloned()
}

/// Conversions unification may use: like [`convertible`], but a string is
/// not assumed to hold a number or bool (Terraform would only find out when
/// converting, so it prefers string).
fn convertible_for_unify(from: &Type, to: &Type) -> bool {
    match (from, to) {
        (Type::String, Type::Number | Type::Bool) => false,
        (a, b) => convertible(a, b),
    }
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
    fn list(t: Type) -> Type {
        Type::List(Box::new(t))
    }
    fn set(t: Type) -> Type {
        Type::Set(Box::new(t))
    }
    fn map(t: Type) -> Type {
        Type::Map(Box::new(t))
    }
    fn tuple(xs: Vec<Value>) -> Value {
        Value::Tuple(xs)
    }
    fn obj(items: Vec<(&str, Value)>) -> Value {
        Value::object(items)
    }
    fn otype(attrs: Vec<(&str, ObjectAttr)>) -> Type {
        Type::Object(attrs.into_iter().map(|(k, a)| (k.to_string(), a)).collect())
    }
    fn req(t: Type) -> ObjectAttr {
        ObjectAttr::required(t)
    }
    fn opt(t: Type, default: Option<Value>) -> ObjectAttr {
        ObjectAttr { ty: t, optional: true, default }
    }
    fn err(v: Value, t: &Type) -> String {
        convert(v, t).unwrap_err().to_string()
    }

    #[test]
    fn primitives() {
        assert_eq!(convert(n(1.5), &Type::String).unwrap(), s("1.5"));
        assert_eq!(convert(n(1e20), &Type::String).unwrap(), s("100000000000000000000"));
        assert_eq!(convert(Value::Bool(true), &Type::String).unwrap(), s("true"));
        assert_eq!(convert(s("1e3"), &Type::Number).unwrap(), n(1000.0));
        assert_eq!(convert(s("+1"), &Type::Number).unwrap(), n(1.0));
        assert_eq!(convert(s(".5"), &Type::Number).unwrap(), n(0.5));
        assert_eq!(convert(s("1."), &Type::Number).unwrap(), n(1.0));
        assert_eq!(convert(s("01"), &Type::Number).unwrap(), n(1.0));
        assert_eq!(convert(s("1e+5"), &Type::Number).unwrap(), n(100000.0));
        assert_eq!(convert(s("-Inf"), &Type::Number).unwrap(), n(f64::NEG_INFINITY));
        for bad in ["abc", "0x10", " 1", "1 ", "", "1_000", "NaN", "infinity", ".", "1e"] {
            assert_eq!(err(s(bad), &Type::Number), "a number is required", "{bad:?}");
        }
        assert_eq!(convert(s("1"), &Type::Bool).unwrap(), Value::Bool(true));
        assert_eq!(convert(s("0"), &Type::Bool).unwrap(), Value::Bool(false));
        assert_eq!(convert(s("false"), &Type::Bool).unwrap(), Value::Bool(false));
        assert_eq!(err(s("yes"), &Type::Bool), "a bool is required");
        assert_eq!(err(s("True"), &Type::Bool), "a bool is required; to convert from string, use lowercase \"true\"");
        assert_eq!(err(Value::Bool(true), &Type::Number), "number required");
        assert_eq!(err(n(1.0), &Type::Bool), "bool required");
        assert_eq!(err(tuple(vec![n(1.0)]), &Type::String), "string required");
    }

    #[test]
    fn tuples_become_lists_and_sets() {
        let v = tuple(vec![n(1.0), s("a"), Value::Bool(true)]);
        assert_eq!(convert(v, &list(Type::String)).unwrap(), Value::List(vec![s("1"), s("a"), s("true")]));
        let v = tuple(vec![n(1.0), s("a")]);
        assert_eq!(convert(v, &list(Type::Any)).unwrap(), Value::List(vec![s("1"), s("a")]));
        let v = tuple(vec![n(1.0), Value::Bool(true)]);
        assert_eq!(err(v.clone(), &list(Type::Any)), "all list elements must have the same type");
        assert_eq!(err(v, &set(Type::Any)), "all set elements must have the same type");
        let v = tuple(vec![s("b"), s("a"), s("b")]);
        assert_eq!(convert(v, &set(Type::Any)).unwrap(), Value::Set(vec![s("a"), s("b")]));
        assert_eq!(err(s("a"), &list(Type::String)), "list of string required");
        assert_eq!(err(tuple(vec![tuple(vec![n(1.0)])]), &list(Type::String)), "element 0: string required");
        let e = convert(tuple(vec![n(1.0)]), &list(list(Type::String))).unwrap_err();
        assert_eq!((e.path.as_str(), e.message.as_str()), ("[0]", "list of string required"));
        // Terraform keeps null elements; their type comes from the others.
        let v = tuple(vec![Value::Null, n(1.0)]);
        assert_eq!(convert(v, &list(Type::Any)).unwrap(), Value::List(vec![Value::Null, n(1.0)]));
        let v = tuple(vec![Value::Null, obj(vec![("a", n(1.0))])]);
        assert_eq!(err(v, &list(Type::Any)), "all list elements must have the same type");
        let v = tuple(vec![Value::Null, Value::Null]);
        assert_eq!(convert(v, &list(Type::Any)).unwrap(), Value::List(vec![Value::Null, Value::Null]));
        assert_eq!(convert(tuple(vec![]), &list(Type::Any)).unwrap(), Value::List(vec![]));
    }

    #[test]
    fn unification_of_structures() {
        // tolist([{a=1},{b=2}]) is a list of maps.
        let v = tuple(vec![obj(vec![("a", n(1.0))]), obj(vec![("b", n(2.0))])]);
        let got = convert(v, &list(Type::Any)).unwrap();
        let want = Value::List(vec![
            Value::Map([("a".to_string(), n(1.0))].into()),
            Value::Map([("b".to_string(), n(2.0))].into()),
        ]);
        assert_eq!(got, want);
        // tolist([{a=1},{a="x"}]) is a list of object({a=string}).
        let v = tuple(vec![obj(vec![("a", n(1.0))]), obj(vec![("a", s("x"))])]);
        let got = convert(v, &list(Type::Any)).unwrap();
        assert_eq!(got, Value::List(vec![obj(vec![("a", s("1"))]), obj(vec![("a", s("x"))])]));
        // tolist([{a=1},{a=true}]) fails.
        let v = tuple(vec![obj(vec![("a", n(1.0))]), obj(vec![("a", Value::Bool(true))])]);
        assert!(convert(v, &list(Type::Any)).is_err());
        // tolist([[1],[1,2]]) is a list of lists; tolist([[1],["a"]]) a list of tuples.
        let v = tuple(vec![tuple(vec![n(1.0)]), tuple(vec![n(1.0), n(2.0)])]);
        let got = convert(v, &list(Type::Any)).unwrap();
        assert_eq!(got, Value::List(vec![Value::List(vec![n(1.0)]), Value::List(vec![n(1.0), n(2.0)])]));
        let v = tuple(vec![tuple(vec![n(1.0)]), tuple(vec![s("a")])]);
        let got = convert(v, &list(Type::Any)).unwrap();
        assert_eq!(got, Value::List(vec![tuple(vec![s("1")]), tuple(vec![s("a")])]));
        // tolist([tolist([1]), ["a"]]) is a list of list(string).
        let v = tuple(vec![Value::List(vec![n(1.0)]), tuple(vec![s("a")])]);
        let got = convert(v, &list(Type::Any)).unwrap();
        assert_eq!(got, Value::List(vec![Value::List(vec![s("1")]), Value::List(vec![s("a")])]));
        // tolist([{a=1}, tomap({b="x"})]) is a list of map(string).
        let v = tuple(vec![obj(vec![("a", n(1.0))]), Value::Map([("b".to_string(), s("x"))].into())]);
        let got = convert(v, &list(Type::Any)).unwrap();
        assert_eq!(
            got,
            Value::List(vec![
                Value::Map([("a".to_string(), s("1"))].into()),
                Value::Map([("b".to_string(), s("x"))].into())
            ])
        );
        // list(list(any)) = [[1],["a"]] unifies the inner lists too.
        let v = tuple(vec![tuple(vec![n(1.0)]), tuple(vec![s("a")])]);
        let got = convert(v, &list(list(Type::Any))).unwrap();
        assert_eq!(got, Value::List(vec![Value::List(vec![s("1")]), Value::List(vec![s("a")])]));
        let v = tuple(vec![tuple(vec![n(1.0)]), tuple(vec![Value::Bool(true)])]);
        assert_eq!(err(v, &list(list(Type::Any))), "cannot find a common base type for all elements");
    }

    #[test]
    fn objects_become_maps() {
        let v = obj(vec![("a", n(1.0)), ("b", s("x"))]);
        let got = convert(v, &map(Type::Any)).unwrap();
        assert_eq!(got, Value::Map([("a".to_string(), s("1")), ("b".to_string(), s("x"))].into()));
        let v = obj(vec![("a", n(1.0)), ("b", Value::Bool(true))]);
        assert_eq!(err(v, &map(Type::Any)), "all map elements must have the same type");
        assert_eq!(err(tuple(vec![n(1.0)]), &map(Type::String)), "map of string required");
        let v = obj(vec![("a", n(1.0))]);
        assert_eq!(err(v, &map(list(Type::String))), "element \"a\": list of string required");
        let v = obj(vec![("a", Value::Null), ("b", s("c"))]);
        assert_eq!(
            convert(v, &map(Type::String)).unwrap(),
            Value::Map([("a".to_string(), Value::Null), ("b".to_string(), s("c"))].into())
        );
    }

    #[test]
    fn objects_to_object_types() {
        let ty = otype(vec![("name", req(Type::String)), ("tags", req(map(Type::String)))]);
        let v = obj(vec![("tags", obj(vec![("a", tuple(vec![]))]))]);
        assert_eq!(err(v, &ty), "attribute \"name\" is required");
        let v = obj(vec![("name", s("x")), ("tags", obj(vec![("a", tuple(vec![]))]))]);
        let e = convert(v.clone(), &ty).unwrap_err();
        assert_eq!(e.path, ".tags[\"a\"]");
        assert_eq!(e.message, "string required");
        assert_eq!(e.to_string(), "attribute \"tags\": element \"a\": string required");
        // Extra attributes are dropped.
        let ty = otype(vec![("a", req(Type::String))]);
        let v = obj(vec![("a", n(1.0)), ("b", n(2.0))]);
        assert_eq!(convert(v, &ty).unwrap(), obj(vec![("a", s("1"))]));
        // A required attribute given as null stays null.
        let v = obj(vec![("a", Value::Null)]);
        assert_eq!(convert(v, &ty).unwrap(), obj(vec![("a", Value::Null)]));
        assert_eq!(err(tuple(vec![n(1.0)]), &ty), "object required");
        let lt = list(ty.clone());
        let v = tuple(vec![obj(vec![("a", s("x"))]), obj(vec![("foo", n(1.0))])]);
        assert_eq!(err(v, &lt), "element 1: attribute \"a\" is required");
        assert_eq!(err(obj(vec![("a", s("x"))]), &lt), "list of object required");
        let v = obj(vec![("a", tuple(vec![n(1.0)]))]);
        assert_eq!(err(v, &ty), "attribute \"a\": string required");
    }

    #[test]
    fn maps_to_object_types() {
        let ty = otype(vec![("a", req(Type::String)), ("c", opt(Type::String, Some(s("z"))))]);
        let m = Value::Map([("a".to_string(), s("x")), ("b".to_string(), s("y"))].into());
        assert_eq!(convert(m, &ty).unwrap(), obj(vec![("a", s("x")), ("c", s("z"))]));
        let m = Value::Map([("b".to_string(), s("y"))].into());
        assert_eq!(err(m, &ty), "map has no element for required attribute \"a\"");
    }

    #[test]
    fn optional_attributes_and_defaults() {
        let ty = otype(vec![("a", opt(Type::String, None)), ("b", opt(Type::Number, Some(n(5.0))))]);
        let want = obj(vec![("a", Value::Null), ("b", n(5.0))]);
        assert_eq!(convert(obj(vec![]), &ty).unwrap(), want);
        assert_eq!(convert(obj(vec![("b", Value::Null)]), &ty).unwrap(), want);
        // Defaults are converted to the attribute type.
        let ty = otype(vec![("a", opt(Type::String, Some(n(1.0))))]);
        assert_eq!(convert(obj(vec![]), &ty).unwrap(), obj(vec![("a", s("1"))]));
        // Nested: map(object({a=optional(string,"d"), n=optional(object({x=optional(number,1)}), {})}))
        let inner = otype(vec![("x", opt(Type::Number, Some(n(1.0))))]);
        let elem = otype(vec![("a", opt(Type::String, Some(s("d")))), ("n", opt(inner, Some(obj(vec![]))))]);
        let v = obj(vec![("k", obj(vec![])), ("j", obj(vec![("a", s("z")), ("n", obj(vec![("x", n(2.0))]))]))]);
        let got = convert(v, &map(elem.clone())).unwrap();
        let want = Value::Map(
            [
                ("k".to_string(), obj(vec![("a", s("d")), ("n", obj(vec![("x", n(1.0))]))])),
                ("j".to_string(), obj(vec![("a", s("z")), ("n", obj(vec![("x", n(2.0))]))])),
            ]
            .into(),
        );
        assert_eq!(got, want);
        // Inside lists, sets and tuples too.
        let ty = otype(vec![("a", opt(list(Type::String), Some(tuple(vec![s("q")]))))]);
        let v = tuple(vec![obj(vec![]), obj(vec![("a", tuple(vec![n(1.0)]))])]);
        let got = convert(v, &list(ty.clone())).unwrap();
        assert_eq!(
            got,
            Value::List(vec![obj(vec![("a", Value::List(vec![s("q")]))]), obj(vec![("a", Value::List(vec![s("1")]))])])
        );
        let ty = otype(vec![("a", opt(Type::Number, Some(n(3.0))))]);
        let v = tuple(vec![obj(vec![]), obj(vec![("a", n(3.0))])]);
        assert_eq!(convert(v, &set(ty.clone())).unwrap(), Value::Set(vec![obj(vec![("a", n(3.0))])]));
        let v = tuple(vec![obj(vec![])]);
        assert_eq!(convert(v, &Type::Tuple(vec![ty])).unwrap(), tuple(vec![obj(vec![("a", n(3.0))])]));
        // An optional object without default is null (its own defaults do not apply).
        let inner = otype(vec![("b", opt(Type::String, Some(s("x"))))]);
        let ty = otype(vec![("a", opt(inner, None))]);
        assert_eq!(convert(obj(vec![]), &ty).unwrap(), obj(vec![("a", Value::Null)]));
    }

    #[test]
    fn tuples_and_lists_to_tuple_types() {
        let ty = Type::Tuple(vec![Type::String, Type::Number]);
        assert_eq!(err(tuple(vec![s("a")]), &ty), "tuple required");
        let e = convert(tuple(vec![s("a"), s("b")]), &ty).unwrap_err();
        assert_eq!((e.path.as_str(), e.message.as_str()), ("[1]", "a number is required"));
        assert_eq!(convert(tuple(vec![s("a"), s("2")]), &ty).unwrap(), tuple(vec![s("a"), n(2.0)]));
        let l = Value::List(vec![s("a"), s("2")]);
        assert_eq!(convert(l, &ty).unwrap(), tuple(vec![s("a"), n(2.0)]));
    }

    #[test]
    fn lists_and_sets_interconvert() {
        let l = Value::List(vec![s("b"), s("a"), s("b")]);
        assert_eq!(convert(l, &set(Type::String)).unwrap(), Value::Set(vec![s("a"), s("b")]));
        let st = Value::Set(vec![n(1.0), n(2.0)]);
        assert_eq!(convert(st, &list(Type::String)).unwrap(), Value::List(vec![s("1"), s("2")]));
    }

    #[test]
    fn null_unknown_sensitive() {
        assert_eq!(convert(Value::Null, &list(Type::String)).unwrap(), Value::Null);
        assert_eq!(convert(Value::unknown(), &list(Type::String)).unwrap(), Value::Unknown(list(Type::String)));
        assert_eq!(convert(Value::Unknown(Type::String), &Type::Number).unwrap(), Value::Unknown(Type::Number));
        assert_eq!(err(Value::Unknown(Type::Bool), &Type::Number), "number required");
        assert_eq!(
            convert(Value::Unknown(list(Type::String)), &list(Type::Any)).unwrap(),
            Value::Unknown(list(Type::String))
        );
        let v = Value::Sensitive(Box::new(n(1.0)));
        assert_eq!(convert(v, &Type::String).unwrap(), s("1").mark_sensitive());
        let v = tuple(vec![n(1.0).mark_sensitive(), s("a")]);
        assert_eq!(convert(v, &list(Type::Any)).unwrap(), Value::List(vec![s("1").mark_sensitive(), s("a")]));
        // Unknown elements stay unknown, with the unified type.
        let v = tuple(vec![Value::unknown(), n(1.0)]);
        assert_eq!(convert(v, &list(Type::Any)).unwrap(), Value::List(vec![Value::Unknown(Type::Number), n(1.0)]));
        // Any accepts anything unchanged.
        let v = tuple(vec![n(1.0), Value::Bool(true)]);
        assert_eq!(convert(v.clone(), &Type::Any).unwrap(), v);
    }

    #[test]
    fn unify_rules() {
        assert_eq!(unify(&[]), Some(Type::Any));
        assert_eq!(unify(&[Type::Any, Type::Number]), Some(Type::Number));
        assert_eq!(unify(&[Type::Bool, Type::String, Type::Number]), Some(Type::String));
        assert_eq!(unify(&[list(Type::Number), list(Type::String)]), Some(list(Type::String)));
        assert_eq!(unify(&[Type::Object(BTreeMap::new()), Type::Tuple(vec![])]), None);
    }

    #[test]
    fn paths_round_trip() {
        let steps = vec![Step::Attr("tags".into()), Step::Key("a\"b".into()), Step::Index(3), Step::Attr("x".into())];
        let p = format_path(&steps);
        assert_eq!(p, ".tags[\"a\\\"b\"][3].x");
        assert_eq!(parse_path(&p), steps);
    }
}
