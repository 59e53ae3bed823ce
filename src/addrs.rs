//! Addresses: the join key between config, graph, plan, state and the UI.
//!
//! Owns the Terraform spelling of every address, both ways:
//!
//! * [`InstanceKey`]: `[0]`, `["a"]`, or nothing;
//! * [`ModulePath`]: a module instance path, `module.net["a"].module.sub`;
//! * [`ConfigResource`]: a resource block in a module (no instance keys),
//!   `module.net.google_compute_network.main`;
//! * [`ResourceAddr`]: one resource instance,
//!   `module.net["a"].google_compute_network.main[0]`, `data.google_project.this`;
//! * [`Target`]: what `-target` and `-replace` accept: a resource or resource
//!   instance, or a whole module, matched with [`Target::matches`].
//!
//! All of them are `Clone + Eq + Ord + Hash`, print in Terraform syntax, parse
//! back with `FromStr` (errors are the messages Terraform prints for a bad
//! `-target`), and serialize (serde) as those strings.
//!
//! Does not own: deciding which addresses exist (`config`, `eval` expand
//! `count`/`for_each`) or what is stored under them (`state`, `plan`).
//!
//! ```
//! use cairn::addrs::{InstanceKey, ResourceAddr, ResourceMode};
//! let a: ResourceAddr = "module.net[\"a\"].google_compute_network.main[0]".parse().unwrap();
//! assert_eq!(a.module.to_string(), "module.net[\"a\"]");
//! assert_eq!(a.mode, ResourceMode::Managed);
//! assert_eq!((a.type_name.as_str(), a.name.as_str()), ("google_compute_network", "main"));
//! assert_eq!(a.key, InstanceKey::Int(0));
//! assert_eq!(a.config().to_string(), "module.net.google_compute_network.main");
//! assert_eq!(a.to_string(), "module.net[\"a\"].google_compute_network.main[0]");
//!
//! let d: ResourceAddr = "data.google_project.this".parse().unwrap();
//! assert_eq!(d.mode, ResourceMode::Data);
//!
//! let err = "google_project".parse::<ResourceAddr>().unwrap_err();
//! assert_eq!(err.to_string(), "Resource specification must include a resource type and name.");
//! ```

use std::fmt;
use std::str::FromStr;

/// Which instance of a resource or module: none (no `count`/`for_each`),
/// a `count` index, or a `for_each` key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum InstanceKey {
    #[default]
    NoKey,
    Int(i64),
    Str(String),
}

impl fmt::Display for InstanceKey {
    /// `[0]`, `["a"]` (escaped as an HCL string), or nothing.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstanceKey::NoKey => Ok(()),
            InstanceKey::Int(i) => write!(f, "[{i}]"),
            InstanceKey::Str(s) => write!(f, "[{}]", quote(s)),
        }
    }
}

impl FromStr for InstanceKey {
    type Err = AddrError;

    /// Parses `""`, `[0]` or `["a"]`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut p = Parser::new(s);
        let key = if p.at_end() { InstanceKey::NoKey } else { p.key()? };
        p.finish()?;
        Ok(key)
    }
}

impl InstanceKey {
    /// The key as state stores it (`index_key`): a number, a string, or absent.
    pub fn to_json(&self) -> Option<serde_json::Value> {
        match self {
            InstanceKey::NoKey => None,
            InstanceKey::Int(i) => Some(serde_json::Value::from(*i)),
            InstanceKey::Str(s) => Some(serde_json::Value::String(s.clone())),
        }
    }

    /// The inverse of [`InstanceKey::to_json`].
    pub fn from_json(v: Option<&serde_json::Value>) -> Option<InstanceKey> {
        match v {
            None | Some(serde_json::Value::Null) => Some(InstanceKey::NoKey),
            Some(serde_json::Value::String(s)) => Some(InstanceKey::Str(s.clone())),
            Some(serde_json::Value::Number(n)) => n.as_i64().map(InstanceKey::Int),
            _ => None,
        }
    }

    pub fn is_none(&self) -> bool {
        *self == InstanceKey::NoKey
    }
}

