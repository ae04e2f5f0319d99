"""Every example under ``docs_snippets/``, imported and run for real.

Each test imports its snippet afresh (snippets build dlt sources and pipelines at import, from the
environment the test set up), checks that importing did no network I/O, then materializes it:
DuckDB files in ``tmp_path``, HTTP against local servers on 127.0.0.1. These tests go into each
snippet in depth (fake APIs that count requests, failures, schedules); tests/docs/test_docs_outside_repo.py
runs each page's files as a reader would, copied into an empty folder.
"""

import ast
import json
import os
import pkgutil
import re
import runpy
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dagster import (
    AssetKey,
    DagsterInstance,
    Definitions,
    ExecuteInProcessResult,
    build_schedule_context,
    materialize,
)
from pytest_httpserver import HTTPServer
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug import Request, Response

import dlt_sources.github
import docs_snippets
from dagster_dlt import DltConfigurationError
from tests.support.fake_github import FakeGitHub
from tests.support.snippets import SNIPPETS, load_snippet

REPO = Path(__file__).resolve().parents[2]

pytest_plugins = ["tests.support.snowflake_emulator"]

pytestmark = [
    # fakesnow triggers this with DuckDB 2; it says nothing about our code.
    pytest.mark.filterwarnings("ignore:Arrow output on a DB-API result:UserWarning"),
    # progress="log" in the guide's pipeline asks for psutil, which the test extra does not install.
    pytest.mark.filterwarnings("ignore:psutil dependency is not installed:UserWarning"),
    # Dagster's own build_schedule_from_partitioned_job calls a method it deprecated.
    pytest.mark.filterwarnings("ignore:Function `JobDefinition.run_request_for_partition`"),
]


def snippet_text(name: str) -> str:
    """The text of a snippet that is not a module, e.g. ``dlt_tutorial.config.toml``."""
    return (REPO / "docs_snippets" / name).read_text()


def run(defs: Definitions, **kwargs: Any) -> ExecuteInProcessResult:
    """Materialize every asset of ``defs`` with its resources, as ``dagster asset materialize``."""
    return materialize(list(defs.assets or []), resources=dict(defs.resources or {}), **kwargs)


def materialized(result: ExecuteInProcessResult) -> dict[AssetKey, dict[str, Any]]:
    """Asset key -> its materialization metadata, values unwrapped."""
    return {
        e.asset_key: {k: getattr(v, "value", v) for k, v in e.materialization.metadata.items()}
        for e in result.get_asset_materialization_events()
    }


def query(database: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(database), read_only=True) as conn:
        return conn.execute(sql).fetchall()


# --- a fake of the quick start's example API ------------------------------------------------------

API_KEY = "example-key-0f9c"
COURSES = [{"id": i, "title": f"Course {i}"} for i in (1, 2, 3)]
USERS = [
    {"id": i, "name": f"user{i}", "enrollments": [{"course_id": 1 + i % 3}]} for i in range(1, 6)
]
PAGE_SIZE = 2


