"""Partitioned dlt assets: the partition key reaches the source; backfills default to one run."""

import logging
from datetime import datetime, timedelta, timezone
from typing import Optional

import dlt
from dagster import (
    AssetExecutionContext,
    AssetKey,
    BackfillPolicy,
    DagsterInstance,
    DailyPartitionsDefinition,
    StaticPartitionsDefinition,
    materialize,
)

from dagster_dlt import DagsterDltResource, dlt_assets
from tests.support.dlt_fixtures import shop


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


# --- A source shared by a daily-partitioned asset and an unpartitioned one -------------------

FIRST_DAY = datetime(2024, 1, 1, tzinfo=timezone.utc)
# Stands in for an API: the orders placed so far, one every six hours.
PLACED = {"hours": 4 * 6}


@dlt.source
def webshop():
    @dlt.resource(primary_key="id", write_disposition="append")
    def orders(
        placed_at=dlt.sources.incremental(
            "placed_at", initial_value=FIRST_DAY, allow_external_schedulers=True
        ),
    ):
        for number in range(0, PLACED["hours"], 6):
            yield {"id": number, "placed_at": FIRST_DAY + timedelta(hours=number)}

    return orders


def test_a_daily_partition_run_reports_its_incremental_cursor(make_pipeline):
    @dlt_assets(
        dlt_source=webshop(),
        dlt_pipeline=make_pipeline(),
        partitions_def=DailyPartitionsDefinition(start_date="2024-01-01"),
    )
    def daily(context: AssetExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context)

    result = materialize(
        [daily], partition_key="2024-01-01", resources={"dlt": DagsterDltResource()}
    )

    [event] = result.get_asset_materialization_events()
    assert event.materialization.metadata["incremental_cursors"].value == [
        {
            "cursor_path": "placed_at",
            "started_from": "2024-01-01T00:00:00+00:00",
            "ended_at": "2024-01-01T18:00:00+00:00",
            "window_end": "2024-01-02T00:00:00+00:00",
        }
    ]


def test_outside_a_partition_an_external_scheduler_incremental_runs_from_its_cursor(
    make_pipeline, duckdb_path
):
    pipeline = make_pipeline()
    # One source object for both assets, as users share it: the unpartitioned runs must leave
    # its incremental able to join the partition's window.
    shared = webshop()

    @dlt_assets(
        dlt_source=shared,
        dlt_pipeline=pipeline,
        partitions_def=DailyPartitionsDefinition(start_date="2024-01-01"),
        name="daily_orders",
    )
    def daily(context: AssetExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context)

    @dlt_assets(dlt_source=shared, dlt_pipeline=pipeline, name="all_orders")
    def unpartitioned(context: AssetExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context)

    resources = {"dlt": DagsterDltResource()}
    PLACED["hours"] = 4 * 6
    assert materialize([unpartitioned], resources=resources).success
    assert query(duckdb_path, "SELECT COUNT(*) FROM raw.orders") == [(4,)]

    PLACED["hours"] = 6 * 6  # two new orders
    assert materialize([unpartitioned], resources=resources).success
    assert query(duckdb_path, "SELECT COUNT(*), COUNT(DISTINCT id) FROM raw.orders") == [(6, 6)]

    # The partitioned asset of the same source still loads its window, and only that.
    PLACED["hours"] = 8 * 6
    assert materialize([daily], partition_key="2024-01-02", resources=resources).success
    assert query(
        duckdb_path, "SELECT COUNT(*) FROM raw.orders WHERE placed_at >= '2024-01-02'"
    ) == [(6,)]
    # ... and left the stored cursor where the unpartitioned run put it.
    PLACED["hours"] = 8 * 6
    assert materialize([unpartitioned], resources=resources).success
    assert query(duckdb_path, "SELECT COUNT(*), COUNT(DISTINCT id) FROM raw.orders") == [(12, 8)]


def warnings_of(instance: DagsterInstance, result) -> list[str]:
    return [
        entry.user_message
        for entry in instance.all_logs(result.run_id)
        if entry.level == logging.WARNING and entry.user_message
    ]


@dlt.source
def paint_shop(color: Optional[str] = None):
    @dlt.resource(primary_key="id", write_disposition="append")
    def paints():
        yield [p for p in PAINTS if color is None or p["color"] == color]

    return paints


PAINTS = [{"id": i, "color": c} for i, c in enumerate(["red", "red", "blue", "green", "blue"])]
COLORS = StaticPartitionsDefinition(["red", "blue"])


def test_a_partitioned_run_that_ignores_the_partition_warns(make_pipeline, duckdb_path):
    @dlt_assets(dlt_source=paint_shop(), dlt_pipeline=make_pipeline(), partitions_def=COLORS)
    def ignoring(context: AssetExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context)

    instance = DagsterInstance.ephemeral()
    for color in ("red", "blue"):
        result = materialize(
            [ignoring],
            partition_key=color,
            resources={"dlt": DagsterDltResource()},
            instance=instance,
        )
        assert result.success
        [warning] = [w for w in warnings_of(instance, result) if "partition" in w]
        assert f"partition {color}" in warning and "context.partition_key" in warning
    assert query(duckdb_path, "SELECT COUNT(*), COUNT(DISTINCT id) FROM raw.paints") == [(10, 5)]


def test_a_partitioned_run_that_passes_the_partition_does_not_warn(make_pipeline, duckdb_path):
    @dlt_assets(dlt_source=paint_shop(), dlt_pipeline=make_pipeline(), partitions_def=COLORS)
    def by_color(context: AssetExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context, dlt_source=paint_shop(color=context.partition_key))

    @dlt_assets(
        dlt_source=webshop(),
        dlt_pipeline=make_pipeline("orders"),
        partitions_def=DailyPartitionsDefinition(start_date="2024-01-01"),
    )
    def daily(context: AssetExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context)

    instance = DagsterInstance.ephemeral()
    resources = {"dlt": DagsterDltResource()}
    runs = [
        materialize([by_color], partition_key="red", resources=resources, instance=instance),
        materialize([daily], partition_key="2024-01-01", resources=resources, instance=instance),
    ]
    for result in runs:
        assert result.success
        assert not [w for w in warnings_of(instance, result) if "partition" in w]
    assert query(duckdb_path, "SELECT COUNT(*) FROM raw.paints") == [(2,)]
