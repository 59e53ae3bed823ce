//! Tests of the HCL native-syntax parser and the JSON syntax reader.

use cairn::diag::{Diagnostics, FileId, Span};
use cairn::syntax::ast::*;
use cairn::syntax::{json, parser};
use std::path::{Path, PathBuf};

const F: FileId = FileId(0);

// ----- helpers -------------------------------------------------------------

fn parse_ok(src: &str) -> Body {
    let (body, diags) = parser::parse(src, F);
    assert!(diags.is_empty(), "unexpected diagnostics for {src:?}: {diags:#?}");
    body
}

fn expr_of(src: &str) -> Expr {
    let (e, diags) = parser::parse_expr(src, F);
    assert!(diags.is_empty(), "unexpected diagnostics for {src:?}: {diags:#?}");
    e.expect("an expression")
}

/// A compact rendering of an expression, for assertions.
fn sx(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Null => "null".into(),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Number(n) => n.to_string(),
        ExprKind::Template(t) => tpl(t),
        ExprKind::Variable(v) => v.clone(),
        ExprKind::GetAttr { expr, name } => format!("{}.{}", sx(expr), name.name),
        ExprKind::Index { expr, key } => format!("{}[{}]", sx(expr), sx(key)),
        ExprKind::Splat { source, each } => format!("splat({}, {})", sx(source), sx(each)),
        ExprKind::SplatItem => "@".into(),
        ExprKind::Tuple(items) => format!("[{}]", items.iter().map(sx).collect::<Vec<_>>().join(", ")),
        ExprKind::Object(items) => format!(
            "{{{}}}",
            items
                .iter()
                .map(|i| match &i.key {
                    ObjectKey::Ident(id) => format!("{}={}", id.name, sx(&i.value)),
                    ObjectKey::Expr(k) => format!("<{}>={}", sx(k), sx(&i.value)),
                })
                .collect::<Vec<_>>()
                .join(", ")
        ),
        ExprKind::Call { name, args, expand_final } => format!(
            "{}({}{})",
            name.name,
            args.iter().map(sx).collect::<Vec<_>>().join(", "),
            if *expand_final { "..." } else { "" }
        ),
        ExprKind::Conditional { cond, then, otherwise } => {
            format!("({} ? {} : {})", sx(cond), sx(then), sx(otherwise))
        }
        ExprKind::Unary { op, expr } => {
            format!("({}{})", if *op == UnaryOp::Neg { "-" } else { "!" }, sx(expr))
        }
        ExprKind::Binary { op, lhs, rhs } => format!("({} {} {})", sx(lhs), op.symbol(), sx(rhs)),
        ExprKind::For(f) => {
            let mut s = String::from("for(");
            if let Some(k) = &f.key_var {
                s += &format!("{}, ", k.name);
            }
            s += &format!("{} in {} : ", f.value_var.name, sx(&f.collection));
            if let Some(k) = &f.key_expr {
                s += &format!("{} => ", sx(k));
            }
            s += &sx(&f.value_expr);
            if f.grouping {
                s += "...";
            }
            if let Some(c) = &f.cond {
                s += &format!(" if {}", sx(c));
            }
            s + ")"
        }
        ExprKind::Parens(e) => format!("paren({})", sx(e)),
    }
}

fn tpl(t: &Template) -> String {
    if let Some(s) = t.as_literal() {
        return format!("{s:?}");
    }
    let parts: Vec<String> = t
        .parts
        .iter()
        .map(|p| match p {
            TemplatePart::Literal(s) => format!("{s:?}"),
            TemplatePart::Interp(e) => format!("${{{}}}", sx(e)),
            TemplatePart::If { cond, then, otherwise } => match otherwise {
                Some(o) => format!("if({}; {}; {})", sx(cond), tpl(then), tpl(o)),
                None => format!("if({}; {})", sx(cond), tpl(then)),
            },
            TemplatePart::For { key_var, value_var, collection, body } => format!(
                "for({}{} in {}; {})",
                key_var.as_ref().map(|k| format!("{}, ", k.name)).unwrap_or_default(),
                value_var.name,
                sx(collection),
                tpl(body)
            ),
        })
        .collect();
    format!("tmpl({})", parts.join(" "))
}

fn text(src: &str, span: Span) -> &str {
    &src[span.start as usize..span.end as usize]
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/syntax")
}

fn tf_fixtures() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![fixtures_dir()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|e| e == "tf") {
                out.push(p);
            }
        }
    }
    out.sort();
    assert!(!out.is_empty());
    out
}

fn summaries(d: &Diagnostics) -> Vec<&str> {
    d.iter().map(|d| d.summary.as_str()).collect()
}

/// Parses on a thread with a small stack, failing on panic.
fn parse_small_stack(src: String) -> Diagnostics {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let (body, diags) = parser::parse(&src, F);
            drop(body);
            diags
        })
        .unwrap()
        .join()
        .expect("parser panicked or overflowed")
}

// ----- expression forms -------------------------------------------------------

#[test]
fn literals() {
    assert_eq!(sx(&expr_of("1")), "1");
    assert_eq!(sx(&expr_of("1.5")), "1.5");
    assert_eq!(sx(&expr_of("1e3")), "1000");
    assert_eq!(sx(&expr_of("true")), "true");
    assert_eq!(sx(&expr_of("false")), "false");
    assert_eq!(sx(&expr_of("null")), "null");
    assert_eq!(sx(&expr_of("\"hi\"")), "\"hi\"");
    assert_eq!(sx(&expr_of("\"\"")), "\"\"");
}

