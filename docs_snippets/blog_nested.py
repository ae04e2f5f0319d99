"""A blog API's posts with their tags and comments: every nested table an asset of its own."""

import dlt
from dagster import AssetExecutionContext, AssetKey, Definitions, asset

from dagster_dlt import DagsterDltResource, dlt_assets, open_dataset


@dlt.source
def blog():
    @dlt.resource(primary_key="id", write_disposition="merge")
    def posts():
        yield [
            {"id": 1, "title": "Hello", "tags": ["dlt", "dagster"], "comments": [{"by": "ada"}]},
            {"id": 2, "title": "Nested data", "tags": ["json"], "comments": []},
        ]

    return posts


blog_pipeline = dlt.pipeline(pipeline_name="blog_api", destination="duckdb", dataset_name="blog")


@dlt_assets(
    dlt_source=blog(),
    dlt_pipeline=blog_pipeline,
    # posts__tags and posts__comments become assets once the pipeline's stored schema has them.
    nested_tables="assets",
)
def blog_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
    yield from dlt.run(context=context)


@asset(deps=[AssetKey("dlt_blog_posts__tags")])
def tag_counts() -> dict[str, int]:
    """How many posts carry each tag, read from the nested table."""
    tags = open_dataset(blog_pipeline).table("posts__tags").df()
    return tags["value"].value_counts().to_dict()


defs = Definitions(assets=[blog_assets, tag_counts], resources={"dlt": DagsterDltResource()})
