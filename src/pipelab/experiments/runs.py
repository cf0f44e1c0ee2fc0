"""Running `dvc` so that stopping pipelab stops DVC as a Ctrl-C of `dvc` itself does.

DVC runs in a process group of its own, so the terminal's SIGINT reaches pipelab alone, which
passes exactly one on to the group: DVC fails the stage and removes its temporary copy, as on a
Ctrl-C of `dvc exp run` itself. (`subprocess.run` SIGKILLs the child 0.25 s after an interrupt:
DVC's copy then stayed, shown as "Running" by `dvc exp show` for ever, and `dvc exp remove` does
not know it.)
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from pipelab.errors import PipelabError

DVC = (sys.executable, "-m", "dvc")  # the dvc of this Python environment
EXPS_TMP = Path(".dvc", "tmp", "exps")  # where DVC keeps a `--temp` run's copy of the repository and its info files
STOP_GRACE = 30.0  # seconds DVC gets after Ctrl-C to fail the stage it runs and remove its copy


def dvc(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the `dvc` of this Python environment in `root`."""
    return subprocess.run([*DVC, *args], cwd=root, capture_output=True, text=True, check=False)


class RunInterruptedError(PipelabError):
    """Ctrl-C during a run: it was stopped and what DVC kept of it removed; exit 130, as shells report SIGINT."""

    exit_code = 130

    def __init__(self, message: str = "interrupted", left: Sequence[Path] = ()) -> None:
        super().__init__(message)
        self.left = tuple(left)  # what could not be removed


def interrupted(stopped: str, err: BaseException) -> RunInterruptedError:
    """The one line for Ctrl-C: what was stopped, and the command that removes anything left behind."""
    left = err.left if isinstance(err, RunInterruptedError) else ()
    tail = f"; remove what DVC left with `rm -rf {shlex.join(map(str, left))}`" if left else ""
    return RunInterruptedError(f"interrupted: {stopped}{tail}", left)


def exp_run(root: Path, name: str, message: str, sets: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """`dvc exp run --temp -n NAME -m MESSAGE -S SET...`; on Ctrl-C, stop it cleanly and raise RunInterruptedError."""
    args = [*DVC, "exp", "run", "--temp", "-n", name, "-m", message, *(a for s in sets for a in ("-S", s))]
    with subprocess.Popen(
        args,
        cwd=root,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        process_group=0,
    ) as proc:
        try:
            stdout, stderr = proc.communicate()
        except KeyboardInterrupt:
            _stop(proc)
            raise RunInterruptedError(left=remove_leftovers(root, name)) from None
    return subprocess.CompletedProcess(args, proc.returncode, stdout, stderr)


def _stop(proc: subprocess.Popen[str]) -> None:
    """One SIGINT to the run's process group; SIGKILL if it still runs after STOP_GRACE or another Ctrl-C."""
    _signal_group(proc, signal.SIGINT)
    try:
        proc.communicate(timeout=STOP_GRACE)
    except (subprocess.TimeoutExpired, KeyboardInterrupt):
        _signal_group(proc, signal.SIGKILL)
        proc.communicate()


def _signal_group(proc: subprocess.Popen[str], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # the group has ended
        os.killpg(proc.pid, sig)


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
    lines = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith(("error:", "ERROR:"))]
    return (errors or lines or [f"exit code {proc.returncode}"])[-1]