class ExampleApi:
    """``/v1/courses`` and ``/v1/users``: a bearer key is required, pages link to the next one."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.rows = {"courses": COURSES, "users": USERS}
        server.expect_request(re.compile(r"^/v1/(courses|users)$")).respond_with_handler(
            self._answer
        )

    @property
    def base_url(self) -> str:
        return self.server.url_for("/v1")

    def requests(self, endpoint: str = "") -> list[Request]:
        """The requests received, all or those to one endpoint ("courses", "users")."""
        return [r for r, _ in self.server.log if not endpoint or r.path == f"/v1/{endpoint}"]

    def _answer(self, request: Request) -> Response:
        if request.headers.get("Authorization") != f"Bearer {API_KEY}":
            return Response(
                json.dumps({"error": "invalid API key"}), 401, mimetype="application/json"
            )
        endpoint = request.path.rsplit("/", 1)[-1]
        page = int(request.args.get("page", 1))
        rows = self.rows[endpoint]
        more = page * PAGE_SIZE < len(rows)
        body = {
            "items": rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
            "next": f"{self.base_url}/{endpoint}?page={page + 1}" if more else None,
        }
        return Response(json.dumps(body), mimetype="application/json")


@pytest.fixture
def api_server() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def example_api(api_server: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> ExampleApi:
    """The example API, and the two variables that point the ``example`` source at it."""
    api = ExampleApi(api_server)
    monkeypatch.setenv("SOURCES__EXAMPLE__BASE_URL", api.base_url)
    monkeypatch.setenv("SOURCES__EXAMPLE__API_KEY", API_KEY)
    return api


def example_rows(name: str) -> list[dict[str, Any]]:
    """The rows ``example_source.py`` yields (``COURSES``, ``USERS``), as the last snippet loaded them."""
    return getattr(sys.modules["example_source"], name)


COURSES_KEY = AssetKey("dlt_example_courses")
USERS_KEY = AssetKey("dlt_example_users")


# --- quickstart.py --------------------------------------------------------------------------------


def test_quickstart_loads_every_page_of_both_resources(example_api: ExampleApi, tmp_path: Path):
    quickstart = load_snippet("quickstart")
    assert example_api.requests() == []  # importing the definitions made no request

    result = run(quickstart.defs)

    assert result.success
    metadata = materialized(result)
    assert set(metadata) == {COURSES_KEY, USERS_KEY}
    assert metadata[COURSES_KEY]["rows_loaded"] == 3
    assert metadata[USERS_KEY]["rows_loaded"] == 5
    assert metadata[USERS_KEY]["dagster/table_name"] == "example_pipeline.example_data.users"
    # 3 courses and 5 users in pages of 2: every page was followed, each with the key.
    assert len(example_api.requests("courses")) == 2
    assert len(example_api.requests("users")) == 3
    database = tmp_path / "example_pipeline.duckdb"
    assert query(database, "SELECT id, title FROM example_data.courses ORDER BY id") == [
        (c["id"], c["title"]) for c in COURSES
    ]
    assert query(database, "SELECT COUNT(*) FROM example_data.users__enrollments") == [(5,)]


def test_quickstart_without_the_api_key_names_the_variable_to_set(
    example_api: ExampleApi, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("SOURCES__EXAMPLE__API_KEY")
    quickstart = load_snippet("quickstart")  # definitions load without the secret

    result = run(quickstart.defs, raise_on_error=False)

    assert not result.success
    error = result.get_step_failure_events()[0].step_failure_data.error
    assert error.cls_name == DltConfigurationError.__name__
    assert "SOURCES__EXAMPLE__API_KEY" in error.message
    assert example_api.requests() == []


# --- github_snowflake.py --------------------------------------------------------------------------


@pytest.fixture
def dagster_repo_on_fake_github(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    """``dagster-io/dagster`` on FakeGitHub with 260 issues, and the token and URL in dlt's env."""
    # The guide imports the verified source that `dlt init github snowflake` writes into github/;
    # this repository's dlt_sources/github is that drop-in.
    monkeypatch.setitem(sys.modules, "github", dlt_sources.github)
    with FakeGitHub(owner="dagster-io", name="dagster") as github:
        github.add_demo_data(issues=5, pull_requests=3)
        for _ in range(255):
            github.add_issue()
        monkeypatch.setenv("SOURCES__GITHUB__BASE_URL", github.base_url)
        monkeypatch.setenv("SOURCES__GITHUB__ACCESS_TOKEN", github.token)
        yield github


