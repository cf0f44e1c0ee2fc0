"""Data quality across the pipeline: run the gates on a validated dataset, summarise every dataset.

Stages call `run_checks` through the stage runtime right after validating a dataset; the
report stage turns the summaries travelling with the quarantine files into
metrics/quality.json and one readable page per dataset.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from pipelab.contracts import CONTRACTS, DatasetQuality, latest
from pipelab.core import io, registry
from pipelab.core.params import QualityParams
from pipelab.core.telemetry import measure_module

ORIGINS_SHOWN = 10  # a page lists the lowest-covered origins; a source of hundreds would drown it


def run_checks(quality: DatasetQuality, params: QualityParams) -> DatasetQuality:
    """`quality` with the findings of every check in `quality.checks`."""
    findings = []
    for name in params.checks:
        spec = registry.get("check", name)
        with measure_module(spec.key, spec.version, quality.rows_in):
            findings += spec.obj(quality, params.config_for(name))
    return quality.model_copy(update={"findings": tuple(findings)})


def gate_failure(quality: DatasetQuality) -> str | None:
    """One line naming every gate the dataset tripped, or None."""
    errors = [f.message for f in quality.findings if f.severity == "error"]
    if not errors:
        return None
    return f"quality gate tripped: {'; '.join(errors)} (limits: params.yaml `quality`)"


def metrics(qualities: list[DatasetQuality]) -> dict[str, Any]:
    """metrics/quality.json: flat numbers per dataset, in pipeline order, for `dvc metrics diff`."""
    out: dict[str, Any] = {}
    for q in qualities:
        entry: dict[str, Any] = {
            "rows_in": q.rows_in,
            "rows_valid": q.rows_valid,
            "rows_quarantined": q.rows_quarantined,
            "duplicates_removed": q.duplicates_removed,
            "quarantine_share": round(q.quarantine_share, 6),
            "gate_warnings": sum(f.severity == "warn" for f in q.findings),
            "gate_errors": sum(f.severity == "error" for f in q.findings),
        }
        if q.errors:
            entry["quarantined_by_rule"] = dict(sorted(q.errors.items()))
        if q.warnings:
            entry["kept_with_warning_by_rule"] = dict(sorted(q.warnings.items()))
        if q.drift:
            entry["drift_psi_max"] = max(q.drift.values())
            entry["drift_psi"] = dict(sorted(q.drift.items()))
        if q.coverage:
            entry["coverage"] = {group: c.share for group, c in sorted(q.coverage.items())}
            entry["coverage_lowest_origin"] = {
                group: min(c.by_origin.values()) for group, c in sorted(q.coverage.items()) if c.by_origin
            }
        out[q.dataset] = entry
    return out


def _section(title: str, rows: list[dict[str, Any]]) -> list[str]:
    return [f"## {title}", "", pd.DataFrame(rows).to_markdown(index=False), ""] if rows else []


def read_summaries(files: Iterable[Path]) -> list[DatasetQuality]:
    """The summaries stored with quarantine files, in pipeline (contract) order.

    Parquet files without a summary (not written by a validating stage) are skipped.
    """
    order: dict[str, int] = {}
    for position, contract in enumerate(CONTRACTS):  # a name's first place: older versions come later
        order.setdefault(contract.name, position)
    stored = [io.read_metadata(path, "quality") for path in files]
    found = [DatasetQuality.model_validate(summary) for summary in stored if summary is not None]
    return sorted(found, key=lambda q: (order.get(q.dataset, len(order)), q.dataset))


def _coverage_rows(quality: DatasetQuality) -> list[dict[str, Any]]:
    rows = []
    for group, c in sorted(quality.coverage.items()):
        origins = sorted(c.by_origin.items(), key=lambda item: (item[1], item[0]))
        shown = ", ".join(f"{o} {share:.1%} ({c.rows_by_origin.get(o, 0):,})" for o, share in origins[:ORIGINS_SHOWN])
        shown += f", +{len(origins) - ORIGINS_SHOWN} more" if len(origins) > ORIGINS_SHOWN else ""
        rows.append({"group": group, "overall": f"{c.share:.1%} of {c.rows:,}", "by origin, lowest first": shown})
    return rows


def markdown(quality: DatasetQuality) -> str:
    """A page for people: counts that reconcile, what was quarantined or kept and why, gate verdicts."""
    q = quality
    contract = latest(q.dataset)
    description, decisions = contract.description, contract.decisions
    balance = (
        f"{q.rows_in:,} rows in = {q.rows_valid:,} valid + {q.rows_quarantined:,} quarantined + "
        f"{q.duplicates_removed:,} exact duplicates removed{'' if q.reconciles else ' (DOES NOT RECONCILE)'}."
    )
    drift = sorted(q.drift.items(), key=lambda item: (-item[1], item[0]))
    lines = [
        f"# Data quality: `{q.dataset}` (contract v{q.contract_version}, stage `{q.stage}`)",
        "",
        description,
        "",
        f"**Verdict: {q.verdict()}.** {balance}",
        "",
        *_section(
            f"Quarantined (rows in `data/quarantine/{q.dataset}.parquet`)",
            [{"rule": r, "rows": n} for r, n in sorted(q.errors.items())],
        ),
        *_section(
            "Kept with a warning",
            [
                {"rule": r, "rows": n, "examples": "; ".join(q.examples.get(r, []))}
                for r, n in sorted(q.warnings.items())
            ],
        ),
        *_section(
            "Quality gates", [{"check": f.check, "severity": f.severity, "finding": f.message} for f in q.findings]
        ),
        *_section(f"Drift against `{q.drift_reference}`", [{"feature": k, "PSI": round(v, 4)} for k, v in drift]),
        *_section("Join coverage (share of rows each join found: `<group>__known`)", _coverage_rows(q)),
    ]
    if decisions:
        lines += ["## Decisions about the real data", "", *(f"- {d}" for d in decisions), ""]
    return "\n".join(lines)
