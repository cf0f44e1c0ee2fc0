"""Models: the historical-rate baseline (exact), logistic and hgb (fit, determinism), train_model."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.svm import LinearSVC
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from pipelab.core import registry
from pipelab.core.errors import ContractError, DataError
from pipelab.core.params import ModelParams, ModuleConfig
from pipelab.models.base import TrainedModel, load_model, save_model
from pipelab.models.baseline import BaselineConfig, HistoricalLateRate, build_baseline
from pipelab.models.hgb import HGBConfig
from pipelab.models.logistic import LogisticConfig
from pipelab.training import train_model
from tests.unit.builders import model_table

FAST_CONFIGS: dict[str, ModuleConfig] = {
    "baseline": BaselineConfig(),
    "logistic": LogisticConfig(min_frequency=5),
    "hgb": HGBConfig(max_iter=30, min_samples_leaf=5),
}


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    """Tiny fits need no OpenMP threads, which spin slowly on a busy machine."""
    with threadpool_limits(limits=1):
        yield


def _params(name: str) -> ModelParams:
    return ModelParams(name=name, configs={name: FAST_CONFIGS[name]})


def _history() -> tuple[pd.DataFrame, pd.Series]:
    rows = (
        [("AA", "EWR", 5, y) for y in (1, 1, 1, 0)]
        + [("AA", "EWR", 6, y) for y in (0, 0)]
        + [("AA", "JFK", 5, y) for y in (0, 0, 0)]
        + [("UA", "EWR", 5, y) for y in (1, 0)]
    )
    frame = pd.DataFrame(rows, columns=["carrier", "origin", "sched_dep_hour", "late"])
    return frame.drop(columns="late"), frame["late"]


def _ask(*keys: tuple[str, str, int]) -> pd.DataFrame:
    return pd.DataFrame(list(keys), columns=["carrier", "origin", "sched_dep_hour"])


def test_models_are_registered() -> None:
    assert {"baseline", "hgb", "logistic"} <= set(registry.names("model"))


def test_baseline_rates_with_shrinkage_and_fallbacks() -> None:
    X, y = _history()
    model = HistoricalLateRate(prior_strength=2.0, min_flights=3).fit(X, y)
    k = Fraction(2)  # pseudo-flights of the parent rate
    overall = Fraction(4, 11)
    aa = (3 + k * overall) / (9 + k)  # 9 AA flights, 3 late; UA has 2 < 3 flights: uses `overall`
    aa_ewr = (3 + k * aa) / (6 + k)
    aa_jfk = (0 + k * aa) / (3 + k)
    aa_ewr_5 = (3 + k * aa_ewr) / (4 + k)
    aa_jfk_5 = (0 + k * aa_jfk) / (3 + k)
    assert model.global_rate_ == pytest.approx(float(overall))
    asked = _ask(
        ("AA", "EWR", 5),
        ("AA", "EWR", 6),  # 2 flights: the AA x EWR rate
        ("AA", "EWR", 23),  # unseen hour: the AA x EWR rate
        ("AA", "JFK", 5),
        ("AA", "LGA", 5),  # unseen origin: the AA rate
        ("UA", "EWR", 5),  # small at every level: the overall rate
        ("DL", "EWR", 5),  # unseen carrier: the overall rate
    )
    expected = [aa_ewr_5, aa_ewr, aa_ewr, aa_jfk_5, aa, overall, overall]
    proba = model.predict_proba(asked)
    assert proba.shape == (7, 2)
    np.testing.assert_allclose(proba[:, 1], [float(v) for v in expected], rtol=1e-12)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_baseline_without_shrinkage_gives_raw_group_rates() -> None:
    X, y = _history()
    model = HistoricalLateRate(prior_strength=0.0, min_flights=1).fit(X, y)
    proba = model.predict_proba(_ask(("AA", "EWR", 5), ("AA", "EWR", 6), ("UA", "EWR", 5), ("AA", "EWR", 9)))
    np.testing.assert_allclose(proba[:, 1], [0.75, 1e-6, 0.5, 0.5])  # 0 is clipped to 1e-6


def test_baseline_predicts_in_row_order_whatever_the_index() -> None:
    X, y = _history()
    model = HistoricalLateRate(prior_strength=0.0, min_flights=1).fit(X, y)
    asked = _ask(("UA", "EWR", 5), ("AA", "EWR", 5))
    asked.index = [9, 3]
    np.testing.assert_allclose(model.predict_proba(asked)[:, 1], [0.5, 0.75])


def test_baseline_cannot_fit_zero_rows() -> None:
    X, y = _history()
    with pytest.raises(ValueError, match="zero rows"):
        HistoricalLateRate().fit(X.iloc[:0], y.iloc[:0])


def test_build_baseline_reads_id_columns() -> None:
    estimator, columns = build_baseline(BaselineConfig(prior_strength=5.0, min_flights=2), 0, ["x"], ["carrier"])
    assert columns == ["carrier", "origin", "sched_dep_hour"]
    assert isinstance(estimator, HistoricalLateRate)
    assert (estimator.prior_strength, estimator.min_flights) == (5.0, 2)


@pytest.mark.parametrize("name", ["baseline", "logistic", "hgb"])
def test_train_model_gives_probabilities(name: str) -> None:
    table, manifest = model_table()
    model = train_model(table, manifest, _params(name), seed=1)
    p = model.predict_proba(table)
    assert p.shape == (len(table),)
    assert p.dtype == np.float64
    assert ((p > 0) & (p < 1)).all()
    assert len(np.unique(p)) > 1
    assert model.name == name
    assert model.n_train == 200
    assert model.train_late_rate == pytest.approx(table["late"].mean())
    assert model.config == FAST_CONFIGS[name].model_dump(mode="json")


@pytest.mark.parametrize("name", ["logistic", "hgb"])
def test_learned_models_rank_the_signal(name: str) -> None:
    table, manifest = model_table(n=400)
    model = train_model(table, manifest, _params(name), seed=1)
    p = model.predict_proba(table)
    assert roc_auc_score(table["late"], p) > 0.75


@pytest.mark.parametrize("name", ["baseline", "logistic", "hgb"])
def test_same_seed_gives_identical_model(name: str) -> None:
    table, manifest = model_table()
    first = train_model(table, manifest, _params(name), seed=13)
    second = train_model(table, manifest, _params(name), seed=13)
    np.testing.assert_array_equal(first.predict_proba(table), second.predict_proba(table))
    assert pickle.dumps(first.estimator) == pickle.dumps(second.estimator)


@pytest.mark.parametrize("name", ["baseline", "logistic", "hgb"])
def test_unknown_category_at_predict_time(name: str) -> None:
    table, manifest = model_table()
    model = train_model(table, manifest, _params(name), seed=1)
    unseen = table.head(5).assign(carrier="ZZ", origin="XXX")
    p = model.predict_proba(unseen)
    assert p.shape == (5,)
    assert np.isfinite(p).all()
    assert ((p > 0) & (p < 1)).all()


def test_hgb_handles_missing_numbers() -> None:
    table, manifest = model_table()
    table.loc[::3, "x"] = np.nan
    model = train_model(table, manifest, _params("hgb"), seed=1)
    assert np.isfinite(model.predict_proba(table)).all()


@pytest.mark.parametrize("name", ["baseline", "logistic", "hgb"])
def test_a_feature_with_no_known_value_is_left_out_of_the_model(name: str) -> None:
    """A source without precipitation readings: hgb's binning used to crash on the all-NaN column."""
    table, manifest = model_table()
    table["x"] = np.nan
    model = train_model(table, manifest, _params(name), seed=1)
    assert model.left_out == ("x",)
    assert "x" not in model.columns
    assert np.isfinite(model.predict_proba(table)).all()
    assert train_model(model_table()[0], manifest, _params(name), seed=1).left_out == ()


