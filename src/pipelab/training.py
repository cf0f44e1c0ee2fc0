"""Fit the model `model.name` chooses on the training split."""

from __future__ import annotations

import pandas as pd

from pipelab import registry
from pipelab.errors import DataError
from pipelab.manifest import Manifest
from pipelab.models.base import TrainedModel
from pipelab.params import ModelParams
from pipelab.telemetry import measure_module


def train_model(train: pd.DataFrame, manifest: Manifest, params: ModelParams, seed: int) -> TrainedModel:
    """Build the chosen estimator from its config and fit it; one class only is a user error.

    A feature with no known value in the training split (a measurement a source lacks) is
    left out of the model, and named in `left_out`.
    """
    y = train[manifest.target].astype("int64")
    if y.nunique() < 2:
        raise DataError(
            f"training split has only class {int(y.iloc[0]) if len(y) else 'none'} of `late`; "
            "a classifier needs both (check split.cutoff and target.late_minutes)"
        )
    spec = registry.get("model", params.name)
    config = params.config_for(params.name)
    empty = tuple(c for c in manifest.features if train[c].isna().all())  # no information; crashes hgb's binning
    numeric, categorical = ([c for c in kind if c not in empty] for kind in (manifest.numeric, manifest.categorical))
    with measure_module(spec.key, spec.version, len(train)):
        estimator, columns = spec.obj(config, seed, numeric, categorical)
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
