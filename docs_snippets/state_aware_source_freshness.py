"""Skip what is current: load the drop folder only when its files changed, and report after."""

from dagster import (
    AssetExecutionContext,
    AssetSpec,
    AutomationCondition,
    Definitions,
    observable_source_asset,
)

from dagster_dlt import (
    DagsterDltResource,
    DagsterDltTranslator,
    DltResourceTranslatorData,
    dlt_assets,
)
from dagster_dlt.automation import observe_files, on_new_data

from state_aware_downstream import (
    DROP_FOLDER,
    orders_by_status,
    orders_drop,
    orders_pipeline,
)


# The key every dlt asset of the source depends on: <source>_<resource>.
@observable_source_asset(
    key="orders_drop_orders",
    # The automation sensor observes the folder every 15 minutes.
    automation_condition=AutomationCondition.cron_tick_passed("*/15 * * * *"),
)
def orders_files():
    """The drop folder's files; the data version moves when one is added, changed or removed."""
    return observe_files(DROP_FOLDER, "*.jsonl")


class LoadOnNewFiles(DagsterDltTranslator):
    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
        return super().get_asset_spec(data).replace_attributes(automation_condition=on_new_data())


@dlt_assets(
    dlt_source=orders_drop(),
    dlt_pipeline=orders_pipeline,
    dagster_dlt_translator=LoadOnNewFiles(),
    name="orders_on_new_files",
)
def orders_on_new_files(context: AssetExecutionContext, dlt: DagsterDltResource):
    yield from dlt.run(context=context)


defs = Definitions(
    assets=[orders_files, orders_on_new_files, orders_by_status],
    resources={"dlt": DagsterDltResource()},
)
