"""Stage report: analytics tables for people in reports/ (CSV and Markdown).

Delay by carrier, origin airport, month and hour of day over all clean flights, plus the
model's predicted vs actual late share by carrier on the test split.
"""

from __future__ import annotations

import json

from pipelab import reporting
from pipelab.stage import StageContext, StageSpec, run_stage

TABLES = ("delay_by_carrier", "delay_by_origin", "delay_by_month", "delay_by_hour", "model_by_carrier")
SPEC = StageSpec(
    name="report",
    description=__doc__ or "",
    params=("target",),
    deps=("data/clean", "data/predictions", "metrics/scores.json"),
    reports=(*(f"reports/{t}.{ext}" for t in TABLES for ext in ("csv", "md")), "reports/summary.md"),
)
TITLES = {
    "delay_by_carrier": "Arrival delay by carrier",
    "delay_by_origin": "Arrival delay by origin airport",
    "delay_by_month": "Arrival delay by month",
    "delay_by_hour": "Arrival delay by scheduled departure hour",
    "model_by_carrier": "Model: predicted vs actual late share by carrier (test split)",
}


def run(ctx: StageContext) -> None:
    late = ctx.params.target.late_minutes
    flights = ctx.read("data/clean/flights")
    airlines = ctx.read("data/clean/airlines.parquet")
    airports = ctx.read("data/clean/airports.parquet")
    tables = {
        "delay_by_carrier": reporting.by_carrier(flights, airlines, late),
        "delay_by_origin": reporting.by_origin(flights, airports, late),
        "delay_by_month": reporting.by_month(flights, late),
        "delay_by_hour": reporting.by_hour(flights, late),
        "model_by_carrier": reporting.predicted_vs_actual(ctx.read("data/predictions")),
    }
    note = f"Delays in minutes over completed flights; late = more than {late} minutes."
    for name, table in tables.items():
        ctx.write_csv(table, f"reports/{name}.csv")
        ctx.write_text(reporting.to_markdown(table, TITLES[name], note), f"reports/{name}.md")
    scores = json.loads(ctx.input("metrics/scores.json").read_text(encoding="utf-8"))
    ctx.write_text(reporting.summary(len(flights), scores, TITLES), "reports/summary.md")


if __name__ == "__main__":
    raise SystemExit(run_stage(SPEC, run))