/// Quotes a string as Terraform prints instance keys: HCL string escapes,
/// with `${` and `%{` doubled so the text stays literal.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One `module.name[key]` step of a [`ModulePath`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ModuleStep {
    pub name: String,
    pub key: InstanceKey,
}

/// A path of module instances from the root: `module.net["a"].module.sub`.
/// Empty for the root module (which prints as the empty string).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ModulePath(pub Vec<ModuleStep>);

impl ModulePath {
    pub fn root() -> ModulePath {
        ModulePath(Vec::new())
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// This path with one more step.
    pub fn child(&self, name: impl Into<String>, key: InstanceKey) -> ModulePath {
        let mut steps = self.0.clone();
        steps.push(ModuleStep { name: name.into(), key });
        ModulePath(steps)
    }

    /// The module call names without keys: the module in the configuration.
    pub fn config_path(&self) -> Vec<String> {
        self.0.iter().map(|s| s.name.clone()).collect()
    }

    /// Whether `self` is `other` or one of its ancestors, with steps of
    /// `self` that have no key matching any key (how targets match).
    pub fn contains(&self, other: &ModulePath) -> bool {
        other.0.len() >= self.0.len()
            && self.0.iter().zip(&other.0).all(|(a, b)| a.name == b.name && (a.key.is_none() || a.key == b.key))
    }

    /// Like [`ModulePath::contains`] but the paths must be the same length.
    fn matches_exactly(&self, other: &ModulePath) -> bool {
        self.0.len() == other.0.len() && self.contains(other)
    }
}

impl fmt::Display for ModulePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            if i > 0 {
                write!(f, ".")?;
            }
            write!(f, "module.{}{}", step.name, step.key)?;
        }
        Ok(())
    }
}

impl FromStr for ModulePath {
    type Err = AddrError;

    /// Parses `""` (the root) or `module.a[0].module.b`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut p = Parser::new(s);
        if p.at_end() {
            return Ok(ModulePath::root());
        }
        let path = p.module_path()?;
        if !p.at_end() {
            return Err(p.err("Unexpected extra operators after address."));
        }
        Ok(path)
    }
}

fn write_module_prefix(f: &mut fmt::Formatter<'_>, module: &ModulePath) -> fmt::Result {
    if !module.is_root() {
        write!(f, "{module}.")?;
    }
    Ok(())
}

/// Managed resources (`resource` blocks) or data sources (`data` blocks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResourceMode {
    Managed,
    Data,
}

impl ResourceMode {
    fn prefix(self) -> &'static str {
        match self {
            ResourceMode::Managed => "",
            ResourceMode::Data => "data.",
        }
    }
}

/// A resource block of the configuration, in a module (no instance keys):
/// `module.net.google_compute_network.main`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConfigResource {
    /// Module call names from the root; empty for the root module.
    pub module: Vec<String>,
    pub mode: ResourceMode,
    pub type_name: String,
    pub name: String,
}

impl fmt::Display for ConfigResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for m in &self.module {
            write!(f, "module.{m}.")?;
        }
        write!(f, "{}{}.{}", self.mode.prefix(), self.type_name, self.name)
    }
}

impl FromStr for ConfigResource {
    type Err = AddrError;

    /// Parses `module.a.type.name` (no instance keys anywhere).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = parse_target(s)?;
        match t {
            Target::Resource { module, mode, type_name, name, key: None }
                if module.0.iter().all(|s| s.key.is_none()) =>
            {
                Ok(ConfigResource { module: module.config_path(), mode, type_name, name })
            }
            Target::Module(_) => Err(AddrError::new("Resource specification must include a resource type and name.")),
            _ => Err(AddrError::new("A resource configuration address may not include instance keys.")),
        }
    }
}

/// One instance of a resource: module instance path, mode, type, name and key.
///
/// ```
/// use cairn::addrs::{InstanceKey, ModulePath, ResourceAddr, ResourceMode};
/// let a = ResourceAddr {
///     module: ModulePath::root().child("net", InstanceKey::Str("a".into())),
///     mode: ResourceMode::Managed,
///     type_name: "google_compute_network".into(),
///     name: "main".into(),
///     key: InstanceKey::Str("x\"y".into()),
/// };
/// assert_eq!(a.to_string(), r#"module.net["a"].google_compute_network.main["x\"y"]"#);
/// assert_eq!(a.to_string().parse::<ResourceAddr>().unwrap(), a);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceAddr {
    pub module: ModulePath,
    pub mode: ResourceMode,
    pub type_name: String,
    pub name: String,
    pub key: InstanceKey,
}

