//! Collection functions: alltrue anytrue chunklist coalesce coalescelist
//! compact concat contains distinct element flatten index keys length lookup
//! matchkeys merge one range reverse setintersection setproduct setsubtract
//! setunion slice sort sum transpose values zipmap.

use std::collections::BTreeMap;

use super::{
    as_bool, as_number, as_string, expect_int, expect_map, expect_number, expect_seq, expect_string,
    expect_strings, func, invalid, list_of_strings, unify, FResult, Func, FuncContext, FuncError, Ret, NULLS,
    SHALLOW, UNKNOWNS,
};
use crate::value::{Type, Value};

/// Terraform's limit on the number of values `range` generates.
const MAX_RANGE: usize = 1024;
/// Our limit on `setproduct` results (Terraform has none; this avoids exhausting memory).
const MAX_PRODUCT: usize = 1024 * 1024;

pub(crate) const FUNCS: &[Func] = &[
    func("alltrue", &["list"], None, Ret::Bool, 0, |a, _| bools(a, true)),
    func("anytrue", &["list"], None, Ret::Bool, 0, |a, _| bools(a, false)),
    func("chunklist", &["list", "size"], None, Ret::Any, 0, chunklist),
    func("coalesce", &[], Some("vals"), Ret::Any, NULLS | UNKNOWNS, coalesce),
    func("coalescelist", &[], Some("vals"), Ret::Any, NULLS | UNKNOWNS, coalescelist),
    func("compact", &["list"], None, Ret::ListStr, 0, compact),
    func("concat", &[], Some("seqs"), Ret::Any, UNKNOWNS, concat),
    func("contains", &["list", "value"], None, Ret::Bool, NULLS, |a, _| {
        not_null(a, 0, "list")?;
        let xs = expect_seq(a, 0, "list")?;
        Ok(Value::Bool(xs.iter().any(|x| x.equals(&a[1]))))
    }),
    func("distinct", &["list"], None, Ret::Any, 0, distinct),
    func("element", &["list", "index"], None, Ret::Any, UNKNOWNS, element),
    func("flatten", &["list"], None, Ret::Any, UNKNOWNS, flatten),
    func("index", &["list", "value"], None, Ret::Num, 0, index),
    func("keys", &["inputMap"], None, Ret::Any, UNKNOWNS | SHALLOW, keys),
    func("length", &["value"], None, Ret::Num, UNKNOWNS | SHALLOW, length),
    func("lookup", &["inputMap", "key"], Some("default"), Ret::Any, UNKNOWNS | NULLS, lookup),
    func("matchkeys", &["values", "keys", "searchset"], None, Ret::Any, 0, matchkeys),
    func("merge", &[], Some("maps"), Ret::Any, NULLS | UNKNOWNS, merge),
    func("one", &["list"], None, Ret::Any, UNKNOWNS, one),
    func("range", &[], Some("params"), Ret::Any, 0, range),
    func("reverse", &["list"], None, Ret::Any, UNKNOWNS, reverse),
    func("setintersection", &["first_set"], Some("other_sets"), Ret::Any, 0, |a, _| setop(a, SetOp::Intersect)),
    func("setsubtract", &["a", "b"], None, Ret::Any, 0, |a, _| setop(a, SetOp::Subtract)),
    func("setunion", &["first_set"], Some("other_sets"), Ret::Any, 0, |a, _| setop(a, SetOp::Union)),
    func("setproduct", &[], Some("sets"), Ret::Any, 0, setproduct),
    func("slice", &["list", "start_index", "end_index"], None, Ret::Any, UNKNOWNS, slice),
    func("sort", &["list"], None, Ret::ListStr, 0, |a, _| {
        if let Some(j) = expect_seq(a, 0, "list")?.iter().position(Value::is_null) {
            return Err(FuncError::new(format!("given list element {j} is null; a null string cannot be sorted")));
        }
        let mut xs = expect_strings(a, 0, "list")?;
        xs.sort();
        Ok(list_of_strings(xs))
    }),
    func("sum", &["list"], None, Ret::Num, 0, sum),
    func("transpose", &["values"], None, Ret::Any, 0, transpose),
    func("values", &["mapping"], None, Ret::Any, UNKNOWNS, values),
    func("zipmap", &["keys", "values"], None, Ret::Any, UNKNOWNS, zipmap),
];

