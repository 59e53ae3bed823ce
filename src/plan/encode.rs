//! Values with marks, as JSON: the value with unknowns as `null`, plus
//! Terraform's mask trees (`after_unknown`, `after_sensitive`): `true` where
//! a value is unknown (or sensitive), objects and arrays mirroring the value
//! where only parts are, `false` (or nothing) elsewhere.
//!
//! Plan files, Terraform's JSON plan format and state's sensitive paths all
//! use this encoding.

use serde_json::{Map, Value as J};

use crate::value::{Type, Value};

/// A marked value split into plain JSON and two masks.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Encoded {
    pub value: J,
    #[serde(default, skip_serializing_if = "is_false")]
    pub unknown: J,
    #[serde(default, skip_serializing_if = "is_false")]
    pub sensitive: J,
}

fn is_false(j: &J) -> bool {
    matches!(j, J::Bool(false) | J::Null)
}

/// Splits `v` into JSON and masks.
pub fn encode(v: &Value) -> Encoded {
    let (value, unknown, sensitive) = split(v, false);
    Encoded { value, unknown, sensitive }
}

fn split(v: &Value, in_sensitive: bool) -> (J, J, J) {
    match v {
        Value::Unknown(_) => (J::Null, J::Bool(true), J::Bool(in_sensitive)),
        Value::Sensitive(inner) => {
            let (value, unknown, _) = split(inner, true);
            (value, unknown, J::Bool(true))
        }
        Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => {
            let parts: Vec<(J, J, J)> = xs.iter().map(|x| split(x, in_sensitive)).collect();
            let any_u = parts.iter().any(|p| !is_false(&p.1));
            let any_s = parts.iter().any(|p| !is_false(&p.2));
            let value = J::Array(parts.iter().map(|p| p.0.clone()).collect());
            let unknown = if any_u { J::Array(parts.iter().map(|p| p.1.clone()).collect()) } else { J::Bool(false) };
            let sensitive = if any_s { J::Array(parts.iter().map(|p| p.2.clone()).collect()) } else { J::Bool(false) };
            (value, unknown, sensitive)
        }
        Value::Map(m) | Value::Object(m) => {
            let mut value = Map::new();
            let mut unknown = Map::new();
            let mut sensitive = Map::new();
            for (k, x) in m {
                let (a, b, c) = split(x, in_sensitive);
                value.insert(k.clone(), a);
                if !is_false(&b) {
                    unknown.insert(k.clone(), b);
                }
                if !is_false(&c) {
                    sensitive.insert(k.clone(), c);
                }
            }
            let unknown = if unknown.is_empty() { J::Bool(false) } else { J::Object(unknown) };
            let sensitive = if sensitive.is_empty() { J::Bool(false) } else { J::Object(sensitive) };
            (J::Object(value), unknown, sensitive)
        }
        other => (other.to_json(), J::Bool(false), J::Bool(false)),
    }
}

/// Joins JSON and masks back into a marked value. JSON arrays become tuples
/// and objects become objects (types are not kept in JSON).
pub fn decode(e: &Encoded) -> Value {
    join(&e.value, &e.unknown, &e.sensitive)
}

fn join(v: &J, unknown: &J, sensitive: &J) -> Value {
    if unknown == &J::Bool(true) {
        return Value::Unknown(Type::Any).mark_if(sensitive == &J::Bool(true));
    }
    let marked = sensitive == &J::Bool(true);
    let out = match v {
        J::Array(xs) => Value::Tuple(
            xs.iter()
                .enumerate()
                .map(|(i, x)| join(x, unknown.get(i).unwrap_or(&J::Bool(false)), if marked { &J::Bool(false) } else { sensitive.get(i).unwrap_or(&J::Bool(false)) }))
                .collect(),
        ),
        J::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| {
                    (
                        k.clone(),
                        join(x, unknown.get(k).unwrap_or(&J::Bool(false)), if marked { &J::Bool(false) } else { sensitive.get(k).unwrap_or(&J::Bool(false)) }),
                    )
                })
                .collect(),
        ),
        other => Value::from_json(other),
    };
    // Unknown leaves inside objects whose value is null come back from the masks.
    out.mark_if(marked)
}

/// The attribute paths (`["a", 0, "b"]` as JSON arrays) where `mask` is true:
/// state's `sensitive_attributes`.
pub fn mask_paths(mask: &J) -> Vec<J> {
    let mut out = Vec::new();
    walk_paths(mask, &mut Vec::new(), &mut out);
    out
}

fn walk_paths(mask: &J, path: &mut Vec<J>, out: &mut Vec<J>) {
    match mask {
        J::Bool(true) => out.push(J::Array(path.clone())),
        J::Array(xs) => {
            for (i, x) in xs.iter().enumerate() {
                path.push(J::from(i));
                walk_paths(x, path, out);
                path.pop();
            }
        }
        J::Object(m) => {
            for (k, x) in m {
                path.push(J::String(k.clone()));
                walk_paths(x, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// Marks the parts of `v` at `paths` sensitive (inverse of [`mask_paths`]).
pub fn mark_paths(v: Value, paths: &[J]) -> Value {
    let mut v = v;
    for p in paths {
        if let J::Array(steps) = p {
            v = mark_at(v, steps);
        }
    }
    v
}

fn mark_at(v: Value, steps: &[J]) -> Value {
    let Some((first, rest)) = steps.split_first() else { return v.mark_sensitive() };
    let (v, marked) = v.into_unmarked();
    let out = match (v, first) {
        (Value::Object(mut m), J::String(k)) | (Value::Map(mut m), J::String(k)) => {
            if let Some(x) = m.remove(k) {
                m.insert(k.clone(), mark_at(x, rest));
            }
            Value::Object(m)
        }
        (Value::Tuple(mut xs) | Value::List(mut xs) | Value::Set(mut xs), J::Number(n)) => {
            let i = n.as_u64().unwrap_or(u64::MAX) as usize;
            if i < xs.len() {
                let x = std::mem::replace(&mut xs[i], Value::Null);
                xs[i] = mark_at(x, rest);
            }
            Value::Tuple(xs)
        }
        (other, _) => other,
    };
    out.mark_if(marked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_unknown_and_sensitive_parts() {
        let v = Value::object([
            ("id", Value::Unknown(Type::String)),
            ("name", Value::string("a")),
            ("secret", Value::string("s").mark_sensitive()),
            ("list", Value::Tuple(vec![Value::number(1), Value::unknown()])),
        ]);
        let e = encode(&v);
        assert_eq!(e.unknown, serde_json::json!({"id": true, "list": [false, true]}));
        assert_eq!(e.sensitive, serde_json::json!({"secret": true}));
        assert_eq!(e.value["secret"], "s");
        let back = decode(&e);
        assert!(back.as_map().unwrap()["id"].is_unknown());
        assert!(back.as_map().unwrap()["secret"].is_sensitive());
        assert_eq!(mask_paths(&e.sensitive), vec![serde_json::json!(["secret"])]);
        let remarked = mark_paths(Value::from_json(&e.value), &mask_paths(&e.sensitive));
        assert!(remarked.as_map().unwrap()["secret"].is_sensitive());
    }
}
