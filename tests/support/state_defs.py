"""A code location for the state-aware tests: an incremental resource over a growing list of
ids (``STATE_IDS``) into ``STATE_TARGET``, and an asset downstream of it."""

import os
from collections.abc import Iterator
from typing import Any

import dlt
from dagster import AssetExecutionContext, Definitions, asset

from dagster_dlt import DagsterDltResource, dlt_assets


@dlt.source(name="feed")
def feed():
    @dlt.resource(primary_key="id", write_disposition="append")
    def entries(
        updated=dlt.sources.incremental("id", initial_value=0),
    ) -> Iterator[list[dict[str, Any]]]:
        """Entries of the feed, by increasing id."""
        n = int(os.environ.get("STATE_IDS", "10"))
        yield [{"id": i, "tags": [f"t{i}"]} for i in range(1, n + 1) if i > updated.start_value]

    return entries


pipeline = dlt.pipeline(
    pipeline_name="feed",
    destination=dlt.destinations.duckdb(os.environ.get("STATE_TARGET", "feed.duckdb")),
    dataset_name="feed_data",
)


@dlt_assets(dlt_source=feed(), dlt_pipeline=pipeline, name="feed_assets")
def feed_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
    yield from dlt.run(context=context)


@asset(deps=["dlt_feed_entries"])
def feed_report() -> None:
    """Downstream of the dlt asset."""


defs = Definitions(assets=[feed_assets, feed_report], resources={"dlt": DagsterDltResource()})
