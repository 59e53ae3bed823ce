//! `cairn fmt`: the canonical layout of HCL files, byte-identical to what
//! `terraform fmt` produces.
//!
//! Owns: formatting one file's text. Does not own: finding files, `-check`,
//! `-diff` or `-recursive` (the CLI does that).
//!
//! How it works (the same model as Terraform's formatter, reimplemented):
//!
//! 1. Lex the file and refuse it if the tokens show a syntax error (stray
//!    characters, unterminated strings/heredocs, unbalanced brackets, or a
//!    body item that is neither an argument nor a block).
//! 2. Terraform's own normalizations, found by a flat (non-recursive) scan
//!    of the body structure: block labels are re-quoted (`resource aws_x y`
//!    becomes `resource "aws_x" "y"`, comments between labels vanish),
//!    argument values that are a lone interpolation `"${x}"` are unwrapped,
//!    and `type` in a top-level `variable` block loses legacy quoting
//!    (`"string"`) and gains an element type (`list` becomes `list(any)`).
//! 3. Whitespace only, line by line: each line's tokens are split into up to
//!    three cells (the lead, an `= value` assignment and a trailing comment);
//!    lines are indented two spaces per level of bracket nesting; spaces
//!    between tokens follow fixed pairwise rules; and the `=` and comment
//!    cells of consecutive lines are aligned in columns.
//!
//! Token text is never changed (except by the normalizations above), so
//! comments, string contents and heredoc bodies come out as they went in.

use super::lexer::lex;
use super::token::{Token, TokenKind};
use crate::diag::{Diagnostic, Diagnostics, FileId, Span};

use TokenKind as K;

