"""Experiments on the real pipeline (fixture data): compare and its gates, DVC's queue, pipelab sweep,
rollback, promotion and sharing -- the README's experiment workflow, command by command.

One module-scoped lab repository runs two model-only experiments once; tests that change a
workspace work on clones of it that share its DVC cache and fetch its experiment refs.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
import pandas as pd
import pytest
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import TrialState

from tests.integration import (
    CACHED_OUTS,
    VENV_BIN,
    commit_all,
    configure_dvc,
    describe,
    dvc,
    git,
    load_yaml,
    md5_tree,
    output,
    run,
    set_git_identity,
    subprocess_env,
)
from tests.integration.conftest import Baseline

pytestmark = pytest.mark.integration

EXPERIMENTS = {
    "flat": ("model.hgb.min_samples_leaf=100000", "one leaf: a constant model"),
    "slower": ("model.hgb.learning_rate=0.05", "half the learning rate"),
}
TRACKED = ("metrics", "plots", "reports")


def produced(repo: Path) -> dict[str, str]:
    """md5 of every data and model file, provenance record, metric, plot and report in the workspace."""
    outs = [*CACHED_OUTS, *(f"{out}.provenance.json" for out in CACHED_OUTS), *TRACKED]
    return {path: md5 for out in outs for path, md5 in md5_tree(repo, out).items()}


def adopt(repo: Path, experiment: str) -> None:
    """Apply an experiment and commit it, as a team keeps one."""
    dvc(repo, "exp", "apply", experiment)
    commit_all(repo, f"adopt {experiment}")


def restore(repo: Path, *checkout: str) -> dict[str, str]:
    """`git checkout CHECKOUT...` then `dvc checkout`; what the workspace then holds."""
    git(repo, "checkout", *checkout)
    dvc(repo, "checkout")
    return produced(repo)


def pipelab(repo: Path, *args: str | Path, check: bool = False) -> Any:
    return run([VENV_BIN / "pipelab", *args], repo, check=check)


def compare_json(repo: Path, base: str, target: str) -> dict[str, Any]:
    proc = pipelab(repo, "compare", base, target, "--json", "--no-plots", "--output", repo / "compare")
    assert proc.returncode in (0, 1), describe(proc)
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def metric(report: dict[str, Any], key: str) -> tuple[float, float]:
    row = next(m for m in report["metrics"] if m["key"] == key)
    return row["base"], row["target"]


def exp_show(repo: Path) -> dict[str, dict[str, str]]:
    """`dvc exp show --csv` rows keyed by experiment name."""
    text = dvc(repo, "exp", "show", "--no-pager", "--csv").stdout
    return {row["Experiment"]: row for row in csv.DictReader(io.StringIO(text)) if row["Experiment"]}


@dataclass(frozen=True)
class Lab:
    """A clone of the baseline with the EXPERIMENTS run, and what each (and main) produced."""

    path: Path
    baseline: Baseline
    results: dict[str, dict[str, str]]


@pytest.fixture(scope="module")
def lab(baseline: Baseline, tmp_path_factory: pytest.TempPathFactory) -> Lab:
    repo = clone_with_experiments(baseline.path, tmp_path_factory.mktemp("lab") / "repo", baseline)
    results = {"main": produced(repo)}
    for name, (param, message) in EXPERIMENTS.items():
        restore(repo, "--", ".")  # each experiment starts from main's params
        dvc(repo, "exp", "run", "-S", param, "-n", name, "-m", message)
        results[name] = produced(repo)
    return Lab(repo, baseline, results)


def clone_with_experiments(source: Path, dest: Path, baseline: Baseline) -> Path:
    """A git clone of `source` with its experiment refs, using the baseline's DVC cache, checked out."""
    run(["git", "clone", "--quiet", source, dest], source.parent)
    set_git_identity(dest)
    configure_dvc(dest, baseline.sandbox, baseline.path / ".dvc" / "cache")
    git(dest, "fetch", "--quiet", "origin", "refs/exps/*:refs/exps/*")
    dvc(dest, "checkout")
    return dest