impl ResourceAddr {
    /// A managed resource instance in the root module, without key.
    pub fn managed(type_name: impl Into<String>, name: impl Into<String>) -> ResourceAddr {
        ResourceAddr {
            module: ModulePath::root(),
            mode: ResourceMode::Managed,
            type_name: type_name.into(),
            name: name.into(),
            key: InstanceKey::NoKey,
        }
    }

    /// A data resource instance in the root module, without key.
    pub fn data(type_name: impl Into<String>, name: impl Into<String>) -> ResourceAddr {
        ResourceAddr { mode: ResourceMode::Data, ..ResourceAddr::managed(type_name, name) }
    }

    /// The same resource with another instance key.
    pub fn with_key(&self, key: InstanceKey) -> ResourceAddr {
        ResourceAddr { key, ..self.clone() }
    }

    /// The resource block this is an instance of.
    pub fn config(&self) -> ConfigResource {
        ConfigResource {
            module: self.module.config_path(),
            mode: self.mode,
            type_name: self.type_name.clone(),
            name: self.name.clone(),
        }
    }
}

impl fmt::Display for ResourceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_module_prefix(f, &self.module)?;
        write!(f, "{}{}.{}{}", self.mode.prefix(), self.type_name, self.name, self.key)
    }
}

impl FromStr for ResourceAddr {
    type Err = AddrError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match parse_target(s)? {
            Target::Resource { module, mode, type_name, name, key } => {
                Ok(ResourceAddr { module, mode, type_name, name, key: key.unwrap_or_default() })
            }
            Target::Module(_) => Err(AddrError::new("Resource specification must include a resource type and name.")),
        }
    }
}

/// A `-target` or `-replace` address: a whole module (instance), a
/// resource (all its instances), or one resource instance. Module steps
/// written without a key match every instance of that module call.
///
/// ```
/// use cairn::addrs::{ResourceAddr, Target};
/// let t: Target = "module.net".parse().unwrap();
/// let a: ResourceAddr = "module.net[0].module.sub.google_compute_network.main".parse().unwrap();
/// assert!(t.matches(&a));
///
/// let t: Target = "google_compute_network.main".parse().unwrap();
/// assert!(t.matches(&"google_compute_network.main[\"a\"]".parse().unwrap()));
/// assert!(!t.matches(&a));
///
/// let t: Target = "google_compute_network.main[1]".parse().unwrap();
/// assert!(!t.matches(&"google_compute_network.main[0]".parse().unwrap()));
///
/// let err = "a.b.c".parse::<Target>().unwrap_err();
/// assert_eq!(err.to_string(), "Resource instance key must be given in square brackets.");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    Module(ModulePath),
    Resource {
        module: ModulePath,
        mode: ResourceMode,
        type_name: String,
        name: String,
        /// `None` when the address names the resource, not one instance.
        key: Option<InstanceKey>,
    },
}

impl Target {
    /// Whether the resource instance `addr` is selected by this target.
    pub fn matches(&self, addr: &ResourceAddr) -> bool {
        match self {
            Target::Module(m) => m.contains(&addr.module),
            Target::Resource { module, mode, type_name, name, key } => {
                module.matches_exactly(&addr.module)
                    && *mode == addr.mode
                    && *type_name == addr.type_name
                    && *name == addr.name
                    && key.as_ref().map_or(true, |k| *k == addr.key)
            }
        }
    }

    /// The resource instance this target names, for `-replace` (a target
    /// without key names the no-key instance); `None` for a module.
    pub fn resource_instance(&self) -> Option<ResourceAddr> {
        match self {
            Target::Resource { module, mode, type_name, name, key } => Some(ResourceAddr {
                module: module.clone(),
                mode: *mode,
                type_name: type_name.clone(),
                name: name.clone(),
                key: key.clone().unwrap_or_default(),
            }),
            _ => None,
        }
    }
}

