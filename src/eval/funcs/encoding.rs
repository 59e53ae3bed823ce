//! Encoding functions: base64decode base64encode csvdecode jsondecode
//! jsonencode urlencode yamldecode yamlencode.

use std::collections::BTreeMap;

use base64::Engine;

use super::{expect_string, func, FResult, Func, FuncContext, FuncError, Ret, NULLS};
use crate::value::{Type, Value};

pub(crate) const FUNCS: &[Func] = &[
    func("base64decode", &["str"], None, Ret::Str, 0, base64decode),
    func("base64encode", &["str"], None, Ret::Str, 0, |a, _| {
        Ok(Value::String(base64::engine::general_purpose::STANDARD.encode(expect_string(a, 0, "str")?)))
    }),
    func("csvdecode", &["str"], None, Ret::Any, 0, csvdecode),
    func("jsondecode", &["str"], None, Ret::Any, 0, jsondecode),
    func("jsonencode", &["val"], None, Ret::Str, NULLS, |a, _| Ok(Value::String(json_encode(&a[0])))),
    func("urlencode", &["str"], None, Ret::Str, 0, |a, _| Ok(Value::String(urlencode(&expect_string(a, 0, "str")?)))),
    func("yamldecode", &["src"], None, Ret::Any, 0, yamldecode),
    func("yamlencode", &["value"], None, Ret::Str, NULLS, |a, _| Ok(Value::String(yaml_encode(&a[0])))),
];

fn base64decode(args: &[Value], _: &FuncContext) -> FResult {
    let s = expect_string(args, 0, "str")?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s.as_bytes())
        .map_err(|_| FuncError::new(format!("failed to decode base64 data {:?}", redact(&s))))?;
    String::from_utf8(bytes)
        .map(Value::String)
        .map_err(|_| FuncError::new("the result of decoding the provided string is not valid UTF-8"))
}

fn redact(s: &str) -> &str {
    s
}

/// Go's `url.QueryEscape`.
fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn csvdecode(args: &[Value], _: &FuncContext) -> FResult {
    let s = expect_string(args, 0, "str")?;
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(false).from_reader(s.as_bytes());
    let mut rows = rdr.records();
    let header = match rows.next() {
        None => return Err(FuncError::new("missing header line")),
        Some(Err(e)) => return Err(FuncError::new(csv_error(&e))),
        Some(Ok(h)) => h.iter().map(String::from).collect::<Vec<_>>(),
    };
    let mut out = Vec::new();
    for row in rows {
        let row = row.map_err(|e| FuncError::new(csv_error(&e)))?;
        let obj: BTreeMap<String, Value> =
            header.iter().cloned().zip(row.iter().map(Value::string)).collect();
        out.push(Value::Object(obj));
    }
    Ok(Value::List(out))
}

fn csv_error(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths { pos, .. } => {
            format!("CSV parse error on line {}: wrong number of fields", pos.as_ref().map(|p| p.line()).unwrap_or(0))
        }
        _ => e.to_string(),
    }
}

fn jsondecode(args: &[Value], _: &FuncContext) -> FResult {
    let s = expect_string(args, 0, "str")?;
    let j: serde_json::Value = serde_json::from_str(&s).map_err(|e| FuncError::new(json_error(&e)))?;
    Ok(Value::from_json(&j))
}

fn json_error(e: &serde_json::Error) -> String {
    if e.is_eof() {
        "EOF".to_string()
    } else {
        e.to_string()
    }
}

/// JSON text the way Terraform's `jsonencode` writes it (Go's encoder:
/// sorted keys, HTML characters escaped, no exponent in numbers).
pub(crate) fn json_encode(v: &Value) -> String {
    let mut out = String::new();
    write_json(v, &mut out);
    out
}

fn write_json(v: &Value, out: &mut String) {
    match v {
        Value::Null | Value::Unknown(_) => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) if n.is_finite() => out.push_str(&super::number_text(*n)),
        Value::Number(_) => out.push_str("null"),
        Value::String(s) => json_string(s, out),
        Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => {
            out.push('[');
            for (i, x) in xs.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(x, out);
            }
            out.push(']');
        }
        Value::Map(m) | Value::Object(m) => {
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_string(k, out);
                out.push(':');
                write_json(x, out);
            }
            out.push('}');
        }
        Value::Sensitive(x) => write_json(x, out),
    }
}

fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

// ---------------------------------------------------------------------------
// YAML

fn yamldecode(args: &[Value], _: &FuncContext) -> FResult {
    let s = expect_string(args, 0, "src")?;
    let mut docs = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(&s) {
        let v = <serde_yaml::Value as serde::Deserialize>::deserialize(doc)
            .map_err(|e| FuncError::new(yaml_error(&e)))?;
        docs.push(v);
    }
    match docs.len() {
        0 => Err(FuncError::new("on line 1, column 1: missing start of document")),
        1 => from_yaml(&docs[0]),
        _ => Err(FuncError::new("on line 1, column 1: unexpected extra content after value")),
    }
}

