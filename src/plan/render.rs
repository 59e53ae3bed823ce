//! Rendering plans for people: the text `cairn plan` prints.
//!
//! Owns: [`render_plan`] (the whole human plan), [`render_value`] (one value
//! as HCL-like text), [`render_summary_line`] and [`symbol_legend`]. The
//! layout follows Terraform 1.11's human plan (attribute diffs with `+`, `-`,
//! `~`, `(known after apply)`, `(sensitive value)`, heredoc line diffs of
//! multi-line strings, `jsonencode(...)` structural diffs of JSON strings,
//! `# (N unchanged attributes hidden)` lines), with cairn's differences: the
//! summary line comes first, drift is shown apart from the changes, and
//! changes are grouped by action (destroys and replacements, then updates,
//! then creates, then reads), each group sorted by address.
//!
//! Sensitive values are never printed: anything under the sensitive mark
//! renders as `(sensitive value)`, and so does every output declared
//! sensitive.
//!
//! Does not own: deciding what changes (`plan::diff`, the planner), the
//! machine-readable plan (`plan::encode`), or diagnostics.

use std::collections::{BTreeMap, BTreeSet};

use similar::{capture_diff_slices, Algorithm, DiffOp};

use super::{Action, Change, OutputChange, Plan, Reason};
use crate::addrs::ResourceMode;
use crate::value::{format_number, quote, Value};

/// How to render a plan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenderOptions {
    /// ANSI colors and bold, like Terraform without `-no-color`.
    pub color: bool,
    /// Only changed attributes: no context attributes, no "hidden" lines.
    pub compact: bool,
}

const RULE: &str = "─────────────────────────────────────────────────────────────────────────────";

/// The summary line: `Plan: 1 to add, 0 to change, 0 to destroy.`, or
/// `No changes. Your infrastructure matches the configuration.` when the
/// plan changes nothing.
pub fn render_summary_line(plan: &Plan) -> String {
    if plan.has_changes() {
        plan.summary().to_string()
    } else {
        "No changes. Your infrastructure matches the configuration.".to_string()
    }
}

/// The "Resource actions are indicated with the following symbols" block,
/// listing only the symbols the plan's changes use (empty when none).
pub fn symbol_legend(plan: &Plan) -> String {
    legend(plan, &Painter { color: false })
}

/// An HCL-like text of `v` as a plan shows it (sensitive parts hidden,
/// unknowns as `(known after apply)`); `indent` is the nesting level of the
/// line the value starts on (nested lines are indented four spaces per level).
pub fn render_value(v: &Value, indent: usize) -> String {
    let r = Renderer { p: Painter { color: false }, plain: true, compact: false, replace_paths: &[] };
    r.whole(v, Act::NoOp, indent)
}

/// The whole human plan.
pub fn render_plan(plan: &Plan, opts: &RenderOptions) -> String {
    let p = Painter { color: opts.color };
    let mut out = String::new();
    let summary = plan.summary();
    let changes: Vec<&Change> = plan.changes.iter().filter(|c| shown(c)).collect();
    let outputs: Vec<&OutputChange> = plan.outputs.iter().filter(|o| o.action() != Action::NoOp).collect();

    // Summary first.
    if plan.has_changes() {
        out.push_str(&format!("{} {}\n", p.bold("Plan:"), summary.to_string().trim_start_matches("Plan: ")));
    } else {
        out.push_str(&format!(
            "{}{}\n",
            p.paint("1;32", "No changes."),
            p.bold(" Your infrastructure matches the configuration.")
        ));
        if plan.drift.is_empty() {
            out.push('\n');
            if plan.destroy {
                out.push_str("No objects need to be destroyed. Either you have not created any objects\nyet or the existing objects were already deleted outside of cairn.\n");
            } else {
                out.push_str("cairn has compared your real infrastructure against your configuration\nand found no differences, so no changes are needed.\n");
            }
        }
    }

    // Drift, apart from the changes cairn will make.
    if !plan.drift.is_empty() {
        out.push('\n');
        out.push_str(&p.bold("Note: Objects have changed outside of cairn"));
        out.push_str("\n\ncairn detected the following changes made outside of cairn since the\nlast \"cairn apply\" which may have affected this plan:\n");
        let mut drift: Vec<&Change> = plan.drift.iter().collect();
        drift.sort_by(|a, b| a.addr.cmp(&b.addr));
        for c in drift {
            out.push('\n');
            out.push_str(&render_drift(c, &p, opts.compact));
        }
        out.push('\n');
        if plan.refresh_only {
            out.push_str("\nThis is a refresh-only plan, so cairn will not take any actions to undo\nthese. If you were expecting these changes then you can apply this plan to\nrecord the updated values in the cairn state without changing any remote\nobjects.\n");
        } else {
            out.push_str("\nUnless you have made equivalent changes to your configuration, or ignored the\nrelevant attributes using ignore_changes, the following plan may include\nactions to undo or respond to these changes.\n");
        }
        if !changes.is_empty() || !outputs.is_empty() {
            out.push('\n');
            out.push_str(RULE);
            out.push('\n');
        }
    }

    if !changes.is_empty() {
        let leg = legend(plan, &p);
        if !leg.is_empty() {
            out.push('\n');
            out.push_str(&leg);
        }
        out.push_str("\ncairn will perform the following actions:\n");
        let mut sorted = changes.clone();
        sorted.sort_by(|a, b| group(a.action).cmp(&group(b.action)).then_with(|| a.addr.cmp(&b.addr)));
        for c in sorted {
            out.push('\n');
            out.push_str(&render_change(c, &p, opts.compact));
        }
    }

    if !outputs.is_empty() {
        out.push('\n');
        out.push_str(&p.bold("Changes to Outputs:"));
        out.push('\n');
        out.push_str(&render_outputs(&outputs, &p, opts.compact));
        if summary.is_empty() && !plan.refresh_only {
            out.push_str("\nYou can apply this plan to save these new output values to the cairn\nstate, without changing any real infrastructure.\n");
        }
    }
    out
}

/// Whether a change appears in the change list.
fn shown(c: &Change) -> bool {
    c.action != Action::NoOp || c.moved_from.is_some() || c.import_id.is_some()
}

