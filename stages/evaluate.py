"""Stage evaluate: score the model on the test split; predictions, metrics and plot data.

Predictions are validated against their contract (a flight without a usable probability
is quarantined, counted, and left out of the scores). Writes data/predictions/, flat
metrics/scores.json (ROC AUC, average precision, log loss, Brier, accuracy, ...), and small
aggregated plot data under plots/ (ROC, precision-recall, calibration, permutation
importance, error by carrier).
"""

from __future__ import annotations

import numpy as np

import pipelab.core.startup  # noqa: F401  (first: a Ctrl-C while the modules below load is one line)
from pipelab import evaluation
from pipelab.contracts.modelling import FEATURES, PREDICTIONS
from pipelab.core.stage import StageContext, StageSpec, run_stage
from pipelab.models.base import load_model

SPEC = StageSpec(
    name="evaluate",
    description=__doc__ or "",
    params=("seed", "evaluate", "quality"),
    deps=("data/splits/test", "models/model.pkl"),
    outs=("data/predictions",),
    validates=(PREDICTIONS.name,),
    metrics=("metrics/scores.json",),
    plots=(
        "plots/roc.csv",
        "plots/precision_recall.csv",
        "plots/calibration.csv",
        "plots/feature_importance.csv",
        "plots/error_by_carrier.csv",
    ),
)


def run(ctx: StageContext) -> None:
    params = ctx.params.evaluate
    model = load_model(ctx.input("models/model.pkl"))
    test = ctx.read("data/splits/test", contract=FEATURES)
    scored = evaluation.predictions_table(test, model.predict_proba(test), params.threshold)
    predictions = ctx.validate(scored, PREDICTIONS)
    test = test[test["row_id"].isin(predictions["row_id"])].reset_index(drop=True)  # same rows, same order
    y, p = predictions["late"].to_numpy(dtype="int64"), predictions["p_late"].to_numpy(dtype="float64")
    scores = evaluation.scores(y, p, params.threshold) | {"n_train": model.n_train}
    ctx.log.info("%s: %s", model.name, ", ".join(f"{k}={v}" for k, v in scores.items()))
    ctx.write(predictions, "data/predictions/predictions.parquet", PREDICTIONS)
    ctx.write_json(scores, "metrics/scores.json")
    if len(np.unique(y)) == 2:
        ctx.write_csv(evaluation.roc_points(y, p, params.curve_points), "plots/roc.csv")
        ctx.write_csv(evaluation.precision_recall_points(y, p, params.curve_points), "plots/precision_recall.csv")
    else:
        ctx.log.warning(
            "test split has one class only: no ROC AUC or average precision in metrics/scores.json, empty curves"
        )
        ctx.write_text("fpr,tpr\n", "plots/roc.csv")
        ctx.write_text("recall,precision\n", "plots/precision_recall.csv")
    ctx.write_csv(evaluation.calibration_bins(y, p, params.calibration_bins), "plots/calibration.csv")
    ctx.write_csv(
        evaluation.permutation_importance(model, test, y, params, ctx.params.seed), "plots/feature_importance.csv"
    )
    ctx.write_csv(evaluation.error_by_carrier(predictions, y, p, params.threshold), "plots/error_by_carrier.csv")


if __name__ == "__main__":
    raise SystemExit(run_stage(SPEC, run))
