"""A cross-process lock for destinations that allow one writing process at a time (DuckDB).

DuckDB lets one process open a database file for writing; a second process fails at once with an
IO error. Runs into the same file therefore serialise the steps that open it (restoring state, the
load, row counts) on an advisory lock next to the file, while extract and normalize, which work
only in the run's own directory, go on in parallel.
"""

import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

from dlt.pipeline.pipeline import Pipeline

from dagster_dlt.durability.destinations import DestinationFacts
from dagster_dlt.errors import DestinationLockTimeout

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; runs into one DuckDB file must use a pool.
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "DEFAULT_TIMEOUT_SECONDS",
    "LockFactory",
    "destination_lock",
    "single_writer_lock",
    "single_writer_lock_factory",
]

_POLL_SECONDS = 0.05
DEFAULT_TIMEOUT_SECONDS = 600.0
"""How long a run, a save or a reader waits for a DuckDB file's single-writer lock."""

LockFactory = Callable[[], AbstractContextManager[None]]


def destination_lock(
    facts: DestinationFacts, timeout: float, owner: Optional[dict[str, Any]] = None
) -> Callable[[], AbstractContextManager[None]]:
    """A factory of context managers that hold a destination for writing.

    For destinations that allow many writers the lock is a no-op.
    """
    path = facts.single_writer_file
    if path is None or fcntl is None:
        return nullcontext
    lock_path = path.with_name(path.name + ".lock")
    return lambda: _file_lock(lock_path, path, timeout, owner or {})


@contextmanager
def single_writer_lock(
    pipeline: Pipeline,
    *,
    owner: Optional[str] = None,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
) -> Iterator[None]:
    """Hold ``pipeline``'s destination while you write to it or read from it outside dlt.

    DuckDB allows one process per database file; dagster-dlt runs take this lock for the steps
    that open the file. Take it too when your own code opens the same file, and keep it only as
    long as the connection is open. For destinations that allow many writers it does nothing.

    Args:
        pipeline: a dlt pipeline whose destination is the database.
        owner: who holds the lock, shown to a run that times out waiting for it.
        timeout_seconds: how long to wait before raising ``DestinationLockTimeout``.

    Example:
        .. code-block:: python

            import duckdb
            from dagster_dlt import single_writer_lock

            with single_writer_lock(pipeline, owner="report"):
                with duckdb.connect("warehouse.duckdb") as connection:
                    connection.sql("SELECT count(*) FROM raw.orders").fetchall()
    """
    hold = destination_lock(
        DestinationFacts.of(pipeline), timeout_seconds, {"holder": owner} if owner else None
    )
    with hold():
        yield


@contextmanager
def _file_lock(
    lock_path: Path, database: Path, timeout: float, owner: dict[str, Any]
) -> Iterator[None]:
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise DestinationLockTimeout(
                        _timeout_message(database, lock_path, timeout)
                    ) from None
                time.sleep(_POLL_SECONDS)
        try:
            _write_owner(handle, owner)
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _write_owner(handle: Any, owner: dict[str, Any]) -> None:
    handle.seek(0)
    handle.truncate(0)
    record = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "since": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        **owner,
    }
    handle.write(json.dumps(record))
    handle.flush()


def _timeout_message(database: Path, lock_path: Path, timeout: float) -> str:
    try:
        holder = json.loads(lock_path.read_text() or "{}")
    except (OSError, ValueError):
        holder = {}
    who = ", ".join(f"{key} {value}" for key, value in holder.items()) or "an unknown process"
    return (
        f"Timed out after {timeout:g} s waiting to write to DuckDB file {database}: it is held by "
        f"{who} (lock file {lock_path}). DuckDB allows one writing process per file. Let that run "
        "finish, put the assets that write to this file in one Dagster pool, or raise "
        "DagsterDltResource(lock_timeout_seconds=...)."
    )


def single_writer_lock_factory(
    pipeline: Pipeline, owner: str, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
) -> LockFactory:
    """A factory of context managers holding ``pipeline``'s destination for exclusive use.

    A no-op for destinations that allow many writers.
    """
    return lambda: single_writer_lock(pipeline, owner=owner, timeout_seconds=timeout_seconds)
