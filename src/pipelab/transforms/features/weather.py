"""Weather at the origin airport in the hour of scheduled departure."""

from __future__ import annotations

import pandas as pd

from pipelab.core.params import ModuleConfig
from pipelab.core.registry import ContractRef, register
from pipelab.transforms.features.base import FLIGHTS, FeatureBlock, FeatureInputs

KEY = ["origin", "time_hour"]
PLACEMENT = ("row_id", "local_hour", "origin_tzone")  # which reading and when: not measurements


@register(
    "feature_group",
    "weather",
    reads=(FLIGHTS, ContractRef("clean_weather")),
    writes=(ContractRef("features"),),
    failure_modes=("hours without a reading (or quarantined) give NaN and weather__known=0",),
)
def weather_features(inputs: FeatureInputs, config: ModuleConfig) -> FeatureBlock:
    """Temperature, dew point, humidity, wind, gusts, precipitation, pressure, visibility.

    Joined on (origin, scheduled departure hour in UTC); hours without a reading stay NaN
    and `weather__known` says so. Indicator columns from `clean.missing=flag` come along.
    """
    f = inputs.flights
    hours = pd.DataFrame({"origin": f["origin"], "time_hour": f["sched_dep_utc"].dt.floor("h")}, index=f.index)
    measured = [c for c in inputs.weather.columns if c not in (*KEY, *PLACEMENT)]
    joined = hours.merge(inputs.weather[KEY + measured], on=KEY, how="left", validate="many_to_one")
    joined.index = f.index
    frame = pd.DataFrame({f"weather__{c}": joined[c].astype("float64") for c in measured}, index=f.index)
    frame["weather__known"] = joined[KEY[1]].notna() & joined[measured].notna().any(axis=1)
    frame["weather__known"] = frame["weather__known"].astype("float64")
    return FeatureBlock(frame)
