"""experiments/space.py and sweep.py: the space against the params schema, the trial loop with a stand-in dvc,
whether the best trial is applied (only when it beats HEAD), and the checks `plan` makes on a tiny repository.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import optuna
import pytest
import yaml
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from pydantic import ValidationError

from pipelab.core.params import SECTIONS, ModularSection
from pipelab.experiments import runs, sweep
from pipelab.experiments.owners import Owner
from pipelab.experiments.space import (
    Dimension,
    SweepError,
    check_dimension,
    parse_dimension,
    parse_space,
)
from pipelab.experiments.sweep import Plan, Result
from tests.integration import REPO, commit_all, init_dvc_repo


def test_ranges_and_choices_parse_into_dimensions() -> None:
    assert parse_dimension("model.hgb.learning_rate", "log:0.01..0.3") == Dimension(
        "model.hgb.learning_rate", "log", (0.01, 0.3)
    )
    assert parse_dimension("model.hgb.max_leaf_nodes", "int:15..63").values == (15, 63)
    assert parse_dimension("model.hgb.max_depth", "choice:3,null,6").values == (3, None, 6)
    assert parse_dimension("split.cutoff", "choice:2013-09-01,2013-11-01").values == ("2013-09-01", "2013-11-01")
    assert parse_dimension("model.name", "choice:hgb,logistic").spec == "choice:hgb,logistic"


def test_choices_are_read_as_dvc_exp_run_s_reads_the_value_a_trial_sets() -> None:
    """DVC's YAML reads `2013-09-01` as a date (not JSON, so not a choice optuna can store) and `010` as 10."""
    assert parse_dimension("data.path", "choice:2013-09-01,010,yes,'a=b'").values == ("2013-09-01", "010", "yes", "a=b")


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("model.hgb.learning_rate", "--space model.hgb.learning_rate: expected KEY=float:LOW..HIGH"),
        ("model.hgb.learning_rate=0.1", "--space model.hgb.learning_rate=0.1: expected KEY=float:LOW..HIGH"),
        ("model.hgb.learning_rate=uniform:0.1..0.2", "uniform:0.1..0.2: expected KEY=float:LOW..HIGH"),
        ("model.hgb.learning_rate=log:0.1-0.2", "log:0.1-0.2: expected KEY=float:LOW..HIGH"),
        ("model.hgb.learning_rate=log:a..0.2", "log:a..0.2: 'a' is not a number"),
        ("model.hgb.max_leaf_nodes=int:15..63.5", "int:15..63.5: '63.5' is not an integer"),
        ("model.hgb.learning_rate=log:0.3..0.1", "log:0.3..0.1: LOW must be below HIGH"),
        ("model.hgb.l2_regularization=log:0..1", "log:0..1: a log range needs LOW > 0"),
        ("model.name=choice:hgb", "choice:hgb: give at least two different choices"),
        ("data.path=choice:a=b,c", "choice:a=b,c: dvc exp run -S cannot parse 'a=b'; if it is text, quote it: 'a=b'"),
        ("data.path=choice:a,glob(*)", "choice:a,glob(*): 'glob(*)' is several values to dvc exp run -S"),
    ],
)
def test_bad_space_syntax_is_refused_with_one_line(item: str, message: str) -> None:
    with pytest.raises(SweepError) as err:
        parse_space([item], None)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("key", "spec", "message"),
    [
        (
            "model.hgb.learning_rate",
            "log:0.01..2",
            "2.0 is outside what params allow (Input should be less than or equal to 1)",
        ),
        (
            "model.hgb.max_leaf_nodes",
            "int:1..63",
            "1 is outside what params allow (Input should be greater than or equal to 2)",
        ),
        ("evaluate.threshold", "float:0.0..0.9", "0.0 is outside what params allow (Input should be greater than 0)"),
        ("model.hgb.max_leaf_nodes", "float:2..60", "model.hgb.max_leaf_nodes is not a float; use int: or choice:"),
        (
            "model.hgb.shrinkage",
            "log:0.01..0.3",
            "unknown key; allowed: early_stopping, l2_regularization, learning_rate",
        ),
        ("model.xgb.eta", "log:0.01..0.3", "unknown model 'xgb'; registered: baseline, hgb, logistic"),
        ("model.name", "choice:hgb,xgb", "'xgb' is outside what params allow (unknown model 'xgb'"),
        ("seed", "int:1..5", "not a params key; use SECTION.FIELD or SECTION.MODULE.FIELD"),
        ("target.cancelled.x", "int:1..5", "target has no module sub-sections"),
        ("model", "int:1..5", "not a params key"),
    ],
)
def test_a_space_outside_the_params_schema_is_refused(key: str, spec: str, message: str) -> None:
    with pytest.raises(SweepError) as err:
        check_dimension(parse_dimension(key, spec))
    assert str(err.value).startswith(f"--space {key}")
    assert message in str(err.value)


