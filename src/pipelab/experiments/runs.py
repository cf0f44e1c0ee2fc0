"""Running `dvc` so that stopping pipelab stops DVC as a Ctrl-C of `dvc` itself does.

DVC runs in a process group of its own, so the terminal's SIGINT reaches pipelab alone, which
passes exactly one on to the group: DVC fails the stage and removes its temporary copy, as on a
Ctrl-C of `dvc exp run` itself, and `dvc exp apply` puts back the HEAD it detaches while it works.
(`subprocess.run` SIGKILLs the child 0.25 s after an interrupt: DVC's copy then stayed, shown as
"Running" by `dvc exp show` for ever, and `dvc exp remove` does not know it.) Within
`stop_signals`, SIGTERM (`kill`, a service manager) and SIGHUP (a closed terminal) stop pipelab
the same way: DVC handles neither, and pipelab dying on them left its trial running in the
study's journal. SIGKILLed (`kill -9`, the OOM killer), pipelab can pass nothing on: DVC starts under
`deathsig`, which on Linux has the kernel's parent-death signal send the group that same SIGINT (DVC used to run
on, orphaned, its stage to the end, until a write to its closed pipes failed).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import FrameType

from pipelab.core.errors import PipelabError
from pipelab.experiments import deathsig

DVC = "dvc"  # the module run as `python -m dvc` runs it: the dvc of this Python environment
EXPS_TMP = Path(".dvc", "tmp", "exps")  # where DVC keeps a `--temp` run's copy of the repository and its info files
STOP_GRACE = 30.0  # seconds DVC gets after Ctrl-C to fail the stage it runs and remove its copy
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Stop(KeyboardInterrupt):
    """Ctrl-C, SIGTERM or SIGHUP within stop_signals, raised where the code runs as a KeyboardInterrupt, so that
    one path stops a run whatever stopped pipelab."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class RunInterruptedError(PipelabError):
    """A run stopped by Ctrl-C, SIGTERM or SIGHUP, and what DVC kept of it removed; exit 128 + the signal's
    number (130 for Ctrl-C), as shells report a command a signal ended."""

    exit_code = 128 + signal.SIGINT

    def __init__(self, message: str = "", left: Sequence[Path] = (), signum: int = signal.SIGINT) -> None:
        super().__init__(message or _stopped_by(signum))
        self.left = tuple(left)  # what could not be removed
        self.signum = signum
        self.exit_code = 128 + signum


def _signum(err: BaseException) -> int:
    return err.signum if isinstance(err, Stop | RunInterruptedError) else signal.SIGINT


def _stopped_by(signum: int) -> str:
    return "interrupted" if signum == signal.SIGINT else f"interrupted by {signal.Signals(signum).name}"


def stop_reason(err: BaseException) -> str:
    """What stopped a run, for the record: `interrupted` (Ctrl-C), `interrupted by SIGTERM`, ..."""
    return _stopped_by(_signum(err))


def interrupted(stopped: str, err: BaseException) -> RunInterruptedError:
    """The one line for a stop: what was stopped, and the command that removes anything left behind."""
    left = err.left if isinstance(err, RunInterruptedError) else ()
    tail = f"; remove what DVC left with `rm -rf {shlex.join(map(str, left))}`" if left else ""
    return RunInterruptedError(f"{stop_reason(err)}: {stopped}{tail}", left, _signum(err))


@dataclass
class _Stopping:
    signum: int | None = None  # the signal that is stopping the command
    group: int | None = None  # the dvc process group being stopped
    held: bool = False  # within `held`: the first stop signal waits until the block ends
    pending: bool = False  # it arrived there


_STOPPING = _Stopping()


def _on_stop_signal(signum: int, frame: FrameType | None) -> None:
    """The first stop signal raises; later ones never interrupt the clean-up. A repeated Ctrl-C or SIGTERM kills
    the dvc being stopped; SIGHUP does not, as a closed terminal sends it twice (the shell, then the kernel)."""
    if _STOPPING.signum is None:
        _STOPPING.signum = signum
        _STOPPING.pending = _STOPPING.held
        if not _STOPPING.held:
            raise Stop(signum)
    if signum != signal.SIGHUP and _STOPPING.group is not None:
        _signal_group(_STOPPING.group, signal.SIGKILL)


@contextmanager
def stop_signals() -> Iterator[None]:
    """Stop on Ctrl-C, SIGTERM or SIGHUP as on Ctrl-C; what ends the block that way becomes RunInterruptedError.

    A signal the command was started to ignore stays ignored: SIGHUP under `nohup`, SIGINT in a background job.
    """
    taken = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    taken = {sig: handler for sig, handler in taken.items() if handler in (signal.SIG_DFL, signal.default_int_handler)}
    _STOPPING.signum, _STOPPING.pending = None, False
    for sig in taken:
        signal.signal(sig, _on_stop_signal)
    try:
        yield
    except KeyboardInterrupt as err:
        raise RunInterruptedError(signum=_signum(err)) from None
    finally:
        for sig, handler in taken.items():
            signal.signal(sig, handler)
        _STOPPING.signum, _STOPPING.pending = None, False


