"""Assemble the modelling table: population, target, and the feature groups params switch on.

Target: `late` = arrival more than `target.late_minutes` (15, the US DOT on-time rule)
minutes after schedule. Cancelled and diverted flights have no arrival delay: with
`target.cancelled=exclude` they leave the modelling population (counted in telemetry and
still in every report); with `late` they count as late, as DOT on-time statistics do.
"""

from __future__ import annotations

import pandas as pd

from pipelab.contracts import Coverage
from pipelab.core import registry
from pipelab.core.errors import ContractError, DataError, ParamsError
from pipelab.core.params import FeaturesParams, TargetParams
from pipelab.core.telemetry import measure_module
from pipelab.manifest import TARGET, Manifest
from pipelab.transforms.features.base import FeatureBlock, FeatureInputs

KNOWN = "__known"  # `<group>__known`: 1 where the group's join found data for the flight, else 0
ID_COLUMNS = ["row_id", "month", "sched_date", "sched_dep_utc", "carrier", "origin", "dest", "sched_dep_hour"]


def population(flights: pd.DataFrame, target: TargetParams) -> tuple[pd.DataFrame, pd.Series, dict[str, int]]:
    """The flights to model and their `late` label, with counts of what was excluded."""
    incomplete = flights["cancelled"] | flights["diverted"]
    late = flights["arr_delay"].astype("float64") > target.late_minutes  # missing delay: not late (excluded, or late)
    counts = {"cancelled": int(flights["cancelled"].sum()), "diverted": int(flights["diverted"].sum())}
    if target.cancelled == "exclude":
        keep = ~incomplete
        counts["excluded"] = int(incomplete.sum())
        if len(flights) and not keep.any():  # else the min_rows gate says "0 valid row(s) of 0", not why
            raise DataError(
                f"all {len(flights):,} flights are cancelled or diverted, and target.cancelled = 'exclude' leaves "
                "none to model (`target.cancelled: late` counts them as late)"
            )
        return flights.loc[keep].reset_index(drop=True), late[keep].reset_index(drop=True), counts
    counts["excluded"] = 0
    return flights.reset_index(drop=True), (late | incomplete).reset_index(drop=True), counts


def build_features(
    flights: pd.DataFrame,
    *,
    weather: pd.DataFrame,
    planes: pd.DataFrame,
    airports: pd.DataFrame,
    features: FeaturesParams,
    target: TargetParams,
) -> tuple[pd.DataFrame, Manifest, dict[str, int]]:
    """The modelling table (ids, features, `late`), its manifest, and counts: the population's and the groups'."""
    chosen, late, counts = population(flights, target)
    inputs = FeatureInputs(flights=chosen, weather=weather, planes=planes, airports=airports, all_flights=flights)
    blocks: list[FeatureBlock] = []
    for group in features.groups:
        spec = registry.get("feature_group", group)
        with measure_module(spec.key, spec.version, len(chosen)):
            block = spec.obj(inputs, features.config_for(group))
        check_block(group, block, chosen.index)
        blocks.append(block)
    ids = pd.DataFrame(
        {
            "row_id": chosen["row_id"].astype("int64"),
            "month": chosen["month"].astype("int64"),
            "sched_date": chosen["sched_dep_local"].dt.normalize(),
            "sched_dep_utc": chosen["sched_dep_utc"],
            "carrier": chosen["carrier"],
            "origin": chosen["origin"],
            "dest": chosen["dest"],
            "sched_dep_hour": (chosen["sched_dep_time"].astype("int64") // 100) % 24,
        }
    )
    if not any(b.numeric or b.categorical for b in blocks):  # a model of no columns fails much later, obscurely
        raise ParamsError(
            f"features.groups = {list(features.groups)}: these groups give no feature columns "
            "(are all flags of `features.<group>` off?); switch a group or a flag on"
        )
    for group, block in zip(features.groups, blocks, strict=True):
        counts.update({f"{group}_{name}": value for name, value in block.counts.items()})
    table = pd.concat([ids, *(b.frame for b in blocks), late.astype("int8").rename(TARGET)], axis=1)
    manifest = Manifest(
        groups=list(features.groups),
        numeric=[c for b in blocks for c in b.numeric],
        categorical=[c for b in blocks for c in b.categorical],
        id_columns=ID_COLUMNS,
    )
    return table, manifest, counts


def check_block(group: str, block: object, index: pd.Index) -> None:
    """Refuse a group's result that the modelling table cannot take as it is: a short or misaligned frame
    would become NaNs silently (columns are joined on the index), a stray column name another group's column."""
    where = f"feature_group {group!r}"
    if not isinstance(block, FeatureBlock):
        raise ContractError(f"{where} returned a {type(block).__name__}, not a FeatureBlock")
    frame = block.frame
    if not frame.index.equals(index):
        raise ContractError(
            f"{where} returned {len(frame):,} rows for {len(index):,} flights, or another index; "
            "build its frame with index=inputs.flights.index"
        )
    columns = [str(c) for c in frame.columns]
    problems = {
        f"columns without the '{group}__' prefix": [c for c in columns if not c.startswith(f"{group}__")],
        "columns named twice": sorted({c for c in columns if columns.count(c) > 1}),
        "categorical columns not in its frame": [c for c in block.categorical if c not in columns],
        "text columns not listed in categorical": [
            c
            for c, dtype in zip(columns, frame.dtypes, strict=True)
            if c not in block.categorical and pd.api.types.is_string_dtype(dtype)
        ],
    }
    found = [f"{what}: {', '.join(names)}" for what, names in problems.items() if names]
    if found:
        raise ContractError(f"{where} returned {'; '.join(found)}")


def coverage(table: pd.DataFrame) -> dict[str, Coverage]:
    """Per group with a `<group>__known` column: the share of flights its join found, overall and per origin."""
    found = {}
    for column in (c for c in table.columns if c.endswith(KNOWN)):
        known = table[column].astype("float64")
        by_origin = known.groupby(table["origin"].astype("string"), observed=True).agg(["mean", "size"]).sort_index()
        found[column.removesuffix(KNOWN)] = Coverage(
            share=round(float(known.mean()), 6) if len(known) else 1.0,  # no flights: min_rows judges that
            rows=len(known),
            by_origin={str(k): round(float(v), 6) for k, v in by_origin["mean"].items()},
            rows_by_origin={str(k): int(v) for k, v in by_origin["size"].items()},
        )
    return found
