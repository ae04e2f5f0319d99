"""A fake GitHub API on 127.0.0.1 for tests: REST issues/comments/traffic and GraphQL.

It speaks enough of GitHub for `dlt_sources.github` to run unchanged against it, with the same
paging (``Link`` headers, GraphQL cursors), auth answers (401, 403) and rate-limit signals.

.. code-block:: python

    from tests.support.fake_github import FakeGitHub

    with FakeGitHub() as github:
        github.add_demo_data()
        source = github_source(
            github.repo_name, access_token=github.token, base_url=github.base_url
        )
        pipeline.run(source)
        assert github.requests[0].path == "/repos/acme/widgets/issues"

Tokens: `FakeGitHub.token` may do everything, `FakeGitHub.token_without_scope` is valid but gets
403 on traffic, any other token gets 401. Without a token, REST issues and comments of a public
repository answer (as on GitHub); traffic and GraphQL answer 401.

Time: every change moves a fake clock (starting 2024-01-01T00:00:00Z) one minute forward, so
``created_at``/``updated_at`` are deterministic and strictly increasing.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, Optional
from urllib.parse import parse_qsl, urlencode, urlsplit

__all__ = ["FakeGitHub", "RateLimitKind", "RecordedRequest"]

RateLimitKind = Literal["primary", "secondary", "too_many"]
"""``primary``: 403 (REST) or 200 + ``RATE_LIMITED`` (GraphQL) with ``X-RateLimit-Remaining: 0``
and ``X-RateLimit-Reset``; ``secondary``: 403 with ``Retry-After``; ``too_many``: 429 with
``Retry-After``."""

_REST_MAX_PAGE_SIZE = 100
_REST_DEFAULT_PAGE_SIZE = 30
_GRAPHQL_MAX_FIRST = 100
_START_CLOCK = datetime(2024, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received.

    Attributes:
        method: ``GET`` or ``POST``.
        path: URL path, e.g. ``/repos/acme/widgets/issues``.
        query: Query parameters (last value wins).
        token: Bearer token sent, or ``None``.
        json: Parsed JSON body of a POST (GraphQL ``{"query", "variables"}``), else ``None``.
    """

    method: str
    path: str
    query: dict[str, str]
    token: Optional[str]
    json: Optional[dict[str, Any]] = None


@dataclass
class _Comment:
    id: int
    number: int
    body: str
    user: str
    created_at: datetime
    updated_at: datetime
    reactions: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Item:
    id: int
    number: int
    title: str
    body: str
    user: str
    state: str
    is_pull_request: bool
    created_at: datetime
    updated_at: datetime
    closed_at: Optional[datetime] = None
    merged: bool = False
    labels: list[str] = field(default_factory=list)
    reactions: list[dict[str, Any]] = field(default_factory=list)
    comments: list[_Comment] = field(default_factory=list)


@dataclass
class _RateLimit:
    remaining: int
    kind: RateLimitKind
    reset_in: float
    retry_after: int


