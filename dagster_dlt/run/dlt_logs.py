"""dlt's own warnings and errors, in the step's Dagster event log.

dlt logs through one Python logger (``dlt.common.logger.LOGGER``, named after the run context:
``dlt``), which writes to stderr and does not propagate. So schema warnings (columns that got no
data, contract violations), retry warnings and the like land only in the compute logs, where
nobody looks. ``forward_dlt_logs`` sends the records at or above a level to ``context.log`` for
the duration of a run.

Each record reaches the event log once: when Dagster already captures dlt's logger (the
instance's ``python_logs.managed_python_loggers`` lists it, or lists an ancestor it propagates
to), nothing is forwarded, since Dagster shows those records itself. With a ``SecretRedactor``,
records are redacted in place before any handler sees them, so dlt's stderr output (the compute
logs) and Dagster's own capture are redacted as well.

The handler is process-wide, as dlt's logger is: records logged by dlt in worker threads of the
run are forwarded, and so would records of another run in the same process at the same time
(Dagster runs steps in processes of their own unless told otherwise). Records below dlt's own
log level (``RUNTIME__LOG_LEVEL``, ``WARNING`` by default) never reach any handler.
"""

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Optional

from dagster_dlt._seams import internals
from dagster_dlt.redaction import RedactingFilter, SecretRedactor

__all__ = ["forward_dlt_logs"]


@contextmanager
def forward_dlt_logs(
    log: Any, level: int = logging.WARNING, *, redactor: Optional[SecretRedactor] = None
) -> Iterator[None]:
    """Forward dlt's log records at ``level`` and above to a Dagster log while the block runs.

    Args:
        log: where to write, usually ``context.log``.
        level: the lowest level forwarded.
        redactor: redacts each record before it is written anywhere.

    Example:
        .. code-block:: python

            with forward_dlt_logs(context.log, redactor=redactor):
                pipeline.run(source)
    """
    target = internals.dlt_logger()
    redacting = RedactingFilter(redactor) if redactor is not None else None
    if redacting is not None:
        # A logger's filters run before any of its handlers, its own or its ancestors'.
        target.addFilter(redacting)
    handler: Optional[_ToDagster] = None
    already_forwarded = any(
        isinstance(h, _ToDagster) and h.log is log for h in target.handlers
    )  # an enclosing forward_dlt_logs to the same log
    if not already_forwarded and not _captured_by_dagster(target):
        handler = _ToDagster(log, level)
        target.addHandler(handler)
    try:
        yield
    finally:
        if handler is not None:
            target.removeHandler(handler)
        if redacting is not None:
            target.removeFilter(redacting)


class _ToDagster(logging.Handler):
    """Writes dlt's records to a Dagster log, as ``[dlt] <message>`` at the record's level."""

    def __init__(self, log: Any, level: int) -> None:
        super().__init__(level)
        self.log = log
        self._busy = threading.local()  # a log that ends up back in dlt's logger must not loop

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(self._busy, "active", False):
            return
        self._busy.active = True
        try:
            message = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                message = f"{message}\n{record.exc_text}"
            self.log.log(record.levelno, f"[dlt] {message}")
        except Exception:
            self.handleError(record)
        finally:
            self._busy.active = False


def _captured_by_dagster(logger: logging.Logger) -> bool:
    """Whether a Dagster handler already receives this logger's records (managed loggers)."""
    current: Optional[logging.Logger] = logger
    while current is not None:
        if any(_is_dagster_capture(h) for h in current.handlers):
            return True
        if not current.propagate:
            return False
        current = current.parent
    return False


def _is_dagster_capture(handler: logging.Handler) -> bool:
    # Non-public Dagster API, behind the seam; tests/run/test_dlt_logs.py runs an instance with dlt as
    # a managed logger and fails on a duplicate if this stops recognising it.
    return internals.is_dagster_log_capture(handler)
