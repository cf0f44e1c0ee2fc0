"""Report `delay_by_origin`."""

from __future__ import annotations

from pipelab.core.params import ModuleConfig
from pipelab.core.registry import ContractRef, register
from pipelab.reports.base import FLIGHTS, ReportInputs, ReportTable, delay_note, delay_table, named


@register(
    "report",
    "delay_by_origin",
    reads=(*FLIGHTS, ContractRef("raw_airports")),
    failure_modes=("an origin absent from airports shows as '(unknown airport)'",),
)
def delay_by_origin(inputs: ReportInputs, config: ModuleConfig) -> ReportTable:
    """Per NYC origin airport (with its name): flights, cancellations, arrival delay statistics, share late."""
    table = delay_table(inputs.flights, ["origin"], inputs.late_minutes)
    names = inputs.airports.set_index("faa")["name"]
    frame = named(table, "origin", "airport", names, "(unknown airport)")
    return ReportTable("Arrival delay by origin airport", frame, delay_note(inputs.late_minutes))
