//! Expression evaluation.
//!
//! Owns: evaluating an [`Expr`] to a [`Value`] within a [`Scope`]: operators,
//! templates, `for` expressions, splats, conditionals, `can`/`try`,
//! `templatefile`, function calls (via [`funcs`]), with unknown and sensitive
//! values carried through, and a located [`Diagnostic`] for every failure.
//!
//! Does not own: where referenced values come from (the caller's [`Scope`]),
//! the order in which blocks are evaluated (`config`), or type constraint
//! conversion (`value::convert`).
//!
//! Unknown values: any operator or function over an unknown operand yields an
//! unknown result, except where the result cannot depend on it (`false &&
//! x`, the unchosen branch of a conditional with a known condition).
//! Sensitive marks: an operation whose operands carry the mark gives a marked
//! result.

pub mod funcs;
pub mod refs;
pub mod typeexpr;

use std::collections::BTreeMap;

use crate::diag::{Diagnostic, Span};
use crate::syntax::ast::{BinaryOp, Expr, ExprKind, ForExpr, ObjectKey, Template, TemplatePart, UnaryOp};
use crate::value::{format_number, Type, Value};
pub use funcs::FuncContext;
pub use refs::Reference;

/// Where references get their values.
pub trait Scope {
    /// The value of a reference (`var.x`, `aws_x.y`, `each`, ...). `span`
    /// locates the reference for the diagnostic when it cannot be resolved.
    fn lookup(&self, reference: &Reference, span: Span) -> Result<Value, Diagnostic>;
}

/// A scope with nothing in it: every reference is an error. For constant
/// expressions (defaults, `-var` values).
pub struct EmptyScope;

impl Scope for EmptyScope {
    fn lookup(&self, reference: &Reference, span: Span) -> Result<Value, Diagnostic> {
        Err(Diagnostic::error("Variables not allowed")
            .with_detail(format!("Variables may not be used here (found a reference to {reference})."))
            .with_subject(span))
    }
}

/// Evaluates expressions against a scope. Holds the local bindings of `for`
/// expressions and template `for` directives while inside them.
pub struct Evaluator<'a> {
    scope: &'a dyn Scope,
    funcs: &'a FuncContext,
    locals: Vec<(String, Value)>,
    depth: usize,
}

/// Evaluation deeper than this (through `templatefile` recursion, mostly)
/// is refused rather than risking the stack.
const MAX_DEPTH: usize = 200;

type EvalResult = Result<Value, Diagnostic>;

