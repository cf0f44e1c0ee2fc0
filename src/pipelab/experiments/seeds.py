"""Seed replicates: a change and HEAD's params, each trained with several seeds, judged on the means.

One run against one run can mislead: on the full data the seed alone moves ROC AUC by
about 0.002 (sd), as much as many changes. `pipelab seeds -S KEY=VALUE --seeds 2013,1,2`
runs the change with every seed and HEAD's params with every seed but HEAD's own (whose
results are committed), each as `dvc exp run --temp` so the workspace stays as it was,
then judges the mean of every gated metric with the tolerances of metrics/gates.yaml.
Experiments are named after HEAD's params or the change and the seed, so the same command
run again on the same commit reuses them instead of training again.
"""

from __future__ import annotations

import hashlib
import json
import math
import statistics
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pipelab.core.errors import DataError, ParamsError, PipelabError
from pipelab.core.params import SCALARS, SECTIONS, StageParams, load_yaml, validate_params
from pipelab.experiments.compare import SEED_KEY, lookup, set_param
from pipelab.experiments.gates import Gate, Gates, Verdict, load_gates
from pipelab.experiments.overrides import override_value, parse_override
from pipelab.experiments.render import table
from pipelab.experiments.revisions import open_sides
from pipelab.experiments.runs import RunInterruptedError, error_line, exp_run, experiment_ref, interrupted
from pipelab.experiments.snapshot import SCORES
from pipelab.experiments.space import unselected_modules
from pipelab.experiments.sweep import require_head

EXTRA_SEEDS = (1, 2, 3)  # after HEAD's own seed, the default takes the first two that differ from it


class SeedsError(PipelabError):
    """A change, a seed list or a replicate that cannot be run or read; refused with one line."""


class RunFailedError(SeedsError):
    """A run failed: there is nothing to compare. Exit 4, as for a sweep none of whose trials completed (1 means
    a regression, 2 bad input)."""

    exit_code = 4


@dataclass(frozen=True)
class Setting:
    """One `-S KEY=VALUE`: the key and the option; what DVC writes for it is `with_change`'s."""

    key: str
    text: str  # [+|++]KEY=VALUE, passed on to `dvc exp run -S` unchanged
    prefix: str = ""  # DVC's (Hydra's) `+`: KEY is new to params.yaml; `++`: new or not; none: KEY must exist


@dataclass(frozen=True)
class Replicate:
    """One training run: HEAD's params or the change, with one seed, as a named experiment."""

    changed: bool  # False: HEAD's params
    seed: int
    name: str  # the experiment's name; "" for HEAD's own committed run

    def settings(self, change: Sequence[Setting]) -> list[Setting]:
        seed = Setting(SEED_KEY, set_param(SEED_KEY, self.seed))
        return [seed, *(change if self.changed else ())]


@dataclass(frozen=True)
class Plan:
    """A checked replicate comparison, ready to run."""

    root: Path
    change: tuple[Setting, ...]
    values: Mapping[str, Any]  # each changed key's value as the stages read it (`stage_values`)
    seeds: tuple[int, ...]
    head: str  # HEAD's commit: experiments are looked up on it
    head_seed: int
    head_scores: Mapping[str, Any]
    gates: Gates
    gates_source: str

    @property
    def replicates(self) -> list[Replicate]:
        canonical = json.dumps(sorted(self.values.items()))  # the same params as the stages read them, the same name
        digest = hashlib.sha256(canonical.encode()).hexdigest()[:8]
        runs = [Replicate(False, s, "" if s == self.head_seed else f"seeds-head-s{s}") for s in self.seeds]
        return runs + [Replicate(True, s, f"seeds-{digest}-s{s}") for s in self.seeds]


