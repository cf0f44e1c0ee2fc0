"""The comparison for people: one Markdown report, and plot overlays rendered locally (matplotlib, Agg).

Failing gates come first, so a reviewer sees what blocks the merge before anything else.
Plots are SVG and PNG files beside the report, linked relatively: nothing is uploaded
(the pull-request comment names them in the run's artifacts instead: `github.artifact_links`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from pipelab.core.io import atomic_file
from pipelab.experiments.compare import (
    CLOSE_FACTOR,
    KEPT_BY_RULE,
    QUARANTINED_BY_RULE,
    Change,
    Report,
    above_warn_psi,
    quality_kind,
)
from pipelab.experiments.revisions import Intent
from pipelab.experiments.snapshot import SCORES, Snapshot

VERDICTS = {"better": "✅ better", "worse": "⚠️ worse", "removed": "removed", "new": "new"}
TELEMETRY_LABELS = {
    "wall_seconds": "wall s",
    "cpu_seconds": "CPU s",
    "peak_rss_mb": "peak MiB",
    "rows_per_second": "rows/s",
}
RULE_OUTCOMES = {QUARANTINED_BY_RULE: "quarantined", KEPT_BY_RULE: "kept, warned"}  # what became of failing rows
FEW_POINTS = 30  # curves with fewer points get markers, so a one-bin calibration still shows
PLOT_SUFFIXES = (".svg", ".png")  # each plot is written as both


def fmt(value: object) -> str:
    """A value for a table cell: thousands separators from 1,000 up, 6 significant digits below."""
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
    if isinstance(value, int) or (value.is_integer() and abs(value) < 1e15):
        return f"{int(value):,}"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.6g}"


def fmt_change(change: Change) -> str:
    if change.delta is None:
        return "—"
    if change.delta == 0:
        return "0"
    relative = f" ({change.relative:+.1%})" if change.relative is not None else ""
    return f"{change.delta:+.4g}{relative}"


def verdict(change: Change) -> str:
    if change.failed:
        return f"❌ {change.verdict}, gate failed"
    text = VERDICTS.get(change.verdict, change.verdict)
    return f"{text} (gated)" if change.gated else text


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A Markdown table; cells are formatted with `fmt` and pipes escaped."""

    def cell(value: object) -> str:
        return (value if isinstance(value, str) else fmt(value)).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _side(role: str, intent: Intent) -> list[object]:
    kind = f"experiment `{intent.name}`" if intent.name else intent.kind
    return [role, f"`{intent.label}`", kind, intent.short, intent.message.splitlines()[0] if intent.message else ""]


def _cells(before: object, after: object) -> str:
    return fmt(before) if before == after else f"{fmt(before)} → {fmt(after)}"


def _failing(report: Report, b: str, t: str) -> list[str]:
    if not report.failing:
        return []
    rows: list[list[object]] = [
        [f"{c.group}.{c.key}" if c.group else c.key, c.base, c.target, fmt_change(c), c.tolerance, c.verdict]
        for c in report.failing
    ]
    return ["## ❌ Failing gates", "", table(["gate", b, t, "change", "tolerance", "verdict"], rows), ""]


def _metrics(report: Report, b: str, t: str) -> list[str]:
    rows = [[c.key, c.base, c.target, fmt_change(c), verdict(c)] for c in report.metrics]
    return [f"## Metrics (`{SCORES}`)", "", table(["metric", b, t, "change", "verdict"], rows), ""]


def _sources(report: Report) -> list[str]:
    changed = report.sources_changed
    if not changed:
        return ["Code and source data the stages read (`dvc.lock` deps no stage writes): the same on both sides.", ""]
    return [
        f"Code and source data the stages read that differ ({len(changed)}): {', '.join(f'`{p}`' for p in changed)}.",
        "",
    ]


