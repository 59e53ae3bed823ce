//! Type constraint expressions: `string`, `list(object({a = optional(number, 1)}))`, `any`.
//!
//! Owns: turning the expression of a variable's `type` (or an `optional()`
//! default) into a [`Type`]. Does not own: converting values (`value::convert`).
//!
//! Accepted, as Terraform 1.11 does: `string number bool any`, `list(T)`,
//! `set(T)`, `map(T)`, `tuple([T, ...])`, `object({name = T, ...})`,
//! `optional(T)` and `optional(T, default)` directly as an object attribute's
//! type, and the legacy bare keywords `list` and `map` (meaning `list(any)`
//! and `map(any)`). The quoted 0.11 forms (`"string"`, `"list"`, `"map"`)
//! are errors naming the modern spelling.
//!
//! An `optional()` default is a constant expression: literals, tuples,
//! objects, templates, operators and conditionals over constants. It is
//! converted to the attribute's type here, so a bad default is reported
//! where it is written.

use std::collections::BTreeMap;

use crate::diag::{Diagnostic, Span};
use crate::syntax::ast::{BinaryOp, Expr, ExprKind, ObjectKey, TemplatePart, UnaryOp};
use crate::value::{convert, ObjectAttr, Type, Value};

const INVALID: &str = "Invalid type specification";

fn invalid(span: Span, detail: impl Into<String>) -> Diagnostic {
    Diagnostic::error(INVALID).with_detail(detail).with_subject(span)
}

/// Parses a type constraint expression.
pub fn parse_type(expr: &Expr) -> Result<Type, Diagnostic> {
    match &expr.kind {
        ExprKind::Template(t) if !t.heredoc && t.as_literal().is_some() => {
            Err(quoted_type(t.as_literal().unwrap_or_default(), expr.span))
        }
        _ => parse(expr, false),
    }
}

/// Terraform 1.11's errors for the 0.11 quoted forms.
fn quoted_type(text: &str, span: Span) -> Diagnostic {
    const PREFIX: &str = "Terraform 0.11 and earlier required type constraints to be given in quotes, but that form is now deprecated and will be removed in a future version of Terraform.";
    let detail = match text {
        "string" => format!("{PREFIX} Remove the quotes around \"string\"."),
        "list" => format!(
            "{PREFIX} Remove the quotes around \"list\" and write list(string) instead to explicitly indicate that the list elements are strings."
        ),
        "map" => format!(
            "{PREFIX} Remove the quotes around \"map\" and write map(string) instead to explicitly indicate that the map elements are strings."
        ),
        _ => {
            return Diagnostic::error("Invalid legacy variable type hint")
                .with_detail(
                    "To provide a full type expression, remove the surrounding quotes and give the type expression directly.",
                )
                .with_subject(span)
        }
    };
    Diagnostic::error("Invalid quoted type constraints").with_detail(detail).with_subject(span)
}

fn optional_misplaced(span: Span) -> Diagnostic {
    invalid(span, "Keyword \"optional\" is valid only as a modifier for object type attributes.")
}

fn collection_args(kw: &str) -> String {
    match kw {
        "tuple" => "The tuple type constructor requires one argument specifying the element types as a list.".into(),
        "object" => {
            "The object type constructor requires one argument specifying the attribute types and values as a map."
                .into()
        }
        kw => format!("The {kw} type constructor requires one argument specifying the element type."),
    }
}