def test_ranges_inside_the_schema_are_accepted() -> None:
    for key, spec in [
        ("model.hgb.learning_rate", "log:0.01..1"),
        ("model.hgb.max_leaf_nodes", "int:2..4096"),
        ("model.hgb.max_depth", "choice:3,null,6"),
        ("model.logistic.C", "log:0.001..100"),
        ("clean.impute.max_gap", "int:0..48"),
        ("evaluate.threshold", "float:0.1..0.9"),
        ("model.name", "choice:hgb,logistic"),
    ]:
        check_dimension(parse_dimension(key, spec))


def test_space_file_and_options_combine_and_a_key_twice_is_refused(tmp_path: Path) -> None:
    space_file = tmp_path / "space.yaml"
    space_file.write_text("model.hgb.max_leaf_nodes: int:15..63\n", encoding="utf-8")
    dims = parse_space(["model.hgb.learning_rate=log:0.01..0.3"], space_file)
    assert [d.key for d in dims] == ["model.hgb.learning_rate", "model.hgb.max_leaf_nodes"]
    with pytest.raises(SweepError, match=r"--space: model.hgb.max_leaf_nodes given more than once"):
        parse_space(["model.hgb.max_leaf_nodes=int:2..9"], space_file)
    space_file.write_text("- not a mapping\n", encoding="utf-8")
    with pytest.raises(SweepError, match=r"space.yaml: expected a mapping of KEY: SPEC"):
        parse_space([], space_file)
    with pytest.raises(SweepError, match=r"no search space"):
        parse_space([], None)


# --- a module's keys only count when its section selects it -------------------------------------

UNUSED = "so every trial would run the same"


@pytest.mark.parametrize(
    ("space", "params", "message"),
    [
        (
            ["model.logistic.C=log:0.01..10", "model.hgb.max_iter=int:50..300", "model.logistic.max_iter=int:100..900"],
            {"model": {"name": "hgb"}},
            "--space model.logistic.C, model.logistic.max_iter: no trial uses model.logistic, as every trial keeps "
            f"HEAD's model.name, hgb (model.name is not in the space), {UNUSED}; search it too with "
            "--space model.name=choice:hgb,logistic, or set model.name: logistic in params.yaml and commit it",
        ),
        (
            ["model.baseline.min_flights=int:10..50"],
            {"seed": 1},  # no model.name: the stages train the schema's default, hgb
            "--space model.baseline.min_flights: no trial uses model.baseline, as every trial keeps HEAD's "
            f"model.name, hgb (model.name is not in the space), {UNUSED}; "
            "search it too with --space model.name=choice:hgb,baseline,",
        ),
        (
            ["model.name=choice:hgb,baseline", "model.logistic.C=log:0.01..10"],
            {"model": {"name": "logistic"}},
            "--space model.logistic.C: no trial uses model.logistic, as no choice of "
            f"--space model.name=choice:hgb,baseline is logistic, {UNUSED}; add it to the choices",
        ),
        (
            ["features.congestion.origin_hour=choice:true,false"],
            {"features": {"groups": ["calendar", "weather"]}},
            "--space features.congestion.origin_hour: no trial uses features.congestion, as features.groups at HEAD "
            f"(calendar, weather) lacks congestion, {UNUSED}; add congestion to features.groups in params.yaml",
        ),
        (
            ["clean.impute.max_gap=int:0..6"],
            {"clean": {"missing": "drop"}},
            "--space clean.impute.max_gap: no trial uses clean.impute, as every trial keeps HEAD's clean.missing, drop",
        ),
    ],
)
def test_keys_of_a_module_no_trial_selects_are_refused(space: list[str], params: dict[str, Any], message: str) -> None:
    with pytest.raises(SweepError) as err:
        sweep.check_active(parse_space(space, None), params)
    assert str(err.value).startswith(message), str(err.value)
    assert "\n" not in str(err.value)