def test_hgb_groups_the_rarest_of_more_than_255_categories() -> None:
    """National data has more destinations than histogram gradient boosting has bins (255)."""
    table, manifest = model_table(n=2000)
    table["carrier"] = [f"C{i % 300}" for i in range(len(table))]
    model = train_model(table, manifest, _params("hgb"), seed=1)
    p = model.predict_proba(table.assign(carrier="never seen"))
    assert np.isfinite(p).all()
    pipeline: Any = model.estimator
    encoder = pipeline[0].named_transformers_["categorical"]
    assert len(encoder.infrequent_categories_[0]) == 300 - 254


def test_logistic_handles_missing_numbers_and_categories() -> None:
    table, manifest = model_table()
    table.loc[::3, "x"] = np.nan
    table.loc[::5, "carrier"] = None
    model = train_model(table, manifest, _params("logistic"), seed=1)
    assert np.isfinite(model.predict_proba(table)).all()


@pytest.mark.parametrize(("late", "shown"), [(0, "only class 0"), (1, "only class 1")])
def test_train_model_with_one_class_is_a_data_error(late: int, shown: str) -> None:
    table, manifest = model_table()
    table["late"] = late
    with pytest.raises(DataError) as err:
        train_model(table, manifest, _params("hgb"), seed=1)
    message = str(err.value)
    assert message.startswith(f"training split has {shown} of `late`")
    assert "split.cutoff" in message
    assert "target.late_minutes" in message


@pytest.mark.parametrize("name", ["hgb", "logistic"])
def test_train_model_with_one_row_of_a_class_is_a_data_error(name: str) -> None:
    """hgb's early stopping failed here as an internal error (a stratified hold-out needs two of each class)."""
    table, manifest = model_table()
    table["late"] = 0
    table.loc[table.index[0], "late"] = 1
    with pytest.raises(DataError) as err:
        train_model(table, manifest, _params(name), seed=1)
    message = str(err.value)
    assert message.startswith("training split has only 1 row(s) of class 1 of `late`")
    assert "split.cutoff" in message