/// Order of the groups: dangerous first.
fn group(a: Action) -> u8 {
    match a {
        Action::Delete | Action::DeleteThenCreate | Action::CreateThenDelete => 0,
        Action::Update | Action::NoOp => 1,
        Action::Create => 2,
        Action::Read => 3,
    }
}

fn legend(plan: &Plan, p: &Painter) -> String {
    let present: BTreeSet<Action> = plan.changes.iter().map(|c| c.action).collect();
    let rows = [
        (Action::Create, "create"),
        (Action::Update, "update in-place"),
        (Action::Delete, "destroy"),
        (Action::DeleteThenCreate, "destroy and then create replacement"),
        (Action::CreateThenDelete, "create replacement and then destroy"),
        (Action::Read, "read (data resources)"),
    ];
    let mut out = String::new();
    for (a, text) in rows {
        if present.contains(&a) {
            out.push_str(&format!("{} {text}\n", p.action_symbol(a)));
        }
    }
    if out.is_empty() {
        return out;
    }
    format!("Resource actions are indicated with the following symbols:\n{out}")
}

// ---------------------------------------------------------------------------
// Colors

struct Painter {
    color: bool,
}

impl Painter {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color && !s.is_empty() {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }

    fn green(&self, s: &str) -> String {
        self.paint("32", s)
    }

    fn red(&self, s: &str) -> String {
        self.paint("31", s)
    }

    fn yellow(&self, s: &str) -> String {
        self.paint("33", s)
    }

    fn gray(&self, s: &str) -> String {
        self.paint("90", s)
    }

    /// The three-column symbol before `resource`: `  +`, `-/+`, ` <=`.
    fn action_symbol(&self, a: Action) -> String {
        match a {
            Action::NoOp => "   ".to_string(),
            Action::Create => format!("  {}", self.green("+")),
            Action::Read => format!(" {}", self.paint("36", "<=")),
            Action::Update => format!("  {}", self.yellow("~")),
            Action::DeleteThenCreate => format!("{}/{}", self.red("-"), self.green("+")),
            Action::CreateThenDelete => format!("{}/{}", self.green("+"), self.red("-")),
            Action::Delete => format!("  {}", self.red("-")),
        }
    }
}

// ---------------------------------------------------------------------------
// Resource changes

fn block_kind(c: &Change) -> &'static str {
    match c.addr.mode {
        ResourceMode::Managed => "resource",
        ResourceMode::Data => "data",
    }
}

fn render_change(c: &Change, p: &Painter, compact: bool) -> String {
    let addr = c.addr.to_string();
    let head = p.bold(&format!("  # {addr}"));
    let mut out = match (c.action, &c.reason) {
        (Action::Create, _) => format!("{head} will be created\n"),
        (Action::Read, _) => format!("{head} will be read during apply\n  # (config refers to values not yet known)\n"),
        (Action::Update, _) => format!("{head} will be updated in-place\n"),
        (Action::Delete, _) => format!("{head} will be {}\n", p.paint("1;31", "destroyed")),
        (Action::DeleteThenCreate | Action::CreateThenDelete, Some(Reason::ReplaceByRequest)) => {
            format!("{head} will be {}, as requested\n", p.paint("1;31", "replaced"))
        }
        (Action::DeleteThenCreate | Action::CreateThenDelete, Some(Reason::ReplaceByTriggers)) => format!(
            "{head} will be {} due to changes in replace_triggered_by\n",
            p.paint("1;31", "replaced")
        ),
        (Action::DeleteThenCreate | Action::CreateThenDelete, _) => {
            format!("{head} must be {}\n", p.paint("1;31", "replaced"))
        }
        (Action::NoOp, _) => match (&c.moved_from, &c.import_id) {
            (Some(from), _) => format!("{} has moved to {}\n", p.bold(&format!("  # {from}")), p.bold(&addr)),
            (None, _) => format!("{head} will be imported\n"),
        },
    };
    if c.action == Action::Delete {
        if let Some(line) = delete_reason(c) {
            out.push_str(&format!("  # {line}\n"));
        }
    }
    if c.action != Action::NoOp {
        if let Some(from) = &c.moved_from {
            out.push_str(&format!("  # (moved from {from})\n"));
        }
    }
    if let Some(id) = &c.import_id {
        if c.action != Action::NoOp || c.moved_from.is_some() {
            out.push_str(&format!("  # (imported from {})\n", quote(id)));
        }
    }
    let rows_action = match c.action {
        Action::Create | Action::Read => Act::Create,
        Action::Delete => Act::Delete,
        _ => Act::Update,
    };
    out.push_str(&render_block(c, p.action_symbol(c.action), rows_action, p, compact));
    out
}

fn delete_reason(c: &Change) -> Option<String> {
    match c.reason.as_ref()? {
        Reason::DeleteBecauseNoResourceConfig => Some(format!("(because {} is not in configuration)", c.addr.config())),
        Reason::DeleteBecauseCountIndex => Some(format!("(because index {} is out of range for count)", c.addr.key)),
        Reason::DeleteBecauseEachKey => Some(format!("(because key {} is not in for_each map)", c.addr.key)),
        Reason::DeleteBecauseNoModule => Some(format!("(because {} is not in configuration)", c.addr.module)),
        _ => None,
    }
}

fn render_drift(c: &Change, p: &Painter, compact: bool) -> String {
    let head = p.bold(&format!("  # {}", c.addr));
    let deleted = c.after.as_ref().map_or(true, Value::is_null);
    let (text, sym, act) = if deleted {
        ("has been deleted", p.action_symbol(Action::Delete), Act::Delete)
    } else {
        ("has changed", p.action_symbol(Action::Update), Act::Update)
    };
    let mut out = format!("{head} {text}\n");
    // Drift never forces anything: render without replace paths.
    let plain = Change { replace_paths: Vec::new(), ..c.clone() };
    out.push_str(&render_block(&plain, sym, act, p, compact));
    out
}

