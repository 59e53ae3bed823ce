//! What the root tests of Google stacks share: a stack directory driven by
//! the real `cairn` binary, whose in-process sandbox (`-sandbox`) appends
//! every request it receives to a log (`CAIRN_SANDBOX_REQUEST_LOG`) that is
//! re-validated against Google's Discovery documents when the test ends
//! ([`cairn_sandbox::request_log::check`]); the state and the sandbox's
//! listing; a background server (`cairn sandbox serve`, or a peer
//! emulator) and a small HTTP/1.1 client to talk to it directly.
//!
//! Not here: what any test asserts about plans or resources.

#![allow(dead_code)] // each test crate uses a different part

use cairn_sandbox::request_log::{self, Entry};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[path = "../engine/common.rs"]
mod engine;

#[allow(unused_imports)] // each test crate uses a different part
pub use engine::{addresses, command, copy_files, Run};

/// `tests/fixtures/<rel>`.
pub fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(rel)
}

/// A stack in a fresh temporary directory (the engine tests' [`engine::Stack`],
/// which it derefs to), and the request log of every sandbox the binary
/// starts for it. When the stack is dropped at the end of a passing test,
/// every logged request must validate against the Discovery documents.
pub struct Stack {
    inner: engine::Stack,
    logs: tempfile::TempDir,
    /// Set by [`Stack::skip_request_check`].
    skip_check: bool,
}

impl std::ops::Deref for Stack {
    type Target = engine::Stack;
    fn deref(&self) -> &engine::Stack {
        &self.inner
    }
}

impl Default for Stack {
    fn default() -> Self {
        Stack::new()
    }
}

impl Stack {
    /// An empty stack whose commands get the test environment: quick
    /// long-running operations, and the request log.
    pub fn new() -> Stack {
        let logs = tempfile::tempdir().expect("tempdir");
        let mut inner = engine::Stack::empty();
        inner.set_env("CAIRN_SANDBOX_OP_LATENCY_MS", "50");
        inner.set_env("CAIRN_SANDBOX_REQUEST_LOG", &logs.path().join("requests.jsonl").display().to_string());
        Stack { inner, logs, skip_check: false }
    }

    /// A stack with the top-level files of `dir`.
    pub fn from_dir(dir: &Path) -> Stack {
        let s = Stack::new();
        copy_files(dir, s.dir());
        s
    }

    /// Replaces every `.tf` file with `files` (each keeps its name).
    pub fn use_config(&self, files: &[PathBuf]) {
        self.clear_config();
        for file in files {
            let name = file.file_name().unwrap_or_else(|| panic!("{} has no file name", file.display()));
            std::fs::copy(file, self.dir().join(name)).unwrap_or_else(|e| panic!("copy {}: {e}", file.display()));
        }
    }

    /// The request log the sandbox appends to.
    pub fn request_log(&self) -> PathBuf {
        self.logs.path().join("requests.jsonl")
    }

    /// The sandbox's data directory (what `-sandbox` uses).
    pub fn sandbox_data(&self) -> PathBuf {
        self.path(".cairn/sandbox")
    }

    /// `cairn sandbox list -json` on the sandbox's data directory:
    /// `(type, name)` pairs.
    pub fn sandbox_list(&self) -> Vec<(String, String)> {
        let data = format!("-data={}", self.sandbox_data().display());
        let run = self.run(&["sandbox", "list", "-json", &data]).expect(0);
        let items: Vec<Value> = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("sandbox list -json: {e}: {}", run.stdout));
        items.iter().map(|i| (str_of(&i["type"]), str_of(&i["name"]))).collect()
    }

    /// Every request the sandbox logged so far.
    pub fn requests(&self) -> Vec<Entry> {
        request_log::read(&self.request_log()).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Asserts that every logged request validates against Discovery.
    #[track_caller]
    pub fn check_requests(&self) {
        if let Err(problems) = request_log::verdict(&self.requests()) {
            panic!("{problems}");
        }
    }

    /// For a test that sends invalid requests on purpose.
    pub fn skip_request_check(&mut self) {
        self.skip_check = true;
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        if !self.skip_check && !std::thread::panicking() {
            self.check_requests();
        }
    }
}

