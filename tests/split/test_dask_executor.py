"""A split source on a real Dask cluster whose workers share no pipelines directory.

A scheduler and two single-thread workers run as processes of their own, each worker in its own
empty working directory with its own empty ``DLT_DATA_DIR``; only the Dagster instance and the
DuckDB file (the warehouse) are shared. ``dagster job execute`` runs the four steps of
``tests/support/dask_split_defs.py`` on the Dask executor, twice: the second round on workers
started afresh with empty directories (new machines), so every step restores its cursors from
the destination. Every id of every resource must be loaded exactly once.

The defs are imported inside the test, once ``DLT_DATA_DIR`` is the test's: importing them makes
their pipelines' directories.
"""

import contextlib
import importlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import distributed
import duckdb
import pytest
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus

from dagster_dlt.split import split_steps
from tests.support.parallel_cli import REPO, dagster_cli

DEFS_MODULE = "tests.support.dask_split_defs"
JOB = "split_on_dask"
ROUNDS = [30, 60]  # ids per resource after each round
EXTRACT_SECONDS = "0.5"  # per resource, two per step: steps last long enough to spread out


@dataclass
class Worker:
    """A Dask worker process without a nanny (its pid is the process that runs the steps) and
    its directories."""

    name: str
    root: Path
    process: Optional[subprocess.Popen] = None
    log: Optional[Path] = None

    @property
    def cwd(self) -> Path:
        return self.root / "cwd"

    @property
    def dlt_data(self) -> Path:
        return self.root / "dlt_data"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid


@dataclass
class Cluster:
    """A scheduler and workers that the test started; ``close`` stops all of them."""

    root: Path
    env: dict[str, str]
    scheduler: Optional[subprocess.Popen] = None
    address: str = ""
    workers: list[Worker] = field(default_factory=list)

    def start_scheduler(self) -> None:
        # Port 0: the scheduler binds a free port itself and writes its address to the file.
        scheduler_file = self.root / "scheduler.json"
        log = self.root / "scheduler.log"
        self.scheduler = _start(
            [
                *_dask("dask_scheduler"),
                *("--host", "127.0.0.1", "--port", "0", "--no-dashboard"),
                *("--scheduler-file", str(scheduler_file)),
            ],
            cwd=self.root,
            env=self.env,
            log=log,
        )
        deadline = time.monotonic() + 60
        while not self.address:
            assert self.scheduler.poll() is None, f"the scheduler exited: {log.read_text()}"
            assert time.monotonic() < deadline, f"no scheduler address: {log.read_text()}"
            try:
                self.address = json.loads(scheduler_file.read_text())["address"]
            except (OSError, ValueError, KeyError):
                time.sleep(0.1)

    def start_workers(self, count: int, round_number: int, **extra: str) -> list[Worker]:
        """``count`` workers, each in a working directory and with a ``DLT_DATA_DIR`` of its own
        (made here, or emptied by the caller), with ``extra`` in their environment; returns once
        the scheduler has them all."""
        self.workers = [Worker(f"worker-{n}", self.root / f"worker-{n}") for n in range(count)]
        for worker in self.workers:
            worker.cwd.mkdir(parents=True, exist_ok=True)
            worker.dlt_data.mkdir(parents=True, exist_ok=True)
            worker.log = self.root / f"{worker.name}.round-{round_number}.log"
            worker.process = _start(
                [
                    *_dask("dask_worker"),
                    *(self.address, "--name", worker.name, "--host", "127.0.0.1"),
                    *("--nworkers", "1", "--nthreads", "1", "--no-nanny", "--no-dashboard"),
                    *("--local-directory", str(worker.root / "scratch")),
                ],
                cwd=worker.cwd,
                env=dict(self.env, DLT_DATA_DIR=str(worker.dlt_data), **extra),
                log=worker.log,
            )
        with distributed.Client(self.address, timeout=30) as client:
            try:
                client.wait_for_workers(count, timeout=60)
            except TimeoutError as error:
                raise AssertionError(f"workers did not join: {self.logs()}") from error
            names = {
                address: w["name"] for address, w in client.scheduler_info()["workers"].items()
            }
            joined = {names[address]: pid for address, pid in client.run(os.getpid).items()}
        assert joined == {w.name: w.pid for w in self.workers}, joined
        return self.workers

    def logs(self) -> str:
        """The end of each worker's log."""
        return "".join(
            f"\n--- {w.name}:\n{w.log.read_text()[-3000:]}" for w in self.workers if w.log
        )

    def stop_workers(self) -> None:
        _stop([w.process for w in self.workers])

    def close(self) -> None:
        # Workers first: one that loses the scheduler while it closes hangs until killed.
        self.stop_workers()
        _stop([self.scheduler])


