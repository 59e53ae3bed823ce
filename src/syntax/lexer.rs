//! The HCL native-syntax lexer.
//!
//! Owns: turning source text into [`Token`]s, tracking the nesting of quoted
//! templates, heredocs and `${ }` / `%{ }` sequences. It never fails: bytes
//! that start no token become [`TokenKind::Invalid`] and an unterminated
//! string or heredoc simply ends at end of file, for the parser to report.
//!
//! Does not own: escapes (the parser decodes them) or any diagnostics.

use super::token::{Token, TokenKind};
use crate::diag::{FileId, Span};

/// Lexes a whole file. The last token is always [`TokenKind::Eof`].
pub fn lex(src: &str, file: FileId) -> Vec<Token> {
    Lexer { src, bytes: src.as_bytes(), pos: 0, file, tokens: Vec::new(), modes: vec![Mode::Normal { braces: 0, template: false }] }
        .run()
}

/// Lexes `src` as a bare template (no quotes, no heredoc marker): literal
/// text becomes [`TokenKind::StringLit`] tokens (one line at most each) and
/// `${ }` / `%{ }` sequences are lexed as in a quoted string. The last token
/// is always [`TokenKind::Eof`].
pub fn lex_template(src: &str, file: FileId) -> Vec<Token> {
    Lexer { src, bytes: src.as_bytes(), pos: 0, file, tokens: Vec::new(), modes: vec![Mode::Bare] }.run()
}

#[derive(Debug)]
enum Mode {
    /// Expression tokens. `template` when this is the inside of a `${ }` or
    /// `%{ }` sequence, which a `}` at brace depth 0 closes.
    Normal { braces: u32, template: bool },
    Quoted,
    Heredoc { marker: String, line_start: bool },
    /// A bare template: like a heredoc without a closing marker.
    Bare,
}

struct Lexer<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    file: FileId,
    tokens: Vec<Token>,
    modes: Vec<Mode>,
}

impl<'a> Lexer<'a> {
    fn run(mut self) -> Vec<Token> {
        while self.pos < self.bytes.len() {
            let before = self.pos;
            match self.modes.last() {
                Some(Mode::Normal { .. }) | None => self.normal(),
                Some(Mode::Quoted) => self.quoted(),
                Some(Mode::Heredoc { .. }) | Some(Mode::Bare) => self.heredoc(),
            }
            if self.pos == before && self.pos < self.bytes.len() {
                // Defensive: never loop without progress.
                let len = self.char_len();
                self.emit(TokenKind::Invalid, before, before + len);
            }
        }
        let end = self.bytes.len();
        self.tokens.push(Token { kind: TokenKind::Eof, span: Span::new(self.file, end, end) });
        self.tokens
    }

    fn emit(&mut self, kind: TokenKind, start: usize, end: usize) {
        self.pos = end;
        self.tokens.push(Token { kind, span: Span::new(self.file, start, end) });
    }

    fn peek(&self, offset: usize) -> u8 {
        self.bytes.get(self.pos + offset).copied().unwrap_or(0)
    }

    fn char_len(&self) -> usize {
        self.src[self.pos..].chars().next().map(char::len_utf8).unwrap_or(1)
    }

