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
_NAMELESS_AFTER_SECONDS = 1.0
DEFAULT_TIMEOUT_SECONDS = 600.0
"""How long a run, a save or a reader waits for a DuckDB file's single-writer lock."""

LockFactory = Callable[[], AbstractContextManager[None]]


def destination_lock(
    facts: DestinationFacts,
    timeout: float,
    owner: Optional[dict[str, Any]] = None,
    on_wait: Optional[Callable[[str], None]] = None,
) -> Callable[[], AbstractContextManager[None]]:
    """A factory of context managers that hold a destination for writing.

    For destinations that allow many writers the lock is a no-op. ``on_wait`` (a run's
    ``context.log.info``) hears, when the lock is busy, who holds it, and then how long the wait
    took: parallel steps into one DuckDB file queue here, and a queue nobody sees looks like a
    hung step.
    """
    path = facts.single_writer_file
    if path is None or fcntl is None:
        return nullcontext
    lock_path = path.with_name(path.name + ".lock")
    return lambda: _file_lock(lock_path, path, timeout, owner or {}, on_wait)


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
    lock_path: Path,
    database: Path,
    timeout: float,
    owner: dict[str, Any],
    on_wait: Optional[Callable[[str], None]] = None,
) -> Iterator[None]:
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as handle:
        started = time.monotonic()
        deadline = started + timeout
        announced = False
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                now = time.monotonic()
                if now >= deadline:
                    raise DestinationLockTimeout(
                        _timeout_message(database, lock_path, timeout)
                    ) from None
                if on_wait is not None and not announced:
                    # The holder writes its name just after it locks: give it a moment.
                    holder = _holder(lock_path)
                    if holder or now - started >= _NAMELESS_AFTER_SECONDS:
                        on_wait(
                            f"Waiting for the lock on DuckDB file {database}, held by "
                            f"{_describe(holder)}: DuckDB allows one writing process per file."
                        )
                        announced = True
                time.sleep(_POLL_SECONDS)
        if announced and on_wait is not None:
            on_wait(
                f"Got the lock on DuckDB file {database} after "
                f"{time.monotonic() - started:.1f} s of waiting."
            )
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


def _holder(lock_path: Path) -> dict[str, Any]:
    """Who holds the lock, as the holder wrote it (empty if it has not yet, or is gone)."""
    try:
        holder = json.loads(lock_path.read_text() or "{}")
    except (OSError, ValueError):
        return {}
    return holder if isinstance(holder, dict) else {}


def _describe(holder: dict[str, Any]) -> str:
    """``run <id> (op <op>, pid <pid> on <host>, since <time>)``, or whatever the holder said."""
    if "run_id" not in holder:
        return ", ".join(f"{key} {value}" for key, value in holder.items()) or "an unknown process"
    rest = {key: value for key, value in holder.items() if key != "run_id"}
    where = f"pid {rest.pop('pid')}" if "pid" in rest else ""
    if where and "host" in rest:
        where += f" on {rest.pop('host')}"
    details = [f"op {rest.pop('op')}"] if "op" in rest else []
    details += [where] if where else []
    details += [f"{key} {value}" for key, value in rest.items()]
    return f"run {holder['run_id']}" + (f" ({', '.join(details)})" if details else "")


def _timeout_message(database: Path, lock_path: Path, timeout: float) -> str:
    who = ", ".join(f"{key} {value}" for key, value in _holder(lock_path).items())
    who = who or "an unknown process"
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