def test_each_modular_section_has_the_selector_that_names_its_modules_in_use() -> None:
    """Each modular section's `selector`: the field whose values must be registered modules of the section's kind."""
    modular = {name: model for name, model in SECTIONS.items() if issubclass(model, ModularSection)}
    assert set(modular) == {"clean", "features", "model", "quality", "report"}
    for model in modular.values():
        assert issubclass(model, ModularSection)
        name = model.selector
        value = ["nope"] if model.model_fields[name].annotation == list[str] else "nope"
        with pytest.raises(ValidationError) as err:
            model.model_validate({name: value})
        problems = [e["msg"] for e in err.value.errors() if e["loc"][0] == name]
        assert len(problems) == 1
        assert problems[0].startswith(f"Value error, unknown {model.module_kind} 'nope'")


@pytest.mark.parametrize(
    ("space", "params"),
    [
        (["model.hgb.max_iter=int:50..300", "evaluate.threshold=float:0.3..0.7"], {"model": {"name": "hgb"}}),
        (["model.logistic.C=log:0.01..10"], {"model": {"name": "logistic"}}),
        (["model.name=choice:hgb,logistic", "model.logistic.C=log:0.01..10"], {"model": {"name": "hgb"}}),
        (["features.congestion.origin_hour=choice:true,false"], {"features": {"groups": ["calendar", "congestion"]}}),
        (["quality.drift.warn_psi=float:0.1..0.3"], {"quality": {"checks": ["drift"]}}),
    ],
)
def test_keys_of_a_module_some_trial_selects_are_searched(space: list[str], params: dict[str, Any]) -> None:
    sweep.check_active(parse_space(space, None), params)


# --- space-file errors name the file ------------------------------------------------------------


def plan_with(root: Path, space: list[str], space_file: Path | None = None) -> Plan:
    return sweep.plan(
        root, space=space, space_file=space_file, trials=1, metric="roc_auc", direction=None, study="s", seed=1
    )


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("model.hgb.learning_rate: log:0..1", "model.hgb.learning_rate=log:0..1: a log range needs LOW > 0"),
        ("model.hgb.learning_rate: 0.1", "model.hgb.learning_rate=0.1: expected KEY: float:LOW..HIGH, KEY: log:"),
        ("model.hgb.nope: int:1..3", "model.hgb.nope: unknown key; allowed: "),
        ("model.hgb.learning_rate: log:0.01..2", "model.hgb.learning_rate=log:0.01..2.0: 2.0 is outside what params"),
    ],
)
def test_a_bad_space_file_entry_names_the_file_not_space(tmp_path: Path, entry: str, message: str) -> None:
    space_file = tmp_path / "space.yaml"
    space_file.write_text(f"model.hgb.max_leaf_nodes: int:15..63\n{entry}\n", encoding="utf-8")
    with pytest.raises(SweepError) as err:
        plan_with(tmp_path, ["evaluate.threshold=float:0.3..0.7"], space_file)
    assert str(err.value).startswith(f"{space_file}: {message}")
    space_file.write_text("model.hgb.max_leaf_nodes: int:15..63\n", encoding="utf-8")
    with pytest.raises(SweepError, match=r"^--space evaluate.threshold=float:0.0..0.7: 0.0 is outside"):
        plan_with(tmp_path, ["evaluate.threshold=float:0.0..0.7"], space_file)  # an option's error stays --space


# --- plan on a tiny git + DVC repository: committed values and the uncommitted-changes guard -------

SCORES = {"roc_auc": 0.69, "log_loss": 0.5}
PARAMS = {"seed": 1, "model": {"name": "hgb", "hgb": {"learning_rate": 0.0476, "max_depth": None}}}


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    repo = init_dvc_repo(tmp_path / "repo")
    (repo / "metrics").mkdir()
    shutil.copy(REPO / "metrics" / "gates.yaml", repo / "metrics" / "gates.yaml")
    (repo / "metrics" / "scores.json").write_text(json.dumps(SCORES), encoding="utf-8")
    (repo / "params.yaml").write_text(yaml.safe_dump(PARAMS), encoding="utf-8")
    (repo / "dvc.lock").write_text("schema: '2.0'\nstages: {}\n", encoding="utf-8")
    commit_all(repo, "baseline")
    return repo


def test_plan_records_the_committed_value_of_each_key_for_the_head_row(tiny: Path) -> None:
    space = ["model.hgb.learning_rate=log:0.01..0.3", "model.hgb.max_leaf_nodes=int:15..127"]
    p = plan_with(tiny, [*space, "model.hgb.max_depth=choice:3,null,6"])
    assert (p.baseline, p.direction) == (0.69, "maximize")
    # max_leaf_nodes is not in params.yaml: the stages use the schema's default, so the row shows it
    assert dict(p.committed) == {
        "model.hgb.learning_rate": 0.0476,
        "model.hgb.max_leaf_nodes": 31,
        "model.hgb.max_depth": None,
    }
    table = sweep.best_table(Result(p, []))
    assert table.rstrip().endswith("| — | — | HEAD (committed params) | 0.0476 | 31 | — | 0.69 |")


