"""Page views, loaded one day at a time: each run loads its partition's day."""

from datetime import datetime, timezone

import dlt


def _at(day: int, hour: int) -> datetime:
    return datetime(2024, 1, day, hour, tzinfo=timezone.utc)


VIEWS = [
    {"id": 1, "page": "/", "viewed_at": _at(1, 9)},
    {"id": 2, "page": "/pricing", "viewed_at": _at(1, 17)},
    {"id": 3, "page": "/", "viewed_at": _at(2, 8)},
    {"id": 4, "page": "/docs", "viewed_at": _at(3, 23)},
]
FIRST_DAY = _at(1, 0)


@dlt.source
def events():
    """Page views of the website."""

    @dlt.resource(primary_key="id", write_disposition="merge")
    def page_views(
        # allow_external_schedulers: a partitioned run sets this incremental's range to the
        # partition's time window, so dlt keeps only that day's rows.
        viewed_at=dlt.sources.incremental(
            "viewed_at", initial_value=FIRST_DAY, allow_external_schedulers=True
        ),
    ):
        yield VIEWS

    return page_views


events_source = events()
events_pipeline = dlt.pipeline(
    pipeline_name="events",
    destination=dlt.destinations.duckdb("warehouse.duckdb"),
    dataset_name="web",
)
