"""The demo as a user meets it: ``python -m dagster_dlt_demo``, ``dagster definitions validate``,
its schedules, and the GitHub assets with and without a token.

Every command runs in a subprocess whose Python refuses connections to anything but 127.0.0.1
(a ``sitecustomize`` on its path), so "offline" is checked, not assumed.
"""

import gzip
import json
import os
import subprocess
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dagster import build_schedule_context

from dagster_dlt_demo.defs.shop_database import CUSTOMERS, ORDERS
from dagster_dlt_demo.settings import (
    DEMO_EVENT_TYPES,
    ENV_END_DATE,
    ENV_START_DATE,
    DemoSettings,
)
from dlt_sources.gharchive import SAMPLE_DIR, available_hours, event_table_name, hour_file_name
from tests.support.fake_github import FakeGitHub
from tests.support.offline_demo import Offline

REPO = Path(__file__).resolve().parents[2]
UTC = timezone.utc


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Offline, str]]:
    """``python -m dagster_dlt_demo`` run once, from an empty directory; yields its stdout."""
    offline = Offline(tmp_path_factory.mktemp("demo"))
    workdir = offline.root / "work"
    workdir.mkdir()

    result = offline.run("-m", "dagster_dlt_demo", cwd=workdir)

    assert result.returncode == 0, result.stderr[-4000:]
    yield offline, result.stdout