@pytest.mark.parametrize("path", ["params.yaml", "dvc.lock"])
def test_plan_refuses_uncommitted_params_or_lock_in_one_line(tiny: Path, path: str) -> None:
    with (tiny / path).open("a", encoding="utf-8") as fh:
        fh.write("# edited\n")
    with pytest.raises(SweepError) as err:
        plan_with(tiny, ["model.hgb.learning_rate=log:0.01..0.3"])
    assert str(err.value) == (
        "not starting, as every trial starts from the committed params and is judged against HEAD: "
        f"uncommitted changes in {path} (commit them after `dvc repro`, or undo them: `git checkout HEAD -- {path}`)"
    )
    assert not (tiny / "sweeps").exists()


@pytest.fixture
def staged(tiny: Path) -> Path:
    """`tiny` with a stage that reads code.py and lib/, reproduced and committed: dvc.lock records their hashes."""
    (tiny / "lib").mkdir()
    (tiny / "lib" / "util.py").write_text("X = 1\n", encoding="utf-8")
    (tiny / "code.py").write_text("print(1)\n", encoding="utf-8")
    stage = {"stages": {"s": {"cmd": "python code.py", "deps": ["code.py", "lib"]}}}
    (tiny / "dvc.yaml").write_text(yaml.safe_dump(stage), encoding="utf-8")
    repro = runs.dvc(tiny, "repro", "-q")
    assert repro.returncode == 0, repro.stdout + repro.stderr
    commit_all(tiny, "a stage")
    return tiny


def test_plan_tells_uncommitted_edits_from_committed_code_dvc_lock_did_not_run(staged: Path) -> None:
    (staged / "code.py").write_text("print(2)\n", encoding="utf-8")
    commit_all(staged, "code changed, not reproduced")
    (staged / "lib" / "util.py").write_text("X = 2\n", encoding="utf-8")  # uncommitted
    (staged / "lib" / "new.py").write_text("Y = 1\n", encoding="utf-8")  # untracked
    with pytest.raises(SweepError) as err:
        plan_with(staged, ["model.hgb.learning_rate=log:0.01..0.3"])
    assert str(err.value) == (
        "not starting, as every trial starts from the committed params and is judged against HEAD: "
        "uncommitted changes in lib/util.py, lib/new.py (commit them after `dvc repro`, or undo them: "
        "`git checkout HEAD -- lib/util.py`; delete lib/new.py); "
        "code.py committed but not what dvc.lock records (run `dvc repro` and commit dvc.lock)"
    )


def test_plan_starts_once_head_is_reproduced_and_committed(staged: Path) -> None:
    (staged / "code.py").write_text("print(2)\n", encoding="utf-8")
    commit_all(staged, "code changed, not reproduced")
    with pytest.raises(SweepError, match=r"code.py committed but not what dvc.lock records"):
        plan_with(staged, ["model.hgb.learning_rate=log:0.01..0.3"])
    assert runs.dvc(staged, "repro", "-q").returncode == 0
    commit_all(staged, "reproduced")
    assert plan_with(staged, ["model.hgb.learning_rate=log:0.01..0.3"]).baseline == 0.69


# --- the trial loop, with a stand-in for `dvc exp run --temp` -----------------------------------


class FakeDvc:
    """Records dvc calls; `exp run --temp` records a roc_auc peaking at learning_rate 0.1, failing above 0.25.

    Like DVC's `--temp`, a trial's results live only in its experiment (`metric` reads them),
    never in the workspace.
    """

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []
        self.scores: dict[str, dict[str, float]] = {}

    def __call__(self, root: Path, *args: str) -> subprocess.CompletedProcess[str]:
        self.calls.append(args)
        if args[:2] == ("exp", "run"):
            assert args[2] == "--temp", args
            sets = dict(args[i + 1].split("=", 1) for i, a in enumerate(args) if a == "-S")
            rate = float(sets["model.hgb.learning_rate"])
            if rate > 0.25:
                return subprocess.CompletedProcess(args, 2, "", "error: train: boom\n")
            self.scores[args[args.index("-n") + 1]] = {"roc_auc": round(0.7 - abs(rate - 0.1), 6)}
        if args[:2] == ("exp", "apply"):
            (root / "sweeps" / "s.jsonl").write_text("older journal\n", encoding="utf-8")
        return subprocess.CompletedProcess(args, 0, "", "")

    def exp_run(self, root: Path, name: str, message: str, sets: list[str]) -> subprocess.CompletedProcess[str]:
        return self(root, "exp", "run", "--temp", "-n", name, "-m", message, *(a for s in sets for a in ("-S", s)))

    def metric(self, root: Path, name: str, metric: str) -> float | None:
        return self.scores.get(name, {}).get(metric)

    def ref(self, root: Path, head: str, name: str) -> str | None:
        return f"commit of {name}" if name in self.scores else None


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeDvc:
    stand_in = FakeDvc()
    monkeypatch.setattr(sweep, "dvc", stand_in)
    monkeypatch.setattr(sweep, "exp_run", stand_in.exp_run)
    monkeypatch.setattr(sweep, "experiment_metric", stand_in.metric)
    monkeypatch.setattr(sweep, "experiment_ref", stand_in.ref)
    return stand_in


