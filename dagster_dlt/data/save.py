"""Save an asset's result into a dataset through a dlt pipeline, under that dataset's contract.

Contracts are declared once per dataset, on :class:`WritableDataset`, and :class:`DltDatasetWriter`
applies them at every save. dlt checks a contract while it extracts, against the schema it
restored from the destination, so a violation fails the save before anything is written.
Datasets not declared writable refuse saves: the raw datasets that ``@dlt_assets`` load stay
read-only unless you declare otherwise.
"""

import copy
import logging
import os
import socket
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Optional, Union

import dlt
from dagster import AssetExecutionContext, AssetKey, MaterializeResult, OpExecutionContext
from dlt.common.schema.exceptions import DataValidationError
from dlt.common.schema.typing import TSchemaContract
from dlt.pipeline.exceptions import PipelineStepFailed
from dlt.pipeline.pipeline import Pipeline

from dagster_dlt._seams import internals
from dagster_dlt.data.saveable import saveable
from dagster_dlt.durability import recovery
from dagster_dlt.durability.destinations import DestinationFacts
from dagster_dlt.durability.isolation import Isolation, isolated_pipeline
from dagster_dlt.durability.locking import DEFAULT_TIMEOUT_SECONDS, single_writer_lock_factory
from dagster_dlt.errors import (
    DagsterDltError,
    DltContractViolationError,
    DltReadOnlyDatasetError,
    DltUnsupportedDataError,
)
from dagster_dlt.run.metadata import RunFacts

__all__ = [
    "CONTRACT_ENTITIES",
    "CONTRACT_MODES",
    "DltContractViolationError",
    "DltDatasetWriter",
    "DltReadOnlyDatasetError",
    "DltUnsupportedDataError",
    "WritableDataset",
    "validate_contract",
]

CONTRACT_MODES = ("evolve", "freeze", "discard_row", "discard_value")
CONTRACT_ENTITIES = ("tables", "columns", "data_type")
STAGED_REPLACE = "insert-from-staging"
SAVE_NOTE = "save_note"
"""The metadata key of what a save wants its reader to know, e.g. that nothing was created."""


def validate_contract(contract: TSchemaContract) -> TSchemaContract:
    """Check a dlt schema contract: one mode, or a mapping of entities to modes.

    Raises:
        DagsterDltError: an unknown mode or entity, naming the allowed ones.
    """
    if isinstance(contract, str):
        if contract not in CONTRACT_MODES:
            raise DagsterDltError(
                f"Unknown schema contract mode '{contract}': use one of "
                f"{', '.join(CONTRACT_MODES)}, or a mapping of {', '.join(CONTRACT_ENTITIES)} "
                "to modes."
            )
        return contract
    if not isinstance(contract, Mapping):
        raise DagsterDltError(
            f"A schema contract is a mode ({', '.join(CONTRACT_MODES)}) or a mapping of "
            f"{', '.join(CONTRACT_ENTITIES)} to modes, not {type(contract).__name__}."
        )
    for entity, mode in contract.items():
        if entity not in CONTRACT_ENTITIES:
            raise DagsterDltError(
                f"Unknown schema contract entity '{entity}': use {', '.join(CONTRACT_ENTITIES)}."
            )
        if mode not in CONTRACT_MODES:
            raise DagsterDltError(
                f"Unknown schema contract mode '{mode}' for {entity}: use one of "
                f"{', '.join(CONTRACT_MODES)}."
            )
    return dict(contract)  # type: ignore[return-value]


@dataclass(frozen=True)
class WritableDataset:
    """A dataset that takes saves, with the schema contract every save into it obeys.

    Attributes:
        pipeline: the dlt pipeline whose destination and dataset name say where to write.
        schema_contract: ``"freeze"`` (no new tables, columns or types), or per entity
            (``tables``, ``columns``, ``data_type``) one of ``evolve``, ``freeze``,
            ``discard_row`` or ``discard_value``. Defaults to ``evolve``: anything goes.

    Example:
        .. code-block:: python

            reports = WritableDataset(
                pipeline=dlt.pipeline("reports", destination="duckdb", dataset_name="reports"),
                schema_contract={"tables": "evolve", "columns": "freeze"},
            )
    """

    pipeline: Pipeline
    schema_contract: TSchemaContract = "evolve"

    def __post_init__(self) -> None:
        if not isinstance(self.pipeline, Pipeline):
            raise DagsterDltError(
                f"WritableDataset needs a dlt pipeline, not {type(self.pipeline).__name__}: "
                "dlt.pipeline(pipeline_name=..., destination=..., dataset_name=...)."
            )
        object.__setattr__(self, "schema_contract", validate_contract(self.schema_contract))

    @property
    def name(self) -> str:
        """The dataset's name, as the pipeline sets it."""
        return self.pipeline.dataset_name