/// `  + resource "t" "n" {` ... `    }`.
fn render_block(c: &Change, sym: String, act: Act, p: &Painter, compact: bool) -> String {
    let r = Renderer { p: Painter { color: p.color }, plain: false, compact, replace_paths: &c.replace_paths };
    let before = attrs_of(c.before.as_ref());
    let after = attrs_of(c.after.as_ref());
    let rows = match act {
        Act::Create => r.rows(&BTreeMap::new(), &after, 1, false, true, ""),
        Act::Delete => r.rows(&before, &BTreeMap::new(), 1, false, true, ""),
        _ => r.rows(&before, &after, 1, false, true, ""),
    };
    let body = if rows.is_empty() { "{}".to_string() } else { format!("{{\n{rows}    }}") };
    format!("{sym} {} {} {} {body}\n", block_kind(c), quote(&c.addr.type_name), quote(&c.addr.name))
}

/// The attributes of a resource object; a wholly sensitive object passes
/// the mark on to every attribute.
fn attrs_of(v: Option<&Value>) -> BTreeMap<String, Value> {
    let Some(v) = v else { return BTreeMap::new() };
    let sensitive = v.is_sensitive();
    match v.as_map() {
        Some(m) => m.iter().map(|(k, x)| (k.clone(), x.clone().mark_if(sensitive))).collect(),
        None => BTreeMap::new(),
    }
}

fn render_outputs(outputs: &[&OutputChange], p: &Painter, compact: bool) -> String {
    let r = Renderer { p: Painter { color: p.color }, plain: false, compact, replace_paths: &[] };
    let mut sorted = outputs.to_vec();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut before = BTreeMap::new();
    let mut after = BTreeMap::new();
    for o in sorted {
        let mark = |v: &Option<Value>| v.clone().unwrap_or(Value::Null).mark_if(o.sensitive);
        before.insert(o.name.clone(), mark(&o.before));
        after.insert(o.name.clone(), mark(&o.after));
    }
    r.rows(&before, &after, 0, false, true, "")
}

// ---------------------------------------------------------------------------
// Values

/// The action of one attribute, element or line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Act {
    NoOp,
    Create,
    Update,
    Delete,
}

fn pair_action(b: &Value, a: &Value) -> Act {
    match (b.is_null(), a.is_null()) {
        (true, true) => Act::NoOp,
        (true, false) => Act::Create,
        (false, true) => Act::Delete,
        (false, false) if same(b, a) => Act::NoOp,
        (false, false) => Act::Update,
    }
}

/// Equal, wholly known, and marked alike at every level.
fn same(b: &Value, a: &Value) -> bool {
    if b.is_sensitive() != a.is_sensitive() {
        return false;
    }
    match (b.unmarked(), a.unmarked()) {
        (Value::Unknown(_), _) | (_, Value::Unknown(_)) => false,
        (Value::List(x) | Value::Tuple(x), Value::List(y) | Value::Tuple(y)) | (Value::Set(x), Value::Set(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Map(x) | Value::Object(x), Value::Map(y) | Value::Object(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((kp, p), (kq, q))| kp == kq && same(p, q))
        }
        (x, y) => x.equals(y),
    }
}

fn is_collection(v: &Value) -> bool {
    matches!(v.unmarked(), Value::List(_) | Value::Tuple(_) | Value::Set(_) | Value::Map(_) | Value::Object(_))
}

fn ind(n: usize) -> String {
    " ".repeat(n)
}

/// Attributes shown as context in updates, like Terraform.
fn important(name: &str) -> bool {
    matches!(name, "id" | "name" | "tags")
}

struct Renderer<'a> {
    p: Painter,
    /// Bare HCL-like text without the symbol columns ([`render_value`]).
    plain: bool,
    compact: bool,
    replace_paths: &'a [String],
}

