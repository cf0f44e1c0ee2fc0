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
    """The git commit and whether the code paths differ from it (data and metrics ignored)."""
    commit = _git("rev-parse", "HEAD")
    if commit is None:
        return {"git_commit": None, "git_dirty": None}
    status = _git("status", "--porcelain", "--untracked-files=no", "--", *CODE_PATHS)
    return {"git_commit": commit, "git_dirty": bool(status)}


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
    if "seed" in params:
        record["seed"] = params["seed"]
    return record
