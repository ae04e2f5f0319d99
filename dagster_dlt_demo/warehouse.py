"""The demo's reports dataset: where the reports are saved, under which contract, and how they read.

The reports read the loaded GH Archive tables through ``DltDatasetInputManager`` (lazy dlt
relations; on the DuckDB file the single-writer lock is held only while a query runs) and save
their results through ``DltDatasetWriter`` into the ``reports`` dataset of the same file. That
dataset's contract freezes columns: a report that grows a column fails before anything is
written. The raw ``gharchive`` and ``github`` datasets take no saves.
"""

from collections.abc import Sequence
from typing import Any

import dlt
from dagster import MetadataValue, ResourceDefinition

from dagster_dlt import DltDatasetInputManager, DltDatasetWriter, WritableDataset
from dagster_dlt_demo.settings import SETTINGS

__all__ = [
    "INPUT_MANAGER_KEY",
    "LOCK_TIMEOUT_SECONDS",
    "REPORTS_CONTRACT",
    "REPORTS_DATASET",
    "REPORT_RESOURCES",
    "WRITER_KEY",
    "markdown_table",
    "reports_pipeline",
    "reports_writer",
]

LOCK_TIMEOUT_SECONDS = 600.0
"""As long as ``DagsterDltResource`` waits for the file by default."""

REPORTS_DATASET = "reports"
REPORTS_CONTRACT = {"tables": "evolve", "columns": "freeze", "data_type": "freeze"}
"""New report tables may appear; an existing report keeps its columns and their types."""

INPUT_MANAGER_KEY = "dlt_dataset"
WRITER_KEY = "reports_writer"

reports_pipeline = dlt.pipeline(
    pipeline_name="reports_demo",
    destination=dlt.destinations.duckdb(str(SETTINGS.duckdb_path)),
    dataset_name=REPORTS_DATASET,
)

reports_writer = DltDatasetWriter(
    [WritableDataset(reports_pipeline, schema_contract=REPORTS_CONTRACT)],
    lock_timeout_seconds=LOCK_TIMEOUT_SECONDS,
)


REPORT_RESOURCES: dict[str, Any] = {
    # An event type may not be loaded yet (a first day without such events): its input is None.
    INPUT_MANAGER_KEY: DltDatasetInputManager(
        lock_timeout_seconds=LOCK_TIMEOUT_SECONDS, missing_ok=True
    ),
    WRITER_KEY: ResourceDefinition.hardcoded_resource(reports_writer),
}
"""The resources every report asset carries (one object each, shared by all of them), so the
code location's ``Definitions`` need not know about them."""


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> MetadataValue:
    """A small preview of query results for the asset's materialization page."""
    lines = [
        "| " + " | ".join(columns) + " |",
        "|" + "---|" * len(columns),
        *("| " + " | ".join(str(value) for value in row) + " |" for row in rows),
    ]
    return MetadataValue.md("\n".join(lines))
