"""The comparison of two snapshots as plain data: pure functions, no files, no DVC.

Metrics and telemetry are judged by the gates; params, data (provenance records and
quality counts) and predictions are diffed. The report fails when a gated measure got
worse beyond its tolerance, or disappeared from the target. A gated change near its tolerance
is a close call, and when the sides differ only in params the report says which
`pipelab seeds` command judges it over several seeds.
"""

from __future__ import annotations

import dataclasses
import math
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pipelab.core.errors import PipelabError
from pipelab.experiments.gates import Gate, Gates, Verdict
from pipelab.experiments.overrides import override_value
from pipelab.experiments.predictions import PREDICTION_COLUMNS, PredictionDiff, other_flights, prediction_diff
from pipelab.experiments.snapshot import PROVENANCE_SUFFIX, SCORES, Snapshot

if TYPE_CHECKING:
    from pipelab.experiments.revisions import Intent


# The nested mappings pipelab.core.quality.metrics writes per table in metrics/quality.json. Rows failing
# a contract rule, by rule, are failed checks; PSI per feature is a measurement (the drift check
# only warns above quality.drift.warn_psi), so a non-zero PSI is not a failure.
QUARANTINED_BY_RULE = "quarantined_by_rule"
KEPT_BY_RULE = "kept_with_warning_by_rule"
RULE_FAILURES = (QUARANTINED_BY_RULE, KEPT_BY_RULE)
DRIFT_PSI = "drift_psi"

QualityKind = Literal["count", "failed_check", "drift", "other"]

# A gated metric whose change lies within this factor of its tolerance, on either side of it,
# is a close call: the seed alone moves the scores by about half a tolerance (metrics/gates.yaml),
# so another seed can flip that verdict.
CLOSE_FACTOR = 2.0
SEED_KEY = "seed"


class CompareError(PipelabError):
    """A side's results cannot be compared (e.g. a metric that is not a number)."""


@dataclass(frozen=True)
class Change:
    """One measure on both sides (None: absent there) and its verdict."""

    key: str
    base: float | None
    target: float | None
    verdict: Verdict
    group: str = ""  # the stage (telemetry) or table (quality) the measure belongs to
    gated: bool = False
    failed: bool = False
    tolerance: float | None = None

    @property
    def delta(self) -> float | None:
        return None if self.base is None or self.target is None else self.target - self.base

    @property
    def relative(self) -> float | None:
        delta = self.delta
        return None if delta is None or not self.base else delta / abs(self.base)


@dataclass(frozen=True)
class ParamChange:
    key: str
    base: Any
    target: Any
    status: Literal["changed", "added", "removed"]


@dataclass(frozen=True)
class DatasetChange:
    """Rows, contract and columns of one dataset, from the provenance records of both sides."""

    path: str
    base_rows: int | None
    target_rows: int | None
    base_contract: str | None
    target_contract: str | None
    columns_added: tuple[str, ...]
    columns_removed: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return (
            self.base_rows != self.target_rows
            or self.base_contract != self.target_contract
            or bool(self.columns_added or self.columns_removed)
        )


@dataclass(frozen=True)
class Replication:
    """How to judge a close call over seeds: the `pipelab seeds` command, or why there is none."""

    command: str | None
    note: str  # where to run the command, or why there is none


