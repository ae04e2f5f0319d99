"""GitHub events from GH Archive (https://www.gharchive.org), one table per event type.

Calling the source only checks its arguments; files are read when the resource runs. A bundled,
generated sample (`SAMPLE_DIR`) lets everything run offline.
"""

from collections.abc import Iterator, Sequence
from typing import Any, Optional

import dlt
from dlt.common import logger
from dlt.sources import DltResource

from .helpers import (
    MissingArchiveHour,
    TimeLike,
    available_days,
    available_hours,
    event_table_name,
    hour_file_name,
    hour_range,
    read_hour,
)
from .settings import BATCH_SIZE, GHARCHIVE_URL, SAMPLE_DIR

__all__ = [
    "GHARCHIVE_URL",
    "SAMPLE_DIR",
    "MissingArchiveHour",
    "TimeLike",
    "available_days",
    "available_hours",
    "event_table_name",
    "gharchive_source",
    "hour_file_name",
    "hour_range",
]


@dlt.source(name="gharchive", section="gharchive")
def gharchive_source(
    # typed Any, not TimeLike: dlt only injects config into arguments of a single type
    start: Any = dlt.config.value,
    end: Any = None,
    base_url: str = GHARCHIVE_URL,
    event_types: Optional[Sequence[str]] = None,
    skip_missing_hours: bool = False,
) -> DltResource:
    """GitHub events of a day, an hour or a range of hours from GH Archive.

    Resources:
        events: Every event, routed to one table per event type: ``PushEvent`` ->
            ``push_event``, ``IssuesEvent`` -> ``issues_event`` and so on. Nested lists become
            child tables (``push_event__payload__commits``). Merged on ``id``, so loading an hour
            again replaces its rows instead of duplicating them.

    Args:
        start: A `TimeLike`: a day (``"2024-01-01"``, a ``date``) loads its 24 hours; an hour
            (``"2024-01-01-5"``, ``"2024-01-01-05:00"``, ``"2024-01-01T05:00Z"``, a ``datetime``)
            loads that hour. Dagster daily and hourly partition keys fit as they are. Times are UTC.
        end: Optional exclusive end (a `TimeLike`); with it the source loads every hour in ``[start, end)``.
        base_url: Where the hourly ``YYYY-MM-DD-H.json.gz`` files are: an http(s) URL, a
            ``file://`` URL or a local directory. `SAMPLE_DIR` is the bundled sample.
        event_types: Load only these types, e.g. ``["PushEvent", "WatchEvent"]``; ``None`` for all.
        skip_missing_hours: Skip (with a warning) hours that have no file instead of failing.

    Returns:
        The ``events`` resource.

    Raises:
        ValueError: ``start``/``end`` cannot be read or ``end`` is not after ``start``.

    Example:
        .. code-block:: python

            pipeline = dlt.pipeline("gharchive", destination="duckdb")
            pipeline.run(gharchive_source("2024-01-01", base_url=SAMPLE_DIR))
    """
    hours = hour_range(start, end)
    wanted = set(event_types) if event_types else None

    @dlt.resource(
        write_disposition="merge",
        primary_key="id",
        table_name=lambda event: event_table_name(event["type"]),
    )
    def events() -> Iterator[list[dict[str, Any]]]:
        for hour in hours:
            batch: list[dict[str, Any]] = []
            try:
                for event in read_hour(base_url, hour):
                    if wanted is None or event["type"] in wanted:
                        batch.append(event)
                    if len(batch) >= BATCH_SIZE:
                        yield batch
                        batch = []
            except MissingArchiveHour as missing:
                if not skip_missing_hours:
                    raise
                logger.warning(f"Skipping {hour_file_name(hour)}: {missing}")
            if batch:
                yield batch

    return events
