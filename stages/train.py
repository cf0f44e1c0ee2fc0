"""Stage train: fit the model `model.name` chooses (baseline | logistic | hgb) on the train split.

Hyperparameters come from `model.<name>`, randomness from `seed`; the fitted model,
its columns and config are pickled to models/model.pkl.
"""

from __future__ import annotations

import json

import pipelab.core.startup  # noqa: F401  (first: a Ctrl-C while the modules below load is one line)
from pipelab.contracts.modelling import FEATURES
from pipelab.core.stage import StageContext, StageSpec, run_stage
from pipelab.manifest import Manifest
from pipelab.models.base import save_model
from pipelab.training import train_model

SPEC = StageSpec(
    name="train",
    description=__doc__ or "",
    params=("seed", "model"),
    deps=("data/splits/train", "data/splits/manifest.json"),
    outs=("models/model.pkl",),
)


def run(ctx: StageContext) -> None:
    ctx.module("model", ctx.params.model.name, inputs=["data/splits/train"])
    manifest = Manifest.from_dict(json.loads(ctx.input("data/splits/manifest.json").read_text(encoding="utf-8")))
    model = train_model(ctx.read("data/splits/train", contract=FEATURES), manifest, ctx.params.model, ctx.params.seed)
    ctx.log.info("trained %s on %d rows (late rate %.3f)", model.name, model.n_train, model.train_late_rate)
    if model.left_out:
        ctx.log.warning("no known value in the training split, left out of the model: %s", ", ".join(model.left_out))
    ctx.count("features_left_out", len(model.left_out))
    save_model(model, ctx.output("models/model.pkl"))


if __name__ == "__main__":
    raise SystemExit(run_stage(SPEC, run))