@contextmanager
def held() -> Iterator[None]:
    """A stop signal (within stop_signals) that arrives in the block is raised when it ends, not inside it."""
    _STOPPING.held = True
    try:
        yield
    finally:
        _STOPPING.held = False
    if _STOPPING.pending and _STOPPING.signum is not None:
        _STOPPING.pending = False
        raise Stop(_STOPPING.signum)


def dvc(root: Path, *args: str, leftovers: Callable[[], Sequence[Path]] = tuple) -> subprocess.CompletedProcess[str]:
    """Run the `dvc` of this Python environment in `root`. On a stop, stop it as on Ctrl-C, call `leftovers`
    (it removes what DVC left and returns what it could not) and raise RunInterruptedError."""
    # The kernel sends the death signal when the thread that started dvc ends, not the process: pipelab has one
    # thread (stop_signals' handlers, too, work in the main thread only), which waits here until dvc has ended.
    command = [sys.executable, "-m", deathsig.__name__, str(os.getpid()), DVC, *args]
    with subprocess.Popen(
        command,
        cwd=root,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        process_group=0,
    ) as proc:
        try:
            stdout, stderr = proc.communicate()
        except KeyboardInterrupt as err:
            _stop(proc)
            raise RunInterruptedError(left=leftovers(), signum=_signum(err)) from None
    return subprocess.CompletedProcess(command, proc.returncode, stdout, stderr)


def exp_run(root: Path, name: str, message: str, sets: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """`dvc exp run --temp -n NAME -m MESSAGE -S SET...`; what DVC keeps of a stopped run is removed."""
    args = ["exp", "run", "--temp", "-n", name, "-m", message, *(a for s in sets for a in ("-S", s))]
    return dvc(root, *args, leftovers=partial(remove_leftovers, root, name))


def experiment_ref(root: Path, baseline: str, name: str) -> str | None:
    """The commit of experiment `name` on commit `baseline`, if there is one (DVC: refs/exps/AB/CDEF.../NAME)."""
    ref = f"refs/exps/{baseline[:2]}/{baseline[2:]}/{name}"
    proc = subprocess.run(
        ["git", "rev-parse", "-q", "--verify", ref], cwd=root, capture_output=True, text=True, check=False
    )
    return proc.stdout.strip() or None


def _stop(proc: subprocess.Popen[str]) -> None:
    """One SIGINT to the run's process group, whatever stopped pipelab; SIGKILL if it still runs after STOP_GRACE
    or on another Ctrl-C (or SIGTERM)."""
    _STOPPING.group = proc.pid
    try:
        _signal_group(proc.pid, signal.SIGINT)
        try:
            proc.communicate(timeout=STOP_GRACE)
        except (subprocess.TimeoutExpired, KeyboardInterrupt):  # KeyboardInterrupt: Ctrl-C outside stop_signals
            _signal_group(proc.pid, signal.SIGKILL)
            proc.communicate()
    finally:
        _STOPPING.group = None


def _signal_group(group: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # the group has ended
        os.killpg(group, sig)


def remove_leftovers(root: Path, name: str) -> list[Path]:
    """Remove what DVC keeps of the `--temp` run of experiment `name`: its copy of the repository and its
    info files; a copy whose info file says running is shown as "Running" by `dvc exp show` until removed.

    Returns what could not be removed.
    """
    exps = (root / EXPS_TMP).resolve()
    left: list[Path] = []
    for info in sorted([*exps.glob("run/*/*.run"), *exps.glob("standalone/run/*/*.run")]):
        try:
            record = json.loads(info.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(record, dict) or record.get("name") != name:
            continue
        copy = record.get("root_dir")
        for path in [*([Path(copy).resolve()] if isinstance(copy, str) else []), info.parent]:
            if exps not in path.parents or not path.exists():  # never outside DVC's temporary directory
                continue
            try:
                shutil.rmtree(path)
            except OSError:
                left.append(path.relative_to(root.resolve()))
    return left


def error_line(proc: subprocess.CompletedProcess[str]) -> str:
    """What a failed command said, as one line: its last error line with the indented lines under it (DVC puts
    the command that fixes things there), else its last line."""
    lines = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
    errors = [i for i, line in enumerate(lines) if line.startswith(("error:", "ERROR:"))]
    if not errors:
        return (lines or [f"exit code {proc.returncode}"])[-1]
    detail = itertools.takewhile(lambda line: line[:1].isspace(), lines[errors[-1] + 1 :])
    return " ".join([lines[errors[-1]], *(line.strip() for line in detail)])
