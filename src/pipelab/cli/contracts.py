"""`pipelab contracts`: list and show the data contracts, snapshot them, and diff them across revisions."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from pipelab.cli.app import Typer, app, fail, output_console, print_table, require_root, write_generated
from pipelab.core.errors import PipelabError

contracts_app = Typer(help="Data contracts: versioned schemas at every boundary.", no_args_is_help=True)
app.add_typer(contracts_app, name="contracts")
SNAPSHOT = Path("docs/contracts.json")
DOCS = Path("docs/contracts.md")
GIT_FATAL = 128  # git's exit code when it cannot run at all (an unknown revision is 1)


@contracts_app.command("list")
def list_contracts() -> None:
    """Every contract: name, current version, earlier versions, columns, rules, description."""
    from pipelab.contracts import history, names

    table = Table(title="Data contracts")
    for column in ("name", "version", "earlier", "columns", "rules", "description"):
        table.add_column(column, overflow="fold")
    for name in names():
        versions = history(name)
        current = versions[-1]
        table.add_row(
            name,
            current.version,
            ", ".join(c.version for c in versions[:-1]) or "-",
            str(len(current.columns)),
            str(len(current.all_rules()) + len(current.foreign_keys)),
            current.description,
        )
    print_table(table)


@contracts_app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="contract name, e.g. raw_flights")],
    version: Annotated[str | None, typer.Option(help="a version (default: the current one)")] = None,
) -> None:
    """One contract's columns, types, units, rules with severities, keys and decisions."""
    from pipelab.contracts import get, latest

    try:
        contract = get(name, version) if version else latest(name)
    except PipelabError as err:
        raise fail(str(err)) from None
    table = Table(title=f"{contract.name} v{contract.version}: {contract.description}")
    for header in ("column", "type", "nullable", "unit", "rules"):
        table.add_column(header, overflow="fold")
    for column in contract.columns:
        rules = ", ".join(f"{r.name} ({r.severity})" for r in column.rules)
        table.add_row(column.name, " | ".join(column.dtypes), "yes" if column.nullable else "no", column.unit, rules)
    console = output_console()
    print_table(table, console)
    console.print(f"keys: {', '.join(contract.keys) or 'none'}")
    for rule in contract.rules:
        console.print(f"rule {rule.name} ({rule.severity}) on {', '.join(rule.columns)}: {rule.description}")
    for fk in contract.foreign_keys:
        console.print(f"foreign key {fk.name} ({fk.severity}): {fk.column} in {fk.references}.{fk.ref_column}")
    for decision in contract.decisions:
        console.print(f"decision: {decision}")


@contracts_app.command("snapshot")
def snapshot(
    check: Annotated[bool, typer.Option("--check", help="fail if the committed files are out of date")] = False,
) -> None:
    """Write docs/contracts.json (what `contracts diff` compares) and docs/contracts.md from the code."""
    from pipelab import contract_docs, contract_evolution

    require_root()
    data = contract_evolution.snapshot()
    command = "pipelab contracts snapshot"
    write_generated(SNAPSHOT, json.dumps(data, indent=2, sort_keys=True) + "\n", check, command)
    write_generated(DOCS, contract_docs.render(data), check, command)


def _snapshot_at(revision: str) -> dict[str, Any] | None:
    """docs/contracts.json as committed at `revision`; None if it did not exist there."""
    try:
        resolved = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as err:
        raise fail(f"git is not available: {err}") from None
    if resolved.returncode == GIT_FATAL:  # e.g. "not a git repository": no revision to resolve at all
        reason = (resolved.stderr.strip().splitlines() or ["git failed"])[0].removeprefix("fatal: ")
        raise fail(f"{Path.cwd()}: {reason}; run `pipelab contracts diff` inside the pipelab checkout")
    if resolved.returncode != 0:
        raise fail(f"unknown git revision {revision!r}")
    shown = subprocess.run(
        ["git", "show", f"{revision}:{SNAPSHOT.as_posix()}"], capture_output=True, text=True, check=False
    )
    if shown.returncode != 0:
        return None
    try:
        data: dict[str, Any] = json.loads(shown.stdout)
    except json.JSONDecodeError:
        raise fail(f"{SNAPSHOT} at {revision} is not valid JSON") from None
    return data


@contracts_app.command("diff")
def diff(
    base: Annotated[str, typer.Argument(help="git revision to compare with (branch, tag, commit)")] = "HEAD",
    as_json: Annotated[bool, typer.Option("--json", help="print JSON for tools")] = False,
) -> None:
    """Classify every contract change since BASE (breaking / compatible / patch) and check the versions.

    Exit 1 when a change is not matched by its version bump (major + migration for breaking,
    minor for compatible, patch for rules and docs), a released version or migration was changed
    or deleted, a new version is below a released one, or a migration names no version.
    """
    from pipelab import contract_evolution

    old = _snapshot_at(base)
    if old is None:
        note = f"no {SNAPSHOT} at {base}: nothing to compare"
        typer.echo(json.dumps({"base": base, "contracts": [], "note": note}, indent=2) if as_json else note)
        return
    verdicts = contract_evolution.compare(old, contract_evolution.snapshot())
    changed = [v for v in verdicts if v.changes or v.problems]
    if as_json:
        rows = [
            {
                "contract": v.contract,
                "base_version": v.base_version,
                "version": v.version,
                "impact": v.impact,
                "changes": [{"impact": c.impact, "what": c.what} for c in v.changes],
                "problems": v.problems,
            }
            for v in changed
        ]
        typer.echo(json.dumps({"base": base, "contracts": rows}, indent=2))
    elif not changed:
        typer.echo(f"contracts unchanged since {base}")
    else:
        table = Table(title=f"Contract changes since {base}")
        for column in ("contract", "version", "impact", "changes", "verdict"):
            table.add_column(column, overflow="fold")
        for v in changed:
            table.add_row(
                v.contract,
                f"{v.base_version or '-'} -> {v.version or '-'}",
                v.impact or "-",
                "\n".join(f"{c.impact}: {c.what}" for c in v.changes),
                "ok" if v.ok else "\n".join(v.problems),
            )
        print_table(table)
    problems = [f"{v.contract}: {p}" for v in verdicts for p in v.problems]
    if problems:
        raise fail("contract changes not matched by their versions: " + "; ".join(problems), code=1)
