"""Fit the model `model.name` chooses on the training split."""

from __future__ import annotations

import pandas as pd

from pipelab.core import registry
from pipelab.core.errors import ContractError, DataError
from pipelab.core.params import ModelParams
from pipelab.core.telemetry import measure_module
from pipelab.manifest import Manifest
from pipelab.models.base import Estimator, TrainedModel

# Fewest training rows of each class of `late`: one example is nothing to learn from, and hgb's
# early stopping holds out a stratified share of the rows, which needs two of each class.
MIN_PER_CLASS = 2


def _checked_build(name: str, built: object, train: pd.DataFrame) -> tuple[Estimator, list[str]]:
    """A builder's (estimator, columns), refused before fitting if evaluate could not use it or it reads columns
    the table lacks: an estimator without predict_proba trained for minutes, then failed in evaluate."""
    where = f"model {name!r}"
    if not (isinstance(built, tuple) and len(built) == 2):
        raise ContractError(f"{where}: its builder returned a {type(built).__name__}, not (estimator, columns)")
    estimator, columns = built
    lacking = [method for method in ("fit", "predict_proba") if not callable(getattr(estimator, method, None))]
    if lacking:
        raise ContractError(
            f"{where}: its estimator ({type(estimator).__name__}) has no {' or '.join(lacking)}; "
            "evaluate needs the probability of `late`"
        )
    unknown = [str(c) for c in columns if c not in train.columns]
    if unknown:
        raise ContractError(f"{where} reads columns the features table lacks: {', '.join(unknown)}")
    return estimator, list(columns)


def train_model(train: pd.DataFrame, manifest: Manifest, params: ModelParams, seed: int) -> TrainedModel:
    """Build the chosen estimator from its config and fit it; one class only, or a class of one row, is a user error.

    A feature with no known value in the training split (a measurement a source lacks) is
    left out of the model, and named in `left_out`.
    """
    y = train[manifest.target].astype("int64")
    if y.nunique() < 2:
        raise DataError(
            f"training split has only class {int(y.iloc[0]) if len(y) else 'none'} of `late`; "
            "a classifier needs both (check split.cutoff and target.late_minutes)"
        )
    counts = y.value_counts()
    if counts.min() < MIN_PER_CLASS:
        raise DataError(
            f"training split has only {counts.min()} row(s) of class {counts.idxmin()} of `late`; "
            f"a classifier needs at least {MIN_PER_CLASS} of each (check split.cutoff and target.late_minutes)"
        )
    spec = registry.get("model", params.name)
    config = params.config_for(params.name)
    empty = tuple(c for c in manifest.features if train[c].isna().all())  # no information; crashes hgb's binning
    numeric, categorical = ([c for c in kind if c not in empty] for kind in (manifest.numeric, manifest.categorical))
    with measure_module(spec.key, spec.version, len(train)):
        estimator, columns = _checked_build(params.name, spec.obj(config, seed, numeric, categorical), train)
        estimator.fit(train[columns], y)
    return TrainedModel(
        name=params.name,
        config=config.model_dump(mode="json"),
        columns=columns,
        estimator=estimator,
        n_train=len(train),
        train_late_rate=float(y.mean()),
        left_out=empty,
    )