def _dask(command: str) -> list[str]:
    return [sys.executable, "-m", f"distributed.cli.{command}"]


def _start(command: list[str], cwd: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "w") as out:
        # A process group of its own: stopping it stops whatever it started too.
        return subprocess.Popen(
            command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def _stop(processes: Sequence[Optional[subprocess.Popen]]) -> None:
    """Terminate the process groups of ``processes``, then kill those still there after 10 s."""
    for signum in (signal.SIGTERM, signal.SIGKILL):
        alive = [p for p in processes if p is not None and p.poll() is None]
        for process in alive:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signum)
        for process in alive:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("")  # the default: sqlite storage in this directory
    with DagsterInstance.from_config(str(home)) as instance:
        instance.get_runs(limit=1)  # its storage made once, before any process uses it
    env = dict(os.environ)
    env.update(
        DAGSTER_HOME=str(home),
        PYTHONPATH=str(REPO),
        RUNTIME__DLTHUB_TELEMETRY="false",
        SPLIT_TARGET=str(tmp_path / "warehouse.duckdb"),
        SPLIT_EXTRACT_SECONDS=EXTRACT_SECONDS,
    )
    cluster = Cluster(tmp_path, env)
    try:
        cluster.start_scheduler()
        yield cluster
    finally:
        cluster.close()


