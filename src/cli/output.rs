//! Terminal concerns: whether to use colour, printing diagnostics, and
//! command output that survives a closed pipe ([`write_stdout`]).

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::diag::{self, Diagnostics, RenderOptions, SourceMap};

/// How output should look on this run.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub color: bool,
    pub stdout_tty: bool,
}

impl Output {
    /// Colour only on a terminal, never with `-no-color` or `NO_COLOR` set.
    pub fn detect(no_color_flag: bool) -> Output {
        let stdout_tty = std::io::stdout().is_terminal();
        let no_color_env = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Output { color: stdout_tty && !no_color_flag && !no_color_env, stdout_tty }
    }

    /// Prints diagnostics to stderr.
    pub fn diagnostics(&self, diags: &Diagnostics, sources: &SourceMap) {
        if diags.is_empty() {
            return;
        }
        eprint!("{}", diag::render(diags, sources, RenderOptions { color: self.color }));
    }

    /// A one-line error without source location.
    pub fn error(&self, message: &str) {
        if self.color {
            eprintln!("\x1b[1;31mError:\x1b[0m {message}");
        } else {
            eprintln!("Error: {message}");
        }
    }

    pub fn success(&self, message: &str) {
        if self.color {
            outln!("\x1b[1;32m{message}\x1b[0m");
        } else {
            outln!("{message}");
        }
    }
}

/// Set once stdout is a closed pipe: later output is dropped.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes command output to stdout (what `outln!` and `out!` call). When
/// the reader has gone away (`cairn plan | head`), the rest of the output
/// is dropped and the command carries on, so that an apply still finishes,
/// saves its state and releases its lock. Other write errors are dropped
/// too: output is never worth failing an operation half-way.
pub fn write_stdout(args: std::fmt::Arguments<'_>) {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
        }
    }
}
