"""Stage split: time-based train/test split at `split.cutoff` (default: train Jan-Sep, test Oct-Dec).

Never random across time: every test flight is scheduled on or after the cutoff date.
"""

from __future__ import annotations

import json

import pipelab.core.startup  # noqa: F401  (first: a Ctrl-C while the modules below load is one line)
from pipelab.contracts.modelling import FEATURES
from pipelab.core.stage import StageContext, StageSpec, run_stage
from pipelab.splitting import split_by_cutoff

SPEC = StageSpec(
    name="split",
    description=__doc__ or "",
    params=("split",),
    deps=("data/features",),
    outs=("data/splits",),
)


def run(ctx: StageContext) -> None:
    cutoff = ctx.params.split.cutoff
    train, test = split_by_cutoff(ctx.read("data/features/table", contract=FEATURES), cutoff)
    ctx.log.info("cutoff %s: %d train rows, %d test rows", cutoff, len(train), len(test))
    ctx.write(train, "data/splits/train", FEATURES, partition_by="month")
    ctx.write(test, "data/splits/test", FEATURES, partition_by="month")
    manifest = json.loads(ctx.input("data/features/manifest.json").read_text(encoding="utf-8"))
    ctx.write_json(manifest | {"cutoff": cutoff.isoformat()}, "data/splits/manifest.json")


if __name__ == "__main__":
    raise SystemExit(run_stage(SPEC, run))
