"""experiments/space.py and sweep.py: the space against the params schema, the trial loop with a stand-in dvc."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import optuna
import pytest
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend

from pipelab.experiments import sweep
from pipelab.experiments.space import Dimension, SweepError, check_dimension, parse_dimension, parse_space
from pipelab.experiments.sweep import Plan


def test_ranges_and_choices_parse_into_dimensions() -> None:
    assert parse_dimension("model.hgb.learning_rate", "log:0.01..0.3") == Dimension(
        "model.hgb.learning_rate", "log", (0.01, 0.3)
    )
    assert parse_dimension("model.hgb.max_leaf_nodes", "int:15..63").values == (15, 63)
    assert parse_dimension("model.hgb.max_depth", "choice:3,null,6").values == (3, None, 6)
    assert parse_dimension("model.name", "choice:hgb,logistic").spec == "choice:hgb,logistic"


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


# --- the trial loop, with a stand-in for `dvc exp run` ------------------------------------------


class FakeDvc:
    """Records dvc calls; `exp run` writes a roc_auc peaking at learning_rate 0.1, failing above 0.25."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def __call__(self, root: Path, *args: str) -> subprocess.CompletedProcess[str]:
        self.calls.append(args)
        if args[:2] == ("exp", "run"):
            sets = dict(args[i + 1].split("=", 1) for i, a in enumerate(args) if a == "-S")
            rate = float(sets["model.hgb.learning_rate"])
            if rate > 0.25:
                return subprocess.CompletedProcess(args, 2, "", "error: train: boom\n")
            scores = {"roc_auc": round(0.7 - abs(rate - 0.1), 6)}
            (root / "metrics").mkdir(exist_ok=True)
            (root / "metrics" / "scores.json").write_text(json.dumps(scores), encoding="utf-8")
        if args[:2] == ("exp", "apply"):
            (root / "sweeps" / "s.jsonl").write_text("older journal\n", encoding="utf-8")
        return subprocess.CompletedProcess(args, 0, "", "")


def make_plan(root: Path, trials: int, space: str = "log:0.01..0.3") -> Plan:
    dims = [parse_dimension("model.hgb.learning_rate", space)]
    return Plan(root, dims, trials, "roc_auc", "maximize", "s", seed=1, baseline=0.69)


def test_trials_run_as_named_experiments_and_a_resumed_study_continues(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeDvc()
    monkeypatch.setattr(sweep, "dvc", fake)
    lines: list[str] = []
    first = sweep.run(make_plan(tmp_path, 4), lines.append)
    assert [c[:4] for c in fake.calls] == [("exp", "run", "-n", f"s-{n}") for n in range(4)]
    assert fake.calls[0][4] == "-m"
    assert fake.calls[0][5].startswith("pipelab sweep s, trial 0: model.hgb.learning_rate=")
    resumed = sweep.run(make_plan(tmp_path, 3), lines.append)
    assert [c[3] for c in fake.calls[4:]] == ["s-4", "s-5", "s-6"]
    assert "study 's': 4 earlier trial(s); maximize roc_auc (HEAD: 0.69)" in lines
    storage = JournalStorage(JournalFileBackend(str(tmp_path / "sweeps" / "s.jsonl")))
    stored = optuna.load_study(study_name="s", storage=storage)
    assert len(stored.trials) == 7
    finished = resumed.completed
    assert len(finished) >= len(first.completed)
    values = [float(t.value or 0.0) for t in finished]
    assert values == sorted(values, reverse=True)
    failed = [t for t in stored.trials if t.state == optuna.trial.TrialState.FAIL]
    assert len(finished) + len(failed) == 7
    assert all(t.params["model.hgb.learning_rate"] > 0.25 for t in failed)
    assert all(f"trial {t.number} failed: error: train: boom" in lines for t in failed)
    table = sweep.best_table(resumed)
    assert f"| 1 | {finished[0].number} | `s-{finished[0].number}` |" in table
    assert table.rstrip().endswith("| — | — | HEAD (committed params) |  | 0.69 |")


def test_a_resumed_study_must_keep_its_space(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sweep, "dvc", FakeDvc())
    sweep.run(make_plan(tmp_path, 1), lambda _: None)
    with pytest.raises(SweepError, match=r"study 's' .* resume it with the same space, metric and direction"):
        sweep.run(make_plan(tmp_path, 1, space="log:0.01..0.2"), lambda _: None)


def test_apply_best_applies_the_winner_and_keeps_the_journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeDvc()
    monkeypatch.setattr(sweep, "dvc", fake)
    result = sweep.run(make_plan(tmp_path, 3), lambda _: None)
    journal = (tmp_path / "sweeps" / "s.jsonl").read_bytes()
    message = sweep.apply_best(result)
    best = result.completed[0].user_attrs["experiment"]
    assert fake.calls[-1] == ("exp", "apply", best)
    assert message.startswith(f"applied {best} to the workspace")
    assert (tmp_path / "sweeps" / "s.jsonl").read_bytes() == journal
