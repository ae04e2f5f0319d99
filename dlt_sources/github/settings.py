"""Constants for the GitHub sources."""

GITHUB_API_URL = "https://api.github.com"
"""Public GitHub REST and GraphQL host; GitHub Enterprise uses ``https://<host>/api/v3``."""

API_VERSION = "2022-11-28"
"""REST API version pinned through the ``X-GitHub-Api-Version`` header."""

REST_PAGE_SIZE = 100
"""GitHub's maximum ``per_page``; fewer requests means less rate limit spent."""

GRAPHQL_PAGE_SIZE = 100
"""GitHub's maximum ``first`` on a GraphQL connection."""

NESTED_ITEMS_LIMIT = 100
"""How many reactions and comments are fetched per issue or pull request."""

COMMENT_REACTIONS_LIMIT = 20
"""How many reactions are fetched per comment. Kept low because GitHub rejects GraphQL queries
that could return more than 500,000 nodes: 100 items x 100 comments x 20 reactions stays under it."""

INCREMENTAL_START = "1970-01-01T00:00:00Z"
"""First ``since`` value: the first run loads everything."""

RATE_LIMIT_RETRIES = 3
"""How many times a rate-limited request is retried before the source gives up."""

RATE_LIMIT_MAX_WAIT_SECONDS = 300.0
"""Longest single wait for a rate limit to reset; a primary limit can take up to an hour."""

SECONDARY_RATE_LIMIT_WAIT_SECONDS = 60.0
"""GitHub asks clients to wait at least a minute after a secondary limit without ``Retry-After``."""

REQUEST_TIMEOUT_SECONDS = 60.0

TOKEN_ENV_VAR = "SOURCES__GITHUB__ACCESS_TOKEN"
TOKEN_TOML_HINT = "access_token under [sources.github] in .dlt/secrets.toml"
