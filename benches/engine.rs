//! cairn against Terraform on generated `terraform_data` stacks: apply from
//! empty, state size, no-change plan and a one-resource-change plan.
//!
//! ```text
//! cargo bench --bench engine -- [--n 1000 5000] [--shapes wide,chain,layered]
//!                                [--tools cairn,terraform] [--runs 1]
//!                                [--cairn PATH] [--parallelism 10]
//! ```
//!
//! Prints a Markdown table. Every command runs in its own child, reaped with
//! `wait4(2)`, whose `ru_maxrss` is that command's peak RSS (the same number
//! `/usr/bin/time -f %M` prints). Without `terraform` in `--tools` (or on
//! PATH) the Terraform column shows the reference figures measured on the
//! development machine, marked "(ref)".
//!
//! Stacks come from gen_tfdata.py ($CAIRN_GEN_TFDATA, else
//! /work/shared/bench/gen_tfdata.py, else the copy in tests/fixtures/compat).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tool {
    Cairn,
    Terraform,
}

impl Tool {
    fn name(self) -> &'static str {
        match self {
            Tool::Cairn => "cairn",
            Tool::Terraform => "terraform",
        }
    }
    fn state_file(self) -> &'static str {
        match self {
            Tool::Cairn => "cairn.tfstate",
            Tool::Terraform => "terraform.tfstate",
        }
    }
}

struct Opts {
    ns: Vec<usize>,
    shapes: Vec<String>,
    tools: Vec<Tool>,
    runs: usize,
    cairn: PathBuf,
    parallelism: usize,
}

fn usage() -> ! {
    eprintln!("usage: cargo bench --bench engine -- [--n N...] [--shapes wide,chain,layered] [--tools cairn,terraform] [--runs R] [--cairn PATH] [--parallelism P]");
    std::process::exit(2)
}