#[test]
fn operator_precedence() {
    assert_eq!(sx(&expr_of("1 + 2 * 3")), "(1 + (2 * 3))");
    assert_eq!(sx(&expr_of("1 - 2 - 3")), "((1 - 2) - 3)");
    assert_eq!(sx(&expr_of("a || b && c")), "(a || (b && c))");
    assert_eq!(sx(&expr_of("a == b && c != d")), "((a == b) && (c != d))");
    assert_eq!(sx(&expr_of("a < b == c >= d")), "((a < b) == (c >= d))");
    assert_eq!(sx(&expr_of("a + b < c * d % e")), "((a + b) < ((c * d) % e))");
    assert_eq!(sx(&expr_of("-a * b")), "((-a) * b)");
    assert_eq!(sx(&expr_of("!a || !!b")), "((!a) || (!(!b)))");
    assert_eq!(sx(&expr_of("-a.b[0]")), "(-a.b[0])");
    assert_eq!(sx(&expr_of("a <= b || a > b")), "((a <= b) || (a > b))");
    assert_eq!(sx(&expr_of("8 / 2 / 2")), "((8 / 2) / 2)");
}

#[test]
fn conditionals() {
    assert_eq!(sx(&expr_of("a ? b : c")), "(a ? b : c)");
    assert_eq!(sx(&expr_of("a ? b : c ? d : e")), "(a ? b : (c ? d : e))");
    assert_eq!(sx(&expr_of("a || b ? 1 + 2 : 3")), "((a || b) ? (1 + 2) : 3)");
    assert_eq!(sx(&expr_of("a ? b ? c : d : e")), "(a ? (b ? c : d) : e)");
}

#[test]
fn traversals_and_splats() {
    assert_eq!(sx(&expr_of("var.a.b")), "var.a.b");
    assert_eq!(sx(&expr_of("a[0][\"k\"]")), "a[0][\"k\"]");
    assert_eq!(sx(&expr_of("a.0")), "a[0]");
    assert_eq!(sx(&expr_of("a.0.1")), "a[0][1]");
    assert_eq!(sx(&expr_of("a.0.b")), "a[0].b");
    assert_eq!(sx(&expr_of("a[*]")), "splat(a, @)");
    assert_eq!(sx(&expr_of("a[*].b[0].c")), "splat(a, @.b[0].c)");
    assert_eq!(sx(&expr_of("a[*].b[*].c")), "splat(a, splat(@.b, @.c))");
    assert_eq!(sx(&expr_of("a.*.b.c")), "splat(a, @.b.c)");
    assert_eq!(sx(&expr_of("a.*.b[0]")), "splat(a, @.b)[0]");
    assert_eq!(sx(&expr_of("a.*.b.0")), "splat(a, @.b[0])");
    assert_eq!(sx(&expr_of("a.*")), "splat(a, @)");
    assert_eq!(sx(&expr_of("a[b[c]]")), "a[b[c]]");
    assert_eq!(sx(&expr_of("(a).b")), "paren(a).b");
    assert_eq!(sx(&expr_of("[1,2][0]")), "[1, 2][0]");
}

#[test]
fn calls() {
    assert_eq!(sx(&expr_of("f()")), "f()");
    assert_eq!(sx(&expr_of("f(a, b)")), "f(a, b)");
    assert_eq!(sx(&expr_of("f(a, b,)")), "f(a, b)");
    assert_eq!(sx(&expr_of("f(a, b...)")), "f(a, b...)");
    assert_eq!(sx(&expr_of("f(\n a,\n b\n)")), "f(a, b)");
    assert_eq!(sx(&expr_of("provider::aws::arn_parse(x)")), "provider::aws::arn_parse(x)");
    assert_eq!(sx(&expr_of("f(g(1), [2])[0]")), "f(g(1), [2])[0]");
}

#[test]
fn collections() {
    assert_eq!(sx(&expr_of("[]")), "[]");
    assert_eq!(sx(&expr_of("[a, b,]")), "[a, b]");
    assert_eq!(sx(&expr_of("[\n a,\n b\n]")), "[a, b]");
    assert_eq!(sx(&expr_of("{}")), "{}");
    assert_eq!(
        sx(&expr_of("{ a = 1, \"b\" = 2, (var.k) = 3, c: 4 }")),
        "{a=1, <\"b\">=2, <paren(var.k)>=3, c=4}"
    );
    assert_eq!(sx(&expr_of("{\n a = 1,\n b = 2\n c = 3, d = 4\n}")), "{a=1, b=2, c=3, d=4}");
    assert_eq!(sx(&expr_of("{ a = 1, a = 2 }")), "{a=1, a=2}");
    assert_eq!(sx(&expr_of("{ true = 1, null = 2, for = 3 }")), "{true=1, null=2, for=3}");
    assert_eq!(sx(&expr_of("{ 1 = 2 }")), "{<1>=2}");
    assert_eq!(sx(&expr_of("{ a.b = 2 }")), "{<a.b>=2}");
}

#[test]
fn for_expressions() {
    assert_eq!(sx(&expr_of("[for x in xs : x]")), "for(x in xs : x)");
    assert_eq!(sx(&expr_of("[for i, x in xs : x if i > 0]")), "for(i, x in xs : x if (i > 0))");
    assert_eq!(sx(&expr_of("{for k, v in m : k => v}")), "for(k, v in m : k => v)");
    assert_eq!(sx(&expr_of("{for v in l : v.k => v... if v.ok}")), "for(v in l : v.k => v... if v.ok)");
    assert_eq!(
        sx(&expr_of("{\n for k in [\"a\"] : k =>\n local.flag\n ? { name = k }\n : { name = \"x\" }\n }")),
        "for(k in [\"a\"] : k => (local.flag ? {name=k} : {name=\"x\"}))"
    );
    assert_eq!(sx(&expr_of("[for x in xs:\n x\n if\n x]")), "for(x in xs : x if x)");
}