def parse_change(items: Sequence[str]) -> list[Setting]:
    """`KEY=VALUE`, `+KEY=VALUE` or `++KEY=VALUE` options as `dvc exp run -S` takes them (`check_one_value`);
    the seed is not a change, and removing a key (`~KEY`) is not one seeds can replay."""
    if not items:
        raise SeedsError("no change: give -S KEY=VALUE (e.g. -S model.name=logistic)")
    settings: list[Setting] = []
    for item in items:
        key, sep, text = item.partition("=")
        key, text = key.strip(), text.strip()
        if key.startswith("~"):
            raise SeedsError(f"-S {item}: seeds cannot remove a param; set the value to compare: -S {key[1:]}=VALUE")
        prefix = "++" if key.startswith("++") else "+" if key.startswith("+") else ""
        key = key.removeprefix(prefix)
        if not sep or not key or key.startswith("+"):
            raise SeedsError(f"-S {item}: expected KEY=VALUE, +KEY=VALUE (a key params.yaml lacks) or ++KEY=VALUE")
        if key == SEED_KEY:
            raise SeedsError(f"-S {item}: the seed is what varies; list seeds with --seeds")
        if key.split(".")[0] not in SECTIONS:
            raise SeedsError(f"-S {item}: {key.split('.')[0]!r} is not a params section ({', '.join(SECTIONS)})")
        option = f"{prefix}{key}={text}"
        check_one_value(key, option)
        settings.append(Setting(key, option, prefix))
    keys = [s.key for s in settings]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise SeedsError(f"-S: {', '.join(twice)} given more than once")
    return settings


def check_one_value(key: str, option: str) -> None:
    """Refuse an option `[+|++]KEY=VALUE` DVC's own (Hydra) parser would not run as this one change: several
    values (`3,6`, `choice(...)`, `range(...)`: a grid, which DVC runs only with --queue, after HEAD's runs here)
    or a VALUE it cannot parse (`hgb#2`)."""
    from hydra.core.override_parser.types import ValueType
    from hydra.errors import OverrideParseException

    written, _, text = option.partition("=")
    try:
        override = parse_override(option)
    except OverrideParseException:
        quoted = f'-S "{written}={override_value(text)}"'
        raise SeedsError(f"-S {option}: dvc exp run -S cannot parse VALUE; if it is text, quote it: {quoted}") from None
    if override.is_sweep_override():
        # `3,6` of plain values: sweep's `choice:` takes the list as written
        plain = override.value_type is ValueType.SIMPLE_CHOICE_SWEEP and not set(text) & set("[{('\"")
        spec = "choice:" + ",".join(part.strip() for part in text.split(",")) if plain else "SPEC (see its --help)"
        raise SeedsError(
            f"-S {option}: several values for {key}, a grid of experiments to dvc exp run -S; "
            f"seeds compares one change: give one value, or search several with pipelab sweep --space {key}={spec}"
        )


def parse_seeds(text: str | None, head_seed: int) -> tuple[int, ...]:
    """`2013,1,2`: at least two different seeds; by default HEAD's seed and two more."""
    if text is None:
        return (head_seed, *[s for s in EXTRA_SEEDS if s != head_seed][:2])
    try:
        seeds = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise SeedsError(f"--seeds {text}: expected integers separated by commas, e.g. 2013,1,2") from None
    if len(seeds) < 2 or len(set(seeds)) != len(seeds):
        raise SeedsError(f"--seeds {text}: give at least two different seeds (a spread needs two runs)")
    bad = [s for s in seeds if not 0 <= s < 2**32]
    if bad:
        raise SeedsError(f"--seeds {text}: {bad[0]} is outside [0, 2**32)")
    return seeds


