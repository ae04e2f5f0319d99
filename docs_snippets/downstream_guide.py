"""Dagster's guide, "define downstream dependencies", as it is written there.

The guide builds the translator data from the resource and the pipeline's *destination*; the
published package rejects that with a ``TypeError``, this one takes either.
"""

from dagster import AssetExecutionContext, Definitions, asset

from dagster_dlt import DagsterDltResource, DagsterDltTranslator
from dagster_dlt.translator import DltResourceTranslatorData

from example_source import example, example_dlt_assets, example_pipeline

example_source = example()

courses_asset_key = (
    DagsterDltTranslator()
    .get_asset_spec(
        DltResourceTranslatorData(
            resource=example_source.courses, destination=example_pipeline.destination
        )
    )
    .key
)


@asset(deps=[courses_asset_key])
def example_downstream_asset(context: AssetExecutionContext) -> None:
    """Runs after the dlt asset that loads the courses."""
    context.log.info(f"upstream: {courses_asset_key.to_user_string()}")


defs = Definitions(
    assets=[example_dlt_assets, example_downstream_asset],
    resources={"dlt": DagsterDltResource()},
)
