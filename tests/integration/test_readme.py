"""The README's commands, run as written on a clone of the fixture baseline.

Each command is quoted from README.md (the test fails if the README stops saying it), then
run with bash in the clone. The experiment, pull-request, sweep and rollback commands are
run by tests/integration/test_experiments*.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.integration import REPO, RUNNING, clone, describe, output, run, stages_matching
from tests.integration.conftest import Baseline

pytestmark = pytest.mark.integration
README = (REPO / "README.md").read_text(encoding="utf-8")
INSPECT = (
    "make help",
    "pipelab check-params",
    "pipelab run-info",
    "pipelab quality show",
    "pipelab contracts list",
    "pipelab contracts show raw_flights",
    "pipelab contracts diff HEAD",
    "pipelab catalog",
    "python -c \"import pandas as pd; print(pd.read_parquet('data/clean/flights', partitioning=None).shape)\"",
)
EXP_SHOW = "dvc exp show --drop '.*' --keep '^(Experiment|roc_auc|average_precision|log_loss|brier|model\\..*)$'"
NIGHT = "dvc exp run -S 'features.groups=[calendar,schedule,weather,aircraft,route,congestion,night]'"


def readme_says(command: str) -> str:
    assert command in README, f"README.md no longer shows `{command}`"
    return command


def sh(repo: Path, command: str, *, check: bool = True) -> str:
    proc = run(["bash", "-c", readme_says(command)], repo, check=check)
    return output(proc)


def python_block(after: str) -> str:
    """The first ```python block that follows `after` in the README."""
    found = re.search(r"```python\n(.*?)```", README[README.index(after) :], re.DOTALL)
    assert found is not None, f"no python block after {after!r}"
    return found.group(1)


@pytest.fixture(scope="module")
def inspected(baseline: Baseline, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One clone for the commands that only look (they change nothing)."""
    return clone(baseline.path, tmp_path_factory.mktemp("readme") / "repo", baseline.sandbox, share_cache=True)


@pytest.mark.parametrize("command", INSPECT)
def test_inspection_commands_work(inspected: Path, command: str) -> None:
    sh(inspected, command)


def test_the_quick_experiment(work_repo: Path) -> None:
    sh(work_repo, 'dvc exp run -n logistic -m "does a linear model hold up?" -S model.name=logistic')
    shown = sh(work_repo, EXP_SHOW)
    assert "logistic" in shown
    assert "roc_auc" in shown
    assert "wall_seconds" not in shown  # the telemetry columns are dropped


def test_bring_your_own_data_with_the_fixture(work_repo: Path) -> None:
    sh(work_repo, "dvc exp run -S data.source=files -S data.path=tests/fixtures/flights_small")


def test_a_failed_run_is_undone_as_the_readme_says(work_repo: Path) -> None:
    """Also after stages upstream of the bad value have run: features and split, here."""
    readme_says("dvc exp run -S model.name=xgb")
    proc = run(
        ["bash", "-c", "dvc exp run -S 'features.groups=[calendar,schedule]' -S model.name=xgb"],
        work_repo,
        check=False,
    )
    assert proc.returncode != 0, describe(proc)
    assert "features" in stages_matching(RUNNING, proc), describe(proc)
    assert not (work_repo / "models/model.pkl").exists()  # DVC removed train's outputs before running it
    sh(work_repo, "git checkout -- params.yaml dvc.lock metrics plots reports && dvc checkout")
    assert (work_repo / "models/model.pkl").is_file()
    assert "up to date" in output(run(["dvc", "status"], work_repo))
    assert output(run(["git", "status", "--porcelain"], work_repo)) == ""


def test_a_tripped_quality_gate(work_repo: Path) -> None:
    proc = run(
        ["bash", "-c", readme_says("dvc exp run -S quality.quarantine_share.max_share=0")], work_repo, check=False
    )
    assert proc.returncode != 0, describe(proc)
    assert "error: validate: quality gate tripped: raw_weather: 1 of 1,720 rows quarantined" in output(proc)


def test_add_a_feature_group_in_five_minutes(work_repo: Path) -> None:
    sh(work_repo, "pipelab new feature_group night")
    module = work_repo / "src/pipelab/transforms/features/night.py"
    assert module.is_file()
    module.write_text(python_block("Fill in the function"), encoding="utf-8")
    sh(work_repo, "pytest -q tests/unit/test_feature_group_night.py")  # its scaffolded test passes as generated
    sh(work_repo, NIGHT)
    manifest = json.loads((work_repo / "data/features/manifest.json").read_text(encoding="utf-8"))
    assert "night__is_night" in manifest["numeric"]
    assert "metrics/telemetry/features.json" in sh(work_repo, "dvc metrics diff main")  # features re-ran
    sh(work_repo, "pipelab catalog --markdown docs/catalog.md")
    assert "`night`" in (work_repo / "docs/catalog.md").read_text(encoding="utf-8")


def test_promoting_the_drift_reference(work_repo: Path) -> None:
    sh(work_repo, "pipelab quality set-reference")
    run(["dvc", "repro"], work_repo)
    drift = json.loads((work_repo / "metrics/quality.json").read_text(encoding="utf-8"))["features"]
    assert drift["drift_psi_max"] == 0.0  # the run compared with its own profile