def make_plan(
    root: Path,
    trials: int,
    space: str = "log:0.01..0.3",
    *,
    baseline: float = 0.69,
    direction: Literal["maximize", "minimize"] = "maximize",
    head: str = "1" * 40,
) -> Plan:
    dims = [parse_dimension("model.hgb.learning_rate", space)]
    committed = {"model.hgb.learning_rate": 0.0476}
    return Plan(root, dims, trials, "roc_auc", direction, "s", 1, baseline, committed, head)


def test_trials_run_as_named_experiments_and_a_resumed_study_continues(tmp_path: Path, fake: FakeDvc) -> None:
    lines: list[str] = []
    first = sweep.run(make_plan(tmp_path, 4), lines.append)
    assert [c[:5] for c in fake.calls] == [("exp", "run", "--temp", "-n", f"s-{n}") for n in range(4)]
    assert fake.calls[0][5] == "-m"
    assert fake.calls[0][6].startswith("pipelab sweep s, trial 0: model.hgb.learning_rate=")
    resumed = sweep.run(make_plan(tmp_path, 3), lines.append)
    assert [c[4] for c in fake.calls[4:]] == ["s-4", "s-5", "s-6"]
    assert "study 's': 4 earlier trial(s); maximize roc_auc (HEAD: 0.69)" in lines
    assert any(line.startswith("trial 0: dvc exp run --temp -n s-0 -S model.hgb.learning_rate=") for line in lines)
    storage = JournalStorage(JournalFileBackend(str(tmp_path / "sweeps" / "s.jsonl")))
    stored = optuna.load_study(study_name="s", storage=storage)
    assert len(stored.trials) == 7
    finished = resumed.completed
    assert len(finished) >= len(first.completed)
    values = [float(t.value or 0.0) for t in finished]
    assert values == sorted(values, reverse=True)
    assert values == [fake.scores[f"s-{t.number}"]["roc_auc"] for t in finished]  # read from each experiment
    failed = [t for t in stored.trials if t.state == optuna.trial.TrialState.FAIL]
    assert len(finished) + len(failed) == 7
    assert all(t.params["model.hgb.learning_rate"] > 0.25 for t in failed)
    assert all(t.user_attrs["fail_reason"] == "error: train: boom" for t in failed)
    assert all(f"trial {t.number} failed: error: train: boom" in lines for t in failed)
    table = sweep.best_table(resumed)
    assert f"| 1 | {finished[0].number} | `s-{finished[0].number}` |" in table
    assert table.rstrip().endswith("| — | — | HEAD (committed params) | 0.0476 | 0.69 |")


def test_a_study_whose_trial_names_are_taken_on_head_is_refused_before_any_trial(tmp_path: Path, fake: FakeDvc) -> None:
    """Its journal removed, the same --study again: DVC would refuse every trial as an existing experiment."""
    fake.scores["s-1"] = {"roc_auc": 0.7}  # left by the study whose journal is gone
    with pytest.raises(SweepError) as err:
        sweep.run(make_plan(tmp_path, 3), lambda _: None)
    assert str(err.value) == (
        "experiment(s) s-1 already exist on HEAD, but study 's' (sweeps/s.jsonl) has no such trial (its journal was "
        "removed or replaced): choose another --study, or `dvc exp remove s-1`"
    )
    assert fake.calls == []