def with_change(params: Mapping[str, Any], settings: Sequence[Setting], *, either: bool = False) -> dict[str, Any]:
    """`params` as `dvc exp run -S` writes them into params.yaml: DVC's own `apply_overrides` on a copy, so each
    VALUE is read with its Hydra grammar and `${...}` is resolved, in the change and in the rest of the file.
    `either`: each KEY set whether params has it or not (as `++KEY`)."""
    from dvc.exceptions import InvalidArgumentError
    from dvc.utils.hydra import apply_overrides
    from omegaconf.errors import OmegaConfBaseException

    with tempfile.TemporaryDirectory(prefix="pipelab-params-") as tmp:
        path = Path(tmp) / "params.yaml"
        path.write_text(yaml.safe_dump(dict(params), sort_keys=False), encoding="utf-8")
        try:
            apply_overrides(str(path), [f"++{s.text.removeprefix(s.prefix)}" if either else s.text for s in settings])
        except (InvalidArgumentError, OmegaConfBaseException) as err:
            why = str(err.__cause__ or err).splitlines()[0]
            options = " ".join(f"-S {s.text}" for s in settings)
            raise SeedsError(f"{options}: dvc exp run -S cannot apply it: {why}") from None
        changed: dict[str, Any] = load_yaml(path.read_text(encoding="utf-8"))
        return changed


def check_change(params: Mapping[str, Any], settings: Sequence[Setting]) -> StageParams:
    """Refuse a change the params schema does not allow, one `dvc exp run -S` would refuse at its first run
    (KEY must be in HEAD's params.yaml, +KEY must not), one that changes nothing once validated, or one to a
    module the runs do not select; the params with the change, validated."""
    for setting in settings:  # schema first, applied with `++` (present or not): an unknown key is named as such
        try:
            written = with_change(params, [setting], either=True)
            validate_params(written, [setting.key.split(".")[0]], f"-S {setting.text}")
        except ParamsError as err:
            raise SeedsError(str(err)) from None
        present, _ = lookup(params, setting.key)
        if present and setting.prefix == "+":
            raise SeedsError(
                f"-S {setting.text}: HEAD's params.yaml has {setting.key}; change it with -S {setting.text[1:]}"
            )
        if not present and not setting.prefix:
            raise SeedsError(
                f"-S {setting.text}: HEAD's params.yaml has no {setting.key}; add it with -S +{setting.text}"
            )
    try:
        head = validate_params(params, [*SCALARS, *SECTIONS], "params.yaml at HEAD")
        changed = validate_params(with_change(params, settings), [*SCALARS, *SECTIONS], "-S")
    except ParamsError as err:
        raise SeedsError(str(err)) from None
    if changed.reads_as(head):
        options = " ".join(f"-S {s.text}" for s in settings)
        raise SeedsError(f"{options}: the same params as HEAD's once validated; nothing to compare")
    check_selected(params, settings, changed)
    return changed


def stage_values(params: StageParams, keys: Iterable[str]) -> dict[str, Any]:
    """Each key's value as the stages read it, validated and JSON-ready: `0` or `false` for a boolean is false."""
    declared = params.declared
    return {key: lookup(declared, key)[1] for key in keys}


def check_selected(params: Mapping[str, Any], settings: Sequence[Setting], changed: StageParams) -> None:
    """Refuse keys of a module the runs do not select (`model.logistic.C` while `model.name` is hgb), as a sweep
    refuses them (`unselected_modules`): they would change no run. The fix selects the module."""
    given = {s.key: s for s in settings}

    def selected(selector: str) -> tuple[Any]:
        section, field = selector.split(".")
        return (getattr(getattr(changed, section), field),)

    unused = unselected_modules(given, selected)
    if not unused:
        return
    (selector, module), keys = next(iter(unused.items()))
    (value,) = selected(selector)
    chosen = f"-S {given[selector].text}" if selector in given else f"HEAD's {selector}"
    if isinstance(value, list):
        why, fix = f"{chosen} lacks {module}", set_param(selector, [*value, module])
    else:
        why, fix = f"{chosen} {'selects' if selector in given else 'is'} {value}", set_param(selector, module)
    if selector in given:
        prefix, instead = given[selector].prefix, f" instead of -S {given[selector].text}"
    else:
        prefix, instead = "" if lookup(params, selector)[0] else "+", ""
    raise SeedsError(
        f"{' '.join(f'-S {given[k].text}' for k in keys)}: no run uses {selector.split('.')[0]}.{module}, as {why}, "
        f"so {'it changes' if len(keys) == 1 else 'they change'} nothing; select it: -S {prefix}{fix}{instead}"
    )


