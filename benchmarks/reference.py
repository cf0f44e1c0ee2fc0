"""Reference: the whole pipeline's computation in one process, no DVC, no intermediate files.

Calls the same pure functions the stages call, in the same order, keeping every table
in memory. `run_all.py` times this next to `dvc repro` to price the pipeline's overhead
(process start-ups, Parquet round trips, hashing, provenance, DVC bookkeeping).

    python benchmarks/reference.py [params.yaml]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from pipelab import evaluation, registry, reporting
from pipelab.cleaning import PLANE_MEASUREMENTS, WEATHER_MEASUREMENTS, clean_flights, clean_weather
from pipelab.contracts.raw import RAW_CONTRACTS
from pipelab.contracts.validation import validate_table
from pipelab.features import build_features
from pipelab.manifest import Manifest
from pipelab.params import SCALARS, SECTIONS, load_params
from pipelab.splitting import split_by_cutoff
from pipelab.tables import TABLES
from pipelab.telemetry import peak_rss_mb
from pipelab.training import train_model


def run(params_path: Path) -> dict[str, float]:
    """Run every step in memory; return scores plus wall seconds and peak RSS."""
    start = time.perf_counter()
    params = load_params(params_path, [*SCALARS, *SECTIONS])
    raw, _ = registry.get("source", params.data.source).obj(params.data)
    valid = {t: validate_table(raw[t], RAW_CONTRACTS[t], stage="reference").valid for t in TABLES}
    clean = params.clean
    strategy = registry.get("missing", clean.missing).obj
    config = clean.config_for(clean.missing)
    flights = clean_flights(valid["flights"], valid["airports"], clean.extra_timezones)
    weather = strategy(clean_weather(valid["weather"]), WEATHER_MEASUREMENTS, config, group="origin", order="time_hour")
    planes = strategy(valid["planes"], PLANE_MEASUREMENTS, config)
    table, manifest, _ = build_features(
        flights,
        weather=weather.frame,
        planes=planes.frame,
        airports=valid["airports"],
        features=params.features,
        target=params.target,
    )
    train, test = split_by_cutoff(table, params.split.cutoff)
    model = train_model(train, Manifest.from_dict(manifest.to_dict()), params.model, params.seed)
    y = test["late"].to_numpy(dtype="int64")
    p = model.predict_proba(test)
    ev = params.evaluate
    scores = evaluation.scores(y, p, ev.threshold)
    evaluation.predictions_table(test, y, p, ev.threshold)
    if len(np.unique(y)) == 2:
        evaluation.roc_points(y, p, ev.curve_points)
        evaluation.precision_recall_points(y, p, ev.curve_points)
    evaluation.calibration_bins(y, p, ev.calibration_bins)
    evaluation.permutation_importance(model, test, y, ev, params.seed)
    evaluation.error_by_carrier(test, y, p, ev.threshold)
    late = params.target.late_minutes
    reporting.by_carrier(flights, valid["airlines"], late)
    reporting.by_origin(flights, valid["airports"], late)
    reporting.by_month(flights, late)
    reporting.by_hour(flights, late)
    return {
        "roc_auc": float(scores["roc_auc"]),
        "wall_seconds": time.perf_counter() - start,
        "peak_rss_mb": peak_rss_mb(),
    }


if __name__ == "__main__":
    result = run(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("params.yaml"))
    print(" ".join(f"{k}={v:.4f}" for k, v in result.items()))
