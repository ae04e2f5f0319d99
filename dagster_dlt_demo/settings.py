"""The demo's knobs: environment variables with defaults that run offline on the bundled sample.

Read once, when the definitions load. Reading them does no I/O and needs no secret; the GitHub
token is dlt's own secret (``SOURCES__GITHUB__ACCESS_TOKEN``), resolved only when a GitHub asset
runs.
"""

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from dlt_sources.gharchive import SAMPLE_DIR
from dlt_sources.github import GITHUB_API_URL

__all__ = [
    "DEMO_EVENT_TYPES",
    "ENV_DUCKDB",
    "ENV_END_DATE",
    "ENV_GHARCHIVE_URL",
    "ENV_GITHUB_API_URL",
    "ENV_GITHUB_REPO",
    "ENV_START_DATE",
    "POOL",
    "SETTINGS",
    "DemoSettings",
]

ENV_DUCKDB = "DAGSTER_DLT_DEMO_DUCKDB"
ENV_GHARCHIVE_URL = "DAGSTER_DLT_DEMO_GHARCHIVE_URL"
ENV_START_DATE = "DAGSTER_DLT_DEMO_START_DATE"
ENV_END_DATE = "DAGSTER_DLT_DEMO_END_DATE"
ENV_GITHUB_REPO = "DAGSTER_DLT_DEMO_GITHUB_REPO"
ENV_GITHUB_API_URL = "DAGSTER_DLT_DEMO_GITHUB_API_URL"

DEMO_EVENT_TYPES = (
    "PushEvent",
    "PullRequestEvent",
    "PullRequestReviewEvent",
    "IssuesEvent",
    "IssueCommentEvent",
    "WatchEvent",
    "ForkEvent",
    "CreateEvent",
    "DeleteEvent",
)
"""The GH Archive event types the demo loads, one asset each: the common ones, and all the bundled
sample holds. Events of other types are left out."""

POOL = "duckdb_demo"
"""The Dagster pool of every asset that writes to the demo's DuckDB file, which allows one writing
process at a time. Give it a limit of 1 to queue such steps instead of having them wait on
dagster-dlt's lock file (see docs/demo.md)."""


@dataclass(frozen=True)
class DemoSettings:
    """Where the demo reads from and writes to.

    Attributes:
        duckdb_path: The DuckDB file (``$DAGSTER_DLT_DEMO_DUCKDB``, default ``demo.duckdb`` in
            the working directory).
        gharchive_url: GH Archive files: the bundled sample by default, or
            ``https://data.gharchive.org`` (``$DAGSTER_DLT_DEMO_GHARCHIVE_URL``).
        start_date: First daily partition (``$DAGSTER_DLT_DEMO_START_DATE``, default
            2024-01-01, the sample's first day).
        end_date: Day after the last daily partition (``$DAGSTER_DLT_DEMO_END_DATE``, default
            2024-01-05, right after the sample's last day).
        github_repo: ``owner/name`` the GitHub assets load (``$DAGSTER_DLT_DEMO_GITHUB_REPO``).
        github_api_url: GitHub's REST API root (``$DAGSTER_DLT_DEMO_GITHUB_API_URL``).
    """

    duckdb_path: Path
    gharchive_url: str
    start_date: date
    end_date: date
    github_repo: str
    github_api_url: str

    @classmethod
    def from_env(cls) -> "DemoSettings":
        """The settings from the environment, defaults filled in."""
        env = os.environ
        start = date.fromisoformat(env.get(ENV_START_DATE) or "2024-01-01")
        end = date.fromisoformat(env.get(ENV_END_DATE) or "2024-01-05")
        if end <= start:
            raise ValueError(
                f"{ENV_END_DATE} ({end}) must be after {ENV_START_DATE} ({start}): it is the day "
                "after the last daily partition."
            )
        return cls(
            duckdb_path=Path(env.get(ENV_DUCKDB) or "demo.duckdb").resolve(),
            gharchive_url=env.get(ENV_GHARCHIVE_URL) or SAMPLE_DIR,
            start_date=start,
            end_date=end,
            github_repo=env.get(ENV_GITHUB_REPO) or "dagster-io/dagster",
            github_api_url=env.get(ENV_GITHUB_API_URL) or GITHUB_API_URL,
        )

    @property
    def database_name(self) -> str:
        """DuckDB's name for the file's catalog: its stem, e.g. ``demo``."""
        return self.duckdb_path.stem


SETTINGS = DemoSettings.from_env()
"""The settings the definitions are built with."""