/// `nested` is false only for the root expression (where bare `list`/`map` are allowed).
fn parse(expr: &Expr, nested: bool) -> Result<Type, Diagnostic> {
    match &expr.kind {
        ExprKind::Variable(name) => match name.as_str() {
            "string" => Ok(Type::String),
            "number" => Ok(Type::Number),
            "bool" => Ok(Type::Bool),
            "any" => Ok(Type::Any),
            // Terraform still reads the bare 0.11 keywords.
            "list" if !nested => Ok(Type::List(Box::new(Type::Any))),
            "map" if !nested => Ok(Type::Map(Box::new(Type::Any))),
            "list" | "map" | "set" | "tuple" | "object" => Err(invalid(expr.span, collection_args(name))),
            "optional" => Err(optional_misplaced(expr.span)),
            other => Err(invalid(expr.span, format!("The keyword \"{other}\" is not a valid type specification."))),
        },
        ExprKind::Call { name, args, .. } => {
            let kw = name.name.as_str();
            match kw {
                "string" | "number" | "bool" => {
                    Err(invalid(expr.span, format!("Primitive type keyword \"{kw}\" does not expect arguments.")))
                }
                "any" => Err(invalid(expr.span, "Type constraint keyword \"any\" does not expect arguments.")),
                "list" | "set" | "map" => {
                    let [arg] = args.as_slice() else {
                        return Err(invalid(expr.span, collection_args(kw)));
                    };
                    let et = Box::new(parse(arg, true)?);
                    Ok(match kw {
                        "list" => Type::List(et),
                        "set" => Type::Set(et),
                        _ => Type::Map(et),
                    })
                }
                "tuple" => {
                    let [arg] = args.as_slice() else {
                        return Err(invalid(expr.span, collection_args(kw)));
                    };
                    let ExprKind::Tuple(items) = &arg.kind else {
                        return Err(invalid(arg.span, "Tuple type constructor requires a list of element types."));
                    };
                    items.iter().map(|e| parse(e, true)).collect::<Result<Vec<_>, _>>().map(Type::Tuple)
                }
                "object" => {
                    let [arg] = args.as_slice() else {
                        return Err(invalid(expr.span, collection_args(kw)));
                    };
                    parse_object(arg)
                }
                "optional" => Err(optional_misplaced(expr.span)),
                other => Err(invalid(name.span, format!("Keyword \"{other}\" is not a valid type constructor."))),
            }
        }
        _ => Err(invalid(
            expr.span,
            "A type specification is either a primitive type keyword (bool, number, string) or a complex type constructor call, like list(string).",
        )),
    }
}

fn parse_object(arg: &Expr) -> Result<Type, Diagnostic> {
    let ExprKind::Object(items) = &arg.kind else {
        return Err(invalid(
            arg.span,
            "Object type constructor requires a map whose keys are attribute names and whose values are the corresponding attribute types.",
        ));
    };
    let mut attrs = BTreeMap::new();
    for item in items {
        let name = match &item.key {
            ObjectKey::Ident(id) => id.name.clone(),
            ObjectKey::Expr(e) => match &e.kind {
                // A bare name the parser kept as an expression.
                ExprKind::Variable(n) => n.clone(),
                _ => return Err(invalid(e.span, "Object constructor map keys must be attribute names.")),
            },
        };
        if attrs.contains_key(&name) {
            return Err(invalid(item.key.span(), "Object constructor map keys must be unique."));
        }
        let attr = match &item.value.kind {
            ExprKind::Call { name: kw, args, .. } if kw.name == "optional" => parse_optional(&item.value, args)?,
            _ => ObjectAttr::required(parse(&item.value, true)?),
        };
        attrs.insert(name, attr);
    }
    Ok(Type::Object(attrs))
}

fn parse_optional(call: &Expr, args: &[Expr]) -> Result<ObjectAttr, Diagnostic> {
    match args {
        [] => Err(invalid(call.span, "Optional attribute modifier requires the attribute type as its argument.")),
        [ty] => Ok(ObjectAttr { ty: parse(ty, true)?, optional: true, default: None }),
        [ty, default] => {
            let ty = parse(ty, true)?;
            let value = const_value(default)?;
            let value = convert::convert(value, &ty).map_err(|e| {
                Diagnostic::error("Invalid default value for optional attribute")
                    .with_detail(format!(
                        "This default value is not compatible with the attribute's type constraint: {e}."
                    ))
                    .with_subject(default.span)
            })?;
            let default = if value.is_null() { None } else { Some(value) };
            Ok(ObjectAttr { ty, optional: true, default })
        }
        _ => Err(invalid(
            call.span,
            "Optional attribute modifier expects at most two arguments: the attribute type, and a default value.",
        )),
    }
}