fn str_of(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

/// `(type, address, attributes)` of every managed instance.
pub fn instances(state: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for r in state["resources"].as_array().into_iter().flatten().filter(|r| r["mode"] == "managed") {
        let ty = str_of(&r["type"]);
        let base = format!("{ty}.{}", str_of(&r["name"]));
        for i in r["instances"].as_array().into_iter().flatten() {
            let addr = match &i["index_key"] {
                Value::Null => base.clone(),
                Value::String(s) => format!("{base}[{s:?}]"),
                k => format!("{base}[{k}]"),
            };
            out.push((ty.clone(), addr, i["attributes"].clone()));
        }
    }
    out
}

/// The attributes of the single instance of `type.name`.
pub fn attributes(state: &Value, addr: &str) -> Value {
    engine::instance(state, addr)["attributes"].clone()
}

/// A plan's lines for `addr`, from its `  # addr ...` header to the next
/// header (headers are the only `#` lines indented by two spaces).
pub fn plan_block<'a>(plan: &'a str, addr: &str) -> Vec<&'a str> {
    let header = format!("  # {addr} ");
    let mut lines = plan.lines().skip_while(|l| !l.starts_with(&header));
    let mut out: Vec<&str> = lines.next().into_iter().collect();
    out.extend(lines.take_while(|l| !l.starts_with("  # ")));
    out
}

/// The top-level attributes a resource's plan block changes: its lines
/// `      ~ name = ...` (or `+`/`-` when set or unset), six spaces in.
pub fn changed_attributes(block: &[&str]) -> Vec<String> {
    block
        .iter()
        .filter_map(|l| l.strip_prefix("      "))
        .filter_map(|l| ["~ ", "+ ", "- "].iter().find_map(|sign| l.strip_prefix(sign)))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

/// An answer from [`http`].
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// The body as JSON (`Null` when empty or not JSON).
    pub body: Value,
    pub text: String,
}

/// One HTTP/1.1 request to `addr` (`127.0.0.1:PORT`) with a bearer token,
/// read until the server closes.
pub fn http(addr: &str, method: &str, path: &str, body: Option<&Value>) -> Reply {
    let payload = body.map(|b| b.to_string()).unwrap_or_default();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer test\r\nConnection: close\r\n");
    if body.is_some() {
        request.push_str("Content-Type: application/json\r\n");
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{payload}", payload.len()));
    let mut stream = std::net::TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    stream.set_read_timeout(Some(Duration::from_secs(60))).expect("timeout");
    stream.write_all(request.as_bytes()).expect("send");
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => bytes.extend_from_slice(&chunk[..n]),
            // A reset after the whole answer arrived is fine.
            Err(e) if !bytes.is_empty() && e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("{method} {path}: reading the answer: {e}"),
        }
    }
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let chunked = head.lines().any(|l| l.to_ascii_lowercase().starts_with("transfer-encoding:") && l.to_ascii_lowercase().contains("chunked"));
    let text = if chunked { dechunk(rest) } else { rest.to_string() };
    Reply { status, body: serde_json::from_str(&text).unwrap_or(Value::Null), text }
}

/// The body of a `Transfer-Encoding: chunked` answer.
fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else { break };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// A server running in the background (killed when dropped: every change
/// it answered is already saved).
pub struct Server {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    /// Kept open: the server prints more, and a closed pipe would end it.
    _stdout: Option<BufReader<std::process::ChildStdout>>,
}

impl Server {
    /// `cairn sandbox serve` on `data`, on a free port, logging requests to
    /// the stack's request log.
    pub fn sandbox(stack: &Stack, data: &Path) -> Server {
        let mut cmd = stack.command(&["sandbox", "serve", "-addr=127.0.0.1:0", &format!("-data={}", data.display())]);
        cmd.stdout(Stdio::piped()).stderr(Stdio::null());
        let mut child = cmd.spawn().expect("spawn cairn sandbox serve");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut first = String::new();
        stdout.read_line(&mut first).expect("read the sandbox's address");
        let addr = first.trim().rsplit("http://").next().unwrap_or_default().to_string();
        assert!(addr.starts_with("127.0.0.1:"), "cairn sandbox serve said: {first:?}");
        Server { child, addr, _stdout: Some(stdout) }
    }

    /// `program args...` already told to listen on `addr`; waits until
    /// `GET health_path` answers 200.
    pub fn spawn(mut cmd: Command, addr: &str, health_path: &str) -> Result<Server, String> {
        cmd.stdout(Stdio::null()).stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| format!("spawn: {e}"))?;
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                return Err(format!("exited ({status}) before answering: {err}"));
            }
            if std::net::TcpStream::connect(addr).is_ok() && http(addr, "GET", health_path, None).status == 200 {
                return Ok(Server { child, addr: addr.to_string(), _stdout: None });
            }
            if start.elapsed() > Duration::from_secs(30) {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("no answer at {addr}{health_path} after 30 s"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn get(&self, path: &str) -> Reply {
        http(&self.addr, "GET", path, None)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    l.local_addr().expect("local addr").port()
}
