"""Demo definitions (offline): an example source loaded into DuckDB through @dlt_assets."""

import os
from pathlib import Path

import dlt
from dagster import AssetExecutionContext, Definitions

from dagster_dlt import DagsterDltResource, dlt_assets

DUCKDB_PATH = Path(os.environ.get("DAGSTER_DLT_DEMO_DUCKDB", "demo.duckdb")).resolve()


@dlt.source
def example():
    """A small offline source: courses and the users enrolled in them."""

    @dlt.resource(primary_key="id", write_disposition="merge")
    def courses():
        """Courses on offer."""
        yield [{"id": i, "title": f"Course {i}"} for i in range(1, 6)]

    @dlt.resource(primary_key="id", write_disposition="merge")
    def users():
        """Users and their enrollments."""
        yield [
            {"id": i, "name": f"user{i}", "enrollments": [{"course_id": 1 + i % 5}]}
            for i in range(1, 21)
        ]

    return courses, users


@dlt_assets(
    dlt_source=example(),
    dlt_pipeline=dlt.pipeline(
        pipeline_name="example",
        dataset_name="example",
        destination=dlt.destinations.duckdb(str(DUCKDB_PATH)),
    ),
    group_name="example",
)
def example_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
    yield from dlt.run(context=context).fetch_row_count()


defs = Definitions(assets=[example_assets], resources={"dlt": DagsterDltResource()})
