"""The five tables every source provides (their columns and types: `pipelab.contracts.raw`)."""

from __future__ import annotations

TABLES = ("flights", "weather", "planes", "airports", "airlines")

ROW_ID = "row_id"  # position of the row in its source table: stable, used by quarantine
