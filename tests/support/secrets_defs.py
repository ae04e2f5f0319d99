"""A code location whose source calls an API with a token, in a header or in the query string
(``SECRET_MODE``), with dlt's ``requests`` helper as dlt's docs show, and loads into DuckDB or
into a sink that posts the rows back to the API (``SECRET_DESTINATION``), for the secret scans of
tests/redaction/test_secret_scan.py."""

import os
from collections.abc import Iterator
from typing import Any

import dlt
from dagster import AssetExecutionContext, Definitions
from dlt.common.schema import TTableSchema
from dlt.common.typing import TDataItems
from dlt.sources.helpers import requests

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


@dlt.destination(batch_size=10, name="items_api")
def items_api(
    items: TDataItems, table: TTableSchema, access_token: str = dlt.secrets.value
) -> None:
    """A reverse-ETL sink, as dlt's docs write one: it posts the rows back to the API."""
    base_url = os.environ["SOURCES__SECRET_API__BASE_URL"]
    response = requests.post(f"{base_url}/items?access_token={access_token}", json=items)
    response.raise_for_status()


def destination() -> Any:
    """DuckDB, or with ``SECRET_DESTINATION=sink`` the API sink (its load jobs then fail)."""
    if os.environ.get("SECRET_DESTINATION") == "sink":
        return items_api
    return dlt.destinations.duckdb(os.environ.get("SECRET_TARGET", "secret.duckdb"))


@dlt_assets(
    dlt_source=secret_api(),
    dlt_pipeline=dlt.pipeline(
        pipeline_name="secret_api", destination=destination(), dataset_name="api"
    ),
)
def secret_api_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
    yield from dlt.run(context=context).fetch_row_count()


defs = Definitions(assets=[secret_api_assets], resources={"dlt": DagsterDltResource()})
