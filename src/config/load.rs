//! Reading a module directory into a [`Module`]: which files, which blocks,
//! which arguments each block allows, duplicates, labels. Every problem is
//! located and collected; loading never stops at the first.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use super::model::*;
use crate::addrs::ResourceMode;
use crate::diag::{Diagnostic, Diagnostics, SourceMap, Span};
use crate::eval::typeexpr;
use crate::syntax::ast::{Attribute, Block, Body, Expr, ExprKind};
use crate::value::Type;

/// Files larger than this are refused (a stack file is kilobytes; a huge
/// file is almost certainly not configuration).
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// The configuration files of a directory, sorted by name as Terraform reads them.
pub fn config_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let hidden = name.starts_with('.') || name.starts_with('#') || name.ends_with('~');
            !hidden && (name.ends_with(".tf") || name.ends_with(".tf.json")) && p.is_file()
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Reads and parses one file, turning I/O problems and invalid UTF-8 into
/// diagnostics.
pub fn parse_file(path: &Path, display: &str, sources: &SourceMap, diags: &mut Diagnostics) -> Option<Body> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            diags.push(Diagnostic::error("Failed to read file").with_detail(format!("The file {display:?} could not be read: {e}.")));
            return None;
        }
    };
    if meta.len() > MAX_FILE_BYTES {
        diags.push(Diagnostic::error("Configuration file too large").with_detail(format!(
            "The file {display:?} is {} bytes; cairn reads configuration files of at most {MAX_FILE_BYTES} bytes. Is it really configuration?",
            meta.len()
        )));
        return None;
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            diags.push(Diagnostic::error("Failed to read file").with_detail(format!("The file {display:?} could not be read: {e}.")));
            return None;
        }
    };
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let prefix = String::from_utf8_lossy(&e.as_bytes()[..at]).into_owned();
            let id = sources.add(display, path, lossy);
            diags.push(
                Diagnostic::error("Invalid character encoding")
                    .with_detail("All input files must be UTF-8 encoded. Ensure that UTF-8 encoding is selected in your editor.")
                    .with_subject(Span::new(id, prefix.len(), prefix.len() + 1)),
            );
            return None;
        }
    };
    let text = text.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(text);
    let is_json = display.ends_with(".json");
    let id = sources.add(display, path, text);
    let file = sources.get(id)?;
    let (body, file_diags) = if is_json {
        crate::syntax::json::parse(&file.text, id)
    } else {
        crate::syntax::parse(&file.text, id)
    };
    let failed = file_diags.has_errors();
    diags.extend(file_diags);
    // A file with syntax errors still contributes what parsed, so later
    // errors are found too; Terraform stops here, but reporting more is kinder.
    let _ = failed;
    Some(body)
}

/// Loads one module directory (not its children).
pub fn load_module(dir: &Path, display_dir: &str, sources: &SourceMap, diags: &mut Diagnostics) -> Module {
    let mut module = Module { dir: dir.to_path_buf(), ..Module::default() };
    let files = match config_files(dir) {
        Ok(f) => f,
        Err(e) => {
            diags.push(
                Diagnostic::error("Failed to read module directory")
                    .with_detail(format!("Module directory {display_dir:?} could not be read: {e}.")),
            );
            return module;
        }
    };
    for path in files {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let display = if display_dir.is_empty() || display_dir == "." { name.to_string() } else { format!("{display_dir}/{name}") };
        if let Some(body) = parse_file(&path, &display, sources, diags) {
            decode_file(&mut module, body, diags);
        }
    }
    module
}

