"""experiments/runs.py: Ctrl-C stops a dvc run as a Ctrl-C of dvc itself does, and what DVC kept of it is removed."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pipelab.experiments import runs

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
    with open("sigints", "a") as fh:
        fh.write("SIGINT\\n")
    if name != "stubborn":
        stage.wait()
        shutil.rmtree(copy)
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


@pytest.fixture
def ctrl_c() -> Iterator[Callable[[Path], None]]:
    """Press Ctrl-C (SIGINT to this process alone, as the terminal's reaches pipelab) once `root/ready` exists."""

    def press(root: Path) -> None:
        def wait_then_interrupt() -> None:
            deadline = time.monotonic() + 30
            while not (root / "ready").exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            os.kill(os.getpid(), signal.SIGINT)

        threading.Thread(target=wait_then_interrupt, daemon=True).start()

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # test runners may ignore SIGINT
    yield press
    signal.signal(signal.SIGINT, previous)


@pytest.mark.parametrize("name", ["s-3", "stubborn"])
def test_ctrl_c_stops_the_run_once_and_removes_what_dvc_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ctrl_c: Callable[[Path], None], name: str
) -> None:
    """DVC gets one SIGINT with its stage; one that does not stop in STOP_GRACE is killed, and its copy removed."""
    (tmp_path / "fake_dvc.py").write_text(FAKE_DVC, encoding="utf-8")
    monkeypatch.setattr(runs, "DVC", (sys.executable, str(tmp_path / "fake_dvc.py")))
    monkeypatch.setattr(runs, "STOP_GRACE", 1.0 if name == "stubborn" else 20.0)
    (tmp_path / ".dvc/tmp/exps/run/other").mkdir(parents=True)  # another run's info file is not touched
    (tmp_path / ".dvc/tmp/exps/run/other/other.run").write_text('{"name": "s-2", "status": 6}', encoding="utf-8")
    ctrl_c(tmp_path)
    started = time.monotonic()
    with pytest.raises(runs.RunInterruptedError) as err:
        runs.exp_run(tmp_path, name, "m", ["model.hgb.learning_rate=0.1"])
    assert time.monotonic() - started < 10
    assert err.value.left == ()
    assert err.value.exit_code == 130
    assert (tmp_path / "sigints").read_text(encoding="utf-8") == "SIGINT\n"  # exactly one, for the whole group
    dvc_pid, stage_pid = map(int, (tmp_path / "ready").read_text(encoding="utf-8").split())
    deadline = time.monotonic() + 5
    while (alive(dvc_pid) or alive(stage_pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(dvc_pid)
    assert not alive(stage_pid)
    exps = tmp_path / ".dvc/tmp/exps"
    left = sorted(p.relative_to(exps).as_posix() for p in exps.rglob("*"))
    assert left == ["run", "run/other", "run/other/other.run", "standalone", "standalone/run"]


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