/// Formats a native-syntax file. Files with syntax errors are not formatted:
/// the parser's diagnostics are returned instead.
pub fn format(src: &str) -> Result<String, Diagnostics> {
    // A leading byte-order mark is dropped, as Terraform does.
    let (src, offset) = match src.strip_prefix('\u{feff}') {
        Some(rest) => (rest, 3),
        None => (src, 0),
    };
    let raw = fix_heredoc_ends(src, lex(src, FileId(0)));
    let diags = check_tokens(src, &raw, offset);
    if diags.has_errors() {
        return Err(diags);
    }
    let edits = match scan_bodies(src, &raw) {
        Ok(edits) => edits,
        Err(d) => return Err(shift(d, offset).into()),
    };
    let mut toks = build_tokens(src, &raw, edits);
    layout(&mut toks);
    // Whitespace after the last token of a file without a final newline
    // survives, one space per byte (Terraform keeps the end-of-file token's
    // original gap).
    let tail_start = raw.iter().rev().nth(1).map_or(0, |t| t.span.end as usize);
    let tail = src.len().saturating_sub(tail_start);
    if tail > 0 {
        toks.push(FTok { spaces: tail, ..FTok::new(K::Eof, "") });
    }
    let mut out = String::with_capacity(src.len() + src.len() / 4);
    for t in &toks {
        for _ in 0..t.spaces {
            out.push(' ');
        }
        out.push_str(&t.text);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Lexer workaround

/// HCL ends a heredoc at a line that is its marker once surrounding
/// whitespace (both sides) is trimmed; our lexer trims only the left side,
/// so `EOT` followed by spaces or tabs stays heredoc text. Such a line is
/// split here into the closing marker and a newline, and the rest of the
/// file is lexed again (as top-level expression text, which is where nearly
/// every heredoc lives).
fn fix_heredoc_ends(src: &str, mut toks: Vec<Token>) -> Vec<Token> {
    let mut markers: Vec<String> = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let t = toks[i];
        match t.kind {
            K::OHeredoc => {
                let text = t.text(src).trim_end_matches(['\n', '\r']);
                markers.push(text.trim_start_matches('<').trim_start_matches('-').to_string());
            }
            K::CHeredoc => {
                markers.pop();
            }
            K::StringLit if !markers.is_empty() => {
                let text = t.text(src);
                let at_line_start = i > 0 && matches!(toks[i - 1].kind, K::OHeredoc | K::StringLit) && toks[i - 1].text(src).ends_with('\n');
                let marker = markers.last().map(String::as_str).unwrap_or("");
                if at_line_start && text.ends_with('\n') && text.trim() == marker {
                    let start = t.span.start as usize;
                    let nl = if text.ends_with("\r\n") { 2 } else { 1 };
                    let end = t.span.end as usize;
                    let file = t.span.file;
                    toks.truncate(i);
                    toks.push(Token { kind: K::CHeredoc, span: Span::new(file, start, end - nl) });
                    toks.push(Token { kind: K::Newline, span: Span::new(file, end - nl, end) });
                    toks.extend(lex(&src[end..], file).into_iter().map(|mut r| {
                        r.span.start += end as u32;
                        r.span.end += end as u32;
                        r
                    }));
                    markers.pop();
                    i += 2;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    toks
}

// ---------------------------------------------------------------------------
// Syntax checks

fn span_of(t: &Token, offset: usize) -> Span {
    Span::new(FileId(0), t.span.start as usize + offset, t.span.end as usize + offset)
}

fn shift(mut d: Diagnostic, offset: usize) -> Diagnostic {
    if let Some(s) = d.subject.as_mut() {
        s.start += offset as u32;
        s.end += offset as u32;
    }
    d
}

fn err(summary: &str, detail: &str, t: &Token) -> Diagnostic {
    Diagnostic::error(summary).with_detail(detail).with_subject(Span::new(FileId(0), t.span.start as usize, t.span.end as usize))
}

fn opener(k: TokenKind) -> bool {
    matches!(k, K::OBrace | K::OBrack | K::OParen | K::TemplateInterp | K::TemplateControl | K::OQuote | K::OHeredoc)
}

fn closer(k: TokenKind) -> bool {
    matches!(k, K::CBrace | K::CBrack | K::CParen | K::TemplateSeqEnd | K::CQuote | K::CHeredoc)
}

fn closes(open: TokenKind, close: TokenKind) -> bool {
    matches!(
        (open, close),
        (K::OBrace, K::CBrace)
            | (K::OBrack, K::CBrack)
            | (K::OParen, K::CParen)
            | (K::TemplateInterp | K::TemplateControl, K::TemplateSeqEnd)
            | (K::OQuote, K::CQuote)
            | (K::OHeredoc, K::CHeredoc)
    )
}

/// Token-level errors: characters that start no token, strings broken by a
/// newline, unterminated strings and heredocs, and unbalanced brackets.
fn check_tokens(src: &str, toks: &[Token], offset: usize) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let mut stack: Vec<&Token> = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        match t.kind {
            K::Invalid => {
                let text = t.text(src);
                let (summary, detail) = if text.starts_with('~') {
                    ("Invalid character", "The \"~\" character is only valid before the closing brace of a template sequence.")
                } else {
                    ("Invalid character", "This character is not used within the language.")
                };
                diags.push(Diagnostic::error(summary).with_detail(detail).with_subject(span_of(t, offset)));
                return diags;
            }
            K::QuotedNewline => {
                diags.push(
                    Diagnostic::error("Invalid multi-line string")
                        .with_detail(
                            "Quoted strings may not be split over multiple lines. To produce a multi-line string, \
                             either use the \\n escape to represent a newline character or use the \"heredoc\" \
                             multi-line template syntax.",
                        )
                        .with_subject(span_of(t, offset)),
                );
                return diags;
            }
            K::CHeredoc if toks.get(i + 1).map(|n| n.kind) == Some(K::Eof) => {
                // The closing marker must be followed by a newline.
                diags.push(
                    Diagnostic::error("Unterminated template string")
                        .with_detail("No closing marker was found for the string.")
                        .with_subject(span_of(t, offset)),
                );
                return diags;
            }
            k if opener(k) => stack.push(t),
            k if closer(k) => match stack.pop() {
                Some(o) if closes(o.kind, k) => {}
                Some(o) => {
                    diags.push(
                        Diagnostic::error("Mismatched brackets")
                            .with_detail(format!("This \"{}\" does not close \"{}\".", t.text(src), o.text(src).trim_end()))
                            .with_subject(span_of(t, offset)),
                    );
                    return diags;
                }
                None => {
                    diags.push(
                        Diagnostic::error("Unexpected closing bracket")
                            .with_detail(format!("There is no opening bracket for this \"{}\".", t.text(src)))
                            .with_subject(span_of(t, offset)),
                    );
                    return diags;
                }
            },
            _ => {}
        }
    }
    if let Some(o) = stack.pop() {
        let (summary, detail) = match o.kind {
            K::OQuote | K::OHeredoc | K::TemplateInterp | K::TemplateControl => {
                ("Unterminated template string", "No closing marker was found for the string.")
            }
            K::OBrace => ("Unclosed configuration block", "There is no closing brace for this block or object."),
            _ => ("Unbalanced brackets", "There is no closing bracket for this opening bracket."),
        };
        diags.push(Diagnostic::error(summary).with_detail(detail).with_subject(span_of(o, offset)));
    }
    diags
}

// ---------------------------------------------------------------------------
// Body structure and Terraform's normalizations

/// Replace raw tokens `start..end` (indices) by `with`.
struct Edit {
    start: usize,
    end: usize,
    with: Vec<FTok>,
}

fn is_line_end(src: &str, t: &Token) -> bool {
    t.kind == K::Newline || (t.kind == K::Comment && t.text(src).ends_with('\n'))
}

/// Walks the body structure without recursion (blocks nest on a stack) and
/// collects Terraform's rewrites of labels and argument values.
fn scan_bodies(src: &str, toks: &[Token]) -> Result<Vec<Edit>, Diagnostic> {
    let mut edits = Vec::new();
    // Block types of the enclosing blocks; whether each is a one-line block.
    let mut path: Vec<(String, bool)> = Vec::new();
    let mut i = 0;
    loop {
        while matches!(toks[i].kind, K::Newline | K::Comment) {
            i += 1;
        }
        let t = &toks[i];
        match t.kind {
            K::Eof => {
                if !path.is_empty() {
                    return Err(err("Unclosed configuration block", "There is no closing brace for this block.", t));
                }
                return Ok(edits);
            }
            K::CBrace => {
                if path.pop().is_none() {
                    return Err(err("Argument or block definition required", "An argument or block definition is required here.", t));
                }
                i += 1;
                let next = &toks[i];
                if !(is_line_end(src, next) || next.kind == K::Eof || next.kind == K::CBrace || next.kind == K::Comment) {
                    return Err(err(
                        "Missing newline after block definition",
                        "A block definition must end with a newline.",
                        next,
                    ));
                }
            }
            K::Ident if toks[i + 1].kind == K::Equal => {
                let name = t.text(src);
                let in_one_line = path.last().is_some_and(|p| p.1);
                let start = i + 2;
                let mut depth = 0usize;
                let mut j = start;
                loop {
                    let u = &toks[j];
                    if u.kind == K::Eof || (depth == 0 && (is_line_end(src, u) || u.kind == K::CBrace)) {
                        break;
                    }
                    if depth == 0 && u.kind == K::Equal {
                        return Err(err("Missing newline after argument", "An argument definition must end with a newline.", u));
                    }
                    if opener(u.kind) {
                        depth += 1;
                    } else if closer(u.kind) {
                        depth = depth.saturating_sub(1);
                    }
                    j += 1;
                }
                if toks[j].kind == K::CBrace && !in_one_line {
                    return Err(err("Missing newline after argument", "An argument definition must end with a newline.", &toks[j]));
                }
                // The expression proper: without comments around it.
                let mut first = start;
                while first < j && toks[first].kind == K::Comment {
                    first += 1;
                }
                let mut last = j;
                while last > first && toks[last - 1].kind == K::Comment {
                    last -= 1;
                }
                if first == last {
                    return Err(err("Invalid expression", "Expected the start of an expression, but found an invalid expression token.", &toks[j]));
                }
                let expr = &toks[first..last];
                let is_var_type = name == "type" && path.len() == 1 && path[0].0 == "variable";
                let replaced = if is_var_type { format_type_expr(src, expr) } else { format_value_expr(src, expr) };
                if let Some(with) = replaced {
                    edits.push(Edit { start: first, end: last, with });
                }
                i = j;
                if in_one_line && toks[j].kind != K::CBrace {
                    return Err(err(
                        "Invalid single-argument block definition",
                        "A single-line block definition must end with a closing brace immediately after its single argument definition.",
                        &toks[j],
                    ));
                }
            }
            K::Ident => {
                let btype = t.text(src).to_string();
                let mut j = i + 1;
                let mut labels = Vec::new();
                loop {
                    let u = &toks[j];
                    match u.kind {
                        K::Ident => {
                            labels.push(Some(u.text(src).to_string()));
                            j += 1;
                        }
                        K::OQuote => {
                            let mut k = j + 1;
                            let mut text = String::new();
                            let mut literal = true;
                            while toks[k].kind != K::CQuote {
                                match toks[k].kind {
                                    K::QuotedLit => text.push_str(toks[k].text(src)),
                                    K::Eof | K::Newline => break,
                                    _ => literal = false,
                                }
                                k += 1;
                            }
                            if toks[k].kind != K::CQuote || !literal {
                                return Err(err("Invalid block label", "Block labels must be quoted literal strings.", u));
                            }
                            // Terraform keeps only labels that lex as one
                            // literal token (or none).
                            labels.push(if literal_pieces(&text) <= 1 { unescape(&text) } else { None });
                            j = k + 1;
                        }
                        K::Comment if !u.text(src).ends_with('\n') => j += 1,
                        _ => break,
                    }
                }
                if toks[j].kind != K::OBrace {
                    let (summary, detail) = if labels.is_empty() {
                        (
                            "Argument or block definition required",
                            "An argument or block definition is required here. To set an argument, use the equals sign \"=\" to introduce the argument value.",
                        )
                    } else {
                        ("Invalid block definition", "Either a quoted string block label or an opening brace (\"{\") is expected here.")
                    };
                    return Err(err(summary, detail, &toks[j]));
                }
                if j > i + 1 {
                    let mut with = Vec::new();
                    for label in labels.into_iter().flatten() {
                        with.push(FTok::new(K::OQuote, "\""));
                        with.push(FTok::new(K::QuotedLit, escape_label(&label)));
                        with.push(FTok::new(K::CQuote, "\""));
                    }
                    edits.push(Edit { start: i + 1, end: j, with });
                }
                let mut a = j + 1;
                while toks[a].kind == K::Comment && !toks[a].text(src).ends_with('\n') {
                    a += 1;
                }
                let after = &toks[a];
                let one_line = !(is_line_end(src, after) || after.kind == K::CBrace);
                if one_line && path.last().is_some_and(|p| p.1) {
                    return Err(err(
                        "Invalid single-argument block definition",
                        "A single-line block definition can contain only a single argument.",
                        after,
                    ));
                }
                path.push((btype, one_line));
                i = j + 1;
            }
            _ => {
                return Err(err(
                    "Argument or block definition required",
                    "An argument or block definition is required here.",
                    t,
                ));
            }
        }
    }
}

/// `"${ expr }"` alone becomes `expr` (in parentheses if it spans lines).
fn format_value_expr(src: &str, expr: &[Token]) -> Option<Vec<FTok>> {
    let n = expr.len();
    if n < 5
        || expr[0].kind != K::OQuote
        || expr[1].kind != K::TemplateInterp
        || expr[n - 2].kind != K::TemplateSeqEnd
        || expr[n - 1].kind != K::CQuote
    {
        return None;
    }
    let inside = &expr[2..n - 2];
    let mut quotes = 0i64;
    for t in inside {
        match t.kind {
            K::OQuote => quotes += 1,
            K::CQuote => quotes -= 1,
            _ if quotes > 0 => {}
            K::TemplateInterp | K::TemplateSeqEnd | K::QuotedLit => return None,
            _ => {}
        }
    }
    let mut a = 0;
    let mut b = inside.len();
    while a < b && inside[a].kind == K::Newline {
        a += 1;
    }
    while b > a && inside[b - 1].kind == K::Newline {
        b -= 1;
    }
    let trimmed = &inside[a..b];
    let multi = trimmed.iter().any(|t| t.kind == K::Newline);
    let parens = trimmed.first().is_some_and(|t| t.kind == K::OParen) && trimmed.len() > 1 && trimmed.last().is_some_and(|t| t.kind == K::CParen);
    let mut out: Vec<FTok> = Vec::with_capacity(trimmed.len() + 2);
    let wrap = multi && !parens;
    if wrap {
        out.push(FTok::new(K::OParen, "("));
    }
    out.extend(from_raw(src, trimmed));
    if wrap {
        out.push(FTok::new(K::CParen, ")"));
    }
    Some(out)
}

/// `type` in a `variable` block: legacy quoted names and bare collections.
fn format_type_expr(src: &str, expr: &[Token]) -> Option<Vec<FTok>> {
    let call = |name: &str, elem: &str| {
        Some(vec![FTok::new(K::Ident, name), FTok::new(K::OParen, "("), FTok::new(K::Ident, elem), FTok::new(K::CParen, ")")])
    };
    match expr {
        [t] if t.kind == K::Ident => match t.text(src) {
            name @ ("list" | "map" | "set") => call(name, "any"),
            _ => None,
        },
        [o, s, c] if o.kind == K::OQuote && s.kind == K::QuotedLit && c.kind == K::CQuote => match s.text(src) {
            "string" => Some(vec![FTok::new(K::Ident, "string")]),
            name @ ("list" | "map") => call(name, "string"),
            _ => None,
        },
        _ => None,
    }
}

/// How many tokens HCL's scanner makes of a quoted literal: it splits off
/// every `$` and `%` (with a following `${`/`%{` for the escapes `$${` and
/// `%%{`) from the runs of other characters.
fn literal_pieces(s: &str) -> usize {
    let b = s.as_bytes();
    let mut pieces = 0;
    let mut in_run = false;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            c @ (b'$' | b'%') => {
                in_run = false;
                pieces += 1;
                i += 1;
                if b.get(i) == Some(&c) && b.get(i + 1) == Some(&b'{') {
                    i += 2;
                    if b.get(i) == Some(&b'~') {
                        i += 1;
                    }
                }
            }
            c => {
                if !in_run {
                    pieces += 1;
                    in_run = true;
                }
                i += if c == b'\\' { 2 } else { 1 };
            }
        }
    }
    pieces
}

/// Decodes a quoted label's escapes; `None` if they are invalid (Terraform
/// then drops the label).
fn unescape(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                '"' => out.push('"'),
                '\\' => out.push('\\'),
                u @ ('u' | 'U') => {
                    let len = if u == 'u' { 4 } else { 8 };
                    let mut v = 0u32;
                    for _ in 0..len {
                        v = v * 16 + chars.next()?.to_digit(16)?;
                    }
                    out.push(char::from_u32(v)?);
                }
                _ => return None,
            },
            '$' | '%' if chars.peek() == Some(&c) => {
                // `$${` and `%%{` are escaped template introducers.
                chars.next();
                if chars.peek() == Some(&'{') {
                    out.push(c);
                } else {
                    out.push(c);
                    out.push(c);
                }
            }
            _ => out.push(c),
        }
    }
    Some(out)
}

