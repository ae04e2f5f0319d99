"""The GitHub sources, run unchanged (apart from ``base_url``) against `FakeGitHub` into DuckDB."""

import json
import os
import subprocess
import sys
import textwrap
import time
import traceback
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

import dlt
import duckdb
import pytest

from dlt_sources.github import (
    GitHubAPIError,
    GitHubAuthError,
    GitHubPermissionError,
    GitHubRateLimitError,
    MissingGitHubToken,
    github_reactions,
    github_source,
)
from dlt_sources.github.helpers import GitHubClient, rate_limit_wait
from tests.support.fake_github import FakeGitHub

REPO_ROOT = Path(__file__).resolve().parents[2]
TOKEN_ENV = "SOURCES__GITHUB__ACCESS_TOKEN"
DATASET = "github_data"

E = TypeVar("E", bound=BaseException)


@pytest.fixture(autouse=True)
def isolated_dlt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt_data"))
    monkeypatch.delenv(TOKEN_ENV, raising=False)


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    # a small page size makes a dozen items span three pages
    with FakeGitHub(page_size=5) as fake:
        yield fake


@pytest.fixture
def no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    # an empty env value shadows any token in a developer's .dlt/secrets.toml
    monkeypatch.setenv(TOKEN_ENV, "")


@pytest.fixture
def pipeline(tmp_path: Path) -> dlt.Pipeline:
    return dlt.pipeline(
        pipeline_name="github_test",
        destination=dlt.destinations.duckdb(str(tmp_path / "github.duckdb")),
        pipelines_dir=str(tmp_path / "pipelines"),
        dataset_name=DATASET,
    )


def rest_source(github: FakeGitHub, **kwargs: Any) -> Any:
    kwargs.setdefault("access_token", github.token)
    return github_source(github.repo_name, base_url=github.base_url, **kwargs)


def graphql_source(github: FakeGitHub, **kwargs: Any) -> Any:
    kwargs.setdefault("access_token", github.token)
    return github_reactions(github.owner, github.name, base_url=github.base_url, **kwargs)


def rows(pipeline: dlt.Pipeline, sql: str) -> list[tuple[Any, ...]]:
    """Run ``sql`` against the pipeline's DuckDB file; ``{t}`` is the dataset schema."""
    path = Path(pipeline.pipelines_dir).parent / "github.duckdb"
    with duckdb.connect(str(path)) as connection:
        return connection.sql(sql.format(t=DATASET)).fetchall()


def tables(pipeline: dlt.Pipeline) -> set[str]:
    found = rows(
        pipeline,
        "select table_name from information_schema.tables where table_schema = '{t}'",
    )
    return {name for (name,) in found if not name.startswith("_dlt")}


def failure(excinfo: pytest.ExceptionInfo[BaseException], kind: type[E]) -> E:
    """The ``kind`` error that dlt wrapped into ``PipelineStepFailed``."""
    error: BaseException | None = excinfo.value
    while error is not None:
        if isinstance(error, kind):
            return error
        error = error.__cause__ or error.__context__
    raise AssertionError(f"no {kind.__name__} in the chain of {excinfo.value!r}")


