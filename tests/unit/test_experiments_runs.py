"""experiments/runs.py: Ctrl-C, SIGTERM and SIGHUP stop a dvc run as a Ctrl-C of dvc itself does, and what DVC kept
of it is removed; so does pipelab's SIGKILL, through experiments/deathsig.py."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pipelab.experiments import deathsig, runs

FAKE_DVC = """
import json, os, shutil, signal, subprocess, sys, time
from pathlib import Path

name = sys.argv[sys.argv.index("-n") + 1]
exps = Path(".dvc/tmp/exps")
copy = exps / "standalone" / "tmpcopy"
(copy / "data").mkdir(parents=True)
info = {"name": name, "root_dir": str(copy.resolve()), "status": 2}
for folder in (exps / "run" / "rev", exps / "standalone" / "run" / "rev"):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "rev.run").write_text(json.dumps(info))
stage = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])  # in dvc's process group


def on_sigint(*_):  # as DVC: the stage fails on the group's SIGINT, then the copy is removed
    log = Path("sigints")  # written whole: the test sends its next signal once it exists
    Path("sigints.tmp").write_text((log.read_text() if log.exists() else "") + "SIGINT\\n")
    os.replace("sigints.tmp", log)
    if name != "stubborn":
        stage.wait()
        time.sleep(3 if name == "slow" else 0)  # time for another signal to reach pipelab
        shutil.rmtree(copy)
        Path("cleaned").write_text("")
        sys.exit(255)


signal.signal(signal.SIGINT, on_sigint)
Path("ready").write_text(f"{os.getpid()} {stage.pid}")
while True:
    time.sleep(0.05)
"""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


def exps_left(root: Path) -> list[str]:
    exps = root / ".dvc/tmp/exps"
    return sorted(p.relative_to(exps).as_posix() for p in exps.rglob("*"))


@pytest.mark.parametrize("name", ["s-3", "stubborn"])
def test_ctrl_c_stops_the_run_once_and_removes_what_dvc_left(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fake_dvc: Callable[[Path, str], None],
    send: Callable[..., None],
    name: str,
) -> None:
    """DVC gets one SIGINT with its stage; one that does not stop in STOP_GRACE is killed, and its copy removed."""
    fake_dvc(tmp_path, FAKE_DVC)
    monkeypatch.setattr(runs, "STOP_GRACE", 1.0 if name == "stubborn" else 20.0)
    (tmp_path / ".dvc/tmp/exps/run/other").mkdir(parents=True)  # another run's info file is not touched
    (tmp_path / ".dvc/tmp/exps/run/other/other.run").write_text('{"name": "s-2", "status": 6}', encoding="utf-8")
    send(tmp_path, signal.SIGINT)
    with pytest.raises(runs.RunInterruptedError) as err:
        runs.exp_run(tmp_path, name, "m", ["model.hgb.learning_rate=0.1"])
    assert (tmp_path / "cleaned").exists() == (name != "stubborn")  # DVC's own clean-up, or SIGKILL after the grace
    assert err.value.left == ()
    assert err.value.exit_code == 130
    assert (tmp_path / "sigints").read_text(encoding="utf-8") == "SIGINT\n"  # exactly one, for the whole group
    dvc_pid, stage_pid = map(int, (tmp_path / "ready").read_text(encoding="utf-8").split())
    deadline = time.monotonic() + 5
    while (alive(dvc_pid) or alive(stage_pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(dvc_pid)
    assert not alive(stage_pid)
    assert exps_left(tmp_path) == ["run", "run/other", "run/other/other.run", "standalone", "standalone/run"]


def test_what_cannot_be_removed_is_named_with_the_command_that_removes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / ".dvc/tmp/exps/standalone/tmpcopy"
    copy.mkdir(parents=True)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    for folder, root_dir in (("standalone/run/a", copy), ("run/b", outside)):  # never anything outside exps
        (tmp_path / ".dvc/tmp/exps" / folder).mkdir(parents=True)
        info = {"name": "s-3", "root_dir": str(root_dir), "status": 2}
        (tmp_path / ".dvc/tmp/exps" / folder / "x.run").write_text(json.dumps(info), encoding="utf-8")
    (tmp_path / ".dvc/tmp/exps/run/c").mkdir()
    (tmp_path / ".dvc/tmp/exps/run/c/c.run").write_text("{not json", encoding="utf-8")
    rmtree = shutil.rmtree

    def refuse_the_copy(path: Path) -> None:
        if path.name == "tmpcopy":
            raise PermissionError(13, "Permission denied")
        rmtree(path)

    monkeypatch.setattr(shutil, "rmtree", refuse_the_copy)
    left = runs.remove_leftovers(tmp_path, "s-3")
    assert left == [Path(".dvc/tmp/exps/standalone/tmpcopy")]
    assert outside.exists()
    assert not (tmp_path / ".dvc/tmp/exps/standalone/run/a").exists()
    assert not (tmp_path / ".dvc/tmp/exps/run/b").exists()
    assert (tmp_path / ".dvc/tmp/exps/run/c/c.run").exists()
    message = str(runs.interrupted("trial 3 stopped", runs.RunInterruptedError(left=left)))
    assert message == (
        "interrupted: trial 3 stopped; remove what DVC left with `rm -rf .dvc/tmp/exps/standalone/tmpcopy`"
    )


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_or_sighup_stops_the_run_with_one_sigint_and_exits_128_plus_its_number(
    tmp_path: Path, fake_dvc: Callable[[Path, str], None], send: Callable[..., None], sig: signal.Signals
) -> None:
    """DVC catches neither SIGTERM nor SIGHUP (it would die and leave its copy): it gets SIGINT, as on Ctrl-C."""
    fake_dvc(tmp_path, FAKE_DVC)
    send(tmp_path, sig)
    with pytest.raises(runs.RunInterruptedError) as err, runs.stop_signals():
        runs.exp_run(tmp_path, "s-3", "m", ["model.hgb.learning_rate=0.1"])
    assert (str(err.value), err.value.exit_code) == (f"interrupted by {sig.name}", 128 + sig)
    assert (tmp_path / "sigints").read_text(encoding="utf-8") == "SIGINT\n"
    assert (tmp_path / "cleaned").exists()  # DVC's own clean-up ran
    assert exps_left(tmp_path) == ["run", "standalone", "standalone/run"]


@pytest.mark.parametrize(
    ("signals", "killed"),
    [
        ((signal.SIGHUP, signal.SIGHUP), False),
        ((signal.SIGTERM, signal.SIGHUP), False),
        ((signal.SIGTERM, signal.SIGTERM), True),
        ((signal.SIGHUP, signal.SIGINT), True),
        ((signal.SIGINT, signal.SIGINT), True),
    ],
)
def test_another_ctrl_c_or_sigterm_kills_the_run_but_another_sighup_lets_dvc_clean_up(
    tmp_path: Path,
    fake_dvc: Callable[[Path, str], None],
    send: Callable[..., None],
    signals: tuple[signal.Signals, ...],
    killed: bool,
) -> None:
    """A closed terminal sends SIGHUP twice (the shell to its jobs, the kernel once the shell has gone); pressing
    Ctrl-C again or `kill` again means now. Either way the command ends as the first signal says."""
    fake_dvc(tmp_path, FAKE_DVC)
    send(tmp_path, *signals)
    with pytest.raises(runs.RunInterruptedError) as err, runs.stop_signals():
        runs.exp_run(tmp_path, "slow", "m", ["model.hgb.learning_rate=0.1"])
    assert err.value.exit_code == 128 + signals[0]
    assert (tmp_path / "sigints").read_text(encoding="utf-8") == "SIGINT\n"
    assert (tmp_path / "cleaned").exists() is not killed
    assert exps_left(tmp_path) == ["run", "standalone", "standalone/run"]  # what a killed DVC left is removed


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGINT])
def test_a_signal_the_command_was_started_to_ignore_stays_ignored(sig: signal.Signals) -> None:
    """`nohup` ignores SIGHUP so that a sweep outlives its terminal; a background job ignores the terminal's SIGINT."""
    previous = signal.signal(sig, signal.SIG_IGN)
    try:
        with runs.stop_signals():
            os.kill(os.getpid(), sig)
            time.sleep(0.1)  # a handler would raise here
        assert signal.getsignal(sig) == signal.SIG_IGN
    finally:
        signal.signal(sig, previous)


