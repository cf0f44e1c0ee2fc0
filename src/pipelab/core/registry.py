"""Module registry: swappable parts register under a kind and a name, params choose them.

In-repo modules register with the `register` decorator in any file of their kind's
package (every submodule is imported on first lookup, so a new file needs no other
edit). Installed packages add modules through the `pipelab.modules` entry-point group:
each entry point names a Python module whose import registers its modules.

Discovery is fail-soft: a plugin that fails to import is reported and skipped
(`load_errors()`), unless `PIPELAB_STRICT_PLUGINS=1` (CI) makes it an error.
`PIPELAB_DISABLED_PLUGINS=name,...` skips entry points by name. A name claimed twice
is always an error naming both packages.
"""

from __future__ import annotations

import importlib
import logging
import os
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from typing import Any, TypeVar

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version
from pydantic import BaseModel, ValidationError

from pipelab.core.errors import RegistryError

T = TypeVar("T")
log = logging.getLogger("pipelab")

ENTRY_POINT_GROUP = "pipelab.modules"
STRICT_ENV = "PIPELAB_STRICT_PLUGINS"
DISABLED_ENV = "PIPELAB_DISABLED_PLUGINS"

# kind -> package whose submodules register the in-repo modules of that kind
KIND_PACKAGES: dict[str, str] = {
    "source": "pipelab.sources",
    "missing": "pipelab.transforms.missing",
    "feature_group": "pipelab.transforms.features",
    "model": "pipelab.models",
    "check": "pipelab.checks",
    "report": "pipelab.reports",
}


@dataclass(frozen=True)
class ContractRef:
    """A dataset contract a module reads or writes, with the versions it accepts."""

    name: str
    versions: str = ">=1,<2"

    def accepts(self, version: str) -> bool:
        return Version(version) in SpecifierSet(self.versions)

    def __str__(self) -> str:
        return f"{self.name} {self.versions}"


@dataclass(frozen=True)
class ModuleSpec:
    """One registered module: what it is, how it is configured, and the object itself."""

    kind: str
    name: str
    obj: Any
    config: type[BaseModel] | None
    summary: str
    version: str
    origin: str
    reads: tuple[ContractRef, ...] = ()
    writes: tuple[ContractRef, ...] = ()
    failure_modes: tuple[str, ...] = ()

    @property
    def package(self) -> str:
        """The installed distribution that provides the module (looked up when asked: it scans site-packages)."""
        return _package_of(self.origin)

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.name}"


_REGISTRY: dict[str, dict[str, ModuleSpec]] = {kind: {} for kind in KIND_PACKAGES}
_LOADED: set[str] = set()
_PLUGINS_LOADED = False
_LOAD_ERRORS: dict[str, str] = {}


def _summary(obj: Any) -> str:
    doc = (getattr(obj, "__doc__", None) or "").strip()
    return " ".join(doc.split("\n\n")[0].split()) if doc else ""


@cache
def _distributions() -> dict[str, list[str]]:
    return dict(metadata.packages_distributions())


def _package_of(module: str) -> str:
    """The installed distribution that provides `module` (or the module's top package)."""
    top = module.split(".", maxsplit=1)[0]
    return ", ".join(sorted(set(_distributions().get(top, [top]))))


def _check_kind(kind: str) -> None:
    if kind not in _REGISTRY:
        raise RegistryError(f"unknown module kind {kind!r}; kinds: {', '.join(sorted(_REGISTRY))}")


def _check_config(module: str, config: type[BaseModel]) -> None:
    """A config that ignores unknown keys, or whose defaults break its own bounds, would run with settings
    nobody asked for (a misspelt key in params.yaml unnoticed; `C = -1.0` reaching the estimator)."""
    where = f"{module}: config {config.__name__}"
    if config.model_config.get("extra") != "forbid":
        raise RegistryError(
            f"{where} must subclass pipelab.core.params.ModuleConfig (unknown keys in its params sub-section would be "
            "ignored)"
        )
    try:
        config.model_validate(config().model_dump())
    except ValidationError as err:
        problems = [
            f"{'.'.join(map(str, e['loc']))}: no default"
            if e["type"] == "missing"
            else f"{'.'.join(map(str, e['loc']))} = {e['input']!r}: {e['msg']}"
            for e in err.errors()
        ]
        raise RegistryError(f"{where}: its defaults are invalid ({'; '.join(problems)})") from None


