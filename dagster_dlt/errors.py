"""Exceptions raised by dagster-dlt. Each message says what went wrong and what to do about it."""

from collections.abc import Mapping, Sequence

from dagster import DagsterError

__all__ = [
    "DagsterDltError",
    "DestinationLockTimeout",
    "DltConfigurationError",
    "DltLoadJobsFailedError",
    "DltRunConfigError",
    "DltSelectionError",
]


class DagsterDltError(DagsterError):
    """Base class of the errors this package raises."""


class DltSelectionError(DagsterDltError):
    """The assets selected for a run do not match the dlt resources that can be loaded."""


class DltConfigurationError(DagsterDltError):
    """dlt could not resolve configuration or secrets (for example destination credentials)."""


class DltRunConfigError(DagsterDltError):
    """The run configuration (``DltRunConfig``) asks for something dlt cannot do.

    Raised before any data moves; the message names the field and the values it allows.
    """


class DestinationLockTimeout(DagsterDltError):
    """Another process held a single-writer destination for longer than the lock timeout."""


class DltLoadJobsFailedError(DagsterDltError):
    """One or more dlt load jobs failed; the message names the tables and dlt's reasons.

    Attributes:
        failed_tables: table name -> dlt's failure message for the first failed job of that table.
        load_ids: the load ids of the packages involved.
    """

    def __init__(self, failed_tables: Mapping[str, str], load_ids: Sequence[str]):
        self.failed_tables = dict(failed_tables)
        self.load_ids = list(load_ids)
        lines = [
            f"dlt failed to load {len(self.failed_tables)} table(s): "
            f"{', '.join(sorted(self.failed_tables))} (load ids: {', '.join(self.load_ids)})."
        ]
        for table, message in sorted(self.failed_tables.items()):
            lines.append(f"- {table}: {_last_line(message)}")
        lines.append(
            "Tables that loaded were reported as materialized. Fix the cause and re-run the failed "
            "assets; the failed package is not retried automatically by dagster-dlt."
        )
        super().__init__("\n".join(lines))


def _last_line(message: str) -> str:
    # dlt stores the whole traceback as the failure message: its last line is the exception itself.
    stripped = [line for line in (message or "").strip().splitlines() if line.strip()]
    return stripped[-1].strip() if stripped else "(no message from dlt)"
