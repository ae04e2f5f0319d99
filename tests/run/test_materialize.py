"""Materializing dlt assets into a real DuckDB file, and the metadata each materialization carries."""

import dlt
import pytest
from dagster import AssetExecutionContext, AssetKey, TableSchema, materialize

from dagster_dlt import DagsterDltResource, dlt_assets
from tests.support.dlt_fixtures import count_rows, quiet, shop


def build_assets(source, pipeline, with_row_count=False):
    @dlt_assets(dlt_source=source, dlt_pipeline=pipeline)
    def the_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
        events = dlt.run(context=context)
        yield from (events.fetch_row_count() if with_row_count else events)

    return the_assets


def materializations(result):
    return {
        event.asset_key: event.materialization.metadata
        for event in result.get_asset_materialization_events()
    }


def value(metadata, key):
    entry = metadata[key]
    return getattr(entry, "value", entry)


def test_one_materialization_per_asset_with_the_rows_in_duckdb(make_pipeline, duckdb_path):
    result = materialize(
        [build_assets(shop(), make_pipeline())], resources={"dlt": DagsterDltResource()}
    )

    assert result.success
    metadata = materializations(result)
    assert set(metadata) == {
        AssetKey("dlt_shop_customers"),
        AssetKey("dlt_shop_orders"),
        AssetKey("dlt_shop_events"),
    }
    assert count_rows(duckdb_path, "raw", "customers") == 2
    assert count_rows(duckdb_path, "raw", "orders") == 6
    assert count_rows(duckdb_path, "raw", "orders__items") == 6

    customers = metadata[AssetKey("dlt_shop_customers")]
    assert value(customers, "rows_loaded") == 2
    assert value(customers, "dagster/table_name") == "warehouse.raw.customers"
    assert value(customers, "dataset_name") == "raw"
    assert value(customers, "destination_name") == "duckdb"
    assert value(customers, "destination_type") == "dlt.destinations.duckdb"
    assert value(customers, "first_run") is True
    assert value(customers, "started_at") <= value(customers, "finished_at")
    load_ids = value(customers, "load_ids")
    assert len(load_ids) == 1
    jobs = value(customers, "jobs")
    assert jobs and all(
        job["load_id"] == load_ids[0] and job["state"] == "completed_jobs" for job in jobs
    )
    assert all(job["job_id"].startswith("customers.") for job in jobs)
    assert value(customers, "write_disposition") == "merge"

    schema = value(customers, "dagster/column_schema")
    assert isinstance(schema, TableSchema)
    columns = {column.name: column for column in schema.columns}
    assert columns["id"].type == "bigint"
    assert "primary_key" in columns["id"].constraints.other
    assert columns["id"].constraints.nullable is False
    assert columns["name"].type == "text"


def test_nested_tables_get_their_own_schema_and_row_counts(make_pipeline):
    result = materialize(
        [build_assets(shop(), make_pipeline())], resources={"dlt": DagsterDltResource()}
    )
    orders = materializations(result)[AssetKey("dlt_shop_orders")]

    assert value(orders, "rows_loaded") == 6
    assert value(orders, "rows_loaded_by_table") == {"orders": 6, "orders__items": 6}
    nested = value(orders, "orders__items")
    assert isinstance(nested, TableSchema)
    assert {"sku", "qty"} <= {column.name for column in nested.columns}
    assert any(job["job_id"].startswith("orders__items.") for job in value(orders, "jobs"))


def test_dynamic_table_names_report_every_table(make_pipeline):
    result = materialize(
        [build_assets(shop(), make_pipeline())], resources={"dlt": DagsterDltResource()}
    )
    events = materializations(result)[AssetKey("dlt_shop_events")]

    assert value(events, "rows_loaded") == 3
    assert sorted(value(events, "tables")) == [
        "warehouse.raw.click_events",
        "warehouse.raw.view_events",
    ]


