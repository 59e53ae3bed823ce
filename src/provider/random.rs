//! The hashicorp/random provider's types, built in: `random_id`,
//! `random_string`, `random_password` and `random_pet` (provider v3.x).
//!
//! Owns: their schemas, plan customisation (argument defaults such as
//! `special = true`, the `number`/`numeric` alias, argument checks such as
//! `length` against the sum of the `min_*` counts, computed attributes kept
//! from the prior state or unknown on create), generation of the values from
//! the operating system's secure random source, `bcrypt_hash` of passwords,
//! and `import` of `random_id`, `random_string` and `random_password`.
//!
//! Every argument forces replacement, as in the provider, so `update` only
//! carries the computed values over. Nothing here panics on user data: bad
//! arguments are plan errors naming the argument.

use std::collections::BTreeMap;

use base64::Engine;

use super::{BoxFuture, ProviderError, ResourceType};
use crate::config::schema::{AttrSchema, Schema};
use crate::value::{Type, Value};

/// The provider's default special characters.
pub const DEFAULT_SPECIAL: &str = "!@#$%&*()-_=+[]{}<>:?";
const NUMERIC_CHARS: &str = "0123456789";
const LOWER_CHARS: &str = "abcdefghijklmnopqrstuvwxyz";
const UPPER_CHARS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
/// Largest `length` of a `random_string`/`random_password` and of a `random_pet`.
const MAX_LENGTH: usize = 65_536;
/// Largest `byte_length` of a `random_id`.
const MAX_BYTE_LENGTH: usize = 4_096;
/// The cost the provider uses for `bcrypt_hash` (Go's `bcrypt.DefaultCost`).
const BCRYPT_COST: u32 = 10;

/// Every random type.
pub fn types() -> Vec<Box<dyn ResourceType>> {
    vec![
        Box::new(RandomId::new()),
        Box::new(RandomString::new()),
        Box::new(RandomPassword::new()),
        Box::new(RandomPet::new()),
    ]
}

// ---------------------------------------------------------------------------
// Shared helpers

type Attrs = BTreeMap<String, Value>;

fn attrs(v: &Value) -> Attrs {
    v.as_map().cloned().unwrap_or_default()
}

fn field<'a>(m: &'a Attrs, name: &str) -> &'a Value {
    m.get(name).unwrap_or(&Value::Null)
}

fn failed(message: impl Into<String>) -> ProviderError {
    ProviderError::Failed(message.into())
}

/// Sets `name` to `default` when it is null (unset in configuration).
fn default_if_null(m: &mut Attrs, name: &str, default: Value) {
    if field(m, name).is_null() {
        m.insert(name.to_string(), default);
    }
}

/// Plans computed attributes: kept from `prior`, or unknown on create.
fn plan_computed(m: &mut Attrs, prior: Option<&Value>, names: &[&str], sensitive: &[&str]) {
    let prior = prior.map(attrs);
    for name in names {
        let v = match &prior {
            Some(p) => field(p, name).clone(),
            None => Value::Unknown(Type::String),
        };
        m.insert(name.to_string(), v.mark_if(sensitive.contains(name)));
    }
}

/// The planned object with the computed attributes of `prior` (for `update`).
fn keep_computed(prior: &Value, planned: &Value, names: &[&str]) -> Value {
    let prior = attrs(prior);
    let mut m = attrs(planned);
    for name in names {
        m.insert(name.to_string(), field(&prior, name).clone());
    }
    Value::Object(m)
}

/// A whole number argument in `min..=max`; `None` while unknown.
fn count(m: &Attrs, name: &str, min: usize, max: usize) -> Result<Option<usize>, String> {
    let v = field(m, name);
    if v.is_unknown() {
        return Ok(None);
    }
    let n = match v.unmarked() {
        Value::Number(n) => *n,
        Value::Null => return Err(format!("{name} is required")),
        other => return Err(format!("{name} must be a number, got a {}", other.type_name())),
    };
    if !n.is_finite() || n.fract() != 0.0 {
        return Err(format!("{name} must be a whole number, got {n}"));
    }
    if n < min as f64 {
        return Err(format!("{name} must be at least {min}, got {n}"));
    }
    if n > max as f64 {
        return Err(format!("{name} must be at most {max}, got {n}"));
    }
    Ok(Some(n as usize))
}

/// A bool argument; `None` while unknown.
fn flag(m: &Attrs, name: &str) -> Result<Option<bool>, String> {
    let v = field(m, name);
    if v.is_unknown() {
        return Ok(None);
    }
    match v.unmarked() {
        Value::Bool(b) => Ok(Some(*b)),
        other => Err(format!("{name} must be true or false, got a {}", other.type_name())),
    }
}

/// An optional string argument: `Ok(None)` while unknown, `Some(None)` when null.
fn text(m: &Attrs, name: &str) -> Result<Option<Option<String>>, String> {
    let v = field(m, name);
    if v.is_unknown() {
        return Ok(None);
    }
    match v.unmarked() {
        Value::Null => Ok(Some(None)),
        Value::String(s) => Ok(Some(Some(s.clone()))),
        other => Err(format!("{name} must be a string, got a {}", other.type_name())),
    }
}

fn keepers_schema() -> AttrSchema {
    AttrSchema::optional(Type::Map(Box::new(Type::String))).force_new()
}

/// Randomness from the operating system's secure source, read in blocks.
struct Rng {
    buf: [u8; 256],
    pos: usize,
}

impl Rng {
    fn new() -> Rng {
        Rng { buf: [0; 256], pos: 256 }
    }

    fn fill(&mut self, out: &mut [u8]) -> Result<(), ProviderError> {
        getrandom::fill(out).map_err(|e| failed(format!("the operating system's random source failed: {e}")))
    }

    fn next_u64(&mut self) -> Result<u64, ProviderError> {
        if self.pos + 8 > self.buf.len() {
            let mut buf = [0u8; 256];
            self.fill(&mut buf)?;
            self.buf = buf;
            self.pos = 0;
        }
        let mut word = [0u8; 8];
        word.copy_from_slice(&self.buf[self.pos..self.pos + 8]);
        self.pos += 8;
        Ok(u64::from_le_bytes(word))
    }

    /// A uniform index in `0..n` (no modulo bias); `n` must be positive.
    fn below(&mut self, n: usize) -> Result<usize, ProviderError> {
        if n == 0 {
            return Err(failed("cannot choose from an empty set of characters"));
        }
        let n = n as u64;
        // 2^64 mod n: draws below it would favour small results.
        let threshold = n.wrapping_neg() % n;
        loop {
            let r = self.next_u64()?;
            if r >= threshold {
                return Ok((r % n) as usize);
            }
        }
    }

