//! cairn's sandbox: a loopback emulator of the Google REST APIs.
//!
//! Owns: the wire format of every API cairn supports (paths, JSON field
//! names, long-running operations, errors, etags), timing and fault injection,
//! and persistence of emulated resources in a data directory.
//!
//! Does not own: anything of the engine. It is a server; cairn's provider is
//! its client, exactly as it is Google's.
//!
//! Status: wired into the workspace; the server arrives with the provider
//! issue.

/// Default directory (relative to a stack) where `--sandbox` keeps its data.
pub mod discovery;

pub const DEFAULT_DATA_DIR: &str = ".cairn/sandbox";
