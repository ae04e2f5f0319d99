"""A secret held by Dagster (``EnvVar``) handed to dlt when the assets run."""

from dagster import AssetExecutionContext, ConfigurableResource, Definitions, EnvVar

from dagster_dlt import DagsterDltResource, dlt_assets

from quickstart import example, example_pipeline


class ExampleApi(ConfigurableResource):
    """Access to the example API."""

    api_key: str


@dlt_assets(dlt_source=example(), dlt_pipeline=example_pipeline, name="example_keyed")
def example_keyed_assets(
    context: AssetExecutionContext, dlt: DagsterDltResource, example_api: ExampleApi
):
    source = example()
    # Bound arguments win over dlt's own lookup, so SOURCES__EXAMPLE__API_KEY is not needed.
    for resource in source.resources.values():
        resource.bind(api_key=example_api.api_key)
    yield from dlt.run(context=context, dlt_source=source)


defs = Definitions(
    assets=[example_keyed_assets],
    resources={
        "dlt": DagsterDltResource(),
        # Read when a run starts, not when the definitions load.
        "example_api": ExampleApi(api_key=EnvVar("EXAMPLE_API_KEY")),
    },
)
