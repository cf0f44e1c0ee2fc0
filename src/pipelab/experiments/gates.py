"""The committed rules that judge a change: per metric its direction, tolerances and gate.

A change counts only when it is larger than both tolerances: |change| > max(abs_tol,
rel_tol x |base|). Smaller changes are "unchanged", so noise never blocks a merge.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError

from pipelab.core.errors import PipelabError
from pipelab.core.params import Section, describe_errors, parse_yaml_mapping
from pipelab.experiments.revisions import Side

GATES_FILE = Path("metrics/gates.yaml")
Verdict = Literal["better", "worse", "unchanged", "changed", "new", "removed"]


class GatesError(PipelabError):
    """The gates file is missing, not YAML, or has an unknown, missing or invalid key."""


class Gate(Section):
    """How one measure is judged: which way is better, how much change is noise, whether it blocks."""

    direction: Literal["higher", "lower"]
    abs_tol: float = Field(0.0, ge=0.0)
    rel_tol: float = Field(0.0, ge=0.0)
    gate: bool = False

    def tolerance(self, base: float) -> float:
        return max(self.abs_tol, self.rel_tol * abs(base))

    def verdict(self, base: float, target: float) -> Verdict:
        delta, tolerance = target - base, self.tolerance(base)
        if abs(delta) <= tolerance or math.isclose(abs(delta), tolerance, rel_tol=1e-9):  # 0.702 - 0.7 > 0.002
            return "unchanged"
        return "better" if (delta > 0) == (self.direction == "higher") else "worse"


class Gates(Section):
    """`metrics`: keys of metrics/scores.json; `telemetry`: keys of every stage's telemetry file."""

    metrics: dict[str, Gate] = Field(default_factory=dict)
    telemetry: dict[str, Gate] = Field(default_factory=dict)


def parse_gates(text: str, source: str) -> Gates:
    """Validate a gates file's text; every problem on one line that names `source` and the key."""
    raw = parse_yaml_mapping(text, source, GatesError, "a mapping with `metrics` and `telemetry`")
    try:
        return Gates.model_validate(raw)
    except ValidationError as err:
        raise GatesError(f"{source}: " + "; ".join(describe_errors(Gates, err))) from None


def load_gates(explicit: Path | None, base: Side, root: Path) -> tuple[Gates, str]:
    """The gates and where they came from: `explicit`, else the base's gates file, else the workspace's.

    The base's file comes first so that a branch cannot loosen the gates it is judged by.
    """
    if explicit is not None:
        try:
            return parse_gates(explicit.read_text(encoding="utf-8"), str(explicit)), str(explicit)
        except FileNotFoundError:
            raise GatesError(f"{explicit}: gates file not found") from None
        except (OSError, UnicodeDecodeError) as err:
            raise GatesError(f"{explicit}: cannot read gates file ({type(err).__name__})") from None
    text = base.text(GATES_FILE.as_posix())
    source = f"{GATES_FILE} at {base.intent.label}"
    if text is None and (root / GATES_FILE).is_file():
        text, source = (root / GATES_FILE).read_text(encoding="utf-8"), f"{GATES_FILE} in the workspace"
    if text is None:
        raise GatesError(f"no gates: {GATES_FILE} is neither at {base.intent.label} nor in the workspace; use --gates")
    return parse_gates(text, source), source
