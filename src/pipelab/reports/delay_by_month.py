"""Report `delay_by_month`."""

from __future__ import annotations

from pipelab.core.params import ModuleConfig
from pipelab.core.registry import register
from pipelab.reports.base import FLIGHTS, ReportInputs, ReportTable, delay_note, delay_table


@register(
    "report",
    "delay_by_month",
    reads=FLIGHTS,
    failure_modes=("a month of only cancelled flights has no delay statistics (NaN)",),
)
def delay_by_month(inputs: ReportInputs, config: ModuleConfig) -> ReportTable:
    """Per month: flights, cancellations, arrival delay statistics, share late (the seasonal picture)."""
    frame = delay_table(inputs.flights, ["month"], inputs.late_minutes)
    return ReportTable("Arrival delay by month", frame, delay_note(inputs.late_minutes))
