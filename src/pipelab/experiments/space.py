"""A sweep's search space: `KEY=log:0.01..0.3` ranges and choices, checked against the params schema.

The schema is the pydantic model that owns each key -- a section of
`pipelab.core.params.SECTIONS`, or the config a module registered for `SECTION.MODULE.FIELD` --
so a range is refused before any trial when either end (or any choice) would not validate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

from pydantic import BaseModel, ValidationError

from pipelab.core import registry
from pipelab.core.errors import PipelabError, RegistryError, file_errors
from pipelab.core.params import SECTIONS, ModularSection, load_yaml
from pipelab.experiments.overrides import override_value, parse_override

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from optuna.distributions import BaseDistribution

KINDS = ("float", "log", "int", "choice")
SYNTAX = "expected KEY=float:LOW..HIGH, KEY=log:LOW..HIGH, KEY=int:LOW..HIGH or KEY=choice:A,B,..."
OPTION = "--space"  # the source of entries given on the command line; a space file's entries name the file


def _syntax(source: str) -> str:
    """SYNTAX as the source writes an entry: `KEY=SPEC` on the command line, `KEY: SPEC` in a file."""
    return SYNTAX if source == OPTION else SYNTAX.replace("KEY=", "KEY: ")


class SweepError(PipelabError):
    """A search space, metric or study that cannot be run; refused before any trial."""


@dataclass(frozen=True)
class Dimension:
    """One searched param: its key, the kind of range, and the range or the choices."""

    key: str
    kind: Literal["float", "log", "int", "choice"]
    values: tuple[Any, ...]  # (low, high), or the choices
    source: str = field(default=OPTION, compare=False)  # where the user wrote it: `--space` or `FILE:`

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


def _choice(text: str, where: str) -> Any:
    """One choice as `dvc exp run -S` reads it: a trial sets it with -S, and DVC writes the value it parsed."""
    from hydra.errors import OverrideParseException

    try:
        override = parse_override(f"choice={text}")
    except OverrideParseException:
        raise SweepError(
            f"{where}: dvc exp run -S cannot parse {text!r}; if it is text, quote it: {override_value(text)}"
        ) from None
    if override.is_sweep_override():
        raise SweepError(f"{where}: {text!r} is several values to dvc exp run -S; list each as a choice")
    return override.value()


def parse_dimension(key: str, spec: str, source: str = OPTION) -> Dimension:
    """`log:0.01..0.3` for `key`; syntax only (the params schema is checked by `check_dimension`)."""
    where = f"{source} {key}={spec}"
    kind, sep, rest = spec.partition(":")
    if not key or not sep or kind not in KINDS or not rest:
        raise SweepError(f"{where}: {_syntax(source)}")
    if kind == "choice":
        choices = tuple(_choice(c, where) for c in rest.split(","))
        if len(set(map(repr, choices))) != len(choices) or len(choices) < 2:
            raise SweepError(f"{where}: give at least two different choices")
        return Dimension(key, "choice", choices, source)
    low_text, dots, high_text = rest.partition("..")
    if not dots:
        raise SweepError(f"{where}: {_syntax(source)}")
    low, high = _number(low_text, kind, where), _number(high_text, kind, where)
    if not low < high:
        raise SweepError(f"{where}: LOW must be below HIGH")
    if kind == "log" and low <= 0:
        raise SweepError(f"{where}: a log range needs LOW > 0")
    return Dimension(key, kind, (low, high), source)  # type: ignore[arg-type]


def parse_space(items: Sequence[str], space_file: Path | None) -> list[Dimension]:
    """`KEY=SPEC` options plus the `KEY: SPEC` entries of a YAML file; a key given twice is refused."""
    pairs: list[tuple[str, str, str]] = []
    for item in items:
        key, sep, spec = item.partition("=")
        if not sep:
            raise SweepError(f"{OPTION} {item}: {SYNTAX}")
        pairs.append((key.strip(), spec.strip(), OPTION))
    if space_file is not None:
        with file_errors(space_file, SweepError):  # which file, and why: not found, not UTF-8, the YAML's line
            raw = load_yaml(space_file.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise SweepError(f"{space_file}: expected a mapping of KEY: SPEC (e.g. model.hgb.max_depth: int:3..12)")
        pairs += [(str(k), str(v), f"{space_file}:") for k, v in raw.items()]
    if not pairs:
        raise SweepError("no search space: give --space KEY=SPEC or --space-file FILE")
    keys = [k for k, _, _ in pairs]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise SweepError(f"--space: {', '.join(twice)} given more than once")
    return [parse_dimension(key, spec, source) for key, spec, source in pairs]


def owner(key: str, source: str = OPTION) -> tuple[type[BaseModel], str]:
    """The pydantic model that validates `key` (`section.field` or `section.module.field`) and the field."""
    where = f"{source} {key}"
    parts = key.split(".")
    section = SECTIONS.get(parts[0])
    if section is None or len(parts) not in (2, 3):
        raise SweepError(f"{where}: not a params key; use SECTION.FIELD or SECTION.MODULE.FIELD")
    model: type[BaseModel] = section
    if len(parts) == 3:
        if not issubclass(section, ModularSection):
            raise SweepError(f"{where}: {parts[0]} has no module sub-sections")
        try:
            config = registry.get(section.module_kind, parts[1]).config
        except RegistryError as err:
            raise SweepError(f"{where}: {err}") from None
        if config is None:
            raise SweepError(f"{where}: {parts[0]}.{parts[1]} has no settings")
        model = config
    fields = sorted(name for name in model.model_fields if name != "configs")
    if parts[-1] not in fields:
        raise SweepError(f"{where}: unknown key; allowed: {', '.join(fields)}")
    return model, parts[-1]


def unselected_modules(
    keys: Iterable[str], selected: Callable[[str], Iterable[Any]]
) -> dict[tuple[str, str], list[str]]:
    """Keys of a module (`model.logistic.C`) no value of its section's selector names, by (selector, module):
    `selected("model.name")` gives the values the runs take. The stages read a module's sub-section only when
    its section selects it (`ModularSection.config_for`), so changing such a key changes no run."""
    unused: dict[tuple[str, str], list[str]] = {}
    for key in keys:
        parts = key.split(".")
        section = SECTIONS.get(parts[0])
        if len(parts) < 3 or section is None or not issubclass(section, ModularSection):
            continue
        if parts[1] not in registry.names(section.module_kind):
            continue  # a field of the section itself (`clean.extra_timezones.BQN`)
        selector, module = f"{parts[0]}.{section.selector}", parts[1]
        if not any(module == value or (isinstance(value, list) and module in value) for value in selected(selector)):
            unused.setdefault((selector, module), []).append(key)
    return unused


def check_dimension(dim: Dimension) -> None:
    """Refuse a range the params schema does not allow: both ends (or every choice) must validate."""
    model, name = owner(dim.key, dim.source)
    annotation = model.model_fields[name].annotation
    accepted = set(get_args(annotation)) or {annotation}
    if dim.kind in ("float", "log") and float not in accepted:
        raise SweepError(f"{dim.source} {dim.key}={dim.spec}: {dim.key} is not a float; use int: or choice:")
    for value in dim.values:
        try:
            model.model_validate({name: value})
        except ValidationError as err:
            problems = [e["msg"].removeprefix("Value error, ") for e in err.errors() if tuple(e["loc"][:1]) == (name,)]
            if problems:
                raise SweepError(
                    f"{dim.source} {dim.key}={dim.spec}: {value!r} is outside what params allow ({problems[0]})"
                ) from None
