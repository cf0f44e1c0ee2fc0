"""What a report table receives and returns, and the delay statistics most of them share.

Delay statistics use completed flights (not cancelled, not diverted); cancellations are
counted separately, as the US DOT does. `share_late` is the share of completed flights
arriving more than `target.late_minutes` late.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import pandas as pd

from pipelab.core.params import ModuleConfig
from pipelab.core.registry import ContractRef

FLIGHTS = (ContractRef("clean_flights", ">=2,<3"),)


@dataclass(frozen=True)
class ReportInputs:
    flights: pd.DataFrame  # every clean flight
    airlines: pd.DataFrame
    airports: pd.DataFrame
    predictions: pd.DataFrame  # the test split, scored
    late_minutes: int


@dataclass(frozen=True)
class ReportTable:
    title: str
    frame: pd.DataFrame
    note: str = ""


class Report(Protocol):
    def __call__(self, inputs: ReportInputs, config: ModuleConfig) -> ReportTable: ...


def delay_note(late_minutes: int) -> str:
    return f"Delays in minutes over completed flights; late = more than {late_minutes} minutes."


def delay_table(flights: pd.DataFrame, keys: list[str], late_minutes: int) -> pd.DataFrame:
    """Flights, cancellations and arrival-delay statistics per group, in key order."""
    delay = flights["arr_delay"].astype("float64")
    frame = flights.assign(
        completed=~(flights["cancelled"] | flights["diverted"]),
        arr_delay=delay,
        late=(delay > late_minutes).astype(float),
    )
    done = frame[frame["completed"]]
    grouped_all = frame.groupby(keys, sort=True)
    grouped = done.groupby(keys, sort=True)["arr_delay"]
    out = pd.DataFrame(
        {
            "flights": grouped_all.size(),
            "cancelled": grouped_all["cancelled"].sum().astype(int),
            "diverted": grouped_all["diverted"].sum().astype(int),
            "mean_arr_delay": grouped.mean(),
            "median_arr_delay": grouped.median(),
            "p90_arr_delay": grouped.quantile(0.9),
            "share_late": done.groupby(keys, sort=True)["late"].mean(),
        }
    )
    out["cancelled_share"] = out["cancelled"] / out["flights"]
    return out.reset_index()


def named(table: pd.DataFrame, key: str, label: str, names: pd.Series, unknown: str) -> pd.DataFrame:
    """`table` with a `label` column of names looked up by `key`, busiest groups first."""
    out = table.copy()
    out.insert(1, label, out[key].map(names).fillna(unknown))
    return out.sort_values(["flights", key], ascending=[False, True], kind="stable").reset_index(drop=True)