impl From<ResourceAddr> for Target {
    /// The target of exactly this instance.
    fn from(a: ResourceAddr) -> Target {
        Target::Resource { module: a.module, mode: a.mode, type_name: a.type_name, name: a.name, key: Some(a.key) }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Module(m) => write!(f, "{m}"),
            Target::Resource { module, mode, type_name, name, key } => {
                write_module_prefix(f, module)?;
                write!(f, "{}{}.{}", mode.prefix(), type_name, name)?;
                if let Some(k) = key {
                    write!(f, "{k}")?;
                }
                Ok(())
            }
        }
    }
}

impl FromStr for Target {
    type Err = AddrError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_target(s)
    }
}

/// A malformed address, with the message Terraform gives for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrError {
    pub message: String,
}

impl AddrError {
    fn new(message: impl Into<String>) -> AddrError {
        AddrError { message: message.into() }
    }
}

impl fmt::Display for AddrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for AddrError {}

fn parse_target(s: &str) -> Result<Target, AddrError> {
    let mut p = Parser::new(s);
    if p.at_end() {
        return Err(p.err("Must begin with a variable name."));
    }
    let module = p.module_path()?;
    if p.at_end() {
        if module.is_root() {
            return Err(p.err("Resource specification must include a resource type and name."));
        }
        return Ok(Target::Module(module));
    }
    if !module.is_root() {
        p.dot()?;
    }
    let first = p.ident()?;
    let (mode, type_name) = match first.as_str() {
        "data" | "resource" => {
            let mode = if first == "data" { ResourceMode::Data } else { ResourceMode::Managed };
            if p.at_end() {
                return Err(p.err("Resource specification must include a resource type and name."));
            }
            p.dot()?;
            (mode, p.ident()?)
        }
        _ => (ResourceMode::Managed, first),
    };
    if p.at_end() {
        return Err(p.err("Resource specification must include a resource type and name."));
    }
    p.dot()?;
    let name = p.ident()?;
    let key = if p.peek() == Some('[') { Some(p.key()?) } else { None };
    if !p.at_end() {
        if key.is_none() && p.peek() == Some('.') {
            let mut look = p.chars.clone();
            look.next();
            if look.peek() == Some(&'*') {
                return Err(p.err("Splat expressions (.*) may not be used here."));
            }
            return Err(p.err("Resource instance key must be given in square brackets."));
        }
        return Err(p.err("Unexpected extra operators after address."));
    }
    Ok(Target::Resource { module, mode, type_name, name, key })
}

/// A hand-written scanner for the small traversal syntax of addresses.
struct Parser<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
}

impl<'a> Parser<'a> {
    fn new(s: &'a str) -> Parser<'a> {
        Parser { chars: s.trim().chars().peekable() }
    }

    fn err(&self, message: &str) -> AddrError {
        AddrError::new(message)
    }

    fn at_end(&mut self) -> bool {
        self.chars.peek().is_none()
    }

    fn peek(&mut self) -> Option<char> {
        self.chars.peek().copied()
    }

    fn finish(&mut self) -> Result<(), AddrError> {
        if self.at_end() {
            Ok(())
        } else {
            Err(self.err("Unexpected extra operators after address."))
        }
    }

    /// `module.a[key].module.b...`, stopping before anything else. Consumes
    /// the dot between module steps but not the one after the last step.
    fn module_path(&mut self) -> Result<ModulePath, AddrError> {
        let mut steps = Vec::new();
        loop {
            let mut look = self.chars.clone();
            let word: String = std::iter::from_fn(|| look.next_if(|c| is_ident_char(*c))).collect();
            if word != "module" || !matches!(look.peek(), None | Some('.')) {
                break;
            }
            for _ in 0..word.len() {
                self.chars.next();
            }
            if self.peek() != Some('.') {
                return Err(self.err("Prefix \"module.\" must be followed by a module name."));
            }
            self.chars.next();
            if !self.peek().is_some_and(is_ident_start) {
                if self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    return Err(self.err("Dot must be followed by attribute name."));
                }
                return Err(self.err("Prefix \"module.\" must be followed by a module name."));
            }
            let name = self.ident()?;
            let key = if self.peek() == Some('[') { self.key()? } else { InstanceKey::NoKey };
            steps.push(ModuleStep { name, key });
            // Continue only when another `module.` step follows.
            let mut look = self.chars.clone();
            if look.next() == Some('.') {
                let word: String = std::iter::from_fn(|| look.next_if(|c| is_ident_char(*c))).collect();
                if word == "module" && matches!(look.peek(), None | Some('.')) {
                    self.chars.next();
                    continue;
                }
            }
            break;
        }
        Ok(ModulePath(steps))
    }

