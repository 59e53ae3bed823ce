//! References: which named objects an expression reads.
//!
//! Owns: recognising the reference at the head of a traversal
//! (`var.region`, `local.names`, `google_storage_bucket.logs`,
//! `data.google_project.this`, `module.net`, `each.value`, `count.index`,
//! `path.module`, `terraform.workspace`, `self`) and collecting every
//! reference of an expression, with `for`-expression and template-`for`
//! variables shadowing resource names as Terraform does.
//!
//! Does not own: resolving references to values (a [`Scope`](super::Scope)
//! does that) or graph edges (`graph` turns references into edges).

use crate::diag::Span;
use crate::syntax::ast::{Expr, ExprKind, Template, TemplatePart};

/// The named object at the head of a traversal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reference {
    Var(String),
    Local(String),
    /// A managed resource: `type.name`.
    Resource { type_name: String, name: String },
    /// A data resource: `data.type.name`.
    Data { type_name: String, name: String },
    /// A module call: `module.name`.
    Module(String),
    /// `each.key` / `each.value` (the whole `each` object).
    Each,
    /// `count.index`
    Count,
    /// `path.module`, `path.root`, `path.cwd`
    Path(String),
    /// `terraform.workspace`
    Terraform(String),
    /// `self` inside provisioners and conditions.
    SelfRef,
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reference::Var(n) => write!(f, "var.{n}"),
            Reference::Local(n) => write!(f, "local.{n}"),
            Reference::Resource { type_name, name } => write!(f, "{type_name}.{name}"),
            Reference::Data { type_name, name } => write!(f, "data.{type_name}.{name}"),
            Reference::Module(n) => write!(f, "module.{n}"),
            Reference::Each => write!(f, "each"),
            Reference::Count => write!(f, "count"),
            Reference::Path(n) => write!(f, "path.{n}"),
            Reference::Terraform(n) => write!(f, "terraform.{n}"),
            Reference::SelfRef => write!(f, "self"),
        }
    }
}

/// A reference found in an expression, with the span of the part that names
/// it and the expression node where the rest of the traversal continues.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundRef {
    pub reference: Reference,
    pub span: Span,
}

/// Splits a traversal chain into its root name and the attribute names that
/// follow directly (`a.b.c` -> `("a", [b, c])`), stopping at the first index
/// or non-attribute step. Returns `None` for expressions that do not start
/// at a root variable.
fn chain(expr: &Expr) -> Option<(&str, Vec<(&str, Span)>)> {
    match &expr.kind {
        ExprKind::Variable(name) => Some((name, Vec::new())),
        ExprKind::GetAttr { expr: inner, name } => {
            let (root, mut attrs) = chain(inner)?;
            attrs.push((&name.name, name.span));
            Some((root, attrs))
        }
        ExprKind::Index { expr: inner, .. } => {
            // An index ends the named part but the root is still referenced.
            let (root, attrs) = chain(inner)?;
            Some((root, attrs))
        }
        _ => None,
    }
}

/// The reference `expr` starts with, if `expr` is a traversal from a root
/// name (and that name is not shadowed by a local iteration variable).
///
/// Returns the reference and how many attribute steps it consumed (so the
/// evaluator can apply the remaining steps to the referenced value).
pub fn classify(root: &str, attrs: &[&str]) -> Option<(Reference, usize)> {
    let first = attrs.first().copied();
    let second = attrs.get(1).copied();
    Some(match root {
        "var" => (Reference::Var(first?.to_string()), 1),
        "local" => (Reference::Local(first?.to_string()), 1),
        "module" => (Reference::Module(first?.to_string()), 1),
        "data" => (Reference::Data { type_name: first?.to_string(), name: second?.to_string() }, 2),
        "each" => (Reference::Each, 0),
        "count" => (Reference::Count, 0),
        "path" => (Reference::Path(first?.to_string()), 1),
        "terraform" => (Reference::Terraform(first?.to_string()), 1),
        "self" => (Reference::SelfRef, 0),
        _ => (Reference::Resource { type_name: root.to_string(), name: first?.to_string() }, 1),
    })
}