impl Renderer<'_> {
    /// Two columns: the colored symbol and a space.
    fn sym(&self, act: Act) -> String {
        match act {
            Act::NoOp => "  ".to_string(),
            Act::Create => format!("{} ", self.p.green("+")),
            Act::Update => format!("{} ", self.p.yellow("~")),
            Act::Delete => format!("{} ", self.p.red("-")),
        }
    }

    /// The start of a line at nesting level `d`, symbol included.
    fn prefix(&self, d: usize, act: Act) -> String {
        if self.plain {
            return ind(4 * d);
        }
        format!("{}{}", ind(4 * d + 2), self.sym(act))
    }

    /// The indentation of a closing bracket whose contents are at level `d`.
    fn close(&self, d: usize) -> String {
        if self.plain {
            ind(4 * d.saturating_sub(1))
        } else {
            ind(4 * d)
        }
    }

    fn hidden_line(&self, d: usize, n: usize, what: &str) -> String {
        let s = if n == 1 { "" } else { "s" };
        format!("{}{}\n", self.prefix(d, Act::NoOp), self.p.gray(&format!("# ({n} unchanged {what}{s} hidden)")))
    }

    fn sensitive(&self) -> String {
        "(sensitive value)".to_string()
    }

    fn unknown(&self) -> String {
        "(known after apply)".to_string()
    }

    /// A value whose every part has the same action; `d` is the level of
    /// the line it starts on.
    fn whole(&self, v: &Value, act: Act, d: usize) -> String {
        match v {
            Value::Sensitive(_) => self.sensitive(),
            Value::Unknown(_) => self.unknown(),
            Value::Null => self.p.gray("null"),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => format_number(*n),
            Value::String(s) => self.string_whole(s, act, d),
            Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => {
                if xs.is_empty() {
                    return "[]".to_string();
                }
                let mut out = "[\n".to_string();
                for x in xs {
                    out.push_str(&format!("{}{},\n", self.prefix(d + 1, act), self.whole(x, act, d + 1)));
                }
                out.push_str(&format!("{}]", self.close(d + 1)));
                out
            }
            Value::Map(m) | Value::Object(m) => {
                let is_map = matches!(v, Value::Map(_));
                let entries: Vec<(String, &Value)> =
                    m.iter().filter(|(_, x)| !x.is_null()).map(|(k, x)| (key_text(k, is_map), x)).collect();
                if entries.is_empty() {
                    return "{}".to_string();
                }
                let pad = entries.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0);
                let mut out = "{\n".to_string();
                for (k, x) in entries {
                    out.push_str(&format!(
                        "{}{k:<pad$} = {}\n",
                        self.prefix(d + 1, act),
                        self.whole(x, act, d + 1)
                    ));
                }
                out.push_str(&format!("{}}}", self.close(d + 1)));
                out
            }
        }
    }

    fn string_whole(&self, s: &str, act: Act, d: usize) -> String {
        if let Some(j) = json_value(s) {
            return format!(
                "jsonencode(\n{}{}\n{})",
                self.prefix(d + 1, Act::NoOp),
                self.whole(&j, act, d + 1),
                self.close(d + 1)
            );
        }
        if s.contains('\n') {
            let mut out = "<<-EOT\n".to_string();
            for line in lines(s) {
                out.push_str(&self.heredoc_line(d + 1, Act::NoOp, line));
            }
            out.push_str(&format!("{}EOT", self.close(d + 1)));
            return out;
        }
        quote(s)
    }

    fn heredoc_line(&self, d: usize, act: Act, line: &str) -> String {
        let text = format!("{}{}", self.prefix(d, act), line);
        format!("{}\n", text.trim_end())
    }

    /// A value that changed from `b` to `a` (both non-null).
    fn update(&self, b: &Value, a: &Value, d: usize) -> String {
        if b.is_sensitive() || a.is_sensitive() {
            return self.sensitive();
        }
        match (b, a) {
            (Value::Unknown(_), Value::Unknown(_)) => return self.unknown(),
            (_, Value::Unknown(_)) => return format!("{} -> {}", self.whole(b, Act::Delete, d), self.unknown()),
            (Value::Unknown(_), _) => return format!("{} -> {}", self.unknown(), self.whole(a, Act::Create, d)),
            _ => {}
        }
        match (b, a) {
            (Value::Map(x) | Value::Object(x), Value::Map(y) | Value::Object(y)) => {
                let is_map = matches!(a, Value::Map(_));
                let rows = self.rows(x, y, d + 1, is_map, false, "");
                format!("{{\n{rows}{}}}", self.close(d + 1))
            }
            (Value::Set(x), Value::Set(y)) => self.seq(set_entries(x, y), d, false),
            (Value::Tuple(x), Value::Tuple(y)) if x.len() == y.len() => {
                let entries = x.iter().zip(y).map(|(p, q)| (pair_action(p, q), Some(p), Some(q))).collect();
                self.seq(entries, d, primitives(x, y))
            }
            (Value::List(x) | Value::Tuple(x), Value::List(y) | Value::Tuple(y)) => {
                self.seq(list_entries(x, y), d, primitives(x, y))
            }
            (Value::String(x), Value::String(y)) => self.string_update(x, y, d),
            _ => format!("{} -> {}", self.whole(b, Act::Delete, d), self.whole(a, Act::Create, d)),
        }
    }

    fn string_update(&self, x: &str, y: &str, d: usize) -> String {
        if let (Some(jb), Some(ja)) = (json_value(x), json_value(y)) {
            let act = pair_action(&jb, &ja);
            let (note, body) = if act == Act::NoOp {
                (format!(" {}", self.p.gray("# whitespace changes")), self.whole(&ja, Act::NoOp, d + 1))
            } else {
                (String::new(), self.update(&jb, &ja, d + 1))
            };
            return format!("jsonencode({note}\n{}{body}\n{})", self.prefix(d + 1, act), self.close(d + 1));
        }
        if x.contains('\n') || y.contains('\n') {
            let old = lines(x);
            let new = lines(y);
            let mut out = "<<-EOT\n".to_string();
            for op in capture_diff_slices(Algorithm::Myers, &old, &new) {
                match op {
                    DiffOp::Equal { old_index, len, .. } => {
                        for line in &old[old_index..old_index + len] {
                            out.push_str(&self.heredoc_line(d + 1, Act::NoOp, line));
                        }
                    }
                    DiffOp::Delete { old_index, old_len, .. } => {
                        for line in &old[old_index..old_index + old_len] {
                            out.push_str(&self.heredoc_line(d + 1, Act::Delete, line));
                        }
                    }
                    DiffOp::Insert { new_index, new_len, .. } => {
                        for line in &new[new_index..new_index + new_len] {
                            out.push_str(&self.heredoc_line(d + 1, Act::Create, line));
                        }
                    }
                    DiffOp::Replace { old_index, old_len, new_index, new_len } => {
                        for line in &old[old_index..old_index + old_len] {
                            out.push_str(&self.heredoc_line(d + 1, Act::Delete, line));
                        }
                        for line in &new[new_index..new_index + new_len] {
                            out.push_str(&self.heredoc_line(d + 1, Act::Create, line));
                        }
                    }
                }
            }
            out.push_str(&format!("{}EOT", self.close(d + 1)));
            return out;
        }
        format!("{} -> {}", self.string_whole(x, Act::Delete, d), self.string_whole(y, Act::Create, d))
    }

    /// A list, tuple or set diff: `[` elements `]`. With `context`,
    /// unchanged elements next to changes are shown, like Terraform does for
    /// lists of primitives.
    fn seq(&self, entries: Vec<(Act, Option<&Value>, Option<&Value>)>, d: usize, context: bool) -> String {
        let context = context && !self.compact;
        let mut out = "[\n".to_string();
        let mut unchanged: Vec<usize> = Vec::new();
        let mut render_next = false;
        let row = |i: usize| -> String {
            let (act, b, a) = entries[i];
            let null = Value::Null;
            let (b, a) = (b.unwrap_or(&null), a.unwrap_or(&null));
            let text = match act {
                Act::NoOp => self.whole(a, Act::NoOp, d + 1),
                Act::Create => self.whole(a, Act::Create, d + 1),
                Act::Delete => self.whole(b, Act::Delete, d + 1),
                Act::Update => self.update(b, a, d + 1),
            };
            format!("{}{text},\n", self.prefix(d + 1, act))
        };
        for (i, (act, _, _)) in entries.iter().enumerate() {
            if *act == Act::NoOp && !render_next {
                unchanged.push(i);
                continue;
            }
            render_next = false;
            if *act != Act::NoOp && context {
                if unchanged.len() > 1 {
                    out.push_str(&self.hidden_line(d + 1, unchanged.len() - 1, "element"));
                }
                if let Some(last) = unchanged.last() {
                    out.push_str(&row(*last));
                }
                unchanged.clear();
                if matches!(act, Act::Create | Act::Update) {
                    render_next = true;
                }
            }
            out.push_str(&row(i));
        }
        if !unchanged.is_empty() && !self.compact {
            out.push_str(&self.hidden_line(d + 1, unchanged.len(), "element"));
        }
        out.push_str(&format!("{}]", self.close(d + 1)));
        out
    }

    /// Rows of an object or map diff at level `d`. `top` rows (resource
    /// attributes, outputs) say `-> null` when removed; `path` is the dotted
    /// path of the enclosing object, for `# forces replacement`.
    fn rows(
        &self,
        b: &BTreeMap<String, Value>,
        a: &BTreeMap<String, Value>,
        d: usize,
        is_map: bool,
        top: bool,
        path: &str,
    ) -> String {
        let null = Value::Null;
        let keys: BTreeSet<&String> = b.keys().chain(a.keys()).collect();
        let mut entries = Vec::new();
        for k in keys {
            let bv = b.get(k).unwrap_or(&null);
            let av = a.get(k).unwrap_or(&null);
            if bv.is_null() && av.is_null() {
                continue;
            }
            let act = pair_action(bv, av);
            let display = act != Act::NoOp || (!self.compact && !is_map && important(k));
            entries.push((k, key_text(k, is_map), bv, av, act, display));
        }
        let pad = entries
            .iter()
            .filter(|e| e.5 || !self.compact)
            .map(|e| e.1.chars().count())
            .max()
            .unwrap_or(0);
        let mut out = String::new();
        let mut hidden = 0;
        for (k, name, bv, av, act, display) in entries {
            if !display {
                hidden += 1;
                continue;
            }
            let full = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
            let mut text = match act {
                Act::NoOp => self.whole(av, Act::NoOp, d),
                Act::Create => self.whole(av, Act::Create, d),
                Act::Delete => self.whole(bv, Act::Delete, d),
                Act::Update => match (bv.unmarked(), av.unmarked()) {
                    (Value::Map(x) | Value::Object(x), Value::Map(y) | Value::Object(y))
                        if !bv.is_sensitive() && !av.is_sensitive() =>
                    {
                        let rows = self.rows(x, y, d + 1, matches!(av, Value::Map(_)), false, &full);
                        format!("{{\n{rows}{}}}", self.close(d + 1))
                    }
                    _ => self.update(bv, av, d),
                },
            };
            if act == Act::Delete && top {
                text.push_str(&format!(" -> {}", self.p.gray("null")));
            }
            if self.replace_paths.contains(&full) {
                let note = format!(" {}", self.p.red("# forces replacement"));
                match text.find('\n') {
                    Some(i) => text.insert_str(i, &note),
                    None => text.push_str(&note),
                }
            }
            if act == Act::Update && bv.is_sensitive() != av.is_sensitive() {
                out.push_str(&self.sensitivity_warning(d, bv.is_sensitive(), bv.equals(av)));
            }
            out.push_str(&format!("{}{name:<pad$} = {text}\n", self.prefix(d, act)));
        }
        if hidden > 0 && !self.compact {
            out.push_str(&self.hidden_line(d, hidden, if is_map { "element" } else { "attribute" }));
        }
        out
    }

    fn sensitivity_warning(&self, d: usize, was_sensitive: bool, unchanged: bool) -> String {
        let i = ind(4 * d + 2);
        let w = self.p.yellow("Warning");
        let mut s = if was_sensitive {
            format!("{i}# {w}: this attribute value will no longer be marked as sensitive\n{i}# after applying this change.")
        } else {
            format!("{i}# {w}: this attribute value will be marked as sensitive and will not\n{i}# display in UI output after applying this change.")
        };
        if unchanged {
            s.push_str(" The value is unchanged.");
        }
        s.push('\n');
        s
    }
}

