"""dlt's progress in the step's event log: at most one line per dlt step every 30 seconds."""

from dagster import Definitions

from dagster_dlt import DagsterDltResource

from state_aware_downstream import orders_assets

defs = Definitions(
    assets=[orders_assets],
    resources={"dlt": DagsterDltResource(progress_interval_seconds=30)},
)
