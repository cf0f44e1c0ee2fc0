"""cli.py: `pipelab run-info` and `pipelab check-params`, driven through typer's CliRunner; errors as one line."""

from __future__ import annotations

import errno
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from pipelab.cli import app, stage_order, telemetry_rows
from pipelab.contracts import DatasetQuality
from pipelab.core.io import write_parquet

RECORDS: dict[str, dict[str, Any]] = {
    "train": {
        "wall_seconds": 0.75,
        "cpu_seconds": 0.5,
        "peak_rss_mb": 300.0,
        "rows_in": 10,
        "rows_out": 8,
        "rows_per_second": 13.3,
    },
    "ingest": {
        "wall_seconds": 1.25,
        "cpu_seconds": 2.5,
        "peak_rss_mb": 100.5,
        "rows_in": 0,
        "rows_out": 10,
        "rows_per_second": 0.0,
    },
    "clean": {
        "wall_seconds": 0.5,
        "cpu_seconds": 0.25,
        "peak_rss_mb": 50.0,
        "rows_in": 10,
        "rows_out": 10,
        "rows_per_second": 20.0,
        "rows_dropped": 2.0,
    },
}
DVC_YAML = {"stages": {"ingest": {"cmd": "a"}, "clean": {"cmd": "b"}, "split": {"cmd": "c"}, "train": {"cmd": "d"}}}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A repository root with a dvc.yaml and telemetry for three of its four stages."""
    (tmp_path / "dvc.yaml").write_text(yaml.safe_dump(DVC_YAML, sort_keys=False), encoding="utf-8")
    folder = tmp_path / "metrics" / "telemetry"
    folder.mkdir(parents=True)
    for stage, record in RECORDS.items():
        (folder / f"{stage}.json").write_text(json.dumps(record), encoding="utf-8")
    return tmp_path


def table_rows(output: str) -> list[list[str]]:
    """The body rows of a rich table, split into cells."""
    rows = []
    for line in output.splitlines():
        if line.startswith("│"):
            rows.append([cell.strip() for cell in line.strip("│").split("│")])
    return rows


# --- run-info ----------------------------------------------------------------------------------


def test_run_info_prints_stages_in_dvc_yaml_order_with_a_total(runner: CliRunner, root: Path) -> None:
    result = runner.invoke(app, ["run-info", "--root", str(root)])
    assert result.exit_code == 0, result.output
    assert "Last run, per stage" in result.stdout
    header = next(line for line in result.stdout.splitlines() if line.startswith("┃"))
    assert [c.strip() for c in header.strip("┃").split("┃")] == [
        "stage",
        "wall s",
        "CPU s",
        "peak MiB",
        "rows in",
        "rows out",
        "rows/s",
    ]
    assert table_rows(result.stdout) == [
        ["ingest", "1.25", "2.50", "100.5", "0", "10", "0"],
        ["clean", "0.50", "0.25", "50.0", "10", "10", "20"],
        ["train", "0.75", "0.50", "300.0", "10", "8", "13"],
        ["total", "2.50", "3.25", "300.0 (max)", "", "", ""],
    ]


def test_run_info_formats_each_column_alike_and_leaves_missing_values_blank(runner: CliRunner, root: Path) -> None:
    folder = root / "metrics" / "telemetry"
    big = {"wall_seconds": 1234.5678, "cpu_seconds": 2, "peak_rss_mb": 1536.25, "rows_in": 336776, "rows_out": 0}
    (folder / "split.json").write_text(json.dumps(big), encoding="utf-8")
    result = runner.invoke(app, ["run-info", "--root", str(root)])
    assert result.exit_code == 0, result.output
    rows = {row[0]: row[1:] for row in table_rows(result.stdout)}
    assert rows["split"] == ["1,234.57", "2.00", "1,536.2", "336,776", "0", ""]
    assert rows["total"] == ["1,237.07", "5.25", "1,536.2 (max)", "", "", ""]


def test_run_info_puts_stages_unknown_to_dvc_yaml_last_sorted(runner: CliRunner, root: Path) -> None:
    folder = root / "metrics" / "telemetry"
    for stage in ("zeta", "adhoc"):
        (folder / f"{stage}.json").write_text(json.dumps(RECORDS["clean"]), encoding="utf-8")
    result = runner.invoke(app, ["run-info", "--root", str(root)])
    assert result.exit_code == 0, result.output
    assert [row[0] for row in table_rows(result.stdout)] == ["ingest", "clean", "train", "adhoc", "zeta", "total"]


@pytest.mark.parametrize("columns", [60, 40])
def test_run_info_in_a_narrow_terminal_keeps_every_number_whole(root: Path, columns: int) -> None:
    folder = root / "metrics" / "telemetry"
    big = {"wall_seconds": 1234.5678, "cpu_seconds": 2, "peak_rss_mb": 1536.25, "rows_in": 336776, "rows_out": 336776}
    (folder / "split.json").write_text(json.dumps(big | {"rows_per_second": 272.8}), encoding="utf-8")
    result = CliRunner(env={"COLUMNS": str(columns), "NO_COLOR": "1"}).invoke(app, ["run-info", "--root", str(root)])
    assert result.exit_code == 0, result.output
    assert "…" not in result.stdout
    lines = result.stdout.splitlines()
    assert "┃" not in result.stdout  # borders and padding went first
    assert lines[1].split() == ["stage", "wall", "s", "CPU", "s", "peak", "MiB", "rows", "in", "rows", "out", "rows/s"]
    split = next(line for line in lines if line.startswith("split"))
    assert split.split() == ["split", "1,234.57", "2.00", "1,536.2", "336,776", "336,776", "273"]
    widest = max(len(line.rstrip()) for line in lines)
    assert widest == 59  # the compact table's natural width: it fits 60 columns, and at 40 it is printed whole


def test_print_table_leaves_a_table_that_fits_as_it_is() -> None:
    from rich.console import Console
    from rich.table import Table

    from pipelab.cli.app import print_table

    table = Table(title="t")
    table.add_column("n", justify="right", no_wrap=True)
    table.add_row("336,776")
    console = Console(width=30, record=True, color_system=None, file=io.StringIO())
    print_table(table, console)
    assert "│ 336,776 │" in console.export_text()
    assert console.width == 30


def test_run_info_json(runner: CliRunner, root: Path) -> None:
    result = runner.invoke(app, ["run-info", "--root", str(root), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == RECORDS
    assert list(json.loads(result.stdout)) == sorted(RECORDS)


def test_run_info_without_dvc_yaml_sorts_by_name(runner: CliRunner, root: Path) -> None:
    (root / "dvc.yaml").unlink()
    assert [stage for stage, _ in telemetry_rows(root)] == ["clean", "ingest", "train"]
    assert stage_order(root / "dvc.yaml") == []


@pytest.mark.parametrize("make_folder", [False, True])
def test_run_info_without_telemetry_exits_2_with_one_line(runner: CliRunner, tmp_path: Path, make_folder: bool) -> None:
    if make_folder:
        (tmp_path / "metrics" / "telemetry").mkdir(parents=True)
    result = runner.invoke(app, ["run-info", "--root", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"error: no telemetry in {tmp_path / 'metrics' / 'telemetry'}; run `make run` first\n"


def test_stage_order_reads_dvc_yaml(root: Path) -> None:
    assert stage_order(root / "dvc.yaml") == ["ingest", "clean", "split", "train"]


# --- check-params ------------------------------------------------------------------------------

REPO_PARAMS = Path(__file__).resolve().parents[2] / "params.yaml"
GOOD_PARAMS: dict[str, Any] = yaml.safe_load(REPO_PARAMS.read_text(encoding="utf-8")) | {
    "seed": 3,
    "split": {"cutoff": "2013-09-01"},
    "model": {"name": "logistic", "logistic": {"C": 0.5}},
}
ALL_SECTIONS = "seed, data, clean, target, features, split, model, evaluate, quality, report"


def write(path: Path, raw: Any) -> Path:
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


def test_check_params_ok_lists_every_section(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path / "params.yaml", GOOD_PARAMS)
    result = runner.invoke(app, ["check-params", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{path}: ok ({ALL_SECTIONS})\n"


def test_check_params_accepts_the_repository_params_file(runner: CliRunner) -> None:
    result = runner.invoke(app, ["check-params", str(REPO_PARAMS)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{REPO_PARAMS}: ok ({ALL_SECTIONS})\n"


@pytest.mark.parametrize(
    ("override", "fragments"),
    [
        ({"model": {"name": "xgb"}}, ["model.name = 'xgb'", "baseline, hgb, logistic"]),
        ({"model": {"name": "hgb", "hgb": {"learning_rate": -1}}}, ["model.hgb.learning_rate = -1", "greater than 0"]),
        ({"seed": -5}, ["seed = -5", "integer in [0, 2**32)"]),
        ({"split": {"cutof": "2013-09-01"}}, ["split.cutof: unknown key; allowed: cutoff"]),
    ],
)
def test_check_params_failure_exits_2_with_one_line(
    runner: CliRunner, tmp_path: Path, override: dict[str, Any], fragments: list[str]
) -> None:
    path = write(tmp_path / "params.yaml", GOOD_PARAMS | override)
    result = runner.invoke(app, ["check-params", str(path)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: {path}: ")
    assert result.stderr.count("\n") == 1
    for fragment in fragments:
        assert fragment in result.stderr


def test_check_params_reports_problems_in_every_section(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path / "params.yaml", GOOD_PARAMS | {"seed": True, "evaluate": {"threshold": 2}})
    result = runner.invoke(app, ["check-params", str(path)])
    assert result.exit_code == 2
    assert "seed = True" in result.stderr
    assert "evaluate.threshold = 2" in result.stderr
    assert result.stderr.count("\n") == 1


def test_check_params_names_keys_no_stage_reads_without_failing(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path / "params.yaml", GOOD_PARAMS | {"notes": "anything"})
    result = runner.invoke(app, ["check-params", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{path}: ok ({ALL_SECTIONS}); no stage reads 'notes'\n"


def test_check_params_fails_on_a_missing_section_and_points_at_a_typo(runner: CliRunner, tmp_path: Path) -> None:
    broken = {("sed" if key == "seed" else key): value for key, value in GOOD_PARAMS.items()}
    del broken["report"]
    path = write(tmp_path / "params.yaml", broken)
    result = runner.invoke(app, ["check-params", str(path)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {path}: missing section 'seed' (is 'sed' a typo?); {path}: missing section 'report'\n"
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "params file not found"),
        ("model: [hgb\n", "not valid YAML (line "),
        ("- seed\n", "expected a mapping of sections at the top level"),
        ("seed: 1  # caf\xe9\n", ""),
    ],
    ids=["missing", "bad-yaml", "not-a-mapping", "not-utf8"],
)
def test_check_params_unreadable_file_exits_2(
    runner: CliRunner, tmp_path: Path, content: str | None, expected: str
) -> None:
    path = tmp_path / "params.yaml"
    if content is not None:
        path.write_bytes(content.encode("latin-1"))
    result = runner.invoke(app, ["check-params", str(path)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {path}: {expected}")
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    "args",
    [
        ["run-info"],
        ["quality", "show"],
        ["quality", "set-reference"],
        ["contracts", "snapshot"],
        ["catalog"],
        ["compare"],
        ["sweep", "--space", "model.hgb.learning_rate=log:0.01..0.3"],
        ["seeds", "-S", "model.hgb.max_iter=100"],
    ],
)
def test_a_command_run_below_the_checkouts_root_names_the_root(
    runner: CliRunner, root: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    """Not "run `make run` first" (the results are there, one level up), nor docs/ written into reports/docs/."""
    (root / ".dvc").mkdir()
    below = root / "reports"
    below.mkdir()
    monkeypatch.chdir(below)
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"error: {below.resolve()} is inside the pipelab checkout {root.resolve()}, not its root: "
        f"run pipelab from {root.resolve()}\n"
    )
    assert list(below.iterdir()) == []


def test_no_arguments_shows_help(runner: CliRunner) -> None:
    result = runner.invoke(app, [])
    assert "run-info" in result.output
    assert "check-params" in result.output


def test_version_prints_the_installed_version_and_exits_0(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    pyproject = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text(encoding="utf-8"))
    assert result.output == f"pipelab {pyproject['project']['version']}\n"


def test_quality_show_fits_80_columns_without_cutting_names_or_counts(tmp_path: Path) -> None:
    empty = pd.DataFrame({"row_id": pd.Series([], dtype="int64")})
    for dataset, stage in (("raw_flights", "validate"), ("clean_flights", "clean"), ("predictions", "evaluate")):
        summary = DatasetQuality(
            dataset=dataset,
            contract_version="1.0.0",
            stage=stage,
            rows_in=336_776,
            rows_valid=336_000,
            rows_quarantined=776,
            duplicates_removed=0,
            errors={"some_rule": 776},
        )
        write_parquet(empty, tmp_path / f"{dataset}.parquet", metadata={"quality": summary.model_dump()})
    result = CliRunner(env={"COLUMNS": "80", "NO_COLOR": "1"}).invoke(
        app, ["quality", "show", "--quarantine", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if line.startswith(("raw_", "clean_", "predictions"))]
    assert [row.split()[:2] for row in rows] == [
        ["raw_flights", "validate"],
        ["clean_flights", "clean"],
        ["predictions", "evaluate"],
    ]
    assert all(len(row) <= 80 and row.split()[3:6] == ["336,776", "336,000", "776"] for row in rows), rows
    header = next(line for line in result.output.splitlines() if line.startswith("dataset"))
    assert header.split() == [
        "dataset",
        "stage",
        "verdict",
        "rows",
        "in",
        "valid",
        "quarantined",
        "duplicates",
        "warn",
        "error",
    ]


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["compare"],
        ["sweep"],
        ["seeds"],
        ["run-info"],
        ["check-params"],
        ["quality", "show"],
        ["contracts", "show"],
        ["new"],
    ],
)
def test_help_fits_80_columns_without_cutting_text(command: list[str]) -> None:
    result = CliRunner(env={"COLUMNS": "80", "NO_COLOR": "1"}).invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "…" not in result.output, result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80


def test_sweep_help_shows_the_space_syntax_and_the_direction_default() -> None:
    """Help texts are Markdown: `[default: ...]` used to vanish as a rich markup tag."""
    result = CliRunner(env={"COLUMNS": "80", "NO_COLOR": "1"}).invoke(app, ["sweep", "--help"])
    text = " ".join(result.output.replace("│", " ").split())
    for shown in ("KEY=float:LOW..HIGH", "KEY=choice:A,B", "[default: from the metric's direction in", "NAME-TRIAL"):
        assert shown in text, (shown, result.output)
    assert "params.yaml and dvc.lock must be committed" in text


# --- bad input: one line that names the file, exit 2, no traceback -------------------------------------


def error_line(result: Any, code: int = 2) -> str:
    """The one line a refused command prints on stderr."""
    assert result.exit_code == code, result.output
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    return str(result.stderr)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"{bad", "not valid JSON (line 1, column 2: Expecting property name enclosed in double quotes)"),
        (b"[1, 2]", "expected a JSON object of telemetry figures"),
        (b'{"wall_seconds": "fast"}', "wall_seconds = 'fast' is not a number"),
        (b'{"wall_seconds": 1, "cpu_seconds": null}', "cpu_seconds = None is not a number"),
        (b"\xff{}", "not UTF-8 text (byte 0); re-save the file as UTF-8"),
    ],
)
def test_run_info_with_a_corrupt_telemetry_file_names_it(
    runner: CliRunner, root: Path, content: bytes, problem: str
) -> None:
    path = root / "metrics" / "telemetry" / "train.json"
    path.write_bytes(content)
    for args in ([], ["--json"]):
        result = runner.invoke(app, ["run-info", "--root", str(root), *args])
        assert error_line(result) == f"error: {path}: {problem}\n"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("stages:\n  ingest: {cmd: a\n  clean: {cmd: b}\n", "not valid YAML (line 3)"),
        ("- ingest\n", "expected a mapping with a `stages:` mapping of stage names"),
        ("stages: [ingest, clean]\n", "expected a mapping with a `stages:` mapping of stage names"),
    ],
)
def test_run_info_with_a_malformed_dvc_yaml_names_it(runner: CliRunner, root: Path, content: str, problem: str) -> None:
    (root / "dvc.yaml").write_text(content, encoding="utf-8")
    result = runner.invoke(app, ["run-info", "--root", str(root)])
    assert error_line(result) == f"error: {root / 'dvc.yaml'}: {problem}\n"


REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        (REPO / "README.md", "not valid JSON (line 1, column 1: Expecting value)"),
        (None, "expected a features profile (a JSON object: rows, bins, features), got []"),
        ({}, "not a features profile: rows: required key is missing"),
    ],
    ids=["readme", "list", "empty"],
)
def test_set_reference_refuses_what_is_not_a_profile(
    runner: CliRunner, tmp_path: Path, source: Path | dict[str, Any] | None, problem: str
) -> None:
    if not isinstance(source, Path):
        path = tmp_path / "profile.json"
        path.write_text(json.dumps([] if source is None else source), encoding="utf-8")
        source = path
    target = tmp_path / "reference" / "features.profile.json"
    result = runner.invoke(app, ["quality", "set-reference", "--from", str(source), "--to", str(target)])
    assert error_line(result).startswith(f"error: {source}: {problem}")
    assert not target.parent.exists()


def test_set_reference_copies_a_valid_profile_and_refuses_a_directory_as_target(
    runner: CliRunner, tmp_path: Path
) -> None:
    source = REPO / "data" / "reference" / "features.profile.json"
    result = runner.invoke(app, ["quality", "set-reference", "--from", str(source), "--to", str(tmp_path)])
    assert error_line(result) == f"error: {tmp_path}: is a directory, not a file\n"
    target = tmp_path / "ref" / "features.profile.json"
    result = runner.invoke(app, ["quality", "set-reference", "--from", str(source), "--to", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == source.read_bytes()


def test_set_reference_stopped_half_way_keeps_the_old_reference_whole(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The copy goes to a temporary file renamed into place: a full disk (or a kill) cut the reference short."""
    source = REPO / "data" / "reference" / "features.profile.json"
    target = tmp_path / "features.profile.json"
    target.write_text("the old reference", encoding="utf-8")

    def disk_full(src: Path, dst: Path) -> None:
        Path(dst).write_bytes(Path(src).read_bytes()[:100])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "copyfile", disk_full)
    result = runner.invoke(app, ["quality", "set-reference", "--from", str(source), "--to", str(target)])
    assert error_line(result) == f"error: {target}: no space left on device\n"
    assert target.read_text(encoding="utf-8") == "the old reference"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_set_reference_defaults_are_the_paths_drift_uses() -> None:
    from pipelab import drift
    from pipelab.cli import quality

    assert (quality.PROFILE, quality.REFERENCE) == (drift.PROFILE, drift.REFERENCE)


