"""The guide's GitHub example: issues and pull requests with their reactions, into Snowflake."""

import dlt
from dagster import AssetExecutionContext, Definitions

from dagster_dlt import DagsterDltResource, dlt_assets

from github import github_reactions


@dlt_assets(
    dlt_source=github_reactions("dagster-io", "dagster", max_items=250),
    dlt_pipeline=dlt.pipeline(
        pipeline_name="github_issues",
        dataset_name="github",
        destination="snowflake",
        progress="log",
    ),
    name="github",
    group_name="github",
)
def dagster_github_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
    yield from dlt.run(context=context)


defs = Definitions(
    assets=[dagster_github_assets],
    resources={"dlt": DagsterDltResource()},
)
