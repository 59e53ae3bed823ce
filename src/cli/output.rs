//! Terminal concerns: whether to use colour, and printing diagnostics.

use std::io::IsTerminal;

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
            println!("\x1b[1;32m{message}\x1b[0m");
        } else {
            println!("{message}");
        }
    }
}
