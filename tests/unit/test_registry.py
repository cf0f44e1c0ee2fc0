"""registry.py: register/get/names, unknown names and kinds, double claims, plugin discovery.

Every test works on a copy of the registry, so nothing registered here leaks into other tests.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, Field

from pipelab.core import registry
from pipelab.core.errors import RegistryError
from pipelab.core.params import ModuleConfig
from pipelab.core.registry import ContractRef, ModuleSpec, check_reads, register

THIS_MODULE = __name__


pytestmark = pytest.mark.usefixtures("private_registry")  # each test changes only a copy of the registry


class TinyConfig(ModuleConfig):
    depth: int = 2


def tiny_model() -> str:
    """A tiny model for the registry tests.

    Only the first paragraph is the summary.
    """
    return "tiny"


def with_module(obj: Any, module: str) -> Any:
    """Pretend `obj` was defined in another module (as a plugin's function would be)."""
    obj.__module__ = module
    return obj


def test_register_then_get_returns_the_full_spec() -> None:
    returned = register(
        "model",
        "tiny",
        config=TinyConfig,
        version="2.1.0",
        reads=(ContractRef("features", ">=1,<2"),),
        writes=(ContractRef("model"),),
        failure_modes=("needs two rows",),
    )(tiny_model)
    assert returned is tiny_model
    spec = registry.get("model", "tiny")
    assert isinstance(spec, ModuleSpec)
    assert (spec.kind, spec.name, spec.key) == ("model", "tiny", "model:tiny")
    assert spec.obj is tiny_model
    assert spec.config is TinyConfig
    assert spec.version == "2.1.0"
    assert spec.summary == "A tiny model for the registry tests."
    assert spec.origin == THIS_MODULE
    assert spec.reads == (ContractRef("features", ">=1,<2"),)
    assert spec.writes == (ContractRef("model", ">=1,<2"),)
    assert spec.failure_modes == ("needs two rows",)


def test_names_and_modules_are_sorted_and_include_new_registrations() -> None:
    register("model", "aaa_first")(with_module(lambda: None, THIS_MODULE))
    assert registry.names("model") == ["aaa_first", "baseline", "hgb", "logistic"]
    assert [m.name for m in registry.modules("model")] == registry.names("model")
    assert registry.names("missing") == ["drop", "flag", "impute"]


def test_the_real_registry_is_untouched_by_these_tests() -> None:
    assert "tiny" not in registry.names("model")


def test_unknown_name_lists_the_registered_names() -> None:
    with pytest.raises(RegistryError) as info:
        registry.get("model", "xgb")
    assert str(info.value) == "unknown model 'xgb'; registered: baseline, hgb, logistic"


def test_unknown_name_of_an_empty_kind_says_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry._REGISTRY, "model", {})
    with pytest.raises(RegistryError, match=r"unknown model 'hgb'; registered: none"):
        registry.get("model", "hgb")


UNKNOWN_KIND_CALLS: dict[str, Callable[[], object]] = {
    "get": lambda: registry.get("modle", "hgb"),
    "names": lambda: registry.names("modle"),
    "modules": lambda: registry.modules("modle"),
    "register": lambda: register("modle", "x"),
}


@pytest.mark.parametrize("call", sorted(UNKNOWN_KIND_CALLS))
def test_unknown_kind_lists_the_kinds(call: str) -> None:
    with pytest.raises(RegistryError) as info:
        UNKNOWN_KIND_CALLS[call]()
    assert str(info.value) == "unknown module kind 'modle'; kinds: check, feature_group, missing, model, report, source"


def test_same_name_from_two_modules_is_an_error_naming_both() -> None:
    register("model", "twin")(with_module(lambda: None, "first_plugin.models"))
    with pytest.raises(RegistryError) as info:
        register("model", "twin")(with_module(lambda: None, "second_plugin.models"))
    message = str(info.value)
    assert message.startswith("model 'twin' is registered twice: ")
    assert "by first_plugin.models (package first_plugin)" in message
    assert "and by second_plugin.models (package second_plugin)" in message
    assert registry.get("model", "twin").origin == "first_plugin.models"


