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

from dagster_dlt.errors import DagsterDltError

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; runs into one DuckDB file must use a pool.
    fcntl = None  # type: ignore[assignment]

__all__ = ["DestinationLockTimeout", "destination_lock", "single_writer_file"]

_POLL_SECONDS = 0.05


class DestinationLockTimeout(DagsterDltError):
    """Another process held a single-writer destination for longer than the lock timeout."""


def single_writer_file(pipeline: Pipeline) -> Optional[Path]:
    """The database file of a single-writer destination, or ``None`` for any other destination."""
    destination = pipeline.destination
    if destination is None or destination.destination_type != "dlt.destinations.duckdb":
        return None
    try:
        database = pipeline.destination_client().config.credentials.database
    except Exception:
        return None
    if not isinstance(database, str) or database.startswith(":memory:") or "://" in database:
        return None
    return Path(database).resolve()


def destination_lock(
    pipeline: Pipeline, timeout: float, owner: Optional[dict[str, Any]] = None
) -> Callable[[], AbstractContextManager[None]]:
    """A factory of context managers that hold the pipeline's destination for writing.

    The destination is looked up once; for multi-writer destinations the lock is a no-op.
    """
    path = single_writer_file(pipeline)
    if path is None or fcntl is None:
        return nullcontext
    lock_path = path.with_name(path.name + ".lock")
    return lambda: _file_lock(lock_path, path, timeout, owner or {})


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
