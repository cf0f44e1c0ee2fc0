"""The prediction diff: two sides' test predictions joined on row_id (pure pandas, no files)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

PREDICTION_COLUMNS = ("row_id", "p_late", "predicted_late")
CONTEXT_COLUMNS = ("carrier", "origin", "dest", "sched_date", "late")
IDENTITY_COLUMNS = ("carrier", "origin", "dest", "sched_date")  # which flight a row is, whatever the model said
LARGEST_SHIFTS = 10


@dataclass(frozen=True)
class PredictionDiff:
    """Test predictions joined on row_id: class changes and probability shifts."""

    compared: int
    only_base: int
    only_target: int
    class_changed: int
    to_late: int
    to_on_time: int
    mean_abs_shift: float | None  # None when no prediction is on both sides
    largest: list[dict[str, Any]]
    by_carrier: list[dict[str, Any]]


def plain(value: Any) -> Any:
    """numpy and pandas scalars as JSON-ready Python values: NaN as None, a date at midnight without its time."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value).removesuffix(" 00:00:00")


def other_flights(base: pd.DataFrame, target: pd.DataFrame) -> tuple[int, int]:
    """(row_ids that name another flight on each side, row_ids on both sides): row_id is the row's number in
    its source table, so once the source data changed (rows added before others, or removed) the same number
    names another flight, and a join on it pairs unrelated flights. Flights differ in carrier, route or date."""
    import pandas as pd

    identity = [c for c in IDENTITY_COLUMNS if c in base.columns and c in target.columns]
    pairs = base[["row_id", *identity]].merge(  # one_to_one: duplicated row_ids would multiply, not pair
        target[["row_id", *identity]], on="row_id", suffixes=("_b", "_t"), validate="one_to_one"
    )
    b = pairs[[f"{c}_b" for c in identity]].to_numpy(dtype=object)
    t = pairs[[f"{c}_t" for c in identity]].to_numpy(dtype=object)
    differ = ((b != t) & ~(pd.isna(b) & pd.isna(t))).any(axis=1)
    return int(differ.sum()), len(pairs)


def prediction_diff(base: pd.DataFrame, target: pd.DataFrame, top: int = LARGEST_SHIFTS) -> PredictionDiff:
    """Join on row_id; count class changes, list the largest probability shifts, summarise per carrier."""
    context = [c for c in CONTEXT_COLUMNS if c in target.columns]
    joined = base[list(PREDICTION_COLUMNS)].merge(
        target[[*PREDICTION_COLUMNS, *context]], on="row_id", suffixes=("_base", "_target"), validate="one_to_one"
    )
    joined["shift"] = joined["p_late_target"] - joined["p_late_base"]
    joined["abs_shift"] = joined["shift"].abs()
    joined["changed"] = joined["predicted_late_base"] != joined["predicted_late_target"]
    largest = joined.sort_values(["abs_shift", "row_id"], ascending=[False, True], kind="stable").head(top)
    columns = ["row_id", *context, "p_late_base", "p_late_target", "shift"]
    by_carrier: list[dict[str, Any]] = []
    if "carrier" in joined.columns:
        grouped = joined.groupby("carrier", sort=True).agg(
            flights=("row_id", "size"),
            class_changed=("changed", "sum"),
            mean_shift=("shift", "mean"),
            mean_abs_shift=("abs_shift", "mean"),
        )
        grouped = grouped.reset_index().sort_values(["mean_abs_shift", "carrier"], ascending=[False, True])
        by_carrier = [{str(k): plain(v) for k, v in row.items()} for row in grouped.to_dict("records")]
    return PredictionDiff(
        compared=len(joined),
        only_base=int((~base["row_id"].isin(target["row_id"])).sum()),
        only_target=int((~target["row_id"].isin(base["row_id"])).sum()),
        class_changed=int(joined["changed"].sum()),
        to_late=int((joined["changed"] & (joined["predicted_late_target"] == 1)).sum()),
        to_on_time=int((joined["changed"] & (joined["predicted_late_target"] == 0)).sum()),
        mean_abs_shift=plain(joined["abs_shift"].mean()),
        largest=[{str(k): plain(v) for k, v in row.items()} for row in largest[columns].to_dict("records")],
        by_carrier=by_carrier,
    )
