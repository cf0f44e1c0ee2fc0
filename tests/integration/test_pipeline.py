"""The real pipeline under the real `dvc` CLI, on the 2,795-flight files fixture."""

from __future__ import annotations

import csv
import json
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration import (
    CACHED_OUTS,
    FIXTURE,
    REPO,
    RUNNING,
    SKIPPED,
    STAGES,
    UP_TO_DATE,
    clone,
    commit_all,
    describe,
    dvc,
    leftovers,
    load_yaml,
    lock_outs,
    md5_tree,
    output,
    run,
    set_params,
    stages_matching,
    subprocess_env,
)
from tests.integration.conftest import Baseline

pytestmark = pytest.mark.integration

SCORES = ("roc_auc", "average_precision", "log_loss", "brier", "accuracy", "n_test")
PLOTS = ("roc", "precision_recall", "calibration", "feature_importance", "error_by_carrier")
REPORTS = ("delay_by_carrier", "delay_by_origin", "delay_by_month", "delay_by_hour", "model_by_carrier")
CARRIER_COLUMNS = (
    "carrier",
    "airline",
    "flights",
    "mean_arr_delay",
    "median_arr_delay",
    "p90_arr_delay",
    "share_late",
    "cancelled",
)


def assert_up_to_date(repo: Path) -> None:
    status = dvc(repo, "status")
    assert UP_TO_DATE in status.stdout, describe(status)


def csv_header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as fh:
        return next(csv.reader(fh))