@dataclass(frozen=True)
class Report:
    base: Intent
    target: Intent
    gates_source: str
    params: list[ParamChange]
    metrics: list[Change]
    datasets: list[DatasetChange]
    quality: list[Change]
    predictions: PredictionDiff | None
    telemetry: list[Change]
    plots: list[str]
    notes: list[str]
    warn_psi: tuple[float, float]  # quality.drift.warn_psi of (base, target): PSI above it is flagged
    sources_changed: list[str]  # code and source data the stages read, different on the two sides
    replication: Replication
    data_unavailable: list[str]  # per side whose provenance records are not in the cache: why, and what to do

    @property
    def failing(self) -> list[Change]:
        return [c for c in (*self.metrics, *self.telemetry) if c.failed]

    @property
    def close_calls(self) -> list[Change]:
        """Gated metrics changed by between 1/CLOSE_FACTOR and CLOSE_FACTOR times their tolerance."""
        return [
            c
            for c in self.metrics
            if c.gated
            and c.delta is not None
            and c.tolerance
            and c.tolerance / CLOSE_FACTOR < abs(c.delta) <= c.tolerance * CLOSE_FACTOR
        ]

    @property
    def failed_checks(self) -> list[Change]:
        """Rules that rows failed on either side (quarantined or kept with a warning); not drift."""
        return [c for c in self.quality if quality_kind(c.key) == "failed_check" and (c.base or c.target)]

    @property
    def drift(self) -> list[Change]:
        """PSI per feature against the reference profile: measurements, judged by `warn_psi`."""
        return [c for c in self.quality if quality_kind(c.key) == "drift"]

    @property
    def drifted(self) -> list[Change]:
        """Features whose PSI is above that side's `warn_psi` on either side: what the drift check warned of."""
        return [c for c in self.drift if any(above_warn_psi(self, c))]

    def to_json(self) -> dict[str, Any]:
        def changes(items: Iterable[Change]) -> list[dict[str, Any]]:
            return [dataclasses.asdict(c) | {"delta": c.delta, "relative": c.relative} for c in items]

        return {
            "passed": not self.failing,
            "failing": changes(self.failing),
            "base": dataclasses.asdict(self.base),
            "target": dataclasses.asdict(self.target),
            "gates_source": self.gates_source,
            "params": [dataclasses.asdict(p) for p in self.params],
            "metrics": changes(self.metrics),
            "datasets": [dataclasses.asdict(d) | {"changed": d.changed} for d in self.datasets],
            "quality": changes(self.quality),
            "failed_checks": changes(self.failed_checks),
            "drift": {
                "warn_psi": {"base": self.warn_psi[0], "target": self.warn_psi[1]},
                "drifted": changes(self.drifted),
            },
            "predictions": dataclasses.asdict(self.predictions) if self.predictions else None,
            "telemetry": changes(self.telemetry),
            "sources_changed": self.sources_changed,
            "close_calls": changes(self.close_calls),
            "replication": dataclasses.asdict(self.replication),
            "data_unavailable": self.data_unavailable,
            "plots": self.plots,
            "notes": self.notes,
        }


def quality_kind(key: str) -> QualityKind:
    """What a (dotted) key of metrics/quality.json is, so a measurement is never shown as a failure."""
    head, dot, _ = key.partition(".")
    if not dot:
        return "count"
    if head in RULE_FAILURES:
        return "failed_check"
    return "drift" if head == DRIFT_PSI else "other"


def above_warn_psi(report: Report, change: Change) -> tuple[bool, bool]:
    """Whether a drift value is above `quality.drift.warn_psi` on (base, target), each by its own params."""
    (warn_base, warn_target), (base, target) = report.warn_psi, (change.base, change.target)
    return (base is not None and base > warn_base, target is not None and target > warn_target)


def warn_psi(params: Mapping[str, Any]) -> float:
    """A side's `quality.drift.warn_psi`, read defensively (an old revision may lack it): the check's default."""
    drift = params.get("quality")
    drift = drift.get("drift") if isinstance(drift, Mapping) else None
    value = _number(drift.get("warn_psi")) if isinstance(drift, Mapping) else None
    if value is not None:
        return value
    from pipelab.checks.drift import DriftConfig  # only then: importing the checks takes half a second

    default: float = DriftConfig.model_fields["warn_psi"].default
    return default


def judge(key: str, base: float | None, target: float | None, gate: Gate | None, group: str = "") -> Change:
    """The verdict on one measure; a gated one fails when worse beyond tolerance or gone."""
    verdict: Verdict
    if target is None:
        verdict = "removed"
    elif base is None:
        verdict = "new"
    elif gate is None:
        verdict = "unchanged" if base == target else "changed"
    else:
        verdict = gate.verdict(base, target)
    gated = gate is not None and gate.gate
    return Change(
        key,
        base,
        target,
        verdict,
        group,
        gated,
        failed=gated and verdict in ("worse", "removed"),
        tolerance=gate.tolerance(base) if gate is not None and base is not None else None,
    )


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def metric_changes(base: Snapshot, target: Snapshot, gates: Gates) -> list[Change]:
    """Every metric of metrics/scores.json, gated ones first in the gates file's order."""
    for side in (base, target):
        for key, value in side.scores.items():
            if _number(value) is None:
                raise CompareError(f"{SCORES} at {side.intent.label}: {key} = {value!r} is not a number")
    present = set(base.scores) | set(target.scores)
    keys = [k for k in gates.metrics if k in present] + sorted(present - set(gates.metrics))
    return [
        judge(key, _number(base.scores.get(key)), _number(target.scores.get(key)), gates.metrics.get(key))
        for key in keys
    ]


def telemetry_changes(base: Snapshot, target: Snapshot, gates: Gates) -> list[Change]:
    """The gates file's telemetry measures for every stage either side recorded, in pipeline order."""
    stages = list(target.telemetry) + [s for s in base.telemetry if s not in target.telemetry]
    out = []
    for stage in stages:
        before, after = base.telemetry.get(stage, {}), target.telemetry.get(stage, {})
        for key, gate in gates.telemetry.items():
            b, t = _number(before.get(key)), _number(after.get(key))
            if b is not None or t is not None:
                out.append(judge(key, b, t, gate, group=stage))
    return out


