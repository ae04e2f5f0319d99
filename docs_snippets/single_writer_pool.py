"""Two dlt pipelines into one DuckDB file: one Dagster pool, and a longer lock timeout."""

import dlt
from dagster import AssetExecutionContext, Definitions

from dagster_dlt import DagsterDltResource, dlt_assets

from example_source import example
from static_partitions import paint_shop

WAREHOUSE = "warehouse.duckdb"
POOL = "duckdb_warehouse"  # limit it to 1: dagster instance concurrency set duckdb_warehouse 1


@dlt_assets(
    dlt_source=example(),
    dlt_pipeline=dlt.pipeline(
        pipeline_name="example_to_warehouse",
        destination=dlt.destinations.duckdb(WAREHOUSE),
        dataset_name="example",
    ),
    name="example_to_warehouse",
    pool=POOL,
)
def example_to_warehouse(context: AssetExecutionContext, dlt: DagsterDltResource):
    yield from dlt.run(context=context)


@dlt_assets(
    dlt_source=paint_shop(),
    dlt_pipeline=dlt.pipeline(
        pipeline_name="paints_to_warehouse",
        destination=dlt.destinations.duckdb(WAREHOUSE),
        dataset_name="paint_shop",
    ),
    name="paints_to_warehouse",
    pool=POOL,
)
def paints_to_warehouse(context: AssetExecutionContext, dlt: DagsterDltResource):
    yield from dlt.run(context=context)


defs = Definitions(
    assets=[example_to_warehouse, paints_to_warehouse],
    # Without the pool, runs still queue on the file's lock for their load step: wait up to
    # 30 minutes for the run ahead of them instead of the default 10.
    resources={"dlt": DagsterDltResource(lock_timeout_seconds=1800)},
)
