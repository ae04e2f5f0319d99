"""GitHub sources: issues, comments and clone traffic over REST; issues and pull requests with
their reactions and comments over GraphQL.

Calling a source function does no I/O and needs no token; the token is checked when a resource
runs, so the sources can be built while Dagster definitions load offline.
"""

from collections.abc import Iterator, Sequence
from typing import Any, Optional

import dlt
from dlt.common import logger
from dlt.common.schema.typing import TColumnSchema
from dlt.sources import DltResource

from .exceptions import (
    GitHubAPIError,
    GitHubAuthError,
    GitHubError,
    GitHubPermissionError,
    GitHubRateLimitError,
    MissingGitHubToken,
)
from .helpers import GitHubClient, graphql_items
from .queries import ISSUES_QUERY, PULL_REQUESTS_QUERY
from .settings import (
    GITHUB_API_URL,
    INCREMENTAL_START,
    RATE_LIMIT_MAX_WAIT_SECONDS,
    RATE_LIMIT_RETRIES,
    REST_PAGE_SIZE,
)

__all__ = [
    "GITHUB_API_URL",
    "GitHubAPIError",
    "GitHubAuthError",
    "GitHubError",
    "GitHubPermissionError",
    "GitHubRateLimitError",
    "MissingGitHubToken",
    "github_reactions",
    "github_source",
]

# Often null in a whole load (no issue closed yet); typed here so the columns always exist.
_ISSUE_COLUMNS: dict[str, TColumnSchema] = {
    "closed_at": {"data_type": "timestamp", "nullable": True},
    "body": {"data_type": "text", "nullable": True},
}
_REST_ISSUE_COLUMNS: dict[str, TColumnSchema] = {
    **_ISSUE_COLUMNS,
    "pull_request__merged_at": {"data_type": "timestamp", "nullable": True},
}
_PULL_REQUEST_COLUMNS: dict[str, TColumnSchema] = {
    **_ISSUE_COLUMNS,
    "merged_at": {"data_type": "timestamp", "nullable": True},
}

_ISSUES_PERMISSION = (
    "reading issues and comments of a private repository needs the classic 'repo' scope "
    "or the fine-grained 'Issues: read' permission"
)
_TRAFFIC_PERMISSION = (
    "reading traffic needs push access to the repository: the classic 'repo' scope "
    "or the fine-grained 'Administration: read' permission"
)
_GRAPHQL_PERMISSION = (
    "reading issues and pull requests needs the classic 'repo' scope for private repositories, "
    "or the fine-grained 'Issues: read' and 'Pull requests: read' permissions"
)


@dlt.source(name="github", section="github")
def github_source(
    repo_name: str = dlt.config.value,
    access_token: Optional[str] = dlt.secrets.value,
    base_url: str = GITHUB_API_URL,
    rate_limit_retries: int = RATE_LIMIT_RETRIES,
    rate_limit_max_wait_seconds: float = RATE_LIMIT_MAX_WAIT_SECONDS,
) -> Sequence[DltResource]:
    """Issues, comments and clone traffic of one repository from GitHub's REST API.

    Resources:
        issues: Issues and pull requests (GitHub lists both), merged on ``id``, loaded
            incrementally on ``updated_at``.
        comments: Issue and pull request comments, merged on ``id``, incremental on ``updated_at``.
        traffic_clones: Daily clone counts of the last 14 days, merged on ``timestamp``. Needs a
            token with push access.

    ``issues`` and ``comments`` of a public repository also load without a token, under GitHub's
    much lower anonymous rate limit.

    Args:
        repo_name: ``"owner/name"``, e.g. ``"dlt-hub/dlt"``. Config key ``repo_name`` under
            ``[sources.github]``.
        access_token: GitHub token. Env var ``SOURCES__GITHUB__ACCESS_TOKEN`` or ``access_token``
            under ``[sources.github]`` in ``.dlt/secrets.toml``. Checked only when a resource runs.
        base_url: REST API root; change it for GitHub Enterprise (``https://<host>/api/v3``).
        rate_limit_retries: How often a rate-limited request is retried before failing.
        rate_limit_max_wait_seconds: Cap on a single wait for a rate limit to reset.

    Returns:
        The ``issues``, ``comments`` and ``traffic_clones`` resources.

    Example:
        .. code-block:: python

            pipeline = dlt.pipeline("github", destination="duckdb")
            pipeline.run(github_source("dlt-hub/dlt"))
    """
    owner, name = _split_repo_name(repo_name)
    repo_path = f"/repos/{owner}/{name}"
    client = GitHubClient(
        base_url,
        access_token,
        max_retries=rate_limit_retries,
        max_wait_seconds=rate_limit_max_wait_seconds,
    )

    def updated_since(
        path: str, updated_at: dlt.sources.incremental[str]
    ) -> Iterator[list[dict[str, Any]]]:
        if not client.has_token:
            logger.warning(
                f"No GitHub token configured: reading {repo_name} anonymously, which works only "
                "for public repositories and under a much lower rate limit."
            )
        params = {
            "since": updated_at.last_value,
            "sort": "updated",
            "direction": "asc",
            "per_page": REST_PAGE_SIZE,
        }
        if path.endswith("/issues"):
            params["state"] = "all"
        yield from client.rest_pages(path, params, permission_hint=_ISSUES_PERMISSION)

    @dlt.resource(write_disposition="merge", primary_key="id", columns=_REST_ISSUE_COLUMNS)
    def issues(
        updated_at: dlt.sources.incremental[str] = dlt.sources.incremental(
            "updated_at", initial_value=INCREMENTAL_START
        ),
    ) -> Iterator[list[dict[str, Any]]]:
        yield from updated_since(f"{repo_path}/issues", updated_at)

    @dlt.resource(write_disposition="merge", primary_key="id")
    def comments(
        updated_at: dlt.sources.incremental[str] = dlt.sources.incremental(
            "updated_at", initial_value=INCREMENTAL_START
        ),
    ) -> Iterator[list[dict[str, Any]]]:
        yield from updated_since(f"{repo_path}/issues/comments", updated_at)

    @dlt.resource(write_disposition="merge", primary_key="timestamp")
    def traffic_clones() -> Iterator[list[dict[str, Any]]]:
        client.require_token(f"The traffic_clones resource of github_source({repo_name!r})")
        # GitHub keeps 14 days; a day's count can still grow, hence merge rather than append
        traffic = client.rest_get(
            f"{repo_path}/traffic/clones", {"per": "day"}, permission_hint=_TRAFFIC_PERMISSION
        )
        yield traffic["clones"]

    return issues, comments, traffic_clones