    fn pick<T: Copy>(&mut self, from: &[T]) -> Result<T, ProviderError> {
        Ok(from[self.below(from.len())?])
    }

    fn shuffle<T>(&mut self, xs: &mut [T]) -> Result<(), ProviderError> {
        for i in (1..xs.len()).rev() {
            let j = self.below(i + 1)?;
            xs.swap(i, j);
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// random_string and random_password

const MINS: [&str; 4] = ["min_lower", "min_numeric", "min_special", "min_upper"];

fn string_schema(password: bool) -> Schema {
    let mut s = Schema::new()
        .attr("id", AttrSchema::computed(Type::String))
        .attr("keepers", keepers_schema())
        .attr("length", AttrSchema::required(Type::Number).force_new())
        .attr("override_special", AttrSchema::optional(Type::String).force_new());
    for b in ["lower", "number", "numeric", "special", "upper"] {
        s = s.attr(b, AttrSchema::optional(Type::Bool).force_new());
    }
    for m in MINS {
        s = s.attr(m, AttrSchema::optional(Type::Number).force_new());
    }
    if password {
        s.attr("result", AttrSchema::computed(Type::String).sensitive())
            .attr("bcrypt_hash", AttrSchema::computed(Type::String).sensitive())
    } else {
        s.attr("result", AttrSchema::computed(Type::String))
    }
}

/// The arguments that shape a generated string.
#[derive(Debug, Clone, PartialEq)]
struct StringParams {
    length: usize,
    upper: bool,
    lower: bool,
    numeric: bool,
    special: bool,
    min_upper: usize,
    min_lower: usize,
    min_numeric: usize,
    min_special: usize,
    override_special: Option<String>,
}

impl StringParams {
    /// Reads the (defaulted) arguments; `None` while any is unknown.
    fn read(m: &Attrs) -> Result<Option<StringParams>, String> {
        let length = count(m, "length", 1, MAX_LENGTH)?;
        let mut mins = [None; 4];
        for (slot, name) in mins.iter_mut().zip(MINS) {
            *slot = count(m, name, 0, MAX_LENGTH)?;
        }
        let (upper, lower, numeric, special) =
            (flag(m, "upper")?, flag(m, "lower")?, flag(m, "numeric")?, flag(m, "special")?);
        let override_special = text(m, "override_special")?;
        let (
            Some(length),
            [Some(min_lower), Some(min_numeric), Some(min_special), Some(min_upper)],
            Some(upper),
            Some(lower),
            Some(numeric),
            Some(special),
            Some(override_special),
        ) = (length, mins, upper, lower, numeric, special, override_special)
        else {
            return Ok(None);
        };
        Ok(Some(StringParams {
            length,
            upper,
            lower,
            numeric,
            special,
            min_upper,
            min_lower,
            min_numeric,
            min_special,
            override_special,
        }))
    }

    fn special_chars(&self) -> Vec<char> {
        match &self.override_special {
            Some(s) if !s.is_empty() => s.chars().collect(),
            _ => DEFAULT_SPECIAL.chars().collect(),
        }
    }

    /// The characters the part beyond the `min_*` counts is drawn from.
    fn pool(&self) -> Vec<char> {
        let mut pool = Vec::new();
        if self.upper {
            pool.extend(UPPER_CHARS.chars());
        }
        if self.lower {
            pool.extend(LOWER_CHARS.chars());
        }
        if self.numeric {
            pool.extend(NUMERIC_CHARS.chars());
        }
        if self.special {
            pool.extend(self.special_chars());
        }
        pool
    }

    fn min_total(&self) -> usize {
        self.min_upper + self.min_lower + self.min_numeric + self.min_special
    }

    fn check(&self) -> Result<(), String> {
        let mins = self.min_total();
        if self.length < mins {
            return Err(format!(
                "length ({}) must be at least the sum of min_upper ({}) + min_lower ({}) + min_numeric ({}) + min_special ({}) = {mins}",
                self.length, self.min_upper, self.min_lower, self.min_numeric, self.min_special
            ));
        }
        if self.length > mins && self.pool().is_empty() {
            return Err(format!(
                "length ({}) is more than the min_* counts ({mins}) but upper, lower, numeric and special are all false: \
                 enable at least one character set",
                self.length
            ));
        }
        Ok(())
    }

    /// A fresh string: the `min_*` characters of each class, the rest from
    /// the enabled classes, shuffled.
    fn generate(&self, rng: &mut Rng) -> Result<String, ProviderError> {
        self.check().map_err(failed)?;
        let classes: [(Vec<char>, usize); 4] = [
            (UPPER_CHARS.chars().collect(), self.min_upper),
            (LOWER_CHARS.chars().collect(), self.min_lower),
            (NUMERIC_CHARS.chars().collect(), self.min_numeric),
            (self.special_chars(), self.min_special),
        ];
        let mut out = Vec::with_capacity(self.length);
        for (chars, min) in &classes {
            for _ in 0..*min {
                out.push(rng.pick(chars)?);
            }
        }
        let pool = self.pool();
        while out.len() < self.length {
            out.push(rng.pick(&pool)?);
        }
        rng.shuffle(&mut out)?;
        Ok(out.into_iter().collect())
    }
}

/// Fills defaults, reconciles `number` with `numeric`, checks the arguments.
fn plan_string_args(m: &mut Attrs) -> Result<(), String> {
    for b in ["lower", "special", "upper"] {
        default_if_null(m, b, Value::Bool(true));
    }
    // `number` is the deprecated alias of `numeric`: one set decides both.
    let number = field(m, "number").clone();
    let numeric = field(m, "numeric").clone();
    match (number.is_null(), numeric.is_null()) {
        (true, true) => {
            m.insert("number".into(), Value::Bool(true));
            m.insert("numeric".into(), Value::Bool(true));
        }
        (true, false) => {
            m.insert("number".into(), numeric);
        }
        (false, true) => {
            m.insert("numeric".into(), number);
        }
        (false, false) => {
            if let (Some(a), Some(b)) = (number.as_bool(), numeric.as_bool()) {
                if a != b {
                    return Err(format!(
                        "number ({a}) and numeric ({b}) are both set and differ; number is a deprecated alias of numeric, set numeric only"
                    ));
                }
            }
        }
    }
    for name in MINS {
        default_if_null(m, name, Value::Number(0.0));
    }
    if let Some(p) = StringParams::read(m)? {
        p.check()?;
    }
    Ok(())
}

fn bcrypt_hash(rng: &mut Rng, password: &str) -> Result<String, ProviderError> {
    let mut salt = [0u8; 16];
    rng.fill(&mut salt)?;
    // Like Go's bcrypt (which the provider uses), only the first 72 bytes count.
    let parts = bcrypt::hash_with_salt(password.as_bytes(), BCRYPT_COST, salt)
        .map_err(|e| failed(format!("bcrypt_hash: {e}")))?;
    Ok(parts.format_for_version(bcrypt::Version::TwoA))
}

/// The state of an imported string or password (the provider's defaults).
fn imported_string(result: &str, password: bool) -> Result<Value, ProviderError> {
    if result.is_empty() {
        return Err(failed("the import ID must be the generated value (the result), and it is empty"));
    }
    let mut m = Attrs::new();
    m.insert("keepers".into(), Value::Null);
    m.insert("length".into(), Value::Number(result.chars().count() as f64));
    m.insert("override_special".into(), Value::Null);
    for b in ["lower", "number", "numeric", "special", "upper"] {
        m.insert(b.into(), Value::Bool(true));
    }
    for name in MINS {
        m.insert(name.into(), Value::Number(0.0));
    }
    if password {
        let hash = bcrypt_hash(&mut Rng::new(), result)?;
        m.insert("id".into(), Value::string("none"));
        m.insert("result".into(), Value::string(result).mark_sensitive());
        m.insert("bcrypt_hash".into(), Value::String(hash).mark_sensitive());
    } else {
        m.insert("id".into(), Value::string(result));
        m.insert("result".into(), Value::string(result));
    }
    Ok(Value::Object(m))
}

/// `random_string`: a random string of `length` characters; `result` and
/// `id` are that string.
pub struct RandomString {
    schema: Schema,
}

impl RandomString {
    pub fn new() -> RandomString {
        RandomString { schema: string_schema(false) }
    }
}

impl Default for RandomString {
    fn default() -> Self {
        Self::new()
    }
}

impl ResourceType for RandomString {
    fn name(&self) -> &str {
        "random_string"
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn plan(&self, prior: Option<&Value>, proposed: Value) -> Result<Value, String> {
        let mut m = attrs(&proposed);
        plan_string_args(&mut m)?;
        plan_computed(&mut m, prior, &["id", "result"], &[]);
        Ok(Value::Object(m))
    }

    fn create<'a>(&'a self, planned: &'a Value) -> BoxFuture<'a, Result<Value, ProviderError>> {
        Box::pin(async move {
            let mut m = attrs(planned);
            let params = StringParams::read(&m)
                .map_err(failed)?
                .ok_or_else(|| failed("random_string: arguments are still unknown at apply"))?;
            let result = params.generate(&mut Rng::new())?;
            m.insert("id".into(), Value::string(result.clone()));
            m.insert("result".into(), Value::String(result));
            Ok(Value::Object(m))
        })
    }

    fn update<'a>(&'a self, prior: &'a Value, planned: &'a Value) -> BoxFuture<'a, Result<Value, ProviderError>> {
        Box::pin(async move { Ok(keep_computed(prior, planned, &["id", "result"])) })
    }

    /// The import ID is the string itself; arguments take the provider's defaults.
    fn import<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Value, ProviderError>> {
        Box::pin(async move { imported_string(id, false) })
    }
}

/// `random_password`: `random_string` whose `result` is sensitive, with a
/// sensitive `bcrypt_hash` of it and the id `"none"`.
pub struct RandomPassword {
    schema: Schema,
}

impl RandomPassword {
    pub fn new() -> RandomPassword {
        RandomPassword { schema: string_schema(true) }
    }
}

impl Default for RandomPassword {
    fn default() -> Self {
        Self::new()
    }
}

impl ResourceType for RandomPassword {
    fn name(&self) -> &str {
        "random_password"
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn plan(&self, prior: Option<&Value>, proposed: Value) -> Result<Value, String> {
        let mut m = attrs(&proposed);
        plan_string_args(&mut m)?;
        plan_computed(&mut m, prior, &["id", "result", "bcrypt_hash"], &["result", "bcrypt_hash"]);
        Ok(Value::Object(m))
    }

    fn create<'a>(&'a self, planned: &'a Value) -> BoxFuture<'a, Result<Value, ProviderError>> {
        Box::pin(async move {
            let mut m = attrs(planned);
            let params = StringParams::read(&m)
                .map_err(failed)?
                .ok_or_else(|| failed("random_password: arguments are still unknown at apply"))?;
            let mut rng = Rng::new();
            let result = params.generate(&mut rng)?;
            let hash = bcrypt_hash(&mut rng, &result)?;
            m.insert("id".into(), Value::string("none"));
            m.insert("result".into(), Value::String(result).mark_sensitive());
            m.insert("bcrypt_hash".into(), Value::String(hash).mark_sensitive());
            Ok(Value::Object(m))
        })
    }

    fn update<'a>(&'a self, prior: &'a Value, planned: &'a Value) -> BoxFuture<'a, Result<Value, ProviderError>> {
        Box::pin(async move { Ok(keep_computed(prior, planned, &["id", "result", "bcrypt_hash"])) })
    }

    /// The import ID is the password itself; arguments take the provider's defaults.
    fn import<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Value, ProviderError>> {
        Box::pin(async move { imported_string(id, true) })
    }
}

// ---------------------------------------------------------------------------
// random_id

const ID_COMPUTED: [&str; 5] = ["b64_std", "b64_url", "dec", "hex", "id"];

/// `random_id`: `byte_length` random bytes, presented as `id` (base64,
/// URL-safe, unpadded, without prefix) and, each behind `prefix`, `b64_url`,
/// `b64_std` (padded), `hex` and `dec`.
pub struct RandomId {
    schema: Schema,
}

impl RandomId {
    pub fn new() -> RandomId {
        let mut s = Schema::new()
            .attr("byte_length", AttrSchema::required(Type::Number).force_new())
            .attr("keepers", keepers_schema())
            .attr("prefix", AttrSchema::optional(Type::String).force_new());
        for c in ID_COMPUTED {
            s = s.attr(c, AttrSchema::computed(Type::String));
        }
        RandomId { schema: s }
    }
}

impl Default for RandomId {
    fn default() -> Self {
        Self::new()
    }
}

/// The decimal digits of `bytes` read as a big-endian unsigned integer.
fn decimal(bytes: &[u8]) -> String {
    const BASE: u64 = 1_000_000_000;
    // Little-endian limbs in base 10^9.
    let mut limbs: Vec<u64> = Vec::new();
    for &b in bytes {
        let mut carry = u64::from(b);
        for limb in limbs.iter_mut() {
            let x = *limb * 256 + carry;
            *limb = x % BASE;
            carry = x / BASE;
        }
        while carry > 0 {
            limbs.push(carry % BASE);
            carry /= BASE;
        }
    }
    let Some((top, rest)) = limbs.split_last() else {
        return "0".to_string();
    };
    let mut out = top.to_string();
    for limb in rest.iter().rev() {
        out.push_str(&format!("{limb:09}"));
    }
    out
}

/// The computed attributes of a `random_id` of `bytes` behind `prefix`.
fn id_encodings(m: &mut Attrs, bytes: &[u8], prefix: &str) {
    let id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let std = base64::engine::general_purpose::STANDARD.encode(bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    m.insert("b64_url".into(), Value::String(format!("{prefix}{id}")));
    m.insert("b64_std".into(), Value::String(format!("{prefix}{std}")));
    m.insert("hex".into(), Value::String(format!("{prefix}{hex}")));
    m.insert("dec".into(), Value::String(format!("{prefix}{}", decimal(bytes))));
    m.insert("id".into(), Value::String(id));
}

impl ResourceType for RandomId {
    fn name(&self) -> &str {
        "random_id"
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn plan(&self, prior: Option<&Value>, proposed: Value) -> Result<Value, String> {
        let mut m = attrs(&proposed);
        count(&m, "byte_length", 1, MAX_BYTE_LENGTH)?;
        text(&m, "prefix")?;
        plan_computed(&mut m, prior, &ID_COMPUTED, &[]);
        Ok(Value::Object(m))
    }

    fn create<'a>(&'a self, planned: &'a Value) -> BoxFuture<'a, Result<Value, ProviderError>> {
        Box::pin(async move {
            let mut m = attrs(planned);
            let n = count(&m, "byte_length", 1, MAX_BYTE_LENGTH)
                .map_err(failed)?
                .ok_or_else(|| failed("random_id: byte_length is still unknown at apply"))?;
            let prefix = text(&m, "prefix").map_err(failed)?.flatten().unwrap_or_default();
            let mut bytes = vec![0u8; n];
            Rng::new().fill(&mut bytes)?;
            id_encodings(&mut m, &bytes, &prefix);
            Ok(Value::Object(m))
        })
    }

    fn update<'a>(&'a self, prior: &'a Value, planned: &'a Value) -> BoxFuture<'a, Result<Value, ProviderError>> {
        Box::pin(async move { Ok(keep_computed(prior, planned, &ID_COMPUTED)) })
    }

    /// The import ID is `b64_url` without prefix (`p-9hUg`), or
    /// `PREFIX,B64_URL` (`my-prefix-,p-9hUg`); the other attributes follow.
    fn import<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Value, ProviderError>> {
        Box::pin(async move {
            let (prefix, encoded) = match id.rfind(',') {
                Some(i) => (&id[..i], &id[i + 1..]),
                None => ("", id),
            };
            let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(encoded).map_err(|e| {
                failed(format!(
                    "random_id import ID {id:?}: expected the b64_url value (URL-safe base64 without padding), \
                     optionally after \"PREFIX,\": {e}"
                ))
            })?;
            if bytes.is_empty() || bytes.len() > MAX_BYTE_LENGTH {
                return Err(failed(format!(
                    "random_id import ID {id:?}: must decode to 1 to {MAX_BYTE_LENGTH} bytes, got {}",
                    bytes.len()
                )));
            }
            let mut m = Attrs::new();
            m.insert("byte_length".into(), Value::Number(bytes.len() as f64));
            m.insert("keepers".into(), Value::Null);
            m.insert("prefix".into(), if prefix.is_empty() { Value::Null } else { Value::string(prefix) });
            id_encodings(&mut m, &bytes, prefix);
            Ok(Value::Object(m))
        })
    }
}

// ---------------------------------------------------------------------------
// random_pet

/// `random_pet`: a name like `wise-lemur` of `length` words (adverbs, one
/// adjective, then an animal), joined by `separator`, behind `prefix`.
pub struct RandomPet {
    schema: Schema,
}

impl RandomPet {
    pub fn new() -> RandomPet {
        RandomPet {
            schema: Schema::new()
                .attr("id", AttrSchema::computed(Type::String))
                .attr("keepers", keepers_schema())
                .attr("length", AttrSchema::optional(Type::Number).force_new())
                .attr("prefix", AttrSchema::optional(Type::String).force_new())
                .attr("separator", AttrSchema::optional(Type::String).force_new()),
        }
    }
}

impl Default for RandomPet {
    fn default() -> Self {
        Self::new()
    }
}

/// `words` words: one name; an adjective and a name; adverbs before those.
fn pet_name(rng: &mut Rng, words: usize, separator: &str) -> Result<String, ProviderError> {
    let mut parts: Vec<&str> = Vec::with_capacity(words);
    if words >= 2 {
        for _ in 0..words - 2 {
            parts.push(rng.pick(ADVERBS)?);
        }
        parts.push(rng.pick(ADJECTIVES)?);
    }
    parts.push(rng.pick(NAMES)?);
    Ok(parts.join(separator))
}

impl ResourceType for RandomPet {
    fn name(&self) -> &str {
        "random_pet"
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn plan(&self, prior: Option<&Value>, proposed: Value) -> Result<Value, String> {
        let mut m = attrs(&proposed);
        default_if_null(&mut m, "length", Value::Number(2.0));
        default_if_null(&mut m, "separator", Value::string("-"));
        count(&m, "length", 1, MAX_LENGTH)?;
        text(&m, "prefix")?;
        text(&m, "separator")?;
        plan_computed(&mut m, prior, &["id"], &[]);
        Ok(Value::Object(m))
    }

    fn create<'a>(&'a self, planned: &'a Value) -> BoxFuture<'a, Result<Value, ProviderError>> {
        Box::pin(async move {
            let mut m = attrs(planned);
            let unknown = || failed("random_pet: arguments are still unknown at apply");
            let words = count(&m, "length", 1, MAX_LENGTH).map_err(failed)?.ok_or_else(unknown)?;
            let separator = text(&m, "separator").map_err(failed)?.ok_or_else(unknown)?.unwrap_or_else(|| "-".into());
            let prefix = text(&m, "prefix").map_err(failed)?.ok_or_else(unknown)?.unwrap_or_default();
            let pet = pet_name(&mut Rng::new(), words, &separator)?;
            let id = if prefix.is_empty() { pet } else { format!("{prefix}{separator}{pet}") };
            m.insert("id".into(), Value::String(id));
            Ok(Value::Object(m))
        })
    }

    fn update<'a>(&'a self, prior: &'a Value, planned: &'a Value) -> BoxFuture<'a, Result<Value, ProviderError>> {
        Box::pin(async move { Ok(keep_computed(prior, planned, &["id"])) })
    }
}

