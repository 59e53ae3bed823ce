//! Numeric functions: abs ceil floor log max min parseint pow signum.

use super::{expect_int, expect_number, expect_string, func, invalid, FResult, Func, FuncContext, FuncError, Ret};
use crate::value::Value;

pub(crate) const FUNCS: &[Func] = &[
    func("abs", &["num"], None, Ret::Num, 0, |a, _| unary(a, f64::abs)),
    func("ceil", &["num"], None, Ret::Num, 0, |a, _| unary(a, f64::ceil)),
    func("floor", &["num"], None, Ret::Num, 0, |a, _| unary(a, f64::floor)),
    func("signum", &["num"], None, Ret::Num, 0, |a, _| unary(a, signum)),
    func("log", &["num", "base"], None, Ret::Num, 0, log),
    func("pow", &["num", "power"], None, Ret::Num, 0, pow),
    func("max", &[], Some("numbers"), Ret::Num, 0, |a, _| extreme(a, f64::max)),
    func("min", &[], Some("numbers"), Ret::Num, 0, |a, _| extreme(a, f64::min)),
    func("parseint", &["number", "base"], None, Ret::Num, 0, parseint),
];

fn unary(args: &[Value], f: fn(f64) -> f64) -> FResult {
    let n = expect_number(args, 0, "num")?;
    Ok(Value::Number(f(n) + 0.0))
}

fn signum(n: f64) -> f64 {
    if n > 0.0 {
        1.0
    } else if n < 0.0 {
        -1.0
    } else {
        0.0
    }
}

fn log(args: &[Value], _: &FuncContext) -> FResult {
    let n = expect_number(args, 0, "num")?;
    let b = expect_number(args, 1, "base")?;
    Ok(Value::Number(n.ln() / b.ln()))
}

fn pow(args: &[Value], _: &FuncContext) -> FResult {
    let n = expect_number(args, 0, "num")?;
    let p = expect_number(args, 1, "power")?;
    Ok(Value::Number(n.powf(p)))
}

fn extreme(args: &[Value], pick: fn(f64, f64) -> f64) -> FResult {
    if args.is_empty() {
        return Err(FuncError::new("must pass at least one number"));
    }
    let mut acc = expect_number(args, 0, "numbers")?;
    for i in 1..args.len() {
        acc = pick(acc, expect_number(args, i, "numbers")?);
    }
    Ok(Value::Number(acc))
}

fn parseint(args: &[Value], _: &FuncContext) -> FResult {
    let text = match args[0].unmarked() {
        Value::String(s) => s.clone(),
        _ => return Err(invalid(0, "number", "string required")),
    };
    let base = expect_int(args, 1, "base").ok().filter(|b| (2..=62).contains(b));
    let Some(base) = base else {
        return Err(invalid(1, "base", "base must be a whole number between 2 and 62 inclusive"));
    };
    let fail = || invalid(0, "number", format!("cannot parse {:?} as a base {base} integer", text));
    let (neg, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(&text)),
    };
    if digits.is_empty() {
        return Err(fail());
    }
    let mut acc = 0f64;
    for c in digits.chars() {
        let d = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'a'..='z' => c as u32 - 'a' as u32 + 10,
            'A'..='Z' if base <= 36 => c as u32 - 'A' as u32 + 10,
            'A'..='Z' => c as u32 - 'A' as u32 + 36,
            _ => return Err(fail()),
        };
        if d as i64 >= base {
            return Err(fail());
        }
        acc = acc * base as f64 + d as f64;
    }
    let _ = expect_string;
    Ok(Value::Number(if neg { -acc } else { acc }))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;

    // Expected values checked with `terraform console` (1.11).
    #[test]
    fn basics() {
        assert_eq!(js("abs", vec![n(-0.0)]), "0");
        assert_eq!(js("abs", vec![n(-2.5)]), "2.5");
        assert_eq!(js("ceil", vec![n(1.2)]), "2");
        assert_eq!(js("floor", vec![n(-1.2)]), "-2");
        assert_eq!(js("log", vec![n(8.0), n(2.0)]), "3");
        assert_eq!(js("signum", vec![n(-3.0)]), "-1");
        assert_eq!(js("max", vec![n(1.0), s("7"), n(3.0)]), "7");
        assert_eq!(js("min", vec![n(1.0), n(-7.0)]), "-7");
        assert_eq!(js("pow", vec![n(2.0), n(10.0)]), "1024");
    }

    #[test]
    fn parseint_cases() {
        assert_eq!(js("parseint", vec![s("FF"), n(16.0)]), "255");
        assert_eq!(js("parseint", vec![s("-zz"), n(36.0)]), "-1295");
        assert_eq!(js("parseint", vec![s("Z"), n(62.0)]), "61");
        assert_eq!(
            call_err("parseint", vec![s("12"), n(1.0)]),
            "Invalid value for \"base\" parameter: base must be a whole number between 2 and 62 inclusive."
        );
        assert!(call_err("parseint", vec![s("19"), n(8.0)]).contains("cannot parse \"19\" as a base 8 integer"));
        assert!(call_err("parseint", vec![s(""), n(8.0)]).contains("cannot parse"));
    }
}