def test_catalog_markdown_into_a_directory_or_a_non_utf8_file_is_one_line(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["catalog", "--markdown", str(tmp_path)])
    assert error_line(result) == f"error: {tmp_path}: is a directory, not a file\n"
    latin = tmp_path / "catalog.md"
    latin.write_bytes("# caf\xe9\n".encode("latin-1"))
    result = runner.invoke(app, ["catalog", "--markdown", str(latin), "--check"])
    assert error_line(result) == f"error: {latin}: not UTF-8 text (byte 5); re-save the file as UTF-8\n"


def test_catalog_check_without_markdown_is_refused(runner: CliRunner) -> None:
    result = runner.invoke(app, ["catalog", "--check"])
    assert error_line(result) == (
        "error: --check compares a written catalog with the modules: give the file with --markdown FILE\n"
    )


def test_pr_comment_of_a_non_utf8_report_is_one_line(tmp_path: Path) -> None:
    report = tmp_path / "report.md"
    report.write_bytes(b"# r\xe9port\n")
    env = {"GITHUB_TOKEN": "secret", "GITHUB_REPOSITORY": "o/r", "PR_NUMBER": "7", "GITHUB_API_URL": "http://0.0.0.0:9"}
    result = CliRunner(env=env).invoke(app, ["pr-comment", str(report)])
    assert error_line(result) == f"error: {report}: not UTF-8 text (byte 3); re-save the file as UTF-8\n"
    result = CliRunner(env=env).invoke(app, ["pr-comment", str(tmp_path / "none.md")])
    assert error_line(result) == f"error: {tmp_path / 'none.md'}: not found\n"


