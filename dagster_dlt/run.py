"""One dlt run inside a Dagster step, as a typed object.

``DltRun`` owns everything a run has: the clone of the source with the selected resources, the
per-run copy of the pipeline, the destination's facts and its single-writer lock, dlt's
``LoadInfo``, the run-wide facts and which tables each asset key wrote. ``DltEventIterator`` holds
only this object; ``fetch_row_count`` and users read from it.

dlt's steps run one by one, as ``Pipeline.run`` does, so that the destination lock is held only
for the steps that touch the destination (restoring state, the load), while extract and normalize
of parallel runs overlap.
"""

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, Optional, Union

from dagster import AssetKey, AssetMaterialization, MaterializeResult, OpExecutionContext
from dlt.common.configuration.exceptions import ConfigurationException
from dlt.common.pipeline import LoadInfo
from dlt.extract.source import DltSource
from dlt.pipeline.exceptions import PipelineStepFailed
from dlt.pipeline.pipeline import Pipeline

from dagster_dlt import internals
from dagster_dlt.config_errors import configuration_problem, describe_config_problem
from dagster_dlt.destinations import DestinationFacts
from dagster_dlt.errors import DltConfigurationError, DltLoadJobsFailedError
from dagster_dlt.isolation import isolated_pipeline
from dagster_dlt.locking import destination_lock
from dagster_dlt.metadata import RunFacts

__all__ = ["DltEventType", "DltRun"]

DltEventType = Union[AssetMaterialization, MaterializeResult]

# pipeline.run arguments that choose the destination; the rest go to extract.
_DESTINATION_ARGS = ("destination", "staging", "dataset_name", "credentials")