    fn normal(&mut self) {
        let start = self.pos;
        let c = self.peek(0);
        match c {
            b' ' | b'\t' => {
                while matches!(self.peek(0), b' ' | b'\t') {
                    self.pos += 1;
                }
            }
            b'\r' if self.peek(1) == b'\n' => self.emit(TokenKind::Newline, start, start + 2),
            b'\n' => self.emit(TokenKind::Newline, start, start + 1),
            b'#' => self.line_comment(start),
            b'/' if self.peek(1) == b'/' => self.line_comment(start),
            b'/' if self.peek(1) == b'*' => {
                let end = self.src[start + 2..].find("*/").map(|i| start + 2 + i + 2).unwrap_or(self.bytes.len());
                self.emit(TokenKind::Comment, start, end);
            }
            b'"' => {
                self.emit(TokenKind::OQuote, start, start + 1);
                self.modes.push(Mode::Quoted);
            }
            b'<' if self.peek(1) == b'<' && self.heredoc_start(start) => {}
            b'{' => {
                if let Some(Mode::Normal { braces, .. }) = self.modes.last_mut() {
                    *braces += 1;
                }
                self.emit(TokenKind::OBrace, start, start + 1);
            }
            b'}' => self.close_brace(start, start + 1),
            b'~' if self.peek(1) == b'}' => self.close_brace(start, start + 2),
            b'[' => self.emit(TokenKind::OBrack, start, start + 1),
            b']' => self.emit(TokenKind::CBrack, start, start + 1),
            b'(' => self.emit(TokenKind::OParen, start, start + 1),
            b')' => self.emit(TokenKind::CParen, start, start + 1),
            b'*' => self.emit(TokenKind::Star, start, start + 1),
            b'/' => self.emit(TokenKind::Slash, start, start + 1),
            b'+' => self.emit(TokenKind::Plus, start, start + 1),
            b'-' => self.emit(TokenKind::Minus, start, start + 1),
            b'%' => self.emit(TokenKind::Percent, start, start + 1),
            b'=' if self.peek(1) == b'=' => self.emit(TokenKind::EqualOp, start, start + 2),
            b'=' if self.peek(1) == b'>' => self.emit(TokenKind::FatArrow, start, start + 2),
            b'=' => self.emit(TokenKind::Equal, start, start + 1),
            b'!' if self.peek(1) == b'=' => self.emit(TokenKind::NotEqual, start, start + 2),
            b'!' => self.emit(TokenKind::Bang, start, start + 1),
            b'<' if self.peek(1) == b'=' => self.emit(TokenKind::LessThanEq, start, start + 2),
            b'<' => self.emit(TokenKind::LessThan, start, start + 1),
            b'>' if self.peek(1) == b'=' => self.emit(TokenKind::GreaterThanEq, start, start + 2),
            b'>' => self.emit(TokenKind::GreaterThan, start, start + 1),
            b'&' if self.peek(1) == b'&' => self.emit(TokenKind::And, start, start + 2),
            b'|' if self.peek(1) == b'|' => self.emit(TokenKind::Or, start, start + 2),
            b'.' if self.peek(1) == b'.' && self.peek(2) == b'.' => self.emit(TokenKind::Ellipsis, start, start + 3),
            b'.' => self.emit(TokenKind::Dot, start, start + 1),
            b',' => self.emit(TokenKind::Comma, start, start + 1),
            b'?' => self.emit(TokenKind::Question, start, start + 1),
            b':' => self.emit(TokenKind::Colon, start, start + 1),
            b'0'..=b'9' => self.number(start),
            _ => {
                let ch = self.src[start..].chars().next().unwrap_or('\0');
                if is_ident_start(ch) {
                    let mut end = start + ch.len_utf8();
                    for c in self.src[end..].chars() {
                        if is_ident_continue(c) {
                            end += c.len_utf8();
                        } else {
                            break;
                        }
                    }
                    self.emit(TokenKind::Ident, start, end);
                } else {
                    // Group a run of characters that start no token.
                    let mut end = start + ch.len_utf8();
                    for c in self.src[end..].chars() {
                        if is_ident_start(c) || c.is_ascii() {
                            break;
                        }
                        end += c.len_utf8();
                    }
                    self.emit(TokenKind::Invalid, start, end);
                }
            }
        }
    }

    fn line_comment(&mut self, start: usize) {
        let end = self.src[start..].find('\n').map(|i| start + i + 1).unwrap_or(self.bytes.len());
        self.emit(TokenKind::Comment, start, end);
    }

    fn close_brace(&mut self, start: usize, end: usize) {
        match self.modes.last_mut() {
            Some(Mode::Normal { braces, .. }) if *braces > 0 => {
                if end - start == 2 {
                    // `~}` inside plain braces: `~` is not a token there.
                    self.emit(TokenKind::Invalid, start, start + 1);
                    return;
                }
                *braces -= 1;
                self.emit(TokenKind::CBrace, start, end);
            }
            Some(Mode::Normal { template: true, .. }) => {
                self.modes.pop();
                self.emit(TokenKind::TemplateSeqEnd, start, end);
            }
            _ => {
                if end - start == 2 {
                    self.emit(TokenKind::Invalid, start, start + 1);
                } else {
                    self.emit(TokenKind::CBrace, start, end);
                }
            }
        }
    }