def test_quality_show_without_quality_data_says_where_it_comes_from(runner: CliRunner, tmp_path: Path) -> None:
    write_parquet(pd.DataFrame({"row_id": [1, 2]}), tmp_path / "plain.parquet")
    for args in ([], ["--json"]):
        result = runner.invoke(app, ["quality", "show", "--quarantine", str(tmp_path), *args])
        assert error_line(result) == (
            f"error: {tmp_path}: no data quality in its Parquet files; the validating stages store it in their "
            "quarantine files (data/quarantine/<dataset>.parquet): run `make run` first\n"
        )


def test_contracts_diff_outside_a_git_repository_says_so(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))  # no repository above tmp_path either
    result = runner.invoke(app, ["contracts", "diff"])
    line = error_line(result)
    assert line.startswith(f"error: {tmp_path}: not a git repository")
    assert line.endswith("; run `pipelab contracts diff` inside the pipelab checkout\n")


def test_an_unexpected_error_is_one_line_exit_3_and_verbose_shows_it(
    runner: CliRunner, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(root: Path) -> None:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr("pipelab.cli.pipeline.telemetry_rows", boom)
    result = runner.invoke(app, ["run-info", "--root", str(root)])
    assert error_line(result, code=3) == (
        "error: internal error: RuntimeError: boom (rerun with `pipelab --verbose` for the traceback)\n"
    )
    for args, env in ((["--verbose"], {}), ([], {"PIPELAB_DEBUG": "1"})):
        result = runner.invoke(app, [*args, "run-info", "--root", str(root)], env=env)
        assert isinstance(result.exception, RuntimeError)


def test_an_error_on_a_closed_terminal_keeps_its_exit_code(tmp_path: Path) -> None:
    """A closed terminal (what SIGHUP means) refuses writes: the error line is lost, but the exit code must still
    tell; it was 1, which means a regression."""
    master, terminal = os.openpty()
    os.close(master)  # the terminal window is gone
    try:
        proc = subprocess.run(
            [sys.executable, "-c", "from pipelab.cli import app; app()", "sweep", "--study", "a b"],
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            stdout=terminal,
            stderr=terminal,
            check=False,
        )
    finally:
        os.close(terminal)
    assert proc.returncode == 2


@pytest.mark.parametrize(
    "args",
    [["catalog"], ["catalog", "--json"], ["contracts", "show", "raw_flights"], ["--help"], ["compare", "-h"]],
    ids=" ".join,
)
def test_output_to_a_reader_that_has_gone_exits_141_quietly(args: list[str], tmp_path: Path) -> None:
    """`pipelab ... | head`: rich and click exited 1 (a regression, to pipelab) and plain echo was an internal error
    (exit 3); now the exit of a command SIGPIPE ends, and nothing on stderr. Help too, printed by typer's console."""
    proc = subprocess.Popen(
        [sys.executable, "-c", "from pipelab.cli import app; app()", *args],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    proc.stdout.close()  # the reader has gone before the first line
    stderr = proc.stderr.read()
    assert (proc.wait(), stderr) == (141, b"")


def test_a_sweep_whose_reader_has_gone_stops_as_on_sigpipe(monkeypatch: pytest.MonkeyPatch) -> None:
    """The line is lost, and the sweep stops as a signal stops it: the trial in progress is marked failed."""
    import signal

    import typer

    from pipelab.cli.experiments import _progress
    from pipelab.experiments.runs import Stop, stop_reason

    def gone(*_: Any, **__: Any) -> None:
        raise BrokenPipeError

    monkeypatch.setattr(typer, "echo", gone)
    monkeypatch.setattr("pipelab.cli.experiments.quiet_stdout", lambda: None)  # keeps pytest's own stdout
    with pytest.raises(Stop) as err:
        _progress("trial 0: dvc exp run --temp ...")
    assert err.value.signum == signal.SIGPIPE
    assert stop_reason(err.value) == "interrupted by SIGPIPE"


@pytest.mark.parametrize(
    ("args", "missing"),
    [
        (["contracts", "snapshot", "--check"], "docs/contracts.json"),
        (["catalog", "--markdown", "catalog.md", "--check"], "catalog.md"),
    ],
)
def test_a_check_of_a_generated_file_that_is_not_there_says_so_not_out_of_date(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], missing: str
) -> None:
    monkeypatch.chdir(tmp_path)  # e.g. outside the checkout: nothing there was ever generated
    line = error_line(runner.invoke(app, args), code=1)
    command = " ".join(["pipelab", *args[: args.index("--check")]])
    assert line == f"error: {missing} not found; run `{command}` to write it\n"
    assert not (tmp_path / missing).exists()


# --- help ----------------------------------------------------------------------------------------------


def command_paths() -> list[list[str]]:
    """Every group and command of `pipelab`, as the arguments that name it."""
    from typer.main import get_command

    def walk(command: Any, path: list[str]) -> list[list[str]]:
        subcommands = getattr(command, "commands", {})
        return [path, *(p for name, sub in subcommands.items() for p in walk(sub, [*path, name]))]

    return walk(get_command(app), [])


@pytest.mark.parametrize("command", command_paths(), ids=lambda c: " ".join(c) or "pipelab")
def test_h_is_help_and_flags_show_no_value_placeholder(command: list[str]) -> None:
    runner = CliRunner(env={"COLUMNS": "120", "NO_COLOR": "1"})
    short, long = runner.invoke(app, [*command, "-h"]), runner.invoke(app, [*command, "--help"])
    assert short.exit_code == 0, short.output
    assert short.output == long.output
    assert "Usage: " in short.output
    assert "<bool>" not in short.output
    assert re.search(r"--help\s+-h\s+Show this message and exit", short.output), short.output
