"""Schema evolution rules: classify how a contract changed and whether its version says so.

Semantic versioning of data contracts:
- major: a breaking change (a column removed or renamed, a type narrowed or changed, a
  column made required, keys changed). Needs a migration from the old version.
- minor: a compatible schema change (a nullable column added, a type widened such as
  int32 -> int64 or float32 -> float64, a column made nullable).
- patch: rules, descriptions, units or decisions changed; the schema did not.
A released version never changes in place. `pipelab contracts diff` applies these rules
to the snapshot of two revisions (docs/contracts.json).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from packaging.version import Version

from pipelab.contracts.migrations import MIGRATIONS, route
from pipelab.contracts.versions import CONTRACTS

Impact = Literal["breaking", "compatible", "patch"]
LEVEL = {"patch": 0, "compatible": 1, "breaking": 2}
# Widening conversions: every value of the first type is a value of the second.
WIDER: dict[str, set[str]] = {
    "int8": {"int32", "int64", "Int32", "Int64", "float32", "float64"},
    "int32": {"int64", "Int32", "Int64", "float64"},
    "int64": {"Int64"},
    "Int32": {"Int64", "float64"},
    "float32": {"float64"},
}


def snapshot() -> dict[str, Any]:
    """Every version of every contract, and the migrations between them, as plain data."""
    contracts: dict[str, dict[str, Any]] = {}
    for contract in CONTRACTS:
        contracts.setdefault(contract.name, {})[contract.version] = contract.to_dict()
    migrations = [{"contract": m.contract, "from": m.source, "to": m.target} for m in MIGRATIONS]
    return {"contracts": contracts, "migrations": sorted(migrations, key=lambda m: (m["contract"], m["from"]))}


@dataclass(frozen=True)
class Change:
    impact: Impact
    what: str


@dataclass
class Verdict:
    """How one contract changed between two snapshots, and whether that is allowed."""

    contract: str
    base_version: str | None
    version: str | None
    changes: list[Change] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def impact(self) -> Impact | None:
        return max((c.impact for c in self.changes), key=LEVEL.__getitem__, default=None)


def _types(column: dict[str, Any]) -> set[str]:
    dtype = column["dtype"]
    return {dtype} if isinstance(dtype, str) else set(dtype)


def _type_change(name: str, old: set[str], new: set[str]) -> Change:
    widened = all(o in new or any(n in WIDER.get(o, set()) for n in new) for o in old)
    impact: Impact = "compatible" if widened else "breaking"
    verb = "widened" if widened else "changed"
    return Change(impact, f"column {name!r}: type {verb} {'|'.join(sorted(old))} -> {'|'.join(sorted(new))}")


def _column_changes(base: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    old_columns = {c["name"]: c for c in base["columns"]}
    new_columns = {c["name"]: c for c in new["columns"]}
    changes: list[Change] = []
    removed = [n for n in old_columns if n not in new_columns]
    added = [n for n in new_columns if n not in old_columns]
    for name in removed:
        twins = [a for a in added if _types(new_columns[a]) == _types(old_columns[name])]
        hint = f" (renamed to {twins[0]!r}?)" if len(twins) == 1 else ""
        changes.append(Change("breaking", f"column {name!r} removed{hint}"))
    for name in added:
        column = new_columns[name]
        if column["nullable"] or column.get("pattern"):
            changes.append(Change("compatible", f"column {name!r} added (nullable)"))
        else:
            changes.append(Change("breaking", f"column {name!r} added as required"))
    for name in (n for n in old_columns if n in new_columns):
        old, now = old_columns[name], new_columns[name]
        if _types(old) != _types(now):
            changes.append(_type_change(name, _types(old), _types(now)))
        if old["nullable"] and not now["nullable"]:
            changes.append(Change("breaking", f"column {name!r} made required"))
        elif now["nullable"] and not old["nullable"]:
            changes.append(Change("compatible", f"column {name!r} made nullable"))
        if {k: v for k, v in old.items() if k not in ("dtype", "nullable")} != {
            k: v for k, v in now.items() if k not in ("dtype", "nullable")
        }:
            changes.append(Change("patch", f"column {name!r}: rules, unit or description changed"))
    return changes


def classify(base: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every difference between two versions of one contract, with its impact."""
    changes = _column_changes(base, new)
    if base["keys"] != new["keys"]:
        changes.append(Change("breaking", f"keys changed {base['keys']} -> {new['keys']}"))
    if base["extra_columns"] != new["extra_columns"]:
        impact: Impact = "compatible" if new["extra_columns"] == "drop" else "breaking"
        changes.append(Change(impact, f"extra columns: {base['extra_columns']} -> {new['extra_columns']}"))
    for key in ("rules", "foreign_keys", "description", "decisions"):
        if base[key] != new[key]:
            changes.append(Change("patch", f"{key.replace('_', ' ')} changed"))
    return changes


