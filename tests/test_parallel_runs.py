"""Parallel runs of one pipeline, and of two pipelines into one DuckDB file, through the CLI."""

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance, materialize

from dagster_dlt import DagsterDltResource

REPO = Path(__file__).resolve().parents[1]
DAYS = ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]
ROWS_PER_DAY = 500


def cli_env(tmp_path: Path, destination: str, target: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DAGSTER_HOME=str(tmp_path / "dagster_home"),
        DAGSTER_DLT_TEST_DESTINATION=destination,
        DAGSTER_DLT_TEST_TARGET=str(target),
        DLT_DATA_DIR=str(tmp_path / "dlt_data"),
        PYTHONPATH=str(REPO),
    )
    (tmp_path / "dagster_home").mkdir(exist_ok=True)
    # As in a deployment, the code location is loaded once before runs are launched: creating
    # the instance's storage, and dlt creating each pipeline's directory at import (dlt.pipeline
    # itself races when several processes create the same new directory).
    with DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        instance.get_runs(limit=1)
        instance.get_latest_materialization_event(AssetKey("warm_up"))
    dagster = str(Path(sys.executable).with_name("dagster"))
    subprocess.run(
        [dagster, "definitions", "validate", "-m", "tests.parallel_defs"],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return env


def materialize_partitions_at_once(
    env: dict[str, str], days: list[str]
) -> list[subprocess.CompletedProcess]:
    dagster = str(Path(sys.executable).with_name("dagster"))
    processes = [
        subprocess.Popen(
            [
                dagster,
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
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for day in days
    ]
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
    dagster = str(Path(sys.executable).with_name("dagster"))

    result = subprocess.run(
        [dagster, "job", "execute", "-m", "tests.parallel_defs", "-j", "two_pipelines_job"],
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
