"""`dvc exp run -S [+|++]KEY=VALUE` as DVC reads it: Hydra's override grammar (`dvc.utils.hydra`).

DVC writes the VALUE it parsed into params.yaml, so what pipelab checks, compares and names is that
value, not VALUE read as YAML: `yes` is text, `a\\,b` is 'a,b', and `3,6` is a grid of two runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hydra.core.override_parser.types import Override


def parse_override(option: str) -> Override:
    """One `-S` option read by DVC's own parser; raises Hydra's OverrideParseException where DVC cannot read it."""
    from dvc.utils.hydra import to_hydra_overrides  # imports Hydra: only when an option is read

    overrides: list[Override] = to_hydra_overrides([option])
    return overrides[0]
