"""GitHub's REST API into DuckDB: issues, comments and clone traffic of one repository.

Runs need the network, and a token for the clone traffic (``SOURCES__GITHUB__ACCESS_TOKEN``);
loading the definitions needs neither.
"""

import dlt
from dagster import AssetExecutionContext, AssetSpec, MetadataValue

from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData
from dagster_dlt_demo.settings import POOL, SETTINGS
from dagster_dlt_demo.upstream import upstream_specs
from dlt_sources.github import github_source

__all__ = ["GROUP", "GitHubTranslator", "github_assets", "github_pipeline", "github_upstream"]

GROUP = "github"

_DESCRIPTIONS = {
    "issues": "Issues and pull requests of {repo}, merged on id, loaded incrementally on "
    "updated_at.",
    "comments": "Issue and pull request comments of {repo}, merged on id, loaded incrementally "
    "on updated_at.",
    "traffic_clones": "Daily clones of {repo} over the last 14 days, merged on the day. Needs a "
    "token with push access.",
}


class GitHubTranslator(DagsterDltTranslator):
    """Describes each GitHub asset; the source's resources have no docstrings of their own."""

    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
        spec = super().get_asset_spec(data)
        description = _DESCRIPTIONS.get(data.resource.name, "").format(repo=SETTINGS.github_repo)
        return spec.replace_attributes(description=spec.description or description or None)


github_pipeline = dlt.pipeline(
    pipeline_name="github_demo",
    destination=dlt.destinations.duckdb(str(SETTINGS.duckdb_path)),
    # github_source names a table "issues" too: its own dataset keeps it apart.
    dataset_name="github",
)


@dlt_assets(
    # access_token=None: the definitions never read the secret. The run builds its own source.
    dlt_source=github_source(
        SETTINGS.github_repo, access_token=None, base_url=SETTINGS.github_api_url
    ),
    dlt_pipeline=github_pipeline,
    dagster_dlt_translator=GitHubTranslator(),
    group_name=GROUP,
    pool=POOL,
)
def github_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
    # Built at run time, so that dlt resolves the token from its secrets now.
    source = github_source(SETTINGS.github_repo, base_url=SETTINGS.github_api_url)
    yield from dlt.run(context=context, dlt_source=source).fetch_row_count()


github_upstream = upstream_specs(
    github_assets,
    group_name=GROUP,
    description=(
        f"The repository {SETTINGS.github_repo} on GitHub's REST API ({SETTINGS.github_api_url}). "
        "Issues and comments of a public repository load without a token; clone traffic needs "
        "one with push access (SOURCES__GITHUB__ACCESS_TOKEN)."
    ),
    metadata={"repository": MetadataValue.text(SETTINGS.github_repo)},
    kinds={"github"},
)
