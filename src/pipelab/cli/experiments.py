"""`pipelab compare`, `pipelab sweep` and `pipelab pr-comment`: experiments judged against a baseline."""

from __future__ import annotations

import dataclasses
import os
import re
import signal
from pathlib import Path
from typing import Annotated, Literal

import typer

from pipelab.cli.app import app, fail, quiet_stdout, require_root
from pipelab.core.errors import PipelabError, file_errors

SIDE_HELP = "`workspace`, a git revision (branch, tag, commit) or a DVC experiment name"


def _progress(line: str) -> None:
    """A sweep's progress line; a reader that has gone (`| head`) stops the sweep as SIGPIPE would end it, the
    trial in progress marked failed (not left running in the journal)."""
    from pipelab.experiments.runs import Stop

    try:
        typer.echo(line)
    except BrokenPipeError:
        quiet_stdout()
        raise Stop(signal.SIGPIPE) from None


@app.command("compare")
def compare(
    *,
    base: Annotated[str, typer.Argument(help=SIDE_HELP)] = "main",
    target: Annotated[str, typer.Argument(help=SIDE_HELP)] = "workspace",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="directory for report.md, report.json, plots [default: ROOT/compare]"),
    ] = None,
    gates: Annotated[
        Path | None, typer.Option(help="gates file [default: metrics/gates.yaml at BASE, else the workspace's]")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON instead of Markdown")] = False,
    plots: Annotated[bool, typer.Option(help="render ROC, precision-recall and calibration overlays")] = True,
    root: Annotated[Path, typer.Option(help="repository root")] = Path("."),
) -> None:
    """Compare TARGET with BASE: intent, params, metrics with verdicts, close calls, data, predictions, performance,
    plots.

    Exit code 0: no gated measure regressed; 1: a gated one got worse beyond its tolerance
    (failing gates listed first); 2: bad input (unknown revision, side without metrics, ...).
    """
    from pipelab.core.io import dumps_json, write_text
    from pipelab.experiments.compare import build_report
    from pipelab.experiments.gates import load_gates
    from pipelab.experiments.render import markdown, remove_stale_plots, write_plots
    from pipelab.experiments.revisions import open_sides
    from pipelab.experiments.snapshot import read_snapshot

    require_root(root)
    try:
        with open_sides(root, [base, target]) as (base_side, target_side):
            rules, source = load_gates(gates, base_side, root)
            before, after = read_snapshot(base_side), read_snapshot(target_side)
        report = build_report(before, after, rules, source)
    except PipelabError as err:
        raise fail(str(err)) from None
    out = root / "compare" if output is None else output  # given paths are the shell's, as --gates is
    try:
        if plots:
            report = dataclasses.replace(report, plots=write_plots(before, after, out))
        remove_stale_plots(out, report.plots)
        text, data = markdown(report), dumps_json(report.to_json())
        write_text(text, out / "report.md")
        write_text(data, out / "report.json")
    except OSError as err:
        raise fail(f"{out}: cannot write the report there ({err.strerror or err})") from None
    typer.echo(data if as_json else text, nl=False)
    if report.failing:
        raise typer.Exit(1)


@app.command("sweep")
def sweep(
    *,
    space: Annotated[
        list[str] | None,
        typer.Option(
            help="KEY=float:LOW..HIGH (or log: or int: instead of float:), or KEY=choice:A,B; repeat the option"
        ),
    ] = None,
    space_file: Annotated[Path | None, typer.Option(help="YAML file mapping each KEY to its range")] = None,
    trials: Annotated[int, typer.Option(min=1, help="trials to run now (added to a resumed study)")] = 10,
    metric: Annotated[str, typer.Option(help="key of metrics/scores.json to optimise")] = "roc_auc",
    direction: Annotated[
        Literal["maximize", "minimize"] | None,
        typer.Option(help="[default: from the metric's direction in metrics/gates.yaml]"),
    ] = None,
    study: Annotated[str, typer.Option(help="study name: sweeps/NAME.jsonl, experiments NAME-TRIAL")] = "sweep",
    apply_best: Annotated[
        bool,
        typer.Option(
            "--apply-best", help="`dvc exp apply` the best trial at the end, if it beats HEAD's committed params"
        ),
    ] = False,
    seed: Annotated[int, typer.Option(help="sampler seed")] = 2013,
    root: Annotated[Path, typer.Option(help="repository root")] = Path("."),
) -> None:
    """Bayesian search (optuna TPE) over params; each trial is a real `dvc exp run --temp`.

    The space is checked against the params schema before any trial, and params.yaml and
    dvc.lock must be committed: trials start from HEAD and are judged against it. Trials run
    in temporary copies, so the workspace is left as it was, unless --apply-best applies a
    trial that beats HEAD. The study is stored in sweeps/STUDY.jsonl (commit it to share;
    rerun the command to resume it). Exit code 0, whether or not a trial beat HEAD; 2: bad
    input; 4: no trial from HEAD completed (each failure is printed); 130: interrupted
    (Ctrl-C stops the trial in progress and marks it failed; SIGTERM and SIGHUP do too,
    and exit 143 and 129).
    """
    from pipelab.experiments import sweep as sw
    from pipelab.experiments.runs import stop_signals

    require_root(root)
    with stop_signals():  # errors, the stop included, leave as the group says: one line and their exit code
        plan = sw.plan(
            root,
            space=space or [],
            space_file=space_file,
            trials=trials,
            metric=metric,
            direction=direction,
            study=study,
            seed=seed,
        )
        result = sw.run(plan, _progress)
        typer.echo(sw.best_table(result))
        typer.echo(sw.apply_best(result) if apply_best else sw.workspace_kept(result))
        sw.require_completed(result)