def check_data_path(root: Path, params: Mapping[str, Any]) -> None:
    """A `files` source without its directory fails every run at ingest: say so before the first one."""
    data = params.get("data")
    if isinstance(data, dict) and data.get("source") == "files":
        from pipelab.sources.files import table_directory  # imports pandas: only for this source

        try:
            table_directory(str(data.get("path")), root)
        except DataError as err:
            raise SeedsError(f"-S: {err}") from None


def plan(root: Path, *, change: Sequence[str], seeds: str | None, gates: Path | None) -> Plan:
    """Check everything before the first run: the change, the seeds, HEAD's results, the gates."""
    settings = parse_change(change)
    with open_sides(root, ["HEAD"]) as (head,):
        params = head.yaml("params.yaml")
        scores = head.json(SCORES)
        rules, source = load_gates(gates, head, root)
        commit = head.intent.rev
    if not isinstance(params, dict):
        raise SeedsError("params.yaml at HEAD: missing or not a mapping")
    if not isinstance(scores, dict):
        raise SeedsError(f"{SCORES} at HEAD: missing; run the pipeline and commit its results first")
    values = stage_values(check_change(params, settings), [s.key for s in settings])
    check_data_path(root, with_change(params, settings))
    require_head(root, "every run starts from HEAD, whose committed results stand for its own seed", SeedsError)
    head_seed = int(params[SEED_KEY])
    return Plan(root, tuple(settings), values, parse_seeds(seeds, head_seed), commit, head_seed, scores, rules, source)


def _read(p: Plan, sha: str, run: Replicate) -> dict[str, Any]:
    """An experiment's scores, once its params, as the stages read them, are checked to be the ones this
    replicate stands for (a run of `early_stopping=0` is one of `=false`)."""
    with open_sides(p.root, [sha]) as (side,):
        params, scores = side.yaml("params.yaml"), side.json(SCORES)
    if not _reads_as(params, {SEED_KEY: run.seed, **(p.values if run.changed else {})}):
        raise SeedsError(
            f"experiment {run.name} on HEAD has other params than {' '.join(s.text for s in run.settings(p.change))}; "
            f"`dvc exp remove {run.name}` and run again"
        )
    if not isinstance(scores, dict):
        raise SeedsError(f"experiment {run.name}: no {SCORES}")
    return scores


def _reads_as(params: Any, wanted: Mapping[str, Any]) -> bool:
    """Whether an experiment's params, validated, hold the `wanted` values at their keys (`stage_values`)."""
    if not isinstance(params, dict):
        return False
    try:
        validated = validate_params(params, [*SCALARS, *SECTIONS], "params.yaml")
    except ParamsError:
        return False
    return stage_values(validated, wanted) == wanted


def run(p: Plan, echo: Callable[[str], None]) -> dict[tuple[bool, int], dict[str, Any]]:
    """Every replicate's scores, keyed by (changed, seed); experiments already on HEAD are reused."""
    results: dict[tuple[bool, int], dict[str, Any]] = {}
    for rep in p.replicates:
        label = f"{'change' if rep.changed else 'HEAD'}, seed {rep.seed}"
        if not rep.name:
            echo(f"{label}: HEAD's committed results")
            results[(rep.changed, rep.seed)] = dict(p.head_scores)
            continue
        sha = experiment_ref(p.root, p.head, rep.name)
        if sha is None:
            sets = [s.text for s in rep.settings(p.change)]
            echo(f"{label}: dvc exp run --temp -n {rep.name} " + " ".join(f"-S {s}" for s in sets))
            try:
                proc = exp_run(p.root, rep.name, f"pipelab seeds: {', '.join(sets)}", sets)
            except (KeyboardInterrupt, RunInterruptedError) as err:
                stopped = f"{label} ({rep.name}) stopped; finished runs are kept and reused when the command runs again"
                raise interrupted(stopped, err) from None
            if proc.returncode != 0:
                raise RunFailedError(f"{label}: dvc exp run failed: {error_line(proc)}")
            sha = experiment_ref(p.root, p.head, rep.name)
            if sha is None:
                raise RunFailedError(f"{label}: dvc exp run left no experiment {rep.name}")
        else:
            echo(f"{label}: reusing experiment {rep.name}")
        results[(rep.changed, rep.seed)] = _read(p, sha, rep)
    return results


