"""Runs of tests/support/crash_defs.py in `dagster asset materialize` processes: start one, stop
it at a point and SIGKILL its process group, finish one, and count the ids in every table."""

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Optional

import duckdb

from tests.support.parallel_cli import REPO, dagster_cli, process_env

__all__ = [
    "TABLES",
    "N",
    "counts",
    "environment",
    "every_table",
    "finish",
    "kill_at",
    "leftovers",
    "materialize",
]

N = 10_000  # per table: 10 load jobs of 1,000 rows, 30 in all
TABLES = ("append_ids", "merge_ids", "replace_ids")


def environment(tmp_path: Path, destination: str, disposition: str = "all") -> dict[str, str]:
    target = tmp_path / ("lake" if destination == "filesystem" else "crash.duckdb")
    return process_env(
        tmp_path,
        CRASH_TARGET=str(target),
        CRASH_DESTINATION=destination,
        CRASH_DISPOSITION=disposition,
        CRASH_IDS=str(N),
        # Many small load jobs, loaded one at a time, so "after k jobs" is a real point.
        DATA_WRITER__FILE_MAX_ITEMS="1000",
        LOAD__WORKERS="1",
    )


def materialize(
    env: dict[str, str],
    crash_at: Optional[str] = None,
    marker: Optional[Path] = None,
    attribute: str = "defs",
    partition: Optional[str] = None,
) -> subprocess.Popen:
    env = dict(env)
    env.pop("CRASH_AT", None)
    if crash_at:
        env["CRASH_AT"] = crash_at
        env["CRASH_MARKER"] = str(marker)
    command = [
        dagster_cli(),
        "asset",
        "materialize",
        "-m",
        "tests.support.crash_defs",
        "-a",
        attribute,
    ]
    command += ["--select", "*"]
    if partition:
        command += ["--partition", partition]
    return subprocess.Popen(
        command,
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, killed as a whole
    )


def kill_at(process: subprocess.Popen, marker: Path, timeout: float = 240) -> str:
    """Wait until the process reports the point, then SIGKILL its process group."""
    deadline = time.monotonic() + timeout
    while not marker.exists():
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise AssertionError(f"the run ended before reaching the kill point:\n{output[-3000:]}")
        if time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            raise AssertionError("the run never reached the kill point")
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    return marker.read_text()


def finish(process: subprocess.Popen, timeout: float = 300) -> str:
    output, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, output[-4000:]
    return output


def counts(env: dict[str, str], table: str = "ids") -> tuple[int, int]:
    """(rows, distinct ids) of a table in the destination."""
    target = env["CRASH_TARGET"]
    if env["CRASH_DESTINATION"] == "filesystem":
        files = f"{target}/crash_data/{table}/*"
        query = f"SELECT COUNT(*), COUNT(DISTINCT id) FROM read_json_auto('{files}')"
        with duckdb.connect() as connection:
            return connection.execute(query).fetchone()
    with duckdb.connect(target, read_only=True) as connection:
        query = f"SELECT COUNT(*), COUNT(DISTINCT id) FROM crash_data.{table}"
        return connection.execute(query).fetchone()


def every_table(env: dict[str, str]) -> dict[str, tuple[int, int]]:
    return {table: counts(env, table) for table in TABLES}


def leftovers(env: dict[str, str]) -> list[Path]:
    runs = Path(env["DLT_DATA_DIR"]) / "pipelines" / ".dagster-dlt" / "crash" / "runs"
    return sorted(runs.iterdir()) if runs.exists() else []
