"""Downstream of a dlt asset: depend on its key and read the table it loaded."""

from dagster import AssetExecutionContext, Definitions, MaterializeResult, MetadataValue, asset

from dagster_dlt import DagsterDltResource, DagsterDltTranslator, DltResourceTranslatorData

from example_source import example, example_dlt_assets, example_pipeline

# The key comes from the translator the dlt assets use, so it follows any renaming.
courses_key = (
    DagsterDltTranslator()
    .get_asset_spec(
        DltResourceTranslatorData(
            resource=example().resources["courses"], pipeline=example_pipeline
        )
    )
    .key
)


@asset(deps=[courses_key])
def course_titles(context: AssetExecutionContext) -> MaterializeResult:
    """The titles of every course, read from the table the dlt asset loaded."""
    with example_pipeline.sql_client() as client:
        courses = client.make_qualified_table_name("courses")
        titles = [
            title for (title,) in client.execute_sql(f"SELECT title FROM {courses} ORDER BY id")
        ]
    context.log.info(f"{len(titles)} courses")
    return MaterializeResult(
        metadata={"course_count": len(titles), "titles": MetadataValue.json(titles)}
    )


defs = Definitions(
    assets=[example_dlt_assets, course_titles],
    resources={"dlt": DagsterDltResource()},
)