def assert_secret_absent(secret: str, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
    text = "".join(traceback.format_exception(excinfo.value))
    assert secret not in text


# REST: github_source


def test_loads_issues_comments_and_clones_over_several_pages(
    github: FakeGitHub, pipeline: dlt.Pipeline
) -> None:
    for i in range(12):
        github.add_issue(f"Issue {i}", labels=("bug",) if i % 2 else ())
    github.add_pull_request("A pull request")
    for number in (1, 2, 3):
        github.add_comment(number, f"Comment on {number}")
    github.add_clones("2024-01-01", 10, 3)
    github.add_clones("2024-01-02", 4, 2)

    pipeline.run(rest_source(github))

    assert rows(pipeline, "select count(*) from {t}.issues") == [(13,)]
    assert rows(pipeline, "select count(*) from {t}.comments") == [(3,)]
    assert rows(pipeline, "select count(*) from {t}.issues__labels") == [(6,)]
    assert rows(
        pipeline,
        "select cast(timestamp as date)::varchar, count from {t}.traffic_clones order by 1",
    ) == [("2024-01-01", 10), ("2024-01-02", 4)]
    # 13 issues at 5 per page, found by following Link: rel="next"
    assert [r.query.get("page", "1") for r in github.requests_to("/issues")] == ["1", "2", "3"]
    assert all(r.token == github.token for r in github.requests)


def test_second_run_loads_only_new_and_updated_items(
    github: FakeGitHub, pipeline: dlt.Pipeline
) -> None:
    for i in range(12):
        github.add_issue(f"Issue {i}")
    comment = github.add_comment(1, "first")
    pipeline.run(rest_source(github).with_resources("issues", "comments"))
    last_updated = rows(pipeline, "select max(updated_at) from {t}.issues")[0][0]

    github.update_issue(3, title="Issue 3, renamed")
    github.add_issue("Issue 13")
    github.update_comment(comment, "first, edited")
    github.requests.clear()
    pipeline.run(rest_source(github).with_resources("issues", "comments"))

    since = github.requests_to("/issues")[0].query["since"]
    assert datetime.fromisoformat(since.replace("Z", "+00:00")) == last_updated
    assert pipeline.last_trace.last_normalize_info.row_counts["issues"] == 2
    assert pipeline.last_trace.last_normalize_info.row_counts["comments"] == 1
    assert rows(pipeline, "select count(*) from {t}.issues") == [(13,)]
    assert rows(pipeline, "select title from {t}.issues where number = 3") == [
        ("Issue 3, renamed",)
    ]
    assert rows(pipeline, "select body from {t}.comments") == [("first, edited",)]


def test_issues_of_a_public_repository_load_without_a_token(
    github: FakeGitHub, pipeline: dlt.Pipeline, no_token: None
) -> None:
    github.add_issue("Public issue")

    pipeline.run(github_source(github.repo_name, base_url=github.base_url).with_resources("issues"))

    assert rows(pipeline, "select title from {t}.issues") == [("Public issue",)]
    assert [r.token for r in github.requests] == [None]


def test_calling_the_sources_does_no_io_and_needs_no_token(
    github: FakeGitHub, no_token: None
) -> None:
    rest = github_source(github.repo_name, base_url=github.base_url)
    graphql = github_reactions(github.owner, github.name, base_url=github.base_url)

    assert set(rest.resources) == {"issues", "comments", "traffic_clones"}
    assert set(graphql.resources) == {"issues", "pull_requests"}
    assert github.requests == []


def test_repo_name_must_be_owner_and_name() -> None:
    with pytest.raises(ValueError, match="owner/name"):
        github_source("just-a-name", access_token=None)


# auth errors


def test_missing_token_says_which_env_var_and_toml_key_to_set(
    github: FakeGitHub, pipeline: dlt.Pipeline, no_token: None
) -> None:
    source = github_source(github.repo_name, base_url=github.base_url)

    with pytest.raises(Exception) as excinfo:
        pipeline.run(source.with_resources("traffic_clones"))

    message = str(failure(excinfo, MissingGitHubToken))
    assert "traffic_clones" in message
    assert "SOURCES__GITHUB__ACCESS_TOKEN" in message
    assert "access_token under [sources.github] in .dlt/secrets.toml" in message
    assert github.requests_to("/traffic/clones") == []


def test_graphql_source_needs_a_token(
    github: FakeGitHub, pipeline: dlt.Pipeline, no_token: None
) -> None:
    source = github_reactions(github.owner, github.name, base_url=github.base_url)

    with pytest.raises(Exception) as excinfo:
        pipeline.run(source)

    assert "SOURCES__GITHUB__ACCESS_TOKEN" in str(failure(excinfo, MissingGitHubToken))
    assert github.requests == []


def test_bad_token_is_reported_as_invalid_without_showing_it(
    github: FakeGitHub, pipeline: dlt.Pipeline
) -> None:
    github.add_issue()
    bad_token = "ghp_ThisTokenWasRevoked0123456789abcdef"

    with pytest.raises(Exception) as excinfo:
        pipeline.run(rest_source(github, access_token=bad_token).with_resources("issues"))

    message = str(failure(excinfo, GitHubAuthError))
    assert "401" in message
    assert "invalid, expired or revoked" in message
    assert TOKEN_ENV in message
    assert_secret_absent(bad_token, excinfo)
    trace = json.dumps(pipeline.last_trace.asdict(), default=str)
    assert bad_token not in trace


def test_token_without_scope_is_told_which_permission_traffic_needs(
    github: FakeGitHub, pipeline: dlt.Pipeline
) -> None:
    source = rest_source(github, access_token=github.token_without_scope)

    with pytest.raises(Exception) as excinfo:
        pipeline.run(source.with_resources("traffic_clones"))

    message = str(failure(excinfo, GitHubPermissionError))
    assert "403" in message
    assert "push access" in message
    assert "Must have push access to repository" in message  # GitHub's own words
    assert_secret_absent(github.token_without_scope, excinfo)


def test_unknown_repository_says_to_check_the_name(
    github: FakeGitHub, pipeline: dlt.Pipeline
) -> None:
    source = github_source("acme/nope", access_token=github.token, base_url=github.base_url)

    with pytest.raises(Exception) as excinfo:
        pipeline.run(source.with_resources("issues"))

    error = failure(excinfo, GitHubAPIError)
    assert error.status_code == 404
    assert "/repos/acme/nope/issues" in str(error)
    assert "Check the repository name" in str(error)


# rate limits


@pytest.mark.parametrize("kind", ["primary", "secondary", "too_many"])
def test_rate_limited_requests_are_retried(
    github: FakeGitHub, pipeline: dlt.Pipeline, kind: Any, caplog: pytest.LogCaptureFixture
) -> None:
    github.add_issue("Survivor")
    github.rate_limit(times=2, kind=kind, reset_in=3600)

    pipeline.run(rest_source(github, rate_limit_max_wait_seconds=0.01).with_resources("issues"))

    assert rows(pipeline, "select title from {t}.issues") == [("Survivor",)]
    assert github.rate_limited_responses == 2
    assert len(github.requests_to("/issues")) == 3
    logged = caplog.text
    assert "rate limit hit" in logged
    assert github.token not in logged


def test_rate_limit_that_does_not_lift_fails_with_reset_time(
    github: FakeGitHub, pipeline: dlt.Pipeline
) -> None:
    github.add_issue()
    github.rate_limit(times=100, kind="primary", reset_in=1800)
    source = rest_source(github, rate_limit_retries=2, rate_limit_max_wait_seconds=0.01)

    started = time.monotonic()
    with pytest.raises(Exception) as excinfo:
        pipeline.run(source.with_resources("issues"))

    error = failure(excinfo, GitHubRateLimitError)
    assert time.monotonic() - started < 10  # the cap, not the hour-long reset, bounds the waits
    assert len(github.requests_to("/issues")) == 3  # first try + 2 retries
    expected_reset = datetime.now(timezone.utc) + timedelta(seconds=1800)
    assert error.reset_at is not None
    assert abs((error.reset_at - expected_reset).total_seconds()) < 30
    message = str(error)
    assert "rate limit hit" in message
    assert "after 2 retries" in message
    assert f"{error.reset_at:%Y-%m-%d %H:%M:%S} UTC" in message
    assert_secret_absent(github.token, excinfo)


def test_graphql_rate_limit_is_retried(github: FakeGitHub, pipeline: dlt.Pipeline) -> None:
    github.add_issue("Liked", reactions=("HEART",))
    github.rate_limit(times=1, kind="primary")

    pipeline.run(graphql_source(github, rate_limit_max_wait_seconds=0.01).with_resources("issues"))

    assert github.rate_limited_responses == 1
    assert rows(pipeline, "select title from {t}.issues") == [("Liked",)]


@pytest.mark.parametrize(
    ("status", "headers", "body_limited", "expected_wait"),
    [
        (429, {"Retry-After": "7"}, False, 7.0),
        (403, {"Retry-After": "3"}, False, 3.0),
        (403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1704067260"}, False, 61.0),
        (200, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1704067230"}, True, 31.0),
        (403, {}, True, 60.0),  # secondary limit announced only in the message
        (403, {"X-RateLimit-Remaining": "12"}, False, None),  # a plain permission error
        (200, {"X-RateLimit-Remaining": "0"}, False, None),  # the last allowed request
    ],
)
def test_rate_limit_wait(
    status: int, headers: dict[str, str], body_limited: bool, expected_wait: float | None
) -> None:
    now = datetime(2024, 1, 1, tzinfo=timezone.utc)  # epoch 1704067200

    result = rate_limit_wait(status, headers, body_limited, now=now)

    assert (result[0] if result else None) == expected_wait


# GraphQL: github_reactions


def test_graphql_pages_with_cursors_and_loads_reactions_and_comments(
    github: FakeGitHub, pipeline: dlt.Pipeline
) -> None:
    for i in range(7):
        github.add_issue(f"Issue {i}", reactions=("THUMBS_UP",) * i)
    github.add_comment(7, "newest issue's comment", reactions=("HOORAY", "EYES"))
    for i in range(4):
        github.add_pull_request(f"PR {i}", state="merged" if i % 2 else "open", comments=("LGTM",))

    pipeline.run(graphql_source(github, items_per_page=3))

    assert rows(pipeline, "select count(*) from {t}.issues") == [(7,)]
    assert rows(pipeline, "select count(*) from {t}.pull_requests") == [(4,)]
    assert rows(pipeline, "select count(*) from {t}.issues__reactions") == [(21,)]
    assert rows(pipeline, "select content from {t}.issues__comments__reactions order by 1") == [
        ("EYES",),
        ("HOORAY",),
    ]
    assert rows(pipeline, "select sum(reactions_total_count) from {t}.issues") == [(21,)]
    assert rows(pipeline, "select count(*) from {t}.pull_requests where merged") == [(2,)]
    assert {"issues__comments", "pull_requests__comments"} <= tables(pipeline)
    issue_pages = [
        r.json["variables"] for r in github.requests_to("/graphql") if "issues(" in r.json["query"]
    ]
    assert [page["first"] for page in issue_pages] == [3, 3, 3]
    assert issue_pages[0]["after"] is None
    assert issue_pages[1]["after"] and issue_pages[2]["after"] != issue_pages[1]["after"]


def test_max_items_caps_each_resource(github: FakeGitHub, pipeline: dlt.Pipeline) -> None:
    for i in range(10):
        github.add_issue(f"Issue {i}")
    for i in range(2):
        github.add_pull_request(f"PR {i}")

    pipeline.run(graphql_source(github, items_per_page=3, max_items=4))

    # newest first: issues 10, 9, 8 and 7 (pull requests took numbers 11 and 12)
    assert rows(pipeline, "select number from {t}.issues order by number") == [
        (7,),
        (8,),
        (9,),
        (10,),
    ]
    assert rows(pipeline, "select count(*) from {t}.pull_requests") == [(2,)]
    issue_pages = [
        r.json["variables"]["first"]
        for r in github.requests_to("/graphql")
        if "issues(" in r.json["query"]
    ]
    assert issue_pages == [3, 1]


def test_graphql_reports_an_unknown_repository(github: FakeGitHub, pipeline: dlt.Pipeline) -> None:
    source = github_reactions("acme", "nope", access_token=github.token, base_url=github.base_url)

    with pytest.raises(Exception) as excinfo:
        pipeline.run(source.with_resources("issues"))

    message = str(failure(excinfo, GitHubAPIError))
    assert "Could not resolve to a Repository with the name 'acme/nope'" in message
    assert "owner and name" in message


# where the token comes from


def test_token_is_read_from_env_var(
    github: FakeGitHub, pipeline: dlt.Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    github.add_clones("2024-01-01", 5, 2)
    github.add_issue("Reacted", reactions=("ROCKET",))
    monkeypatch.setenv(TOKEN_ENV, github.token)

    pipeline.run(
        github_source(github.repo_name, base_url=github.base_url).with_resources("traffic_clones")
    )
    pipeline.run(
        github_reactions(github.owner, github.name, base_url=github.base_url).with_resources(
            "issues"
        )
    )

    assert rows(pipeline, "select count from {t}.traffic_clones") == [(5,)]
    assert rows(pipeline, "select title from {t}.issues") == [("Reacted",)]
    assert {r.token for r in github.requests} == {github.token}


def test_token_and_repo_name_are_read_from_dlt_toml_files(
    github: FakeGitHub, tmp_path: Path
) -> None:
    github.add_clones("2024-01-02", 9, 4)
    project = tmp_path / "project"
    (project / ".dlt").mkdir(parents=True)
    (project / ".dlt" / "secrets.toml").write_text(
        f'[sources.github]\naccess_token = "{github.token}"\n'
    )
    (project / ".dlt" / "config.toml").write_text(
        f'[sources.github]\nrepo_name = "{github.repo_name}"\nbase_url = "{github.base_url}"\n'
    )
    script = textwrap.dedent(
        """
        from dlt_sources.github import github_source

        clones = list(github_source().with_resources("traffic_clones"))
        print(sum(day["count"] for day in clones))
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOURCES__")}
    env["PYTHONPATH"] = str(REPO_ROOT)

    # a fresh interpreter, because dlt reads .dlt/ of the working directory once per process
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=project, env=env, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "9"
    assert {r.token for r in github.requests} == {github.token}


# the client


def test_client_keeps_the_token_out_of_its_repr() -> None:
    client = GitHubClient("https://api.github.com", "ghp_secret_value")

    assert "ghp_secret_value" not in repr(client)
    assert "authenticated=True" in repr(client)


def test_enterprise_graphql_endpoint_is_derived_from_the_rest_root() -> None:
    assert (
        GitHubClient("https://ghe.example.com/api/v3", None).graphql_url
        == "https://ghe.example.com/api/graphql"
    )
    assert GitHubClient("https://api.github.com/", None).graphql_url == (
        "https://api.github.com/graphql"
    )
