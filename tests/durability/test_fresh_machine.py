"""A run killed mid-load, run again on a fresh machine: an empty pipelines directory (a new
``DLT_DATA_DIR``) and a new working directory, the same destination. Nothing of the dead run can
be reached there, so what it left in the destination has to be found from the destination.

On the filesystem destination many runs load at once, so files without a ``_dlt_loads`` entry
may belong to a live load: a load holds a lease in the bucket (``durability/leases.py``), and
only the files of a load whose holder is dead are taken back. On DuckDB every load holds the
file's lock, so its orphans are taken back (``durability/take_back.py``).

The kills are those of tests/durability/test_crash_safety.py: the run stops itself at a
deterministic point (tests/support/crash_defs.py) and the test SIGKILLs its process group.
"""

import json
import os
import signal
import subprocess
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Optional

import dlt
import pytest

from dagster_dlt._seams import internals
from dagster_dlt.durability.leases import LEASES_FOLDER, LoadLeases
from tests.support.crash_runs import (
    TABLES,
    counts,
    environment,
    every_table,
    finish,
    kill_at,
    leftovers,
)
from tests.support.parallel_cli import dagster_cli

N = 20_000  # per table: 20 files of 1,000 ids, loaded one job at a time
DATASET = "crash_data"


def machine(tmp_path: Path, env: dict[str, str], name: str) -> tuple[dict[str, str], Path]:
    """The environment and working directory of a machine of its own: an empty dlt data dir."""
    root = tmp_path / name
    (root / "work").mkdir(parents=True)
    return {**env, "DLT_DATA_DIR": str(root / "dlt_data")}, root / "work"


def materialize(
    env: dict[str, str],
    cwd: Path,
    crash_at: Optional[str] = None,
    marker: Optional[Path] = None,
    log: Optional[Path] = None,
) -> subprocess.Popen:
    """`dagster asset materialize` of tests/support/crash_defs.py in ``cwd``; its output goes to
    a pipe, or to ``log`` for a run that goes on while nobody reads the pipe."""
    env = dict(env)
    env.pop("CRASH_AT", None)
    if crash_at:
        env.update(CRASH_AT=crash_at, CRASH_MARKER=str(marker))
    command = [dagster_cli(), "asset", "materialize", "-m", "tests.support.crash_defs"]
    return subprocess.Popen(
        [*command, "-a", "defs", "--select", "*"],
        cwd=cwd,
        env=env,
        stdout=log.open("w") if log else subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, killed as a whole
    )


def leases(env: dict[str, str]) -> list[dict]:
    folder = Path(env["CRASH_TARGET"]) / LEASES_FOLDER / DATASET
    return [json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))]


def files_of(env: dict[str, str], load_id: str = "*") -> list[Path]:
    """The data files of load ``load_id`` (of every load: ``*``) in the dataset's tables."""
    dataset = Path(env["CRASH_TARGET"]) / DATASET
    paths = dataset.glob(f"*/{load_id}.*")
    return sorted(path for path in paths if not path.parent.name.startswith("_dlt"))


@pytest.mark.slow
def test_a_load_killed_mid_write_is_taken_back_by_a_rerun_on_a_fresh_machine(tmp_path):
    env = {**environment(tmp_path, "filesystem"), "CRASH_IDS": str(N)}
    one, one_dir = machine(tmp_path, env, "machine_one")
    marker = tmp_path / "reached"
    kill_at(materialize(one, one_dir, "load:25", marker), marker)
    (load_id,) = {".".join(path.name.split(".")[:2]) for path in files_of(env, "*")}
    killed = files_of(env, load_id)
    assert 20 <= len(killed) < 3 * N // 1000, killed  # some of the load's files, not all
    held = leases(env)

    two, two_dir = machine(tmp_path, env, "machine_two")
    output = finish(materialize(two, two_dir))

    assert every_table(env) == {table: (N, N) for table in TABLES}
    assert [lease["load_id"] for lease in held] == [load_id]
    assert f"Took back load {load_id}" in output, output[-4000:]
    assert f"removed {len(killed)} file(s)" in output
    assert leases(env) == []
    assert files_of(env, load_id) == []
    loads = Path(env["CRASH_TARGET"]) / DATASET / "_dlt_loads"
    assert json.loads((loads / f"crash__{load_id}.jsonl").read_text())["status"] == 1

    # Machine one comes back with the dead run's leftover: it is discarded, not resumed.
    output = finish(materialize(one, one_dir))
    assert "already recorded as aborted" in output, output[-4000:]
    assert counts(env, "append_ids") == (2 * N, N)  # this run's own load, and nothing more
    assert counts(env, "merge_ids") == (2 * N, N) and counts(env, "replace_ids") == (N, N)
    assert leftovers(one) == [] and leases(env) == []


