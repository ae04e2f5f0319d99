"""HTTP, paging and rate-limit handling for the GitHub sources.

Nothing here runs at import time or when a client is created: the first request happens when a
resource is iterated, so sources can be built offline and without secrets.
"""

import math
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, Optional
from urllib.parse import urlsplit

from dlt.common import logger
from dlt.sources.helpers.requests import Response, Session

from .exceptions import (
    GitHubAPIError,
    GitHubAuthError,
    GitHubPermissionError,
    GitHubRateLimitError,
    MissingGitHubToken,
)
from .settings import (
    API_VERSION,
    COMMENT_REACTIONS_LIMIT,
    GRAPHQL_PAGE_SIZE,
    NESTED_ITEMS_LIMIT,
    RATE_LIMIT_MAX_WAIT_SECONDS,
    RATE_LIMIT_RETRIES,
    REQUEST_TIMEOUT_SECONDS,
    SECONDARY_RATE_LIMIT_WAIT_SECONDS,
)

__all__ = ["GitHubClient", "flatten_graphql_item", "graphql_items", "rate_limit_wait"]


class GitHubClient:
    """A small GitHub REST + GraphQL client with auth checks and rate-limit retries.

    Creating a client does no I/O; the token is kept private and never appears in ``repr``,
    logs or error messages.

    Args:
        base_url: REST API root, e.g. ``https://api.github.com`` or ``https://ghe.example.com/api/v3``.
        access_token: Token sent as ``Authorization: Bearer``; ``None`` for anonymous requests.
        max_retries: How often a rate-limited request is retried before giving up.
        max_wait_seconds: Cap on a single wait for a rate limit to reset.
        sleep: Waits between retries; replaceable so callers can observe waits.

    Example:
        .. code-block:: python

            client = GitHubClient("https://api.github.com", token)
            for page in client.rest_pages("/repos/dlt-hub/dlt/issues", {"state": "all"}):
                ...
    """

    def __init__(
        self,
        base_url: str,
        access_token: Optional[str],
        *,
        max_retries: int = RATE_LIMIT_RETRIES,
        max_wait_seconds: float = RATE_LIMIT_MAX_WAIT_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, got {max_retries}.")
        if max_wait_seconds < 0:
            raise ValueError(f"max_wait_seconds must be 0 or more, got {max_wait_seconds}.")
        self.base_url = base_url.rstrip("/")
        self.max_retries = max_retries
        self.max_wait_seconds = max_wait_seconds
        self._token = access_token or None
        self._sleep = sleep
        self._session: Optional[Session] = None

    def __repr__(self) -> str:
        return f"GitHubClient(base_url={self.base_url!r}, authenticated={self.has_token})"

    @property
    def has_token(self) -> bool:
        """Whether requests are authenticated."""
        return self._token is not None

    @property
    def graphql_url(self) -> str:
        """GraphQL endpoint: ``<base>/graphql``, or ``https://<host>/api/graphql`` for GitHub Enterprise."""
        if self.base_url.endswith("/api/v3"):
            return self.base_url[: -len("v3")] + "graphql"
        return self.base_url + "/graphql"

    def require_token(self, what: str) -> None:
        """Raise `MissingGitHubToken` naming ``what`` when no token is configured."""
        if not self.has_token:
            raise MissingGitHubToken(what)

    def rest_pages(
        self, path: str, params: Optional[Mapping[str, Any]] = None, *, permission_hint: str
    ) -> Iterator[list[Any]]:
        """GET ``path`` and every following page announced by ``Link: <...>; rel="next"``.

        Yields:
            Each page's JSON list.
        """
        url: Optional[str] = self.base_url + path
        query: Optional[Mapping[str, Any]] = params
        while url:
            response = self._send("GET", url, params=query, permission_hint=permission_hint)
            yield response.json()
            # the next link already carries every query parameter, including the page number
            url = response.links.get("next", {}).get("url")
            query = None

    def rest_get(
        self, path: str, params: Optional[Mapping[str, Any]] = None, *, permission_hint: str
    ) -> Any:
        """GET one REST resource and return its JSON."""
        url = self.base_url + path
        return self._send("GET", url, params=params, permission_hint=permission_hint).json()

    def graphql(self, query: str, variables: Mapping[str, Any], *, permission_hint: str) -> Any:
        """POST a GraphQL query and return its ``data``; GraphQL ``errors`` raise."""
        response = self._send(
            "POST",
            self.graphql_url,
            json={"query": query, "variables": dict(variables)},
            permission_hint=permission_hint,
        )
        payload = response.json()
        errors = payload.get("errors")
        if errors:
            request = _describe("POST", self.graphql_url)
            message = self._redact("; ".join(str(e.get("message", e)) for e in errors))
            types = {e.get("type") for e in errors}
            if types & {"FORBIDDEN", "INSUFFICIENT_SCOPES"}:
                raise GitHubPermissionError(
                    request, server_message=message, permission_hint=permission_hint
                )
            hint = (
                "Check the repository owner and name; private repositories are only visible "
                "to tokens that can read them."
                if "NOT_FOUND" in types
                else ""
            )
            raise GitHubAPIError(
                request, status_code=response.status_code, server_message=message, hint=hint
            )
        return payload["data"]

    def _send(
        self,
        method: str,
        url: str,
        *,
        permission_hint: str,
        params: Optional[Mapping[str, Any]] = None,
        json: Optional[Mapping[str, Any]] = None,
    ) -> Response:
        request = _describe(method, url)
        for attempt in range(self.max_retries + 1):
            response = self._session_or_new().request(method, url, params=params, json=json)
            limited = rate_limit_wait(
                response.status_code,
                response.headers,
                _body_says_rate_limited(response, graphql=json is not None),
                now=datetime.now(timezone.utc),
            )
            if limited is None:
                break
            wait, reset_at = limited
            if attempt == self.max_retries:
                raise GitHubRateLimitError(request, retries=self.max_retries, reset_at=reset_at)
            wait = min(wait, self.max_wait_seconds)
            logger.warning(
                f"GitHub rate limit hit on {request}; retry {attempt + 1} of "
                f"{self.max_retries} in {wait:.3g}s."
            )
            self._sleep(wait)
        self._raise_for_status(request, response, permission_hint)
        return response

    def _session_or_new(self) -> Session:
        if self._session is None:
            # dlt's Session adds a timeout but no retries, so rate limits are handled only here
            session = Session(timeout=REQUEST_TIMEOUT_SECONDS, raise_for_status=False)
            session.headers["Accept"] = "application/vnd.github+json"
            session.headers["X-GitHub-Api-Version"] = API_VERSION
            if self._token:
                session.headers["Authorization"] = f"Bearer {self._token}"
            self._session = session
        return self._session

    def _raise_for_status(self, request: str, response: Response, permission_hint: str) -> None:
        status = response.status_code
        if status < 400:
            return
        message = self._redact(_server_message(response))
        if status == 401:
            raise GitHubAuthError(request, had_token=self.has_token, server_message=message)
        if status == 403:
            raise GitHubPermissionError(
                request, server_message=message, permission_hint=permission_hint
            )
        hint = ""
        if status == 404:
            hint = "Check the repository name; private repositories answer 404 to tokens that cannot read them."
            if not self.has_token:
                hint += " No token is configured, so only public repositories are visible."
        raise GitHubAPIError(request, status_code=status, server_message=message, hint=hint)

    def _redact(self, text: str) -> str:
        # GitHub does not echo tokens, but a proxy or enterprise server might
        return text.replace(self._token, "***") if self._token else text


def rate_limit_wait(
    status_code: int,
    headers: Mapping[str, str],
    body_rate_limited: bool,
    *,
    now: datetime,
) -> Optional[tuple[float, Optional[datetime]]]:
    """Decide whether a response is a rate limit and how long to wait.

    GitHub signals its primary limit with 403/429 and ``X-RateLimit-Remaining: 0`` plus
    ``X-RateLimit-Reset`` (epoch seconds), secondary limits with ``Retry-After`` or a message, and
    GraphQL limits with a 200 carrying a ``RATE_LIMITED`` error.

    Args:
        status_code: HTTP status of the response.
        headers: Response headers (case-insensitive mapping).
        body_rate_limited: Whether the body says so (GraphQL ``RATE_LIMITED``, "secondary rate limit").
        now: Current time, UTC.

    Returns:
        ``None`` when not rate limited, else ``(seconds_to_wait, reset_time_or_None)``.

    Example:
        .. code-block:: python

            rate_limit_wait(429, {"Retry-After": "3"}, False, now=now)  # (3.0, now + 3s)
    """
    remaining = headers.get("X-RateLimit-Remaining")
    retry_after = _seconds(headers.get("Retry-After"))
    reset = _seconds(headers.get("X-RateLimit-Reset"))
    reset_at = datetime.fromtimestamp(reset, tz=timezone.utc) if reset is not None else None
    limited = (
        status_code == 429
        or body_rate_limited
        or (status_code == 403 and (remaining == "0" or retry_after is not None))
    )
    if not limited:
        return None
    if retry_after is not None:
        return retry_after, now + timedelta(seconds=retry_after)
    if remaining == "0" and reset_at is not None:
        # one spare second: GitHub's clock and ours are not exactly in step
        return max(0.0, (reset_at - now).total_seconds()) + 1.0, reset_at
    return SECONDARY_RATE_LIMIT_WAIT_SECONDS, None


def graphql_items(
    client: GitHubClient,
    query: str,
    *,
    owner: str,
    name: str,
    connection: str,
    items_per_page: int,
    max_items: Optional[int],
    permission_hint: str,
) -> Iterator[list[dict[str, Any]]]:
    """Page through ``repository.<connection>`` with GraphQL cursors.

    Args:
        client: The client to send queries with.
        query: GraphQL text taking ``$owner $name $first $after $nested $commentReactions``.
        owner: Repository owner.
        name: Repository name.
        connection: Field under ``repository`` that the query pages, e.g. ``"issues"``.
        items_per_page: Items per request, capped at GitHub's maximum of 100.
        max_items: Stop after this many items; ``None`` for all.
        permission_hint: What the token needs, used in 403 messages.

    Yields:
        Pages of items shaped by `flatten_graphql_item`.
    """
    cursor: Optional[str] = None
    fetched = 0
    while max_items is None or fetched < max_items:
        first = min(items_per_page, GRAPHQL_PAGE_SIZE)
        if max_items is not None:
            first = min(first, max_items - fetched)
        variables = {
            "owner": owner,
            "name": name,
            "first": first,
            "after": cursor,
            "nested": NESTED_ITEMS_LIMIT,
            "commentReactions": COMMENT_REACTIONS_LIMIT,
        }
        data = client.graphql(query, variables, permission_hint=permission_hint)
        page = data["repository"][connection]
        items = [flatten_graphql_item(node) for node in page["nodes"]]
        fetched += len(items)
        if items:
            yield items
        if not page["pageInfo"]["hasNextPage"]:
            break
        cursor = page["pageInfo"]["endCursor"]


def flatten_graphql_item(node: Mapping[str, Any]) -> dict[str, Any]:
    """Turn GraphQL connections into plain lists so dlt makes child tables of them.

    ``reactions { totalCount nodes }`` becomes ``reactions`` (a list) plus
    ``reactionsTotalCount``; the same for ``comments`` and each comment's reactions. The totals
    show when a list was cut at the per-item limit.
    """
    item = dict(node)
    for field in ("reactions", "comments"):
        if field in item:
            connection = item.pop(field) or {"totalCount": 0, "nodes": []}
            item[f"{field}TotalCount"] = connection["totalCount"]
            nodes = connection["nodes"]
            item[field] = [flatten_graphql_item(n) for n in nodes] if field == "comments" else nodes
    return item


def _describe(method: str, url: str) -> str:
    return f"{method} {urlsplit(url).path}"


def _server_message(response: Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200].strip() or response.reason
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])
    return response.reason


def _body_says_rate_limited(response: Response, *, graphql: bool) -> bool:
    if response.status_code == 403:
        return "secondary rate limit" in _server_message(response).lower()
    if response.status_code == 200 and graphql and b'"RATE_LIMITED"' in response.content:
        # only parse when the marker is there: data pages can be large
        errors = response.json().get("errors") or []
        return any(error.get("type") == "RATE_LIMITED" for error in errors)
    return False


def _seconds(value: Optional[str]) -> Optional[float]:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        # Retry-After may be an HTTP date; GitHub sends seconds, so fall back to the default wait
        return None
    return seconds if math.isfinite(seconds) else None
