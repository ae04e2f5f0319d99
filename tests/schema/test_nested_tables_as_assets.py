"""Nested tables as assets (dagster-io/dagster#21090): a blog source whose posts carry tags and
comments, loaded into a real DuckDB file, with the definitions built from dlt's stored schema."""

from collections.abc import Iterator
from typing import Any, Optional

import dlt
import pytest
from dagster import (
    AssetIn,
    AssetKey,
    Definitions,
    StaticPartitionsDefinition,
    asset,
    materialize,
)

from dagster_dlt import (
    DagsterDltResource,
    DagsterDltTranslator,
    DltCatalog,
    DltDatasetInputManager,
    dlt_assets,
)
from dagster_dlt.constants import (
    COLUMN_SCHEMA,
    LOADED_ALONG,
    NESTED_TABLES_WITHOUT_ASSETS,
    ROWS_LOADED,
    SPEC_PARENT_TABLE,
    SPEC_PRIMARY_KEY,
    SPEC_WRITE_DISPOSITION,
)
from tests.support.dlt_fixtures import count_rows

POSTS = [
    {
        "id": 1,
        "title": "dlt and dagster",
        "tags": ["dlt", "dagster"],
        "comments": [{"author": "ada", "likes": [1, 2]}, {"author": "grace", "likes": []}],
    },
    {"id": 2, "title": "nested data", "tags": ["json"], "comments": []},
]


@dlt.source
def blog(posts: Optional[list[dict[str, Any]]] = None):
    """A blog API: posts with their tags and comments, as a REST API returns them."""
    posts = POSTS if posts is None else posts

    @dlt.resource(primary_key="id", write_disposition="merge")
    def posts_resource() -> Iterator[dict[str, Any]]:
        yield from posts

    @dlt.resource(primary_key="id")
    def authors() -> Iterator[dict[str, Any]]:
        yield [{"id": 1, "name": "ada"}]

    return posts_resource.with_name("posts"), authors


def first_run(make_pipeline, **kwargs) -> dlt.Pipeline:
    """Load once with dlt itself, as a user does before adopting schema-backed definitions."""
    pipeline = make_pipeline("blog", dataset="blog")
    pipeline.run(blog(**kwargs))
    return make_pipeline("blog", dataset="blog")


def blog_assets(pipeline: dlt.Pipeline, **kwargs: Any):
    @dlt_assets(dlt_source=blog(), dlt_pipeline=pipeline, nested_tables="assets", **kwargs)
    def assets(context, dlt: DagsterDltResource):
        yield from dlt.run(context=context)

    return assets


def key(name: str) -> AssetKey:
    return AssetKey(f"dlt_blog_{name}")


def materializations(result) -> dict[AssetKey, Any]:
    return {
        event.asset_key: event.step_materialization_data.materialization
        for event in result.get_asset_materialization_events()
    }


def test_each_nested_table_is_an_asset_depending_on_its_parent(make_pipeline):
    assets = blog_assets(first_run(make_pipeline))

    specs = {spec.key: spec for spec in assets.specs}
    assert set(specs) == {
        key("posts"),
        key("posts__tags"),
        key("posts__comments"),
        key("posts__comments__likes"),
        key("authors"),
    }
    assert [dep.asset_key for dep in specs[key("posts__tags")].deps] == [key("posts")]
    assert [dep.asset_key for dep in specs[key("posts__comments__likes")].deps] == [
        key("posts__comments")
    ]
    tags = specs[key("posts__tags")].metadata
    assert tags[SPEC_PARENT_TABLE] == "posts"
    assert "value" in {c.name for c in tags[COLUMN_SCHEMA].value.columns}
    # The nested table inherits its root's write disposition; keys stay with the root.
    assert tags[SPEC_WRITE_DISPOSITION] == "merge"
    assert specs[key("posts")].metadata[SPEC_PRIMARY_KEY] == ["id"]


def test_a_run_materializes_the_parent_and_its_nested_tables_each_with_its_rows(
    make_pipeline, duckdb_path
):
    pipeline = first_run(make_pipeline)
    result = materialize([blog_assets(pipeline)], resources={"dlt": DagsterDltResource()})

    assert result.success
    done = materializations(result)
    assert len(done) == 5
    assert done[key("posts__tags")].metadata[ROWS_LOADED].value == 3
    assert done[key("posts__comments")].metadata[ROWS_LOADED].value == 2
    assert done[key("posts__comments__likes")].metadata[ROWS_LOADED].value == 2
    assert done[key("posts")].metadata[ROWS_LOADED].value == 2
    versions = {k: m.tags.get("dagster/data_version") for k, m in done.items()}
    assert all(versions.values()) and len(set(versions.values())) == 5
    # Merge: the first run with dlt and this one hold each post once, its tags once.
    assert count_rows(duckdb_path, "blog", "posts__tags") == 3


def test_selecting_a_nested_table_loads_its_resource_and_says_what_came_along(make_pipeline):
    assets = blog_assets(first_run(make_pipeline))
    result = materialize(
        [assets], resources={"dlt": DagsterDltResource()}, selection=[key("posts__tags")]
    )

    assert result.success
    done = materializations(result)
    assert set(done) == {key("posts__tags")}
    along = done[key("posts__tags")].metadata[LOADED_ALONG].value
    assert set(along) == {
        key(name).to_user_string()
        for name in ("posts", "posts__comments", "posts__comments__likes")
    }
    assert "authors" not in str(along)