def _params(report: Report, b: str, t: str) -> list[str]:
    if not report.params:
        return ["## Params", "", "No params changed.", ""]
    rows = [
        [p.key, "(absent)" if p.status == "added" else p.base, "(absent)" if p.status == "removed" else p.target]
        for p in report.params
    ]
    return ["## Params (changed only)", "", table(["param", b, t], rows), ""]


def _close_calls(report: Report) -> list[str]:
    """Verdicts one seed could flip, and the command that judges them over several seeds instead."""
    if not report.close_calls:
        return []
    calls = ", ".join(f"`{c.key}` {c.delta:+.4g} against a tolerance of {fmt(c.tolerance)}" for c in report.close_calls)
    lines = [
        "## Close calls",
        "",
        f"{calls}: within {CLOSE_FACTOR:g}× of the tolerance, where another seed can flip the verdict.",
        "",
    ]
    replication = report.replication
    if replication.command is None:
        return [*lines, f"Not replayable over seeds: {replication.note}.", ""]
    return [*lines, f"Judge the means over seeds, {replication.note}:", "", f"    {replication.command}", ""]


def _data(report: Report, b: str, t: str) -> list[str]:
    lines = ["## Data", ""]
    for line in report.data_unavailable:
        lines += [f"{line}.", ""]
    changed = [d for d in report.datasets if d.changed]
    unchanged = len(report.datasets) - len(changed)
    if changed:
        rows = [
            [
                f"`{d.path}`",
                _cells(d.base_rows, d.target_rows),
                _cells(d.base_contract, d.target_contract),
                ", ".join([*(f"+{c}" for c in d.columns_added), *(f"−{c}" for c in d.columns_removed)]) or "—",
            ]
            for d in changed
        ]
        lines += [table(["dataset", f"rows {b} → {t}", "contract", "columns"], rows), ""]
    if report.datasets:
        lines += [f"{unchanged} of {len(report.datasets)} datasets unchanged (rows, contract version, columns).", ""]
    counts = [c for c in report.quality if quality_kind(c.key) == "count"]
    if counts:
        measures = list(dict.fromkeys(c.key for c in counts))
        tables = list(dict.fromkeys(c.group for c in counts))
        cell = {(c.group, c.key): _cells(c.base, c.target) for c in counts}
        by_table = [[name, *(cell.get((name, m), "—") for m in measures)] for name in tables]
        lines += ["Quality (`metrics/quality.json`):", "", table(["table", *measures], by_table), ""]
    if report.failed_checks:
        by_check: list[list[object]] = [
            [c.group, _nested_name(c), RULE_OUTCOMES[c.key.partition(".")[0]], c.base, c.target]
            for c in report.failed_checks
        ]
        lines += [table(["table", "failed check", "failing rows", b, t], by_check), ""]
    lines += _drift(report, b, t)
    other = [c for c in report.quality if quality_kind(c.key) == "other" and c.base != c.target]
    if other:
        by_measure = [[c.group, c.key, fmt(c.base), fmt(c.target), fmt_change(c)] for c in other]
        lines += [
            "Other quality measures that changed:",
            "",
            table(["table", "measure", b, t, "change"], by_measure),
            "",
        ]
    return lines


def _nested_name(change: Change) -> str:
    """The rule or feature of a nested quality key (`drift_psi.weather__temp` -> `weather__temp`)."""
    return change.key.partition(".")[2]