    fn dot(&mut self) -> Result<(), AddrError> {
        match self.chars.next() {
            Some('.') => Ok(()),
            Some('[') => Err(self.err("Unexpected extra operators after address.")),
            _ => Err(self.err("Unexpected extra operators after address.")),
        }
    }

    fn ident(&mut self) -> Result<String, AddrError> {
        match self.peek() {
            Some('*') => return Err(self.err("Splat expressions (.*) may not be used here.")),
            Some(c) if is_ident_start(c) => {}
            Some(_) => return Err(self.err("Dot must be followed by attribute name.")),
            None => return Err(self.err("Resource specification must include a resource type and name.")),
        }
        Ok(std::iter::from_fn(|| self.chars.next_if(|c| is_ident_char(*c))).collect())
    }

    /// `[0]` or `["a"]`.
    fn key(&mut self) -> Result<InstanceKey, AddrError> {
        const BRACKETS: &str = "Index brackets must contain either a literal number or a literal string.";
        if self.chars.next() != Some('[') {
            return Err(self.err(BRACKETS));
        }
        let key = match self.peek() {
            Some('"') => {
                self.chars.next();
                InstanceKey::Str(self.string_body()?)
            }
            Some('*') => return Err(self.err("Splat expressions ([*]) may not be used here.")),
            Some(c) if c.is_ascii_digit() => {
                let text: String = std::iter::from_fn(|| {
                    self.chars.next_if(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-'))
                })
                .collect();
                if text.chars().all(|c| c.is_ascii_digit()) {
                    match text.parse::<i64>() {
                        Ok(i) => InstanceKey::Int(i),
                        Err(_) => return Err(self.err(WHOLE_NUMBER)),
                    }
                } else if text.parse::<f64>().is_ok() {
                    return Err(self.err(WHOLE_NUMBER));
                } else {
                    return Err(self.err(BRACKETS));
                }
            }
            _ => return Err(self.err(BRACKETS)),
        };
        if self.chars.next() != Some(']') {
            return Err(self.err(BRACKETS));
        }
        Ok(key)
    }

    /// The rest of a quoted string after the opening quote, unescaped.
    fn string_body(&mut self) -> Result<String, AddrError> {
        const UNTERMINATED: &str = "Index brackets must contain either a literal number or a literal string.";
        let mut out = String::new();
        loop {
            match self.chars.next() {
                None => return Err(self.err(UNTERMINATED)),
                Some('"') => return Ok(out),
                Some('\\') => match self.chars.next() {
                    Some('n') => out.push('\n'),
                    Some('r') => out.push('\r'),
                    Some('t') => out.push('\t'),
                    Some('"') => out.push('"'),
                    Some('\\') => out.push('\\'),
                    Some('u') => {
                        let hex: String = (0..4).filter_map(|_| self.chars.next()).collect();
                        match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                            Some(c) => out.push(c),
                            None => return Err(self.err("Invalid escape sequence in instance key.")),
                        }
                    }
                    _ => return Err(self.err("Invalid escape sequence in instance key.")),
                },
                Some(c @ ('$' | '%')) if self.peek() == Some(c) => {
                    // `$${` and `%%{` stand for a literal `${` and `%{`.
                    self.chars.next();
                    if self.peek() != Some('{') {
                        out.push(c);
                    }
                    out.push(c);
                }
                Some('$' | '%') if self.peek() == Some('{') => {
                    return Err(self.err("Template sequences are not allowed in instance keys."));
                }
                Some(c) => out.push(c),
            }
        }
    }
}

const WHOLE_NUMBER: &str =
    "Invalid resource instance key: value must be a whole number, between -9223372036854775808 and 9223372036854775807.";

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

