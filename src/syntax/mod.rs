//! HCL: lexing, parsing and formatting.
//!
//! Owns: turning bytes of `*.tf` (native syntax) and `*.tf.json` files into
//! [`ast::Body`] trees with spans, and `cairn fmt`'s canonical layout.
//!
//! Does not own: what blocks mean (`config`) or evaluation (`eval`).
//!
//! Why our own parser: hcl-rs 0.20 rejects valid HCL that real stacks use
//! (duplicate object keys, mixed object separators, conditionals spanning
//! lines inside `for`), keeps no spans in its evaluation model, and has no
//! bound on nesting depth. hcl-rs stays in the test suite as a second opinion:
//! every fixture it accepts must parse to the same structure here.

pub mod ast;
pub mod fmt;
pub mod json;
pub mod lexer;
pub mod parser;
pub mod token;

pub use parser::parse;
