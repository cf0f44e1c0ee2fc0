"""Analytics tables for people: delays by carrier, origin, month and hour of day.

Delay statistics use completed flights (not cancelled, not diverted); cancellations are
counted separately, as the US DOT does. `share_late` is the share of completed flights
arriving more than `target.late_minutes` late.
"""

from __future__ import annotations

import pandas as pd

GROUPINGS = {
    "carrier": ["carrier"],
    "origin": ["origin"],
    "month": ["month"],
    "hour": ["sched_dep_hour"],
}


def delay_table(flights: pd.DataFrame, keys: list[str], late_minutes: int) -> pd.DataFrame:
    """Flights, cancellations and arrival-delay statistics per group, in key order."""
    frame = flights.assign(
        completed=~(flights["cancelled"] | flights["diverted"]),
        late=(flights["arr_delay"] > late_minutes).astype(float),
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


def by_carrier(flights: pd.DataFrame, airlines: pd.DataFrame, late_minutes: int) -> pd.DataFrame:
    table = delay_table(flights, ["carrier"], late_minutes)
    names = airlines.set_index("carrier")["name"]
    table.insert(1, "airline", table["carrier"].map(names).fillna("(unknown carrier)"))
    return table.sort_values(["flights", "carrier"], ascending=[False, True], kind="stable").reset_index(drop=True)


def by_origin(flights: pd.DataFrame, airports: pd.DataFrame, late_minutes: int) -> pd.DataFrame:
    table = delay_table(flights, ["origin"], late_minutes)
    names = airports.set_index("faa")["name"]
    table.insert(1, "airport", table["origin"].map(names).fillna("(unknown airport)"))
    return table.sort_values(["flights", "origin"], ascending=[False, True], kind="stable").reset_index(drop=True)


def by_month(flights: pd.DataFrame, late_minutes: int) -> pd.DataFrame:
    return delay_table(flights, ["month"], late_minutes)


def by_hour(flights: pd.DataFrame, late_minutes: int) -> pd.DataFrame:
    hours = flights.assign(sched_dep_hour=(flights["sched_dep_time"].astype("int64") // 100) % 24)
    return delay_table(hours, ["sched_dep_hour"], late_minutes)


def to_markdown(table: pd.DataFrame, title: str, note: str = "") -> str:
    """A titled Markdown table with numbers rounded for reading."""
    body = table.to_markdown(index=False, floatfmt=".3g")
    parts = [f"# {title}", ""]
    if note:
        parts += [note, ""]
    return "\n".join([*parts, body, ""])


def predicted_vs_actual(predictions: pd.DataFrame) -> pd.DataFrame:
    """Per carrier on the test split: actual late share vs mean predicted probability."""
    grouped = predictions.groupby("carrier", sort=True)
    return pd.DataFrame(
        {
            "flights": grouped.size(),
            "actual_late": grouped["late"].mean(),
            "predicted_late": grouped["p_late"].mean(),
        }
    ).reset_index()


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() and abs(value) >= 1 else f"{value:.4g}"


def summary(n_flights: int, scores: dict[str, float], titles: dict[str, str]) -> str:
    """The front page of reports/: headline figures and links to every table."""
    keys = ("roc_auc", "average_precision", "log_loss", "brier", "accuracy", "n_test")
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
    ]
    return "\n".join(lines)
