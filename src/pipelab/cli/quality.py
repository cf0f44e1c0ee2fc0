"""`pipelab quality`: the last run's data quality per dataset, and the drift reference."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from pipelab.cli.app import Typer, app, fail, output_console, print_table, require_root
from pipelab.core.errors import PipelabError

quality_app = Typer(help="Data quality: quarantine, gates, drift.", no_args_is_help=True)
app.add_typer(quality_app, name="quality")
# pipelab.drift's PROFILE and REFERENCE (a test keeps them equal): importing it here loads pandas for `--help`
PROFILE = Path("data/features/profile.json")
REFERENCE = Path("data/reference/features.profile.json")


@quality_app.command("show")
def show(
    quarantine: Annotated[Path, typer.Option(help="folder of quarantine files")] = Path("data/quarantine"),
    as_json: Annotated[bool, typer.Option("--json", help="print the summaries as JSON")] = False,
) -> None:
    """Per validated dataset: verdict, rows in/valid/quarantined/duplicates, gate findings."""
    from pipelab.core.io import dataset_files
    from pipelab.core.quality import read_summaries

    require_root()
    try:
        summaries = read_summaries(dataset_files(quarantine))
    except PipelabError as err:
        raise fail(f"{err}; run `make run` first") from None
    if not summaries:
        raise fail(
            f"{quarantine}: no data quality in its Parquet files; the validating stages store it in their "
            "quarantine files (data/quarantine/<dataset>.parquet): run `make run` first"
        )
    if as_json:
        typer.echo(json.dumps([s.model_dump(mode="json") for s in summaries], indent=2))
        return
    # One space between columns and no side borders: the nine columns fit 80 characters whole.
    table = Table(title="Data quality of the last run", box=None, padding=(0, 1, 0, 0), pad_edge=False)
    for column in ("dataset", "stage", "verdict"):
        table.add_column(column, no_wrap=True)
    for column in ("rows in", "valid", "quarantined", "duplicates", "warn", "error"):
        table.add_column(column, justify="right", no_wrap=True)
    for s in summaries:
        counts = (s.rows_in, s.rows_valid, s.rows_quarantined, s.duplicates_removed)
        gates = (sum(f.severity == k for f in s.findings) for k in ("warn", "error"))
        table.add_row(s.dataset, s.stage, s.verdict(), *(f"{n:,}" for n in (*counts, *gates)))
    console = output_console()
    print_table(table, console)
    for s in summaries:
        for f in s.findings:
            console.print(f"{f.severity}: {f.message}", highlight=False, soft_wrap=True)


@quality_app.command("set-reference")
def set_reference(
    source: Annotated[Path, typer.Option("--from", help="profile of the run to promote")] = PROFILE,
    target: Annotated[Path, typer.Option("--to", help="the reference drift is measured against")] = REFERENCE,
) -> None:
    """Promote the current features profile to the drift reference (commit it with the new baseline)."""
    from pipelab.core import io
    from pipelab.drift import read_profile

    require_root()
    if not source.exists():
        raise fail(f"{source} not found; run `make run` first")
    read_profile(source)  # a file that is not a profile would break every later features run
    with io.atomic_file(target) as staged:  # stopped or failing half way, the old reference stays whole
        shutil.copyfile(source, staged)
    typer.echo(f"copied {source} to {target}; `dvc repro` re-runs features, then commit {target} and dvc.lock")