/// Adverbs, for pets of three or more words.
#[rustfmt::skip]
const ADVERBS: &[&str] = &[
    "boldly", "briskly", "brightly", "calmly", "cheerfully", "cleverly", "closely", "deftly", "eagerly", "gently",
    "gladly", "gracefully", "happily", "quietly", "quickly", "kindly", "warmly", "wisely", "swiftly", "softly",
    "neatly", "nimbly", "openly", "proudly", "politely", "promptly", "rarely", "freely", "fondly", "firmly",
    "fairly", "evenly", "deeply", "daily", "keenly", "lightly", "loudly", "merrily", "mildly", "nearly", "nicely",
    "oddly", "patiently", "plainly", "playfully", "readily", "really", "richly", "rightly", "safely", "shyly",
    "simply", "slowly", "smoothly", "snugly", "steadily", "sternly", "subtly", "sweetly", "tenderly", "truly",
    "vastly", "vividly", "wildly", "zealously", "bravely", "busily", "candidly", "carefully", "casually", "cosily",
    "crisply", "curiously", "dearly", "easily", "faithfully", "fiercely", "frankly", "freshly", "gamely",
    "genuinely", "handily", "heartily", "honestly", "humbly", "jauntily", "jointly", "jovially", "joyfully",
    "lazily", "loyally", "lucidly", "madly", "meekly", "mostly", "noisily", "partly", "perfectly", "quaintly",
    "rapidly", "sharply", "sleepily", "slyly", "solemnly", "sparingly", "stoutly", "surely", "tidily", "warily",
    "wearily", "wholly", "yearly", "zestfully", "amply", "artfully", "blissfully", "breezily", "civilly",
    "dutifully", "dreamily",
];

