"""A report downstream of a dlt asset, rebuilt only when a load brought new data."""

import json
from pathlib import Path

import dlt
from dagster import AssetExecutionContext, Definitions, MaterializeResult, asset

from dagster_dlt import DagsterDltResource, dlt_assets
from dagster_dlt.automation import on_new_data

# Where the shop drops its orders, a JSON-lines file at a time (relative to the working directory).
DROP_FOLDER = Path("orders_drop")


@dlt.source
def orders_drop():
    @dlt.resource(primary_key="id", write_disposition="merge")
    def orders(updated_at=dlt.sources.incremental("updated_at")):
        """Orders from the drop folder; the incremental skips rows already loaded."""
        for path in sorted(DROP_FOLDER.glob("*.jsonl")):
            yield [json.loads(line) for line in path.read_text().splitlines() if line]

    return orders


orders_pipeline = dlt.pipeline(
    pipeline_name="orders_drop", destination="duckdb", dataset_name="shop"
)


@dlt_assets(dlt_source=orders_drop(), dlt_pipeline=orders_pipeline)
def orders_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
    yield from dlt.run(context=context)


# eager() would rebuild the report after every load; on_new_data() only after one that changed
# the orders table (rows loaded, a schema change, a refresh).
@asset(deps=["dlt_orders_drop_orders"], automation_condition=on_new_data())
def orders_by_status() -> MaterializeResult:
    """Orders per status, from the table the dlt asset loads."""
    with orders_pipeline.sql_client() as client:
        orders = client.make_qualified_table_name("orders")
        rows = client.execute_sql(f"SELECT status, COUNT(*) FROM {orders} GROUP BY 1 ORDER BY 1")
    return MaterializeResult(metadata={status: count for status, count in rows})


defs = Definitions(
    assets=[orders_assets, orders_by_status], resources={"dlt": DagsterDltResource()}
)
