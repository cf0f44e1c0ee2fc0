"""`pipelab run-info` and `pipelab check-params`: the last run's telemetry, the params file's validity."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.table import Table

from pipelab.cli.app import app, fail, print_table, require_root
from pipelab.core.errors import DataError, PipelabError, file_errors
from pipelab.core.params import SCALARS, SECTIONS, load_params, read_params_file
from pipelab.core.telemetry import TELEMETRY_DIR

# telemetry key -> (column label, format): one format per column, so figures line up
TELEMETRY_COLUMNS = {
    "wall_seconds": ("wall s", "{:,.2f}"),
    "cpu_seconds": ("CPU s", "{:,.2f}"),
    "peak_rss_mb": ("peak MiB", "{:,.1f}"),
    "rows_in": ("rows in", "{:,.0f}"),
    "rows_out": ("rows out", "{:,.0f}"),
    "rows_per_second": ("rows/s", "{:,.0f}"),
}


def cell(record: dict[str, Any], key: str) -> str:
    """A telemetry value in its column's format; blank when the stage did not record it."""
    value = record.get(key)
    return "" if value is None else TELEMETRY_COLUMNS[key][1].format(float(value))


def stage_order(dvc_yaml: Path) -> list[str]:
    """Stage names in dvc.yaml order (the pipeline's reading order)."""
    if not dvc_yaml.exists():
        return []
    with file_errors(dvc_yaml):
        text = dvc_yaml.read_text(encoding="utf-8")
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise DataError(f"{dvc_yaml}: not valid YAML{where}") from None
    stages = (raw.get("stages") or {}) if isinstance(raw, dict) else None
    if not isinstance(stages, dict):
        raise DataError(f"{dvc_yaml}: expected a mapping with a `stages:` mapping of stage names")
    return list(stages)


def read_telemetry(path: Path) -> dict[str, Any]:
    """One stage's telemetry file: a JSON object whose figures are numbers, else an error naming it."""
    with file_errors(path):
        record = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(record, dict):
        raise DataError(f"{path}: expected a JSON object of telemetry figures")
    for key in TELEMETRY_COLUMNS:
        value = record.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise DataError(f"{path}: {key} = {value!r} is not a number")
    return record


def telemetry_rows(root: Path) -> list[tuple[str, dict[str, Any]]]:
    """(stage, telemetry) for every stage with a telemetry file, in pipeline order."""
    folder = root / TELEMETRY_DIR
    found = {p.stem: p for p in folder.glob("*.json")} if folder.is_dir() else {}
    pipeline = stage_order(root / "dvc.yaml")
    order = [s for s in pipeline if s in found] + sorted(set(found) - set(pipeline))
    return [(stage, read_telemetry(found[stage])) for stage in order]


@app.command("run-info")
def run_info(
    root: Annotated[Path, typer.Option(help="repository root")] = Path("."),
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
) -> None:
    """Telemetry of the last run of each stage: time, CPU, peak memory, rows, throughput."""
    require_root(root)
    rows = telemetry_rows(root)
    if not rows:
        raise fail(f"no telemetry in {root / TELEMETRY_DIR}; run `make run` first")
    if as_json:
        typer.echo(json.dumps(dict(rows), indent=2, sort_keys=True))
        return
    table = Table(title="Last run, per stage")
    table.add_column("stage", no_wrap=True)
    for label, _ in TELEMETRY_COLUMNS.values():
        table.add_column(label, justify="right", no_wrap=True)
    for stage, record in rows:
        table.add_row(stage, *(cell(record, key) for key in TELEMETRY_COLUMNS))
    total = {key: sum(float(r.get(key, 0)) for _, r in rows) for key in ("wall_seconds", "cpu_seconds")}
    total["peak_rss_mb"] = max(float(r.get("peak_rss_mb", 0)) for _, r in rows)
    peak = cell(total, "peak_rss_mb") + " (max)"
    table.add_row("total", cell(total, "wall_seconds"), cell(total, "cpu_seconds"), peak, "", "", "")
    print_table(table)


@app.command("check-params")
def check_params(
    params: Annotated[Path, typer.Argument(help="params file")] = Path("params.yaml"),
) -> None:
    """Validate a whole params file as the pipeline reads it: every section present and valid."""
    sections = [*SCALARS, *SECTIONS]
    try:
        load_params(params, sections)
        unread = [key for key in read_params_file(params) if key not in sections]
    except PipelabError as err:
        raise fail(str(err)) from None
    note = f"; no stage reads {', '.join(map(repr, unread))}" if unread else ""
    typer.echo(f"{params}: ok ({', '.join(sections)}){note}")
