//! Diagnostics: the one currency for problems a user can cause.
//!
//! Owns: [`Span`] (a byte range in a source file), [`SourceMap`] (the loaded
//! files, for turning byte offsets into `line:column`), [`Diagnostic`] and
//! [`Diagnostics`], and rendering them as text (plain or coloured) and as
//! Terraform's machine-readable JSON shape.
//!
//! Does not own: deciding what is an error (each pipeline step does that) or
//! where output goes (the CLI does).
//!
//! Every stage returns its result together with [`Diagnostics`] and keeps
//! going after an error, so one run reports every problem.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A byte range `start..end` in one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span { file, start: start as u32, end: end as u32 }
    }

    /// The smallest span covering both (same file assumed).
    pub fn to(self, other: Span) -> Span {
        Span { file: self.file, start: self.start.min(other.start), end: self.end.max(other.end) }
    }

    pub fn is_empty(&self) -> bool {
        self.start >= self.end
    }
}

/// A position in a file, 1-based line and column (column counts characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
    pub byte: usize,
}

/// One loaded source file.
#[derive(Debug)]
pub struct SourceFile {
    /// Path as shown to the user (relative to the working directory when possible).
    pub name: String,
    pub path: PathBuf,
    pub text: String,
    /// Byte offset of the start of each line.
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(name: String, path: PathBuf, text: String) -> SourceFile {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile { name, path, text, line_starts }
    }

    /// Line and column (1-based) of a byte offset.
    pub fn pos(&self, byte: usize) -> Pos {
        let byte = byte.min(self.text.len());
        let line = match self.line_starts.binary_search(&byte) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let prefix = self.text.get(start..byte).unwrap_or("");
        Pos { line: line + 1, column: prefix.chars().count() + 1, byte }
    }

    /// The text of a 1-based line, without its newline.
    pub fn line_text(&self, line: usize) -> &str {
        let start = self.line_starts.get(line - 1).copied().unwrap_or(self.text.len());
        let end = self.line_starts.get(line).map(|e| e - 1).unwrap_or(self.text.len());
        let text = self.text.get(start..end.max(start)).unwrap_or("");
        text.strip_suffix('\r').unwrap_or(text)
    }
}

