"""A code location whose source calls an API with a token, in a header or in the query string
(``SECRET_MODE``), for the secret scans of tests/test_secret_scan.py."""

import os
from collections.abc import Iterator
from typing import Any

import dlt
import requests
from dagster import AssetExecutionContext, Definitions

from dagster_dlt import DagsterDltResource, dlt_assets


@dlt.source(section="secret_api")
def secret_api(base_url: str = dlt.config.value):
    @dlt.resource(primary_key="id")
    def items(access_token: str = dlt.secrets.value) -> Iterator[list[dict[str, Any]]]:
        if os.environ.get("SECRET_MODE") == "query":
            response = requests.get(f"{base_url}/items?access_token={access_token}", timeout=10)
        else:
            headers = {"Authorization": f"Bearer {access_token}"}
            response = requests.get(f"{base_url}/items", headers=headers, timeout=10)
        response.raise_for_status()
        yield response.json()

    return items


@dlt_assets(
    dlt_source=secret_api(),
    dlt_pipeline=dlt.pipeline(
        pipeline_name="secret_api",
        destination=dlt.destinations.duckdb(os.environ.get("SECRET_TARGET", "secret.duckdb")),
        dataset_name="api",
    ),
)
def secret_api_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
    yield from dlt.run(context=context).fetch_row_count()


defs = Definitions(assets=[secret_api_assets], resources={"dlt": DagsterDltResource()})
