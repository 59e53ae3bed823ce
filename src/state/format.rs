//! The state file format: Terraform's state v4 JSON layout plus cairn's
//! fields.
//!
//! ```json
//! {
//!   "version": 4,
//!   "terraform_version": "1.11.0",
//!   "cairn_version": "0.1.0",
//!   "cairn_format": 1,
//!   "serial": 3,
//!   "lineage": "…uuid…",
//!   "outputs": { "name": { "value": …, "type": …, "sensitive": true } },
//!   "resources": [ { "module": "module.net", "mode": "managed", "type": …,
//!                    "name": …, "provider": …, "instances": [ … ] } ],
//!   "check_results": null,
//!   "pending": [ … ]
//! }
//! ```
//!
//! `terraform_version` is written so tools that read Terraform state accept
//! the file; `cairn_format` is the revision of cairn's own additions (the
//! `pending` journal) and is bumped when an older cairn could misread a
//! file. Terraform-written v4 state (no cairn fields) is read as-is. Unknown
//! resource and instance fields are preserved.
//!
//! Files are pretty-printed with a two-space indent and end with a newline.
//! Instances record only their direct dependencies, so the file size grows
//! linearly with the number of resources.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::model::{OutputState, PendingOperation, ResourceState, State, FORMAT_VERSION};

/// The revision of cairn's additions to the v4 layout this build writes and
/// the newest it reads.
pub const CAIRN_FORMAT: u64 = 1;

/// The Terraform version written in `terraform_version`: the release whose
/// state layout cairn follows.
pub const TERRAFORM_COMPAT_VERSION: &str = "1.11.0";

/// Why a state file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// Not JSON, or JSON of the wrong shape.
    #[error("state file {location} is malformed at line {line}, column {column}: {message}")]
    Malformed {
        /// The file (or object) the bytes came from.
        location: String,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A state format version newer than this cairn knows.
    #[error(
        "state file {location} uses state format version {version}, but this cairn ({ours}) only \
         understands version {max}; upgrade cairn to work with this state",
        ours = crate::VERSION,
        max = FORMAT_VERSION
    )]
    TooNew {
        /// The file.
        location: String,
        /// Its format version.
        version: u64,
    },
    /// Written by a newer cairn whose additions this cairn could misread.
    #[error(
        "state file {location} was written by cairn {written_by} using cairn state format \
         {format}, but this cairn ({ours}) only understands format {max}; upgrade cairn to work \
         with this state",
        ours = crate::VERSION,
        max = CAIRN_FORMAT
    )]
    CairnTooNew {
        /// The file.
        location: String,
        /// Its `cairn_format`.
        format: u64,
        /// Its `cairn_version`, or `"an unknown version"`.
        written_by: String,
    },
    /// A pre-v4 state (Terraform 0.11 and older).
    #[error(
        "state file {location} uses state format version {version}, which cairn does not read; \
         upgrade it to version 4 by running `terraform apply` with Terraform 0.12 or newer first"
    )]
    TooOld {
        /// The file.
        location: String,
        /// Its format version.
        version: u64,
    },
    /// Well-formed JSON whose content is contradictory (e.g. one instance
    /// recorded twice).
    #[error("state file {location} is invalid: {message}")]
    Invalid {
        /// The file.
        location: String,
        /// What is wrong.
        message: String,
    },
    /// Serialization failed (not expected for well-formed models).
    #[error("cannot encode state for {location}: {message}")]
    Encode {
        /// Where it was going to be written.
        location: String,
        /// What failed.
        message: String,
    },
}

/// Just enough of the file to decide whether we can read the rest.
#[derive(Deserialize)]
struct Header {
    version: Option<u64>,
    #[serde(default)]
    cairn_format: Option<u64>,
    #[serde(default)]
    cairn_version: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct FileV4 {
    version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    terraform_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cairn_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cairn_format: Option<u64>,
    #[serde(default)]
    serial: u64,
    #[serde(default)]
    lineage: String,
    #[serde(default)]
    outputs: BTreeMap<String, OutputState>,
    #[serde(default)]
    resources: Vec<ResourceState>,
    #[serde(default)]
    check_results: Json,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pending: Vec<PendingOperation>,
}

/// The same layout as [`FileV4`], borrowing: for writes without copying.
#[derive(Serialize)]
struct FileV4Ref<'a> {
    version: u64,
    terraform_version: &'a str,
    cairn_version: &'a str,
    cairn_format: u64,
    serial: u64,
    lineage: &'a str,
    outputs: &'a BTreeMap<String, OutputState>,
    resources: &'a [ResourceState],
    check_results: Json,
    #[serde(skip_serializing_if = "<[PendingOperation]>::is_empty")]
    pending: &'a [PendingOperation],
}