fn primitives(x: &[Value], y: &[Value]) -> bool {
    !x.iter().chain(y).any(|v| is_collection(v) || v.is_sensitive())
}

/// Set elements: removed, added and kept, in canonical order.
fn set_entries<'v>(x: &'v [Value], y: &'v [Value]) -> Vec<(Act, Option<&'v Value>, Option<&'v Value>)> {
    let mut all: Vec<(Act, Option<&Value>, Option<&Value>)> = Vec::new();
    for v in x {
        match y.iter().find(|w| same(v, w)) {
            Some(w) => all.push((Act::NoOp, Some(v), Some(w))),
            None => all.push((Act::Delete, Some(v), None)),
        }
    }
    for w in y {
        if !x.iter().any(|v| same(v, w)) {
            all.push((Act::Create, None, Some(w)));
        }
    }
    let key = |e: &(Act, Option<&Value>, Option<&Value>)| -> Value { e.2.or(e.1).cloned().unwrap_or(Value::Null) };
    all.sort_by(|p, q| Value::canonical_cmp(&key(p), &key(q)));
    all
}

/// List elements by longest common subsequence; replaced objects pair up
/// as in-place updates, like Terraform.
fn list_entries<'v>(x: &'v [Value], y: &'v [Value]) -> Vec<(Act, Option<&'v Value>, Option<&'v Value>)> {
    let key = |side: &str, i: usize, v: &Value| -> String {
        if v.is_wholly_known() {
            format!("{v:?}")
        } else {
            format!("\u{0}unknown {side}{i}")
        }
    };
    let old: Vec<String> = x.iter().enumerate().map(|(i, v)| key("b", i, v)).collect();
    let new: Vec<String> = y.iter().enumerate().map(|(i, v)| key("a", i, v)).collect();
    let mut out = Vec::new();
    for op in capture_diff_slices(Algorithm::Myers, &old, &new) {
        match op {
            DiffOp::Equal { old_index, new_index, len } => {
                for i in 0..len {
                    out.push((Act::NoOp, x.get(old_index + i), y.get(new_index + i)));
                }
            }
            DiffOp::Delete { old_index, old_len, .. } => {
                for v in x.iter().skip(old_index).take(old_len) {
                    out.push((Act::Delete, Some(v), None));
                }
            }
            DiffOp::Insert { new_index, new_len, .. } => {
                for v in y.iter().skip(new_index).take(new_len) {
                    out.push((Act::Create, None, Some(v)));
                }
            }
            DiffOp::Replace { old_index, old_len, new_index, new_len } => {
                let olds = x.iter().skip(old_index).take(old_len);
                let news = y.iter().skip(new_index).take(new_len);
                let objects = olds.clone().chain(news.clone()).all(|v| v.as_map().is_some() && !v.is_sensitive());
                if objects {
                    let paired = old_len.min(new_len);
                    for (p, q) in olds.clone().zip(news.clone()) {
                        out.push((pair_action(p, q), Some(p), Some(q)));
                    }
                    for v in olds.skip(paired) {
                        out.push((Act::Delete, Some(v), None));
                    }
                    for v in news.skip(paired) {
                        out.push((Act::Create, None, Some(v)));
                    }
                } else {
                    for v in olds {
                        out.push((Act::Delete, Some(v), None));
                    }
                    for v in news {
                        out.push((Act::Create, None, Some(v)));
                    }
                }
            }
        }
    }
    out
}