@dlt.source(name="github_reactions", section="github")
def github_reactions(
    owner: str,
    name: str,
    access_token: Optional[str] = dlt.secrets.value,
    items_per_page: int = 100,
    max_items: Optional[int] = None,
    base_url: str = GITHUB_API_URL,
    rate_limit_retries: int = RATE_LIMIT_RETRIES,
    rate_limit_max_wait_seconds: float = RATE_LIMIT_MAX_WAIT_SECONDS,
) -> Sequence[DltResource]:
    """Issues and pull requests with their reactions and comments, from GitHub's GraphQL API.

    Newest items come first. Each run replaces the tables with a fresh snapshot.

    Resources:
        issues: Issues with child tables ``issues__reactions``, ``issues__comments`` and
            ``issues__comments__reactions``.
        pull_requests: Pull requests with the same child tables (``pull_requests__...``).

    Each item carries up to 100 reactions and 100 comments, each comment up to 20 reactions;
    ``reactions_total_count`` and ``comments_total_count`` tell when a list was cut.

    Args:
        owner: Repository owner, e.g. ``"dagster-io"``.
        name: Repository name, e.g. ``"dagster"``.
        access_token: GitHub token (GraphQL always needs one). Env var
            ``SOURCES__GITHUB__ACCESS_TOKEN`` or ``access_token`` under ``[sources.github]`` in
            ``.dlt/secrets.toml``. Checked only when a resource runs.
        items_per_page: Items per request, at most 100.
        max_items: Load at most this many items per resource; ``None`` loads all.
        base_url: REST API root; GraphQL is ``<base_url>/graphql`` (on GitHub Enterprise
            ``https://<host>/api/v3`` maps to ``https://<host>/api/graphql``).
        rate_limit_retries: How often a rate-limited request is retried before failing.
        rate_limit_max_wait_seconds: Cap on a single wait for a rate limit to reset.

    Returns:
        The ``issues`` and ``pull_requests`` resources.

    Example:
        .. code-block:: python

            pipeline = dlt.pipeline("github_reactions", destination="duckdb")
            pipeline.run(github_reactions("dagster-io", "dagster", max_items=250))
    """
    if items_per_page < 1:
        raise ValueError(f"items_per_page must be at least 1, got {items_per_page}.")
    if max_items is not None and max_items < 0:
        raise ValueError(f"max_items must be 0 or more (or None for all), got {max_items}.")
    client = GitHubClient(
        base_url,
        access_token,
        max_retries=rate_limit_retries,
        max_wait_seconds=rate_limit_max_wait_seconds,
    )

    def items(resource: str, connection: str, query: str) -> Iterator[list[dict[str, Any]]]:
        client.require_token(f"The {resource} resource of github_reactions({owner!r}, {name!r})")
        yield from graphql_items(
            client,
            query,
            owner=owner,
            name=name,
            connection=connection,
            items_per_page=items_per_page,
            max_items=max_items,
            permission_hint=_GRAPHQL_PERMISSION,
        )

    @dlt.resource(write_disposition="replace", primary_key="id", columns=_ISSUE_COLUMNS)
    def issues() -> Iterator[list[dict[str, Any]]]:
        yield from items("issues", "issues", ISSUES_QUERY)

    @dlt.resource(write_disposition="replace", primary_key="id", columns=_PULL_REQUEST_COLUMNS)
    def pull_requests() -> Iterator[list[dict[str, Any]]]:
        yield from items("pull_requests", "pullRequests", PULL_REQUESTS_QUERY)

    return issues, pull_requests


def _split_repo_name(repo_name: str) -> tuple[str, str]:
    owner, _, name = repo_name.partition("/")
    if not owner or not name or "/" in name:
        raise ValueError(
            f"repo_name must look like 'owner/name' (e.g. 'dlt-hub/dlt'), got {repo_name!r}."
        )
    return owner, name
