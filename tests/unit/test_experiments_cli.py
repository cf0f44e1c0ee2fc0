"""`pipelab compare`, `pipelab sweep` and `pipelab seeds` on a tiny git + DVC repository (files only, no pipeline).

Each branch holds one kind of side: better, worse, a loosened gates file, a metric that
is text, a missing metric, no metrics at all. The pipeline itself runs in the integration tests.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from pipelab.cli import app
from tests.integration import REPO, commit_all, git, init_dvc_repo, set_git_identity

SCORES = {"roc_auc": 0.70, "average_precision": 0.40, "log_loss": 0.50, "brier": 0.20, "n_test": 100}
PARAMS = {"seed": 1, "model": {"name": "hgb", "hgb": {"learning_rate": 0.1, "max_iter": 200}}}
TELEMETRY = {"wall_seconds": 10.0, "cpu_seconds": 9.0, "peak_rss_mb": 500.0, "rows_per_second": 1000.0}


def write_side(repo: Path, scores: dict[str, Any] | None, params: dict[str, Any] = PARAMS) -> None:
    (repo / "params.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
    path = repo / "metrics" / "scores.json"
    if scores is None:
        path.unlink()
    else:
        path.write_text(json.dumps(scores), encoding="utf-8")


def branch(repo: Path, name: str, message: str, scores: dict[str, Any] | None, **params: Any) -> None:
    git(repo, "checkout", "-q", "-b", name, "main")
    write_side(repo, scores, PARAMS | params)
    commit_all(repo, message)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = init_dvc_repo(tmp_path_factory.mktemp("tiny") / "repo")
    (repo / "metrics" / "telemetry").mkdir(parents=True)
    shutil.copy(REPO / "metrics" / "gates.yaml", repo / "metrics" / "gates.yaml")
    (repo / "metrics" / "telemetry" / "train.json").write_text(json.dumps(TELEMETRY), encoding="utf-8")
    write_side(repo, SCORES)
    commit_all(repo, "baseline")
    git(repo, "tag", "v1")
    branch(repo, "better", "better: more rounds", SCORES | {"roc_auc": 0.75, "brier": 0.18})
    worse_model = {"name": "hgb", "hgb": {"learning_rate": 0.5, "max_iter": 200}}
    branch(repo, "worse", "worse: learning rate 0.5", SCORES | {"roc_auc": 0.60}, model=worse_model)
    branch(repo, "text-metric", "a metric that is text", SCORES | {"roc_auc": "n/a"})
    branch(repo, "lost-metric", "brier is gone", {k: v for k, v in SCORES.items() if k != "brier"})
    branch(repo, "no-metrics", "no scores file", None)
    git(repo, "checkout", "-q", "-b", "no-dvc", "main")
    git(repo, "rm", "-rq", ".dvc", ".dvcignore")
    git(repo, "commit", "-q", "-m", "before dvc init")
    git(repo, "checkout", "-q", "no-metrics")  # the workspace, as before
    branch(repo, "loose", "worse, with a loosened gate", SCORES | {"roc_auc": 0.60})
    gates = yaml.safe_load((repo / "metrics" / "gates.yaml").read_text(encoding="utf-8"))
    gates["metrics"]["roc_auc"]["gate"] = False
    (repo / "metrics" / "gates.yaml").write_text(yaml.safe_dump(gates), encoding="utf-8")
    commit_all(repo, "loosen the roc_auc gate")
    git(repo, "checkout", "-q", "main")
    return repo


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})


def compare(runner: CliRunner, repo: Path, *args: str) -> Any:
    return runner.invoke(app, ["compare", *args, "--root", str(repo), "--output", str(repo.parent / "out")])


def report_json(repo: Path) -> Any:
    return json.loads((repo.parent / "out" / "report.json").read_text(encoding="utf-8"))


def one_error_line(result: Any) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    return str(lines[0])


# --- compare: exit codes and what is read --------------------------------------------------------


def test_a_better_target_passes_and_the_report_is_written(runner: CliRunner, tiny: Path) -> None:
    result = compare(runner, tiny, "main", "better")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# pipelab compare: `main` → `better`")
    assert "✅ **No gated measure regressed** (gates: `metrics/gates.yaml at main`)." in result.stdout
    assert (tiny.parent / "out" / "report.md").read_text(encoding="utf-8") == result.stdout
    data = report_json(tiny)
    roc = next(m for m in data["metrics"] if m["key"] == "roc_auc")
    assert (roc["base"], roc["target"], roc["verdict"]) == (0.70, 0.75, "better")
    assert data["target"]["message"] == "better: more rounds"
    assert data["params"] == []


def test_a_gated_regression_exits_1_with_failing_gates_first(runner: CliRunner, tiny: Path) -> None:
    result = compare(runner, tiny, "v1", "worse")
    assert result.exit_code == 1, result.output
    headings = [line for line in result.stdout.splitlines() if line.startswith("## ")]
    assert headings[0] == "## ❌ Failing gates"
    assert "| roc_auc | 0.7 | 0.6 | -0.1 (-14.3%) | 0.004 | worse |" in result.stdout
    params = [(p["key"], p["base"], p["target"]) for p in report_json(tiny)["params"]]
    assert params == [("model.hgb.learning_rate", 0.1, 0.5)]


def test_json_output_is_the_report_data(runner: CliRunner, tiny: Path) -> None:
    result = compare(runner, tiny, "main", "worse", "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data == report_json(tiny)
    assert data["passed"] is False
    assert [f["key"] for f in data["failing"]] == ["roc_auc"]


def test_the_base_gates_judge_so_a_branch_cannot_loosen_its_own(runner: CliRunner, tiny: Path) -> None:
    result = compare(runner, tiny, "main", "loose")
    assert result.exit_code == 1, result.output
    assert "(gates: `metrics/gates.yaml at main`)" in result.stdout
    assert compare(runner, tiny, "loose", "worse").exit_code == 0  # judged by the loosened file


def test_a_gated_metric_missing_on_the_target_fails_the_gate(runner: CliRunner, tiny: Path) -> None:
    result = compare(runner, tiny, "main", "lost-metric")
    assert result.exit_code == 1, result.output
    failing = report_json(tiny)["failing"]
    assert [(f["key"], f["verdict"]) for f in failing] == [("brier", "removed")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("main", "nope"), "error: unknown revision or experiment 'nope': not a branch, tag, commit or DVC experiment"),
        (("typo", "main"), "error: unknown revision or experiment 'typo'"),
        (("main", "text-metric"), "error: metrics/scores.json at text-metric: roc_auc = 'n/a' is not a number"),
        (("main", "no-metrics"), "error: no-metrics (commit "),
        (("no-dvc", "main"), "error: no-dvc (commit "),
        (("", "workspace"), "error: empty revision '': name a branch, tag, commit, DVC experiment or `workspace`"),
        (("main", " "), "error: empty revision ' ': name a branch, tag, commit, DVC experiment or `workspace`"),
    ],
)
def test_bad_sides_exit_2_with_one_line(runner: CliRunner, tiny: Path, args: tuple[str, ...], message: str) -> None:
    result = compare(runner, tiny, *args)
    assert result.exit_code == 2, result.output
    assert one_error_line(result).startswith(message)


def test_a_side_without_metrics_names_the_file(runner: CliRunner, tiny: Path) -> None:
    line = one_error_line(compare(runner, tiny, "no-metrics", "main"))
    assert line.endswith("metrics/scores.json not found; run the pipeline and commit its metrics there")


def test_a_commit_without_dvc_is_named_as_such(runner: CliRunner, tiny: Path) -> None:
    line = one_error_line(compare(runner, tiny, "no-dvc", "main"))
    assert line.endswith("no DVC project there (no .dvc/); compare a commit that has the pipeline and its results")


def test_a_malformed_gates_file_exits_2_naming_the_key(runner: CliRunner, tiny: Path, tmp_path: Path) -> None:
    gates = tmp_path / "gates.yaml"
    gates.write_text("metrics:\n  roc_auc: {direction: up}\n", encoding="utf-8")
    result = compare(runner, tiny, "main", "better", "--gates", str(gates))
    assert result.exit_code == 2
    assert one_error_line(result) == (
        f"error: {gates}: metrics.roc_auc.direction = 'up': Input should be 'higher' or 'lower'"
    )
    missing = compare(runner, tiny, "main", "better", "--gates", str(tmp_path / "none.yaml"))
    assert one_error_line(missing) == f"error: {tmp_path / 'none.yaml'}: gates file not found"


def test_outside_a_dvc_repository_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    result = compare(runner, tmp_path)
    assert result.exit_code == 2
    assert one_error_line(result) == f"error: {tmp_path}: not a DVC repository (run inside the pipelab checkout)"


def test_each_revision_is_read_as_committed_never_from_the_workspace(
    runner: CliRunner, tiny: Path, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    git(tiny.parent, "clone", "-q", tiny, work)
    for name in ("better", "worse"):
        git(work, "branch", "-q", name, f"origin/{name}")
    write_side(work, SCORES | {"roc_auc": 0.99})  # uncommitted, on main
    committed = runner.invoke(app, ["compare", "worse", "better", "--root", str(work), "--json", "--no-plots"])
    roc = next(m for m in json.loads(committed.stdout)["metrics"] if m["key"] == "roc_auc")
    assert (roc["base"], roc["target"]) == (0.60, 0.75)
    workspace = runner.invoke(app, ["compare", "HEAD", "--root", str(work), "--json", "--no-plots"])
    data = json.loads(workspace.stdout)
    roc = next(m for m in data["metrics"] if m["key"] == "roc_auc")
    assert (roc["base"], roc["target"]) == (0.70, 0.99)
    assert data["target"]["kind"] == "workspace"
    assert data["target"]["message"] == "HEAD: baseline (with uncommitted changes)"


def test_an_experiment_name_on_two_baselines_is_ambiguous_and_its_commit_or_ref_picks_one(
    runner: CliRunner, tiny: Path, tmp_path: Path
) -> None:
    """As `pipelab seeds` names its runs on every HEAD: the name alone picks only the one on HEAD."""
    from dvc.repo import Repo

    work = tmp_path / "work"
    git(tiny.parent, "clone", "-q", tiny, work)
    set_git_identity(work)
    baselines = []
    for roc in (0.71, 0.72):
        baselines.append(git(work, "rev-parse", "HEAD").stdout.strip())
        write_side(work, SCORES | {"roc_auc": roc})
        with Repo(str(work)) as repo:
            repo.experiments.save(name="seeds-head-s1")
        commit_all(work, f"the commit after roc_auc {roc}")
    listed = git(work, "for-each-ref", "--format=%(objectname) %(refname)", "refs/exps").stdout.splitlines()
    # refs/exps/<baseline sha[:2]>/<baseline sha[2:]>/<name>, in ref order as the error lists them
    commits, refs = zip(*(line.split() for line in listed if line.endswith("/seeds-head-s1")), strict=True)
    bases = ["".join(ref.split("/")[2:4]) for ref in refs]
    assert sorted(bases) == sorted(baselines)
    candidates = ", ".join(
        f"{sha[:7]} (baseline {base[:7]}, {ref})" for sha, base, ref in zip(commits, bases, refs, strict=True)
    )
    result = compare(runner, work, "v1", "seeds-head-s1")
    assert result.exit_code == 2, result.output
    assert one_error_line(result) == (
        "error: ambiguous experiment name 'seeds-head-s1': 2 experiments have it, on baselines other than HEAD: "
        f"{candidates}; name one by its commit or full ref instead, e.g. {commits[0][:7]}"
    )
    for label in (commits[0][:7], refs[0]):
        picked = compare(runner, work, "v1", label, "--json", "--no-plots")
        assert picked.exit_code == 0, picked.output
        target = json.loads(picked.stdout)["target"]
        assert (target["kind"], target["name"], target["rev"]) == ("experiment", "seeds-head-s1", commits[0])
    git(work, "checkout", "-q", baselines[1])
    on_head = compare(runner, work, "v1", "seeds-head-s1", "--json", "--no-plots")
    assert on_head.exit_code == 0, on_head.output
    roc = next(m for m in json.loads(on_head.stdout)["metrics"] if m["key"] == "roc_auc")
    assert roc["target"] == 0.72


# --- sweep: refused before any trial ------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--space", "model.hgb.learning_rate=log:0.01..3"], "3.0 is outside what params allow"),
        (["--space", "model.hgb.nope=int:1..3"], "--space model.hgb.nope: unknown key; allowed:"),
        (["--space", "model.hgb.learning_rate:log:0.01..0.3"], "expected KEY=float:LOW..HIGH"),
        (["--space", "model.hgb.learning_rate=log:0.01..0.3", "--metric", "auc"], "--metric auc: not a number"),
        (["--space", "model.hgb.learning_rate=log:0.01..0.3", "--metric", "n_test"], "no direction in metrics/gates"),
        (["--space", "model.hgb.learning_rate=log:0.01..0.3", "--study", "a b"], "--study 'a b': use letters"),
        (["--space", "model.logistic.C=log:0.01..10"], "--space model.logistic.C: no trial uses model.logistic, as"),
    ],
)
def test_sweep_refuses_bad_input_before_any_trial(runner: CliRunner, tiny: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["sweep", *args, "--root", str(tiny), "--trials", "1"])
    assert result.exit_code == 2, result.output
    assert message in one_error_line(result)
    assert not (tiny / "sweeps").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "not found"),
        ("model.hgb.learning_rate: [\n", "not valid YAML (line 2)"),
        (b"\xff\xfe", "not UTF-8 text (byte 0)"),
    ],
)
def test_sweep_names_a_space_file_it_cannot_read_and_why(
    runner: CliRunner, tiny: Path, tmp_path: Path, content: str | bytes | None, message: str
) -> None:
    space_file = tmp_path / "space.yaml"
    if isinstance(content, str):
        space_file.write_text(content, encoding="utf-8")
    elif content is not None:
        space_file.write_bytes(content)
    result = runner.invoke(app, ["sweep", "--space-file", str(space_file), "--root", str(tiny), "--trials", "1"])
    assert result.exit_code == 2, result.output
    assert one_error_line(result).startswith(f"error: {space_file}: {message}")
    assert not (tiny / "sweeps").exists()


# --- seeds: refused before any run -------------------------------------------------------------


@pytest.fixture(scope="module")
def seeded(tiny: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone of `tiny` whose HEAD has the repository's whole params.yaml (seeds validates every section)."""
    repo = tmp_path_factory.mktemp("seeded") / "repo"
    git(tiny, "clone", "-q", str(tiny), str(repo))
    set_git_identity(repo)
    shutil.copy(REPO / "params.yaml", repo / "params.yaml")
    commit_all(repo, "the repository's params")
    return repo


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (["model.name=hgb"], "-S model.name=hgb: the same params as HEAD's once validated; nothing to compare"),
        (
            ["model.name=hgb", "model.hgb.early_stopping=1"],
            "-S model.name=hgb -S model.hgb.early_stopping=1: the same params as HEAD's once validated; nothing to",
        ),
        (
            ["model.logistic.penalty=l1"],
            "-S model.logistic.penalty=l1: model.logistic.penalty: unknown key; allowed: C, ",
        ),
        (["+model.name=logistic"], "-S +model.name=logistic: HEAD's params.yaml has model.name; change it with -S "),
        (["model.hgb.max_depth=3,6"], "-S model.hgb.max_depth=3,6: several values for model.hgb.max_depth, a grid "),
    ],
)
def test_seeds_refuses_bad_input_before_any_run(
    runner: CliRunner, seeded: Path, change: list[str], message: str
) -> None:
    result = runner.invoke(app, ["seeds", *(a for c in change for a in ("-S", c)), "--root", str(seeded)])
    assert result.exit_code == 2, result.output
    assert one_error_line(result).startswith(f"error: {message}")
    assert result.stdout == ""