def test_a_resumed_study_ranks_only_the_trials_of_the_current_head(tmp_path: Path, fake: FakeDvc) -> None:
    """Trials scored on another commit (other code, data or params) are neither ranked nor applied."""
    old = sweep.run(make_plan(tmp_path, 3, space="log:0.01..0.2", head="a" * 40), lambda _: None)
    lines: list[str] = []
    new = sweep.run(make_plan(tmp_path, 2, space="log:0.01..0.2", head="b" * 40, baseline=0.0), lines.append)
    assert len(old.completed) == 3
    assert len(new.completed) == 2
    assert {t.number for t in new.completed} == {3, 4}
    assert all(t.user_attrs["head"] == "b" * 40 for t in new.completed)
    assert new.elsewhere == 3
    assert (
        "3 completed trial(s) ran from other commits: not ranked against HEAD bbbbbbb "
        "(their scores came from other code, data or params; the sampler still learns from them)"
    ) in lines
    table = sweep.best_table(new)
    assert "Best of 2 completed trial(s) from HEAD bbbbbbb, maximize roc_auc:" in table
    assert [f"`s-{n}`" in table for n in range(5)] == [False, False, False, True, True]
    assert sweep.apply_best(new).startswith(f"applied {new.completed[0].user_attrs['experiment']} ")
    assert fake.calls[-1][2] in {"s-3", "s-4"}


def test_trials_leave_the_workspace_as_it_was(tmp_path: Path, fake: FakeDvc) -> None:
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "scores.json").write_text('{"roc_auc": 0.69}', encoding="utf-8")
    before = sorted((p.relative_to(tmp_path).as_posix(), p.read_bytes()) for p in tmp_path.rglob("*") if p.is_file())
    result = sweep.run(make_plan(tmp_path, 3), lambda _: None)
    after = sorted((p.relative_to(tmp_path).as_posix(), p.read_bytes()) for p in tmp_path.rglob("*") if p.is_file())
    assert [f for f in after if not f[0].startswith("sweeps/")] == before  # only the journal is new
    assert not [c for c in fake.calls if c[:2] != ("exp", "run")]  # nothing applied, nothing restored
    assert sweep.workspace_kept(result).startswith(
        "workspace unchanged (each trial ran in a temporary copy: dvc exp run --temp); "
    )


def test_a_resumed_study_must_keep_its_space(tmp_path: Path, fake: FakeDvc) -> None:
    sweep.run(make_plan(tmp_path, 1), lambda _: None)
    with pytest.raises(SweepError, match=r"study 's' .* resume it with the same space, metric and direction"):
        sweep.run(make_plan(tmp_path, 1, space="log:0.01..0.2"), lambda _: None)


def test_apply_best_applies_a_winner_and_keeps_the_journal(tmp_path: Path, fake: FakeDvc) -> None:
    result = sweep.run(make_plan(tmp_path, 3, baseline=0.5), lambda _: None)
    journal = (tmp_path / "sweeps" / "s.jsonl").read_bytes()
    message = sweep.apply_best(result)
    best = result.completed[0].user_attrs["experiment"]
    assert fake.calls[-1] == ("exp", "apply", best)
    assert message.startswith(f"applied {best} to the workspace: roc_auc ")
    assert (tmp_path / "sweeps" / "s.jsonl").read_bytes() == journal


# --- trials left running by sweeps that have ended ----------------------------------------------


def test_a_resumed_sweep_fails_the_trials_of_sweeps_that_ended_and_leaves_the_others(
    tmp_path: Path, fake: FakeDvc
) -> None:
    """A RUNNING trial may belong to a sweep in another terminal: only one whose sweep is gone is failed."""
    sweep.run(make_plan(tmp_path, 1, space="log:0.01..0.2"), lambda _: None)
    storage = JournalStorage(JournalFileBackend(str(tmp_path / "sweeps" / "s.jsonl")))
    study = optuna.load_study(study_name="s", storage=storage)
    distributions: dict[str, optuna.distributions.BaseDistribution] = {
        "model.hgb.learning_rate": optuna.distributions.FloatDistribution(0.01, 0.2, log=True)
    }
    mine = Owner.this_process()
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True)
    gone = Owner(mine.host, int(ended.stdout), mine.started)
    owners: list[object] = [
        gone.record(),  # killed: its pid has ended
        mine.record(),  # still running, as a sweep in another terminal
        Owner("elsewhere", 1, "").record(),  # another host: cannot be asked
        None,  # an older pipelab recorded none
    ]
    for owner in owners:
        trial = study.ask(distributions)
        if owner is not None:
            trial.set_user_attr("owner", owner)
    lines: list[str] = []
    sweep.run(make_plan(tmp_path, 1, space="log:0.01..0.2"), lines.append)
    tell = "`optuna tell --storage sweeps/s.jsonl --study-name s --trial-number {} --state fail` fails it"
    assert lines[1:5] == [
        f"trial 1 marked failed: its sweep ({gone}) has ended",
        f"trial 2 left running: its sweep (pid {mine.pid} on {mine.host}) still runs",
        "trial 3 left running: its sweep (pid 1 on elsewhere) ran on another host; once that sweep has ended, "
        + tell.format(3),
        "trial 4 left running: it records no sweep (an older pipelab's); once that sweep has ended, " + tell.format(4),
    ]
    resumed = optuna.load_study(study_name="s", storage=storage).trials
    assert [t.state.name for t in resumed] == ["COMPLETE", "FAIL", "RUNNING", "RUNNING", "RUNNING", "COMPLETE"]
    assert resumed[1].user_attrs["fail_reason"] == f"its sweep (pid {gone.pid} on {mine.host}) ended while it ran"
    assert Owner.recorded(resumed[5].user_attrs["owner"]) == mine  # every trial records its sweep


