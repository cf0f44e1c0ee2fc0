"""Integration tests: the real `dvc` CLI on temporary copies of the repository.

Helpers shared by the tests live here (fixtures are in conftest.py): one subprocess helper
that returns text output and puts stdout and stderr into assertion messages, plus small
helpers to clone the baseline repository and to hash output files.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pipelab.contracts import VALIDATED

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"
FIXTURE = "tests/fixtures/flights_small"
# Cached data and model outputs (dvc.yaml `outs` without `cache: false`).
CACHED_OUTS = (
    "data/raw",
    "data/validated",
    *(f"data/quarantine/{name}.parquet" for name in VALIDATED),
    "data/clean",
    "data/features",
    "data/splits",
    "data/predictions",
    "models/model.pkl",
)
STAGES = ("ingest", "validate", "clean", "features", "split", "train", "evaluate", "report")
# A stage DVC reproduces: run, or restored from the run-cache, which the tests of a worker share (the same
# change made by an earlier test is restored, not run again).
RUNNING = re.compile(r"(?:Running stage '([^']+)':|Stage '([^']+)' is cached - skipping run)")
SKIPPED = re.compile(r"Stage '([^']+)' didn't change, skipping")
UP_TO_DATE = "Data and pipelines are up to date."


def subprocess_env(repo: Path, packages: Sequence[Path] = ()) -> dict[str, str]:
    """The environment for every subprocess: the venv first on PATH, `repo`'s own src/ imported.

    `packages`: more directories of installed packages (e.g. a plugin installed with `pip --target`).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "DVC_", "PIPELAB_"))}
    env["PATH"] = os.pathsep.join([str(VENV_BIN), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join(map(str, [repo / "src", *packages]))  # the copy's code first
    env["DVC_NO_ANALYTICS"] = "1"
    # Neither the user's DVC config (cache dir, remotes) nor their git config applies.
    no_user_config = str(repo / ".dvc" / "tmp" / "no-user-config")
    env["DVC_GLOBAL_CONFIG_DIR"] = env["DVC_SYSTEM_CONFIG_DIR"] = no_user_config
    env["GIT_CONFIG_GLOBAL"] = os.devnull
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("VIRTUAL_ENV", None)
    return env


def describe(proc: subprocess.CompletedProcess[str]) -> str:
    """A failed command, its exit code and everything it printed, for assertion messages."""
    args = " ".join(map(str, proc.args))
    return f"$ {args}\nexit code {proc.returncode}\n--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"


def run(
    args: Sequence[str | Path], cwd: Path, *, check: bool = True, timeout: float = 600, packages: Sequence[Path] = ()
) -> subprocess.CompletedProcess[str]:
    """Run a command in `cwd` with text output; with `check`, a non-zero exit fails the test."""
    proc = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=subprocess_env(cwd, packages),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check:
        assert proc.returncode == 0, describe(proc)
    return proc


def dvc(
    repo: Path, *args: str | Path, check: bool = True, packages: Sequence[Path] = ()
) -> subprocess.CompletedProcess[str]:
    return run(["dvc", *args], repo, check=check, packages=packages)


def git(repo: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return run(["git", *args], repo)


def output(proc: subprocess.CompletedProcess[str]) -> str:
    return proc.stdout + proc.stderr


def stages_matching(pattern: re.Pattern[str], proc: subprocess.CompletedProcess[str] | str) -> set[str]:
    """The stage names `pattern` finds in a command's output (its first group that matched, for alternatives)."""
    text = proc if isinstance(proc, str) else output(proc)
    return {next(filter(None, m.groups())) for m in pattern.finditer(text)}


@dataclass(frozen=True)
class Sandbox:
    """Where a test's DVC state lives: the shared remote and DVC's site cache, both in tmp."""

    remote: Path
    site_cache: Path


def configure_dvc(repo: Path, sandbox: Sandbox, cache: Path) -> None:
    """Point `repo` (in its git-ignored local config) at the tmp remote, site cache and `cache`.

    Written as `dvc remote add --local --default`, `dvc config --local core.site_cache_dir`
    and `dvc cache dir --local` would write it, without three dvc start-ups per clone.
    """
    config = (
        f"[core]\n    remote = tmp-remote\n    site_cache_dir = {sandbox.site_cache}\n"
        f"[cache]\n    dir = {cache}\n"
        f"['remote \"tmp-remote\"']\n    url = {sandbox.remote}\n"
    )
    (repo / ".dvc" / "config.local").write_text(config, encoding="utf-8")


def init_git(repo: Path) -> None:
    git(repo, "init", "--quiet", "-b", "main")
    set_git_identity(repo)


def init_dvc_repo(repo: Path) -> Path:
    """An empty git repository with DVC initialised at `repo` (created with its parents)."""
    from dvc.repo import Repo

    repo.mkdir(parents=True, exist_ok=True)
    init_git(repo)
    Repo.init(str(repo)).close()
    return repo


def set_git_identity(repo: Path) -> None:
    git(repo, "config", "user.name", "pipelab tests")
    git(repo, "config", "user.email", "tests@pipelab.invalid")
    git(repo, "config", "commit.gpgsign", "false")


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "--allow-empty", "-m", message)


def clone(source: Path, dest: Path, sandbox: Sandbox, *, share_cache: bool) -> Path:
    """`git clone` the baseline; with `share_cache`, use its DVC cache and check the outputs out."""
    run(["git", "clone", "--quiet", source, dest], source.parent)
    set_git_identity(dest)
    configure_dvc(dest, sandbox, (source if share_cache else dest) / ".dvc" / "cache")
    if share_cache:
        dvc(dest, "checkout")
    return dest


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def set_params(repo: Path, **sections: dict[str, Any]) -> None:
    """Update keys of params.yaml sections (plain load/dump: comments are not kept)."""
    path = repo / "params.yaml"
    params = load_yaml(path)
    for section, values in sections.items():
        params[section].update(values)
    path.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")


def md5_file(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def md5_tree(repo: Path, out: str) -> dict[str, str]:
    """md5 of every file of an output (a file or a directory), keyed by repo-relative path."""
    root = repo / out
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    return {p.relative_to(repo).as_posix(): md5_file(p) for p in files}


def lock_outs(repo: Path) -> dict[str, str]:
    """Every output recorded in dvc.lock with its md5, over all stages."""
    lock = load_yaml(repo / "dvc.lock")
    return {out["path"]: out["md5"] for stage in lock["stages"].values() for out in stage.get("outs", [])}


def leftovers(repo: Path) -> list[str]:
    """Staging and half-swapped paths the stage runtime must never leave behind."""
    found = [*repo.rglob("*.stage-tmp"), *repo.rglob("*.old-tmp")]
    return sorted(p.relative_to(repo).as_posix() for p in found if ".dvc" not in p.relative_to(repo).parts)
