"""A source split into steps: a ``sql_database`` source of 40 SQLite tables of 25,000 rows, as
one step and as 4 steps on the multiprocess executor, into the filesystem destination and into
DuckDB; then three incremental rounds of the split source with new rows between them.

Each load is one ``dagster job execute`` process (tests/support/split_bench_defs.py) whose steps
run in processes of their own. Prints, per destination, the wall time of each and their ratio,
whether every row landed exactly once, and for each round the rows loaded against the rows
added (re-extracted = loaded - added), the duplicated rows and the tables whose cursor did not
reach the newest id.

Usage: python -m benchmarks.split_steps [--tables 40] [--rows 25000] [--new-rows 1000]
"""

import argparse
import json
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

import duckdb

from tests.support.parallel_cli import REPO, dagster_cli, process_env
from tests.support.split_bench_defs import DATASET, restored_cursors

DEFS_MODULE = "tests.support.split_bench_defs"
STEPS = 4


def add_rows(database: Path, tables: int, first_id: int, rows: int) -> None:
    """Rows ``first_id`` .. ``first_id + rows - 1`` in every table (made on first use)."""
    with sqlite3.connect(database) as db:
        for table in range(tables):
            name = f"t{table:02d}"
            db.execute(
                f"CREATE TABLE IF NOT EXISTS {name} "
                "(id INTEGER PRIMARY KEY, name TEXT, amount REAL, created_at TEXT)"
            )
            db.executemany(
                f"INSERT INTO {name} VALUES (?, ?, ?, ?)",
                (
                    (i, f"row {i} of {name}", i * 0.5, f"2024-01-01T00:00:{i % 60:02d}")
                    for i in range(first_id, first_id + rows)
                ),
            )


def load(env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(
        [dagster_cli(), "job", "execute", "-m", DEFS_MODULE, "-j", "load"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"the load failed:\n{(result.stdout + result.stderr)[-3000:]}")
    return elapsed


def counts(destination: str, target: Path, tables: int) -> dict[str, tuple[int, int]]:
    """(rows, distinct ids) of each table."""
    found = {}
    with duckdb.connect(":memory:" if destination == "filesystem" else str(target)) as conn:
        for table in range(tables):
            name = f"t{table:02d}"
            relation = (
                f"read_json_auto('{target}/{DATASET}/{name}/*')"
                if destination == "filesystem"
                else f"{DATASET}.{name}"
            )
            found[name] = conn.execute(
                f"SELECT COUNT(*), COUNT(DISTINCT id) FROM {relation}"
            ).fetchone()
    return found


def environment(workdir: Path, destination: str, steps: int, tables: int) -> dict[str, str]:
    target = workdir / ("lake" if destination == "filesystem" else "warehouse.duckdb")
    env = process_env(
        workdir,
        SPLIT_BENCH_DB=str(workdir / "source.db"),
        SPLIT_BENCH_STEPS=str(steps),
        SPLIT_BENCH_TABLES=str(tables),
        SPLIT_BENCH_DESTINATION=destination,
        SPLIT_BENCH_TARGET=str(target),
    )
    # As in a deployment, the code location loads once before any run (dlt.pipeline() makes
    # the pipeline's directory there).
    subprocess.run(
        [dagster_cli(), "definitions", "validate", "-m", DEFS_MODULE],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
    )
    return env


def measure(destination: str, tables: int, rows: int, new_rows: int) -> dict:
    figures: dict = {"destination": destination, "tables": tables, "rows_per_table": rows}
    exact = {}
    for steps in (1, STEPS):
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            add_rows(workdir / "source.db", tables, 1, rows)
            env = environment(workdir, destination, steps, tables)
            figures[f"{steps}_step_s"] = round(load(env), 1)
            target = Path(env["SPLIT_BENCH_TARGET"])
            found = counts(destination, target, tables)
            exact[steps] = all(found[t] == (rows, rows) for t in found)
            if steps == STEPS:
                figures["rounds"] = rounds(workdir, env, destination, tables, rows, new_rows)
    figures["split_to_one_step_ratio"] = round(figures[f"{STEPS}_step_s"] / figures["1_step_s"], 3)
    figures["every_row_exactly_once"] = all(exact.values())
    return figures


def rounds(
    workdir: Path, env: dict[str, str], destination: str, tables: int, rows: int, new_rows: int
) -> list[dict]:
    target = Path(env["SPLIT_BENCH_TARGET"])
    results = []
    total = rows
    for number in range(1, 4):
        before = sum(r for r, _ in counts(destination, target, tables).values())
        add_rows(workdir / "source.db", tables, total + 1, new_rows)
        total += new_rows
        seconds = load(env)
        found = counts(destination, target, tables)
        loaded = sum(r for r, _ in found.values()) - before
        cursors = restored_cursors(destination, str(target), str(workdir / "restore" / str(number)))
        results.append(
            {
                "round": number,
                "s": round(seconds, 1),
                "rows_added": new_rows * tables,
                "rows_loaded": loaded,
                "re_extracted": loaded - new_rows * tables,
                "duplicated": sum(r - d for r, d in found.values()),
                "cursors_behind": [t for t in found if cursors.get(t) != total],
            }
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tables", type=int, default=40)
    parser.add_argument("--rows", type=int, default=25_000)
    parser.add_argument("--new-rows", type=int, default=1_000)
    parser.add_argument("--destination", choices=["filesystem", "duckdb"], action="append")
    args = parser.parse_args()
    for destination in args.destination or ["filesystem", "duckdb"]:
        print(json.dumps(measure(destination, args.tables, args.rows, args.new_rows)), flush=True)


if __name__ == "__main__":
    main()
