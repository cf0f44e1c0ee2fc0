"""The `pipelab` command. One module per group of commands, each registering on `app`.

Command modules import heavy libraries inside the commands, so `pipelab --help` is quick.
"""

from pipelab.cli import contracts, experiments, modules, pipeline, quality
from pipelab.cli.app import app
from pipelab.cli.pipeline import stage_order, telemetry_rows

__all__ = ["app", "contracts", "experiments", "modules", "pipeline", "quality", "stage_order", "telemetry_rows"]
