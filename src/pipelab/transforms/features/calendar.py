"""Calendar features of the scheduled local departure date."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelab.core.params import ModuleConfig
from pipelab.core.registry import ContractRef, register
from pipelab.transforms.features.base import FLIGHTS, FeatureBlock, FeatureInputs


def days_to_holiday(dates: pd.Series) -> pd.Series:
    """Absolute days to the nearest US federal holiday (holiday travel peaks around them)."""
    from pandas.tseries.holiday import USFederalHolidayCalendar

    days = dates.dt.normalize()
    if days.isna().all():
        return pd.Series(np.nan, index=dates.index, dtype="float64")
    first, last = days.min() - pd.Timedelta(days=366), days.max() + pd.Timedelta(days=366)
    holidays = USFederalHolidayCalendar().holidays(first, last)
    if len(holidays) == 0:
        return pd.Series(np.nan, index=dates.index, dtype="float64")
    values = days.to_numpy(dtype="datetime64[D]").astype("int64")
    marks = np.sort(holidays.to_numpy(dtype="datetime64[D]").astype("int64"))
    pos = np.clip(np.searchsorted(marks, values), 1, len(marks) - 1)
    nearest = np.minimum(np.abs(values - marks[pos - 1]), np.abs(marks[pos] - values))
    return pd.Series(nearest.astype("float64"), index=dates.index)


@register(
    "feature_group",
    "calendar",
    reads=(FLIGHTS,),
    writes=(ContractRef("features"),),
    failure_modes=("dates outside the pandas US federal holiday calendar give NaN days_to_holiday",),
)
def calendar_features(inputs: FeatureInputs, config: ModuleConfig) -> FeatureBlock:
    """Month, day of week, day of year, weekend flag and days to the nearest US holiday."""
    local = inputs.flights["sched_dep_local"]
    frame = pd.DataFrame(
        {
            "calendar__month": local.dt.month.astype("float64"),
            "calendar__day_of_week": local.dt.dayofweek.astype("float64"),
            "calendar__day_of_year": local.dt.dayofyear.astype("float64"),
            "calendar__weekend": (local.dt.dayofweek >= 5).astype("float64"),
            "calendar__days_to_holiday": days_to_holiday(local),
        },
        index=inputs.flights.index,
    )
    return FeatureBlock(frame)
