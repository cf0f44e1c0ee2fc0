"""Which sweep runs a trial, and whether it still runs.

A trial stays RUNNING in the study's journal when its sweep dies without marking it (SIGKILL, a
crash, a power cut); another sweep of the same study may be running in another terminal, so
RUNNING alone cannot tell a dead trial from a live one. Each trial records its sweep's process:
host, process id and when the process started (Linux: boot id and start tick, so a pid the
kernel has since given to another process, or one from before a reboot, does not pass for it).
"""

from __future__ import annotations

import os
import socket
from dataclasses import asdict, dataclass
from pathlib import Path

PROC = Path("/proc")


def _started(pid: int) -> str | None:
    """When process `pid` started, as `<boot id> <start tick>`; "" where the system does not say (no /proc);
    None when there is no such process."""
    if not (PROC / "self" / "stat").exists():  # macOS, BSD: only whether the pid exists
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:  # another user's process
            pass
        return ""
    try:
        stat = (PROC / str(pid) / "stat").read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces and ')'
    if fields[0] in ("Z", "X"):  # ended, not yet reaped by its parent
        return None
    boot = (PROC / "sys" / "kernel" / "random" / "boot_id").read_text(encoding="utf-8").strip()
    return f"{boot} {fields[19]}"  # field 22 of proc_pid_stat(5): start time, in clock ticks after boot


@dataclass(frozen=True)
class Owner:
    """The process of the sweep that asked for a trial."""

    host: str
    pid: int
    started: str  # see _started

    @classmethod
    def this_process(cls) -> Owner:
        return cls(socket.gethostname(), os.getpid(), _started(os.getpid()) or "")

    @classmethod
    def recorded(cls, attr: object) -> Owner | None:
        """The owner a trial's user attribute records; None when it records none (an older pipelab's trial)."""
        if not isinstance(attr, dict):
            return None
        host, pid, started = attr.get("host"), attr.get("pid"), attr.get("started")
        if isinstance(host, str) and isinstance(pid, int) and isinstance(started, str):
            return cls(host, pid, started)
        return None

    def record(self) -> dict[str, str | int]:
        return asdict(self)

    def running(self) -> bool | None:
        """Whether the process still runs; None on another host, whose processes this one cannot see."""
        if self.host != socket.gethostname():
            return None
        now = _started(self.pid)
        return now is not None and (now == self.started or not (now and self.started))

    def __str__(self) -> str:
        return f"pid {self.pid} on {self.host}"