#[test]
fn templates() {
    assert_eq!(sx(&expr_of(r#""a${b}c""#)), r#"tmpl("a" ${b} "c")"#);
    assert_eq!(sx(&expr_of(r#""${b}""#)), "tmpl(${b})");
    assert_eq!(sx(&expr_of(r#""\n\r\t\"\\\u00e9\U0001F600""#)), format!("{:?}", "\n\r\t\"\\é😀"));
    assert_eq!(sx(&expr_of(r#""$${a} %%{b} $a %a""#)), r#""${a} %{b} $a %a""#);
    assert_eq!(
        sx(&expr_of(r#""%{ if a }yes%{ else }no%{ endif }""#)),
        r#"tmpl(if(a; "yes"; "no"))"#
    );
    assert_eq!(sx(&expr_of(r#""%{ if a }yes%{ endif }""#)), r#"tmpl(if(a; "yes"))"#);
    assert_eq!(
        sx(&expr_of(r#""%{ for k, v in m }${k}=${v};%{ endfor }""#)),
        r#"tmpl(for(k, v in m; tmpl(${k} "=" ${v} ";")))"#
    );
    assert_eq!(sx(&expr_of(r#""%{for x in xs}%{if x}${x}%{endif}%{endfor}""#)), "tmpl(for(x in xs; tmpl(if(x; tmpl(${x})))))");
    assert_eq!(sx(&expr_of(r#""${ {a = 1}.a }""#)), "tmpl(${{a=1}.a})");
    assert_eq!(sx(&expr_of(r#""${"inner ${x}"}""#)), r#"tmpl(${tmpl("inner " ${x})})"#);
}

#[test]
fn strip_markers() {
    assert_eq!(sx(&expr_of(r#""a  ${~ b ~}  c""#)), r#"tmpl("a" ${b} "c")"#);
    assert_eq!(sx(&expr_of(r#""a  ${ b ~}  c""#)), r#"tmpl("a  " ${b} "c")"#);
    assert_eq!(
        sx(&expr_of("\"x \n%{~ if a ~}\n y \n%{~ endif ~}\n z\"".replace('\n', "\\n").as_str())),
        r#"tmpl("x" if(a; "y") "z")"#
    );
    // In heredocs each line is a literal of its own: `~}` strips only up to the next line end.
    let e = expr_of("<<EOT\n%{ for x in xs ~}\n  ${x}\n%{ endfor ~}\nEOT\n");
    assert_eq!(sx(&e), r#"tmpl(for(x in xs; tmpl("  " ${x} "\n")))"#);
}

#[test]
fn heredocs() {
    let e = expr_of("<<EOT\nhello\n  ${x}\nEOT\n");
    assert_eq!(sx(&e), r#"tmpl("hello\n  " ${x} "\n")"#);
    let ExprKind::Template(t) = &e.kind else { panic!() };
    assert!(t.heredoc);
    assert_eq!(sx(&expr_of("<<-EOT\n    a\n      b\n\n    c\n  EOT\n")), r#""a\n  b\n\nc\n""#);
    assert_eq!(sx(&expr_of("<<-EOT\n    a ${x}\n  b\n  EOT\n")), r#"tmpl("  a " ${x} "\nb\n")"#);
    // Whitespace-only lines neither count toward the indentation nor change.
    assert_eq!(sx(&expr_of("<<-EOT\n    a\n \n    b\nEOT\n")), r#""a\n \nb\n""#);
    assert_eq!(sx(&expr_of("<<EOT\nEOT\n")), r#""""#);
    assert_eq!(sx(&expr_of("<<EOT\n$${a} \\n\nEOT\n")), r#""${a} \\n\n""#);
    // Interpolation at the start of a line means no common indentation.
    assert_eq!(sx(&expr_of("<<-EOT\n  a\n${x}\nEOT\n")), r#"tmpl("  a\n" ${x} "\n")"#);
}

#[test]
fn parens() {
    assert_eq!(sx(&expr_of("(1 + 2) * 3")), "(paren((1 + 2)) * 3)");
    assert_eq!(sx(&expr_of("(a\n ? b\n : c)")), "paren((a ? b : c))");
}

// ----- bodies -------------------------------------------------------------

#[test]
fn bodies_and_blocks() {
    let src = "a = 1\nb \"x\" y {\n  c = 2\n  d {}\n}\ne { f = 3 }\n";
    let body = parse_ok(src);
    assert_eq!(body.attributes.len(), 1);
    assert_eq!(body.blocks.len(), 2);
    let b = &body.blocks[0];
    assert_eq!(b.kind.name, "b");
    assert_eq!(b.labels.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(), ["x", "y"]);
    assert_eq!(b.body.attribute("c").map(|a| sx(&a.expr)), Some("2".into()));
    assert_eq!(b.body.blocks[0].kind.name, "d");
    let e = &body.blocks[1];
    assert_eq!(e.body.attribute("f").map(|a| sx(&a.expr)), Some("3".into()));
}

#[test]
fn comments_act_as_newlines() {
    let body = parse_ok("a = 1 # one\nb = 2 // two\nc = /* inline */ 3\n/* block\ncomment */\nd = 4 # end");
    assert_eq!(body.attributes.iter().map(|a| a.name.name.as_str()).collect::<Vec<_>>(), ["a", "b", "c", "d"]);
    assert_eq!(sx(&body.attributes[2].expr), "3");
    parse_ok("x {\n  a = [\n    1, # one\n    2, // two\n  ]\n}\n");
    parse_ok("a = 1\r\nb {\r\n  c = 2\r\n}\r\n");
    parse_ok("");
    parse_ok("\n\n# only a comment");
}

#[test]
fn newlines_significant_at_body_level() {
    let (_, d) = parser::parse("a = b\n  ? c : d\n", F);
    assert!(d.has_errors());
    let (_, d) = parser::parse("a = 1 b = 2\n", F);
    assert_eq!(summaries(&d), ["Missing newline after argument"]);
}

// ----- spans ----------------------------------------------------------------

#[test]
fn spans_are_exact() {
    let src = "resource \"x\" \"y\" {\n  value = foo.bar[0] + f(1, \"s\")\n}\n";
    let body = parse_ok(src);
    let block = &body.blocks[0];
    assert_eq!(text(src, block.kind.span), "resource");
    assert_eq!(text(src, block.labels[0].span), "\"x\"");
    assert_eq!(block.labels[0].name, "x");
    assert_eq!(text(src, block.span), &src[..src.len() - 1]);
    assert_eq!(text(src, block.body.span), &src[17..src.len() - 1]);
    let attr = &block.body.attributes[0];
    assert_eq!(text(src, attr.span), "value = foo.bar[0] + f(1, \"s\")");
    assert_eq!(text(src, attr.name.span), "value");
    let ExprKind::Binary { lhs, rhs, .. } = &attr.expr.kind else { panic!() };
    assert_eq!(text(src, lhs.span), "foo.bar[0]");
    let ExprKind::Index { expr, key } = &lhs.kind else { panic!() };
    assert_eq!(text(src, expr.span), "foo.bar");
    assert_eq!(text(src, key.span), "0");
    let ExprKind::GetAttr { expr, name } = &expr.kind else { panic!() };
    assert_eq!(text(src, expr.span), "foo");
    assert_eq!(text(src, name.span), "bar");
    assert_eq!(text(src, rhs.span), "f(1, \"s\")");
    let ExprKind::Call { name, args, .. } = &rhs.kind else { panic!() };
    assert_eq!(text(src, name.span), "f");
    assert_eq!(text(src, args[1].span), "\"s\"");
}

#[test]
fn spans_of_collections_and_templates() {
    let src = "a = { k = [1, 2], \"q\" = <<EOT\nx\nEOT\n}\n";
    let body = parse_ok(src);
    let e = &body.attributes[0].expr;
    assert_eq!(text(src, e.span), &src[4..src.len() - 1]);
    let ExprKind::Object(items) = &e.kind else { panic!() };
    assert_eq!(text(src, items[0].key.span()), "k");
    assert_eq!(text(src, items[0].value.span), "[1, 2]");
    assert_eq!(text(src, items[1].key.span()), "\"q\"");
    assert_eq!(text(src, items[1].value.span), "<<EOT\nx\nEOT");
    let src = "b = [for x in xs : x]\nc = (1)\nd = -x\ne = a ? b : c\nf = a[*].b\n";
    let body = parse_ok(src);
    for a in &body.attributes {
        assert_eq!(text(src, a.expr.span), text(src, a.span).split_once(" = ").unwrap().1);
    }
}

#[test]
fn parse_template_offsets_spans() {
    let src = "hello ${var.name}!";
    let (t, d) = parser::parse_template(src, F, 100);
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(tpl(&t), r#"tmpl("hello " ${var.name} "!")"#);
    let TemplatePart::Interp(e) = &t.parts[1] else { panic!() };
    assert_eq!((e.span.start, e.span.end), (108, 116));
    let (t, d) = parser::parse_template("a\\n $${x} %{ if c }y%{ endif }", F, 0);
    assert!(d.is_empty());
    assert_eq!(tpl(&t), r#"tmpl("a\\n ${x} " if(c; "y"))"#);
    let (t, d) = parser::parse_template("", F, 0);
    assert!(d.is_empty());
    assert_eq!(t.as_literal(), Some(""));
    let (_, d) = parser::parse_template("${", F, 5);
    assert!(d.has_errors());
    assert!(d.iter().all(|d| d.subject.is_some_and(|s| s.start >= 5)));
}

#[test]
fn parse_expr_rejects_trailing_input() {
    let (e, d) = parser::parse_expr("[1, 2] 3", F);
    assert!(e.is_none());
    assert_eq!(summaries(&d), ["Extra characters after expression"]);
    let (e, d) = parser::parse_expr("{a = 1, b = [\n2]}", F);
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(sx(&e.unwrap()), "{a=1, b=[2]}");
    let (e, d) = parser::parse_expr("", F);
    assert!(e.is_none() && d.has_errors());
}

// ----- fixtures -------------------------------------------------------------

#[test]
fn hcl_gaps_fixtures_parse() {
    for name in ["duplicate_object_key.tf", "mixed_object_separators.tf", "multiline_conditional_in_for.tf"] {
        let path = fixtures_dir().join("hcl_gaps").join(name);
        let src = std::fs::read_to_string(&path).unwrap();
        let (body, d) = parser::parse(&src, F);
        assert!(d.is_empty(), "{name}: {d:#?}");
        assert!(!body.blocks.is_empty());
    }
    let src = std::fs::read_to_string(fixtures_dir().join("hcl_gaps/duplicate_object_key.tf")).unwrap();
    let body = parse_ok(&src);
    let input = &body.blocks[0].body.attribute("input").unwrap().expr;
    assert_eq!(sx(input), "{region=\"us\", zone=\"z\", region=\"eu\"}");
}

#[test]
fn all_fixtures_parse_cleanly() {
    for path in tf_fixtures() {
        let src = std::fs::read_to_string(&path).unwrap();
        let (_, d) = parser::parse(&src, F);
        assert!(d.is_empty(), "{}: {d:#?}", path.display());
    }
}

// ----- differential test against hcl-rs -----------------------------------------

mod differential {
    use super::*;
    use serde_json::{json, Value};

    fn num(n: f64) -> Value {
        json!(format!("num:{n}"))
    }

    fn ours_body(b: &Body) -> Value {
        // hcl-rs keeps attributes and blocks in one list; compare each kind in order.
        let attrs: Vec<Value> = b.attributes.iter().map(|a| json!([a.name.name, ours(&a.expr)])).collect();
        let blocks: Vec<Value> = b
            .blocks
            .iter()
            .map(|bl| {
                json!({
                    "type": bl.kind.name,
                    "labels": bl.labels.iter().map(|l| l.name.clone()).collect::<Vec<_>>(),
                    "body": ours_body(&bl.body),
                })
            })
            .collect();
        json!({"attrs": attrs, "blocks": blocks})
    }

    fn flatten_ours(e: &Expr, ops: &mut Vec<Value>) -> Value {
        match &e.kind {
            ExprKind::GetAttr { expr, name } => {
                let root = flatten_ours(expr, ops);
                ops.push(json!(format!(".{}", name.name)));
                root
            }
            ExprKind::Index { expr, key } => {
                let root = flatten_ours(expr, ops);
                ops.push(json!(["index", ours(key)]));
                root
            }
            ExprKind::Splat { source, each } => {
                let root = flatten_ours(source, ops);
                ops.push(json!("*"));
                flatten_ours(each, ops);
                root
            }
            _ => ours(e),
        }
    }

    fn ours(e: &Expr) -> Value {
        match &e.kind {
            ExprKind::Null => json!("null"),
            ExprKind::Bool(b) => json!(*b),
            ExprKind::Number(n) => num(*n),
            ExprKind::Template(t) => match t.as_literal() {
                Some(s) => json!(["str", s]),
                None => json!("template"),
            },
            ExprKind::Variable(v) => json!(["var", v]),
            ExprKind::GetAttr { .. } | ExprKind::Index { .. } | ExprKind::Splat { .. } => {
                let mut ops = Vec::new();
                let root = flatten_ours(e, &mut ops);
                json!(["traversal", root, ops])
            }
            ExprKind::SplatItem => json!("item"),
            ExprKind::Tuple(items) => json!(["tuple", items.iter().map(ours).collect::<Vec<_>>()]),
            ExprKind::Object(items) => json!([
                "object",
                items
                    .iter()
                    .map(|i| {
                        let k = match &i.key {
                            ObjectKey::Ident(id) => json!(["key", id.name]),
                            ObjectKey::Expr(k) => ours(k),
                        };
                        json!([k, ours(&i.value)])
                    })
                    .collect::<Vec<_>>()
            ]),
            ExprKind::Call { name, args, expand_final } => {
                json!(["call", name.name, args.iter().map(ours).collect::<Vec<_>>(), expand_final])
            }
            ExprKind::Conditional { cond, then, otherwise } => json!(["cond", ours(cond), ours(then), ours(otherwise)]),
            ExprKind::Unary { op: UnaryOp::Neg, expr } if matches!(expr.kind, ExprKind::Number(_)) => {
                let ExprKind::Number(n) = expr.kind else { unreachable!() };
                num(-n)
            }
            ExprKind::Unary { op, expr } => {
                json!(["unary", if *op == UnaryOp::Neg { "-" } else { "!" }, ours(expr)])
            }
            ExprKind::Binary { op, lhs, rhs } => json!(["binary", op.symbol(), ours(lhs), ours(rhs)]),
            ExprKind::For(f) => json!([
                "for",
                f.key_var.as_ref().map(|k| k.name.clone()),
                f.value_var.name,
                ours(&f.collection),
                f.key_expr.as_ref().map(ours),
                ours(&f.value_expr),
                f.cond.as_ref().map(ours),
                f.grouping
            ]),
            ExprKind::Parens(e) => json!(["parens", ours(e)]),
        }
    }

    fn theirs_body(b: &hcl::Body) -> Value {
        let attrs: Vec<Value> = b.attributes().map(|a| json!([a.key.as_str(), theirs(&a.expr)])).collect();
        let blocks: Vec<Value> = b
            .blocks()
            .map(|bl| {
                json!({
                    "type": bl.identifier.as_str(),
                    "labels": bl.labels.iter().map(|l| l.as_str().to_string()).collect::<Vec<_>>(),
                    "body": theirs_body(&bl.body),
                })
            })
            .collect();
        json!({"attrs": attrs, "blocks": blocks})
    }

    fn theirs_number(n: &hcl::Number) -> Value {
        num(n.as_f64().unwrap())
    }

    fn theirs(e: &hcl::Expression) -> Value {
        use hcl::expr::{Operation, TraversalOperator, UnaryOperator};
        use hcl::Expression as H;
        match e {
            H::Null => json!("null"),
            H::Bool(b) => json!(*b),
            H::Number(n) => theirs_number(n),
            H::String(s) => json!(["str", s]),
            H::TemplateExpr(t) => {
                let tmpl = hcl::Template::from_expr(t).expect("template parses");
                let mut lit = String::new();
                for el in tmpl.elements() {
                    match el {
                        hcl::template::Element::Literal(s) => lit.push_str(s),
                        _ => return json!("template"),
                    }
                }
                json!(["str", lit])
            }
            H::Variable(v) => json!(["var", v.as_str()]),
            H::Traversal(t) => {
                let mut ops = Vec::new();
                let root = match &t.expr {
                    H::Traversal(_) => unreachable!("nested traversal"),
                    other => theirs(other),
                };
                for op in &t.operators {
                    ops.push(match op {
                        TraversalOperator::AttrSplat | TraversalOperator::FullSplat => json!("*"),
                        TraversalOperator::GetAttr(i) => json!(format!(".{}", i.as_str())),
                        TraversalOperator::Index(e) => json!(["index", theirs(e)]),
                        TraversalOperator::LegacyIndex(n) => json!(["index", num(*n as f64)]),
                    });
                }
                json!(["traversal", root, ops])
            }
            H::Array(items) => json!(["tuple", items.iter().map(theirs).collect::<Vec<_>>()]),
            H::Object(items) => json!([
                "object",
                items
                    .iter()
                    .map(|(k, v)| {
                        let k = match k {
                            hcl::ObjectKey::Identifier(id) => json!(["key", id.as_str()]),
                            hcl::ObjectKey::Expression(e) => theirs(e),
                            #[allow(unreachable_patterns)]
                            _ => json!("?"),
                        };
                        json!([k, theirs(v)])
                    })
                    .collect::<Vec<_>>()
            ]),
            H::FuncCall(f) => json!(["call", f.name.to_string(), f.args.iter().map(theirs).collect::<Vec<_>>(), f.expand_final]),
            H::Parenthesis(e) => json!(["parens", theirs(e)]),
            H::Conditional(c) => json!(["cond", theirs(&c.cond_expr), theirs(&c.true_expr), theirs(&c.false_expr)]),
            H::Operation(op) => match op.as_ref() {
                Operation::Unary(u) => match (&u.operator, &u.expr) {
                    (UnaryOperator::Neg, H::Number(n)) => num(-n.as_f64().unwrap()),
                    (o, e) => json!(["unary", o.as_str(), theirs(e)]),
                },
                Operation::Binary(b) => json!(["binary", b.operator.as_str(), theirs(&b.lhs_expr), theirs(&b.rhs_expr)]),
            },
            H::ForExpr(f) => json!([
                "for",
                f.key_var.as_ref().map(|k| k.as_str().to_string()),
                f.value_var.as_str(),
                theirs(&f.collection_expr),
                f.key_expr.as_ref().map(theirs),
                theirs(&f.value_expr),
                f.cond_expr.as_ref().map(theirs),
                f.grouping
            ]),
            #[allow(unreachable_patterns)]
            _ => json!("unknown"),
        }
    }

    #[test]
    fn agrees_with_hcl_rs_on_every_fixture_it_accepts() {
        let mut compared = 0;
        for path in tf_fixtures() {
            let src = std::fs::read_to_string(&path).unwrap();
            let Ok(theirs) = hcl::parse(&src) else { continue };
            let (body, d) = parser::parse(&src, F);
            assert!(d.is_empty(), "{}: {d:#?}", path.display());
            let a = ours_body(&body);
            let b = theirs_body(&theirs);
            assert_eq!(a, b, "{} differs from hcl-rs", path.display());
            compared += 1;
        }
        assert!(compared >= 4, "only {compared} fixtures compared");
    }
}

// ----- malformed input ----------------------------------------------------------

fn expect_error(src: &str, summary: &str, subject_text: &str) {
    let (_, d) = parser::parse(src, F);
    let found = d.iter().find(|x| x.summary == summary);
    let Some(found) = found else { panic!("expected {summary:?} for {src:?}, got {d:#?}") };
    let subject = found.subject.expect("a subject");
    assert_eq!(text(src, subject), subject_text, "subject of {summary:?} in {src:?}");
}

#[test]
fn malformed_inputs_are_located() {
    expect_error("= 1\n", "Argument or block definition required", "=");
    expect_error("a\n", "Argument or block definition required", "a");
    expect_error("a = 1 2\n", "Missing newline after argument", "2");
    expect_error("a = \n", "Invalid expression", "\n");
    expect_error("a = )\n", "Invalid expression", ")");
    expect_error("a = \"abc\nb = 1\n", "Invalid multi-line string", "\n");
    expect_error("a = \"abc", "Unterminated template string", "\"");
    expect_error("a = <<EOT\nabc\n", "Unterminated template string", "<<EOT\n");
    expect_error("b {\n  a = 1\n", "Unclosed configuration block", "{");
    expect_error("a = { b 1 }\n", "Missing key/value separator", "1");
    expect_error("a = [1 2]\n", "Missing item separator", "2");
    expect_error("a = f(1 2)\n", "Missing argument separator", "2");
    expect_error("a = 1 @ 2\n", "Missing newline after argument", "@");
    expect_error("@\n", "Invalid character", "@");
    expect_error("a = @\n", "Invalid character", "@");
    expect_error("a = 'x'\n", "Invalid character", "'");
    expect_error("a = \"${b\n", "Unterminated template sequence", "${");
    expect_error("a = \"${b c}\"\n", "Extra characters after interpolation expression", "c");
    expect_error("b \"x\" = 1\n", "Invalid block definition", "=");
    expect_error("b { c {} }\n", "Invalid single-argument block definition", "c");
    expect_error("b { c = 1 d = 2 }\n", "Invalid single-argument block definition", "d");
    expect_error("a = \"\\q\"\n", "Invalid escape sequence", "\\q");
    expect_error("a = \"%{ if x }y\"\n", "Unterminated template directive", "%{ if");
    expect_error("a = \"%{ endif }\"\n", "Unexpected endif directive", "%{ endif");
    expect_error("a = \"%{ bogus }\"\n", "Invalid template directive", "bogus");
    expect_error("a = [for x xs : x]\n", "Invalid 'for' expression", "xs");
    expect_error("a = b ? c\n", "Missing false expression in conditional", "\n");
    expect_error("a = b.\n", "Invalid attribute name", "\n");
    expect_error("a = b[1\n", "Missing close bracket on index", "");
    expect_error("a = (1\n", "Unbalanced parentheses", "");
    expect_error("a = { b = 1\n", "Unterminated object constructor", "{");
    expect_error("}\n", "Argument or block definition required", "}");
    expect_error("b \"x${y}\" {}\n", "Invalid string literal", "${");
    expect_error("b {\n  x = 1 }\n", "Missing newline after argument", "}");
}

#[test]
fn recovery_reports_several_problems() {
    let src = "a = [1 2]\nb = 1\nc = )\nd {\n  e = (\n}\nf = 2\n";
    let (body, d) = parser::parse(src, F);
    assert!(d.len() >= 3, "{d:#?}");
    assert!(body.attribute("b").is_some());
    assert!(body.attribute("f").is_some(), "{body:#?} {d:#?}");
    let lines: Vec<u32> = d.iter().map(|x| x.subject.unwrap().start).collect();
    assert!(lines.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn diagnostics_are_capped() {
    let src = "= 1\n".repeat(1000);
    let (_, d) = parser::parse(&src, F);
    assert!(d.len() <= 50 && d.len() >= 10, "{}", d.len());
}

#[test]
fn random_bytes_never_panic() {
    // A small deterministic generator: no dependency needed.
    let mut state: u64 = 0x9e3779b97f4a7c15;
    let mut rnd = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let alphabet: &[u8] = b"ab01 \n\t\"'${}%[]()<>=!&|*+-/.,:?~#\\EOT\0\xff\xc3\xa9";
    for _ in 0..2000 {
        let len = (rnd() % 80) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| alphabet[(rnd() % alphabet.len() as u64) as usize]).collect();
        let src = String::from_utf8_lossy(&bytes).into_owned();
        let _ = parser::parse(&src, F);
        let _ = parser::parse_expr(&src, F);
        let _ = parser::parse_template(&src, F, 3);
        let _ = json::parse(&src, F);
    }
    // Mutations of a real file: every prefix and a few byte flips.
    let src = std::fs::read_to_string(fixtures_dir().join("basic.tf")).unwrap();
    for cut in (0..src.len()).step_by(7) {
        if src.is_char_boundary(cut) {
            let _ = parser::parse(&src[..cut], F);
        }
    }
    let src = std::fs::read_to_string(fixtures_dir().join("expressions.tf")).unwrap();
    for i in (0..src.len()).step_by(5) {
        let mut b = src.clone().into_bytes();
        b[i] = alphabet[i % alphabet.len()];
        let _ = parser::parse(&String::from_utf8_lossy(&b), F);
    }
}

#[test]
fn nul_bytes_and_odd_characters() {
    let (_, d) = parser::parse("a = 1\0\nb = \"\0\"\n\u{feff}c = 2\n", F);
    assert!(d.has_errors());
    let (_, d) = parser::parse("a = \"é ${\"ü\"}\"\n", F);
    assert!(d.is_empty(), "{d:#?}");
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let n = 10_000;
    let cases = vec![
        format!("a = {}", "[".repeat(n)),
        format!("a = {}1{}", "[".repeat(n), "]".repeat(n)),
        format!("a = {}", "(".repeat(n)),
        format!("a = {}1{}", "(".repeat(n), ")".repeat(n)),
        format!("a = {}", "{a = ".repeat(n)),
        format!("a = {}", "\"${".repeat(n)),
        format!("a = {}", "-".repeat(n)),
        format!("a = {}1", "!".repeat(n)),
        format!("a = x{}", "[*]".repeat(n)),
        format!("a = x{}", "[0]".repeat(n * 10)),
        format!("a = x{}", ".b".repeat(n * 10)),
        format!("a = 1{}", " + 1".repeat(n * 10)),
        format!("a = 1{}", " ? 1 : 1".repeat(n)),
        format!("a = {}", "f(".repeat(n)),
        format!("a = <<EOT\n{}", "${<<EOT\n".repeat(n)),
        format!("a = \"{}\"", "%{ if x }".repeat(n)),
        "b {\n".repeat(n),
        format!("{}{}", "b {\n".repeat(n), "}\n".repeat(n)),
        format!("a = {}", "[for x in ".repeat(n)),
    ];
    for src in cases {
        let head: String = src.chars().take(20).collect();
        let d = parse_small_stack(src);
        assert!(d.has_errors(), "{head}");
        assert!(d.len() <= 50, "{head}");
    }
    let d = parse_small_stack(format!("a = {}1{}", "[".repeat(n), "]".repeat(n)));
    assert!(summaries(&d).contains(&"Nesting too deep"), "{d:#?}");
    // Moderate nesting is fine.
    parse_ok(&format!("a = {}1{}\n", "[".repeat(60), "]".repeat(60)));
    parse_ok(&format!("{}{}", "b {\n".repeat(60), "}\n".repeat(60)));
}

#[test]
fn large_file_parses() {
    let mut src = String::new();
    for i in 0..5000 {
        src.push_str(&format!(
            "resource \"terraform_data\" \"r{i}\" {{\n  input = {{\n    name  = \"r-${{var.prefix}}-{i}\"\n    tags  = [for t in var.tags : upper(t)]\n    count = {i} + 1\n  }}\n  lifecycle {{\n    ignore_changes = [input]\n  }}\n}}\n\n"
        ));
    }
    let body = parse_ok(&src);
    assert_eq!(body.blocks.len(), 5000);
    // A 10 MB file of one long line does not hang either.
    let big = format!("a = \"{}\"\n", "x".repeat(10 * 1024 * 1024));
    let (body, d) = parser::parse(&big, F);
    assert!(d.is_empty());
    assert_eq!(body.attributes.len(), 1);
}

// ----- JSON syntax ------------------------------------------------------------

fn json_ok(src: &str) -> Body {
    let (body, d) = json::parse(src, F);
    assert!(d.is_empty(), "unexpected diagnostics: {d:#?}");
    body
}

#[test]
fn json_configuration_maps_to_blocks() {
    let src = std::fs::read_to_string(fixtures_dir().join("main.tf.json")).unwrap();
    let body = json_ok(&src);
    assert!(body.attributes.is_empty(), "{:?}", body.attributes);
    let kinds: Vec<&str> = body.blocks.iter().map(|b| b.kind.name.as_str()).collect();
    assert_eq!(kinds, ["terraform", "variable", "locals", "resource", "resource", "module", "output", "moved"]);

    let tf = &body.blocks[0];
    assert_eq!(sx(&tf.body.attribute("required_version").unwrap().expr), "\">= 1.5\"");
    assert_eq!(tf.body.blocks[0].kind.name, "required_providers");
    assert_eq!(sx(&tf.body.blocks[0].body.attribute("google").unwrap().expr), "{<\"source\">=\"hashicorp/google\"}");
    assert_eq!(tf.body.blocks[1].kind.name, "backend");
    assert_eq!(tf.body.blocks[1].labels[0].name, "gcs");

    let var = &body.blocks[1];
    assert_eq!(var.labels[0].name, "zones");
    assert_eq!(sx(&var.body.attribute("type").unwrap().expr), "list(string)");
    assert_eq!(sx(&var.body.attribute("default").unwrap().expr), "[\"a\", \"b\"]");
    let validation = &var.body.blocks[0];
    assert_eq!(validation.kind.name, "validation");
    assert_eq!(sx(&validation.body.attribute("condition").unwrap().expr), "tmpl(${(length(var.zones) > 0)})");

    let locals = &body.blocks[2];
    assert_eq!(sx(&locals.body.attribute("name").unwrap().expr), "tmpl(\"app-\" ${var.project})");
    assert_eq!(sx(&locals.body.attribute("n").unwrap().expr), "3");
    assert_eq!(sx(&locals.body.attribute("on").unwrap().expr), "true");
    assert_eq!(sx(&locals.body.attribute("nothing").unwrap().expr), "null");

    let a = &body.blocks[3];
    assert_eq!(a.labels.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(), ["terraform_data", "a"]);
    let lifecycle = &a.body.blocks[0];
    assert_eq!(lifecycle.kind.name, "lifecycle");
    assert_eq!(sx(&lifecycle.body.attribute("ignore_changes").unwrap().expr), "[input]");
    let b = &body.blocks[4];
    assert_eq!(b.labels[1].name, "b");
    assert_eq!(sx(&b.body.attribute("depends_on").unwrap().expr), "[terraform_data.a]");
    let provs: Vec<_> = b.body.blocks_of("provisioner").collect();
    assert_eq!(provs.len(), 2);
    assert_eq!(provs[1].labels[0].name, "local-exec");
    assert_eq!(sx(&provs[1].body.attribute("command").unwrap().expr), "\"echo bye\"");

    let module = &body.blocks[5];
    assert_eq!(sx(&module.body.attribute("providers").unwrap().expr), "{google=google.west}");
    let moved = &body.blocks[7];
    assert_eq!(sx(&moved.body.attribute("from").unwrap().expr), "terraform_data.old");

    // Spans point at the keys.
    assert_eq!(text(&src, var.labels[0].span), "\"zones\"");
    assert_eq!(text(&src, body.blocks[2].body.attribute("n").unwrap().name.span), "\"n\"");
    let ExprKind::Template(t) = &body.blocks[2].body.attribute("name").unwrap().expr.kind else { panic!() };
    let TemplatePart::Interp(e) = &t.parts[1] else { panic!() };
    assert_eq!(text(&src, e.span), "var.project");
}

#[test]
fn json_tfvars_are_attributes() {
    let body = json_ok(r#"{"project": "p", "zones": ["a"], "sizes": {"a": 1}}"#);
    assert_eq!(body.attributes.len(), 3);
    assert_eq!(sx(&body.attributes[2].expr), "{<\"a\">=1}");
}

#[test]
fn json_errors_are_located() {
    let cases = [
        (r#"{"a": }"#, "}"),
        (r#"{"a": 1,}"#, "}"),
        (r#"{"a" 1}"#, "1"),
        (r#"{"a": 1"#, ""),
        (r#"{"a": "x"#, "\""),
        (r#"[1]"#, "[1]"),
        (r#"{"a": 1} x"#, "x"),
        ("", ""),
    ];
    for (src, subject) in cases {
        let (_, d) = json::parse(src, F);
        assert!(d.has_errors(), "{src}");
        assert_eq!(text(src, d.iter().next().unwrap().subject.unwrap()), subject, "{src}: {d:#?}");
    }
    let src = r#"{"locals": {"a": "${1 +}"}, "resource": {"x": "y"}}"#;
    let (_, d) = json::parse(src, F);
    assert_eq!(d.len(), 2, "{d:#?}");
    assert_eq!(text(src, d.iter().nth(1).unwrap().subject.unwrap()), "\"y\"");
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let (_, d) = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || json::parse(&deep, F))
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(summaries(&d), ["Nesting too deep"]);
}

/// A longer fuzz run: `FUZZ_ITERS=200000 cargo test --test parser fuzz_long -- --ignored`.
#[test]
#[ignore]
fn fuzz_long() {
    let iters: u64 = std::env::var("FUZZ_ITERS").ok().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let mut state: u64 = 0x2545F4914F6CDD1D;
    let mut rnd = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let pieces: &[&str] = &[
        "a", "b", " ", "\n", "\"", "${", "%{", "}", "~}", "${~", "{", "[", "]", "(", ")", "=", "==", "?", ":", "::",
        ",", ".", ".*", "[*]", "...", "=>", "for", "in", "if", "else", "endif", "endfor", "<<EOT\n", "<<-EOT\n", "EOT\n",
        "  EOT", "1", "0.5", "#", "//", "/*", "*/", "\\", "\\u", "é", "\0", "-", "!", "&&", "true", "null", "x y {", "'",
        "$${", "%%{", "\r\n", "\t", "1e", "provider::", "f(", "\"\\\"",
    ];
    for _ in 0..iters {
        let n = (rnd() % 30) as usize;
        let src: String = (0..n).map(|_| pieces[(rnd() % pieces.len() as u64) as usize]).collect();
        let _ = parser::parse(&src, F);
        let _ = parser::parse_expr(&src, F);
        let _ = parser::parse_template(&src, F, 0);
        let j: String = (0..n).map(|_| ["{", "}", "[", "]", "\"a\"", ":", ",", "1", "\"${x}\"", "\"\\u00e9\"", "é", "null", " "][(rnd() % 13) as usize]).collect();
        let _ = json::parse(&j, F);
    }
}
