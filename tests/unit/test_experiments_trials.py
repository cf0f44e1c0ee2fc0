"""experiments/owners.py and trials.py: a trial records the process of its sweep, which tells a trial whose sweep
has ended from one a sweep still runs; a stop cannot come between a new trial and that record."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import optuna
import pytest
from optuna.distributions import FloatDistribution
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import TrialState

from pipelab.experiments import runs, trials
from pipelab.experiments.owners import Owner

PRINT_OWNER = (
    "import json; from pipelab.experiments.owners import Owner; print(json.dumps(Owner.this_process().record()))"
)


def owner_of_a_process_that_has_ended() -> Owner:
    proc = subprocess.run([sys.executable, "-c", PRINT_OWNER], capture_output=True, text=True, check=True)
    owner = Owner.recorded(json.loads(proc.stdout))
    assert owner is not None
    return owner


@pytest.fixture
def another_sweep() -> Iterator[Owner]:
    """The owner of a process that runs on, as a sweep in another terminal does."""
    with subprocess.Popen(
        [sys.executable, "-c", f"{PRINT_OWNER}; import sys, time; sys.stdout.flush(); time.sleep(600)"],
        stdout=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stdout is not None
        owner = Owner.recorded(json.loads(proc.stdout.readline()))
        assert owner is not None
        yield owner
        proc.kill()


def test_a_process_runs_until_it_ends(another_sweep: Owner) -> None:
    assert Owner.this_process().running() is True
    assert another_sweep.running() is True
    assert another_sweep != Owner.this_process()
    assert owner_of_a_process_that_has_ended().running() is False


def test_a_process_that_has_ended_but_is_not_yet_reaped_does_not_run() -> None:
    with subprocess.Popen([sys.executable, "-c", PRINT_OWNER], stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        owner = Owner.recorded(json.loads(proc.stdout.readline()))
        assert owner is not None
        stat = Path(f"/proc/{proc.pid}/stat")
        while stat.read_text(encoding="utf-8").rsplit(")", 1)[1].split()[0] != "Z":  # a zombie until waited for
            time.sleep(0.01)
        assert owner.running() is False


def test_a_pid_the_kernel_gave_to_another_process_is_not_the_owner() -> None:
    """After a reboot, or once pids wrap around, the recorded pid can name a process that has nothing to do with
    the sweep: its start differs."""
    mine = Owner.this_process()
    assert mine.started
    assert Owner(mine.host, mine.pid, "an earlier boot 12345").running() is False


def test_a_process_of_another_host_cannot_be_asked() -> None:
    mine = Owner.this_process()
    assert Owner(f"not-{socket.gethostname()}", mine.pid, mine.started).running() is None


@pytest.mark.parametrize(
    "attr", [None, "pid 1", {"host": "h", "pid": "1", "started": ""}, {"host": "h", "pid": 1}, {"pid": 1}]
)
def test_a_trial_without_a_complete_owner_records_none(attr: object) -> None:
    assert Owner.recorded(attr) is None


def test_an_owner_survives_the_journal(tmp_path: Path) -> None:
    storage = JournalStorage(JournalFileBackend(str(tmp_path / "j.jsonl")))
    study = optuna.create_study(study_name="s", storage=storage)
    trial = trials.ask(study, {"x": FloatDistribution(0, 1)})
    reloaded = optuna.load_study(study_name="s", storage=JournalStorage(JournalFileBackend(str(tmp_path / "j.jsonl"))))
    assert Owner.recorded(reloaded.trials[trial.number].user_attrs[trials.OWNER]) == Owner.this_process()


class SignalWhileSampling(optuna.samplers.RandomSampler):
    """SIGTERM arrives while optuna samples a new trial's params: the trial is already in the journal."""

    def sample_independent(self, *args: object, **kwargs: object) -> object:
        os.kill(os.getpid(), signal.SIGTERM)
        return super().sample_independent(*args, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def sigterm_at_its_default() -> Iterator[None]:
    previous = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    yield
    signal.signal(signal.SIGTERM, previous)


@pytest.mark.usefixtures("sigterm_at_its_default")
def test_a_stop_while_optuna_creates_a_trial_waits_until_the_trial_records_its_owner(tmp_path: Path) -> None:
    """Else the trial would stay RUNNING without an owner, and no resumed sweep could tell whether it runs."""
    storage = JournalStorage(JournalFileBackend(str(tmp_path / "j.jsonl")))
    study = optuna.create_study(study_name="s", storage=storage, sampler=SignalWhileSampling())
    with pytest.raises(runs.RunInterruptedError) as err, runs.stop_signals():
        trials.ask(study, {"x": FloatDistribution(0, 1)})
    assert err.value.exit_code == 143
    (trial,) = study.trials
    assert trial.state == TrialState.RUNNING
    assert Owner.recorded(trial.user_attrs[trials.OWNER]) == Owner.this_process()
