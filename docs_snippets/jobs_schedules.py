"""A job and a schedule over dlt assets, and a daily schedule over daily-partitioned ones."""

from dagster import (
    AssetSelection,
    Definitions,
    ScheduleDefinition,
    build_schedule_from_partitioned_job,
    define_asset_job,
)

from dagster_dlt import DagsterDltResource

from example_source import example_dlt_assets
from partitions_time_window import shop_orders_assets

example_job = define_asset_job("example_job", selection=AssetSelection.assets(example_dlt_assets))
example_every_morning = ScheduleDefinition(
    name="example_every_morning",
    job=example_job,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
)

# The job takes the assets' daily partitions; the schedule asks for yesterday's partition at 01:00.
orders_job = define_asset_job("orders_job", selection=AssetSelection.assets(shop_orders_assets))
orders_every_night = build_schedule_from_partitioned_job(
    orders_job, name="orders_every_night", hour_of_day=1
)

defs = Definitions(
    assets=[example_dlt_assets, shop_orders_assets],
    jobs=[example_job, orders_job],
    schedules=[example_every_morning, orders_every_night],
    resources={"dlt": DagsterDltResource()},
)
