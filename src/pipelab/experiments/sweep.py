"""Bayesian hyperparameter search (optuna's TPE) in which every trial is a real `dvc exp run`.

The space is checked against the params schema -- the pydantic model that owns each key,
a section of `pipelab.params.SECTIONS` or a module's registered config -- before any
trial runs. The study lives in sweeps/<study>.jsonl (optuna's journal: one JSON line per
event), plain text in the repository, so running the same command again resumes it.
Trials run in the workspace like `dvc exp run`, so only the stages a change touches re-run.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

import yaml
from pydantic import BaseModel, ValidationError

from pipelab import registry
from pipelab.errors import PipelabError, RegistryError
from pipelab.experiments.gates import load_gates
from pipelab.experiments.render import table
from pipelab.experiments.revisions import open_sides
from pipelab.experiments.snapshot import SCORES
from pipelab.params import SECTIONS, ModularSection

if TYPE_CHECKING:
    import optuna
    from optuna.distributions import BaseDistribution

SWEEPS_DIR = Path("sweeps")
KINDS = ("float", "log", "int", "choice")
SYNTAX = "expected KEY=float:LOW..HIGH, KEY=log:LOW..HIGH, KEY=int:LOW..HIGH or KEY=choice:A,B,..."
STUDY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
STARTUP_TRIALS = 5  # random trials before TPE models the results
BEST_SHOWN = 5


class SweepError(PipelabError):
    """A search space, metric or study that cannot be run; refused before any trial."""


@dataclass(frozen=True)
class Dimension:
    """One searched param: its key, the kind of range, and the range or the choices."""

    key: str
    kind: Literal["float", "log", "int", "choice"]
    values: tuple[Any, ...]  # (low, high), or the choices

    @property
    def spec(self) -> str:
        if self.kind == "choice":
            return "choice:" + ",".join(map(str, self.values))
        return f"{self.kind}:{self.values[0]}..{self.values[1]}"

    def distribution(self) -> BaseDistribution:
        from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

        if self.kind == "choice":
            return CategoricalDistribution(self.values)
        if self.kind == "int":
            return IntDistribution(int(self.values[0]), int(self.values[1]))
        return FloatDistribution(float(self.values[0]), float(self.values[1]), log=self.kind == "log")


def _number(text: str, kind: str, where: str) -> int | float:
    try:
        return int(text) if kind == "int" else float(text)
    except ValueError:
        raise SweepError(f"{where}: {text!r} is not {'an integer' if kind == 'int' else 'a number'}") from None


def parse_dimension(key: str, spec: str) -> Dimension:
    """`log:0.01..0.3` for `key`; syntax only (the params schema is checked by `check_dimension`)."""
    where = f"--space {key}={spec}"
    kind, sep, rest = spec.partition(":")
    if not key or not sep or kind not in KINDS or not rest:
        raise SweepError(f"{where}: {SYNTAX}")
    if kind == "choice":
        choices = tuple(yaml.safe_load(c) for c in rest.split(","))
        if len(set(map(repr, choices))) != len(choices) or len(choices) < 2:
            raise SweepError(f"{where}: give at least two different choices")
        return Dimension(key, "choice", choices)
    low_text, dots, high_text = rest.partition("..")
    if not dots:
        raise SweepError(f"{where}: {SYNTAX}")
    low, high = _number(low_text, kind, where), _number(high_text, kind, where)
    if not low < high:
        raise SweepError(f"{where}: LOW must be below HIGH")
    if kind == "log" and low <= 0:
        raise SweepError(f"{where}: a log range needs LOW > 0")
    return Dimension(key, kind, (low, high))  # type: ignore[arg-type]


def parse_space(items: Sequence[str], space_file: Path | None) -> list[Dimension]:
    """`KEY=SPEC` options plus the `KEY: SPEC` entries of a YAML file; a key given twice is refused."""
    pairs: list[tuple[str, str]] = []
    for item in items:
        key, sep, spec = item.partition("=")
        if not sep:
            raise SweepError(f"--space {item}: {SYNTAX}")
        pairs.append((key.strip(), spec.strip()))
    if space_file is not None:
        try:
            raw = yaml.safe_load(space_file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
            raise SweepError(f"{space_file}: cannot read the space file ({type(err).__name__})") from None
        if not isinstance(raw, dict):
            raise SweepError(f"{space_file}: expected a mapping of KEY: SPEC (e.g. model.hgb.max_depth: int:3..12)")
        pairs += [(str(k), str(v)) for k, v in raw.items()]
    if not pairs:
        raise SweepError("no search space: give --space KEY=SPEC or --space-file FILE")
    keys = [k for k, _ in pairs]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise SweepError(f"--space: {', '.join(twice)} given more than once")
    return [parse_dimension(key, spec) for key, spec in pairs]


def owner(key: str) -> tuple[type[BaseModel], str]:
    """The pydantic model that validates `key` (`section.field` or `section.module.field`) and the field."""
    parts = key.split(".")
    section = SECTIONS.get(parts[0])
    if section is None or len(parts) not in (2, 3):
        raise SweepError(f"--space {key}: not a params key; use SECTION.FIELD or SECTION.MODULE.FIELD")
    model: type[BaseModel] = section
    if len(parts) == 3:
        if not issubclass(section, ModularSection):
            raise SweepError(f"--space {key}: {parts[0]} has no module sub-sections")
        try:
            config = registry.get(section.module_kind, parts[1]).config
        except RegistryError as err:
            raise SweepError(f"--space {key}: {err}") from None
        if config is None:
            raise SweepError(f"--space {key}: {parts[0]}.{parts[1]} has no settings")
        model = config
    fields = sorted(name for name in model.model_fields if name != "configs")
    if parts[-1] not in fields:
        raise SweepError(f"--space {key}: unknown key; allowed: {', '.join(fields)}")
    return model, parts[-1]


def check_dimension(dim: Dimension) -> None:
    """Refuse a range the params schema does not allow: both ends (or every choice) must validate."""
    model, field = owner(dim.key)
    annotation = model.model_fields[field].annotation
    accepted = set(get_args(annotation)) or {annotation}
    if dim.kind in ("float", "log") and float not in accepted:
        raise SweepError(f"--space {dim.key}={dim.spec}: {dim.key} is not a float; use int: or choice:")
    for value in dim.values:
        try:
            model.model_validate({field: value})
        except ValidationError as err:
            problems = [e["msg"].removeprefix("Value error, ") for e in err.errors() if tuple(e["loc"][:1]) == (field,)]
            if problems:
                raise SweepError(
                    f"--space {dim.key}={dim.spec}: {value!r} is outside what params allow ({problems[0]})"
                ) from None


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
    return Plan(root, dimensions, trials, metric, direction, study, seed, float(scores[metric]))


@dataclass(frozen=True)
class Result:
    plan: Plan
    completed: list[optuna.trial.FrozenTrial]  # best first


def _study(p: Plan) -> optuna.Study:
    """Create the study, or resume it when its space, metric and direction are the same."""
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    journal = p.root / SWEEPS_DIR / f"{p.study}.jsonl"
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
    return study


def _param_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def dvc(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the `dvc` of this Python environment in `root`."""
    return subprocess.run([sys.executable, "-m", "dvc", *args], cwd=root, capture_output=True, text=True, check=False)


