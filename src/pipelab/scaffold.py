"""`pipelab new <kind> <name>`: a module file and its test, registered by the file alone."""

from __future__ import annotations

import keyword
from pathlib import Path

from pipelab.core import registry
from pipelab.core.errors import PipelabError
from pipelab.core.registry import KIND_PACKAGES

_MODULE = {
    "feature_group": '''"""Feature group `{name}` (replace this line: what it measures, why it should predict delay)."""

from __future__ import annotations

import pandas as pd

from pipelab.core.params import ModuleConfig
from pipelab.core.registry import ContractRef, register
from pipelab.transforms.features.base import FLIGHTS, FeatureBlock, FeatureInputs


@register(
    "feature_group",
    "{name}",
    reads=(FLIGHTS,),
    writes=(ContractRef("features"),),
    failure_modes=(),
)
def {name}_features(inputs: FeatureInputs, config: ModuleConfig) -> FeatureBlock:
    """One-paragraph summary shown in `pipelab catalog`."""
    flights = inputs.flights
    frame = pd.DataFrame({{"{name}__distance_km": flights["distance"] * 1.609344}}, index=flights.index)
    return FeatureBlock(frame)
''',
    "model": '''"""Model `{name}` (replace this line: what it is and when it should win)."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from pipelab.models.base import FEATURES_V1, Estimator
from pipelab.models.preprocessing import scaled_one_hot
from pipelab.core.params import ModuleConfig
from pipelab.core.registry import ContractRef, register


class {title}Config(ModuleConfig):
    """Settings under `model.{name}` in params.yaml."""

    C: float = Field(1.0, gt=0.0, le=1e6)


@register(
    "model",
    "{name}",
    config={title}Config,
    reads=FEATURES_V1,
    writes=(ContractRef("model"),),
    failure_modes=(),
)
def build_{name}(
    config: ModuleConfig, seed: int, numeric: list[str], categorical: list[str]
) -> tuple[Estimator, list[str]]:
    """One-paragraph summary shown in `pipelab catalog`."""
    assert isinstance(config, {title}Config)
    estimator: Any = make_pipeline(
        scaled_one_hot(numeric, categorical, min_frequency=20), LogisticRegression(C=config.C, random_state=seed)
    )
    return estimator, [*numeric, *categorical]
''',
    "missing": '''"""Missing-value strategy `{name}` (replace this line: when to prefer it)."""

from __future__ import annotations

import pandas as pd

from pipelab.core.params import ModuleConfig
from pipelab.core.registry import register
from pipelab.transforms.missing.base import READS, WRITES, MissingResult


@register("missing", "{name}", reads=READS, writes=WRITES, failure_modes=())
def {name}_missing(
    frame: pd.DataFrame, columns: list[str], config: ModuleConfig, group: str | None = None, order: str | None = None
) -> MissingResult:
    """One-paragraph summary shown in `pipelab catalog`."""
    filled = frame.copy()
    before = int(filled[columns].isna().sum().sum())
    filled[columns] = filled[columns].fillna(0.0)
    return MissingResult(filled, rows_dropped=0, values_filled=before)
''',
    "check": '''"""Quality check `{name}` (replace this line: what it guards against)."""

from __future__ import annotations

from pydantic import Field

from pipelab.checks.base import finding, tripped
from pipelab.contracts import DatasetQuality, Finding
from pipelab.core.params import ModuleConfig
from pipelab.core.registry import register


class {title}Config(ModuleConfig):
    """Settings under `quality.{name}` in params.yaml."""

    max_duplicates: int = Field(0, ge=0, description="exact duplicate rows above this: error")


@register("check", "{name}", config={title}Config, failure_modes=())
def {name}(quality: DatasetQuality, config: ModuleConfig) -> list[Finding]:
    """One-paragraph summary shown in `pipelab catalog`."""
    assert isinstance(config, {title}Config)
    removed = quality.duplicates_removed
    trip = tripped(removed, ("max_duplicates", config.max_duplicates))
    if trip is None:
        return []
    message = f"{{removed:,}} exact duplicate rows > quality.{name}.max_duplicates {{config.max_duplicates}}"
    return [finding("{name}", quality, trip, message=message, value=removed)]
''',
    "report": '''"""Report `{name}` (replace this line: the question the table answers)."""

from __future__ import annotations

from pipelab.core.params import ModuleConfig
from pipelab.core.registry import register
from pipelab.reports.base import FLIGHTS, ReportInputs, ReportTable, delay_note, delay_table


@register("report", "{name}", reads=FLIGHTS, failure_modes=())
def {name}(inputs: ReportInputs, config: ModuleConfig) -> ReportTable:
    """One-paragraph summary shown in `pipelab catalog`."""
    frame = delay_table(inputs.flights, ["dest"], inputs.late_minutes)
    return ReportTable("Arrival delay by destination", frame, delay_note(inputs.late_minutes))
''',
}