@app.command("seeds")
def seeds(
    *,
    change: Annotated[
        list[str] | None,
        typer.Option("--set-param", "-S", help="KEY=VALUE, as `dvc exp run -S` takes it; repeat the option"),
    ] = None,
    seed_list: Annotated[
        str | None, typer.Option("--seeds", help="seeds, comma-separated [default: HEAD's seed, 1, 2]")
    ] = None,
    gates: Annotated[Path | None, typer.Option(help="gates file [default: metrics/gates.yaml at HEAD]")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the rows as JSON instead of Markdown")] = False,
    root: Annotated[Path, typer.Option(help="repository root")] = Path("."),
) -> None:
    """Train a change and HEAD's params with several seeds each; judge the means with the gates.

    Every run is a `dvc exp run --temp` (the workspace stays as it was); HEAD's committed
    results stand for its own seed, and experiments already run on HEAD are reused. Exit
    code 0: no gated metric's mean got worse beyond its tolerance; 1: one did; 2: bad input;
    4: a run failed (its error is printed); 130: interrupted (Ctrl-C stops the run in
    progress; finished runs are kept; SIGTERM and SIGHUP do the same and exit 143 and 129).
    """
    from pipelab.core.io import dumps_json
    from pipelab.experiments import seeds as sd
    from pipelab.experiments.runs import stop_signals

    require_root(root)
    with stop_signals():  # errors, the stop included, leave as the group says: one line and their exit code
        plan = sd.plan(root, change=change or [], seeds=seed_list, gates=gates)
        rows = sd.summarize(plan, sd.run(plan, lambda line: typer.echo(line, err=True)))  # progress: stderr
    typer.echo(dumps_json([r.to_json() for r in rows]) if as_json else sd.markdown(plan, rows), nl=not as_json)
    if sd.failing(rows):
        raise typer.Exit(1)


@app.command("pr-comment")
def pr_comment(
    report: Annotated[Path, typer.Argument(help="the Markdown report (e.g. compare/report.md)")],
    repository: Annotated[str, typer.Option(envvar="GITHUB_REPOSITORY", help="owner/name")],
    number: Annotated[int, typer.Option(envvar="PR_NUMBER", help="pull request number")],
    link: Annotated[str, typer.Option(help="URL of the run's artifacts (plots, report.json)")] = "",
    api: Annotated[
        str, typer.Option(envvar="GITHUB_API_URL", help="GitHub API base URL (GitHub Enterprise: its /api/v3)")
    ] = "https://api.github.com",
) -> None:
    """Post REPORT on the pull request as one comment, updated in place (token: $GITHUB_TOKEN).

    Links to files beside REPORT (the plots) become their names in the run's artifacts, at --link.
    """
    from pipelab.experiments.github import artifact_links, upsert_comment

    token = os.environ.get("GITHUB_TOKEN", "")
    if not token:
        raise fail("GITHUB_TOKEN is not set")
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", repository):
        raise fail(f"--repository {repository!r}: expected owner/name")
    if number < 1:
        raise fail(f"--number {number}: a pull request number is 1 or more")
    if not api.startswith(("https://", "http://")):
        raise fail(f"--api {api!r}: expected an http(s) URL such as https://api.github.com")
    with file_errors(report):
        body = artifact_links(report.read_text(encoding="utf-8"), link)
    if link:
        body += f"\nPlots and `report.json`: [workflow run]({link})\n"
    try:
        action, comment = upsert_comment(api, repository, number, token, body)
    except PipelabError as err:
        raise fail(str(err)) from None
    typer.echo(f"{action} comment {comment} on {repository}#{number}")
