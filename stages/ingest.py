"""Stage ingest: read the chosen source's five tables into data/raw/<table>/ as Parquet.

Flights are partitioned by month. Each table is coerced to its raw contract's types (a
value that will not convert stops ingest), gets a stable `row_id` (its row number in the
source) and the contract tag; source identifiers (package and version, or file paths)
with md5s, and any source columns ignored, go into data/raw.provenance.json.
"""

from __future__ import annotations

import pipelab.core.startup  # noqa: F401  (first: a Ctrl-C while the modules below load is one line)
from pipelab.contracts.raw import RAW_CONTRACTS
from pipelab.core.stage import StageContext, StageSpec, run_stage
from pipelab.core.tables import TABLES
from pipelab.core.telemetry import measure_module

SPEC = StageSpec(
    name="ingest",
    description=__doc__ or "",
    params=("data",),
    deps=("${data.path}",),
    outs=("data/raw",),
)


def run(ctx: StageContext) -> None:
    data = ctx.params.data
    source = ctx.module("source", data.source)
    with measure_module(source.key, source.version) as timing:
        tables, sources = source.obj(data)
        timing["rows"] = sum(len(frame) for frame in tables.values())
    for identifiers in sources:
        ctx.add_source(**identifiers)
    for table in TABLES:
        frame = tables[table]
        ctx.meter.rows_in += len(frame)
        ctx.log.info("%s: %d rows from %s", table, len(frame), data.source)
        ctx.write(
            frame, f"data/raw/{table}", RAW_CONTRACTS[table], partition_by="month" if table == "flights" else None
        )


if __name__ == "__main__":
    raise SystemExit(run_stage(SPEC, run))