_TEST = {
    "feature_group": '''"""Tests of the `{name}` feature group."""

from pipelab.core import registry
from pipelab.core.params import ModuleConfig
from pipelab.transforms.features.base import FeatureInputs
from tests.unit.builders import clean_flight_table, clean_weather_table, flight, raw_airports, raw_planes


def test_{name}_adds_prefixed_columns_aligned_with_flights() -> None:
    # Real clean tables (tests/unit/builders.py): every column a group may read is there.
    flights = clean_flight_table(flight(sched_dep_time=700), flight(sched_dep_time=2300))
    inputs = FeatureInputs(flights, clean_weather_table(), raw_planes(), raw_airports(), flights)
    block = registry.get("feature_group", "{name}").obj(inputs, ModuleConfig())
    assert list(block.frame.index) == list(flights.index)
    assert len(flights) == 2
    assert all(column.startswith("{name}__") for column in block.frame.columns)
''',
    "model": '''"""Tests of the `{name}` model."""

import numpy as np
import pandas as pd

from pipelab.core import registry


def test_{name}_fits_and_predicts_probabilities() -> None:
    spec = registry.get("model", "{name}")
    assert spec.config is not None
    estimator, columns = spec.obj(spec.config(), 0, ["x"], ["c"])
    frame = pd.DataFrame({{"x": np.arange(40.0), "c": ["a", "b"] * 20}})
    estimator.fit(frame[columns], (frame["x"] > 20).astype(int))
    p = estimator.predict_proba(frame[columns])[:, 1]
    assert p.shape == (40,)
    assert ((p > 0) & (p < 1)).all()
''',
    "missing": '''"""Tests of the `{name}` missing-value strategy."""

import pandas as pd

from pipelab.core import registry
from pipelab.core.params import ModuleConfig


def test_{name}_fills_every_missing_value() -> None:
    frame = pd.DataFrame({{"a": [1.0, None, 3.0]}})
    result = registry.get("missing", "{name}").obj(frame, ["a"], ModuleConfig())
    assert result.frame["a"].notna().all()
    assert result.values_filled == 1
''',
    "check": '''"""Tests of the `{name}` quality check."""

from pipelab.core import registry
from pipelab.contracts import DatasetQuality


def summary(duplicates: int) -> DatasetQuality:
    return DatasetQuality(
        dataset="raw_flights",
        contract_version="1.0.0",
        stage="validate",
        rows_in=10,
        rows_valid=10 - duplicates,
        rows_quarantined=0,
        duplicates_removed=duplicates,
    )


def test_{name}_fails_above_its_limit_only() -> None:
    spec = registry.get("check", "{name}")
    assert spec.config is not None
    assert spec.obj(summary(0), spec.config()) == []
    (found,) = spec.obj(summary(3), spec.config())
    assert found.severity == "error"
    assert found.dataset == "raw_flights"
''',
    "report": '''"""Tests of the `{name}` report table."""

import pandas as pd

from pipelab.core import registry
from pipelab.core.params import ModuleConfig
from pipelab.reports.base import ReportInputs


def test_{name}_has_a_row_per_group() -> None:
    flights = pd.DataFrame(
        {{
            "dest": ["LAX", "LAX", "IAH"],
            "arr_delay": [10.0, 30.0, 5.0],
            "cancelled": [False, False, False],
            "diverted": [False, False, False],
        }}
    )
    empty = pd.DataFrame()
    table = registry.get("report", "{name}").obj(ReportInputs(flights, empty, empty, empty, 15), ModuleConfig())
    assert table.title
    assert table.frame["flights"].sum() == 3
    assert len(table.frame) == 2
''',
}


def package_dir(kind: str, root: Path) -> Path:
    return root / "src" / Path(*KIND_PACKAGES[kind].split("."))


def _require_root(root: Path, folders: list[Path]) -> None:
    """Refuse a root without the package and test folders: files written elsewhere would register nothing."""
    missing = [f.relative_to(root).as_posix() + "/" for f in folders if not f.is_dir()]
    if missing:
        raise PipelabError(
            f"pipelab new: {root.resolve()} is not the repository root (no {' or '.join(missing)}); "
            "run it from the root of the pipelab checkout, or give --root"
        )


def scaffold(kind: str, name: str, root: Path) -> list[Path]:
    """Write the module and its test; refuse bad names, unsupported kinds and existing files."""
    if kind not in _MODULE:
        raise PipelabError(f"pipelab new: kind {kind!r} has no template; choose one of {', '.join(sorted(_MODULE))}")
    if not name.isidentifier() or keyword.iskeyword(name) or name != name.lower():
        raise PipelabError(f"pipelab new: {name!r} is not a valid module name (lower_case identifier)")
    module = package_dir(kind, root) / f"{name}.py"
    test = root / "tests" / "unit" / f"test_{kind}_{name}.py"
    _require_root(root, [module.parent, test.parent])
    existing = [p for p in (module, test) if p.exists()]
    if existing:
        raise PipelabError(f"pipelab new: {existing[0]} already exists")
    if name in registry.names(kind):  # e.g. by a plugin: the new file would make every command refuse both
        taken = registry.get(kind, name)
        raise PipelabError(
            f"pipelab new: {kind} {name!r} is already registered by {taken.origin} (package {taken.package}); "
            "choose another name"
        )
    title = "".join(part.capitalize() for part in name.split("_"))
    module.write_text(_MODULE[kind].format(name=name, title=title), encoding="utf-8")
    test.write_text(_TEST[kind].format(name=name), encoding="utf-8")
    return [module, test]