def run_on_dask(cluster: Cluster, ids: int) -> str:
    """Run the job with ``dagster job execute`` on the cluster; returns the run's id."""
    config = cluster.root / "dask.yaml"
    config.write_text(
        "execution:\n"
        "  config:\n"
        "    cluster:\n"
        "      existing:\n"
        f"        address: {cluster.address}\n"
    )
    with DagsterInstance.from_config(cluster.env["DAGSTER_HOME"]) as instance:
        before = {run.run_id for run in instance.get_runs()}
    # Its own DLT_DATA_DIR, to show that no step ran in this process.
    env = dict(cluster.env, DLT_DATA_DIR=str(cluster.root / "coordinator"), SPLIT_IDS=str(ids))
    process = subprocess.Popen(
        [dagster_cli(), "job", "execute", "-m", DEFS_MODULE, "-j", JOB, "-c", str(config)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=300)
    finally:
        _stop([process])
    (cluster.root / f"coordinator.round-{ids}.log").write_text(output)
    assert process.returncode == 0, output[-6000:] + cluster.logs()
    with DagsterInstance.from_config(cluster.env["DAGSTER_HOME"]) as instance:
        runs = [run.run_id for run in instance.get_runs() if run.run_id not in before]
    assert len(runs) == 1, runs
    return runs[0]


def run_steps(home: str, run_id: str) -> tuple[DagsterRunStatus, dict[str, list[Optional[int]]]]:
    """The run's status and, per step, the processes that started it."""
    with DagsterInstance.from_config(home) as instance:
        run = instance.get_run_by_id(run_id)
        assert run is not None
        pids: dict[str, list[Optional[int]]] = {}
        for entry in instance.all_logs(run_id, of_type=DagsterEventType.STEP_START):
            event = entry.dagster_event
            assert event is not None and event.step_key is not None
            pids.setdefault(event.step_key, []).append(event.pid)
        return run.status, pids


def loaded_tables(dlt_data: Path, pipeline: str, resources: Sequence[str]) -> list[str]:
    """The resource tables of the load packages published into the pipeline's directory under
    ``dlt_data``: one entry per package and table."""
    loaded = dlt_data / "pipelines" / pipeline / "load" / "loaded"
    packages = sorted(loaded.iterdir()) if loaded.is_dir() else []
    tables = (job.name.split(".")[0] for p in packages for job in (p / "completed_jobs").iterdir())
    return sorted(table for table in tables if table in resources)


def rows_per_resource(
    target: str, dataset: str, resources: Sequence[str]
) -> dict[str, tuple[int, int]]:
    """(rows, distinct ids) of each resource's table."""
    with duckdb.connect(target, read_only=True) as conn:
        return {
            resource: conn.execute(
                f'SELECT COUNT(*), COUNT(DISTINCT id) FROM "{dataset}"."{resource}"'
            ).fetchone()
            for resource in resources
        }


def contents(path: Path) -> list[str]:
    assert path.is_dir(), path
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


@pytest.mark.slow
def test_split_steps_on_dask_workers_without_a_shared_pipelines_dir(
    cluster: Cluster, isolated_dlt: Path
):
    defs = importlib.import_module(DEFS_MODULE)
    pipeline, resources = defs.PIPELINE, defs.RESOURCES
    # No pipelines_dir: each process keeps the pipeline under its own DLT_DATA_DIR.
    assert Path(defs.on_dask_pipeline.pipelines_dir) == isolated_dlt / "pipelines"
    steps = {f"dlt_{pipeline}_{n}": group for n, group in split_steps(defs.ledger(pipeline), 4)}
    assert len(steps) == 4
    assert sorted(r for group in steps.values() for r in group) == sorted(resources)

    for round_number, ids in enumerate(ROUNDS):
        if round_number:
            # New machines: new worker processes, and nothing in their pipelines directories.
            cluster.stop_workers()
            for worker in cluster.workers:
                for path in worker.dlt_data.iterdir():
                    shutil.rmtree(path)
        workers = cluster.start_workers(2, round_number, SPLIT_IDS=str(ids))
        for worker in workers:
            assert contents(worker.cwd) == [], worker.name
            assert contents(worker.dlt_data) == [], worker.name

        run_id = run_on_dask(cluster, ids)

        status, pids = run_steps(cluster.env["DAGSTER_HOME"], run_id)
        assert status == DagsterRunStatus.SUCCESS
        worker_of = {w.pid: w.name for w in workers}
        ran_on = {step: [worker_of.get(pid, f"pid {pid}") for pid in p] for step, p in pids.items()}
        # Each step started once, in a worker process (not in `dagster job execute`).
        assert sorted(ran_on) == sorted(steps), ran_on
        assert all(len(on) == 1 and on[0] in worker_of.values() for on in ran_on.values()), ran_on
        # Both workers ran steps, each loaded in its own pipelines directory exactly the
        # resources of its steps, and wrote nothing into its working directory.
        assert {names[0] for names in ran_on.values()} == set(worker_of.values()), ran_on
        for worker in workers:
            ran = [
                r for step, names in ran_on.items() if names == [worker.name] for r in steps[step]
            ]
            assert loaded_tables(worker.dlt_data, pipeline, resources) == sorted(ran), ran_on
            assert contents(worker.cwd) == [], worker.name
        assert (cluster.root / "coordinator" / "pipelines" / pipeline).is_dir()
        assert loaded_tables(cluster.root / "coordinator", pipeline, resources) == []

        counts = rows_per_resource(cluster.env["SPLIT_TARGET"], defs.DATASET, resources)
        wrong = {r: c for r, c in counts.items() if c != (ids, ids)}
        assert wrong == {}, f"round {round_number}, to {ids} ids, (rows, distinct ids): {wrong}"