fn not_null(args: &[Value], i: usize, what: &str) -> Result<(), FuncError> {
    if args[i].is_null() {
        return Err(invalid(i, what, "argument must not be null"));
    }
    Ok(())
}

/// Equality after Terraform's unification of a number and its string form.
fn loose_eq(a: &Value, b: &Value) -> bool {
    match (a.unmarked(), b.unmarked()) {
        (Value::String(_), Value::Number(_) | Value::Bool(_)) | (Value::Number(_) | Value::Bool(_), Value::String(_)) => {
            as_string(a) == as_string(b)
        }
        _ => false,
    }
}

fn unknown_if_any(args: &[Value], ty: Type) -> Option<Value> {
    if args.iter().any(|a| !a.is_wholly_known()) {
        Some(Value::Unknown(ty))
    } else {
        None
    }
}

fn bools(args: &[Value], all: bool) -> FResult {
    let xs = expect_seq(args, 0, "list")?;
    let mut acc = all;
    for x in xs {
        let b = if x.is_null() { false } else { as_bool(x).ok_or_else(|| invalid(0, "list", "list of bool required"))? };
        if all {
            acc &= b;
        } else {
            acc |= b;
        }
    }
    Ok(Value::Bool(acc))
}

fn chunklist(args: &[Value], _: &FuncContext) -> FResult {
    let xs = unify(expect_seq(args, 0, "list")?.to_vec());
    let size = expect_int(args, 1, "size")?;
    if size < 0 {
        return Err(invalid(1, "size", "the size argument must be positive"));
    }
    if size == 0 || xs.is_empty() {
        return Ok(Value::List(if xs.is_empty() { vec![] } else { vec![Value::List(xs)] }));
    }
    Ok(Value::List(xs.chunks(size as usize).map(|c| Value::List(c.to_vec())).collect()))
}

fn coalesce(args: &[Value], _: &FuncContext) -> FResult {
    let args = unify(args.to_vec());
    for a in &args {
        if a.is_unknown() {
            return Ok(Value::Unknown(Type::Any));
        }
        if a.is_null() || a.as_str() == Some("") {
            continue;
        }
        return Ok(a.clone());
    }
    Err(FuncError::new("no non-null, non-empty-string arguments"))
}

fn coalescelist(args: &[Value], _: &FuncContext) -> FResult {
    if args.is_empty() {
        return Err(FuncError::new("at least one argument is required"));
    }
    for (i, a) in args.iter().enumerate() {
        if a.is_unknown() {
            return Ok(Value::Unknown(Type::Any));
        }
        if a.is_null() {
            continue;
        }
        let xs = a.as_seq().ok_or_else(|| invalid(i, "vals", "a list or tuple is required"))?;
        if !xs.is_empty() {
            return Ok(a.clone());
        }
    }
    Err(FuncError::new("no non-null arguments"))
}

fn compact(args: &[Value], _: &FuncContext) -> FResult {
    let xs = expect_seq(args, 0, "list")?;
    let mut out = Vec::new();
    for x in xs {
        if x.is_null() {
            continue;
        }
        let s = as_string(x).ok_or_else(|| invalid(0, "list", "list of string required"))?;
        if !s.is_empty() {
            out.push(Value::String(s));
        }
    }
    Ok(Value::List(out))
}

fn concat(args: &[Value], _: &FuncContext) -> FResult {
    if args.is_empty() {
        return Err(FuncError::new("at least one argument is required"));
    }
    let mut all_lists = true;
    let mut out = Vec::new();
    for (i, a) in args.iter().enumerate() {
        match a.unmarked() {
            Value::Unknown(_) => return Ok(Value::Unknown(Type::Any)),
            Value::List(xs) => out.extend(xs.iter().cloned()),
            Value::Tuple(xs) => {
                all_lists = false;
                out.extend(xs.iter().cloned())
            }
            _ => return Err(invalid(i, "seqs", "all arguments must be lists or tuples; got ".to_string() + &a.type_name())),
        }
    }
    Ok(if all_lists { Value::List(unify(out)) } else { Value::Tuple(out) })
}

