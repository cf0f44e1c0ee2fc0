"""experiments/compare.py and render.py: the report's data and its Markdown, from hand-made snapshots."""

from __future__ import annotations

import dataclasses
import json
import shlex
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from pipelab.core.io import dumps_json
from pipelab.core.params import load_yaml
from pipelab.experiments import runs
from pipelab.experiments.compare import (
    CompareError,
    Replication,
    build_report,
    flatten,
    lookup,
    param_changes,
    set_param,
)
from pipelab.experiments.gates import Gate, Gates
from pipelab.experiments.predictions import prediction_diff
from pipelab.experiments.render import fmt, markdown, remove_stale_plots, write_plots
from pipelab.experiments.revisions import Intent, RevisionError, open_sides, stale_stages
from pipelab.experiments.seeds import parse_change, with_change
from pipelab.experiments.snapshot import SCORES, Curve, Snapshot, read_snapshot, source_hashes
from tests.integration import commit_all, init_dvc_repo

GATES = Gates(
    metrics={
        "roc_auc": Gate(direction="higher", abs_tol=0.002, gate=True),
        "brier": Gate(direction="lower", abs_tol=0.001, gate=True),
        "accuracy": Gate(direction="higher", abs_tol=0.002),
    },
    telemetry={"wall_seconds": Gate(direction="lower", abs_tol=1.0, rel_tol=0.5)},
)


def snap(label: str, scores: dict[str, Any], **fields: Any) -> Snapshot:
    intent = Intent(label, "commit", f"{label:0<40}"[:40], None, f"{label}: what changed")
    return Snapshot(intent=intent, params=fields.pop("params", {}), scores=scores, **fields)


