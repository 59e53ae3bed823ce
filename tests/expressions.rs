//! Expressions and built-in functions, through cairn's own parser and
//! evaluator, against what Terraform 1.11 answers for the same text
//! (`tests/fixtures/expressions/expected.json`, recorded by its
//! `regenerate.sh` with `terraform console`).

use cairn::diag::FileId;
use cairn::eval::{EmptyScope, Evaluator, FuncContext};
use cairn::syntax::ast::{Expr, ExprKind, Ident};
use cairn::syntax::parser::parse_expr;
use cairn::value::Value;

#[test]
fn every_expression_matches_terraform() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/expressions");
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let cases = std::fs::read_to_string(dir.join("cases.tf")).unwrap();
    let funcs = FuncContext { base_dir: dir.clone(), defer_impure: false };
    // Known differences, each with its reason. Terraform's YAML parser follows
    // YAML 1.1, where a bare `y` is the boolean true; cairn's follows YAML 1.2.
    let known: &[&str] = &["yamldecode(\"a: 1\\nb: [x, y]\")"];
    let mut failures = Vec::new();
    let mut count = 0;
    for line in cases.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
        count += 1;
        if known.contains(&line) {
            continue;
        }
        let want = &expected[line];
        let (expr, diags) = parse_expr(line, FileId(0));
        let Some(expr) = expr.filter(|_| !diags.has_errors()) else {
            failures.push(format!("{line}\n    parse error: {diags:?}"));
            continue;
        };
        let span = expr.span;
        let wrapped = Expr::new(
            ExprKind::Call { name: Ident { name: "jsonencode".into(), span }, args: vec![expr], expand_final: false },
            span,
        );
        let mut ev = Evaluator::new(&EmptyScope, &funcs);
        let got = ev.eval(&wrapped);
        match (got, want.get("json")) {
            (Ok(Value::String(s)), Some(serde_json::Value::String(w))) if &s == w => {}
            (Ok(v), Some(w)) => failures.push(format!("{line}\n    terraform: {w}\n    cairn:     {v:?}")),
            (Err(e), Some(w)) => failures.push(format!("{line}\n    terraform: {w}\n    cairn error: {} {}", e.summary, e.detail)),
            (Ok(v), None) => failures.push(format!("{line}\n    terraform: error\n    cairn: {v:?}")),
            (Err(_), None) => {}
        }
    }
    assert!(count > 100, "the fixture holds the cases");
    assert!(failures.is_empty(), "{} of {count} differ from Terraform:\n{}", failures.len(), failures.join("\n"));
}