def test_a_downstream_asset_reads_a_nested_table(make_pipeline):
    assets = blog_assets(first_run(make_pipeline))

    @asset(ins={"tags": AssetIn(key("posts__tags"), input_manager_key="dlt_dataset")})
    def tag_counts(tags) -> dict[str, int]:
        frame = tags.df()
        return frame["value"].value_counts().to_dict()

    defs = Definitions(
        assets=[assets, tag_counts],
        resources={"dlt": DagsterDltResource(), "dlt_dataset": DltDatasetInputManager()},
    )
    graph = defs.resolve_asset_graph()
    assert key("posts__tags") in graph.get(AssetKey("tag_counts")).parent_keys
    result = materialize(
        [assets, tag_counts],
        resources={"dlt": DagsterDltResource(), "dlt_dataset": DltDatasetInputManager()},
    )
    assert result.success
    assert result.output_for_node("tag_counts") == {"dlt": 1, "dagster": 1, "json": 1}


def test_nested_tables_of_a_partitioned_source_materialize_per_partition(make_pipeline):
    pipeline = first_run(make_pipeline)
    days = StaticPartitionsDefinition(["2026-12-01", "2026-12-02"])

    @dlt_assets(
        dlt_source=blog(),
        dlt_pipeline=pipeline,
        nested_tables="assets",
        partitions_def=days,
    )
    def assets(context, dlt: DagsterDltResource):
        day = context.partition_key
        posts = [{**post, "id": post["id"] * 10 + int(day[-1]), "day": day} for post in POSTS]
        yield from dlt.run(context=context, dlt_source=blog(posts))

    result = materialize(
        [assets], resources={"dlt": DagsterDltResource()}, partition_key="2026-12-02"
    )

    assert result.success
    done = materializations(result)
    assert key("posts__comments__likes") in done
    partitions = {e.partition for e in result.get_asset_materialization_events()}
    assert partitions == {"2026-12-02"}


def test_a_nested_table_new_since_the_schema_is_reported_then_picked_up(make_pipeline):
    pipeline = first_run(make_pipeline)
    with_links = [{**post, "links": [{"url": "https://dlthub.com"}]} for post in POSTS]

    @dlt_assets(dlt_source=blog(), dlt_pipeline=pipeline, nested_tables="assets")
    def assets(context, dlt: DagsterDltResource):
        yield from dlt.run(context=context, dlt_source=blog(with_links))

    result = materialize([assets], resources={"dlt": DagsterDltResource()})

    assert result.success
    posts = materializations(result)[key("posts")]
    assert posts.metadata[NESTED_TABLES_WITHOUT_ASSETS].value == ["posts__links"]
    # The run stored the new schema: the next definitions load has the new asset.
    reloaded = blog_assets(make_pipeline("blog", dataset="blog"))
    assert key("posts__links") in {spec.key for spec in reloaded.specs}


def test_the_translator_can_change_nested_specs(make_pipeline):
    class NestedInTheirOwnGroup(DagsterDltTranslator):
        def get_nested_table_spec(self, data):
            spec = super().get_nested_table_spec(data)
            return spec.replace_attributes(group_name="nested")

    assets = blog_assets(first_run(make_pipeline), dagster_dlt_translator=NestedInTheirOwnGroup())

    groups = {spec.key: spec.group_name for spec in assets.specs}
    assert groups[key("posts__tags")] == "nested"
    assert groups[key("posts")] == "default"


def test_without_a_stored_schema_there_are_no_nested_assets_until_a_run(make_pipeline):
    pipeline = make_pipeline("blog", dataset="blog")
    assets = blog_assets(pipeline)
    assert {spec.key for spec in assets.specs} == {key("posts"), key("authors")}

    result = materialize([assets], resources={"dlt": DagsterDltResource()})
    assert result.success
    reported = materializations(result)[key("posts")].metadata
    assert set(reported[NESTED_TABLES_WITHOUT_ASSETS].value) == {
        "posts__tags",
        "posts__comments",
        "posts__comments__likes",
    }
    assert len(blog_assets(make_pipeline("blog", dataset="blog")).specs) == 5


def test_a_bad_nested_tables_value_says_which_values_exist(make_pipeline):
    with pytest.raises(Exception, match=r"nested_tables must be 'metadata'.*or 'assets'"):
        dlt_assets(dlt_source=blog(), dlt_pipeline=make_pipeline(), nested_tables="tables")


def test_the_catalog_reads_a_nested_tables_asset(make_pipeline):
    assets = blog_assets(first_run(make_pipeline))
    assert materialize([assets], resources={"dlt": DagsterDltResource()}).success

    catalog = DltCatalog([assets])
    tags = catalog.asset(key("posts__tags")).df()
    assert sorted(tags["value"]) == ["dagster", "dlt", "json"]
    assert len(catalog.asset(key("posts")).df()) == 2
