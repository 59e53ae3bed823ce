//! Filesystem functions: abspath basename dirname file fileexists fileset
//! filebase64 pathexpand. Relative paths resolve against
//! [`FuncContext::base_dir`].

use std::path::{Path, PathBuf};

use base64::Engine;

use super::{expect_string, func, FResult, Func, FuncContext, FuncError, Ret};
use crate::value::Value;

pub(crate) const FUNCS: &[Func] = &[
    func("abspath", &["path"], None, Ret::Str, 0, abspath),
    func("basename", &["path"], None, Ret::Str, 0, |a, _| Ok(Value::String(basename(&expect_string(a, 0, "path")?)))),
    func("dirname", &["path"], None, Ret::Str, 0, |a, _| Ok(Value::String(dirname(&expect_string(a, 0, "path")?)))),
    func("file", &["path"], None, Ret::Str, 0, file),
    func("filebase64", &["path"], None, Ret::Str, 0, filebase64),
    func("fileexists", &["path"], None, Ret::Bool, 0, fileexists),
    func("fileset", &["path", "pattern"], None, Ret::Any, 0, fileset),
    func("pathexpand", &["path"], None, Ret::Str, 0, |a, _| Ok(Value::String(pathexpand(&expect_string(a, 0, "path")?)))),
];

fn pathexpand(p: &str) -> String {
    if p == "~" || p.starts_with("~/") {
        if let Some(home) = std::env::var_os("HOME") {
            return format!("{}{}", home.to_string_lossy(), &p[1..]);
        }
    }
    p.to_string()
}

fn resolve(ctx: &FuncContext, p: &str) -> PathBuf {
    let p = PathBuf::from(pathexpand(p));
    if p.is_absolute() {
        p
    } else {
        ctx.base_dir.join(p)
    }
}

/// Go's `filepath.Clean`.
pub(crate) fn clean(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if matches!(parts.last(), Some(l) if *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let body = parts.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".into(),
        (false, false) => body,
    }
}

fn basename(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return "/".into();
    }
    t.rsplit('/').next().unwrap_or(t).to_string()
}

fn dirname(p: &str) -> String {
    let dir = match p.rfind('/') {
        Some(i) => &p[..=i],
        None => "",
    };
    clean(dir)
}

fn abspath(args: &[Value], ctx: &FuncContext) -> FResult {
    let p = expect_string(args, 0, "path")?;
    let full = if Path::new(&p).is_absolute() {
        PathBuf::from(&p)
    } else {
        let base = if ctx.base_dir.is_absolute() {
            ctx.base_dir.clone()
        } else {
            std::env::current_dir().map_err(|e| FuncError::new(e.to_string()))?.join(&ctx.base_dir)
        };
        base.join(&p)
    };
    Ok(Value::String(clean(&full.to_string_lossy())))
}

