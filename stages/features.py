"""Stage features: the modelling table, one row per flight, target `late`.

Joins weather (origin + scheduled hour), planes (tail number) and airports (destination),
computes the feature groups listed in `features.groups`, and labels `late` by
`target.late_minutes`; `target.cancelled` decides whether cancelled and diverted flights
are excluded or count as late. Writes data/features/ (by month) and its manifest.
"""

from __future__ import annotations

from pipelab.features import build_features
from pipelab.stage import StageContext, StageSpec, run_stage

SPEC = StageSpec(
    name="features",
    description=__doc__ or "",
    params=("features", "target"),
    deps=("data/clean",),
    outs=("data/features",),
)
CONTRACT = ("features", "1.0.0")
CLEAN_INPUTS = ("flights", "weather.parquet", "planes.parquet", "airports.parquet")


def run(ctx: StageContext) -> None:
    for group in ctx.params.features.groups:
        ctx.module("feature_group", group, inputs=[f"data/clean/{t}" for t in CLEAN_INPUTS])
    table, manifest, counts = build_features(
        ctx.read("data/clean/flights"),
        weather=ctx.read("data/clean/weather.parquet"),
        planes=ctx.read("data/clean/planes.parquet"),
        airports=ctx.read("data/clean/airports.parquet"),
        features=ctx.params.features,
        target=ctx.params.target,
    )
    for name, value in counts.items():
        ctx.count(f"flights_{name}", value)
    ctx.log.info(
        "%d rows, %d features from groups %s; late rate %.3f",
        len(table),
        len(manifest.features),
        ", ".join(manifest.groups),
        table["late"].mean() if len(table) else 0.0,
    )
    ctx.write(table, "data/features/table", CONTRACT, partition_by="month")
    ctx.write_json(manifest.to_dict(), "data/features/manifest.json")


if __name__ == "__main__":
    raise SystemExit(run_stage(SPEC, run))
