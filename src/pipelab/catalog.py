"""The module catalog: every registered module with its config, contracts, failure modes and speed.

Performance comes from logs/modules.jsonl (appended by every stage run): the median rows
per second and peak memory over past runs of that module. docs/catalog.md is the same
catalog without the machine-dependent performance columns, so it can be checked for
staleness in tests.
"""

from __future__ import annotations

import json
import re
import statistics
from pathlib import Path
from typing import Annotated, Any, get_args, get_origin

from annotated_types import Ge, Gt, Le, Lt, MaxLen, MinLen
from pydantic.fields import FieldInfo

from pipelab.core import registry
from pipelab.core.registry import ModuleSpec
from pipelab.core.telemetry import MODULE_LOG

NOT_MEASURED = "not measured yet"
KIND_TITLES = {
    "source": "Sources (`data.source`)",
    "missing": "Missing-value strategies (`clean.missing`)",
    "feature_group": "Feature groups (`features.groups`)",
    "model": "Models (`model.name`)",
    "check": "Quality checks (`quality.checks`)",
    "report": "Report tables (`report.tables`)",
}
KIND_SECTIONS = {
    "source": None,
    "missing": "clean",
    "feature_group": "features",
    "model": "model",
    "check": "quality",
    "report": "report",
}


def _type_name(annotation: Any) -> str:
    """`int`, `dict[str, Limits]`: the annotation without module paths, bounds (`Annotated`) shown apart."""
    if get_origin(annotation) is Annotated:
        return _type_name(get_args(annotation)[0])
    if get_origin(annotation) is dict:
        return f"dict[{', '.join(_type_name(arg) for arg in get_args(annotation))}]"
    text = getattr(annotation, "__name__", None) if isinstance(annotation, type) else None
    return text or re.sub(r"\b[a-z_][a-z0-9_]*\.", "", str(annotation))


def _bounds(info: FieldInfo) -> str:
    parts = []
    for meta in info.metadata:
        for cls, symbol, attr in (
            (Gt, ">", "gt"),
            (Ge, ">=", "ge"),
            (Lt, "<", "lt"),
            (Le, "<=", "le"),
            (MinLen, "len >=", "min_length"),
            (MaxLen, "len <=", "max_length"),
        ):
            if isinstance(meta, cls):
                parts.append(f"{symbol} {getattr(meta, attr)}")
    return ", ".join(parts)


def config_fields(spec: ModuleSpec) -> list[dict[str, Any]]:
    """Each config field: name, type, default, bounds and description."""
    if spec.config is None:
        return []
    return [
        {
            "name": name,
            "type": _type_name(info.annotation),
            "default": info.get_default(call_default_factory=True),
            "bounds": _bounds(info),
            "description": info.description or "",
        }
        for name, info in spec.config.model_fields.items()
    ]


def performance(log: Path = MODULE_LOG) -> dict[str, dict[str, float | int]]:
    """Median rows/s and peak MiB per module over every run recorded in the module log."""
    runs: dict[str, list[dict[str, Any]]] = {}
    if log.is_file():
        for line in log.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            runs.setdefault(str(record.get("module")), []).append(record)
    out: dict[str, dict[str, float | int]] = {}
    for key, records in runs.items():
        speeds = [float(r["rows_per_second"]) for r in records if r.get("rows_per_second")]
        memory = [float(r["peak_rss_mb"]) for r in records if r.get("peak_rss_mb") is not None]
        out[key] = {
            "runs": len(records),
            "median_rows_per_second": round(statistics.median(speeds), 1) if speeds else 0.0,
            "median_peak_rss_mb": round(statistics.median(memory), 1) if memory else 0.0,
        }
    return out


def entries(log: Path = MODULE_LOG) -> list[dict[str, Any]]:
    """The whole catalog as plain data, kinds in pipeline order, names sorted."""
    measured = performance(log)
    rows = []
    for kind in registry.kinds():
        for spec in registry.modules(kind):
            rows.append(
                {
                    "kind": kind,
                    "name": spec.name,
                    "version": spec.version,
                    "package": spec.package,
                    "summary": spec.summary,
                    "config": config_fields(spec),
                    "reads": [str(ref) for ref in spec.reads],
                    "writes": [str(ref) for ref in spec.writes],
                    "failure_modes": list(spec.failure_modes),
                    "performance": measured.get(spec.key),
                }
            )
    return rows


def _config_cell(fields: list[dict[str, Any]]) -> str:
    if not fields:
        return "—"
    items = []
    for f in fields:
        bounds = f" ({f['bounds']})" if f["bounds"] else ""
        items.append(f"`{f['name']}`: {f['type']} = `{f['default']!r}`{bounds}")
    return "<br>".join(items)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(rows: list[dict[str, Any]]) -> str:
    """docs/catalog.md: deterministic, without measured performance."""
    lines = [
        "# Module catalog",
        "",
        "Generated by `pipelab catalog --markdown`; `make test` fails when it is out of date.",
        "Measured speed and memory per module: `pipelab catalog` (from your own runs).",
        "",
    ]
    for kind in registry.kinds():
        lines += [f"## {KIND_TITLES.get(kind, kind)}", ""]
        lines += [
            "| name | version | summary | config | reads | writes | failure modes |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in (r for r in rows if r["kind"] == kind):
            section = KIND_SECTIONS.get(kind)
            config = _config_cell(row["config"])
            if section and row["config"]:
                config = f"`{section}.{row['name']}`:<br>{config}"
            lines.append(
                f"| `{row['name']}` | {row['version']} | {_cell(row['summary'])} | {_cell(config)} | "
                f"{', '.join(row['reads']) or '—'} | {', '.join(row['writes']) or '—'} | "
                f"{'<br>'.join(_cell(m) for m in row['failure_modes']) or '—'} |"
            )
        lines.append("")
    return "\n".join(lines)
