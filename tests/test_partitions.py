"""Partitioned dlt assets: the partition key reaches the source; backfills default to one run."""

from dagster import (
    AssetExecutionContext,
    AssetKey,
    BackfillPolicy,
    DailyPartitionsDefinition,
    StaticPartitionsDefinition,
    materialize,
)

from dagster_dlt import DagsterDltResource, dlt_assets
from tests.dlt_fixtures import shop


def query(duckdb_path, sql):
    import duckdb

    with duckdb.connect(str(duckdb_path), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def test_static_partition_key_is_passed_into_the_source(make_pipeline, duckdb_path):
    partitions = StaticPartitionsDefinition(["north", "south"])

    @dlt_assets(dlt_source=shop(), dlt_pipeline=make_pipeline(), partitions_def=partitions)
    def regional(context: AssetExecutionContext, dlt: DagsterDltResource):
        source = shop(day=context.partition_key).with_resources("customers", "orders")
        yield from dlt.run(context=context, dlt_source=source).fetch_row_count()

    selection = [AssetKey("dlt_shop_customers"), AssetKey("dlt_shop_orders")]
    result = materialize(
        [regional],
        partition_key="south",
        resources={"dlt": DagsterDltResource()},
        selection=selection,
    )

    assert result.success
    assert query(duckdb_path, "SELECT DISTINCT day FROM raw.orders") == [("south",)]
    events = {e.asset_key: e for e in result.get_asset_materialization_events()}
    assert events[AssetKey("dlt_shop_orders")].partition == "south"
    metadata = events[AssetKey("dlt_shop_orders")].materialization.metadata
    assert metadata["dagster/partition_row_count"].value == 6
    assert metadata["dagster/row_count"].value == 6


def test_time_window_partitions_default_to_a_single_run_backfill(make_pipeline):
    @dlt_assets(
        dlt_source=shop(),
        dlt_pipeline=make_pipeline(),
        partitions_def=DailyPartitionsDefinition(start_date="2024-01-01"),
    )
    def daily(context: AssetExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context)

    assert daily.backfill_policy == BackfillPolicy.single_run()


def test_explicit_backfill_policy_wins(make_pipeline):
    policy = BackfillPolicy.multi_run(max_partitions_per_run=3)

    @dlt_assets(
        dlt_source=shop(),
        dlt_pipeline=make_pipeline(),
        partitions_def=DailyPartitionsDefinition(start_date="2024-01-01"),
        backfill_policy=policy,
    )
    def daily(context: AssetExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context)

    assert daily.backfill_policy == policy


def test_daily_partition_range_runs_once(make_pipeline, duckdb_path):
    @dlt_assets(
        dlt_source=shop(),
        dlt_pipeline=make_pipeline(),
        partitions_def=DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-04"),
    )
    def daily(context: AssetExecutionContext, dlt: DagsterDltResource):
        window = context.partition_time_window
        label = f"{window.start:%Y-%m-%d}..{window.end:%Y-%m-%d}"
        yield from dlt.run(
            context=context, dlt_source=shop(day=label).with_resources("customers", "orders")
        )

    result = materialize(
        [daily],
        resources={"dlt": DagsterDltResource()},
        selection=[AssetKey("dlt_shop_customers"), AssetKey("dlt_shop_orders")],
        tags={
            "dagster/asset_partition_range_start": "2024-01-01",
            "dagster/asset_partition_range_end": "2024-01-03",
        },
    )
    assert result.success
    assert query(duckdb_path, "SELECT DISTINCT day FROM raw.orders") == [
        ("2024-01-01..2024-01-04",)
    ]
    orders = [
        e
        for e in result.get_asset_materialization_events()
        if e.asset_key == AssetKey("dlt_shop_orders")
    ]
    # One dlt run, reported for each partition of the range.
    assert sorted(e.partition for e in orders) == ["2024-01-01", "2024-01-02", "2024-01-03"]
