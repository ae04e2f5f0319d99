"""``DagsterDltResource``: runs a dlt pipeline inside a Dagster step and reports what landed."""

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, Optional, Union

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetMaterialization,
    AssetsDefinition,
    ConfigurableResource,
    MaterializeResult,
    OpExecutionContext,
    TextMetadataValue,
)
from dlt.common.configuration.container import Container
from dlt.common.configuration.exceptions import (
    ConfigurationException,
)
from dlt.common.pipeline import LoadInfo
from dlt.extract.incremental.context import TimeIntervalContext
from dlt.extract.source import DltSource
from dlt.pipeline.exceptions import PipelineStepFailed
from dlt.pipeline.pipeline import Pipeline

from dagster_dlt.config_errors import (
    configuration_problem,
    describe_config_problem,
    duckdb_name_clash,
)
from dagster_dlt.constants import (
    META_KEY_PIPELINE,
    META_KEY_RESOURCE_NAME,
    META_KEY_SOURCE,
    META_KEY_TRANSLATOR,
)
from dagster_dlt.dlt_event_iterator import DltEventIterator, DltEventType
from dagster_dlt.errors import (
    DagsterDltError,
    DltConfigurationError,
    DltLoadJobsFailedError,
    DltSelectionError,
)
from dagster_dlt.isolation import isolated_pipeline
from dagster_dlt.locking import destination_lock
from dagster_dlt.metadata import RunFacts
from dagster_dlt.translator import DagsterDltTranslator, DltResourceTranslatorData

__all__ = ["DagsterDltResource"]

AnyContext = Union[OpExecutionContext, AssetExecutionContext]


class DagsterDltResource(ConfigurableResource):
    """Runs dlt pipelines from Dagster assets and ops.

    Example:
        .. code-block:: python

            from dagster import AssetExecutionContext, Definitions
            from dagster_dlt import DagsterDltResource, dlt_assets

            @dlt_assets(dlt_source=my_source(), dlt_pipeline=my_pipeline)
            def my_dlt_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
                yield from dlt.run(context=context)

            defs = Definitions(assets=[my_dlt_assets], resources={"dlt": DagsterDltResource()})

    Attributes:
        lock_timeout_seconds: how long a run waits for another process to finish writing to a
            single-writer destination (a DuckDB file) before it fails and names that process.
    """

    lock_timeout_seconds: float = 600.0

    def run(
        self,
        context: AnyContext,
        dlt_source: Optional[DltSource] = None,
        dlt_pipeline: Optional[Pipeline] = None,
        dagster_dlt_translator: Optional[DagsterDltTranslator] = None,
        **kwargs: Any,
    ) -> DltEventIterator[DltEventType]:
        """Load the selected resources and yield one materialization per asset.

        In an asset context (``@dlt_assets``) the source, pipeline and translator default to what
        the asset specs carry; pass ``dlt_source`` to run a source bound to the partition. From an
        ``@op``, ``dlt_source`` and ``dlt_pipeline`` are required and every selected resource of
        the source is loaded and reported as an ``AssetMaterialization``.

        Args:
            context: the asset or op execution context.
            dlt_source: the source to run (required from an ``@op``).
            dlt_pipeline: the pipeline to run it with (required from an ``@op``).
            dagster_dlt_translator: maps resources to asset keys (from an ``@op``).
            **kwargs: passed on to ``dlt.Pipeline.run`` (for example ``write_disposition``).

        Returns:
            An iterator of ``MaterializeResult`` (asset context) or ``AssetMaterialization`` (op
            context); call ``.fetch_row_count()`` on it to add the tables' row counts.

        Raises:
            DltSelectionError: the selected assets match no resource of the source.
            DltLoadJobsFailedError: load jobs failed; loaded tables were reported first.
            DltConfigurationError: dlt could not resolve a secret or config value.
        """
        op_context = _op_context(context)
        assets_def = op_context.assets_def if op_context.has_assets_def else None
        carried = _carried_by_specs(assets_def) if assets_def is not None else {}
        dlt_source = dlt_source if dlt_source is not None else carried.get(META_KEY_SOURCE)
        dlt_pipeline = dlt_pipeline if dlt_pipeline is not None else carried.get(META_KEY_PIPELINE)
        translator = dagster_dlt_translator or carried.get(META_KEY_TRANSLATOR)
        translator = translator or DagsterDltTranslator()
        if not isinstance(dlt_source, DltSource):
            raise DagsterDltError(
                "DagsterDltResource.run needs a dlt source: pass dlt_source=... (required when "
                "called from an @op or from an asset not built by @dlt_assets)."
            )
        if not isinstance(dlt_pipeline, Pipeline):
            raise DagsterDltError(
                "DagsterDltResource.run needs a dlt pipeline: pass dlt_pipeline=... (required "
                "when called from an @op or from an asset not built by @dlt_assets)."
            )

        # Specs built by @dlt_assets name their resource; a translator passed here overrides that.
        names_by_key = _names_by_key(assets_def) if assets_def is not None else {}
        if not names_by_key or dagster_dlt_translator is not None:
            names_by_key = {
                translator.get_asset_spec(
                    DltResourceTranslatorData(resource=resource, pipeline=dlt_pipeline)
                ).key: name
                for name, resource in dlt_source.selected_resources.items()
            }
        if assets_def is not None:
            selected = op_context.selected_asset_keys
            names_by_key = {key: name for key, name in names_by_key.items() if key in selected}
        _check_selection(names_by_key, dlt_source, op_context)

        session = _RunSession()
        events = _run(
            context=op_context,
            source=dlt_source,
            pipeline=dlt_pipeline,
            names_by_key=names_by_key,
            as_asset=assets_def is not None,
            session=session,
            run_kwargs=kwargs,
            lock_timeout=self.lock_timeout_seconds,
        )
        return DltEventIterator(events, context, dlt_pipeline, run_session=session)