def test_claiming_a_builtin_name_names_the_pipelab_module() -> None:
    with pytest.raises(RegistryError) as info:
        register("model", "hgb")(with_module(lambda: None, "someone_else.hgb"))
    message = str(info.value)
    assert "by pipelab.models.hgb (package pipelab)" in message
    assert "by someone_else.hgb" in message
    assert registry.get("model", "hgb").origin == "pipelab.models.hgb"


def test_registering_again_from_the_same_module_replaces_the_entry() -> None:
    register("model", "again", version="1.0.0")(with_module(lambda: 1, THIS_MODULE))
    register("model", "again", version="1.1.0")(with_module(lambda: 2, THIS_MODULE))
    assert registry.get("model", "again").version == "1.1.0"


REMOVED = {
    "source": "sources/files.py",
    "missing": "transforms/missing/flag.py",
    "feature_group": "transforms/features/congestion.py",
    "model": "models/logistic.py",
}


def test_removing_a_module_file_unregisters_it_and_nothing_else(tmp_path: Path) -> None:
    # A copy of the package without one module file per kind: its name is gone, the kind still loads.
    source = Path(registry.__file__).parents[1]
    shutil.copytree(source, tmp_path / "pipelab", ignore=shutil.ignore_patterns("__pycache__"))
    for file in REMOVED.values():
        (tmp_path / "pipelab" / file).unlink()
    script = "from pipelab.core import registry; print({k: registry.names(k) for k in registry.KIND_PACKAGES})"
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    found = ast.literal_eval(proc.stdout)
    for kind, file in REMOVED.items():
        assert Path(file).stem not in found[kind]
        assert found[kind] == sorted(set(registry.names(kind)) - {Path(file).stem})


def test_a_module_file_that_fails_to_import_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    package = f"pipelab_test_kind_{tmp_path.name}".replace("-", "_")
    (tmp_path / package).mkdir()
    (tmp_path / package / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / package / "good.py").write_text(GOOD_PLUGIN, encoding="utf-8")
    (tmp_path / package / "needs_xgb.py").write_text("import no_such_dependency_xyz\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(registry.KIND_PACKAGES, "model", package)
    registry._LOADED.discard("model")
    with pytest.raises(RegistryError) as info:
        registry.names("model")
    assert str(info.value) == (
        f"module file {package}.needs_xgb failed to import: ModuleNotFoundError: "
        "No module named 'no_such_dependency_xyz'; fix or remove it"
    )


class LenientConfig(BaseModel):
    C: float = 1.0


class BadDefault(ModuleConfig):
    C: float = Field(-1.0, gt=0.0)


class NoDefault(ModuleConfig):
    C: float


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            LenientConfig,
            "config LenientConfig must subclass pipelab.core.params.ModuleConfig (unknown keys in its params",
        ),
        (BadDefault, "config BadDefault: its defaults are invalid (C = -1.0: Input should be greater than 0)"),
        (NoDefault, "config NoDefault: its defaults are invalid (C: no default)"),
    ],
)
def test_a_config_that_would_run_with_settings_nobody_asked_for_is_refused(config: type, message: str) -> None:
    # A plain BaseModel ignored `model.odd.CC: 5` silently; a default outside the bounds reached the estimator.
    with pytest.raises(RegistryError) as info:
        register("model", "odd", config=config)
    assert str(info.value).startswith(f"model 'odd': {message}")
    assert "odd" not in registry.names("model")


def test_bad_version_range_is_refused_at_registration() -> None:
    with pytest.raises(RegistryError, match=r"model 'odd': bad version range 'one or two' for features"):
        register("model", "odd", reads=(ContractRef("features", "one or two"),))
    assert "odd" not in registry.names("model")