    fn number(&mut self, start: usize) {
        let mut end = start;
        while self.bytes.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
        if self.bytes.get(end) == Some(&b'.') && self.bytes.get(end + 1).is_some_and(u8::is_ascii_digit) {
            end += 1;
            while self.bytes.get(end).is_some_and(u8::is_ascii_digit) {
                end += 1;
            }
        }
        if matches!(self.bytes.get(end), Some(b'e' | b'E')) {
            let mut e = end + 1;
            if matches!(self.bytes.get(e), Some(b'+' | b'-')) {
                e += 1;
            }
            if self.bytes.get(e).is_some_and(u8::is_ascii_digit) {
                while self.bytes.get(e).is_some_and(u8::is_ascii_digit) {
                    e += 1;
                }
                end = e;
            }
        }
        self.emit(TokenKind::NumberLit, start, end);
    }

    /// `<<EOT\n` or `<<-EOT\n`: if this is one, emits it and enters heredoc mode.
    fn heredoc_start(&mut self, start: usize) -> bool {
        let mut i = start + 2;
        if self.bytes.get(i) == Some(&b'-') {
            i += 1;
        }
        let name_start = i;
        let mut chars = self.src[i..].chars();
        match chars.next() {
            Some(c) if is_ident_start(c) => i += c.len_utf8(),
            _ => return false,
        }
        for c in chars {
            if is_ident_continue(c) {
                i += c.len_utf8();
            } else {
                break;
            }
        }
        let marker = self.src[name_start..i].to_string();
        let end = if self.bytes.get(i) == Some(&b'\n') {
            i + 1
        } else if self.bytes.get(i) == Some(&b'\r') && self.bytes.get(i + 1) == Some(&b'\n') {
            i + 2
        } else {
            return false;
        };
        self.emit(TokenKind::OHeredoc, start, end);
        self.modes.push(Mode::Heredoc { marker, line_start: true });
        true
    }

    fn quoted(&mut self) {
        let start = self.pos;
        let mut i = start;
        while i < self.bytes.len() {
            match self.bytes[i] {
                b'"' => {
                    if i > start {
                        self.emit(TokenKind::QuotedLit, start, i);
                    }
                    self.modes.pop();
                    self.emit(TokenKind::CQuote, i, i + 1);
                    return;
                }
                b'\\' => {
                    // Skip the escaped character (whole UTF-8 sequence).
                    i += 1;
                    if let Some(c) = self.src.get(i..).and_then(|s| s.chars().next()) {
                        if c == '\n' {
                            continue;
                        }
                        i += c.len_utf8();
                    }
                }
                b'\n' => {
                    if i > start {
                        self.emit(TokenKind::QuotedLit, start, i);
                    }
                    // An unterminated string: leave quoted mode so that the
                    // rest of the file lexes normally and errors stay local.
                    self.modes.pop();
                    self.emit(TokenKind::QuotedNewline, i, i + 1);
                    return;
                }
                b'$' | b'%' if self.bytes.get(i + 1) == Some(&b'{') => {
                    if i > start {
                        self.emit(TokenKind::QuotedLit, start, i);
                    }
                    self.open_sequence(i);
                    return;
                }
                b'$' | b'%' if self.bytes.get(i + 1) == Some(&self.bytes[i]) && self.bytes.get(i + 2) == Some(&b'{') => {
                    i += 3;
                }
                _ => i += 1,
            }
        }
        if i > start {
            self.emit(TokenKind::QuotedLit, start, i);
        }
        self.modes.pop();
    }

    fn open_sequence(&mut self, i: usize) {
        let kind = if self.bytes[i] == b'$' { TokenKind::TemplateInterp } else { TokenKind::TemplateControl };
        let end = if self.bytes.get(i + 2) == Some(&b'~') { i + 3 } else { i + 2 };
        self.emit(kind, i, end);
        self.modes.push(Mode::Normal { braces: 0, template: true });
    }

