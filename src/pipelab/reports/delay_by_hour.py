"""Report `delay_by_hour`."""

from __future__ import annotations

from pipelab.core.params import ModuleConfig
from pipelab.core.registry import register
from pipelab.reports.base import FLIGHTS, ReportInputs, ReportTable, delay_note, delay_table


@register(
    "report",
    "delay_by_hour",
    reads=FLIGHTS,
    failure_modes=("a scheduled departure at 2400 counts as hour 0",),
)
def delay_by_hour(inputs: ReportInputs, config: ModuleConfig) -> ReportTable:
    """Per scheduled local departure hour: delays build up through the day."""
    flights = inputs.flights
    hours = flights.assign(sched_dep_hour=(flights["sched_dep_time"].astype("int64") // 100) % 24)
    frame = delay_table(hours, ["sched_dep_hour"], inputs.late_minutes)
    return ReportTable("Arrival delay by scheduled departure hour", frame, delay_note(inputs.late_minutes))