fn parse_args() -> Opts {
    let mut o = Opts {
        ns: vec![1000],
        shapes: vec!["wide".into(), "chain".into(), "layered".into()],
        tools: vec![Tool::Cairn, Tool::Terraform],
        runs: 1,
        cairn: std::env::var_os("CAIRN_BIN").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_cairn"))),
        parallelism: 10,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    // Values of a flag: the following words up to the next flag, split on commas.
    let values = |i: &mut usize| -> Vec<String> {
        let mut out = Vec::new();
        while *i + 1 < args.len() && !args[*i + 1].starts_with("--") {
            *i += 1;
            out.extend(args[*i].split(',').filter(|s| !s.is_empty()).map(str::to_string));
        }
        if out.is_empty() {
            usage()
        }
        out
    };
    while i < args.len() {
        match args[i].as_str() {
            "--n" => o.ns = values(&mut i).iter().map(|v| v.parse().unwrap_or_else(|_| usage())).collect(),
            "--shapes" => o.shapes = values(&mut i),
            "--tools" => {
                o.tools = values(&mut i)
                    .iter()
                    .map(|t| match t.as_str() {
                        "cairn" => Tool::Cairn,
                        "terraform" => Tool::Terraform,
                        _ => usage(),
                    })
                    .collect()
            }
            "--runs" => o.runs = values(&mut i)[0].parse().unwrap_or_else(|_| usage()),
            "--parallelism" => o.parallelism = values(&mut i)[0].parse().unwrap_or_else(|_| usage()),
            "--cairn" => o.cairn = PathBuf::from(&values(&mut i)[0]),
            // `cargo bench` passes `--bench` to harness = false targets.
            "--bench" => {}
            "-h" | "--help" => usage(),
            other => {
                eprintln!("unknown argument {other:?}");
                usage()
            }
        }
        i += 1;
    }
    if o.tools.contains(&Tool::Terraform) && !have_terraform() {
        eprintln!("note: terraform is not on PATH; showing Terraform reference figures instead");
        o.tools.retain(|t| *t != Tool::Terraform);
    }
    o.runs = o.runs.max(1);
    o
}

fn have_terraform() -> bool {
    Command::new("terraform").arg("version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

fn generator() -> PathBuf {
    if let Some(p) = std::env::var_os("CAIRN_GEN_TFDATA") {
        return PathBuf::from(p);
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for p in [PathBuf::from("/work/shared/bench/gen_tfdata.py"), root.join("../shared/bench/gen_tfdata.py")] {
        if p.is_file() {
            return p;
        }
    }
    root.join("tests/fixtures/compat/gen_tfdata.py")
}

fn generate(shape: &str, n: usize, dir: &Path, mutate: &str) {
    let out = Command::new("python3")
        .arg(generator())
        .arg(shape)
        .arg(n.to_string())
        .arg(dir)
        .args(["--mutate", mutate])
        .output()
        .expect("run python3 gen_tfdata.py");
    if !out.status.success() {
        panic!("gen_tfdata.py {shape} {n}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// Wall time and peak RSS (bytes) of one command.
#[derive(Clone, Copy, Debug)]
struct Sample {
    wall: Duration,
    rss: u64,
}

/// Runs `program args` in `dir` (stdout discarded), reaps it with wait4 for
/// its own rusage. Panics unless it exits with one of `ok_codes`.
fn measure(program: &Path, args: &[&str], dir: &Path, ok_codes: &[i32]) -> Sample {
    let stderr_path = dir.join(".bench-stderr");
    let stderr = std::fs::File::create(&stderr_path).unwrap();
    let start = Instant::now();
    let child = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .env("CAIRN_NO_PROGRESS", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {}: {e}", program.display()));
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: plain syscall on our own child; rusage is a POD out-parameter.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let r = loop {
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
        if r == -1 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        break r;
    };
    let wall = start.elapsed();
    // The child is reaped; don't let std wait for it again.
    std::mem::forget(child);
    assert_eq!(r, pid, "wait4: {}", std::io::Error::last_os_error());
    let code = if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { -1 };
    if !ok_codes.contains(&code) {
        let err = std::fs::read_to_string(&stderr_path).unwrap_or_default();
        let tail: Vec<&str> = err.lines().rev().take(30).collect::<Vec<_>>().into_iter().rev().collect();
        panic!("{} {} in {} exited {code} (wanted {ok_codes:?}):\n{}", program.display(), args.join(" "), dir.display(), tail.join("\n"));
    }
    // ru_maxrss is in KiB on Linux.
    Sample { wall, rss: ru.ru_maxrss as u64 * 1024 }
}

/// One tool's numbers for one stack.
#[derive(Clone, Copy, Debug, Default)]
struct Numbers {
    apply_s: Option<f64>,
    apply_rss: Option<u64>,
    state_bytes: Option<u64>,
    plan_s: Option<f64>,
    plan_rss: Option<u64>,
    mutate_s: Option<f64>,
    mutate_rss: Option<u64>,
    reference: bool,
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    let m = xs.len() / 2;
    if xs.len() % 2 == 1 {
        xs[m]
    } else {
        (xs[m - 1] + xs[m]) / 2.0
    }
}

fn bench_tool(tool: Tool, shape: &str, n: usize, o: &Opts) -> Numbers {
    let program = match tool {
        Tool::Cairn => o.cairn.clone(),
        Tool::Terraform => PathBuf::from("terraform"),
    };
    let par = format!("-parallelism={}", o.parallelism);
    let (mut apply, mut plan, mut mutate) = (Vec::new(), Vec::new(), Vec::new());
    let mut state_bytes = 0;
    for run in 0..o.runs {
        let tmp = tempfile::Builder::new().prefix(&format!("cairn-bench-{}-{shape}-{n}-", tool.name())).tempdir().unwrap();
        let dir = tmp.path();
        generate(shape, n, dir, "none");
        if tool == Tool::Terraform {
            measure(&program, &["init", "-input=false", "-no-color"], dir, &[0]);
        }
        eprintln!("[{} {shape}-{n} run {}/{}] apply ...", tool.name(), run + 1, o.runs);
        apply.push(measure(&program, &["apply", "-auto-approve", "-input=false", "-no-color", &par], dir, &[0]));
        state_bytes = std::fs::metadata(dir.join(tool.state_file())).map(|m| m.len()).unwrap_or(0);
        eprintln!("[{} {shape}-{n} run {}/{}] no-change plan ...", tool.name(), run + 1, o.runs);
        plan.push(measure(&program, &["plan", "-input=false", "-no-color", "-detailed-exitcode", &par], dir, &[0]));
        generate(shape, n, dir, "last");
        eprintln!("[{} {shape}-{n} run {}/{}] plan after --mutate last ...", tool.name(), run + 1, o.runs);
        mutate.push(measure(&program, &["plan", "-input=false", "-no-color", "-detailed-exitcode", &par], dir, &[2]));
    }
    let secs = |v: &[Sample]| Some(median(v.iter().map(|s| s.wall.as_secs_f64()).collect()));
    let peak = |v: &[Sample]| v.iter().map(|s| s.rss).max();
    Numbers {
        apply_s: secs(&apply),
        apply_rss: peak(&apply),
        state_bytes: Some(state_bytes),
        plan_s: secs(&plan),
        plan_rss: peak(&plan),
        mutate_s: secs(&mutate),
        mutate_rss: peak(&mutate),
        reference: false,
    }
}

/// Terraform 1.11 on the development machine (2 cores), from the task
/// description; shown when Terraform isn't run.
fn terraform_reference(shape: &str, n: usize) -> Numbers {
    const MB: u64 = 1_000_000;
    let mut r = Numbers { reference: true, ..Numbers::default() };
    match (shape, n) {
        ("wide", 1000) => {
            r.apply_s = Some(32.0);
            r.plan_s = Some(2.1);
            r.plan_rss = Some(150 * MB);
        }
        ("layered", 1000) => r.apply_s = Some(41.0),
        ("chain", 1000) => {
            r.apply_s = Some(223.0);
            r.apply_rss = Some(480 * MB);
            r.state_bytes = Some(18 * MB);
            r.plan_s = Some(17.9);
            r.plan_rss = Some(724 * MB);
        }
        _ => {}
    }
    r
}

fn fmt_s(v: Option<f64>) -> String {
    match v {
        Some(s) if s < 10.0 => format!("{s:.3} s"),
        Some(s) => format!("{s:.1} s"),
        None => "–".into(),
    }
}

fn fmt_bytes(v: Option<u64>) -> String {
    match v {
        Some(b) if b >= 10_000_000 => format!("{:.0} MB", b as f64 / 1e6),
        Some(b) if b >= 1_000_000 => format!("{:.1} MB", b as f64 / 1e6),
        Some(b) if b >= 10_000 => format!("{:.0} kB", b as f64 / 1e3),
        Some(b) => format!("{b} B"),
        None => "–".into(),
    }
}

fn main() {
    let o = parse_args();
    if o.tools.contains(&Tool::Cairn) && !o.cairn.is_file() {
        eprintln!("cairn binary not found at {} (build with cargo build --release, or pass --cairn)", o.cairn.display());
        std::process::exit(1);
    }
    println!("| stack | metric | terraform | cairn | ratio | target |");
    println!("|---|---|---:|---:|---:|---|");
    for shape in &o.shapes {
        for &n in &o.ns {
            let tf = if o.tools.contains(&Tool::Terraform) { bench_tool(Tool::Terraform, shape, n, &o) } else { terraform_reference(shape, n) };
            let cairn = if o.tools.contains(&Tool::Cairn) { bench_tool(Tool::Cairn, shape, n, &o) } else { Numbers::default() };
            let refmark = if tf.reference { " (ref)" } else { "" };
            let stack = format!("{shape}-{n}");
            // Time: terraform / cairn (higher is better); memory: cairn / terraform.
            let time_row = |metric: &str, t: Option<f64>, c: Option<f64>, goal: Option<f64>| {
                let ratio = t.zip(c).map(|(t, c)| t / c);
                let target = match (goal, ratio) {
                    (Some(g), Some(r)) => format!("≥ {g:.0}x {}", if r >= g { "✓" } else { "✗" }),
                    (Some(g), None) => format!("≥ {g:.0}x"),
                    _ => String::new(),
                };
                let t = if t.is_some() { format!("{}{refmark}", fmt_s(t)) } else { fmt_s(t) };
                println!("| {stack} | {metric} | {t} | {} | {} | {target} |", fmt_s(c), ratio.map_or("–".into(), |r| format!("{r:.1}x faster")));
            };
            let mem_row = |metric: &str, t: Option<u64>, c: Option<u64>, goal: Option<f64>| {
                let ratio = t.zip(c).map(|(t, c)| c as f64 / t as f64);
                let target = match (goal, ratio) {
                    (Some(g), Some(r)) => format!("≤ {g:.2} {}", if r <= g { "✓" } else { "✗" }),
                    (Some(g), None) => format!("≤ {g:.2}"),
                    _ => String::new(),
                };
                let t = if t.is_some() { format!("{}{refmark}", fmt_bytes(t)) } else { fmt_bytes(t) };
                println!("| {stack} | {metric} | {t} | {} | {} | {target} |", fmt_bytes(c), ratio.map_or("–".into(), |r| format!("{r:.2}")));
            };
            time_row("apply from empty", tf.apply_s, cairn.apply_s, Some(50.0));
            mem_row("apply peak RSS", tf.apply_rss, cairn.apply_rss, Some(0.2));
            mem_row("state size", tf.state_bytes, cairn.state_bytes, None);
            let per = |b: Option<u64>| b.map(|b| b / n as u64);
            mem_row("state bytes / resource", per(tf.state_bytes), per(cairn.state_bytes), None);
            time_row("no-change plan", tf.plan_s, cairn.plan_s, Some(20.0));
            mem_row("no-change plan peak RSS", tf.plan_rss, cairn.plan_rss, Some(0.2));
            time_row("plan after --mutate last", tf.mutate_s, cairn.mutate_s, None);
            mem_row("plan after --mutate last peak RSS", tf.mutate_rss, cairn.mutate_rss, None);
        }
    }
}
