"""A downstream asset reads a dlt asset's table: a lazy dlt relation, from DltDatasetInputManager."""

from collections.abc import Iterator
from typing import Any

import dlt
from dagster import AssetExecutionContext, AssetIn, Definitions, MaterializeResult, asset

from dagster_dlt import DagsterDltResource, DltDatasetInputManager, dlt_assets


@dlt.source
def shop():
    @dlt.resource(primary_key="id", write_disposition="merge")
    def orders() -> Iterator[list[dict[str, Any]]]:
        """Orders, each with its line items (dlt puts those in the nested table orders__items)."""
        yield [
            {"id": 1, "customer": "ada", "total": 80.0, "items": [{"sku": "lamp", "qty": 2}]},
            {"id": 2, "customer": "grace", "total": 12.5, "items": [{"sku": "pen", "qty": 5}]},
            {"id": 3, "customer": "ada", "total": 64.0, "items": [{"sku": "pen", "qty": 1}]},
        ]

    return orders


shop_pipeline = dlt.pipeline(
    pipeline_name="shop",
    destination=dlt.destinations.duckdb("shop.duckdb"),
    dataset_name="shop_raw",
)


@dlt_assets(dlt_source=shop(), dlt_pipeline=shop_pipeline)
def shop_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
    yield from dlt.run(context=context)


@asset(ins={"orders": AssetIn(key="dlt_shop_orders", input_manager_key="dlt_dataset")})
def order_summary(orders: dlt.Relation) -> MaterializeResult:
    """Large orders and the quantity sold per product."""
    # Nothing is read until a query runs; on a DuckDB file the lock is held only while it runs.
    large = orders.where("total", "gt", 50).select("id", "total").df()
    items = orders.nested("items")  # the nested table orders__items
    sold = items.query(
        "SELECT sku, SUM(qty) AS qty FROM orders__items GROUP BY sku ORDER BY sku"
    ).fetchall()
    return MaterializeResult(
        metadata={"large_orders": len(large), "sold": {sku: int(qty) for sku, qty in sold}}
    )


defs = Definitions(
    assets=[shop_assets, order_summary],
    resources={"dlt": DagsterDltResource(), "dlt_dataset": DltDatasetInputManager()},
)
