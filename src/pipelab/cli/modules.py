"""`pipelab catalog` and `pipelab new`: what modules exist, and a new one scaffolded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from pipelab.cli.app import app, fail, output_console, print_table, require_root, write_generated
from pipelab.core.errors import PipelabError


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
    from pipelab.core import registry

    require_root()
    if check and markdown is None:
        raise fail("--check compares a written catalog with the modules: give the file with --markdown FILE")
    try:
        rows = cat.entries()
    except PipelabError as err:
        raise fail(str(err)) from None
    if markdown is not None:
        write_generated(markdown, cat.render_markdown(rows), check, f"pipelab catalog --markdown {markdown}")
        return
    if as_json:
        typer.echo(json.dumps({"modules": rows, "plugin_errors": registry.load_errors()}, indent=2, default=str))
        return
    console = output_console()
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
        print_table(table, console)
    for name, message in registry.load_errors().items():
        console.print(f"[yellow]skipped plugin {name}[/yellow]: {message}", highlight=False)


@app.command("new")
def new(
    kind: Annotated[str, typer.Argument(help="feature_group | model | missing | check | report")],
    name: Annotated[str, typer.Argument(help="module name, lower_case")],
    root: Annotated[Path, typer.Option(help="repository root")] = Path("."),
) -> None:
    """Scaffold a module file and its test; the file registers itself, nothing else to edit."""
    from pipelab.scaffold import scaffold

    try:
        written = scaffold(kind, name, root)
    except PipelabError as err:
        raise fail(str(err)) from None
    for path in written:
        typer.echo(f"created {path}")
    typer.echo(f"next: add {name!r} to params.yaml (see README, 'Add a module'), then `dvc exp run`")