def test_train_model_on_zero_rows_is_a_data_error() -> None:
    table, manifest = model_table()
    with pytest.raises(DataError, match="only class none"):
        train_model(table.iloc[:0], manifest, _params("baseline"), seed=1)


BAD_BUILDS: dict[str, tuple[Any, str]] = {
    "no probabilities": (
        lambda numeric, categorical: (LinearSVC(), numeric),
        "its estimator (LinearSVC) has no predict_proba; evaluate needs the probability of `late`",
    ),
    "not an estimator": (lambda numeric, categorical: (object(), numeric), "its estimator (object) has no fit or"),
    "estimator only": (
        lambda numeric, categorical: LogisticRegression(),
        "its builder returned a LogisticRegression, not (estimator, columns)",
    ),
    "unknown column": (
        lambda numeric, categorical: (LogisticRegression(), [*numeric, "nope"]),
        "reads columns the features table lacks: nope",
    ),
}


@pytest.mark.usefixtures("private_registry")
@pytest.mark.parametrize("case", sorted(BAD_BUILDS))
def test_a_builder_whose_result_train_or_evaluate_cannot_use_is_refused_before_fitting(case: str) -> None:
    # A LinearSVC trained (minutes on the full data), then evaluate failed: 'Pipeline' has no attribute ...
    build, message = BAD_BUILDS[case]
    registry.register("model", "bad")(lambda config, seed, numeric, categorical: build(numeric, categorical))
    table, manifest = model_table()
    with pytest.raises(ContractError) as err:
        train_model(table, manifest, ModelParams(name="bad"), seed=1)
    assert str(err.value).startswith("model 'bad'")
    assert message in str(err.value)


def test_trained_model_predicts_from_its_own_columns() -> None:
    table, manifest = model_table()
    model = train_model(table, manifest, _params("logistic"), seed=1)
    assert model.columns == ["x", "noise", "carrier"]
    shuffled = table[["late", "carrier", "row_id", "noise", "x"]].assign(unused=1.0)
    np.testing.assert_array_equal(model.predict_proba(shuffled), model.predict_proba(table))
    with pytest.raises(KeyError):
        model.predict_proba(table.drop(columns=["noise"]))


def test_trained_model_wraps_any_estimator() -> None:
    X, y = _history()
    model = TrainedModel(
        name="baseline",
        config={},
        columns=["carrier", "origin", "sched_dep_hour"],
        estimator=HistoricalLateRate(prior_strength=0.0, min_flights=1).fit(X, y),
        n_train=len(X),
        train_late_rate=float(y.mean()),
    )
    np.testing.assert_allclose(model.predict_proba(_ask(("UA", "EWR", 5)).assign(other=3)), [0.5])


def test_a_saved_model_loads_back(tmp_path: Path) -> None:
    table, manifest = model_table()
    model = train_model(table, manifest, _params("baseline"), seed=1)
    save_model(model, tmp_path / "model.pkl")
    loaded = load_model(tmp_path / "model.pkl")
    np.testing.assert_array_equal(loaded.predict_proba(table), model.predict_proba(table))


def test_a_model_that_cannot_be_written_is_one_line_naming_the_file(tmp_path: Path) -> None:
    """Before: an IsADirectoryError (or a read-only disk's OSError) became train's 'internal error', exit 3."""
    table, manifest = model_table()
    model = train_model(table, manifest, _params("baseline"), seed=1)
    path = tmp_path / "model.pkl"
    path.mkdir()
    with pytest.raises(DataError) as info:
        save_model(model, path)
    assert str(info.value) == f"{path}: is a directory, not a file"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "EOFError: Ran out of input"),
        (b"not a pickle at all", "UnpicklingError: "),
        (pickle.dumps({"a": 1}, protocol=5)[:-4], "UnpicklingError: "),  # truncated
        (b"\x80\x05\x95\x1e\x00\x00\x00\x00\x00\x00\x00\x8c\x0bpipelab.nop\x94\x8c\x03Gone\x94\x93\x94.", "Error: "),
    ],
    ids=["empty", "garbage", "truncated", "stale-class"],
)
def test_a_broken_model_file_is_one_line_naming_it(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "model.pkl"
    path.write_bytes(content)
    with pytest.raises(DataError) as info:
        load_model(path)
    message = str(info.value)
    assert message.startswith(f"{path}: not a model the train stage wrote (")
    assert reason in message
    assert message.endswith("; re-run the train stage (`dvc repro train`)")
    assert "\n" not in message


def test_a_pickle_of_something_else_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(DataError) as info:
        load_model(path)
    assert str(info.value) == f"{path}: holds a dict, not a trained model; re-run the train stage (`dvc repro train`)"
