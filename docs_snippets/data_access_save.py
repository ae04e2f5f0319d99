"""Save a result into a dataset of its own, under a schema contract declared once."""

import dlt
from dagster import (
    AssetExecutionContext,
    AssetIn,
    Definitions,
    MaterializeResult,
    ResourceParam,
    asset,
)

from dagster_dlt import (
    DagsterDltResource,
    DltDatasetInputManager,
    DltDatasetWriter,
    WritableDataset,
)

from data_access_input import shop_assets

reports_pipeline = dlt.pipeline(
    pipeline_name="shop_reports",
    destination=dlt.destinations.duckdb("shop.duckdb"),
    dataset_name="shop_reports",
)

# Only the datasets listed here take saves (shop_raw, loaded by dlt, stays read-only). New report
# tables may appear; an existing report keeps its columns and their types.
writer = DltDatasetWriter(
    [
        WritableDataset(
            reports_pipeline,
            schema_contract={"tables": "evolve", "columns": "freeze", "data_type": "freeze"},
        )
    ]
)


@asset(ins={"orders": AssetIn(key="dlt_shop_orders", input_manager_key="dlt_dataset")})
def revenue_by_customer(
    context: AssetExecutionContext,
    orders: dlt.Relation,
    writer: ResourceParam[DltDatasetWriter],
) -> MaterializeResult:
    """Revenue per customer, saved into shop_reports.revenue_by_customer."""
    revenue = orders.query(
        "SELECT customer, SUM(total) AS revenue FROM orders GROUP BY customer ORDER BY customer"
    ).arrow()
    # Reported with the metadata of a dlt asset: rows, column schema, table name, load ids, jobs.
    return writer.save(context, revenue, dataset="shop_reports", table="revenue_by_customer")


defs = Definitions(
    assets=[shop_assets, revenue_by_customer],
    resources={
        "dlt": DagsterDltResource(),
        "dlt_dataset": DltDatasetInputManager(),
        "writer": writer,
    },
)
