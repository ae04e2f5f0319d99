"""A translator that sets upstream dependencies: every resource depends on one API asset."""

from dagster import AssetExecutionContext, AssetKey, AssetSpec, Definitions

from dagster_dlt import (
    DagsterDltResource,
    DagsterDltTranslator,
    DltResourceTranslatorData,
    build_dlt_asset_specs,
    dlt_assets,
)

from example_source import example, example_pipeline

EXAMPLE_API = AssetKey("example_api")


class ApiDependencyTranslator(DagsterDltTranslator):
    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
        # One upstream asset for the whole API instead of one per resource.
        return super().get_asset_spec(data).replace_attributes(deps=[EXAMPLE_API])


translator = ApiDependencyTranslator()

# The same translator gives build_dlt_asset_specs and @dlt_assets the same keys and deps: the
# specs describe the assets without defining them, e.g. to declare what they depend on.
example_specs = build_dlt_asset_specs(
    dlt_source=example(),
    dlt_pipeline=example_pipeline,
    dagster_dlt_translator=translator,
)
upstream_keys = {dep.asset_key for spec in example_specs for dep in spec.deps}
upstream_specs = [AssetSpec(key, description="The example REST API.") for key in upstream_keys]


@dlt_assets(
    dlt_source=example(),
    dlt_pipeline=example_pipeline,
    name="example_from_api",
    dagster_dlt_translator=translator,
)
def example_from_api_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
    yield from dlt.run(context=context)


defs = Definitions(
    assets=[example_from_api_assets, *upstream_specs],
    resources={"dlt": DagsterDltResource()},
)
