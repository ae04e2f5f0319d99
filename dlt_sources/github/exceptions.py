"""Errors raised by the GitHub sources.

Every message says what went wrong and what to do about it. None of them ever contains the
access token: messages are built from the request path and GitHub's own error text, and that text
is scrubbed of the token before it is used.
"""

from datetime import datetime, timezone
from typing import Optional

from .settings import TOKEN_ENV_VAR, TOKEN_TOML_HINT

__all__ = [
    "GitHubAPIError",
    "GitHubAuthError",
    "GitHubError",
    "GitHubPermissionError",
    "GitHubRateLimitError",
    "MissingGitHubToken",
]

_HOW_TO_SET_TOKEN = f"set the environment variable {TOKEN_ENV_VAR} or add {TOKEN_TOML_HINT}"


class GitHubError(Exception):
    """Base class of every error raised by the GitHub sources."""


class MissingGitHubToken(GitHubError):
    """A resource that needs a token ran without one."""

    def __init__(self, what: str) -> None:
        super().__init__(
            f"{what} needs a GitHub access token, but none is configured. To fix it, "
            f"{_HOW_TO_SET_TOKEN}, or pass access_token=... to the source."
        )


class GitHubAuthError(GitHubError):
    """GitHub answered 401: the token is wrong, expired or revoked (or missing where required)."""

    def __init__(self, request: str, *, had_token: bool, server_message: str) -> None:
        if had_token:
            problem = (
                "GitHub rejected the access token: it is invalid, expired or revoked. "
                f"Create a new token and {_HOW_TO_SET_TOKEN}."
            )
        else:
            problem = f"GitHub requires authentication here. To fix it, {_HOW_TO_SET_TOKEN}."
        super().__init__(f"{request} failed with 401 ({server_message}). {problem}")


class GitHubPermissionError(GitHubError):
    """GitHub answered 403 without a rate limit: the token lacks a scope or permission."""

    def __init__(self, request: str, *, server_message: str, permission_hint: str) -> None:
        super().__init__(
            f"{request} failed with 403 ({server_message}). The token is valid but is not allowed "
            f"to do this: {permission_hint}. Grant that to the token, or use one that has it."
        )


class GitHubRateLimitError(GitHubError):
    """The request was still rate limited after all retries.

    Attributes:
        reset_at: When GitHub said the limit resets (UTC), if it said so.
    """

    def __init__(self, request: str, *, retries: int, reset_at: Optional[datetime]) -> None:
        self.reset_at = reset_at
        if reset_at is None:
            when = "GitHub did not say when it resets"
        else:
            minutes = max(0, round((reset_at - datetime.now(timezone.utc)).total_seconds() / 60))
            when = f"it resets at {reset_at:%Y-%m-%d %H:%M:%S} UTC (in about {minutes} min)"
        super().__init__(
            f"GitHub rate limit hit on {request} and still in effect after {retries} "
            f"retries; {when}. Run again after the reset, raise rate_limit_max_wait_seconds so "
            "the source waits for it, or use an authenticated token (anonymous requests get a "
            "much lower limit)."
        )


class GitHubAPIError(GitHubError):
    """Any other unexpected answer from GitHub (HTTP error or GraphQL ``errors``).

    Attributes:
        status_code: The HTTP status, or 200 for GraphQL errors delivered with a 200.
    """

    def __init__(
        self, request: str, *, status_code: int, server_message: str, hint: str = ""
    ) -> None:
        self.status_code = status_code
        message = f"{request} failed with {status_code} ({server_message})."
        super().__init__(f"{message} {hint}" if hint else message)