def test_second_run_reports_its_own_rows_and_merges(make_pipeline, duckdb_path):
    assets = build_assets(shop(), make_pipeline())
    materialize([assets], resources={"dlt": DagsterDltResource()})
    result = materialize([assets], resources={"dlt": DagsterDltResource()})

    customers = materializations(result)[AssetKey("dlt_shop_customers")]
    assert value(customers, "first_run") is False
    assert value(customers, "rows_loaded") == 2
    assert count_rows(duckdb_path, "raw", "customers") == 2  # merged on the primary key
    assert count_rows(duckdb_path, "raw", "click_events") == 2  # appended


def test_fetch_row_count_adds_the_table_total(make_pipeline):
    assets = build_assets(shop(), make_pipeline(), with_row_count=True)
    materialize([assets], resources={"dlt": DagsterDltResource()})
    result = materialize([assets], resources={"dlt": DagsterDltResource()})

    metadata = materializations(result)
    assert value(metadata[AssetKey("dlt_shop_customers")], "dagster/row_count") == 2
    assert value(metadata[AssetKey("dlt_shop_events")], "rows_loaded") == 3
    # events appends, and its first table holds both runs' clicks
    assert value(metadata[AssetKey("dlt_shop_events")], "dagster/row_count") == 2
    assert "dagster/partition_row_count" not in metadata[AssetKey("dlt_shop_customers")]


@pytest.mark.parametrize("with_row_count", [False, True])
def test_empty_load_succeeds_with_zero_rows(make_pipeline, with_row_count):
    assets = build_assets(quiet(), make_pipeline(), with_row_count=with_row_count)
    result = materialize([assets], resources={"dlt": DagsterDltResource()})

    assert result.success
    nothing = materializations(result)[AssetKey("dlt_quiet_nothing")]
    assert value(nothing, "rows_loaded") == 0
    assert value(nothing, "dagster/table_name") == "warehouse.raw.nothing"
    if with_row_count:
        assert value(nothing, "dagster/row_count") == 0


def test_run_kwargs_reach_pipeline_run(make_pipeline, duckdb_path):
    pipeline = make_pipeline()

    @dlt_assets(dlt_source=shop().with_resources("customers"), dlt_pipeline=pipeline)
    def the_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context, table_name="people", write_disposition="append")

    materialize([the_assets], resources={"dlt": DagsterDltResource()})
    materialize([the_assets], resources={"dlt": DagsterDltResource()})
    assert count_rows(duckdb_path, "raw", "people") == 4


def test_each_run_is_published_to_the_users_directory_and_nothing_accumulates(
    make_pipeline, tmp_path
):
    # Issue #12 changed this on purpose: dlt's own tools must see Dagster's runs, so the run's
    # working directory becomes the user's pipeline directory; the runs' own directories go.
    pipeline = make_pipeline()
    for _ in range(3):
        materialize([build_assets(shop(), pipeline)], resources={"dlt": DagsterDltResource()})
    working_dir = tmp_path / "pipelines" / "test_pipeline"
    assert (working_dir / "state.json").exists()
    assert (working_dir / "schemas" / "shop.schema.json").exists()
    assert (working_dir / "trace.pickle").exists()
    # Issue #18: a plain directory, never swapped, since dlt.pipeline() elsewhere reads it.
    assert not working_dir.is_symlink()
    assert len(list((working_dir / "load" / "loaded").iterdir())) == 3
    runs = tmp_path / "pipelines" / ".dagster-dlt" / "test_pipeline" / "runs"
    assert list(runs.iterdir()) == []
    staging = tmp_path / "pipelines" / ".dagster-dlt" / "test_pipeline" / "staging"
    assert list(staging.iterdir()) == []


def test_the_users_pipeline_is_dlts_active_pipeline_again_after_a_run(make_pipeline):
    pipeline = make_pipeline()
    pipeline.activate()
    materialize([build_assets(shop(), pipeline)], resources={"dlt": DagsterDltResource()})
    assert dlt.current.pipeline() is pipeline