@pytest.fixture
def work(lab: Lab, tmp_path: Path) -> Path:
    return clone_with_experiments(lab.path, tmp_path / "work", lab.baseline)


# --- compare ---------------------------------------------------------------------------------------


def test_compare_blocks_a_real_regression_and_explains_it(lab: Lab) -> None:
    out = lab.path / "compare"
    proc = pipelab(lab.path, "compare", "main", "flat", "--output", out)
    assert proc.returncode == 1, describe(proc)
    headings = [line for line in proc.stdout.splitlines() if line.startswith("## ")]
    assert headings[:3] == ["## ❌ Failing gates", "## Intent", "## Params (changed only)"], proc.stdout
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert {f["key"] for f in report["failing"]} >= {"roc_auc", "average_precision"}
    assert (report["target"]["name"], report["target"]["message"]) == ("flat", "one leaf: a constant model")
    committed = load_yaml(lab.baseline.path / "params.yaml")["model"]["hgb"]["min_samples_leaf"]
    assert [(p["key"], p["base"], p["target"]) for p in report["params"]] == [
        ("model.hgb.min_samples_leaf", committed, 100000)
    ]
    committed = json.loads((lab.baseline.path / "metrics/scores.json").read_text(encoding="utf-8"))
    assert metric(report, "roc_auc") == (committed["roc_auc"], 0.5)  # a constant model ranks nothing
    predicted = pd.read_parquet(lab.baseline.path / "data/predictions/predictions.parquet")
    late_on_main = int(predicted["predicted_late"].sum())
    diff = report["predictions"]
    assert diff["compared"] == committed["n_test"] == len(predicted)
    assert (diff["class_changed"], diff["to_on_time"], diff["to_late"]) == (late_on_main, late_on_main, 0)
    assert len(diff["largest"]) == 10
    assert {row["carrier"] for row in diff["by_carrier"]} == set(predicted["carrier"])
    assert len(report["datasets"]) >= 8
    assert not [d["path"] for d in report["datasets"] if d["changed"]]  # a model change moves no data
    assert report["sources_changed"] == []  # same code and source data: seeds can replay the change
    assert report["replication"]["command"] == "pipelab seeds -S model.hgb.min_samples_leaf=100000"
    assert {p for p in report["plots"]} >= {"roc.svg", "roc.png", "precision_recall.svg", "precision_recall.png"}
    svg = (out / "roc.svg").read_text(encoding="utf-8")
    assert "base: main" in svg
    assert "target: flat" in svg


def test_comparing_a_revision_with_itself_passes(lab: Lab) -> None:
    report = compare_json(lab.path, "main", "main")
    assert report["passed"]
    assert report["params"] == []
    assert {m["verdict"] for m in report["metrics"]} == {"unchanged"}
    assert report["predictions"]["class_changed"] == 0


def test_each_side_is_what_its_revision_produced_not_the_workspace(work: Path, lab: Lab) -> None:
    scores = work / "metrics/scores.json"
    scores.write_text(json.dumps(json.loads(scores.read_text(encoding="utf-8")) | {"roc_auc": 0.999}), "utf-8")
    assert metric(compare_json(work, "main", "flat"), "roc_auc")[1] == 0.5
    slower = float(exp_show(work)["slower"]["roc_auc"])
    assert metric(compare_json(work, "flat", "slower"), "roc_auc") == (0.5, slower)
    dvc(work, "exp", "apply", "slower")  # the workspace now holds slower's params and results, uncommitted
    assert metric(compare_json(work, "main", "workspace"), "roc_auc")[1] == slower