/// Every reference in `expr`, in source order. `bound` names are local
/// iteration variables already in scope (they shadow roots).
pub fn references(expr: &Expr) -> Vec<FoundRef> {
    let mut out = Vec::new();
    let mut bound = Vec::new();
    collect(expr, &mut bound, &mut out);
    out
}

fn collect(expr: &Expr, bound: &mut Vec<String>, out: &mut Vec<FoundRef>) {
    match &expr.kind {
        ExprKind::Variable(_) | ExprKind::GetAttr { .. } | ExprKind::Index { .. } => {
            if let Some((root, attrs)) = chain(expr) {
                if !bound.iter().any(|b| b == root) {
                    let names: Vec<&str> = attrs.iter().map(|(n, _)| *n).collect();
                    if let Some((reference, used)) = classify(root, &names) {
                        let end = if used == 0 { root_span(expr) } else { attrs[used - 1].1 };
                        out.push(FoundRef { reference, span: root_span(expr).to(end) });
                    }
                }
            }
            // Index keys may hold references of their own.
            walk_index_keys(expr, bound, out);
        }
        ExprKind::Null | ExprKind::Bool(_) | ExprKind::Number(_) | ExprKind::SplatItem => {}
        ExprKind::Template(t) => collect_template(t, bound, out),
        ExprKind::Splat { source, each } => {
            collect(source, bound, out);
            walk_index_keys(each, bound, out);
        }
        ExprKind::Tuple(items) => items.iter().for_each(|e| collect(e, bound, out)),
        ExprKind::Object(items) => {
            for item in items {
                if let crate::syntax::ast::ObjectKey::Expr(k) = &item.key {
                    collect(k, bound, out);
                }
                collect(&item.value, bound, out);
            }
        }
        ExprKind::Call { args, .. } => args.iter().for_each(|e| collect(e, bound, out)),
        ExprKind::Conditional { cond, then, otherwise } => {
            collect(cond, bound, out);
            collect(then, bound, out);
            collect(otherwise, bound, out);
        }
        ExprKind::Unary { expr, .. } => collect(expr, bound, out),
        ExprKind::Binary { lhs, rhs, .. } => {
            collect(lhs, bound, out);
            collect(rhs, bound, out);
        }
        ExprKind::For(fe) => {
            collect(&fe.collection, bound, out);
            let before = bound.len();
            if let Some(k) = &fe.key_var {
                bound.push(k.name.clone());
            }
            bound.push(fe.value_var.name.clone());
            if let Some(k) = &fe.key_expr {
                collect(k, bound, out);
            }
            collect(&fe.value_expr, bound, out);
            if let Some(c) = &fe.cond {
                collect(c, bound, out);
            }
            bound.truncate(before);
        }
        ExprKind::Parens(e) => collect(e, bound, out),
    }
}

fn walk_index_keys(expr: &Expr, bound: &mut Vec<String>, out: &mut Vec<FoundRef>) {
    match &expr.kind {
        ExprKind::GetAttr { expr, .. } => walk_index_keys(expr, bound, out),
        ExprKind::Index { expr, key } => {
            walk_index_keys(expr, bound, out);
            collect(key, bound, out);
        }
        ExprKind::Variable(_) | ExprKind::SplatItem => {}
        ExprKind::Splat { .. } => collect(expr, bound, out),
        _ => collect(expr, bound, out),
    }
}

fn root_span(expr: &Expr) -> Span {
    match &expr.kind {
        ExprKind::GetAttr { expr, .. } | ExprKind::Index { expr, .. } => root_span(expr),
        _ => expr.span,
    }
}

fn collect_template(t: &Template, bound: &mut Vec<String>, out: &mut Vec<FoundRef>) {
    for part in &t.parts {
        match part {
            TemplatePart::Literal(_) => {}
            TemplatePart::Interp(e) => collect(e, bound, out),
            TemplatePart::If { cond, then, otherwise } => {
                collect(cond, bound, out);
                collect_template(then, bound, out);
                if let Some(o) = otherwise {
                    collect_template(o, bound, out);
                }
            }
            TemplatePart::For { key_var, value_var, collection, body } => {
                collect(collection, bound, out);
                let before = bound.len();
                if let Some(k) = key_var {
                    bound.push(k.name.clone());
                }
                bound.push(value_var.name.clone());
                collect_template(body, bound, out);
                bound.truncate(before);
            }
        }
    }
}
