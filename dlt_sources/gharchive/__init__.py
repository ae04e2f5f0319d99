"""GitHub events from GH Archive (https://www.gharchive.org), one resource and table per event type.

Calling the source only checks its arguments; files are read when the resources run. A bundled,
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
from .settings import BATCH_SIZE, EVENT_TYPES, GHARCHIVE_URL, SAMPLE_DIR

__all__ = [
    "EVENT_TYPES",
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

_KNOWN = frozenset(EVENT_TYPES)


@dlt.source(name="gharchive", section="gharchive")
def gharchive_source(
    # typed Any, not TimeLike: dlt only injects config into arguments of a single type
    start: Any = dlt.config.value,
    end: Any = None,
    base_url: str = GHARCHIVE_URL,
    event_types: Optional[Sequence[str]] = None,
    skip_missing_hours: bool = False,
) -> list[DltResource]:
    """GitHub events of a day, an hour or a range of hours from GH Archive.

    Resources:
        events: Reads the hourly files. Not loaded itself (``selected=False``): the resources
            below take their events from it, so every file is read once however many of them
            run. Selected on its own (``with_resources("events")``) it loads every event into
            its event type's table.
        push_event, issues_event, watch_event, pull_request_event, ...: One resource per event
            type in `EVENT_TYPES`, named and tabled after it (``PushEvent`` -> ``push_event``).
            Nested lists become child tables (``push_event__payload__commits``).
        other_events: Events of any type not in `EVENT_TYPES`, each into its type's table.

    Every table is merged on ``id``, so loading an hour again replaces its rows instead of
    duplicating them.

    Args:
        start: A `TimeLike`: a day (``"2024-01-01"``, a ``date``) loads its 24 hours; an hour
            (``"2024-01-01-5"``, ``"2024-01-01-05:00"``, ``"2024-01-01T05:00Z"``, a ``datetime``)
            loads that hour. Dagster daily and hourly partition keys fit as they are. Times are UTC.
        end: Optional exclusive end (a `TimeLike`); with it the source loads every hour in ``[start, end)``.
        base_url: Where the hourly ``YYYY-MM-DD-H.json.gz`` files are: an http(s) URL, a
            ``file://`` URL or a local directory. `SAMPLE_DIR` is the bundled sample.
        event_types: Load only these types, e.g. ``["PushEvent", "WatchEvent"]``; ``None`` for all.
            The source then has resources for these types only (``other_events`` for any not in
            `EVENT_TYPES`).
        skip_missing_hours: Skip (with a warning) hours that have no file instead of failing.

    Returns:
        The ``events`` reader and one resource per event type.

    Raises:
        ValueError: ``start``/``end`` cannot be read or ``end`` is not after ``start``.

    Example:
        .. code-block:: python

            pipeline = dlt.pipeline("gharchive", destination="duckdb")
            pipeline.run(gharchive_source("2024-01-01", base_url=SAMPLE_DIR))
            pipeline.run(gharchive_source("2024-01-02", base_url=SAMPLE_DIR).with_resources("push_event"))
    """
    hours = hour_range(start, end)
    wanted = set(event_types) if event_types else None

    @dlt.resource(
        selected=False,
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

    known = [t for t in EVENT_TYPES if wanted is None or t in wanted]
    resources = [events, *(_events_of_type(events, event_type) for event_type in known)]
    if wanted is None or wanted - set(EVENT_TYPES):
        resources.append(_other_events(events))
    return resources


def _events_of_type(events: DltResource, event_type: str) -> DltResource:
    def events_of_type(batch: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
        chosen = [event for event in batch if event["type"] == event_type]
        if chosen:
            yield chosen

    # The asset description in Dagster and the resource's docs come from the docstring.
    events_of_type.__doc__ = f"GH Archive's {event_type} events, merged on id."
    return dlt.transformer(
        events_of_type,
        data_from=events,
        name=event_table_name(event_type),
        write_disposition="merge",
        primary_key="id",
    )


def _other_events(events: DltResource) -> DltResource:
    def other_events(batch: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
        """Events of types without a resource of their own, one table per type, merged on id."""
        chosen = [event for event in batch if event["type"] not in _KNOWN]
        if chosen:
            yield chosen

    return dlt.transformer(
        other_events,
        data_from=events,
        name="other_events",
        write_disposition="merge",
        primary_key="id",
        table_name=lambda event: event_table_name(event["type"]),
    )
