//! The syntax tree of an HCL file: bodies, attributes, blocks and expressions,
//! every node with its [`Span`].
//!
//! Owns: the shape of parsed HCL (native syntax and JSON both produce it).
//! Template strip markers (`~`) and heredoc indentation (`<<-`) are already
//! applied by the parser, so the tree holds the literal text a template
//! produces.
//!
//! Does not own: meaning. Which blocks exist, what an attribute means and how
//! an expression evaluates belong to `config` and `eval`.

use crate::diag::Span;

/// An identifier with its location.
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// The contents of a file or of a block's braces.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Body {
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<Block>,
    /// From `{` to `}` (or the whole file).
    pub span: Span,
}

impl Body {
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name.name == name)
    }

    pub fn blocks_of<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Block> + 'a {
        self.blocks.iter().filter(move |b| b.kind.name == kind)
    }
}

/// `name = expr`
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub name: Ident,
    pub expr: Expr,
    /// The whole `name = expr`.
    pub span: Span,
}

/// `kind "label" label { body }`
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub kind: Ident,
    /// Labels as written (quoted or bare), unquoted.
    pub labels: Vec<Ident>,
    pub body: Body,
    /// From the block type to the closing brace.
    pub span: Span,
}

/// An expression with its location.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

impl Expr {
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        Expr { kind, span }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Null,
    Bool(bool),
    /// A numeric literal, as written (`1`, `1.5`, `1e3`).
    Number(f64),
    /// A quoted string or heredoc. A plain string with no interpolation is a
    /// template with a single literal part.
    Template(Template),
    /// A root variable name: `var`, `local`, `each`, `aws_instance`, ...
    Variable(String),
    /// `expr.name`
    GetAttr { expr: Box<Expr>, name: Ident },
    /// `expr[key]` (and the legacy `expr.0` form, as a number key)
    Index { expr: Box<Expr>, key: Box<Expr> },
    /// `source[*].rest` or `source.*.rest`: `each` is evaluated for every
    /// element of `source` with [`ExprKind::SplatItem`] standing for the
    /// element. `each` is just `SplatItem` when nothing follows the splat.
    Splat { source: Box<Expr>, each: Box<Expr> },
    /// The current element inside a splat's `each` expression.
    SplatItem,
    /// `[a, b, c]`
    Tuple(Vec<Expr>),
    /// `{ k = v, ... }`
    Object(Vec<ObjectItem>),
    /// `name(args...)`, `expand_final` when the last argument ends in `...`.
    /// Provider-namespaced calls keep their full name (`provider::x::f`).
    Call { name: Ident, args: Vec<Expr>, expand_final: bool },
    /// `cond ? a : b`
    Conditional { cond: Box<Expr>, then: Box<Expr>, otherwise: Box<Expr> },
    Unary { op: UnaryOp, expr: Box<Expr> },
    Binary { op: BinaryOp, lhs: Box<Expr>, rhs: Box<Expr> },
    For(Box<ForExpr>),
    /// `( expr )`: kept so that `(a) = 1` object keys and `fmt` know about it.
    Parens(Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Not,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    NotEq,
    Lt,
    Gt,
    LtEq,
    GtEq,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "||",
            BinaryOp::And => "&&",
            BinaryOp::Eq => "==",
            BinaryOp::NotEq => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Gt => ">",
            BinaryOp::LtEq => "<=",
            BinaryOp::GtEq => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
        }
    }
}

/// One `key = value` (or `key: value`) of an object constructor.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectItem {
    pub key: ObjectKey,
    pub value: Expr,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ObjectKey {
    /// A bare identifier: the key is its name, never a variable.
    Ident(Ident),
    /// Any other expression (quoted string, parenthesized expression, number...).
    Expr(Expr),
}

impl ObjectKey {
    pub fn span(&self) -> Span {
        match self {
            ObjectKey::Ident(i) => i.span,
            ObjectKey::Expr(e) => e.span,
        }
    }
}

