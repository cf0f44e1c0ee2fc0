"""The stage runtime every script in stages/ runs under.

It validates the declared params sections before any work, lets the stage read only its
declared inputs and write only its declared outputs, stages every output in a temporary
sibling and swaps it in only when the whole stage succeeded, then writes a provenance
record beside each cached output and telemetry to metrics/telemetry/<stage>.json.
User errors become one line on stderr and exit code 2; tracebacks need --verbose.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, TypeVar

from packaging.version import Version

from pipelab.contracts import Contract, Coverage, DatasetQuality, adapt, conform, latest, names, validate_table
from pipelab.contracts.quarantine import QUARANTINE
from pipelab.core import io, registry
from pipelab.core.errors import ContractError, DataError, PipelabError, QualityGateError, RegistryError, file_errors
from pipelab.core.logs import FILE_ONLY, LOG_FILE, logger, setup_logging
from pipelab.core.params import StageParams, load_params
from pipelab.core.provenance import build_record, code_files, code_version
from pipelab.core.quality import gate_failure, run_checks
from pipelab.core.registry import ModuleSpec
from pipelab.core.telemetry import MODULE_LOG, Meter, drain_module_runs, module_of, telemetry_path

if TYPE_CHECKING:
    import pandas as pd

T = TypeVar("T")
QUARANTINE_DIR = "data/quarantine"
STAGING_SUFFIX = ".stage-tmp"
OLD_SUFFIX = ".old-tmp"


TEMPLATE = re.compile(r"\$\{([^}]+)\}")  # a dep written as in dvc.yaml, `${section.key}`: its value in params


@dataclass(frozen=True)
class StageSpec:
    """What a stage reads and writes; dvc.yaml must declare exactly the same (a test checks)."""

    name: str
    description: str
    params: tuple[str, ...] = ()
    deps: tuple[str, ...] = ()
    outs: tuple[str, ...] = ()  # DVC-cached data/model outputs, each with a provenance record
    validates: tuple[str, ...] = ()  # contracts whose rows it validates: data/quarantine/<name>.parquet each
    metrics: tuple[str, ...] = ()
    plots: tuple[str, ...] = ()
    reports: tuple[str, ...] = ()  # small git-tracked outputs (cache: false)
    tracked: dict[str, str] = field(default_factory=dict)  # git-tracked input no stage writes -> how to make it

    @property
    def telemetry(self) -> str:
        return telemetry_path(self.name).as_posix()

    @staticmethod
    def provenance_of(out: str) -> str:
        return f"{out}.provenance.json"

    @staticmethod
    def quarantine_of(contract: str) -> str:
        return f"{QUARANTINE_DIR}/{contract}.parquet"

    @property
    def cached(self) -> tuple[str, ...]:
        """DVC-cached outputs: the declared outs, then one quarantine file per validated contract."""
        return (*self.outs, *(self.quarantine_of(name) for name in self.validates))

    @property
    def written(self) -> tuple[str, ...]:
        """Every path the stage writes, in declaration order."""
        provenance = tuple(self.provenance_of(out) for out in self.cached)
        return (*self.cached, *provenance, *self.metrics, *self.plots, *self.reports, self.telemetry)


def _staging(path: Path) -> Path:
    return path.with_name(f".{path.name}{STAGING_SUFFIX}")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


@dataclass
class StageContext:
    """Handed to a stage's `run` function: its params, its inputs, its output paths."""

    spec: StageSpec
    params: StageParams
    meter: Meter = field(default_factory=Meter)
    sources: list[dict[str, Any]] = field(default_factory=list)
    datasets: dict[str, dict[str, Any]] = field(default_factory=dict)
    migrations: list[dict[str, str]] = field(default_factory=list)
    validated: dict[str, tuple[pd.DataFrame, DatasetQuality]] = field(default_factory=dict)
    valid: dict[str, pd.DataFrame] = field(default_factory=dict)  # valid rows of each validated dataset
    telemetry: dict[str, Any] = field(default_factory=dict)  # what commit wrote to metrics/telemetry/<stage>.json
    committed: bool = False  # every output swapped into place
    log = logger

    # --- paths -------------------------------------------------------------------------
    @property
    def deps(self) -> list[Path]:
        """Declared inputs, with `${section.key}` entries (as in dvc.yaml) resolved from params."""
        return [Path(self._resolve(dep)) for dep in self.spec.deps]

    def _resolve(self, dep: str) -> str:
        template = TEMPLATE.fullmatch(dep)
        if template is None:
            return dep
        value: Any = self.params.declared
        for key in template[1].split("."):
            value = value[key]
        return str(value)

    def input(self, path: str | Path) -> Path:
        """A declared input path; a missing one is a user error that names the stage to run."""
        path = Path(os.path.normpath(path))  # "out/../elsewhere" must not pass as inside "out"
        if not any(path == dep or dep in path.parents for dep in self.deps):
            raise RuntimeError(f"stage {self.spec.name} reads undeclared input {path}")
        if not path.exists():
            key = self._param_key(path)
            if key is not None:  # the user's own data, not another stage's output
                raise DataError(f"{path}: not found (set by `{key}` in params.yaml)")
            if path.as_posix() in self.spec.tracked:
                how = self.spec.tracked[path.as_posix()]
                raise DataError(f"{path}: not found; {how}, or restore the committed one (`git checkout -- {path}`)")
            raise DataError(f"{path}: input not found; run `dvc repro` (or the stage that writes it) first")
        return path

    def _param_key(self, path: Path) -> str | None:
        """The params key naming `path` (or a directory holding it), for `${section.key}` deps."""
        for declared, resolved in zip(self.spec.deps, self.deps, strict=True):
            template = TEMPLATE.fullmatch(declared)
            if template is not None and resolved in (path, *path.parents):
                return template[1]
        return None

    def output(self, path: str | Path) -> Path:
        """Where to write a declared output: inside its staging copy until the stage commits."""
        path = Path(os.path.normpath(path))  # "out/../elsewhere" must not pass as inside "out"
        for declared in map(Path, self.spec.written):
            if path == declared:
                target = _staging(declared)
            elif declared in path.parents:
                target = _staging(declared) / path.relative_to(declared)
            else:
                continue
            with file_errors(target.parent):  # a read-only checkout: one line naming where, not a bug
                target.parent.mkdir(parents=True, exist_ok=True)
            return target
        raise RuntimeError(f"stage {self.spec.name} writes undeclared output {path}")

    # --- reading, validating and writing datasets ---------------------------------------
    @contextmanager
    def _contract_time(self) -> Iterator[None]:
        """Time spent checking contracts, for telemetry (`contract_check_seconds`)."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.meter.add("contract_check_seconds", time.perf_counter() - start)

    def read(
        self, path: str | Path, columns: list[str] | None = None, contract: Contract | None = None
    ) -> pd.DataFrame:
        """A dataset; with `contract`, its version checked (older ones migrated, recorded) and its structure."""
        source = self.input(path)
        frame = io.read_parquet(source, columns)
        if contract is not None:
            with self._contract_time():
                tag = io.read_contract(source)
                if tag is None or tag.get("name") != contract.name:
                    found = f"{tag['name']} v{tag['version']}" if tag else "no contract tag"
                    raise ContractError(f"{source}: written as {found}, expected {contract.name} v{contract.version}")
                frame, steps = adapt(frame, contract, tag["version"], source.as_posix(), columns)
            for step in steps:
                self.log.info(
                    "%s: migrated %s %s -> %s (%s)", source, step["contract"], step["from"], step["to"], step["how"]
                )
                self.migrations.append({"dataset": Path(path).as_posix(), **step})
        self.meter.rows_in += len(frame)
        return frame

    def validate(
        self,
        frame: pd.DataFrame,
        contract: Contract,
        drift: tuple[dict[str, float], str] | None = None,
        coverage: dict[str, Coverage] | None = None,
    ) -> pd.DataFrame:
        """The valid rows of `frame`; failing rows go to data/quarantine/<contract>.parquet at commit.

        Foreign keys are checked against the datasets this stage validated before (validate
        the referenced tables first). The checks in `quality.checks` judge the result; an
        error finding stops the stage here, before anything downstream can use the data.
        `drift` is (PSI per feature, the reference profile it was measured against);
        `coverage` the share of rows each join found, for the `coverage` check.
        """
        if contract.name not in self.spec.validates:
            raise RuntimeError(f"stage {self.spec.name} validates {contract.name} without declaring it")
        with self._contract_time():
            result = validate_table(frame, contract, self.spec.name, contract.name, self.valid)
        quality = result.quality
        if drift is not None:
            quality = quality.model_copy(update={"drift": drift[0], "drift_reference": drift[1]})
        if coverage is not None:
            quality = quality.model_copy(update={"coverage": coverage})
        quality = run_checks(quality, self.params.quality)
        self.validated[contract.name] = (result.quarantine, quality)
        self.valid[contract.name] = result.valid
        self.count(f"{contract.name}_rows_quarantined", quality.rows_quarantined)
        for found in quality.findings:
            if found.severity != "error":  # errors are the one line the stage stops with
                self.log.warning("%s: %s", found.check, found.message)
        failure = gate_failure(quality)
        if failure is not None:
            raise QualityGateError(failure)
        return result.valid

    def write(
        self,
        frame: pd.DataFrame,
        path: str | Path,
        contract: Contract | None = None,
        partition_by: str | None = None,
    ) -> None:
        """Write a dataset (optionally one file per `partition_by` value), its structure checked, rows counted."""
        target = self.output(path)
        tag = None
        if contract is not None:
            with self._contract_time():
                frame = conform(frame, contract, Path(path).as_posix())
            tag = contract.tag
        if partition_by is None:
            io.write_parquet(frame, target, tag)
        else:
            if target.exists():
                _remove(target)
            io.write_partitioned(frame, target, partition_by, tag)
        self.meter.rows_out += len(frame)
        entry: dict[str, Any] = {"rows": len(frame), "columns": list(map(str, frame.columns))}
        if contract is not None:
            entry["contract"] = io.contract_record(contract.tag)
        self.datasets[Path(path).as_posix()] = entry

    def write_json(self, obj: Any, path: str | Path) -> None:
        io.write_json(obj, self.output(path))

    def write_text(self, text: str, path: str | Path) -> None:
        io.write_text(text, self.output(path))

    def write_csv(self, frame: pd.DataFrame, path: str | Path, float_format: str = "%.6g") -> None:
        io.write_text(io.csv_text(frame, float_format), self.output(path))

    def module(self, kind: str, name: str, inputs: Iterable[str | Path] = ()) -> ModuleSpec:
        """The module params chose, refused before any work if it cannot read these inputs' contracts.

        A module gets its input at the version this code delivers: older data is migrated
        on read to the current version, so that is the version to check (newer data is
        checked as it is, and refused when read).
        """
        spec = registry.get(kind, name)
        available: dict[str, str] = {}
        for path in inputs:
            tag = io.read_contract(self.input(path))
            if tag is not None:
                current = latest(tag["name"]).version if tag["name"] in names() else tag["version"]
                available[tag["name"]] = max(tag["version"], current, key=Version)
        for ref in spec.reads:  # not an input: made in this stage (clean's weather), at this code's version
            if ref.name not in available:
                if ref.name not in names():  # a misspelt name would never be checked
                    raise RegistryError(f"{kind} {name!r} reads {ref.name}, which is no contract: {', '.join(names())}")
                available[ref.name] = latest(ref.name).version
        registry.check_reads(spec, available)
        return spec

    def add_source(self, **identifiers: Any) -> None:
        """Record where raw data came from (package+version, or file path+hash)."""
        self.sources.append(identifiers)

    def count(self, name: str, value: float) -> None:
        """An extra figure for this stage's telemetry (e.g. rows dropped by a rule)."""
        self.meter.extra[name] = float(value)

    def _write_quarantine(self) -> None:
        """Each validated dataset's failing rows, with its quality summary in the file's metadata."""
        missing = sorted(set(self.spec.validates) - set(self.validated))
        if missing:
            raise RuntimeError(f"stage {self.spec.name} declared but did not validate: {', '.join(missing)}")
        for name, (quarantine, quality) in sorted(self.validated.items()):
            path = self.spec.quarantine_of(name)
            io.write_parquet(
                quarantine, self.output(path), QUARANTINE.tag, metadata={"quality": quality.model_dump(mode="json")}
            )
            self.datasets[path] = {
                "rows": len(quarantine),
                "contract": io.contract_record(QUARANTINE.tag),
            }

    def progress(self, items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
        """Iterate with a progress bar on a terminal, a log line per item elsewhere."""
        if sys.stderr.isatty():
            from rich.progress import track

            yield from track(items, description=f"{self.spec.name}: {description}", total=total, transient=True)
            return
        for index, item in enumerate(items, start=1):
            self.log.debug("%s %d/%s", description, index, total if total is not None else "?")
            yield item

    # --- commit --------------------------------------------------------------------------
    def discard(self) -> None:
        """Remove staging and half-swapped leftovers (also those of a killed earlier run)."""
        for declared in map(Path, self.spec.written):
            for leftover in (_staging(declared), declared.with_name(f".{declared.name}{OLD_SUFFIX}")):
                if leftover.exists():
                    _remove(leftover)

    def _write_provenance(self) -> None:
        inputs = {dep.as_posix(): io.hash_path(dep) for dep in self.deps if dep.exists()}
        code = code_version(code_files())
        for out in self.spec.cached:
            staged = _staging(Path(out))
            if not staged.exists():
                raise RuntimeError(f"stage {self.spec.name} declared {out} but did not write it")
            record = build_record(
                stage=self.spec.name,
                output=Path(out),
                output_md5=io.hash_path(staged),
                datasets={k: v for k, v in self.datasets.items() if k == out or k.startswith(out + "/")},
                inputs=inputs,
                sources=self.sources,
                params=self.params.declared,
                code=code,
                migrations=self.migrations,
            )
            self.write_json(record, self.spec.provenance_of(out))

    def commit(self) -> None:
        """Quarantine, provenance, telemetry, then swap every staged output into place."""
        self._write_quarantine()
        self._write_provenance()
        self.telemetry = self.meter.snapshot()  # what the file says is what the `done:` line says
        self.write_json(self.telemetry, self.spec.telemetry)
        missing = [p for p in self.spec.written if not _staging(Path(p)).exists()]
        if missing:
            raise RuntimeError(f"stage {self.spec.name} declared but did not write: {', '.join(missing)}")
        _append_module_runs(self.spec.name)
        with _signals_held() as received:  # stopped half way, old and new outputs would be mixed, or none left
            for declared in map(Path, self.spec.written):
                staged, old = _staging(declared), declared.with_name(f".{declared.name}{OLD_SUFFIX}")
                if staged.is_dir():
                    if declared.exists():
                        os.replace(declared, old)
                    os.replace(staged, declared)
                    if old.exists():
                        _remove(old)
                else:
                    os.replace(staged, declared)
            self.committed = True
        if received:  # acted on now, as it would have been had it come a moment earlier or later
            signal.raise_signal(received[0])


def _append_module_runs(stage: str) -> None:
    """Module timings go to an append-only log (not an output): the catalog's performance."""
    runs = drain_module_runs()
    if not runs:
        return
    try:
        MODULE_LOG.parent.mkdir(parents=True, exist_ok=True)
        with MODULE_LOG.open("a", encoding="utf-8") as fh:
            fh.writelines(json.dumps({"stage": stage, **run}, sort_keys=True) + "\n" for run in runs)
    except OSError as err:
        logger.warning("could not append module timings to %s: %s", MODULE_LOG, err)


def _parser(spec: StageSpec) -> argparse.ArgumentParser:
    def listing(title: str, items: tuple[str, ...]) -> str:
        return f"{title}: {', '.join(items)}" if items else f"{title}: none"

    reads = tuple(TEMPLATE.sub(r"<\1 in params.yaml>", dep) for dep in spec.deps)
    epilog = "\n".join(
        [
            listing("params sections", spec.params),
            listing("reads", reads),
            listing("writes", spec.written),
            listing("validates (failing rows to data/quarantine/<name>.parquet)", spec.validates),
            "Run from the repository root; `dvc repro` runs it for you.",
        ]
    )
    parser = argparse.ArgumentParser(
        prog=f"stages/{spec.name}.py",
        description=spec.description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--params", type=Path, default=Path("params.yaml"), help="params file (default: params.yaml)")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="debug logging and tracebacks (or PIPELAB_DEBUG=1)"
    )
    return parser


_SIGNALLED: list[int] = []  # termination signals received by this stage
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)  # `kill`, a closed terminal: stopped as on Ctrl-C
INTERNAL_ERROR = 3  # a bug, not bad input (2): the code the `pipelab` command uses


