//! The JSON syntax of HCL (`*.tf.json`, `*.tfvars.json`): JSON to [`Body`].
//!
//! Owns: mapping Terraform's JSON configuration shape onto the same syntax
//! tree as native files. Strings are parsed as templates; top-level block
//! types and their label counts are known here; inside a block, JSON objects
//! become object-constructor attributes and the config layer treats an
//! attribute in place of a nested block as that block (as Terraform does).
//!
//! The JSON is read by a small scanner of our own (not `serde_json`'s value
//! model) so that every key and value keeps its byte span, object keys keep
//! their order and duplicates, and nesting depth is bounded. String escapes
//! are decoded with `serde_json`; spans inside a string that holds escapes
//! are approximate (they assume one byte per decoded byte).

use super::ast::{Attribute, Block, Body, Expr, ExprKind, Ident, ObjectItem, ObjectKey};
use super::parser::{self, MAX_NESTING};
use crate::diag::{Diagnostic, Diagnostics, FileId, Span};

/// Parses a `*.tf.json` file.
pub fn parse(src: &str, file: FileId) -> (Body, Diagnostics) {
    let mut diags = Diagnostics::new();
    let root = {
        let mut s = Scanner { src, bytes: src.as_bytes(), pos: 0, file, depth: 0 };
        match s.document() {
            Ok(v) => v,
            Err(d) => {
                diags.push(d);
                return (Body { span: Span::new(file, 0, src.len()), ..Body::default() }, diags);
            }
        }
    };
    let mut m = Mapper { file, diags };
    let mut body = Body { span: Span::new(file, 0, src.len()), ..Body::default() };
    match &root.value {
        JValue::Object(members) => m.top_level(members, &mut body),
        JValue::Array(items) if items.iter().all(|i| matches!(i.value, JValue::Object(_))) => {
            for item in items {
                if let JValue::Object(members) = &item.value {
                    m.top_level(members, &mut body);
                }
            }
        }
        _ => m.diags.push(
            Diagnostic::error("Root value must be object")
                .with_detail("The root value in a JSON-based configuration must be either a JSON object or a JSON array of objects.")
                .with_subject(root.span),
        ),
    }
    (body, m.diags)
}

// ----- a JSON scanner that keeps spans ----------------------------------------

#[derive(Debug)]
struct JNode {
    value: JValue,
    span: Span,
}

#[derive(Debug)]
enum JValue {
    Null,
    Bool(bool),
    Number(f64),
    /// Decoded text, and the byte offset of its first character in the file.
    String(String, usize),
    Array(Vec<JNode>),
    Object(Vec<(JKey, JNode)>),
}

#[derive(Debug)]
struct JKey {
    name: String,
    /// Including the quotes.
    span: Span,
}

struct Scanner<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    file: FileId,
    depth: usize,
}

