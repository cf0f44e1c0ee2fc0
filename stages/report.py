"""Stage report: tables for people in reports/ (CSV and Markdown), and the data-quality picture.

Writes the analytics tables `report.tables` names (delay by carrier, origin, month and
hour of day over all clean flights; the model's predicted vs actual late share by
carrier), one page per validated dataset in reports/quality/ (counts, quarantined and
kept rows, gate findings, drift, decisions), metrics/quality.json, and reports/summary.md.
"""

from __future__ import annotations

import json

import pipelab.core.startup  # noqa: F401  (first: a Ctrl-C while the modules below load is one line)
from pipelab import reporting
from pipelab.contracts import VALIDATED
from pipelab.contracts.clean import CLEAN_FLIGHTS
from pipelab.contracts.modelling import PREDICTIONS
from pipelab.contracts.raw import RAW_AIRLINES, RAW_AIRPORTS
from pipelab.core import quality
from pipelab.core.stage import StageContext, StageSpec, run_stage
from pipelab.core.telemetry import measure_module
from pipelab.reports.base import ReportInputs

SPEC = StageSpec(
    name="report",
    description=__doc__ or "",
    params=("target", "report"),
    deps=(
        "data/clean",
        "data/predictions",
        "metrics/scores.json",
        *(StageSpec.quarantine_of(name) for name in VALIDATED),
    ),
    metrics=("metrics/quality.json",),
    reports=("reports",),
)


def run(ctx: StageContext) -> None:
    params = ctx.params.report
    inputs = ReportInputs(
        flights=ctx.read("data/clean/flights", contract=CLEAN_FLIGHTS),
        airlines=ctx.read("data/clean/airlines.parquet", contract=RAW_AIRLINES),
        airports=ctx.read("data/clean/airports.parquet", contract=RAW_AIRPORTS),
        predictions=ctx.read("data/predictions/predictions.parquet", contract=PREDICTIONS),
        late_minutes=ctx.params.target.late_minutes,
    )
    titles = {}
    for name in params.tables:
        spec = ctx.module("report", name)
        with measure_module(spec.key, spec.version, len(inputs.flights)):
            table = spec.obj(inputs, params.config_for(name))
        ctx.write_csv(table.frame, f"reports/{name}.csv")
        ctx.write_text(reporting.to_markdown(table.frame, table.title, table.note), f"reports/{name}.md")
        titles[name] = table.title
    summaries = quality.read_summaries(ctx.input(StageSpec.quarantine_of(name)) for name in VALIDATED)
    for summary in summaries:
        ctx.write_text(quality.markdown(summary), f"reports/quality/{summary.dataset}.md")
    ctx.write_json(quality.metrics(summaries), "metrics/quality.json")
    scores = json.loads(ctx.input("metrics/scores.json").read_text(encoding="utf-8"))
    ctx.write_text(reporting.summary(len(inputs.flights), scores, titles, summaries), "reports/summary.md")


if __name__ == "__main__":
    raise SystemExit(run_stage(SPEC, run))
