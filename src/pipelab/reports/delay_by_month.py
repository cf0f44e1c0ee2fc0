"""Report `delay_by_month`."""

from __future__ import annotations

from pipelab.core.params import ModuleConfig
from pipelab.core.registry import register
from pipelab.reports.base import FLIGHTS, ReportInputs, ReportTable, delay_note, delay_table


@register(
    "report",
    "delay_by_month",
    version="1.1.0",  # 1.1.0: a year column, so several years of data are not pooled per month
    reads=FLIGHTS,
    failure_modes=("a month of only cancelled flights has no delay statistics (NaN)",),
)
def delay_by_month(inputs: ReportInputs, config: ModuleConfig) -> ReportTable:
    """Per year and month: flights, cancellations, arrival delay statistics, share late (the seasonal picture).

    By year too, so data of several years shows each January on its own row rather than pooled.
    """
    frame = delay_table(inputs.flights, ["year", "month"], inputs.late_minutes)
    return ReportTable("Arrival delay by month", frame, delay_note(inputs.late_minutes))
