"""`dvc exp run -S [+|++]KEY=VALUE` as DVC reads it: Hydra's override grammar (`dvc.utils.hydra`).

DVC writes the VALUE it parsed into params.yaml, so what pipelab checks, compares and names is that
value, not VALUE read as YAML: `yes` is text, `a\\,b` is 'a,b', and `3,6` is a grid of two runs.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from hydra.core.override_parser.types import Override


def parse_override(option: str) -> Override:
    """One `-S` option read by DVC's own parser; raises Hydra's OverrideParseException where DVC cannot read it."""
    from dvc.utils.hydra import to_hydra_overrides  # imports Hydra: only when an option is read

    overrides: list[Override] = to_hydra_overrides([option])
    return overrides[0]


def override_value(value: Any) -> str:
    """VALUE for `-S KEY=VALUE` that DVC reads back as `value`: YAML's flow style (`null`, `[a, b]`) where DVC's
    grammar reads that as `value`, else in Hydra's quotes: text with a `,` is a grid to DVC, `#` it cannot
    parse, and `inf` is its word for YAML's `.inf`."""
    text = yaml.safe_dump(value, default_flow_style=True, width=math.inf).removesuffix("...\n").strip()
    if _reads_back(text, value):
        return text
    if isinstance(value, str):
        from hydra.core.override_parser.types import Quote, QuotedString

        return QuotedString(value, Quote.single).with_quotes()
    if isinstance(value, float):
        return repr(value)  # inf, nan
    if isinstance(value, list):
        return "[" + ", ".join(map(override_value, value)) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{override_value(k)}: {override_value(v)}" for k, v in value.items()) + "}"
    return text  # a date: DVC's grammar has none, and its text validates as the same date


def _reads_back(text: str, value: Any) -> bool:
    from hydra.errors import OverrideParseException

    try:
        override = parse_override(f"key={text}")
    except OverrideParseException:
        return False
    read = override.value()
    return not override.is_sweep_override() and type(read) is type(value) and read == value