fn distinct(args: &[Value], _: &FuncContext) -> FResult {
    let xs = unify(expect_seq(args, 0, "list")?.to_vec());
    let mut out: Vec<Value> = Vec::new();
    for x in xs {
        if !out.iter().any(|y| y.equals(&x)) {
            out.push(x);
        }
    }
    Ok(Value::List(out))
}

fn element(args: &[Value], _: &FuncContext) -> FResult {
    if args[1].is_unknown() || args[0].is_unknown() {
        return Ok(Value::Unknown(Type::Any));
    }
    let xs = expect_seq(args, 0, "list")?;
    let i = expect_int(args, 1, "index")?;
    if xs.is_empty() {
        return Err(FuncError::new("cannot use element function with an empty list"));
    }
    if i < 0 {
        return Err(invalid(1, "index", "cannot use element function with a negative index"));
    }
    Ok(xs[(i as usize) % xs.len()].clone())
}

fn flatten(args: &[Value], _: &FuncContext) -> FResult {
    fn walk(xs: &[Value], out: &mut Vec<Value>) -> bool {
        for x in xs {
            match x.unmarked() {
                Value::Unknown(_) => return false,
                Value::List(ys) | Value::Tuple(ys) | Value::Set(ys) => {
                    if !walk(ys, out) {
                        return false;
                    }
                }
                _ => out.push(x.clone()),
            }
        }
        true
    }
    if args[0].is_unknown() {
        return Ok(Value::Unknown(Type::Any));
    }
    let xs = expect_seq(args, 0, "list")?;
    let mut out = Vec::new();
    if !walk(xs, &mut out) {
        return Ok(Value::Unknown(Type::Any));
    }
    Ok(Value::Tuple(out))
}

fn index(args: &[Value], _: &FuncContext) -> FResult {
    let xs = expect_seq(args, 0, "list")?;
    xs.iter()
        .position(|x| x.equals(&args[1]))
        .map(|i| Value::Number(i as f64))
        .ok_or_else(|| FuncError::new("item not found"))
}

fn keys(args: &[Value], _: &FuncContext) -> FResult {
    match args[0].unmarked() {
        Value::Unknown(_) => Ok(Value::Unknown(Type::Any)),
        Value::Map(m) => Ok(list_of_strings(m.keys().cloned())),
        Value::Object(m) => Ok(Value::Tuple(m.keys().map(|k| Value::string(k.as_str())).collect())),
        _ => Err(invalid(0, "inputMap", "must have map or object type")),
    }
}

fn values(args: &[Value], _: &FuncContext) -> FResult {
    match args[0].unmarked() {
        Value::Unknown(_) => Ok(Value::Unknown(Type::Any)),
        Value::Map(m) => Ok(Value::List(m.values().cloned().collect())),
        Value::Object(m) => Ok(Value::Tuple(m.values().cloned().collect())),
        _ => Err(invalid(0, "mapping", "must have map or object type")),
    }
}

fn length(args: &[Value], _: &FuncContext) -> FResult {
    match args[0].unmarked() {
        Value::Unknown(_) => Ok(Value::Unknown(Type::Number)),
        Value::String(s) => Ok(Value::Number(super::string::graphemes(s).len() as f64)),
        Value::Tuple(xs) | Value::List(xs) => Ok(Value::Number(xs.len() as f64)),
        Value::Set(xs) => {
            if xs.iter().all(Value::is_wholly_known) {
                Ok(Value::Number(xs.len() as f64))
            } else {
                Ok(Value::Unknown(Type::Number))
            }
        }
        Value::Map(m) | Value::Object(m) => Ok(Value::Number(m.len() as f64)),
        Value::Number(_) | Value::Bool(_) => Ok(Value::Number(as_string(&args[0]).unwrap_or_default().len() as f64)),
        _ => Err(invalid(0, "value", "argument must not be null")),
    }
}

