"""A sweep's trials in the study's journal: each records the sweep that runs it and, when it fails, why.

A resumed sweep fails the RUNNING trials whose sweep has ended (killed, crashed, rebooted) and
leaves alone those of a sweep that still runs, in another terminal or on another host.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from pipelab.experiments.owners import Owner
from pipelab.experiments.runs import held

if TYPE_CHECKING:
    import optuna
    from optuna.distributions import BaseDistribution
    from optuna.storages import BaseStorage

OWNER = "owner"  # user attribute: the sweep's process (owners.Owner)
FAIL_REASON = "fail_reason"  # user attribute: why the trial failed


def ask(study: optuna.Study, distributions: Mapping[str, BaseDistribution]) -> optuna.Trial:
    """A new trial that records its sweep's process before a stop can end the sweep: without it, it could
    not be told from a trial another sweep runs."""
    with held():
        trial = study.ask(dict(distributions))
        trial.set_user_attr(OWNER, Owner.this_process().record())
    return trial


def fail(study: optuna.Study, storage: BaseStorage, number: int, reason: str) -> None:
    """Mark trial `number` failed and record why: optuna keeps no reason for a failure it is told."""
    from optuna.trial import TrialState

    trial_id = storage.get_trial_id_from_study_id_trial_number(storage.get_study_id_from_name(study.study_name), number)
    storage.set_trial_user_attr(trial_id, FAIL_REASON, reason)
    study.tell(number, state=TrialState.FAIL, skip_if_finished=True)


def fail_orphans(study: optuna.Study, storage: BaseStorage, journal: Path) -> list[str]:
    """Fail the RUNNING trials whose sweep has ended; a line for each RUNNING trial says what became of it."""
    from optuna.exceptions import UpdateFinishedTrialError
    from optuna.trial import TrialState

    lines = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        owner = Owner.recorded(trial.user_attrs.get(OWNER))
        running = owner.running() if owner else None
        if running is False:
            with contextlib.suppress(UpdateFinishedTrialError):  # another resumed sweep failed it first
                fail(study, storage, trial.number, f"its sweep ({owner}) ended while it ran")
            lines.append(f"trial {trial.number} marked failed: its sweep ({owner}) has ended")
        elif running:
            lines.append(f"trial {trial.number} left running: its sweep ({owner}) still runs")
        else:
            why = f"its sweep ({owner}) ran on another host" if owner else "it records no sweep (an older pipelab's)"
            lines.append(
                f"trial {trial.number} left running: {why}; once that sweep has ended, `optuna tell --storage "
                f"{journal} --study-name {study.study_name} --trial-number {trial.number} --state fail` fails it"
            )
    return lines