fn malformed(location: &str, e: &serde_json::Error) -> FormatError {
    // serde_json reports "… at line L column C" in its Display; keep only the message.
    let full = e.to_string();
    let message = match full.rfind(" at line ") {
        Some(i) => full[..i].to_string(),
        None => full,
    };
    FormatError::Malformed {
        location: location.to_string(),
        line: e.line(),
        column: e.column(),
        message,
    }
}

/// Parses a state file. `location` names the file in errors.
///
/// Accepts v4 files written by cairn or Terraform; refuses newer format
/// versions or newer cairn formats with a message telling the user to
/// upgrade cairn. An empty lineage (hand-written files) gets a fresh one.
pub fn from_bytes(bytes: &[u8], location: &str) -> Result<State, FormatError> {
    let header: Header = serde_json::from_slice(bytes).map_err(|e| malformed(location, &e))?;
    let version = header.version.ok_or_else(|| FormatError::Malformed {
        location: location.to_string(),
        line: 1,
        column: 1,
        message: "missing the \"version\" field".to_string(),
    })?;
    if version > FORMAT_VERSION {
        return Err(FormatError::TooNew {
            location: location.to_string(),
            version,
        });
    }
    if version < FORMAT_VERSION {
        return Err(FormatError::TooOld {
            location: location.to_string(),
            version,
        });
    }
    if let Some(format) = header.cairn_format {
        if format > CAIRN_FORMAT {
            return Err(FormatError::CairnTooNew {
                location: location.to_string(),
                format,
                written_by: header
                    .cairn_version
                    .unwrap_or_else(|| "an unknown version".to_string()),
            });
        }
    }
    let file: FileV4 = serde_json::from_slice(bytes).map_err(|e| malformed(location, &e))?;
    check_unique(&file.resources, location)?;
    let lineage = if file.lineage.is_empty() {
        uuid::Uuid::new_v4().to_string()
    } else {
        file.lineage
    };
    let mut state = State {
        version: file.version,
        cairn_version: file.cairn_version,
        serial: file.serial,
        lineage,
        outputs: file.outputs,
        resources: file.resources,
        pending: file.pending,
    };
    // Lookups rely on canonical order.
    state.normalize();
    Ok(state)
}

/// Refuses a resource recorded twice, or an instance object (key, deposed
/// key) recorded twice within a resource.
fn check_unique(resources: &[ResourceState], location: &str) -> Result<(), FormatError> {
    let mut seen = std::collections::HashSet::new();
    for r in resources {
        let addr = r.instance_addr(None);
        if !seen.insert((
            r.module.as_str(),
            r.mode,
            r.type_name.as_str(),
            r.name.as_str(),
        )) {
            return Err(FormatError::Invalid {
                location: location.to_string(),
                message: format!("resource {addr} is recorded more than once"),
            });
        }
        let mut objects = std::collections::HashSet::new();
        for i in &r.instances {
            if !objects.insert((&i.index_key, &i.deposed)) {
                let inst = r.instance_addr(i.index_key.clone());
                let what = match &i.deposed {
                    Some(d) => format!("deposed object {d} of {inst}"),
                    None => format!("instance {inst}"),
                };
                return Err(FormatError::Invalid {
                    location: location.to_string(),
                    message: format!("{what} is recorded more than once"),
                });
            }
        }
    }
    Ok(())
}

/// Encodes `state` as a state file: normalized order (see
/// [`State::normalize`]), two-space indent, trailing newline, stamped with
/// this cairn's version. `location` names the destination in errors.
pub fn to_bytes(state: &State, location: &str) -> Result<Vec<u8>, FormatError> {
    let mut s = state.clone();
    s.normalize();
    to_bytes_as_is(&s, location)
}

