"""Missing-value strategies for measurements (weather readings, aircraft build year).

Chosen by `clean.missing`; each strategy's own settings live in `clean.<strategy>`.
Every strategy reports how many rows it dropped or values it filled, so nothing is lost
silently. One file per strategy; a new file here registers a new strategy.
"""

from pipelab.transforms.missing.base import MissingResult, MissingStrategy
from pipelab.transforms.missing.drop import drop_missing
from pipelab.transforms.missing.flag import flag_missing
from pipelab.transforms.missing.impute import ImputeConfig, impute_missing

__all__ = ["ImputeConfig", "MissingResult", "MissingStrategy", "drop_missing", "flag_missing", "impute_missing"]