impl<'a> Evaluator<'a> {
    pub fn new(scope: &'a dyn Scope, funcs: &'a FuncContext) -> Evaluator<'a> {
        Evaluator { scope, funcs, locals: Vec::new(), depth: 0 }
    }

    /// Binds a name for the duration of the evaluator (e.g. `each`-like
    /// iterators of dynamic blocks).
    pub fn bind(&mut self, name: impl Into<String>, value: Value) {
        self.locals.push((name.into(), value));
    }

    /// Removes the most recent [`Evaluator::bind`].
    pub fn unbind(&mut self) {
        self.locals.pop();
    }

    pub fn eval(&mut self, expr: &Expr) -> EvalResult {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.depth -= 1;
            return Err(Diagnostic::error("Expression too deeply nested")
                .with_detail("Evaluation stopped here to protect cairn's stack. Simplify the expression.")
                .with_subject(expr.span));
        }
        let result = self.eval_inner(expr);
        self.depth -= 1;
        result
    }

    fn eval_inner(&mut self, expr: &Expr) -> EvalResult {
        match &expr.kind {
            ExprKind::Null => Ok(Value::Null),
            ExprKind::Bool(b) => Ok(Value::Bool(*b)),
            ExprKind::Number(n) => Ok(Value::Number(*n)),
            ExprKind::Template(t) => self.eval_template_expr(t),
            ExprKind::Variable(_) | ExprKind::GetAttr { .. } | ExprKind::Index { .. } => self.eval_traversal(expr),
            ExprKind::SplatItem => self
                .local("__splat_item")
                .ok_or_else(|| Diagnostic::error("Invalid splat").with_subject(expr.span)),
            ExprKind::Splat { source, each } => self.eval_splat(source, each),
            ExprKind::Tuple(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(self.eval(item)?);
                }
                Ok(Value::Tuple(out))
            }
            ExprKind::Object(items) => {
                let mut out = BTreeMap::new();
                let mut unknown_key = false;
                for item in items {
                    let key = self.object_key(&item.key)?;
                    let value = self.eval(&item.value)?;
                    match key {
                        Some(k) => {
                            out.insert(k, value);
                        }
                        None => unknown_key = true,
                    }
                }
                if unknown_key {
                    return Ok(Value::Unknown(Type::Any));
                }
                Ok(Value::Object(out))
            }
            ExprKind::Call { name, args, expand_final } => self.eval_call(expr, &name.name, name.span, args, *expand_final),
            ExprKind::Conditional { cond, then, otherwise } => self.eval_conditional(cond, then, otherwise),
            ExprKind::Unary { op, expr: inner } => {
                let (v, marked) = self.eval(inner)?.into_unmarked();
                let result = match op {
                    UnaryOp::Neg => match to_number(&v) {
                        Some(Ok(n)) => Value::Number(-n),
                        Some(Err(())) => return Err(operand_error(inner.span, "a number is required")),
                        None => Value::Unknown(Type::Number),
                    },
                    UnaryOp::Not => match to_bool(&v) {
                        Some(Ok(b)) => Value::Bool(!b),
                        Some(Err(())) => return Err(operand_error(inner.span, "a bool is required")),
                        None => Value::Unknown(Type::Bool),
                    },
                };
                Ok(result.mark_if(marked))
            }
            ExprKind::Binary { op, lhs, rhs } => self.eval_binary(*op, lhs, rhs),
            ExprKind::For(fe) => self.eval_for(expr.span, fe),
            ExprKind::Parens(inner) => self.eval(inner),
        }
    }

    fn local(&self, name: &str) -> Option<Value> {
        self.locals.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.clone())
    }

    fn object_key(&mut self, key: &ObjectKey) -> Result<Option<String>, Diagnostic> {
        match key {
            ObjectKey::Ident(i) => Ok(Some(i.name.clone())),
            ObjectKey::Expr(e) => {
                // A parenthesised or bare traversal as key is evaluated;
                // `{ (var.k) = 1 }`.
                let v = self.eval(e)?;
                let (v, _) = v.into_unmarked();
                match v {
                    Value::String(s) => Ok(Some(s)),
                    Value::Number(n) => Ok(Some(format_number(n))),
                    Value::Bool(b) => Ok(Some(b.to_string())),
                    Value::Unknown(_) => Ok(None),
                    Value::Null => Err(Diagnostic::error("Invalid object key")
                        .with_detail("Key expression in object constructor must not be null.")
                        .with_subject(e.span)),
                    other => Err(Diagnostic::error("Incorrect key type")
                        .with_detail(format!("Can't use this value as a key: string required, not {}.", other.type_name()))
                        .with_subject(e.span)),
                }
            }
        }
    }

    /// `root.attr[idx]...`: the longest reference prefix is resolved through
    /// the scope (or a local binding), the remaining steps applied here.
    fn eval_traversal(&mut self, expr: &Expr) -> EvalResult {
        let mut steps: Vec<&Expr> = Vec::new();
        let mut cursor = expr;
        loop {
            match &cursor.kind {
                ExprKind::GetAttr { expr: inner, .. } | ExprKind::Index { expr: inner, .. } => {
                    steps.push(cursor);
                    cursor = inner;
                }
                _ => break,
            }
        }
        steps.reverse();
        // `cursor` is the base; `steps` apply to it in order.
        let (mut value, mut consumed) = match &cursor.kind {
            ExprKind::Variable(root) => {
                if let Some(v) = self.local(root) {
                    (v, 0)
                } else {
                    let attrs: Vec<&str> = steps
                        .iter()
                        .map_while(|s| match &s.kind {
                            ExprKind::GetAttr { name, .. } => Some(name.name.as_str()),
                            _ => None,
                        })
                        .collect();
                    match refs::classify(root, &attrs) {
                        Some((reference, used)) => {
                            let span = if used == 0 { cursor.span } else { cursor.span.to(steps[used - 1].span) };
                            (self.scope.lookup(&reference, span)?, used)
                        }
                        None => {
                            return Err(invalid_reference(root, cursor.span));
                        }
                    }
                }
            }
            _ => (self.eval(cursor)?, 0),
        };
        while consumed < steps.len() {
            let step = steps[consumed];
            value = match &step.kind {
                ExprKind::GetAttr { name, .. } => get_attr(value, &name.name, name.span)?,
                ExprKind::Index { key, .. } => {
                    let k = self.eval(key)?;
                    index(value, k, key.span)?
                }
                _ => value,
            };
            consumed += 1;
        }
        Ok(value)
    }

    fn eval_splat(&mut self, source: &Expr, each: &Expr) -> EvalResult {
        let (src, marked) = self.eval(source)?.into_unmarked();
        let items = match src {
            Value::Unknown(_) => return Ok(Value::Unknown(Type::Any).mark_if(marked)),
            Value::Null => return Ok(Value::Tuple(Vec::new()).mark_if(marked)),
            Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => xs,
            // A splat on a single value treats it as a one-element list.
            other => {
                self.locals.push(("__splat_item".into(), other));
                let r = self.eval(each);
                self.locals.pop();
                return Ok(Value::Tuple(vec![r?]).mark_if(marked));
            }
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            self.locals.push(("__splat_item".into(), item));
            let r = self.eval(each);
            self.locals.pop();
            out.push(r?);
        }
        Ok(Value::Tuple(out).mark_if(marked))
    }

    fn eval_conditional(&mut self, cond: &Expr, then: &Expr, otherwise: &Expr) -> EvalResult {
        let (c, marked) = self.eval(cond)?.into_unmarked();
        let chosen = match c {
            Value::Bool(b) => Some(b),
            Value::Unknown(_) => None,
            Value::String(s) if s == "true" || s == "false" => Some(s == "true"),
            Value::Null => {
                return Err(Diagnostic::error("Null condition")
                    .with_detail("The condition value is null. Conditions must either be true or false.")
                    .with_subject(cond.span))
            }
            other => {
                return Err(Diagnostic::error("Incorrect condition type")
                    .with_detail(format!("The condition expression must be of type bool, not {}.", other.type_name()))
                    .with_subject(cond.span))
            }
        };
        let Some(b) = chosen else {
            // Both branches are evaluated to learn the result type.
            let t = self.eval(then).ok().map(|v| v.type_of()).unwrap_or(Type::Any);
            return Ok(Value::Unknown(t).mark_if(marked));
        };
        let (taken, other) = if b { (then, otherwise) } else { (otherwise, then) };
        let value = self.eval(taken)?;
        // Terraform unifies the two result types: `true ? 1 : "a"` is "1".
        let value = match (value.unmarked(), self.eval(other).ok().map(|v| v.type_of())) {
            (Value::Number(_) | Value::Bool(_), Some(Type::String)) => {
                let (v, m) = value.into_unmarked();
                Value::String(primitive_to_string(&v).unwrap_or_default()).mark_if(m)
            }
            _ => value,
        };
        Ok(value.mark_if(marked))
    }

    fn eval_binary(&mut self, op: BinaryOp, lhs: &Expr, rhs: &Expr) -> EvalResult {
        let (l, lm) = self.eval(lhs)?.into_unmarked();
        // `&&` and `||` short-circuit on a known left operand.
        match (op, &l) {
            (BinaryOp::And, Value::Bool(false)) => return Ok(Value::Bool(false).mark_if(lm)),
            (BinaryOp::Or, Value::Bool(true)) => return Ok(Value::Bool(true).mark_if(lm)),
            _ => {}
        }
        let (r, rm) = self.eval(rhs)?.into_unmarked();
        let marked = lm || rm;
        let result = match op {
            BinaryOp::Eq | BinaryOp::NotEq => {
                if !l.is_wholly_known() || !r.is_wholly_known() {
                    Value::Unknown(Type::Bool)
                } else {
                    let eq = l.equals(&r);
                    Value::Bool(if op == BinaryOp::Eq { eq } else { !eq })
                }
            }
            BinaryOp::And | BinaryOp::Or => {
                let a = to_bool(&l);
                let b = to_bool(&r);
                match (a, b) {
                    (Some(Err(())), _) => return Err(operand_error(lhs.span, "a bool is required")),
                    (_, Some(Err(()))) => return Err(operand_error(rhs.span, "a bool is required")),
                    (Some(Ok(a)), Some(Ok(b))) => Value::Bool(if op == BinaryOp::And { a && b } else { a || b }),
                    _ => Value::Unknown(Type::Bool),
                }
            }
            _ => {
                let a = to_number(&l);
                let b = to_number(&r);
                let (a, b) = match (a, b) {
                    (Some(Err(())), _) => return Err(operand_error(lhs.span, "a number is required")),
                    (_, Some(Err(()))) => return Err(operand_error(rhs.span, "a number is required")),
                    (Some(Ok(a)), Some(Ok(b))) => (a, b),
                    _ => {
                        let t = if matches!(op, BinaryOp::Lt | BinaryOp::Gt | BinaryOp::LtEq | BinaryOp::GtEq) {
                            Type::Bool
                        } else {
                            Type::Number
                        };
                        return Ok(Value::Unknown(t).mark_if(marked));
                    }
                };
                match op {
                    BinaryOp::Add => Value::Number(a + b),
                    BinaryOp::Sub => Value::Number(a - b),
                    BinaryOp::Mul => Value::Number(a * b),
                    BinaryOp::Div => {
                        if b == 0.0 {
                            return Err(Diagnostic::error("Error in function call")
                                .with_detail("Call to function \"divide\" failed: can't divide by zero.")
                                .with_subject(lhs.span.to(rhs.span)));
                        }
                        Value::Number(a / b)
                    }
                    BinaryOp::Mod => {
                        if b == 0.0 {
                            return Err(Diagnostic::error("Error in function call")
                                .with_detail("Call to function \"modulo\" failed: can't use modulo by zero.")
                                .with_subject(lhs.span.to(rhs.span)));
                        }
                        Value::Number(a % b)
                    }
                    BinaryOp::Lt => Value::Bool(a < b),
                    BinaryOp::Gt => Value::Bool(a > b),
                    BinaryOp::LtEq => Value::Bool(a <= b),
                    BinaryOp::GtEq => Value::Bool(a >= b),
                    _ => Value::Unknown(Type::Any),
                }
            }
        };
        Ok(result.mark_if(marked))
    }

    fn eval_for(&mut self, span: Span, fe: &ForExpr) -> EvalResult {
        let (coll, marked) = self.eval(&fe.collection)?.into_unmarked();
        let pairs: Vec<(Value, Value)> = match coll {
            Value::Unknown(_) => return Ok(Value::Unknown(Type::Any).mark_if(marked)),
            Value::Null => {
                return Err(Diagnostic::error("Iteration over null value")
                    .with_detail("A null value cannot be used as the collection in a 'for' expression.")
                    .with_subject(fe.collection.span))
            }
            Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => {
                xs.into_iter().enumerate().map(|(i, v)| (Value::Number(i as f64), v)).collect()
            }
            Value::Map(m) | Value::Object(m) => m.into_iter().map(|(k, v)| (Value::String(k), v)).collect(),
            other => {
                return Err(Diagnostic::error("Iteration over non-iterable value")
                    .with_detail(format!(
                        "A value of type {} cannot be used as the collection in a 'for' expression.",
                        other.type_name()
                    ))
                    .with_subject(fe.collection.span))
            }
        };
        let mut tuple = Vec::new();
        let mut object: BTreeMap<String, Value> = BTreeMap::new();
        let mut groups: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        let mut unknown = false;
        for (k, v) in pairs {
            let before = self.locals.len();
            if let Some(kv) = &fe.key_var {
                self.locals.push((kv.name.clone(), k));
            }
            self.locals.push((fe.value_var.name.clone(), v));
            let r = self.for_item(fe, &mut tuple, &mut object, &mut groups, &mut unknown);
            self.locals.truncate(before);
            r?;
        }
        if unknown {
            return Ok(Value::Unknown(Type::Any).mark_if(marked));
        }
        let result = if fe.key_expr.is_some() {
            if fe.grouping {
                Value::Object(groups.into_iter().map(|(k, vs)| (k, Value::Tuple(vs))).collect())
            } else {
                Value::Object(object)
            }
        } else {
            Value::Tuple(tuple)
        };
        let _ = span;
        Ok(result.mark_if(marked))
    }

    fn for_item(
        &mut self,
        fe: &ForExpr,
        tuple: &mut Vec<Value>,
        object: &mut BTreeMap<String, Value>,
        groups: &mut BTreeMap<String, Vec<Value>>,
        unknown: &mut bool,
    ) -> Result<(), Diagnostic> {
        if let Some(cond) = &fe.cond {
            let (c, _) = self.eval(cond)?.into_unmarked();
            match c {
                Value::Bool(false) => return Ok(()),
                Value::Bool(true) => {}
                Value::Unknown(_) => {
                    *unknown = true;
                    return Ok(());
                }
                other => {
                    return Err(Diagnostic::error("Invalid 'for' condition")
                        .with_detail(format!("The 'if' clause value is invalid: bool required, not {}.", other.type_name()))
                        .with_subject(cond.span))
                }
            }
        }
        let value = self.eval(&fe.value_expr)?;
        match &fe.key_expr {
            None => tuple.push(value),
            Some(key_expr) => {
                let (k, _) = self.eval(key_expr)?.into_unmarked();
                let key = match k {
                    Value::Unknown(_) => {
                        *unknown = true;
                        return Ok(());
                    }
                    Value::Null => {
                        return Err(Diagnostic::error("Invalid object key")
                            .with_detail("Key expression in 'for' expression must not produce a null value.")
                            .with_subject(key_expr.span))
                    }
                    other => primitive_to_string(&other).ok_or_else(|| {
                        Diagnostic::error("Invalid object key")
                            .with_detail(format!(
                                "The key expression produced an invalid result: string required, not {}.",
                                other.type_name()
                            ))
                            .with_subject(key_expr.span)
                    })?,
                };
                if fe.grouping {
                    groups.entry(key).or_default().push(value);
                } else if object.contains_key(&key) {
                    return Err(Diagnostic::error("Duplicate object key")
                        .with_detail(format!(
                            "Two different items produced the key {key:?} in this 'for' expression. If duplicates are expected, use the ellipsis (...) after the value expression to enable grouping by key."
                        ))
                        .with_subject(key_expr.span));
                } else {
                    object.insert(key, value);
                }
            }
        }
        Ok(())
    }

    fn eval_template_expr(&mut self, t: &Template) -> EvalResult {
        // A template that is exactly one interpolation yields the value itself
        // (`"${var.list}"` is the list), as Terraform does.
        if let [TemplatePart::Interp(e)] = t.parts.as_slice() {
            if !t.heredoc {
                return self.eval(e);
            }
        }
        let mut out = String::new();
        let mut marked = false;
        let mut unknown = false;
        self.render_template(t, &mut out, &mut marked, &mut unknown)?;
        let v = if unknown { Value::Unknown(Type::String) } else { Value::String(out) };
        Ok(v.mark_if(marked))
    }

    fn render_template(&mut self, t: &Template, out: &mut String, marked: &mut bool, unknown: &mut bool) -> Result<(), Diagnostic> {
        for part in &t.parts {
            match part {
                TemplatePart::Literal(s) => out.push_str(s),
                TemplatePart::Interp(e) => {
                    let (v, m) = self.eval(e)?.into_unmarked();
                    *marked |= m;
                    match v {
                        Value::Unknown(_) => *unknown = true,
                        Value::Null => {
                            return Err(Diagnostic::error("Invalid template interpolation value")
                                .with_detail("The expression result is null. Cannot include a null value in a string template.")
                                .with_subject(e.span))
                        }
                        other => match primitive_to_string(&other) {
                            Some(s) => out.push_str(&s),
                            None => {
                                return Err(Diagnostic::error("Invalid template interpolation value")
                                    .with_detail(format!(
                                        "Cannot include the given value in a string template: string required, not {}.",
                                        other.type_name()
                                    ))
                                    .with_subject(e.span))
                            }
                        },
                    }
                }
                TemplatePart::If { cond, then, otherwise } => {
                    let (c, m) = self.eval(cond)?.into_unmarked();
                    *marked |= m;
                    match c {
                        Value::Bool(true) => self.render_template(then, out, marked, unknown)?,
                        Value::Bool(false) => {
                            if let Some(o) = otherwise {
                                self.render_template(o, out, marked, unknown)?;
                            }
                        }
                        Value::Unknown(_) => *unknown = true,
                        other => {
                            return Err(Diagnostic::error("Invalid template if directive")
                                .with_detail(format!("The condition must be of type bool, not {}.", other.type_name()))
                                .with_subject(cond.span))
                        }
                    }
                }
                TemplatePart::For { key_var, value_var, collection, body } => {
                    let (c, m) = self.eval(collection)?.into_unmarked();
                    *marked |= m;
                    let pairs: Vec<(Value, Value)> = match c {
                        Value::Unknown(_) => {
                            *unknown = true;
                            continue;
                        }
                        Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => {
                            xs.into_iter().enumerate().map(|(i, v)| (Value::Number(i as f64), v)).collect()
                        }
                        Value::Map(m) | Value::Object(m) => m.into_iter().map(|(k, v)| (Value::String(k), v)).collect(),
                        other => {
                            return Err(Diagnostic::error("Invalid template for directive")
                                .with_detail(format!("A value of type {} cannot be iterated.", other.type_name()))
                                .with_subject(collection.span))
                        }
                    };
                    for (k, v) in pairs {
                        let before = self.locals.len();
                        if let Some(kv) = key_var {
                            self.locals.push((kv.name.clone(), k));
                        }
                        self.locals.push((value_var.name.clone(), v));
                        let r = self.render_template(body, out, marked, unknown);
                        self.locals.truncate(before);
                        r?;
                    }
                }
            }
        }
        Ok(())
    }

    fn eval_call(&mut self, call: &Expr, name: &str, name_span: Span, args: &[Expr], expand_final: bool) -> EvalResult {
        match name {
            "can" => return self.eval_can(call, args),
            "try" => return self.eval_try(call, args),
            "templatefile" => return self.eval_templatefile(call, args),
            _ => {}
        }
        if !funcs::exists(name) {
            return Err(Diagnostic::error("Call to unknown function")
                .with_detail(format!("There is no function named \"{name}\"."))
                .with_subject(name_span));
        }
        let mut values = Vec::with_capacity(args.len());
        for a in args {
            values.push(self.eval(a)?);
        }
        if expand_final {
            let last = values.pop().unwrap_or(Value::Null);
            let (last, m) = last.into_unmarked();
            match last {
                Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => values.extend(xs.into_iter().map(|x| x.mark_if(m))),
                Value::Unknown(_) => return Ok(Value::Unknown(Type::Any)),
                other => {
                    return Err(Diagnostic::error("Invalid expanding argument value")
                        .with_detail(format!("The expanding argument (indicated by ...) must be of a tuple, list, or set type, not {}.", other.type_name()))
                        .with_subject(args.last().map(|a| a.span).unwrap_or(call.span)))
                }
            }
        }
        funcs::call(name, values, self.funcs).map_err(|e| {
            let subject = e.arg.and_then(|i| args.get(i.min(args.len().saturating_sub(1)))).map(|a| a.span).unwrap_or(call.span);
            let summary = if e.arg.is_some() { "Invalid function argument" } else { "Error in function call" };
            Diagnostic::error(summary)
                .with_detail(format!("Call to function \"{name}\" failed: {}", e.message))
                .with_subject(subject)
        })
    }

    fn eval_can(&mut self, call: &Expr, args: &[Expr]) -> EvalResult {
        let [arg] = args else {
            return Err(arity_error(call, "can", 1, args.len()));
        };
        Ok(match self.eval(arg) {
            Ok(v) if !v.is_wholly_known() => Value::Unknown(Type::Bool),
            Ok(_) => Value::Bool(true),
            Err(_) => Value::Bool(false),
        })
    }

    fn eval_try(&mut self, call: &Expr, args: &[Expr]) -> EvalResult {
        if args.is_empty() {
            return Err(Diagnostic::error("Missing function argument")
                .with_detail("The try function requires at least one argument.")
                .with_subject(call.span));
        }
        let mut last_err = None;
        for a in args {
            match self.eval(a) {
                Ok(v) if !v.is_wholly_known() => return Ok(Value::Unknown(Type::Any)),
                Ok(v) => return Ok(v),
                Err(e) => last_err = Some(e),
            }
        }
        Err(Diagnostic::error("Error in function call")
            .with_detail(format!(
                "Call to function \"try\" failed: no expression succeeded:\n- {}",
                last_err.map(|e| e.detail).unwrap_or_default()
            ))
            .with_subject(call.span))
    }

    fn eval_templatefile(&mut self, call: &Expr, args: &[Expr]) -> EvalResult {
        let [path_expr, vars_expr] = args else {
            return Err(arity_error(call, "templatefile", 2, args.len()));
        };
        let (path, pm) = self.eval(path_expr)?.into_unmarked();
        let (vars, vm) = self.eval(vars_expr)?.into_unmarked();
        let path = match path {
            Value::String(s) => s,
            Value::Unknown(_) => return Ok(Value::Unknown(Type::String)),
            other => {
                return Err(Diagnostic::error("Invalid function argument")
                    .with_detail(format!("Invalid value for \"path\" parameter: string required, not {}.", other.type_name()))
                    .with_subject(path_expr.span))
            }
        };
        let vars = match vars {
            Value::Map(m) | Value::Object(m) => m,
            Value::Unknown(_) => return Ok(Value::Unknown(Type::String)),
            other => {
                return Err(Diagnostic::error("Invalid function argument")
                    .with_detail(format!("Invalid value for \"vars\" parameter: map or object required, not {}.", other.type_name()))
                    .with_subject(vars_expr.span))
            }
        };
        let full = self.funcs.base_dir.join(&path);
        let text = std::fs::read_to_string(&full).map_err(|e| {
            Diagnostic::error("Invalid function argument")
                .with_detail(format!("Invalid value for \"path\" parameter: no file exists at {path:?} ({e})."))
                .with_subject(path_expr.span)
        })?;
        let (template, diags) = crate::syntax::parser::parse_template(&text, call.span.file, 0);
        if let Some(d) = diags.into_iter().find(|d| d.is_error()) {
            return Err(Diagnostic::error("Error in function call")
                .with_detail(format!("Call to function \"templatefile\" failed: {path}: {}: {}", d.summary, d.detail))
                .with_subject(call.span));
        }
        // The template sees only `vars` (and functions), never the caller's scope.
        let mut inner = Evaluator::new(&EmptyScope, self.funcs);
        inner.depth = self.depth + 1;
        for (k, v) in vars {
            inner.locals.push((k, v));
        }
        let mut out = String::new();
        let (mut marked, mut unknown) = (pm || vm, false);
        inner.render_template(&template, &mut out, &mut marked, &mut unknown).map_err(|d| {
            Diagnostic::error("Error in function call")
                .with_detail(format!("Call to function \"templatefile\" failed: {path}: {}: {}", d.summary, d.detail))
                .with_subject(call.span)
        })?;
        let v = if unknown { Value::Unknown(Type::String) } else { Value::String(out) };
        Ok(v.mark_if(marked))
    }
}