def flatten(mapping: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings as dotted keys (`model.hgb.learning_rate`); lists stay values."""
    out: dict[str, Any] = {}
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def lookup(params: Any, key: str) -> tuple[bool, Any]:
    """`(True, value)` for a dotted key of a raw params mapping, `(False, None)` where the file lacks it."""
    node = params
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False, None
        node = node[part]
    return True, node


def param_changes(base: Mapping[str, Any], target: Mapping[str, Any]) -> list[ParamChange]:
    """Only the params whose value differs, was added or was removed."""
    before, after = flatten(base), flatten(target)
    out = []
    for key in sorted(set(before) | set(after)):
        if key not in after:
            out.append(ParamChange(key, before[key], None, "removed"))
        elif key not in before:
            out.append(ParamChange(key, None, after[key], "added"))
        elif before[key] != after[key]:
            out.append(ParamChange(key, before[key], after[key], "changed"))
    return out


def sources_changed(base: Snapshot, target: Snapshot) -> list[str]:
    """Dependencies outside the pipeline (code, source data) whose hash differs, or that one side lacks."""
    return sorted(p for p in set(base.sources) | set(target.sources) if base.sources.get(p) != target.sources.get(p))


def set_param(key: str, value: Any) -> str:
    """`KEY=VALUE` for `dvc exp run -S` (and `pipelab seeds -S`) that DVC reads back as `value` (`override_value`):
    text that looks like another type (`'true'`) or holds a `,` (`'a,b'`, a grid unquoted) is quoted."""
    return f"{key}={override_value(value)}"


def replication(base: Intent, params: list[ParamChange], changed_sources: list[str]) -> Replication:
    """`pipelab seeds` replays a params-only change on BASE's commit; anything else it cannot replay."""
    settings = [p for p in params if p.key != SEED_KEY]
    if changed_sources:
        shown = ", ".join(f"`{p}`" for p in changed_sources[:3]) + (", …" if len(changed_sources) > 3 else "")
        return Replication(
            None, f"the sides ran different code or source data ({shown}), which `pipelab seeds -S` cannot replay"
        )
    removed = [p.key for p in settings if p.status == "removed"]
    if removed:
        return Replication(None, f"params removed on the target ({', '.join(removed)}) cannot be replayed with `-S`")
    if not settings:
        return Replication(None, "no params other than the seed changed: the difference is seed noise or the data")
    # `+KEY=VALUE` for a key BASE's params.yaml lacks: `dvc exp run -S KEY=VALUE` only changes existing keys
    options = [("+" if p.status == "added" else "") + set_param(p.key, p.target) for p in settings]
    command = " ".join(["pipelab seeds", *(f"-S {_shell_word(option)}" for option in options)])
    if base.kind == "workspace":  # its params may be uncommitted: seeds would replay the change on HEAD's
        return Replication(
            command, f"once the workspace is committed (`pipelab seeds` starts from HEAD, now {base.short})"
        )
    where = f"`{base.label}`" if base.label == base.short else f"`{base.label}` ({base.short})"
    return Replication(command, f"from a clean checkout of {where}")


def _shell_word(option: str) -> str:
    """`option` as one shell word: in double quotes around DVC's single-quoted text where the shell leaves
    them as written (`"data.path='a,b'"`, not shlex's `'data.path='"'"'a,b'"'"''`)."""
    if "'" in option and not set(option) & set('"$`\\!'):
        return f'"{option}"'
    return shlex.quote(option)


def _datasets(provenance: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Dataset path -> its provenance entry, over every record (unknown keys are ignored)."""
    found: dict[str, dict[str, Any]] = {}
    for record in provenance.values():
        datasets = record.get("datasets")
        if isinstance(datasets, Mapping):
            found.update({str(p): dict(info) for p, info in datasets.items() if isinstance(info, Mapping)})
    return found


def _contract(info: Mapping[str, Any] | None) -> str | None:
    contract = (info or {}).get("contract")
    if not isinstance(contract, Mapping):
        return None
    return f"{contract.get('name', '?')} {contract.get('version', '?')}"


def _rows(info: Mapping[str, Any] | None) -> int | None:
    rows = (info or {}).get("rows")
    return rows if isinstance(rows, int) and not isinstance(rows, bool) else None


def _columns(info: Mapping[str, Any] | None) -> list[str]:
    columns = (info or {}).get("columns")
    return [str(c) for c in columns] if isinstance(columns, list) else []


def _unknown(path: str, sides: Iterable[Snapshot]) -> bool:
    """Whether `path` is inside an output whose provenance record a side could not read."""
    outputs = [record.removesuffix(PROVENANCE_SUFFIX) for side in sides for record in side.unavailable]
    return any(path == out or path.startswith(out + "/") for out in outputs)


def dataset_changes(base: Snapshot, target: Snapshot) -> list[DatasetChange]:
    """Every dataset named by either side's provenance records, but those whose record a side lacks."""
    before, after = _datasets(base.provenance), _datasets(target.provenance)
    out = []
    for path in sorted(p for p in set(before) | set(after) if not _unknown(p, (base, target))):
        b, t = before.get(path), after.get(path)
        both = b is not None and t is not None
        out.append(
            DatasetChange(
                path,
                _rows(b),
                _rows(t),
                _contract(b),
                _contract(t),
                tuple(c for c in _columns(t) if c not in _columns(b)) if both else (),
                tuple(c for c in _columns(b) if c not in _columns(t)) if both else (),
            )
        )
    return out


def quality_changes(base: Snapshot, target: Snapshot) -> list[Change]:
    """Every number in metrics/quality.json per table, nested ones as dotted keys (see `quality_kind`)."""
    out = []
    for table in sorted(set(base.quality) | set(target.quality)):
        before = flatten(base.quality.get(table) or {})
        after = flatten(target.quality.get(table) or {})
        for key in sorted(set(before) | set(after)):
            b, t = _number(before.get(key)), _number(after.get(key))
            if b is not None or t is not None:
                out.append(judge(key, b, t, None, group=table))
    return out


def _predictions(base: Snapshot, target: Snapshot, notes: list[str]) -> PredictionDiff | None:
    from pandas.errors import MergeError

    if base.predictions is None or target.predictions is None:
        return None
    for side, frame in ((base, base.predictions), (target, target.predictions)):
        missing = [c for c in PREDICTION_COLUMNS if c not in frame.columns]
        if missing:
            notes.append(f"{side.intent.label}: predictions lack column(s) {', '.join(missing)}; no prediction diff")
            return None
    try:
        differ, joined = other_flights(base.predictions, target.predictions)
        if differ:
            notes.append(
                f"predictions: {differ:,} of the {joined:,} row_ids on both sides name other flights (carrier, "
                "route or date differ: the source data changed, and row_id is a row's number in it); no prediction diff"
            )
            return None
        return prediction_diff(base.predictions, target.predictions)
    except MergeError:
        notes.append("predictions: row_id is not unique on one side; no prediction diff")
        return None


def _how_to_get(intent: Intent) -> str:
    if intent.kind == "workspace":
        return "`dvc pull`, or reproduce them with `dvc repro`"
    if intent.kind == "experiment":
        return f"`dvc exp pull <git remote> {intent.name}`, or run the experiment again"
    return f"`dvc pull` in a checkout of {intent.short} (or `dvc fetch --all-commits`), or `dvc repro` there"


def data_unavailable(side: Snapshot) -> str | None:
    """Why a side's data cannot be compared, when its provenance records are not in the cache: a missing
    record is not a changed dataset."""
    if not side.unavailable:
        return None
    missing, total = len(side.unavailable), len(side.unavailable) + len(side.provenance)
    what, which = (
        ("The data", f"none of its {total} provenance records is")
        if missing == total
        else ("Part of the data", f"{missing} of its {total} provenance records are not")
    )
    return (
        f"{what} of `{side.intent.label}` cannot be compared: {which} in the local DVC cache (nor a reachable "
        f"remote); get them with {_how_to_get(side.intent)}"
    )


def build_report(base: Snapshot, target: Snapshot, gates: Gates, gates_source: str) -> Report:
    """The whole comparison of `target` against `base` (plots are added once rendered)."""
    notes = [*base.notes, *target.notes]
    notes += [
        f"{gates_source}: metric {key!r} is in neither side's {SCORES}"
        for key in gates.metrics
        if key not in base.scores and key not in target.scores
    ]
    params = param_changes(base.params, target.params)
    changed_sources = sources_changed(base, target)
    return Report(
        base=base.intent,
        target=target.intent,
        gates_source=gates_source,
        params=params,
        metrics=metric_changes(base, target, gates),
        datasets=dataset_changes(base, target),
        quality=quality_changes(base, target),
        predictions=_predictions(base, target, notes),
        telemetry=telemetry_changes(base, target, gates),
        plots=[],
        notes=notes,
        warn_psi=(warn_psi(base.params), warn_psi(target.params)),
        sources_changed=changed_sources,
        replication=replication(base.intent, params, changed_sources),
        data_unavailable=[line for line in map(data_unavailable, (base, target)) if line],
    )
