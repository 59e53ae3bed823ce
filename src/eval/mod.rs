//! Expression evaluation.
//!
//! Owns: evaluating an [`Expr`](crate::syntax::ast::Expr) to a
//! [`Value`](crate::value::Value) within a [`Scope`]: operators, templates,
//! `for` expressions, splats, conditionals, `can`/`try`, function calls (via
//! [`funcs`]), with unknown and sensitive values carried through, and
//! located diagnostics for every failure.
//!
//! Does not own: where variable values come from (the caller's scope), the
//! order in which blocks are evaluated (`config`), or type constraint
//! conversion (`value::convert`).

pub mod funcs;
pub mod typeexpr;