def test_a_workspace_not_reproduced_after_a_change_is_refused_naming_the_stale_stages(work: Path) -> None:
    params = work / "params.yaml"
    params.write_text(params.read_text(encoding="utf-8").replace("name: hgb", "name: logistic", 1), "utf-8")
    proc = pipelab(work, "compare", "main", "workspace", "--no-plots")
    assert proc.returncode == 2, describe(proc)
    assert proc.stderr.strip() == (
        "error: workspace: stale results, `dvc status` lists train (params.yaml: model); "
        "run `dvc repro` (or `dvc exp run`) first, or compare a commit or experiment"
    )
    git(work, "checkout", "--", "params.yaml")
    scores = work / "metrics/scores.json"
    scores.write_text(json.dumps(json.loads(scores.read_text(encoding="utf-8")) | {"roc_auc": 0.999}), "utf-8")
    proc = pipelab(work, "compare", "main", "workspace", "--no-plots")
    assert proc.returncode == 2, describe(proc)
    assert "lists evaluate (metrics/scores.json modified), report (metrics/scores.json modified);" in proc.stderr
    assert pipelab(work, "compare", "main", "HEAD", "--no-plots").returncode == 0  # committed sides are unaffected


# --- DVC's own grid sweep: the queue ------------------------------------------------------------


QUEUE_PATIENCE = 900.0  # seconds; two fixture runs take about a minute, so only a stuck worker gets here


def wait_for_queue(repo: Path) -> None:
    """Poll the queue until no task is queued or running; a stuck queue fails with its status and logs.

    Polling, not `dvc queue logs --follow`: every call returns at once, so a stuck task fails the
    test with what the queue says instead of blocking a command until its 600 s timeout.
    """
    deadline = time.monotonic() + QUEUE_PATIENCE
    while True:
        status = dvc(repo, "queue", "status").stdout
        active = [line.split()[1] for line in status.splitlines() if line.split()[-1:] in (["Queued"], ["Running"])]
        if not active:
            return
        if time.monotonic() > deadline:
            logs = [output(dvc(repo, "queue", "logs", task, check=False)) for task in active]
            dvc(repo, "queue", "kill", *active, check=False)
            pytest.fail(f"DVC's queue still busy after {QUEUE_PATIENCE:.0f} s:\n{status}\n" + "\n".join(logs))
        time.sleep(2)


def test_a_grid_sweep_runs_in_dvcs_queue_with_two_workers(work: Path) -> None:
    queued = dvc(work, "exp", "run", "--queue", "-S", "model.hgb.max_depth=3,6")
    names = [line.split("'")[1] for line in queued.stdout.splitlines() if line.startswith("Queued experiment")]
    assert len(names) == 2, describe(queued)
    dvc(work, "queue", "start", "-j", "2")
    wait_for_queue(work)
    shown = exp_show(work)
    assert {shown[name]["State"] for name in names} == {"Success"}, shown
    assert sorted(shown[name]["model.hgb.max_depth"] for name in names) == ["3", "6"]
    for name in names:
        report = compare_json(work, "main", name)
        depth = int(shown[name]["model.hgb.max_depth"])
        assert [(p["key"], p["target"]) for p in report["params"]] == [("model.hgb.max_depth", depth)]
        assert metric(report, "roc_auc")[1] == float(shown[name]["roc_auc"])


# --- pipelab sweep ----------------------------------------------------------------------------------