fn decode_file(module: &mut Module, body: Body, diags: &mut Diagnostics) {
    for attr in &body.attributes {
        diags.push(
            Diagnostic::error("Unsupported argument")
                .with_detail(format!("An argument named \"{}\" is not expected here.", attr.name.name))
                .with_subject(attr.name.span),
        );
    }
    for block in body.blocks {
        match block.kind.name.as_str() {
            "terraform" => decode_terraform(module, block, diags),
            "provider" => {
                if let Some([name]) = labels::<1>(&block, &["name"], diags) {
                    let alias = string_attr(&block.body, "alias", diags);
                    module.providers.push(ProviderConfig { name, alias, span: block.span, body: block.body });
                }
            }
            "variable" => decode_variable(module, block, diags),
            "locals" => {
                for sub in &block.body.blocks {
                    diags.push(unsupported_block(sub, "locals"));
                }
                for attr in block.body.attributes {
                    let name = attr.name.name.clone();
                    if let Some(prev) = module.locals.get(&name) {
                        diags.push(duplicate("local value", &name, attr.name.span, prev.span, "A local value"));
                        continue;
                    }
                    module.locals.insert(name.clone(), Local { name, span: attr.span, expr: attr.expr });
                }
            }
            "output" => decode_output(module, block, diags),
            "resource" => decode_resource(module, block, ResourceMode::Managed, diags),
            "data" => decode_resource(module, block, ResourceMode::Data, diags),
            "module" => decode_module_call(module, block, diags),
            "moved" => {
                let mut c = Checker::new(&block.body, "moved", diags);
                let from = c.required("from", block.span);
                let to = c.required("to", block.span);
                c.finish();
                if let (Some(from), Some(to)) = (from, to) {
                    module.moved.push(Moved { from, to, span: block.span });
                }
            }
            "import" => {
                let mut c = Checker::new(&block.body, "import", diags);
                let to = c.required("to", block.span);
                let id = c.required("id", block.span);
                let for_each = c.optional("for_each");
                let provider = c.optional("provider");
                c.finish();
                if let (Some(to), Some(id)) = (to, id) {
                    module.imports.push(Import { to, id, for_each, provider, span: block.span });
                }
            }
            "check" => decode_check(module, block, diags),
            other => diags.push(
                Diagnostic::error("Unsupported block type")
                    .with_detail(format!(
                        "Blocks of type \"{other}\" are not expected here. The top level of a configuration accepts terraform, provider, variable, locals, output, resource, data, module, moved, import and check blocks."
                    ))
                    .with_subject(block.kind.span),
            ),
        }
    }
}

/// Checks a block's labels; returns them when the count is right.
fn labels<const N: usize>(block: &Block, names: &[&str; N], diags: &mut Diagnostics) -> Option<[String; N]> {
    if block.labels.len() != N {
        let (summary, detail) = if block.labels.len() < N {
            (
                format!("Missing {} for {}", names[block.labels.len()], block.kind.name),
                format!(
                    "All {} blocks must have {} label{} ({}).",
                    block.kind.name,
                    N,
                    if N == 1 { "" } else { "s" },
                    names.join(", ")
                ),
            )
        } else {
            (
                format!("Extraneous label for {}", block.kind.name),
                format!("Only {N} label{} expected for {} blocks.", if N == 1 { "" } else { "s" }, block.kind.name),
            )
        };
        let subject = block.labels.get(N).map(|l| l.span).unwrap_or(block.kind.span);
        diags.push(Diagnostic::error(summary).with_detail(detail).with_subject(subject));
        return None;
    }
    let mut out: [String; N] = std::array::from_fn(|_| String::new());
    for (i, l) in block.labels.iter().enumerate() {
        if !is_valid_name(&l.name) {
            diags.push(
                Diagnostic::error(format!("Invalid {} name", names[i]))
                    .with_detail("A name must start with a letter or underscore and may contain only letters, digits, underscores, and dashes.")
                    .with_subject(l.span),
            );
            return None;
        }
        out[i] = l.name.clone();
    }
    Some(out)
}

pub fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

fn unsupported_block(block: &Block, parent: &str) -> Diagnostic {
    Diagnostic::error("Unsupported block type")
        .with_detail(format!("Blocks of type \"{}\" are not expected here (in a {parent} block).", block.kind.name))
        .with_subject(block.kind.span)
}

