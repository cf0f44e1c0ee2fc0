"""Bayesian hyperparameter search (optuna's TPE) in which every trial is a real `dvc exp run`.

The space is checked against the params schema (see `space`) before any trial runs. The
study lives in sweeps/<study>.jsonl (optuna's journal: one JSON line per event), plain
text in the repository, so running the same command again resumes it. Each trial is a
`dvc exp run --temp`: DVC runs it in a temporary copy of HEAD (outputs from the cache, so
only the stages a change touches re-run) and keeps it as an experiment, so the workspace
stays as the user left it; only `apply_best`, and only for a trial that beats HEAD,
changes it. Every trial starts from the committed params, which is why a sweep refuses to
start while params.yaml or dvc.lock has uncommitted changes, or code the stages depend on
differs from dvc.lock.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic_core import PydanticUndefined

from pipelab.core.errors import PipelabError
from pipelab.experiments.compare import lookup, set_param
from pipelab.experiments.gates import load_gates
from pipelab.experiments.render import table
from pipelab.experiments.revisions import open_sides
from pipelab.experiments.runs import (
    RunInterruptedError,
    dvc,
    error_line,
    exp_run,
    experiment_ref,
    interrupted,
    stop_reason,
)
from pipelab.experiments.snapshot import SCORES
from pipelab.experiments.space import Dimension, SweepError, check_dimension, owner, parse_space, unselected_modules
from pipelab.experiments.trials import ask, fail, fail_orphans

if TYPE_CHECKING:
    import optuna
    from optuna.storages import BaseStorage

SWEEPS_DIR = Path("sweeps")
STUDY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
STARTUP_TRIALS = 5  # random trials before TPE models the results
BEST_SHOWN = 5
COMMITTED = ("params.yaml", "dvc.lock")  # what every trial must start from, as HEAD has it


@dataclass(frozen=True)
class Plan:
    """A checked sweep, ready to run."""

    root: Path
    dimensions: list[Dimension]
    trials: int
    metric: str
    direction: Literal["maximize", "minimize"]
    study: str
    seed: int
    baseline: float  # the metric at HEAD, with the committed params
    committed: Mapping[str, Any] = field(default_factory=dict)  # each searched key's value at HEAD
    head: str = ""  # HEAD's commit: trials record it, and only trials of this commit are ranked

    @property
    def journal(self) -> Path:
        """The study's optuna journal, relative to the repository root."""
        return SWEEPS_DIR / f"{self.study}.jsonl"


def _committed(params: Any, key: str) -> Any:
    """`key` in HEAD's params.yaml, or the schema's default (what the stages use) when it is absent."""
    present, value = lookup(params, key)
    if present:
        return value
    model, name = owner(key)
    default = model.model_fields[name].get_default(call_default_factory=True)
    return None if default is PydanticUndefined else default


def check_active(dimensions: Sequence[Dimension], params: Any) -> None:
    """Refuse keys of a module no trial uses (`model.logistic.C` while every trial trains hgb): the
    stages read a module's sub-section only when its section selects it, so all trials would be the same."""
    searched = {d.key: d for d in dimensions}
    unused = unselected_modules(
        searched,
        lambda selector: searched[selector].values if selector in searched else (_committed(params, selector),),
    )
    if not unused:
        return
    (selector, module), unused_keys = next(iter(unused.items()))
    dims = [searched[key] for key in unused_keys]
    if selector in searched:
        choices = searched[selector]
        why, fix = f"no choice of {choices.source} {selector}={choices.spec} is {module}", "add it to the choices"
    elif isinstance(value := _committed(params, selector), list):
        why = f"{selector} at HEAD ({', '.join(map(str, value))}) lacks {module}"
        fix = f"add {module} to {selector} in params.yaml and commit it"
    else:
        why = f"every trial keeps HEAD's {selector}, {value} ({selector} is not in the space)"
        fix = (
            f"search it too with --space {selector}=choice:{value},{module}, "
            f"or set {selector}: {module} in params.yaml and commit it"
        )
    keys = ", ".join(d.key for d in dims)
    raise SweepError(
        f"{dims[0].source} {keys}: no trial uses {selector.split('.')[0]}.{module}, as {why}, "
        f"so every trial would run the same; {fix}"
    )