/// Like [`to_bytes`] for a state already in canonical order (see
/// [`State::normalize`]): no copy is made. Apply keeps its state canonical,
/// and writes it after every change, so this is its path.
pub fn to_bytes_as_is(state: &State, location: &str) -> Result<Vec<u8>, FormatError> {
    let file = FileV4Ref {
        version: FORMAT_VERSION,
        terraform_version: TERRAFORM_COMPAT_VERSION,
        cairn_version: crate::VERSION,
        cairn_format: CAIRN_FORMAT,
        serial: state.serial,
        lineage: &state.lineage,
        outputs: &state.outputs,
        resources: &state.resources,
        check_results: Json::Null,
        pending: &state.pending,
    };
    let mut out = serde_json::to_vec_pretty(&file).map_err(|e| FormatError::Encode {
        location: location.to_string(),
        message: e.to_string(),
    })?;
    out.push(b'\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::model::*;
    use serde_json::json;

    const TF_FIXTURE: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/state/terraform-1.11.tfstate"
    );

    fn fixture() -> Vec<u8> {
        std::fs::read(TF_FIXTURE).unwrap_or_else(|e| panic!("reading {TF_FIXTURE}: {e}"))
    }

    fn sample() -> State {
        let mut s = State::new();
        s.serial = 7;
        let p = "provider[\"terraform.io/builtin/terraform\"]";
        let mut i =
            InstanceState::new(json!({"id": "x", "input": {"value": "s", "type": "string"}}));
        i.dependencies = vec!["terraform_data.a".into()];
        i.sensitive_attributes = vec![vec![
            PathStep::GetAttr("input".into()),
            PathStep::Index(json!(0)),
        ]];
        i.create_before_destroy = true;
        s.insert_instance(
            &InstanceAddr::managed("terraform_data", "b")
                .in_module("module.net[\"a\"]")
                .with_key(IndexKey::Str("k".into())),
            p,
            i,
        );
        s.insert_instance(
            &InstanceAddr::managed("terraform_data", "a"),
            p,
            InstanceState::new(json!({"id": "a"})),
        );
        s.set_output("secret", json!("v"), json!("string"), true);
        s.pending.push(PendingOperation {
            id: "6c0f4f5e-1111-4222-8333-444455556666".into(),
            kind: PendingKind::Create,
            address: "google_compute_network.n".into(),
            type_name: "google_compute_network".into(),
            name: Some("net-1".into()),
            started_at: "2026-01-01T00:00:00Z".into(),
            result: None,
        });
        s
    }

    #[test]
    fn round_trip() {
        let s = sample();
        let bytes = to_bytes(&s, "mem").expect("encode");
        let back = from_bytes(&bytes, "mem").expect("decode");
        let mut want = s.clone();
        want.normalize();
        assert_eq!(back, want);
        // stable: encoding again gives the same bytes
        assert_eq!(to_bytes(&back, "mem").expect("encode"), bytes);
    }

    #[test]
    fn layout_is_terraform_v4() {
        let bytes = to_bytes(&sample(), "mem").expect("encode");
        let text = String::from_utf8(bytes).expect("utf8");
        assert!(text.ends_with("}\n"));
        assert!(text.starts_with("{\n  \"version\": 4,\n  \"terraform_version\": \"1.11.0\",\n"));
        let v: Json = serde_json::from_str(&text).expect("json");
        assert_eq!(v["cairn_version"], json!(crate::VERSION));
        assert_eq!(v["check_results"], Json::Null);
        let r = &v["resources"][1];
        assert_eq!(r["module"], json!("module.net[\"a\"]"));
        assert_eq!(r["mode"], json!("managed"));
        assert_eq!(r["type"], json!("terraform_data"));
        let inst = &r["instances"][0];
        assert_eq!(inst["index_key"], json!("k"));
        assert_eq!(inst["dependencies"], json!(["terraform_data.a"]));
        assert_eq!(inst["create_before_destroy"], json!(true));
        assert_eq!(
            inst["sensitive_attributes"],
            json!([[{"type": "get_attr", "value": "input"}, {"type": "index", "value": 0}]])
        );
        // root resource has no "module" key and no empty dependencies
        assert!(v["resources"][0].get("module").is_none());
        assert!(v["resources"][0]["instances"][0]
            .get("dependencies")
            .is_none());
        assert_eq!(v["pending"][0]["kind"], json!("create"));
        assert_eq!(v["outputs"]["secret"]["sensitive"], json!(true));
    }

    #[test]
    fn reads_terraform_written_state() {
        let s = from_bytes(&fixture(), TF_FIXTURE).expect("terraform state");
        assert_eq!(s.version, 4);
        assert_eq!(s.cairn_version, None);
        assert_eq!(s.serial, 9);
        assert_eq!(
            s.instance_addresses(),
            vec![
                "data.terraform_remote_state.prev",
                "terraform_data.a",
                "terraform_data.cbd",
                "terraform_data.counted[0]",
                "terraform_data.counted[1]",
                "terraform_data.each[\"x\"]",
                "terraform_data.each[\"y\"]",
                "module.net.terraform_data.b",
            ]
        );
        let c1 = s
            .find_instance(
                &InstanceAddr::managed("terraform_data", "counted").with_key(IndexKey::Int(1)),
            )
            .expect("counted[1]");
        assert_eq!(c1.dependencies, vec!["terraform_data.a"]);
        assert_eq!(c1.attributes["input"]["value"], json!("hello-1"));
        let cbd = s
            .find_instance(&InstanceAddr::managed("terraform_data", "cbd"))
            .expect("cbd");
        assert!(cbd.create_before_destroy);
        assert_eq!(
            cbd.sensitive_attributes,
            vec![vec![
                PathStep::GetAttr("input".into()),
                PathStep::GetAttr("token".into())
            ]]
        );
        assert!(s.outputs["secret"].sensitive);
        assert_eq!(s.outputs["greeting"].value, json!("hello"));

        // rewriting keeps every resource intact and Terraform's order
        let bytes = to_bytes(&s, "mem").expect("encode");
        let back = from_bytes(&bytes, "mem").expect("decode");
        assert_eq!(back.resources, s.resources);
        assert_eq!(back.outputs, s.outputs);
        assert_eq!(back.lineage, s.lineage);
        let ours: Json = serde_json::from_slice(&bytes).expect("json");
        let theirs: Json = serde_json::from_slice(&fixture()).expect("json");
        assert_eq!(ours["resources"], theirs["resources"]);
        assert_eq!(ours["outputs"], theirs["outputs"]);
    }

    #[test]
    fn unknown_fields_preserved() {
        let text = r#"{"version": 4, "serial": 1, "lineage": "l", "resources": [
          {"mode": "managed", "type": "t", "name": "n", "provider": "p", "future": 1,
           "instances": [{"schema_version": 0, "attributes": {}, "identity": {"x": 1},
                          "status": "tainted", "private": "YWJj"}]}]}"#;
        let s = from_bytes(text.as_bytes(), "f").expect("decode");
        assert_eq!(s.resources[0].extra["future"], json!(1));
        assert!(s.resources[0].instances[0].is_tainted());
        let out: Json = serde_json::from_slice(&to_bytes(&s, "f").expect("encode")).expect("json");
        assert_eq!(out["resources"][0]["future"], json!(1));
        assert_eq!(
            out["resources"][0]["instances"][0]["identity"],
            json!({"x": 1})
        );
        assert_eq!(
            out["resources"][0]["instances"][0]["status"],
            json!("tainted")
        );
        assert_eq!(
            out["resources"][0]["instances"][0]["private"],
            json!("YWJj")
        );
    }

    #[test]
    fn refuses_newer_version() {
        let e =
            from_bytes(br#"{"version": 5, "serial": 1}"#, "/x/cairn.tfstate").expect_err("too new");
        assert!(matches!(e, FormatError::TooNew { version: 5, .. }));
        let msg = e.to_string();
        assert!(
            msg.contains("/x/cairn.tfstate") && msg.contains("upgrade cairn"),
            "{msg}"
        );
    }

    #[test]
    fn refuses_newer_cairn_format() {
        let e = from_bytes(
            br#"{"version": 4, "cairn_version": "9.0.0", "cairn_format": 2, "serial": 1}"#,
            "/x/cairn.tfstate",
        )
        .expect_err("too new");
        let msg = e.to_string();
        assert!(
            msg.contains("/x/cairn.tfstate")
                && msg.contains("9.0.0")
                && msg.contains("upgrade cairn"),
            "{msg}"
        );
    }

    #[test]
    fn refuses_old_version() {
        let e = from_bytes(br#"{"version": 3, "serial": 1}"#, "old.tfstate").expect_err("too old");
        assert!(e.to_string().contains("version 3"), "{e}");
    }

    #[test]
    fn malformed_names_line_and_column() {
        let e = from_bytes(
            b"{\n  \"version\": 4,\n  \"serial\": ,\n}",
            "/s/cairn.tfstate",
        )
        .expect_err("bad");
        match &e {
            FormatError::Malformed { line, column, .. } => {
                assert_eq!(*line, 3);
                assert!(*column > 1);
            }
            other => panic!("unexpected {other:?}"),
        }
        let msg = e.to_string();
        assert!(
            msg.contains("/s/cairn.tfstate") && msg.contains("line 3, column"),
            "{msg}"
        );

        // wrong shape is reported with a position too
        let e = from_bytes(b"{\"version\": 4,\n\"serial\": \"x\"}", "f").expect_err("bad");
        assert!(e.to_string().contains("line 2"), "{e}");
        let e = from_bytes(b"{}", "f").expect_err("no version");
        assert!(e.to_string().contains("version"), "{e}");
    }

    #[test]
    fn refuses_duplicates() {
        let dup_res = r#"{"version": 4, "resources": [
          {"mode": "managed", "type": "t", "name": "n", "provider": "p", "instances": []},
          {"mode": "managed", "type": "t", "name": "n", "provider": "p", "instances": []}]}"#;
        let e = from_bytes(dup_res.as_bytes(), "f.tfstate").expect_err("dup");
        assert!(
            e.to_string().contains("f.tfstate") && e.to_string().contains("t.n"),
            "{e}"
        );
        let dup_inst = r#"{"version": 4, "resources": [
          {"module": "module.m", "mode": "managed", "type": "t", "name": "n", "provider": "p",
           "instances": [{"index_key": 1, "attributes": {}}, {"index_key": 1, "attributes": {}}]}]}"#;
        let e = from_bytes(dup_inst.as_bytes(), "f").expect_err("dup");
        assert!(e.to_string().contains("module.m.t.n[1]"), "{e}");
    }

    #[test]
    fn size_is_linear() {
        // a chain where each resource depends on the previous one: only
        // direct dependencies are recorded, so each instance adds O(1).
        fn chain(n: usize) -> usize {
            let mut s = State::new();
            for i in 0..n {
                let mut inst = InstanceState::new(json!({"id": i}));
                if i > 0 {
                    inst.dependencies = vec![format!("terraform_data.r{}", i - 1)];
                }
                s.insert_instance(
                    &InstanceAddr::managed("terraform_data", format!("r{i}")),
                    "p",
                    inst,
                );
            }
            to_bytes(&s, "m").map(|b| b.len()).unwrap_or(0)
        }
        let small = chain(100);
        let big = chain(1000);
        assert!(big < small * 12, "{small} -> {big}");
    }
}

