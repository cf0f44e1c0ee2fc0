"""Report `delay_by_carrier`."""

from __future__ import annotations

from pipelab.core.params import ModuleConfig
from pipelab.core.registry import ContractRef, register
from pipelab.reports.base import FLIGHTS, ReportInputs, ReportTable, delay_note, delay_table, named


@register(
    "report",
    "delay_by_carrier",
    reads=(*FLIGHTS, ContractRef("raw_airlines")),
    failure_modes=("a carrier absent from airlines shows as '(unknown carrier)'",),
)
def delay_by_carrier(inputs: ReportInputs, config: ModuleConfig) -> ReportTable:
    """Per carrier (with airline name): flights, cancellations, mean/median/p90 arrival delay, share late."""
    table = delay_table(inputs.flights, ["carrier"], inputs.late_minutes)
    names = inputs.airlines.set_index("carrier")["name"]
    frame = named(table, "carrier", "airline", names, "(unknown carrier)")
    return ReportTable("Arrival delay by carrier", frame, delay_note(inputs.late_minutes))