    fn heredoc(&mut self) {
        let (marker, line_start) = match self.modes.last() {
            Some(Mode::Heredoc { marker, line_start }) => (marker.clone(), *line_start),
            Some(Mode::Bare) => (String::new(), false),
            _ => return,
        };
        let bare = matches!(self.modes.last(), Some(Mode::Bare));
        let start = self.pos;
        if line_start {
            let line_end = self.src[start..].find('\n').map(|i| start + i).unwrap_or(self.bytes.len());
            let line = self.src[start..line_end].trim_end_matches('\r');
            // The closing marker may be indented and followed by blanks;
            // the token keeps both, as hclsyntax's does (fmt preserves them).
            if line.trim_matches([' ', '\t']) == marker {
                self.modes.pop();
                self.emit(TokenKind::CHeredoc, start, start + line.len());
                return;
            }
        }
        let mut i = start;
        while i < self.bytes.len() {
            match self.bytes[i] {
                b'\n' => {
                    self.emit(TokenKind::StringLit, start, i + 1);
                    self.set_line_start(true);
                    return;
                }
                b'$' | b'%' if self.bytes.get(i + 1) == Some(&b'{') => {
                    if i > start {
                        self.emit(TokenKind::StringLit, start, i);
                    }
                    self.set_line_start(false);
                    self.open_sequence(i);
                    return;
                }
                b'$' | b'%' if self.bytes.get(i + 1) == Some(&self.bytes[i]) && self.bytes.get(i + 2) == Some(&b'{') => {
                    i += 3;
                }
                _ => i += 1,
            }
        }
        if i > start {
            self.emit(TokenKind::StringLit, start, i);
        }
        // End of file inside a heredoc: the parser reports the missing marker.
        if !bare {
            self.modes.pop();
        }
    }

    fn set_line_start(&mut self, value: bool) {
        if let Some(Mode::Heredoc { line_start, .. }) = self.modes.last_mut() {
            *line_start = value;
        }
    }
}

pub fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

pub fn is_ident_continue(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

#[cfg(test)]
mod tests {
    use super::*;
    use TokenKind::*;

    fn kinds(src: &str) -> Vec<TokenKind> {
        lex(src, FileId(0)).into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn attribute_with_template() {
        assert_eq!(
            kinds("a = \"x${b}y\"\n"),
            vec![Ident, Equal, OQuote, QuotedLit, TemplateInterp, Ident, TemplateSeqEnd, QuotedLit, CQuote, Newline, Eof]
        );
    }

    #[test]
    fn nested_braces_inside_interpolation() {
        assert_eq!(
            kinds("\"${ {a=1} }\""),
            vec![OQuote, TemplateInterp, OBrace, Ident, Equal, NumberLit, CBrace, TemplateSeqEnd, CQuote, Eof]
        );
    }

    #[test]
    fn heredoc_lines_and_marker() {
        assert_eq!(
            kinds("x = <<-EOT\n  hi ${y}\n  EOT\n"),
            vec![Ident, Equal, OHeredoc, StringLit, TemplateInterp, Ident, TemplateSeqEnd, StringLit, CHeredoc, Newline, Eof]
        );
    }

    #[test]
    fn line_comment_keeps_newline() {
        let src = "a = 1 # c\nb = 2";
        let toks = lex(src, FileId(0));
        let comment = toks.iter().find(|t| t.kind == Comment).unwrap();
        assert_eq!(comment.text(src), "# c\n");
    }

    #[test]
    fn unterminated_string_stops_at_newline() {
        assert_eq!(kinds("a = \"oops\nb = 1"), vec![Ident, Equal, OQuote, QuotedLit, QuotedNewline, Ident, Equal, NumberLit, Eof]);
    }

    #[test]
    fn escaped_interpolation_is_literal() {
        assert_eq!(kinds("\"$${a}\""), vec![OQuote, QuotedLit, CQuote, Eof]);
    }
}
