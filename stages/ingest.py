"""Stage ingest: read the chosen source's five tables into data/raw/<table>/ as Parquet.

Flights are partitioned by month. Each table gets a stable `row_id` (its row number in
the source) and the raw contract tag; source identifiers (package and version, or file
paths) with md5s go into data/raw.provenance.json.
"""

from __future__ import annotations

from pipelab import registry
from pipelab.contracts.raw import RAW_CONTRACTS
from pipelab.stage import StageContext, StageSpec, run_stage
from pipelab.tables import TABLES

SPEC = StageSpec(
    name="ingest",
    description=__doc__ or "",
    params=("data",),
    deps=("${data.path}",),
    outs=("data/raw",),
)


def run(ctx: StageContext) -> None:
    data = ctx.params.data
    load = registry.get("source", data.source).obj
    tables, sources = load(data)
    for source in sources:
        ctx.add_source(**source)
    for table in TABLES:
        frame = tables[table]
        ctx.meter.rows_in += len(frame)
        ctx.log.info("%s: %d rows from %s", table, len(frame), data.source)
        ctx.write(
            frame, f"data/raw/{table}", RAW_CONTRACTS[table].tag, partition_by="month" if table == "flights" else None
        )


if __name__ == "__main__":
    raise SystemExit(run_stage(SPEC, run))
