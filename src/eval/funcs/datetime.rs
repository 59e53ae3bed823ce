//! Date and time functions: formatdate timeadd timestamp.

use chrono::{DateTime, Datelike, Duration, FixedOffset, SecondsFormat, Timelike, Utc};

use super::{expect_string, func, invalid, FResult, Func, FuncContext, FuncError, Ret, UNKNOWNS};
use crate::value::{Type, Value};

pub(crate) const FUNCS: &[Func] = &[
    func("formatdate", &["format", "time"], None, Ret::Str, 0, formatdate),
    func("timeadd", &["timestamp", "duration"], None, Ret::Str, 0, timeadd),
    func("timestamp", &[], None, Ret::Str, UNKNOWNS, |_, ctx| {
        if ctx.defer_impure {
            return Ok(Value::Unknown(Type::String));
        }
        Ok(Value::String(Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)))
    }),
];

/// Parses an RFC 3339 timestamp as Go's `time.Parse(time.RFC3339, ...)`.
fn parse_rfc3339(args: &[Value], i: usize, what: &str) -> Result<DateTime<FixedOffset>, FuncError> {
    let s = expect_string(args, i, what)?;
    if s.len() >= 10 && !s[10..].starts_with('T') {
        return Err(invalid(i, what, "not a valid RFC3339 timestamp: missing required time introducer 'T'"));
    }
    DateTime::parse_from_rfc3339(&s)
        .map_err(|e| invalid(i, what, format!("not a valid RFC3339 timestamp: cannot use {s:?} as {what}: {e}")))
}

/// Go's RFC 3339 output: `Z` for UTC, seconds only.
fn rfc3339(t: &DateTime<FixedOffset>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn timeadd(args: &[Value], _: &FuncContext) -> FResult {
    let t = parse_rfc3339(args, 0, "timestamp")?;
    let d = expect_string(args, 1, "duration")?;
    let nanos = parse_duration(&d).map_err(FuncError::new)?;
    let t2 = t
        .checked_add_signed(Duration::nanoseconds(nanos))
        .ok_or_else(|| FuncError::new("resulting time is out of range"))?;
    Ok(Value::String(rfc3339(&t2)))
}

/// Go's `time.ParseDuration`, in nanoseconds.
pub(crate) fn parse_duration(s: &str) -> Result<i64, String> {
    let err = || format!("time: invalid duration {s:?}");
    let (neg, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(err());
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let num_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let num = &rest[..num_len];
        if num.is_empty() || num == "." {
            return Err(err());
        }
        let value: f64 = num.parse().map_err(|_| err())?;
        rest = &rest[num_len..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let scale = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => return Err(format!("time: missing unit in duration {s:?}")),
            u => return Err(format!("time: unknown unit {u:?} in duration {s:?}")),
        };
        total += value * scale;
    }
    if total > 9.2e18 {
        return Err(err());
    }
    let n = total.round() as i64;
    Ok(if neg { -n } else { n })
}

const MONTHS: [&str; 12] =
    ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const DAYS: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

fn offset_text(secs: i32, colon: bool) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.abs();
    let (h, m) = (a / 3600, (a % 3600) / 60);
    if colon {
        format!("{sign}{h:02}:{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}")
    }
}