def predictions(rows: list[tuple[int, str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["row_id", "carrier", "p_late"])
    frame["predicted_late"] = (frame["p_late"] >= 0.5).astype("int8")
    frame["late"] = 0
    return frame


def report_of(base: Snapshot, target: Snapshot) -> dict[str, Any]:
    """The report as `--json` prints it."""
    data: dict[str, Any] = json.loads(dumps_json(build_report(base, target, GATES, "gates.yaml").to_json()))
    return data


# --- metrics and gates ---------------------------------------------------------------------


def test_a_gated_metric_worse_beyond_tolerance_fails_and_others_get_verdicts() -> None:
    base = snap("main", {"roc_auc": 0.70, "brier": 0.20, "accuracy": 0.80, "n_test": 100})
    target = snap("exp", {"roc_auc": 0.65, "brier": 0.1995, "accuracy": 0.81, "n_test": 100})
    report = report_of(base, target)
    assert not report["passed"]
    metrics = {m["key"]: m for m in report["metrics"]}
    assert [m["key"] for m in report["metrics"]] == ["roc_auc", "brier", "accuracy", "n_test"]
    assert metrics["roc_auc"]["verdict"] == "worse"
    assert metrics["roc_auc"]["failed"] is True
    assert metrics["roc_auc"]["delta"] == pytest.approx(-0.05)
    assert metrics["roc_auc"]["relative"] == pytest.approx(-0.05 / 0.70)
    assert metrics["brier"]["verdict"] == "unchanged"  # 0.0005 is within 0.001
    assert metrics["accuracy"]["verdict"] == "better"
    assert metrics["n_test"]["verdict"] == "unchanged"
    assert metrics["n_test"]["gated"] is False
    assert [f["key"] for f in report["failing"]] == ["roc_auc"]


def test_a_gated_metric_missing_on_the_target_fails_a_new_one_does_not() -> None:
    base = snap("main", {"roc_auc": 0.70, "brier": 0.20})
    target = snap("exp", {"roc_auc": 0.70, "f2": 0.3})
    report = report_of(base, target)
    verdicts = {m["key"]: (m["verdict"], m["failed"]) for m in report["metrics"]}
    assert verdicts == {"roc_auc": ("unchanged", False), "brier": ("removed", True), "f2": ("new", False)}
    assert [f["key"] for f in report["failing"]] == ["brier"]


def test_a_gated_metric_on_neither_side_is_a_note() -> None:
    report = report_of(snap("main", {"roc_auc": 0.7}), snap("exp", {"roc_auc": 0.7}))
    assert report["passed"]
    assert "gates.yaml: metric 'brier' is in neither side's metrics/scores.json" in report["notes"]


@pytest.mark.parametrize("value", ["0.7", None, True, [0.7], float("nan")])
def test_a_metric_that_is_not_a_number_is_refused_naming_side_and_key(value: Any) -> None:
    with pytest.raises(CompareError) as err:
        build_report(snap("main", {"roc_auc": 0.7}), snap("exp", {"roc_auc": value}), GATES, "g")
    assert str(err.value) == f"metrics/scores.json at exp: roc_auc = {value!r} is not a number"


def test_telemetry_worse_beyond_tolerance_is_flagged_not_gated() -> None:
    telemetry_base = {"train": {"wall_seconds": 10.0}, "evaluate": {"wall_seconds": 2.0}}
    telemetry_target = {"train": {"wall_seconds": 16.0}, "evaluate": {"wall_seconds": 2.9}}
    base = snap("main", {"roc_auc": 0.7}, telemetry=telemetry_base)
    target = snap("exp", {"roc_auc": 0.7}, telemetry=telemetry_target)
    report = report_of(base, target)
    assert report["passed"]
    rows = {(t["group"], t["key"]): t["verdict"] for t in report["telemetry"]}
    assert rows == {("train", "wall_seconds"): "worse", ("evaluate", "wall_seconds"): "unchanged"}
    text = markdown(build_report(base, target, GATES, "g"))
    assert "| train | 10 → 16 (+60%) ⚠️ |" in text


# --- close calls --------------------------------------------------------------------------

HGB = {"seed": 2013, "model": {"name": "hgb", "hgb": {"learning_rate": 0.05}}, "features": {"groups": ["calendar"]}}
CODE = {"src/pipelab/training.py": "aaa", "data/external": "bbb.dir"}


def test_gated_changes_near_their_tolerance_are_close_calls_with_a_seeds_command() -> None:
    # roc_auc tolerance 0.002: a change of 0.003 is within 2x (better, one seed could flip it);
    # brier tolerance 0.001: 0.0004 is under half of it (clearly unchanged); accuracy is not gated.
    params = {**HGB, "model": {"name": "hgb", "hgb": {"learning_rate": 0.1}}, "features": {"groups": ["a", "b c"]}}
    base = snap("main", {"roc_auc": 0.700, "brier": 0.2000, "accuracy": 0.7}, params=HGB, sources=CODE)
    target = snap("exp", {"roc_auc": 0.703, "brier": 0.2004, "accuracy": 0.703}, params=params, sources=CODE)
    report = build_report(base, target, GATES, "g")
    assert [c.key for c in report.close_calls] == ["roc_auc"]
    command = "pipelab seeds -S 'features.groups=[a, b c]' -S model.hgb.learning_rate=0.1"
    assert report.replication.command == command
    text = markdown(report)
    assert "## Close calls\n\n`roc_auc` +0.003 against a tolerance of 0.002: within 2× of the tolerance" in text
    assert f"Judge the means over seeds, from a clean checkout of `main` (main000):\n\n    {command}\n" in text
    assert "Code and source data the stages read (`dvc.lock` deps no stage writes): the same on both sides." in text
    assert report_of(base, target)["replication"] == {
        "command": command,
        "note": "from a clean checkout of `main` (main000)",
    }


def test_the_seeds_command_against_the_workspace_says_to_commit_it_first() -> None:
    # `pipelab compare workspace main` after `dvc exp apply`: a clean checkout of HEAD has main's params, and
    # `pipelab seeds` would refuse the change ("the same params as HEAD's"); it must start from the workspace's.
    workspace = Intent("workspace", "workspace", "head000" + "0" * 33, None, "HEAD: x (with uncommitted changes)")
    params = {**HGB, "model": {"name": "hgb", "hgb": {"learning_rate": 0.1}}}
    base = dataclasses.replace(snap("workspace", {"roc_auc": 0.703}, params=params), intent=workspace)
    report = build_report(base, snap("main", {"roc_auc": 0.700}, params=HGB), GATES, "g")
    assert report.replication == Replication(
        "pipelab seeds -S model.hgb.learning_rate=0.05",
        "once the workspace is committed (`pipelab seeds` starts from HEAD, now head000)",
    )
    assert "clean checkout" not in markdown(report)


def test_the_seeds_command_replays_the_target_params_exactly() -> None:
    odd = {
        "model": {"name": "hgb", "hgb": {"learning_rate": 1e-5, "max_depth": None, "class_weight": "balanced"}},
        "split": {"cutoff": "2013-10-01", "label": "true"},
    }
    report = build_report(snap("main", {}, params=HGB), snap("exp", {}, params={**HGB, **odd}), GATES, "g")
    assert report.replication.command is not None
    change = parse_change([arg for arg in shlex.split(report.replication.command)[2:] if arg != "-S"])
    written = with_change(HGB, change)  # what `dvc exp run -S` writes into main's params.yaml
    assert {s.key: lookup(written, s.key)[1] for s in change} == {
        "model.hgb.learning_rate": 1e-5,
        "model.hgb.max_depth": None,
        "model.hgb.class_weight": "balanced",
        "split.cutoff": "2013-10-01",  # quoted, so YAML does not read a date
        "split.label": "true",  # nor a bool
    }
    # keys main's params.yaml lacks are added with `+`, as `dvc exp run -S` (and so `pipelab seeds`) requires
    assert {s.key for s in change if s.prefix == "+"} == {s.key for s in change} - {"model.hgb.learning_rate"}
    assert "-S model.hgb.learning_rate=1.0e-05 -S +model.hgb.max_depth=null" in report.replication.command


@pytest.mark.parametrize(
    "value",
    [
        "a,b",  # unquoted: a grid of two experiments to DVC
        "a, b",
        "hgb#2",  # unquoted: DVC cannot parse it
        "x=y",
        "it's",
        "true",  # unquoted: a boolean
        "données",
        "",
        1e-05,
        float("inf"),  # YAML's .inf is text to DVC
        None,
        ["a,b", "calendar"],
        {"BQN": "America/Puerto_Rico"},
    ],
)
def test_a_suggested_setting_reads_back_as_the_same_value_with_dvcs_parser(value: Any) -> None:
    from dvc.utils.hydra import to_hydra_overrides

    (override,) = to_hydra_overrides([set_param("data.path", value)])
    assert not override.is_sweep_override()
    assert override.value() == value


def test_the_seeds_command_quotes_text_dvc_would_read_as_a_grid() -> None:
    target = {**HGB, "data": {"path": "a,b"}}
    report = build_report(snap("main", {}, params=HGB), snap("exp", {}, params=target), GATES, "g")
    assert report.replication.command == "pipelab seeds -S \"+data.path='a,b'\""
    (setting,) = parse_change([arg for arg in shlex.split(report.replication.command)[2:] if arg != "-S"])
    assert with_change(HGB, [setting])["data"] == {"path": "a,b"}


@pytest.mark.parametrize(
    ("target_params", "target_sources", "reason"),
    [
        (
            HGB,
            {**CODE, "src/pipelab/training.py": "ccc"},
            "the sides ran different code or source data (`src/pipelab/training.py`)",
        ),
        ({**HGB, "seed": 1}, CODE, "no params other than the seed changed"),
        (
            {"seed": 2013, "model": HGB["model"]},
            CODE,
            "params removed on the target (features.groups) cannot be replayed",
        ),
    ],
)
def test_a_close_call_that_seeds_cannot_replay_says_why(
    target_params: dict[str, Any], target_sources: dict[str, str], reason: str
) -> None:
    base = snap("main", {"roc_auc": 0.700}, params=HGB, sources=CODE)
    target = snap("exp", {"roc_auc": 0.697}, params=target_params, sources=target_sources)
    report = build_report(base, target, GATES, "g")
    assert [c.key for c in report.close_calls] == ["roc_auc"]
    assert report.replication.command is None
    assert reason in report.replication.note
    text = markdown(report)
    assert f"Not replayable over seeds: {report.replication.note}." in text
    assert "pipelab seeds" not in text.replace("`pipelab seeds -S`", "")


def test_source_hashes_are_the_lock_deps_no_stage_writes() -> None:
    lock = {
        "ingest": {
            "deps": [{"path": "data/external", "md5": "e.dir"}, {"path": "src/a.py", "md5": "a"}],
            "outs": [{"path": "data/raw", "md5": "r.dir"}],
        },
        "train": {
            "deps": [
                {"path": "data/raw", "md5": "r.dir"},
                {"path": "s3://b/k", "etag": "x"},
                "junk",
                {"path": "data/raw/flights", "md5": "f.dir"},
                {"path": "data/rawer.csv", "md5": "c"},
            ],
            "outs": [{"path": "models/model.pkl", "md5": "m"}],
        },
    }  # data/raw/flights is inside ingest's output; data/rawer.csv is not
    hashes = source_hashes(lock)
    assert sorted(hashes) == ["data/external", "data/rawer.csv", "s3://b/k", "src/a.py"]
    assert hashes["src/a.py"] == "a"
    assert "x" in hashes["s3://b/k"]  # no md5: the entry itself identifies it


# --- params, data, predictions --------------------------------------------------------------


def test_params_diff_lists_only_what_changed_with_dotted_keys() -> None:
    base = {"seed": 1, "model": {"name": "hgb", "hgb": {"learning_rate": 0.1, "max_depth": None}}, "data": {"a": 1}}
    target = {"seed": 1, "model": {"name": "hgb", "hgb": {"learning_rate": 0.05, "max_depth": None, "new": 2}}}
    changes = [(c.key, c.base, c.target, c.status) for c in param_changes(base, target)]
    assert changes == [
        ("data.a", 1, None, "removed"),
        ("model.hgb.learning_rate", 0.1, 0.05, "changed"),
        ("model.hgb.new", None, 2, "added"),
    ]
    assert flatten({"features": {"groups": ["a", "b"], "empty": {}}}) == {
        "features.groups": ["a", "b"],
        "features.empty": {},
    }


def test_an_unquoted_date_param_dvc_reads_as_a_date_is_iso_text_in_the_json_report() -> None:
    base = snap("main", {}, params=load_yaml("split: {cutoff: 2013-10-01}"))
    target = snap("exp", {}, params=load_yaml("split: {cutoff: 2013-09-01}"))
    assert report_of(base, target)["params"] == [
        {"key": "split.cutoff", "base": "2013-10-01", "target": "2013-09-01", "status": "changed"}
    ]


def test_data_diff_reads_provenance_defensively_and_reports_rows_contracts_and_columns() -> None:
    base_records = {
        "data/raw.provenance.json": {
            "datasets": {
                "data/raw/flights": {"rows": 100, "columns": ["a", "b"], "contract": {"name": "f", "version": "1.0.0"}},
                "data/raw/weather": {"rows": 10, "columns": ["w"], "contract": {"name": "w", "version": "1.0.0"}},
            },
            "future_key": {"ignored": True},
        },
        "data/old.provenance.json": {"datasets": {"data/old": {"rows": 5}}},
        "data/odd.provenance.json": {"datasets": "not a mapping"},
    }
    target_records = {
        "data/raw.provenance.json": {
            "datasets": {
                "data/raw/flights": {"rows": 90, "columns": ["a", "c"], "contract": {"name": "f", "version": "1.1.0"}},
                "data/raw/weather": {"rows": 10, "columns": ["w"], "contract": {"name": "w", "version": "1.0.0"}},
                "data/raw/new": {"columns": ["n"]},
            }
        }
    }
    report = report_of(
        snap("main", {"roc_auc": 0.7}, provenance=base_records),
        snap("exp", {"roc_auc": 0.7}, provenance=target_records),
    )
    datasets = {d["path"]: d for d in report["datasets"]}
    assert set(datasets) == {"data/raw/flights", "data/raw/weather", "data/raw/new", "data/old"}
    flights = datasets["data/raw/flights"]
    assert (flights["base_rows"], flights["target_rows"]) == (100, 90)
    assert (flights["base_contract"], flights["target_contract"]) == ("f 1.0.0", "f 1.1.0")
    assert (flights["columns_added"], flights["columns_removed"]) == (["c"], ["b"])
    assert not datasets["data/raw/weather"]["changed"]
    assert datasets["data/old"]["target_rows"] is None
    assert datasets["data/raw/new"]["base_rows"] is None


def test_a_side_whose_records_are_not_in_the_cache_is_not_compared_rather_than_counted_as_changed() -> None:
    record = {"datasets": {"data/raw/flights": {"rows": 100}, "data/raw/weather": {"rows": 10}}}
    features = {"datasets": {"data/features/table": {"rows": 90}}}
    base = snap(
        "main",
        {"roc_auc": 0.7},
        provenance={"data/features.provenance.json": features},
        unavailable=["data/raw.provenance.json", "data/predictions.provenance.json"],
    )
    target = snap(
        "exp",
        {"roc_auc": 0.7},
        provenance={"data/raw.provenance.json": record, "data/features.provenance.json": features},
    )
    report = report_of(base, target)
    assert [d["path"] for d in report["datasets"]] == ["data/features/table"]  # the raw ones cannot be judged
    expected = (
        "Part of the data of `main` cannot be compared: 2 of its 3 provenance records are not in the local DVC cache "
        "(nor a reachable remote); get them with `dvc pull` in a checkout of main000 (or `dvc fetch --all-commits`), "
        "or `dvc repro` there"
    )
    assert report["data_unavailable"] == [expected]
    text = markdown(build_report(base, target, GATES, "g"))
    data = text[text.index("## Data") : text.index("## Predictions")]
    assert data == f"## Data\n\n{expected}.\n\n1 of 1 datasets unchanged (rows, contract version, columns).\n\n"
    assert "Not available (see the data section)." in text
    assert not any("provenance" in note for note in report["notes"])


def test_how_to_get_the_records_depends_on_the_kind_of_side() -> None:
    workspace = snap("workspace", {}, unavailable=["data/raw.provenance.json"])
    workspace.intent = dataclasses.replace(workspace.intent, kind="workspace")
    experiment = snap("exp", {}, unavailable=["data/raw.provenance.json"])
    experiment.intent = dataclasses.replace(experiment.intent, kind="experiment", name="exp-1")
    lines = report_of(workspace, experiment)["data_unavailable"]
    assert lines[0].startswith("The data of `workspace` cannot be compared: none of its 1 provenance records is in")
    assert lines[0].endswith("get them with `dvc pull`, or reproduce them with `dvc repro`")
    assert lines[1].endswith("get them with `dvc exp pull <git remote> exp-1`, or run the experiment again")


def test_quality_counts_and_failed_checks_are_compared_per_table() -> None:
    base_quality = {"weather": {"rows_in": 10, "rows_quarantined": 1, "quarantined_by_rule": {"wind:range": 1}}}
    target_quality = {
        "weather": {
            "rows_in": 10,
            "rows_quarantined": 3,
            "quarantined_by_rule": {"wind:range": 2, "t:na": 1},
            "kept_with_warning_by_rule": {"dst": 4},
            "future_by_key": {"x": 5},  # a mapping this version does not know: shown, but not as a failed check
        }
    }
    base = snap("main", {"roc_auc": 0.7}, quality=base_quality)
    target = snap("exp", {"roc_auc": 0.7}, quality=target_quality)
    rows = {(q["group"], q["key"]): (q["base"], q["target"]) for q in report_of(base, target)["quality"]}
    assert rows == {
        ("weather", "rows_in"): (10, 10),
        ("weather", "rows_quarantined"): (1, 3),
        ("weather", "quarantined_by_rule.wind:range"): (1, 2),
        ("weather", "quarantined_by_rule.t:na"): (None, 1),
        ("weather", "kept_with_warning_by_rule.dst"): (None, 4),
        ("weather", "future_by_key.x"): (None, 5),
    }
    text = markdown(build_report(base, target, GATES, "g"))
    assert "| weather | 10 | 1 → 3 |" in text
    assert table_rows(text, "| table | failed check |") == [
        "| weather | dst | kept, warned | — | 4 |",
        "| weather | t:na | quarantined | — | 1 |",
        "| weather | wind:range | quarantined | 1 | 2 |",
    ]
    assert table_rows(text, "| table | measure |") == ["| weather | future_by_key.x | — | 5 | — |"]


def table_rows(text: str, header: str) -> list[str]:
    """The body rows of the Markdown table whose header line starts with `header`."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    body = lines[start + 2 :]
    return body[: next((i for i, line in enumerate(body) if not line.startswith("|")), len(body))]


def test_drift_values_are_measurements_not_failed_checks() -> None:
    """metrics/quality.json's PSI per feature is drift, flagged above warn_psi; only rule failures are checks."""

    def quality(psi: dict[str, float], quarantined: int) -> dict[str, Any]:
        return {
            "features": {"rows_in": 10, "gate_warnings": int(psi["temp"] > 0.25), "drift_psi": psi},
            "raw_weather": {"rows_quarantined": quarantined, "quarantined_by_rule": {"wind_speed_range": quarantined}},
        }

    params = {"quality": {"drift": {"warn_psi": 0.25}}}
    base = snap("main", {"roc_auc": 0.7}, params=params, quality=quality({"age": 0.0, "seats": 0.0, "temp": 0.0}, 1))
    drifted = {"age": 0.000622, "seats": 0.22, "temp": 0.31}  # seats: above the default 0.2, not the 0.25 set
    target = snap("exp", {"roc_auc": 0.7}, params=params, quality=quality(drifted, 2))
    text = markdown(build_report(base, target, GATES, "g"))
    assert table_rows(text, "| table | failed check |") == ["| raw_weather | wind_speed_range | quarantined | 1 | 2 |"]
    assert "`quality.drift.warn_psi` 0.25" in text
    assert (
        "- `features`: 0 of 3 features above the limit on `main`, 1 on `exp`; largest change `temp` 0 → 0.31." in text
    )
    assert table_rows(text, "| table | feature |") == ["| features | temp | 0 | 0.31 ⚠️ | +0.31 |"]
    fewer = snap("fewer", {"roc_auc": 0.7}, params=params, quality=quality({"seats": 0.0, "temp": 0.4}, 1))
    text = markdown(build_report(base, fewer, GATES, "g"))  # a feature group switched off: each side its own count
    assert "- `features`: 0 of 3 features above the limit on `main`, 1 of 2 on `fewer`;" in text
    report = report_of(base, target)
    assert [(c["group"], c["key"]) for c in report["failed_checks"]] == [
        ("raw_weather", "quarantined_by_rule.wind_speed_range")
    ]
    assert report["drift"]["warn_psi"] == {"base": 0.25, "target": 0.25}
    assert [c["key"] for c in report["drift"]["drifted"]] == ["drift_psi.temp"]
    no_limit = build_report(snap("main", {}, quality=base.quality), snap("exp", {}, quality=target.quality), GATES, "g")
    assert no_limit.warn_psi == (0.2, 0.2)  # the drift check's default, for a revision without the param
    assert [c.key for c in no_limit.drifted] == ["drift_psi.seats", "drift_psi.temp"]


def test_prediction_diff_joins_on_row_id_and_counts_class_changes_per_carrier() -> None:
    base = predictions([(1, "AA", 0.2), (2, "AA", 0.6), (3, "UA", 0.4), (4, "UA", 0.1), (9, "UA", 0.3)])
    target = predictions([(4, "UA", 0.15), (3, "UA", 0.7), (2, "AA", 0.3), (1, "AA", 0.2), (7, "AA", 0.9)])
    diff = prediction_diff(base, target, top=2)
    assert (diff.compared, diff.only_base, diff.only_target) == (4, 1, 1)
    assert (diff.class_changed, diff.to_late, diff.to_on_time) == (2, 1, 1)
    assert diff.mean_abs_shift == pytest.approx((0 + 0.3 + 0.3 + 0.05) / 4)
    assert [row["row_id"] for row in diff.largest] == [2, 3]  # ties broken by row_id
    assert diff.largest[1]["shift"] == pytest.approx(0.3)
    carriers = {row["carrier"]: row for row in diff.by_carrier}
    assert carriers["AA"]["class_changed"] == 1
    assert carriers["UA"]["mean_shift"] == pytest.approx((0.3 + 0.05) / 2)
    json.dumps([diff.largest, diff.by_carrier])  # plain Python values


def test_predictions_without_a_required_column_are_a_note_not_a_crash() -> None:
    base = snap("main", {"roc_auc": 0.7}, predictions=predictions([(1, "AA", 0.2)]))
    target = snap("exp", {"roc_auc": 0.7}, predictions=predictions([(1, "AA", 0.2)]).drop(columns="predicted_late"))
    report = report_of(base, target)
    assert report["predictions"] is None
    assert "exp: predictions lack column(s) predicted_late; no prediction diff" in report["notes"]


def test_predictions_of_other_flights_under_one_row_id_are_a_note_not_a_diff() -> None:
    # row_id is a row's number in its source table: after a data refresh that dropped the first row, row 1
    # is another flight on each side, and a join on it would report the change between unrelated flights.
    base = predictions([(1, "AA", 0.9), (2, "UA", 0.1)])
    target = predictions([(1, "UA", 0.1), (2, "UA", 0.8)])  # row 2 is the same flight, with another probability
    report = report_of(snap("main", {}, predictions=base), snap("new", {}, predictions=target))
    assert report["predictions"] is None
    assert (
        "predictions: 1 of the 2 row_ids on both sides name other flights (carrier, route or date differ: the source "
        "data changed, and row_id is a row's number in it); no prediction diff"
    ) in report["notes"]
    same_flights = predictions([(1, "UA", 0.3), (2, "UA", 0.2)])
    assert report_of(snap("new", {}, predictions=target), snap("exp", {}, predictions=same_flights))["predictions"]


def test_a_row_id_twice_on_both_sides_is_a_note_not_a_product_of_pairs() -> None:
    twice = predictions([(1, "AA", 0.9), (1, "AA", 0.8), (2, "UA", 0.1)])
    report = report_of(snap("main", {}, predictions=twice), snap("new", {}, predictions=twice))
    assert report["predictions"] is None
    assert "predictions: row_id is not unique on one side; no prediction diff" in report["notes"]


# --- Markdown and plots ----------------------------------------------------------------------


def test_markdown_lists_failing_gates_first_then_intent_params_and_metrics() -> None:
    base = snap("main", {"roc_auc": 0.70, "brier": 0.20}, params={"model": {"hgb": {"max_iter": 200}}})
    target = snap("exp", {"roc_auc": 0.60, "brier": 0.25}, params={"model": {"hgb": {"max_iter": 1}}})
    text = markdown(build_report(base, target, GATES, "metrics/gates.yaml at main"))
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings[:4] == [
        "## ❌ Failing gates",
        "## Intent",
        "## Params (changed only)",
        "## Metrics (`metrics/scores.json`)",
    ]
    assert "❌ **2 gate(s) failed** (gates: `metrics/gates.yaml at main`)." in text
    assert "| roc_auc | 0.7 | 0.6 | -0.1 (-14.3%) | 0.002 | worse |" in text
    assert "| model.hgb.max_iter | 200 | 1 |" in text
    assert "| target | `exp` | commit | exp0000 | exp: what changed |" in text


def test_markdown_of_an_unchanged_comparison_passes() -> None:
    same = snap("main", {"roc_auc": 0.7})
    text = markdown(build_report(same, same, GATES, "g"))
    assert "✅ **No gated measure regressed**" in text
    assert "Failing gates" not in text
    assert "No params changed." in text
    assert "| roc_auc | 0.7 | 0.7 | 0 | unchanged (gated) |" in text


def test_each_plot_is_shown_as_its_svg_with_one_link_to_its_png() -> None:
    same = snap("main", {"roc_auc": 0.7})
    report = dataclasses.replace(build_report(same, same, GATES, "g"), plots=["roc.svg", "roc.png", "pr.svg", "pr.png"])
    text = markdown(report)
    assert "## Plots\n\n![roc](roc.svg) · [PNG](roc.png)\n\n![pr](pr.svg) · [PNG](pr.png)\n\n## Notes" in text
    assert (text.count("roc.svg"), text.count("roc.png")) == (1, 1)


def test_plots_overlay_both_sides_as_svg_and_png(tmp_path: Path) -> None:
    base = snap("main", {}, curves={"ROC": Curve("fpr", "tpr", [(0.0, 0.0), (0.5, 0.7), (1.0, 1.0)])})
    target = snap(
        "exp", {}, curves={"ROC": Curve("fpr", "tpr", [(0.0, 0.0), (1.0, 1.0)]), "Other x": Curve("a", "b", [])}
    )
    written = write_plots(base, target, tmp_path)
    assert written == ["roc.svg", "roc.png", "other_x.svg", "other_x.png"]
    svg = (tmp_path / "roc.svg").read_text(encoding="utf-8")
    assert svg.startswith("<?xml")
    assert "base: main" in svg
    assert "target: exp" in svg
    assert (tmp_path / "roc.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    again = tmp_path / "again"
    write_plots(base, target, again)
    assert (again / "roc.svg").read_bytes() == (tmp_path / "roc.svg").read_bytes()  # no dates, stable ids


def test_plots_an_earlier_report_listed_and_this_one_does_not_are_removed(tmp_path: Path) -> None:
    """Only plot files the report.json there names: not a file beside them, not one outside the directory."""
    out = tmp_path / "compare"
    out.mkdir()
    assert remove_stale_plots(out, []) == []  # no earlier report
    listed = ["roc.svg", "roc.png", "old.svg", "old.png", "../mine.svg", "notes.txt"]
    for name in [*listed, "yours.png"]:
        (out / name).write_text("x", encoding="utf-8")
    (out / "report.json").write_text(json.dumps({"plots": listed}), encoding="utf-8")
    assert remove_stale_plots(out, ["roc.svg", "roc.png"]) == ["old.svg", "old.png"]
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt", "report.json", "roc.png", "roc.svg", "yours.png"]
    assert (tmp_path / "mine.svg").exists()
    assert remove_stale_plots(out, []) == ["roc.svg", "roc.png"]  # --no-plots


def test_missing_probabilities_become_nulls_not_invalid_json() -> None:
    base = predictions([(1, "AA", 0.2)])
    target = predictions([(1, "AA", 0.2)])
    target["p_late"] = float("nan")
    diff = prediction_diff(base, target)
    assert diff.mean_abs_shift is None
    assert diff.largest[0]["shift"] is None
    dumps_json(dataclasses.asdict(diff))  # allow_nan=False would raise on a NaN


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "—"), (82609, "82,609"), (71059.5, "71,060"), (0.0492614, "0.0492614"), (2.0, "2"), (["a", "b"], "a, b")],
)
def test_table_cells_are_formatted_for_reading(value: object, text: str) -> None:
    assert fmt(value) == text