def _drift(report: Report, b: str, t: str) -> list[str]:
    """One line per table with drift values, and only the features above `warn_psi` listed.

    PSI per feature is a measurement; dozens of tiny values would bury what matters, so the
    line counts the features past the limit on each side and names the largest change.
    """
    if not report.drift:
        return []
    warn_base, warn_target = report.warn_psi
    limit = fmt(warn_target) if warn_base == warn_target else f"{fmt(warn_base)} on {b}, {fmt(warn_target)} on {t}"
    lines = [
        f"Drift (`drift_psi`: PSI of each feature against the reference profile; ⚠️ above "
        f"`quality.drift.warn_psi` {limit}):",
        "",
    ]
    for name in dict.fromkeys(c.group for c in report.drift):
        features = [c for c in report.drift if c.group == name]
        above = [above_warn_psi(report, c) for c in features]
        moved = [c for c in features if c.delta]
        largest = max(moved, key=lambda c: (abs(c.delta or 0.0), c.key), default=None)
        change = (
            f"largest change `{_nested_name(largest)}` {_cells(largest.base, largest.target)}"
            if largest is not None
            else "no value changed"
        )
        on_base, on_target = (sum(c.base is not None for c in features), sum(c.target is not None for c in features))
        counts = f"{sum(a for a, _ in above)} of {on_base} features above the limit on {b}, " + (
            f"{sum(a for _, a in above)} on {t}"
            if on_base == on_target
            else f"{sum(a for _, a in above)} of {on_target} on {t}"
        )
        lines.append(f"- `{name}`: {counts}; {change}.")
    lines.append("")
    rows = []
    for c in sorted(report.drifted, key=lambda c: (-(c.target or 0.0), c.group, c.key)):
        base_above, target_above = above_warn_psi(report, c)
        rows.append([c.group, _nested_name(c), _flag(c.base, base_above), _flag(c.target, target_above), fmt_change(c)])
    if rows:
        lines += [table(["table", "feature", b, t, "change"], rows), ""]
    return lines


def _flag(value: float | None, above: bool) -> str:
    return f"{fmt(value)} ⚠️" if above else fmt(value)


def _predictions(report: Report, b: str, t: str) -> list[str]:
    diff = report.predictions
    if diff is None:
        where = "the data section" if report.data_unavailable else "notes"
        return ["## Predictions", "", f"Not available (see {where}).", ""]
    lines = [
        "## Predictions",
        "",
        f"{diff.compared:,} test predictions joined on `row_id` ({diff.only_base:,} only in {b}, "
        f"{diff.only_target:,} only in {t}): **{diff.class_changed:,} changed class** "
        f"({diff.to_late:,} to late, {diff.to_on_time:,} to on time); mean |shift| in p(late) "
        f"{fmt(diff.mean_abs_shift)}.",
        "",
    ]
    if diff.largest:
        header = [k for k in diff.largest[0] if k not in ("p_late_base", "p_late_target")]
        rows = [
            [str(r[k]) if k == "row_id" else r[k] for k in header[:-1]]
            + [r["p_late_base"], r["p_late_target"], r["shift"]]
            for r in diff.largest
        ]
        lines += ["Largest shifts:", "", table([*header[:-1], f"p {b}", f"p {t}", "shift"], rows), ""]
    if diff.by_carrier:
        rows = [[r["carrier"], r["flights"], r["class_changed"], r["mean_shift"], r["mean_abs_shift"]]
                for r in diff.by_carrier]  # fmt: skip
        lines += [
            "By carrier:",
            "",
            table(["carrier", "flights", "changed class", "mean shift", "mean abs shift"], rows),
        ]
        lines.append("")
    return lines


def _telemetry(report: Report, b: str, t: str) -> list[str]:
    if not report.telemetry:
        return []
    measures = list(dict.fromkeys(c.key for c in report.telemetry))
    stages = list(dict.fromkeys(c.group for c in report.telemetry))
    by_cell = {(c.group, c.key): c for c in report.telemetry}

    def cell(change: Change | None) -> str:
        if change is None:
            return "—"
        mark = " ❌" if change.failed else " ⚠️" if change.verdict == "worse" else ""
        relative = f" ({change.relative:+.0%})" if change.relative else ""
        return f"{_cells(change.base, change.target)}{relative}{mark}"

    rows = [[stage, *(cell(by_cell.get((stage, m))) for m in measures)] for stage in stages]
    header = ["stage", *(TELEMETRY_LABELS.get(m, m) for m in measures)]
    return [
        f"## Performance (telemetry, {b} → {t})",
        "",
        table(header, rows),
        "",
        "⚠️ worse beyond the tolerance in the gates file (flagged); ❌ a failed gate.",
        "",
    ]


