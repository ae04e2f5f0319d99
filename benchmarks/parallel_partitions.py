"""Parallel partitions: four daily partitions of one pipeline, at once and one after another.

Each partition is a `dagster asset materialize --partition ...` process loading into one DuckDB
file (the definitions are tests/parallel_defs.py). Reports the wall-clock ratio of the parallel run
to the serial one, and rows per second for each.

Usage: python -m benchmarks.parallel_partitions [--rows-per-day 100000]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DAYS = ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]


def _env(tmp: Path, rows_per_day: int) -> dict[str, str]:
    (tmp / "home").mkdir()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp / "home"),
        "DAGSTER_DLT_TEST_DESTINATION": "duckdb",
        "DAGSTER_DLT_TEST_TARGET": str(tmp / "bench.duckdb"),
        "DAGSTER_DLT_TEST_ROWS_PER_DAY": str(rows_per_day),
        "DLT_DATA_DIR": str(tmp / "dlt"),
        "PYTHONPATH": str(REPO),
    }
    # Load the code location once, as a deployment does before it launches runs.
    subprocess.run(
        [_dagster(), "definitions", "validate", "-m", "tests.parallel_defs"],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
    )
    return env


def _dagster() -> str:
    return str(Path(sys.executable).with_name("dagster"))


def _launch(env: dict[str, str], day: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            _dagster(),
            "asset",
            "materialize",
            "-m",
            "tests.parallel_defs",
            "--select",
            "dlt_activity_events",
            "--partition",
            day,
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait(process: subprocess.Popen) -> None:
    _, err = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"materialize failed:\n{err[-2000:]}")


def measure(rows_per_day: int) -> dict[str, float]:
    total_rows = rows_per_day * len(DAYS)
    timings = {}
    for mode in ("series", "parallel"):
        with tempfile.TemporaryDirectory() as tmp:
            env = _env(Path(tmp), rows_per_day)
            start = time.perf_counter()
            if mode == "parallel":
                for process in [_launch(env, day) for day in DAYS]:
                    _wait(process)
            else:
                for day in DAYS:
                    _wait(_launch(env, day))
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
