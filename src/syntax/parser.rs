//! The HCL native-syntax parser: tokens to [`Body`] with spans.
//!
//! Owns: the grammar of HCL's native syntax as Terraform accepts it,
//! including forms hcl-rs rejects (duplicate object keys, mixed `,`/newline
//! separators, multi-line conditionals inside `for`), escape decoding,
//! template strip markers and heredoc indentation, a nesting-depth limit, and
//! a diagnostic (never a panic) for every malformed input.
//!
//! The parser is recursive descent over [`lexer::lex`] tokens. Comments are
//! dropped up front, a line comment standing for the newline it ends with
//! (as hclsyntax's peeker does). Whether newlines are significant is a stack:
//! they separate body items and object items, and are skipped inside
//! parentheses, brackets, `for` expressions and template sequences.
//!
//! Errors: every parse function returns `Err(())` after reporting a
//! diagnostic; bracketed constructs skip to their closing bracket and bodies
//! skip to the next line, so one run reports several problems. Past
//! [`MAX_NESTING`] levels (or [`MAX_DIAGNOSTICS`] problems) the parser stops
//! reading: it behaves as if the file ended there and reports nothing more.

use super::ast::{
    Attribute, BinaryOp, Block, Body, Expr, ExprKind, ForExpr, Ident, ObjectItem, ObjectKey, Template, TemplatePart,
    UnaryOp,
};
use super::lexer;
use super::token::{Token, TokenKind as K};
use crate::diag::{Diagnostic, Diagnostics, FileId, Span};

/// Deepest nesting of blocks, brackets, templates and sub-expressions.
pub const MAX_NESTING: usize = 128;
/// Tallest syntax tree (nesting plus operator and traversal chains), so that
/// later recursive walks of the tree stay within a thread's stack.
pub const MAX_HEIGHT: usize = 1024;
/// Problems reported per file before giving up.
pub const MAX_DIAGNOSTICS: usize = 50;

/// Parses a native-syntax file. Always returns a body (possibly partial) with
/// every problem found.
pub fn parse(src: &str, file: FileId) -> (Body, Diagnostics) {
    let mut p = Parser::new(src, file, 0, lexer::lex(src, file));
    let mut body = p.parse_body(None);
    body.span = Span::new(file, 0, src.len());
    (body, p.diags)
}

/// Parses `src` as a bare template (the contents of a string without its
/// quotes), as used for `*.tf.json` strings and `templatefile`. `offset` is
/// the byte position of `src` within the file, for spans.
pub fn parse_template(src: &str, file: FileId, offset: usize) -> (Template, Diagnostics) {
    let mut p = Parser::new(src, file, offset, lexer::lex_template(src, file));
    let whole = Span::new(file, offset, offset + src.len());
    p.nl.push(true);
    let template = p.parse_template_parts(TemplateKind::Bare, whole).unwrap_or_default();
    (template, p.diags)
}

/// Parses `src` as a single expression (for `-var` values and `terraform console`-like uses).
pub fn parse_expr(src: &str, file: FileId) -> (Option<super::ast::Expr>, Diagnostics) {
    parse_expr_at(src, file, 0)
}

/// [`parse_expr`] for an expression found at byte `offset` of a file (such as
/// a `*.tf.json` string holding a traversal), for spans.
pub fn parse_expr_at(src: &str, file: FileId, offset: usize) -> (Option<super::ast::Expr>, Diagnostics) {
    let mut p = Parser::new(src, file, offset, lexer::lex(src, file));
    p.nl.push(false);
    let expr = p.parse_expression().ok();
    if expr.is_some() {
        let t = p.peek();
        if t.kind != K::Eof {
            p.error(
                "Extra characters after expression",
                "An expression was successfully parsed, but extra characters were found after it.",
                t.span,
            );
            return (None, p.diags);
        }
    }
    (expr, p.diags)
}

type PResult<T> = Result<T, ()>;

#[derive(Clone, Copy, PartialEq, Eq)]
enum TemplateKind {
    Quoted,
    Heredoc,
    Bare,
}

/// One element of a template before directives are matched up.
enum Flat {
    Lit(String),
    Interp(Expr),
    If(Expr, Span),
    Else(Span),
    EndIf(Span),
    For(Option<Ident>, Ident, Expr, Span),
    EndFor(Span),
}

struct Parser<'a> {
    src: &'a str,
    file: FileId,
    /// Added to lexer offsets (for templates embedded in a larger file).
    base: usize,
    toks: Vec<Token>,
    pos: usize,
    diags: Diagnostics,
    /// Parser recursion depth.
    nesting: usize,
    /// Height of the tree being built along the current path.
    height: usize,
    /// Whether newlines are significant (top of the stack).
    nl: Vec<bool>,
    /// Set once parsing must stop (too deep, too many errors): every peek then
    /// sees end of file.
    stopped: bool,
}

fn is_open(k: K) -> bool {
    matches!(k, K::OBrace | K::OBrack | K::OParen | K::TemplateInterp | K::TemplateControl | K::OQuote | K::OHeredoc)
}

fn is_close(k: K) -> bool {
    matches!(k, K::CBrace | K::CBrack | K::CParen | K::TemplateSeqEnd | K::CQuote | K::CHeredoc | K::QuotedNewline)
}

impl<'a> Parser<'a> {
    fn new(src: &'a str, file: FileId, base: usize, raw: Vec<Token>) -> Parser<'a> {
        let mut toks = Vec::with_capacity(raw.len());
        for mut t in raw {
            t.span.start += base as u32;
            t.span.end += base as u32;
            if t.kind == K::Comment {
                let text = src.get(t.span.start as usize - base..t.span.end as usize - base).unwrap_or("");
                if !text.starts_with("/*") && text.ends_with('\n') {
                    let nl_len = if text.ends_with("\r\n") { 2 } else { 1 };
                    toks.push(Token { kind: K::Newline, span: Span { start: t.span.end - nl_len, ..t.span } });
                }
                continue;
            }
            toks.push(t);
        }
        if toks.last().map(|t| t.kind) != Some(K::Eof) {
            let end = (base + src.len()) as u32;
            toks.push(Token { kind: K::Eof, span: Span { file, start: end, end } });
        }
        Parser { src, file, base, toks, pos: 0, diags: Diagnostics::new(), nesting: 0, height: 0, nl: vec![true], stopped: false }
    }

    // ----- token access -------------------------------------------------

    fn nl_significant(&self) -> bool {
        self.nl.last().copied().unwrap_or(true)
    }

    /// Index of the `n`th upcoming token, skipping insignificant newlines.
    fn peek_index(&self, n: usize) -> usize {
        let last = self.toks.len() - 1;
        if self.stopped {
            return last;
        }
        let skip = !self.nl_significant();
        let mut i = self.pos.min(last);
        let mut count = 0;
        loop {
            while skip && self.toks[i].kind == K::Newline {
                i += 1;
            }
            if count == n || i >= last {
                return i.min(last);
            }
            i += 1;
            count += 1;
        }
    }

    fn peek(&self) -> Token {
        self.toks[self.peek_index(0)]
    }

    fn peek_kind(&self) -> K {
        self.peek().kind
    }

    fn peek_at(&self, n: usize) -> Token {
        self.toks[self.peek_index(n)]
    }

    fn next(&mut self) -> Token {
        let i = self.peek_index(0);
        let t = self.toks[i];
        self.pos = if t.kind == K::Eof { i } else { i + 1 };
        t
    }

    fn text(&self, t: Token) -> &'a str {
        let s = (t.span.start as usize).saturating_sub(self.base);
        let e = (t.span.end as usize).saturating_sub(self.base);
        self.src.get(s..e).unwrap_or("")
    }

