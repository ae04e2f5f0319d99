"""What code written for the published package, and dlt's own sources as users write them, meet."""

import sqlite3
from pathlib import Path

import dlt
import pytest
from dagster import (
    AssetExecutionContext,
    AssetKey,
    DagsterInvalidDefinitionError,
    DagsterInvariantViolationError,
    Definitions,
    materialize,
)
from dlt.sources.filesystem import filesystem, read_csv

from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from tests.support.dlt_fixtures import count_rows, shop


def materialize_all(assets):
    return materialize([assets], resources={"dlt": DagsterDltResource()})


def test_group_name_with_a_grouping_translator_keeps_the_published_opening_phrase(make_pipeline):
    class Grouping(DagsterDltTranslator):
        def get_asset_spec(self, data):
            return super().get_asset_spec(data).replace_attributes(group_name="raw")

    with pytest.raises(DagsterInvariantViolationError) as raised:

        @dlt_assets(
            dlt_source=shop(),
            dlt_pipeline=make_pipeline(),
            group_name="g",
            dagster_dlt_translator=Grouping(),
        )
        def assets(context: AssetExecutionContext, dlt: DagsterDltResource):
            yield from dlt.run(context=context)

    message = str(raised.value)
    assert message.startswith("Cannot set group_name parameter on dlt_assets")
    assert (
        "Grouping" in message and "either pass group_name or set them in the translator" in message
    )


@dlt.source
def odd_names():
    @dlt.resource(name="Order Items", primary_key="id")
    def order_items():
        yield [{"id": 1}, {"id": 2}]

    @dlt.resource(name="order-lines", table_name="order-lines")
    def order_lines():
        yield [{"line": 1}]

    return order_items, order_lines


def test_resources_with_names_dagster_rejects_get_sanitised_keys_and_load(
    make_pipeline, duckdb_path
):
    @dlt_assets(dlt_source=odd_names(), dlt_pipeline=make_pipeline())
    def assets(context: AssetExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context)

    keys = {spec.key for spec in assets.specs}
    assert keys == {AssetKey("dlt_odd_names_Order_Items"), AssetKey("dlt_odd_names_order_lines")}
    deps = {dep.asset_key for spec in assets.specs for dep in spec.deps}
    assert deps == {AssetKey("odd_names_Order_Items"), AssetKey("odd_names_order_lines")}
    Definitions(assets=[assets], resources={"dlt": DagsterDltResource()}).get_repository_def()

    assert materialize_all(assets).success
    assert count_rows(duckdb_path, "raw", "order_items") == 2
    assert count_rows(duckdb_path, "raw", "order_lines") == 1


def test_a_translator_that_makes_an_invalid_key_is_named_with_the_resource(make_pipeline):
    class Raw(DagsterDltTranslator):
        def get_asset_spec(self, data):
            return super().get_asset_spec(data).replace_attributes(key=AssetKey(data.resource.name))

    with pytest.raises(DagsterInvalidDefinitionError) as raised:

        @dlt_assets(
            dlt_source=odd_names(), dlt_pipeline=make_pipeline(), dagster_dlt_translator=Raw()
        )
        def assets(context: AssetExecutionContext, dlt: DagsterDltResource):
            yield from dlt.run(context=context)

    message = str(raised.value)
    assert "Raw.get_asset_spec" in message and "'Order Items'" in message
    assert "dagster_name" in message


def test_a_resource_is_accepted_where_a_source_is_expected(make_pipeline, duckdb_path, tmp_path):
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "a.csv").write_text("id,name\n1,ada\n2,grace\n")
    (folder / "b.csv").write_text("id,name\n3,edsger\n")
    reader = filesystem(bucket_url=str(folder), file_glob="*.csv") | read_csv()

    @dlt_assets(dlt_source=reader, dlt_pipeline=make_pipeline())
    def csv_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context)

    (spec,) = csv_assets.specs
    assert spec.key == AssetKey("dlt_read_csv__read_csv")
    result = materialize_all(csv_assets)
    assert result.success
    assert count_rows(duckdb_path, "raw", "_read_csv") == 3


def test_sql_database_that_reflects_no_tables_says_why(make_pipeline, tmp_path):
    from dlt.sources.sql_database import sql_database

    wrong_path = tmp_path / "typo.db"  # SQLAlchemy creates it, empty
    with pytest.raises(DagsterInvalidDefinitionError) as raised:

        @dlt_assets(
            dlt_source=sql_database(credentials=f"sqlite:///{wrong_path}"),
            dlt_pipeline=make_pipeline(),
        )
        def assets(context: AssetExecutionContext, dlt: DagsterDltResource):
            yield from dlt.run(context=context)

    message = str(raised.value)
    assert "reflected no tables" in message and "defer_table_reflect=True" in message
    assert "credentials" in message


