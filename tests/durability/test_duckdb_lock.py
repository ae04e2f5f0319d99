"""Runs into one DuckDB file wait for each other's load, and a timeout names the holder."""

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from dagster import AssetExecutionContext, DagsterInstance, materialize

from dagster_dlt import DagsterDltResource, DestinationLockTimeout, dlt_assets
from tests.support.dlt_fixtures import count_rows, shop

HOLD_LOCK = """
import fcntl, json, os, sys, time
with open(sys.argv[1], "a+") as handle:
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
    handle.truncate(0)
    # As a run writes it (durability/locking.py): where, then which run and op.
    owner = {"pid": os.getpid(), "host": "h1", "since": "t0", "run_id": "other-run", "op": "o"}
    handle.write(json.dumps(owner))
    handle.flush()
    print("locked", flush=True)
    # Until the test says so (the release file exists), at most the given seconds.
    deadline = time.monotonic() + float(sys.argv[2])
    while time.monotonic() < deadline and not (len(sys.argv) > 3 and os.path.exists(sys.argv[3])):
        time.sleep(0.05)
"""


def build_assets(pipeline):
    @dlt_assets(dlt_source=shop().with_resources("customers"), dlt_pipeline=pipeline)
    def the_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context)

    return the_assets


def hold_lock(duckdb_path, seconds, release=None):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, f"{duckdb_path}.lock", str(seconds)]
        + ([str(release)] if release else []),
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


def release_once_waiting(instance: DagsterInstance, release: Path) -> threading.Thread:
    """A thread that lets the holder go once the run's event log says it waits: the run reaches
    the lock at a moment of its own (seconds later at the lowest versions), so a holder that
    let go after a fixed time could be gone before the run came."""

    def watch() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            for run in instance.get_runs(limit=1):
                if any(
                    entry.user_message.startswith("Waiting for the lock")
                    for entry in instance.all_logs(run.run_id)
                ):
                    release.touch()
                    return
            time.sleep(0.1)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_a_run_waits_for_the_lock_says_who_holds_it_and_then_loads(
    make_pipeline, duckdb_path, tmp_path
):
    release = tmp_path / "release"
    holder = hold_lock(duckdb_path, 120, release)
    (tmp_path / "dagster_home").mkdir()
    instance = DagsterInstance.local_temp(str(tmp_path / "dagster_home"))
    watcher = release_once_waiting(instance, release)
    started = time.monotonic()
    try:
        result = materialize(
            [build_assets(make_pipeline())],
            resources={"dlt": DagsterDltResource()},
            instance=instance,
        )
    finally:
        holder.kill()
        holder.wait()
        watcher.join(timeout=10)
    assert result.success
    assert release.exists(), "the run never said that it waits for the lock"
    assert time.monotonic() - started < 100, "the run should have got the lock once released"
    assert count_rows(duckdb_path, "raw", "customers") == 2
    messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    waiting = [m for m in messages if m.startswith("Waiting for the lock")]
    assert waiting == [
        f"Waiting for the lock on DuckDB file {duckdb_path}, held by run other-run (op o, "
        f"pid {holder.pid} on h1, since t0): DuckDB allows one writing process per file."
    ]
    (got,) = [m for m in messages if m.startswith("Got the lock")]
    assert float(got.split(" after ")[1].split(" s ")[0]) > 0.0


def test_a_run_that_finds_the_lock_free_says_nothing_of_it(make_pipeline, duckdb_path):
    instance = DagsterInstance.ephemeral()
    result = materialize(
        [build_assets(make_pipeline())], resources={"dlt": DagsterDltResource()}, instance=instance
    )
    assert result.success
    messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert not [m for m in messages if "the lock on" in m]