/// The lines of a multi-line string, without the empty one after a final newline.
fn lines(s: &str) -> Vec<&str> {
    let mut v: Vec<&str> = s.split('\n').collect();
    if v.len() > 1 && v.last() == Some(&"") {
        v.pop();
    }
    v
}

/// A JSON object or array in a string, as a value (arrays as lists).
fn json_value(s: &str) -> Option<Value> {
    let t = s.trim_start();
    if !(t.starts_with('{') || t.starts_with('[')) {
        return None;
    }
    let j: serde_json::Value = serde_json::from_str(s).ok()?;
    Some(from_json(&j))
}

fn from_json(j: &serde_json::Value) -> Value {
    use serde_json::Value as J;
    match j {
        J::Array(xs) => Value::List(xs.iter().map(from_json).collect()),
        J::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), from_json(v))).collect()),
        other => Value::from_json(other),
    }
}

/// A key as written: map keys quoted, object attributes bare when they are
/// identifiers.
fn key_text(k: &str, is_map: bool) -> String {
    let ident = k.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && k.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    if is_map || !ident {
        quote(k)
    } else {
        k.to_string()
    }
}


#[cfg(test)]
mod tests {
    use super::*;
    use crate::addrs::ResourceAddr;
    use crate::value::Type;

    const SECRET: &str = "hunter2-very-secret";

    fn s(v: &str) -> Value {
        Value::string(v)
    }

    fn n(v: i32) -> Value {
        Value::number(v)
    }

    fn obj(items: Vec<(&str, Value)>) -> Value {
        Value::object(items)
    }

    fn change(addr: &str, action: Action, before: Option<Value>, after: Option<Value>) -> Change {
        Change {
            addr: addr.parse::<ResourceAddr>().unwrap(),
            action,
            before,
            after,
            replace_paths: Vec::new(),
            reason: None,
            dependencies: Vec::new(),
            import_id: None,
            moved_from: None,
        }
    }

    fn data(id: Option<&str>, input: Value) -> Value {
        let id = id.map(s).unwrap_or(Value::Unknown(Type::String));
        obj(vec![("id", id), ("input", input.clone()), ("output", input), ("triggers_replace", Value::Null)])
    }

    fn plan(changes: Vec<Change>) -> Plan {
        Plan {
            changes,
            drift: Vec::new(),
            outputs: Vec::new(),
            prior_lineage: None,
            prior_serial: None,
            workspace: "default".into(),
            destroy: false,
            refresh_only: false,
            errored: false,
            sandbox: None,
        }
    }

    fn full_plan() -> Plan {
        let mut create = change("terraform_data.new", Action::Create, None, Some(data(None, s("hello"))));
        if let Some(Value::Object(m)) = &mut create.after {
            m.insert("output".into(), Value::Unknown(Type::Any));
        }
        let mut update = change(
            "terraform_data.a",
            Action::Update,
            Some(data(Some("a-1"), s("hello"))),
            Some(obj(vec![
                ("id", s("a-1")),
                ("input", s("hello2")),
                ("output", Value::Unknown(Type::Any)),
                ("triggers_replace", Value::Null),
            ])),
        );
        update.moved_from = Some("terraform_data.old_a".parse().unwrap());
        let mut replace = change(
            "terraform_data.c",
            Action::DeleteThenCreate,
            Some(obj(vec![("id", s("c-1")), ("input", s("x")), ("output", s("x")), ("triggers_replace", s("t1"))])),
            Some(obj(vec![
                ("id", Value::Unknown(Type::String)),
                ("input", s("x")),
                ("output", Value::Unknown(Type::Any)),
                ("triggers_replace", s("t2")),
            ])),
        );
        replace.replace_paths = vec!["triggers_replace".into()];
        replace.reason = Some(Reason::ReplaceBecauseCannotUpdate);
        let mut requested = change(
            "terraform_data.r",
            Action::CreateThenDelete,
            Some(data(Some("r-1"), s("r"))),
            Some(obj(vec![
                ("id", Value::Unknown(Type::String)),
                ("input", s("r")),
                ("output", Value::Unknown(Type::Any)),
            ])),
        );
        requested.reason = Some(Reason::ReplaceByRequest);
        let mut gone = change("terraform_data.gone", Action::Delete, Some(data(Some("g-1"), s("bye"))), None);
        gone.reason = Some(Reason::DeleteBecauseNoResourceConfig);
        let mut count = change("terraform_data.d[2]", Action::Delete, Some(data(Some("d-2"), n(2))), None);
        count.reason = Some(Reason::DeleteBecauseCountIndex);
        let mut each = change("terraform_data.f[\"y\"]", Action::Delete, Some(data(Some("f-y"), s("y"))), None);
        each.reason = Some(Reason::DeleteBecauseEachKey);
        let read = change(
            "data.terraform_remote_state.net",
            Action::Read,
            None,
            Some(obj(vec![("backend", s("gcs")), ("outputs", Value::Unknown(Type::Any))])),
        );
        let mut imported = change(
            "terraform_data.imp",
            Action::Update,
            Some(obj(vec![("id", s("abc-123")), ("input", Value::Null), ("output", Value::Null)])),
            Some(obj(vec![("id", s("abc-123")), ("input", s("x")), ("output", Value::Unknown(Type::Any))])),
        );
        imported.import_id = Some("abc-123".into());
        let mut moved = change(
            "terraform_data.c2",
            Action::NoOp,
            Some(data(Some("m-1"), s("same"))),
            Some(data(Some("m-1"), s("same"))),
        );
        moved.moved_from = Some("terraform_data.c1".parse().unwrap());
        let noop = change("terraform_data.quiet", Action::NoOp, Some(data(Some("q"), s("q"))), Some(data(Some("q"), s("q"))));

        let mut p = plan(vec![create, update, replace, requested, gone, count, each, read, imported, moved, noop]);
        p.drift = vec![change(
            "terraform_data.drifted",
            Action::Update,
            Some(data(Some("dr-1"), s("before"))),
            Some(obj(vec![
                ("id", s("dr-1")),
                ("input", s("before")),
                ("output", s("changed by hand")),
            ])),
        )];
        p.outputs = vec![
            OutputChange { name: "o1".into(), before: Some(s("hello")), after: Some(Value::Unknown(Type::Any)), sensitive: false },
            OutputChange { name: "password".into(), before: None, after: Some(s(SECRET)), sensitive: true },
            OutputChange { name: "gone".into(), before: Some(s("static")), after: None, sensitive: false },
            OutputChange {
                name: "m".into(),
                before: None,
                after: Some(obj(vec![("a", n(1)), ("list", Value::Tuple(vec![n(1), s("two")]))])),
                sensitive: false,
            },
            OutputChange { name: "same".into(), before: Some(n(1)), after: Some(n(1)), sensitive: false },
        ];
        p
    }

