"""Resuming a killed run: the re-run after a kill at half of the load jobs, against a full run.

The runs are `dagster asset materialize` processes of tests/support/crash_defs.py: three tables (append,
merge, replace) of N ids each, into DuckDB, in load jobs of 1,000 rows loaded one at a time. For
the re-run, one process stops itself after half of the load jobs and the benchmark SIGKILLs its
process group, as an OOM kill would; the re-run of the same work resumes the dead run's package,
so the source is not called again, and only the re-run is timed. The full run starts from fresh
directories. Both sides start on an instance whose storage exists, so neither pays for creating it.

Each round runs both sides, alternating which goes first, and the figures are medians over rounds
of each round's times and ratio. After every timed run each table must hold every id exactly once
and no dead run's directory may be left; the benchmark fails otherwise.

``--source-delay`` makes the source slow to call, as a rate-limited API is: seconds slept per
batch of 1,000 rows, as ``CRASH_SOURCE_DELAY``; the benchmark refuses it if tests/support/crash_defs.py
does not read that variable.

Usage: python -m benchmarks.crash_resume [--ids 50000] [--rounds 5] [--source-delay 0] [--quick]

--quick runs one tiny round (for checking that the script runs, not for figures).
"""

import argparse
import json
import math
import resource
import tempfile
import time
from pathlib import Path

from dagster import AssetKey, DagsterInstance

from benchmarks.workloads import Timing, median, run_rounds
from tests.support.crash_runs import (
    TABLES,
    environment,
    every_table,
    finish,
    kill_at,
    leftovers,
    materialize,
)
from tests.support.parallel_cli import REPO

ROWS_PER_JOB = 1_000  # tests.support.crash_runs.environment sets DATA_WRITER__FILE_MAX_ITEMS
RESUMED = "Resumed the load(s)"
NOT_CALLED_AGAIN = "The source was not called again"
DELAY_KNOB = "CRASH_SOURCE_DELAY"


def _environment(workdir: Path, ids: int, source_delay: float) -> dict[str, str]:
    env = environment(workdir, "duckdb")
    env["CRASH_IDS"] = str(ids)
    env[DELAY_KNOB] = str(source_delay)
    with DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        instance.get_runs(limit=1)
        instance.get_latest_materialization_event(AssetKey("warm_up"))
    return env


def _timed_run(env: dict[str, str]) -> tuple[Timing, str]:
    """Wall seconds and the CPU seconds of the process and its children, and its output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    output = finish(materialize(env), timeout=1800)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return (wall, cpu), output


def _check_exactly_once(env: dict[str, str], ids: int, what: str) -> None:
    found = every_table(env)
    expected = {table: (ids, ids) for table in TABLES}
    if found != expected:
        raise AssertionError(
            f"{what}: (rows, distinct ids) per table {found}, expected {expected}: "
            "rows were lost or loaded twice"
        )
    if leftovers(env):
        raise AssertionError(f"{what}: a dead run's directory was left: {leftovers(env)}")


def measure(ids: int, rounds: int, source_delay: float = 0.0) -> dict[str, float]:
    jobs = 3 * math.ceil(ids / ROWS_PER_JOB)
    kill_after = jobs // 2
    if (
        source_delay
        and DELAY_KNOB not in (REPO / "tests" / "support" / "crash_defs.py").read_text()
    ):
        raise SystemExit(f"--source-delay needs tests/support/crash_defs.py to read {DELAY_KNOB}")
    killed_s: list[float] = []

    def full() -> Timing:
        with tempfile.TemporaryDirectory() as tmp:
            env = _environment(Path(tmp), ids, source_delay)
            timing, _ = _timed_run(env)
            _check_exactly_once(env, ids, "the full run")
        return timing

    def rerun() -> Timing:
        with tempfile.TemporaryDirectory() as tmp:
            env = _environment(Path(tmp), ids, source_delay)
            marker = Path(tmp) / "reached"
            start = time.perf_counter()
            kill_at(materialize(env, f"load:{kill_after}", marker), marker, timeout=1800)
            killed_s.append(time.perf_counter() - start)
            if not leftovers(env):
                raise AssertionError("the killed run left no working directory to resume")
            timing, output = _timed_run(env)
            if RESUMED not in output or NOT_CALLED_AGAIN not in output:
                raise AssertionError(f"the re-run did not resume the dead run:\n{output[-3000:]}")
            _check_exactly_once(env, ids, "the re-run after a kill")
        return timing

    results = run_rounds({"full": full, "rerun": rerun}, rounds)
    return {
        "ids_per_table": ids,
        "load_jobs": jobs,
        "killed_after_jobs": kill_after,
        "source_delay_s_per_batch": source_delay,
        "rounds": rounds,
        "full_s": median(r["full"][0] for r in results),
        "rerun_s": median(r["rerun"][0] for r in results),
        "rerun_to_full_ratio": median(r["rerun"][0] / r["full"][0] for r in results),
        "full_cpu_s": median(r["full"][1] for r in results),
        "rerun_cpu_s": median(r["rerun"][1] for r in results),
        "cpu_ratio": median(r["rerun"][1] / r["full"][1] for r in results),
        "killed_run_to_kill_point_s": median(killed_s),
        "rows_exactly_once_after_each_run": True,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ids", type=int, default=50_000, help="ids per table")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--source-delay",
        type=float,
        default=0.0,
        help="seconds the source sleeps per batch of 1,000 rows (CRASH_SOURCE_DELAY)",
    )
    parser.add_argument("--quick", action="store_true", help="one tiny round")
    args = parser.parse_args()
    if args.quick:
        args.ids, args.rounds = 2_000, 1
    print(json.dumps(measure(args.ids, args.rounds, args.source_delay)))


if __name__ == "__main__":
    main()