fn arity_error(call: &Expr, name: &str, want: usize, got: usize) -> Diagnostic {
    let summary = if got < want { "Not enough function arguments" } else { "Too many function arguments" };
    Diagnostic::error(summary)
        .with_detail(format!("Function \"{name}\" expects {want} argument(s), but {got} were given."))
        .with_subject(call.span)
}

fn invalid_reference(root: &str, span: Span) -> Diagnostic {
    let detail = match root {
        "var" | "local" | "module" | "path" | "terraform" => {
            format!("The \"{root}\" object cannot be accessed directly. Instead, access one of its attributes.")
        }
        "data" => "The \"data\" object must be followed by two attribute names: the data source type and the resource name.".into(),
        _ => format!(
            "A reference to a resource type must be followed by at least one attribute access, specifying the resource name (found \"{root}\")."
        ),
    };
    Diagnostic::error("Invalid reference").with_detail(detail).with_subject(span)
}

fn operand_error(span: Span, what: &str) -> Diagnostic {
    Diagnostic::error("Invalid operand").with_detail(format!("Unsuitable value for operand: {what}.")).with_subject(span)
}

/// Number from a number or numeric string; `None` when unknown.
fn to_number(v: &Value) -> Option<Result<f64, ()>> {
    match v.unmarked() {
        Value::Number(n) => Some(Ok(*n)),
        Value::String(s) => Some(s.trim().parse::<f64>().map_err(|_| ()).and_then(|n| if n.is_finite() { Ok(n) } else { Err(()) })),
        Value::Unknown(_) => None,
        _ => Some(Err(())),
    }
}