fn not_constant(span: Span) -> Diagnostic {
    Diagnostic::error("Invalid default value for optional attribute")
        .with_detail("A default value must be a constant: a literal, or operators over literals.")
        .with_subject(span)
}

fn bad_operand(span: Span, detail: impl Into<String>) -> Diagnostic {
    Diagnostic::error("Invalid operand").with_detail(detail).with_subject(span)
}

/// Evaluates a constant expression (an `optional()` default), with no
/// variables or functions in scope.
pub fn const_value(expr: &Expr) -> Result<Value, Diagnostic> {
    match &expr.kind {
        ExprKind::Null => Ok(Value::Null),
        ExprKind::Bool(b) => Ok(Value::Bool(*b)),
        ExprKind::Number(n) => Ok(Value::Number(*n)),
        ExprKind::Parens(e) => const_value(e),
        ExprKind::Template(t) => {
            let mut out = String::new();
            for part in &t.parts {
                match part {
                    TemplatePart::Literal(s) => out.push_str(s),
                    TemplatePart::Interp(e) => {
                        let v = const_value(e)?;
                        match convert::convert(v, &Type::String) {
                            Ok(Value::String(s)) => out.push_str(&s),
                            Ok(_) => return Err(Diagnostic::error("Invalid template interpolation value")
                                .with_detail(
                                    "The expression result is null. Cannot include a null value in a string template.",
                                )
                                .with_subject(e.span)),
                            Err(_) => {
                                return Err(Diagnostic::error("Invalid template interpolation value")
                                    .with_detail(
                                        "Cannot include the given value in a string template: string required.",
                                    )
                                    .with_subject(e.span))
                            }
                        }
                    }
                    _ => return Err(not_constant(expr.span)),
                }
            }
            Ok(Value::String(out))
        }
        ExprKind::Tuple(items) => items.iter().map(const_value).collect::<Result<Vec<_>, _>>().map(Value::Tuple),
        ExprKind::Object(items) => {
            let mut out = BTreeMap::new();
            for item in items {
                let key = match &item.key {
                    ObjectKey::Ident(id) => id.name.clone(),
                    ObjectKey::Expr(e) => match convert::convert(const_value(e)?, &Type::String) {
                        Ok(Value::String(s)) => s,
                        _ => {
                            return Err(Diagnostic::error("Invalid object key")
                                .with_detail("Object keys must be strings.")
                                .with_subject(e.span))
                        }
                    },
                };
                out.insert(key, const_value(&item.value)?);
            }
            Ok(Value::Object(out))
        }
        ExprKind::Variable(_) | ExprKind::GetAttr { .. } | ExprKind::Index { .. } | ExprKind::Splat { .. }
            if references_variable(expr) =>
        {
            Err(Diagnostic::error("Variables not allowed")
                .with_detail("Variables may not be used here.")
                .with_subject(expr.span))
        }
        ExprKind::Call { .. } => Err(Diagnostic::error("Function calls not allowed")
            .with_detail("Functions may not be called here.")
            .with_subject(expr.span)),
        ExprKind::Unary { op, expr: inner } => {
            let v = const_value(inner)?;
            match op {
                UnaryOp::Neg => match convert::convert(v, &Type::Number) {
                    Ok(Value::Number(n)) => Ok(Value::Number(-n)),
                    _ => Err(bad_operand(inner.span, "Unsuitable value for unary operand: number required.")),
                },
                UnaryOp::Not => match convert::convert(v, &Type::Bool) {
                    Ok(Value::Bool(b)) => Ok(Value::Bool(!b)),
                    _ => Err(bad_operand(inner.span, "Unsuitable value for unary operand: bool required.")),
                },
            }
        }
        ExprKind::Binary { op, lhs, rhs } => {
            let (l, r) = (const_value(lhs)?, const_value(rhs)?);
            const_binary(*op, l, r, lhs.span, rhs.span)
        }
        ExprKind::Conditional { cond, then, otherwise } => match convert::convert(const_value(cond)?, &Type::Bool) {
            Ok(Value::Bool(true)) => const_value(then),
            Ok(Value::Bool(false)) => const_value(otherwise),
            _ => Err(Diagnostic::error("Incorrect condition type")
                .with_detail("The condition expression must be of type bool.")
                .with_subject(cond.span)),
        },
        _ => {
            if references_variable(expr) {
                Err(Diagnostic::error("Variables not allowed")
                    .with_detail("Variables may not be used here.")
                    .with_subject(expr.span))
            } else {
                Err(not_constant(expr.span))
            }
        }
    }
}

