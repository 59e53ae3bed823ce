//! String functions: chomp endswith format formatlist indent join lower regex
//! regexall replace split startswith strcontains strrev substr title trim
//! trimprefix trimsuffix trimspace upper.

use super::{
    as_string, expect_int, expect_seq, expect_string, func, invalid, list_of_strings, FResult, Func, FuncContext,
    FuncError, Ret, NULLS,
};
use crate::value::{Type, Value};

pub(crate) const FUNCS: &[Func] = &[
    func("chomp", &["str"], None, Ret::Str, 0, |a, _| {
        Ok(Value::String(expect_string(a, 0, "str")?.trim_end_matches(['\r', '\n']).to_string()))
    }),
    func("endswith", &["str", "suffix"], None, Ret::Bool, 0, |a, _| {
        Ok(Value::Bool(expect_string(a, 0, "str")?.ends_with(&expect_string(a, 1, "suffix")?)))
    }),
    func("startswith", &["str", "prefix"], None, Ret::Bool, 0, |a, _| {
        Ok(Value::Bool(expect_string(a, 0, "str")?.starts_with(&expect_string(a, 1, "prefix")?)))
    }),
    func("strcontains", &["str", "substr"], None, Ret::Bool, 0, |a, _| {
        Ok(Value::Bool(expect_string(a, 0, "str")?.contains(&expect_string(a, 1, "substr")?)))
    }),
    func("format", &["format"], Some("args"), Ret::Str, NULLS, format_fn),
    func("formatlist", &["format"], Some("args"), Ret::ListStr, NULLS, formatlist),
    func("indent", &["spaces", "str"], None, Ret::Str, 0, indent),
    func("join", &["separator"], Some("lists"), Ret::Str, 0, join),
    func("lower", &["str"], None, Ret::Str, 0, |a, _| Ok(Value::String(map_chars(&expect_string(a, 0, "str")?, false)))),
    func("upper", &["str"], None, Ret::Str, 0, |a, _| Ok(Value::String(map_chars(&expect_string(a, 0, "str")?, true)))),
    func("regex", &["pattern", "string"], None, Ret::Any, 0, regex_fn),
    func("regexall", &["pattern", "string"], None, Ret::Any, 0, regexall),
    func("replace", &["str", "substr", "replace"], None, Ret::Str, 0, replace),
    func("split", &["separator", "str"], None, Ret::ListStr, 0, split),
    func("strrev", &["str"], None, Ret::Str, 0, |a, _| {
        Ok(Value::String(graphemes(&expect_string(a, 0, "str")?).into_iter().rev().collect()))
    }),
    func("substr", &["str", "offset", "length"], None, Ret::Str, 0, substr),
    func("title", &["str"], None, Ret::Str, 0, |a, _| Ok(Value::String(title(&expect_string(a, 0, "str")?)))),
    func("trim", &["str", "cutset"], None, Ret::Str, 0, |a, _| {
        let cut: Vec<char> = expect_string(a, 1, "cutset")?.chars().collect();
        Ok(Value::String(expect_string(a, 0, "str")?.trim_matches(cut.as_slice()).to_string()))
    }),
    func("trimprefix", &["str", "prefix"], None, Ret::Str, 0, |a, _| {
        let s = expect_string(a, 0, "str")?;
        let p = expect_string(a, 1, "prefix")?;
        Ok(Value::String(s.strip_prefix(p.as_str()).unwrap_or(&s).to_string()))
    }),
    func("trimsuffix", &["str", "suffix"], None, Ret::Str, 0, |a, _| {
        let s = expect_string(a, 0, "str")?;
        let p = expect_string(a, 1, "suffix")?;
        Ok(Value::String(s.strip_suffix(p.as_str()).unwrap_or(&s).to_string()))
    }),
    func("trimspace", &["str"], None, Ret::Str, 0, |a, _| {
        Ok(Value::String(expect_string(a, 0, "str")?.trim().to_string()))
    }),
];

