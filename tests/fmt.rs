//! `cairn fmt` against `terraform fmt`.
//!
//! Fixtures live in `tests/fixtures/fmt/`: `NAME.in.tf` with the expected
//! `NAME.out.tf` (what `terraform fmt` wrote on a copy of the input; see
//! `regenerate.sh`), and `NAME.err.tf` for inputs that must be refused.
//! When Terraform is installed the inputs are also checked live. Setting
//! `CAIRN_FMT_EXTRA_DIR` live-checks every `*.tf` in that directory too.

use std::path::{Path, PathBuf};
use std::process::Command;

use cairn::syntax::fmt::format;

const TERRAFORM: &str = "/usr/local/bin/terraform";

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fmt")
}

fn files_ending(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    out.retain(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with(suffix)));
    out.sort();
    out
}

fn read(path: &Path) -> String {
    String::from_utf8(std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What `terraform fmt` does to a file (run on a copy): `Some(result)`, or
/// `None` when it refuses the input.
fn terraform_fmt(src: &str) -> Option<String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("input.tf");
    std::fs::write(&file, src).expect("write");
    let status = Command::new(TERRAFORM)
        .args(["fmt", "-no-color", "input.tf"])
        .current_dir(dir.path())
        .env("TF_IN_AUTOMATION", "1")
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .expect("run terraform");
    if !status.status.success() {
        return None;
    }
    Some(String::from_utf8(std::fs::read(&file).expect("read back")).expect("utf-8"))
}

fn diff(expected: &str, actual: &str) -> String {
    similar::TextDiff::from_lines(expected, actual).unified_diff().header("terraform", "cairn").to_string()
}

#[test]
fn fixtures_match_and_are_idempotent() {
    let inputs = files_ending(&fixture_dir(), ".in.tf");
    assert!(inputs.len() >= 30, "expected at least 30 fixtures, found {}", inputs.len());
    let mut failures = Vec::new();
    for input in inputs {
        let name = input.file_name().unwrap().to_string_lossy().trim_end_matches(".in.tf").to_string();
        let expected = read(&input.with_file_name(format!("{name}.out.tf")));
        match format(&read(&input)) {
            // `quirk_` fixtures: terraform fmt itself is not idempotent on them
            // (or writes something it cannot read back).
            Ok(actual) if actual == expected && name.starts_with("quirk_") => {}
            Ok(actual) if actual == expected => match format(&actual) {
                Ok(again) if again == actual => {}
                Ok(again) => failures.push(format!("{name}: not idempotent\n{}", diff(&actual, &again))),
                Err(d) => failures.push(format!("{name}: output refused: {d:?}")),
            },
            Ok(actual) => failures.push(format!("{name}:\n{}", diff(&expected, &actual))),
            Err(d) => failures.push(format!("{name}: refused: {d:?}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn error_fixtures_are_refused() {
    let mut failures = Vec::new();
    for input in files_ending(&fixture_dir(), ".err.tf") {
        match format(&read(&input)) {
            Ok(out) => failures.push(format!("{}: formatted instead of refused:\n{out}", input.display())),
            Err(d) => {
                if !d.has_errors() || d.iter().any(|d| d.subject.is_none()) {
                    failures.push(format!("{}: diagnostics without location: {d:?}", input.display()));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn live_check(paths: &[PathBuf]) -> Vec<String> {
    let mut failures = Vec::new();
    for path in paths {
        let src = read(path);
        let ours = format(&src);
        match (terraform_fmt(&src), ours) {
            (Some(theirs), Ok(ours)) if theirs == ours => {}
            (Some(theirs), Ok(ours)) => failures.push(format!("{}:\n{}", path.display(), diff(&theirs, &ours))),
            (Some(_), Err(d)) => failures.push(format!("{}: terraform formats it, cairn refuses: {d:?}", path.display())),
            (None, Ok(_)) => failures.push(format!("{}: terraform refuses it, cairn formats it", path.display())),
            (None, Err(_)) => {}
        }
    }
    failures
}

#[test]
fn live_terraform_agrees() {
    if !Path::new(TERRAFORM).exists() {
        eprintln!("skipping: {TERRAFORM} not installed");
        return;
    }
    let dir = fixture_dir();
    let mut paths = files_ending(&dir, ".in.tf");
    paths.extend(files_ending(&dir, ".err.tf"));
    if let Ok(extra) = std::env::var("CAIRN_FMT_EXTRA_DIR") {
        paths.extend(files_ending(Path::new(&extra), ".tf"));
    }
    let failures = live_check(&paths);
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

/// Every `.tf` file anywhere in the repository (fixtures of every test,
/// examples, stacks), recursively.
fn all_repository_tf_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else { return };
        let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for p in entries {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.starts_with('.') || name == "target" {
                continue;
            }
            if p.is_dir() {
                walk(&p, out);
            } else if name.ends_with(".tf") {
                out.push(p);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in ["tests/fixtures", "examples", "stacks"] {
        walk(&root.join(dir), &mut out);
    }
    out
}

#[test]
fn live_terraform_agrees_on_every_tf_file_in_the_repository() {
    if !Path::new(TERRAFORM).exists() {
        eprintln!("skipping: {TERRAFORM} not installed");
        return;
    }
    // Invalid UTF-8 can't be given to either formatter as text.
    let paths: Vec<PathBuf> = all_repository_tf_files().into_iter().filter(|p| std::fs::read_to_string(p).is_ok()).collect();
    assert!(paths.len() > 100, "found {} files", paths.len());
    let failures = live_check(&paths);
    assert!(failures.is_empty(), "{} of {} files differ:\n{}", failures.len(), paths.len(), failures.join("\n"));
}