fn lookup(args: &[Value], _: &FuncContext) -> FResult {
    if args.len() > 3 {
        return Err(FuncError::new("lookup() takes no more than three arguments"));
    }
    not_null(args, 0, "inputMap")?;
    not_null(args, 1, "key")?;
    if args[0].is_unknown() || !args[1].is_wholly_known() {
        return Ok(Value::Unknown(Type::Any));
    }
    let key = expect_string(args, 1, "key")?;
    let m = expect_map(args, 0, "inputMap")?;
    match m.get(&key) {
        Some(v) => Ok(v.clone()),
        None => match args.get(2) {
            Some(d) => Ok(d.clone()),
            None if matches!(args[0].unmarked(), Value::Object(_)) => {
                Err(invalid(0, "inputMap", format!("the given object has no attribute {key:?}")))
            }
            None => Err(FuncError::new(format!("lookup failed to find key {key:?}"))),
        },
    }
}

fn matchkeys(args: &[Value], _: &FuncContext) -> FResult {
    let vals = expect_seq(args, 0, "values")?;
    let keys = unify(expect_seq(args, 1, "keys")?.to_vec());
    let search = unify(expect_seq(args, 2, "searchset")?.to_vec());
    if vals.len() != keys.len() {
        return Err(FuncError::new("length of keys and values should be equal"));
    }
    let out = vals
        .iter()
        .zip(&keys)
        .filter(|(_, k)| search.iter().any(|s| s.equals(k) || loose_eq(s, k)))
        .map(|(v, _)| v.clone())
        .collect();
    Ok(Value::List(unify(out)))
}

fn merge(args: &[Value], _: &FuncContext) -> FResult {
    let mut out = BTreeMap::new();
    let mut all_maps = true;
    for (i, a) in args.iter().enumerate() {
        match a.unmarked() {
            Value::Null => {}
            Value::Unknown(_) => return Ok(Value::Unknown(Type::Any)),
            Value::Map(m) => out.extend(m.iter().map(|(k, v)| (k.clone(), v.clone()))),
            Value::Object(m) => {
                all_maps = false;
                out.extend(m.iter().map(|(k, v)| (k.clone(), v.clone())))
            }
            _ => return Err(invalid(i, "maps", "arguments must be maps or objects, got ".to_string() + &format!("{:?}", a.type_name()))),
        }
    }
    Ok(if all_maps && !args.is_empty() { Value::Map(out) } else { Value::Object(out) })
}

fn one(args: &[Value], _: &FuncContext) -> FResult {
    match args[0].unmarked() {
        Value::Unknown(_) => Ok(Value::Unknown(Type::Any)),
        Value::Null => Err(invalid(0, "list", "argument must not be null")),
        Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => match xs.len() {
            0 => Ok(Value::Null),
            1 if matches!(args[0].unmarked(), Value::Set(_)) && !xs[0].is_wholly_known() => Ok(Value::Unknown(Type::Any)),
            1 => Ok(xs[0].clone()),
            _ => Err(invalid(0, "list", "must be a list, set, or tuple value with either zero or one elements")),
        },
        _ => Err(invalid(0, "list", "must be a list, set, or tuple value with either zero or one elements")),
    }
}

fn range(args: &[Value], _: &FuncContext) -> FResult {
    let nums: Vec<f64> = (0..args.len()).map(|i| expect_number(args, i, "params")).collect::<Result<_, _>>()?;
    let (start, end, step) = match nums.as_slice() {
        [end] => (0.0, *end, 1.0),
        [start, end] => (*start, *end, if end < start { -1.0 } else { 1.0 }),
        [start, end, step] => (*start, *end, *step),
        [] => return Err(FuncError::new("must have one, two, or three arguments")),
        _ => return Err(FuncError::new("must have one, two, or three arguments")),
    };
    if end < start && step > 0.0 {
        return Err(invalid(0, "params", "end must be greater than start when step is positive"));
    }
    if end > start && step < 0.0 {
        return Err(invalid(0, "params", "end must be less than start when step is negative"));
    }
    let mut out = Vec::new();
    let mut i = 0u64;
    loop {
        let v = start + step * i as f64;
        let done = if step > 0.0 {
            v >= end
        } else if step < 0.0 {
            v <= end
        } else {
            start == end
        };
        if done {
            break;
        }
        if out.len() >= MAX_RANGE {
            return Err(FuncError::new(format!("more than {MAX_RANGE} values were generated; either decrease the difference between start and end or use a smaller step")));
        }
        out.push(Value::Number(v));
        i += 1;
    }
    Ok(Value::List(out))
}