fn to_bool(v: &Value) -> Option<Result<bool, ()>> {
    match v.unmarked() {
        Value::Bool(b) => Some(Ok(*b)),
        Value::String(s) if s == "true" => Some(Ok(true)),
        Value::String(s) if s == "false" => Some(Ok(false)),
        Value::Unknown(_) => None,
        _ => Some(Err(())),
    }
}

/// The string form of a primitive, as templates and conversions produce it.
pub fn primitive_to_string(v: &Value) -> Option<String> {
    match v.unmarked() {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(format_number(*n)),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `value.name`
pub fn get_attr(value: Value, name: &str, span: Span) -> EvalResult {
    let (value, marked) = value.into_unmarked();
    let result = match value {
        Value::Object(mut m) => match m.remove(name) {
            Some(v) => v,
            None => {
                return Err(Diagnostic::error("Unsupported attribute")
                    .with_detail(format!("This object does not have an attribute named \"{name}\"."))
                    .with_subject(span))
            }
        },
        Value::Map(mut m) => match m.remove(name) {
            Some(v) => v,
            None => {
                return Err(Diagnostic::error("Missing map element")
                    .with_detail(format!("This map does not have an element with the key \"{name}\"."))
                    .with_subject(span))
            }
        },
        Value::Unknown(_) => Value::Unknown(Type::Any),
        Value::Null => {
            return Err(Diagnostic::error("Attempt to get attribute from null value")
                .with_detail("This value is null, so it does not have any attributes.")
                .with_subject(span))
        }
        Value::List(_) | Value::Tuple(_) | Value::Set(_) => {
            return Err(Diagnostic::error("Unsupported attribute")
                .with_detail(format!(
                    "Can't access attributes on a list of objects. Did you mean to access attribute \"{name}\" for a specific element of the list, or across all elements of the list?"
                ))
                .with_subject(span))
        }
        other => {
            return Err(Diagnostic::error("Unsupported attribute")
                .with_detail(format!("Can't access attributes on a primitive-typed value ({}).", other.type_name()))
                .with_subject(span))
        }
    };
    Ok(result.mark_if(marked))
}

/// `value[key]`
pub fn index(value: Value, key: Value, span: Span) -> EvalResult {
    let (value, vm) = value.into_unmarked();
    let (key, km) = key.into_unmarked();
    let marked = vm || km;
    if let Value::Unknown(_) = key {
        return Ok(Value::Unknown(Type::Any).mark_if(marked));
    }
    let result = match value {
        Value::List(xs) | Value::Tuple(xs) => {
            let i = match &key {
                Value::Number(n) => Some(*n),
                Value::String(s) => s.parse::<f64>().ok(),
                _ => None,
            };
            let Some(i) = i else {
                return Err(Diagnostic::error("Invalid index")
                    .with_detail(format!("The given key does not identify an element in this collection value: a number is required, not {}.", key.type_name()))
                    .with_subject(span));
            };
            if i.fract() != 0.0 || i < 0.0 || i as usize >= xs.len() {
                return Err(Diagnostic::error("Invalid index")
                    .with_detail(if i < 0.0 {
                        "The given key does not identify an element in this collection value: a negative number is not a valid index for a sequence.".to_string()
                    } else {
                        "The given key does not identify an element in this collection value: the collection has no element for the given index.".to_string()
                    })
                    .with_subject(span));
            }
            xs.into_iter().nth(i as usize).unwrap_or(Value::Null)
        }
        Value::Map(mut m) | Value::Object(mut m) => {
            let Some(k) = primitive_to_string(&key) else {
                return Err(Diagnostic::error("Invalid index")
                    .with_detail(format!("The given key does not identify an element in this collection value: string required, not {}.", key.type_name()))
                    .with_subject(span));
            };
            match m.remove(&k) {
                Some(v) => v,
                None => {
                    return Err(Diagnostic::error("Invalid index")
                        .with_detail(format!("The given key does not identify an element in this collection value: the key {k:?} does not exist."))
                        .with_subject(span))
                }
            }
        }
        Value::Unknown(_) => Value::Unknown(Type::Any),
        Value::Null => {
            return Err(Diagnostic::error("Attempt to index null value")
                .with_detail("This value is null, so it does not have any indices.")
                .with_subject(span))
        }
        Value::Set(_) => {
            return Err(Diagnostic::error("Invalid index")
                .with_detail("Elements of a set are identified only by their value and don't have any separate index or key to select with, so it's only possible to perform operations across all elements of the set.")
                .with_subject(span))
        }
        other => {
            return Err(Diagnostic::error("Invalid index")
                .with_detail(format!("This value does not have any indices ({}).", other.type_name()))
                .with_subject(span))
        }
    };
    Ok(result.mark_if(marked))
}