impl Scanner<'_> {
    fn err(&self, summary: &str, detail: impl Into<String>, at: usize) -> Diagnostic {
        let at = at.min(self.bytes.len());
        let end = if at < self.bytes.len() {
            at + self.src[at..].chars().next().map(char::len_utf8).unwrap_or(1)
        } else {
            at
        };
        Diagnostic::error(summary).with_detail(detail).with_subject(Span::new(self.file, at, end))
    }

    fn ws(&mut self) {
        while matches!(self.bytes.get(self.pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn document(&mut self) -> Result<JNode, Diagnostic> {
        // A UTF-8 byte order mark is tolerated.
        if self.src.starts_with('\u{feff}') {
            self.pos = 3;
        }
        let v = self.value()?;
        self.ws();
        if self.pos < self.bytes.len() {
            return Err(self.err("Extraneous data after value", "Extra characters appear after the JSON value.", self.pos));
        }
        Ok(v)
    }

    fn value(&mut self) -> Result<JNode, Diagnostic> {
        self.ws();
        let start = self.pos;
        let span = |s: &Self| Span::new(s.file, start, s.pos);
        match self.bytes.get(self.pos) {
            None => Err(self.err("Missing JSON value", "A JSON value must start here, but the file ends.", start)),
            Some(b'{') | Some(b'[') => {
                self.depth += 1;
                if self.depth > MAX_NESTING {
                    return Err(self.err(
                        "Nesting too deep",
                        format!("JSON values nested more than {MAX_NESTING} levels deep are not supported."),
                        start,
                    ));
                }
                let r = if self.bytes[self.pos] == b'{' { self.object() } else { self.array() };
                self.depth -= 1;
                let value = r?;
                Ok(JNode { value, span: span(self) })
            }
            Some(b'"') => {
                let (s, content) = self.string()?;
                Ok(JNode { value: JValue::String(s, content), span: span(self) })
            }
            Some(b'-' | b'0'..=b'9') => {
                let mut end = self.pos + 1;
                while matches!(self.bytes.get(end), Some(b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')) {
                    end += 1;
                }
                let text = &self.src[self.pos..end];
                match serde_json::from_str::<serde_json::Number>(text).ok().and_then(|n| n.as_f64()) {
                    Some(n) => {
                        self.pos = end;
                        Ok(JNode { value: JValue::Number(n), span: span(self) })
                    }
                    None => Err(self.err("Invalid JSON number", format!("{text:?} is not a valid JSON number."), start)),
                }
            }
            Some(_) => {
                for (word, value) in [("true", JValue::Bool(true)), ("false", JValue::Bool(false)), ("null", JValue::Null)] {
                    if self.src[self.pos..].starts_with(word) {
                        self.pos += word.len();
                        return Ok(JNode { value, span: span(self) });
                    }
                }
                Err(self.err(
                    "Invalid JSON value",
                    "Expected a JSON value: an object, array, string, number, boolean or null.",
                    start,
                ))
            }
        }
    }

    /// A string at `"`: decoded text and the offset of its content.
    fn string(&mut self) -> Result<(String, usize), Diagnostic> {
        let start = self.pos;
        let mut i = start + 1;
        let mut escaped = false;
        loop {
            match self.bytes.get(i) {
                None => {
                    return Err(self.err("Unterminated string", "This JSON string has no closing quote.", start));
                }
                Some(b'"') => break,
                Some(b'\\') => {
                    escaped = true;
                    i += 2;
                }
                Some(b'\n') => {
                    return Err(self.err("Invalid JSON string", "JSON strings may not contain raw newlines; use \\n.", i));
                }
                Some(_) => i += 1,
            }
        }
        let raw = &self.src[start..=i];
        self.pos = i + 1;
        if !escaped {
            return Ok((raw[1..raw.len() - 1].to_string(), start + 1));
        }
        match serde_json::from_str::<String>(raw) {
            Ok(s) => Ok((s, start + 1)),
            Err(e) => Err(self.err("Invalid JSON string", format!("This string is not valid JSON: {e}."), start)),
        }
    }

    fn object(&mut self) -> Result<JValue, Diagnostic> {
        self.pos += 1;
        let mut members = Vec::new();
        self.ws();
        if self.bytes.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(JValue::Object(members));
        }
        loop {
            self.ws();
            let key_start = self.pos;
            if self.bytes.get(self.pos) != Some(&b'"') {
                return Err(self.err("Invalid JSON object", "Object keys must be quoted strings.", self.pos));
            }
            let (name, _) = self.string()?;
            let key = JKey { name, span: Span::new(self.file, key_start, self.pos) };
            self.ws();
            if self.bytes.get(self.pos) != Some(&b':') {
                return Err(self.err("Missing property value colon", "JSON uses a colon as its name/value delimiter.", self.pos));
            }
            self.pos += 1;
            let value = self.value()?;
            members.push((key, value));
            self.ws();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(JValue::Object(members));
                }
                _ => {
                    return Err(self.err(
                        "Missing attribute seperator comma",
                        "A comma must appear between each property definition in an object.",
                        self.pos,
                    ))
                }
            }
        }
    }

    fn array(&mut self) -> Result<JValue, Diagnostic> {
        self.pos += 1;
        let mut items = Vec::new();
        self.ws();
        if self.bytes.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(JValue::Array(items));
        }
        loop {
            items.push(self.value()?);
            self.ws();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(JValue::Array(items));
                }
                _ => {
                    return Err(self.err(
                        "Missing array element separator",
                        "A comma must appear between each element of an array.",
                        self.pos,
                    ))
                }
            }
        }
    }
}

// ----- JSON to the syntax tree -------------------------------------------------

/// Labels of a top-level block type, `None` when the key is not a block type
/// (then it is an attribute, as in `*.tfvars.json`).
fn top_level_labels(kind: &str) -> Option<usize> {
    Some(match kind {
        "terraform" | "locals" | "moved" | "import" | "removed" => 0,
        "provider" | "variable" | "output" | "module" | "check" => 1,
        "resource" | "data" | "ephemeral" => 2,
        _ => return None,
    })
}

/// Labels of a nested block type inside a block of type `parent`.
fn nested_labels(parent: &str, kind: &str) -> Option<usize> {
    Some(match (parent, kind) {
        (_, "lifecycle" | "connection") => 0,
        (_, "provisioner" | "dynamic") => 1,
        ("terraform", "backend" | "provider_meta") => 1,
        ("terraform", "required_providers" | "cloud") => 0,
        ("variable", "validation") => 0,
        (_, "precondition" | "postcondition") => 0,
        ("dynamic", "content") => 0,
        ("check", "assert") => 0,
        ("check", "data") => 2,
        _ => return None,
    })
}

/// Attributes whose strings hold expressions (references), not templates.
fn is_expression_attribute(parent: &str, name: &str) -> bool {
    match name {
        "depends_on" | "ignore_changes" | "replace_triggered_by" | "providers" | "provider" => true,
        "type" => parent == "variable",
        "from" | "to" => matches!(parent, "moved" | "import" | "removed"),
        _ => false,
    }
}