    fn is_keyword(&self, t: Token, word: &str) -> bool {
        t.kind == K::Ident && self.text(t) == word
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    // ----- diagnostics and limits -----------------------------------------

    fn error(&mut self, summary: &str, detail: &str, subject: Span) {
        if self.stopped {
            return;
        }
        self.diags.push(Diagnostic::error(summary).with_detail(detail).with_subject(subject));
        if self.diags.len() >= MAX_DIAGNOSTICS {
            self.stopped = true;
        }
    }

    /// Enters one level of nesting; fails (once, with a diagnostic) when too deep.
    fn enter(&mut self, at: Span) -> PResult<()> {
        self.nesting += 1;
        self.height += 1;
        if self.nesting > MAX_NESTING || self.height > MAX_HEIGHT {
            self.nesting -= 1;
            self.height -= 1;
            self.too_deep(at);
            return Err(());
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.nesting -= 1;
        self.height -= 1;
    }

    /// Adds `n` to the tree height for a chain of operators or traversals.
    fn grow(&mut self, at: Span) -> PResult<()> {
        self.height += 1;
        if self.height > MAX_HEIGHT {
            self.too_deep(at);
            return Err(());
        }
        Ok(())
    }

    fn too_deep(&mut self, at: Span) {
        if !self.stopped {
            self.diags.push(
                Diagnostic::error("Nesting too deep")
                    .with_detail(format!(
                        "This construct is nested more than {MAX_NESTING} levels deep (or chains too many operations), which is not supported. Simplify the configuration."
                    ))
                    .with_subject(at),
            );
        }
        self.stopped = true;
    }

    /// Runs `f` with newlines significant or not.
    fn with_nl<T>(&mut self, significant: bool, f: impl FnOnce(&mut Self) -> T) -> T {
        self.nl.push(significant);
        let r = f(self);
        self.nl.pop();
        r
    }

    // ----- recovery -----------------------------------------------------

    /// Skips to the end of the current line (consuming the newline), without
    /// leaving the enclosing block: a `}` at bracket depth zero stays.
    fn recover_line(&mut self) {
        let mut depth = 0usize;
        loop {
            if self.stopped {
                return;
            }
            let t = self.toks[self.pos.min(self.toks.len() - 1)];
            match t.kind {
                K::Eof => return,
                K::Newline | K::QuotedNewline if depth == 0 => {
                    self.pos += 1;
                    return;
                }
                K::CBrace if depth == 0 => return,
                k if is_open(k) => depth += 1,
                k if is_close(k) => depth = depth.saturating_sub(1),
                _ => {}
            }
            self.pos += 1;
        }
    }

    /// Consumes the expected closing token, or reports `summary`/`detail`
    /// at what stands there instead and skips past the closing token.
    fn expect_close(&mut self, close: K, summary: &str, detail: &str) -> PResult<Token> {
        let t = self.peek();
        if t.kind != close {
            self.error(summary, detail, t.span);
            self.recover_to(close);
            return Err(());
        }
        self.next();
        Ok(t)
    }

    /// Skips past the token closing the current bracket (`close`), stopping
    /// without consuming at a `}` that closes an enclosing block.
    fn recover_to(&mut self, close: K) {
        let mut depth = 0usize;
        loop {
            if self.stopped {
                return;
            }
            let t = self.toks[self.pos.min(self.toks.len() - 1)];
            match t.kind {
                K::Eof => return,
                k if k == close && depth == 0 => {
                    self.pos += 1;
                    return;
                }
                K::CBrace if depth == 0 => return,
                k if is_open(k) => depth += 1,
                k if is_close(k) => depth = depth.saturating_sub(1),
                _ => {}
            }
            self.pos += 1;
        }
    }

    // ----- bodies -------------------------------------------------------

    /// A body: the whole file (`open` is `None`) or a block's contents after
    /// its `{` (consumes the closing `}`).
    fn parse_body(&mut self, open: Option<Token>) -> Body {
        let mut body = Body::default();
        let start = open.map(|o| o.span.start as usize).unwrap_or(self.base);
        let mut end;
        self.nl.push(true);
        loop {
            let t = self.peek();
            end = t.span.end as usize;
            match t.kind {
                K::Newline => {
                    self.next();
                }
                K::Eof => {
                    if let Some(o) = open {
                        self.error(
                            "Unclosed configuration block",
                            "There is no closing brace for this block before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file.",
                            o.span,
                        );
                    }
                    break;
                }
                K::CBrace => {
                    self.next();
                    if open.is_some() {
                        break;
                    }
                    self.error(
                        "Argument or block definition required",
                        "An argument or block definition is required here. This closing brace has no matching opening brace.",
                        t.span,
                    );
                }
                K::Ident => self.parse_item(&mut body),
                K::Invalid => {
                    self.invalid_char(t);
                    self.recover_line();
                }
                _ => {
                    self.error(
                        "Argument or block definition required",
                        "An argument or block definition is required here.",
                        t.span,
                    );
                    self.recover_line();
                }
            }
        }
        self.nl.pop();
        body.span = self.span(start, end);
        body
    }

    fn invalid_char(&mut self, t: Token) {
        let text = self.text(t);
        let detail = if text.starts_with('\'') {
            "Single quotes are not valid. Use double quotes (\") to enclose strings.".to_string()
        } else {
            format!("This character is not used within the language: {:?}.", text.chars().next().unwrap_or('?'))
        };
        self.error("Invalid character", &detail, t.span);
    }

    fn ident(&self, t: Token) -> Ident {
        Ident { name: self.text(t).to_string(), span: t.span }
    }

    /// An attribute or a block, starting at an identifier.
    fn parse_item(&mut self, body: &mut Body) {
        let name_tok = self.next();
        let name = self.ident(name_tok);
        let t = self.peek();
        match t.kind {
            K::Equal => {
                self.next();
                match self.parse_attribute_value(name) {
                    Ok(attr) => {
                        body.attributes.push(attr);
                        let t = self.peek();
                        match t.kind {
                            K::Newline => {
                                self.next();
                            }
                            K::Eof => {}
                            _ => {
                                self.error(
                                    "Missing newline after argument",
                                    "An argument definition must end with a newline.",
                                    t.span,
                                );
                                self.recover_line();
                            }
                        }
                    }
                    Err(()) => self.recover_line(),
                }
            }
            K::OQuote | K::Ident | K::OBrace => match self.parse_block(name) {
                Ok(block) => {
                    body.blocks.push(block);
                    let t = self.peek();
                    match t.kind {
                        K::Newline => {
                            self.next();
                        }
                        K::Eof => {}
                        _ => {
                            self.error(
                                "Missing newline after block definition",
                                "A block definition must end with a newline.",
                                t.span,
                            );
                            self.recover_line();
                        }
                    }
                }
                Err(()) => self.recover_line(),
            },
            _ => {
                let detail = if t.kind == K::Colon {
                    "An argument or block definition is required here. To set an argument, use the equals sign \"=\" to introduce the argument value (not a colon)."
                } else {
                    "An argument or block definition is required here. To set an argument, use the equals sign \"=\" to introduce the argument value."
                };
                let subject = if t.kind == K::Newline || t.kind == K::Eof { name_tok.span } else { t.span };
                self.error("Argument or block definition required", detail, subject);
                self.recover_line();
            }
        }
    }

    fn parse_attribute_value(&mut self, name: Ident) -> PResult<Attribute> {
        let expr = self.parse_expression()?;
        let span = name.span.to(expr.span);
        Ok(Attribute { name, expr, span })
    }

    fn parse_block(&mut self, kind: Ident) -> PResult<Block> {
        self.enter(kind.span)?;
        let r = self.parse_block_inner(kind);
        self.leave();
        r
    }

    fn parse_block_inner(&mut self, kind: Ident) -> PResult<Block> {
        let mut labels = Vec::new();
        let open = loop {
            let t = self.peek();
            match t.kind {
                K::Ident => {
                    self.next();
                    labels.push(self.ident(t));
                }
                K::OQuote => labels.push(self.parse_label()?),
                K::OBrace => break self.next(),
                _ => {
                    let detail = if t.kind == K::Equal {
                        "Block labels are followed by an opening brace; an equals sign is not expected here."
                    } else {
                        "Either a quoted string block label or an opening brace (\"{\") is expected here."
                    };
                    let subject = if t.kind == K::Newline || t.kind == K::Eof { kind.span } else { t.span };
                    self.error("Invalid block definition", detail, subject);
                    return Err(());
                }
            }
        };
        let t = self.peek();
        let body = match t.kind {
            K::Newline | K::Eof => self.parse_body(Some(open)),
            K::CBrace => {
                self.next();
                Body { attributes: vec![], blocks: vec![], span: open.span.to(t.span) }
            }
            _ => self.parse_single_line_body(open)?,
        };
        let span = kind.span.to(body.span);
        Ok(Block { kind, labels, body, span })
    }

    /// `{ name = expr }` on one line: one argument at most.
    fn parse_single_line_body(&mut self, open: Token) -> PResult<Body> {
        let t = self.peek();
        if t.kind != K::Ident {
            if t.kind == K::Invalid {
                self.invalid_char(t);
            } else {
                self.error("Argument or block definition required", "An argument or block definition is required here.", t.span);
            }
            self.recover_to(K::CBrace);
            return Err(());
        }
        let name_tok = self.next();
        if self.peek_kind() != K::Equal {
            let msg = format!(
                "A single-line block definition can contain only a single argument. If you meant to define argument \"{}\", use an equals sign to assign it a value. To define a nested block, place it on a line of its own within its parent block.",
                self.text(name_tok)
            );
            self.error("Invalid single-argument block definition", &msg, name_tok.span);
            self.recover_to(K::CBrace);
            return Err(());
        }
        self.next();
        let name = self.ident(name_tok);
        let attr = match self.parse_attribute_value(name) {
            Ok(a) => a,
            Err(()) => {
                self.recover_to(K::CBrace);
                return Err(());
            }
        };
        let close = self.expect_close(K::CBrace, "Invalid single-argument block definition", "A single-line block definition must end with a closing brace immediately after its single argument definition.")?;
        Ok(Body { attributes: vec![attr], blocks: vec![], span: open.span.to(close.span) })
    }

    /// A quoted block label: a string with no template sequences.
    fn parse_label(&mut self) -> PResult<Ident> {
        let open = self.next();
        let mut name = String::new();
        loop {
            let t = self.toks[self.pos.min(self.toks.len() - 1)];
            match t.kind {
                K::QuotedLit => {
                    self.pos += 1;
                    name.push_str(&self.decode_quoted(t));
                }
                K::CQuote => {
                    self.pos += 1;
                    return Ok(Ident { name, span: open.span.to(t.span) });
                }
                K::TemplateInterp | K::TemplateControl => {
                    self.error(
                        "Invalid string literal",
                        "Template sequences are not allowed in this string. To include a literal \"$\" or \"%\", double it (as \"$$\" or \"%%\") to escape it.",
                        t.span,
                    );
                    return Err(());
                }
                K::QuotedNewline => {
                    self.error("Invalid multi-line string", MULTILINE_DETAIL, t.span);
                    return Err(());
                }
                _ => {
                    self.error("Unterminated template string", "No closing marker was found for the string.", open.span);
                    return Err(());
                }
            }
        }
    }

    // ----- expressions --------------------------------------------------

    fn parse_expression(&mut self) -> PResult<Expr> {
        let at = self.peek().span;
        self.enter(at)?;
        let r = self.parse_conditional();
        self.leave();
        r
    }

    fn parse_conditional(&mut self) -> PResult<Expr> {
        let cond = self.parse_binary(0)?;
        if self.peek_kind() != K::Question {
            return Ok(cond);
        }
        self.next();
        let then = self.parse_expression()?;
        let t = self.peek();
        if t.kind != K::Colon {
            self.error(
                "Missing false expression in conditional",
                "The conditional operator (...?...:...) requires a false expression, delimited by a colon.",
                t.span,
            );
            return Err(());
        }
        self.next();
        let otherwise = self.parse_expression()?;
        let span = cond.span.to(otherwise.span);
        Ok(Expr::new(
            ExprKind::Conditional { cond: Box::new(cond), then: Box::new(then), otherwise: Box::new(otherwise) },
            span,
        ))
    }

    fn binary_op(kind: K) -> Option<(BinaryOp, usize)> {
        Some(match kind {
            K::Or => (BinaryOp::Or, 0),
            K::And => (BinaryOp::And, 1),
            K::EqualOp => (BinaryOp::Eq, 2),
            K::NotEqual => (BinaryOp::NotEq, 2),
            K::LessThan => (BinaryOp::Lt, 3),
            K::GreaterThan => (BinaryOp::Gt, 3),
            K::LessThanEq => (BinaryOp::LtEq, 3),
            K::GreaterThanEq => (BinaryOp::GtEq, 3),
            K::Plus => (BinaryOp::Add, 4),
            K::Minus => (BinaryOp::Sub, 4),
            K::Star => (BinaryOp::Mul, 5),
            K::Slash => (BinaryOp::Div, 5),
            K::Percent => (BinaryOp::Mod, 5),
            _ => return None,
        })
    }

    /// Binary operators of precedence `min` and above, left-associative.
    fn parse_binary(&mut self, min: usize) -> PResult<Expr> {
        let mut lhs = self.parse_unary()?;
        let height = self.height;
        let r = loop {
            let t = self.peek();
            let Some((op, prec)) = Self::binary_op(t.kind) else { break Ok(lhs) };
            if prec < min {
                break Ok(lhs);
            }
            self.next();
            if let Err(e) = self.grow(t.span) {
                break Err(e);
            }
            let rhs = if prec < 5 {
                match self.enter(t.span) {
                    Ok(()) => {
                        let r = self.parse_binary(prec + 1);
                        self.leave();
                        r
                    }
                    Err(e) => Err(e),
                }
            } else {
                self.parse_unary()
            };
            let rhs = match rhs {
                Ok(r) => r,
                Err(e) => break Err(e),
            };
            let span = lhs.span.to(rhs.span);
            lhs = Expr::new(ExprKind::Binary { op, lhs: Box::new(lhs), rhs: Box::new(rhs) }, span);
        };
        self.height = height;
        r
    }

    fn parse_unary(&mut self) -> PResult<Expr> {
        let t = self.peek();
        let op = match t.kind {
            K::Minus => UnaryOp::Neg,
            K::Bang => UnaryOp::Not,
            _ => return self.parse_postfix(),
        };
        self.next();
        self.enter(t.span)?;
        let r = self.parse_unary();
        self.leave();
        let operand = r?;
        let span = t.span.to(operand.span);
        Ok(Expr::new(ExprKind::Unary { op, expr: Box::new(operand) }, span))
    }

    fn parse_postfix(&mut self) -> PResult<Expr> {
        let primary = self.parse_primary()?;
        self.parse_traversals(primary)
    }

    /// `.attr`, `.0`, `[key]`, `[*]...` and `.*...` after `expr`.
    fn parse_traversals(&mut self, mut expr: Expr) -> PResult<Expr> {
        let height = self.height;
        let r = loop {
            let t = self.peek();
            match t.kind {
                K::Dot => {
                    let after = self.peek_at(1);
                    if after.kind == K::Star {
                        self.next();
                        self.next();
                        match self.parse_attr_splat(expr, t.span.to(after.span)) {
                            Ok(e) => expr = e,
                            Err(e) => break Err(e),
                        }
                        continue;
                    }
                    if let Err(e) = self.grow(t.span) {
                        break Err(e);
                    }
                    match self.parse_dot_step(expr) {
                        Ok(e) => expr = e,
                        Err(e) => break Err(e),
                    }
                }
                K::OBrack => {
                    let star = self.peek_at(1);
                    let close = self.peek_at(2);
                    if star.kind == K::Star && close.kind == K::CBrack {
                        self.next();
                        self.next();
                        self.next();
                        let marker = t.span.to(close.span);
                        if let Err(e) = self.enter(marker) {
                            break Err(e);
                        }
                        let each = self.parse_traversals(Expr::new(ExprKind::SplatItem, marker));
                        self.leave();
                        let each = match each {
                            Ok(e) => e,
                            Err(e) => break Err(e),
                        };
                        let span = expr.span.to(each.span).to(marker);
                        expr = Expr::new(ExprKind::Splat { source: Box::new(expr), each: Box::new(each) }, span);
                        continue;
                    }
                    if let Err(e) = self.grow(t.span) {
                        break Err(e);
                    }
                    self.next();
                    if let Err(e) = self.enter(t.span) {
                        break Err(e);
                    }
                    let key = self.with_nl(false, |p| {
                        let key = p.parse_expression();
                        let close = p.peek();
                        match key {
                            Ok(k) if close.kind == K::CBrack => {
                                p.next();
                                Ok((k, close))
                            }
                            Ok(_) => {
                                p.error(
                                    "Missing close bracket on index",
                                    "The index operator must end with a closing bracket (\"]\").",
                                    close.span,
                                );
                                p.recover_to(K::CBrack);
                                Err(())
                            }
                            Err(()) => {
                                p.recover_to(K::CBrack);
                                Err(())
                            }
                        }
                    });
                    self.leave();
                    match key {
                        Ok((key, close)) => {
                            let span = expr.span.to(close.span);
                            expr = Expr::new(ExprKind::Index { expr: Box::new(expr), key: Box::new(key) }, span);
                        }
                        Err(e) => break Err(e),
                    }
                }
                _ => break Ok(expr),
            }
        };
        self.height = height;
        r
    }

    /// After a `.`: an attribute name or a legacy numeric index.
    fn parse_dot_step(&mut self, expr: Expr) -> PResult<Expr> {
        self.next(); // the dot
        let t = self.peek();
        match t.kind {
            K::Ident => {
                self.next();
                let span = expr.span.to(t.span);
                Ok(Expr::new(ExprKind::GetAttr { expr: Box::new(expr), name: self.ident(t) }, span))
            }
            K::NumberLit => {
                self.next();
                self.legacy_index(expr, t)
            }
            _ => {
                self.error("Invalid attribute name", "An attribute name is required after a dot.", t.span);
                Err(())
            }
        }
    }

    /// `.0` (and `.0.1`, which lexes as one number) as index steps.
    fn legacy_index(&mut self, mut expr: Expr, t: Token) -> PResult<Expr> {
        let text = self.text(t);
        if text.contains(['e', 'E']) {
            self.error("Invalid legacy index", "A legacy index must be a whole number, such as .0.", t.span);
            return Err(());
        }
        let mut offset = t.span.start as usize;
        for part in text.split('.') {
            let span = self.span(offset, offset + part.len());
            offset += part.len() + 1;
            let n: f64 = part.parse().unwrap_or(0.0);
            let key = Expr::new(ExprKind::Number(n), span);
            let whole = expr.span.to(span);
            expr = Expr::new(ExprKind::Index { expr: Box::new(expr), key: Box::new(key) }, whole);
        }
        Ok(expr)
    }

    /// After `source.*`: only `.name` / `.0` steps apply to each element.
    fn parse_attr_splat(&mut self, source: Expr, star: Span) -> PResult<Expr> {
        let marker = star;
        let mut each = Expr::new(ExprKind::SplatItem, marker);
        let height = self.height;
        while self.peek_kind() == K::Dot && matches!(self.peek_at(1).kind, K::Ident | K::NumberLit) {
            let t = self.peek_at(1);
            let step = match self.grow(t.span) {
                Ok(()) => self.parse_dot_step(each),
                Err(e) => Err(e),
            };
            match step {
                Ok(e) => each = e,
                Err(e) => {
                    self.height = height;
                    return Err(e);
                }
            }
        }
        self.height = height;
        let span = source.span.to(each.span).to(star);
        Ok(Expr::new(ExprKind::Splat { source: Box::new(source), each: Box::new(each) }, span))
    }

    fn parse_primary(&mut self) -> PResult<Expr> {
        let t = self.peek();
        match t.kind {
            K::NumberLit => {
                self.next();
                let text = self.text(t);
                match text.parse::<f64>() {
                    Ok(n) => Ok(Expr::new(ExprKind::Number(n), t.span)),
                    Err(_) => {
                        self.error("Invalid number literal", "This is not a valid number.", t.span);
                        Err(())
                    }
                }
            }
            K::Ident => {
                let text = self.text(t);
                match text {
                    "true" => {
                        self.next();
                        return Ok(Expr::new(ExprKind::Bool(true), t.span));
                    }
                    "false" => {
                        self.next();
                        return Ok(Expr::new(ExprKind::Bool(false), t.span));
                    }
                    "null" => {
                        self.next();
                        return Ok(Expr::new(ExprKind::Null, t.span));
                    }
                    _ => {}
                }
                if self.peek_at(1).kind == K::OParen {
                    self.next();
                    let name = self.ident(t);
                    return self.parse_call(name);
                }
                if self.is_namespace_sep(1) {
                    return self.parse_namespaced_call();
                }
                self.next();
                Ok(Expr::new(ExprKind::Variable(text.to_string()), t.span))
            }
            K::OQuote => self.parse_quoted_template(),
            K::OHeredoc => self.parse_heredoc(),
            K::OParen => {
                self.next();
                self.enter(t.span)?;
                let r = self.with_nl(false, |p| {
                    let inner = match p.parse_expression() {
                        Ok(e) => e,
                        Err(()) => {
                            p.recover_to(K::CParen);
                            return Err(());
                        }
                    };
                    let close = p.expect_close(K::CParen, "Unbalanced parentheses", "Expected a closing parenthesis to terminate the expression.")?;
                    Ok(Expr::new(ExprKind::Parens(Box::new(inner)), t.span.to(close.span)))
                });
                self.leave();
                r
            }
            K::OBrack => {
                self.next();
                self.enter(t.span)?;
                let r = self.with_nl(false, |p| {
                    if p.is_keyword(p.peek(), "for") {
                        p.parse_for(t, false)
                    } else {
                        p.parse_tuple(t)
                    }
                });
                self.leave();
                r
            }
            K::OBrace => {
                self.next();
                self.enter(t.span)?;
                let is_for = {
                    // `{ for x in ...`, not `{ for = 1 }`.
                    self.nl.push(false);
                    let r = self.is_keyword(self.peek(), "for") && self.peek_at(1).kind == K::Ident;
                    self.nl.pop();
                    r
                };
                let r = if is_for {
                    self.with_nl(false, |p| p.parse_for(t, true))
                } else {
                    self.with_nl(true, |p| p.parse_object(t))
                };
                self.leave();
                r
            }
            K::Invalid => {
                self.invalid_char(t);
                Err(())
            }
            K::Eof => {
                self.error(
                    "Missing expression",
                    "Expected the start of an expression, but found the end of the file.",
                    t.span,
                );
                Err(())
            }
            K::Newline => {
                self.error(
                    "Invalid expression",
                    "Expected the start of an expression, but found the end of the line.",
                    t.span,
                );
                Err(())
            }
            _ => {
                let detail = format!("Expected the start of an expression, but found {}.", describe(t.kind, self.text(t)));
                self.error("Invalid expression", &detail, t.span);
                Err(())
            }
        }
    }

    /// Whether the `n`th upcoming token starts a `::` right after the previous token.
    fn is_namespace_sep(&self, n: usize) -> bool {
        let a = self.peek_at(n);
        let b = self.peek_at(n + 1);
        let prev = self.peek_at(n - 1);
        a.kind == K::Colon && b.kind == K::Colon && prev.span.end == a.span.start && a.span.end == b.span.start
    }

    /// `provider::ns::f(args)`
    fn parse_namespaced_call(&mut self) -> PResult<Expr> {
        let first = self.next();
        let mut name = self.text(first).to_string();
        let mut span = first.span;
        loop {
            let a = self.peek();
            let b = self.peek_at(1);
            if !(a.kind == K::Colon && b.kind == K::Colon && a.span.start == span.end && a.span.end == b.span.start) {
                break;
            }
            self.next();
            self.next();
            let t = self.peek();
            if t.kind != K::Ident {
                self.error(
                    "Missing function name",
                    "Function scope resolution symbol :: must be followed by a function name in this scope.",
                    t.span,
                );
                return Err(());
            }
            self.next();
            name.push_str("::");
            name.push_str(self.text(t));
            span = span.to(t.span);
        }
        let t = self.peek();
        if t.kind != K::OParen {
            self.error(
                "Missing function call",
                "A namespaced name (with ::) must be a function call, followed by an opening parenthesis.",
                t.span,
            );
            return Err(());
        }
        self.parse_call(Ident { name, span })
    }

    /// After a function name, at `(`.
    fn parse_call(&mut self, name: Ident) -> PResult<Expr> {
        let open = self.next();
        self.enter(open.span)?;
        let r = self.with_nl(false, |p| {
            let mut args = Vec::new();
            let mut expand_final = false;
            loop {
                let t = p.peek();
                if t.kind == K::CParen {
                    break;
                }
                let arg = match p.parse_expression() {
                    Ok(a) => a,
                    Err(()) => {
                        p.recover_to(K::CParen);
                        return Err(());
                    }
                };
                args.push(arg);
                let t = p.peek();
                match t.kind {
                    K::Ellipsis => {
                        p.next();
                        expand_final = true;
                        let close = p.peek();
                        if close.kind != K::CParen {
                            p.error(
                                "Missing closing parenthesis",
                                "An expanded function argument (with ...) must be immediately followed by closing parentheses.",
                                close.span,
                            );
                            p.recover_to(K::CParen);
                            return Err(());
                        }
                        break;
                    }
                    K::Comma => {
                        p.next();
                    }
                    K::CParen => break,
                    _ => {
                        let detail = if t.kind == K::Eof {
                            "There is no closing parenthesis for this function call before the end of the file."
                        } else {
                            "A comma is required to separate each function argument from the next."
                        };
                        p.error("Missing argument separator", detail, t.span);
                        p.recover_to(K::CParen);
                        return Err(());
                    }
                }
            }
            let close = p.next();
            let span = name.span.to(close.span);
            Ok(Expr::new(ExprKind::Call { name, args, expand_final }, span))
        });
        self.leave();
        r
    }

    /// After `[`, not a `for`.
    fn parse_tuple(&mut self, open: Token) -> PResult<Expr> {
        let mut items = Vec::new();
        loop {
            let t = self.peek();
            if t.kind == K::CBrack {
                self.next();
                return Ok(Expr::new(ExprKind::Tuple(items), open.span.to(t.span)));
            }
            let item = match self.parse_expression() {
                Ok(e) => e,
                Err(()) => {
                    self.recover_to(K::CBrack);
                    return Err(());
                }
            };
            items.push(item);
            let t = self.peek();
            match t.kind {
                K::Comma => {
                    self.next();
                }
                K::CBrack => {}
                _ => {
                    let detail = if t.kind == K::Eof {
                        "There is no closing bracket for this tuple before the end of the file."
                    } else {
                        "Expected a comma to mark the beginning of the next item."
                    };
                    self.error("Missing item separator", detail, t.span);
                    self.recover_to(K::CBrack);
                    return Err(());
                }
            }
        }
    }

    /// After `{`, not a `for`. Newlines are significant here.
    fn parse_object(&mut self, open: Token) -> PResult<Expr> {
        let mut items = Vec::new();
        loop {
            let t = self.peek();
            match t.kind {
                K::Newline => {
                    self.next();
                    continue;
                }
                K::CBrace => {
                    self.next();
                    return Ok(Expr::new(ExprKind::Object(items), open.span.to(t.span)));
                }
                K::Eof => {
                    self.error(
                        "Unterminated object constructor",
                        "There is no closing brace for this object before the end of the file.",
                        open.span,
                    );
                    return Err(());
                }
                _ => {}
            }
            let after = self.peek_at(1).kind;
            let key = if t.kind == K::Ident && matches!(after, K::Equal | K::Colon) {
                self.next();
                ObjectKey::Ident(self.ident(t))
            } else {
                match self.parse_expression() {
                    Ok(e) => ObjectKey::Expr(e),
                    Err(()) => {
                        self.recover_to(K::CBrace);
                        return Err(());
                    }
                }
            };
            let sep = self.peek();
            if !matches!(sep.kind, K::Equal | K::Colon) {
                let detail = if sep.kind == K::Newline {
                    "Expected an equals sign (\"=\") to mark the beginning of the attribute value. If you intended to given an attribute name containing periods or spaces, write the name in quotes to create a string literal."
                } else {
                    "Expected an equals sign (\"=\") to mark the beginning of the attribute value."
                };
                self.error("Missing key/value separator", detail, sep.span);
                self.recover_to(K::CBrace);
                return Err(());
            }
            self.next();
            let value = match self.parse_expression() {
                Ok(e) => e,
                Err(()) => {
                    self.recover_to(K::CBrace);
                    return Err(());
                }
            };
            items.push(ObjectItem { key, value });
            let t = self.peek();
            match t.kind {
                K::Comma | K::Newline => {
                    self.next();
                }
                K::CBrace => {}
                _ => {
                    let detail = if t.kind == K::Eof {
                        "There is no closing brace for this object before the end of the file."
                    } else {
                        "Expected a newline or comma to mark the beginning of the next attribute."
                    };
                    self.error("Missing attribute separator", detail, t.span);
                    self.recover_to(K::CBrace);
                    return Err(());
                }
            }
        }
    }

    fn expect_for_ident(&mut self, detail: &str) -> PResult<Ident> {
        let t = self.peek();
        if t.kind != K::Ident {
            self.error("Invalid 'for' expression", detail, t.span);
            return Err(());
        }
        self.next();
        Ok(self.ident(t))
    }

    /// `for k, v in coll` (after the `for` keyword is peeked), shared by
    /// expressions and template directives.
    fn parse_for_head(&mut self) -> PResult<(Option<Ident>, Ident, Expr)> {
        self.next(); // for
        let first = self.expect_for_ident("For expression requires variable name after 'for'.")?;
        let (key_var, value_var) = if self.peek_kind() == K::Comma {
            self.next();
            let second = self.expect_for_ident("For expression requires value variable name after comma.")?;
            (Some(first), second)
        } else {
            (None, first)
        };
        let t = self.peek();
        if !self.is_keyword(t, "in") {
            self.error("Invalid 'for' expression", "For expression requires the 'in' keyword after its name declarations.", t.span);
            return Err(());
        }
        self.next();
        let collection = self.parse_expression()?;
        Ok((key_var, value_var, collection))
    }

    fn parse_for(&mut self, open: Token, object: bool) -> PResult<Expr> {
        let close_kind = if object { K::CBrace } else { K::CBrack };
        let r = self.parse_for_inner(open, object);
        if r.is_err() {
            self.recover_to(close_kind);
        }
        r
    }

    fn parse_for_inner(&mut self, open: Token, object: bool) -> PResult<Expr> {
        let (key_var, value_var, collection) = self.parse_for_head()?;
        let t = self.peek();
        if t.kind != K::Colon {
            self.error("Invalid 'for' expression", "For expression requires a colon after the collection expression.", t.span);
            return Err(());
        }
        self.next();
        let mut key_expr = None;
        if object {
            let k = self.parse_expression()?;
            let t = self.peek();
            if t.kind != K::FatArrow {
                self.error(
                    "Invalid 'for' expression",
                    "Key expression in 'for' expression must be followed by the => symbol.",
                    t.span,
                );
                return Err(());
            }
            self.next();
            key_expr = Some(k);
        }
        let value_expr = self.parse_expression()?;
        let mut grouping = false;
        let t = self.peek();
        if t.kind == K::Ellipsis {
            if !object {
                self.error(
                    "Invalid 'for' expression",
                    "Grouping ellipsis (...) can be used only in an object for expression.",
                    t.span,
                );
                return Err(());
            }
            self.next();
            grouping = true;
        }
        let mut cond = None;
        if self.is_keyword(self.peek(), "if") {
            self.next();
            cond = Some(self.parse_expression()?);
        }
        let close = self.peek();
        let close_kind = if object { K::CBrace } else { K::CBrack };
        if close.kind != close_kind {
            self.error("Invalid 'for' expression", "Extra characters after the end of the 'for' expression.", close.span);
            return Err(());
        }
        self.next();
        let fe = ForExpr { key_var, value_var, collection, key_expr, value_expr, cond, grouping };
        Ok(Expr::new(ExprKind::For(Box::new(fe)), open.span.to(close.span)))
    }

    // ----- templates ----------------------------------------------------

    fn parse_quoted_template(&mut self) -> PResult<Expr> {
        let open = self.next();
        self.enter(open.span)?;
        let r = self.with_nl(true, |p| p.parse_template_parts(TemplateKind::Quoted, open.span));
        self.leave();
        let template = r?;
        let end = self.toks[self.pos.saturating_sub(1)].span;
        Ok(Expr::new(ExprKind::Template(template), open.span.to(end)))
    }

    fn parse_heredoc(&mut self) -> PResult<Expr> {
        let open = self.next();
        self.enter(open.span)?;
        let r = self.with_nl(true, |p| p.parse_template_parts(TemplateKind::Heredoc, open.span));
        self.leave();
        let mut template = r?;
        template.heredoc = true;
        let end = self.toks[self.pos.saturating_sub(1)].span;
        Ok(Expr::new(ExprKind::Template(template), open.span.to(end)))
    }

    /// The parts of a template up to its end (closing quote, heredoc marker
    /// or end of input for a bare template), which is consumed.
    fn parse_template_parts(&mut self, kind: TemplateKind, open: Span) -> PResult<Template> {
        let mut flat: Vec<Flat> = Vec::new();
        // Per literal token, so that heredoc indentation works line by line.
        let mut lit_ends_line: Vec<bool> = Vec::new();
        let mut trim_next = false;
        loop {
            let t = self.toks[self.pos.min(self.toks.len() - 1)];
            if self.stopped {
                return Err(());
            }
            match t.kind {
                K::QuotedLit | K::StringLit => {
                    self.pos += 1;
                    let mut s = if t.kind == K::QuotedLit { self.decode_quoted(t) } else { unescape_sequences(self.text(t)) };
                    if trim_next {
                        s = s.trim_start().to_string();
                        trim_next = false;
                    }
                    lit_ends_line.push(s.ends_with('\n'));
                    flat.push(Flat::Lit(s));
                }
                K::TemplateInterp | K::TemplateControl => {
                    trim_next = false;
                    if self.text(t).ends_with('~') {
                        if let Some(Flat::Lit(prev)) = flat.last_mut() {
                            let trimmed = prev.trim_end().len();
                            prev.truncate(trimmed);
                        }
                    }
                    self.pos += 1;
                    let item = if t.kind == K::TemplateInterp {
                        self.with_nl(false, |p| p.parse_expression().map(Flat::Interp))
                    } else {
                        self.with_nl(false, |p| p.parse_directive(t))
                    };
                    let item = match item {
                        Ok(i) => i,
                        Err(()) => {
                            self.recover_to(K::TemplateSeqEnd);
                            return self.template_error_tail(kind);
                        }
                    };
                    let close = self.with_nl(false, |p| p.peek());
                    if close.kind != K::TemplateSeqEnd {
                        let (summary, detail) = if t.kind == K::TemplateInterp {
                            (
                                "Extra characters after interpolation expression",
                                "Expected a closing brace to end the interpolation expression, but found extra characters.",
                            )
                        } else {
                            ("Extra characters in template directive", "Expected a closing brace to end the template directive.")
                        };
                        if close.kind == K::Eof {
                            self.error("Unterminated template sequence", "There is no closing brace for this template sequence before the end of the file.", t.span);
                        } else {
                            self.error(summary, detail, close.span);
                        }
                        self.recover_to(K::TemplateSeqEnd);
                        return self.template_error_tail(kind);
                    }
                    self.with_nl(false, |p| p.next());
                    if self.text(close).starts_with('~') {
                        trim_next = true;
                    }
                    lit_ends_line.push(false);
                    flat.push(item);
                }
                K::CQuote if kind == TemplateKind::Quoted => {
                    self.pos += 1;
                    break;
                }
                K::CHeredoc if kind == TemplateKind::Heredoc => {
                    self.pos += 1;
                    break;
                }
                K::Eof if kind == TemplateKind::Bare => break,
                K::QuotedNewline => {
                    self.error("Invalid multi-line string", MULTILINE_DETAIL, t.span);
                    return Err(());
                }
                K::Eof => {
                    let detail = if kind == TemplateKind::Heredoc {
                        "No closing marker was found for this heredoc before the end of the file."
                    } else {
                        "No closing quote was found for this string before the end of the file."
                    };
                    self.error("Unterminated template string", detail, open);
                    return Err(());
                }
                _ => {
                    self.error("Unterminated template string", "No closing marker was found for the string.", open);
                    return Err(());
                }
            }
        }
        if kind == TemplateKind::Heredoc && self.text_of_span(open).starts_with("<<-") {
            flush_heredoc(&mut flat);
        }
        self.build_template(flat)
    }

    /// After an error inside a template sequence: skip the rest of the
    /// template so the caller's recovery starts after it.
    fn template_error_tail(&mut self, kind: TemplateKind) -> PResult<Template> {
        loop {
            if self.stopped {
                return Err(());
            }
            let t = self.toks[self.pos.min(self.toks.len() - 1)];
            match t.kind {
                K::Eof | K::QuotedNewline => return Err(()),
                K::CQuote if kind == TemplateKind::Quoted => {
                    self.pos += 1;
                    return Err(());
                }
                K::CHeredoc if kind == TemplateKind::Heredoc => {
                    self.pos += 1;
                    return Err(());
                }
                K::QuotedLit | K::StringLit | K::TemplateSeqEnd => self.pos += 1,
                K::TemplateInterp | K::TemplateControl => {
                    self.pos += 1;
                    self.recover_to(K::TemplateSeqEnd);
                }
                _ => return Err(()),
            }
        }
    }

    fn text_of_span(&self, span: Span) -> &'a str {
        let s = (span.start as usize).saturating_sub(self.base);
        let e = (span.end as usize).saturating_sub(self.base);
        self.src.get(s..e).unwrap_or("")
    }

    /// Inside `%{ ... }`, after the opener.
    fn parse_directive(&mut self, opener: Token) -> PResult<Flat> {
        let t = self.peek();
        let word = if t.kind == K::Ident { self.text(t) } else { "" };
        match word {
            "if" => {
                self.next();
                let cond = self.parse_expression()?;
                Ok(Flat::If(cond, opener.span.to(t.span)))
            }
            "else" => {
                self.next();
                Ok(Flat::Else(opener.span.to(t.span)))
            }
            "endif" => {
                self.next();
                Ok(Flat::EndIf(opener.span.to(t.span)))
            }
            "for" => {
                let (k, v, coll) = self.parse_for_head()?;
                Ok(Flat::For(k, v, coll, opener.span.to(t.span)))
            }
            "endfor" => {
                self.next();
                Ok(Flat::EndFor(opener.span.to(t.span)))
            }
            _ => {
                self.error(
                    "Invalid template directive",
                    "A template directive keyword (\"if\", \"for\", etc) is expected at the beginning of a %{ sequence.",
                    t.span,
                );
                Err(())
            }
        }
    }

    /// Matches `if`/`else`/`endif` and `for`/`endfor` into a tree.
    fn build_template(&mut self, flat: Vec<Flat>) -> PResult<Template> {
        enum Frame {
            Root,
            If { cond: Expr, then: Option<Template>, span: Span },
            For { key_var: Option<Ident>, value_var: Ident, collection: Expr, span: Span },
        }
        let mut stack: Vec<(Frame, Template)> = vec![(Frame::Root, Template::default())];
        let mut ok = true;
        for item in flat {
            match item {
                Flat::Lit(s) => push_literal(&mut stack.last_mut().expect("root frame").1, s),
                Flat::Interp(e) => stack.last_mut().expect("root frame").1.parts.push(TemplatePart::Interp(e)),
                Flat::If(cond, span) => stack.push((Frame::If { cond, then: None, span }, Template::default())),
                Flat::For(key_var, value_var, collection, span) => {
                    stack.push((Frame::For { key_var, value_var, collection, span }, Template::default()))
                }
                Flat::Else(span) => match stack.last_mut() {
                    Some((Frame::If { then: then @ None, .. }, current)) => {
                        *then = Some(std::mem::take(current));
                    }
                    _ => {
                        self.error("Unexpected else directive", "An else clause must be within an if directive, after its true result and before its endif.", span);
                        ok = false;
                    }
                },
                Flat::EndIf(span) => {
                    if matches!(stack.last(), Some((Frame::If { .. }, _))) {
                        let Some((Frame::If { cond, then, .. }, current)) = stack.pop() else { unreachable!() };
                        let part = match then {
                            Some(then) => TemplatePart::If { cond, then, otherwise: Some(current) },
                            None => TemplatePart::If { cond, then: current, otherwise: None },
                        };
                        stack.last_mut().expect("root frame").1.parts.push(part);
                    } else {
                        self.error("Unexpected endif directive", "This endif has no matching if directive.", span);
                        ok = false;
                    }
                }
                Flat::EndFor(span) => {
                    if matches!(stack.last(), Some((Frame::For { .. }, _))) {
                        let Some((Frame::For { key_var, value_var, collection, .. }, body)) = stack.pop() else {
                            unreachable!()
                        };
                        let part = TemplatePart::For { key_var, value_var, collection, body };
                        stack.last_mut().expect("root frame").1.parts.push(part);
                    } else {
                        self.error("Unexpected endfor directive", "This endfor has no matching for directive.", span);
                        ok = false;
                    }
                }
            }
        }
        while stack.len() > 1 {
            let (frame, _) = stack.pop().expect("checked length");
            match frame {
                Frame::If { span, .. } => self.error(
                    "Unterminated template directive",
                    "This if directive is missing its corresponding endif directive.",
                    span,
                ),
                Frame::For { span, .. } => self.error(
                    "Unterminated template directive",
                    "This for directive is missing its corresponding endfor directive.",
                    span,
                ),
                Frame::Root => {}
            }
            ok = false;
        }
        if !ok {
            return Err(());
        }
        let (_, root) = stack.pop().expect("root frame");
        Ok(root)
    }

    /// Decodes a quoted literal's escapes, reporting invalid ones.
    fn decode_quoted(&mut self, t: Token) -> String {
        let text = self.text(t);
        let mut out = String::with_capacity(text.len());
        let mut chars = text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    let Some((_, e)) = chars.next() else {
                        out.push('\\');
                        break;
                    };
                    match e {
                        'n' => out.push('\n'),
                        'r' => out.push('\r'),
                        't' => out.push('\t'),
                        '"' => out.push('"'),
                        '\\' => out.push('\\'),
                        'u' | 'U' => {
                            let want = if e == 'u' { 4 } else { 8 };
                            let start = i + 2;
                            let hex = text.get(start..start + want).unwrap_or("");
                            let code = if hex.len() == want && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                                u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
                            } else {
                                None
                            };
                            match code {
                                Some(ch) => {
                                    out.push(ch);
                                    for _ in 0..want {
                                        chars.next();
                                    }
                                }
                                None => {
                                    let at = t.span.start as usize + i;
                                    self.error(
                                        "Invalid escape sequence",
                                        &format!("The \\{e} escape must be followed by {want} hexadecimal digits naming a valid Unicode character."),
                                        self.span(at, at + 2),
                                    );
                                }
                            }
                        }
                        other => {
                            let at = t.span.start as usize + i;
                            self.error(
                                "Invalid escape sequence",
                                &format!("The symbol {other:?} is not a valid escape sequence selector."),
                                self.span(at, at + 1 + other.len_utf8()),
                            );
                            out.push(other);
                        }
                    }
                }
                '$' | '%' if text[i + 1..].starts_with(c) && text[i + 2..].starts_with('{') => {
                    out.push(c);
                    out.push('{');
                    chars.next();
                    chars.next();
                }
                _ => out.push(c),
            }
        }
        out
    }
}