# --- apply only a trial that beats HEAD, in the study's direction -------------------------------


def finished(number: int, value: float) -> optuna.trial.FrozenTrial:
    trial = optuna.trial.create_trial(
        params={"model.hgb.learning_rate": 0.1},
        distributions={"model.hgb.learning_rate": optuna.distributions.FloatDistribution(0.01, 0.3, log=True)},
        value=value,
        user_attrs={"experiment": f"hgb-{number}"},
    )
    trial.number = number
    return trial


def outcome(
    tmp_path: Path, direction: Literal["maximize", "minimize"], head: float, best: float
) -> tuple[Result, str, str]:
    """What apply_best and workspace_kept say for a study whose best trial has `best` and HEAD `head`."""
    worst = best - 0.01 if direction == "maximize" else best + 0.01
    result = Result(make_plan(tmp_path, 0, baseline=head, direction=direction), [finished(1, best), finished(0, worst)])
    (tmp_path / "sweeps").mkdir(exist_ok=True)
    (tmp_path / "sweeps" / "s.jsonl").write_text("journal\n", encoding="utf-8")
    return result, sweep.apply_best(result), sweep.workspace_kept(result)


@pytest.mark.parametrize(
    ("direction", "head", "best"),
    [("maximize", 0.690546, 0.683883), ("maximize", 0.690546, 0.690546), ("minimize", 0.5, 0.52)],
)
def test_a_best_trial_that_does_not_beat_head_is_not_applied(
    tmp_path: Path, fake: FakeDvc, direction: Literal["maximize", "minimize"], head: float, best: float
) -> None:
    result, applied, kept = outcome(tmp_path, direction, head, best)
    assert sweep.winner(result) is None
    assert fake.calls == []  # no `dvc exp apply`: the workspace keeps the committed state
    versus = f"no trial beat HEAD ({direction} roc_auc: best hgb-1 {best:.6g}, HEAD {head:.6g})"
    assert applied == f"{versus}; nothing applied, the workspace is as it was"
    assert kept == f"workspace unchanged (each trial ran in a temporary copy: dvc exp run --temp); {versus}"


def test_the_reported_case_hgb_1_below_head_is_not_applied(tmp_path: Path, fake: FakeDvc) -> None:
    _, applied, _ = outcome(tmp_path, "maximize", 0.690546, 0.683883)
    assert applied == (
        "no trial beat HEAD (maximize roc_auc: best hgb-1 0.683883, HEAD 0.690546); "
        "nothing applied, the workspace is as it was"
    )


@pytest.mark.parametrize(("direction", "head", "best"), [("maximize", 0.69, 0.70), ("minimize", 0.5, 0.48)])
def test_a_best_trial_that_beats_head_is_applied(
    tmp_path: Path, fake: FakeDvc, direction: Literal["maximize", "minimize"], head: float, best: float
) -> None:
    result, applied, kept = outcome(tmp_path, direction, head, best)
    assert sweep.winner(result) is result.completed[0]
    assert fake.calls == [("exp", "apply", "hgb-1")]
    assert applied == (
        f"applied hgb-1 to the workspace: roc_auc {best:.6g} beats HEAD's {head:.6g}; "
        "commit params.yaml, dvc.lock and the changed outputs (`git status`) to keep it"
    )
    assert kept == (
        "workspace unchanged (each trial ran in a temporary copy: dvc exp run --temp); "
        f"hgb-1 beats HEAD (roc_auc {best:.6g} vs {head:.6g}): `dvc exp apply hgb-1` takes it"
    )


