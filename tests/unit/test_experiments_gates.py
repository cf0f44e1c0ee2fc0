"""experiments/gates.py: the committed gates file, its one-line errors, and verdicts with tolerances."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelab.experiments.gates import GATES_FILE, Gate, GatesError, parse_gates

REPO = Path(__file__).resolve().parents[2]


def test_the_committed_gates_file_is_valid_and_gates_the_ranking_metrics() -> None:
    gates = parse_gates((REPO / GATES_FILE).read_text(encoding="utf-8"), str(GATES_FILE))
    gated = {key for key, gate in gates.metrics.items() if gate.gate}
    assert gated == {"roc_auc", "average_precision", "log_loss", "brier"}
    assert gates.metrics["roc_auc"].direction == "higher"
    assert gates.metrics["log_loss"].direction == "lower"
    assert set(gates.telemetry) == {"wall_seconds", "cpu_seconds", "peak_rss_mb", "rows_per_second"}
    assert not any(gate.gate for gate in gates.telemetry.values())


@pytest.mark.parametrize(
    ("base", "target", "expected"),
    [
        (0.70, 0.71, "better"),
        (0.70, 0.69, "worse"),
        (0.70, 0.702, "unchanged"),  # within abs_tol 0.002
        (0.70, 0.698, "unchanged"),
        (0.70, 0.7021, "better"),
    ],
)
def test_higher_is_better_with_an_absolute_tolerance(base: float, target: float, expected: str) -> None:
    assert Gate(direction="higher", abs_tol=0.002).verdict(base, target) == expected


def test_lower_is_better_and_the_larger_tolerance_wins() -> None:
    gate = Gate(direction="lower", abs_tol=1.0, rel_tol=0.5)
    assert gate.tolerance(10.0) == 5.0  # relative: 50% of 10
    assert gate.tolerance(0.5) == 1.0  # absolute floor
    assert gate.verdict(10.0, 14.9) == "unchanged"
    assert gate.verdict(10.0, 15.1) == "worse"
    assert gate.verdict(10.0, 4.9) == "better"
    assert gate.verdict(0.5, 1.4) == "unchanged"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "metrics: {roc_auc: {direction: up}}",
            "g.yaml: metrics.roc_auc.direction = 'up': Input should be 'higher' or 'lower'",
        ),
        (
            "metrics: {roc_auc: {direction: higher, tol: 1}}",
            "g.yaml: metrics.roc_auc.tol: unknown key; allowed: abs_tol, direction, gate, rel_tol",
        ),
        ("metric: {}", "g.yaml: metric: unknown key; allowed: metrics, telemetry"),
        ("metrics: {roc_auc: {gate: true}}", "g.yaml: metrics.roc_auc.direction: required key is missing"),
        (
            "telemetry: {wall_seconds: {direction: lower, abs_tol: true}}",
            "g.yaml: telemetry.wall_seconds.abs_tol = True: expected a number, not true/false",
        ),
        (
            "metrics: {brier: {direction: lower, rel_tol: -0.1}}",
            "g.yaml: metrics.brier.rel_tol = -0.1: Input should be greater than or equal to 0",
        ),
        ("metrics: [roc_auc]", "g.yaml: metrics = ['roc_auc']: Input should be a valid dictionary"),
        ("- just a list", "g.yaml: expected a mapping with `metrics` and `telemetry` at the top level"),
        ("metrics: {roc_auc: [", "g.yaml: not valid YAML (line 2): did not find expected node content"),
    ],
)
def test_a_malformed_gates_file_is_one_line_naming_file_and_key(text: str, message: str) -> None:
    with pytest.raises(GatesError) as err:
        parse_gates(text, "g.yaml")
    assert str(err.value) == message
    assert "\n" not in str(err.value)
