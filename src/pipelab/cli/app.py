"""The typer application every `pipelab` command registers on, and its one-line error exit."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

UNBOUNDED = 1 << 16  # a width to measure a table's natural needs, unclipped by the terminal

app = typer.Typer(
    help="pipelab: tools for the versioned flight-delay pipeline.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"pipelab {version('pipelab')}")
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print pipelab's version and exit."
    ),
) -> None:
    """Options of `pipelab` itself, before any command."""


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print `error: <message>` on stderr; raise the returned Exit to leave with `code`."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def write_generated(path: Path, text: str, check: bool, command: str) -> None:
    """Write a generated file, or with `check` fail (exit 1) when it differs from `text`."""
    if check:
        current = path.read_text(encoding="utf-8") if path.is_file() else ""
        if current != text:
            raise fail(f"{path} is out of date; run `{command}`", code=1)
        typer.echo(f"{path}: up to date")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {path}")


def print_table(table: Table, console: Console | None = None) -> None:
    """Print a table without cutting a no-wrap cell: rich ends what does not fit with "…", and a cut number is wrong.

    A table with no-wrap columns that is too wide for the terminal drops its borders and
    padding; still too wide, it is printed at its natural width (the terminal wraps those long
    lines). Columns that fold lose nothing, so tables made only of those keep to the terminal.
    """
    from rich.console import Console
    from rich.measure import Measurement

    console = console or Console()
    if not any(column.no_wrap for column in table.columns):
        console.print(table)
        return

    def natural() -> int:
        return Measurement.get(console, console.options.update_width(UNBOUNDED), table).maximum

    if natural() > console.width:
        table.box, table.padding, table.pad_edge, table.show_edge = None, (0, 1, 0, 0), False, False
    width = console.width
    console.width = max(width, natural())
    try:
        console.print(table)
    finally:
        console.width = width
