"""The pull-request check (.github/scripts/pr-report.sh, what `make pr-report` and the workflow run)
on a temporary repository with a base branch and pull-request branches that change one param."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from tests.integration import (
    RUNNING,
    VENV_BIN,
    clone,
    commit_all,
    describe,
    dvc,
    git,
    load_yaml,
    run,
    stages_matching,
)
from tests.integration.conftest import Baseline

pytestmark = pytest.mark.integration


def open_pull_request(repo: Path, branch: str, section: str, key: str, value: object) -> None:
    """A branch off main that changes one param and commits nothing else (no results)."""
    git(repo, "checkout", "--quiet", "--force", "-B", branch, "main")
    params = load_yaml(repo / "params.yaml")
    target = params[section]
    *parents, name = key.split(".")
    for part in parents:
        target = target[part]
    target[name] = value
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    commit_all(repo, f"{section}.{key} = {value}")


def test_the_pull_request_check_blocks_a_regression_and_passes_a_harmless_change(
    baseline: Baseline, tmp_path: Path
) -> None:
    dvc(baseline.path, "push")  # the team's DVC remote holds main's outputs
    repo = clone(baseline.path, tmp_path / "repo", baseline.sandbox, share_cache=False)
    assert not (repo / "data/raw").exists()

    open_pull_request(repo, "flat-model", "model", "hgb.min_samples_leaf", 100000)
    proc = run(["bash", ".github/scripts/pr-report.sh", "main"], repo, check=False)
    assert proc.returncode == 1, describe(proc)
    assert "pr-report: pulling cached outputs from DVC remote 'tmp-remote'" in proc.stderr
    assert stages_matching(RUNNING, proc) == {"train", "evaluate", "report"}, describe(proc)  # the rest was pulled
    report = (repo / "compare/report.md").read_text(encoding="utf-8")
    assert proc.stdout.endswith(report)  # the report is printed last
    headings = [line for line in report.splitlines() if line.startswith("## ")]
    assert headings[0] == "## ❌ Failing gates", report
    committed = load_yaml(baseline.path / "params.yaml")["model"]["hgb"]["min_samples_leaf"]
    assert f"| model.hgb.min_samples_leaf | {committed} | 100,000 |" in report
    data = json.loads((repo / "compare/report.json").read_text(encoding="utf-8"))
    assert (data["base"]["label"], data["target"]["kind"]) == ("main", "workspace")
    assert data["target"]["message"].startswith("HEAD: model.hgb.min_samples_leaf = 100000")
    assert (repo / "compare/roc.svg").is_file()
    assert (repo / "compare/precision_recall.png").is_file()

    open_pull_request(repo, "fewer-repeats", "evaluate", "importance_repeats", 2)
    proc = run(["bash", ".github/scripts/pr-report.sh", "main"], repo, check=False)
    assert proc.returncode == 0, describe(proc)
    assert stages_matching(RUNNING, proc) == {"evaluate"}, describe(proc)  # its predictions, so report, are unchanged
    data = json.loads((repo / "compare/report.json").read_text(encoding="utf-8"))
    assert data["passed"]
    assert [p["key"] for p in data["params"]] == ["evaluate.importance_repeats"]
    assert {m["verdict"] for m in data["metrics"]} == {"unchanged"}


def test_an_unknown_base_is_a_one_line_error_with_exit_code_2(baseline: Baseline, tmp_path: Path) -> None:
    """Run as the README shows, with no venv activated (the script finds the checkout's .venv itself), on a
    machine without the default local remote (a CI runner: DVC warned once per file, then rebuilt)."""
    repo = clone(baseline.path, tmp_path / "repo", baseline.sandbox, share_cache=True)
    (repo / ".venv").symlink_to(VENV_BIN.parent)
    dvc(repo, "remote", "add", "--local", "--default", "never-pushed", str(tmp_path / "never-pushed"))
    script = ["bash", ".github/scripts/pr-report.sh", "origin/nope"]
    proc = run(["env", f"PATH={os.defpath}", *script], repo, check=False)  # was: dvc: command not found, exit 127
    assert proc.returncode == 2, describe(proc)
    gone = f"pr-report: DVC remote 'never-pushed' ({tmp_path / 'never-pushed'}) does not exist on this machine"
    assert f"{gone}; outputs are rebuilt" in proc.stderr.splitlines(), describe(proc)
    assert "WARNING" not in proc.stderr, describe(proc)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        "error: unknown revision or experiment 'origin/nope': not a branch, tag, commit or DVC experiment name here"
    ]
    assert "Traceback" not in proc.stderr


def test_a_remote_given_by_url_serves_that_run_only(baseline: Baseline, tmp_path: Path) -> None:
    repo = clone(baseline.path, tmp_path / "repo", baseline.sandbox, share_cache=True)
    local_config = repo / ".dvc" / "config.local"
    before = local_config.read_text(encoding="utf-8") if local_config.exists() else None
    url = run(["dvc", "config", "remote.tmp-remote.url"], repo).stdout.strip()  # the sandbox's remote, as CI gives it
    proc = run(["bash", "-c", f"DVC_REMOTE_URL={url} bash .github/scripts/pr-report.sh origin/nope"], repo, check=False)
    assert proc.returncode == 2, describe(proc)
    assert "pr-report: pulling cached outputs from DVC remote 'ci'" in proc.stderr
    after = local_config.read_text(encoding="utf-8") if local_config.exists() else None
    assert after == before  # a person's later `make push` / `make pull` still go where they went
