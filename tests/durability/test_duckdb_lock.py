"""Runs into one DuckDB file wait for each other's load, and a timeout names the holder."""

import subprocess
import sys
import time

import pytest
from dagster import AssetExecutionContext, materialize

from dagster_dlt import DagsterDltResource, DestinationLockTimeout, dlt_assets
from tests.support.dlt_fixtures import count_rows, shop

HOLD_LOCK = """
import fcntl, json, os, sys, time
with open(sys.argv[1], "a+") as handle:
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
    handle.truncate(0)
    handle.write(json.dumps({"pid": os.getpid(), "run_id": "other-run"}))
    handle.flush()
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def build_assets(pipeline):
    @dlt_assets(dlt_source=shop().with_resources("customers"), dlt_pipeline=pipeline)
    def the_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context)

    return the_assets


def hold_lock(duckdb_path, seconds):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, f"{duckdb_path}.lock", str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_a_timed_out_lock_names_the_process_that_holds_the_file(make_pipeline, duckdb_path):
    holder = hold_lock(duckdb_path, 30)
    try:
        with pytest.raises(DestinationLockTimeout) as raised:
            materialize(
                [build_assets(make_pipeline())],
                resources={"dlt": DagsterDltResource(lock_timeout_seconds=0.5)},
            )
    finally:
        holder.kill()
        holder.wait()
    message = str(raised.value)
    assert f"pid {holder.pid}" in message
    assert "run_id other-run" in message
    assert str(duckdb_path) in message
    assert "pool" in message


def test_a_run_waits_for_the_lock_and_then_loads(make_pipeline, duckdb_path):
    holder = hold_lock(duckdb_path, 2)
    started = time.monotonic()
    try:
        result = materialize(
            [build_assets(make_pipeline())], resources={"dlt": DagsterDltResource()}
        )
    finally:
        holder.wait()
    assert result.success
    assert time.monotonic() - started >= 1.5, "the run should have waited for the holder"
    assert count_rows(duckdb_path, "raw", "customers") == 2
