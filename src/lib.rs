//! # cairn
//!
//! An infrastructure provisioning engine for Google Cloud that reads the
//! Terraform language. This page is the tour; `ARCHITECTURE.md` draws the
//! same data flow.
//!
//! ```text
//!  *.tf / *.tf.json
//!        │  syntax::parse (our own HCL parser: spans on every node)
//!        ▼
//!  syntax::ast::Body ──► config::load ──► config::Config (modules, blocks, raw expressions)
//!                                               │  eval (Value with Unknown + Sensitive,
//!                                               │        variables, locals, count/for_each)
//!                                               ▼
//!                                        graph::ResourceGraph (petgraph; cycles named)
//!                                               │
//!                       state::State ──► plan (diff) ──► plan::Plan ──► apply ──► providers
//! ```
//!
//! One owner per step:
//!
//! | module | owns |
//! |---|---|
//! | [`diag`] | [`diag::Diagnostic`], spans, rendering (text and JSON) |
//! | [`syntax`] | lexing, parsing and formatting HCL (native and JSON) |
//! | [`value`] | [`value::Value`] with unknown and sensitive marks, types, conversion |
//! | [`eval`] | evaluating expressions and Terraform's built-in functions |
//! | [`config`] | loading a stack: files, blocks, variables, modules, schemas, validation |
//! | [`addrs`] | [`addrs::ResourceAddr`] and friends: the join key everywhere |
//! | [`graph`] | the dependency graph of a stack, cycles, DOT output |
//! | [`cli`] | the `cairn` command: flags, commands, terminal output |
//!
//! The Google provider (`cairn-google`, `providers/google`) and the sandbox
//! emulator (`cairn-sandbox`, `providers/sandbox`) are crates of their own so
//! the compiler keeps them free of engine types.

pub mod addrs;
pub mod apply;
pub mod cli;
pub mod config;
pub mod diag;
pub mod eval;
pub mod graph;
pub mod plan;
pub mod provider;
pub mod stack;
pub mod state;
pub mod syntax;
pub mod value;

/// cairn's version, recorded in state and plan files.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
