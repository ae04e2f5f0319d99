"""A translator that renames the assets: ``example/courses`` instead of ``dlt_example_courses``."""

from dagster import AssetExecutionContext, AssetKey, AssetSpec, Definitions

from dagster_dlt import (
    DagsterDltResource,
    DagsterDltTranslator,
    DltResourceTranslatorData,
    dlt_assets,
)

from example_source import example, example_pipeline


class RenamingTranslator(DagsterDltTranslator):
    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
        default_spec = super().get_asset_spec(data)
        # Everything else (deps, description, kinds, metadata) stays as the default translator made it.
        return default_spec.replace_attributes(
            key=AssetKey([data.resource.source_name, data.resource.name]),
        )


@dlt_assets(
    dlt_source=example(),
    dlt_pipeline=example_pipeline,
    name="example_renamed",
    group_name="example",
    dagster_dlt_translator=RenamingTranslator(),
)
def renamed_example_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
    yield from dlt.run(context=context)


defs = Definitions(assets=[renamed_example_assets], resources={"dlt": DagsterDltResource()})
