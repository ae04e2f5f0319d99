"""The tables of a SQL database as Dagster steps of their own, which run in parallel."""

import dlt
from dagster import Definitions, define_asset_job
from dlt.sources.sql_database import sql_database

from dagster_dlt import DagsterDltResource, build_dlt_assets_definitions

shop_database = sql_database(
    credentials="sqlite:///shop.db",
    table_names=["customers", "orders"],
    defer_table_reflect=True,
)
# Each step moves the cursors of its own tables; no step loses another's.
shop_database.orders.apply_hints(incremental=dlt.sources.incremental("id"))

shop_steps = build_dlt_assets_definitions(
    dlt_source=shop_database,
    dlt_pipeline=dlt.pipeline(
        pipeline_name="shop_split", destination="duckdb", dataset_name="shop"
    ),
    split="resource",  # or "scc", a number of steps, or [["customers"], ["orders"]]
    group_name="shop",
)

defs = Definitions(
    assets=shop_steps,
    jobs=[define_asset_job("shop_job", selection=shop_steps)],
    resources={"dlt": DagsterDltResource()},
)