def _required(base: str, impact: Impact) -> str:
    """The smallest version `impact` requires after `base`."""
    major, minor, patch = Version(base).release
    if impact == "breaking":
        return f"{major + 1}.0.0"
    return f"{major}.{minor + 1}.0" if impact == "compatible" else f"{major}.{minor}.{patch + 1}"


def _has_chain(migrations: list[dict[str, str]], contract: str, source: str, target: str) -> bool:
    """A chain of migrations leads from `source` into `target`'s major version."""
    steps = route([(m["from"], m["to"]) for m in migrations if m["contract"] == contract], source, target)
    reached = steps[-1][1] if steps else source
    return Version(reached).major == Version(target).major


def _latest(versions: dict[str, Any]) -> str:
    return max(versions, key=Version)


def _migration_problems(base: dict[str, Any], current: dict[str, Any], name: str) -> list[str]:
    """Migrations of `name` removed since `base`, and those leading from or to a version it does not have."""
    versions = current["contracts"].get(name, {})
    now = {m["from"]: m["to"] for m in current["migrations"] if m["contract"] == name}
    problems = [
        f"migration {m['from']} -> {m['to']} was removed; data written under {m['from']} could no longer be read"
        for m in base["migrations"]
        if m["contract"] == name and m["from"] not in now
    ]
    for source, target in now.items():
        unknown = [v for v in (source, target) if v not in versions]
        if unknown:
            problems.append(f"migration {source} -> {target} names no version {' or '.join(unknown)} of {name}")
    return problems


def compare(base: dict[str, Any], current: dict[str, Any]) -> list[Verdict]:
    """Per contract: what changed from `base` to `current` and whether the versions and migrations allow it."""
    verdicts = []
    migrated = {m["contract"] for m in (*base["migrations"], *current["migrations"])}
    for name in sorted(set(base["contracts"]) | set(current["contracts"]) | migrated):
        old, now = base["contracts"].get(name), current["contracts"].get(name)
        if now is None and old is not None:
            verdict = Verdict(name, _latest(old), None, [Change("breaking", "contract removed")])
            verdict.problems.append("contract removed: readers of its data break; keep it, or remove its readers first")
        elif now is None:
            verdict = Verdict(name, None, None)  # migrations registered for a contract that does not exist
        elif old is None:
            verdict = Verdict(name, None, _latest(now), [Change("compatible", "new contract")])
        else:
            verdict = _versioned(name, old, now, current["migrations"])
        verdict.problems += _migration_problems(base, current, name)
        verdicts.append(verdict)
    return verdicts


def _versioned(name: str, old: dict[str, Any], now: dict[str, Any], migrations: list[dict[str, str]]) -> Verdict:
    """How a contract in both snapshots changed, and whether its new versions and migrations allow it."""
    old_version, new_version = _latest(old), _latest(now)
    verdict = Verdict(name, old_version, new_version)
    for version in sorted(set(old) & set(now), key=Version):
        if old[version] != now[version]:
            verdict.problems.append(f"v{version} was changed in place; released versions are immutable")
    for version in sorted(set(old) - set(now), key=Version):
        verdict.problems.append(f"v{version} was deleted; data written under it could no longer be read")
    for version in sorted(set(now) - set(old), key=Version):
        if Version(version) < Version(old_version):
            verdict.problems.append(f"v{version} is new but below v{old_version}, released before: versions only go up")
    verdict.changes = classify(old[old_version], now[new_version])
    impact = verdict.impact
    if impact is not None:
        needed = _required(old_version, impact)
        if Version(new_version) < Version(needed):
            verdict.problems.append(f"{impact} change needs version >= {needed}, has {new_version}")
    new_major = Version(new_version).major > Version(old_version).major
    if (impact == "breaking" or new_major) and not _has_chain(migrations, name, old_version, new_version):
        what = "breaking change" if impact == "breaking" else "a new major version"
        verdict.problems.append(f"{what} needs a migration chain {old_version} -> {new_version}")
    return verdict