macro_rules! serde_as_string {
    ($($t:ty),*) => {$(
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(|e: AddrError| serde::de::Error::custom(format!("invalid address {s:?}: {e}")))
            }
        }
    )*};
}

serde_as_string!(InstanceKey, ModulePath, ConfigResource, ResourceAddr, Target);

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> ResourceAddr {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }
    fn target(s: &str) -> Target {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }
    fn target_err(s: &str) -> String {
        s.parse::<Target>().unwrap_err().to_string()
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "google_compute_network.main",
            "google_compute_network.main[0]",
            "google_compute_network.main[\"a\"]",
            "data.google_project.this",
            "module.net.google_compute_network.main[\"a\"]",
            "module.net[\"a\"].module.sub[2].data.google_project.this[\"x\"]",
            "google_compute_network.main[\"x\\\"y\"]",
            "google_compute_network.main[\"a\\\\b\"]",
            "google_compute_network.main[\"$${z}\"]",
            "google_compute_network.main[\"%%{z}\"]",
            "google_compute_network.main[\"line\\nbreak\"]",
            "google_compute_network.main[\"$x\"]",
            "module.a-b.t_1.n-2",
        ] {
            assert_eq!(addr(s).to_string(), s);
            assert_eq!(target(s).to_string(), s);
        }
        // Terraform prints `${` in keys as `$${` (checked with `terraform plan`).
        let a = addr("t.n").with_key(InstanceKey::Str("${z}".into()));
        assert_eq!(a.to_string(), "t.n[\"$${z}\"]");
        assert_eq!(addr("t.n[\"$${z}\"]").key, InstanceKey::Str("${z}".into()));
        assert_eq!(addr("t.n[01]").key, InstanceKey::Int(1));
        assert_eq!(addr("resource.t.n"), addr("t.n"));
        assert_eq!(addr("t.n[\"\\u00e9\"]").key, InstanceKey::Str("é".into()));
    }

    #[test]
    fn parse_errors_match_terraform() {
        let need = "Resource specification must include a resource type and name.";
        assert_eq!(target_err("foo"), need);
        assert_eq!(target_err("data.x"), need);
        assert_eq!(target_err("module.a.foo"), need);
        assert_eq!(target_err("module"), "Prefix \"module.\" must be followed by a module name.");
        assert_eq!(target_err("module.a.module"), "Prefix \"module.\" must be followed by a module name.");
        assert_eq!(target_err("a.b.c"), "Resource instance key must be given in square brackets.");
        assert_eq!(target_err("data.a.b.c"), "Resource instance key must be given in square brackets.");
        let brackets = "Index brackets must contain either a literal number or a literal string.";
        assert_eq!(target_err("module.a["), brackets);
        assert_eq!(target_err("a.b[true]"), brackets);
        assert_eq!(target_err("a.b[-1]"), brackets);
        assert_eq!(target_err("a.b[x]"), brackets);
        assert_eq!(target_err("a.b[1.5]"), WHOLE_NUMBER);
        assert_eq!(target_err("a.b[\"x\"][\"y\"]"), "Unexpected extra operators after address.");
        assert_eq!(target_err("a.b[\"x\"].c"), "Unexpected extra operators after address.");
        assert_eq!(target_err("module.1a.b.c"), "Dot must be followed by attribute name.");
        assert_eq!(target_err("a.b.*"), "Splat expressions (.*) may not be used here.");
        assert_eq!(target_err("a.b[*]"), "Splat expressions ([*]) may not be used here.");
        assert_eq!(target_err(""), "Must begin with a variable name.");
        assert_eq!("module.a".parse::<ResourceAddr>().unwrap_err().to_string(), need);
    }

    #[test]
    fn parts_and_config() {
        let a = addr("module.net[\"a\"].module.sub.data.google_project.this[3]");
        assert_eq!(
            a.module,
            ModulePath(vec![
                ModuleStep { name: "net".into(), key: InstanceKey::Str("a".into()) },
                ModuleStep { name: "sub".into(), key: InstanceKey::NoKey },
            ])
        );
        assert_eq!(a.mode, ResourceMode::Data);
        assert_eq!(a.key, InstanceKey::Int(3));
        let c = a.config();
        assert_eq!(c.module, vec!["net".to_string(), "sub".to_string()]);
        assert_eq!(c.to_string(), "module.net.module.sub.data.google_project.this");
        assert_eq!("module.net.module.sub.data.google_project.this".parse::<ConfigResource>().unwrap(), c);
        assert!("module.net[0].t.n".parse::<ConfigResource>().is_err());
        assert!("t.n[0]".parse::<ConfigResource>().is_err());
        assert_eq!("".parse::<ModulePath>().unwrap(), ModulePath::root());
        let m: ModulePath = "module.a[0].module.b".parse().unwrap();
        assert_eq!(m, ModulePath::root().child("a", InstanceKey::Int(0)).child("b", InstanceKey::NoKey));
        assert_eq!(m.to_string(), "module.a[0].module.b");
        assert!("module.a.t.n".parse::<ModulePath>().is_err());
        assert_eq!("[0]".parse::<InstanceKey>().unwrap(), InstanceKey::Int(0));
        assert_eq!("[\"a\"]".parse::<InstanceKey>().unwrap(), InstanceKey::Str("a".into()));
        assert_eq!("".parse::<InstanceKey>().unwrap(), InstanceKey::NoKey);
    }

    #[test]
    fn ordering_and_hashing() {
        let mut v = vec![addr("t.n[\"b\"]"), addr("t.n[10]"), addr("t.n[2]"), addr("t.n"), addr("t.n[\"a\"]")];
        v.sort();
        let s: Vec<String> = v.iter().map(ToString::to_string).collect();
        assert_eq!(s, ["t.n", "t.n[2]", "t.n[10]", "t.n[\"a\"]", "t.n[\"b\"]"]);
        let set: std::collections::HashSet<ResourceAddr> = [addr("t.n"), addr("t.n")].into_iter().collect();
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn serde_as_strings() {
        let a = addr("module.net[\"a\"].t.n[0]");
        let j = serde_json::to_string(&a).unwrap();
        assert_eq!(j, r#""module.net[\"a\"].t.n[0]""#);
        assert_eq!(serde_json::from_str::<ResourceAddr>(&j).unwrap(), a);
        let err = serde_json::from_str::<ResourceAddr>(r#""a.b.c""#).unwrap_err().to_string();
        assert!(err.contains("square brackets"), "{err}");
        let c = a.config();
        assert_eq!(serde_json::to_string(&c).unwrap(), r#""module.net.t.n""#);
        let t = target("module.net");
        assert_eq!(serde_json::from_str::<Target>(&serde_json::to_string(&t).unwrap()).unwrap(), t);
        assert_eq!(InstanceKey::Int(1).to_json(), Some(serde_json::json!(1)));
        assert_eq!(InstanceKey::from_json(Some(&serde_json::json!("a"))), Some(InstanceKey::Str("a".into())));
        assert_eq!(InstanceKey::from_json(None), Some(InstanceKey::NoKey));
    }

    #[test]
    fn target_matching() {
        let inst = addr("module.net[0].module.sub.t.n[\"a\"]");
        assert!(target("module.net").matches(&inst));
        assert!(target("module.net[0]").matches(&inst));
        assert!(!target("module.net[1]").matches(&inst));
        assert!(target("module.net.module.sub").matches(&inst));
        assert!(!target("module.sub").matches(&inst));
        assert!(target("module.net.module.sub.t.n").matches(&inst));
        assert!(target("module.net[0].module.sub.t.n[\"a\"]").matches(&inst));
        assert!(!target("module.net[0].module.sub.t.n[\"b\"]").matches(&inst));
        assert!(!target("module.net.t.n").matches(&inst));
        assert!(!target("t.n").matches(&inst));
        assert!(!target("data.t.n").matches(&addr("t.n")));
        assert!(target("t.n").matches(&addr("t.n[3]")));
        assert!(target("t.n").matches(&addr("t.n")));
        assert!(!target("t.n[0]").matches(&addr("t.n")));
        assert!(!target("t.n").matches(&addr("t.m")));
        let exact: Target = inst.clone().into();
        assert!(exact.matches(&inst));
        assert_eq!(exact.resource_instance(), Some(inst));
        assert_eq!(target("module.a").resource_instance(), None);
    }
}
