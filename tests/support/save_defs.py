"""A code location whose asset saves a report of many rows through ``DltDatasetWriter``, for the
tests that kill a save mid-load (tests/data/test_save_back.py).

Environment:
- ``SAVE_TARGET``: the DuckDB file;
- ``SAVE_ROWS``: how many rows the report has (ids ``<SAVE_BATCH>-0`` ..);
- ``SAVE_BATCH``: a label carried by every row, telling one save's rows from another's;
- ``SAVE_DISPOSITION``: ``append`` or ``replace``;
- ``CRASH_AT`` / ``CRASH_MARKER``: where the save stops itself (tests/support/kill_points.py), for the
  test to SIGKILL it there.
"""

import os

import dlt
import pandas as pd
from dagster import AssetExecutionContext, Definitions, MaterializeResult, ResourceParam, asset

from dagster_dlt import DltDatasetWriter, WritableDataset
from tests.support.kill_points import StopAt

reports_pipeline = dlt.pipeline(
    pipeline_name="reports_writer",
    destination=dlt.destinations.duckdb(os.environ.get("SAVE_TARGET", "warehouse.duckdb")),
    dataset_name="reports",
    progress=StopAt(os.environ.get("CRASH_AT", ""), os.environ.get("CRASH_MARKER")),
)


@asset
def daily_scores(
    context: AssetExecutionContext, writer: ResourceParam[DltDatasetWriter]
) -> MaterializeResult:
    """The day's scores, saved into the reports dataset."""
    rows = int(os.environ.get("SAVE_ROWS", "1000"))
    batch = os.environ.get("SAVE_BATCH", "new")
    frame = pd.DataFrame(
        {
            "id": [f"{batch}-{i}" for i in range(rows)],
            "batch": batch,
            "score": range(rows),
        }
    )
    disposition = os.environ.get("SAVE_DISPOSITION", "append")
    return writer.save(
        context, frame, dataset="reports", table="scores", write_disposition=disposition
    )


defs = Definitions(
    assets=[daily_scores],
    resources={"writer": DltDatasetWriter([WritableDataset(reports_pipeline)])},
)