fn yaml_error(e: &serde_yaml::Error) -> String {
    match e.location() {
        Some(l) => format!("on line {}, column {}: {}", l.line(), l.column(), e),
        None => e.to_string(),
    }
}

fn from_yaml(y: &serde_yaml::Value) -> FResult {
    use serde_yaml::Value as Y;
    Ok(match y {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(*b),
        Y::Number(n) => Value::Number(n.as_f64().unwrap_or(0.0)),
        Y::String(s) => Value::String(s.clone()),
        Y::Sequence(xs) => Value::Tuple(xs.iter().map(from_yaml).collect::<Result<_, _>>()?),
        Y::Mapping(m) => {
            let mut out = BTreeMap::new();
            for (k, v) in m {
                let key = match k {
                    Y::String(s) => s.clone(),
                    Y::Number(n) => super::number_text(n.as_f64().unwrap_or(0.0)),
                    Y::Bool(b) => b.to_string(),
                    Y::Null => "null".into(),
                    _ => return Err(FuncError::new("only string, number and bool keys are supported in YAML mappings")),
                };
                out.insert(key, from_yaml(v)?);
            }
            Value::Object(out)
        }
        Y::Tagged(t) => {
            let tag = t.tag.to_string();
            match (tag.as_str(), &t.value) {
                ("!!str" | "tag:yaml.org,2002:str", Y::String(s)) => Value::String(s.clone()),
                ("!!str" | "tag:yaml.org,2002:str", Y::Number(n)) => Value::String(n.to_string()),
                ("!!str" | "tag:yaml.org,2002:str", Y::Bool(b)) => Value::String(b.to_string()),
                _ => from_yaml(&t.value)?,
            }
        }
    })
}

const YAML_WIDTH: usize = 80;

/// YAML text the way Terraform's `yamlencode` writes it.
pub(crate) fn yaml_encode(v: &Value) -> String {
    let mut w = YamlWriter { out: String::new(), column: 0 };
    match v.unmarked() {
        Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) if !xs.is_empty() => w.seq(xs, 0),
        Value::Map(m) | Value::Object(m) if !m.is_empty() => w.map(m, 0),
        Value::String(_) => {
            w.scalar(v, 2, 2);
            w.newline();
        }
        Value::List(_) | Value::Tuple(_) | Value::Set(_) | Value::Map(_) | Value::Object(_) => {
            w.scalar(v, 0, 0);
            w.newline();
        }
        _ => {
            w.scalar(v, 0, 0);
            w.newline();
            w.out.push_str("...\n");
        }
    }
    w.out
}

struct YamlWriter {
    out: String,
    column: usize,
}

impl YamlWriter {
    fn push(&mut self, s: &str) {
        self.out.push_str(s);
        self.column += s.chars().count();
    }

