"""Provenance records: what an output was made from, by which code, with which params.

Nothing here depends on the wall clock or a run id, so a record is as deterministic as
the output it describes; timing lives in telemetry instead.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

LIBRARIES = ("pipelab", "numpy", "pandas", "pyarrow", "pydantic", "pandera", "scikit-learn", "dvc")


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], capture_output=True, text=True, check=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def code_files() -> tuple[str, ...]:
    """The code this process ran from the working tree: its script and every module it imported.

    Installed libraries are left out (their versions are recorded instead), and so is code
    the stage did not import: a commit to the CLI must not change a stage's outputs, or
    the committed dvc.lock would no longer be what `dvc repro` gives at that commit, while
    DVC, whose deps are the files imported, would not even notice.
    """
    root = os.path.realpath(os.getcwd())
    prefixes = {path for base in (sys.prefix, sys.base_prefix) for path in (base, os.path.realpath(base))}
    installed = tuple(prefix + os.sep for prefix in prefixes)
    candidates = [getattr(module, "__file__", None) for module in list(sys.modules.values())]
    candidates.append(sys.argv[0] if sys.argv and sys.argv[0].endswith(".py") else None)
    # Most modules are installed ones: drop them by name before the costly realpath (70 ms for all).
    ours = {os.path.realpath(name) for name in candidates if name and not name.startswith(installed)}
    inside = (name for name in ours if name.startswith(root + os.sep) and not name.startswith(installed))
    return tuple(sorted(os.path.relpath(name, root) for name in inside if os.path.isfile(name)))


@lru_cache(maxsize=8)
def code_version(files: tuple[str, ...]) -> dict[str, Any]:
    """The last commit that changed `files`, and whether they differ from it now.

    Not HEAD: a commit that only records results (dvc.lock, metrics), edits the README or
    other code must not change any output's provenance, or no two commits could share a
    hash. A new untracked file among them counts as dirty: a new module file registers
    itself and changes what runs.
    """
    commit = _git("log", "-1", "--format=%H", "--", *files) if files else None
    if commit is None:
        return {"git_commit": None, "git_dirty": None}
    status = _git("status", "--porcelain", "--untracked-files=all", "--", *files)
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
    code: dict[str, Any],
    migrations: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "stage": stage,
        "output": {"path": output.as_posix(), "md5": output_md5},
        "datasets": datasets,
        "inputs": inputs,
        "params": params,
        "code": code,
        "libraries": library_versions(),
    }
    if sources:
        record["sources"] = sources
    if migrations:
        record["migrations"] = migrations
    if "seed" in params:
        record["seed"] = params["seed"]
    return record
