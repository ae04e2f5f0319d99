"""A dlt source loaded into Snowflake, one Dagster asset per resource."""

from collections.abc import Iterator
from typing import Any

import dlt
from dagster import AssetExecutionContext, Definitions

from dagster_dlt import DagsterDltResource, dlt_assets


@dlt.source
def shop():
    """Any dlt source will do; this one has its rows inline."""

    @dlt.resource(primary_key="id", write_disposition="merge")
    def products() -> Iterator[list[dict[str, Any]]]:
        yield [
            {"id": 1, "name": "lamp", "price": 40.0},
            {"id": 2, "name": "pen", "price": 2.5},
            {"id": 3, "name": "desk", "price": 120.0},
        ]

    return products


@dlt_assets(
    dlt_source=shop(),
    dlt_pipeline=dlt.pipeline(
        pipeline_name="shop", destination="snowflake", dataset_name="raw_shop"
    ),
)
def shop_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
    yield from dlt.run(context=context)


defs = Definitions(assets=[shop_assets], resources={"dlt": DagsterDltResource()})