def register(
    kind: str,
    name: str,
    *,
    config: type[BaseModel] | None = None,
    version: str = "1.0.0",
    reads: Iterable[ContractRef] = (),
    writes: Iterable[ContractRef] = (),
    failure_modes: Iterable[str] = (),
) -> Callable[[T], T]:
    """Register `obj` as module `name` of `kind`; a name claimed twice is an error."""
    _check_kind(kind)
    if config is not None:
        _check_config(f"{kind} {name!r}", config)
    for ref in (*reads, *writes):
        try:
            SpecifierSet(ref.versions)
        except InvalidSpecifier:
            raise RegistryError(f"{kind} {name!r}: bad version range {ref.versions!r} for {ref.name}") from None

    def decorate(obj: T) -> T:
        origin = getattr(obj, "__module__", "?")
        existing = _REGISTRY[kind].get(name)
        if existing is not None and existing.origin != origin:
            raise RegistryError(
                f"{kind} {name!r} is registered twice: by {existing.origin} (package {existing.package}) "
                f"and by {origin} (package {_package_of(origin)})"
            )
        _REGISTRY[kind][name] = ModuleSpec(
            kind=kind,
            name=name,
            obj=obj,
            config=config,
            summary=_summary(obj),
            version=version,
            origin=origin,
            reads=tuple(reads),
            writes=tuple(writes),
            failure_modes=tuple(failure_modes),
        )
        return obj

    return decorate


def _import_failure(what: str, err: Exception) -> str:
    return f"{what} failed to import: {type(err).__name__}: {err}"


def _import_package(package: str) -> None:
    """Import a package and every submodule in it, so each file's decorators run.

    A file that fails to import is named (the error alone, e.g. a missing dependency, does not say which file).
    """
    root = importlib.import_module(package)
    for info in pkgutil.walk_packages(getattr(root, "__path__", []), prefix=f"{package}."):
        try:
            importlib.import_module(info.name)
        except RegistryError:
            raise
        except Exception as err:
            raise RegistryError(f"{_import_failure(f'module file {info.name}', err)}; fix or remove it") from err


def _disabled() -> set[str]:
    return {name.strip() for name in os.environ.get(DISABLED_ENV, "").split(",") if name.strip()}


def load_plugins() -> None:
    """Import every `pipelab.modules` entry point once (fail-soft unless strict)."""
    global _PLUGINS_LOADED  # noqa: PLW0603 - discovery happens once per process
    if _PLUGINS_LOADED:
        return
    _PLUGINS_LOADED = True
    strict = os.environ.get(STRICT_ENV) == "1"
    disabled = _disabled()
    for entry in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        if entry.name in disabled:
            log.info("plugin %s disabled by %s", entry.name, DISABLED_ENV)
            continue
        try:
            entry.load()
        except RegistryError:
            raise
        except Exception as err:  # a broken plugin must not take the pipeline down
            message = _import_failure(f"plugin {entry.name} ({entry.value})", err)
            if strict:
                raise RegistryError(f"{message} ({STRICT_ENV}=1)") from None
            _LOAD_ERRORS[entry.name] = message
            log.warning("%s; skipped", message)


def load_errors() -> dict[str, str]:
    """Plugins skipped because they failed to import, with the reason."""
    return dict(_LOAD_ERRORS)


def _load(kind: str) -> dict[str, ModuleSpec]:
    _check_kind(kind)
    if kind not in _LOADED:
        _import_package(KIND_PACKAGES[kind])
        _LOADED.add(kind)
    load_plugins()
    return _REGISTRY[kind]


def kinds() -> list[str]:
    return list(KIND_PACKAGES)


def names(kind: str) -> list[str]:
    """The registered names of one kind, sorted."""
    return sorted(_load(kind))


def modules(kind: str) -> list[ModuleSpec]:
    """Every registered module of one kind, sorted by name."""
    found = _load(kind)
    return [found[name] for name in sorted(found)]


def get(kind: str, name: str) -> ModuleSpec:
    """The module registered as `name`; unknown names list what is registered."""
    found = _load(kind)
    if name not in found:
        raise RegistryError(f"unknown {kind} {name!r}; registered: {', '.join(sorted(found)) or 'none'}")
    return found[name]


def check_reads(spec: ModuleSpec, available: dict[str, str]) -> None:
    """Refuse a module whose input contracts do not accept the versions the pipeline produces."""
    for ref in spec.reads:
        version = available.get(ref.name)
        if version is not None and not ref.accepts(version):
            raise RegistryError(
                f"{spec.kind} {spec.name!r} reads {ref.name} {ref.versions}, "
                f"but the pipeline produces {ref.name} {version}"
            )
