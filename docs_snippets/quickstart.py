"""Quick start: a dlt source over a paginated REST API, loaded by Dagster as one asset per resource."""

from collections.abc import Iterator
from typing import Any

import dlt
from dagster import AssetExecutionContext, Definitions
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator

from dagster_dlt import DagsterDltResource, dlt_assets

BASE_URL = "https://api.example.com/v1"


# section="example" fixes where dlt looks up configuration: SOURCES__EXAMPLE__API_KEY, or api_key
# under [sources.example] in .dlt/secrets.toml, wherever this module lives.
@dlt.source(section="example")
def example(base_url: str = BASE_URL):
    """Courses and users of the example API."""

    # The key is an argument of each resource, not of the source: a source resolves its
    # arguments when it is called (when Dagster loads the definitions), a resource when it runs.
    def api(api_key: str) -> RESTClient:
        return RESTClient(
            base_url=base_url,
            auth=BearerTokenAuth(api_key),
            paginator=JSONLinkPaginator(next_url_path="next"),
            data_selector="items",
        )

    @dlt.resource(primary_key="id", write_disposition="merge")
    def courses(api_key: str = dlt.secrets.value) -> Iterator[list[dict[str, Any]]]:
        """Courses on offer."""
        yield from api(api_key).paginate("courses")

    @dlt.resource(primary_key="id", write_disposition="merge")
    def users(api_key: str = dlt.secrets.value) -> Iterator[list[dict[str, Any]]]:
        """Users and the courses they are enrolled in."""
        yield from api(api_key).paginate("users")

    return courses, users


example_pipeline = dlt.pipeline(
    pipeline_name="example_pipeline",
    destination="duckdb",  # the file example_pipeline.duckdb in the working directory
    dataset_name="example_data",
)


@dlt_assets(
    dlt_source=example(),
    dlt_pipeline=example_pipeline,
    name="example",
    group_name="example",
)
def example_dlt_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
    yield from dlt.run(context=context)


defs = Definitions(assets=[example_dlt_assets], resources={"dlt": DagsterDltResource()})
