"""Stage features: the modelling table, one row per flight, target `late`.

Joins weather (origin + scheduled hour), planes (tail number) and airports (destination),
computes the feature groups listed in `features.groups`, and labels `late` by
`target.late_minutes`; `target.cancelled` decides whether cancelled and diverted flights
are excluded or count as late. The table is validated against the features contract, its
distributions compared with the reference profile (drift), and the share of flights each
join found (`<group>__known`, overall and per origin) judged (coverage). Writes
data/features/ (by month), its manifest and its profile.
"""

from __future__ import annotations

import pipelab.core.startup  # noqa: F401  (first: a Ctrl-C while the modules below load is one line)
from pipelab.contracts.clean import CLEAN_FLIGHTS, CLEAN_PLANES, CLEAN_WEATHER
from pipelab.contracts.modelling import FEATURES
from pipelab.contracts.raw import RAW_AIRPORTS
from pipelab.core.stage import StageContext, StageSpec, run_stage
from pipelab.drift import PROFILE, REFERENCE, profile, psi, read_profile
from pipelab.features import build_features, coverage

SPEC = StageSpec(
    name="features",
    description=__doc__ or "",
    params=("features", "target", "quality"),
    deps=("data/clean", REFERENCE.as_posix()),
    outs=("data/features",),
    validates=(FEATURES.name,),
    tracked={REFERENCE.as_posix(): f"create it from a run's {PROFILE} with `pipelab quality set-reference`"},
)
CLEAN_INPUTS = ("flights", "weather.parquet", "planes.parquet", "airports.parquet")


def run(ctx: StageContext) -> None:
    for group in ctx.params.features.groups:
        ctx.module("feature_group", group, inputs=[f"data/clean/{t}" for t in CLEAN_INPUTS])
    table, manifest, counts = build_features(
        ctx.read("data/clean/flights", contract=CLEAN_FLIGHTS),
        weather=ctx.read("data/clean/weather.parquet", contract=CLEAN_WEATHER),
        planes=ctx.read("data/clean/planes.parquet", contract=CLEAN_PLANES),
        airports=ctx.read("data/clean/airports.parquet", contract=RAW_AIRPORTS),
        features=ctx.params.features,
        target=ctx.params.target,
    )
    for name, value in counts.items():
        ctx.count(f"flights_{name}", value)
    reference = read_profile(ctx.input(REFERENCE))
    drift = (psi(reference, table), REFERENCE.as_posix())
    table = ctx.validate(table, FEATURES, drift=drift, coverage=coverage(table))
    ctx.log.info(
        "%d rows, %d features from groups %s; late rate %.3f",
        len(table),
        len(manifest.features),
        ", ".join(manifest.groups),
        table["late"].mean() if len(table) else 0.0,
    )
    ctx.write(table, "data/features/table", FEATURES, partition_by="month")
    ctx.write_json(manifest.to_dict(), "data/features/manifest.json")
    ctx.write_json(profile(table, manifest.numeric, manifest.categorical), "data/features/profile.json")


if __name__ == "__main__":
    raise SystemExit(run_stage(SPEC, run))
