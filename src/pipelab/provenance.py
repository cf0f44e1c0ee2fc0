"""Provenance records: what an output was made from, by which code, with which params.

Nothing here depends on the wall clock or a run id, so a record is as deterministic as
the output it describes; timing lives in telemetry instead.
"""

from __future__ import annotations

import platform
import subprocess
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

LIBRARIES = ("pipelab", "numpy", "pandas", "pyarrow", "pydantic", "pandera", "scikit-learn", "dvc")
# Only these paths decide whether the code that ran differs from the commit.
CODE_PATHS = ("src", "stages", "dvc.yaml", "pyproject.toml", "requirements.lock")


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], capture_output=True, text=True, check=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


@lru_cache(maxsize=1)
def code_version() -> dict[str, Any]:
    """The last commit that changed the code paths, and whether they differ from it now.

    Not HEAD: a commit that only records results (dvc.lock, metrics) or edits the README
    must not change any output's provenance, or no two commits could share a hash.
    New untracked files under the code paths count as dirty: a new module file
    registers itself and changes what runs.
    """
    commit = _git("log", "-1", "--format=%H", "--", *CODE_PATHS)
    if commit is None:
        return {"git_commit": None, "git_dirty": None}
    status = _git("status", "--porcelain", "--untracked-files=all", "--", *CODE_PATHS)
    return {"git_commit": commit or None, "git_dirty": bool(status)}


@lru_cache(maxsize=1)
def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def build_record(
    *,
    stage: str,
    output: Path,
    output_md5: str,
    datasets: dict[str, dict[str, Any]],
    inputs: dict[str, str],
    sources: list[dict[str, Any]],
    params: dict[str, Any],
    migrations: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "stage": stage,
        "output": {"path": output.as_posix(), "md5": output_md5},
        "datasets": datasets,
        "inputs": inputs,
        "params": params,
        "code": code_version(),
        "libraries": library_versions(),
    }
    if sources:
        record["sources"] = sources
    if migrations:
        record["migrations"] = migrations
    if "seed" in params:
        record["seed"] = params["seed"]
    return record
