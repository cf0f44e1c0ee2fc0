"""pipelab.core.startup: a Ctrl-C while a stage script's modules still load is its one error line."""

from __future__ import annotations

import ast
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration import REPO

STAGE_SCRIPTS = sorted((REPO / "stages").glob("*.py"))


def run_script(
    tmp_path: Path, body: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "stages" / "demo.py"
    script.parent.mkdir(exist_ok=True)
    script.write_text(f"import pipelab.core.startup\n\n{body}\n", encoding="utf-8")
    return subprocess.run(
        [sys.executable, "stages/demo.py", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env or {},
        check=False,
    )


def test_a_ctrl_c_while_starting_is_one_line_and_still_ends_by_sigint(tmp_path: Path) -> None:
    proc = run_script(tmp_path, "raise KeyboardInterrupt")  # what Ctrl-C raises inside `import pandas`
    assert proc.stderr == "error: demo: interrupted while starting; outputs left as they were\n"
    assert proc.returncode == -signal.SIGINT  # a shell sees an interrupted command (130)


@pytest.mark.parametrize(
    ("body", "args", "env"),
    [
        ("raise KeyboardInterrupt", ["--verbose"], {}),
        ("raise KeyboardInterrupt", [], {"PIPELAB_DEBUG": "1"}),
        ("raise ValueError('a bug')", [], {}),  # not a stop: Python's own report
    ],
)
def test_verbose_and_other_errors_keep_the_traceback(
    tmp_path: Path, body: str, args: list[str], env: dict[str, str]
) -> None:
    proc = run_script(tmp_path, body, *args, env=env)
    assert proc.stderr.startswith("Traceback (most recent call last):"), proc.stderr


@pytest.mark.parametrize("script", STAGE_SCRIPTS, ids=[p.stem for p in STAGE_SCRIPTS])
def test_every_stage_script_imports_it_before_pandas_and_pipelab(script: Path) -> None:
    imported = [
        alias.name if isinstance(node, ast.Import) else node.module or ""
        for node in ast.parse(script.read_text(encoding="utf-8")).body
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (node.names if isinstance(node, ast.Import) else node.names[:1])
    ]
    first_heavy = next(i for i, name in enumerate(imported) if name.split(".")[0] in {"pipelab", "pandas", "sklearn"})
    assert imported[first_heavy] == "pipelab.core.startup", imported
