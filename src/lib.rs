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
//!                       state::State ──► plan::planner ──► plan::Plan ──► apply ──► provider
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
//! | [`graph`] | a dependency graph over petgraph: cycles named, dependency order, DOT |
//! | [`stack`] | evaluating a whole stack: object graph, count/for_each, modules, schemas |
//! | [`provider`] | the [`provider::ResourceType`] seam and the built-in types |
//! | [`plan`] | [`plan::Plan`]/[`plan::Change`], diffing, the planner, plan files, rendering |
//! | [`apply`] | the coordinator that carries a plan out in parallel, events to a [`apply::Reporter`] |
//! | [`state`] | [`state::State`], its file format, the [`state::Backend`] seam, locks |
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
