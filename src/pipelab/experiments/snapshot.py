"""Everything a comparison needs from one side, read once: params, scores, quality, telemetry,
provenance records, predictions and plot curves.

Nothing here hard-codes the list of datasets: provenance records are the `*.provenance.json`
outputs that side's dvc.lock names, predictions are the dataset whose contract is
`predictions`, and curves are the line plots that side's dvc.yaml declares. Records are read
defensively (unknown keys ignored, missing ones tolerated); what cannot be read becomes a note.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pipelab.core.telemetry import TELEMETRY_DIR
from pipelab.experiments.revisions import RevisionError, Side, UnavailableError

if TYPE_CHECKING:
    import pandas as pd

    from pipelab.experiments.revisions import Intent

SCORES = "metrics/scores.json"
QUALITY = "metrics/quality.json"
PARAMS = "params.yaml"
PROVENANCE_SUFFIX = ".provenance.json"
PREDICTIONS_CONTRACT = "predictions"
LINE_TEMPLATES = frozenset({"simple", "linear", "smooth", "scatter"})


@dataclass(frozen=True)
class Curve:
    """One line plot's points (from a plots CSV), with its axis names."""

    x_label: str
    y_label: str
    points: list[tuple[float, float]]


@dataclass
class Snapshot:
    """One side's results, as plain data for the pure comparison functions."""

    intent: Intent
    params: dict[str, Any]
    scores: dict[str, Any]
    quality: dict[str, Any] = field(default_factory=dict)
    telemetry: dict[str, dict[str, Any]] = field(default_factory=dict)
    provenance: dict[str, dict[str, Any]] = field(default_factory=dict)
    predictions: pd.DataFrame | None = None
    curves: dict[str, Curve] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # see `source_hashes`
    unavailable: list[str] = field(default_factory=list)  # provenance records in neither the cache nor a remote


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _telemetry(side: Side, stages: list[str]) -> dict[str, dict[str, Any]]:
    """Every stage's telemetry record, in pipeline (dvc.lock) order."""
    files = [p for p in side.listdir(TELEMETRY_DIR.as_posix()) if p.endswith(".json")]
    found = {p.rsplit("/", 1)[-1].removesuffix(".json"): p for p in files}
    order = [s for s in stages if s in found] + sorted(set(found) - set(stages))
    return {stage: _mapping(side.json(found[stage])) for stage in order}


def _provenance(side: Side, lock_stages: dict[str, Any], unavailable: list[str]) -> dict[str, dict[str, Any]]:
    """The provenance records dvc.lock names; the paths of those not in the cache go to `unavailable`."""
    paths = sorted(
        str(out["path"])
        for stage in lock_stages.values()
        for out in _mapping(stage).get("outs") or []
        if isinstance(out, dict) and str(out.get("path", "")).endswith(PROVENANCE_SUFFIX)
    )
    records: dict[str, dict[str, Any]] = {}
    for path in paths:
        try:
            records[path] = _mapping(side.json(path))
        except UnavailableError:
            unavailable.append(path)
    return records


def source_hashes(lock_stages: dict[str, Any]) -> dict[str, str]:
    """Path -> hash of every dependency no stage writes (code, source data), from dvc.lock.

    Two sides with the same source hashes ran the same code on the same inputs, so any
    difference in their results comes from params (and the seed).
    """
    stages = [_mapping(stage) for stage in lock_stages.values()]
    written = {str(out.get("path")) for stage in stages for out in stage.get("outs") or [] if isinstance(out, dict)}

    def is_written(path: str) -> bool:  # an output, or a file inside an output directory (data/splits/train)
        return any(path == out or path.startswith(f"{out}/") for out in written)

    return {
        str(dep["path"]): str(dep.get("md5") or sorted(dep.items()))  # md5, else all the entry says
        for stage in stages
        for dep in stage.get("deps") or []
        if isinstance(dep, dict) and "path" in dep and not is_written(str(dep["path"]))
    }


def predictions_path(provenance: dict[str, dict[str, Any]]) -> str | None:
    """The dataset whose contract is `predictions`, as named in the provenance records."""
    for record in provenance.values():
        for path, info in _mapping(record.get("datasets")).items():
            if _mapping(_mapping(info).get("contract")).get("name") == PREDICTIONS_CONTRACT:
                return str(path)
    return None


def _predictions(
    side: Side, provenance: dict[str, dict[str, Any]], notes: list[str], unavailable: list[str]
) -> pd.DataFrame | None:
    path = predictions_path(provenance)
    if path is None:
        if not unavailable:  # else the record naming it is among those; the report says so once
            notes.append(f"{side.intent.label}: no provenance record names a `{PREDICTIONS_CONTRACT}` dataset")
        return None
    try:
        return side.parquet(path)
    except UnavailableError as err:
        notes.append(str(err))
        return None


def _curve(side: Side, path: str, x: str, y: str) -> Curve | None:
    text = side.text(path)
    if text is None:
        return None
    try:
        points = [(float(row[x]), float(row[y])) for row in csv.DictReader(io.StringIO(text))]
    except (KeyError, TypeError, ValueError):
        return None
    return Curve(x, y, points)


def _curves(side: Side) -> dict[str, Curve]:
    """Line plots declared in dvc.yaml's top-level `plots` (title -> single x column, {file: y})."""
    curves: dict[str, Curve] = {}
    for entry in _mapping(side.yaml("dvc.yaml")).get("plots") or []:
        for title, raw in _mapping(entry).items():
            spec = _mapping(raw)
            y = _mapping(spec.get("y"))
            if (
                spec.get("template", "linear") not in LINE_TEMPLATES
                or not isinstance(spec.get("x"), str)
                or len(y) != 1
            ):
                continue
            [(path, column)] = y.items()
            curve = _curve(side, str(path), spec["x"], str(column))
            if curve is not None:
                curves[str(title)] = curve
    return curves


def read_snapshot(side: Side) -> Snapshot:
    """Read one side; a side without scores is an error, anything else missing is a note."""
    scores = side.json(SCORES)
    where = f"{side.intent.label} ({side.intent.kind} {side.intent.short})"
    if scores is None:
        raise RevisionError(f"{where}: {SCORES} not found; run the pipeline and commit its metrics there")
    if not isinstance(scores, dict):
        raise RevisionError(f"{where}: {SCORES} must be a mapping of metric names to numbers")
    notes: list[str] = []
    if side.stale:
        notes.append(
            f"⚠️ {where}: stale results, committed without `dvc repro`: dvc.lock records other inputs than the "
            f"commit holds for {', '.join(side.stale)}, so its metrics are not those of its params and code"
        )
    unavailable: list[str] = []
    lock_stages = _mapping(_mapping(side.yaml("dvc.lock")).get("stages"))
    provenance = _provenance(side, lock_stages, unavailable)
    return Snapshot(
        intent=side.intent,
        params=_mapping(side.yaml(PARAMS)),
        scores=scores,
        quality=_mapping(side.json(QUALITY)),
        telemetry=_telemetry(side, list(lock_stages)),
        provenance=provenance,
        predictions=_predictions(side, provenance, notes, unavailable),
        curves=_curves(side),
        notes=notes,
        sources=source_hashes(lock_stages),
        unavailable=unavailable,
    )