/// Adjectives: the word before the name.
#[rustfmt::skip]
const ADJECTIVES: &[&str] = &[
    "amber", "ancient", "agile", "airy", "amiable", "ashen", "autumn", "azure", "balmy", "bashful", "beige",
    "blithe", "bluish", "bouncy", "brassy", "breezy", "brisk", "bronze", "bubbly", "buoyant", "candid", "carmine",
    "cedar", "chilly", "chipper", "cinder", "civic", "cloudy", "cobalt", "comfy", "copper", "coral", "cosy",
    "crimson", "crystal", "curly", "dainty", "dapper", "dappled", "dawn", "dewy", "dizzy", "downy", "dreamy",
    "dusky", "dusty", "earnest", "earthy", "ebony", "elfin", "ember", "emerald", "fabled", "feathery", "fern",
    "fiery", "flaxen", "fleecy", "floral", "foggy", "forest", "frosty", "frugal", "gallant", "gentle", "giddy",
    "gilded", "glassy", "gleaming", "glossy", "graceful", "granite", "grassy", "hazel", "hazy", "hearty", "hidden",
    "hollow", "honeyed", "humming", "icy", "indigo", "inky", "ivory", "jade", "jaunty", "jolly", "jovial",
    "jubilant", "khaki", "kindly", "lanky", "lavish", "leafy", "lemon", "lilac", "limber", "linen", "lively",
    "lofty", "lucid", "lunar", "lush", "marble", "meadow", "mellow", "merry", "milky", "minty", "misty", "mossy",
    "murky", "nimble", "nomadic", "oaken", "ochre", "olive", "opal", "orchid", "pastel", "pearly", "peppy", "perky",
    "placid", "plucky", "plush", "polar", "prairie", "prudent", "quaint", "quirky", "radiant", "rainy", "rosy",
    "rugged", "russet", "rustic", "sable", "saffron", "sandy", "satin", "scarlet", "serene", "shady", "shiny",
    "silken", "silver", "sleek", "snowy", "snug", "solar", "sparkly", "spry", "starry", "stoic", "stormy", "sturdy",
    "sunlit", "swift", "tawny", "teal", "thrifty", "timber", "tranquil", "tropical", "twilight", "umber", "velvet",
    "verdant", "vivid", "wavy", "whimsical", "windy", "wintry", "wiry", "woolly", "zesty", "zippy", "bold", "brave",
    "calm", "clever", "eager", "fair", "fond", "glad", "grand", "happy", "humble", "keen", "kind", "loyal", "lucky",
    "mighty", "noble", "proud", "quick", "quiet", "ready", "sharp", "smart", "steady", "sunny", "sweet", "tidy",
    "trusty", "warm", "wise", "witty", "young",
];