# --- pipelab SIGKILLed: DVC's parent-death signal (Linux) ------------------------------------------------

FAKE_DVC_RUNNING = """
import os, signal, subprocess, sys, time
from pathlib import Path


def record(name, text=""):  # written whole: the test reads it once it exists
    Path(name + ".tmp").write_text(text)
    os.replace(name + ".tmp", name)


def on_sigint_in_the_stage(*_):
    record("sigint", "stage")
    sys.exit(130)


if sys.argv[1] == "stage":  # a stage in DVC's process group; as pipelab's stages, it keeps an ignored SIGINT ignored
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, on_sigint_in_the_stage)
    record("stage-ready", str(os.getpid()))
    while True:
        time.sleep(0.05)
Path("copy").mkdir()
try:
    if sys.argv[1] == "in-a-stage":  # as DVC runs a stage: it ignores SIGINT, the group's stops the stage
        stage = subprocess.Popen([sys.executable, __file__, "stage"])
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        while not Path("stage-ready").exists():
            time.sleep(0.05)
        record("ready", str(os.getpid()))
        stage.wait()
    else:  # in DVC's own code, between stages: SIGINT raises KeyboardInterrupt
        record("ready", str(os.getpid()))
        while True:
            time.sleep(0.05)
except KeyboardInterrupt:
    record("sigint", "dvc")
finally:
    Path("copy").rmdir()  # DVC's clean-up
    record("cleaned")
"""

# pipelab running dvc, SIGINT at its default as a terminal starts a command, or ignored as in a background job
PIPELAB = """
import signal, sys
from pathlib import Path
from pipelab.experiments import runs

signal.signal(signal.SIGINT, signal.SIG_IGN if sys.argv[2] == "background" else signal.SIG_DFL)
runs.DVC = "fake_dvc"
runs.dvc(Path.cwd(), sys.argv[1])
"""


