"""`python -m pipelab.experiments.deathsig PARENT MODULE ARGS...` is `python -m MODULE ARGS...` (for runs.py,
`python -m dvc`) in this same process, which the death of process PARENT (pipelab) stops as pipelab's Ctrl-C does.

runs.py starts DVC in a process group of its own and stops it with one SIGINT to that group. A pipelab SIGKILLed
(`kill -9`, the OOM killer) sends nothing: DVC ran on, orphaned, its stage to the end, until a write to its closed
pipes failed. On Linux the kernel now sends this process DEATH_SIGNAL when the thread that started it ends (prctl
PR_SET_PDEATHSIG), and its handler sends the group the one SIGINT pipelab would have sent. Not SIGINT itself: DVC
ignores SIGINT while a stage runs (on Ctrl-C the stage, in the same group, gets it and fails), so a SIGINT to DVC
alone let the stage run to its end and DVC go on to the next. SIGINT gets Python's default handler back: in its
own process group DVC gets no terminal's SIGINT, only pipelab's stop, which a SIGINT ignored from the start (a
background job, `cmd &` in a script) made DVC and its stages ignore too, until pipelab killed them after the grace
period, or never after `kill -9`. Elsewhere there is no parent-death signal, and MODULE just runs.

Part of every dvc start-up, so it imports nothing but the standard library.
"""

from __future__ import annotations

import ctypes
import os
import runpy
import signal
import sys
from types import FrameType

DEATH_SIGNAL = signal.SIGUSR1  # one that nothing else sends DVC: its handler stops DVC as Ctrl-C does
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _stop_group(signum: int, frame: FrameType | None) -> None:
    """As pipelab stops DVC: one SIGINT to the process group, which runs.py makes this process's own."""
    os.killpg(os.getpgrp(), signal.SIGINT)


def _stop_with(parent: int) -> None:
    """Have the death of `parent` stop this process's group; if it has already died, stop as on SIGINT now."""
    signal.signal(DEATH_SIGNAL, _stop_group)  # first: the signal's default action ends a process with no clean-up
    word = ctypes.c_ulong  # prctl(2) reads its arguments as unsigned long
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, word(DEATH_SIGNAL), word(0), word(0), word(0)):
        errno = ctypes.get_errno()
        raise OSError(errno, f"prctl(PR_SET_PDEATHSIG): {os.strerror(errno)}")
    if os.getppid() != parent:  # it died before prctl took effect, so no signal will come
        signal.raise_signal(signal.SIGINT)  # what _stop_group sends the group, which is only this process yet


def main(argv: list[str]) -> None:
    parent, module, *args = argv
    signal.signal(signal.SIGINT, signal.default_int_handler)  # DVC's stop, and its stages', see above
    if sys.platform.startswith("linux"):
        _stop_with(int(parent))
    sys.argv = [sys.argv[0], *args]  # run_module sets argv[0] to the module's file, as `python -m` does
    runpy.run_module(module, run_name="__main__", alter_sys=True)  # its SystemExit is this process's exit


if __name__ == "__main__":
    main(sys.argv[1:])
