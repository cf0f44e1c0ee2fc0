"""The `pipelab` command: tools around the pipeline (run telemetry, params checks)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.table import Table

from pipelab.errors import PipelabError
from pipelab.params import SCALARS, SECTIONS, load_params, read_params_file
from pipelab.telemetry import TELEMETRY_DIR

app = typer.Typer(
    help="pipelab: tools for the versioned flight-delay pipeline.", no_args_is_help=True, add_completion=False
)
TELEMETRY_COLUMNS = {
    "wall_seconds": "wall s",
    "cpu_seconds": "CPU s",
    "peak_rss_mb": "peak MiB",
    "rows_in": "rows in",
    "rows_out": "rows out",
    "rows_per_second": "rows/s",
}


def stage_order(dvc_yaml: Path) -> list[str]:
    """Stage names in dvc.yaml order (the pipeline's reading order)."""
    if not dvc_yaml.is_file():
        return []
    raw = yaml.safe_load(dvc_yaml.read_text(encoding="utf-8")) or {}
    return list((raw.get("stages") or {}).keys())


def telemetry_rows(root: Path) -> list[tuple[str, dict[str, Any]]]:
    """(stage, telemetry) for every stage with a telemetry file, in pipeline order."""
    folder = root / TELEMETRY_DIR
    found = {p.stem: p for p in folder.glob("*.json")} if folder.is_dir() else {}
    order = [s for s in stage_order(root / "dvc.yaml") if s in found] + sorted(
        set(found) - set(stage_order(root / "dvc.yaml"))
    )
    return [(stage, json.loads(found[stage].read_text(encoding="utf-8"))) for stage in order]


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


@app.command("run-info")
def run_info(
    root: Annotated[Path, typer.Option(help="repository root")] = Path("."),
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
) -> None:
    """Telemetry of the last run of each stage: time, CPU, peak memory, rows, throughput."""
    rows = telemetry_rows(root)
    if not rows:
        raise _fail(f"no telemetry in {root / TELEMETRY_DIR}; run `make run` first")
    if as_json:
        typer.echo(json.dumps(dict(rows), indent=2, sort_keys=True))
        return
    table = Table(title="Last run, per stage")
    table.add_column("stage")
    for label in TELEMETRY_COLUMNS.values():
        table.add_column(label, justify="right")
    for stage, record in rows:
        table.add_row(stage, *(f"{record.get(c, '')}" for c in TELEMETRY_COLUMNS))
    totals = {c: sum(float(r.get(c, 0)) for _, r in rows) for c in ("wall_seconds", "cpu_seconds")}
    peak = max(float(r.get("peak_rss_mb", 0)) for _, r in rows)
    table.add_row("total", f"{totals['wall_seconds']:.3f}", f"{totals['cpu_seconds']:.3f}", f"{peak} (max)", "", "", "")
    Console().print(table)


@app.command("check-params")
def check_params(
    params: Annotated[Path, typer.Argument(help="params file")] = Path("params.yaml"),
) -> None:
    """Validate every section of a params file (what each stage checks before it starts)."""
    try:
        present = [name for name in (*SCALARS, *SECTIONS) if name in read_params_file(params)]
        load_params(params, present)
    except PipelabError as err:
        raise _fail(str(err)) from None
    typer.echo(f"{params}: ok ({', '.join(present)})")


@app.command("catalog")
def catalog(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON for tools")] = False,
    markdown: Annotated[
        Path | None, typer.Option("--markdown", help="write the Markdown catalog (no performance) to this file")
    ] = None,
    check: Annotated[bool, typer.Option("--check", help="with --markdown: fail if the file is out of date")] = False,
) -> None:
    """Every registered module: kind, name, version, summary, config, contracts, failure modes, speed."""
    from pipelab import catalog as cat
    from pipelab import registry

    try:
        rows = cat.entries()
    except PipelabError as err:
        raise _fail(str(err)) from None
    if markdown is not None:
        text = cat.render_markdown(rows)
        if check:
            current = markdown.read_text(encoding="utf-8") if markdown.is_file() else ""
            if current != text:
                raise _fail(f"{markdown} is out of date; run `pipelab catalog --markdown {markdown}`", code=1)
            typer.echo(f"{markdown}: up to date")
            return
        markdown.parent.mkdir(parents=True, exist_ok=True)
        markdown.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {markdown} ({len(rows)} modules)")
        return
    if as_json:
        typer.echo(json.dumps({"modules": rows, "plugin_errors": registry.load_errors()}, indent=2, default=str))
        return
    console = Console()
    for kind in registry.kinds():
        table = Table(title=cat.KIND_TITLES.get(kind, kind), show_lines=True)
        for column in ("name", "version", "summary", "config", "contracts", "failure modes", "measured"):
            table.add_column(column, overflow="fold")
        for row in (r for r in rows if r["kind"] == kind):
            config = "\n".join(
                f"{f['name']}: {f['type']} = {f['default']!r}" + (f" ({f['bounds']})" if f["bounds"] else "")
                for f in row["config"]
            )
            contracts = "\n".join([*(f"reads {r}" for r in row["reads"]), *(f"writes {w}" for w in row["writes"])])
            perf = row["performance"]
            measured = (
                f"{perf['median_rows_per_second']:,.0f} rows/s\n{perf['median_peak_rss_mb']} MiB\n{perf['runs']} run(s)"
                if perf
                else cat.NOT_MEASURED
            )
            table.add_row(
                f"{row['name']}\n({row['package']})",
                row["version"],
                row["summary"],
                config or "-",
                contracts or "-",
                "\n".join(row["failure_modes"]) or "-",
                measured,
            )
        console.print(table)
    for name, message in registry.load_errors().items():
        console.print(f"[yellow]skipped plugin {name}[/yellow]: {message}", highlight=False)


@app.command("new")
def new(
    kind: Annotated[str, typer.Argument(help="feature_group | model | missing")],
    name: Annotated[str, typer.Argument(help="module name, lower_case")],
    root: Annotated[Path, typer.Option(help="repository root")] = Path("."),
) -> None:
    """Scaffold a module file and its test; the file registers itself, nothing else to edit."""
    from pipelab.scaffold import scaffold

    try:
        written = scaffold(kind, name, root)
    except PipelabError as err:
        raise _fail(str(err)) from None
    for path in written:
        typer.echo(f"created {path}")
    typer.echo(f"next: add {name!r} to params.yaml (see README, 'Add a module'), then `dvc exp run`")