@pytest.mark.slow
def test_the_files_of_a_live_load_stay_while_another_run_starts(tmp_path):
    """The first run stops mid-load (SIGSTOP): alive, on this machine, its heartbeat recent. A
    second run on a fresh machine loads meanwhile and takes nothing back; then the first run
    goes on and finishes its own load."""
    env = {**environment(tmp_path, "filesystem", "incremental"), "CRASH_IDS": str(N)}
    one, one_dir = machine(tmp_path, env, "machine_one")
    marker = tmp_path / "reached"
    log = tmp_path / "first.log"
    first = materialize(one, one_dir, "load:7", marker, log=log)
    try:
        while not marker.exists():
            assert first.poll() is None, log.read_text()[-3000:]
            time.sleep(0.05)
        (lease,) = leases(env)
        stopped_with = files_of(env, lease["load_id"])
        assert 0 < len(stopped_with) < N // 1000  # some of its files, not all

        two, two_dir = machine(tmp_path, env, "machine_two")
        output = finish(materialize(two, two_dir))

        assert "Took back load" not in output
        assert files_of(env, lease["load_id"]) == stopped_with
        assert [held["load_id"] for held in leases(env)] == [lease["load_id"]]
    finally:
        # The first run stops itself after each of its remaining jobs: let it go on each time.
        deadline = time.monotonic() + 240
        while first.poll() is None:
            signal_to_send = signal.SIGCONT if time.monotonic() < deadline else signal.SIGKILL
            os.killpg(first.pid, signal_to_send)
            time.sleep(0.05)
    assert first.returncode == 0, log.read_text()[-3000:]
    assert counts(env) == (2 * N, N)  # two complete loads of every id
    assert len(files_of(env, lease["load_id"])) == N // 1000
    assert leases(env) == []


@pytest.mark.slow
def test_duckdb_still_loads_every_row_once_after_a_rerun_on_a_fresh_machine(tmp_path):
    env = {**environment(tmp_path, "duckdb"), "CRASH_IDS": str(N)}
    one, one_dir = machine(tmp_path, env, "machine_one")
    marker = tmp_path / "reached"
    kill_at(materialize(one, one_dir, "load:25", marker), marker)

    two, two_dir = machine(tmp_path, env, "machine_two")
    output = finish(materialize(two, two_dir))

    assert every_table(env) == {table: (N, N) for table in TABLES}
    assert "Took back load(s)" in output


# In one process: leases written by hand next to real loads, settled by LoadLeases.


class Log:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, message: str) -> None:
        self.lines.append(message)

    warning = info


def loaded(tmp_path: Path, layout: Optional[str] = None) -> tuple[dlt.Pipeline, str]:
    """A pipeline that loaded 3 files of ``ids`` into a filesystem folder, and that load's id."""

    @dlt.resource(write_disposition="append")
    def ids():
        dlt.current.resource_state()["loaded_at"] = time.time()  # every load writes state
        yield [{"id": i} for i in range(30)]

    destination = dlt.destinations.filesystem(
        str(tmp_path / "lake"), **({"layout": layout} if layout else {})
    )
    pipeline = dlt.pipeline(
        "leases", pipelines_dir=str(tmp_path / "p"), destination=destination, dataset_name="d"
    )
    os.environ["DATA_WRITER__FILE_MAX_ITEMS"] = "10"
    try:
        info = pipeline.run(ids())
    finally:
        del os.environ["DATA_WRITER__FILE_MAX_ITEMS"]
    return pipeline, info.loads_ids[0]


def write_lease(pipeline: dlt.Pipeline, load_id: str, **holder) -> Path:
    folder = Path(pipeline.destination_client().bucket_path) / LEASES_FOLDER / "d"
    folder.mkdir(parents=True, exist_ok=True)
    beat = datetime.now(timezone.utc) - timedelta(seconds=holder.pop("age", 0))
    lease = {
        "load_id": load_id,
        "schema": "leases",
        "dataset": "d",
        "tables": {"ids": None},
        "pipeline": "leases",
        "run_id": "r1",
        "op": "op",
        "host": "another-host",
        "pid": 1,
        "started_at": beat.isoformat(),
        "heartbeat_at": beat.isoformat(),
        **holder,
    }
    path = folder / f"{load_id}.json"
    path.write_text(json.dumps(lease))
    return path