def _git_status(root: Path, paths: Sequence[str]) -> tuple[list[str], list[str]]:
    """(changed tracked files, untracked files) under `paths`, as `git status` lists them."""
    proc = subprocess.run(
        ["git", "status", "--porcelain", "--", *paths], cwd=root, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise SweepError(f"git status: {error_line(proc)}")
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    changed = sorted({line[3:].split(" -> ")[-1].strip() for line in lines if not line.startswith("??")})
    return changed, sorted(line[3:].strip() for line in lines if line.startswith("??"))


def _changed_deps(root: Path) -> list[str]:
    """Git-tracked dependencies (code, params) that differ from what dvc.lock records (`dvc status`)."""
    status = dvc(root, "status", "--json")
    if status.returncode != 0:
        raise SweepError(f"dvc status: {error_line(status)}")
    tracked = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True, check=False).stdout.split()
    stages = json.loads(status.stdout.strip().splitlines()[-1]) if status.stdout.strip() else {}
    found = {
        path
        for entries in stages.values()
        for entry in entries
        for path in (entry.get("changed deps", {}) if isinstance(entry, dict) else ())
        if any(_within(f, path) for f in tracked)
    }
    return sorted(found)


def _within(file: str, path: str) -> bool:
    return file == path or file.startswith(path.rstrip("/") + "/")


@dataclass(frozen=True)
class NotHead:
    """What a `dvc exp run` would take from the workspace rather than from HEAD, by what to do about it.

    DVC carries workspace changes into every experiment, so results run on them are not HEAD's.
    """

    changed: list[str]  # tracked files with uncommitted changes (params.yaml, dvc.lock, code the stages read)
    untracked: list[str]  # new files inside a dependency folder
    stale: list[str]  # committed dependencies that differ from what dvc.lock records: HEAD was not reproduced

    def problems(self) -> list[str]:
        """One clause per cause: which files, how they differ, and what to do."""
        found = []
        if self.changed or self.untracked:
            undo = [f"`git checkout HEAD -- {' '.join(self.changed)}`"] if self.changed else []
            undo += [f"delete {', '.join(self.untracked)}"] if self.untracked else []
            found.append(
                f"uncommitted changes in {', '.join([*self.changed, *self.untracked])} (commit them after "
                f"`dvc repro`, or undo them: {'; '.join(undo)})"
            )
        if self.stale:
            found.append(
                f"{', '.join(self.stale)} committed but not what dvc.lock records (run `dvc repro` and commit dvc.lock)"
            )
        return found


def not_head(root: Path) -> NotHead:
    """Uncommitted changes to params.yaml, dvc.lock and the dependencies, and committed ones dvc.lock lacks."""
    deps = _changed_deps(root)
    changed, untracked = _git_status(root, [*COMMITTED, *deps])
    edited = [*changed, *untracked]
    return NotHead(changed, untracked, [d for d in deps if not any(_within(f, d) for f in edited)])


def require_head(root: Path, why: str, error: type[PipelabError]) -> None:
    """Refuse to start while the workspace differs from HEAD as dvc.lock ran it; `why`: what the runs need HEAD for."""
    problems = not_head(root).problems()
    if problems:
        raise error(f"not starting, as {why}: {'; '.join(problems)}")


def plan(
    root: Path,
    *,
    space: Sequence[str],
    space_file: Path | None,
    trials: int,
    metric: str,
    direction: Literal["maximize", "minimize"] | None,
    study: str,
    seed: int,
) -> Plan:
    """Check everything a sweep needs before its first trial."""
    if not STUDY_NAME.match(study):
        raise SweepError(f"--study {study!r}: use letters, digits, '.', '_' and '-' (it names files and experiments)")
    dimensions = parse_space(space, space_file)
    for dim in dimensions:
        check_dimension(dim)
    with open_sides(root, ["HEAD"]) as (head,):
        scores = head.json(SCORES)
        if not isinstance(scores, dict) or not isinstance(scores.get(metric), int | float):
            known = ", ".join(sorted(scores)) if isinstance(scores, dict) else f"no {SCORES} at HEAD"
            raise SweepError(f"--metric {metric}: not a number in {SCORES} at HEAD ({known})")
        if direction is None:
            gate = load_gates(None, head, root)[0].metrics.get(metric)
            if gate is None:
                raise SweepError(f"--metric {metric}: no direction in metrics/gates.yaml; give --direction")
            direction = "maximize" if gate.direction == "higher" else "minimize"
        params = head.yaml("params.yaml")
        commit = head.intent.rev
    check_active(dimensions, params)
    require_head(root, "every trial starts from the committed params and is judged against HEAD", SweepError)
    committed = {d.key: _committed(params, d.key) for d in dimensions}
    return Plan(root, dimensions, trials, metric, direction, study, seed, float(scores[metric]), committed, commit)


