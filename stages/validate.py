"""Stage validate: check the raw tables against their contracts, quarantine failing rows.

Valid rows go to data/validated/<table>/; failing rows (row id, rule, column, value,
contract version) to data/quarantine/raw_<table>.parquet, with the counts and the quality
gates' findings. Reference tables are validated first, so foreign keys (tail numbers in
planes, airports, carriers) are checked against valid rows. A structurally broken table
or a tripped gate (`quality.*`) stops the stage.
"""

from __future__ import annotations

import pipelab.core.startup  # noqa: F401  (first: a Ctrl-C while the modules below load is one line)
from pipelab.contracts.raw import RAW_CONTRACTS
from pipelab.core.stage import StageContext, StageSpec, run_stage

ORDER = ("airlines", "airports", "planes", "weather", "flights")  # referenced tables first
SPEC = StageSpec(
    name="validate",
    description=__doc__ or "",
    params=("quality",),
    deps=("data/raw",),
    outs=("data/validated",),
    validates=tuple(RAW_CONTRACTS[table].name for table in ORDER),
)


def run(ctx: StageContext) -> None:
    for table in ctx.progress(ORDER, "validating", total=len(ORDER)):
        contract = RAW_CONTRACTS[table]
        valid = ctx.validate(ctx.read(f"data/raw/{table}", contract=contract), contract)
        ctx.write(valid, f"data/validated/{table}", contract, partition_by="month" if table == "flights" else None)


if __name__ == "__main__":
    raise SystemExit(run_stage(SPEC, run))