@dataclass(frozen=True)
class Row:
    """One metric over the replicates: both sides' mean and spread, the change and its verdict."""

    metric: str
    gate: Gate
    head: list[float]
    changed: list[float]

    @property
    def head_mean(self) -> float:
        return statistics.fmean(self.head)

    @property
    def change_mean(self) -> float:
        return statistics.fmean(self.changed)

    @property
    def delta(self) -> float:
        return self.change_mean - self.head_mean

    @property
    def noise(self) -> float:
        """Pooled seed standard deviation of the two sides."""
        return math.sqrt((statistics.variance(self.head) + statistics.variance(self.changed)) / 2)

    @property
    def tolerance(self) -> float:
        return self.gate.tolerance(self.head_mean)

    @property
    def verdict(self) -> Verdict:
        return self.gate.verdict(self.head_mean, self.change_mean)

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "gate": self.gate.gate,
            "head": self.head,
            "change": self.changed,
            "head_mean": self.head_mean,
            "change_mean": self.change_mean,
            "delta": self.delta,
            "noise_sd": self.noise,
            "tolerance": self.tolerance,
            "verdict": self.verdict,
        }


def summarize(p: Plan, results: Mapping[tuple[bool, int], Mapping[str, Any]]) -> list[Row]:
    """A row per metric of the gates file that every replicate reports; gated metrics first."""
    rows = []
    for metric, gate in p.gates.metrics.items():
        values = {k: v.get(metric) for k, v in results.items()}
        if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in values.values()):
            continue
        head = [float(values[(False, s)]) for s in p.seeds]  # type: ignore[arg-type]
        changed = [float(values[(True, s)]) for s in p.seeds]  # type: ignore[arg-type]
        rows.append(Row(metric, gate, head, changed))
    if not rows:
        raise SeedsError(f"no metric of {p.gates_source} is a number in every replicate's {SCORES}")
    return sorted(rows, key=lambda r: not r.gate.gate)


def _mean_sd(values: Sequence[float]) -> str:
    return f"{statistics.fmean(values):.4f} ({statistics.stdev(values):.4f})"


def markdown(p: Plan, rows: Sequence[Row]) -> str:
    """The table, then one line per gated metric that got worse beyond its tolerance (or that none did)."""
    body = [
        [
            f"`{r.metric}`",
            "yes" if r.gate.gate else "no",
            _mean_sd(r.head),
            _mean_sd(r.changed),
            f"{r.delta:+.4f}",
            f"{r.delta / r.noise:+.1f}" if r.noise > 0 else "—",
            f"{r.tolerance:.4f}",
            r.verdict,
        ]
        for r in rows
    ]
    seeds = ", ".join(map(str, p.seeds))
    title = f"HEAD {p.head[:7]} vs {' '.join(f'-S {s.text}' for s in p.change)}, seeds {seeds}, mean (sd):"
    headers = ["metric", "gate", "HEAD", "change", "Δ", "Δ / sd", "tolerance", "verdict"]
    worse = failing(rows)
    verdict = (
        f"worse beyond the tolerance of {p.gates_source}: {', '.join(worse)}"
        if worse
        else f"no gated metric got worse beyond the tolerance of {p.gates_source}"
    )
    return f"\n{title}\n\n{table(headers, body)}\n\n{verdict}\n"


def failing(rows: Sequence[Row]) -> list[str]:
    """The gated metrics whose mean got worse beyond the tolerance."""
    return [r.metric for r in rows if r.gate.gate and r.verdict == "worse"]