    fn newline(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    fn indent(&mut self, n: usize) {
        self.push(&" ".repeat(n));
    }

    fn is_block(v: &Value) -> bool {
        match v.unmarked() {
            Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => !xs.is_empty(),
            Value::Map(m) | Value::Object(m) => !m.is_empty(),
            _ => false,
        }
    }

    /// A block sequence whose items start at column `ind` (the first item's
    /// `- ` may already be written by the caller's line).
    fn seq(&mut self, xs: &[Value], ind: usize) {
        for (i, x) in xs.iter().enumerate() {
            if i > 0 || self.column == 0 {
                if self.column != 0 {
                    self.newline();
                }
                self.indent(ind);
            }
            self.push("- ");
            match x.unmarked() {
                Value::List(ys) | Value::Tuple(ys) | Value::Set(ys) if !ys.is_empty() => self.seq(ys, ind + 2),
                Value::Map(m) | Value::Object(m) if !m.is_empty() => self.map(m, ind + 2),
                _ => {
                    self.scalar(x, ind + 2, ind + 2);
                    self.newline();
                }
            }
        }
    }

    fn map(&mut self, m: &BTreeMap<String, Value>, ind: usize) {
        for (i, (k, v)) in m.iter().enumerate() {
            if i > 0 || self.column == 0 {
                if self.column != 0 {
                    self.newline();
                }
                self.indent(ind);
            }
            let key = double_quoted(k);
            self.push(&key);
            self.push(":");
            if Self::is_block(v) {
                self.newline();
                match v.unmarked() {
                    Value::List(ys) | Value::Tuple(ys) | Value::Set(ys) => self.seq(ys, ind),
                    Value::Map(m2) | Value::Object(m2) => self.map(m2, ind + 2),
                    _ => unreachable!(),
                }
            } else {
                self.push(" ");
                self.scalar(v, ind + 2, ind + 2);
                self.newline();
            }
        }
    }

    /// Writes a scalar (or empty collection) at the current position;
    /// `cont` is the indentation of continuation lines.
    fn scalar(&mut self, v: &Value, cont: usize, _block_ind: usize) {
        match v.unmarked() {
            Value::Null | Value::Unknown(_) => self.push("null"),
            Value::Bool(b) => self.push(if *b { "true" } else { "false" }),
            Value::Number(n) => self.push(&super::number_text(*n)),
            Value::List(_) | Value::Tuple(_) | Value::Set(_) => self.push("[]"),
            Value::Map(_) | Value::Object(_) => self.push("{}"),
            Value::String(s) => {
                if s.contains('\n') && literal_allowed(s) {
                    self.literal(s, cont);
                } else {
                    self.quoted(s, cont);
                }
            }
            Value::Sensitive(_) => unreachable!(),
        }
    }

    fn literal(&mut self, s: &str, ind: usize) {
        self.push("|");
        if s.starts_with(' ') || s.starts_with('\n') {
            self.push(&ind_indicator(ind));
        }
        if !s.ends_with('\n') {
            self.push("-");
        } else if s.len() == 1 || s[..s.len() - 1].ends_with('\n') {
            self.push("+");
        }
        let body = s.strip_suffix('\n').unwrap_or(s);
        for line in body.split('\n') {
            self.newline();
            if !line.is_empty() {
                self.indent(ind);
                self.push(line);
            }
        }
        if s.ends_with('\n') && s.len() > 1 && s[..s.len() - 1].ends_with('\n') {
            // Trailing empty lines are kept by the `+` indicator; the final
            // newline comes from the caller.
        }
    }

    /// A double-quoted scalar, folded at spaces past the line width as
    /// libyaml does.
    fn quoted(&mut self, s: &str, cont: usize) {
        self.push("\"");
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == ' ' {
                if !spaces && self.column > YAML_WIDTH && i != 0 && i != chars.len() - 1 {
                    self.newline();
                    self.indent(cont);
                    if chars.get(i + 1) == Some(&' ') {
                        self.push("\\");
                    }
                } else {
                    self.push(" ");
                }
                spaces = true;
            } else {
                self.push(&yaml_escape(c));
                spaces = false;
            }
            i += 1;
        }
        self.push("\"");
    }
}

fn ind_indicator(ind: usize) -> String {
    let _ = ind;
    "2".to_string()
}

fn yaml_printable(c: char) -> bool {
    matches!(c as u32, 0x0A | 0x20..=0x7E | 0x85 | 0xA0..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF) && c != '\u{FEFF}'
}

/// libyaml allows a literal block unless the text has characters it must
/// escape, trailing spaces, or a space right before a line break.
fn literal_allowed(s: &str) -> bool {
    if s.chars().any(|c| !yaml_printable(c) || c == '\u{85}' || c == '\u{2028}' || c == '\u{2029}') {
        return false;
    }
    if s.ends_with(' ') || s.contains(" \n") {
        return false;
    }
    true
}

fn yaml_escape(c: char) -> String {
    match c {
        '"' => "\\\"".into(),
        '\\' => "\\\\".into(),
        '\0' => "\\0".into(),
        '\u{7}' => "\\a".into(),
        '\u{8}' => "\\b".into(),
        '\t' => "\\t".into(),
        '\n' => "\\n".into(),
        '\u{b}' => "\\v".into(),
        '\u{c}' => "\\f".into(),
        '\r' => "\\r".into(),
        '\u{1b}' => "\\e".into(),
        '\u{85}' => "\\N".into(),
        '\u{a0}' => "\\_".into(),
        '\u{2028}' => "\\L".into(),
        '\u{2029}' => "\\P".into(),
        c if !yaml_printable(c) => {
            let u = c as u32;
            if u <= 0xFF {
                format!("\\x{u:02X}")
            } else if u <= 0xFFFF {
                format!("\\u{u:04X}")
            } else {
                format!("\\U{u:08X}")
            }
        }
        c => c.to_string(),
    }
}

fn double_quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        out.push_str(&yaml_escape(c));
    }
    out.push('"');
    out
}

