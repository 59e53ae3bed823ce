//! `timeouts { create = "20m" update = "4m" delete = "1h30m" }`: how long
//! each kind of operation on a Google resource may take, as Terraform's
//! resources accept it.
//!
//! Owns: Go duration strings ([`parse_duration`], [`format_duration`]), the
//! [`Operation`] kinds, a type's [`Timeouts`] (its defaults overlaid with the
//! configured block) and the block's schema ([`block_spec`]), so the engine
//! and the provider agree on the keys.
//!
//! Does not own: enforcing the limits. The engine's adapter bounds each
//! provider call once for every type, and [`crate::client::within`] makes the
//! client's retries, backoff sleeps and operation polls stop at the same
//! deadline. Per-type defaults are [`crate::GoogleResource::default_timeouts`].

use crate::{AttrSpec, BlockSpec, Json, Nesting, TypeSchema, TypeSpec};
use std::time::Duration;

/// The block's name in a resource body.
pub const BLOCK: &str = "timeouts";

/// Terraform's default for every operation a type does not override.
pub const DEFAULT: Duration = Duration::from_secs(20 * 60);

/// What the accepted values look like, for messages.
pub const FORMAT_HINT: &str =
    "a Go duration: a number and a unit (\"h\", \"m\", \"s\", \"ms\"), several of them together, such as \"30s\", \"20m\" or \"1h30m\"";

/// The longest duration Go can represent (an int64 of nanoseconds).
const MAX_NANOS: u128 = i64::MAX as u128;

/// A kind of operation a timeout bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Create,
    Read,
    Update,
    Delete,
}

impl Operation {
    pub const ALL: [Operation; 4] = [Operation::Create, Operation::Read, Operation::Update, Operation::Delete];

    /// Its key in the `timeouts` block.
    pub fn key(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Read => "read",
            Operation::Update => "update",
            Operation::Delete => "delete",
        }
    }
}

/// The limit of each operation of one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub create: Duration,
    pub read: Duration,
    pub update: Duration,
    pub delete: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts::uniform(DEFAULT)
    }
}

impl Timeouts {
    /// The same limit for every operation.
    pub const fn uniform(d: Duration) -> Timeouts {
        Timeouts { create: d, read: d, update: d, delete: d }
    }

    pub fn get(&self, op: Operation) -> Duration {
        match op {
            Operation::Create => self.create,
            Operation::Read => self.read,
            Operation::Update => self.update,
            Operation::Delete => self.delete,
        }
    }

    /// These limits with `op`'s set to `d`.
    pub fn with(mut self, op: Operation, d: Duration) -> Timeouts {
        match op {
            Operation::Create => self.create = d,
            Operation::Read => self.read = d,
            Operation::Update => self.update = d,
            Operation::Delete => self.delete = d,
        }
        self
    }

    /// These defaults overlaid with a configured block (an object, or null
    /// when there is none; keys unset or null keep the default). The first
    /// problem of [`problems`] is the error.
    pub fn configured(self, block: &Json) -> Result<Timeouts, String> {
        if let Some((key, message)) = problems(block).into_iter().next() {
            return Err(format!("timeouts.{key}: {message}"));
        }
        let mut out = self;
        for op in Operation::ALL {
            if let Some(s) = block.get(op.key()).and_then(Json::as_str) {
                out = out.with(op, parse_duration(s)?);
            }
        }
        Ok(out)
    }
}

/// The block's schema: at most one block, each key an optional string.
pub fn block_spec() -> BlockSpec {
    BlockSpec {
        name: BLOCK,
        nesting: Nesting::Single,
        min_items: 0,
        max_items: 1,
        schema: TypeSchema {
            attributes: Operation::ALL.iter().map(|op| AttrSpec::optional(op.key(), TypeSpec::String)).collect(),
            blocks: Vec::new(),
        },
        force_new: false,
    }
}

/// What is wrong with a configured block, as `(key, message)`: keys that
/// are not operations, values that are not durations. Null values (unset, or
/// not known yet) pass.
pub fn problems(block: &Json) -> Vec<(String, String)> {
    let Some(m) = block.as_object() else { return Vec::new() };
    let mut out = Vec::new();
    for (key, v) in m {
        if !Operation::ALL.iter().any(|op| op.key() == key) {
            out.push((key.clone(), "not a kind of operation: use create, read, update or delete".to_string()));
            continue;
        }
        match v {
            Json::Null => {}
            Json::String(s) => {
                if let Err(e) = parse_duration(s) {
                    out.push((key.clone(), e));
                }
            }
            other => out.push((key.clone(), format!("{other} is not a string; expected {FORMAT_HINT}"))),
        }
    }
    out
}

/// Nanoseconds per unit of a Go duration suffix.
fn unit_nanos(unit: &str) -> Option<u128> {
    Some(match unit {
        "ns" => 1,
        "us" | "µs" | "μs" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => return None,
    })
}