def query(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def sample_events() -> list[dict[str, Any]]:
    """The bundled sample read straight from its files, as the demo should have loaded it."""
    events = []
    for hour in available_hours(SAMPLE_DIR):
        with gzip.open(Path(SAMPLE_DIR) / hour_file_name(hour), "rt") as lines:
            events.extend(json.loads(line) for line in lines if line.strip())
    return [event for event in events if event["type"] in DEMO_EVENT_TYPES]


def _day(event: dict[str, Any]) -> date:
    return datetime.fromisoformat(event["created_at"].replace("Z", "+00:00")).astimezone(UTC).date()


# python -m dagster_dlt_demo


def test_the_demo_loads_the_sample_offline_and_prints_tables_and_rows(
    demo: tuple[Offline, str],
) -> None:
    offline, stdout = demo
    per_type = Counter(event_table_name(event["type"]) for event in sample_events())

    printed = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            printed[parts[0]] = int(parts[1])
    for table, count in per_type.items():
        assert printed[f"gharchive.{table}"] == count
        assert query(offline.duckdb_path, f"SELECT COUNT(*) FROM gharchive.{table}") == [(count,)]
    assert printed["gharchive.push_event__payload__commits"] > 0
    assert printed["reports.events_per_repo_per_day"] > 0
    assert 0 < printed["reports.top_contributors"] <= 10
    # The components load (defs/shop/defs.yaml): the shop's SQLite tables, copied whole.
    assert printed["shop.customers"] == len(CUSTOMERS)
    assert printed["shop.orders"] == len(ORDERS)
    assert "dagster dev -w workspace.yaml" in stdout
    assert offline.network_attempts() == []


def test_events_per_repo_per_day_counts_what_the_sample_holds(demo: tuple[Offline, str]) -> None:
    offline, _ = demo
    events: Counter[tuple[date, str]] = Counter()
    actors: defaultdict[tuple[date, str], set[str]] = defaultdict(set)
    for event in sample_events():
        key = (_day(event), event["repo"]["name"])
        events[key] += 1
        actors[key].add(event["actor"]["login"])

    rows = query(
        offline.duckdb_path,
        "SELECT day, repo, events, actors FROM reports.events_per_repo_per_day ORDER BY day, repo",
    )

    assert rows == [
        (day, repo, events[day, repo], len(actors[day, repo])) for day, repo in sorted(events)
    ]
    assert {day for day, *_ in rows} == {date(2024, 1, d) for d in range(1, 5)}


def test_top_contributors_ranks_people_as_the_sample_says(demo: tuple[Offline, str]) -> None:
    offline, _ = demo
    kinds = ("pushes", "commits", "pull_requests", "reviews", "issues", "comments")
    counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for event in sample_events():
        login, kind, action = event["actor"]["login"], event["type"], event["payload"].get("action")
        if login.endswith("[bot]"):
            continue
        if kind == "PushEvent":
            counts[login]["pushes"] += 1
            counts[login]["commits"] += len(event["payload"].get("commits", []))
        elif kind == "PullRequestEvent" and action == "opened":
            counts[login]["pull_requests"] += 1
        elif kind == "PullRequestReviewEvent":
            counts[login]["reviews"] += 1
        elif kind == "IssuesEvent" and action == "opened":
            counts[login]["issues"] += 1
        elif kind == "IssueCommentEvent":
            counts[login]["comments"] += 1
    contributions = {
        login: sum(c[k] for k in kinds if k != "commits") for login, c in counts.items()
    }
    ranked = sorted(
        (login for login in counts if contributions[login]),
        key=lambda login: (-contributions[login], login),
    )
    expected = [
        (rank, login, *(counts[login][k] for k in kinds), contributions[login])
        for rank, login in enumerate(ranked[:10], start=1)
    ]

    rows = query(
        offline.duckdb_path,
        f"SELECT rank, login, {', '.join(kinds)}, contributions "
        "FROM reports.top_contributors ORDER BY rank",
    )

    assert rows == expected
    assert rows[0][1] == "alice-dev", "the sample is skewed towards alice-dev"


def test_running_the_demo_again_replaces_rather_than_duplicates(demo: tuple[Offline, str]) -> None:
    offline, first = demo
    workdir = offline.root / "work"

    again = offline.run("-m", "dagster_dlt_demo", cwd=workdir)

    assert again.returncode == 0, again.stderr[-4000:]
    assert again.stdout.split("\n", 1)[1] == first.split("\n", 1)[1]


def test_help_says_what_the_demo_does_and_where_it_writes_without_running_it(
    tmp_path: Path,
) -> None:
    offline = Offline(tmp_path).with_default_outputs()
    # Run from elsewhere than the repository, so that the demo, if it ran, would write here.
    workdir = tmp_path / "work"
    workdir.mkdir()
    path = os.pathsep.join([offline.env["PYTHONPATH"], str(REPO)])

    result = offline.run("-m", "dagster_dlt_demo", "--help", cwd=workdir, PYTHONPATH=path)

    assert result.returncode == 0, result.stderr[-4000:]
    for text in (
        "gharchive_job",
        "shop_job",
        "$DAGSTER_DLT_DEMO_DUCKDB",
        "demo.duckdb",
        "$DAGSTER_HOME",
        ".dagster_home",
        "dagster dev -w workspace.yaml",
    ):
        assert text in result.stdout, f"--help does not mention {text}:\n{result.stdout}"
    assert list(workdir.iterdir()) == [], "--help must not run the demo"
    wrong = offline.run("-m", "dagster_dlt_demo", "--no-such-option", cwd=workdir, PYTHONPATH=path)
    assert wrong.returncode == 2
    assert "unrecognized arguments: --no-such-option" in wrong.stderr
    assert list(workdir.iterdir()) == []


def test_the_demo_exits_non_zero_saying_why_a_run_failed(tmp_path: Path) -> None:
    offline = Offline(tmp_path)
    empty = tmp_path / "no_archive"
    empty.mkdir()

    result = offline.run(
        "-m", "dagster_dlt_demo", cwd=tmp_path, DAGSTER_DLT_DEMO_GHARCHIVE_URL=str(empty)
    )

    assert result.returncode == 1
    assert "Step gharchive_assets failed" in result.stderr
    assert "No GH Archive file for 2024-01-01 00:00 UTC" in result.stderr
    assert "Traceback" not in result.stderr


# Definitions


def test_definitions_validate_offline_without_tokens_or_io(tmp_path: Path) -> None:
    offline = Offline(tmp_path)

    result = offline.dagster("definitions", "validate", "-w", "workspace.yaml", cwd=REPO)

    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert "All code locations passed validation" in result.stdout + result.stderr
    assert offline.network_attempts() == []
    assert not offline.duckdb_path.exists(), "loading definitions must not open the DuckDB file"


def test_settings_default_to_the_sample_and_check_their_dates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in list(os.environ):
        if name.startswith("DAGSTER_DLT_DEMO_"):
            monkeypatch.delenv(name)

    settings = DemoSettings.from_env()

    assert settings.gharchive_url == SAMPLE_DIR
    assert (settings.start_date, settings.end_date) == (date(2024, 1, 1), date(2024, 1, 5))
    assert settings.duckdb_path == Path("demo.duckdb").resolve()
    assert settings.github_repo == "dagster-io/dagster"
    monkeypatch.setenv(ENV_START_DATE, "2024-02-01")
    monkeypatch.setenv(ENV_END_DATE, "2024-01-01")
    with pytest.raises(ValueError, match=ENV_END_DATE):
        DemoSettings.from_env()


# Schedules


# Dagster's own partitioned schedule still calls its deprecated run_request_for_partition.
@pytest.mark.filterwarnings("ignore:Function `JobDefinition.run_request_for_partition`")
def test_the_daily_schedule_asks_for_yesterdays_partition() -> None:
    from dagster_dlt_demo.definitions import defs

    schedule = defs.resolve_schedule_def("gharchive_daily")

    def partitions_requested(when: datetime) -> list[str]:
        context = build_schedule_context(
            scheduled_execution_time=when, repository_def=defs.get_repository_def()
        )
        return [request.partition_key for request in schedule.evaluate_tick(context).run_requests]

    assert schedule.job_name == "gharchive_job"
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 1 * * *", "UTC")
    assert schedule.default_status.value == "STOPPED"
    assert partitions_requested(datetime(2024, 1, 3, 1, tzinfo=UTC)) == ["2024-01-02"]
    # Past the partitions' end date it keeps to the last day: nothing beyond the sample.
    assert partitions_requested(datetime(2024, 3, 1, 1, tzinfo=UTC)) == ["2024-01-04"]


def test_the_github_schedule_runs_the_github_job() -> None:
    from dagster_dlt_demo.definitions import defs

    schedule = defs.resolve_schedule_def("github_daily")
    context = build_schedule_context(scheduled_execution_time=datetime(2024, 1, 3, 2, tzinfo=UTC))

    requests = schedule.evaluate_tick(context).run_requests

    assert len(requests) == 1
    assert schedule.job_name == "github_job"
    assert schedule.default_status.value == "STOPPED"


# The GitHub assets, against a fake GitHub on 127.0.0.1


def _materialize_github(
    offline: Offline, github: FakeGitHub, **env: str
) -> subprocess.CompletedProcess[str]:
    workdir = offline.root / "work"
    workdir.mkdir(exist_ok=True)
    return offline.dagster(
        "asset",
        "materialize",
        "-m",
        "dagster_dlt_demo.definitions",
        "--select",
        "group:github",
        cwd=workdir,
        DAGSTER_DLT_DEMO_GITHUB_API_URL=github.base_url,
        DAGSTER_DLT_DEMO_GITHUB_REPO=github.repo_name,
        **env,
    )


def test_github_assets_without_a_token_fail_saying_how_to_set_one(tmp_path: Path) -> None:
    offline = Offline(tmp_path)
    with FakeGitHub() as github:
        github.add_demo_data()

        result = _materialize_github(offline, github)

    assert result.returncode != 0
    assert "Materialization failed" in result.stderr
    # The failure as the UI shows it: the event log's, not the terminal's (see step_failures).
    (failure,) = offline.step_failures()
    assert "MissingGitHubToken" in failure
    assert "needs a GitHub access token" in failure
    assert "SOURCES__GITHUB__ACCESS_TOKEN" in failure
    assert {request.token for request in github.requests} <= {None}
    assert offline.network_attempts() == []


def test_github_assets_with_a_token_load_into_their_own_dataset(tmp_path: Path) -> None:
    offline = Offline(tmp_path)
    with FakeGitHub() as github:
        github.add_demo_data(issues=4, pull_requests=2)
        github.add_clones("2024-01-10", count=5, uniques=2)

        result = _materialize_github(offline, github, SOURCES__GITHUB__ACCESS_TOKEN=github.token)

    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert github.token not in output
    assert query(offline.duckdb_path, "SELECT COUNT(*) FROM github.issues") == [(6,)]
    clones = query(offline.duckdb_path, "SELECT count, uniques FROM github.traffic_clones")
    assert (5, 2) in clones
    assert offline.network_attempts() == []