@dataclass
class DltDatasetWriter:
    """Saves DataFrames, Arrow tables and lists of dicts into writable datasets, through dlt.

    Use it as a Dagster resource. Each save runs a dlt pipeline into the dataset's destination and
    returns a ``MaterializeResult`` with the same metadata that dlt assets report (rows loaded,
    column schema, table name, load ids, jobs). A save into a dataset not listed here fails.

    Attributes:
        datasets: the datasets that take saves, each with its contract.
        lock_timeout_seconds: how long a save waits for another writer of the same DuckDB file.

    Example:
        .. code-block:: python

            from dagster import MaterializeResult, ResourceParam, asset

            writer = DltDatasetWriter([WritableDataset(reports_pipeline, schema_contract="freeze")])

            @asset
            def top_users(context, writer: ResourceParam[DltDatasetWriter]) -> MaterializeResult:
                return writer.save(context, frame, dataset="reports", table="top_users")

            defs = Definitions(assets=[top_users], resources={"writer": writer})
    """

    datasets: Sequence[WritableDataset]
    lock_timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    _by_name: dict[str, WritableDataset] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_name = {}
        for dataset in self.datasets:
            if not isinstance(dataset, WritableDataset):
                raise DagsterDltError(
                    "DltDatasetWriter(datasets=...) takes WritableDataset objects, not "
                    f"{type(dataset).__name__}."
                )
            if dataset.name in self._by_name:
                raise DagsterDltError(
                    f"Dataset '{dataset.name}' is declared twice in DltDatasetWriter: declare each "
                    "dataset once, with one contract."
                )
            self._by_name[dataset.name] = dataset

    def contract_of(self, dataset: str) -> TSchemaContract:
        """The schema contract saves into ``dataset`` obey."""
        return self._writable(dataset).schema_contract

    def save(
        self,
        context: Union[AssetExecutionContext, OpExecutionContext, None],
        data: Any,
        *,
        dataset: str,
        table: str,
        write_disposition: str = "replace",
        primary_key: Optional[Union[str, Sequence[str]]] = None,
        merge_key: Optional[Union[str, Sequence[str]]] = None,
        asset_key: Optional[AssetKey] = None,
        metadata: Optional[Mapping[str, Any]] = None,
    ) -> MaterializeResult:
        """Save ``data`` into ``dataset.table`` under the dataset's contract.

        Args:
            context: the asset's context (names the lock's holder), or ``None``.
            data: a pandas DataFrame, a pyarrow Table or RecordBatch, or a list of dicts.
            dataset: a dataset declared in ``datasets``.
            table: the table to write.
            write_disposition: ``replace`` (default), ``append`` or ``merge``.
            primary_key: the key ``merge`` deduplicates on.
            merge_key: the key whose rows ``merge`` replaces (delete-insert).
            asset_key: the key to report; by default the asset's own key.
            metadata: more metadata to report with the materialization.

        Returns:
            A ``MaterializeResult`` to return from the asset.

        Raises:
            DltReadOnlyDatasetError: ``dataset`` does not take saves.
            DltUnsupportedDataError: ``data`` is of a type that cannot be saved.
            DltContractViolationError: the data breaks the dataset's contract; nothing was written.
        """
        target = self._writable(dataset)
        data_to_save = saveable(data)
        hints: dict[str, Any] = {}
        if primary_key is not None:
            hints["primary_key"] = primary_key
        if merge_key is not None:
            hints["merge_key"] = merge_key
        log = _log(context)
        hold = single_writer_lock_factory(
            target.pipeline, _owner(context, table), self.lock_timeout_seconds
        )
        # A save is a run: its own working directory under the pipelines dir, with a liveness lock,
        # so that a later save or run takes back what a killed save left (isolation.py,
        # recovery.py). A save's work is never resumed: its re-run may save other data.
        work = {"save": f"{dataset}.{table}", "id": uuid.uuid4().hex}
        previous = internals.active_pipeline()
        try:
            with (
                isolated_pipeline(target.pipeline, log, _descriptor(context, work)) as isolation,
                _replacing_from_staging(isolation.pipeline, write_disposition),
            ):
                pipeline = isolation.pipeline
                with hold():
                    _restore_and_repair(isolation, target.pipeline, work, log)
                existed = _has_table(pipeline, table)
                resource = dlt.resource(
                    data_to_save.data(create_table=not existed),
                    name=table,
                    table_name=table,
                    write_disposition=write_disposition,  # type: ignore[arg-type]
                    schema_contract=target.schema_contract,
                    **hints,
                )
                try:
                    pipeline.extract(resource)
                    normalize = pipeline.normalize()
                except PipelineStepFailed as failure:
                    violation = _validation_error(failure)
                    if violation is None:
                        raise
                    # Nothing was loaded: drop the refused package, so that none is left behind.
                    pipeline.abort_packages()
                    raise DltContractViolationError(
                        dataset,
                        violation.table_name,
                        violation.column_name,
                        violation.schema_entity,
                        violation.contract_mode,
                    ) from violation
                try:
                    with hold():
                        load_info = pipeline.load()
                except PipelineStepFailed:
                    raise  # dlt finished with the package
                except BaseException:
                    # Interrupted mid-load: the package stays, so that the next save or run
                    # of this pipeline takes back the rows it wrote.
                    isolation.keep_for_resume = isolation.own is not None
                    raise
                row_counts = dict(normalize.row_counts) if normalize else {}
                schema_name = pipeline.default_schema_name
                facts = RunFacts.collect(pipeline, load_info, schema_name, row_counts)
                reported = facts.metadata_for(resource) or {}
                if not _has_table(pipeline, table):
                    reported[SAVE_NOTE] = _nothing_saved(dataset, table, log)
        finally:
            internals.reactivate(previous)
        key = asset_key or _asset_key(context)
        return MaterializeResult(asset_key=key, metadata={**reported, **(metadata or {})})

    def _writable(self, dataset: str) -> WritableDataset:
        target = self._by_name.get(dataset)
        if target is None:
            writable = ", ".join(sorted(self._by_name)) or "none"
            raise DltReadOnlyDatasetError(
                f"Dataset '{dataset}' does not take saves. Datasets that do: {writable}. Datasets "
                "loaded by @dlt_assets are read-only by default, so that a save cannot clash "
                "with dlt's schema and state; to save into one, add "
                f"WritableDataset(<its pipeline>, schema_contract=...) for '{dataset}' to "
                "DltDatasetWriter(datasets=...)."
            )
        return target


