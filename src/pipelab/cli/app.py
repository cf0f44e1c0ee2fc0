"""The typer application every `pipelab` command registers on, and its one-line error exit."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from typer.core import TyperCommand, TyperGroup, TyperOption
from typer.exceptions import TyperException

from pipelab.core.errors import PipelabError, file_errors

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from typer._click import Context, HelpFormatter, Parameter  # typer vendors click; these are not re-exported

F = TypeVar("F", bound=Callable[..., Any])
UNBOUNDED = 1 << 16  # a width to measure a table's natural needs, unclipped by the terminal
HELP_OPTIONS = ["-h", "--help"]
VERBOSE = "pipelab.verbose"  # key in the click context's meta, shared by every command's context
READER_GONE = 128 + signal.SIGPIPE  # 141: a command whose reader has gone (`| head`), as shells report it


def _flags_without_placeholder(params: list[Parameter]) -> list[Parameter]:
    """Blank a flag's type: typer's rich help shows every option's type, so `--json <bool>` read as taking a value."""
    for param in params:
        if isinstance(param, TyperOption) and (param.is_flag or param.count):
            param.metavar = ""  # the help shows the metavar, when set, instead of the type
    return params


def _internal_error(ctx: Context, err: Exception) -> typer.Exit:
    """A bug, not bad input: one line and exit 3 (1 means a regression to compare, seeds and sweep);
    the traceback only with --verbose or PIPELAB_DEBUG=1."""
    if ctx.meta.get(VERBOSE) or os.environ.get("PIPELAB_DEBUG") == "1":
        raise err
    first = str(err).splitlines()[0] if str(err) else ""
    return fail(f"internal error: {type(err).__name__}: {first} (rerun with `pipelab --verbose` for the traceback)", 3)


class _PipelabHelp:
    """What `pipelab`'s commands and groups share: flags shown in their help without a value placeholder, and
    help to a reader that has gone (`pipelab -h | head`) leaving with reader_gone's 141. Typer prints help with
    its own rich console, whose broken-pipe exit is 1, the only exit printing help has."""

    def get_params(self, ctx: Context) -> list[Parameter]:
        return _flags_without_placeholder(super().get_params(ctx))  # type: ignore[misc]

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        try:
            super().format_help(ctx, formatter)  # type: ignore[misc]
        except SystemExit as err:
            if err.code == 1:
                raise reader_gone() from None
            raise


class Command(_PipelabHelp, TyperCommand):
    """A `pipelab` command."""


class Group(_PipelabHelp, TyperGroup):
    """A `pipelab` group: one error line instead of a traceback."""

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, TyperException):
            raise
        except BrokenPipeError:
            raise reader_gone() from None
        except PipelabError as err:
            raise fail(str(err), err.exit_code) from None
        except Exception as err:
            raise _internal_error(ctx, err) from None


class Typer(typer.Typer):
    """A typer app whose groups and commands are the classes above, with `-h` as well as `--help`."""

    def __init__(self, **settings: Any) -> None:
        super().__init__(cls=Group, context_settings={"help_option_names": HELP_OPTIONS}, **settings)

    def command(self, name: str | None = None, **settings: Any) -> Callable[[F], F]:
        return super().command(name, cls=Command, **settings)


app = Typer(
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
    ctx: typer.Context,
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print pipelab's version and exit."
    ),
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Show the traceback of an internal error (or set PIPELAB_DEBUG=1)."
    ),
) -> None:
    """Options of `pipelab` itself, before any command."""
    ctx.meta[VERBOSE] = verbose


def quiet_stdout() -> None:
    """stdout's reader has gone: stdout now writes to /dev/null, so what is still to be printed, and Python's
    last flush, do not fail again."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def reader_gone() -> typer.Exit:
    """stdout's reader has gone (`pipelab ... | head`): raise the returned Exit to leave quietly with 141, as a
    command SIGPIPE ends (rich and click exit 1, which pipelab's commands use for a regression)."""
    quiet_stdout()
    return typer.Exit(READER_GONE)


def output_console() -> Console:
    """A rich console for a command's output; a reader that has gone ends the command as reader_gone says."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise reader_gone()

    return _Console()


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print `error: <message>` on stderr; raise the returned Exit to leave with `code`.

    A closed terminal (SIGHUP) refuses the line: the code must still tell, not become 1 (a regression).
    """
    with contextlib.suppress(OSError):
        typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def require_root(root: Path = Path(".")) -> None:
    """Refuse a `root` below a pipelab checkout's root (a command run in `reports/`): the repository's paths read
    from there miss every file ("run `make run` first"), and files written there land in the wrong place."""
    if (root / "dvc.yaml").exists():
        return
    here = root.resolve()
    top = next((p for p in here.parents if (p / "dvc.yaml").is_file() and (p / ".dvc").is_dir()), None)
    if top is not None:
        raise fail(f"{here} is inside the pipelab checkout {top}, not its root: run pipelab from {top}")


def write_generated(path: Path, text: str, check: bool, command: str) -> None:
    """Write a generated file, or with `check` fail (exit 1) when it differs from `text`."""
    with file_errors(path):
        if check:
            if not path.exists():  # not "out of date": a wrong directory or path, or a file never written
                raise fail(f"{path} not found; run `{command}` to write it", code=1)
            if path.read_text(encoding="utf-8") != text:
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
    from rich.measure import Measurement

    console = console or output_console()
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
