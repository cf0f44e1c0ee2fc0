"""Quality gates (check modules), drift (profiles and PSI), and the summaries people and `dvc metrics` read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pipelab import drift
from pipelab.checks.coverage import CoverageConfig
from pipelab.checks.drift import DriftConfig
from pipelab.checks.duplicate_share import DuplicateShareConfig
from pipelab.checks.min_rows import MinRowsConfig
from pipelab.checks.quarantine_share import QuarantineShareConfig
from pipelab.checks.rule_counts import Limits, RuleCountsConfig
from pipelab.contracts import Coverage, DatasetQuality, Finding
from pipelab.core import io, quality, registry
from pipelab.core.errors import DataError
from pipelab.core.params import QualityParams
from pipelab.features import coverage


def summary(**changes: Any) -> DatasetQuality:
    base: dict[str, Any] = {
        "dataset": "raw_weather",
        "contract_version": "1.0.0",
        "stage": "validate",
        "rows_in": 1000,
        "rows_valid": 990,
        "rows_quarantined": 10,
        "duplicates_removed": 0,
        "errors": {"wind_speed_range": 8, "temp_range": 3},
        "warnings": {"origin_in_airports": 4},
    }
    return DatasetQuality(**{**base, **changes})


def check(name: str, quality_summary: DatasetQuality, config: Any) -> list[Finding]:
    found: list[Finding] = registry.get("check", name).obj(quality_summary, config)
    return found


# --- the summary itself --------------------------------------------------------------------------------


def test_summary_reconciles_and_counts_a_rule_whether_quarantined_or_kept() -> None:
    q = summary()
    assert q.reconciles
    assert not summary(rows_valid=991).reconciles
    assert q.quarantine_share == 0.01
    assert q.failing("wind_speed_range") == 8
    assert q.failing("origin_in_airports") == 4
    assert q.failing("no_such_rule") == 0
    assert summary(rows_in=0, rows_valid=0, rows_quarantined=0).quarantine_share == 0.0


# --- min_rows ------------------------------------------------------------------------------------------


def test_min_rows_fails_an_empty_valid_dataset() -> None:
    empty = summary(rows_in=10, rows_valid=0, rows_quarantined=10)
    (found,) = check("min_rows", empty, MinRowsConfig())
    assert found.severity == "error"
    assert found.message == (
        "raw_weather: 0 valid row(s) of 10 < quality.min_rows.min_rows 1; nothing usable would reach the next stage"
    )
    assert check("min_rows", summary(), MinRowsConfig()) == []


def test_min_rows_per_dataset_override() -> None:
    config = MinRowsConfig(min_rows=1, datasets={"raw_weather": 1000})
    (found,) = check("min_rows", summary(), config)
    assert (found.value, found.threshold) == (990, 1000)
    assert found.message == "raw_weather: 990 valid row(s) of 1,000 < quality.min_rows.datasets.raw_weather 1,000"
    assert check("min_rows", summary(dataset="raw_planes"), config) == []


def test_min_rows_refuses_an_unknown_dataset() -> None:
    with pytest.raises(ValueError, match=r"unknown dataset\(s\) raw_wether; datasets: .*raw_weather"):
        MinRowsConfig(datasets={"raw_wether": 5})


# --- quarantine_share ----------------------------------------------------------------------------------


def test_quarantine_share_fails_above_max_and_names_the_worst_rules() -> None:
    (found,) = check("quarantine_share", summary(), QuarantineShareConfig(max_share=0.005))
    assert found.severity == "error"
    assert found.message == (
        "raw_weather: 10 of 1,000 rows quarantined (1.000%) > quality.quarantine_share.max_share 0.500% "
        "(wind_speed_range 8, temp_range 3)"
    )


def test_quarantine_share_warns_between_warn_and_max() -> None:
    (found,) = check("quarantine_share", summary(), QuarantineShareConfig(max_share=0.05, warn_share=0.001))
    assert found.severity == "warn"
    assert "quality.quarantine_share.warn_share 0.100%" in found.message


def test_quarantine_share_quiet_at_or_below_both_limits() -> None:
    assert check("quarantine_share", summary(), QuarantineShareConfig(max_share=0.01, warn_share=0.01)) == []


def test_quarantine_share_per_dataset_limit() -> None:
    config = QuarantineShareConfig(max_share=0.5, datasets={"raw_weather": 0.001})
    assert [f.severity for f in check("quarantine_share", summary(), config)] == ["error"]
    assert [f.severity for f in check("quarantine_share", summary(dataset="raw_planes"), config)] == ["warn"]


# --- duplicate_share -----------------------------------------------------------------------------------


def test_duplicate_share_warns_on_any_duplicate_by_default() -> None:
    """A flights file given twice: half its rows removed as exact copies, which loses nothing, but says so."""
    (found,) = check("duplicate_share", summary(rows_valid=500, duplicates_removed=500), DuplicateShareConfig())
    assert (found.check, found.severity, found.value, found.threshold) == ("duplicate_share", "warn", 0.5, 0.0)
    assert found.message == (
        "raw_weather: 500 of 1,000 rows were exact duplicates, removed (50.000%) > quality.duplicate_share.warn_share "
        "0.000%"
    )


def test_duplicate_share_never_fails_by_default_and_fails_above_its_limits() -> None:
    everything = summary(rows_valid=1, rows_quarantined=0, duplicates_removed=999)
    assert [f.severity for f in check("duplicate_share", everything, DuplicateShareConfig())] == ["warn"]
    config = DuplicateShareConfig(max_share=0.5, datasets={"raw_planes": 0.0})
    assert [f.severity for f in check("duplicate_share", everything, config)] == ["error"]
    one = summary(dataset="raw_planes", rows_valid=989, duplicates_removed=1)
    assert [f.message.split(" > ")[1] for f in check("duplicate_share", one, config)] == [
        "quality.duplicate_share.max_share 0.000%"
    ]


def test_duplicate_share_quiet_without_duplicates_or_rows() -> None:
    assert check("duplicate_share", summary(), DuplicateShareConfig()) == []
    empty = summary(rows_in=0, rows_valid=0, rows_quarantined=0, errors={}, warnings={})
    assert check("duplicate_share", empty, DuplicateShareConfig()) == []


def test_share_limits_refuse_a_warning_past_the_error_and_unknown_datasets() -> None:
    with pytest.raises(ValueError, match=r"warn_share 0\.5 must not exceed max_share 0\.1"):
        DuplicateShareConfig(max_share=0.1, warn_share=0.5)
    with pytest.raises(ValueError, match="unknown dataset"):
        DuplicateShareConfig(datasets={"raw_flight": 0.1})


# --- rule_counts ---------------------------------------------------------------------------------------


def test_rule_counts_error_wins_over_warn_and_counts_kept_rows_too() -> None:
    config = RuleCountsConfig(
        thresholds={
            "raw_weather": {
                "wind_speed_range": Limits(warn_if=1, error_if=8),
                "origin_in_airports": Limits(warn_if=4),
                "temp_range": Limits(warn_if=5),
            }
        }
    )
    found = check("rule_counts", summary(), config)
    assert [(f.severity, f.value, f.threshold) for f in found] == [("warn", 4, 4), ("error", 8, 8)]
    assert found[1].message == (
        "raw_weather: 8 row(s) fail wind_speed_range >= "
        "quality.rule_counts.thresholds.raw_weather.wind_speed_range.error_if 8"
    )


@pytest.mark.parametrize(
    ("thresholds", "message"),
    [
        ({"raw_wether": {}}, r"unknown dataset\(s\) raw_wether"),
        (
            {"raw_weather": {"wind": Limits(warn_if=1)}},
            r"raw_weather: unknown rule\(s\) wind; rules: .*wind_speed_range",
        ),
    ],
)
def test_rule_counts_refuses_unknown_datasets_and_rules(thresholds: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RuleCountsConfig(thresholds=thresholds)


def test_rule_counts_knows_implicit_rules() -> None:
    config = RuleCountsConfig(
        thresholds={"raw_flights": {"duplicate_key": Limits(error_if=1), "carrier_not_null": Limits(error_if=1)}}
    )
    flights = summary(dataset="raw_flights", errors={"duplicate_key": 2})
    assert [f.check for f in check("rule_counts", flights, config)] == ["rule_counts"]


def test_rule_counts_share_limits_scale_with_the_rows_in() -> None:
    config = RuleCountsConfig(
        thresholds={"raw_weather": {"wind_speed_range": Limits(warn_share=0.005, error_share=0.02)}}
    )
    found = check("rule_counts", summary(), config)  # 8 of 1,000 = 0.8%
    assert [(f.severity, f.value, f.threshold) for f in found] == [("warn", 8, 0.005)]
    assert found[0].message == (
        "raw_weather: 8 of 1,000 rows (0.80%) fail wind_speed_range > "
        "quality.rule_counts.thresholds.raw_weather.wind_speed_range.warn_share 0.50%"
    )
    smaller = summary(rows_in=300, rows_valid=290)  # 8 of 300 = 2.7%: the same count now errs
    assert [f.severity for f in check("rule_counts", smaller, config)] == ["error"]
    assert check("rule_counts", summary(rows_in=10_000, rows_valid=9_990), config) == []


def test_rule_counts_an_error_by_share_wins_over_a_warning_by_count() -> None:
    limits = Limits(warn_if=1, error_share=0.005)
    found = check("rule_counts", summary(), RuleCountsConfig(thresholds={"raw_weather": {"wind_speed_range": limits}}))
    assert [(f.severity, f.threshold) for f in found] == [("error", 0.005)]


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({}, "set warn_if, error_if, warn_share or error_share"),
        ({"warn_share": 0.5, "error_share": 0.1}, "warn_share 0.5 must not exceed error_share 0.1"),
        ({"error_share": 1.5}, "less than or equal to 1"),
    ],
)
def test_rule_counts_limits_refuse_what_could_never_apply(limits: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Limits(**limits)


# --- coverage ------------------------------------------------------------------------------------------


def covered(by_origin: dict[str, tuple[int, float]]) -> Coverage:
    """Coverage from origin -> (flights, share known)."""
    rows = sum(n for n, _ in by_origin.values())
    share = sum(n * s for n, s in by_origin.values()) / rows
    return Coverage(
        share=share,
        rows=rows,
        by_origin={o: s for o, (_, s) in by_origin.items()},
        rows_by_origin={o: n for o, (n, _) in by_origin.items()},
    )


def test_coverage_is_measured_per_known_column_overall_and_per_origin() -> None:
    table = pd.DataFrame(
        {
            "origin": ["EWR", "EWR", "JFK", "JFK", "JFK", "LGA"],
            "weather__known": [1.0, 1.0, 0.0, 0.0, 1.0, 1.0],
            "aircraft__known": [1.0] * 6,
            "weather__temp": [1.0] * 6,
        }
    )
    found = coverage(table)
    assert sorted(found) == ["aircraft", "weather"]
    assert found["weather"] == Coverage(
        share=0.666667,
        rows=6,
        by_origin={"EWR": 1.0, "JFK": 0.333333, "LGA": 1.0},
        rows_by_origin={"EWR": 2, "JFK": 3, "LGA": 1},
    )
    assert found["aircraft"].share == 1.0
    assert coverage(table.iloc[:0])["weather"] == Coverage(share=1.0, rows=0)
    assert coverage(table[["origin", "weather__temp"]]) == {}


def test_coverage_fails_a_join_missing_at_one_origin_though_the_overall_share_passes() -> None:
    weather = covered({"EWR": (1000, 0.99), "JFK": (1000, 0.99), "LGA": (1000, 0.0)})  # 66% overall
    found = check("coverage", summary(dataset="features", coverage={"weather": weather}), CoverageConfig())
    assert [(f.severity, f.value, f.threshold) for f in found] == [("error", 0.0, 0.5)]
    assert found[0].message == (
        "features: weather data found for too few flights: at LGA 0.0% < quality.coverage.min_share 50.0% "
        "(overall 66.0%); is the weather table complete, with the same key spelling? (`weather__known`)"
    )
    nowhere = covered({"EWR": (1000, 0.99), "JFK": (1000, 0.0), "LGA": (1000, 0.0)})
    found = check("coverage", summary(dataset="features", coverage={"weather": nowhere}), CoverageConfig())
    assert found[0].message.startswith(
        "features: weather data found for too few flights: at JFK 0.0%, at LGA 0.0%, overall 33.0% < "
        "quality.coverage.min_share 50.0%; is"
    )


def test_coverage_warns_between_the_limits_and_is_quiet_above_them() -> None:
    aircraft = covered({"EWR": (1000, 0.96), "JFK": (1000, 0.86), "LGA": (1000, 0.65)})
    found = check("coverage", summary(dataset="features", coverage={"aircraft": aircraft}), CoverageConfig())
    assert [(f.severity, f.value, f.threshold) for f in found] == [("warn", 0.65, 0.7)]
    assert "at LGA 65.0% < quality.coverage.warn_share 70.0% (overall 82.3%); is the aircraft table" in found[0].message
    quiet = CoverageConfig(warn_share=0.6, min_share=0.5)
    assert check("coverage", summary(dataset="features", coverage={"aircraft": aircraft}), quiet) == []
    assert check("coverage", summary(), CoverageConfig()) == []  # a dataset without joins


def test_coverage_judges_small_origins_only_within_the_overall_share_and_groups_have_own_limits() -> None:
    weather = covered({"EWR": (5000, 1.0), "SMALL": (20, 0.0)})
    assert check("coverage", summary(dataset="features", coverage={"weather": weather}), CoverageConfig()) == []
    strict = CoverageConfig(min_origin_rows=10)
    assert [
        f.severity for f in check("coverage", summary(dataset="features", coverage={"weather": weather}), strict)
    ] == ["error"]
    aircraft = covered({"EWR": (1000, 0.0)})
    lenient = CoverageConfig(groups={"aircraft": 0.0})  # in place of both limits: no warning either
    assert check("coverage", summary(dataset="features", coverage={"aircraft": aircraft}), lenient) == []
    own = check(
        "coverage",
        summary(dataset="features", coverage={"weather": weather}),
        CoverageConfig(groups={"weather": 0.999}),
    )
    assert [(f.severity, f.threshold) for f in own] == [("error", 0.999)]
    assert "overall 99.6% < quality.coverage.groups.weather 99.9%" in own[0].message


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"groups": {"wether": 0.5}}, r"unknown feature group\(s\) wether; groups: .*weather"),
        ({"min_share": 0.8, "warn_share": 0.7}, "min_share 0.8 must not exceed warn_share 0.7"),
        ({"groups": {"weather": 2.0}}, "groups.weather\n  Input should be less than or equal to 1"),
    ],
)
def test_coverage_config_refuses_unknown_groups_and_crossed_limits(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CoverageConfig(**config)


# --- drift ---------------------------------------------------------------------------------------------


def test_drift_warns_per_feature_above_the_limit_worst_first() -> None:
    drifted = summary(dataset="features", drift={"a": 0.05, "b": 0.3, "c": 0.9}, drift_reference="ref.json")
    found = check("drift", drifted, DriftConfig(warn_psi=0.2))
    assert [(f.severity, f.value) for f in found] == [("warn", 0.9), ("warn", 0.3)]
    assert found[0].message == "features: c drifted: PSI 0.900 > quality.drift.warn_psi 0.2 (vs ref.json)"
    errors = check("drift", drifted, DriftConfig(warn_psi=0.2, error_psi=0.5))
    assert [f.severity for f in errors] == ["error", "warn"]


def test_drift_without_measurements_finds_nothing() -> None:
    assert check("drift", summary(), DriftConfig()) == []


def _numbers(seed: int, shift: float = 0.0, n: int = 5000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x": rng.normal(shift, 1.0, n),
            "k": rng.choice(["a", "b", "c"], n, p=[0.6, 0.3, 0.1]),
        }
    )


def test_profile_has_decile_bins_shares_that_sum_to_one_and_a_missing_share() -> None:
    frame = _numbers(0)
    frame.loc[:99, "x"] = np.nan
    frame.loc[:49, "k"] = None
    p = drift.profile(frame, ["x"], ["k"])
    assert p["rows"] == 5000
    x, k = p["features"]["x"], p["features"]["k"]
    assert len(x["edges"]) == 9
    assert len(x["shares"]) == 11  # 10 bins and missing
    assert x["shares"][-1] == pytest.approx(0.02)
    assert sum(x["shares"]) == pytest.approx(1.0)
    assert k["categories"] == ["a", "b", "c"]
    assert sum(k["shares"]) == pytest.approx(1.0)
    assert k["shares"][-1] == pytest.approx(0.01)


def test_psi_is_zero_against_itself_small_for_noise_and_large_for_a_shift() -> None:
    reference = drift.profile(_numbers(0), ["x"], ["k"])
    assert drift.psi(reference, _numbers(0)) == {"k": 0.0, "x": 0.0}
    noise = drift.psi(reference, _numbers(1))
    assert noise["x"] < 0.02
    assert noise["k"] < 0.02
    shifted = drift.psi(reference, _numbers(1, shift=1.0))
    assert shifted["x"] > 0.25


def test_psi_of_a_categorical_shift_and_of_absent_features() -> None:
    reference = drift.profile(_numbers(0), ["x"], ["k"])
    flipped = _numbers(0).assign(k=lambda f: f["k"].map({"a": "c", "c": "a", "b": "b"}))
    assert drift.psi(reference, flipped)["k"] > 0.5
    assert drift.psi(reference, flipped.drop(columns=["x"])).keys() == {"k"}


def test_profile_of_discrete_and_empty_columns() -> None:
    frame = pd.DataFrame({"weekend": [0.0] * 70 + [1.0] * 30, "empty": [np.nan] * 100})
    p = drift.profile(frame, ["weekend", "empty"], [])
    assert p["features"]["weekend"]["edges"] == [0.0, 1.0]  # decile edges collapse to the distinct values
    assert p["features"]["empty"] == {"kind": "numeric", "edges": [], "shares": [0.0, 1.0]}
    assert drift.psi(p, frame) == {"empty": 0.0, "weekend": 0.0}


REFERENCE_BROKEN = [
    ("[1, 2]", "expected a features profile (a JSON object: rows, bins, features), got [1, 2]"),
    ("{}", "not a features profile: rows: required key is missing; bins: required key is missing; features:"),
    (
        '{"rows": 5, "bins": 10, "features": {}}',
        "not a features profile: features: Dictionary should have at least 1 item",
    ),
    (
        '{"rows": 5, "bins": 10, "features": {"x": {"kind": "numeric", "edges": [1.0], "shares": [1.0]}}}',
        "not a features profile: features.x.numeric: 1 shares for 1 edges; expected 3",
    ),
    (
        '{"rows": 5, "bins": 10, "features": {"k": {"kind": "categorical", "categories": ["a"], "shares": [2, 0, 0]}}}',
        "not a features profile: features.k.categorical.shares.0 = 2: Input should be less than or equal to 1",
    ),
    ("# not JSON", "not valid JSON (line 1, column 1: Expecting value)"),
]


@pytest.mark.parametrize(("text", "problem"), REFERENCE_BROKEN)
def test_a_broken_profile_file_is_one_error_naming_it(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "features.profile.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as err:
        drift.read_profile(path)
    assert str(err.value).startswith(f"{path}: {problem}")


@pytest.mark.parametrize(("text", "problem"), REFERENCE_BROKEN[:-1])
def test_psi_against_a_broken_reference_stops_naming_the_reference_instead_of_skipping_drift(
    text: str, problem: str
) -> None:
    with pytest.raises(DataError) as err:
        drift.psi(json.loads(text), _numbers(0))  # as the features stage passes it: parsed, not yet checked
    assert str(err.value).startswith(f"{drift.REFERENCE}: {problem}")


def test_the_committed_reference_and_a_fresh_profile_are_valid(tmp_path: Path) -> None:
    assert drift.read_profile(Path(__file__).parents[2] / drift.REFERENCE).features
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(drift.profile(_numbers(0), ["x"], ["k"])), encoding="utf-8")
    assert drift.read_profile(path).rows == 5000


# --- running the checks and reporting ------------------------------------------------------------------


def test_run_checks_collects_findings_in_check_order() -> None:
    params = QualityParams(checks=["quarantine_share", "min_rows"]).model_copy(
        update={"configs": {"quarantine_share": QuarantineShareConfig(max_share=0.001)}}
    )
    judged = quality.run_checks(summary(rows_valid=0, rows_quarantined=1000, errors={"temp_range": 1000}), params)
    assert [(f.check, f.severity) for f in judged.findings] == [("quarantine_share", "error"), ("min_rows", "error")]
    failure = quality.gate_failure(judged)
    assert failure is not None
    assert failure.startswith("quality gate tripped: raw_weather: 1,000 of 1,000 rows quarantined")
    assert failure.endswith("(limits: params.yaml `quality`)")
    assert "\n" not in failure
    assert quality.gate_failure(summary()) is None


def test_metrics_are_flat_numbers_per_dataset() -> None:
    q = summary(
        findings=(Finding(check="x", dataset="raw_weather", severity="warn", message="m", value=1, threshold=0),),
        drift={"a": 0.1, "b": 0.4},
    )
    entry = quality.metrics([q])["raw_weather"]
    assert entry == {
        "rows_in": 1000,
        "rows_valid": 990,
        "rows_quarantined": 10,
        "duplicates_removed": 0,
        "quarantine_share": 0.01,
        "gate_warnings": 1,
        "gate_errors": 0,
        "quarantined_by_rule": {"temp_range": 3, "wind_speed_range": 8},
        "kept_with_warning_by_rule": {"origin_in_airports": 4},
        "drift_psi_max": 0.4,
        "drift_psi": {"a": 0.1, "b": 0.4},
    }
    joined = summary(coverage={"weather": covered({"EWR": (10, 1.0), "JFK": (10, 0.5)})})
    assert quality.metrics([joined])["raw_weather"]["coverage"] == {"weather": 0.75}
    assert quality.metrics([joined])["raw_weather"]["coverage_lowest_origin"] == {"weather": 0.5}


def test_markdown_page_reconciles_and_shows_decisions_of_the_contract() -> None:
    text = quality.markdown(summary(examples={"origin_in_airports": ["row_id 3: 'XXX'"]}))
    assert text.startswith("# Data quality: `raw_weather` (contract v1.0.0, stage `validate`)")
    assert "**Verdict: ok.** 1,000 rows in = 990 valid + 10 quarantined + 0 exact duplicates removed." in text
    assert "## Quarantined (rows in `data/quarantine/raw_weather.parquet`)" in text
    assert "row_id 3: 'XXX'" in text
    assert "1,048 mph wind" in text  # a decision recorded in the raw_weather contract
    broken = quality.markdown(summary(rows_valid=5))
    assert "(DOES NOT RECONCILE)" in broken
    assert "Join coverage" not in text


def test_markdown_page_shows_join_coverage_lowest_origin_first() -> None:
    many = {f"A{i:02d}": (10, 1.0 - i / 100) for i in range(12)}
    text = quality.markdown(
        summary(coverage={"weather": covered({"EWR": (30, 1.0), "JFK": (10, 0.5)}), "w2": covered(many)})
    )
    assert "## Join coverage (share of rows each join found: `<group>__known`)" in text
    weather = next(line for line in text.splitlines() if line.startswith("| weather "))
    assert [cell.strip() for cell in weather.strip("|").split("|")] == [
        "weather",
        "87.5% of 40",
        "JFK 50.0% (10), EWR 100.0% (30)",
    ]
    assert "A11 89.0% (10), A10 90.0% (10)" in text
    assert ", +2 more |" in text


def test_read_summaries_in_pipeline_order_skipping_files_without_one(tmp_path: Path) -> None:
    frame = pd.DataFrame({"row_id": pd.Series([], dtype="int64")})
    io.write_parquet(
        frame, tmp_path / "features.parquet", metadata={"quality": summary(dataset="features").model_dump()}
    )
    io.write_parquet(frame, tmp_path / "raw_weather.parquet", metadata={"quality": summary().model_dump()})
    for name in ("raw_airports", "raw_flights"):  # both have older versions further down the list of contracts
        io.write_parquet(frame, tmp_path / f"{name}.parquet", metadata={"quality": summary(dataset=name).model_dump()})
    io.write_parquet(frame, tmp_path / "stray.parquet")
    assert [q.dataset for q in quality.read_summaries(io.dataset_files(tmp_path))] == [
        "raw_flights",
        "raw_weather",
        "raw_airports",
        "features",
    ]
