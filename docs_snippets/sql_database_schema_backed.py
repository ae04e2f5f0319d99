"""A SQL database's tables as assets with their columns, and no query while definitions load."""

import dlt
from dagster import AssetExecutionContext, Definitions
from dlt.sources.sql_database import sql_database

from dagster_dlt import DagsterDltResource, dlt_assets

shop_database = sql_database(
    credentials="sqlite:///shop.db",
    table_names=["customers", "orders"],
    defer_table_reflect=True,  # no connection when the definitions load
)


@dlt_assets(
    dlt_source=shop_database,
    dlt_pipeline=dlt.pipeline(
        pipeline_name="shop_database", destination="duckdb", dataset_name="shop"
    ),
    # The columns, keys and hints the last run stored in the pipeline's working directory.
    dlt_schema="pipeline",
)
def shop_database_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
    yield from dlt.run(context=context)


defs = Definitions(assets=[shop_database_assets], resources={"dlt": DagsterDltResource()})