/// All files loaded in one run. Cheap to clone (shared).
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Arc<std::sync::RwLock<Vec<Arc<SourceFile>>>>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Adds a file and returns its id.
    pub fn add(&self, name: impl Into<String>, path: impl AsRef<Path>, text: String) -> FileId {
        let mut files = self.files.write().unwrap_or_else(|e| e.into_inner());
        files.push(Arc::new(SourceFile::new(name.into(), path.as_ref().to_path_buf(), text)));
        FileId((files.len() - 1) as u32)
    }

    pub fn get(&self, id: FileId) -> Option<Arc<SourceFile>> {
        let files = self.files.read().unwrap_or_else(|e| e.into_inner());
        files.get(id.0 as usize).cloned()
    }

    /// `file:line:col` of a span's start.
    pub fn location(&self, span: Span) -> String {
        match self.get(span.file) {
            Some(f) => {
                let p = f.pos(span.start as usize);
                format!("{}:{}:{}", f.name, p.line, p.column)
            }
            None => "<unknown>".to_string(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem, located where possible.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A short phrase: what is wrong.
    pub summary: String,
    /// Why, and what to do about it.
    pub detail: String,
    /// The offending token or expression.
    pub subject: Option<Span>,
    /// A wider range around the subject (the whole block, say), if useful.
    pub context: Option<Span>,
    /// The resource or module address involved, if any.
    pub address: Option<String>,
}

impl Diagnostic {
    pub fn error(summary: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            summary: summary.into(),
            detail: String::new(),
            subject: None,
            context: None,
            address: None,
        }
    }

    pub fn warning(summary: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(summary) }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Diagnostic {
        self.detail = detail.into();
        self
    }

    pub fn with_subject(mut self, span: Span) -> Diagnostic {
        self.subject = Some(span);
        self
    }

    pub fn with_context(mut self, span: Span) -> Diagnostic {
        self.context = Some(span);
        self
    }

    pub fn with_address(mut self, address: impl Into<String>) -> Diagnostic {
        self.address = Some(address.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A list of diagnostics from one or more stages.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn new() -> Diagnostics {
        Diagnostics(Vec::new())
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.0.extend(other);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.0.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.0.len() - self.error_count()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    /// Orders by file and position so output is deterministic, keeping the
    /// first of exact duplicates.
    pub fn sort_and_dedup(&mut self) {
        self.0.sort_by_key(|d| {
            let s = d.subject.unwrap_or_default();
            (s.file, s.start, d.severity)
        });
        // The same problem found twice (say, once per module instance) is shown once.
        let mut seen = std::collections::HashSet::new();
        self.0.retain(|d| seen.insert((d.subject, d.summary.clone(), d.detail.clone(), d.address.clone())));
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Diagnostics {
        Diagnostics(vec![d])
    }
}

/// How to render text diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderOptions {
    pub color: bool,
}

/// Renders diagnostics the way Terraform does: a boxed block per problem with
/// the summary, `on file:line:col`, the source line with the span underlined,
/// and the detail.
pub fn render(diags: &Diagnostics, sources: &SourceMap, opts: RenderOptions) -> String {
    let mut out = String::new();
    for d in diags.iter() {
        render_one(&mut out, d, sources, opts);
    }
    out
}

fn render_one(out: &mut String, d: &Diagnostic, sources: &SourceMap, opts: RenderOptions) {
    let (label, color) = match d.severity {
        Severity::Error => ("Error", "\x1b[1;31m"),
        Severity::Warning => ("Warning", "\x1b[1;33m"),
    };
    let bar = if opts.color { format!("{color}│\x1b[0m") } else { "│".to_string() };
    let _ = writeln!(out);
    if opts.color {
        let _ = writeln!(out, "{color}╷\x1b[0m");
        let _ = writeln!(out, "{bar} {color}{label}: \x1b[0m\x1b[1m{}\x1b[0m", d.summary);
    } else {
        let _ = writeln!(out, "╷");
        let _ = writeln!(out, "{bar} {label}: {}", d.summary);
    }
    if let Some(span) = d.subject {
        if let Some(file) = sources.get(span.file) {
            let start = file.pos(span.start as usize);
            let _ = writeln!(out, "{bar}");
            let mut on = format!("  on {}:{}:{}", file.name, start.line, start.column);
            if let Some(addr) = &d.address {
                let _ = write!(on, ", in {addr}");
            }
            let _ = writeln!(out, "{bar} {on}:");
            let line = file.line_text(start.line);
            let _ = writeln!(out, "{bar} {:>4}: {}", start.line, line.replace('\t', " "));
            // Underline the subject on its first line.
            let end_byte = (span.end as usize).max(span.start as usize + 1);
            let end = file.pos(end_byte);
            let width = if end.line == start.line {
                end.column.saturating_sub(start.column).max(1)
            } else {
                line.chars().count().saturating_sub(start.column - 1).max(1)
            };
            let marks = "^".repeat(width);
            let _ = writeln!(out, "{bar}       {}{}", " ".repeat(start.column - 1), marks);
        }
    } else if let Some(addr) = &d.address {
        let _ = writeln!(out, "{bar}");
        let _ = writeln!(out, "{bar}   with {addr}");
    }
    if !d.detail.is_empty() {
        let _ = writeln!(out, "{bar}");
        for line in d.detail.lines() {
            let _ = writeln!(out, "{bar} {line}");
        }
    }
    if opts.color {
        let _ = writeln!(out, "{color}╵\x1b[0m");
    } else {
        let _ = writeln!(out, "╵");
    }
}

/// Terraform's machine-readable diagnostic (as in `validate -json`).
pub fn to_json(d: &Diagnostic, sources: &SourceMap) -> serde_json::Value {
    let mut obj = serde_json::json!({
        "severity": d.severity,
        "summary": d.summary,
        "detail": d.detail,
    });
    if let Some(addr) = &d.address {
        obj["address"] = serde_json::json!(addr);
    }
    if let Some(span) = d.subject {
        if let Some(file) = sources.get(span.file) {
            let start = file.pos(span.start as usize);
            let end = file.pos(span.end as usize);
            obj["range"] = serde_json::json!({
                "filename": file.name,
                "start": start,
                "end": end,
            });
            obj["snippet"] = serde_json::json!({
                "context": null,
                "code": file.line_text(start.line),
                "start_line": start.line,
                "highlight_start_offset": start.column - 1,
                "highlight_end_offset": if end.line == start.line { end.column - 1 } else { file.line_text(start.line).chars().count() },
                "values": [],
            });
        }
    }
    obj
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_chars() {
        let f = SourceFile::new("a.tf".into(), "a.tf".into(), "ab\nçd = 1\n".into());
        assert_eq!(f.pos(0).line, 1);
        let p = f.pos(5); // the d after the two-byte ç
        assert_eq!((p.line, p.column), (2, 2));
        assert_eq!(f.line_text(2), "çd = 1");
    }

    #[test]
    fn render_names_file_line_and_underlines() {
        let map = SourceMap::new();
        let id = map.add("main.tf", "main.tf", "x = foo\n".to_string());
        let d = Diagnostic::error("Unknown thing").with_detail("Do this.").with_subject(Span::new(id, 4, 7));
        let text = render(&Diagnostics::from(d), &map, RenderOptions { color: false });
        assert!(text.contains("on main.tf:1:5:"), "{text}");
        assert!(text.contains("    ^^^"), "{text}");
        assert!(text.contains("Do this."));
    }
}