fn reverse(args: &[Value], _: &FuncContext) -> FResult {
    match args[0].unmarked() {
        Value::Unknown(_) => Ok(Value::Unknown(Type::Any)),
        Value::Tuple(xs) => Ok(Value::Tuple(xs.iter().rev().cloned().collect())),
        Value::List(xs) | Value::Set(xs) => Ok(Value::List(xs.iter().rev().cloned().collect())),
        _ => Err(invalid(0, "list", format!("can only reverse list or tuple values, not {}", args[0].type_name()))),
    }
}

enum SetOp {
    Intersect,
    Subtract,
    Union,
}

fn setop(args: &[Value], op: SetOp) -> FResult {
    let mut sets = Vec::new();
    for i in 0..args.len() {
        sets.push(unify(expect_seq(args, i, if i == 0 { "first_set" } else { "other_sets" })?.to_vec()));
    }
    // Unify across all sets too (a string in one set makes numbers strings).
    let lens: Vec<usize> = sets.iter().map(Vec::len).collect();
    let flat = unify(sets.concat());
    let mut parts = Vec::new();
    let mut rest = flat.as_slice();
    for l in lens {
        let (a, b) = rest.split_at(l);
        parts.push(a.to_vec());
        rest = b;
    }
    let has = |xs: &Vec<Value>, v: &Value| xs.iter().any(|x| x.equals(v));
    let mut result: Vec<Value> = parts[0].clone();
    for other in &parts[1..] {
        result = match op {
            SetOp::Intersect => result.into_iter().filter(|v| has(other, v)).collect(),
            SetOp::Subtract => result.into_iter().filter(|v| !has(other, v)).collect(),
            SetOp::Union => result.into_iter().chain(other.iter().cloned()).collect(),
        };
    }
    Ok(Value::set(result))
}

fn setproduct(args: &[Value], _: &FuncContext) -> FResult {
    if args.is_empty() {
        return Err(FuncError::new("at least one argument is required"));
    }
    let mut all_sets = true;
    let mut seqs = Vec::new();
    for i in 0..args.len() {
        if !matches!(args[i].unmarked(), Value::Set(_)) {
            all_sets = false;
        }
        seqs.push(unify(expect_seq(args, i, "sets")?.to_vec()));
    }
    let total: usize = seqs.iter().map(Vec::len).try_fold(1usize, |acc, l| acc.checked_mul(l)).unwrap_or(usize::MAX);
    if total > MAX_PRODUCT {
        return Err(FuncError::new("setproduct result would be too large"));
    }
    let mut rows: Vec<Vec<Value>> = vec![vec![]];
    for s in &seqs {
        let mut next = Vec::new();
        for r in &rows {
            for x in s {
                let mut r2 = r.clone();
                r2.push(x.clone());
                next.push(r2);
            }
        }
        rows = next;
    }
    let rows: Vec<Value> = rows.into_iter().map(Value::Tuple).collect();
    Ok(if all_sets { Value::set(rows) } else { Value::List(rows) })
}

fn slice(args: &[Value], _: &FuncContext) -> FResult {
    if args.iter().any(Value::is_unknown) {
        return Ok(Value::Unknown(Type::Any));
    }
    let xs = expect_seq(args, 0, "list")?;
    let start = expect_int(args, 1, "start_index")?;
    let end = expect_int(args, 2, "end_index")?;
    if start < 0 {
        return Err(invalid(1, "start_index", "start index must not be less than zero"));
    }
    if end > xs.len() as i64 {
        return Err(invalid(2, "end_index", "end index must not be greater than the length of the list"));
    }
    if start > end {
        return Err(invalid(1, "start_index", "start index must not be greater than end index"));
    }
    let part = xs[start as usize..end as usize].to_vec();
    Ok(match args[0].unmarked() {
        Value::Tuple(_) => Value::Tuple(part),
        _ => Value::List(part),
    })
}