fn formatdate(args: &[Value], _: &FuncContext) -> FResult {
    let spec = expect_string(args, 0, "format")?;
    let t = parse_rfc3339(args, 1, "time")?;
    let bad = |m: String| invalid(0, "format", m);
    let chars: Vec<char> = spec.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            // Quoted literal; '' is a literal quote.
            if chars.get(i + 1) == Some(&'\'') {
                out.push('\'');
                i += 2;
                continue;
            }
            let mut j = i + 1;
            let mut lit = String::new();
            loop {
                match chars.get(j) {
                    None => return Err(bad("unterminated literal '".into())),
                    Some('\'') if chars.get(j + 1) == Some(&'\'') => {
                        lit.push('\'');
                        j += 2;
                    }
                    Some('\'') => break,
                    Some(&ch) => {
                        lit.push(ch);
                        j += 1;
                    }
                }
            }
            out.push_str(&lit);
            i = j + 1;
            continue;
        }
        if !c.is_ascii_alphabetic() {
            out.push(c);
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len() && chars[j] == c {
            j += 1;
        }
        let verb: String = chars[i..j].iter().collect();
        let n = j - i;
        let wrong = |what: &str, opts: &str| bad(format!("invalid date format verb {verb:?}: {what} must either be {opts}"));
        let hour12 = {
            let h = t.hour() % 12;
            if h == 0 {
                12
            } else {
                h
            }
        };
        let piece = match (c, n) {
            ('Y', 4) => format!("{:04}", t.year()),
            ('Y', 2) => format!("{:02}", t.year().rem_euclid(100)),
            ('Y', _) => return Err(wrong("year", "\"YY\" or \"YYYY\"")),
            ('M', 1) => t.month().to_string(),
            ('M', 2) => format!("{:02}", t.month()),
            ('M', 3) => MONTHS[t.month0() as usize][..3].to_string(),
            ('M', 4) => MONTHS[t.month0() as usize].to_string(),
            ('M', _) => return Err(wrong("month", "\"M\", \"MM\", \"MMM\", or \"MMMM\"")),
            ('D', 1) => t.day().to_string(),
            ('D', 2) => format!("{:02}", t.day()),
            ('D', _) => return Err(wrong("day of month", "\"D\" or \"DD\"")),
            ('E', 3) => DAYS[t.weekday().num_days_from_sunday() as usize][..3].to_string(),
            ('E', 4) => DAYS[t.weekday().num_days_from_sunday() as usize].to_string(),
            ('E', _) => return Err(wrong("day of week", "\"EEE\" or \"EEEE\"")),
            ('h', 1) => t.hour().to_string(),
            ('h', 2) => format!("{:02}", t.hour()),
            ('h', _) => return Err(wrong("24-hour", "\"h\" or \"hh\"")),
            ('H', 1) => hour12.to_string(),
            ('H', 2) => format!("{hour12:02}"),
            ('H', _) => return Err(wrong("12-hour", "\"H\" or \"HH\"")),
            ('A', 2) | ('a', 2) => {
                let s = if t.hour() < 12 { "AM" } else { "PM" };
                if c == 'a' {
                    s.to_lowercase()
                } else {
                    s.to_string()
                }
            }
            ('A', _) => return Err(bad(format!("invalid date format verb {verb:?}: must be \"AA\""))),
            ('a', _) => return Err(bad(format!("invalid date format verb {verb:?}: must be \"aa\""))),
            ('m', 1) => t.minute().to_string(),
            ('m', 2) => format!("{:02}", t.minute()),
            ('m', _) => return Err(wrong("minute", "\"m\" or \"mm\"")),
            ('s', 1) => t.second().to_string(),
            ('s', 2) => format!("{:02}", t.second()),
            ('s', _) => return Err(wrong("second", "\"s\" or \"ss\"")),
            ('Z', 1) => {
                let off = t.offset().local_minus_utc();
                if off == 0 {
                    "Z".into()
                } else {
                    offset_text(off, true)
                }
            }
            ('Z', 3) => {
                let off = t.offset().local_minus_utc();
                if off == 0 {
                    "UTC".into()
                } else {
                    offset_text(off, false)
                }
            }
            ('Z', 4) => offset_text(t.offset().local_minus_utc(), false),
            ('Z', 5) => offset_text(t.offset().local_minus_utc(), true),
            ('Z', _) => return Err(wrong("time zone", "\"Z\", \"ZZZ\", \"ZZZZ\", or \"ZZZZZ\"")),
            _ => return Err(bad(format!("invalid date format verb {:?}", c.to_string()))),
        };
        out.push_str(&piece);
        i = j;
    }
    Ok(Value::String(out))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::super::{call, FuncContext};
    use crate::value::{Type, Value};

    // Expected values checked with `terraform console` (1.11).
    #[test]
    fn formatdate_spec() {
        assert_eq!(
            js("formatdate", vec![
                s("YYYY-MM-DD hh:mm:ss EEE EEEE MMM MMMM ZZZ ZZZZ ZZZZZ Z h H AA aa YY M D 'quoted' ''"),
                s("2020-03-04T05:06:07Z")
            ]),
            r#""2020-03-04 05:06:07 Wed Wednesday Mar March UTC +0000 +00:00 Z 5 5 AM am 20 3 4 quoted '""#
        );
        assert_eq!(
            js("formatdate", vec![s("ZZZ ZZZZ ZZZZZ Z HH h H m s"), s("2020-03-04T15:06:07-08:30")]),
            r#""-0830 -0830 -08:30 -08:30 03 15 3 6 7""#
        );
        assert_eq!(js("formatdate", vec![s("HH H AA"), s("2020-03-04T00:06:07Z")]), r#""12 12 AM""#);
        assert_eq!(
            call_err("formatdate", vec![s("YYY"), s("2020-03-04T00:06:07Z")]),
            "Invalid value for \"format\" parameter: invalid date format verb \"YYY\": year must either be \"YY\" or \"YYYY\"."
        );
        assert_eq!(
            call_err("formatdate", vec![s("DD-MM, it's"), s("2020-03-04T00:06:07Z")]),
            "Invalid value for \"format\" parameter: invalid date format verb \"i\"."
        );
        assert_eq!(
            call_err("formatdate", vec![s("YYYY"), s("2020-03-04")]),
            "Invalid value for \"time\" parameter: not a valid RFC3339 timestamp: missing required time introducer 'T'."
        );
    }

    #[test]
    fn timeadd_and_timestamp() {
        assert_eq!(js("timeadd", vec![s("2020-01-01T00:00:00.5Z"), s("1h30m")]), r#""2020-01-01T01:30:00Z""#);
        assert_eq!(js("timeadd", vec![s("2020-01-01T00:00:00+05:00"), s("-1.5h")]), r#""2019-12-31T22:30:00+05:00""#);
        assert_eq!(js("timeadd", vec![s("2020-01-01T00:00:00Z"), s("1h2m3.5s100ms")]), r#""2020-01-01T01:02:03Z""#);
        assert_eq!(
            call_err("timeadd", vec![s("2020-01-01T00:00:00Z"), s("1x")]),
            "time: unknown unit \"x\" in duration \"1x\""
        );
        let ctx = FuncContext { defer_impure: true, ..Default::default() };
        assert_eq!(call("timestamp", vec![], &ctx).unwrap(), Value::Unknown(Type::String));
        let now = call_ok("timestamp", vec![]);
        assert!(now.as_str().unwrap().ends_with('Z'));
    }
}
