"""GH Archive into DuckDB: one daily-partitioned asset per event type, fed by one upstream asset."""

from datetime import date, datetime
from typing import Optional, Union

import dlt
from dagster import AssetExecutionContext, DailyPartitionsDefinition, MetadataValue
from dlt.sources import DltSource

from dagster_dlt import DagsterDltResource, dlt_assets
from dagster_dlt_demo.settings import DEMO_EVENT_TYPES, POOL, SETTINGS
from dagster_dlt_demo.upstream import upstream_specs
from dlt_sources.gharchive import SAMPLE_DIR, gharchive_source

__all__ = [
    "GROUP",
    "daily_partitions",
    "gharchive_assets",
    "gharchive_pipeline",
    "gharchive_upstream",
]

GROUP = "gharchive"

daily_partitions = DailyPartitionsDefinition(
    start_date=SETTINGS.start_date.isoformat(), end_date=SETTINGS.end_date.isoformat()
)

gharchive_pipeline = dlt.pipeline(
    pipeline_name="gharchive_demo",
    destination=dlt.destinations.duckdb(str(SETTINGS.duckdb_path)),
    dataset_name="gharchive",
)


def _source(start: Union[date, datetime], end: Optional[datetime] = None) -> DltSource:
    return gharchive_source(
        start, end, base_url=SETTINGS.gharchive_url, event_types=DEMO_EVENT_TYPES
    )


@dlt_assets(
    # Only the shape of the source matters here: calling it reads nothing.
    dlt_source=_source(SETTINGS.start_date),
    dlt_pipeline=gharchive_pipeline,
    group_name=GROUP,
    partitions_def=daily_partitions,
    pool=POOL,
)
def gharchive_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
    # The partition's day, or a backfill's whole range in one run (single-run backfill policy).
    window = context.partition_time_window
    source = _source(window.start, window.end)
    yield from dlt.run(context=context, dlt_source=source).fetch_row_count()


def _where() -> str:
    if SETTINGS.gharchive_url == SAMPLE_DIR:
        return "the sample bundled in dlt_sources/gharchive/sample"
    return SETTINGS.gharchive_url


gharchive_upstream = upstream_specs(
    gharchive_assets,
    group_name=GROUP,
    description=(
        "Public GitHub events, one gzip file of JSON lines per hour, as GH Archive publishes them. "
        f"Read from {_where()}."
    ),
    metadata={
        "gharchive": MetadataValue.url("https://www.gharchive.org"),
        "files": MetadataValue.url(SETTINGS.gharchive_url)
        if SETTINGS.gharchive_url.startswith(("http://", "https://"))
        else MetadataValue.path(SETTINGS.gharchive_url),
        "event_types": MetadataValue.text(", ".join(DEMO_EVENT_TYPES)),
    },
    kinds={"github"},
)
