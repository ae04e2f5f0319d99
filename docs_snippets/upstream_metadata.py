"""Describe where the data comes from: one external asset per upstream key of the dlt assets."""

from dagster import AssetSpec, Definitions

from dagster_dlt import DagsterDltResource

from example_source import example_dlt_assets

API_URL = "https://api.example.com/v1"  # where the rows come from, shown in the UI

# The dlt assets depend on example_courses and example_users; declare them, with a group and
# metadata, instead of leaving them as bare keys in the lineage graph.
example_api_specs = [
    AssetSpec(
        key,
        group_name="example_api",
        description=f"The {key.path[-1]} endpoint of the example API.",
        metadata={"url": API_URL},
        kinds={"api"},
    )
    for key in example_dlt_assets.dependency_keys
]

defs = Definitions(
    assets=[example_dlt_assets, *example_api_specs],
    resources={"dlt": DagsterDltResource()},
)
