//! Saved plans (`plan -out=FILE`, `apply FILE`).
//!
//! A plan file is JSON holding the changes (values split into JSON and
//! unknown/sensitive masks), the root variable values, a digest of every
//! configuration file, the prior state's lineage and serial, the workspace
//! and cairn's version. It is written 0600: it can hold sensitive values,
//! which are never printed from it.

use std::path::Path;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::encode::{decode, encode, Encoded};
use super::{Action, Change, OutputChange, Plan, Reason};
use crate::addrs::ResourceAddr;
use crate::config::model::Config;
use crate::value::Value;

const FORMAT: &str = "cairn-plan";
const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct FileChange {
    addr: ResourceAddr,
    action: Action,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    before: Option<Encoded>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    after: Option<Encoded>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    replace_paths: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<Reason>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    dependencies: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    import_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    moved_from: Option<ResourceAddr>,
}

#[derive(Serialize, Deserialize)]
struct FileOutput {
    name: String,
    before: Option<Encoded>,
    after: Option<Encoded>,
    sensitive: bool,
}

#[derive(Serialize, Deserialize)]
struct PlanFile {
    format: String,
    format_version: u32,
    cairn_version: String,
    workspace: String,
    prior_lineage: Option<String>,
    prior_serial: Option<u64>,
    config_digest: String,
    destroy: bool,
    refresh_only: bool,
    errored: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sandbox: Option<String>,
    variables: IndexMap<String, Encoded>,
    changes: Vec<FileChange>,
    drift: Vec<FileChange>,
    outputs: Vec<FileOutput>,
}

/// A plan read back from a file, with what apply must check.
#[derive(Debug, Clone)]
pub struct SavedPlan {
    pub plan: Plan,
    pub variables: IndexMap<String, Value>,
    pub config_digest: String,
    pub cairn_version: String,
}

fn to_file(c: &Change) -> FileChange {
    FileChange {
        addr: c.addr.clone(),
        action: c.action,
        before: c.before.as_ref().map(encode),
        after: c.after.as_ref().map(encode),
        replace_paths: c.replace_paths.clone(),
        reason: c.reason.clone(),
        dependencies: c.dependencies.clone(),
        import_id: c.import_id.clone(),
        moved_from: c.moved_from.clone(),
    }
}

fn from_file(c: FileChange) -> Change {
    Change {
        addr: c.addr,
        action: c.action,
        before: c.before.as_ref().map(decode),
        after: c.after.as_ref().map(decode),
        replace_paths: c.replace_paths,
        reason: c.reason,
        dependencies: c.dependencies,
        import_id: c.import_id,
        moved_from: c.moved_from,
    }
}

/// Writes a plan file (mode 0600).
pub fn write(path: &Path, plan: &Plan, variables: &IndexMap<String, Value>, config_digest: &str) -> Result<(), String> {
    let file = PlanFile {
        format: FORMAT.into(),
        format_version: VERSION,
        cairn_version: crate::VERSION.into(),
        workspace: plan.workspace.clone(),
        prior_lineage: plan.prior_lineage.clone(),
        prior_serial: plan.prior_serial,
        config_digest: config_digest.into(),
        destroy: plan.destroy,
        refresh_only: plan.refresh_only,
        errored: plan.errored,
        sandbox: plan.sandbox.clone(),
        variables: variables.iter().map(|(k, v)| (k.clone(), encode(v))).collect(),
        changes: plan.changes.iter().map(to_file).collect(),
        drift: plan.drift.iter().map(to_file).collect(),
        outputs: plan
            .outputs
            .iter()
            .map(|o| FileOutput { name: o.name.clone(), before: o.before.as_ref().map(encode), after: o.after.as_ref().map(encode), sensitive: o.sensitive })
            .collect(),
    };
    let bytes = serde_json::to_vec(&file).map_err(|e| format!("failed to encode the plan: {e}"))?;
    write_private(path, &bytes).map_err(|e| format!("failed to write plan file {}: {e}", path.display()))
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Reads a plan file. Errors say what is wrong and what to do.
pub fn read(path: &Path) -> Result<SavedPlan, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("failed to read plan file {}: {e}", path.display()))?;
    let file: PlanFile = serde_json::from_slice(&bytes).map_err(|e| {
        format!("{} is not a cairn plan file ({e}). Make one with `cairn plan -out={}`.", path.display(), path.display())
    })?;
    if file.format != FORMAT {
        return Err(format!("{} is not a cairn plan file.", path.display()));
    }
    if file.format_version > VERSION {
        return Err(format!(
            "{} was written by a newer cairn ({}), in plan format {}; this cairn ({}) reads format {VERSION}. Upgrade cairn, or plan again with this version.",
            path.display(),
            file.cairn_version,
            file.format_version,
            crate::VERSION
        ));
    }
    let plan = Plan {
        changes: file.changes.into_iter().map(from_file).collect(),
        drift: file.drift.into_iter().map(from_file).collect(),
        outputs: file
            .outputs
            .into_iter()
            .map(|o| OutputChange { name: o.name, before: o.before.as_ref().map(decode), after: o.after.as_ref().map(decode), sensitive: o.sensitive })
            .collect(),
        prior_lineage: file.prior_lineage,
        prior_serial: file.prior_serial,
        workspace: file.workspace,
        destroy: file.destroy,
        refresh_only: file.refresh_only,
        errored: file.errored,
        sandbox: file.sandbox,
    };
    Ok(SavedPlan {
        plan,
        variables: file.variables.iter().map(|(k, v)| (k.clone(), decode(v))).collect(),
        config_digest: file.config_digest,
        cairn_version: file.cairn_version,
    })
}

/// A digest of every configuration file of a stack (paths and contents).
pub fn config_digest(config: &Config) -> String {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let root = config.module.dir.clone();
    config.walk(&mut |c| {
        for f in crate::config::load::config_files(&c.module.dir).unwrap_or_default() {
            let rel = f.strip_prefix(&root).unwrap_or(&f).display().to_string();
            files.push((rel, std::fs::read(&f).unwrap_or_default()));
        }
    });
    files.sort();
    files.dedup();
    let mut h = Sha256::new();
    for (name, content) in files {
        h.update(name.as_bytes());
        h.update([0]);
        h.update((content.len() as u64).to_le_bytes());
        h.update(&content);
    }
    format!("{:x}", h.finalize())
}
