"""Dagster integration for dlt: one Dagster asset per dlt resource.

Example:
    .. code-block:: python

        import dlt
        from dagster import AssetExecutionContext, Definitions
        from dagster_dlt import DagsterDltResource, dlt_assets

        @dlt_assets(
            dlt_source=my_source(),
            dlt_pipeline=dlt.pipeline(pipeline_name="my", destination="duckdb", dataset_name="raw"),
        )
        def my_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
            yield from dlt.run(context=context)

        defs = Definitions(assets=[my_assets], resources={"dlt": DagsterDltResource()})
"""

from dagster_dlt.asset_decorator import build_dlt_asset_specs, dlt_assets
from dagster_dlt.automation import observe_files, on_new_data
from dagster_dlt.checks import (
    ContractViolation,
    SchemaDrift,
    contract_check_result,
    contract_check_spec,
    contract_violation,
    schema_drift,
    schema_drift_check_result,
    schema_drift_check_spec,
)
from dagster_dlt.components import DltLoadCollectionComponent
from dagster_dlt.data.catalog import CatalogDataset, DltCatalog
from dagster_dlt.data.dataset import DltDataset, DltRelation, open_dataset
from dagster_dlt.data.input_manager import (
    INPUT_MISSING_OK_KEY,
    INPUT_TABLE_KEY,
    DltDatasetInputManager,
)
from dagster_dlt.data.save import DltDatasetWriter, WritableDataset
from dagster_dlt.dlt_event_iterator import DltEventIterator
from dagster_dlt.durability.locking import single_writer_lock
from dagster_dlt.errors import (
    DagsterDltError,
    DestinationLockTimeout,
    DltCatalogError,
    DltConfigurationError,
    DltContractViolationError,
    DltDatasetNotLoadedError,
    DltInputError,
    DltLoadJobsFailedError,
    DltReadOnlyDatasetError,
    DltRunConfigError,
    DltSelectionError,
    DltSourceExhaustedError,
    DltTableNotFoundError,
    DltUnsupportedDataError,
)
from dagster_dlt.resource import DagsterDltResource
from dagster_dlt.run.config import DltRunConfig
from dagster_dlt.run.dlt_run import DltRun
from dagster_dlt.schema.dbt_sources import dbt_sources, write_dbt_sources
from dagster_dlt.split import DltSplit, build_dlt_assets_definitions
from dagster_dlt.translator import (
    DagsterDltTranslator,
    DltNestedTableTranslatorData,
    DltResourceTranslatorData,
)
from dagster_dlt.version import __version__

__all__ = [
    "INPUT_MISSING_OK_KEY",
    "INPUT_TABLE_KEY",
    "CatalogDataset",
    "ContractViolation",
    "DagsterDltError",
    "DagsterDltResource",
    "DagsterDltTranslator",
    "DestinationLockTimeout",
    "DltCatalog",
    "DltCatalogError",
    "DltConfigurationError",
    "DltContractViolationError",
    "DltDataset",
    "DltDatasetInputManager",
    "DltDatasetNotLoadedError",
    "DltDatasetWriter",
    "DltEventIterator",
    "DltInputError",
    "DltLoadCollectionComponent",
    "DltLoadJobsFailedError",
    "DltNestedTableTranslatorData",
    "DltReadOnlyDatasetError",
    "DltRelation",
    "DltResourceTranslatorData",
    "DltRun",
    "DltRunConfig",
    "DltRunConfigError",
    "DltSelectionError",
    "DltSourceExhaustedError",
    "DltSplit",
    "DltTableNotFoundError",
    "DltUnsupportedDataError",
    "SchemaDrift",
    "WritableDataset",
    "__version__",
    "build_dlt_asset_specs",
    "build_dlt_assets_definitions",
    "contract_check_result",
    "contract_check_spec",
    "contract_violation",
    "dbt_sources",
    "dlt_assets",
    "observe_files",
    "on_new_data",
    "open_dataset",
    "schema_drift",
    "schema_drift_check_result",
    "schema_drift_check_spec",
    "single_writer_lock",
    "write_dbt_sources",
]
