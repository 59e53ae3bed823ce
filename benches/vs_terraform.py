#!/usr/bin/env python3
"""cairn against the installed Terraform, on identical generated stacks.

Prints one table row per (command, shape, N): the median wall time of each
tool over a few runs, their ratio, and each tool's peak memory.

    python3 benches/vs_terraform.py validate            # 5,000-resource wide stack
    python3 benches/vs_terraform.py validate --n 1000 5000 --shapes wide chain layered

Needs a release build (`cargo build --release`) and terraform on PATH. Stacks
come from ../shared/bench/gen_tfdata.py (or $CAIRN_GEN_TFDATA).
"""
import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GEN = os.environ.get("CAIRN_GEN_TFDATA", os.path.join(ROOT, "..", "shared", "bench", "gen_tfdata.py"))
CAIRN = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "cairn")


def measure(cmd, cwd, runs):
    # Each measurement in a fresh python child so ru_maxrss is per command.
    code = (
        "import resource,subprocess,sys,time,os\n"
        "s=time.perf_counter();p=subprocess.run(sys.argv[2:],cwd=sys.argv[1],stdout=subprocess.DEVNULL,stderr=subprocess.PIPE)\n"
        "e=time.perf_counter()-s\n"
        "assert p.returncode==0,p.stderr.decode()[-2000:]\n"
        "print(e, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024)\n"
    )
    times, peaks = [], []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", code, cwd, *cmd], capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"})
        if out.returncode != 0:
            sys.exit(f"{' '.join(cmd)} failed in {cwd}:\n{out.stderr[-2000:]}")
        t, m = out.stdout.split()
        times.append(float(t))
        peaks.append(float(m))
    return statistics.median(times), max(peaks)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("command", choices=["validate"])
    ap.add_argument("--n", type=int, nargs="+", default=[5000])
    ap.add_argument("--shapes", nargs="+", default=["wide"])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    if not os.path.exists(CAIRN):
        sys.exit("build cairn first: cargo build --release")
    if not shutil.which("terraform"):
        sys.exit("terraform is not on PATH")
    print(f"| command | shape | N | terraform s | cairn s | speed-up | terraform MiB | cairn MiB |")
    print(f"|---|---|---|---|---|---|---|---|")
    for shape in args.shapes:
        for n in args.n:
            with tempfile.TemporaryDirectory() as d:
                subprocess.run([sys.executable, GEN, shape, str(n), d], check=True, stdout=subprocess.DEVNULL)
                subprocess.run(["terraform", "init", "-input=false"], cwd=d, check=True, stdout=subprocess.DEVNULL)
                tf_t, tf_m = measure(["terraform", "validate", "-no-color"], d, args.runs)
                c_t, c_m = measure([CAIRN, "validate", "-no-color"], d, args.runs)
                print(f"| {args.command} | {shape} | {n} | {tf_t:.3f} | {c_t:.3f} | {tf_t / c_t:.1f}x | {tf_m:.0f} | {c_m:.0f} |", flush=True)


if __name__ == "__main__":
    main()
