"""A code location for tests/split/test_dask_executor.py: split_defs's ``ledger`` source split
into four steps by ``build_dlt_assets_definitions``, in a job on the Dask executor.

The pipeline sets no ``pipelines_dir``: each Dask worker keeps its working state in its own
``DLT_DATA_DIR``, and only the DuckDB file ``SPLIT_TARGET`` (the warehouse) is shared. The
worker processes read ``SPLIT_TARGET``, ``SPLIT_IDS`` and ``SPLIT_EXTRACT_SECONDS`` from their
own environment: they import this module and extract the rows.
"""

import os

import dlt
from dagster import Definitions, define_asset_job
from dagster_dask import dask_executor

from dagster_dlt import DagsterDltResource, build_dlt_assets_definitions
from tests.support.split_defs import RESOURCES, ledger

PIPELINE = "on_dask"
DATASET = "on_dask"

on_dask_pipeline = dlt.pipeline(
    pipeline_name=PIPELINE,
    destination=dlt.destinations.duckdb(os.environ.get("SPLIT_TARGET", "ledger.duckdb")),
    dataset_name=DATASET,
)

on_dask_steps = build_dlt_assets_definitions(
    dlt_source=ledger(PIPELINE), dlt_pipeline=on_dask_pipeline, split=4
)

split_on_dask = define_asset_job(
    "split_on_dask",
    selection=[f"dlt_{PIPELINE}_{resource}" for resource in RESOURCES],
    executor_def=dask_executor,
)

defs = Definitions(
    assets=on_dask_steps,
    jobs=[split_on_dask],
    resources={"dlt": DagsterDltResource()},
)