const MULTILINE_DETAIL: &str = "Quoted strings may not be split over multiple lines. To produce a multi-line string, either use the \\n escape to represent a newline character or use the \"heredoc\" multi-line template syntax.";

/// `$${` and `%%{` in heredoc and bare-template text.
fn unescape_sequences(text: &str) -> String {
    if !text.contains("$${") && !text.contains("%%{") {
        return text.to_string();
    }
    text.replace("$${", "${").replace("%%{", "%{")
}

fn push_literal(t: &mut Template, s: String) {
    if s.is_empty() {
        return;
    }
    if let Some(TemplatePart::Literal(prev)) = t.parts.last_mut() {
        prev.push_str(&s);
    } else {
        t.parts.push(TemplatePart::Literal(s));
    }
}

/// `<<-` heredocs: removes the smallest indentation (counted in characters)
/// shared by every line that has content, as hclsyntax does. Lines that are
/// only whitespace neither count nor change.
fn flush_heredoc(flat: &mut [Flat]) {
    let mut min = usize::MAX;
    let mut adjust = Vec::new();
    let mut at_line_start = true;
    for (i, item) in flat.iter().enumerate() {
        if at_line_start {
            at_line_start = false;
            match item {
                Flat::Lit(s) => {
                    let trimmed = s.trim_start();
                    if !(trimmed.is_empty() && s.ends_with('\n')) {
                        let spaces = s[..s.len() - trimmed.len()].chars().count();
                        min = min.min(spaces);
                        adjust.push(i);
                    }
                }
                _ => min = 0,
            }
        }
        if let Flat::Lit(s) = item {
            if s.ends_with('\n') {
                at_line_start = true;
            }
        }
    }
    if min == usize::MAX {
        return;
    }
    for i in adjust {
        if let Flat::Lit(s) = &mut flat[i] {
            let cut: usize = s.chars().take(min).map(char::len_utf8).sum();
            s.drain(..cut);
        }
    }
}