/// Interoperability with a real Terraform: it must accept state cairn
/// rewrote and see no changes. Needs `terraform` on PATH (works offline with
/// the builtin provider); run with `cargo test -- --ignored terraform_reads`.
#[cfg(test)]
mod terraform_interop {
    use crate::state::{load, persist, LocalBackend};
    use std::process::Command;

    fn terraform(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
        Command::new("terraform")
            .args(args)
            .current_dir(dir)
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1")
            .output()
            .unwrap_or_else(|e| panic!("running terraform {args:?}: {e}"))
    }

    #[test]
    #[ignore = "needs the terraform binary"]
    fn terraform_reads_state_written_by_cairn() {
        let d = tempfile::tempdir().expect("tempdir");
        let dir = d.path();
        std::fs::create_dir_all(dir.join("m")).expect("mkdir");
        std::fs::write(
            dir.join("main.tf"),
            r#"
resource "terraform_data" "a" { input = "hello" }
resource "terraform_data" "counted" {
  count = 2
  input = "${terraform_data.a.output}-${count.index}"
}
resource "terraform_data" "each" {
  for_each = toset(["x", "y"])
  input    = each.key
  lifecycle { create_before_destroy = true }
}
module "m" {
  source = "./m"
  name   = terraform_data.a.output
}
output "o" { value = terraform_data.a.output }
"#,
        )
        .expect("main.tf");
        std::fs::write(
            dir.join("m/main.tf"),
            "variable \"name\" {}\nresource \"terraform_data\" \"b\" { input = var.name }\n",
        )
        .expect("m/main.tf");
        for args in [
            &["init", "-input=false"][..],
            &["apply", "-auto-approve", "-input=false"][..],
        ] {
            let out = terraform(dir, args);
            assert!(
                out.status.success(),
                "terraform {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let backend = LocalBackend::new(dir.join("terraform.tfstate"));
        let (mut st, mut generation) = load(&backend, "default").expect("load terraform state");
        let serial = st.serial;
        persist(&backend, "default", &mut st, &mut generation).expect("persist");
        assert_eq!(st.serial, serial + 1);

        let out = terraform(dir, &["plan", "-detailed-exitcode", "-input=false"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "terraform must see no changes in cairn-written state:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let out = terraform(dir, &["state", "list"]);
        let mut listed: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect();
        let mut ours = st.instance_addresses();
        listed.sort();
        ours.sort();
        assert_eq!(ours.len(), 6, "{ours:?}");
        assert_eq!(listed, ours);
    }
}