fn duplicate(what: &str, name: &str, span: Span, previous: Span, article: &str) -> Diagnostic {
    let _ = previous;
    Diagnostic::error(format!("Duplicate {what} definition"))
        .with_detail(format!("{article} named \"{name}\" was already declared earlier in this module. Names must be unique."))
        .with_subject(span)
}

/// Tracks which attributes and blocks of a body were consumed, to report
/// the rest as unsupported.
struct Checker<'a, 'd> {
    body: &'a Body,
    kind: &'a str,
    used_attrs: Vec<&'a str>,
    used_blocks: Vec<&'a str>,
    diags: &'d mut Diagnostics,
}

impl<'a, 'd> Checker<'a, 'd> {
    fn new(body: &'a Body, kind: &'a str, diags: &'d mut Diagnostics) -> Checker<'a, 'd> {
        let mut seen: Vec<&str> = Vec::new();
        for a in &body.attributes {
            if seen.contains(&a.name.name.as_str()) {
                diags.push(
                    Diagnostic::error("Duplicate argument")
                        .with_detail(format!("The argument \"{}\" was already set. Each argument may be set only once.", a.name.name))
                        .with_subject(a.name.span),
                );
            }
            seen.push(&a.name.name);
        }
        Checker { body, kind, used_attrs: Vec::new(), used_blocks: Vec::new(), diags }
    }

    fn optional(&mut self, name: &'a str) -> Option<Expr> {
        self.used_attrs.push(name);
        self.body.attribute(name).map(|a| a.expr.clone())
    }

    fn required(&mut self, name: &'a str, block_span: Span) -> Option<Expr> {
        let e = self.optional(name);
        if e.is_none() {
            self.diags.push(
                Diagnostic::error("Missing required argument")
                    .with_detail(format!("The argument \"{name}\" is required, but no definition was found."))
                    .with_subject(block_span.min_head()),
            );
        }
        e
    }

