"""Module registry: swappable parts register under a kind and a name, params choose them.

In-repo modules register with the `register` decorator; the packages holding each kind
are imported on first lookup, so a stage only pays for the kinds it uses.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel

from pipelab.errors import RegistryError

T = TypeVar("T")

# kind -> package whose import registers the in-repo modules of that kind
KIND_PACKAGES: dict[str, str] = {
    "source": "pipelab.sources",
    "missing": "pipelab.transforms.missing",
    "feature_group": "pipelab.transforms.features",
    "model": "pipelab.models",
}


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


_REGISTRY: dict[str, dict[str, ModuleSpec]] = {kind: {} for kind in KIND_PACKAGES}
_LOADED: set[str] = set()


def _summary(obj: Any) -> str:
    doc = (getattr(obj, "__doc__", None) or "").strip()
    return doc.split("\n\n")[0].replace("\n", " ") if doc else ""


def register(
    kind: str, name: str, *, config: type[BaseModel] | None = None, version: str = "1.0.0"
) -> Callable[[T], T]:
    """Register `obj` as module `name` of `kind`; a name claimed twice is an error."""
    if kind not in _REGISTRY:
        raise RegistryError(f"unknown module kind {kind!r}; kinds: {', '.join(sorted(_REGISTRY))}")

    def decorate(obj: T) -> T:
        origin = getattr(obj, "__module__", "?")
        existing = _REGISTRY[kind].get(name)
        if existing is not None and existing.origin != origin:
            raise RegistryError(f"{kind} {name!r} is registered twice: by {existing.origin} and by {origin}")
        _REGISTRY[kind][name] = ModuleSpec(
            kind=kind,
            name=name,
            obj=obj,
            config=config,
            summary=_summary(obj),
            version=version,
            origin=origin,
        )
        return obj

    return decorate


def _load(kind: str) -> dict[str, ModuleSpec]:
    if kind not in _REGISTRY:
        raise RegistryError(f"unknown module kind {kind!r}; kinds: {', '.join(sorted(_REGISTRY))}")
    if kind not in _LOADED:
        importlib.import_module(KIND_PACKAGES[kind])
        _LOADED.add(kind)
    return _REGISTRY[kind]


def names(kind: str) -> list[str]:
    """The registered names of one kind, sorted."""
    return sorted(_load(kind))


def get(kind: str, name: str) -> ModuleSpec:
    """The module registered as `name`; unknown names list what is registered."""
    modules = _load(kind)
    if name not in modules:
        raise RegistryError(f"unknown {kind} {name!r}; registered: {', '.join(sorted(modules)) or 'none'}")
    return modules[name]
