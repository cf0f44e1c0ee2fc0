"""Per-stage telemetry: wall and CPU time, peak memory, rows in and out, throughput.

Written to metrics/telemetry/<stage>.json (git-tracked, never inside hashed outputs), so
`dvc metrics diff` shows performance changes next to result changes.
"""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TELEMETRY_DIR = Path("metrics/telemetry")


def telemetry_path(stage: str) -> Path:
    return TELEMETRY_DIR / f"{stage}.json"


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (ru_maxrss is KiB on Linux)."""
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


@dataclass
class Meter:
    """Measures one stage run; counts are added by the stage context as it reads and writes."""

    rows_in: int = 0
    rows_out: int = 0
    extra: dict[str, float] = field(default_factory=dict)
    _wall0: float = field(default_factory=time.perf_counter)
    _cpu0: float = field(default_factory=_cpu_seconds)

    def add(self, name: str, value: float) -> None:
        """Accumulate an extra figure (e.g. seconds spent checking contracts)."""
        self.extra[name] = self.extra.get(name, 0.0) + value

    def snapshot(self) -> dict[str, Any]:
        wall = time.perf_counter() - self._wall0
        record: dict[str, Any] = {
            "wall_seconds": round(wall, 3),
            "cpu_seconds": round(_cpu_seconds() - self._cpu0, 3),
            "peak_rss_mb": round(peak_rss_mb(), 1),
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "rows_per_second": round(self.rows_in / wall, 1) if wall > 0 else 0.0,
        }
        record.update({k: round(v, 6) for k, v in sorted(self.extra.items())})
        return record


MODULE_LOG = Path("logs/modules.jsonl")
_MODULE_RUNS: list[dict[str, Any]] = []
MIN_TIMED_SECONDS = 0.001  # a module call shorter than this gets no rows/s (9,627 rows in 1 µs is not a speed)


MODULE_NOTE = "raised in module "  # the note an exception escaping a module call carries (`module_of`)


@contextmanager
def measure_module(key: str, version: str, rows: int = 0) -> Iterator[dict[str, Any]]:
    """Time one module call; the stage runtime appends the record to logs/modules.jsonl.

    Yields the record, so a caller that learns the row count only afterwards can set
    `rows`. Peak RSS is the process peak when the module returns (an upper bound).
    An exception escaping the call gets a note naming the module, for the stage's error line.
    """
    record: dict[str, Any] = {"module": key, "version": version, "rows": rows}
    start = time.perf_counter()
    try:
        yield record
    except Exception as err:
        err.add_note(f"{MODULE_NOTE}{key} {version}")
        raise
    seconds = time.perf_counter() - start
    count = int(record["rows"])
    record["seconds"] = round(seconds, 4)
    timed = seconds >= MIN_TIMED_SECONDS  # below, the timer's own cost is the measurement
    record["rows_per_second"] = round(count / seconds, 1) if timed and count else None
    record["peak_rss_mb"] = round(peak_rss_mb(), 1)
    _MODULE_RUNS.append(record)


def drain_module_runs() -> list[dict[str, Any]]:
    """The module records since the last drain (the runtime writes them at commit)."""
    runs = list(_MODULE_RUNS)
    _MODULE_RUNS.clear()
    return runs


def module_of(err: BaseException) -> str | None:
    """The module (`kind:name version`) an exception escaped from, if it escaped from one."""
    notes = [n for n in getattr(err, "__notes__", []) if n.startswith(MODULE_NOTE)]
    return notes[-1].removeprefix(MODULE_NOTE) if notes else None
