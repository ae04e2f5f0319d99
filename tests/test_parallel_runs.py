"""Parallel runs of one pipeline, and of two pipelines into one DuckDB file, through the CLI."""

import subprocess
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance, materialize

from dagster_dlt import DagsterDltResource
from tests.parallel_cli import DEFS_MODULE, REPO, cli_env, dagster_cli, launch_partition

DAYS = ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]
ROWS_PER_DAY = 500


def materialize_partitions_at_once(
    env: dict[str, str], days: list[str]
) -> list[subprocess.CompletedProcess]:
    processes = [launch_partition(env, day) for day in days]
    results = []
    for process in processes:
        output, _ = process.communicate(timeout=300)
        results.append(subprocess.CompletedProcess(process.args, process.returncode, output))
    return results


def duckdb_rows(path: Path, sql: str):
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def test_four_partitions_at_once_into_one_duckdb_file(tmp_path):
    target = tmp_path / "shared.duckdb"
    env = cli_env(tmp_path, "duckdb", target)

    results = materialize_partitions_at_once(env, DAYS)

    for result in results:
        assert result.returncode == 0, result.stdout[-3000:]
    rows = duckdb_rows(
        target,
        "SELECT CAST(day AS VARCHAR) AS d, COUNT(*), COUNT(DISTINCT id) FROM activity.events GROUP BY d ORDER BY d",
    )
    assert rows == [(day, ROWS_PER_DAY, ROWS_PER_DAY) for day in DAYS]
    assert duckdb_rows(target, "SELECT COUNT(*) FROM activity.events__payload__tags") == [
        (4 * ROWS_PER_DAY,)
    ]

    # State and schemas are intact: a fifth run loads only the new day, a re-run adds no duplicate.
    for day in ("2024-01-05", "2024-01-02"):
        (fifth,) = materialize_partitions_at_once(env, [day])
        assert fifth.returncode == 0, fifth.stdout[-3000:]
    rows = duckdb_rows(target, "SELECT COUNT(*), COUNT(DISTINCT id) FROM activity.events")
    assert rows == [(5 * ROWS_PER_DAY, 5 * ROWS_PER_DAY)]
    instance = DagsterInstance.from_config(env["DAGSTER_HOME"])
    latest = instance.get_latest_materialization_event(AssetKey("dlt_activity_events"))
    assert latest.asset_materialization.partition == "2024-01-02"
    assert latest.asset_materialization.metadata["rows_loaded"].value == ROWS_PER_DAY


def test_four_partitions_at_once_into_a_filesystem_destination(tmp_path):
    target = tmp_path / "lake"
    env = cli_env(tmp_path, "filesystem", target)

    results = materialize_partitions_at_once(env, DAYS)

    for result in results:
        assert result.returncode == 0, result.stdout[-3000:]
    files = sorted((target / "activity" / "events").glob("*"))
    assert files, "no files for the events table"
    with duckdb.connect() as conn:
        rows = conn.execute(
            f"SELECT CAST(day AS VARCHAR) AS d, COUNT(*), COUNT(DISTINCT id) FROM read_json_auto('{target}/activity/events/*') GROUP BY d ORDER BY d"
        ).fetchall()
    assert rows == [(day, ROWS_PER_DAY, ROWS_PER_DAY) for day in DAYS]

    (fifth,) = materialize_partitions_at_once(env, ["2024-01-05"])
    assert fifth.returncode == 0, fifth.stdout[-3000:]
    with duckdb.connect() as conn:
        total = conn.execute(
            f"SELECT COUNT(*), COUNT(DISTINCT id) FROM read_json_auto('{target}/activity/events/*')"
        ).fetchall()
    assert total == [(5 * ROWS_PER_DAY, 5 * ROWS_PER_DAY)]


def test_two_pipelines_into_one_duckdb_file_with_the_multiprocess_executor(tmp_path):
    target = tmp_path / "shared.duckdb"
    env = cli_env(tmp_path, "duckdb", target)

    result = subprocess.run(
        [dagster_cli(), "job", "execute", "-m", DEFS_MODULE, "-j", "two_pipelines_job"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert "multiprocess" in (result.stdout + result.stderr).lower()
    assert duckdb_rows(target, "SELECT COUNT(*) FROM inventory.stock") == [(2000,)]
    assert duckdb_rows(target, "SELECT COUNT(*) FROM catalog.products") == [(2000,)]


@pytest.mark.parametrize("day", ["2024-01-03"])
def test_a_partition_window_reaches_the_incremental_in_process(tmp_path, monkeypatch, day):
    monkeypatch.setenv("DAGSTER_DLT_TEST_TARGET", str(tmp_path / "inproc.duckdb"))
    import importlib

    import tests.parallel_defs as parallel_defs

    importlib.reload(parallel_defs)
    result = materialize(
        [parallel_defs.activity_assets],
        partition_key=day,
        resources={"dlt": DagsterDltResource()},
    )
    assert result.success
    assert duckdb_rows(
        tmp_path / "inproc.duckdb", "SELECT DISTINCT CAST(day AS VARCHAR) FROM activity.events"
    ) == [(day,)]