    fn blocks(&mut self, name: &'a str) -> Vec<&'a Block> {
        self.used_blocks.push(name);
        self.body.blocks_of(name).collect()
    }

    fn finish(self) {
        for a in &self.body.attributes {
            if !self.used_attrs.contains(&a.name.name.as_str()) {
                self.diags.push(
                    Diagnostic::error("Unsupported argument")
                        .with_detail(format!("An argument named \"{}\" is not expected here (in a {} block).", a.name.name, self.kind))
                        .with_subject(a.name.span),
                );
            }
        }
        for b in &self.body.blocks {
            if !self.used_blocks.contains(&b.kind.name.as_str()) {
                self.diags.push(unsupported_block(b, self.kind));
            }
        }
    }
}

trait SpanHead {
    fn min_head(self) -> Span;
}

impl SpanHead for Span {
    /// Just the first character: diagnostics about a whole block point at its start.
    fn min_head(self) -> Span {
        Span { end: self.start + 1, ..self }
    }
}

/// A literal string attribute (`alias = "west"`), or a diagnostic.
fn string_attr(body: &Body, name: &str, diags: &mut Diagnostics) -> Option<String> {
    let attr = body.attribute(name)?;
    literal_string(&attr.expr, name, diags)
}

fn literal_string(expr: &Expr, name: &str, diags: &mut Diagnostics) -> Option<String> {
    match &expr.kind {
        ExprKind::Template(t) if t.as_literal().is_some() => t.as_literal().map(str::to_string),
        // Bare words (`alias = west`) are accepted by Terraform only in a few places.
        _ => {
            diags.push(
                Diagnostic::error("Invalid value")
                    .with_detail(format!("The value of \"{name}\" must be a literal string; expressions are not allowed here."))
                    .with_subject(expr.span),
            );
            None
        }
    }
}

fn literal_bool(expr: &Expr, name: &str, diags: &mut Diagnostics) -> Option<bool> {
    match &expr.kind {
        ExprKind::Bool(b) => Some(*b),
        _ => {
            diags.push(
                Diagnostic::error("Invalid value")
                    .with_detail(format!("The value of \"{name}\" must be true or false; expressions are not allowed here."))
                    .with_subject(expr.span),
            );
            None
        }
    }
}

/// `depends_on = [a.b, module.c]`: a list of references.
fn reference_list(expr: &Expr, what: &str, diags: &mut Diagnostics) -> Vec<Expr> {
    match &expr.kind {
        ExprKind::Tuple(items) => {
            let mut out = Vec::new();
            for item in items {
                if crate::eval::refs::references(item).len() == 1 && is_traversal(item) {
                    out.push(item.clone());
                } else {
                    diags.push(
                        Diagnostic::error(format!("Invalid {what} reference"))
                            .with_detail(format!("The items of {what} must be references to resources, data sources or modules, like aws_instance.web or module.net."))
                            .with_subject(item.span),
                    );
                }
            }
            out
        }
        _ => {
            diags.push(
                Diagnostic::error(format!("Invalid {what}"))
                    .with_detail(format!("The {what} argument must be a list of references."))
                    .with_subject(expr.span),
            );
            Vec::new()
        }
    }
}

fn is_traversal(expr: &Expr) -> bool {
    match &expr.kind {
        ExprKind::Variable(_) => true,
        ExprKind::GetAttr { expr, .. } => is_traversal(expr),
        ExprKind::Index { expr, key } => is_traversal(expr) && matches!(key.kind, ExprKind::Number(_) | ExprKind::Template(_)),
        _ => false,
    }
}

fn decode_terraform(module: &mut Module, block: Block, diags: &mut Diagnostics) {
    if !block.labels.is_empty() {
        diags.push(
            Diagnostic::error("Extraneous label for terraform")
                .with_detail("No labels are expected for terraform blocks.")
                .with_subject(block.labels[0].span),
        );
    }
    let mut c = Checker::new(&block.body, "terraform", diags);
    let required_version = c.optional("required_version");
    let _experiments = c.optional("experiments");
    let _language = c.optional("language");
    let backends = c.blocks("backend");
    let _cloud = c.blocks("cloud");
    let required = c.blocks("required_providers");
    let _meta = c.blocks("provider_meta");
    c.finish();
    if let Some(e) = required_version {
        if let Some(v) = literal_string(&e, "required_version", diags) {
            module.terraform.required_version = Some((v, e.span));
        }
    }
    for b in backends {
        if let Some([kind]) = labels::<1>(b, &["backend type"], diags) {
            if module.terraform.backend.is_some() {
                diags.push(
                    Diagnostic::error("Duplicate backend configuration")
                        .with_detail("A module may have only one backend configuration.")
                        .with_subject(b.kind.span),
                );
            } else {
                module.terraform.backend = Some(Backend { kind, body: b.body.clone(), span: b.span });
            }
        }
    }
    for rp in required {
        for attr in &rp.body.attributes {
            let (source, version) = match &attr.expr.kind {
                ExprKind::Object(items) => {
                    let mut source = None;
                    let mut version = None;
                    for item in items {
                        let key = match &item.key {
                            crate::syntax::ast::ObjectKey::Ident(i) => i.name.clone(),
                            crate::syntax::ast::ObjectKey::Expr(e) => match &e.kind {
                                ExprKind::Template(t) => t.as_literal().unwrap_or("").to_string(),
                                _ => String::new(),
                            },
                        };
                        let val = match &item.value.kind {
                            ExprKind::Template(t) => t.as_literal().map(str::to_string),
                            _ => None,
                        };
                        match key.as_str() {
                            "source" => source = val,
                            "version" => version = val,
                            "configuration_aliases" => {}
                            _ => diags.push(
                                Diagnostic::error("Invalid required_providers object")
                                    .with_detail("required_providers objects can only contain \"version\", \"source\" and \"configuration_aliases\" attributes.")
                                    .with_subject(item.key.span()),
                            ),
                        }
                    }
                    (source, version)
                }
                ExprKind::Template(t) => (None, t.as_literal().map(str::to_string)),
                _ => {
                    diags.push(
                        Diagnostic::error("Invalid required_providers object")
                            .with_detail("Each entry of required_providers must be an object with source and version.")
                            .with_subject(attr.expr.span),
                    );
                    (None, None)
                }
            };
            module.terraform.required_providers.insert(attr.name.name.clone(), (source, version));
        }
    }
}

fn decode_variable(module: &mut Module, block: Block, diags: &mut Diagnostics) {
    let Some([name]) = labels::<1>(&block, &["variable name"], diags) else { return };
    if is_reserved_variable(&name) {
        diags.push(
            Diagnostic::error("Invalid variable name")
                .with_detail(format!("The variable name \"{name}\" is reserved due to its special meaning inside module blocks."))
                .with_subject(block.labels[0].span),
        );
    }
    let mut c = Checker::new(&block.body, "variable", diags);
    let type_expr = c.optional("type");
    let default = c.optional("default");
    let description = c.optional("description");
    let sensitive = c.optional("sensitive");
    let nullable = c.optional("nullable");
    let _ephemeral = c.optional("ephemeral");
    let validations = c.blocks("validation");
    c.finish();
    let (ty, has_type) = match &type_expr {
        Some(e) => match typeexpr::parse_type(e) {
            Ok(t) => (t, true),
            Err(d) => {
                diags.push(d);
                (Type::Any, true)
            }
        },
        None => (Type::Any, false),
    };
    if let (Some(d), true) = (&default, has_type) {
        check_default(&name, d, &ty, diags);
    }
    let validations = validations.into_iter().filter_map(|b| decode_condition(b, diags)).collect();
    let var = Variable {
        name: name.clone(),
        ty,
        has_type,
        default,
        description: description.and_then(|e| literal_string(&e, "description", diags)),
        sensitive: sensitive.and_then(|e| literal_bool(&e, "sensitive", diags)).unwrap_or(false),
        nullable: nullable.and_then(|e| literal_bool(&e, "nullable", diags)).unwrap_or(true),
        validations,
        span: block.kind.span.to(block.labels[0].span),
    };
    if let Some(prev) = module.variables.get(&name) {
        diags.push(duplicate("variable", &name, var.span, prev.span, "A variable"));
        return;
    }
    module.variables.insert(name, var);
}

/// A default must be a constant of the variable's type.
fn check_default(name: &str, default: &Expr, ty: &Type, diags: &mut Diagnostics) {
    let funcs = crate::eval::FuncContext::default();
    let mut ev = crate::eval::Evaluator::new(&crate::eval::EmptyScope, &funcs);
    match ev.eval(default) {
        Ok(v) => {
            if let Err(e) = crate::value::convert::convert(v, ty) {
                diags.push(
                    Diagnostic::error("Invalid default value for variable")
                        .with_detail(format!("This default value is not compatible with the variable's type constraint: {e}."))
                        .with_subject(default.span),
                );
            }
        }
        Err(d) => diags.push(d),
    }
    let _ = name;
}

fn is_reserved_variable(name: &str) -> bool {
    matches!(name, "source" | "version" | "providers" | "count" | "for_each" | "lifecycle" | "depends_on" | "locals")
}

fn decode_condition(block: &Block, diags: &mut Diagnostics) -> Option<Condition> {
    let mut c = Checker::new(&block.body, &block.kind.name, diags);
    let condition = c.required("condition", block.span);
    let error_message = c.required("error_message", block.span);
    c.finish();
    Some(Condition { condition: condition?, error_message: error_message?, span: block.span })
}

fn decode_output(module: &mut Module, block: Block, diags: &mut Diagnostics) {
    let Some([name]) = labels::<1>(&block, &["output name"], diags) else { return };
    let mut c = Checker::new(&block.body, "output", diags);
    let value = c.required("value", block.span);
    let description = c.optional("description");
    let sensitive = c.optional("sensitive");
    let depends_on = c.optional("depends_on");
    let _ephemeral = c.optional("ephemeral");
    let preconditions = c.blocks("precondition");
    c.finish();
    let Some(expr) = value else { return };
    let out = Output {
        name: name.clone(),
        expr,
        description: description.and_then(|e| literal_string(&e, "description", diags)),
        sensitive: sensitive.and_then(|e| literal_bool(&e, "sensitive", diags)).unwrap_or(false),
        depends_on: depends_on.map(|e| reference_list(&e, "depends_on", diags)).unwrap_or_default(),
        preconditions: preconditions.into_iter().filter_map(|b| decode_condition(b, diags)).collect(),
        span: block.kind.span.to(block.labels[0].span),
    };
    if let Some(prev) = module.outputs.get(&name) {
        diags.push(duplicate("output", &name, out.span, prev.span, "An output"));
        return;
    }
    module.outputs.insert(name, out);
}

/// Meta-arguments of resource blocks; everything else belongs to the type's schema.
const RESOURCE_META: &[&str] = &["count", "for_each", "depends_on", "provider", "lifecycle", "provisioner", "connection"];

fn decode_resource(module: &mut Module, mut block: Block, mode: ResourceMode, diags: &mut Diagnostics) {
    let what = if mode == ResourceMode::Managed { "resource" } else { "data resource" };
    let Some([type_name, name]) = labels::<2>(&block, &[&format!("{what} type"), &format!("{what} name")], diags) else {
        return;
    };
    let decl_span = block.kind.span.to(block.labels[1].span);
    let mut count = None;
    let mut for_each = None;
    let mut depends_on = Vec::new();
    let mut provider = None;
    let mut lifecycle = Lifecycle::default();
    let attrs = std::mem::take(&mut block.body.attributes);
    for attr in attrs {
        match attr.name.name.as_str() {
            "count" => count = Some(attr.expr),
            "for_each" => for_each = Some(attr.expr),
            "depends_on" => depends_on = reference_list(&attr.expr, "depends_on", diags),
            "provider" => provider = decode_provider_ref(&attr.expr, diags),
            _ => block.body.attributes.push(attr),
        }
    }
    if let (Some(c), Some(_)) = (&count, &for_each) {
        diags.push(
            Diagnostic::error("Invalid combination of \"count\" and \"for_each\"")
                .with_detail("The \"count\" and \"for_each\" meta-arguments are mutually-exclusive, only one should be used to be explicit about the number of resources to be created.")
                .with_subject(c.span),
        );
    }
    let blocks = std::mem::take(&mut block.body.blocks);
    let mut seen_lifecycle = false;
    for b in blocks {
        match b.kind.name.as_str() {
            "lifecycle" if mode == ResourceMode::Managed || b.body.blocks.iter().all(|x| x.kind.name != "ignore") => {
                if seen_lifecycle {
                    diags.push(
                        Diagnostic::error("Duplicate lifecycle block")
                            .with_detail("At most one lifecycle block is allowed per resource.")
                            .with_subject(b.kind.span),
                    );
                    continue;
                }
                seen_lifecycle = true;
                lifecycle = decode_lifecycle(&b, mode, diags);
            }
            "provisioner" | "connection" if mode == ResourceMode::Managed => {
                // Provisioners run commands on machines; cairn manages APIs only.
                diags.push(
                    Diagnostic::warning("Provisioners are not supported")
                        .with_detail("cairn does not run provisioners; this block is ignored. Use a startup script or a CI step instead.")
                        .with_subject(b.kind.span),
                );
            }
            _ => block.body.blocks.push(b),
        }
    }
    let resource = Resource {
        mode,
        type_name,
        name,
        count,
        for_each,
        depends_on,
        provider,
        lifecycle,
        body: block.body,
        decl_span,
        span: block.span,
    };
    let key = resource.key();
    if module.resources.contains_key(&key) {
        diags.push(
            Diagnostic::error(format!("Duplicate {what} \"{}\" configuration", resource.type_name))
                .with_detail(format!(
                    "A {} {} named \"{}\" was already declared earlier in this module. Resource names must be unique per type in each module.",
                    resource.type_name,
                    what,
                    resource.name
                ))
                .with_subject(decl_span),
        );
        return;
    }
    let _ = RESOURCE_META;
    module.resources.insert(key, resource);
}

fn decode_provider_ref(expr: &Expr, diags: &mut Diagnostics) -> Option<(String, Option<String>, Span)> {
    match &expr.kind {
        ExprKind::Variable(name) => Some((name.clone(), None, expr.span)),
        ExprKind::GetAttr { expr: inner, name: alias } => match &inner.kind {
            ExprKind::Variable(name) => Some((name.clone(), Some(alias.name.clone()), expr.span)),
            _ => invalid_provider_ref(expr, diags),
        },
        _ => invalid_provider_ref(expr, diags),
    }
}

fn invalid_provider_ref(expr: &Expr, diags: &mut Diagnostics) -> Option<(String, Option<String>, Span)> {
    diags.push(
        Diagnostic::error("Invalid provider reference")
            .with_detail("A provider reference must be a provider name, optionally followed by an alias: google or google.west.")
            .with_subject(expr.span),
    );
    None
}

fn decode_lifecycle(block: &Block, mode: ResourceMode, diags: &mut Diagnostics) -> Lifecycle {
    let mut lc = Lifecycle::default();
    let mut c = Checker::new(&block.body, "lifecycle", diags);
    let managed = mode == ResourceMode::Managed;
    let cbd = if managed { c.optional("create_before_destroy") } else { None };
    let pd = if managed { c.optional("prevent_destroy") } else { None };
    let ic = if managed { c.optional("ignore_changes") } else { None };
    let rtb = if managed { c.optional("replace_triggered_by") } else { None };
    let pre = c.blocks("precondition");
    let post = c.blocks("postcondition");
    c.finish();
    for (e, name) in [(&cbd, "create_before_destroy"), (&pd, "prevent_destroy")] {
        if let Some(e) = e {
            literal_bool(e, name, diags);
        }
    }
    lc.create_before_destroy = cbd;
    lc.prevent_destroy = pd;
    if let Some(e) = ic {
        lc.ignore_changes = match &e.kind {
            ExprKind::Variable(v) if v == "all" => IgnoreChanges::All,
            ExprKind::Template(t) if t.as_literal() == Some("all") => IgnoreChanges::All,
            ExprKind::Tuple(items) => {
                let mut paths = Vec::new();
                for item in items {
                    if is_traversal(item) {
                        paths.push(item.clone());
                    } else {
                        diags.push(
                            Diagnostic::error("Invalid ignore_changes")
                                .with_detail("Each item of ignore_changes must be an attribute path of this resource, like tags or labels[\"team\"].")
                                .with_subject(item.span),
                        );
                    }
                }
                IgnoreChanges::Paths(paths)
            }
            _ => {
                diags.push(
                    Diagnostic::error("Invalid ignore_changes")
                        .with_detail("ignore_changes must be a list of attribute paths, or the keyword all.")
                        .with_subject(e.span),
                );
                IgnoreChanges::None
            }
        };
    }
    if let Some(e) = rtb {
        lc.replace_triggered_by = match &e.kind {
            ExprKind::Tuple(items) => items.clone(),
            _ => {
                diags.push(
                    Diagnostic::error("Invalid replace_triggered_by")
                        .with_detail("replace_triggered_by must be a list of references to resources or their attributes.")
                        .with_subject(e.span),
                );
                Vec::new()
            }
        };
    }
    lc.preconditions = pre.into_iter().filter_map(|b| decode_condition(b, diags)).collect();
    lc.postconditions = post.into_iter().filter_map(|b| decode_condition(b, diags)).collect();
    lc
}

fn decode_module_call(module: &mut Module, block: Block, diags: &mut Diagnostics) {
    let Some([name]) = labels::<1>(&block, &["module name"], diags) else { return };
    let decl_span = block.kind.span.to(block.labels[0].span);
    let mut source = None;
    let mut version = None;
    let mut count = None;
    let mut for_each = None;
    let mut depends_on = Vec::new();
    let mut providers = Vec::new();
    let mut inputs: IndexMap<String, Attribute> = IndexMap::new();
    for attr in &block.body.attributes {
        match attr.name.name.as_str() {
            "source" => source = literal_string(&attr.expr, "source", diags).map(|s| (s, attr.expr.span)),
            "version" => version = literal_string(&attr.expr, "version", diags),
            "count" => count = Some(attr.expr.clone()),
            "for_each" => for_each = Some(attr.expr.clone()),
            "depends_on" => depends_on = reference_list(&attr.expr, "depends_on", diags),
            "providers" => match &attr.expr.kind {
                ExprKind::Object(items) => {
                    for item in items {
                        let key = match &item.key {
                            crate::syntax::ast::ObjectKey::Ident(i) => Expr::new(ExprKind::Variable(i.name.clone()), i.span),
                            crate::syntax::ast::ObjectKey::Expr(e) => e.clone(),
                        };
                        providers.push((key, item.value.clone()));
                    }
                }
                _ => diags.push(
                    Diagnostic::error("Invalid providers argument")
                        .with_detail("providers must be a map from child provider names to provider configurations, like { google = google.west }.")
                        .with_subject(attr.expr.span),
                ),
            },
            _ => {
                inputs.insert(attr.name.name.clone(), attr.clone());
            }
        }
    }
    for b in &block.body.blocks {
        if b.kind.name != "lifecycle" {
            diags.push(unsupported_block(b, "module"));
        }
    }
    if let (Some(c), Some(_)) = (&count, &for_each) {
        diags.push(
            Diagnostic::error("Invalid combination of \"count\" and \"for_each\"")
                .with_detail("The \"count\" and \"for_each\" meta-arguments are mutually-exclusive.")
                .with_subject(c.span),
        );
    }
    let Some((source, source_span)) = source else {
        diags.push(
            Diagnostic::error("Missing required argument")
                .with_detail("The argument \"source\" is required, but no definition was found.")
                .with_subject(decl_span),
        );
        return;
    };
    let call = ModuleCall {
        name: name.clone(),
        source,
        source_span,
        version,
        count,
        for_each,
        depends_on,
        providers,
        inputs,
        decl_span,
        span: block.span,
    };
    if let Some(prev) = module.module_calls.get(&name) {
        diags.push(duplicate("module call", &name, call.decl_span, prev.decl_span, "A module call"));
        return;
    }
    module.module_calls.insert(name, call);
}

fn decode_check(module: &mut Module, block: Block, diags: &mut Diagnostics) {
    let Some([name]) = labels::<1>(&block, &["check name"], diags) else { return };
    let mut data = Vec::new();
    let mut asserts = Vec::new();
    for attr in &block.body.attributes {
        diags.push(
            Diagnostic::error("Unsupported argument")
                .with_detail(format!("An argument named \"{}\" is not expected here (in a check block).", attr.name.name))
                .with_subject(attr.name.span),
        );
    }
    for b in &block.body.blocks {
        match b.kind.name.as_str() {
            "assert" => {
                if let Some(c) = decode_condition(b, diags) {
                    asserts.push(c);
                }
            }
            "data" => {
                let mut scratch = Module::default();
                decode_resource(&mut scratch, b.clone(), ResourceMode::Data, diags);
                data.extend(scratch.resources.into_values());
            }
            _ => diags.push(unsupported_block(b, "check")),
        }
    }
    if asserts.is_empty() {
        diags.push(
            Diagnostic::error("Missing assert block")
                .with_detail("A check block must contain at least one assert block.")
                .with_subject(block.kind.span),
        );
    }
    module.checks.push(Check { name, data, asserts, span: block.span });
}