def _terminate(signum: int, frame: FrameType | None) -> None:
    _SIGNALLED.append(signum)
    raise KeyboardInterrupt(f"signal {signum}")


@contextmanager
def _signals_held() -> Iterator[list[int]]:
    """Ctrl-C, SIGTERM and SIGHUP arriving inside the block are recorded in the list it yields, not raised:
    for the steps a stop must not cut in half (swapping outputs in, removing the temporary ones)."""
    received: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    stoppers = [
        sig
        for sig in (signal.SIGINT, *STOP_SIGNALS)
        if signal.getsignal(sig) in (signal.default_int_handler, _terminate)
    ]
    previous = {sig: signal.signal(sig, hold) for sig in stoppers}
    try:
        yield received
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _stop_on_signals() -> None:
    """SIGTERM and SIGHUP stop the stage as Ctrl-C does (temporary outputs removed, one line); one the stage
    was started to ignore stays ignored (`nohup dvc repro`)."""
    _SIGNALLED.clear()
    for sig in STOP_SIGNALS:
        if signal.getsignal(sig) in (signal.SIG_DFL, _terminate):
            signal.signal(sig, _terminate)


def run_stage(spec: StageSpec, run: Callable[[StageContext], None], argv: list[str] | None = None) -> int:
    """Parse args, validate params, run, commit outputs; return the process exit code."""
    args = _parser(spec).parse_args(argv)
    verbose = args.verbose or os.environ.get("PIPELAB_DEBUG") == "1"
    # No params file here means the wrong directory: say so without leaving a logs/ behind.
    setup_logging(spec.name, verbose, LOG_FILE if args.params.is_file() else None)
    _stop_on_signals()
    meter = Meter()
    ctx: StageContext | None = None
    try:
        params = load_params(args.params, spec.params)
        ctx = StageContext(spec, params, meter)
        ctx.discard()
        for dep in ctx.deps:
            ctx.input(dep)
        run(ctx)
        ctx.commit()
        telemetry = ctx.telemetry
    except PipelabError as err:
        _cleanup(ctx)
        if verbose:
            traceback.print_exc()
        _error_line(spec, str(err))
        return err.exit_code
    except KeyboardInterrupt:
        return _interrupted(spec, ctx)
    except Exception as err:
        if _SIGNALLED:  # the signal's KeyboardInterrupt surfaced inside compiled code as another error
            return _interrupted(spec, ctx)
        _cleanup(ctx)
        if verbose:
            traceback.print_exc()
        first = str(err).splitlines()[0] if str(err) else ""
        module = module_of(err)
        where = f" in module {module}" if module else ""
        _error_line(
            spec, f"internal error{where}: {type(err).__name__}: {first} (rerun with --verbose for the traceback)"
        )
        return INTERNAL_ERROR
    logger.info("done: %s", ", ".join(f"{k}={v}" for k, v in telemetry.items()))
    return 0


def _interrupted(spec: StageSpec, ctx: StageContext | None) -> int:
    """Exit 128 + the signal's number, as shells report a command a signal ended (130 for Ctrl-C)."""
    _cleanup(ctx)
    signum = _SIGNALLED[0] if _SIGNALLED else signal.SIGINT
    by = "" if signum == signal.SIGINT else f" by {signal.Signals(signum).name}"
    left = "its new outputs all in place" if ctx is not None and ctx.committed else "outputs left as they were"
    _error_line(spec, f"interrupted{by}; {left}")
    return 128 + signum


def _error_line(spec: StageSpec, message: str) -> None:
    """The stage's one error line: printed for people, recorded in the structured log for tools."""
    print(f"error: {spec.name}: {message}", file=sys.stderr)
    logger.error(message, extra=FILE_ONLY)


def _cleanup(ctx: StageContext | None) -> None:
    if ctx is not None:
        with _signals_held():  # already stopping: a second Ctrl-C must not leave temporaries and a traceback
            ctx.discard()
