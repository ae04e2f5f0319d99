"""Exceptions raised by dagster-dlt. Each message says what went wrong and what to do about it."""

from collections.abc import Mapping, Sequence
from typing import Optional

from dagster import DagsterError

__all__ = [
    "DagsterDltError",
    "DestinationLockTimeout",
    "DltCatalogError",
    "DltConfigurationError",
    "DltContractViolationError",
    "DltDatasetNotLoadedError",
    "DltInputError",
    "DltLoadJobsFailedError",
    "DltReadOnlyDatasetError",
    "DltRunConfigError",
    "DltSelectionError",
    "DltSourceExhaustedError",
    "DltTableNotFoundError",
    "DltUnsupportedDataError",
]


class DagsterDltError(DagsterError):
    """Base class of the errors this package raises."""


class DltSelectionError(DagsterDltError):
    """The assets selected for a run do not match the dlt resources that can be loaded."""


class DltSourceExhaustedError(DagsterDltError):
    """A resource made from a generator object was consumed by an earlier run in this process;
    the message names the resource and says to pass the generator function instead."""


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


# Data access and saving (data/).


class DltTableNotFoundError(DagsterDltError, ValueError):
    """A table was asked for that the dataset does not have.

    It is also a ``ValueError``, as dlt's own error is, so ``getattr(dataset, name, None)`` and
    notebooks' attribute probing keep working.
    """


class DltDatasetNotLoadedError(DagsterDltError):
    """The dataset, or the table asked for, has not been loaded yet."""


class DltInputError(DagsterDltError):
    """An input cannot be read through ``DltDatasetInputManager`` (for example, not a dlt asset)."""


class DltCatalogError(DagsterDltError):
    """The catalog has no such dataset or asset."""


class DltContractViolationError(DagsterDltError):
    """Data broke its dataset's schema contract; nothing was written.

    Attributes:
        dataset: the dataset saved into.
        table: the table that would have changed.
        column: the column that would have changed, if any.
        entity: ``tables``, ``columns`` or ``data_type``.
        mode: the contract mode that refused the change (``freeze``, ...).
    """

    def __init__(
        self, dataset: str, table: str, column: Optional[str], entity: str, mode: str
    ) -> None:
        self.dataset, self.table, self.column = dataset, table, column
        self.entity, self.mode = entity, mode
        what = f"column '{column}' of table '{table}'" if column else f"table '{table}'"
        change = {
            "tables": "a new table",
            "columns": "a new column",
            "data_type": "a column whose type changes",
        }.get(entity, entity)
        super().__init__(
            f"Saving into dataset '{dataset}' broke its schema contract: {what} is {change}, "
            f"and the contract on {entity} is '{mode}'. Nothing was written. Keep the data to "
            f"the table's existing columns and types, or relax the contract on {entity} in "
            f"WritableDataset(..., schema_contract=...) for dataset '{dataset}'."
        )


class DltReadOnlyDatasetError(DagsterDltError):
    """A save was asked for into a dataset that does not take saves."""


class DltUnsupportedDataError(DagsterDltError, TypeError):
    """The object to save is of a type that cannot be saved."""