/// Splits into user-perceived characters: a base character with the
/// combining marks, joiners and modifiers that follow it, and `\r\n`.
/// (An approximation of Unicode grapheme clusters that covers common text.)
pub(crate) fn graphemes(s: &str) -> Vec<&str> {
    fn extends(c: char) -> bool {
        matches!(c as u32,
            0x0300..=0x036F | 0x0483..=0x0489 | 0x0591..=0x05BD | 0x0610..=0x061A | 0x064B..=0x065F
            | 0x0900..=0x0903 | 0x093A..=0x094F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x200C..=0x200D
            | 0x20D0..=0x20FF | 0xFE00..=0xFE0F | 0xFE20..=0xFE2F | 0x1F3FB..=0x1F3FF | 0xE0020..=0xE007F)
    }
    let mut out = Vec::new();
    let mut start = 0;
    let mut prev: Option<char> = None;
    for (i, c) in s.char_indices() {
        let join = match prev {
            None => true,
            Some('\r') => c == '\n',
            Some('\u{200D}') => true,
            Some(_) => extends(c),
        };
        if !join {
            out.push(&s[start..i]);
            start = i;
        }
        prev = Some(c);
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// Go's per-rune case mapping (no multi-character expansions like ß -> SS).
fn map_chars(s: &str, upper: bool) -> String {
    s.chars()
        .map(|c| {
            let mut it: Vec<char> = if upper { c.to_uppercase().collect() } else { c.to_lowercase().collect() };
            if it.len() == 1 {
                it.pop().unwrap()
            } else {
                c
            }
        })
        .collect()
}

/// Go's `strings.Title`: upper-case letters that start a word.
fn title(s: &str) -> String {
    fn is_sep(c: char) -> bool {
        if c.is_ascii() {
            return !(c.is_ascii_alphanumeric() || c == '_');
        }
        if c.is_alphanumeric() {
            return false;
        }
        c.is_whitespace()
    }
    let mut prev = ' ';
    s.chars()
        .map(|c| {
            let out = if is_sep(prev) { map_chars(&c.to_string(), true).chars().next().unwrap() } else { c };
            prev = c;
            out
        })
        .collect()
}

fn indent(args: &[Value], _: &FuncContext) -> FResult {
    let n = expect_int(args, 0, "spaces")?;
    if !(0..=1_000_000).contains(&n) {
        return Err(invalid(0, "spaces", "must be between 0 and 1000000"));
    }
    let s = expect_string(args, 1, "str")?;
    Ok(Value::String(s.replace('\n', &format!("\n{}", " ".repeat(n as usize)))))
}

fn join(args: &[Value], _: &FuncContext) -> FResult {
    let sep = expect_string(args, 0, "separator")?;
    if args.len() < 2 {
        return Err(FuncError::new("at least one list is required"));
    }
    let mut parts = Vec::new();
    for i in 1..args.len() {
        for x in expect_seq(args, i, "lists")? {
            if x.is_null() {
                return Err(invalid(i, "lists", format!("element {} is null; cannot concatenate null values", parts.len())));
            }
            parts.push(as_string(x).ok_or_else(|| invalid(i, "lists", "list of string required"))?);
        }
    }
    Ok(Value::String(parts.join(&sep)))
}

fn split(args: &[Value], _: &FuncContext) -> FResult {
    let sep = expect_string(args, 0, "separator")?;
    let s = expect_string(args, 1, "str")?;
    if sep.is_empty() {
        return Ok(list_of_strings(s.chars().map(String::from)));
    }
    Ok(list_of_strings(s.split(sep.as_str()).map(String::from)))
}

fn substr(args: &[Value], _: &FuncContext) -> FResult {
    let s = expect_string(args, 0, "str")?;
    let offset = expect_int(args, 1, "offset")?;
    let length = expect_int(args, 2, "length")?;
    let g = graphemes(&s);
    let total = g.len() as i64;
    let mut start = if offset < 0 { total + offset } else { offset };
    start = start.clamp(0, total);
    let end = if length < 0 { total } else { start.saturating_add(length).min(total) };
    Ok(Value::String(g[start as usize..end as usize].concat()))
}

/// The last line of the regex crate's error (the reason, without the diagram).
pub(crate) fn regex_error(e: &regex::Error) -> String {
    let text = e.to_string();
    let last = text.lines().last().unwrap_or("").trim();
    last.strip_prefix("error: ").unwrap_or(last).to_string()
}

fn compile(args: &[Value]) -> Result<regex::Regex, FuncError> {
    let pat = expect_string(args, 0, "pattern")?;
    regex::Regex::new(&pat).map_err(|e| invalid(0, "pattern", format!("invalid regexp pattern: {}", regex_error(&e))))
}

/// Whether the pattern's groups are named (`Some(true)`), unnamed
/// (`Some(false)`) or absent (`None`); mixing them is an error.
fn group_kind(re: &regex::Regex) -> Result<Option<bool>, FuncError> {
    let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
    if names.is_empty() {
        return Ok(None);
    }
    let named = names.iter().filter(|n| n.is_some()).count();
    if named == 0 {
        Ok(Some(false))
    } else if named == names.len() {
        Ok(Some(true))
    } else {
        Err(invalid(0, "pattern", "invalid regexp pattern: cannot mix both named and unnamed capture groups"))
    }
}

fn captures_value(re: &regex::Regex, kind: Option<bool>, caps: &regex::Captures) -> Value {
    let get = |i: usize| caps.get(i).map(|m| Value::string(m.as_str())).unwrap_or(Value::Null);
    match kind {
        None => get(0),
        Some(false) => Value::Tuple((1..caps.len()).map(get).collect()),
        Some(true) => Value::Object(
            re.capture_names()
                .enumerate()
                .filter_map(|(i, n)| n.map(|n| (n.to_string(), get(i))))
                .collect(),
        ),
    }
}

fn regex_fn(args: &[Value], _: &FuncContext) -> FResult {
    let re = compile(args)?;
    let kind = group_kind(&re)?;
    let s = expect_string(args, 1, "string")?;
    match re.captures(&s) {
        Some(caps) => Ok(captures_value(&re, kind, &caps)),
        None => Err(FuncError::new("pattern did not match any part of the given string")),
    }
}

fn regexall(args: &[Value], _: &FuncContext) -> FResult {
    let re = compile(args)?;
    let kind = group_kind(&re)?;
    let s = expect_string(args, 1, "string")?;
    Ok(Value::List(re.captures_iter(&s).map(|c| captures_value(&re, kind, &c)).collect()))
}

fn replace(args: &[Value], _: &FuncContext) -> FResult {
    let s = expect_string(args, 0, "str")?;
    let sub = expect_string(args, 1, "substr")?;
    let rep = expect_string(args, 2, "replace")?;
    if sub.len() > 1 && sub.starts_with('/') && sub.ends_with('/') {
        let re = regex::Regex::new(&sub[1..sub.len() - 1])
            .map_err(|e| invalid(1, "substr", format!("invalid regexp pattern: {}", regex_error(&e))))?;
        return Ok(Value::String(re.replace_all(&s, rep.as_str()).into_owned()));
    }
    Ok(Value::String(s.replace(&sub, &rep)))
}

// ---------------------------------------------------------------------------
// format and formatlist

fn format_fn(args: &[Value], _: &FuncContext) -> FResult {
    if args[0].is_null() {
        return Err(invalid(0, "format", "argument must not be null"));
    }
    let f = expect_string(args, 0, "format")?;
    if args[1..].iter().any(Value::is_null) {
        // Terraform cannot format nulls and reports the result as unknown.
        return Ok(Value::Unknown(Type::String));
    }
    format_str(&f, &args[1..]).map(Value::String)
}

fn formatlist(args: &[Value], _: &FuncContext) -> FResult {
    if args[0].is_null() {
        return Err(invalid(0, "format", "argument must not be null"));
    }
    let f = expect_string(args, 0, "format")?;
    let mut len: Option<usize> = None;
    for (i, a) in args.iter().enumerate().skip(1) {
        if let Some(xs) = a.as_seq() {
            if let Some(l) = len {
                if l != xs.len() {
                    return Err(FuncError::arg(
                        i,
                        format!("argument {i} has length {}, which is inconsistent with argument 1 of length {l}", xs.len()),
                    ));
                }
            }
            len = Some(xs.len());
        }
    }
    let Some(len) = len else {
        return Ok(Value::List(vec![Value::String(format_str(&f, &args[1..])?)]));
    };
    let mut out = Vec::with_capacity(len);
    for j in 0..len {
        let row: Vec<Value> = args[1..]
            .iter()
            .map(|a| match a.as_seq() {
                Some(xs) => xs[j].clone(),
                None => a.clone(),
            })
            .collect();
        out.push(Value::String(format_str(&f, &row).map_err(|e| FuncError::new(format!("error on format iteration {j}: {}", e.message)))?));
    }
    Ok(Value::List(out))
}

#[derive(Default)]
struct Spec {
    minus: bool,
    plus: bool,
    space: bool,
    zero: bool,
    sharp: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

/// Terraform's `format`: Go-like verbs over Terraform values.
pub(crate) fn format_str(f: &str, args: &[Value]) -> Result<String, FuncError> {
    let chars: Vec<(usize, char)> = f.char_indices().collect();
    let mut out = String::new();
    let mut next_arg = 0usize;
    let mut used = 0usize;
    let mut reordered = false;
    let mut i = 0;
    while i < chars.len() {
        let (pos, c) = chars[i];
        i += 1;
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while i < chars.len() {
            match chars[i].1 {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                ' ' => spec.space = true,
                '0' => spec.zero = true,
                '#' => spec.sharp = true,
                _ => break,
            }
            i += 1;
        }
        // explicit argument index
        if i < chars.len() && chars[i].1 == '[' {
            let startp = i;
            let mut num = String::new();
            i += 1;
            while i < chars.len() && chars[i].1.is_ascii_digit() {
                num.push(chars[i].1);
                i += 1;
            }
            if i >= chars.len() || chars[i].1 != ']' || num.is_empty() {
                return Err(FuncError::new(format!("unrecognized format syntax at {}", chars[startp].0)));
            }
            i += 1;
            let n: usize = num.parse().unwrap_or(usize::MAX);
            if n == 0 {
                return Err(FuncError::new(format!("invalid argument index 0 at {pos}")));
            }
            next_arg = n - 1;
            reordered = true;
        }
        let read_num = |i: &mut usize| -> Option<usize> {
            let mut s = String::new();
            while *i < chars.len() && chars[*i].1.is_ascii_digit() {
                s.push(chars[*i].1);
                *i += 1;
            }
            if s.is_empty() {
                None
            } else {
                Some(s.parse::<usize>().unwrap_or(usize::MAX).min(10_000))
            }
        };
        spec.width = read_num(&mut i);
        if i < chars.len() && chars[i].1 == '.' {
            i += 1;
            spec.prec = Some(read_num(&mut i).unwrap_or(0));
        }
        if i >= chars.len() {
            return Err(FuncError::new(format!("unrecognized format syntax at {pos}")));
        }
        let verb = chars[i].1;
        i += 1;
        if !"vsqtdboxXeEfFgG%".contains(verb) {
            let end = chars.get(i).map(|c| c.0).unwrap_or(f.len());
            return Err(FuncError::new(format!("unsupported format verb '{verb}' in {:?} at offset {pos}", &f[pos..end])));
        }
        if verb == '%' {
            out.push('%');
            continue;
        }
        if next_arg >= args.len() {
            return Err(FuncError::new(format!(
                "not enough arguments for \"%{verb}\" at {pos}: need index {} but have {} total",
                next_arg + 1,
                args.len()
            )));
        }
        let arg = &args[next_arg];
        next_arg += 1;
        used = used.max(next_arg);
        let text = format_one(verb, &spec, arg).map_err(|m| FuncError::new(format!("unsupported value for \"%{verb}\" at {pos}: {m}")))?;
        out.push_str(&pad(text, &spec, matches!(verb, 'd' | 'f' | 'e' | 'E' | 'g' | 'G' | 'b' | 'o' | 'x' | 'X')));
    }
    if !reordered && used < args.len() {
        return Err(FuncError::arg(used + 1, format!("Invalid value for \"args\" parameter: too many arguments; only {used} used by format string.")));
    }
    Ok(out)
}

fn pad(text: String, spec: &Spec, numeric: bool) -> String {
    let Some(w) = spec.width else { return text };
    let len = text.chars().count();
    if len >= w {
        return text;
    }
    let fill = w - len;
    if spec.minus {
        format!("{text}{}", " ".repeat(fill))
    } else if spec.zero && numeric {
        let (sign, rest) = match text.chars().next() {
            Some(c @ ('-' | '+' | ' ')) => (c.to_string(), text[1..].to_string()),
            _ => (String::new(), text.clone()),
        };
        format!("{sign}{}{rest}", "0".repeat(fill))
    } else if spec.zero {
        format!("{}{text}", "0".repeat(fill))
    } else {
        format!("{}{text}", " ".repeat(fill))
    }
}

fn format_one(verb: char, spec: &Spec, arg: &Value) -> Result<String, String> {
    let arg = arg.unmarked();
    if arg.is_null() {
        return match verb {
            'v' => Ok("null".into()),
            _ => Err("null value cannot be formatted".into()),
        };
    }
    match verb {
        'v' => {
            if spec.sharp {
                return Ok(super::encoding::json_encode(arg));
            }
            Ok(match arg {
                Value::String(s) => s.clone(),
                Value::Number(n) => super::number_text(*n),
                Value::Bool(b) => b.to_string(),
                other => super::encoding::json_encode(other),
            })
        }
        's' => {
            let s = as_string(arg).ok_or("string required")?;
            Ok(match spec.prec {
                Some(p) => s.chars().take(p).collect(),
                None => s,
            })
        }
        'q' => {
            let s = as_string(arg).ok_or("string required")?;
            Ok(go_quote(&s))
        }
        't' => match super::as_bool(arg) {
            Some(b) => Ok(b.to_string()),
            None => Err("bool required".into()),
        },
        'd' | 'b' | 'o' | 'x' | 'X' => {
            let n = super::as_number(arg).ok_or("number required")?;
            if n.fract() != 0.0 || !n.is_finite() {
                return Err("an integer is required".into());
            }
            let neg = n < 0.0;
            let m = n.abs();
            let digits = if m < 1.8e19 {
                let u = m as u64;
                match verb {
                    'd' => u.to_string(),
                    'b' => format!("{u:b}"),
                    'o' => format!("{u:o}"),
                    'x' => format!("{u:x}"),
                    _ => format!("{u:X}"),
                }
            } else if verb == 'd' {
                super::number_text(m)
            } else {
                return Err("integer too large".into());
            };
            let prefix = match (spec.sharp, verb) {
                (true, 'o') => "0",
                (true, 'x') => "0x",
                (true, 'X') => "0X",
                _ => "",
            };
            Ok(format!("{}{prefix}{digits}", sign(neg, spec)))
        }
        'e' | 'E' | 'f' | 'F' | 'g' | 'G' => {
            let n = super::as_number(arg).ok_or("number required")?;
            let body = match verb {
                'e' | 'E' => exp_format(n.abs(), spec.prec.unwrap_or(6)),
                'f' | 'F' => format!("{:.*}", spec.prec.unwrap_or(6), n.abs()),
                _ => g_format(n.abs(), spec.prec),
            };
            let body = if verb.is_ascii_uppercase() { body.to_uppercase() } else { body };
            Ok(format!("{}{body}", sign(n < 0.0, spec)))
        }
        _ => Err(format!("unrecognized format verb '{verb}'")),
    }
}

fn sign(neg: bool, spec: &Spec) -> &'static str {
    if neg {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    }
}

/// Go's `%e`: mantissa with `prec` decimals and an exponent of at least two digits.
fn exp_format(n: f64, prec: usize) -> String {
    let s = format!("{:.*e}", prec, n);
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let e: i32 = exp.parse().unwrap_or(0);
    format!("{mant}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
}

/// Go's `%g`.
fn g_format(n: f64, prec: Option<usize>) -> String {
    if n == 0.0 {
        return "0".into();
    }
    // Shortest digits and decimal exponent.
    let (digits, exp) = match prec {
        None => {
            let s = format!("{:e}", n);
            let (m, e) = s.split_once('e').unwrap();
            (m.replace('.', ""), e.parse::<i32>().unwrap())
        }
        Some(p) => {
            let p = p.max(1);
            let s = format!("{:.*e}", p - 1, n);
            let (m, e) = s.split_once('e').unwrap();
            let m = m.replace('.', "");
            (m.trim_end_matches('0').to_string(), e.parse::<i32>().unwrap())
        }
    };
    let digits = if digits.is_empty() { "0".to_string() } else { digits };
    let eprec = match prec {
        None => 6,
        Some(p) => {
            let p = p.max(1) as i32;
            if p > digits.len() as i32 && digits.len() as i32 > exp {
                digits.len() as i32
            } else {
                p
            }
        }
    };
    if exp < -4 || exp >= eprec {
        let mant = if digits.len() > 1 { format!("{}.{}", &digits[..1], &digits[1..]) } else { digits.clone() };
        format!("{mant}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
    } else if exp < 0 {
        format!("0.{}{}", "0".repeat((-exp - 1) as usize), digits)
    } else {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            format!("{}{}", digits, "0".repeat(int_len - digits.len()))
        } else {
            format!("{}.{}", &digits[..int_len], &digits[int_len..])
        }
    }
}

/// Go's `strconv.Quote`.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if c.is_control() || matches!(c as u32, 0x2028 | 0x2029 | 0xFEFF) => {
                if (c as u32) < 0x10000 {
                    out.push_str(&format!("\\u{:04x}", c as u32))
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32))
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[allow(dead_code)]
fn _unknown_list() -> Value {
    Value::Unknown(Type::List(Box::new(Type::String)))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use crate::value::Value;

    // Expected values checked with `terraform console` (1.11).
    #[test]
    fn format_verbs() {
        let args = vec![
            s("%v|%#v|%q|%5d|%-5s|%.2f|%e|%x|%o|%b|%t|%%|%s"),
            s("a"),
            Value::object([("a", n(1.0))]),
            s("q\""),
            n(42.0),
            s("ab"),
            n(3.14159),
            n(1234.5),
            n(255.0),
            n(8.0),
            n(5.0),
            Value::Bool(true),
            n(1.5),
        ];
        assert_eq!(call_ok("format", args), s("a|{\"a\":1}|\"q\\\"\"|   42|ab   |3.14|1.234500e+03|ff|10|101|true|%|1.5"));
        assert_eq!(
            call_err("format", vec![s("%s"), strs(&["1"])]),
            "unsupported value for \"%s\" at 0: string required"
        );
        assert_eq!(call_err("format", vec![s("%d"), n(1.5)]), "unsupported value for \"%d\" at 0: an integer is required");
    }

    #[test]
    fn format_numbers_and_errors() {
        let args = vec![
            s("%g|%g|%g|%.3g|%10.2f|%-8.3e|%+d|% d|%05d|%x|%X|%#x|%[2]s%[1]s"),
            n(1234567.0),
            n(0.00001234),
            n(100.0),
            n(3.14159),
            n(3.14159),
            n(1234.5678),
            n(5.0),
            n(5.0),
            n(-42.0),
            n(-255.0),
            n(255.0),
            n(255.0),
        ];
        assert_eq!(
            call_ok("format", args),
            s("1.234567e+06|1.234e-05|100|3.14|      3.14|1.235e+03|+5| 5|-0042|-ff|FF|0xff|0.000012341234567")
        );
        assert_eq!(
            call_err("format", vec![s("%s %s"), s("a")]),
            "not enough arguments for \"%s\" at 3: need index 2 but have 1 total"
        );
        assert_eq!(
            call_err("format", vec![s("%s"), s("a"), s("b")]),
            "Invalid value for \"args\" parameter: too many arguments; only 1 used by format string."
        );
        assert_eq!(call_err("format", vec![s("%z"), n(1.0)]), "unsupported format verb 'z' in \"%z\" at offset 0");
        assert_eq!(call_ok("format", vec![s("%q"), n(1.0)]), s("\"1\""));
        assert_eq!(call_ok("format", vec![s("%v"), Value::Null]), Value::Unknown(crate::value::Type::String));
    }

    #[test]
    fn formatlist_broadcasts() {
        assert_eq!(js("formatlist", vec![s("%s-%s"), strs(&["a", "b"]), s("c")]), r#"["a-c","b-c"]"#);
    }

    #[test]
    fn string_basics() {
        assert_eq!(js("title", vec![s("hello wORLD-foo_bar o'neil")]), r#""Hello WORLD-Foo_bar O'Neil""#);
        assert_eq!(js("split", vec![s(""), s("abc")]), r#"["a","b","c"]"#);
        assert_eq!(js("split", vec![s(","), s("")]), r#"[""]"#);
        assert_eq!(js("substr", vec![s("hello"), n(10.0), n(1.0)]), r#""""#);
        assert_eq!(js("substr", vec![s("hello"), n(-3.0), n(-1.0)]), r#""llo""#);
        assert_eq!(js("substr", vec![s("hello"), n(1.0), n(10.0)]), r#""ello""#);
        assert_eq!(js("substr", vec![s("hello"), n(-10.0), n(1.0)]), r#""h""#);
        assert_eq!(js("indent", vec![n(2.0), s("a\n\nb\n")]), r#""a\n  \n  b\n  ""#);
        assert_eq!(js("trim", vec![s("?!hello?!"), s("!?")]), r#""hello""#);
        assert_eq!(js("replace", vec![s("hello world"), s("/o(.)/"), s("0$1$1")]), r#""hell0  w0rrld""#);
        assert_eq!(js("strrev", vec![s("abc")]), r#""cba""#);
        assert_eq!(js("chomp", vec![s("a\n\r\n")]), r#""a""#);
    }

    #[test]
    fn regex_shapes() {
        assert_eq!(call_ok("regex", vec![s("(a)?b"), s("b")]), tup(vec![Value::Null]));
        assert_eq!(call_ok("regex", vec![s("(?P<x>a)?b"), s("b")]), Value::object([("x", Value::Null)]));
        assert_eq!(js("regexall", vec![s("[a-z]+(\\d)?"), s("ab1 cd")]), r#"[["1"],[null]]"#);
        assert_eq!(js("regex", vec![s("[0-9]+"), s("ab12")]), r#""12""#);
        assert_eq!(
            call_err("regex", vec![s("(?P<a>x)(y)"), s("xy")]),
            "Invalid value for \"pattern\" parameter: invalid regexp pattern: cannot mix both named and unnamed capture groups."
        );
        assert!(call_err("regex", vec![s("["), s("x")]).starts_with("Invalid value for \"pattern\" parameter: invalid regexp pattern: "));
        assert_eq!(call_err("regex", vec![s("z"), s("x")]), "pattern did not match any part of the given string");
        assert_eq!(js("regexall", vec![s("a"), s("bbb")]), "[]");
        assert_eq!(js("replace", vec![s("aaa"), s(""), s("-")]), r#""-a-a-a-""#);
        assert_eq!(js("replace", vec![s("abc"), s("/(?P<x>b)/"), s("[$x]")]), r#""a[b]c""#);
        assert_eq!(js("upper", vec![s("ßaé")]), r#""ßAÉ""#);
        assert_eq!(js("title", vec![s("élan vital ñu")]), r#""Élan Vital Ñu""#);
        assert_eq!(js("strrev", vec![s("é👍🏽x")]), r#""x👍🏽é""#);
        assert_eq!(js("length", vec![s("é👍🏽")]), "2");
        assert_eq!(js("join", vec![s(","), tup(vec![n(1.0), Value::Bool(true)])]), r#""1,true""#);
        assert_eq!(
            call_err("join", vec![s(","), tup(vec![s("a"), Value::Null])]),
            "Invalid value for \"lists\" parameter: element 1 is null; cannot concatenate null values."
        );
    }
}
