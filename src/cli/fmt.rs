//! `cairn fmt`: rewrite files to the canonical layout (`syntax::fmt`).
//! Exit codes as Terraform: 0 formatted or nothing to do, 2 syntax errors,
//! 3 with `-check` when some file is not formatted.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::args::FmtArgs;
use super::Output;
use crate::diag::{Diagnostics, SourceMap};
use crate::syntax::fmt::format;

pub fn run(dir: &Path, args: &FmtArgs, out: &Output) -> i32 {
    let write = args.write.unwrap_or(!args.check);
    let list = args.list.unwrap_or(true);
    if args.paths.iter().any(|p| p == "-") {
        let mut src = String::new();
        if std::io::stdin().read_to_string(&mut src).is_err() {
            out.error("failed to read standard input");
            return 2;
        }
        return match format(&src) {
            Ok(f) => {
                if args.check {
                    return if f == src { 0 } else { 3 };
                }
                // `terraform fmt -` always ends its output with a newline.
                if f.ends_with('\n') || f.is_empty() {
                    out!("{f}");
                } else {
                    outln!("{f}");
                }
                0
            }
            Err(d) => {
                let sources = SourceMap::new();
                sources.add("<stdin>", "<stdin>", src);
                out.diagnostics(&d, &sources);
                2
            }
        };
    }
    let roots: Vec<PathBuf> = if args.paths.is_empty() { vec![dir.to_path_buf()] } else { args.paths.iter().map(|p| dir.join(p)).collect() };
    let mut files = Vec::new();
    for root in &roots {
        if root.is_file() {
            files.push(root.clone());
        } else if root.is_dir() {
            collect(root, args.recursive, &mut files);
        } else {
            out.error(&format!("No file or directory at {}", root.display()));
            return 2;
        }
    }
    let mut unformatted = false;
    let mut failed = false;
    let sources = SourceMap::new();
    for file in files {
        let display = file.strip_prefix(dir).unwrap_or(&file).display().to_string();
        let src = match std::fs::read(&file) {
            Ok(b) => match String::from_utf8(b) {
                Ok(s) => s,
                Err(_) => {
                    out.error(&format!("{display}: file is not valid UTF-8"));
                    failed = true;
                    continue;
                }
            },
            Err(e) => {
                out.error(&format!("{display}: {e}"));
                failed = true;
                continue;
            }
        };
        let formatted = match format(&src) {
            Ok(f) => f,
            Err(d) => {
                // Re-anchor the diagnostics on this file for display.
                let id = sources.add(display.clone(), &file, src.clone());
                let d = Diagnostics(d.into_iter().map(|mut x| {
                    if let Some(s) = x.subject.as_mut() {
                        s.file = id;
                    }
                    x.context = None;
                    x
                }).collect());
                out.diagnostics(&d, &sources);
                failed = true;
                continue;
            }
        };
        if formatted == src {
            continue;
        }
        unformatted = true;
        if list {
            outln!("{display}");
        }
        if args.diff {
            out!("{}", unified_diff(&display, &src, &formatted));
        }
        if write {
            if let Err(e) = std::fs::write(&file, formatted) {
                out.error(&format!("{display}: failed to write: {e}"));
                failed = true;
            }
        }
    }
    if failed {
        2
    } else if args.check && unformatted {
        3
    } else {
        0
    }
}

fn collect(dir: &Path, recursive: bool, files: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') {
            continue;
        }
        if p.is_dir() {
            if recursive {
                collect(&p, recursive, files);
            }
        } else if name.ends_with(".tf") || name.ends_with(".tfvars") || name.ends_with(".tftest.hcl") {
            files.push(p);
        }
    }
}

fn unified_diff(name: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new).unified_diff().header(&format!("old/{name}"), &format!("new/{name}")).to_string()
}