/// Quotes a label the way Terraform writes string values.
fn escape_label(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' | '%' => {
                out.push(c);
                if chars.peek() == Some(&'{') {
                    out.push(c);
                }
            }
            c if !is_print(c) => {
                let v = c as u32;
                if v < 0x10000 {
                    out.push_str(&format!("\\u{v:04x}"));
                } else {
                    out.push_str(&format!("\\U{v:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// An approximation of Go's `unicode.IsPrint`.
fn is_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    !(c.is_control()
        || c.is_whitespace()
        || matches!(c as u32, 0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x180E | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB | 0xE000..=0xF8FF | 0xE0001 | 0xE0020..=0xE007F | 0xF0000..))
}

// ---------------------------------------------------------------------------
// Layout tokens

#[derive(Debug, Clone)]
struct FTok {
    kind: TokenKind,
    /// `::`, which the lexer gives as two colons.
    double_colon: bool,
    text: String,
    spaces: usize,
}

impl FTok {
    fn new(kind: TokenKind, text: impl Into<String>) -> FTok {
        FTok { kind, double_colon: false, text: text.into(), spaces: 0 }
    }

    fn is_newline(&self) -> bool {
        self.kind == K::Newline || (self.kind == K::Comment && self.text.ends_with('\n'))
    }
}

fn from_raw(src: &str, raw: &[Token]) -> Vec<FTok> {
    let mut out: Vec<FTok> = Vec::with_capacity(raw.len());
    let mut prev: Option<&Token> = None;
    for t in raw {
        if t.kind == K::Eof {
            break;
        }
        if let (K::Colon, Some(p)) = (t.kind, prev) {
            if p.kind == K::Colon && p.span.end == t.span.start && out.last().is_some_and(|l| !l.double_colon) {
                let last = out.last_mut().unwrap_or_else(|| unreachable!());
                last.double_colon = true;
                last.text.push(':');
                prev = None;
                continue;
            }
        }
        out.push(FTok::new(t.kind, t.text(src)));
        prev = Some(t);
    }
    out
}

fn build_tokens(src: &str, raw: &[Token], mut edits: Vec<Edit>) -> Vec<FTok> {
    edits.sort_by_key(|e| e.start);
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    for e in edits {
        if e.start < i {
            continue;
        }
        out.extend(from_raw(src, &raw[i..e.start]));
        out.extend(e.with);
        i = e.end;
    }
    out.extend(from_raw(src, &raw[i..]));
    out
}

// ---------------------------------------------------------------------------
// Whitespace

#[derive(Debug, Clone, Copy)]
struct Line {
    /// Token index ranges; `assign` and `comment` may be empty.
    lead: (usize, usize),
    assign: (usize, usize),
    comment: (usize, usize),
}

fn bracket_change(t: &FTok) -> i64 {
    match t.kind {
        K::OBrace | K::OBrack | K::OParen | K::TemplateControl | K::TemplateInterp => 1,
        K::CBrace | K::CBrack | K::CParen | K::TemplateSeqEnd => -1,
        _ => 0,
    }
}

fn layout(toks: &mut [FTok]) {
    let lines = split_lines(toks);
    indent(toks, &lines);
    space(toks, &lines);
    align(toks, &lines);
}

fn split_lines(toks: &[FTok]) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut start = 0;
    for (i, t) in toks.iter().enumerate() {
        if t.is_newline() {
            lines.push((start, i + 1));
            start = i + 1;
        }
    }
    if start < toks.len() {
        lines.push((start, toks.len()));
    }
    lines
        .into_iter()
        .map(|(s, e)| {
            let mut line = Line { lead: (s, e), assign: (e, e), comment: (e, e) };
            let mut lead_end = e;
            if e - s > 1 && toks[e - 1].kind == K::Comment {
                line.comment = (e - 1, e);
                lead_end = e - 1;
            }
            line.lead = (s, lead_end);
            line.assign = (lead_end, lead_end);
            if let Some(eq) = (s + 1..lead_end).find(|&i| toks[i].kind == K::Equal) {
                let net: i64 = toks[eq..lead_end].iter().map(bracket_change).sum();
                if net == 0 {
                    line.lead = (s, eq);
                    line.assign = (eq, lead_end);
                }
            }
            line
        })
        .collect()
}

fn indent(toks: &mut [FTok], lines: &[Line]) {
    let mut indents: Vec<i64> = Vec::new();
    for line in lines {
        let (s, e) = line.lead;
        if s == e {
            continue;
        }
        if toks[s].kind == K::Newline {
            toks[s].spaces = 0;
            continue;
        }
        let mut net = 0i64;
        for t in &toks[s..e] {
            net += bracket_change(t);
            if t.kind == K::OHeredoc {
                break;
            }
        }
        net += toks[line.assign.0..line.assign.1].iter().map(bracket_change).sum::<i64>();
        if net > 0 {
            toks[s].spaces = 2 * indents.len();
            indents.push(net);
        } else {
            let mut closed = -net;
            while closed > 0 {
                let Some(top) = indents.last_mut() else { break };
                if closed >= *top {
                    closed -= *top;
                    indents.pop();
                } else {
                    *top -= closed;
                    closed = 0;
                }
            }
            toks[s].spaces = 2 * indents.len();
        }
    }
}

fn space(toks: &mut [FTok], lines: &[Line]) {
    for line in lines {
        for (s, e) in [line.lead, line.assign] {
            if s == e {
                continue;
            }
            if (s, e) == line.assign {
                toks[s].spaces = 1;
            }
            for i in s..e.saturating_sub(1) {
                let before = if i > s { Some(&toks[i - 1]) } else { None };
                let sp = space_after(&toks[i], before, &toks[i + 1]);
                toks[i + 1].spaces = usize::from(sp);
            }
        }
    }
}

/// Whether `subject` is followed by a space when `after` comes next.
fn space_after(subject: &FTok, before: Option<&FTok>, after: &FTok) -> bool {
    let sk = subject.kind;
    let ak = after.kind;
    let s_dc = subject.double_colon;
    let a_dc = after.double_colon;
    if ak == K::Newline {
        return false;
    }
    if sk == K::Ident && ak == K::OParen {
        return false;
    }
    if (sk == K::Ident && a_dc) || (s_dc && ak == K::Ident) {
        return false;
    }
    if sk == K::Dot || ak == K::Dot {
        return false;
    }
    if ak == K::Comma || ak == K::Ellipsis {
        return false;
    }
    if sk == K::Comma {
        return true;
    }
    if matches!(sk, K::QuotedLit | K::StringLit | K::OQuote | K::OHeredoc) || matches!(ak, K::QuotedLit | K::StringLit | K::CQuote | K::CHeredoc) {
        return false;
    }
    if sk == K::Ident && subject.text == "in" && before.is_some_and(|b| b.kind == K::Ident) {
        return true;
    }
    if ak == K::OBrack && (sk == K::Ident || sk == K::NumberLit || bracket_change(subject) < 0) {
        return false;
    }
    if sk == K::Bang {
        return false;
    }
    if sk == K::Minus {
        let Some(b) = before else { return false };
        return !(matches!(
            b.kind,
            K::OParen
                | K::OBrace
                | K::OBrack
                | K::Equal
                | K::Comma
                | K::Question
                | K::Plus
                | K::Star
                | K::Slash
                | K::Percent
                | K::Minus
                | K::EqualOp
                | K::NotEqual
                | K::GreaterThan
                | K::GreaterThanEq
                | K::LessThan
                | K::LessThanEq
                | K::And
                | K::Or
                | K::Bang
        ) || (b.kind == K::Colon && !b.double_colon));
    }
    if sk == K::OBrace || ak == K::CBrace {
        return !(sk == K::OBrace && ak == K::CBrace);
    }
    if matches!(sk, K::TemplateInterp | K::TemplateControl) && ak == K::OBrace {
        return true;
    }
    if sk == K::CBrace && ak == K::TemplateSeqEnd {
        return true;
    }
    if sk == K::TemplateSeqEnd && matches!(ak, K::TemplateInterp | K::TemplateControl) {
        return false;
    }
    if bracket_change(subject) > 0 || bracket_change(after) < 0 {
        return false;
    }
    true
}

fn columns(toks: &[FTok]) -> usize {
    toks.iter().map(|t| t.spaces + graphemes(&t.text)).sum()
}

fn align(toks: &mut [FTok], lines: &[Line]) {
    // `=` cells first: moving them moves the comments too.
    let mut i = 0;
    while i < lines.len() {
        if lines[i].assign.0 == lines[i].assign.1 {
            i += 1;
            continue;
        }
        let mut j = i;
        let mut max = 0;
        while j < lines.len() && lines[j].assign.0 != lines[j].assign.1 {
            let (s, e) = lines[j].lead;
            max = max.max(columns(&toks[s..e]));
            j += 1;
        }
        for line in &lines[i..j] {
            let (s, e) = line.lead;
            let cols = columns(&toks[s..e]);
            toks[line.assign.0].spaces = max - cols + 1;
        }
        i = j;
    }
    let mut i = 0;
    while i < lines.len() {
        if lines[i].comment.0 == lines[i].comment.1 {
            i += 1;
            continue;
        }
        let width = |toks: &[FTok], line: &Line| columns(&toks[line.lead.0..line.lead.1]) + columns(&toks[line.assign.0..line.assign.1]);
        let mut j = i;
        let mut max = 0;
        while j < lines.len() && lines[j].comment.0 != lines[j].comment.1 {
            max = max.max(width(toks, &lines[j]));
            j += 1;
        }
        for line in &lines[i..j] {
            let cols = width(toks, line);
            toks[line.comment.0].spaces = max - cols + 1;
        }
        i = j;
    }
}

/// Counts user-perceived characters (extended grapheme clusters), closely
/// enough for alignment: combining marks, joiners, variation selectors,
/// emoji modifiers, regional-indicator pairs and CRLF extend a cluster.
fn graphemes(s: &str) -> usize {
    let mut count = 0;
    let mut prev: Option<char> = None;
    let mut ri_odd = false;
    for c in s.chars() {
        let v = c as u32;
        let extends = match prev {
            None => false,
            Some(p) => {
                (p == '\r' && c == '\n')
                    || p == '\u{200D}'
                    || is_extend(v)
                    || (is_regional(v) && ri_odd && is_regional(p as u32))
            }
        };
        if is_regional(v) {
            ri_odd = !extends;
        } else {
            ri_odd = false;
        }
        if !extends {
            count += 1;
        }
        prev = Some(c);
    }
    count
}

fn is_regional(v: u32) -> bool {
    (0x1F1E6..=0x1F1FF).contains(&v)
}

fn is_extend(v: u32) -> bool {
    matches!(v,
        0x200C | 0x200D
        | 0x0300..=0x036F
        | 0x0483..=0x0489
        | 0x0591..=0x05BD | 0x05BF | 0x05C1..=0x05C2 | 0x05C4..=0x05C5 | 0x05C7
        | 0x0610..=0x061A | 0x064B..=0x065F | 0x0670 | 0x06D6..=0x06DC | 0x06DF..=0x06E4 | 0x06E7..=0x06E8 | 0x06EA..=0x06ED
        | 0x0900..=0x0903 | 0x093A..=0x093C | 0x093E..=0x094F | 0x0951..=0x0957 | 0x0962..=0x0963
        | 0x0981..=0x0983 | 0x09BC | 0x09BE..=0x09CD | 0x09D7 | 0x09E2..=0x09E3
        | 0x0A01..=0x0A03 | 0x0A3C..=0x0A51 | 0x0A70..=0x0A71 | 0x0A75
        | 0x0A81..=0x0A83 | 0x0ABC | 0x0ABE..=0x0ACD | 0x0AE2..=0x0AE3
        | 0x0B01..=0x0B03 | 0x0B3C | 0x0B3E..=0x0B57 | 0x0B62..=0x0B63
        | 0x0BBE..=0x0BCD | 0x0BD7 | 0x0C00..=0x0C04 | 0x0C3E..=0x0C56 | 0x0C62..=0x0C63
        | 0x0C81..=0x0C83 | 0x0CBC | 0x0CBE..=0x0CD6 | 0x0CE2..=0x0CE3
        | 0x0D00..=0x0D03 | 0x0D3B..=0x0D3C | 0x0D3E..=0x0D4D | 0x0D57 | 0x0D62..=0x0D63
        | 0x0E31 | 0x0E34..=0x0E3A | 0x0E47..=0x0E4E | 0x0EB1 | 0x0EB4..=0x0EBC | 0x0EC8..=0x0ECD
        | 0x0F18..=0x0F19 | 0x0F35 | 0x0F37 | 0x0F39 | 0x0F71..=0x0F84 | 0x0F86..=0x0F87
        | 0x102B..=0x103E | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF
        | 0x20D0..=0x20FF | 0x302A..=0x302F | 0x3099..=0x309A
        | 0xFE00..=0xFE0F | 0xFE20..=0xFE2F | 0xFF9E..=0xFF9F
        | 0x1F3FB..=0x1F3FF | 0xE0020..=0xE007F | 0xE0100..=0xE01EF)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(s: &str) -> String {
        format(s).unwrap_or_else(|d| panic!("{d:?}"))
    }

    #[test]
    fn aligns_and_spaces() {
        assert_eq!(f("a=1\nbbb = 2 # c\n"), "a   = 1\nbbb = 2 # c\n");
        assert_eq!(f("x = foo( a , b )\n"), "x = foo(a, b)\n");
        assert_eq!(f("x = [for x in [1]: x]\n"), "x = [for x in [1] : x]\n");
    }

    #[test]
    fn terraform_normalizations() {
        assert_eq!(f("resource aws_x y {\n a = \"${b}\"\n}\n"), "resource \"aws_x\" \"y\" {\n  a = b\n}\n");
        assert_eq!(f("variable \"v\" {\n type = \"list\"\n}\n"), "variable \"v\" {\n  type = list(string)\n}\n");
        assert_eq!(f("x = provider :: a :: b(1)\n"), "x = provider::a::b(1)\n");
    }

    #[test]
    fn keeps_crlf_heredoc_and_missing_final_newline() {
        assert_eq!(f("a=1\r\nb = <<EOT\r\n  x  \r\nEOT\r\n"), "a = 1\r\nb = <<EOT\r\n  x  \r\nEOT\r\n");
        assert_eq!(f("x=1"), "x = 1");
        assert_eq!(f(""), "");
    }

    #[test]
    fn syntax_errors_are_refused() {
        for bad in ["x = \"a\n", "x = (1\n", "x = 1)\n", "a {\n", "x = <<EOT\nfoo\n", "x = <<EOT\nfoo\nEOT", "x = 1 @\n", "a = 1 b = 2\n", "= 1\n"] {
            let d = format(bad).expect_err(bad);
            assert!(d.has_errors() && d.iter().all(|d| d.subject.is_some()), "{bad}");
        }
    }

    #[test]
    fn deep_nesting_and_garbage_do_not_panic() {
        let deep = format!("x = {}1{}\n", "[".repeat(10_000), "]".repeat(10_000));
        assert!(format(&deep).is_ok());
        let deep_blocks = format!("{}{}", "a {\n".repeat(3000), "}\n".repeat(3000));
        assert!(format(&deep_blocks).is_ok());
        let mut seed = 12345u64;
        for _ in 0..2000 {
            let mut s = String::new();
            for _ in 0..(seed % 40) {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let alphabet = ['{', '}', '[', ']', '(', ')', '"', '$', '%', '~', '<', '-', 'E', 'a', '=', '\n', ' ', '#', '/', '*', ':', '\r', 'é', '\t'];
                s.push(alphabet[(seed >> 33) as usize % alphabet.len()]);
            }
            let _ = format(&s);
        }
    }
}
