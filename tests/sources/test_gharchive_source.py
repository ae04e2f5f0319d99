"""The GH Archive source on the bundled sample, from disk and over HTTP, into DuckDB."""

import functools
import gzip
import itertools
import json
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import dlt
import duckdb
import pytest

from dlt_sources.gharchive import (
    EVENT_TYPES,
    SAMPLE_DIR,
    MissingArchiveHour,
    available_days,
    available_hours,
    event_table_name,
    gharchive_source,
    hour_file_name,
    hour_range,
)
from dlt_sources.gharchive.make_sample import generate_sample

DATASET = "gharchive_data"
UTC = timezone.utc


@pytest.fixture(autouse=True)
def isolated_dlt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt_data"))


@pytest.fixture
def pipeline(tmp_path: Path) -> dlt.Pipeline:
    return dlt.pipeline(
        pipeline_name="gharchive_test",
        destination=dlt.destinations.duckdb(str(tmp_path / "gharchive.duckdb")),
        pipelines_dir=str(tmp_path / "pipelines"),
        dataset_name=DATASET,
    )


@pytest.fixture
def sample_server() -> Iterator[str]:
    """The bundled sample served over HTTP on 127.0.0.1; yields its base URL."""
    handler = functools.partial(_QuietFileHandler, directory=SAMPLE_DIR)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class _QuietFileHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""


def rows(pipeline: dlt.Pipeline, sql: str) -> list[tuple[Any, ...]]:
    """Run ``sql`` against the pipeline's DuckDB file; ``{t}`` is the dataset schema."""
    path = Path(pipeline.pipelines_dir).parent / "gharchive.duckdb"
    with duckdb.connect(str(path)) as connection:
        return connection.sql(sql.format(t=DATASET)).fetchall()


def tables(pipeline: dlt.Pipeline) -> set[str]:
    found = rows(
        pipeline, "select table_name from information_schema.tables where table_schema = '{t}'"
    )
    return {name for (name,) in found if not name.startswith("_dlt")}


def raw_events(hours: list[datetime], directory: str = SAMPLE_DIR) -> list[dict[str, Any]]:
    """Events read straight from the files, to compare the loaded tables against."""
    events = []
    for hour in hours:
        with gzip.open(Path(directory) / hour_file_name(hour), "rt") as lines:
            events.extend(json.loads(line) for line in lines)
    return events


def day_hours(day: str) -> list[datetime]:
    start = datetime.fromisoformat(day).replace(tzinfo=UTC)
    return [start + timedelta(hours=h) for h in range(24)]


# loading


def test_a_day_loads_into_one_table_per_event_type(pipeline: dlt.Pipeline) -> None:
    expected = Counter(event["type"] for event in raw_events(day_hours("2024-01-02")))

    pipeline.run(gharchive_source("2024-01-02", base_url=SAMPLE_DIR))

    loaded = {
        table: rows(pipeline, f"select count(*) from {{t}}.{table}")[0][0]
        for table in tables(pipeline)
        if "__" not in table
    }
    assert loaded == {event_table_name(kind): count for kind, count in expected.items()}
    assert {"push_event", "watch_event", "issues_event", "pull_request_event"} <= set(loaded)
    dates = rows(pipeline, "select distinct cast(created_at as date) from {t}.push_event")
    assert dates == [(date(2024, 1, 2),)]


def test_nested_lists_become_child_tables(pipeline: dlt.Pipeline) -> None:
    events = raw_events(day_hours("2024-01-03"))
    commits = sum(len(e["payload"]["commits"]) for e in events if e["type"] == "PushEvent")

    pipeline.run(gharchive_source("2024-01-03", base_url=SAMPLE_DIR))

    assert rows(pipeline, "select count(*) from {t}.push_event__payload__commits") == [(commits,)]
    assert "issues_event__payload__issue__labels" in tables(pipeline)
    orphans = rows(
        pipeline,
        "select count(*) from {t}.push_event__payload__commits c "
        "left join {t}.push_event p on c._dlt_parent_id = p._dlt_id where p.id is null",
    )
    assert orphans == [(0,)]


def test_loading_the_same_hour_twice_keeps_one_row_per_event(pipeline: dlt.Pipeline) -> None:
    hour = datetime(2024, 1, 2, 15, tzinfo=UTC)
    pushes = [e for e in raw_events([hour]) if e["type"] == "PushEvent"]
    assert pushes, "the sample should have pushes in its busiest hours"

    pipeline.run(gharchive_source("2024-01-02-15", base_url=SAMPLE_DIR))
    pipeline.run(gharchive_source("2024-01-02-15", base_url=SAMPLE_DIR))

    assert rows(pipeline, "select count(*), count(distinct id) from {t}.push_event") == [
        (len(pushes), len(pushes))
    ]
    commits = sum(len(e["payload"]["commits"]) for e in pushes)
    assert rows(pipeline, "select count(*) from {t}.push_event__payload__commits") == [(commits,)]


