"""What every model provides: an estimator and the columns it reads, bundled once fitted."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from pipelab.core.errors import DataError, file_errors
from pipelab.core.params import ModuleConfig
from pipelab.core.registry import ContractRef

FEATURES_V1 = (ContractRef("features", ">=1,<2"),)


class Estimator(Protocol):
    def fit(self, X: pd.DataFrame, y: pd.Series) -> Any: ...
    def predict_proba(self, X: pd.DataFrame) -> np.ndarray: ...


class ModelBuilder(Protocol):
    def __call__(
        self, config: ModuleConfig, seed: int, numeric: list[str], categorical: list[str]
    ) -> tuple[Estimator, list[str]]: ...


@dataclass
class TrainedModel:
    """A fitted estimator with the name, config and columns needed to use it later."""

    name: str
    config: dict[str, Any]
    columns: list[str]
    estimator: Estimator
    n_train: int
    train_late_rate: float
    left_out: tuple[str, ...] = ()  # features with no known value in training: not in `columns`

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """P(late) per row of `frame` (which must hold `columns`)."""
        return np.asarray(self.estimator.predict_proba(frame[self.columns])[:, 1], dtype="float64")


def save_model(model: TrainedModel, path: Path) -> None:
    with file_errors(path), path.open("wb") as fh:  # a read-only or full disk: one line naming the file
        pickle.dump(model, fh, protocol=5)


def load_model(path: Path) -> TrainedModel:
    """The model train pickled; a truncated, foreign or stale file is one line, not a traceback."""
    rerun = "re-run the train stage (`dvc repro train`)"
    try:
        with path.open("rb") as fh:
            model = pickle.load(fh)
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError, TypeError, ValueError) as err:
        reason = str(err).splitlines()[0] if str(err) else "no details"
        raise DataError(
            f"{path}: not a model the train stage wrote ({type(err).__name__}: {reason}); {rerun}"
        ) from None
    if not isinstance(model, TrainedModel):
        raise DataError(f"{path}: holds a {type(model).__name__}, not a trained model; {rerun}")
    return model