def test_github_snowflake_runs_unchanged_into_duckdb_through_a_named_destination(
    dagster_repo_on_fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    github = dagster_repo_on_fake_github
    # dlt's named destinations: destination="snowflake" now means a DuckDB destination named
    # "snowflake", writing to this file. The snippet's code is the guide's, unchanged.
    database = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("DESTINATION__SNOWFLAKE__DESTINATION_TYPE", "duckdb")
    monkeypatch.setenv("DESTINATION__SNOWFLAKE__CREDENTIALS", str(database))
    snippet = load_snippet("github_snowflake")
    assert github.requests == []

    result = run(snippet.defs)

    assert result.success
    metadata = materialized(result)
    issues, pull_requests = (
        AssetKey("dlt_github_reactions_issues"),
        AssetKey("dlt_github_reactions_pull_requests"),
    )
    assert set(metadata) == {issues, pull_requests}
    # max_items=250 of the 260 issues, newest (#263: numbered with the pull requests) first.
    assert query(database, "SELECT COUNT(*), MAX(number) FROM github.issues") == [(250, 263)]
    assert query(database, "SELECT COUNT(*) FROM github.pull_requests") == [(3,)]
    assert metadata[issues]["rows_loaded"] == 250
    assert metadata[issues]["dagster/table_name"] == "warehouse.github.issues"
    assert {r.token for r in github.requests} == {github.token}
    spec = snippet.dagster_github_assets.specs_by_key[issues]
    assert spec.group_name == "github"
    assert {"dlt", "snowflake"} <= set(spec.kinds)


def test_github_snowflake_runs_unchanged_against_the_snowflake_emulator(
    dagster_repo_on_fake_github: FakeGitHub,
    snowflake_env: dict[str, str],
    snowflake_emulator: Any,
    snowflake_database: str,
):
    # Credentials from DESTINATION__SNOWFLAKE__CREDENTIALS__* only: the guide's code as it is,
    # through the real snowflake-connector-python, into the fakesnow emulator.
    snippet = load_snippet("github_snowflake")

    result = run(snippet.defs)

    assert result.success
    issues = AssetKey("dlt_github_reactions_issues")
    metadata = materialized(result)[issues]
    assert metadata["rows_loaded"] == 250
    assert metadata["dagster/table_name"] == f"{snowflake_database.upper()}.GITHUB.ISSUES"
    assert snowflake_emulator.query(snowflake_database, "SELECT COUNT(*) FROM GITHUB.ISSUES") == [
        (250,)
    ]
    assert snowflake_emulator.query(
        snowflake_database, "SELECT COUNT(*) FROM GITHUB.PULL_REQUESTS"
    ) == [(3,)]
    assert snowflake_env["DESTINATION__SNOWFLAKE__CREDENTIALS__PASSWORD"] not in str(metadata)


def test_github_snowflake_without_credentials_fails_naming_them(
    dagster_repo_on_fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
):
    for name in list(os.environ):
        if name.startswith("DESTINATION__"):
            monkeypatch.delenv(name)
    snippet = load_snippet("github_snowflake")

    result = run(snippet.defs, raise_on_error=False)

    assert not result.success
    error = result.get_step_failure_events()[0].step_failure_data.error
    assert error.cls_name == DltConfigurationError.__name__
    for variable in ("DATABASE", "HOST"):
        assert f"DESTINATION__SNOWFLAKE__CREDENTIALS__{variable}" in error.message
    assert dagster_repo_on_fake_github.requests == []  # failed before reading GitHub


# --- translator_rename.py -------------------------------------------------------------------------


def test_translator_rename_keys_the_assets_by_source_and_resource(tmp_path: Path):
    snippet = load_snippet("translator_rename")
    assets = snippet.renamed_example_assets
    courses, users = AssetKey(["example", "courses"]), AssetKey(["example", "users"])
    assert set(assets.keys) == {courses, users}
    # Only the key changed: the upstream dep and the description are the defaults.
    assert {dep.asset_key for dep in assets.specs_by_key[courses].deps} == {
        AssetKey("example_courses")
    }
    assert assets.specs_by_key[courses].description == "Courses on offer."

    result = run(snippet.defs)

    assert result.success
    assert set(materialized(result)) == {courses, users}
    assert query(
        tmp_path / "example_pipeline.duckdb", "SELECT COUNT(*) FROM example_data.courses"
    ) == [(3,)]


# --- upstream_metadata.py -------------------------------------------------------------------------


def test_upstream_metadata_declares_each_upstream_key_with_group_and_metadata():
    snippet = load_snippet("upstream_metadata")
    graph = snippet.defs.resolve_asset_graph()
    upstream = {AssetKey("example_courses"), AssetKey("example_users")}

    for key in upstream:
        node = graph.get(key)
        assert not node.is_materializable
        assert node.group_name == "example_api"
        assert node.metadata["url"] == snippet.API_URL
        assert "api" in node.kinds
    assert graph.get(COURSES_KEY).parent_keys == {AssetKey("example_courses")}

    result = run(snippet.defs)

    assert result.success
    assert set(materialized(result)) == {COURSES_KEY, USERS_KEY}


# --- custom_deps.py -------------------------------------------------------------------------------


def test_custom_deps_give_specs_and_assets_the_same_upstream():
    snippet = load_snippet("custom_deps")
    assets = snippet.example_from_api_assets

    assert (
        {spec.key for spec in snippet.example_specs} == set(assets.keys) == {COURSES_KEY, USERS_KEY}
    )
    for spec in snippet.example_specs:
        assert [dep.asset_key for dep in spec.deps] == [AssetKey("example_api")]
        assert [dep.asset_key for dep in assets.specs_by_key[spec.key].deps] == [
            AssetKey("example_api")
        ]
    graph = snippet.defs.resolve_asset_graph()
    assert graph.get(AssetKey("example_api")).child_keys == {COURSES_KEY, USERS_KEY}

    result = run(snippet.defs)

    assert result.success
    assert set(materialized(result)) == {COURSES_KEY, USERS_KEY}


# --- downstream.py --------------------------------------------------------------------------------


def test_downstream_asset_depends_on_the_dlt_key_and_reads_the_loaded_table():
    snippet = load_snippet("downstream")
    assert snippet.courses_key == COURSES_KEY
    graph = snippet.defs.resolve_asset_graph()
    assert graph.get(AssetKey("course_titles")).parent_keys == {COURSES_KEY}

    result = run(snippet.defs)

    assert result.success
    titles = materialized(result)[AssetKey("course_titles")]
    assert titles["course_count"] == 3
    assert titles["titles"] == [c["title"] for c in example_rows("COURSES")]


# --- downstream_guide.py --------------------------------------------------------------------------


def test_the_guides_downstream_example_runs_as_written():
    snippet = load_snippet("downstream_guide")
    assert snippet.courses_asset_key == COURSES_KEY
    graph = snippet.defs.resolve_asset_graph()
    assert graph.get(AssetKey("example_downstream_asset")).parent_keys == {COURSES_KEY}
    assert graph.get(COURSES_KEY).kinds == {"dlt", "duckdb"}

    result = run(snippet.defs)

    assert result.success
    assert AssetKey("example_downstream_asset") in materialized(result)


# --- static_partitions.py -------------------------------------------------------------------------


def test_static_partition_key_reaches_the_source(tmp_path: Path):
    snippet = load_snippet("static_partitions")
    database = tmp_path / "paints_by_color.duckdb"

    green = run(snippet.defs, partition_key="green")
    blue = run(snippet.defs, partition_key="blue")

    assert green.success and blue.success
    assert query(
        database, "SELECT color, COUNT(*) FROM paint_shop.paints GROUP BY 1 ORDER BY 1"
    ) == [
        ("blue", 2),
        ("green", 1),
    ]
    event = blue.get_asset_materialization_events()[0]
    assert event.partition == "blue"
    assert materialized(blue)[AssetKey("dlt_paint_shop_paints")]["rows_loaded"] == 2


# --- partitions_time_window.py --------------------------------------------------------------------


def orders_by_day(database: Path) -> dict[str, int]:
    rows = query(
        database,
        "SELECT CAST(placed_at AS DATE)::VARCHAR, COUNT(*), COUNT(DISTINCT id) FROM shop.orders "
        "GROUP BY 1 ORDER BY 1",
    )
    assert all(count == distinct for _, count, distinct in rows), "duplicated orders"
    return {day: count for day, count, _ in rows}


def test_time_window_partitions_load_exactly_their_day(tmp_path: Path):
    snippet = load_snippet("partitions_time_window")
    database = tmp_path / "shop_orders.duckdb"
    orders = AssetKey("dlt_shop_orders")

    third = run(snippet.defs, partition_key="2024-01-03")
    assert orders_by_day(database) == {"2024-01-03": 24}
    assert materialized(third)[orders]["rows_loaded"] == 24

    # An earlier day after a later one: the stored cursor neither skipped it nor moved.
    run(snippet.defs, partition_key="2024-01-01")
    assert orders_by_day(database) == {"2024-01-01": 24, "2024-01-03": 24}

    # Running a partition again reloads the same window; merge leaves no duplicates.
    again = run(snippet.defs, partition_key="2024-01-01")
    assert materialized(again)[orders]["rows_loaded"] == 24
    assert orders_by_day(database) == {"2024-01-01": 24, "2024-01-03": 24}


def test_time_window_backfill_loads_the_whole_range_in_one_run(tmp_path: Path):
    snippet = load_snippet("partitions_time_window")
    database = tmp_path / "shop_orders.duckdb"

    result = run(
        snippet.defs,
        tags={
            "dagster/asset_partition_range_start": "2024-01-04",
            "dagster/asset_partition_range_end": "2024-01-05",
        },
    )

    assert result.success
    assert orders_by_day(database) == {"2024-01-04": 24, "2024-01-05": 24}
    events = result.get_asset_materialization_events()
    assert sorted(e.partition for e in events) == ["2024-01-04", "2024-01-05"]
    assert materialized(result)[AssetKey("dlt_shop_orders")]["rows_loaded"] == 48


# --- single_writer_pool.py ------------------------------------------------------------------------


def test_single_writer_pool_puts_both_pipelines_in_one_pool_and_file(tmp_path: Path):
    snippet = load_snippet("single_writer_pool")
    assert snippet.example_to_warehouse.op.pool == "duckdb_warehouse"
    assert snippet.paints_to_warehouse.op.pool == "duckdb_warehouse"
    assert snippet.defs.resources["dlt"].lock_timeout_seconds == 1800

    result = run(snippet.defs)

    assert result.success
    database = tmp_path / "warehouse.duckdb"
    assert query(database, "SELECT COUNT(*) FROM example.courses") == [(3,)]
    assert query(database, "SELECT COUNT(*) FROM paint_shop.paints") == [(5,)]
    # Loads into the file were serialised on its lock file.
    assert (tmp_path / "warehouse.duckdb.lock").exists()


# --- jobs_schedules.py ----------------------------------------------------------------------------


def test_schedules_request_runs_of_their_jobs(tmp_path: Path):
    snippet = load_snippet("jobs_schedules")
    defs = snippet.defs

    morning = defs.resolve_schedule_def("example_every_morning")
    assert morning.job_name == "example_job"
    assert morning.cron_schedule == "0 6 * * *"
    tick = datetime(2024, 1, 3, 6, tzinfo=timezone.utc)
    with DagsterInstance.ephemeral() as instance:
        [request] = morning.evaluate_tick(
            build_schedule_context(instance=instance, scheduled_execution_time=tick)
        ).run_requests
        assert request.partition_key is None

        nightly = defs.resolve_schedule_def("orders_every_night")
        night = datetime(2024, 1, 3, 1, tzinfo=timezone.utc)
        [request] = nightly.evaluate_tick(
            build_schedule_context(
                instance=instance,
                scheduled_execution_time=night,
                repository_def=defs.get_repository_def(),
            )
        ).run_requests
    assert request.partition_key == "2024-01-02"

    job = defs.resolve_job_def("orders_job")
    assert job.execute_in_process(partition_key=request.partition_key).success
    assert orders_by_day(tmp_path / "shop_orders.duckdb") == {"2024-01-02": 24}
    assert set(defs.resolve_job_def("example_job").asset_layer.selected_asset_keys) == {
        COURSES_KEY,
        USERS_KEY,
    }


# --- sql_database_deferred.py ---------------------------------------------------------------------


@pytest.fixture
def sqlalchemy_statements() -> Iterator[list[str]]:
    """Every statement any SQLAlchemy engine sends, in order."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    yield statements
    event.remove(Engine, "before_cursor_execute", record)


def make_shop_database() -> None:
    """``python shop_db.py``, as the page says: creates ``shop.db`` in the working directory."""
    runpy.run_path(str(SNIPPETS / "shop_db.py"))


def test_sql_database_definitions_load_without_touching_the_database(
    sqlalchemy_statements: list[str], tmp_path: Path
):
    snippet = load_snippet("sql_database_deferred")

    # Not a statement, and not even a connection: SQLite would have created the file.
    assert sqlalchemy_statements == []
    assert not (tmp_path / "shop.db").exists()
    assert set(snippet.shop_database_assets.keys) == {
        AssetKey("dlt_sql_database_customers"),
        AssetKey("dlt_sql_database_orders"),
    }

    make_shop_database()
    with sqlite3.connect(tmp_path / "shop.db") as shop:
        assert shop.execute("SELECT COUNT(*) FROM orders").fetchone() == (3,)
    result = run(snippet.defs)

    assert result.success
    assert sqlalchemy_statements  # the run did reflect and read the tables
    database = tmp_path / "shop_database.duckdb"
    assert query(database, "SELECT id, name FROM shop.customers ORDER BY id") == [
        (1, "ada"),
        (2, "grace"),
    ]
    assert query(database, "SELECT SUM(total) FROM shop.orders") == [(19.75,)]


# --- dlt_tutorial.py ------------------------------------------------------------------------------


@pytest.fixture
def private_repo() -> Iterator[FakeGitHub]:
    """A private repository: anonymous requests get 404, so only a token loads anything."""
    with FakeGitHub(private=True) as github:
        github.add_demo_data(issues=5, pull_requests=3)
        yield github


def test_dlt_tutorial_with_environment_variables(
    private_repo: FakeGitHub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    github = private_repo
    monkeypatch.setenv("SOURCES__GITHUB__REPO_NAME", github.repo_name)
    monkeypatch.setenv("SOURCES__GITHUB__ACCESS_TOKEN", github.token)
    monkeypatch.setenv("SOURCES__GITHUB__BASE_URL", github.base_url)
    snippet = load_snippet("dlt_tutorial")
    assert github.requests == []
    database = tmp_path / "github_tutorial.duckdb"

    first = run(snippet.defs)

    assert first.success
    assert set(materialized(first)) == {
        AssetKey("dlt_github_source_issues"),
        AssetKey("dlt_github_source_comments"),
    }
    assert query(database, "SELECT COUNT(*) FROM github_data.issues") == [(8,)]
    comments = query(database, "SELECT COUNT(*) FROM github_data.comments")[0][0]
    assert comments > 0
    assert {r.token for r in github.requests} == {github.token}

    # The next run asks only for what changed since the last one, and merges it.
    github.update_issue(1, title="Renamed")
    requests_before = len(github.requests)
    second = run(snippet.defs)

    assert second.success
    since = {r.query.get("since") for r in github.requests[requests_before:]}
    assert "1970-01-01T00:00:00Z" not in since
    assert query(database, "SELECT COUNT(*) FROM github_data.issues") == [(8,)]
    assert query(database, "SELECT title FROM github_data.issues WHERE number = 1") == [
        ("Renamed",)
    ]
    assert query(database, "SELECT COUNT(*) FROM github_data.comments") == [(comments,)]


def test_dlt_tutorial_with_dlt_toml_files_in_the_project_directory(
    private_repo: FakeGitHub, tmp_path: Path
):
    github = private_repo
    project = tmp_path / "project"
    (project / ".dlt").mkdir(parents=True)
    # The documented files, pointed at the fake: the same sections and keys, other values.
    config = snippet_text("dlt_tutorial.config.toml")
    config = config.replace('"dlt-hub/dlt"', f'"{github.repo_name}"')
    config = config.replace(
        '# base_url = "https://api.github.com"', f'base_url = "{github.base_url}"'
    )
    secrets = snippet_text("dlt_tutorial.secrets.toml").replace("ghp_your_token", github.token)
    assert github.repo_name in config and github.base_url in config and github.token in secrets
    (project / ".dlt" / "config.toml").write_text(config)
    (project / ".dlt" / "secrets.toml").write_text(secrets)
    (project / "dlt_tutorial.py").write_text(snippet_text("dlt_tutorial.py"))
    # Nothing dlt could read instead of the project's files.
    ignored = ("SOURCES__", "DESTINATION__", "DLT_PROJECT_DIR", "PYTHONPATH")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ignored)}
    env.update(
        DAGSTER_HOME=str(tmp_path / "dagster_home"),
        DLT_DATA_DIR=str(tmp_path / "dlt_data"),
    )
    (tmp_path / "dagster_home").mkdir()
    dagster = str(Path(sys.executable).with_name("dagster"))

    # dlt reads .dlt/ in the working directory, as when `dagster dev` runs in the project.
    done = subprocess.run(
        [dagster, "asset", "materialize", "-f", "dlt_tutorial.py", "--select", "*"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert query(project / "github_tutorial.duckdb", "SELECT COUNT(*) FROM github_data.issues") == [
        (8,)
    ]
    assert github.requests and {r.token for r in github.requests} == {github.token}


# --- secrets_envvar.py ----------------------------------------------------------------------------


def test_secret_from_dagster_envvar_reaches_the_resources(
    example_api: ExampleApi, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("SOURCES__EXAMPLE__API_KEY")
    monkeypatch.delenv("EXAMPLE_API_KEY", raising=False)
    snippet = load_snippet("secrets_envvar")  # EnvVar is read when a run starts, not at import
    monkeypatch.setenv("EXAMPLE_API_KEY", API_KEY)

    result = run(snippet.defs)

    assert result.success
    assert materialized(result)[COURSES_KEY]["rows_loaded"] == 3
    assert {r.headers["Authorization"] for r in example_api.requests()} == {f"Bearer {API_KEY}"}


# --- asset_specs.py -------------------------------------------------------------------------------


def test_asset_specs_describe_keys_deps_kinds_and_tables():
    snippet = load_snippet("asset_specs")

    assert snippet.describe() == [
        "dlt_example_courses <- example_courses kinds=['dlt', 'duckdb'] table=courses",
        "dlt_example_users <- example_users kinds=['dlt', 'duckdb'] table=users",
    ]


# --- row_counts.py --------------------------------------------------------------------------------


def test_row_counts_come_from_the_destination():
    snippet = load_snippet("row_counts")

    run(snippet.defs)
    second = run(snippet.defs)

    metadata = materialized(second)
    # Merged on id: the second run loaded every row again, and the tables hold each row once.
    assert metadata[COURSES_KEY]["rows_loaded"] == 3
    assert metadata[COURSES_KEY]["dagster/row_count"] == 3
    assert metadata[USERS_KEY]["dagster/row_count"] == len(example_rows("USERS")) == 2


# --- after_the_load.py ----------------------------------------------------------------------------


def test_after_the_load_the_load_info_and_the_dataset_are_reachable():
    snippet = load_snippet("after_the_load")

    with DagsterInstance.ephemeral() as instance:
        result = run(snippet.defs, instance=instance)
        assert result.success
        logs = [entry.user_message for entry in instance.all_logs(result.run_id)]

    load_ids = materialized(result)[COURSES_KEY]["load_ids"]
    assert f"dlt loaded {load_ids[0]}" in logs
    assert "3 courses now: Advanced, Expert, Intro" in logs


# --- every snippet has a test ---------------------------------------------------------------------


def snippets_used_by_tests() -> set[str]:
    """The snippets the test modules load (``load_snippet``) or read (``snippet_text``), read
    from their source: this module and the feature-specific ones (test_data_access_docs.py...),
    and those tests/docs/test_docs_outside_repo.py writes into a folder and runs, from its pages."""
    from tests.docs.test_docs_outside_repo import snippets_run_outside

    used = set(snippets_run_outside())
    for path in sorted((REPO / "tests").rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (
                isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
            ):
                continue
            name = getattr(node.func, "id", None)
            if name == "load_snippet":
                used.add(f"{node.args[0].value}.py")
            elif name == "snippet_text":
                used.add(node.args[0].value)
    return used


def test_every_snippet_is_run_by_a_test():
    modules = {f"{info.name}.py" for info in pkgutil.iter_modules(docs_snippets.__path__)}
    # Data and configuration files, in subfolders too (orders_drop/001.jsonl); not the
    # components' examples (tests/components/test_components_docs.py), nor ruff's settings for the folder.
    others = {
        path.relative_to(SNIPPETS).as_posix()
        for path in SNIPPETS.rglob("*")
        if path.is_file()
        and path.suffix not in (".py", ".pyc")
        and path.relative_to(SNIPPETS).parts[0] not in ("components", "__pycache__")
        and not path.relative_to(SNIPPETS).parts[0].startswith(".")  # caches
        and path.name != "ruff.toml"
    }
    snippets = modules | others

    assert modules, "docs_snippets has no modules"
    assert snippets - snippets_used_by_tests() == set(), "snippets without a test"
    assert snippets_used_by_tests() - snippets == set(), "tests of snippets that do not exist"
