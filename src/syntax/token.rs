//! Tokens of HCL's native syntax, shaped like HashiCorp's `hclsyntax`
//! scanner so that `fmt` can follow the same layout rules.
//!
//! Owns: [`TokenKind`] and [`Token`]. The lexer produces them; the parser and
//! the formatter consume them.

use crate::diag::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    OBrace,
    CBrace,
    OBrack,
    CBrack,
    OParen,
    CParen,
    /// `"` opening a quoted template.
    OQuote,
    /// `"` closing a quoted template.
    CQuote,
    /// `<<EOT` or `<<-EOT` including the newline that follows.
    OHeredoc,
    /// The closing marker of a heredoc, including leading whitespace.
    CHeredoc,
    Star,
    Slash,
    Plus,
    Minus,
    Percent,
    /// `=`
    Equal,
    /// `==`
    EqualOp,
    NotEqual,
    LessThan,
    LessThanEq,
    GreaterThan,
    GreaterThanEq,
    And,
    Or,
    Bang,
    Dot,
    Comma,
    Ellipsis,
    FatArrow,
    Question,
    Colon,
    /// `${` or `${~`
    TemplateInterp,
    /// `%{` or `%{~`
    TemplateControl,
    /// `}` or `~}` closing a template sequence.
    TemplateSeqEnd,
    /// Literal text inside a quoted template, escapes not yet processed.
    QuotedLit,
    /// Literal text inside a heredoc (one line at most, newline included).
    StringLit,
    NumberLit,
    Ident,
    /// `# ...`, `// ...` (newline included when present) or `/* ... */`.
    Comment,
    Newline,
    /// A newline inside a quoted string: an error.
    QuotedNewline,
    /// A character that starts no token.
    Invalid,
    Eof,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

impl Token {
    /// The token's source text.
    pub fn text<'a>(&self, src: &'a str) -> &'a str {
        src.get(self.span.start as usize..self.span.end as usize).unwrap_or("")
    }
}