def test_sql_database_over_sqlite_loads_as_users_write_it(make_pipeline, duckdb_path, tmp_path):
    from dlt.sources.sql_database import sql_database

    database = tmp_path / "shop.db"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        connection.executemany("INSERT INTO customers VALUES (?, ?)", [(1, "ada"), (2, "grace")])

    @dlt_assets(
        dlt_source=sql_database(credentials=f"sqlite:///{Path(database)}"),
        dlt_pipeline=make_pipeline(),
    )
    def assets(context: AssetExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context)

    assert materialize_all(assets).success
    assert count_rows(duckdb_path, "raw", "customers") == 2


def test_iterating_the_run_as_the_published_package_documents_sees_only_materializations(
    make_pipeline,
):
    # The published package's test_example_pipeline_has_required_metadata_keys, as users copy it:
    # every event of dlt.run() carries the materialization metadata.
    required_metadata_keys = {
        "destination_type",
        "destination_name",
        "dataset_name",
        "first_run",
        "started_at",
        "finished_at",
        "jobs",
    }

    @dlt_assets(dlt_source=shop(), dlt_pipeline=make_pipeline())
    def example_pipeline_assets(
        context: AssetExecutionContext, dlt_pipeline_resource: DagsterDltResource
    ):
        for asset in dlt_pipeline_resource.run(context=context):
            assert asset.metadata
            assert all(key in asset.metadata for key in required_metadata_keys)
            yield asset

    for _ in range(2):  # a first load and a second one into existing tables
        result = materialize(
            [example_pipeline_assets], resources={"dlt_pipeline_resource": DagsterDltResource()}
        )
        assert result.success
        assert result.get_asset_check_evaluations() == []
    assert list(example_pipeline_assets.check_specs) == []


def test_two_resources_whose_names_sanitize_to_one_key_are_named_with_the_fix(make_pipeline):
    @dlt.source(name="shop")
    def shop_exports():
        @dlt.resource(name="my-table")
        def dashed():
            yield {"id": 1}

        @dlt.resource(name="my_table")
        def underscored():
            yield {"id": 2}

        return dashed, underscored

    with pytest.raises(DagsterInvalidDefinitionError) as raised:

        @dlt_assets(
            dlt_source=shop_exports(), dlt_pipeline=make_pipeline(), schema_drift_check=True
        )
        def assets(context: AssetExecutionContext, dlt: DagsterDltResource):
            yield from dlt.run(context=context)

    message = str(raised.value)
    assert "'my-table'" in message and "'my_table'" in message
    assert "dlt_shop_my_table" in message
    assert "get_asset_spec" in message


def fetch_github_data(repo: str):
    """The dlt tutorial's generator: issues of a repository, page by page."""
    for page in range(2):
        yield [{"id": page * 10 + i, "repo": repo} for i in range(3)]


def test_a_generator_object_as_a_resource_warns_at_definition_and_says_so_on_a_rerun(
    make_pipeline, duckdb_path
):
    issues = dlt.resource(fetch_github_data("dlt-hub/dlt"), name="issues")

    with pytest.warns(UserWarning) as warned:

        @dlt_assets(dlt_source=issues, dlt_pipeline=make_pipeline())
        def github_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
            yield from dlt.run(context=context)

    (message,) = [str(w.message) for w in warned if "issues" in str(w.message)]
    assert "generator object" in message
    assert "dlt.resource(fetch_github_data, name=" in message

    assert materialize_all(github_assets).success  # the first run loads the generator's rows
    assert count_rows(duckdb_path, "raw", "issues") == 6

    second = materialize(
        [github_assets], resources={"dlt": DagsterDltResource()}, raise_on_error=False
    )
    assert not second.success
    failure = str(second.get_step_failure_events()[0].step_failure_data.error)
    assert "'issues'" in failure and "generator object" in failure
    assert "dlt.resource(fetch_github_data, name=" in failure
    assert count_rows(duckdb_path, "raw", "issues") == 6


def test_a_generator_function_as_a_resource_runs_twice_without_a_warning(
    make_pipeline, duckdb_path
):
    issues = dlt.resource(fetch_github_data, name="issues")("dlt-hub/dlt")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)

        @dlt_assets(dlt_source=issues, dlt_pipeline=make_pipeline())
        def github_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
            yield from dlt.run(context=context)

    assert materialize_all(github_assets).success
    assert materialize_all(github_assets).success
    assert count_rows(duckdb_path, "raw", "issues") == 12
