"""Reference: the whole pipeline's computation in one process, no DVC, no intermediate files.

Calls the same pure functions the stages call, in the same order, keeping every table
in memory, so its scores equal the pipeline's (an integration test holds them to that).
`run_all.py` times this next to `dvc repro` to price the pipeline's overhead (process
start-ups, Parquet round trips, hashing, provenance, DVC bookkeeping), and reports the
share of it spent from training on: what a model-only change has to recompute.

    python benchmarks/reference.py [params.yaml] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from pipelab import evaluation
from pipelab.cleaning import PLANE_MEASUREMENTS, WEATHER_MEASUREMENTS, clean_flights, clean_weather
from pipelab.contracts.clean import CLEAN_FLIGHTS, CLEAN_WEATHER
from pipelab.contracts.modelling import FEATURES, PREDICTIONS
from pipelab.contracts.raw import RAW_CONTRACTS
from pipelab.contracts.validation import validate_table
from pipelab.core import registry
from pipelab.core.io import csv_text
from pipelab.core.params import SCALARS, SECTIONS, load_params
from pipelab.core.telemetry import peak_rss_mb
from pipelab.drift import profile, psi
from pipelab.features import build_features
from pipelab.manifest import Manifest
from pipelab.reports.base import ReportInputs
from pipelab.splitting import split_by_cutoff
from pipelab.training import train_model

REFERENCE = Path("data/reference/features.profile.json")
SCORES = ("roc_auc", "average_precision", "log_loss", "brier", "accuracy")  # as in metrics/scores.json


def run(params_path: Path, out: Path | None = None) -> dict[str, float]:
    """Run every step in memory; return scores, wall seconds (all, and from training on) and peak RSS.

    With `out`, also write the plot data and report tables there, as the stages write them (untimed).
    """
    start = time.perf_counter()
    params = load_params(params_path, [*SCALARS, *SECTIONS])
    raw, _ = registry.get("source", params.data.source).obj(params.data)
    valid: dict[str, pd.DataFrame] = {}
    for name in ("airlines", "airports", "planes", "weather", "flights"):  # as stages/validate.py
        refs = {RAW_CONTRACTS[t].name: frame for t, frame in valid.items()}
        valid[name] = validate_table(raw[name], RAW_CONTRACTS[name], "reference", references=refs).valid
    clean = params.clean
    strategy = registry.get("missing", clean.missing).obj
    config = clean.config_for(clean.missing)
    flights = clean_flights(valid["flights"], valid["airports"], clean.extra_timezones)
    flights = validate_table(flights, CLEAN_FLIGHTS, "reference").valid
    hourly = clean_weather(valid["weather"], valid["airports"], clean.extra_timezones)
    hourly = validate_table(hourly, CLEAN_WEATHER, "reference").valid
    weather = strategy(hourly, WEATHER_MEASUREMENTS, config, group="origin", order="time_hour")
    planes = strategy(valid["planes"], PLANE_MEASUREMENTS, config)
    table, manifest, _ = build_features(
        flights,
        weather=weather.frame,
        planes=planes.frame,
        airports=valid["airports"],
        features=params.features,
        target=params.target,
    )
    table = validate_table(table, FEATURES, "reference").valid
    psi(json.loads(REFERENCE.read_text(encoding="utf-8")), table)
    profile(table, manifest.numeric, manifest.categorical)
    train, test = split_by_cutoff(table, params.split.cutoff)
    model_start = time.perf_counter()  # from here on, what a model-only change re-computes
    model = train_model(train, Manifest.from_dict(manifest.to_dict()), params.model, params.seed)
    ev = params.evaluate
    scored = evaluation.predictions_table(test, model.predict_proba(test), ev.threshold)
    predictions = validate_table(scored, PREDICTIONS, "reference").valid
    y, p = predictions["late"].to_numpy(dtype="int64"), predictions["p_late"].to_numpy(dtype="float64")
    scores = evaluation.scores(y, p, ev.threshold)
    tables = {}  # the small CSVs the pipeline keeps in git, by their path there
    if len(np.unique(y)) == 2:
        tables["plots/roc.csv"] = evaluation.roc_points(y, p, ev.curve_points)
        tables["plots/precision_recall.csv"] = evaluation.precision_recall_points(y, p, ev.curve_points)
    tables["plots/calibration.csv"] = evaluation.calibration_bins(y, p, ev.calibration_bins)
    tables["plots/feature_importance.csv"] = evaluation.permutation_importance(model, test, y, ev, params.seed)
    tables["plots/error_by_carrier.csv"] = evaluation.error_by_carrier(predictions, y, p, ev.threshold)
    inputs = ReportInputs(flights, valid["airlines"], valid["airports"], predictions, params.target.late_minutes)
    for report in params.report.tables:
        table = registry.get("report", report).obj(inputs, params.report.config_for(report))
        tables[f"reports/{report}.csv"] = table.frame
    wall, model_seconds = time.perf_counter() - start, time.perf_counter() - model_start
    if out is not None:
        for path, frame in tables.items():
            (out / path).parent.mkdir(parents=True, exist_ok=True)
            (out / path).write_text(csv_text(frame), encoding="utf-8")
    return {
        **{name: float(scores[name]) for name in SCORES},
        "wall_seconds": wall,
        "model_seconds": model_seconds,
        "peak_rss_mb": peak_rss_mb(),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("params", type=Path, nargs="?", default=Path("params.yaml"))
    parser.add_argument("--out", type=Path, help="also write plots/*.csv and reports/*.csv under this directory")
    args = parser.parse_args()
    result = run(args.params, args.out)
    print(" ".join(f"{k}={v:.6f}" for k, v in result.items()))
