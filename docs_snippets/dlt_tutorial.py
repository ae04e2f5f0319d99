"""The dlt tutorial's GitHub pipeline as Dagster assets: issues and comments, merged on ``id``.

Configuration (``repo_name``) and the secret (``access_token``) come from dlt: environment
variables, or ``.dlt/config.toml`` and ``.dlt/secrets.toml`` in the working directory.
"""

from collections.abc import Iterator
from typing import Any

import dlt
from dagster import AssetExecutionContext, Definitions
from dlt.sources.helpers import requests

from dagster_dlt import DagsterDltResource, dlt_assets

GITHUB_API_URL = "https://api.github.com"
ENDPOINTS = {"issues": "issues", "comments": "issues/comments"}


def github_pages(
    path: str,
    repo_name: str = dlt.config.value,
    access_token: str = dlt.secrets.value,
    base_url: str = GITHUB_API_URL,
    updated_at=dlt.sources.incremental("updated_at", initial_value="1970-01-01T00:00:00Z"),
) -> Iterator[list[dict[str, Any]]]:
    """Every page of one repository endpoint, changed since the last run."""
    url = f"{base_url}/repos/{repo_name}/{path}"
    # "state" matters to issues only (the default is open ones); comments ignore it.
    params = {"since": updated_at.last_value, "state": "all", "per_page": 100}
    headers = {"Authorization": f"Bearer {access_token}"}
    while url:
        response = requests.get(url, params=params, headers=headers)
        response.raise_for_status()
        yield response.json()
        url = response.links.get("next", {}).get("url")
        params = None  # the next link carries the query already


@dlt.source(section="github")
def github_source():
    for name, path in ENDPOINTS.items():
        # One resource per endpoint. dlt resolves repo_name and access_token when the resource
        # runs, so Dagster loads these definitions without them.
        yield dlt.resource(github_pages, name=name, write_disposition="merge", primary_key="id")(
            path
        )


@dlt_assets(
    dlt_source=github_source(),
    dlt_pipeline=dlt.pipeline(
        pipeline_name="github_tutorial", destination="duckdb", dataset_name="github_data"
    ),
    group_name="github",
)
def github_tutorial_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
    yield from dlt.run(context=context)


defs = Definitions(assets=[github_tutorial_assets], resources={"dlt": DagsterDltResource()})