def test_stale_stages_name_what_changed_and_ignore_files_only_absent() -> None:
    status: dict[str, Any] = {
        "ingest": [{"changed outs": {"data/raw": "not in cache"}}],  # a fresh clone, nothing pulled
        "validate": [{"changed deps": {"data/raw": "deleted"}}],
        "clean": [{"changed deps": {"src/pipelab/cleaning.py": "modified", "data/validated": "deleted"}}],
        "train": [{"changed deps": {"params.yaml": {"seed": "modified", "model": "modified"}}}, "changed command"],
        "evaluate": [{"changed outs": {"metrics/scores.json": "modified"}}],
        "report": [{"changed deps": {f"reports/{n}.py": "new" for n in "abcde"}}],
    }
    assert stale_stages(status) == [
        "clean (src/pipelab/cleaning.py modified)",
        "train (params.yaml: model, seed; changed command)",
        "evaluate (metrics/scores.json modified)",
        "report (reports/a.py new; reports/b.py new; reports/c.py new, +2 more)",
    ]
    assert stale_stages({}) == []


@pytest.fixture
def reproduced(tmp_path: Path) -> Path:
    """A tiny DVC repository: one stage reading code.py and params section p, reproduced and committed."""
    repo = init_dvc_repo(tmp_path / "repo")
    (repo / "metrics").mkdir()
    (repo / "code.py").write_text("import json; json.dump({'roc_auc': 0.7}, open('metrics/scores.json', 'w'))\n")
    (repo / "params.yaml").write_text("p:\n  a: 1\n", encoding="utf-8")
    stage = {"cmd": "python code.py", "deps": ["code.py"], "params": ["p"], "metrics": [{SCORES: {"cache": False}}]}
    (repo / "dvc.yaml").write_text(json.dumps({"stages": {"s": stage}}), encoding="utf-8")
    assert runs.dvc(repo, "repro", "-q").returncode == 0
    commit_all(repo, "reproduced")
    return repo


