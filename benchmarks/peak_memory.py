"""Peak memory: materialize N rows through Dagster, and load them with plain dlt, in fresh processes.

The integration keeps no per-row or per-load-package state, so going from 100k to 1M rows must
raise its peak by no more than it raises plain dlt's.

Usage: python -m benchmarks.peak_memory [--rows 100000 1000000]
"""

import argparse
import json
import subprocess
import sys
import tempfile

# The child reads its own high-water mark from /proc: getrusage's ru_maxrss survives exec on
# Linux, so it would report the parent's peak instead of the child's.
CHILD = r"""
import json, sys
from benchmarks.workloads import rows_source, run_dagster, run_plain

def high_water_mib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")

mode, rows = sys.argv[1], int(sys.argv[2])
kwargs = {"loader_file_format": "parquet"}
run = run_plain if mode == "plain" else run_dagster
wall, cpu = run(lambda: rows_source(rows), **kwargs)
print(json.dumps({"mode": mode, "rows": rows, "peak_mib": round(high_water_mib(), 1), "wall_s": round(wall, 2)}))
"""


def measure(mode: str, rows: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, mode, str(rows)],
            capture_output=True,
            text=True,
            check=True,
            cwd=tmp,
            env={**__import__("os").environ, "PYTHONPATH": _repo()},
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _repo() -> str:
    from pathlib import Path

    return str(Path(__file__).resolve().parents[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args()
    for rows in args.rows:
        for mode in ("plain", "dagster"):
            print(json.dumps(measure(mode, rows)))


if __name__ == "__main__":
    main()