fn read(args: &[Value], ctx: &FuncContext) -> Result<(String, Vec<u8>), FuncError> {
    let p = expect_string(args, 0, "path")?;
    let path = resolve(ctx, &p);
    if path.is_dir() {
        return Err(FuncError::arg(0, format!("Invalid value for \"path\" parameter: failed to read file: read {p}: is a directory.")));
    }
    match std::fs::read(&path) {
        Ok(b) => Ok((p, b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(FuncError::arg(0, format!(
            "Invalid value for \"path\" parameter: no file exists at {p:?}; this function works only with files that are distributed as part of the configuration source code, so if this file will be created by a resource in this configuration you must instead obtain this result from an attribute of that resource."
        ))),
        Err(e) => Err(FuncError::arg(0, format!("Invalid value for \"path\" parameter: failed to read {p}: {e}."))),
    }
}

fn file(args: &[Value], ctx: &FuncContext) -> FResult {
    let (p, bytes) = read(args, ctx)?;
    String::from_utf8(bytes).map(Value::String).map_err(|_| {
        FuncError::arg(0, format!("Invalid value for \"path\" parameter: contents of {p:?} are not valid UTF-8; use the filebase64 function to obtain the Base64 encoded contents or the other file functions (e.g. filemd5, filesha256) to obtain file hashing results instead."))
    })
}

fn filebase64(args: &[Value], ctx: &FuncContext) -> FResult {
    let (_, bytes) = read(args, ctx)?;
    Ok(Value::String(base64::engine::general_purpose::STANDARD.encode(bytes)))
}

fn fileexists(args: &[Value], ctx: &FuncContext) -> FResult {
    let p = expect_string(args, 0, "path")?;
    let path = resolve(ctx, &p);
    match std::fs::metadata(&path) {
        Ok(m) if m.is_file() => Ok(Value::Bool(true)),
        Ok(m) if m.is_dir() => Err(FuncError::new(format!("{p:?} is a directory, not a file"))),
        Ok(_) => Err(FuncError::arg(0, format!("Invalid value for \"path\" parameter: {p:?} is not a regular file."))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Value::Bool(false)),
        Err(e) => Err(FuncError::arg(0, format!("Invalid value for \"path\" parameter: failed to stat {p:?}: {e}."))),
    }
}

fn fileset(args: &[Value], ctx: &FuncContext) -> FResult {
    let p = expect_string(args, 0, "path")?;
    let pattern = expect_string(args, 1, "pattern")?;
    let root = resolve(ctx, &p);
    let pat: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty() && *s != ".").collect();
    for seg in &pat {
        if !valid_segment(seg) {
            let full = format!("{}/{pattern}", p.trim_end_matches('/'));
            return Err(FuncError::new(format!("failed to glob pattern {full:?}: syntax error in pattern")));
        }
    }
    let mut files = Vec::new();
    walk(&root, "", &mut files);
    let matched: Vec<Value> = files
        .into_iter()
        .filter(|rel| {
            let parts: Vec<&str> = rel.split('/').collect();
            match_path(&pat, &parts)
        })
        .map(Value::String)
        .collect();
    Ok(Value::set(matched))
}

fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = rd.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() { name.clone() } else { format!("{prefix}/{name}") };
        let path = e.path();
        if path.is_dir() {
            walk(&path, &rel, out);
        } else if path.is_file() {
            out.push(rel);
        }
    }
}

fn valid_segment(seg: &str) -> bool {
    let mut depth_brace = 0i32;
    let mut chars = seg.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '[' => {
                let mut closed = false;
                for d in chars.by_ref() {
                    if d == ']' {
                        closed = true;
                        break;
                    }
                }
                if !closed {
                    return false;
                }
            }
            '{' => depth_brace += 1,
            '}' => depth_brace -= 1,
            '\\' => {
                if chars.next().is_none() {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth_brace == 0
}

/// Matches path segments against pattern segments, where `**` matches any
/// number of segments.
fn match_path(pat: &[&str], parts: &[&str]) -> bool {
    match pat.first() {
        None => parts.is_empty(),
        Some(&"**") => (0..=parts.len()).any(|k| match_path(&pat[1..], &parts[k..])),
        Some(p) => !parts.is_empty() && match_segment(p, parts[0]) && match_path(&pat[1..], &parts[1..]),
    }
}

/// One path segment against a glob with `*`, `?`, `[...]`, `{a,b}` and `\` escapes.
fn match_segment(pat: &str, name: &str) -> bool {
    // Expand the first brace group, if any.
    if let Some(open) = find_unescaped(pat, '{') {
        let mut depth = 0;
        let mut close = None;
        for (i, c) in pat[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        close = Some(open + i);
                        break;
                    }
                }
                _ => {}
            }
        }
        if let Some(close) = close {
            let inner = &pat[open + 1..close];
            let mut alts = Vec::new();
            let (mut d, mut start) = (0, 0);
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => d += 1,
                    '}' => d -= 1,
                    ',' if d == 0 => {
                        alts.push(&inner[start..i]);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            alts.push(&inner[start..]);
            return alts
                .iter()
                .any(|a| match_segment(&format!("{}{}{}", &pat[..open], a, &pat[close + 1..]), name));
        }
    }
    let p: Vec<char> = pat.chars().collect();
    let n: Vec<char> = name.chars().collect();
    glob_chars(&p, &n)
}

fn find_unescaped(s: &str, want: char) -> Option<usize> {
    let mut esc = false;
    for (i, c) in s.char_indices() {
        if esc {
            esc = false;
        } else if c == '\\' {
            esc = true;
        } else if c == want {
            return Some(i);
        }
    }
    None
}