@pytest.fixture
def history(reproduced: Path) -> Path:
    """`reproduced`, then params and then code committed without `dvc repro`."""
    repo = reproduced
    (repo / "params.yaml").write_text("p:\n  a: 2\n", encoding="utf-8")
    commit_all(repo, "params, not reproduced")
    (repo / "code.py").write_text("print(1)\n", encoding="utf-8")
    commit_all(repo, "code, not reproduced")
    return repo


def test_a_commit_whose_dvc_lock_records_other_inputs_has_stale_results_and_a_note(history: Path) -> None:
    with open_sides(history, ["HEAD~2", "HEAD~1", "HEAD"]) as sides:
        assert [side.stale for side in sides] == [
            (),
            ("s (params.yaml: p)",),
            ("s (code.py modified; params.yaml: p)",),
        ]
        notes = read_snapshot(sides[1]).notes
    assert notes[0] == (
        f"⚠️ HEAD~1 (commit {sides[1].intent.short}): stale results, committed without `dvc repro`: dvc.lock "
        "records other inputs than the commit holds for s (params.yaml: p), so its metrics are not those of its "
        "params and code"
    )


def test_a_workspace_without_a_code_file_a_stage_reads_is_stale(reproduced: Path) -> None:
    """A file git tracks is code, not an output waiting for `dvc pull`: deleted, the results are not its code's."""
    (reproduced / "code.py").unlink()
    with pytest.raises(RevisionError) as err, open_sides(reproduced, ["workspace"]):
        pass
    assert str(err.value).startswith("workspace: stale results, `dvc status` lists s (code.py deleted); ")