def wait_for(path: Path, proc: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + 60  # bounds the wait only
    while not path.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert path.exists(), f"no {path.name}; pipelab: {proc.poll()=}"
    return path.read_text(encoding="utf-8")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
@pytest.mark.parametrize("job", ["foreground", "background"])
@pytest.mark.parametrize("where", ["in-a-stage", "between-stages"])
def test_a_sigkilled_pipelab_stops_dvc_as_its_ctrl_c_does(
    tmp_path: Path, fake_dvc: Callable[[Path, str], None], where: str, job: str
) -> None:
    """`kill -9` or the OOM killer: pipelab passes nothing on, the kernel signals DVC, which sends its group the one
    SIGINT pipelab would have: DVC ignores SIGINT while a stage runs, and the stage stops on it. Also when pipelab
    was started ignoring SIGINT (a background job): DVC, in its own group, handles it."""
    fake_dvc(tmp_path, FAKE_DVC_RUNNING)
    pipelab = subprocess.Popen([sys.executable, "-c", PIPELAB, where, job], cwd=tmp_path)
    pids: list[int] = []
    try:
        pids.append(int(wait_for(tmp_path / "ready", pipelab)))
        if where == "in-a-stage":
            pids.append(int(wait_for(tmp_path / "stage-ready", pipelab)))
        pipelab.kill()
        pipelab.wait()
        deadline = time.monotonic() + 60  # bounds the wait only
        while any(map(alive, pids)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (tmp_path / "sigint").exists(), "no SIGINT reached DVC's group"
        assert (tmp_path / "sigint").read_text(encoding="utf-8") == ("stage" if where == "in-a-stage" else "dvc")
        assert (tmp_path / "cleaned").exists()
        assert not (tmp_path / "copy").exists()
        assert not any(map(alive, pids))
    finally:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
@pytest.mark.parametrize("disposition", [signal.default_int_handler, signal.SIG_IGN])
def test_dvc_whose_pipelab_died_before_it_asked_for_the_death_signal_stops_as_on_sigint_before_it_starts(
    tmp_path: Path, fake_dvc: Callable[[Path, str], None], disposition: Callable[..., None] | signal.Handlers
) -> None:
    """Its parent is then no longer the pipelab that started it (here: another process was named); also when
    pipelab was started ignoring SIGINT (a background job)."""
    fake_dvc(tmp_path, "from pathlib import Path\nPath('ran').touch()\n")
    gone = subprocess.Popen([sys.executable, "-c", ""])
    gone.wait()
    previous = signal.signal(signal.SIGINT, disposition)
    try:
        command = [sys.executable, "-m", deathsig.__name__, str(gone.pid), "fake_dvc"]
        proc = subprocess.run(command, cwd=tmp_path, capture_output=True, check=False)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert (proc.returncode, (tmp_path / "ran").exists()) == (-signal.SIGINT, False)


EXITS = """
import sys
print("out", sys.argv)
print("err", file=sys.stderr)
sys.exit(eval(sys.argv[1]))
"""


@pytest.mark.parametrize("code", ["0", "3", "'error: message'"])
def test_dvc_s_exit_code_and_output_are_those_of_python_m_dvc(
    tmp_path: Path, fake_dvc: Callable[[Path, str], None], code: str
) -> None:
    fake_dvc(tmp_path, EXITS)
    direct = subprocess.run(
        [sys.executable, "-m", "fake_dvc", code, "a b"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    proc = runs.dvc(tmp_path, code, "a b")
    assert (proc.returncode, proc.stdout, proc.stderr) == (direct.returncode, direct.stdout, direct.stderr)


def test_real_dvc_s_exit_code_and_output_are_those_of_python_m_dvc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DVC_NO_ANALYTICS", "1")
    direct = subprocess.run(
        [sys.executable, "-m", "dvc", "status"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    proc = runs.dvc(tmp_path, "status")
    assert proc.returncode == direct.returncode == 253  # not a DVC repository
    assert (proc.stdout, proc.stderr) == (direct.stdout, direct.stderr)


@pytest.mark.parametrize(
    ("out", "err", "line"),
    [
        (  # DVC's ExperimentExistsError: the fix is on an indented line of its own
            "",
            "ERROR: Experiment conflicts with existing experiment 's-0'. To overwrite the existing experiment run:\n"
            "\n\tdvc exp run -f ...\n\nHaving any troubles? Hit us up at https://dvc.org/support\n",
            "ERROR: Experiment conflicts with existing experiment 's-0'. To overwrite the existing experiment run: "
            "dvc exp run -f ...",
        ),
        (
            "Running stage 'train':\n",
            "error: train: boom\nERROR: failed to reproduce 'train'\n",
            "ERROR: failed to reproduce 'train'",
        ),
        ("last words\n", "", "last words"),
        ("", "", "exit code 3"),
    ],
)
def test_error_line_is_the_last_error_with_the_indented_lines_under_it(out: str, err: str, line: str) -> None:
    assert runs.error_line(subprocess.CompletedProcess(["dvc"], 3, out, err)) == line
