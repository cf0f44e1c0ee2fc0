"""An external plugin package, installed for real, selected in params, run by the real pipeline.

The demo package (tests/fixtures/plugins/demo) registers a model and a feature group through
the `pipelab.modules` entry point. It is pip-installed into a directory put on the pipeline's
PYTHONPATH, so the shared environment (and its catalog) stays as it is.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipelab.core import io
from tests.integration import REPO, RUNNING, describe, dvc, output, run, stages_matching

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("site")
    source = tmp_path_factory.mktemp("plugin") / "demo"  # pip builds in the source tree: use a copy
    shutil.copytree(REPO / "tests" / "fixtures" / "plugins" / "demo", source)
    pip: list[str | Path] = [
        "python",
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-deps",
        "--no-build-isolation",
        "--target",
        site,
        source,
    ]
    run(pip, tmp_path_factory.getbasetemp())
    assert (site / "pipelab_demo_plugin").is_dir()
    return site


def test_the_catalog_lists_the_installed_plugins_modules(work_repo: Path, plugin_site: Path) -> None:
    proc = run(["pipelab", "catalog", "--json"], work_repo, packages=[plugin_site])
    modules = {(m["kind"], m["name"]): m for m in json.loads(proc.stdout)["modules"]}
    assert modules[("model", "demo_prior")]["package"] == "pipelab-demo-plugin"
    assert modules[("feature_group", "demo_night")]["version"] == "0.1.0"


def test_a_plugin_model_and_feature_group_selected_in_params_run_in_the_pipeline(
    work_repo: Path, plugin_site: Path
) -> None:
    proc = dvc(
        work_repo,
        "exp",
        "run",
        "-S",
        "model.name=demo_prior",
        "-S",
        "features.groups=[calendar,schedule,demo_night]",
        packages=[plugin_site],
    )
    assert stages_matching(RUNNING, proc) == {"features", "split", "train", "evaluate", "report"}, describe(proc)
    manifest = json.loads((work_repo / "data/features/manifest.json").read_text(encoding="utf-8"))
    assert manifest["groups"] == ["calendar", "schedule", "demo_night"]
    table = io.read_parquet(work_repo / "data/features/table")
    assert set(table["demo_night__is_night"]) <= {0.0, 1.0}
    scores = json.loads((work_repo / "metrics/scores.json").read_text(encoding="utf-8"))
    assert scores["roc_auc"] == 0.5  # the prior predicts the same probability for every flight
    diff = json.loads(dvc(work_repo, "metrics", "diff", "main", "--json").stdout)
    assert diff["metrics/scores.json"]["roc_auc"]["new"] == 0.5


def test_without_the_plugin_the_same_params_fail_naming_what_is_registered(work_repo: Path) -> None:
    proc = dvc(work_repo, "exp", "run", "-S", "model.name=demo_prior", check=False)
    assert proc.returncode != 0
    errors = [line for line in output(proc).splitlines() if line.startswith("error: train:")]
    assert len(errors) == 1, describe(proc)
    assert "model.name = 'demo_prior'" in errors[0]
    assert "registered: baseline, hgb, logistic" in errors[0]