class _RunSession:
    """Hands the per-run pipeline copy, and its destination lock, to the event iterator."""

    def __init__(self) -> None:
        self.pipeline: Optional[Pipeline] = None
        self.lock: Callable[[], AbstractContextManager[None]] = nullcontext


def _run(
    *,
    context: OpExecutionContext,
    source: DltSource,
    pipeline: Pipeline,
    names_by_key: Mapping[AssetKey, str],
    as_asset: bool,
    session: _RunSession,
    run_kwargs: Mapping[str, Any],
    lock_timeout: float,
) -> Iterator[DltEventType]:
    run_source = source.with_resources(*names_by_key.values())  # a clone: the original stays intact
    with isolated_pipeline(pipeline, context.log) as run_pipeline, _partition_interval(context):
        session.pipeline = run_pipeline
        session.lock = destination_lock(run_pipeline, lock_timeout, _lock_owner(context))
        load_info, row_counts, failure = _run_pipeline(
            run_pipeline, run_source, run_kwargs, session.lock
        )
        facts = RunFacts.collect(run_pipeline, load_info, run_source.schema.name, row_counts)
        resources = run_source.selected_resources
        partition = context.partition_key if context.has_partition_key else None
        for key, name in names_by_key.items():
            metadata = facts.metadata_for(resources[name])
            if metadata is None:
                continue
            if as_asset:
                yield MaterializeResult(asset_key=key, metadata=metadata)
            else:
                yield AssetMaterialization(asset_key=key, metadata=metadata, partition=partition)
        failed = facts.failed_tables
        if failed:
            raise DltLoadJobsFailedError(failed, facts.base["load_ids"]) from failure
        if failure is not None:
            raise failure


# pipeline.run arguments that choose the destination; the rest go to extract.
_DESTINATION_ARGS = ("destination", "staging", "dataset_name", "credentials")