/// Parses a Go duration string (`time.ParseDuration`): one or more numbers,
/// each with an optional fraction and a unit (`ns`, `us`, `ms`, `s`, `m`,
/// `h`), like `"1h30m"` or `"1.5s"`. Timeouts must be longer than zero, so a
/// sign or `"0"` is refused.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = |why: &str| format!("{text:?} is not a duration ({why}); expected {FORMAT_HINT}");
    let s = text.trim();
    if s.is_empty() {
        return Err(bad("it is empty"));
    }
    if s.starts_with('-') || s.starts_with('+') {
        return Err(bad("a timeout has no sign"));
    }
    let mut rest = s;
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (int_part, after) = rest.split_at(int_len);
        let (frac_part, after) = match after.strip_prefix('.') {
            Some(f) => {
                let n = f.bytes().take_while(u8::is_ascii_digit).count();
                f.split_at(n)
            }
            None => ("", after),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(bad("a number must come first"));
        }
        let unit_len = after.char_indices().find(|(_, c)| c.is_ascii_digit() || *c == '.').map(|(i, _)| i).unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        if unit.is_empty() {
            return Err(bad(&format!("\"{int_part}{}\" has no unit", if frac_part.is_empty() { String::new() } else { format!(".{frac_part}") })));
        }
        let per = unit_nanos(unit).ok_or_else(|| bad(&format!("unknown unit \"{unit}\"")))?;
        let whole: u128 = if int_part.is_empty() { 0 } else { int_part.parse().map_err(|_| bad("the number is too large"))? };
        let mut nanos = whole.checked_mul(per).ok_or_else(|| bad("the number is too large"))?;
        // The fraction, digit by digit (at most to the nanosecond).
        let mut scale = per;
        for d in frac_part.bytes().take(20) {
            scale /= 10;
            nanos += u128::from(d - b'0') * scale;
        }
        total = total.checked_add(nanos).filter(|t| *t <= MAX_NANOS).ok_or_else(|| bad("it is longer than Go's 290 years"))?;
        rest = next;
    }
    if total == 0 {
        return Err(bad("a timeout must be longer than zero"));
    }
    let secs = u64::try_from(total / 1_000_000_000).unwrap_or(u64::MAX);
    Ok(Duration::new(secs, (total % 1_000_000_000) as u32))
}

/// A duration in Go's spelling without zero parts: `1h30m`, `20m`, `1.5s`,
/// `250ms`.
pub fn format_duration(d: Duration) -> String {
    let total_ms = d.as_millis();
    if total_ms == 0 {
        return format!("{}ns", d.as_nanos());
    }
    if total_ms < 1000 {
        return format!("{total_ms}ms");
    }
    let h = total_ms / 3_600_000;
    let m = (total_ms / 60_000) % 60;
    let ms = total_ms % 60_000;
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if ms > 0 {
        if ms.is_multiple_of(1000) {
            out.push_str(&format!("{}s", ms / 1000));
        } else {
            let frac = format!("{:03}", ms % 1000);
            out.push_str(&format!("{}.{}s", ms / 1000, frac.trim_end_matches('0')));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_go_durations() {
        let cases = [
            ("30s", Duration::from_secs(30)),
            ("20m", Duration::from_secs(1200)),
            ("1h30m", Duration::from_secs(5400)),
            ("1.5s", Duration::from_millis(1500)),
            (".5m", Duration::from_secs(30)),
            ("2h45m10s", Duration::from_secs(2 * 3600 + 45 * 60 + 10)),
            ("250ms", Duration::from_millis(250)),
            ("10us", Duration::from_micros(10)),
            ("10µs", Duration::from_micros(10)),
            ("7ns", Duration::from_nanos(7)),
            ("1m0s", Duration::from_secs(60)),
            (" 5m ", Duration::from_secs(300)),
        ];
        for (text, want) in cases {
            assert_eq!(parse_duration(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn refuses_what_go_refuses_and_what_no_timeout_can_be() {
        for (text, why) in [
            ("", "empty"),
            ("20", "no unit"),
            ("20 minutes", "unknown unit"),
            ("5d", "unknown unit \"d\""),
            ("m", "number must come first"),
            ("1h-5m", "unknown unit \"h-\""),
            ("-5m", "no sign"),
            ("0", "no unit"),
            ("0s", "longer than zero"),
            (".s", "number must come first"),
            ("1h 30m", "unknown unit \"h \""),
            ("999999999999999999999999999999h", "too large"),
            ("3000000h", "290 years"),
        ] {
            let e = parse_duration(text).unwrap_err();
            assert!(e.contains(why), "{text}: {e}");
            assert!(e.contains("1h30m"), "the message shows the format: {e}");
        }
    }

    #[test]
    fn formats_back() {
        for (d, want) in [
            (Duration::from_secs(5400), "1h30m"),
            (Duration::from_secs(1200), "20m"),
            (Duration::from_millis(1500), "1.5s"),
            (Duration::from_millis(250), "250ms"),
            (Duration::from_secs(3601), "1h1s"),
            (Duration::from_nanos(5), "5ns"),
        ] {
            assert_eq!(format_duration(d), want);
            assert_eq!(parse_duration(want), Ok(d), "{want} round-trips");
        }
    }

    #[test]
    fn configured_over_defaults() {
        let defaults = Timeouts::default().with(Operation::Read, Duration::from_secs(240));
        let t = defaults.configured(&json!({"create": "1s", "read": null})).unwrap();
        assert_eq!(t.create, Duration::from_secs(1));
        assert_eq!(t.read, Duration::from_secs(240));
        assert_eq!(t.delete, DEFAULT);
        assert_eq!(defaults.configured(&Json::Null).unwrap(), defaults);
        assert!(defaults.configured(&json!({"create": "soon"})).unwrap_err().starts_with("timeouts.create: "));
        let p = problems(&json!({"creat": "1s", "delete": 5, "update": "1m"}));
        assert_eq!(p.len(), 2, "{p:?}");
        assert_eq!(p[0].0, "creat");
        assert!(p[1].1.contains("not a string"));
    }
}
