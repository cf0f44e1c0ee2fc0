"""The module catalog (pipelab catalog) and scaffolding (pipelab new)."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import runpy
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipelab import catalog
from pipelab.cli import app
from pipelab.core import registry
from pipelab.core.errors import PipelabError
from pipelab.scaffold import package_dir as scaffold_package
from pipelab.scaffold import scaffold

ROOT = Path(__file__).parents[2]
runner = CliRunner()


def test_docs_catalog_is_current() -> None:
    expected = catalog.render_markdown(catalog.entries())
    assert (ROOT / "docs" / "catalog.md").read_text(encoding="utf-8") == expected, (
        "docs/catalog.md is out of date: run `pipelab catalog --markdown docs/catalog.md`"
    )


def test_catalog_lists_every_registered_module_with_config_bounds() -> None:
    rows = {(r["kind"], r["name"]): r for r in catalog.entries(log=Path("/nonexistent"))}
    assert set(rows) == {(k, n) for k in registry.kinds() for n in registry.names(k)}
    assert len([k for k in rows if k[0] == "model"]) >= 3
    assert len([k for k in rows if k[0] == "missing"]) >= 3
    assert len([k for k in rows if k[0] == "feature_group"]) >= 5
    hgb = {f["name"]: f for f in rows[("model", "hgb")]["config"]}
    assert hgb["learning_rate"]["bounds"] == "> 0.0, <= 1.0"
    assert hgb["learning_rate"]["default"] == 0.1
    assert rows[("model", "hgb")]["reads"] == ["features >=1,<2"]
    assert rows[("model", "hgb")]["performance"] is None
    assert all(r["summary"] and r["failure_modes"] for r in rows.values())


def test_performance_is_the_median_of_logged_runs(tmp_path: Path) -> None:
    log = tmp_path / "modules.jsonl"
    runs = [
        {"module": "model:hgb", "rows_per_second": v, "peak_rss_mb": m} for v, m in ((10, 100), (30, 300), (20, 200))
    ]
    log.write_text("\n".join(json.dumps(r) for r in runs) + "\nnot json\n", encoding="utf-8")
    perf = catalog.performance(log)
    assert perf == {"model:hgb": {"runs": 3, "median_rows_per_second": 20.0, "median_peak_rss_mb": 200.0}}


def test_catalog_cli_json_and_markdown_check(tmp_path: Path) -> None:
    result = runner.invoke(app, ["catalog", "--json"])
    assert result.exit_code == 0
    names = {m["name"] for m in json.loads(result.stdout)["modules"]}
    assert {"baseline", "logistic", "hgb", "impute", "congestion", "nycflights13"} <= names
    stale = tmp_path / "catalog.md"
    stale.write_text("old\n", encoding="utf-8")
    result = runner.invoke(app, ["catalog", "--markdown", str(stale), "--check"])
    assert result.exit_code == 1
    assert "out of date" in result.output
    assert runner.invoke(app, ["catalog", "--markdown", str(stale)]).exit_code == 0
    assert runner.invoke(app, ["catalog", "--markdown", str(stale), "--check"]).exit_code == 0


def test_catalog_table_says_not_measured_without_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["catalog"], env={"COLUMNS": "250"})
    assert result.exit_code == 0
    assert "not measured yet" in result.stdout
    assert "learning_rate" in result.stdout


@pytest.mark.usefixtures("private_registry")
@pytest.mark.parametrize("kind", ["feature_group", "model", "missing", "check", "report"])
def test_scaffold_writes_a_module_whose_test_passes(kind: str, tmp_path: Path) -> None:
    for folder in (scaffold_package(kind, tmp_path), tmp_path / "tests" / "unit"):  # a repository root's layout
        folder.mkdir(parents=True)
    module, test = scaffold(kind, "brand_new", tmp_path)
    assert module == scaffold_package(kind, tmp_path) / "brand_new.py"
    assert test == tmp_path / "tests" / "unit" / f"test_{kind}_brand_new.py"
    spec = importlib.util.spec_from_file_location(f"scaffolded_{kind}", module)
    assert spec is not None
    assert spec.loader is not None
    spec.loader.exec_module(importlib.util.module_from_spec(spec))  # registers itself, nothing else edited
    assert "brand_new" in registry.names(kind)
    tests = {name: f for name, f in runpy.run_path(str(test)).items() if name.startswith("test_")}
    assert tests
    for run in tests.values():
        run()


@pytest.mark.parametrize(
    ("kind", "name", "message"),
    [
        ("source", "x", "kind 'source' has no template"),
        ("model", "Bad", "not a valid module name"),
        ("model", "class", "not a valid module name"),
        ("model", "hgb", "already exists"),
    ],
)
def test_scaffold_refuses_bad_requests(kind: str, name: str, message: str) -> None:
    with pytest.raises(PipelabError, match=message):
        scaffold(kind, name, ROOT)


@pytest.mark.usefixtures("private_registry")
def test_scaffold_refuses_a_name_another_package_registered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A plugin's name: the new file would make every stage and command refuse both ('registered twice')."""
    for folder in (scaffold_package("model", tmp_path), tmp_path / "tests" / "unit"):
        folder.mkdir(parents=True)
    plugged = dataclasses.replace(registry.get("model", "hgb"), name="plugged", origin="their_package.models")
    registry._REGISTRY["model"]["plugged"] = plugged
    monkeypatch.setattr(registry, "_package_of", lambda origin: "their-package")
    with pytest.raises(PipelabError) as err:
        scaffold("model", "plugged", tmp_path)
    assert str(err.value) == (
        "pipelab new: model 'plugged' is already registered by their_package.models (package their-package); "
        "choose another name"
    )
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


@pytest.mark.parametrize("made", [[], ["src/pipelab/models"]], ids=["empty", "no-tests"])
def test_new_outside_the_repository_root_writes_nothing_and_names_what_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, made: list[str]
) -> None:
    for folder in made:
        (tmp_path / folder).mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["new", "model", "foo"])
    assert result.exit_code == 2
    missing = "tests/unit/" if made else "src/pipelab/models/ or tests/unit/"
    assert result.output == (
        f"error: pipelab new: {tmp_path.resolve()} is not the repository root (no {missing}); "
        "run it from the root of the pipelab checkout, or give --root\n"
    )
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_new_cli_reports_errors_on_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["new", "source", "x", "--root", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0
    assert result.output.startswith("error: pipelab new: kind 'source'")


def test_config_types_read_without_module_paths_or_pydantic_internals() -> None:
    from pipelab.checks.base import Share
    from pipelab.checks.rule_counts import Limits

    assert catalog._type_name(dict[str, Share]) == "dict[str, float]"
    assert catalog._type_name(dict[str, dict[str, Limits]]) == "dict[str, dict[str, Limits]]"
    assert catalog._type_name(int | None) == "int | None"
    assert catalog._type_name(float) == "float"
