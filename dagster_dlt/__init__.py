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
from dagster_dlt.catalog import CatalogDataset, DltCatalog
from dagster_dlt.dataset_access import DltDataset, DltRelation, open_dataset
from dagster_dlt.dataset_input import (
    INPUT_MISSING_OK_KEY,
    INPUT_TABLE_KEY,
    DltDatasetInputManager,
)
from dagster_dlt.dlt_event_iterator import DltEventIterator
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
from dagster_dlt.locking import single_writer_lock
from dagster_dlt.resource import DagsterDltResource
from dagster_dlt.run import DltRun
from dagster_dlt.run_config import DltRunConfig
from dagster_dlt.save import DltDatasetWriter, WritableDataset
from dagster_dlt.translator import DagsterDltTranslator, DltResourceTranslatorData
from dagster_dlt.version import __version__

__all__ = [
    "INPUT_MISSING_OK_KEY",
    "INPUT_TABLE_KEY",
    "CatalogDataset",
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
    "DltReadOnlyDatasetError",
    "DltRelation",
    "DltResourceTranslatorData",
    "DltRun",
    "DltRunConfig",
    "DltRunConfigError",
    "DltSelectionError",
    "DltSourceExhaustedError",
    "DltTableNotFoundError",
    "DltUnsupportedDataError",
    "WritableDataset",
    "__version__",
    "build_dlt_asset_specs",
    "dlt_assets",
    "observe_files",
    "on_new_data",
    "open_dataset",
    "single_writer_lock",
]


def __getattr__(name: str):
    # The component is imported on first use: its module imports this package's API, so an eager
    # import here would be circular.
    if name == "DltLoadCollectionComponent":
        from dagster_dlt.components import DltLoadCollectionComponent

        return DltLoadCollectionComponent
    raise AttributeError(f"module 'dagster_dlt' has no attribute {name!r}")


def __dir__() -> list[str]:
    # dg finds components with dir(): list the lazy one too.
    return sorted({*globals(), *__all__})
