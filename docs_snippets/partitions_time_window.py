"""Daily partitions: each run loads exactly its day, through a dlt incremental."""

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import dlt
from dagster import AssetExecutionContext, DailyPartitionsDefinition, Definitions

from dagster_dlt import DagsterDltResource, dlt_assets

FIRST_DAY = datetime(2024, 1, 1, tzinfo=timezone.utc)


def fetch_orders(start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Stands in for an API call that returns the orders placed in [start, end): one an hour."""
    hour = start.replace(minute=0, second=0, microsecond=0)
    orders = []
    while hour < end:
        number = int((hour - FIRST_DAY).total_seconds() // 3600)
        orders.append({"id": number, "placed_at": hour, "amount": 10 + number % 7})
        hour += timedelta(hours=1)
    return orders


@dlt.source
def shop():
    @dlt.resource(primary_key="id", write_disposition="merge")
    def orders(
        placed_at=dlt.sources.incremental(
            "placed_at",
            initial_value=FIRST_DAY,
            # Lets Dagster's partition set the window: start_value and end_value are the
            # partition's start and end, and the stored cursor is neither used nor moved.
            allow_external_schedulers=True,
        ),
    ) -> Iterator[list[dict[str, Any]]]:
        end = placed_at.end_value or datetime.now(timezone.utc)
        yield fetch_orders(placed_at.start_value, end)

    return orders


daily = DailyPartitionsDefinition(start_date=FIRST_DAY)


@dlt_assets(
    dlt_source=shop(),
    dlt_pipeline=dlt.pipeline(
        pipeline_name="shop_orders", destination="duckdb", dataset_name="shop"
    ),
    partitions_def=daily,
)
def shop_orders_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
    # Nothing to pass: the partition's time window reaches the incremental by itself.
    yield from dlt.run(context=context)


defs = Definitions(assets=[shop_orders_assets], resources={"dlt": DagsterDltResource()})
