"""Rendering for people: report tables as Markdown, and the front page of reports/."""

from __future__ import annotations

import pandas as pd

from pipelab.contracts import DatasetQuality


def to_markdown(table: pd.DataFrame, title: str, note: str = "") -> str:
    """A titled Markdown table with numbers rounded for reading."""
    body = table.to_markdown(index=False, floatfmt=".3g")
    parts = [f"# {title}", ""]
    if note:
        parts += [note, ""]
    return "\n".join([*parts, body, ""])


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() and abs(value) >= 1 else f"{value:.4g}"


def summary(n_flights: int, scores: dict[str, float], titles: dict[str, str], quality: list[DatasetQuality]) -> str:
    """The front page of reports/: headline figures, links to every table and every quality page."""
    keys = ("roc_auc", "average_precision", "log_loss", "brier", "accuracy", "n_test")
    checks = pd.DataFrame(
        [
            {
                "dataset": f"[{q.dataset}](quality/{q.dataset}.md)",
                "verdict": q.verdict(),
                "rows in": q.rows_in,
                "valid": q.rows_valid,
                "quarantined": q.rows_quarantined,
                "duplicates removed": q.duplicates_removed,
                "kept with warning": sum(q.warnings.values()),
            }
            for q in quality
        ]
    )
    lines = [
        "# pipelab report",
        "",
        f"{n_flights:,} clean flights analysed. Model scores on the test split:",
        "",
        "| metric | value |",
        "|---|---|",
        *(f"| {k} | {_number(scores[k])} |" for k in keys if k in scores),
        "",
        "## Tables",
        "",
        *(f"- [{title}]({name}.md) ([CSV]({name}.csv))" for name, title in titles.items()),
        "",
        "## Data quality",
        "",
        "Every dataset checked against its contract; rows in = valid + quarantined + duplicates removed.",
        "",
        checks.to_markdown(index=False) if len(checks) else "(no datasets validated)",
        "",
    ]
    return "\n".join(lines)
