"""The Makefile's bootstrap (`$(STAMP)`: .venv from the lock file) in a tiny project beside a copy of the Makefile.

The tiny project's lock file is empty and its build backend is in-tree, so `make venv` runs the
real `python3 -m venv` and pip in seconds, without an index.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.integration import REPO, describe, output, run

pytestmark = pytest.mark.integration

PYPROJECT = """\
[build-system]
requires = []
build-backend = "backend"
backend-path = ["."]

[project]
name = "tiny"
version = "0"
"""
# A PEP 517 backend that builds an empty wheel: all `pip install -e .` needs here.
BACKEND = """\
import zipfile

DIST = "tiny-0.dist-info"
FILES = {
    f"{DIST}/METADATA": "Metadata-Version: 2.1\\nName: tiny\\nVersion: 0\\n",
    f"{DIST}/WHEEL": "Wheel-Version: 1.0\\nGenerator: tests\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    name = "tiny-0-py3-none-any.whl"
    with zipfile.ZipFile(f"{wheel_directory}/{name}", "w") as wheel:
        for path, text in FILES.items():
            wheel.writestr(path, text)
        wheel.writestr(f"{DIST}/RECORD", "".join(f"{path},,\\n" for path in [*FILES, f"{DIST}/RECORD"]))
    return name


build_editable = build_wheel
"""


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    project = tmp_path / "tiny project"  # a space in the path, as users' paths have
    project.mkdir()
    shutil.copy(REPO / "Makefile", project / "Makefile")
    (project / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (project / "backend.py").write_text(BACKEND, encoding="utf-8")
    (project / "requirements.lock").write_text("", encoding="utf-8")
    return project


def make_venv(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run(["make", "venv", *args], project, check=False, timeout=300)


def test_a_broken_venv_is_made_again(tiny: Path) -> None:
    """Half-made (`python3 -m venv` that stopped before pip: Debian's python3 without python3-venv), then,
    installed and stamped, its python removed (pyenv uninstall)."""
    run(["python3", "-m", "venv", "--without-pip", ".venv"], tiny)
    proc = make_venv(tiny)
    assert proc.returncode == 0, describe(proc)
    assert "-m venv --clear .venv" in proc.stdout
    run([tiny / ".venv/bin/python", "-c", "import pip"], tiny)
    again = make_venv(tiny)  # done: nothing to do
    assert again.returncode == 0, describe(again)
    assert "pip install" not in output(again)
    python = tiny / ".venv/bin/python"
    python.unlink()
    python.symlink_to(tiny / "removed" / "python3.11")
    proc = make_venv(tiny)
    assert proc.returncode == 0, describe(proc)
    assert "-m venv --clear .venv" in proc.stdout
    run([python, "-c", "import pip"], tiny)


def test_a_python_too_old_or_missing_is_named_before_anything_is_made(tiny: Path, tmp_path: Path) -> None:
    old = tmp_path / "old" / "python3"
    old.parent.mkdir()
    old.write_text('#!/bin/sh\n[ "$1" = --version ] && echo "Python 3.9.18" || exit 1\n', encoding="utf-8")
    old.chmod(0o755)
    proc = make_venv(tiny, f"PYTHON={old}")
    assert proc.returncode != 0, describe(proc)
    assert (
        f"error: pipelab needs Python 3.11 or 3.12 (pyproject.toml's requires-python); {old}: Python 3.9.18. "
        f"Install one, or name it: make venv PYTHON=python3.11"
    ) in proc.stderr, describe(proc)
    assert not (tiny / ".venv").exists()
    missing = make_venv(tiny, "PYTHON=python3.0")
    assert "; python3.0: not found." in missing.stderr, describe(missing)
