"""Contracts, quarantine, gates, drift and migrations under the real `dvc` CLI, on the files fixture."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd

from pipelab.contracts import VALIDATED, conform
from pipelab.contracts.clean import CLEAN_FLIGHTS_V1
from pipelab.core import io
from tests.integration import (
    FIXTURE,
    RUNNING,
    describe,
    dvc,
    leftovers,
    md5_tree,
    output,
    run,
    set_params,
    stages_matching,
)
from tests.integration.conftest import Baseline

REPORTED = ("rows_in", "rows_valid", "rows_quarantined", "duplicates_removed", "quarantine_share")


def error_line(proc: subprocess.CompletedProcess[str], stage: str) -> str:
    """The one error line `stage` printed."""
    lines = [line for line in output(proc).splitlines() if line.startswith(f"error: {stage}:")]
    assert len(lines) == 1, describe(proc)
    return lines[0]


def test_every_boundary_reports_counts_that_reconcile(baseline: Baseline) -> None:
    metrics = json.loads((baseline.path / "metrics/quality.json").read_text(encoding="utf-8"))
    assert sorted(metrics) == sorted(VALIDATED)
    for dataset, entry in metrics.items():
        assert set(REPORTED) <= set(entry), dataset
        assert entry["rows_in"] == entry["rows_valid"] + entry["rows_quarantined"] + entry["duplicates_removed"]
        assert (baseline.path / "reports/quality" / f"{dataset}.md").is_file(), dataset
    assert metrics["raw_weather"]["quarantined_by_rule"] == {"wind_speed_range": 1}  # the 1,048 mph wind
    quarantine = io.read_parquet(baseline.path / "data/quarantine/raw_weather.parquet")
    assert quarantine[["check", "column", "contract", "contract_version", "stage"]].to_dict("records") == [
        {
            "check": "wind_speed_range",
            "column": "wind_speed",
            "contract": "raw_weather",
            "contract_version": "1.0.0",
            "stage": "validate",
        }
    ]
    summary = (baseline.path / "reports/summary.md").read_text(encoding="utf-8")
    assert "[raw_weather](quality/raw_weather.md)" in summary


def test_drift_is_measured_against_the_reference_profile(baseline: Baseline) -> None:
    features = json.loads((baseline.path / "metrics/quality.json").read_text(encoding="utf-8"))["features"]
    manifest = json.loads((baseline.path / "data/features/manifest.json").read_text(encoding="utf-8"))
    assert set(features["drift_psi"]) == set(manifest["numeric"]) | set(manifest["categorical"])
    assert features["drift_psi_max"] == max(features["drift_psi"].values())
    assert features["drift_psi_max"] > 0  # the fixture is a slice, not the full year the reference profiles


def test_a_tripped_gate_stops_the_stage_and_nothing_downstream_runs(work_repo: Path) -> None:
    before = md5_tree(work_repo, "data/validated")
    clean = md5_tree(work_repo, "data/clean")
    proc = dvc(work_repo, "exp", "run", "-S", "quality.quarantine_share.max_share=0", check=False)
    assert proc.returncode != 0, describe(proc)
    line = error_line(proc, "validate")
    assert line.startswith("error: validate: quality gate tripped: raw_weather: 1 of 1,720 rows quarantined")
    assert "quality.quarantine_share.max_share 0.000% (wind_speed_range 1)" in line
    assert "Traceback" not in output(proc)
    assert stages_matching(RUNNING, proc) == {"validate"}, describe(proc)
    assert md5_tree(work_repo, "data/validated") == {}  # DVC removed it before the run; nothing new was written
    assert md5_tree(work_repo, "data/clean") == clean
    assert not leftovers(work_repo)
    dvc(work_repo, "checkout", "--force")
    assert md5_tree(work_repo, "data/validated") == before


def test_drift_can_be_made_a_gate(work_repo: Path, baseline: Baseline) -> None:
    metrics = json.loads((baseline.path / "metrics/quality.json").read_text(encoding="utf-8"))["features"]
    worst = max(metrics["drift_psi"], key=metrics["drift_psi"].get)
    limit = metrics["drift_psi_max"] / 2
    proc = dvc(work_repo, "exp", "run", "-S", f"quality.drift.error_psi={limit}", check=False)
    assert proc.returncode != 0, describe(proc)
    line = error_line(proc, "features")
    assert f"features: {worst} drifted: PSI" in line
    assert f"> quality.drift.error_psi {limit}" in line


def test_a_header_only_input_trips_min_rows_instead_of_training_on_nothing(work_repo: Path) -> None:
    shutil.copytree(work_repo / FIXTURE, work_repo / "user_data")
    flights = work_repo / "user_data/flights.csv"
    flights.write_text(flights.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    set_params(work_repo, data={"path": "user_data"})
    proc = dvc(work_repo, "repro", check=False)
    assert proc.returncode != 0, describe(proc)
    line = error_line(proc, "validate")
    assert line == (
        "error: validate: quality gate tripped: raw_flights: 0 valid row(s) of 0 < quality.min_rows.min_rows 1; "
        "nothing usable would reach the next stage (limits: params.yaml `quality`)"
    )
    assert stages_matching(RUNNING, proc) == {"ingest", "validate"}, describe(proc)


def test_bad_rows_in_user_data_are_quarantined_with_reasons(work_repo: Path) -> None:
    shutil.copytree(work_repo / FIXTURE, work_repo / "user_data")
    flights = pd.read_csv(work_repo / "user_data/flights.csv", dtype=str, keep_default_na=False)
    flights.loc[0, "month"] = "13"  # out of range
    flights.loc[1, "distance"] = "NA"  # missing where required
    flights = pd.concat([flights, flights.iloc[[5]]])  # an exact duplicate
    flights.to_csv(work_repo / "user_data/flights.csv", index=False)
    set_params(work_repo, data={"path": "user_data"})
    proc = dvc(work_repo, "repro")
    duplicate = "raw_flights: 1 of 2,796 rows were exact duplicates, removed (0.036%) > quality.duplicate_share"
    assert f"WARNING validate: duplicate_share: {duplicate}.warn_share 0.000%" in output(proc), describe(proc)
    raw = json.loads((work_repo / "metrics/quality.json").read_text(encoding="utf-8"))["raw_flights"]
    assert raw["rows_in"] == 2796
    assert (raw["rows_quarantined"], raw["duplicates_removed"]) == (2, 1)
    assert raw["quarantined_by_rule"] == {"distance_not_null": 1, "month_range": 1}
    quarantine = io.read_parquet(work_repo / "data/quarantine/raw_flights.parquet")
    assert sorted(zip(quarantine["row_id"], quarantine["check"], strict=True)) == [
        (0, "month_range"),
        (1, "distance_not_null"),
    ]


def test_clean_data_written_under_v1_is_migrated_on_read_and_gives_the_same_features(work_repo: Path) -> None:
    """Schema evolution end to end: features reads clean_flights v1 through the 1.0.0 -> 2.0.0 migration."""
    features = md5_tree(work_repo, "data/features/table")
    clean = work_repo / "data/clean/flights"
    v2 = io.read_parquet(clean)
    v1 = conform(
        v2.astype({c: "float64" for c in ("dep_delay", "arr_delay", "air_time")}).drop(
            columns=["sched_arr_local", "origin_tzone", "dest_tzone", "time_hour"]
        ),
        CLEAN_FLIGHTS_V1,
        "v1",
    )
    shutil.rmtree(clean)
    io.write_partitioned(v1, clean, "month", CLEAN_FLIGHTS_V1.tag)
    proc = run(["python", "stages/features.py"], work_repo)
    assert "migrated clean_flights 1.0.0 -> 2.0.0" in output(proc), describe(proc)
    assert md5_tree(work_repo, "data/features/table") == features
    record = json.loads((work_repo / "data/features.provenance.json").read_text(encoding="utf-8"))
    assert [(m["dataset"], m["from"], m["to"]) for m in record["migrations"]] == [
        ("data/clean/flights", "1.0.0", "2.0.0"),
        ("data/clean/flights", "2.0.0", "2.1.0"),
    ]
