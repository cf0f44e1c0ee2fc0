"""Fixtures: one baseline copy of the repository per session, and cheap clones of it per test.

The baseline is the repository's git-visible files in a fresh git repo (branch `main`),
with params switched to the small files fixture, DVC pointed at a tmp remote and a tmp
site cache, `dvc repro` run once and the results committed. Tests that change anything
work on a `git clone` of it that shares its DVC cache, so nothing is recomputed needlessly
and the user's own cache and remote are never touched.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration import (
    FIXTURE,
    REPO,
    Sandbox,
    clone,
    commit_all,
    configure_dvc,
    dvc,
    init_git,
    run,
    set_params,
)


@dataclass(frozen=True)
class Baseline:
    """The session's reproduced baseline repository and the tmp DVC locations it uses."""

    path: Path
    sandbox: Sandbox
    repro: str  # what the first `dvc repro` printed


def copy_repository(dest: Path) -> None:
    """Copy the files git would see (tracked plus untracked-but-not-ignored) into `dest`."""
    listing = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], REPO).stdout
    for name in sorted(set(filter(None, listing.split("\0")))):
        source = REPO / name
        if not source.is_file():  # deleted in the working tree but still in the index
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


@pytest.fixture(scope="session")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Baseline:
    root = tmp_path_factory.mktemp("pipelab")
    sandbox = Sandbox(remote=root / "remote", site_cache=root / "dvc-site-cache")
    repo = root / "baseline"
    repo.mkdir()
    copy_repository(repo)
    init_git(repo)
    commit_all(repo, "copy of the working tree")
    set_params(repo, data={"source": "files", "path": FIXTURE})
    commit_all(repo, "params: the small files fixture")
    configure_dvc(repo, sandbox, repo / ".dvc" / "cache")
    repro = dvc(repo, "repro")
    commit_all(repo, "baseline: dvc.lock and metrics on the fixture")
    return Baseline(repo, sandbox, repro.stdout + repro.stderr)


@pytest.fixture
def work_repo(baseline: Baseline, tmp_path: Path) -> Path:
    """A clone of the baseline that shares its DVC cache, outputs checked out, free to change."""
    return clone(baseline.path, tmp_path / "repo", baseline.sandbox, share_cache=True)
