"""One log channel for every stage: people read the console, tools read logs/pipelab.jsonl."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

LOG_FILE = Path("logs/pipelab.jsonl")
logger = logging.getLogger("pipelab")


class _JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "stage": getattr(record, "stage", None),
            "message": record.getMessage(),
        }
        return json.dumps(entry, sort_keys=True)


FILE_ONLY = {"file_only": True}  # `extra=` for a record the console already showed another way


def _not_file_only(record: logging.LogRecord) -> bool:
    return not getattr(record, "file_only", False)


class _StageFilter(logging.Filter):
    def __init__(self, stage: str):
        super().__init__()
        self.stage = stage

    def filter(self, record: logging.LogRecord) -> bool:
        record.stage = self.stage
        return True


def setup_logging(stage: str, verbose: bool, log_file: Path | None = LOG_FILE) -> logging.Logger:
    """Console (rich when a terminal, plain otherwise) plus an append-only JSON-lines file."""
    logger.handlers.clear()
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    console: logging.Handler
    if sys.stderr.isatty():
        from rich.logging import RichHandler

        console = RichHandler(show_path=False, rich_tracebacks=verbose)
        console.setFormatter(logging.Formatter(f"{stage}: %(message)s"))
    else:
        console = logging.StreamHandler(sys.stderr)
        console.setFormatter(logging.Formatter(f"%(levelname)s {stage}: %(message)s"))
    console.setLevel(logging.DEBUG if verbose else logging.INFO)
    console.addFilter(_not_file_only)
    logger.addHandler(console)
    if log_file is not None:
        try:
            log_file.parent.mkdir(parents=True, exist_ok=True)
            structured: logging.Handler | None = logging.FileHandler(log_file, encoding="utf-8")
        except OSError:  # a read-only checkout still runs; it only loses the file log
            structured = None
        if structured is not None:
            structured.setFormatter(_JsonLines())
            structured.setLevel(logging.DEBUG)
            logger.addHandler(structured)
    for handler in logger.handlers:
        handler.addFilter(_StageFilter(stage))
    return logger
