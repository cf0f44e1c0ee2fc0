"""Architecture rules import-linter cannot express for scripts: stages use only the public API."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
STAGES = sorted((ROOT / "stages").glob("*.py"))
# Third-party code belongs in src/pipelab; a stage only wires it together.
ALLOWED_THIRD_PARTY = {"numpy"}


def imports_of(script: Path) -> list[tuple[str, list[str]]]:
    """(module, imported names) for every import statement in a script."""
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(ast.parse(script.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


def test_there_is_one_script_per_stage() -> None:
    assert [p.stem for p in STAGES] == sorted(
        ["ingest", "validate", "clean", "features", "split", "train", "evaluate", "report"]
    )


@pytest.mark.parametrize("script", STAGES, ids=lambda p: p.stem)
def test_stage_imports_only_public_pipelab_names_and_the_standard_library(script: Path) -> None:
    for module, names in imports_of(script):
        top = module.split(".")[0]
        if top == "pipelab":
            assert not any(part.startswith("_") for part in module.split(".")), f"{script.name}: private {module}"
            private = [n for n in names if n.startswith("_")]
            assert not private, f"{script.name}: imports private {private} from {module}"
        elif top != "__future__":
            assert top in sys.stdlib_module_names or top in ALLOWED_THIRD_PARTY, (
                f"{script.name} imports {module}: third-party code belongs in src/pipelab"
            )


@pytest.mark.parametrize("script", STAGES, ids=lambda p: p.stem)
def test_stage_script_is_short(script: Path) -> None:
    lines = [line for line in script.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(lines) <= 90, f"{script.name}: {len(lines)} lines; move logic into src/pipelab"