class DltRun:
    """One run of a dlt source through a pipeline, in a Dagster step.

    Created by ``DagsterDltResource.run``; reach it from the iterator as
    ``dlt.run(context=context).dlt_run``. The run happens as the events are iterated.

    Attributes:
        source: the source as it runs: a clone holding only the selected resources.
        pipeline: the user's pipeline, as passed to ``@dlt_assets`` or ``run``.
        run_pipeline: the copy of the pipeline this run loads with, once the run has started.
        destination: what is known about the destination, once the run has started.
        load_info: dlt's ``LoadInfo``, once the load step has run.
        row_counts: rows per table, from dlt's normalize step.
        facts: the run-wide facts the materializations are built from, once loaded.
        tables_by_key: the tables (root and nested) each asset key wrote, once loaded.

    Example:
        .. code-block:: python

            @dlt_assets(dlt_source=source, dlt_pipeline=pipeline)
            def assets(context: AssetExecutionContext, dlt: DagsterDltResource):
                events = dlt.run(context=context)
                yield from events
                context.log.info(str(events.load_info))
                print(events.dlt_run.pipeline.dataset().orders.df())
    """

    def __init__(
        self,
        *,
        context: OpExecutionContext,
        source: DltSource,
        pipeline: Pipeline,
        names_by_key: Mapping[AssetKey, str],
        as_asset: bool,
        run_arguments: Mapping[str, Any],
        lock_timeout: float,
    ) -> None:
        self.context = context
        self.pipeline = pipeline
        self.names_by_key = dict(names_by_key)
        self.as_asset = as_asset
        self.run_arguments = dict(run_arguments)
        self.lock_timeout = lock_timeout
        # A clone: the source the user passed stays intact.
        self.source: DltSource = source.with_resources(*self.names_by_key.values())
        self.run_pipeline: Optional[Pipeline] = None
        self.destination: Optional[DestinationFacts] = None
        self.load_info: Optional[LoadInfo] = None
        self.row_counts: dict[str, int] = {}
        self.facts: Optional[RunFacts] = None
        self.tables_by_key: dict[AssetKey, list[str]] = {}
        self._lock: Callable[[], AbstractContextManager[None]] = nullcontext

    def holding_destination(self) -> AbstractContextManager[None]:
        """Hold the destination's single-writer lock (a no-op for multi-writer destinations)."""
        return self._lock()

    def tables_of(self, key: AssetKey) -> list[str]:
        """The tables (root first, then nested) the asset ``key`` wrote in this run."""
        return list(self.tables_by_key.get(key, []))

    def events(self) -> Iterator[DltEventType]:
        """Run dlt and yield one materialization per asset whose tables all loaded."""
        with isolated_pipeline(self.pipeline, self.context.log) as run_pipeline:
            with _partition_interval(self.context):
                self.run_pipeline = run_pipeline
                self.destination = DestinationFacts.of(run_pipeline)
                self._lock = destination_lock(self.destination, self.lock_timeout, self._owner())
                failure = self._run_steps(run_pipeline)
            yield from self._materializations(failure)

    def _materializations(self, failure: Optional[Exception]) -> Iterator[DltEventType]:
        assert self.run_pipeline is not None and self.destination is not None
        facts = RunFacts.collect(
            self.run_pipeline,
            self.load_info,
            self.source.schema.name,
            self.row_counts,
            destination=self.destination,
        )
        self.facts = facts
        resources = self.source.selected_resources
        partition = self.context.partition_key if self.context.has_partition_key else None
        for key, name in self.names_by_key.items():
            self.tables_by_key[key] = facts.tables_written(resources[name])
        for key, name in self.names_by_key.items():
            metadata = facts.metadata_for(resources[name])
            if metadata is None:
                continue
            if self.as_asset:
                yield MaterializeResult(asset_key=key, metadata=metadata)
            else:
                yield AssetMaterialization(asset_key=key, metadata=metadata, partition=partition)
        failed = facts.failed_tables
        if failed:
            raise DltLoadJobsFailedError(failed, facts.base["load_ids"]) from failure
        if failure is not None:
            raise failure

    def _run_steps(self, pipeline: Pipeline) -> Optional[Exception]:
        """dlt's steps, as ``pipeline.run`` takes them. A failure in the load step comes back, so
        that the tables that did load can still be reported; any other failure is raised."""
        where = {k: v for k, v in self.run_arguments.items() if k in _DESTINATION_ARGS}
        extract_kwargs = {k: v for k, v in self.run_arguments.items() if k not in _DESTINATION_ARGS}
        extract_kwargs.setdefault("refresh", pipeline.refresh)
        try:
            with self.holding_destination():
                # With no data, run() only sets the destination and restores state from it.
                pipeline.run(None, **where)
            pipeline.extract(self.source, **extract_kwargs)
            normalize_info = pipeline.normalize()
            self.row_counts = dict(normalize_info.row_counts) if normalize_info else {}
            with self.holding_destination():
                self.load_info = pipeline.load(
                    where.get("destination"),
                    where.get("dataset_name"),
                    credentials=where.get("credentials"),
                )
            return None
        except (PipelineStepFailed, ConfigurationException) as failure:
            self._raise_if_configuration(failure, pipeline)
            loaded_some = isinstance(failure, PipelineStepFailed) and failure.step == "load"
            if loaded_some and isinstance(failure.step_info, LoadInfo):
                self.load_info = failure.step_info
                return failure
            raise

    def _raise_if_configuration(self, failure: Exception, pipeline: Pipeline) -> None:
        problem = configuration_problem(failure)
        if problem is not None:
            raise DltConfigurationError(describe_config_problem(problem, pipeline)) from failure
        clash = (
            self.destination.duckdb_name_clash(failure, pipeline.pipeline_name)
            if self.destination is not None
            else None
        )
        if clash is not None:
            raise DltConfigurationError(clash) from failure

    def _owner(self) -> dict[str, Any]:
        return {"run_id": self.context.run_id, "op": self.context.op_def.name}


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
    with internals.external_schedule_interval(window.start, window.end):
        yield