def _restore_and_repair(
    isolation: Isolation, user_pipeline: Pipeline, work: dict[str, Any], log: Any
) -> None:
    """Restore state and schemas from the destination, then take back what dead saves and runs
    of the pipeline left. Runs under the destination's lock."""
    pipeline = isolation.pipeline
    pipeline.run(None)  # with no data, run() only restores state and schemas
    if isolation.own is not None:
        recovery.repair(
            isolation,
            user_pipeline,
            DestinationFacts.of(pipeline),
            work,
            log,
            schema_name=pipeline.default_schema_name or pipeline.pipeline_name,
        )
        pipeline.activate()


def _nothing_saved(dataset: str, table: str, log: Any) -> str:
    note = (
        f"Saved nothing into dataset '{dataset}': the data has no rows and no columns, so table "
        f"'{table}' was not created. Save a frame with its columns (e.g. pd.DataFrame(columns="
        "[...]) with dtypes) to create an empty table."
    )
    log.warning(note)
    return note


@contextmanager
def _replacing_from_staging(pipeline: Pipeline, write_disposition: str) -> Iterator[None]:
    """Make a ``replace`` load into the staging dataset first, then swap the rows in one
    transaction (dlt's ``insert-from-staging``), so that a reader, or a save killed mid-load,
    never leaves the table half-written. A strategy the user configured is kept, and
    destinations that cannot replace from staging keep theirs."""
    destination = pipeline.destination
    if write_disposition != "replace" or not _can_replace_from_staging(destination):
        yield
        return
    staged = copy.copy(destination)
    staged.config_params = {**destination.config_params, "replace_strategy": STAGED_REPLACE}
    pipeline.destination = staged
    try:
        yield
    finally:
        # The pipeline may be the user's own (a destination without state sync).
        pipeline.destination = destination


def _can_replace_from_staging(destination: Any) -> bool:
    if destination is None or "replace_strategy" in destination.config_params:
        return False
    try:
        capabilities = destination.capabilities()
        configured = destination.configuration(destination.spec(), accept_partial=True)
    except Exception:
        return False
    if getattr(configured, "replace_strategy", None) is not None:
        return False  # chosen in config.toml or the environment
    # A selector (the filesystem destination) allows staging for some table formats only.
    return capabilities.replace_strategies_selector is None and STAGED_REPLACE in (
        capabilities.supported_replace_strategies or ()
    )


def _has_table(pipeline: Pipeline, table: str) -> bool:
    """Whether the pipeline's schema has ``table`` with columns (it exists, or will after load)."""
    if not pipeline.default_schema_name:
        return False
    name = pipeline.default_schema.naming.normalize_table_identifier(table)
    columns = pipeline.default_schema.tables.get(name, {}).get("columns", {})
    return any(not column.startswith("_dlt_") for column in columns)


def _log(context: Any) -> Any:
    if isinstance(context, (AssetExecutionContext, OpExecutionContext)):
        return context.log
    return logging.getLogger("dagster_dlt.data.save")


def _descriptor(context: Any, work: dict[str, Any]) -> dict[str, Any]:
    if isinstance(context, AssetExecutionContext):
        context = context.op_execution_context
    return {
        "dagster_run_id": context.run_id if isinstance(context, OpExecutionContext) else None,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "work": work,
    }


def _validation_error(failure: BaseException) -> Optional[DataValidationError]:
    seen: set[int] = set()
    error: Optional[BaseException] = failure
    while error is not None and id(error) not in seen:
        if isinstance(error, DataValidationError):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


def _owner(context: Any, table: str) -> str:
    if isinstance(context, AssetExecutionContext):
        context = context.op_execution_context
    run_id = context.run_id if isinstance(context, OpExecutionContext) else None
    return f"save of {table}" + (f" in run {run_id}" if run_id else "")


def _asset_key(context: Any) -> Optional[AssetKey]:
    if isinstance(context, AssetExecutionContext):
        context = context.op_execution_context
    if isinstance(context, OpExecutionContext) and context.has_assets_def:
        keys = context.selected_asset_keys
        if len(keys) == 1:
            return next(iter(keys))
    return None
