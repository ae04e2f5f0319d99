"""Parallel partitions: four daily partitions of one pipeline, at once and one after another.

Each partition is a `dagster asset materialize --partition ...` process loading into one DuckDB
file (the definitions are tests/support/parallel_defs.py). Reports the wall-clock ratio of the parallel run
to the serial one, and rows per second for each.

Usage: python -m benchmarks.parallel_partitions [--rows-per-day 100000]
"""

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.parallel_cli import cli_env, launch_partition

DAYS = ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]


def _wait(process: subprocess.Popen) -> None:
    _, err = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"materialize failed:\n{err[-2000:]}")


def measure(rows_per_day: int) -> dict[str, float]:
    total_rows = rows_per_day * len(DAYS)
    timings = {}
    for mode in ("series", "parallel"):
        with tempfile.TemporaryDirectory() as tmp:
            env = cli_env(Path(tmp), "duckdb", Path(tmp) / "bench.duckdb", rows_per_day)
            start = time.perf_counter()
            if mode == "parallel":
                for process in [launch_partition(env, day, keep_output=False) for day in DAYS]:
                    _wait(process)
            else:
                for day in DAYS:
                    _wait(launch_partition(env, day, keep_output=False))
            timings[mode] = time.perf_counter() - start
    return {
        "partitions": len(DAYS),
        "rows_per_partition": rows_per_day,
        "series_s": round(timings["series"], 2),
        "parallel_s": round(timings["parallel"], 2),
        "parallel_to_series_ratio": round(timings["parallel"] / timings["series"], 3),
        "series_rows_per_s": round(total_rows / timings["series"]),
        "parallel_rows_per_s": round(total_rows / timings["parallel"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows-per-day", type=int, default=50_000)
    args = parser.parse_args()
    print(json.dumps(measure(args.rows_per_day)))


if __name__ == "__main__":
    main()