def test_pipelab_sweep_runs_real_experiments_resumes_and_applies_only_a_winner(work: Path) -> None:
    space = ["--space", "model.hgb.learning_rate=log:0.05..0.3"]
    before = produced(work)
    head = json.loads((work / "metrics/scores.json").read_text(encoding="utf-8"))["roc_auc"]
    committed_rate = load_yaml(work / "params.yaml")["model"]["hgb"]["learning_rate"]
    first = pipelab(work, "sweep", *space, "--trials", "1", "--study", "lr")
    assert first.returncode == 0, describe(first)
    assert "workspace unchanged (each trial ran in a temporary copy: dvc exp run --temp); " in first.stdout
    assert git(work, "status", "--porcelain", "--untracked-files=no").stdout == ""  # params.yaml, dvc.lock, ...
    assert produced(work) == before  # ... and every DVC output as committed
    second = pipelab(work, "sweep", *space, "--trials", "1", "--study", "lr", "--apply-best")
    assert second.returncode == 0, describe(second)
    assert "study 'lr': 1 earlier trial(s)" in second.stdout
    shown = exp_show(work)
    assert {"lr-0", "lr-1"} <= set(shown)
    storage = JournalStorage(JournalFileBackend(str(work / "sweeps/lr.jsonl")))
    trials = optuna.load_study(study_name="lr", storage=storage).trials
    assert [t.number for t in trials] == [0, 1]
    for trial in trials:  # optuna's value is the experiment's roc_auc, its param the experiment's
        row = shown[f"lr-{trial.number}"]
        assert trial.value == float(row["roc_auc"])
        assert trial.params["model.hgb.learning_rate"] == pytest.approx(float(row["model.hgb.learning_rate"]))
    best = max(trials, key=lambda t: (t.value or 0.0, -t.number))
    table = [line for line in second.stdout.splitlines() if line.startswith("| 1 |")]
    assert len(table) == 1
    assert f"`lr-{best.number}`" in table[0]
    assert f"| HEAD (committed params) | {committed_rate:.6g} | {head:.6g} |" in second.stdout
    if float(best.value or 0.0) > head:  # the fixture decides; either way the outcome must match it
        assert f"applied lr-{best.number} to the workspace: roc_auc {best.value:.6g} beats HEAD's" in second.stdout
        rate = load_yaml(work / "params.yaml")["model"]["hgb"]["learning_rate"]
        assert rate == pytest.approx(best.params["model.hgb.learning_rate"])
        assert json.loads((work / "metrics/scores.json").read_text(encoding="utf-8"))["roc_auc"] == best.value
    else:
        assert (
            f"no trial beat HEAD (maximize roc_auc: best lr-{best.number} {best.value:.6g}, HEAD {head:.6g}); "
            "nothing applied, the workspace is as it was"
        ) in second.stdout
        assert git(work, "status", "--porcelain", "--untracked-files=no").stdout == ""
        assert produced(work) == before
    refused = pipelab(work, "sweep", "--space", "model.hgb.learning_rate=log:0.05..3", "--study", "lr")
    assert refused.returncode == 2
    assert "3.0 is outside what params allow" in refused.stderr
    with (work / "params.yaml").open("a", encoding="utf-8") as fh:
        fh.write("# an uncommitted edit\n")
    dirty = pipelab(work, "sweep", *space, "--study", "lr")
    assert dirty.returncode == 2
    assert "params.yaml" in dirty.stderr
    lock = "dvc.lock, " if "applied lr-" in second.stdout else ""  # an applied trial changed dvc.lock too
    assert (
        f"uncommitted changes in {lock}params.yaml (commit them after `dvc repro`, or undo them: "
        f"`git checkout HEAD -- {lock.replace(',', '')}params.yaml`)"
    ) in dirty.stderr
    assert len(optuna.load_study(study_name="lr", storage=storage).trials) == 2


# --- pipelab seeds ----------------------------------------------------------------------------------


