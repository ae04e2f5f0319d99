"""Static partitions: the partition key is passed into the dlt source, one color per run."""

from collections.abc import Iterator
from typing import Any, Optional

import dlt
from dagster import AssetExecutionContext, Definitions, StaticPartitionsDefinition

from dagster_dlt import DagsterDltResource, dlt_assets

# Stands in for an API that can filter by color.
PAINTS = [
    {"id": 1, "name": "Crimson", "color": "red"},
    {"id": 2, "name": "Scarlet", "color": "red"},
    {"id": 3, "name": "Moss", "color": "green"},
    {"id": 4, "name": "Navy", "color": "blue"},
    {"id": 5, "name": "Azure", "color": "blue"},
]

colors = StaticPartitionsDefinition(["red", "green", "blue"])


@dlt.source
def paint_shop(color: Optional[str] = None):
    """Paints of one color, or of every color when none is given."""

    @dlt.resource(primary_key="id", write_disposition="merge")
    def paints() -> Iterator[list[dict[str, Any]]]:
        yield [paint for paint in PAINTS if color is None or paint["color"] == color]

    # A source must return its resources whatever its arguments: Dagster calls it without a
    # partition below, to learn which assets there are.
    return paints


@dlt_assets(
    dlt_source=paint_shop(),
    dlt_pipeline=dlt.pipeline(
        pipeline_name="paints_by_color", destination="duckdb", dataset_name="paint_shop"
    ),
    partitions_def=colors,
)
def paint_shop_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
    yield from dlt.run(context=context, dlt_source=paint_shop(color=context.partition_key))


defs = Definitions(assets=[paint_shop_assets], resources={"dlt": DagsterDltResource()})
