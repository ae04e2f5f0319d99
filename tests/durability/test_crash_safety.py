"""Crash-safe runs: SIGKILL `dagster asset materialize` at a deterministic point of dlt's run, run
it again, and count rows: every id exactly once.

The process stops itself (SIGSTOP) where tests/support/crash_defs.py's collector or source says, after
writing a marker file; the test then SIGKILLs its whole process group, as an OOM kill or a pod
eviction would.
"""

import subprocess
from pathlib import Path

import duckdb
import pytest

from tests.support.crash_runs import (
    TABLES,
    N,
    counts,
    environment,
    every_table,
    finish,
    kill_at,
    leftovers,
    materialize,
)
from tests.support.parallel_cli import REPO, dagster_cli

pytestmark = pytest.mark.slow

# A kill at normalize is here for the filesystem destination only: the source-shape corpus kills
# every shape there on DuckDB (tests/run/test_source_shapes.py).
POINTS = ["extract:5000", "load:1", "load:15"]
EXACTLY_ONCE = {table: (N, N) for table in TABLES}


@pytest.mark.parametrize("point", POINTS)
def test_duckdb_rerun_after_a_kill_loads_every_id_once(tmp_path, point):
    env = environment(tmp_path, "duckdb")
    marker = tmp_path / "reached"
    reached = kill_at(materialize(env, point, marker), marker)
    assert leftovers(env), "the killed run left no working directory to repair"

    output = finish(materialize(env))

    assert every_table(env) == EXACTLY_ONCE, f"killed {reached}"
    assert leftovers(env) == [], "a killed run's directory was left behind"
    if point.startswith("load"):
        assert "Resumed the load(s)" in output and "The source was not called again" in output


@pytest.mark.parametrize("point", ["normalize", "load:15"])
def test_filesystem_rerun_after_a_kill_loads_every_id_once(tmp_path, point):
    env = environment(tmp_path, "filesystem")
    marker = tmp_path / "reached"
    kill_at(materialize(env, point, marker), marker)

    finish(materialize(env))

    # The filesystem destination merges only into table formats: merge appends there.
    assert every_table(env) == EXACTLY_ONCE
    assert leftovers(env) == []


def test_a_kill_halfway_through_writing_a_file_leaves_no_truncated_file(tmp_path):
    """Killed while the filesystem destination copies a job's file into the dataset folder: the
    folder holds half a ``.jsonl.gz`` until the re-run, which rewrites it whole. After that,
    every file in the folder reads, as a reader that globs it needs."""
    env = environment(tmp_path, "filesystem")
    marker = tmp_path / "reached"
    reached = kill_at(materialize(env, "write:3", marker), marker)
    truncated = Path(reached.split()[2])
    assert truncated.exists(), reached
    with pytest.raises(Exception, match=r"(?i)gzip|compressed|end of data"):
        # The kill's window: a reader that globs the folder fails on the half-written file.
        duckdb.sql(f"SELECT COUNT(*) FROM read_json_auto('{truncated.parent}/*')").fetchall()

    finish(materialize(env))

    assert every_table(env) == EXACTLY_ONCE
    assert leftovers(env) == []


def test_a_rerun_on_another_machine_takes_back_the_half_load(tmp_path):
    """The leftover cannot be reached (another machine): the re-run removes the rows of the load
    that never finished instead of resuming it, and a leftover found later is discarded."""
    env = environment(tmp_path, "duckdb")
    marker = tmp_path / "reached"
    kill_at(materialize(env, "load:15", marker), marker)
    assert sum(counts(env, table)[0] for table in TABLES if table != "merge_ids") >= 5_000
    machine_one = tmp_path / "machine_one"
    runs = Path(env["DLT_DATA_DIR"]) / "pipelines" / ".dagster-dlt" / "crash" / "runs"
    runs.rename(machine_one)  # out of sight of the next run, as on another machine

    output = finish(materialize(env))
    assert every_table(env) == EXACTLY_ONCE
    assert "Took back load(s)" in output

    machine_one.rename(runs)  # the first machine comes back with its leftover
    output = finish(materialize(env))
    assert "Took back the unfinished load(s)" in output and "already recorded as aborted" in output
    # This third run appended once more; nothing of the leftover was loaded.
    assert counts(env, "append_ids") == (2 * N, N)
    assert counts(env, "merge_ids") == (N, N) and counts(env, "replace_ids") == (N, N)
    assert leftovers(env) == []


def test_an_incremental_resource_continues_from_the_last_completed_load(tmp_path):
    env = environment(tmp_path, "duckdb", "incremental")
    marker = tmp_path / "reached"
    kill_at(materialize(env, "load:5", marker), marker)

    finish(materialize(env))
    assert counts(env) == (N, N)

    env["CRASH_IDS"] = str(N + 5_000)
    finish(materialize(env))
    assert counts(env) == (N + 5_000, N + 5_000)


def test_two_partitions_in_parallel_while_a_third_is_killed_and_rerun(tmp_path):
    env = environment(tmp_path, "duckdb")
    subprocess.run(
        [
            dagster_cli(),
            "definitions",
            "validate",
            "-m",
            "tests.support.crash_defs",
            "-a",
            "partitioned_defs",
        ],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    marker = tmp_path / "reached"
    killed = materialize(env, "load:15", marker, attribute="partitioned_defs", partition="a")
    others = [materialize(env, attribute="partitioned_defs", partition=p) for p in ("b", "c")]
    kill_at(killed, marker)
    for process in others:
        finish(process)

    finish(materialize(env, attribute="partitioned_defs", partition="a"))

    with duckdb.connect(env["CRASH_TARGET"], read_only=True) as connection:
        per_partition = connection.execute(
            "SELECT left(id, 1), COUNT(*), COUNT(DISTINCT id) FROM crash_data.append_ids "
            "GROUP BY 1 ORDER BY 1"
        ).fetchall()
    assert per_partition == [("a", N, N), ("b", N, N), ("c", N, N)]
    assert leftovers(env) == []