fn describe(kind: K, text: &str) -> String {
    match kind {
        K::Eof => "the end of the file".to_string(),
        K::Newline => "the end of the line".to_string(),
        _ => format!("{text:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smoke() {
        let (b, d) = parse("a = 1\n", FileId(0));
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(b.attributes.len(), 1, "{b:?}");
    }

    fn lits(lines: &[&str]) -> Vec<Flat> {
        lines.iter().map(|s| Flat::Lit(s.to_string())).collect()
    }

    fn texts(flat: &[Flat]) -> Vec<String> {
        flat.iter()
            .map(|f| match f {
                Flat::Lit(s) => s.clone(),
                _ => "<seq>".to_string(),
            })
            .collect()
    }

    #[test]
    fn flush_heredoc_uses_smallest_indent_and_keeps_blank_lines() {
        let mut flat = lits(&["    a\n", "      b\n", "\n", "   \n", "    c\n"]);
        flush_heredoc(&mut flat);
        assert_eq!(texts(&flat), ["a\n", "  b\n", "\n", "   \n", "c\n"]);
        let mut flat = lits(&["\tx\n", "\t\ty\n"]);
        flush_heredoc(&mut flat);
        assert_eq!(texts(&flat), ["x\n", "\ty\n"]);
        let mut flat = vec![Flat::Lit("  a\n".into()), Flat::Else(Span::default()), Flat::Lit("\n".into())];
        flush_heredoc(&mut flat);
        assert_eq!(texts(&flat), ["  a\n", "<seq>", "\n"]);
    }

    #[test]
    fn unescape_only_touches_sequences() {
        assert_eq!(unescape_sequences("$${a} %%{b} $$ %% \\n"), "${a} %{b} $$ %% \\n");
    }

    #[test]
    fn newline_significance_follows_brackets() {
        let (b, d) = parse("a = [\n1,\n2\n]\nb = (\n1\n)\nc = {\nx = 1\n}\n", FileId(0));
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(b.attributes.len(), 3);
        let (_, d) = parse("a = 1\n+ 2\n", FileId(0));
        assert!(d.has_errors());
    }

    #[test]
    fn comment_newline_span_is_the_newline() {
        let src = "a = 1 # c\n";
        let p = Parser::new(src, FileId(0), 0, lexer::lex(src, FileId(0)));
        let nl = p.toks.iter().find(|t| t.kind == K::Newline).unwrap();
        assert_eq!((nl.span.start, nl.span.end), (9, 10));
    }
}