fn references_variable(expr: &Expr) -> bool {
    let mut found = false;
    crate::syntax::ast::walk_expr(expr, &mut |e| {
        if matches!(e.kind, ExprKind::Variable(_)) {
            found = true;
        }
    });
    found
}

fn const_binary(op: BinaryOp, l: Value, r: Value, ls: Span, rs: Span) -> Result<Value, Diagnostic> {
    let num = |v: Value, s: Span| match convert::convert(v, &Type::Number) {
        Ok(Value::Number(n)) => Ok(n),
        _ => Err(bad_operand(s, format!("Unsuitable value for {} operand: number required.", side(s, ls)))),
    };
    let boolean = |v: Value, s: Span| match convert::convert(v, &Type::Bool) {
        Ok(Value::Bool(b)) => Ok(b),
        _ => Err(bad_operand(s, format!("Unsuitable value for {} operand: bool required.", side(s, ls)))),
    };
    Ok(match op {
        BinaryOp::Eq => Value::Bool(l.equals(&r)),
        BinaryOp::NotEq => Value::Bool(!l.equals(&r)),
        BinaryOp::And => Value::Bool(boolean(l, ls)? && boolean(r, rs)?),
        BinaryOp::Or => Value::Bool(boolean(l, ls)? || boolean(r, rs)?),
        _ => {
            let (a, b) = (num(l, ls)?, num(r, rs)?);
            match op {
                BinaryOp::Add => Value::Number(a + b),
                BinaryOp::Sub => Value::Number(a - b),
                BinaryOp::Mul => Value::Number(a * b),
                BinaryOp::Div if b == 0.0 => {
                    return Err(Diagnostic::error("Operation failed")
                        .with_detail("Error during operation: can't divide by zero.")
                        .with_subject(ls.to(rs)))
                }
                BinaryOp::Div => Value::Number(a / b),
                BinaryOp::Mod if b == 0.0 => {
                    return Err(Diagnostic::error("Operation failed")
                        .with_detail("Error during operation: can't modulo by zero.")
                        .with_subject(ls.to(rs)))
                }
                BinaryOp::Mod => Value::Number(a % b),
                BinaryOp::Lt => Value::Bool(a < b),
                BinaryOp::Gt => Value::Bool(a > b),
                BinaryOp::LtEq => Value::Bool(a <= b),
                _ => Value::Bool(a >= b),
            }
        }
    })
}

fn side(s: Span, ls: Span) -> &'static str {
    if s == ls {
        "left"
    } else {
        "right"
    }
}