class FakeGitHub:
    """A fake GitHub API for one repository, served from a thread on 127.0.0.1.

    Use it as a context manager (or call `start` / `close`). It is safe to add data while the
    server runs.

    Args:
        owner: Repository owner.
        name: Repository name.
        page_size: Largest REST page the server hands out (GitHub: 100). Lower it to test paging
            with few items.
        private: When true, anonymous requests get 404 like on GitHub.

    Attributes:
        token: The token that may do everything.
        token_without_scope: A valid token that gets 403 on traffic endpoints.
        requests: Every request received, in order.
        rate_limited_responses: How many rate-limited answers were sent.

    Example:
        .. code-block:: python

            with FakeGitHub(page_size=5) as github:
                for _ in range(12):
                    github.add_issue()
                github.rate_limit(times=2)  # the next two requests are rate limited
    """

    token = "ghp_FakeGoodToken0123456789abcdefABCDEF"
    token_without_scope = "ghp_FakeNoScopeToken0123456789abcdefABC"

    def __init__(
        self,
        owner: str = "acme",
        name: str = "widgets",
        *,
        page_size: int = _REST_MAX_PAGE_SIZE,
        private: bool = False,
    ) -> None:
        self.owner = owner
        self.name = name
        self.page_size = page_size
        self.private = private
        self.requests: list[RecordedRequest] = []
        self.rate_limited_responses = 0
        self._items: dict[int, _Item] = {}
        self._clones: dict[date, tuple[int, int]] = {}
        self._rate_limit: Optional[_RateLimit] = None
        self._clock = _START_CLOCK
        self._next_id = 1000
        self._lock = threading.RLock()
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    # server lifecycle

    def start(self) -> FakeGitHub:
        """Start serving on a free port; returns ``self``."""
        if self._server is not None:
            return self
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-github", daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop the server."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def base_url(self) -> str:
        """REST root to pass as ``base_url``, e.g. ``http://127.0.0.1:54321``."""
        if self._server is None:
            raise RuntimeError(
                "FakeGitHub is not running: use it as a context manager or call start()."
            )
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def repo_name(self) -> str:
        """``"owner/name"`` as `github_source` expects it."""
        return f"{self.owner}/{self.name}"

    @property
    def clock(self) -> datetime:
        """The fake's current time; the timestamp the next change gets minus one minute."""
        return self._clock

    # data

    def add_issue(
        self,
        title: Optional[str] = None,
        *,
        body: str = "",
        user: str = "octocat",
        state: Literal["open", "closed"] = "open",
        labels: Iterable[str] = (),
        reactions: Iterable[str] = (),
        comments: Iterable[str] = (),
    ) -> int:
        """Add an issue; returns its number.

        Args:
            title: Defaults to ``"Issue #<number>"``.
            body: Issue text.
            user: Author login.
            state: ``"open"`` or ``"closed"``.
            labels: Label names.
            reactions: Reaction contents on the issue, e.g. ``("THUMBS_UP", "HEART")``.
            comments: Bodies of comments to add right away.
        """
        return self._add_item(
            title, body, user, state, labels, reactions, comments, is_pull_request=False
        )

    def add_pull_request(
        self,
        title: Optional[str] = None,
        *,
        body: str = "",
        user: str = "octocat",
        state: Literal["open", "closed", "merged"] = "open",
        labels: Iterable[str] = (),
        reactions: Iterable[str] = (),
        comments: Iterable[str] = (),
    ) -> int:
        """Add a pull request (shares numbering with issues, as on GitHub); returns its number.

        Args are as for `add_issue`; ``state="merged"`` closes it as merged.
        """
        return self._add_item(
            title, body, user, state, labels, reactions, comments, is_pull_request=True
        )

    def add_comment(
        self, number: int, body: str = "", *, user: str = "hubot", reactions: Iterable[str] = ()
    ) -> int:
        """Comment on issue or pull request ``number``; returns the comment id.

        Like on GitHub, this also moves the issue's ``updated_at``.
        """
        with self._lock:
            item = self._items[number]
            now = self._tick()
            comment = _Comment(
                id=self._new_id(),
                number=number,
                body=body or f"Comment on #{number}",
                user=user,
                created_at=now,
                updated_at=now,
            )
            comment.reactions = [self._reaction(content, user="octocat") for content in reactions]
            item.comments.append(comment)
            item.updated_at = now
            return comment.id

    def add_reaction(
        self, number: int, content: str = "THUMBS_UP", *, user: str = "octocat"
    ) -> None:
        """React to issue or pull request ``number`` (GraphQL contents such as ``HEART``)."""
        with self._lock:
            self._items[number].reactions.append(self._reaction(content, user=user))

    def update_issue(
        self,
        number: int,
        *,
        title: Optional[str] = None,
        body: Optional[str] = None,
        state: Optional[Literal["open", "closed", "merged"]] = None,
    ) -> None:
        """Change an issue or pull request; its ``updated_at`` moves to the fake clock."""
        with self._lock:
            item = self._items[number]
            now = self._tick()
            if title is not None:
                item.title = title
            if body is not None:
                item.body = body
            if state is not None:
                self._set_state(item, state, now)
            item.updated_at = now

    def update_comment(self, comment_id: int, body: str) -> None:
        """Edit a comment; its ``updated_at`` moves to the fake clock."""
        with self._lock:
            comment = self._comment(comment_id)
            comment.body = body
            comment.updated_at = self._tick()

    def add_clones(self, day: date | str, count: int, uniques: int) -> None:
        """Set the clone counts of one day for ``traffic/clones``."""
        with self._lock:
            self._clones[date.fromisoformat(str(day))] = (count, uniques)

    def add_demo_data(self, *, issues: int = 5, pull_requests: int = 3) -> None:
        """Fill the repository with a small, deterministic data set.

        Issues and pull requests alternate authors and get labels, reactions and comments (some
        with reactions); three days of clone traffic are added.
        """
        users = ("octocat", "hubot", "monalisa")
        for i in range(issues):
            number = self.add_issue(
                f"Demo issue {i + 1}",
                body=f"Something is off in part {i + 1}.",
                user=users[i % 3],
                state="closed" if i % 4 == 3 else "open",
                labels=("bug",) if i % 2 == 0 else ("enhancement", "good first issue"),
                reactions=("THUMBS_UP",) * (i % 3) + ("HEART",) * (i % 2),
            )
            for j in range(i % 3):
                self.add_comment(
                    number, f"Reply {j + 1}", user=users[(i + j + 1) % 3], reactions=("HOORAY",) * j
                )
        for i in range(pull_requests):
            number = self.add_pull_request(
                f"Demo pull request {i + 1}",
                body=f"Fixes part {i + 1}.",
                user=users[(i + 1) % 3],
                state="merged" if i % 2 == 0 else "open",
                reactions=("ROCKET",) * (i + 1),
            )
            self.add_comment(number, "Looks good to me.", user=users[i % 3])
        for offset, (count, uniques) in enumerate([(12, 4), (7, 3), (20, 9)]):
            self.add_clones(_START_CLOCK.date() + timedelta(days=offset), count, uniques)

    def rate_limit(
        self,
        times: int,
        *,
        kind: RateLimitKind = "primary",
        reset_in: float = 3600.0,
        retry_after: int = 1,
    ) -> None:
        """Answer the next ``times`` requests (any endpoint) with a rate limit.

        Args:
            times: How many requests are refused before the fake answers normally again.
            kind: Which GitHub rate-limit signal to send; see `RateLimitKind`.
            reset_in: Seconds from now until ``X-RateLimit-Reset`` (primary limits).
            retry_after: ``Retry-After`` seconds (secondary and 429 limits).
        """
        with self._lock:
            self._rate_limit = _RateLimit(times, kind, reset_in, retry_after)

    def requests_to(self, path_suffix: str) -> list[RecordedRequest]:
        """The recorded requests whose path ends with ``path_suffix``, e.g. ``"/issues"``."""
        with self._lock:
            return [r for r in self.requests if r.path.endswith(path_suffix)]

    # internals: data

    def _add_item(
        self,
        title: Optional[str],
        body: str,
        user: str,
        state: str,
        labels: Iterable[str],
        reactions: Iterable[str],
        comments: Iterable[str],
        *,
        is_pull_request: bool,
    ) -> int:
        with self._lock:
            number = len(self._items) + 1
            now = self._tick()
            kind = "Pull request" if is_pull_request else "Issue"
            item = _Item(
                id=self._new_id(),
                number=number,
                title=title or f"{kind} #{number}",
                body=body,
                user=user,
                state="open",
                is_pull_request=is_pull_request,
                created_at=now,
                updated_at=now,
                labels=list(labels),
            )
            self._set_state(item, state, now)
            item.reactions = [self._reaction(content, user="hubot") for content in reactions]
            self._items[number] = item
        for comment in comments:
            self.add_comment(number, comment)
        return number

    @staticmethod
    def _set_state(item: _Item, state: str, now: datetime) -> None:
        if state == "merged" and not item.is_pull_request:
            raise ValueError("Only pull requests can be merged.")
        item.state = "open" if state == "open" else "closed"
        item.merged = state == "merged"
        item.closed_at = None if state == "open" else now

    def _reaction(self, content: str, *, user: str) -> dict[str, Any]:
        reaction_id = self._new_id()
        return {
            "id": _node_id("REA", reaction_id),
            "content": content,
            "createdAt": _iso(self._tick()),
            "user": {"login": user},
        }

    def _comment(self, comment_id: int) -> _Comment:
        for item in self._items.values():
            for comment in item.comments:
                if comment.id == comment_id:
                    return comment
        raise KeyError(comment_id)

    def _tick(self) -> datetime:
        self._clock += timedelta(minutes=1)
        return self._clock

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    # internals: HTTP answers (called from the handler thread under the lock)

    def _answer(
        self, method: str, url: str, token: Optional[str], body: Optional[dict[str, Any]]
    ) -> tuple[int, dict[str, str], Any]:
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        graphql = method == "POST" and parts.path == "/graphql"
        self.requests.append(RecordedRequest(method, parts.path, query, token, body))

        limited = self._rate_limited_answer(graphql)
        if limited is not None:
            return limited
        if token is not None and token not in (self.token, self.token_without_scope):
            return 401, {}, _error("Bad credentials")
        if graphql:
            return self._graphql(token, body or {})

        repo = f"/repos/{self.owner}/{self.name}"
        if method != "GET" or not parts.path.startswith(repo + "/"):
            return 404, {}, _error("Not Found")
        if self.private and token is None:
            return 404, {}, _error("Not Found")
        route = parts.path[len(repo) :]
        if route == "/issues":
            return self._rest_list(parts.path, query, self._rest_issues(query))
        if route == "/issues/comments":
            return self._rest_list(parts.path, query, self._rest_comments(query))
        if route == "/traffic/clones":
            return self._traffic_clones(token)
        return 404, {}, _error("Not Found")

    def _rate_limited_answer(self, graphql: bool) -> Optional[tuple[int, dict[str, str], Any]]:
        limit = self._rate_limit
        if limit is None or limit.remaining <= 0:
            return None
        limit.remaining -= 1
        self.rate_limited_responses += 1
        reset = str(int(time.time() + limit.reset_in))
        if limit.kind == "primary":
            headers = {
                "X-RateLimit-Limit": "5000",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": reset,
            }
            message = "API rate limit exceeded for user ID 1."
            if graphql:
                return 200, headers, {"errors": [{"type": "RATE_LIMITED", "message": message}]}
            return 403, headers, _error(message)
        headers = {"Retry-After": str(limit.retry_after)}
        if limit.kind == "secondary":
            message = "You have exceeded a secondary rate limit. Please wait a few minutes."
            return 403, headers, _error(message)
        return 429, headers, _error("Too Many Requests")

    def _rest_issues(self, query: dict[str, str]) -> list[dict[str, Any]]:
        state = query.get("state", "open")
        items = [i for i in self._items.values() if state == "all" or i.state == state]
        items = _filter_since(items, query.get("since"))
        items = _sort(items, query.get("sort", "created"), query.get("direction", "desc"))
        return [self._rest_issue(item) for item in items]

    def _rest_comments(self, query: dict[str, str]) -> list[dict[str, Any]]:
        comments = [c for item in self._items.values() for c in item.comments]
        comments = _filter_since(comments, query.get("since"))
        comments = _sort(comments, query.get("sort", "created"), query.get("direction", "asc"))
        return [self._rest_comment(comment) for comment in comments]

    def _rest_list(
        self, path: str, query: dict[str, str], rows: list[dict[str, Any]]
    ) -> tuple[int, dict[str, str], Any]:
        per_page = min(int(query.get("per_page", _REST_DEFAULT_PAGE_SIZE)), self.page_size)
        page = int(query.get("page", 1))
        last = max(1, -(-len(rows) // per_page))
        links = []
        for rel, number in (("next", page + 1), ("last", last), ("prev", page - 1), ("first", 1)):
            if (rel in ("next", "last") and page < last) or (rel in ("prev", "first") and page > 1):
                link_query = urlencode({**query, "page": number, "per_page": per_page})
                links.append(f'<{self.base_url}{path}?{link_query}>; rel="{rel}"')
        headers = {"Link": ", ".join(links)} if links else {}
        return 200, headers, rows[(page - 1) * per_page : page * per_page]

    def _traffic_clones(self, token: Optional[str]) -> tuple[int, dict[str, str], Any]:
        if token is None:
            return 401, {}, _error("Requires authentication")
        if token != self.token:
            return 403, {}, _error("Must have push access to repository")
        clones = [
            {"timestamp": f"{day.isoformat()}T00:00:00Z", "count": count, "uniques": uniques}
            for day, (count, uniques) in sorted(self._clones.items())
        ]
        count = sum(c["count"] for c in clones)
        uniques = sum(c["uniques"] for c in clones)
        return 200, {}, {"count": count, "uniques": uniques, "clones": clones}

    def _rest_issue(self, item: _Item) -> dict[str, Any]:
        kind = "pull" if item.is_pull_request else "issues"
        issue: dict[str, Any] = {
            "id": item.id,
            "node_id": _node_id("PR" if item.is_pull_request else "I", item.id),
            "number": item.number,
            "title": item.title,
            "body": item.body,
            "state": item.state,
            "locked": False,
            "user": _rest_user(item.user),
            "labels": [
                {"id": 100 + sum(map(ord, label)), "name": label, "color": "d73a4a"}
                for label in item.labels
            ],
            "comments": len(item.comments),
            "author_association": "CONTRIBUTOR",
            "created_at": _iso(item.created_at),
            "updated_at": _iso(item.updated_at),
            "closed_at": _iso(item.closed_at),
            "html_url": f"https://github.com/{self.owner}/{self.name}/{kind}/{item.number}",
            "url": f"{self.base_url}/repos/{self.owner}/{self.name}/issues/{item.number}",
            "reactions": {"total_count": len(item.reactions)},
        }
        if item.is_pull_request:
            issue["pull_request"] = {
                "url": f"{self.base_url}/repos/{self.owner}/{self.name}/pulls/{item.number}",
                "merged_at": _iso(item.closed_at) if item.merged else None,
            }
        return issue

    def _rest_comment(self, comment: _Comment) -> dict[str, Any]:
        issue_url = f"{self.base_url}/repos/{self.owner}/{self.name}/issues/{comment.number}"
        return {
            "id": comment.id,
            "node_id": _node_id("IC", comment.id),
            "issue_url": issue_url,
            "html_url": f"https://github.com/{self.owner}/{self.name}/issues/{comment.number}#issuecomment-{comment.id}",
            "body": comment.body,
            "user": _rest_user(comment.user),
            "author_association": "CONTRIBUTOR",
            "created_at": _iso(comment.created_at),
            "updated_at": _iso(comment.updated_at),
        }

    def _graphql(
        self, token: Optional[str], body: dict[str, Any]
    ) -> tuple[int, dict[str, str], Any]:
        if token is None:
            return 401, {}, _error("This endpoint requires you to be authenticated.")
        query = str(body.get("query", ""))
        variables = body.get("variables") or {}
        if "pullRequests(" in query:
            connection, pull_requests = "pullRequests", True
        elif "issues(" in query:
            connection, pull_requests = "issues", False
        else:
            return _graphql_errors("FakeGitHub answers only issues and pullRequests queries.")
        if (variables.get("owner"), variables.get("name")) != (self.owner, self.name):
            name = f"{variables.get('owner')}/{variables.get('name')}"
            return _graphql_errors(
                f"Could not resolve to a Repository with the name '{name}'.",
                type="NOT_FOUND",
                data={"repository": None},
            )
        first = int(variables["first"])
        if not 1 <= first <= _GRAPHQL_MAX_FIRST:
            return _graphql_errors(
                f"Requesting {first} records on the `{connection}` connection exceeds the "
                f"`first` limit of {_GRAPHQL_MAX_FIRST} records.",
                type="EXCESSIVE_PAGINATION",
            )
        items = sorted(
            (i for i in self._items.values() if i.is_pull_request == pull_requests),
            key=lambda i: (i.created_at, i.number),
            reverse=True,
        )
        start = 0
        if variables.get("after"):
            start = _decode_cursor(variables["after"]) + 1
        page = items[start : start + first]
        nested = int(variables.get("nested", 100))
        comment_reactions = int(variables.get("commentReactions", 100))
        nodes = [self._graphql_item(item, nested, comment_reactions) for item in page]
        page_info = {
            "hasNextPage": start + len(page) < len(items),
            "endCursor": _encode_cursor(start + len(page) - 1) if page else None,
        }
        result = {"totalCount": len(items), "pageInfo": page_info, "nodes": nodes}
        return 200, {}, {"data": {"repository": {connection: result}}}

    def _graphql_item(self, item: _Item, nested: int, comment_reactions: int) -> dict[str, Any]:
        kind = "pull" if item.is_pull_request else "issues"
        node: dict[str, Any] = {
            "id": _node_id("PR" if item.is_pull_request else "I", item.id),
            "number": item.number,
            "url": f"https://github.com/{self.owner}/{self.name}/{kind}/{item.number}",
            "title": item.title,
            "body": item.body,
            "state": "MERGED" if item.merged else item.state.upper(),
            "createdAt": _iso(item.created_at),
            "updatedAt": _iso(item.updated_at),
            "closedAt": _iso(item.closed_at),
            "authorAssociation": "CONTRIBUTOR",
            "author": _graphql_user(item.user),
            "reactions": {"totalCount": len(item.reactions), "nodes": item.reactions[:nested]},
            "comments": {
                "totalCount": len(item.comments),
                "nodes": [
                    {
                        "id": _node_id("IC", comment.id),
                        "url": f"https://github.com/{self.owner}/{self.name}/{kind}/{item.number}#issuecomment-{comment.id}",
                        "body": comment.body,
                        "createdAt": _iso(comment.created_at),
                        "updatedAt": _iso(comment.updated_at),
                        "authorAssociation": "CONTRIBUTOR",
                        "author": _graphql_user(comment.user),
                        "reactions": {
                            "totalCount": len(comment.reactions),
                            "nodes": comment.reactions[:comment_reactions],
                        },
                    }
                    for comment in item.comments[:nested]
                ],
            },
        }
        if item.is_pull_request:
            node.update(
                isDraft=False,
                merged=item.merged,
                mergedAt=_iso(item.closed_at) if item.merged else None,
                additions=10 * item.number,
                deletions=3 * item.number,
                changedFiles=item.number % 5 + 1,
            )
        return node


def _handler_for(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._respond(None)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                self._send(400, {}, {"message": "Problems parsing JSON"})
                return
            self._respond(body)

        def _respond(self, body: Optional[dict[str, Any]]) -> None:
            token = _bearer_token(self.headers.get("Authorization"))
            with fake._lock:
                status, headers, payload = fake._answer(self.command, self.path, token, body)
            self._send(status, headers, payload)

        def _send(self, status: int, headers: dict[str, str], payload: Any) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

    return Handler


def _bearer_token(header: Optional[str]) -> Optional[str]:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    # GitHub accepts both "Bearer <token>" and the older "token <token>"
    return value.strip() if scheme.lower() in ("bearer", "token") else header


def _filter_since(rows: list[Any], since: Optional[str]) -> list[Any]:
    if not since:
        return rows
    threshold = datetime.fromisoformat(since.replace("Z", "+00:00"))
    return [row for row in rows if row.updated_at >= threshold]


def _sort(rows: list[Any], sort: str, direction: str) -> list[Any]:
    key = "updated_at" if sort == "updated" else "created_at"
    return sorted(rows, key=lambda row: (getattr(row, key), row.id), reverse=direction == "desc")


def _iso(moment: Optional[datetime]) -> Optional[str]:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def _node_id(prefix: str, number: int) -> str:
    return f"{prefix}_kwDO{number:08d}"


def _rest_user(login: str) -> dict[str, Any]:
    return {"login": login, "id": sum(map(ord, login)), "type": "User"}


def _graphql_user(login: str) -> dict[str, Any]:
    return {
        "login": login,
        "avatarUrl": f"https://avatars.githubusercontent.com/{login}",
        "url": f"https://github.com/{login}",
    }


def _error(message: str) -> dict[str, str]:
    return {"message": message, "documentation_url": "https://docs.github.com/rest"}


def _graphql_errors(
    message: str, *, type: Optional[str] = None, data: Optional[dict[str, Any]] = None
) -> tuple[int, dict[str, str], Any]:
    error: dict[str, Any] = {"message": message}
    if type is not None:
        error["type"] = type
    payload: dict[str, Any] = {"errors": [error]}
    if data is not None:
        payload["data"] = data
    # GitHub reports GraphQL errors with 200 OK
    return 200, {}, payload


def _encode_cursor(index: int) -> str:
    return base64.b64encode(f"cursor:v2:{index}".encode()).decode()


def _decode_cursor(cursor: str) -> int:
    return int(base64.b64decode(cursor).decode().rsplit(":", 1)[1])