@pytest.mark.parametrize(
    ("versions", "version", "accepted"),
    [(">=1,<2", "1.0.0", True), (">=1,<2", "1.9.3", True), (">=1,<2", "2.0.0", False), (">=2", "1.5.0", False)],
)
def test_contract_ref_accepts_versions_in_its_range(versions: str, version: str, accepted: bool) -> None:
    assert ContractRef("features", versions).accepts(version) is accepted


def test_contract_ref_str() -> None:
    assert str(ContractRef("features", ">=1,<2")) == "features >=1,<2"


def test_check_reads() -> None:
    spec = registry.get("model", "hgb")
    check_reads(spec, {"features": "1.4.0"})
    check_reads(spec, {"other": "9.0.0"})  # a contract the module does not read is no concern
    with pytest.raises(RegistryError) as info:
        check_reads(spec, {"features": "2.0.0"})
    assert str(info.value) == "model 'hgb' reads features >=1,<2, but the pipeline produces features 2.0.0"


# --- plugins (entry points) --------------------------------------------------------------------


def fake_entry_points(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, plugins: dict[str, str]) -> None:
    """Entry points named after `plugins`' keys, each importing a tmp module with that source."""
    entries = []
    for index, (name, source) in enumerate(sorted(plugins.items())):
        module = f"pipelab_test_plugin_{tmp_path.name}_{index}".replace("-", "_")
        (tmp_path / f"{module}.py").write_text(source, encoding="utf-8")
        entries.append(metadata.EntryPoint(name=name, value=module, group=registry.ENTRY_POINT_GROUP))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(metadata, "entry_points", lambda group: entries if group == registry.ENTRY_POINT_GROUP else [])
    monkeypatch.setattr(registry, "_PLUGINS_LOADED", False)
    for entry in entries:
        monkeypatch.delitem(sys.modules, entry.value, raising=False)


GOOD_PLUGIN = """
from pipelab.core.registry import register

@register("model", "plugged", version="0.3.0")
def build():
    '''A model from a plugin.'''
"""
BROKEN_PLUGIN = "raise ImportError('missing dependency foo')\n"
CLASHING_PLUGIN = """
from pipelab.core.registry import register

@register("model", "hgb")
def build():
    '''Claims a built-in name.'''
"""


def test_plugin_modules_register_through_entry_points(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_entry_points(monkeypatch, tmp_path, {"good": GOOD_PLUGIN})
    registry.load_plugins()
    spec = registry.get("model", "plugged")
    assert (spec.version, spec.summary) == ("0.3.0", "A model from a plugin.")
    assert registry.load_errors() == {}


def test_a_broken_plugin_is_skipped_and_reported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_entry_points(monkeypatch, tmp_path, {"broken": BROKEN_PLUGIN, "good": GOOD_PLUGIN})
    assert "plugged" in registry.names("model")
    errors = registry.load_errors()
    assert list(errors) == ["broken"]
    assert "plugin broken" in errors["broken"]
    assert "ImportError: missing dependency foo" in errors["broken"]


def test_a_broken_plugin_is_an_error_when_strict(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_entry_points(monkeypatch, tmp_path, {"broken": BROKEN_PLUGIN})
    monkeypatch.setenv(registry.STRICT_ENV, "1")
    with pytest.raises(RegistryError, match=r"plugin broken .*missing dependency foo \(PIPELAB_STRICT_PLUGINS=1\)"):
        registry.load_plugins()


def test_a_disabled_plugin_is_not_imported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_entry_points(monkeypatch, tmp_path, {"broken": BROKEN_PLUGIN, "good": GOOD_PLUGIN})
    monkeypatch.setenv(registry.DISABLED_ENV, " broken , good")
    registry.load_plugins()
    assert registry.load_errors() == {}
    assert "plugged" not in registry.names("model")


def test_a_plugin_claiming_a_taken_name_is_always_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_entry_points(monkeypatch, tmp_path, {"clash": CLASHING_PLUGIN})
    with pytest.raises(RegistryError, match=r"model 'hgb' is registered twice: by pipelab.models.hgb"):
        registry.load_plugins()
