//! Running the real `cairn` binary on a copy of a fixture stack.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/engine")
}

/// The outcome of one run.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts the exit code, showing the output otherwise.
    #[track_caller]
    pub fn expect(self, code: i32) -> Run {
        assert_eq!(self.code, code, "exit code\n--- stdout:\n{}\n--- stderr:\n{}", self.stdout, self.stderr);
        self
    }

    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// Runs `cmd` to its end.
pub fn output(mut cmd: Command) -> Run {
    let out = cmd.output().expect("run cairn");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A copy of a fixture stack in a fresh temporary directory.
pub struct Stack {
    pub tmp: tempfile::TempDir,
    case: String,
    /// Set on every command of this stack.
    env: Vec<(String, String)>,
}

pub fn copy_files(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap_or_else(|e| panic!("read {}: {e}", from.display())) {
        let e = e.expect("dir entry");
        if e.file_type().expect("file type").is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).expect("copy fixture file");
        }
    }
}

/// A command for the binary with the test environment (and nothing from
/// the caller's TF_*, CAIRN_* or GOOGLE_* variables).
pub fn command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cairn"));
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        if k.starts_with("TF_") || k.starts_with("CAIRN_") || k.starts_with("GOOGLE_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("NO_COLOR", "1").env("CAIRN_TEST_TYPES", "1").env("CAIRN_NO_PROGRESS", "1").stdin(Stdio::null());
    cmd
}

impl Stack {
    /// Copies the top-level files of `tests/fixtures/engine/<case>`.
    pub fn new(case: &str) -> Stack {
        let tmp = tempfile::tempdir().expect("tempdir");
        copy_files(&fixtures().join(case), tmp.path());
        Stack { tmp, case: case.to_string(), env: Vec::new() }
    }

    /// A stack with no files yet.
    #[allow(dead_code)] // for tests/support/google.rs
    pub fn empty() -> Stack {
        Stack { tmp: tempfile::tempdir().expect("tempdir"), case: String::new(), env: Vec::new() }
    }

    /// Sets `key=value` for every command of this stack.
    #[allow(dead_code)] // for tests/support/google.rs
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.push((key.to_string(), value.to_string()));
    }

    /// Removes every `.tf` file.
    pub fn clear_config(&self) {
        for e in std::fs::read_dir(self.dir()).expect("read tmp") {
            let p = e.expect("entry").path();
            if p.extension().is_some_and(|x| x == "tf") {
                std::fs::remove_file(p).expect("remove tf");
            }
        }
    }

    pub fn dir(&self) -> &Path {
        self.tmp.path()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir().join(name)
    }

    /// Replaces the `.tf` files with those of `<case>/<variant>`.
    pub fn variant(&self, variant: &str) {
        self.clear_config();
        copy_files(&fixtures().join(&self.case).join(variant), self.dir());
    }

    pub fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path(name), text).expect("write");
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = command();
        cmd.arg(format!("-chdir={}", self.dir().display())).args(args).envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[])
    }

    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = self.command(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        output(cmd)
    }

    /// `apply -auto-approve`, which must succeed.
    pub fn apply_ok(&self, extra: &[&str]) -> Run {
        let mut args = vec!["apply", "-auto-approve"];
        args.extend_from_slice(extra);
        self.run(&args).expect(0)
    }

    /// The default workspace's state file, parsed.
    pub fn state(&self) -> serde_json::Value {
        self.state_at("cairn.tfstate")
    }

    pub fn state_at(&self, rel: &str) -> serde_json::Value {
        let text = std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"));
        serde_json::from_str(&text).expect("state is JSON")
    }

    /// Spawns the binary with piped stdout/stderr.
    pub fn spawn(&self, args: &[&str], env: &[(&str, &str)]) -> Background {
        let mut cmd = self.command(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        Background::new(cmd.spawn().expect("spawn cairn"))
    }
}

/// Addresses of the managed instances in a state document (`type.name` or
/// `type.name[key]`).
pub fn addresses(state: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    for r in state["resources"].as_array().into_iter().flatten() {
        let base = format!("{}.{}", r["type"].as_str().unwrap_or(""), r["name"].as_str().unwrap_or(""));
        for i in r["instances"].as_array().into_iter().flatten() {
            match &i["index_key"] {
                serde_json::Value::Null => out.push(base.clone()),
                serde_json::Value::String(s) => out.push(format!("{base}[{s:?}]")),
                k => out.push(format!("{base}[{k}]")),
            }
        }
    }
    out.sort();
    out
}

/// The (single) instance of `type.name` in a state document.
pub fn instance<'a>(state: &'a serde_json::Value, addr: &str) -> &'a serde_json::Value {
    let (t, n) = addr.split_once('.').expect("type.name");
    state["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["type"] == t && r["name"] == n && r["mode"] == "managed")
        .and_then(|r| r["instances"].get(0))
        .unwrap_or_else(|| panic!("{addr} not in state: {state:#}"))
}

pub fn attr<'a>(state: &'a serde_json::Value, addr: &str, name: &str) -> &'a serde_json::Value {
    &instance(state, addr)["attributes"][name]
}

type Collected = std::sync::Arc<std::sync::Mutex<String>>;

/// A running cairn whose output is collected by reader threads.
pub struct Background {
    pub child: Child,
    stdout: Collected,
    stderr: Collected,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Background {
    fn new(mut child: Child) -> Background {
        use std::io::Read;
        let stdout = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let mut threads = Vec::new();
        let pipes: Vec<(Box<dyn Read + Send>, Collected)> = vec![
            (Box::new(child.stdout.take().expect("stdout")), stdout.clone()),
            (Box::new(child.stderr.take().expect("stderr")), stderr.clone()),
        ];
        for (mut pipe, sink) in pipes {
            threads.push(std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                loop {
                    match pipe.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n])),
                    }
                }
            }));
        }
        Background { child, stdout, stderr, threads }
    }

    pub fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    /// Waits until stdout satisfies `pred` (panics after `timeout`).
    #[track_caller]
    pub fn wait_for(&mut self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) {
        let start = Instant::now();
        while !pred(&self.stdout()) {
            if start.elapsed() > timeout {
                let _ = self.child.kill();
                panic!("timed out waiting for {what}\n--- stdout:\n{}\n--- stderr:\n{}", self.stdout(), self.stderr.lock().unwrap());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                std::thread::sleep(Duration::from_millis(50));
                if !pred(&self.stdout()) {
                    panic!("cairn exited ({status}) before {what}\n--- stdout:\n{}\n--- stderr:\n{}", self.stdout(), self.stderr.lock().unwrap());
                }
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn signal(&self, sig: libc::c_int) {
        // SAFETY: kill(2) on our own child's pid.
        let rc = unsafe { libc::kill(self.child.id() as libc::pid_t, sig) };
        assert_eq!(rc, 0, "kill failed");
    }

    /// Waits for exit; `code` is -1 when killed by a signal.
    pub fn finish(mut self) -> Run {
        let status = self.child.wait().expect("wait");
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        let stdout = self.stdout();
        let stderr = self.stderr.lock().unwrap().clone();
        Run { code: status.code().unwrap_or(-1), stdout, stderr }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How many times `needle` occurs in `hay`.
pub fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}
