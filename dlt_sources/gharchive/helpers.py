"""Hour arithmetic and file reading for the GH Archive source.

GH Archive names files ``YYYY-MM-DD-H.json.gz`` with the UTC hour *without* a leading zero,
e.g. ``2024-01-01-0.json.gz`` .. ``2024-01-01-23.json.gz``.
"""

import gzip
import json
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any, Optional, Union
from urllib.parse import unquote, urlsplit

from dlt.sources.helpers import requests

from .settings import SAMPLE_DIR

__all__ = [
    "MissingArchiveHour",
    "TimeLike",
    "available_days",
    "available_hours",
    "event_table_name",
    "hour_file_name",
    "hour_range",
    "read_hour",
]

TimeLike = Union[str, date, datetime]
"""A day (``date``, ``"2024-01-01"``) or an hour (``datetime``, ``"2024-01-01-5"``,
``"2024-01-01-05:00"``, ``"2024-01-01T05:00:00Z"``)."""

_ONE_HOUR = timedelta(hours=1)
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_ARCHIVE_HOUR = re.compile(r"(\d{4}-\d{2}-\d{2})-(\d{1,2})")
_DAGSTER_HOUR = re.compile(r"(\d{4}-\d{2}-\d{2})-(\d{2}):00")
_FILE_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})-(\d{1,2})\.json\.gz")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


class MissingArchiveHour(FileNotFoundError):
    """The file for an hour does not exist (not published yet, lost, or outside a sample)."""

    def __init__(self, hour: datetime, location: str, hint: str) -> None:
        self.hour = hour
        super().__init__(
            f"No GH Archive file for {hour:%Y-%m-%d %H}:00 UTC at {location}. {hint} "
            "To load the hours that do exist, pass skip_missing_hours=True."
        )


def hour_range(start: TimeLike, end: Optional[TimeLike] = None) -> list[datetime]:
    """The UTC hours from ``start`` up to, not including, ``end``.

    Without ``end`` a day means its 24 hours and an hour means just that hour, so a Dagster
    daily (``"2024-01-01"``) or hourly (``"2024-01-01-05:00"``) partition key can be passed
    straight in. Naive datetimes are taken as UTC; ``start`` is floored and ``end`` rounded up
    to whole hours.

    Args:
        start: First day or hour.
        end: Exclusive end (a day means its midnight); ``None`` for one day or one hour.

    Returns:
        The hours as timezone-aware UTC datetimes.

    Raises:
        ValueError: A value cannot be parsed, or ``end`` is not after ``start``.

    Example:
        .. code-block:: python

            hour_range("2024-01-01")                     # 24 hours
            hour_range("2024-01-01-5")                   # [05:00]
            hour_range("2024-01-01", "2024-01-03")       # 48 hours
    """
    first, start_is_day = _parse(start, round_up=False)
    if end is None:
        stop = first + (timedelta(days=1) if start_is_day else _ONE_HOUR)
    else:
        stop, _ = _parse(end, round_up=True)
    if stop <= first:
        raise ValueError(
            f"end ({end!r}) must come after start ({start!r}): the range is [start, end)."
        )
    hours = []
    hour = first
    while hour < stop:
        hours.append(hour)
        hour += _ONE_HOUR
    return hours


def hour_file_name(hour: datetime) -> str:
    """GH Archive's file name for an hour, e.g. ``2024-01-01-5.json.gz``."""
    return f"{hour:%Y-%m-%d}-{hour.hour}.json.gz"


def event_table_name(event_type: str) -> str:
    """Table for an event type: ``PushEvent`` -> ``push_event``."""
    return _CAMEL_BOUNDARY.sub("_", event_type).lower()