#[allow(dead_code)]
fn unknown_string() -> Value {
    Value::Unknown(Type::String)
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    // Expected values checked with `terraform console` (1.11).
    #[test]
    fn jsonencode_like_go() {
        let v = Value::object([
            ("b", s("<>&\u{2028}")),
            ("a", tup(vec![n(1.0), n(2.5), n(1e20), n(1.5e-7), n(0.1)])),
        ]);
        assert_eq!(
            json_encode(&v),
            r#"{"a":[1,2.5,100000000000000000000,0.00000015,0.1],"b":"\u003c\u003e\u0026\u2028"}"#
        );
    }

    #[test]
    fn yamlencode_style() {
        let v = Value::object([
            ("a", n(1.0)),
            ("b", tup(vec![n(1.0), n(2.0)])),
            ("c", s("x")),
            ("d", Value::object::<&str>([])),
            ("e", tup(vec![])),
            ("f", Value::Null),
            ("g", Value::Bool(true)),
            ("h", s("multi\nline")),
            ("i", tup(vec![Value::object([("x", n(1.0)), ("y", n(2.0))])])),
            ("j", n(1.5)),
        ]);
        assert_eq!(
            yaml_encode(&v),
            "\"a\": 1\n\"b\":\n- 1\n- 2\n\"c\": \"x\"\n\"d\": {}\n\"e\": []\n\"f\": null\n\"g\": true\n\"h\": |-\n  multi\n  line\n\"i\":\n- \"x\": 1\n  \"y\": 2\n\"j\": 1.5\n"
        );
        assert_eq!(yaml_encode(&Value::Bool(true)), "true\n...\n");
        assert_eq!(
            yaml_encode(&tup(vec![tup(vec![n(1.0), n(2.0)]), tup(vec![])])),
            "- - 1\n  - 2\n- []\n"
        );
        assert_eq!(
            yaml_encode(&tup(vec![Value::object([("a", tup(vec![Value::object([("b", s("x"))])]))])])),
            "- \"a\":\n  - \"b\": \"x\"\n"
        );
        assert_eq!(yaml_encode(&Value::object([("a", s("x\ny\n"))])), "\"a\": |\n  x\n  y\n");
        assert_eq!(
            yaml_encode(&tup(vec![s(" a\nb"), s("a \nb"), s("a\tb\nc"), s("uni é \u{85}")])),
            "- |2-\n   a\n  b\n- \"a \\nb\"\n- \"a\\tb\\nc\"\n- \"uni é \\N\"\n"
        );
    }

    #[test]
    fn yamlencode_folds_long_strings() {
        let long = "a very long string that goes on and on and on and on and on and on and on and on and on and on and on and on";
        assert_eq!(
            yaml_encode(&s(long)),
            "\"a very long string that goes on and on and on and on and on and on and on and on\n  and on and on and on and on\"\n"
        );
        let nested = Value::object([("a", Value::object([("b", Value::object([("c", s(long))]))]))]);
        assert_eq!(
            yaml_encode(&nested),
            "\"a\":\n  \"b\":\n    \"c\": \"a very long string that goes on and on and on and on and on and on and on\n      and on and on and on and on and on\"\n"
        );
        let two = "a very long string that goes on and on and on and on and on and on and on and on  and on and on and on and on and on and on and on and on and on and on and on and on and on and on";
        assert_eq!(
            yaml_encode(&tup(vec![s(two)])),
            "- \"a very long string that goes on and on and on and on and on and on and on and on\n  \\ and on and on and on and on and on and on and on and on and on and on and on and\n  on and on and on\"\n"
        );
    }

    #[test]
    fn decoders() {
        assert_eq!(js("csvdecode", vec![s("a,b\n1,2\n3,4\n")]), r#"[{"a":"1","b":"2"},{"a":"3","b":"4"}]"#);
        assert_eq!(js("jsondecode", vec![s("{\"a\":[1,2.5e3]}")]), r#"{"a":[1,2500]}"#);
        assert_eq!(
            js("yamldecode", vec![s("a: 1\nb: [x, 2, true, null, 1.5, 0x10]\nc: !!str 1\n")]),
            r#"{"a":1,"b":["x",2,true,null,1.5,16],"c":"1"}"#
        );
        assert_eq!(js("urlencode", vec![s("a b&c=d/é~")]), r#""a+b%26c%3Dd%2F%C3%A9~""#);
        assert_eq!(
            call_err("base64decode", vec![s("/w==")]),
            "the result of decoding the provided string is not valid UTF-8"
        );
        assert_eq!(call_err("base64decode", vec![s("abc")]), "failed to decode base64 data \"abc\"");
        assert_eq!(call_err("csvdecode", vec![s("a,b\n1\n")]), "CSV parse error on line 2: wrong number of fields");
        assert_eq!(call_err("csvdecode", vec![s("")]), "missing header line");
        assert_eq!(call_err("jsondecode", vec![s("{")]), "EOF");
        assert_eq!(
            yaml_encode(&tup(vec![s("a\n\n"), s("\na"), s("x\n  y")])),
            "- |+\n  a\n\n- |2-\n\n  a\n- |-\n  x\n    y\n"
        );
    }
}
