"""Report `model_by_carrier`."""

from __future__ import annotations

import pandas as pd

from pipelab.core.params import ModuleConfig
from pipelab.core.registry import ContractRef, register
from pipelab.reports.base import ReportInputs, ReportTable


@register(
    "report",
    "model_by_carrier",
    reads=(ContractRef("predictions"),),
    failure_modes=("carriers with few test flights give noisy shares",),
)
def model_by_carrier(inputs: ReportInputs, config: ModuleConfig) -> ReportTable:
    """Per carrier on the test split: actual late share vs the model's mean predicted probability."""
    grouped = inputs.predictions.groupby("carrier", sort=True)
    frame = pd.DataFrame(
        {
            "flights": grouped.size(),
            "actual_late": grouped["late"].mean(),
            "predicted_late": grouped["p_late"].mean(),
        }
    ).reset_index()
    return ReportTable("Model: predicted vs actual late share by carrier (test split)", frame)