def read_hour(base_url: str, hour: datetime) -> Iterator[dict[str, Any]]:
    """Stream the events of one hour from a directory, a ``file://`` URL or an http(s) URL.

    Raises:
        MissingArchiveHour: There is no file for this hour.
    """
    name = hour_file_name(hour)
    scheme = urlsplit(base_url).scheme
    if scheme in ("http", "https"):
        yield from _read_http(f"{base_url.rstrip('/')}/{name}", hour)
    else:
        directory = Path(unquote(urlsplit(base_url).path)) if scheme == "file" else Path(base_url)
        yield from _read_local(directory, name, hour)


def available_hours(directory: str = SAMPLE_DIR) -> list[datetime]:
    """The hours a local directory has files for; by default the bundled sample's.

    Example:
        .. code-block:: python

            hours = available_hours()
            hours[0], hours[-1]  # first and last hour of the sample
    """
    hours = []
    for path in Path(directory).glob("*.json.gz"):
        match = _FILE_NAME.fullmatch(path.name)
        if match:
            day = date.fromisoformat(match.group(1))
            hours.append(_at(day, int(match.group(2))))
    return sorted(hours)


def available_days(directory: str = SAMPLE_DIR) -> list[date]:
    """The days a local directory has at least one hour for; by default the bundled sample's."""
    return sorted({hour.date() for hour in available_hours(directory)})


def _read_local(directory: Path, name: str, hour: datetime) -> Iterator[dict[str, Any]]:
    path = directory / name
    if not path.is_file():
        days = available_days(str(directory))
        covers = f"{days[0]} to {days[-1]}" if days else "nothing"
        hint = f"That directory has files for {covers}."
        raise MissingArchiveHour(hour, str(path), hint)
    with gzip.open(path, "rb") as lines:
        yield from _events(lines)


def _read_http(url: str, hour: datetime) -> Iterator[dict[str, Any]]:
    try:
        response = requests.get(url, stream=True)
    except requests.HTTPError as error:
        if error.response is not None and error.response.status_code == 404:
            hint = (
                "GH Archive publishes an hour shortly after it ends, and a few hours are "
                "missing for good."
            )
            raise MissingArchiveHour(hour, url, hint) from None
        raise
    with response:
        # the body is the .gz file itself, even if a server also labels it Content-Encoding: gzip
        response.raw.decode_content = False
        with gzip.GzipFile(fileobj=response.raw) as lines:
            yield from _events(lines)


def _events(lines: IO[bytes]) -> Iterator[dict[str, Any]]:
    for line in lines:
        if line.strip():
            yield _without_nulls(json.loads(line))


def _without_nulls(value: Any) -> Any:
    # Events are full of nulls (assignee, milestone, ...). A null-only column is never created
    # anyway, but dlt warns about each one on every load; leaving the keys out says the same
    # thing quietly.
    if isinstance(value, dict):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


def _parse(value: TimeLike, *, round_up: bool) -> tuple[datetime, bool]:
    """Return the hour a value starts at (or ends at, with ``round_up``) and whether it was a day."""
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value
        return _whole_hour(moment.astimezone(timezone.utc), round_up), False
    if isinstance(value, date):
        return _at(value, 0), True
    text = str(value).strip()
    if _DAY.fullmatch(text):
        return _at(date.fromisoformat(text), 0), True
    match = _ARCHIVE_HOUR.fullmatch(text) or _DAGSTER_HOUR.fullmatch(text)
    if match and int(match.group(2)) < 24:
        return _at(date.fromisoformat(match.group(1)), int(match.group(2))), False
    try:
        # Python 3.10 does not read a trailing "Z"
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"Cannot read {value!r} as a day or an hour. Use a day like '2024-01-01' or an hour "
            "like '2024-01-01-5' (GH Archive), '2024-01-01-05:00' (Dagster hourly partition) "
            "or '2024-01-01T05:00:00Z', or pass a date or datetime."
        ) from None
    return _parse(moment, round_up=round_up)


def _whole_hour(moment: datetime, round_up: bool) -> datetime:
    floor = moment.replace(minute=0, second=0, microsecond=0)
    return floor + _ONE_HOUR if round_up and floor != moment else floor


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=timezone.utc)