def _run_pipeline(
    pipeline: Pipeline,
    source: DltSource,
    run_kwargs: Mapping[str, Any],
    lock: Callable[[], AbstractContextManager[None]],
) -> tuple[Optional[LoadInfo], dict[str, int], Optional[Exception]]:
    """Run dlt step by step, as ``pipeline.run`` does, holding the destination lock only for the
    steps that touch the destination. A failure in the load step comes back with the load info,
    so that the tables that did load can still be reported; any other failure is raised."""
    where = {name: run_kwargs[name] for name in _DESTINATION_ARGS if name in run_kwargs}
    extract_kwargs = {k: v for k, v in run_kwargs.items() if k not in _DESTINATION_ARGS}
    extract_kwargs.setdefault("refresh", pipeline.refresh)
    row_counts: dict[str, int] = {}
    try:
        with lock():
            # With no data, run() only sets the destination and restores state from it.
            pipeline.run(None, **where)
        pipeline.extract(source, **extract_kwargs)
        normalize_info = pipeline.normalize()
        row_counts = dict(normalize_info.row_counts) if normalize_info else {}
        with lock():
            load_info = pipeline.load(
                where.get("destination"),
                where.get("dataset_name"),
                credentials=where.get("credentials"),
            )
        return load_info, row_counts, None
    except (PipelineStepFailed, ConfigurationException) as failure:
        problem = configuration_problem(failure)
        if problem is not None:
            raise DltConfigurationError(describe_config_problem(problem, pipeline)) from failure
        clash = duckdb_name_clash(failure, pipeline)
        if clash is not None:
            raise DltConfigurationError(clash) from failure
        loaded_some = isinstance(failure, PipelineStepFailed) and failure.step == "load"
        if loaded_some and isinstance(failure.step_info, LoadInfo):
            return failure.step_info, row_counts, failure
        raise


@contextmanager
def _partition_interval(context: OpExecutionContext) -> Iterator[None]:
    """Offer a time-window partition to dlt as an external scheduler's interval.

    dlt incrementals declared with ``allow_external_schedulers=True`` then load exactly the
    partition's window (``initial_value`` = start, ``end_value`` = end), without touching their
    stored cursor, just as they do under Airflow.
    """
    window = None
    if context.has_partition_key or context.has_partition_key_range:
        try:
            window = context.partition_time_window
        except Exception:
            window = None  # static or dynamic partitions: users pass the key to the source
    if window is None:
        yield
        return
    interval = TimeIntervalContext(interval=(window.start, window.end))
    with Container().injectable_context(interval):
        yield


def _lock_owner(context: OpExecutionContext) -> dict[str, Any]:
    return {"run_id": context.run_id, "op": context.op_def.name}


def _check_selection(
    names_by_key: Mapping[AssetKey, str], source: DltSource, context: OpExecutionContext
) -> None:
    if not names_by_key:
        selected = sorted(key.to_user_string() for key in context.selected_asset_keys)
        raise DltSelectionError(
            f"None of the selected assets ({', '.join(selected) or 'none'}) maps to a resource of "
            f"dlt source '{source.name}' (resources: {', '.join(source.selected_resources)}). "
            "If you pass dagster_dlt_translator to run(), it must produce the same keys as the "
            "translator given to @dlt_assets."
        )
    unknown = sorted(set(names_by_key.values()) - set(source.resources))
    if unknown:
        raise DltSelectionError(
            f"dlt source '{source.name}' has no resource named {', '.join(unknown)}, which the "
            "selected assets were built from. Pass a source with the same resources as the one "
            "given to @dlt_assets."
        )


def _op_context(context: AnyContext) -> OpExecutionContext:
    if isinstance(context, AssetExecutionContext):
        return context.op_execution_context
    return context


def _carried_by_specs(assets_def: AssetsDefinition) -> Mapping[str, Any]:
    for metadata in assets_def.metadata_by_key.values():
        if META_KEY_SOURCE in metadata:
            return metadata
    return {}


def _names_by_key(assets_def: AssetsDefinition) -> dict[AssetKey, str]:
    names = {}
    for key, metadata in assets_def.metadata_by_key.items():
        value = metadata.get(META_KEY_RESOURCE_NAME)
        # Dagster normalizes string metadata to TextMetadataValue.
        value = value.value if isinstance(value, TextMetadataValue) else value
        if isinstance(value, str):
            names[key] = value
    return names
