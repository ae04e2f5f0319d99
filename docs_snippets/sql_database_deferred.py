"""Tables of a SQL database as assets, without touching the database while definitions load."""

import dlt
from dagster import AssetExecutionContext, Definitions
from dlt.sources.sql_database import sql_database

from dagster_dlt import DagsterDltResource, dlt_assets

# A SQLite file in the working directory. Leave credentials out to read them from
# SOURCES__SQL_DATABASE__CREDENTIALS (or [sources.sql_database] in .dlt/secrets.toml) instead:
# dlt reads them when sql_database() is called, but opens no connection then.
SHOP_DATABASE = "sqlite:///shop.db"

shop_database = sql_database(
    credentials=SHOP_DATABASE,
    table_names=["customers", "orders"],
    # Without it, sql_database() connects and reflects the tables as soon as it is called:
    # every time Dagster loads the definitions, in every process.
    defer_table_reflect=True,
)


@dlt_assets(
    dlt_source=shop_database,
    dlt_pipeline=dlt.pipeline(
        pipeline_name="shop_database", destination="duckdb", dataset_name="shop"
    ),
    group_name="shop",
)
def shop_database_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
    yield from dlt.run(context=context)


defs = Definitions(assets=[shop_database_assets], resources={"dlt": DagsterDltResource()})
