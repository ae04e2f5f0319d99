"""A normal job and a "full refresh" job over the same dlt assets."""

from dagster import Definitions, RunConfig, define_asset_job

from dagster_dlt import DagsterDltResource, DltRunConfig

from state_aware_downstream import orders_assets

orders_job = define_asset_job("orders_job", selection=[orders_assets])

# drop_sources drops the tables and dlt's state (incremental cursors included) of the selected
# resources first, so the run loads everything from scratch. The key is the op's name.
orders_full_refresh = define_asset_job(
    "orders_full_refresh",
    selection=[orders_assets],
    config=RunConfig(ops={"orders_assets": DltRunConfig(refresh="drop_sources")}),
)

defs = Definitions(
    assets=[orders_assets],
    jobs=[orders_job, orders_full_refresh],
    resources={"dlt": DagsterDltResource()},
)