def test_pipelab_seeds_judges_means_over_seeds_reuses_its_runs_and_refuses_stale_code(work: Path) -> None:
    before = produced(work)
    head_seed = load_yaml(work / "params.yaml")["seed"]
    committed = json.loads((work / "metrics/scores.json").read_text(encoding="utf-8"))
    args = ["seeds", "-S", "model.hgb.learning_rate=0.2", "--seeds", f"{head_seed},7", "--json"]
    first = pipelab(work, *args)
    assert first.returncode in (0, 1), describe(first)
    ran = [line for line in first.stderr.splitlines() if "dvc exp run --temp" in line]
    assert len(ran) == 3  # HEAD's params with seed 7; the change with both seeds (HEAD's seed: committed)
    assert f"HEAD, seed {head_seed}: HEAD's committed results" in first.stderr
    shown = exp_show(work)
    names = sorted(n for n in shown if n.startswith("seeds-"))
    assert len(names) == 3, names
    assert "seeds-head-s7" in names
    change = {int(n.rsplit("-s", 1)[1]): shown[n] for n in names if n != "seeds-head-s7"}
    assert sorted(change) == [7, head_seed]
    assert all(row["model.hgb.learning_rate"] == "0.2" for row in change.values())
    rows = {r["metric"]: r for r in json.loads(first.stdout)}
    assert rows["roc_auc"]["head"] == [committed["roc_auc"], float(shown["seeds-head-s7"]["roc_auc"])]
    assert rows["roc_auc"]["change"] == [float(change[s]["roc_auc"]) for s in (head_seed, 7)]
    assert rows["log_loss"]["delta"] == pytest.approx(
        sum(rows["log_loss"]["change"]) / 2 - sum(rows["log_loss"]["head"]) / 2
    )
    worse = [m for m, r in rows.items() if r["gate"] and r["verdict"] == "worse"]
    assert first.returncode == (1 if worse else 0)
    assert git(work, "status", "--porcelain", "--untracked-files=no").stdout == ""
    assert produced(work) == before  # every run was --temp

    again = pipelab(work, *args[:-1])  # the same runs, now as Markdown: nothing is trained again
    assert again.returncode == first.returncode, describe(again)
    assert "dvc exp run" not in again.stderr
    assert again.stderr.count("reusing experiment seeds-") == 3
    assert f"| `roc_auc` | yes | {sum(rows['roc_auc']['head']) / 2:.4f} (" in again.stdout

    bad = pipelab(work, "seeds", "-S", "model.hgb.learning_rate=-1")
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert bad.stderr.startswith("error: -S model.hgb.learning_rate=-1: model.hgb.learning_rate"), bad.stderr
    with (work / "src/pipelab/training.py").open("a", encoding="utf-8") as fh:
        fh.write("# an uncommitted edit\n")
    stale = pipelab(work, *args)
    assert stale.returncode == 2
    why = "error: not starting, as every run starts from HEAD, whose committed results stand for its own seed: "
    assert stale.stderr == (
        f"{why}uncommitted changes in src/pipelab/training.py (commit them after `dvc repro`, or undo them: "
        "`git checkout HEAD -- src/pipelab/training.py`)\n"
    )
    commit_all(work, "training.py edited, HEAD not reproduced")
    unreproduced = pipelab(work, *args)
    assert unreproduced.returncode == 2
    assert unreproduced.stderr == (
        f"{why}src/pipelab/training.py committed but not what dvc.lock records (run `dvc repro` and commit dvc.lock)\n"
    )


# --- Ctrl-C during pipelab sweep and pipelab seeds ---------------------------------------------------


# A job started in the background (CI's `bash .ci/run &`) inherits SIGINT ignored, and Python then installs no
# KeyboardInterrupt handler; under nohup SIGHUP is ignored too, which pipelab respects: run the command as a
# terminal starts it, SIGINT and SIGHUP at their defaults.
SIGNALS_AS_FROM_A_TERMINAL = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "signal.signal(signal.SIGHUP, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])"
)


