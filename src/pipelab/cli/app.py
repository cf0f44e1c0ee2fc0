"""The typer application every `pipelab` command registers on, and its one-line error exit."""

from __future__ import annotations

from pathlib import Path

import typer

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