/// `[for k, v in coll : value if cond]` or `{for k, v in coll : key => value... if cond}`
#[derive(Debug, Clone, PartialEq)]
pub struct ForExpr {
    pub key_var: Option<Ident>,
    pub value_var: Ident,
    pub collection: Expr,
    /// `Some` for the object form `{ for ... : key => value }`.
    pub key_expr: Option<Expr>,
    pub value_expr: Expr,
    pub cond: Option<Expr>,
    /// `...` after the value: group values with the same key into a tuple.
    pub grouping: bool,
}

/// The parts of a quoted string or heredoc.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Template {
    pub parts: Vec<TemplatePart>,
    /// True for heredocs (`<<EOT`), which `fmt` and diagnostics treat apart.
    pub heredoc: bool,
}

impl Template {
    /// The literal string, if the template has no interpolation or directive.
    pub fn as_literal(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [] => Some(""),
            [TemplatePart::Literal(s)] => Some(s),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum TemplatePart {
    Literal(String),
    /// `${ expr }`
    Interp(Expr),
    /// `%{ if cond }then%{ else }otherwise%{ endif }`
    If { cond: Expr, then: Template, otherwise: Option<Template> },
    /// `%{ for k, v in coll }body%{ endfor }`
    For { key_var: Option<Ident>, value_var: Ident, collection: Expr, body: Template },
}

/// Walks every expression nested in `expr` (itself included), depth first.
/// Used to collect references without evaluating anything.
pub fn walk_expr<'a>(expr: &'a Expr, f: &mut dyn FnMut(&'a Expr)) {
    f(expr);
    match &expr.kind {
        ExprKind::Null
        | ExprKind::Bool(_)
        | ExprKind::Number(_)
        | ExprKind::Variable(_)
        | ExprKind::SplatItem => {}
        ExprKind::Template(t) => walk_template(t, f),
        ExprKind::GetAttr { expr, .. } => walk_expr(expr, f),
        ExprKind::Index { expr, key } => {
            walk_expr(expr, f);
            walk_expr(key, f);
        }
        ExprKind::Splat { source, each } => {
            walk_expr(source, f);
            walk_expr(each, f);
        }
        ExprKind::Tuple(items) => items.iter().for_each(|e| walk_expr(e, f)),
        ExprKind::Object(items) => {
            for item in items {
                if let ObjectKey::Expr(k) = &item.key {
                    walk_expr(k, f);
                }
                walk_expr(&item.value, f);
            }
        }
        ExprKind::Call { args, .. } => args.iter().for_each(|e| walk_expr(e, f)),
        ExprKind::Conditional { cond, then, otherwise } => {
            walk_expr(cond, f);
            walk_expr(then, f);
            walk_expr(otherwise, f);
        }
        ExprKind::Unary { expr, .. } => walk_expr(expr, f),
        ExprKind::Binary { lhs, rhs, .. } => {
            walk_expr(lhs, f);
            walk_expr(rhs, f);
        }
        ExprKind::For(fe) => {
            walk_expr(&fe.collection, f);
            if let Some(k) = &fe.key_expr {
                walk_expr(k, f);
            }
            walk_expr(&fe.value_expr, f);
            if let Some(c) = &fe.cond {
                walk_expr(c, f);
            }
        }
        ExprKind::Parens(e) => walk_expr(e, f),
    }
}

fn walk_template<'a>(t: &'a Template, f: &mut dyn FnMut(&'a Expr)) {
    for part in &t.parts {
        match part {
            TemplatePart::Literal(_) => {}
            TemplatePart::Interp(e) => walk_expr(e, f),
            TemplatePart::If { cond, then, otherwise } => {
                walk_expr(cond, f);
                walk_template(then, f);
                if let Some(o) = otherwise {
                    walk_template(o, f);
                }
            }
            TemplatePart::For { collection, body, .. } => {
                walk_expr(collection, f);
                walk_template(body, f);
            }
        }
    }
}
