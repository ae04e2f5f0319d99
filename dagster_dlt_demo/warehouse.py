"""Short-lived access to the demo's DuckDB file, shared politely with the dlt runs.

DuckDB lets one process at a time open a file for writing. dagster-dlt holds a lock file next to
the database while dlt writes to it; the report assets take the same lock and keep their
connection only as long as their queries run.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import duckdb
from dagster import MetadataValue, TableColumn, TableSchema
from dlt.pipeline.pipeline import Pipeline

from dagster_dlt import single_writer_lock

__all__ = ["LOCK_TIMEOUT_SECONDS", "column_schema", "connect", "existing_tables", "markdown_table"]

LOCK_TIMEOUT_SECONDS = 600.0
"""As long as ``DagsterDltResource`` waits for the file by default."""


@contextmanager
def connect(pipeline: Pipeline, owner: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to ``pipeline``'s DuckDB file, under dagster-dlt's lock on that file.

    Args:
        pipeline: A dlt pipeline whose destination is the file.
        owner: Who holds the lock, shown to a run that times out waiting for it.
    """
    database = pipeline.destination_client().config.credentials.database
    with single_writer_lock(pipeline, owner=owner, timeout_seconds=LOCK_TIMEOUT_SECONDS):
        connection = duckdb.connect(database)
        try:
            # Days are UTC days, as GH Archive's hours and Dagster's partitions are.
            connection.execute("SET TimeZone = 'UTC'")
            yield connection
        finally:
            connection.close()


def existing_tables(connection: duckdb.DuckDBPyConnection, schema: str) -> set[str]:
    """The tables of ``schema`` (empty when the schema does not exist yet)."""
    rows = connection.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [schema]
    ).fetchall()
    return {name for (name,) in rows}


def column_schema(connection: duckdb.DuckDBPyConnection, relation: str) -> MetadataValue:
    """``relation``'s columns as Dagster table-schema metadata."""
    described = connection.execute(f"DESCRIBE {relation}").fetchall()
    return MetadataValue.table_schema(
        TableSchema(columns=[TableColumn(name=row[0], type=row[1]) for row in described])
    )


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> MetadataValue:
    """A small preview of query results for the asset's materialization page."""
    lines = [
        "| " + " | ".join(columns) + " |",
        "|" + "---|" * len(columns),
        *("| " + " | ".join(str(value) for value in row) + " |" for row in rows),
    ]
    return MetadataValue.md("\n".join(lines))