@pytest.mark.parametrize("command", ["sweep", "seeds"])
def test_ctrl_c_exits_130_with_one_line(
    runner: CliRunner, seeded: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    from pipelab.experiments import runs, seeds, sweep

    def interrupted(*args: Any) -> Any:
        raise runs.RunInterruptedError("interrupted: run 0 stopped")

    monkeypatch.setattr(sweep if command == "sweep" else seeds, "run", interrupted)
    args = ["--space", "model.hgb.learning_rate=log:0.01..0.3"] if command == "sweep" else ["-S", "model.name=logistic"]
    result = runner.invoke(app, [command, *args, "--root", str(seeded)])
    assert result.exit_code == 130, result.output
    assert one_error_line(result) == "error: interrupted: run 0 stopped"


@pytest.mark.parametrize("apply", [[], ["--apply-best"]])
def test_a_sweep_whose_trials_all_failed_exits_4_not_1_which_means_a_regression(
    runner: CliRunner, seeded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, apply: list[str]
) -> None:
    from pipelab.experiments import sweep

    repo = tmp_path / "repo"
    git(seeded, "clone", "-q", str(seeded), str(repo))

    def failing(root: Path, name: str, message: str, sets: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(["dvc"], 255, "", "ERROR: failed to reproduce 'train'\n")

    monkeypatch.setattr(sweep, "exp_run", failing)
    space = ["--space", "model.hgb.learning_rate=log:0.01..0.3"]
    result = runner.invoke(app, ["sweep", *space, "--trials", "2", "--study", "s", "--root", str(repo), *apply])
    assert result.exit_code == 4, result.output
    assert "trial 0 failed: ERROR: failed to reproduce 'train'" in result.stdout
    assert "trial 1 failed: ERROR: failed to reproduce 'train'" in result.stdout
    head = git(repo, "rev-parse", "--short=7", "HEAD").stdout.strip()
    assert one_error_line(result) == f"error: study 's': no trial completed from HEAD {head}"


@pytest.fixture
def default_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP at their defaults (kill the process), as a shell starts a command."""
    previous = {sig: signal.signal(sig, signal.SIG_DFL) for sig in (signal.SIGTERM, signal.SIGHUP)}
    yield
    for sig, handler in previous.items():
        signal.signal(sig, handler)


@pytest.mark.usefixtures("default_signals")
@pytest.mark.parametrize(("command", "sig"), [("sweep", signal.SIGTERM), ("seeds", signal.SIGHUP)])
def test_sigterm_or_sighup_before_any_run_exits_128_plus_its_number_with_one_line(
    runner: CliRunner, seeded: Path, monkeypatch: pytest.MonkeyPatch, command: str, sig: signal.Signals
) -> None:
    from pipelab.experiments import seeds, sweep

    def signalled(*args: Any, **kwargs: Any) -> Any:
        os.kill(os.getpid(), sig)
        time.sleep(5)  # the signal ends this
        raise AssertionError(f"{sig.name} did not stop the command")

    monkeypatch.setattr(sweep if command == "sweep" else seeds, "plan", signalled)
    args = ["--space", "model.hgb.learning_rate=log:0.01..0.3"] if command == "sweep" else ["-S", "model.name=logistic"]
    result = runner.invoke(app, [command, *args, "--root", str(seeded)])
    assert result.exit_code == 128 + sig, result.output
    assert one_error_line(result) == f"error: interrupted by {sig.name}"


def test_an_output_that_cannot_be_written_is_one_line(runner: CliRunner, tiny: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    result = runner.invoke(app, ["compare", "main", "better", "--root", str(tiny), "--output", str(blocker / "out")])
    assert result.exit_code == 2
    assert one_error_line(result) == f"error: {blocker / 'out' / 'report.md'}: not a directory"


def test_root_holds_the_default_output_and_a_given_one_is_the_shells(
    runner: CliRunner, tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--output and --gates are read from the current directory, as a shell gives them; only the default
    output directory is inside --root (it is git-ignored there)."""
    monkeypatch.chdir(tmp_path)
    shutil.copy(tiny / "metrics" / "gates.yaml", tmp_path / "my-gates.yaml")
    given = runner.invoke(
        app, ["compare", "main", "better", "--root", str(tiny), "--no-plots", "-o", "out", "--gates", "my-gates.yaml"]
    )
    assert given.exit_code == 0, given.output
    assert json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))["gates_source"] == "my-gates.yaml"
    assert not (tiny / "out").exists()
    default = runner.invoke(app, ["compare", "main", "better", "--root", str(tiny), "--no-plots"])
    assert default.exit_code == 0, default.output
    assert (tiny / "compare" / "report.json").is_file()
    assert not (tmp_path / "compare").exists()
    shutil.rmtree(tiny / "compare")
