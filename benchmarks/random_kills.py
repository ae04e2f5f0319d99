"""Kills at random instants: SIGKILL a run anywhere, run it again, and count every id.

Each trial starts a `dagster asset materialize` process of tests/support/crash_defs.py (three tables:
append, merge, replace), kills its process group after a delay drawn at random between 20% and
100% of an unkilled run's duration (so most kills land in normalize or load, some after the
end), then runs the same work again (unless the kill came after the load had completed: every id is
then in once already, and a second run would append them again). The trial passes when every table holds every id exactly
once, no dead run's directory is left and, on the filesystem destination, every file in the
dataset folder reads (no truncated ``.jsonl.gz``). Trials alternate DuckDB and the filesystem,
with several load workers, so that jobs are in flight at the kill.

The seed is printed; the same seed draws the same delays. The script exits 1 if any trial fails.

Usage: python -m benchmarks.random_kills [--trials 20] [--ids 20000] [--seed N]
"""

import argparse
import os
import random
import signal
import sys
import tempfile
import time
from pathlib import Path

from tests.support.crash_runs import (
    TABLES,
    environment,
    every_table,
    finish,
    leftovers,
    materialize,
)


def _env(workdir: Path, destination: str, ids: int) -> dict[str, str]:
    env = environment(workdir, destination)
    env.update(CRASH_IDS=str(ids), LOAD__WORKERS="4")
    return env


def _loaded_already(env: dict[str, str], expected: dict[str, tuple[int, int]]) -> bool:
    try:
        return every_table(env) == expected
    except Exception:  # no table yet, or a file being written
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--ids", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    args = parser.parse_args()
    print(f"seed {args.seed}: {args.trials} trials of {args.ids} ids per table")
    draw = random.Random(args.seed)
    expected = {table: (args.ids, args.ids) for table in TABLES}
    failures = 0
    with tempfile.TemporaryDirectory(prefix="random-kills-") as scratch:
        durations = {}
        for destination in ("duckdb", "filesystem"):
            workdir = Path(scratch) / f"calibrate-{destination}"
            workdir.mkdir()
            started = time.monotonic()
            finish(materialize(_env(workdir, destination, args.ids)))
            durations[destination] = time.monotonic() - started
            print(f"an unkilled run into {destination}: {durations[destination]:.1f} s")
        for trial in range(args.trials):
            destination = ("duckdb", "filesystem")[trial % 2]
            workdir = Path(scratch) / f"trial-{trial}"
            workdir.mkdir()
            env = _env(workdir, destination, args.ids)
            delay = draw.uniform(0.2, 1.0) * durations[destination]
            process = materialize(env)
            time.sleep(delay)
            ended_first = process.poll() is not None
            if not ended_first:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=60)
            if ended_first or _loaded_already(env, expected):
                # The kill came after the load was done (Dagster was still finishing): a
                # second run would append the ids again, as any second run does.
                print(
                    f"trial {trial:2d} {destination:10s} killed at {delay:.2f} s: ok, after "
                    "its load had completed",
                    flush=True,
                )
                continue
            try:
                finish(materialize(env))
                found = every_table(env)  # on the filesystem, reads every file of the folder
                problem = None if found == expected else f"rows (rows, ids) {found}"
                if problem is None and leftovers(env):
                    problem = f"dead run directories left: {leftovers(env)}"
            except Exception as error:  # a failed re-run or an unreadable file
                problem = f"{type(error).__name__}: {str(error)[-500:]}"
            status = "ok" if problem is None else f"FAILED: {problem}"
            what = "after the run ended" if ended_first else f"at {delay:.2f} s"
            print(f"trial {trial:2d} {destination:10s} killed {what}: {status}", flush=True)
            failures += problem is not None
    print(f"{args.trials - failures} of {args.trials} trials exactly once (seed {args.seed})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