    #[test]
    fn every_action_kind() {
        let text = render_plan(&full_plan(), &RenderOptions::default());
        insta::assert_snapshot!(text);
    }

    #[test]
    fn compact_mode() {
        let text = render_plan(&full_plan(), &RenderOptions { color: false, compact: true });
        assert!(!text.contains("unchanged"));
        insta::assert_snapshot!(text);
    }

    #[test]
    fn no_escape_codes_without_color() {
        let p = full_plan();
        assert!(!render_plan(&p, &RenderOptions { color: false, compact: false }).contains('\x1b'));
        assert!(!render_plan(&p, &RenderOptions { color: false, compact: true }).contains('\x1b'));
        let colored = render_plan(&p, &RenderOptions { color: true, compact: false });
        assert!(colored.contains("\x1b[32m+\x1b[0m"));
        assert!(colored.contains("\x1b[31m-\x1b[0m/\x1b[32m+\x1b[0m"));
    }

    #[test]
    fn colored_output() {
        let mut p = plan(vec![change(
            "terraform_data.a",
            Action::Update,
            Some(data(Some("a"), s("x"))),
            Some(data(Some("a"), s("y"))),
        )]);
        p.changes.push(change("terraform_data.b", Action::Create, None, Some(data(None, s("b")))));
        insta::assert_snapshot!(render_plan(&p, &RenderOptions { color: true, compact: false }).replace('\x1b', "\\e"));
    }

    #[test]
    fn no_changes() {
        let p = plan(vec![change("terraform_data.a", Action::NoOp, Some(data(Some("a"), s("x"))), Some(data(Some("a"), s("x"))))]);
        let text = render_plan(&p, &RenderOptions::default());
        assert_eq!(render_summary_line(&p), "No changes. Your infrastructure matches the configuration.");
        assert_eq!(symbol_legend(&p), "");
        insta::assert_snapshot!(text);
    }

