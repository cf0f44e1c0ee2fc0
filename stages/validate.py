"""Stage validate: check the raw tables against their contracts, quarantine failing rows.

Valid rows go to data/validated/<table>/, failing rows (with row id, check, column,
value and contract version) to data/quarantine/<table>.parquet, counts per check to
metrics/quality.json. A table that is structurally broken stops the stage.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipelab.contracts.raw import RAW_CONTRACTS
from pipelab.contracts.validation import validate_table
from pipelab.stage import StageContext, StageSpec, run_stage
from pipelab.tables import TABLES

SPEC = StageSpec(
    name="validate",
    description=__doc__ or "",
    deps=("data/raw",),
    outs=("data/validated", "data/quarantine"),
    metrics=("metrics/quality.json",),
)


def run(ctx: StageContext) -> None:
    quality: dict[str, Any] = {}
    for table in ctx.progress(TABLES, "validating", total=len(TABLES)):
        contract = RAW_CONTRACTS[table]
        frame = ctx.read(Path("data/raw") / table)
        result = validate_table(frame, contract, stage=SPEC.name)
        ctx.write(
            result.valid, f"data/validated/{table}", contract.tag, partition_by="month" if table == "flights" else None
        )
        ctx.write(result.quarantine, f"data/quarantine/{table}.parquet")
        quality[table] = {
            "rows_in": len(frame),
            "rows_valid": len(result.valid),
            "rows_quarantined": result.rows_quarantined,
            "checks_failed": result.check_counts,
        }
        if result.rows_quarantined:
            ctx.log.warning(
                "%s: %d row(s) quarantined: %s",
                table,
                result.rows_quarantined,
                ", ".join(f"{k}={v}" for k, v in result.check_counts.items()),
            )
    ctx.write_json(quality, "metrics/quality.json")


if __name__ == "__main__":
    raise SystemExit(run_stage(SPEC, run))