class NoTrialCompletedError(SweepError):
    """Every trial from HEAD failed: nothing to rank or apply. Exit 4, as 1 means a regression and 2 bad input."""

    exit_code = 4


@dataclass(frozen=True)
class Result:
    plan: Plan
    completed: list[optuna.trial.FrozenTrial]  # trials run from this HEAD, best first
    elsewhere: int = 0  # completed trials of the study run from other commits: not ranked


def _study(p: Plan) -> tuple[optuna.Study, BaseStorage]:
    """Create the study, or resume it when its space, metric and direction are the same."""
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    journal = p.root / p.journal
    journal.parent.mkdir(parents=True, exist_ok=True)
    storage = JournalStorage(JournalFileBackend(str(journal)))
    space = {d.key: d.spec for d in p.dimensions}
    if p.study in {s.study_name for s in optuna.get_all_study_summaries(storage, include_best_trial=False)}:
        study = optuna.load_study(study_name=p.study, storage=storage)
        stored = (study.user_attrs.get("space"), study.user_attrs.get("metric"), study.direction.name.lower())
        if stored != (space, p.metric, p.direction):
            raise SweepError(
                f"study {p.study!r} ({journal}) searched {stored[0]} for {stored[2]} {stored[1]}; "
                "resume it with the same space, metric and direction, or choose another --study"
            )
    else:
        study = optuna.create_study(study_name=p.study, storage=storage, direction=p.direction)
        study.set_user_attr("space", space)
        study.set_user_attr("metric", p.metric)
    # A resumed study gets a fresh seed, so its random start does not repeat earlier trials.
    study.sampler = optuna.samplers.TPESampler(seed=p.seed + len(study.trials), n_startup_trials=STARTUP_TRIALS)
    return study, storage


def experiment_metric(root: Path, name: str, metric: str) -> float | None:
    """`metric` as experiment `name` committed it: a `--temp` trial never reaches the workspace."""
    try:
        with open_sides(root, [name]) as (side,):
            scores = side.json(SCORES)
    except PipelabError:
        return None
    value = scores.get(metric) if isinstance(scores, dict) else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _refuse_taken_names(p: Plan, first: int) -> None:
    """Trials are named <study>-<number>: experiments of those names on HEAD belong to a study whose journal is
    gone or another, and DVC would refuse every trial ("conflicts with existing experiment")."""
    taken = [name for n in range(first, first + p.trials) if experiment_ref(p.root, p.head, name := f"{p.study}-{n}")]
    if taken:
        listed, removal = ", ".join(taken), " ".join(taken)
        raise SweepError(
            f"experiment(s) {listed} already exist on HEAD, but study {p.study!r} ({p.journal}) has no such trial "
            f"(its journal was removed or replaced): choose another --study, or `dvc exp remove {removal}`"
        )


def run(p: Plan, echo: Callable[[str], None]) -> Result:
    """Run `p.trials` trials, each `dvc exp run --temp -n <study>-<n> -S ...`, and tell optuna the metric."""
    from optuna.trial import TrialState

    study, storage = _study(p)
    _refuse_taken_names(p, len(study.trials))
    distributions = {d.key: d.distribution() for d in p.dimensions}
    echo(f"study {p.study!r}: {len(study.trials)} earlier trial(s); {p.direction} {p.metric} (HEAD: {p.baseline:.6g})")
    for line in fail_orphans(study, storage, p.journal):
        echo(line)
    for _ in range(p.trials):
        trial = ask(study, distributions)
        name = f"{p.study}-{trial.number}"
        sets = [set_param(key, value) for key, value in trial.params.items()]
        try:  # a trial left running in the journal would stay so until a resumed sweep finds its sweep gone
            trial.set_user_attr("experiment", name)
            trial.set_user_attr("head", p.head)
            echo(f"trial {trial.number}: dvc exp run --temp -n {name} " + " ".join(f"-S {s}" for s in sets))
            proc = exp_run(p.root, name, f"pipelab sweep {p.study}, trial {trial.number}: {', '.join(sets)}", sets)
            value = experiment_metric(p.root, name, p.metric) if proc.returncode == 0 else None
        except (KeyboardInterrupt, RunInterruptedError) as err:
            fail(study, storage, trial.number, stop_reason(err))
            stopped = f"trial {trial.number} stopped and marked failed; study kept in {p.journal}"
            raise interrupted(stopped, err) from None
        if value is None:
            reason = error_line(proc) if proc.returncode else f"no numeric {p.metric} in {SCORES}"
            fail(study, storage, trial.number, reason)
            echo(f"trial {trial.number} failed: {reason}")
            continue
        study.tell(trial, value)
        echo(f"trial {trial.number}: {p.metric} = {value:.6g}")
    done = [t for t in study.trials if t.state == TrialState.COMPLETE and t.value is not None]
    here = [t for t in done if t.user_attrs.get("head") == p.head]
    here.sort(key=lambda t: (t.value if p.direction == "minimize" else -float(t.value or 0.0), t.number))
    if len(here) < len(done):
        echo(
            f"{len(done) - len(here)} completed trial(s) ran from other commits: not ranked against HEAD "
            f"{p.head[:7]} (their scores came from other code, data or params; the sampler still learns from them)"
        )
    return Result(p, here, len(done) - len(here))