struct Mapper {
    file: FileId,
    diags: Diagnostics,
}

impl Mapper {
    fn ident(&self, key: &JKey) -> Ident {
        Ident { name: key.name.clone(), span: key.span }
    }

    fn top_level(&mut self, members: &[(JKey, JNode)], body: &mut Body) {
        for (key, value) in members {
            if key.name == "//" {
                continue;
            }
            match top_level_labels(&key.name) {
                Some(n) => self.blocks(key, value, n, &mut Vec::new(), &mut body.blocks),
                None => {
                    let expr = self.expr(value, false);
                    body.attributes.push(Attribute { name: self.ident(key), expr, span: key.span.to(value.span) });
                }
            }
        }
    }

    /// The blocks of type `kind` given by `value`, `labels` deep so far.
    fn blocks(&mut self, kind: &JKey, value: &JNode, nlabels: usize, labels: &mut Vec<Ident>, out: &mut Vec<Block>) {
        match &value.value {
            JValue::Array(items) => {
                for item in items {
                    self.blocks(kind, item, nlabels, labels, out);
                }
            }
            JValue::Object(members) if labels.len() < nlabels => {
                for (key, inner) in members {
                    if key.name == "//" {
                        continue;
                    }
                    labels.push(self.ident(key));
                    self.blocks(kind, inner, nlabels, labels, out);
                    labels.pop();
                }
            }
            JValue::Object(members) => {
                let body = self.body(&kind.name, members, value.span);
                out.push(Block { kind: self.ident(kind), labels: labels.clone(), body, span: kind.span.to(value.span) });
            }
            JValue::Null if labels.len() == nlabels => {
                // `"lifecycle": null` and the like: no block.
            }
            _ => {
                let detail = if labels.len() < nlabels {
                    format!(
                        "A JSON object is required here, whose property names are the labels of the \"{}\" block ({} of {} given so far).",
                        kind.name,
                        labels.len(),
                        nlabels
                    )
                } else {
                    format!("The body of a \"{}\" block must be a JSON object.", kind.name)
                };
                self.diags.push(Diagnostic::error("Incorrect JSON value type").with_detail(detail).with_subject(value.span));
            }
        }
    }

    fn body(&mut self, parent: &str, members: &[(JKey, JNode)], span: Span) -> Body {
        let mut body = Body { span, ..Body::default() };
        for (key, value) in members {
            if key.name == "//" {
                continue;
            }
            if let Some(n) = nested_labels(parent, &key.name) {
                if matches!(value.value, JValue::Object(_) | JValue::Array(_) | JValue::Null) {
                    self.blocks(key, value, n, &mut Vec::new(), &mut body.blocks);
                    continue;
                }
            }
            let as_expr = is_expression_attribute(parent, &key.name);
            let expr = self.expr(value, as_expr);
            body.attributes.push(Attribute { name: self.ident(key), expr, span: key.span.to(value.span) });
        }
        body
    }

    /// A JSON value as an expression. With `as_expr`, strings (also inside
    /// arrays and objects, keys included) hold native expressions.
    fn expr(&mut self, node: &JNode, as_expr: bool) -> Expr {
        let span = node.span;
        let kind = match &node.value {
            JValue::Null => ExprKind::Null,
            JValue::Bool(b) => ExprKind::Bool(*b),
            JValue::Number(n) => ExprKind::Number(*n),
            JValue::String(s, offset) => return self.string(s, *offset, span, as_expr),
            JValue::Array(items) => ExprKind::Tuple(items.iter().map(|i| self.expr(i, as_expr)).collect()),
            JValue::Object(members) => ExprKind::Object(
                members
                    .iter()
                    .filter(|(k, _)| k.name != "//")
                    .map(|(k, v)| {
                        let key_expr = self.string(&k.name, k.span.start as usize + 1, k.span, as_expr);
                        let key = match &key_expr.kind {
                            ExprKind::Variable(name) if as_expr => ObjectKey::Ident(Ident { name: name.clone(), span: k.span }),
                            _ => ObjectKey::Expr(key_expr),
                        };
                        ObjectItem { key, value: self.expr(v, as_expr) }
                    })
                    .collect(),
            ),
        };
        Expr::new(kind, span)
    }

    fn string(&mut self, s: &str, offset: usize, span: Span, as_expr: bool) -> Expr {
        if as_expr {
            let (e, d) = parser::parse_expr_at(s, self.file, offset);
            self.diags.extend(d);
            return e.unwrap_or_else(|| Expr::new(ExprKind::Null, span));
        }
        let (t, d) = parser::parse_template(s, self.file, offset);
        self.diags.extend(d);
        Expr::new(ExprKind::Template(t), span)
    }
}