def _error_line(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith(("error:", "ERROR:"))]
    return (errors or lines or [f"exit code {proc.returncode}"])[-1]


def _metric(root: Path, metric: str) -> float | None:
    try:
        value = json.loads((root / SCORES).read_text(encoding="utf-8")).get(metric)
    except (OSError, json.JSONDecodeError, AttributeError):
        return None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def run(p: Plan, echo: Callable[[str], None]) -> Result:
    """Run `p.trials` trials, each `dvc exp run -S ... -n <study>-<n>`, and tell optuna the metric."""
    from optuna.trial import TrialState

    study = _study(p)
    distributions = {d.key: d.distribution() for d in p.dimensions}
    echo(f"study {p.study!r}: {len(study.trials)} earlier trial(s); {p.direction} {p.metric} (HEAD: {p.baseline:.6g})")
    for _ in range(p.trials):
        trial = study.ask(distributions)
        name = f"{p.study}-{trial.number}"
        sets = [f"{key}={_param_text(value)}" for key, value in trial.params.items()]
        trial.set_user_attr("experiment", name)
        echo(f"trial {trial.number}: dvc exp run -n {name} " + " ".join(f"-S {s}" for s in sets))
        message = f"pipelab sweep {p.study}, trial {trial.number}: {', '.join(sets)}"
        proc = dvc(p.root, "exp", "run", "-n", name, "-m", message, *(a for s in sets for a in ("-S", s)))
        value = _metric(p.root, p.metric) if proc.returncode == 0 else None
        if value is None:
            study.tell(trial, state=TrialState.FAIL)
            reason = _error_line(proc) if proc.returncode else f"no numeric {p.metric} in {SCORES}"
            echo(f"trial {trial.number} failed: {reason}")
            continue
        study.tell(trial, value)
        echo(f"trial {trial.number}: {p.metric} = {value:.6g}")
    done = [t for t in study.trials if t.state == TrialState.COMPLETE and t.value is not None]
    done.sort(key=lambda t: (t.value if p.direction == "minimize" else -float(t.value or 0.0), t.number))
    return Result(p, done)


def best_table(result: Result) -> str:
    """The best trials of the whole study as a Markdown table, with HEAD's params for reference."""
    p = result.plan
    keys = [d.key for d in p.dimensions]
    rows: list[list[object]] = [
        [rank, t.number, f"`{t.user_attrs.get('experiment', '')}`", *(t.params.get(k) for k in keys), t.value]
        for rank, t in enumerate(result.completed[:BEST_SHOWN], start=1)
    ]
    rows.append(["—", "—", "HEAD (committed params)", *("" for _ in keys), p.baseline])
    title = f"Best of {len(result.completed)} completed trial(s), {p.direction} {p.metric}:"
    return f"\n{title}\n\n" + table(["rank", "trial", "experiment", *keys, p.metric], rows) + "\n"


def apply_best(result: Result) -> str:
    """`dvc exp apply` the best trial; the study journal is kept as it is now, not as the trial saw it."""
    if not result.completed:
        raise SweepError(f"study {result.plan.study!r}: no completed trial to apply")
    name = str(result.completed[0].user_attrs["experiment"])
    journal = result.plan.root / SWEEPS_DIR / f"{result.plan.study}.jsonl"
    kept = journal.read_bytes()
    proc = dvc(result.plan.root, "exp", "apply", name)
    journal.write_bytes(kept)
    if proc.returncode != 0:
        raise SweepError(f"dvc exp apply {name}: {_error_line(proc)}")
    return f"applied {name} to the workspace; commit params.yaml, dvc.lock and metrics/ to keep it"