def stopped_while_running(
    repo: Path, stop: Callable[[int], None], *args: str
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """`pipelab ARGS` started as a shell starts a job (its own process group), and `stop(pid)` called a few
    seconds after DVC made its temporary copy of the repository.

    Returns the finished command and the temporary copies seen while it ran.
    """
    command = [str(VENV_BIN / "pipelab"), *args]
    proc = subprocess.Popen(
        [sys.executable, "-c", SIGNALS_AS_FROM_A_TERMINAL, *command],
        cwd=repo,
        env=subprocess_env(repo),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    copies: list[str] = []
    deadline = time.monotonic() + 300
    while not copies and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
        copies = sorted(p.name for p in (repo / ".dvc/tmp/exps/standalone").glob("tmp*"))
    time.sleep(3)  # a stage is running: a run takes about 14 s on the fixture
    stop(proc.pid)
    stdout, stderr = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(command, proc.returncode, stdout, stderr), copies


def ctrl_c(pid: int) -> None:
    """Ctrl-C: the terminal sends SIGINT to the foreground job's process group."""
    os.killpg(pid, signal.SIGINT)


def terminal_closed(pid: int) -> None:
    """A closed terminal: the shell sends SIGHUP to its jobs, and the kernel again to the foreground job once the
    shell has exited."""
    os.killpg(pid, signal.SIGHUP)
    time.sleep(0.2)
    os.killpg(pid, signal.SIGHUP)


def kill(pid: int) -> None:
    """`kill PID`: SIGTERM to pipelab alone."""
    os.kill(pid, signal.SIGTERM)


def assert_no_run_left(repo: Path, experiment: str) -> None:
    """No temporary copy, no experiment `dvc exp show` calls running, none by that name, the workspace as it was."""
    assert not list((repo / ".dvc/tmp/exps/standalone").glob("tmp*"))
    shown = exp_show(repo)
    assert experiment not in shown
    assert not [name for name, row in shown.items() if row.get("State") == "Running"], shown
    assert git(repo, "status", "--porcelain", "--untracked-files=no").stdout == ""


def test_ctrl_c_stops_a_sweep_trial_or_a_seeds_run_and_leaves_nothing_running(work: Path) -> None:
    space = ["--space", "model.hgb.learning_rate=log:0.05..0.3"]
    sweep, copies = stopped_while_running(work, ctrl_c, "sweep", *space, "--trials", "2", "--study", "stop")
    assert copies, describe(sweep)  # DVC was running the trial when Ctrl-C came
    assert sweep.returncode == 130, describe(sweep)
    assert sweep.stderr.splitlines()[-1:] == [
        "error: interrupted: trial 0 stopped and marked failed; study kept in sweeps/stop.jsonl"
    ], describe(sweep)
    assert_no_run_left(work, "stop-0")
    storage = JournalStorage(JournalFileBackend(str(work / "sweeps/stop.jsonl")))
    assert [t.state for t in optuna.load_study(study_name="stop", storage=storage).trials] == [TrialState.FAIL]

    head_seed = load_yaml(work / "params.yaml")["seed"]
    seeds, copies = stopped_while_running(
        work, ctrl_c, "seeds", "-S", "model.hgb.learning_rate=0.2", "--seeds", f"{head_seed},7"
    )
    assert copies, describe(seeds)
    assert seeds.returncode == 130, describe(seeds)
    assert seeds.stderr.splitlines()[-1:] == [
        "error: interrupted: HEAD, seed 7 (seeds-head-s7) stopped; finished runs are kept and reused when the "
        "command runs again"
    ], describe(seeds)
    assert_no_run_left(work, "seeds-head-s7")


@pytest.mark.parametrize(("command", "stop", "signum"), [("sweep", kill, 15), ("seeds", terminal_closed, 1)])
def test_sigterm_or_a_closed_terminal_stops_the_run_as_ctrl_c_does(
    work: Path, command: str, stop: Callable[[int], None], signum: int
) -> None:
    """DVC stops only on SIGINT: it gets one, whatever stopped pipelab, and a second SIGHUP (the kernel's, after the
    shell's) does not kill it before it has removed its copy."""
    name = signal.Signals(signum).name
    if command == "sweep":
        args = ["sweep", "--space", "model.hgb.learning_rate=log:0.05..0.3", "--trials", "2", "--study", "stop"]
        experiment, stopped = "stop-0", "trial 0 stopped and marked failed; study kept in sweeps/stop.jsonl"
    else:
        head_seed = load_yaml(work / "params.yaml")["seed"]
        args = ["seeds", "-S", "model.hgb.learning_rate=0.2", "--seeds", f"{head_seed},7"]
        experiment = "seeds-head-s7"
        stopped = "HEAD, seed 7 (seeds-head-s7) stopped; finished runs are kept and reused when the command runs again"
    proc, copies = stopped_while_running(work, stop, *args)
    assert copies, describe(proc)
    assert proc.returncode == 128 + signum, describe(proc)
    assert proc.stderr.splitlines()[-1:] == [f"error: interrupted by {name}: {stopped}"], describe(proc)
    assert_no_run_left(work, experiment)
    if command == "sweep":
        storage = JournalStorage(JournalFileBackend(str(work / "sweeps/stop.jsonl")))
        (trial,) = optuna.load_study(study_name="stop", storage=storage).trials
        assert (trial.state, trial.user_attrs["fail_reason"]) == (TrialState.FAIL, f"interrupted by {name}")


# --- rollback ------------------------------------------------------------------------------------


def test_git_revert_and_dvc_checkout_bring_back_the_baseline(work: Path, lab: Lab) -> None:
    adopt(work, "flat")
    assert produced(work) == lab.results["flat"]
    git(work, "revert", "--no-edit", "HEAD")
    dvc(work, "checkout")
    assert produced(work) == lab.results["main"]


def test_dvc_exp_apply_brings_back_each_experiment_byte_identical(work: Path, lab: Lab) -> None:
    for name in ("flat", "slower", "flat"):
        dvc(work, "exp", "apply", name)
        assert produced(work) == lab.results[name], name


def test_a_tagged_baseline_is_restored_by_paths_or_whole(work: Path, lab: Lab) -> None:
    git(work, "tag", "baseline-v1")
    adopt(work, "slower")
    assert restore(work, "baseline-v1", "--", "params.yaml", "dvc.lock", *TRACKED) == lab.results["main"]
    assert restore(work, "HEAD", "--", ".") == lab.results["slower"]
    assert restore(work, "--quiet", "baseline-v1") == lab.results["main"]


# --- baseline: promotion and sharing -------------------------------------------------------------


def test_an_experiment_promoted_by_branch_and_merge_becomes_the_baseline(work: Path, lab: Lab) -> None:
    dvc(work, "exp", "branch", "slower", "promote-slower")
    review = compare_json(work, "main", "promote-slower")
    assert review["target"]["name"] == "slower"
    assert [p["key"] for p in review["params"]] == ["model.hgb.learning_rate"]
    git(work, "merge", "--ff-only", "--quiet", "promote-slower")  # the pull request is merged
    dvc(work, "checkout")
    assert produced(work) == lab.results["slower"]
    after = compare_json(work, "main", "workspace")
    assert after["passed"]
    assert {m["verdict"] for m in after["metrics"]} == {"unchanged"}
    assert metric(after, "roc_auc")[0] == metric(review, "roc_auc")[1]


def test_experiments_are_shared_through_a_git_remote_and_the_dvc_remote(work: Path, lab: Lab, tmp_path: Path) -> None:
    shared = tmp_path / "shared.git"
    run(["git", "init", "--quiet", "--bare", "--initial-branch", "main", shared], tmp_path)
    git(work, "remote", "add", "shared", shared)
    git(work, "push", "--quiet", "shared", "main")
    dvc(work, "exp", "push", "shared", "flat")
    teammate = tmp_path / "teammate"
    run(["git", "clone", "--quiet", shared, teammate], tmp_path)
    set_git_identity(teammate)
    configure_dvc(teammate, lab.baseline.sandbox, teammate / ".dvc" / "cache")
    assert "flat" not in exp_show(teammate)
    dvc(teammate, "exp", "pull", "origin", "flat")
    assert "flat" in exp_show(teammate)
    dvc(teammate, "exp", "apply", "flat")
    assert produced(teammate) == lab.results["flat"]
    report = compare_json(teammate, "main", "flat")
    assert not report["passed"]
    assert report["target"]["name"] == "flat"
    assert load_yaml(teammate / "params.yaml")["model"]["hgb"]["min_samples_leaf"] == 100000
