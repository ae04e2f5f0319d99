"""Definitions for the parallel-run tests, loaded by the `dagster` CLI in separate processes.

The destination comes from the environment: DAGSTER_DLT_TEST_DESTINATION ("duckdb" or
"filesystem") and DAGSTER_DLT_TEST_TARGET (the DuckDB file or the folder);
DAGSTER_DLT_TEST_ROWS_PER_DAY sets the volume (benchmarks/parallel_partitions.py raises it).
"""

import os
from datetime import datetime, timedelta, timezone

import dlt
from dagster import (
    AssetExecutionContext,
    DailyPartitionsDefinition,
    Definitions,
    define_asset_job,
)

from dagster_dlt import DagsterDltResource, dlt_assets

ROWS_PER_DAY = int(os.environ.get("DAGSTER_DLT_TEST_ROWS_PER_DAY", "500"))
FIRST_DAY = datetime(2024, 1, 1, tzinfo=timezone.utc)
LAST_DAY = datetime(2024, 1, 5, tzinfo=timezone.utc)


def _destination():
    target = os.environ.get("DAGSTER_DLT_TEST_TARGET", "parallel.duckdb")
    if os.environ.get("DAGSTER_DLT_TEST_DESTINATION", "duckdb") == "filesystem":
        return dlt.destinations.filesystem(bucket_url=target)
    return dlt.destinations.duckdb(target)


@dlt.source
def activity():
    """Events of every day: an API that filters by the incremental window, as real APIs do."""

    @dlt.resource(primary_key="id", write_disposition="merge")
    def events(
        updated_at=dlt.sources.incremental(
            "updated_at", initial_value=FIRST_DAY, allow_external_schedulers=True
        ),
    ):
        day = max(updated_at.start_value, FIRST_DAY).replace(hour=0, minute=0, second=0)
        end = updated_at.end_value or LAST_DAY + timedelta(days=1)
        while day < end:
            number = (day - FIRST_DAY).days
            yield [
                {
                    "id": number * 100_000 + i,
                    "updated_at": day + timedelta(seconds=i * 60),
                    "day": day.date().isoformat(),
                    "payload": {"value": i, "tags": [f"t{i % 3}"]},
                }
                for i in range(ROWS_PER_DAY)
            ]
            day += timedelta(days=1)

    return events


daily = DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-06")


@dlt_assets(
    dlt_source=activity(),
    dlt_pipeline=dlt.pipeline(
        pipeline_name="parallel_activity", dataset_name="activity", destination=_destination()
    ),
    partitions_def=daily,
)
def activity_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
    yield from dlt.run(context=context)


@dlt.source
def inventory():
    @dlt.resource(primary_key="sku", write_disposition="merge")
    def stock():
        yield [{"sku": f"sku-{i}", "on_hand": i} for i in range(2000)]

    return stock


@dlt_assets(
    dlt_source=inventory(),
    dlt_pipeline=dlt.pipeline(
        pipeline_name="parallel_inventory", dataset_name="inventory", destination=_destination()
    ),
)
def inventory_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
    yield from dlt.run(context=context)


@dlt.source
def catalog():
    @dlt.resource(primary_key="sku", write_disposition="merge")
    def products():
        yield [{"sku": f"sku-{i}", "title": f"Product {i}"} for i in range(2000)]

    return products


@dlt_assets(
    dlt_source=catalog(),
    dlt_pipeline=dlt.pipeline(
        pipeline_name="parallel_catalog", dataset_name="catalog", destination=_destination()
    ),
)
def catalog_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
    yield from dlt.run(context=context)


two_pipelines_job = define_asset_job(
    "two_pipelines_job", selection=["dlt_inventory_stock", "dlt_catalog_products"]
)

defs = Definitions(
    assets=[activity_assets, inventory_assets, catalog_assets],
    jobs=[two_pipelines_job],
    resources={"dlt": DagsterDltResource()},
)
