"""The example source with its rows inline: courses and users, loaded into a local DuckDB file.

The pages about keys, lineage, partitions and run metadata build on it; put it next to their files.
"""

import dlt
from dagster import AssetExecutionContext, Definitions

from dagster_dlt import DagsterDltResource, dlt_assets

COURSES = [
    {"id": 1, "title": "Intro"},
    {"id": 2, "title": "Advanced"},
    {"id": 3, "title": "Expert"},
]
USERS = [
    {"id": 1, "name": "ada", "enrollments": [{"course_id": 1}, {"course_id": 2}]},
    {"id": 2, "name": "grace", "enrollments": [{"course_id": 3}]},
]


@dlt.source
def example():
    """Courses and users."""

    @dlt.resource(primary_key="id", write_disposition="merge")
    def courses():
        """Courses on offer."""
        yield COURSES

    @dlt.resource(primary_key="id", write_disposition="merge")
    def users():
        """Users and the courses they are enrolled in."""
        yield USERS

    return courses, users


example_pipeline = dlt.pipeline(
    pipeline_name="example_pipeline",
    destination="duckdb",  # the file example_pipeline.duckdb in the working directory
    dataset_name="example_data",
)


@dlt_assets(
    dlt_source=example(), dlt_pipeline=example_pipeline, name="example", group_name="example"
)
def example_dlt_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
    yield from dlt.run(context=context)


defs = Definitions(assets=[example_dlt_assets], resources={"dlt": DagsterDltResource()})