def _plots(report: Report) -> list[str]:
    """Each plot as its own paragraph: the SVG shown, then a link to its PNG (each file named once, which keeps
    the lines pr-comment turns into file names short)."""
    svgs = [p for p in report.plots if p.endswith(".svg")]
    if not svgs:
        return []
    lines = ["## Plots", ""]
    for svg in svgs:
        stem = svg.removesuffix(".svg")
        lines += [f"![{stem}]({svg}) · [PNG]({stem}.png)", ""]
    return lines


def markdown(report: Report) -> str:
    """The whole report: verdict, failing gates, intent, sources, params, metrics, close calls, data, predictions,
    performance, plots."""
    b, t = f"`{report.base.label}`", f"`{report.target.label}`"
    n = len(report.failing)
    status = f"❌ **{n} gate(s) failed**" if n else "✅ **No gated measure regressed**"
    lines = [
        f"# pipelab compare: {b} → {t}",
        "",
        f"{status} (gates: `{report.gates_source}`).",
        "",
        *_failing(report, b, t),
        "## Intent",
        "",
        table(["", "side", "kind", "commit", "message"], [_side("base", report.base), _side("target", report.target)]),
        "",
        *_sources(report),
        *_params(report, b, t),
        *_metrics(report, b, t),
        *_close_calls(report),
        *_data(report, b, t),
        *_predictions(report, b, t),
        *_telemetry(report, b, t),
        *_plots(report),
    ]
    if report.notes:
        lines += ["## Notes", "", *(f"- {note}" for note in report.notes)]
    return "\n".join(lines).rstrip("\n") + "\n"


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_") or "plot"


def write_plots(base: Snapshot, target: Snapshot, out: Path) -> list[str]:
    """One overlay per line plot either side declares, as SVG and PNG in `out`; returns the file names."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    written = []
    titles = list(dict.fromkeys([*target.curves, *base.curves]))
    for title in titles:
        fig = Figure(figsize=(5.5, 4.5))
        ax = fig.subplots()
        for role, snap, style in (("base", base, "--"), ("target", target, "-")):
            curve = snap.curves.get(title)
            if curve is not None:
                xs, ys = zip(*curve.points, strict=True) if curve.points else ((), ())
                marker = "o" if len(xs) < FEW_POINTS else None
                ax.plot(xs, ys, style, marker=marker, label=f"{role}: {snap.intent.label}")
                ax.set_xlabel(curve.x_label)
                ax.set_ylabel(curve.y_label)
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend()
        stem = _slug(title)
        for ext, metadata in (("svg", {"Date": None}), ("png", {"Software": None})):
            with atomic_file(out / f"{stem}.{ext}") as tmp, rc_context({"svg.hashsalt": stem}):
                fig.savefig(tmp, format=ext, metadata=metadata)
            written.append(f"{stem}.{ext}")
    return written


def remove_stale_plots(out: Path, written: Sequence[str]) -> list[str]:
    """Plots the report in `out` listed before (its report.json) and not this time, removed: a plot neither side
    declares any more, or all of them with --no-plots, would stay beside a report that does not show it. Only
    file names pipelab recorded there are removed, and only in `out` itself."""
    try:
        listed = json.loads((out / "report.json").read_text(encoding="utf-8")).get("plots")
    except (OSError, ValueError, AttributeError):  # no earlier report, or not one pipelab wrote
        return []
    stale = [n for n in listed or [] if isinstance(n, str) and n == Path(n).name and n.endswith(PLOT_SUFFIXES)]
    removed = [name for name in dict.fromkeys(stale) if name not in written and (out / name).is_file()]
    for name in removed:
        (out / name).unlink()
    return removed