fn glob_chars(p: &[char], n: &[char]) -> bool {
    match p.first() {
        None => n.is_empty(),
        Some('*') => (0..=n.len()).any(|k| glob_chars(&p[1..], &n[k..])),
        Some('?') => !n.is_empty() && glob_chars(&p[1..], &n[1..]),
        Some('\\') if p.len() > 1 => !n.is_empty() && n[0] == p[1] && glob_chars(&p[2..], &n[1..]),
        Some('[') => {
            let Some(end) = p.iter().skip(1).position(|&c| c == ']').map(|i| i + 1) else { return false };
            if n.is_empty() {
                return false;
            }
            let mut class = &p[1..end];
            let negate = matches!(class.first(), Some('^' | '!'));
            if negate {
                class = &class[1..];
            }
            let mut hit = false;
            let mut i = 0;
            while i < class.len() {
                if i + 2 < class.len() && class[i + 1] == '-' {
                    hit |= class[i] <= n[0] && n[0] <= class[i + 2];
                    i += 3;
                } else {
                    hit |= class[i] == n[0];
                    i += 1;
                }
            }
            hit != negate && glob_chars(&p[end + 1..], &n[1..])
        }
        Some(c) => !n.is_empty() && n[0] == *c && glob_chars(&p[1..], &n[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::super::{call, FuncContext};
    use super::*;

    #[test]
    fn path_names() {
        assert_eq!(basename("foo/bar/"), "bar");
        assert_eq!(basename(""), ".");
        assert_eq!(basename("/"), "/");
        assert_eq!(dirname("foo/bar/baz.txt"), "foo/bar");
        assert_eq!(dirname("baz.txt"), ".");
        assert_eq!(dirname("/baz"), "/");
        assert_eq!(clean("a/../../b/./c/"), "../b/c");
    }

    #[test]
    fn files_and_sets() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("sub/deep")).unwrap();
        std::fs::write(d.join("a.txt"), "hello").unwrap();
        std::fs::write(d.join("b.md"), "x").unwrap();
        std::fs::write(d.join("sub/c.txt"), "x").unwrap();
        std::fs::write(d.join("sub/deep/d.txt"), "x").unwrap();
        std::fs::write(d.join("bad.bin"), [0xff, 0xfe]).unwrap();
        let ctx = FuncContext { base_dir: d.to_path_buf(), defer_impure: false };
        let c = |name: &str, args: Vec<Value>| call(name, args, &ctx);
        assert_eq!(c("file", vec![s("a.txt")]).unwrap(), s("hello"));
        assert_eq!(c("filebase64", vec![s("a.txt")]).unwrap(), s("aGVsbG8="));
        assert!(c("file", vec![s("bad.bin")]).unwrap_err().message.contains("not valid UTF-8"));
        assert!(c("file", vec![s("nope")]).unwrap_err().message.contains("no file exists at \"nope\""));
        assert_eq!(c("fileexists", vec![s("a.txt")]).unwrap(), Value::Bool(true));
        assert_eq!(c("fileexists", vec![s("zz")]).unwrap(), Value::Bool(false));
        assert_eq!(c("fileexists", vec![s("sub")]).unwrap_err().message, "\"sub\" is a directory, not a file");
        assert_eq!(
            c("fileset", vec![s("fs"), s("[")]).unwrap_err().message,
            "failed to glob pattern \"fs/[\": syntax error in pattern"
        );
        let set = |p: &str, pat: &str| c("fileset", vec![s(p), s(pat)]).unwrap().to_json().to_string();
        assert_eq!(set(".", "*.txt"), r#"["a.txt"]"#);
        assert_eq!(set(".", "**/*.txt"), r#"["a.txt","sub/c.txt","sub/deep/d.txt"]"#);
        assert_eq!(set(".", "{a,b}.*"), r#"["a.txt","b.md"]"#);
        assert_eq!(set("sub", "**"), r#"["c.txt","deep/d.txt"]"#);
        assert_eq!(set(".", "sub/*/?.txt"), r#"["sub/deep/d.txt"]"#);
        assert_eq!(set(".", "./*.md"), r#"["b.md"]"#);
        assert_eq!(set(".", "*"), r#"["a.txt","b.md","bad.bin"]"#);
    }
}