fn sum(args: &[Value], _: &FuncContext) -> FResult {
    let xs = expect_seq(args, 0, "list")?;
    if xs.is_empty() {
        return Err(invalid(0, "list", "cannot sum an empty list"));
    }
    let mut acc = 0.0;
    for x in xs {
        if x.is_null() {
            return Err(invalid(0, "list", "argument must be list, set, or tuple of number values"));
        }
        acc += as_number(x).ok_or_else(|| invalid(0, "list", "argument must be list, set, or tuple of number values"))?;
    }
    Ok(Value::Number(acc))
}

fn transpose(args: &[Value], _: &FuncContext) -> FResult {
    let m = expect_map(args, 0, "values")?;
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (k, v) in m {
        let xs = v.as_seq().ok_or_else(|| invalid(0, "values", "map of list of string required"))?;
        for x in xs {
            let s = as_string(x).ok_or_else(|| invalid(0, "values", "map of list of string required"))?;
            out.entry(s).or_default().push(Value::string(k.as_str()));
        }
    }
    Ok(Value::Map(out.into_iter().map(|(k, v)| (k, Value::List(v))).collect()))
}

fn zipmap(args: &[Value], _: &FuncContext) -> FResult {
    if args[0].is_unknown() || args[1].is_unknown() {
        return Ok(Value::Unknown(Type::Any));
    }
    if let Some(u) = unknown_if_any(&args[..1], Type::Any) {
        return Ok(u);
    }
    let keys = expect_strings(args, 0, "keys")?;
    let vals = expect_seq(args, 1, "values")?;
    if keys.len() != vals.len() {
        return Err(FuncError::new(format!(
            "number of keys ({}) does not match number of values ({})",
            keys.len(),
            vals.len()
        )));
    }
    let m: BTreeMap<String, Value> = keys.into_iter().zip(vals.iter().cloned()).collect();
    Ok(match args[1].unmarked() {
        Value::Tuple(_) => Value::Object(m),
        _ => Value::Map(m),
    })
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use crate::value::{Type, Value};

    // Expected values checked with `terraform console` (1.11).
    #[test]
    fn shapes() {
        assert_eq!(js("chunklist", vec![tup(vec![n(1.0), n(2.0), n(3.0)]), n(0.0)]), "[[1,2,3]]");
        assert_eq!(js("coalesce", vec![n(1.0), s("a")]), r#""1""#);
        assert_eq!(js("coalesce", vec![s(""), Value::Null, n(2.0)]), r#""2""#);
        assert_eq!(js("distinct", vec![tup(vec![n(1.0), s("1"), n(2.0), n(1.0)])]), r#"["1","2"]"#);
        assert_eq!(js("flatten", vec![tup(vec![n(1.0), tup(vec![n(2.0), tup(vec![n(3.0), tup(vec![])])]), tup(vec![])])]), "[1,2,3]");
        assert_eq!(js("sort", vec![strs(&["b", "a", "10", "9"])]), r#"["10","9","a","b"]"#);
        assert_eq!(js("compact", vec![tup(vec![s("a"), s(""), Value::Null])]), r#"["a"]"#);
        assert_eq!(js("range", vec![n(5.0), n(1.0)]), "[5,4,3,2]");
        assert_eq!(js("range", vec![n(3.0)]), "[0,1,2]");
        assert_eq!(
            js("matchkeys", vec![strs(&["a", "b", "c"]), tup(vec![n(1.0), n(2.0), n(3.0)]), tup(vec![n(1.0), n(3.0)])]),
            r#"["a","c"]"#
        );
        assert_eq!(js("setproduct", vec![strs(&["a", "b"]), strs(&["c"])]), r#"[["a","c"],["b","c"]]"#);
        let t = Value::object([("a", strs(&["2", "1"])), ("b", strs(&["1", "3"]))]);
        assert_eq!(js("transpose", vec![t]), r#"{"1":["a","b"],"2":["a"],"3":["b"]}"#);
        assert_eq!(js("slice", vec![tup(vec![n(1.0), n(2.0), n(3.0)]), n(1.0), n(1.0)]), "[]");
    }

    #[test]
    fn errors() {
        assert_eq!(call_err("element", vec![tup(vec![]), n(0.0)]), "cannot use element function with an empty list");
        assert_eq!(
            call_err("one", vec![tup(vec![n(1.0), n(2.0)])]),
            "Invalid value for \"list\" parameter: must be a list, set, or tuple value with either zero or one elements."
        );
        assert_eq!(call_err("sum", vec![tup(vec![])]), "Invalid value for \"list\" parameter: cannot sum an empty list.");
        assert_eq!(call_err("index", vec![tup(vec![n(1.0)]), n(3.0)]), "item not found");
        assert_eq!(
            call_err("lookup", vec![Value::object([("a", n(1.0))]), s("b")]),
            "Invalid value for \"inputMap\" parameter: the given object has no attribute \"b\"."
        );
        assert_eq!(call_err("lookup", vec![Value::Map([("a".to_string(), n(1.0))].into()), s("b")]), "lookup failed to find key \"b\"");
        assert_eq!(
            call_err("range", vec![n(2000.0)]),
            "more than 1024 values were generated; either decrease the difference between start and end or use a smaller step"
        );
        assert!(call_err("range", vec![n(0.0), n(1.0), n(0.0)]).contains("more than 1024"));
        assert_eq!(
            call_err("range", vec![n(10.0), n(0.0), n(2.0)]),
            "Invalid value for \"params\" parameter: end must be greater than start when step is positive."
        );
        assert_eq!(call_ok("contains", vec![tup(vec![n(1.0), n(2.0)]), s("1")]), Value::Bool(false));
        assert_eq!(call_err("index", vec![tup(vec![n(1.0), n(2.0)]), s("1")]), "item not found");
        assert_eq!(
            call_err("slice", vec![tup(vec![n(1.0)]), n(-1.0), n(1.0)]),
            "Invalid value for \"start_index\" parameter: start index must not be less than zero."
        );
        assert_eq!(
            call_err("reverse", vec![s("abc")]),
            "Invalid value for \"list\" parameter: can only reverse list or tuple values, not string."
        );
    }

    #[test]
    fn nulls() {
        assert_eq!(call_ok("lookup", vec![Value::object([("a", n(1.0))]), s("b"), Value::Null]), Value::Null);
        assert_eq!(
            call_err("contains", vec![Value::Null, n(1.0)]),
            "Invalid value for \"list\" parameter: argument must not be null."
        );
        assert_eq!(
            call_err("concat", vec![Value::set(vec![n(1.0)]), tup(vec![n(2.0)])]),
            "Invalid value for \"seqs\" parameter: all arguments must be lists or tuples; got set of number."
        );
        assert_eq!(
            call_err("sort", vec![tup(vec![Value::Null])]),
            "given list element 0 is null; a null string cannot be sorted"
        );
        assert_eq!(call_ok("merge", vec![]), Value::Object(Default::default()));
        assert_eq!(
            call_err("length", vec![Value::Null]),
            "Invalid value for \"value\" parameter: argument must not be null."
        );
    }

    #[test]
    fn unknowns_and_marks() {
        assert_eq!(js("length", vec![tup(vec![Value::unknown(), n(1.0)])]), "2");
        assert_eq!(call_ok("length", vec![tup(vec![s("a"), s("b").mark_sensitive()])]), n(2.0));
        assert_eq!(call_ok("length", vec![tup(vec![s("a")]).mark_sensitive()]), n(1.0).mark_sensitive());
        assert_eq!(call_ok("keys", vec![Value::object([("a", n(1.0).mark_sensitive())])]), strs(&["a"]));
        assert_eq!(call_ok("length", vec![Value::unknown()]), Value::Unknown(Type::Number));
        assert_eq!(call_ok("coalesce", vec![Value::unknown(), s("a")]), Value::unknown());
        assert_eq!(js("coalesce", vec![s("a"), Value::unknown()]), r#""a""#);
    }
}