/// Writes `ty` back as a type constraint expression, the inverse of
/// [`parse_type`]: `list(string)`, `object({a=optional(number)})`, `any`.
/// (Defaults are not written.)
pub fn type_string(ty: &Type) -> String {
    match ty {
        Type::Any => "any".into(),
        Type::Bool => "bool".into(),
        Type::Number => "number".into(),
        Type::String => "string".into(),
        Type::List(t) => format!("list({})", type_string(t)),
        Type::Set(t) => format!("set({})", type_string(t)),
        Type::Map(t) => format!("map({})", type_string(t)),
        Type::Tuple(ts) => format!("tuple([{}])", ts.iter().map(type_string).collect::<Vec<_>>().join(", ")),
        Type::Object(attrs) => {
            let items: Vec<String> = attrs
                .iter()
                .map(|(k, a)| {
                    if a.optional {
                        match &a.default {
                            Some(d) => format!("{k}=optional({}, {})", type_string(&a.ty), d.to_json()),
                            None => format!("{k}=optional({})", type_string(&a.ty)),
                        }
                    } else {
                        format!("{k}={}", type_string(&a.ty))
                    }
                })
                .collect();
            format!("object({{{}}})", items.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::FileId;
    use crate::syntax::ast::{Ident, ObjectItem, Template};

    fn sp() -> Span {
        Span::new(FileId(0), 0, 1)
    }
    fn e(kind: ExprKind) -> Expr {
        Expr::new(kind, sp())
    }
    fn kw(name: &str) -> Expr {
        e(ExprKind::Variable(name.into()))
    }
    fn call(name: &str, args: Vec<Expr>) -> Expr {
        e(ExprKind::Call { name: Ident { name: name.into(), span: sp() }, args, expand_final: false })
    }
    fn obj(items: Vec<(&str, Expr)>) -> Expr {
        e(ExprKind::Object(
            items
                .into_iter()
                .map(|(k, v)| ObjectItem { key: ObjectKey::Ident(Ident { name: k.into(), span: sp() }), value: v })
                .collect(),
        ))
    }
    fn tuple(items: Vec<Expr>) -> Expr {
        e(ExprKind::Tuple(items))
    }
    fn string(s: &str) -> Expr {
        e(ExprKind::Template(Template { parts: vec![TemplatePart::Literal(s.into())], heredoc: false }))
    }
    fn num(n: f64) -> Expr {
        e(ExprKind::Number(n))
    }
    fn detail(expr: &Expr) -> String {
        let d = parse_type(expr).unwrap_err();
        assert_eq!(d.subject, Some(sp()));
        d.detail
    }
    fn list(t: Type) -> Type {
        Type::List(Box::new(t))
    }

    #[test]
    fn primitives_and_collections() {
        assert_eq!(parse_type(&kw("string")).unwrap(), Type::String);
        assert_eq!(parse_type(&kw("number")).unwrap(), Type::Number);
        assert_eq!(parse_type(&kw("bool")).unwrap(), Type::Bool);
        assert_eq!(parse_type(&kw("any")).unwrap(), Type::Any);
        assert_eq!(parse_type(&call("list", vec![kw("string")])).unwrap(), list(Type::String));
        assert_eq!(parse_type(&call("set", vec![kw("number")])).unwrap(), Type::Set(Box::new(Type::Number)));
        assert_eq!(
            parse_type(&call("map", vec![call("list", vec![kw("any")])])).unwrap(),
            Type::Map(Box::new(list(Type::Any)))
        );
        assert_eq!(
            parse_type(&call("tuple", vec![tuple(vec![kw("string"), kw("bool")])])).unwrap(),
            Type::Tuple(vec![Type::String, Type::Bool])
        );
        assert_eq!(parse_type(&call("tuple", vec![tuple(vec![])])).unwrap(), Type::Tuple(vec![]));
        // Terraform 1.11 still accepts bare `list` and `map`.
        assert_eq!(parse_type(&kw("list")).unwrap(), list(Type::Any));
        assert_eq!(parse_type(&kw("map")).unwrap(), Type::Map(Box::new(Type::Any)));
    }

    #[test]
    fn objects_and_optional() {
        let t = call(
            "object",
            vec![obj(vec![
                ("name", kw("string")),
                ("size", call("optional", vec![kw("number")])),
                ("zone", call("optional", vec![kw("string"), num(1.0)])),
                ("tags", call("optional", vec![call("list", vec![kw("string")]), tuple(vec![num(2.0)])])),
            ])],
        );
        let Type::Object(attrs) = parse_type(&t).unwrap() else { panic!() };
        assert_eq!(attrs["name"], ObjectAttr::required(Type::String));
        assert_eq!(attrs["size"], ObjectAttr { ty: Type::Number, optional: true, default: None });
        // Defaults are converted to the attribute type.
        assert_eq!(attrs["zone"].default, Some(Value::string("1")));
        assert_eq!(attrs["tags"].default, Some(Value::List(vec![Value::string("2")])));
        // A null default is no default.
        let t = call("object", vec![obj(vec![("a", call("optional", vec![kw("string"), e(ExprKind::Null)]))])]);
        let Type::Object(attrs) = parse_type(&t).unwrap() else { panic!() };
        assert_eq!(attrs["a"].default, None);
    }

    #[test]
    fn constant_defaults() {
        let neg = e(ExprKind::Unary { op: UnaryOp::Neg, expr: Box::new(num(1.0)) });
        assert_eq!(const_value(&neg).unwrap(), Value::Number(-1.0));
        let add = e(ExprKind::Binary { op: BinaryOp::Add, lhs: Box::new(num(1.0)), rhs: Box::new(num(1.0)) });
        assert_eq!(const_value(&add).unwrap(), Value::Number(2.0));
        let cond = e(ExprKind::Conditional {
            cond: Box::new(e(ExprKind::Bool(true))),
            then: Box::new(num(1.0)),
            otherwise: Box::new(num(2.0)),
        });
        assert_eq!(const_value(&cond).unwrap(), Value::Number(1.0));
        let tmpl = e(ExprKind::Template(Template {
            parts: vec![TemplatePart::Literal("a".into()), TemplatePart::Interp(num(1.0))],
            heredoc: false,
        }));
        assert_eq!(const_value(&tmpl).unwrap(), Value::string("a1"));
        let o = obj(vec![("x", tuple(vec![num(1.0), string("b")]))]);
        assert_eq!(
            const_value(&o).unwrap(),
            Value::object([("x", Value::Tuple(vec![Value::Number(1.0), Value::string("b")]))])
        );
        let var = e(ExprKind::GetAttr { expr: Box::new(kw("var")), name: Ident { name: "y".into(), span: sp() } });
        let d = const_value(&var).unwrap_err();
        assert_eq!(
            (d.summary.as_str(), d.detail.as_str()),
            ("Variables not allowed", "Variables may not be used here.")
        );
        let d = const_value(&call("upper", vec![string("x")])).unwrap_err();
        assert_eq!(
            (d.summary.as_str(), d.detail.as_str()),
            ("Function calls not allowed", "Functions may not be called here.")
        );
    }

    #[test]
    fn bad_defaults_are_reported() {
        let t = call("object", vec![obj(vec![("a", call("optional", vec![kw("number"), string("x")]))])]);
        let d = parse_type(&t).unwrap_err();
        assert_eq!(d.summary, "Invalid default value for optional attribute");
        assert_eq!(
            d.detail,
            "This default value is not compatible with the attribute's type constraint: a number is required."
        );
        let t = call(
            "object",
            vec![obj(vec![(
                "a",
                call("optional", vec![call("list", vec![kw("string")]), tuple(vec![num(1.0), obj(vec![])])]),
            )])],
        );
        let d = parse_type(&t).unwrap_err();
        assert_eq!(
            d.detail,
            "This default value is not compatible with the attribute's type constraint: element 1: string required."
        );
    }

    #[test]
    fn errors_match_terraform() {
        assert_eq!(
            detail(&call("list", vec![kw("string"), kw("number")])),
            "The list type constructor requires one argument specifying the element type."
        );
        assert_eq!(
            detail(&call("list", vec![])),
            "The list type constructor requires one argument specifying the element type."
        );
        assert_eq!(detail(&kw("set")), "The set type constructor requires one argument specifying the element type.");
        assert_eq!(
            detail(&kw("tuple")),
            "The tuple type constructor requires one argument specifying the element types as a list."
        );
        assert_eq!(
            detail(&kw("object")),
            "The object type constructor requires one argument specifying the attribute types and values as a map."
        );
        assert_eq!(
            detail(&call("list", vec![kw("list")])),
            "The list type constructor requires one argument specifying the element type."
        );
        let optional = "Keyword \"optional\" is valid only as a modifier for object type attributes.";
        assert_eq!(detail(&call("optional", vec![kw("string")])), optional);
        assert_eq!(detail(&call("list", vec![call("optional", vec![kw("string")])])), optional);
        assert_eq!(
            detail(&call(
                "object",
                vec![obj(vec![("a", call("optional", vec![call("optional", vec![kw("string")])]))])]
            )),
            optional
        );
        assert_eq!(
            detail(&call(
                "object",
                vec![obj(vec![("a", call("optional", vec![kw("string"), string("x"), num(1.0)]))])]
            )),
            "Optional attribute modifier expects at most two arguments: the attribute type, and a default value."
        );
        assert_eq!(
            detail(&call("object", vec![obj(vec![("a", call("optional", vec![]))])])),
            "Optional attribute modifier requires the attribute type as its argument."
        );
        assert_eq!(detail(&kw("foo")), "The keyword \"foo\" is not a valid type specification.");
        assert_eq!(detail(&call("foo", vec![kw("string")])), "Keyword \"foo\" is not a valid type constructor.");
        assert_eq!(detail(&call("string", vec![])), "Primitive type keyword \"string\" does not expect arguments.");
        assert_eq!(
            detail(&call("any", vec![kw("string")])),
            "Type constraint keyword \"any\" does not expect arguments."
        );
        assert_eq!(
            detail(&call("tuple", vec![kw("string")])),
            "Tuple type constructor requires a list of element types."
        );
        assert_eq!(
            detail(&call("object", vec![tuple(vec![kw("string")])])),
            "Object type constructor requires a map whose keys are attribute names and whose values are the corresponding attribute types."
        );
        let general = "A type specification is either a primitive type keyword (bool, number, string) or a complex type constructor call, like list(string).";
        assert_eq!(detail(&obj(vec![("a", kw("string"))])), general);
        assert_eq!(detail(&tuple(vec![kw("string")])), general);
        assert_eq!(detail(&e(ExprKind::Parens(Box::new(kw("string"))))), general);
        let quoted_key =
            e(ExprKind::Object(vec![ObjectItem { key: ObjectKey::Expr(string("a")), value: kw("string") }]));
        assert_eq!(detail(&call("object", vec![quoted_key])), "Object constructor map keys must be attribute names.");
        assert_eq!(
            detail(&call("object", vec![obj(vec![("a", kw("string")), ("a", kw("number"))])])),
            "Object constructor map keys must be unique."
        );
        let d = parse_type(&call("list", vec![])).unwrap_err();
        assert_eq!(d.summary, "Invalid type specification");
    }

    #[test]
    fn quoted_legacy_forms() {
        let d = parse_type(&string("string")).unwrap_err();
        assert_eq!(d.summary, "Invalid quoted type constraints");
        assert!(d.detail.ends_with("Remove the quotes around \"string\"."), "{}", d.detail);
        let d = parse_type(&string("list")).unwrap_err();
        assert!(d
            .detail
            .ends_with("write list(string) instead to explicitly indicate that the list elements are strings."));
        let d = parse_type(&string("map")).unwrap_err();
        assert!(d.detail.contains("write map(string) instead"));
        let d = parse_type(&string("number")).unwrap_err();
        assert_eq!(d.summary, "Invalid legacy variable type hint");
        assert_eq!(
            d.detail,
            "To provide a full type expression, remove the surrounding quotes and give the type expression directly."
        );
    }

    #[test]
    fn type_strings_round_trip_the_spelling() {
        let t = call(
            "object",
            vec![obj(vec![("a", call("optional", vec![kw("number")])), ("b", call("map", vec![kw("any")]))])],
        );
        assert_eq!(type_string(&parse_type(&t).unwrap()), "object({a=optional(number), b=map(any)})");
    }
}