def require_completed(result: Result) -> None:
    """Raise NoTrialCompletedError when no trial from HEAD completed (each failure was printed as it happened)."""
    if not result.completed:
        p = result.plan
        raise NoTrialCompletedError(f"study {p.study!r}: no trial completed from HEAD {p.head[:7]}")


def best_table(result: Result) -> str:
    """The best trials of the whole study as a Markdown table, with HEAD's params for reference."""
    p = result.plan
    keys = [d.key for d in p.dimensions]
    rows: list[list[object]] = [
        [rank, t.number, f"`{t.user_attrs.get('experiment', '')}`", *(t.params.get(k) for k in keys), t.value]
        for rank, t in enumerate(result.completed[:BEST_SHOWN], start=1)
    ]
    rows.append(["—", "—", "HEAD (committed params)", *(p.committed.get(k, "") for k in keys), p.baseline])
    title = f"Best of {len(result.completed)} completed trial(s) from HEAD {p.head[:7]}, {p.direction} {p.metric}:"
    return f"\n{title}\n\n" + table(["rank", "trial", "experiment", *keys, p.metric], rows) + "\n"


def beats_head(p: Plan, value: float) -> bool:
    """Whether a trial's value is strictly better than HEAD's in the study's direction (a tie is not)."""
    return value > p.baseline if p.direction == "maximize" else value < p.baseline


def _best(result: Result) -> tuple[str, float]:
    """The best trial's experiment name and value (`result.completed` must not be empty)."""
    best = result.completed[0]
    return str(best.user_attrs.get("experiment", f"trial {best.number}")), float(best.value or 0.0)


def _no_winner(result: Result) -> str:
    p, (name, value) = result.plan, _best(result)
    return f"no trial beat HEAD ({p.direction} {p.metric}: best {name} {value:.6g}, HEAD {p.baseline:.6g})"


def winner(result: Result) -> optuna.trial.FrozenTrial | None:
    """The best trial when it beats HEAD, else None: a sweep never recommends a step backwards."""
    if not result.completed:
        return None
    best = result.completed[0]
    return best if best.value is not None and beats_head(result.plan, float(best.value)) else None


def workspace_kept(result: Result) -> str:
    """Without --apply-best: say that the workspace is as it was, and whether a trial is worth applying."""
    kept = "workspace unchanged (each trial ran in a temporary copy: dvc exp run --temp)"
    if not result.completed:
        return kept
    if winner(result) is None:
        return f"{kept}; {_no_winner(result)}"
    p, (name, value) = result.plan, _best(result)
    return f"{kept}; {name} beats HEAD ({p.metric} {value:.6g} vs {p.baseline:.6g}): `dvc exp apply {name}` takes it"


def apply_best(result: Result) -> str:
    """`dvc exp apply` the best trial if it beats HEAD; otherwise apply nothing (the workspace is as it was).

    The study journal is kept as it is now, not as the trial saw it, also when a stop cuts the apply short.
    """
    p = result.plan
    require_completed(result)
    if winner(result) is None:
        return f"{_no_winner(result)}; nothing applied, the workspace is as it was"
    name, value = _best(result)
    journal = p.root / p.journal
    kept = journal.read_bytes()
    try:
        proc = dvc(p.root, "exp", "apply", name)
    except RunInterruptedError as err:  # DVC stopped as on its own Ctrl-C: HEAD restored, the apply maybe part-done
        stopped = f"dvc exp apply {name} stopped, perhaps part-way (`git status` and `dvc status` show what it changed)"
        raise interrupted(f"{stopped}; study kept in {p.journal}", err) from None
    finally:
        journal.write_bytes(kept)
    if proc.returncode != 0:
        raise SweepError(f"dvc exp apply {name}: {error_line(proc)}")
    return (
        f"applied {name} to the workspace: {p.metric} {value:.6g} beats HEAD's {p.baseline:.6g}; "
        "commit params.yaml, dvc.lock and the changed outputs (`git status`) to keep it"
    )