def test_loads_over_http(pipeline: dlt.Pipeline, sample_server: str) -> None:
    hours = hour_range("2024-01-04-10", "2024-01-04-13")
    expected = Counter(event["type"] for event in raw_events(hours))

    pipeline.run(gharchive_source("2024-01-04-10", "2024-01-04-13", base_url=sample_server))

    assert rows(pipeline, "select count(*) from {t}.push_event") == [(expected["PushEvent"],)]
    loaded_ids = {
        event_id
        for table in tables(pipeline)
        if "__" not in table
        for (event_id,) in rows(pipeline, f"select id from {{t}}.{table}")
    }
    assert loaded_ids == {event["id"] for event in raw_events(hours)}


def test_event_types_narrow_what_is_loaded(pipeline: dlt.Pipeline) -> None:
    pipeline.run(
        gharchive_source("2024-01-02", base_url=SAMPLE_DIR, event_types=["WatchEvent", "ForkEvent"])
    )

    assert tables(pipeline) <= {"watch_event", "fork_event", "fork_event__payload__forkee"}
    assert "watch_event" in tables(pipeline)


def test_dagster_partition_keys_and_config_work_as_start(
    pipeline: dlt.Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCES__GHARCHIVE__START", "2024-01-03-05:00")  # hourly partition key
    monkeypatch.setenv("SOURCES__GHARCHIVE__BASE_URL", SAMPLE_DIR)

    pipeline.run(gharchive_source())

    hours = {
        hour.astimezone(UTC)
        for table in tables(pipeline)
        if "__" not in table
        for (hour,) in rows(pipeline, f"select date_trunc('hour', created_at) from {{t}}.{table}")
    }
    assert hours == {datetime(2024, 1, 3, 5, tzinfo=UTC)}


# missing hours


def test_missing_hour_says_what_the_directory_covers(pipeline: dlt.Pipeline) -> None:
    with pytest.raises(Exception) as excinfo:
        pipeline.run(gharchive_source("2024-01-05", base_url=SAMPLE_DIR))

    message = str(excinfo.value)
    assert "2024-01-05 00:00 UTC" in message
    assert "2024-01-01 to 2024-01-04" in message
    assert "skip_missing_hours=True" in message


def test_missing_hours_can_be_skipped(pipeline: dlt.Pipeline, sample_server: str) -> None:
    source = gharchive_source(
        "2024-01-04-22", "2024-01-05-02", base_url=sample_server, skip_missing_hours=True
    )

    pipeline.run(source)

    expected = raw_events(hour_range("2024-01-04-22", "2024-01-05"))
    loaded = sum(
        rows(pipeline, f"select count(*) from {{t}}.{table}")[0][0]
        for table in tables(pipeline)
        if "__" not in table
    )
    assert loaded == len(expected)


def test_missing_hour_over_http_is_reported(sample_server: str) -> None:
    events = gharchive_source("2030-01-01-0", base_url=sample_server).resources["events"]

    with pytest.raises(Exception) as excinfo:
        list(events)

    # dlt wraps what a resource raises
    missing = excinfo.value.__cause__
    assert isinstance(missing, MissingArchiveHour)
    assert missing.hour == datetime(2030, 1, 1, 0, tzinfo=UTC)
    assert "2030-01-01-0.json.gz" in str(missing)
    assert "shortly after it ends" in str(missing)


def test_calling_the_source_reads_nothing() -> None:
    # nothing listens on port 9; the call must still succeed
    source = gharchive_source("2024-01-01", base_url="http://127.0.0.1:9")

    assert list(source.resources)[:3] == ["events", "commit_comment_event", "create_event"]


# one resource per event type


def test_each_event_type_is_a_resource_reading_from_one_reader() -> None:
    source = gharchive_source("2024-01-01", base_url=SAMPLE_DIR)

    per_type = [event_table_name(kind) for kind in EVENT_TYPES]
    assert list(source.selected_resources) == [*per_type, "other_events"]
    assert "events" not in source.selected_resources
    for name in [*per_type, "other_events"]:
        assert source.resources[name]._pipe.parent.name == "events"


def test_one_event_type_loads_alone_and_files_are_read_once(
    pipeline: dlt.Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dlt_sources.gharchive as gharchive

    reads: list[datetime] = []
    read_hour = gharchive.read_hour

    def counting_read_hour(base_url: str, hour: datetime) -> Iterator[dict[str, Any]]:
        reads.append(hour)
        return read_hour(base_url, hour)

    monkeypatch.setattr(gharchive, "read_hour", counting_read_hour)
    source = gharchive_source("2024-01-02", base_url=SAMPLE_DIR)

    pipeline.run(source.with_resources("push_event", "watch_event"))

    assert tables(pipeline) == {"push_event", "push_event__payload__commits", "watch_event"}
    expected = Counter(event["type"] for event in raw_events(day_hours("2024-01-02")))
    assert rows(pipeline, "select count(*) from {t}.watch_event") == [(expected["WatchEvent"],)]
    assert reads == day_hours("2024-01-02")


def test_events_of_unknown_types_go_to_other_events(pipeline: dlt.Pipeline, tmp_path: Path) -> None:
    hour = datetime(2024, 1, 2, 15, tzinfo=UTC)
    events = raw_events([hour])
    retired = {**events[0], "id": "1", "type": "GistEvent", "payload": {"action": "create"}}
    directory = tmp_path / "archive"
    directory.mkdir()
    with gzip.open(directory / hour_file_name(hour), "wt") as lines:
        lines.writelines(json.dumps(event) + "\n" for event in [*events, retired])

    pipeline.run(gharchive_source("2024-01-02-15", base_url=str(directory)))

    assert rows(pipeline, "select id, type from {t}.gist_event") == [("1", "GistEvent")]
    assert "push_event" in tables(pipeline)


def test_selecting_the_reader_alone_loads_every_event(pipeline: dlt.Pipeline) -> None:
    expected = Counter(event["type"] for event in raw_events(day_hours("2024-01-01")))

    pipeline.run(gharchive_source("2024-01-01", base_url=SAMPLE_DIR).with_resources("events"))

    loaded = {
        table: rows(pipeline, f"select count(*) from {{t}}.{table}")[0][0]
        for table in tables(pipeline)
        if "__" not in table
    }
    assert loaded == {event_table_name(kind): count for kind, count in expected.items()}


def test_event_types_leave_only_their_resources() -> None:
    source = gharchive_source("2024-01-01", base_url=SAMPLE_DIR, event_types=["WatchEvent"])
    assert list(source.selected_resources) == ["watch_event"]

    source = gharchive_source("2024-01-01", base_url=SAMPLE_DIR, event_types=["GistEvent"])
    assert list(source.selected_resources) == ["other_events"]


# hours


@pytest.mark.parametrize(
    ("start", "end", "first", "count"),
    [
        ("2024-01-01", None, datetime(2024, 1, 1, 0, tzinfo=UTC), 24),
        (date(2024, 1, 1), None, datetime(2024, 1, 1, 0, tzinfo=UTC), 24),
        ("2024-01-01-5", None, datetime(2024, 1, 1, 5, tzinfo=UTC), 1),
        ("2024-01-01-05:00", None, datetime(2024, 1, 1, 5, tzinfo=UTC), 1),
        ("2024-01-01T05:30:00+02:00", None, datetime(2024, 1, 1, 3, tzinfo=UTC), 1),
        (datetime(2024, 1, 1, 7), None, datetime(2024, 1, 1, 7, tzinfo=UTC), 1),
        ("2024-01-01", "2024-01-03", datetime(2024, 1, 1, 0, tzinfo=UTC), 48),
        ("2024-01-01-22", "2024-01-02T01:30:00Z", datetime(2024, 1, 1, 22, tzinfo=UTC), 4),
    ],
)
def test_hour_range(start: Any, end: Any, first: datetime, count: int) -> None:
    hours = hour_range(start, end)

    assert hours[0] == first
    assert len(hours) == count
    assert all(b - a == timedelta(hours=1) for a, b in itertools.pairwise(hours))


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("yesterday", None, "Cannot read 'yesterday'"),
        ("2024-01-02", "2024-01-01", "must come after start"),
        ("2024-01-01-24", None, "Cannot read"),
    ],
)
def test_hour_range_rejects_what_it_cannot_read(start: str, end: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        hour_range(start, end)


def test_file_names_and_table_names_follow_gh_archive() -> None:
    assert hour_file_name(datetime(2024, 1, 1, 0, tzinfo=UTC)) == "2024-01-01-0.json.gz"
    assert hour_file_name(datetime(2024, 1, 1, 23, tzinfo=UTC)) == "2024-01-01-23.json.gz"
    assert event_table_name("PushEvent") == "push_event"
    assert event_table_name("PullRequestReviewCommentEvent") == "pull_request_review_comment_event"


# the bundled sample


def test_sample_covers_four_whole_days() -> None:
    assert available_days() == [date(2024, 1, d) for d in range(1, 5)]
    assert len(available_hours()) == 4 * 24


def test_sample_is_small_and_every_event_lies_in_its_file_hour() -> None:
    files = sorted(Path(SAMPLE_DIR).glob("*.json.gz"))
    assert sum(f.stat().st_size for f in files) < 300 * 1024

    events = 0
    for hour in available_hours():
        for event in raw_events([hour]):
            created = datetime.fromisoformat(event["created_at"].replace("Z", "+00:00"))
            assert hour <= created < hour + timedelta(hours=1), (hour, event["id"])
            assert set(event) >= {"id", "type", "actor", "repo", "payload", "public", "created_at"}
            events += 1
    assert 200 <= events <= 600


def test_sample_generator_reproduces_the_bundled_sample(tmp_path: Path) -> None:
    first = generate_sample(str(tmp_path / "first"))
    second = generate_sample(str(tmp_path / "second"))

    bundled = sorted(p.name for p in Path(SAMPLE_DIR).glob("*.json.gz"))
    assert sorted(p.name for p in first) == bundled
    for path in first:
        regenerated = gzip.decompress(path.read_bytes())
        assert regenerated == gzip.decompress((Path(SAMPLE_DIR) / path.name).read_bytes())
        # no timestamp in the gzip header either, so even the archives are identical
        assert path.read_bytes() == (tmp_path / "second" / path.name).read_bytes()
    assert len(second) == len(first)
