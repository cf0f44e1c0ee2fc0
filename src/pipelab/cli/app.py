"""The typer application every `pipelab` command registers on, and its one-line error exit."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="pipelab: tools for the versioned flight-delay pipeline.", no_args_is_help=True, add_completion=False
)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print `error: <message>` on stderr; raise the returned Exit to leave with `code`."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)