def exp_run(repo: Path, *params: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return dvc(repo, "exp", "run", *(arg for param in params for arg in ("-S", param)), check=check)


def no_traceback(proc: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in output(proc), describe(proc)


# --- a full run -------------------------------------------------------------------------


def test_repro_runs_every_stage_and_writes_every_output(baseline: Baseline) -> None:
    repo = baseline.path
    assert stages_matching(RUNNING, baseline.repro) == set(STAGES), baseline.repro
    for path in ("data/raw/flights/month=01/part-0.parquet", "models/model.pkl"):
        assert (repo / path).is_file(), path
    for out in CACHED_OUTS:
        assert (repo / out).exists(), out
        assert (repo / f"{out}.provenance.json").is_file(), f"{out}.provenance.json"
    for path in lock_outs(repo):
        assert (repo / path).exists(), f"{path} is in dvc.lock but was not written"
    for plot in PLOTS:
        assert len(csv_header(repo / "plots" / f"{plot}.csv")) >= 2, plot
    scores = json.loads((repo / "metrics/scores.json").read_text(encoding="utf-8"))
    assert set(SCORES) <= set(scores), scores
    assert 0.0 < scores["roc_auc"] < 1.0
    assert scores["n_test"] > 0
    header = csv_header(repo / "reports/delay_by_carrier.csv")
    assert set(CARRIER_COLUMNS) <= set(header), header
    assert_up_to_date(repo)


def test_every_module_the_params_select_is_measured_for_the_catalog(baseline: Baseline) -> None:
    """`pipelab catalog` shows speed and memory from logs/modules.jsonl: one run records every chosen module
    (report tables said "not measured yet" however often they ran)."""
    params = load_yaml(baseline.path / "params.yaml")
    chosen = {
        f"source:{params['data']['source']}",
        f"missing:{params['clean']['missing']}",
        f"model:{params['model']['name']}",
        *(f"feature_group:{name}" for name in params["features"]["groups"]),
        *(f"check:{name}" for name in params["quality"]["checks"]),
        *(f"report:{name}" for name in params["report"]["tables"]),
    }
    log = (baseline.path / "logs" / "modules.jsonl").read_text(encoding="utf-8").splitlines()
    assert {json.loads(line)["module"] for line in log} == chosen


def test_pipeline_results_equal_the_one_process_reference(baseline: Baseline, tmp_path: Path) -> None:
    """Eight processes and Parquet round trips compute what one process computes in memory:
    a difference means some stage depends on row order, dtypes or an index that the files
    do not preserve (the congestion counts once did)."""
    command: list[str | Path] = [sys.executable, REPO / "benchmarks/reference.py", "--out", tmp_path]
    printed = run(command, baseline.path).stdout.split()
    reference = {key: float(value) for key, value in (item.split("=") for item in printed)}
    scores = json.loads((baseline.path / "metrics/scores.json").read_text(encoding="utf-8"))
    for name in SCORES[:-1]:
        assert reference[name] == pytest.approx(scores[name], abs=1e-6), (name, reference, scores)
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.csv"))
    assert written == sorted([*(f"plots/{plot}.csv" for plot in PLOTS), *(f"reports/{r}.csv" for r in REPORTS)])
    for path in written:
        assert (tmp_path / path).read_text(encoding="utf-8") == (baseline.path / path).read_text(encoding="utf-8"), path


def test_raw_provenance_names_the_fixture_files(baseline: Baseline) -> None:
    record = json.loads((baseline.path / "data/raw.provenance.json").read_text(encoding="utf-8"))
    text = json.dumps(record)
    for table in ("flights", "weather", "planes", "airports", "airlines"):
        assert f"{FIXTURE}/{table}.csv" in text, f"{table} missing from raw provenance: {text[:2000]}"


# --- experiments ------------------------------------------------------------------------


def test_model_change_reruns_only_train_evaluate_report(work_repo: Path) -> None:
    # a change no other test makes: clones share one DVC cache, whose run-cache would restore a repeat
    proc = exp_run(work_repo, "model.name=baseline")
    assert stages_matching(RUNNING, proc) == {"train", "evaluate", "report"}, describe(proc)
    assert stages_matching(SKIPPED, proc) == {"ingest", "validate", "clean", "features", "split"}, describe(proc)
    diff = dvc(work_repo, "metrics", "diff", "main", "--json")
    roc_auc = json.loads(diff.stdout)["metrics/scores.json"]["roc_auc"]
    assert roc_auc["diff"] not in (None, 0, 0.0), describe(diff)
    name = re.search(r"Ran experiment\(s\): (\S+)", output(proc))
    assert name is not None, describe(proc)
    show = dvc(work_repo, "exp", "show", "--no-pager", "--csv")
    assert name.group(1) in show.stdout, describe(show)


def test_feature_change_does_not_rerun_ingest_validate_clean(work_repo: Path) -> None:
    proc = exp_run(work_repo, "features.groups=[calendar,schedule]")
    ran = stages_matching(RUNNING, proc)
    assert "features" in ran, describe(proc)
    assert not ran & {"ingest", "validate", "clean"}, describe(proc)
    assert {"ingest", "validate", "clean"} <= stages_matching(SKIPPED, proc), describe(proc)
    manifest = json.loads((work_repo / "data/features/manifest.json").read_text(encoding="utf-8"))
    assert manifest["groups"] == ["calendar", "schedule"], manifest


@pytest.mark.parametrize(
    ("param", "expected"),
    [
        ("model.name=xgb", ("model.name", "xgb", "registered", "baseline", "hgb", "logistic")),
        ("model.hgb.learning_rate=-1", ("model.hgb.learning_rate", "greater than 0")),
    ],
)
def test_bad_param_fails_before_any_work(work_repo: Path, param: str, expected: tuple[str, ...]) -> None:
    proc = exp_run(work_repo, param, check=False)
    assert proc.returncode != 0, describe(proc)
    errors = [line for line in output(proc).splitlines() if line.startswith("error: train:")]
    assert len(errors) == 1, describe(proc)
    for text in expected:
        assert text in errors[0], describe(proc)
    no_traceback(proc)
    assert stages_matching(RUNNING, proc) == {"train"}, describe(proc)
    assert not leftovers(work_repo)


# --- determinism and sharing ------------------------------------------------------------


def data_outs(repo: Path) -> dict[str, str]:
    """dvc.lock md5s of the outputs under data/ and models/ (metrics and telemetry hold timings)."""
    return {p: md5 for p, md5 in lock_outs(repo).items() if p.startswith(("data/", "models/"))}


@dataclass(frozen=True)
class ForcedRuns:
    """dvc.lock md5s (data and models) of the baseline run and of two forced runs in a clone.

    Before the forced runs, the clone commits a change to code that no stage runs (the CLI):
    `dvc status` then still finds everything up to date, so a forced run must agree.
    """

    baseline: dict[str, str]
    status: str  # `dvc status` after that commit
    first: dict[str, str]
    second: dict[str, str]


NOT_STAGE_CODE = "src/pipelab/cli/app.py"


@pytest.fixture(scope="module")
def forced_runs(baseline: Baseline, tmp_path_factory: pytest.TempPathFactory) -> ForcedRuns:
    repo = clone(baseline.path, tmp_path_factory.mktemp("forced") / "repo", baseline.sandbox, share_cache=True)
    with (repo / NOT_STAGE_CODE).open("a", encoding="utf-8") as fh:
        fh.write("# a comment: a commit to code no stage imports\n")
    commit_all(repo, "cli: a comment")
    status = dvc(repo, "status").stdout
    dvc(repo, "repro", "--force")
    first = data_outs(repo)
    dvc(repo, "repro", "--force")
    return ForcedRuns(data_outs(baseline.path), status, first, data_outs(repo))


def differences(before: dict[str, str], after: dict[str, str]) -> dict[str, tuple[str, str | None]]:
    return {path: (md5, after.get(path)) for path, md5 in before.items() if after.get(path) != md5}


def test_two_forced_runs_give_identical_hashes(forced_runs: ForcedRuns) -> None:
    expected = {*CACHED_OUTS, *(f"{out}.provenance.json" for out in CACHED_OUTS)}
    assert set(forced_runs.first) == expected
    changed = differences(forced_runs.first, forced_runs.second)
    assert not changed, f"outputs differ between two forced runs: {changed}"


def test_commits_that_change_no_stage_code_change_no_output(forced_runs: ForcedRuns) -> None:
    """The baseline ran two commits earlier: before its dvc.lock and metrics were committed,
    and before the CLI change. Its committed dvc.lock is what a run at the clone's HEAD gives."""
    assert UP_TO_DATE in forced_runs.status
    changed = differences(forced_runs.baseline, forced_runs.first)
    assert not changed, f"outputs differ from the same run two commits earlier: {changed}"


def test_push_then_pull_into_a_fresh_clone_is_byte_identical(baseline: Baseline, tmp_path: Path) -> None:
    dvc(baseline.path, "push")
    fresh = clone(baseline.path, tmp_path / "fresh", baseline.sandbox, share_cache=False)
    assert not (fresh / "data/raw").exists()
    dvc(fresh, "pull")
    for out in lock_outs(baseline.path):
        original, pulled = md5_tree(baseline.path, out), md5_tree(fresh, out)
        assert original, out
        assert pulled == original, f"{out}: pulled files differ from the original"
    assert_up_to_date(fresh)


# --- atomic outputs ---------------------------------------------------------------------


def wait_for(path: Path, proc: subprocess.Popen[bytes], attempts: int = 20_000) -> bool:
    """Poll until `path` exists (True) or `proc` exits (False)."""
    for _ in range(attempts):
        if path.exists():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.005)
    return False


def test_killed_stage_leaves_previous_output_whole(work_repo: Path) -> None:
    before = md5_tree(work_repo, "data/features")
    staging = work_repo / "data/.features.stage-tmp"
    proc = subprocess.Popen(
        ["python", "stages/features.py"],
        cwd=work_repo,
        env=subprocess_env(work_repo),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        started = wait_for(staging, proc)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    if not started:  # it finished before its staging dir was seen: leave the same debris by hand
        (staging / "table").mkdir(parents=True, exist_ok=True)
    assert md5_tree(work_repo, "data/features") == before, "a killed stage changed its committed output"
    assert_up_to_date(work_repo)
    repro = dvc(work_repo, "repro", "--force", "--single-item", "features")
    assert stages_matching(RUNNING, repro) == {"features"}, describe(repro)
    assert not leftovers(work_repo)
    assert md5_tree(work_repo, "data/features") == before
    assert_up_to_date(work_repo)


def test_debris_of_a_killed_run_is_cleared_by_the_next_repro(work_repo: Path) -> None:
    predictions = md5_tree(work_repo, "data/predictions")
    debris = {
        "data/.predictions.stage-tmp/predictions.parquet": b"half a parquet file",
        "data/.predictions.old-tmp/predictions.parquet": b"PAR1",
        "data/.predictions.provenance.json.stage-tmp": b"{",
        "plots/.roc.csv.stage-tmp": b"fpr,tpr\n0,",
        "metrics/telemetry/.evaluate.json.stage-tmp": b"{",
    }
    for path, content in debris.items():
        (work_repo / path).parent.mkdir(parents=True, exist_ok=True)
        (work_repo / path).write_bytes(content)
    set_params(work_repo, evaluate={"calibration_bins": 12})
    repro = dvc(work_repo, "repro")
    assert stages_matching(RUNNING, repro) == {"evaluate"}, describe(repro)
    assert not leftovers(work_repo)
    assert md5_tree(work_repo, "data/predictions") == predictions
    assert len((work_repo / "plots/calibration.csv").read_text(encoding="utf-8").splitlines()) <= 13
    assert_up_to_date(work_repo)


# --- stage scripts ------------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_stage_help(baseline: Baseline, stage: str) -> None:
    proc = run(["python", f"stages/{stage}.py", "--help"], baseline.path)
    assert f"stages/{stage}.py" in proc.stdout, describe(proc)
    assert "writes:" in proc.stdout, describe(proc)


def test_stage_script_runs_without_dvc(work_repo: Path) -> None:
    before = md5_tree(work_repo, "data/splits")
    run(["python", "stages/split.py"], work_repo)
    assert md5_tree(work_repo, "data/splits") == before
    assert not leftovers(work_repo)


@pytest.mark.parametrize(
    ("reads", "refusal"),
    [
        ('ContractRef("clean_flights", ">=3,<4")', "reads clean_flights >=3,<4, but the pipeline produces"),
        ('ContractRef("clean_flightz")', "reads clean_flightz, which is no contract: clean_flights, clean_planes, "),
    ],
)
def test_a_module_reading_a_contract_it_cannot_get_is_refused_before_it_runs(
    work_repo: Path, reads: str, refusal: str
) -> None:
    """Report modules got no inputs to check: one reading clean_flights v3 ran on v2 data, a misspelt name unchecked."""
    (work_repo / "src/pipelab/reports/future.py").write_text(
        "from pipelab.core.registry import ContractRef, register\n"
        "from pipelab.reports.base import ReportTable\n\n\n"
        f'@register("report", "future", reads=({reads},))\n'
        "def future(inputs, config):\n"
        '    raise AssertionError("ran")\n',
        encoding="utf-8",
    )
    set_params(work_repo, report={"tables": ["delay_by_month", "future"]})
    proc = run(["python", "stages/report.py"], work_repo, check=False)
    assert proc.returncode == 2, describe(proc)
    assert f"error: report: report 'future' {refusal}" in output(proc), describe(proc)
    assert "Traceback" not in output(proc)


# --- errors in user data ------------------------------------------------------------------


def drop_column(path: Path, column: str) -> None:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    fields = [name for name in rows[0] if name != column]
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def test_missing_column_in_user_data_is_one_clear_line(work_repo: Path) -> None:
    shutil.copytree(work_repo / FIXTURE, work_repo / "user_data")
    drop_column(work_repo / "user_data/flights.csv", "carrier")
    set_params(work_repo, data={"path": "user_data"})
    proc = dvc(work_repo, "repro", check=False)
    assert proc.returncode != 0, describe(proc)
    errors = [line for line in output(proc).splitlines() if line.startswith("error: ingest:")]
    assert len(errors) == 1, describe(proc)
    assert "flights.csv" in errors[0], describe(proc)
    assert "carrier" in errors[0], describe(proc)
    no_traceback(proc)
    assert stages_matching(RUNNING, proc) == {"ingest"}, describe(proc)
    assert not leftovers(work_repo)
