"""An offline environment for the demo's commands: a ``sitecustomize`` on the subprocess's path
records, then refuses, every connection to a host other than this one."""

import os
import subprocess
import sys
from pathlib import Path

from dagster import DagsterEventType, DagsterInstance

from dagster_dlt_demo.settings import ENV_DUCKDB

__all__ = ["COMMAND_TIMEOUT_SECONDS", "Offline"]

REPO = Path(__file__).resolve().parents[2]
COMMAND_TIMEOUT_SECONDS = 180

# Imported first by every Python that finds it on its path: records, then refuses, every attempt
# to reach a host other than this one.
_NETWORK_GUARD = """\
import os
import socket

_LOG = os.environ["DEMO_TEST_NETWORK_LOG"]
_LOCAL = ("127.", "::1", "localhost")
_connect, _connect_ex, _getaddrinfo = (
    socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo
)


def _local(host):
    return host is None or str(host).startswith(_LOCAL) or str(host) in ("", "0.0.0.0")


def _refuse(what):
    with open(_LOG, "a") as log:
        log.write(f"{os.getpid()} {what}\\n")
    return OSError(101, f"Network is unreachable (test network guard: {what})")


def connect(self, address):
    if isinstance(address, tuple) and not _local(address[0]):
        raise _refuse(f"connect {address}")
    return _connect(self, address)


def connect_ex(self, address):
    if isinstance(address, tuple) and not _local(address[0]):
        _refuse(f"connect {address}")
        return 101
    return _connect_ex(self, address)


def getaddrinfo(host, *args, **kwargs):
    if not _local(host):
        raise socket.gaierror(-3, f"Temporary failure in name resolution ({_refuse(host)})")
    return _getaddrinfo(host, *args, **kwargs)


socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = (
    connect, connect_ex, getaddrinfo
)
"""


class Offline:
    """An environment for demo commands: offline, no tokens, everything written under ``root``."""

    def __init__(self, root: Path):
        self.root = root
        self.duckdb_path = root / "demo.duckdb"
        self.network_log = root / "network.log"
        guard = root / "network_guard"
        guard.mkdir(parents=True, exist_ok=True)
        (guard / "sitecustomize.py").write_text(_NETWORK_GUARD)
        (root / "dagster_home").mkdir(exist_ok=True)
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "SOURCES__"))
        }
        self.env.update(
            PYTHONPATH=os.pathsep.join([str(guard), str(REPO)]),
            DEMO_TEST_NETWORK_LOG=str(self.network_log),
            DAGSTER_HOME=str(root / "dagster_home"),
            DAGSTER_DLT_DEMO_DUCKDB=str(self.duckdb_path),
            DLT_DATA_DIR=str(root / "dlt_data"),
            # dlt's anonymous usage telemetry is on by default; it is not the demo's to reach out.
            RUNTIME__DLTHUB_TELEMETRY="false",
        )

    def with_default_outputs(self) -> "Offline":
        """Leave the Dagster home and the DuckDB file to the demo's defaults, in the working
        directory, as the README's commands do; the demo's code is then the working directory's
        too (``python -m`` puts it first on the path), a copy of the repository."""
        del self.env["DAGSTER_HOME"], self.env[ENV_DUCKDB]
        self.env["PYTHONPATH"] = str(self.root / "network_guard")
        return self

    def run(self, *args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *args],
            cwd=cwd,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_SECONDS,
        )

    def dagster(self, *args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
        return self.run("-m", "dagster", *args, cwd=cwd, **env)

    def step_failures(self) -> list[str]:
        """The errors of every failed step in the Dagster home, causes included, as the UI shows
        them. Read from the event log, not the command's output: a step process's last lines
        pass through Dagster's compute-log capture, which drops them when the machine is busy
        (CI saw a failure whose STEP_FAILURE line never reached the terminal)."""
        with DagsterInstance.from_config(self.env["DAGSTER_HOME"]) as instance:
            return [
                entry.dagster_event.step_failure_data.error.to_string()
                for run in instance.get_runs()
                for entry in instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_FAILURE)
                if entry.dagster_event and entry.dagster_event.step_failure_data.error
            ]

    def network_attempts(self) -> list[str]:
        if not self.network_log.exists():
            return []
        return self.network_log.read_text().splitlines()
