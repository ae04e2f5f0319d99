"""Materializing a subset of the dlt assets loads exactly the selected resources."""

import pytest
from dagster import AssetExecutionContext, AssetKey, materialize

from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.errors import DltSelectionError
from tests.support.dlt_fixtures import count_rows, shop, table_exists


def build_assets(pipeline, translator_at_run=None):
    @dlt_assets(dlt_source=shop(), dlt_pipeline=pipeline)
    def the_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context, dagster_dlt_translator=translator_at_run)

    return the_assets


def materialized(result):
    return {event.asset_key for event in result.get_asset_materialization_events()}


def test_subset_loads_only_the_selected_resource(make_pipeline, duckdb_path):
    result = materialize(
        [build_assets(make_pipeline())],
        resources={"dlt": DagsterDltResource()},
        selection=[AssetKey("dlt_shop_customers")],
    )

    assert materialized(result) == {AssetKey("dlt_shop_customers")}
    assert count_rows(duckdb_path, "raw", "customers") == 2
    assert not table_exists(duckdb_path, "raw", "orders")
    assert not table_exists(duckdb_path, "raw", "click_events")


def test_subset_of_a_transformer_loads_it_without_its_parent(make_pipeline, duckdb_path):
    result = materialize(
        [build_assets(make_pipeline())],
        resources={"dlt": DagsterDltResource()},
        selection=[AssetKey("dlt_shop_orders")],
    )

    assert materialized(result) == {AssetKey("dlt_shop_orders")}
    assert count_rows(duckdb_path, "raw", "orders") == 6
    # dlt still reads customers to feed the transformer, but does not load them.
    assert not table_exists(duckdb_path, "raw", "customers")


def test_subset_of_two(make_pipeline, duckdb_path):
    result = materialize(
        [build_assets(make_pipeline())],
        resources={"dlt": DagsterDltResource()},
        selection=[AssetKey("dlt_shop_customers"), AssetKey("dlt_shop_events")],
    )
    assert materialized(result) == {AssetKey("dlt_shop_customers"), AssetKey("dlt_shop_events")}
    assert not table_exists(duckdb_path, "raw", "orders")
    assert count_rows(duckdb_path, "raw", "view_events") == 2


def test_a_selection_matching_no_resource_is_an_error(make_pipeline, duckdb_path):
    class Other(DagsterDltTranslator):
        def get_asset_spec(self, data):
            return (
                super()
                .get_asset_spec(data)
                .replace_attributes(key=AssetKey(["other", data.resource.name]))
            )

    with pytest.raises(
        DltSelectionError,
        match=r"None of the selected assets .*dlt_shop_customers.* maps to a resource",
    ):
        materialize(
            [build_assets(make_pipeline(), translator_at_run=Other())],
            resources={"dlt": DagsterDltResource()},
            selection=[AssetKey("dlt_shop_customers")],
        )
    assert not table_exists(duckdb_path, "raw", "customers")
