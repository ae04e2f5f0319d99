"""A REST API's tables as Dagster steps of their own, each in a Kubernetes pod, into Snowflake."""

from collections.abc import Iterator
from typing import Any

import dlt
from dagster import Definitions, define_asset_job
from dagster_k8s import k8s_job_executor
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator

from dagster_dlt import DagsterDltResource, build_dlt_assets_definitions

SECRET = "dlt-credentials"  # the Kubernetes Secret whose keys become the step pods' variables
POOL = "snowflake_loads"  # its limit: dagster instance concurrency set snowflake_loads 2


# The key is read where a step runs, from SOURCES__SHOP_API__API_KEY: loading the definitions
# (the code server, the run pod) needs no secret.
@dlt.source(section="shop_api")
def shop_api(base_url: str = "https://api.example.com/v1"):
    """Customers, orders and products of a shop's API."""

    def pages(api_key: str, path: str, **params: Any) -> Iterator[list[dict[str, Any]]]:
        client = RESTClient(
            base_url=base_url,
            auth=BearerTokenAuth(api_key),
            paginator=JSONLinkPaginator(next_url_path="next"),
            data_selector="items",
        )
        yield from client.paginate(path, params=params)

    @dlt.resource(primary_key="id", write_disposition="merge")
    def customers(api_key: str = dlt.secrets.value) -> Iterator[list[dict[str, Any]]]:
        yield from pages(api_key, "customers")

    @dlt.resource(primary_key="id", write_disposition="merge")
    def orders(
        api_key: str = dlt.secrets.value,
        updated_at: dlt.sources.incremental[str] = dlt.sources.incremental(
            "updated_at", initial_value="2024-01-01T00:00:00Z"
        ),
    ) -> Iterator[list[dict[str, Any]]]:
        # The cursor lives in Snowflake: each orders step restores it there, on a fresh pod.
        yield from pages(api_key, "orders", updated_since=updated_at.last_value)

    @dlt.resource(primary_key="id", write_disposition="merge")
    def products(api_key: str = dlt.secrets.value) -> Iterator[list[dict[str, Any]]]:
        yield from pages(api_key, "products")

    return customers, orders, products


shop_steps = build_dlt_assets_definitions(
    dlt_source=shop_api(),
    dlt_pipeline=dlt.pipeline(
        pipeline_name="shop_api",
        # Credentials from DESTINATION__SNOWFLAKE__CREDENTIALS__*, read when a step starts.
        destination="snowflake",
        dataset_name="shop",
    ),
    split="resource",  # dlt_shop_api_customers, dlt_shop_api_orders, dlt_shop_api_products
    group_name="shop_api",
    # Each step holds a slot of the pool while it runs, whichever run it belongs to.
    pool=POOL,
)

step_pods = k8s_job_executor.configured(
    {
        "max_concurrent": 3,  # step pods of one run at once
        "env_secrets": [SECRET],
        "step_k8s_config": {
            "container_config": {
                "resources": {
                    "requests": {"cpu": "500m", "memory": "1Gi"},
                    "limits": {"memory": "1Gi"},
                }
            }
        },
        # The orders step normalizes the most rows: more memory for its pod only.
        "per_step_k8s_config": {
            "dlt_shop_api_orders": {
                "container_config": {
                    "resources": {"requests": {"memory": "4Gi"}, "limits": {"memory": "4Gi"}}
                }
            }
        },
    }
)

defs = Definitions(
    assets=shop_steps,
    jobs=[define_asset_job("shop_job", selection=shop_steps, executor_def=step_pods)],
    resources={"dlt": DagsterDltResource()},
)