def forget_load(pipeline: dlt.Pipeline, load_id: str) -> None:
    """Make ``load_id`` a load that never finished: no ``_dlt_loads`` entry."""
    loads = Path(pipeline.destination_client().dataset_path) / "_dlt_loads"
    (loads / f"leases__{load_id}.jsonl").unlink()


def data_files(pipeline: dlt.Pipeline, load_id: str) -> list[Path]:
    return sorted((Path(pipeline.destination_client().dataset_path) / "ids").glob(f"{load_id}.*"))


def test_a_lease_left_by_a_load_that_finished_is_only_removed(tmp_path):
    pipeline, load_id = loaded(tmp_path)
    lease = write_lease(pipeline, load_id, age=3600)
    log = Log()

    LoadLeases(pipeline, holder={}).take_back_dead(log)

    assert not lease.exists()
    assert len(data_files(pipeline, load_id)) == 3
    assert any("completed" in line for line in log.lines), log.lines


def test_a_stale_lease_of_another_machine_is_taken_back_and_a_fresh_one_is_not(tmp_path):
    pipeline, dead = loaded(tmp_path)
    _, live = loaded(tmp_path)
    for load_id in (dead, live):
        forget_load(pipeline, load_id)
    stale = write_lease(pipeline, dead, age=600)
    fresh = write_lease(pipeline, live, age=5)
    log = Log()

    LoadLeases(pipeline, holder={}).take_back_dead(log)

    assert data_files(pipeline, dead) == [] and not stale.exists()
    assert len(data_files(pipeline, live)) == 3 and fresh.exists()
    state = Path(pipeline.destination_client().dataset_path) / "_dlt_pipeline_state"
    assert not list(state.glob(f"*__{dead}__*")) and list(state.glob(f"*__{live}__*"))
    (line,) = [line for line in log.lines if "Took back" in line]
    assert f"Took back load {dead}" in line and "heartbeat" in line and "ids (3)" in line


def test_a_lease_of_a_dead_process_on_this_machine_is_taken_back_at_once(tmp_path):
    pipeline, load_id = loaded(tmp_path)
    forget_load(pipeline, load_id)
    finished = subprocess.Popen(["true"])  # a pid that no longer runs
    finished.wait()
    holder = LoadLeases.this_process()
    write_lease(pipeline, load_id, age=1, **{**holder, "pid": finished.pid, "pid_started": None})
    log = Log()

    LoadLeases(pipeline, holder={}).take_back_dead(log)

    assert data_files(pipeline, load_id) == []
    assert any(f"process {finished.pid}" in line for line in log.lines), log.lines


def test_a_layout_without_the_load_id_in_file_names_is_not_taken_back(tmp_path):
    pipeline, load_id = loaded(tmp_path, layout="{table_name}/{load_id}/{file_id}.{ext}")
    forget_load(pipeline, load_id)
    write_lease(pipeline, load_id, age=600)
    log = Log()

    LoadLeases(pipeline, holder={}).take_back_dead(log)

    folder = Path(pipeline.destination_client().dataset_path) / "ids" / load_id
    assert len(list(folder.iterdir())) == 3
    assert any("cannot take back" in line.lower() for line in log.lines), log.lines


def test_a_held_lease_is_written_before_the_load_and_removed_after_it(tmp_path):
    @dlt.resource
    def ids():
        yield [{"id": i} for i in range(5)]

    pipeline = dlt.pipeline(
        "held",
        pipelines_dir=str(tmp_path / "p"),
        destination=dlt.destinations.filesystem(str(tmp_path / "lake")),
        dataset_name="d",
    )
    pipeline.extract(ids())
    pipeline.normalize()
    (load_id,) = pipeline.list_normalized_load_packages()
    lease_file = tmp_path / "lake" / LEASES_FOLDER / "d" / f"{load_id}.json"
    leases_of_run = LoadLeases(pipeline, holder={**LoadLeases.this_process(), "run_id": "r2"})
    with leases_of_run.holding(pipeline, Log()):
        lease = json.loads(lease_file.read_text())
        assert not (tmp_path / "lake" / "d").exists()  # nothing of the load is written yet
        pipeline.load()
    assert (lease["load_id"], lease["run_id"], lease["pid"]) == (load_id, "r2", os.getpid())
    assert set(lease["tables"]) >= {"ids"}
    assert not lease_file.exists()
    loads = tmp_path / "lake" / "d" / "_dlt_loads"
    separator = internals.filesystem_name_separator()
    assert json.loads((loads / f"held{separator}{load_id}.jsonl").read_text())["status"] == 0