/// Animal names: the last word of every pet.
#[rustfmt::skip]
const NAMES: &[&str] = &[
    "aardvark", "albatross", "alpaca", "anchovy", "ant", "antelope", "armadillo", "baboon", "badger", "barracuda",
    "bat", "beagle", "bear", "beaver", "bee", "beetle", "bison", "boar", "bobcat", "buffalo", "bullfrog",
    "butterfly", "buzzard", "camel", "canary", "capybara", "caribou", "carp", "cat", "caterpillar", "catfish",
    "cheetah", "chicken", "chimp", "chinchilla", "chipmunk", "cicada", "clam", "cobra", "cod", "condor",
    "cormorant", "cougar", "coyote", "crab", "crane", "cricket", "crow", "cuckoo", "curlew", "deer", "dingo",
    "dolphin", "donkey", "dove", "dragonfly", "duck", "dugong", "eagle", "eel", "egret", "eland", "elephant", "elk",
    "emu", "falcon", "ferret", "finch", "firefly", "flamingo", "flounder", "fox", "frog", "gazelle", "gecko",
    "gerbil", "gibbon", "giraffe", "gnu", "goat", "goldfish", "goose", "gopher", "gorilla", "grasshopper", "grouse",
    "gull", "haddock", "halibut", "hamster", "hare", "hawk", "hedgehog", "heron", "herring", "hippo", "hornet",
    "horse", "hound", "hummingbird", "hyena", "ibex", "ibis", "iguana", "impala", "jackal", "jaguar", "jay",
    "jellyfish", "kangaroo", "kestrel", "kingfisher", "kite", "kiwi", "koala", "koi", "krill", "ladybug", "lamb",
    "lark", "lemming", "lemur", "leopard", "limpet", "lion", "lizard", "llama", "lobster", "locust", "loon", "lynx",
    "macaw", "magpie", "mallard", "manatee", "mandrill", "mantis", "marlin", "marmot", "marten", "meerkat", "mink",
    "minnow", "mole", "mongoose", "monkey", "moose", "moth", "mouse", "mule", "muskrat", "narwhal", "newt",
    "nightingale", "ocelot", "octopus", "okapi", "opossum", "orca", "oriole", "osprey", "ostrich", "otter", "owl",
    "ox", "oyster", "panda", "panther", "parrot", "partridge", "peacock", "pelican", "penguin", "perch", "pheasant",
    "pigeon", "pike", "piranha", "platypus", "pony", "porcupine", "porpoise", "possum", "puffin", "puma", "python",
    "quail", "quokka", "rabbit", "raccoon", "ram", "raven", "reindeer", "rhino", "robin", "rooster", "salmon",
    "sardine", "scorpion", "seahorse", "seal", "shark", "sheep", "shrew", "shrimp", "skunk", "sloth", "slug",
    "snail", "snake", "sparrow", "spider", "squid", "squirrel", "starling", "stingray", "stork", "swallow", "swan",
    "tapir", "tarsier", "termite", "tern", "tiger", "toad", "tortoise", "toucan", "trout", "tuna", "turkey",
    "turtle", "viper", "vole", "vulture", "wallaby", "walrus", "warthog", "wasp", "weasel", "whale", "wildcat",
    "wolf", "wombat", "woodpecker", "wren", "yak", "zebra",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::diff::{diff, Intent};
    use crate::plan::Action;

    fn run<T>(f: BoxFuture<'_, T>) -> T {
        tokio::runtime::Builder::new_current_thread().build().expect("runtime").block_on(f)
    }

    fn get<'a>(v: &'a Value, name: &str) -> &'a Value {
        v.as_map().and_then(|m| m.get(name)).unwrap_or(&Value::Null)
    }

    fn config(items: &[(&str, Value)]) -> Value {
        Value::object(items.iter().map(|(k, v)| (k.to_string(), v.clone())))
    }

    fn keepers(v: &str) -> Value {
        Value::Map([("k".to_string(), Value::string(v))].into_iter().collect())
    }

    /// Plans a new instance from `cfg` and creates it.
    fn make(ty: &dyn ResourceType, cfg: &Value) -> Value {
        let d = diff(ty, None, cfg, &Intent::default()).expect("plan");
        assert_eq!(d.action, Action::Create);
        run(ty.create(&d.after)).expect("create")
    }

    fn n(x: f64) -> Value {
        Value::Number(x)
    }

    #[test]
    fn all_four_types_are_registered() {
        use crate::addrs::ResourceMode;
        for name in ["random_id", "random_string", "random_password", "random_pet"] {
            let t = crate::provider::lookup(ResourceMode::Managed, name).expect(name);
            assert!(t.schema().attributes["keepers"].force_new, "{name}");
            assert!(t.schema().attributes.values().filter(|a| a.configurable()).all(|a| a.force_new), "{name}");
        }
    }

    #[test]
    fn string_plan_of_new_instance_fills_defaults() {
        let d = diff(&RandomString::new(), None, &config(&[("length", n(12.0))]), &Intent::default()).unwrap();
        assert_eq!(d.action, Action::Create);
        let a = &d.after;
        for b in ["special", "upper", "lower", "numeric", "number"] {
            assert_eq!(get(a, b), &Value::Bool(true), "{b}");
        }
        for m in MINS {
            assert_eq!(get(a, m), &n(0.0), "{m}");
        }
        assert!(get(a, "override_special").is_null());
        assert!(get(a, "keepers").is_null());
        assert!(get(a, "result").is_unknown());
        assert!(get(a, "id").is_unknown());
        assert!(!get(a, "result").is_sensitive());
    }

    fn check_string(s: &str, p: &StringParams) {
        let chars: Vec<char> = s.chars().collect();
        assert_eq!(chars.len(), p.length, "{s}");
        let special = p.special_chars();
        let upper = chars.iter().filter(|c| c.is_ascii_uppercase()).count();
        let lower = chars.iter().filter(|c| c.is_ascii_lowercase()).count();
        let numeric = chars.iter().filter(|c| c.is_ascii_digit()).count();
        let specials = chars.iter().filter(|c| special.contains(c)).count();
        assert!(
            upper >= p.min_upper && lower >= p.min_lower && numeric >= p.min_numeric && specials >= p.min_special,
            "{s}"
        );
        assert_eq!(upper + lower + numeric + specials, p.length, "unexpected character in {s}");
        // Beyond the minimums only enabled classes appear.
        if !p.upper {
            assert!(upper <= p.min_upper, "{s}");
        }
        if !p.lower {
            assert!(lower <= p.min_lower, "{s}");
        }
        if !p.numeric {
            assert!(numeric <= p.min_numeric, "{s}");
        }
        if !p.special {
            assert!(specials <= p.min_special, "{s}");
        }
    }

    #[test]
    fn created_strings_satisfy_every_constraint() {
        let cases: Vec<Vec<(&str, Value)>> = vec![
            vec![("length", n(16.0))],
            vec![
                ("length", n(8.0)),
                ("min_upper", n(2.0)),
                ("min_lower", n(2.0)),
                ("min_numeric", n(2.0)),
                ("min_special", n(2.0)),
            ],
            vec![("length", n(10.0)), ("special", Value::Bool(false)), ("upper", Value::Bool(false))],
            vec![("length", n(20.0)), ("override_special", Value::string("_%@")), ("min_special", n(5.0))],
            vec![
                ("length", n(6.0)),
                ("numeric", Value::Bool(false)),
                ("min_numeric", n(3.0)),
                ("lower", Value::Bool(false)),
            ],
            vec![
                ("length", n(4.0)),
                ("upper", Value::Bool(false)),
                ("lower", Value::Bool(false)),
                ("number", Value::Bool(false)),
                ("special", Value::Bool(false)),
                ("min_upper", n(4.0)),
            ],
            vec![("length", n(1.0)), ("override_special", Value::string(""))],
        ];
        let ty = RandomString::new();
        for case in cases {
            let cfg = config(&case);
            for _ in 0..200 {
                let made = make(&ty, &cfg);
                let p = StringParams::read(&attrs(&made)).unwrap().unwrap();
                let result = get(&made, "result").as_str().unwrap().to_string();
                check_string(&result, &p);
                assert_eq!(get(&made, "id").as_str(), Some(result.as_str()));
            }
        }
    }

    #[test]
    fn every_character_of_the_pool_can_appear() {
        let p = StringParams::read(&attrs(&RandomString::new().plan(None, config(&[("length", n(4000.0))])).unwrap()))
            .unwrap()
            .unwrap();
        let s = p.generate(&mut Rng::new()).unwrap();
        for c in p.pool() {
            assert!(s.contains(c), "{c} never drawn");
        }
    }

    #[test]
    fn no_op_keeps_prior_computed_values() {
        for ty in [&RandomString::new() as &dyn ResourceType, &RandomPassword::new()] {
            let cfg = config(&[("length", n(10.0)), ("special", Value::Bool(false)), ("keepers", keepers("a"))]);
            let prior = make(ty, &cfg);
            let d = diff(ty, Some(&prior), &cfg, &Intent::default()).unwrap();
            assert_eq!(d.action, Action::NoOp, "{} {:?}", ty.name(), d.after);
            assert!(get(&d.after, "result").equals(get(&prior, "result")));
        }
    }

    #[test]
    fn keepers_change_replaces() {
        let types: [&dyn ResourceType; 4] =
            [&RandomString::new(), &RandomPassword::new(), &RandomId::new(), &RandomPet::new()];
        for ty in types {
            let base: Vec<(&str, Value)> = match ty.name() {
                "random_id" => vec![("byte_length", n(4.0))],
                "random_pet" => vec![],
                _ => vec![("length", n(8.0))],
            };
            let mut a = base.clone();
            a.push(("keepers", keepers("1")));
            let mut b = base.clone();
            b.push(("keepers", keepers("2")));
            let prior = make(ty, &config(&a));
            let d = diff(ty, Some(&prior), &config(&a), &Intent::default()).unwrap();
            assert_eq!(d.action, Action::NoOp, "{}", ty.name());
            let d = diff(ty, Some(&prior), &config(&b), &Intent::default()).unwrap();
            assert_eq!(d.action, Action::DeleteThenCreate, "{}", ty.name());
            assert!(d.replace_paths.contains(&"keepers".to_string()), "{}", ty.name());
            assert!(get(&d.after, "id").is_unknown(), "{}", ty.name());
        }
    }

    #[test]
    fn changing_an_argument_with_a_default_replaces() {
        let ty = RandomString::new();
        let cfg = config(&[("length", n(8.0)), ("special", Value::Bool(false))]);
        let prior = make(&ty, &cfg);
        // Removing `special = false` brings back the default true.
        let d = diff(&ty, Some(&prior), &config(&[("length", n(8.0))]), &Intent::default()).unwrap();
        assert_eq!(d.action, Action::DeleteThenCreate);
        assert_eq!(d.replace_paths, vec!["special".to_string()]);
        assert!(get(&d.after, "result").is_unknown());
    }

    #[test]
    fn password_is_sensitive_with_a_bcrypt_hash() {
        let ty = RandomPassword::new();
        let cfg = config(&[("length", n(24.0)), ("min_special", n(3.0))]);
        let d = diff(&ty, None, &cfg, &Intent::default()).unwrap();
        assert!(get(&d.after, "result").is_sensitive() && get(&d.after, "result").is_unknown());
        assert!(get(&d.after, "bcrypt_hash").is_sensitive() && get(&d.after, "bcrypt_hash").is_unknown());
        assert!(!get(&d.after, "id").is_sensitive());
        let made = run(ty.create(&d.after)).unwrap();
        assert_eq!(get(&made, "id"), &Value::string("none"));
        let result = get(&made, "result");
        assert!(result.is_sensitive());
        let pw = result.as_str().unwrap();
        check_string(pw, &StringParams::read(&attrs(&made)).unwrap().unwrap());
        let hash = get(&made, "bcrypt_hash");
        assert!(hash.is_sensitive());
        let hash = hash.as_str().unwrap();
        assert!(hash.starts_with("$2a$10$"), "{hash}");
        assert!(bcrypt::verify(pw, hash).unwrap());
        assert!(ty.schema().attributes["result"].sensitive && ty.schema().attributes["bcrypt_hash"].sensitive);
        assert!(!RandomString::new().schema().attributes["result"].sensitive);
    }

    #[test]
    fn invalid_arguments_are_plan_errors_naming_the_argument() {
        let ty = RandomPassword::new();
        let plan = |items: &[(&str, Value)]| diff(&ty, None, &config(items), &Intent::default()).map(|_| ());
        let e = plan(&[("length", n(3.0)), ("min_upper", n(2.0)), ("min_numeric", n(2.0))]).unwrap_err();
        assert!(e.contains("length (3)") && e.contains("min_upper") && e.contains("= 4"), "{e}");
        let e = plan(&[("length", n(0.0))]).unwrap_err();
        assert!(e.contains("length must be at least 1"), "{e}");
        let e = plan(&[("length", n(2.5))]).unwrap_err();
        assert!(e.contains("length must be a whole number"), "{e}");
        let e = plan(&[("length", n(-1.0))]).unwrap_err();
        assert!(e.contains("length"), "{e}");
        let e = plan(&[("length", n(8.0)), ("min_lower", n(-1.0))]).unwrap_err();
        assert!(e.contains("min_lower"), "{e}");
        let e = plan(&[("length", n(1e12))]).unwrap_err();
        assert!(e.contains("at most"), "{e}");
        let e = plan(&[
            ("length", n(4.0)),
            ("upper", Value::Bool(false)),
            ("lower", Value::Bool(false)),
            ("numeric", Value::Bool(false)),
            ("special", Value::Bool(false)),
        ])
        .unwrap_err();
        assert!(e.contains("enable at least one"), "{e}");
        let e =
            plan(&[("length", n(4.0)), ("number", Value::Bool(false)), ("numeric", Value::Bool(true))]).unwrap_err();
        assert!(e.contains("number") && e.contains("numeric"), "{e}");
        let e = diff(&RandomId::new(), None, &config(&[("byte_length", n(0.0))]), &Intent::default()).unwrap_err();
        assert!(e.contains("byte_length"), "{e}");
        let e = diff(&RandomPet::new(), None, &config(&[("length", n(0.0))]), &Intent::default()).unwrap_err();
        assert!(e.contains("length"), "{e}");
    }

    #[test]
    fn unknown_arguments_plan_without_error() {
        let cfg = config(&[("length", Value::Unknown(Type::Number)), ("min_upper", n(50.0))]);
        let d = diff(&RandomString::new(), None, &cfg, &Intent::default()).unwrap();
        assert!(get(&d.after, "result").is_unknown());
    }

    #[test]
    fn number_is_an_alias_of_numeric() {
        let ty = RandomString::new();
        let planned = ty.plan(None, config(&[("length", n(30.0)), ("number", Value::Bool(false))])).unwrap();
        assert_eq!(get(&planned, "numeric"), &Value::Bool(false));
        let made = run(ty.create(&planned)).unwrap();
        assert!(!get(&made, "result").as_str().unwrap().chars().any(|c| c.is_ascii_digit()));
        let planned = ty.plan(None, config(&[("length", n(30.0)), ("numeric", Value::Bool(false))])).unwrap();
        assert_eq!(get(&planned, "number"), &Value::Bool(false));
    }

    #[test]
    fn string_and_password_import() {
        let s = run(RandomString::new().import("abc-DEF")).unwrap();
        assert_eq!(get(&s, "result"), &Value::string("abc-DEF"));
        assert_eq!(get(&s, "id"), &Value::string("abc-DEF"));
        assert_eq!(get(&s, "length"), &n(7.0));
        assert_eq!(get(&s, "special"), &Value::Bool(true));
        // Configuration that matches the imported state plans no change.
        let d = diff(&RandomString::new(), Some(&s), &config(&[("length", n(7.0))]), &Intent::default()).unwrap();
        assert_eq!(d.action, Action::NoOp);

        let p = run(RandomPassword::new().import("s3cret!")).unwrap();
        assert_eq!(get(&p, "id"), &Value::string("none"));
        assert!(get(&p, "result").is_sensitive());
        assert!(bcrypt::verify("s3cret!", get(&p, "bcrypt_hash").as_str().unwrap()).unwrap());
        assert!(run(RandomString::new().import("")).is_err());
    }

    #[test]
    fn id_plan_and_create() {
        let ty = RandomId::new();
        let cfg = config(&[("byte_length", n(8.0)), ("prefix", Value::string("srv-"))]);
        let d = diff(&ty, None, &cfg, &Intent::default()).unwrap();
        for c in ID_COMPUTED {
            assert!(get(&d.after, c).is_unknown(), "{c}");
        }
        for _ in 0..50 {
            let made = run(ty.create(&d.after)).unwrap();
            let id = get(&made, "id").as_str().unwrap();
            let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(id).unwrap();
            assert_eq!(bytes.len(), 8);
            assert_eq!(get(&made, "b64_url").as_str().unwrap(), format!("srv-{id}"));
            let std = base64::engine::general_purpose::STANDARD.encode(&bytes);
            assert_eq!(get(&made, "b64_std").as_str().unwrap(), format!("srv-{std}"));
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(get(&made, "hex").as_str().unwrap(), format!("srv-{hex}"));
            let dec = u64::from_be_bytes(bytes.clone().try_into().unwrap()).to_string();
            assert_eq!(get(&made, "dec").as_str().unwrap(), format!("srv-{dec}"));
            let again = diff(&ty, Some(&made), &cfg, &Intent::default()).unwrap();
            assert_eq!(again.action, Action::NoOp);
        }
        let d = diff(&ty, None, &config(&[("byte_length", n(3.0))]), &Intent::default()).unwrap();
        let made = run(ty.create(&d.after)).unwrap();
        assert_eq!(get(&made, "id").as_str().unwrap().len(), 4);
        assert_eq!(get(&made, "b64_std").as_str().unwrap().len(), 4);
    }

    #[test]
    fn decimal_of_big_endian_bytes() {
        assert_eq!(decimal(&[]), "0");
        assert_eq!(decimal(&[0]), "0");
        assert_eq!(decimal(&[1, 0]), "256");
        assert_eq!(decimal(&[0xff; 8]), u64::MAX.to_string());
        assert_eq!(decimal(&[0xff; 16]), u128::MAX.to_string());
        assert_eq!(decimal(&[0x3b, 0x9a, 0xca, 0x00]), "1000000000");
        assert_eq!(decimal(&[0, 0, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]), (1u128 << 56).to_string());
    }

    #[test]
    fn id_import_with_and_without_prefix() {
        let ty = RandomId::new();
        let v = run(ty.import("p-9hUg")).unwrap();
        assert_eq!(get(&v, "id"), &Value::string("p-9hUg"));
        assert_eq!(get(&v, "byte_length"), &n(4.0));
        assert!(get(&v, "prefix").is_null());
        assert_eq!(get(&v, "hex"), &Value::string("a7ef6152"));
        assert_eq!(get(&v, "b64_std"), &Value::string("p+9hUg=="));
        assert_eq!(get(&v, "dec"), &Value::string("2817483090"));
        let v = run(ty.import("my-prefix-,p-9hUg")).unwrap();
        assert_eq!(get(&v, "id"), &Value::string("p-9hUg"));
        assert_eq!(get(&v, "prefix"), &Value::string("my-prefix-"));
        assert_eq!(get(&v, "b64_url"), &Value::string("my-prefix-p-9hUg"));
        assert_eq!(get(&v, "hex"), &Value::string("my-prefix-a7ef6152"));
        let d = diff(
            &ty,
            Some(&v),
            &config(&[("byte_length", n(4.0)), ("prefix", Value::string("my-prefix-"))]),
            &Intent::default(),
        )
        .unwrap();
        assert_eq!(d.action, Action::NoOp);
        assert!(run(ty.import("not base64!")).is_err());
        assert!(run(ty.import("")).is_err());
    }

    #[test]
    fn pet_defaults_and_shape() {
        let ty = RandomPet::new();
        let d = diff(&ty, None, &config(&[]), &Intent::default()).unwrap();
        assert_eq!(get(&d.after, "length"), &n(2.0));
        assert_eq!(get(&d.after, "separator"), &Value::string("-"));
        assert!(get(&d.after, "prefix").is_null());
        assert!(get(&d.after, "id").is_unknown());
        for _ in 0..100 {
            let made = make(&ty, &config(&[]));
            let id = get(&made, "id").as_str().unwrap();
            let words: Vec<&str> = id.split('-').collect();
            assert_eq!(words.len(), 2, "{id}");
            assert!(ADJECTIVES.contains(&words[0]) && NAMES.contains(&words[1]), "{id}");
            let d = diff(&ty, Some(&made), &config(&[]), &Intent::default()).unwrap();
            assert_eq!(d.action, Action::NoOp);
        }
        let made = make(
            &ty,
            &config(&[("length", n(4.0)), ("separator", Value::string("_")), ("prefix", Value::string("dev"))]),
        );
        let id = get(&made, "id").as_str().unwrap();
        let words: Vec<&str> = id.split('_').collect();
        assert_eq!(words.len(), 5, "{id}");
        assert_eq!(words[0], "dev");
        assert!(ADVERBS.contains(&words[1]) && ADVERBS.contains(&words[2]), "{id}");
        assert!(ADJECTIVES.contains(&words[3]) && NAMES.contains(&words[4]), "{id}");
        let one = make(&ty, &config(&[("length", n(1.0))]));
        assert!(NAMES.contains(&get(&one, "id").as_str().unwrap()));
    }

    #[test]
    fn word_lists_are_clean_and_distinct() {
        for (list, at_least) in [(ADVERBS, 100), (ADJECTIVES, 200), (NAMES, 200)] {
            assert!(list.len() >= at_least);
            let mut seen = std::collections::BTreeSet::new();
            for w in list {
                assert!(!w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase()), "{w}");
                assert!(seen.insert(w), "duplicate {w}");
            }
        }
    }

    #[test]
    fn update_carries_computed_values_over() {
        let ty = RandomPassword::new();
        let prior = make(&ty, &config(&[("length", n(8.0))]));
        let planned = ty.plan(Some(&prior), prior.clone()).unwrap();
        let updated = run(ty.update(&prior, &planned)).unwrap();
        assert!(updated.equals(&prior));
    }
}