FAKE_APPLY = """
import signal, sys, time
from collections.abc import Callable
from pathlib import Path

Path("sweeps/s.jsonl").write_text("older journal\\n")  # an experiment's commit has the journal its trial saw
Path("params.yaml").write_text("half applied\\n")


def on_sigint(*_):  # as DVC on Ctrl-C: it restores HEAD, which takes longer than subprocess.run's 0.25 s
    with open("sigints", "a") as fh:
        fh.write("SIGINT\\n")
    time.sleep(1)
    Path("head-restored").write_text("")
    sys.exit(252)


signal.signal(signal.SIGINT, on_sigint)
Path("ready").write_text("")
while True:
    time.sleep(0.05)
"""


def test_ctrl_c_during_apply_best_stops_dvc_exp_apply_as_its_own_ctrl_c_does_and_keeps_the_journal(
    tmp_path: Path, fake_dvc: Callable[[Path, str], None], send: Callable[..., None]
) -> None:
    """`dvc exp apply` detaches HEAD while it works: SIGKILLed, it could leave it so; it gets one SIGINT instead."""
    fake_dvc(tmp_path, FAKE_APPLY)
    result = Result(make_plan(tmp_path, 0, baseline=0.69), [finished(1, 0.70), finished(0, 0.68)])
    (tmp_path / "sweeps").mkdir()
    (tmp_path / "sweeps" / "s.jsonl").write_text("journal\n", encoding="utf-8")
    send(tmp_path, signal.SIGINT)
    with pytest.raises(runs.RunInterruptedError) as err, runs.stop_signals():
        sweep.apply_best(result)
    assert str(err.value) == (
        "interrupted: dvc exp apply hgb-1 stopped, perhaps part-way (`git status` and `dvc status` show what it "
        "changed); study kept in sweeps/s.jsonl"
    )
    assert err.value.exit_code == 130
    assert (tmp_path / "sigints").read_text(encoding="utf-8") == "SIGINT\n"
    assert (tmp_path / "head-restored").exists()
    assert (tmp_path / "sweeps" / "s.jsonl").read_text(encoding="utf-8") == "journal\n"


def test_without_a_completed_trial_nothing_is_applied(tmp_path: Path, fake: FakeDvc) -> None:
    empty = Result(make_plan(tmp_path, 0), [])
    with pytest.raises(sweep.NoTrialCompletedError) as err:
        sweep.apply_best(empty)
    assert (str(err.value), err.value.exit_code) == ("study 's': no trial completed from HEAD 1111111", 4)
    assert sweep.workspace_kept(empty) == "workspace unchanged (each trial ran in a temporary copy: dvc exp run --temp)"
    assert fake.calls == []


# --- Ctrl-C: the trial marked failed --------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "stop", "why"),
    [
        ("dvc exp run", runs.RunInterruptedError(), "interrupted"),
        ("dvc exp run", runs.RunInterruptedError(signum=signal.SIGTERM), "interrupted by SIGTERM"),
        ("reading the metric", KeyboardInterrupt(), "interrupted"),
        ("reading the metric", runs.Stop(signal.SIGHUP), "interrupted by SIGHUP"),
    ],
)
def test_an_interrupted_trial_is_marked_failed_and_a_resumed_study_goes_on(
    tmp_path: Path, fake: FakeDvc, monkeypatch: pytest.MonkeyPatch, *, where: str, stop: BaseException, why: str
) -> None:
    def interrupt_trial_1(root: Path, name: str, *rest: Any) -> Any:
        if name == "s-1":
            raise stop
        return (fake.exp_run if where == "dvc exp run" else fake.metric)(root, name, *rest)

    monkeypatch.setattr(sweep, "exp_run" if where == "dvc exp run" else "experiment_metric", interrupt_trial_1)
    with pytest.raises(runs.RunInterruptedError) as err:
        sweep.run(make_plan(tmp_path, 3, space="log:0.01..0.2"), lambda _: None)
    assert str(err.value) == f"{why}: trial 1 stopped and marked failed; study kept in sweeps/s.jsonl"
    assert err.value.exit_code == {"interrupted": 130, "interrupted by SIGTERM": 143, "interrupted by SIGHUP": 129}[why]
    storage = JournalStorage(JournalFileBackend(str(tmp_path / "sweeps" / "s.jsonl")))
    trials = optuna.load_study(study_name="s", storage=storage).trials
    assert [t.state for t in trials] == [optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.FAIL]
    assert trials[1].user_attrs["fail_reason"] == why
    lines: list[str] = []
    resumed = sweep.run(make_plan(tmp_path, 1, space="log:0.01..0.2"), lines.append)
    assert lines[0].startswith("study 's': 2 earlier trial(s)")
    assert sorted(t.number for t in resumed.completed) == [0, 2]
