"""Plugin discovery through the `pipelab.modules` entry-point group, without installing anything.

The fixture packages in tests/fixtures/plugins are put on sys.path and announced by fake
entry points; tests/integration installs the demo one for real and runs the pipeline.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest

from pipelab.core import registry
from pipelab.core.errors import RegistryError

PLUGINS = Path(__file__).parents[1] / "fixtures" / "plugins"
PACKAGES = {"demo": "pipelab_demo_plugin", "broken": "pipelab_broken_plugin", "clash": "pipelab_clash_plugin"}


@pytest.fixture
def fresh_registry(private_registry: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A registry with the in-repo modules loaded and plugin discovery not yet run."""
    monkeypatch.setattr(registry, "_PLUGINS_LOADED", False)
    yield
    for package in PACKAGES.values():
        sys.modules.pop(package, None)


def announce(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """Make `names` (keys of PACKAGES) visible as installed plugins."""
    for name in names:
        monkeypatch.syspath_prepend(str(PLUGINS / name))
    points = [metadata.EntryPoint(name, PACKAGES[name], registry.ENTRY_POINT_GROUP) for name in names]
    monkeypatch.setattr(metadata, "entry_points", lambda group: points if group == registry.ENTRY_POINT_GROUP else [])


@pytest.mark.usefixtures("fresh_registry")
def test_plugin_modules_join_the_in_repo_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    announce(monkeypatch, "demo")
    assert registry.names("model") == ["baseline", "demo_prior", "hgb", "logistic"]
    assert "demo_night" in registry.names("feature_group")
    spec = registry.get("model", "demo_prior")
    assert spec.version == "0.1.0"
    assert spec.origin == "pipelab_demo_plugin"
    assert spec.summary.startswith("Predicts the training late rate")


@pytest.mark.usefixtures("fresh_registry")
def test_plugin_that_fails_to_import_is_reported_and_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    announce(monkeypatch, "broken", "demo")
    assert "demo_prior" in registry.names("model")
    errors = registry.load_errors()
    assert list(errors) == ["broken"]
    assert "tensorflow_that_is_not_installed" in errors["broken"]


@pytest.mark.usefixtures("fresh_registry")
def test_strict_mode_turns_a_broken_plugin_into_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(registry.STRICT_ENV, "1")
    announce(monkeypatch, "broken")
    with pytest.raises(RegistryError, match=r"plugin broken \(pipelab_broken_plugin\) failed to import.*STRICT"):
        registry.names("model")


@pytest.mark.usefixtures("fresh_registry")
def test_disabled_plugin_is_not_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(registry.STRICT_ENV, "1")
    monkeypatch.setenv(registry.DISABLED_ENV, "broken, other")
    announce(monkeypatch, "broken", "demo")
    assert "demo_prior" in registry.names("model")
    assert "pipelab_broken_plugin" not in sys.modules


@pytest.mark.usefixtures("fresh_registry")
def test_a_name_claimed_twice_names_both_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    announce(monkeypatch, "clash")
    with pytest.raises(RegistryError) as caught:
        registry.names("model")
    message = str(caught.value)
    assert "model 'hgb' is registered twice" in message
    assert "pipelab.models.hgb" in message
    assert "pipelab_clash_plugin" in message


@pytest.mark.usefixtures("fresh_registry")
def test_incompatible_contract_version_is_refused_naming_both_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    announce(monkeypatch, "demo")
    spec = registry.get("model", "demo_prior")
    registry.check_reads(spec, {"features": "1.4.0"})
    with pytest.raises(RegistryError, match=r"reads features >=1,<2, but the pipeline produces features 2\.0\.0"):
        registry.check_reads(spec, {"features": "2.0.0"})


def test_bad_version_range_is_refused_at_registration() -> None:
    with pytest.raises(RegistryError, match="bad version range 'one'"):
        registry.register("model", "x", reads=[registry.ContractRef("features", "one")])
