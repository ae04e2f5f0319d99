"""Launch `dagster` CLI processes against tests/support/parallel_defs.py: shared by the parallel-run
tests and by benchmarks/parallel_partitions.py, so both exercise runs the same way."""

import os
import subprocess
import sys
from pathlib import Path
from typing import Optional

from dagster import AssetKey, DagsterInstance

REPO = Path(__file__).resolve().parents[2]
DEFS_MODULE = "tests.support.parallel_defs"


def dagster_cli() -> str:
    """The `dagster` executable of the running interpreter's environment."""
    return str(Path(sys.executable).with_name("dagster"))


def process_env(workdir: Path, **extra: str) -> dict[str, str]:
    """The environment of a `dagster` or `dlt` CLI process of a test: its own Dagster home (made
    here) and dlt data dir under ``workdir``, this repository importable, dlt's telemetry off."""
    home = workdir / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        DAGSTER_HOME=str(home),
        DLT_DATA_DIR=str(workdir / "dlt_data"),
        PYTHONPATH=str(REPO),
        RUNTIME__DLTHUB_TELEMETRY="false",
        **extra,
    )
    return env


def cli_env(
    workdir: Path, destination: str, target: Path, rows_per_day: Optional[int] = None
) -> dict[str, str]:
    """The environment of CLI processes loading into ``target``, with the code location loaded
    once, as in a deployment, before any run is launched: the instance's storage is created,
    and dlt creates each pipeline's directory at import (``dlt.pipeline`` itself races when
    several processes create the same new directory)."""
    env = dict(os.environ)
    env.update(
        DAGSTER_HOME=str(workdir / "dagster_home"),
        DAGSTER_DLT_TEST_DESTINATION=destination,
        DAGSTER_DLT_TEST_TARGET=str(target),
        DLT_DATA_DIR=str(workdir / "dlt_data"),
        PYTHONPATH=str(REPO),
    )
    if rows_per_day is not None:
        env["DAGSTER_DLT_TEST_ROWS_PER_DAY"] = str(rows_per_day)
    (workdir / "dagster_home").mkdir(exist_ok=True)
    with DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        instance.get_runs(limit=1)
        instance.get_latest_materialization_event(AssetKey("warm_up"))
    subprocess.run(
        [dagster_cli(), "definitions", "validate", "-m", DEFS_MODULE],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return env


def launch_partition(env: dict[str, str], day: str, keep_output: bool = True) -> subprocess.Popen:
    """Start `dagster asset materialize` of one daily partition; stdout and stderr go to one
    pipe (or stderr only, when ``keep_output`` is false)."""
    return subprocess.Popen(
        [
            dagster_cli(),
            "asset",
            "materialize",
            "-m",
            DEFS_MODULE,
            "--select",
            "dlt_activity_events",
            "--partition",
            day,
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE if keep_output else subprocess.DEVNULL,
        stderr=subprocess.STDOUT if keep_output else subprocess.PIPE,
        text=True,
    )


def forkserver_run_config(workdir: Path, *modules: str) -> Path:
    """A run config file (``-c``) for the multiprocess executor that forks each step's process
    from a server that imported Dagster, dlt and ``modules`` once.

    Steps still run in processes of their own, as in a deployment that sets ``start_method``;
    what is saved is a fresh interpreter's imports per step (seconds of CPU each, which CI's two
    cores pay for every step of a many-step run).
    """
    preload = ", ".join(["dagster_dlt", *modules])
    path = workdir / "forkserver.yaml"
    path.write_text(
        "execution:\n"
        "  config:\n"
        "    multiprocess:\n"
        "      start_method:\n"
        "        forkserver:\n"
        f"          preload_modules: [{preload}]\n"
    )
    return path