    #[test]
    fn summary_and_legend() {
        let p = full_plan();
        assert_eq!(render_summary_line(&p), "Plan: 1 to import, 1 to add, 2 to change, 2 to replace, 3 to destroy.");
        insta::assert_snapshot!(symbol_legend(&p), @r"
        Resource actions are indicated with the following symbols:
          + create
          ~ update in-place
          - destroy
        -/+ destroy and then create replacement
        +/- create replacement and then destroy
         <= read (data resources)
        ");
    }

    #[test]
    fn sensitive_values_never_shown() {
        let secret = s(SECRET).mark_sensitive();
        let nested = obj(vec![("user", s("admin")), ("password", secret.clone())]);
        let mut p = plan(vec![
            change("terraform_data.create", Action::Create, None, Some(data(None, secret.clone()))),
            change(
                "terraform_data.update",
                Action::Update,
                Some(data(Some("u"), s("plain"))),
                Some(obj(vec![("id", s("u")), ("input", secret.clone()), ("output", Value::Unknown(Type::Any))])),
            ),
            change(
                "terraform_data.nested",
                Action::Update,
                Some(data(Some("n"), obj(vec![("user", s("admin"))]))),
                Some(data(Some("n"), nested.clone())),
            ),
            change("terraform_data.del", Action::Delete, Some(data(Some("d"), secret.clone())), None),
            change(
                "terraform_data.whole",
                Action::Create,
                None,
                Some(obj(vec![("input", s(SECRET)), ("list", Value::List(vec![s(SECRET)]))]).mark_sensitive()),
            ),
            change(
                "terraform_data.list",
                Action::Update,
                Some(data(Some("l"), Value::List(vec![s("a")]))),
                Some(data(Some("l"), Value::List(vec![s("a"), secret.clone()]))),
            ),
            change(
                "terraform_data.json",
                Action::Update,
                Some(data(Some("j"), s("{\"a\":1}"))),
                Some(data(Some("j"), s(&format!("{{\"a\":\"{SECRET}\"}}")).mark_sensitive())),
            ),
            change(
                "terraform_data.heredoc",
                Action::Update,
                Some(data(Some("h"), s("a\nb\n"))),
                Some(data(Some("h"), s(&format!("a\n{SECRET}\n")).mark_sensitive())),
            ),
        ]);
        p.drift = vec![change(
            "terraform_data.drift",
            Action::Update,
            Some(data(Some("x"), secret.clone())),
            Some(data(Some("x"), s("other").mark_sensitive())),
        )];
        p.outputs = vec![
            OutputChange { name: "pw".into(), before: Some(s(SECRET)), after: Some(s("new")), sensitive: true },
            OutputChange { name: "marked".into(), before: None, after: Some(nested), sensitive: false },
        ];
        for opts in [
            RenderOptions { color: false, compact: false },
            RenderOptions { color: true, compact: false },
            RenderOptions { color: false, compact: true },
        ] {
            let text = render_plan(&p, &opts);
            assert!(!text.contains(SECRET), "secret leaked:\n{text}");
            assert!(!text.contains("hunter2"));
        }
        assert!(!render_value(&secret, 0).contains(SECRET));
        insta::assert_snapshot!(render_plan(&p, &RenderOptions::default()));
    }

    #[test]
    fn nested_values() {
        let before = obj(vec![
            ("name", s("x")),
            ("list", Value::Tuple(vec![n(1), n(2), n(3)])),
            ("nested", obj(vec![("deep", s("v"))])),
            ("tags", Value::Map([("env".to_string(), s("dev")), ("team".to_string(), s("core"))].into())),
            ("strings", Value::List(["a", "b", "c", "d", "e"].map(s).to_vec())),
            ("set", Value::set(vec![s("p"), s("q"), s("r")])),
            (
                "rules",
                Value::List(vec![
                    obj(vec![("port", n(80)), ("proto", s("tcp"))]),
                    obj(vec![("port", n(443)), ("proto", s("tcp"))]),
                ]),
            ),
        ]);
        let after = obj(vec![
            ("name", s("x")),
            ("list", Value::Tuple(vec![n(1), n(3), n(4)])),
            ("nested", obj(vec![("deep", s("v"))])),
            ("tags", Value::Map([("env".to_string(), s("prod")), ("owner".to_string(), s("me"))].into())),
            ("strings", Value::List(["a", "b", "x", "d", "e", "f"].map(s).to_vec())),
            ("set", Value::set(vec![s("p"), s("r"), s("s")])),
            (
                "rules",
                Value::List(vec![
                    obj(vec![("port", n(80)), ("proto", s("tcp"))]),
                    obj(vec![("port", n(8443)), ("proto", s("tcp"))]),
                    obj(vec![("port", Value::Unknown(Type::Number)), ("proto", s("udp"))]),
                ]),
            ),
        ]);
        let mut c = change(
            "module.net[\"eu\"].terraform_data.b",
            Action::Update,
            Some(data(Some("b-1"), before.clone())),
            Some(obj(vec![("id", s("b-1")), ("input", after.clone()), ("output", Value::Unknown(Type::Any))])),
        );
        c.replace_paths = vec!["input.tags".into()];
        let created = change("terraform_data.created", Action::Create, None, Some(data(None, before)));
        let p = plan(vec![c, created]);
        insta::assert_snapshot!(render_plan(&p, &RenderOptions::default()));
    }

    #[test]
    fn multiline_and_json_strings() {
        let p = plan(vec![
            change(
                "terraform_data.c",
                Action::Update,
                Some(data(Some("c"), s("line1\nline2\nline3\n"))),
                Some(obj(vec![
                    ("id", s("c")),
                    ("input", s("line1\nline2 changed\nline3\nline4\n")),
                    ("output", Value::Unknown(Type::Any)),
                ])),
            ),
            change(
                "terraform_data.g",
                Action::Update,
                Some(data(Some("g"), s(r#"{"a":1,"b":[1,2],"c":"s"}"#))),
                Some(obj(vec![
                    ("id", s("g")),
                    ("input", s(r#"{"a":2,"b":[1,2,3],"c":"s"}"#)),
                    ("output", Value::Unknown(Type::Any)),
                ])),
            ),
            change(
                "terraform_data.ws",
                Action::Update,
                Some(data(Some("w"), s(r#"{"a":1}"#))),
                Some(data(Some("w"), s("{ \"a\": 1 }"))),
            ),
            change("terraform_data.new", Action::Create, None, Some(data(None, s(r#"{"k":["v"]}"#)))),
            change(
                "terraform_data.tricky",
                Action::Update,
                Some(data(Some("t"), s("one line with \"quotes\"\tand tab"))),
                Some(data(Some("t"), s("now\ntwo"))),
            ),
        ]);
        insta::assert_snapshot!(render_plan(&p, &RenderOptions::default()));
    }

    #[test]
    fn render_value_is_hcl_like() {
        let v = obj(vec![
            ("a", n(1)),
            ("long_name", Value::Bool(true)),
            ("m", Value::Map([("k-1".to_string(), s("v"))].into())),
            ("l", Value::List(vec![Value::Unknown(Type::Any), Value::Null])),
            ("e", Value::List(vec![])),
            ("x y", Value::Number(0.5)),
        ]);
        insta::assert_snapshot!(render_value(&v, 0), @r#"
        {
            a         = 1
            e         = []
            l         = [
                (known after apply),
                null,
            ]
            long_name = true
            m         = {
                "k-1" = "v"
            }
            "x y"     = 0.5
        }
        "#);
    }

    #[test]
    fn odd_values_do_not_panic() {
        let odd = vec![
            Value::Number(f64::NAN),
            Value::Number(f64::INFINITY),
            Value::string("\u{1}\u{7f}"),
            Value::string("\n"),
            Value::string(""),
            Value::string("[not json"),
            Value::Sensitive(Box::new(Value::Sensitive(Box::new(Value::Null)))),
            Value::Unknown(Type::Any),
            Value::Set(vec![]),
            Value::Tuple(vec![Value::Null, Value::unknown()]),
        ];
        let mut changes = Vec::new();
        for (i, b) in odd.iter().enumerate() {
            for (j, a) in odd.iter().enumerate() {
                changes.push(change(
                    &format!("terraform_data.x{i}_{j}"),
                    Action::Update,
                    Some(Value::object([("v", b.clone())])),
                    Some(Value::object([("v", a.clone())])),
                ));
            }
            // Non-object resource values too.
            changes.push(change(&format!("terraform_data.y{i}"), Action::Update, Some(b.clone()), Some(odd[0].clone())));
        }
        let p = plan(changes);
        let _ = render_plan(&p, &RenderOptions { color: true, compact: false });
        let _ = render_plan(&p, &RenderOptions { color: false, compact: true });
    }
}
