"""One dlt run inside a Dagster step, as a typed object.

``DltRun`` owns everything a run has: the clone of the source with the selected resources, the
per-run copy of the pipeline, the destination's facts and its single-writer lock, dlt's
``LoadInfo``, the run-wide facts and which tables each asset key wrote. ``DltEventIterator`` holds
only this object; ``fetch_row_count`` and users read from it.

dlt's steps run one by one, as ``Pipeline.run`` does, so that the destination lock is held only
for the steps that touch the destination (restoring state, the load), while extract and normalize
of parallel runs overlap.
"""

import copy
import json
import os
import socket
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime, timezone
from typing import Any, Optional, Union

from dagster import (
    AssetCheckResult,
    AssetKey,
    AssetMaterialization,
    DataVersion,
    MaterializeResult,
    OpExecutionContext,
)
from dlt.common.configuration.exceptions import ConfigurationException
from dlt.common.pipeline import LoadInfo
from dlt.extract.source import DltSource
from dlt.pipeline.exceptions import PipelineStepFailed
from dlt.pipeline.pipeline import Pipeline

import dagster_dlt.constants as k
from dagster_dlt._seams import internals
from dagster_dlt.checks import contract_violation, dlt_check_results
from dagster_dlt.durability import recovery
from dagster_dlt.durability.destinations import DestinationFacts
from dagster_dlt.durability.isolation import Isolation, isolated_pipeline
from dagster_dlt.durability.leases import LoadLeases
from dagster_dlt.durability.locking import destination_lock
from dagster_dlt.durability.parallel_state import keep_parallel_states
from dagster_dlt.errors import DltConfigurationError, DltLoadJobsFailedError
from dagster_dlt.redaction import RedactingLogger, SecretRedactor, redacting
from dagster_dlt.redaction.trace import TraceRedactingCollector, redact_package_exceptions
from dagster_dlt.run.config_errors import configuration_problem, describe_config_problem
from dagster_dlt.run.data_versions import data_versions
from dagster_dlt.run.dlt_logs import forward_dlt_logs
from dagster_dlt.run.metadata import RunFacts
from dagster_dlt.run.nested import nested_asset_metadata
from dagster_dlt.run.partitions import (
    PartitionFacts,
    outside_a_window,
    partition_interval,
    warn_if_partition_ignored,
    window_cursors,
)
from dagster_dlt.run.progress import DEFAULT_PROGRESS_INTERVAL, collector_for_run
from dagster_dlt.run.selection import NestedAssets

__all__ = ["DltEventType", "DltRun"]

DltEventType = Union[AssetMaterialization, MaterializeResult, AssetCheckResult]

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
        nested: Optional[NestedAssets] = None,
        run_arguments: Mapping[str, Any],
        lock_timeout: float,
        progress_interval: float = DEFAULT_PROGRESS_INTERVAL,
        source_from_definition: bool = False,
    ) -> None:
        self.context = context
        self.partition = PartitionFacts.of(context)
        """The run's partition, read from the context once."""
        self.pipeline = pipeline
        self.names_by_key = dict(names_by_key)
        self.nested = nested or NestedAssets()
        """The selected keys that stand for nested tables, and what else the run loads."""
        self.as_asset = as_asset
        self.run_arguments = dict(run_arguments)
        self.lock_timeout = lock_timeout
        self.progress_interval = progress_interval
        self.redactor = SecretRedactor()
        self.log: Any = context.log
        # A clone: the source the user passed stays intact.
        self.source: DltSource = source.with_resources(*dict.fromkeys(self.names_by_key.values()))
        self.run_pipeline: Optional[Pipeline] = None
        self.destination: Optional[DestinationFacts] = None
        self.load_info: Optional[LoadInfo] = None
        self.row_counts: dict[str, int] = {}
        self.facts: Optional[RunFacts] = None
        self.tables_by_key: dict[AssetKey, list[str]] = {}
        self.resumed: Optional[recovery.ResumedLoad] = None
        self.state_before: Optional[Mapping[str, Any]] = None
        self.schema_before: Optional[dict[str, Any]] = None
        self.window_end: Optional[str] = None
        self.window_cursors: dict[str, dict[str, tuple[Any, Any]]] = {}
        self.source_from_definition = source_from_definition
        self.data_versions: dict[AssetKey, str] = {}
        self.finished = False
        self._lock: Callable[[], AbstractContextManager[None]] = nullcontext

    def holding_destination(self) -> AbstractContextManager[None]:
        """Hold the destination's single-writer lock (a no-op for multi-writer destinations)."""
        return self._lock()

    def tables_of(self, key: AssetKey) -> list[str]:
        """The tables (root first, then nested) the asset ``key`` wrote in this run."""
        return list(self.tables_by_key.get(key, []))

    @property
    def work(self) -> dict[str, Any]:
        """What this run loads: a re-run of the same work resumes a dead run's unfinished load."""
        work = {
            "pipeline": self.pipeline.pipeline_name,
            "resources": sorted(set(self.names_by_key.values())),
            "partition": self.partition.work,
            "arguments": {k: repr(v) for k, v in sorted(self.run_arguments.items())},
        }
        return json.loads(json.dumps(work, default=str))

    def loaded_pipeline(self) -> Pipeline:
        """The pipeline to read what landed with, e.g. ``loaded_pipeline().dataset()``.

        After the run, the user's pipeline directory holds the run's state and schemas; this
        attaches a pipeline object to it (the one passed to ``@dlt_assets`` was created before).
        """
        if not self.finished or self.run_pipeline is self.pipeline:
            return self.pipeline
        return internals.copy_pipeline(self.pipeline, self.pipeline.pipelines_dir)

    def events(self) -> Iterator[DltEventType]:
        """Run dlt and yield one materialization per asset whose tables all loaded."""
        descriptor = {
            "dagster_run_id": self.context.run_id,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "work": self.work,
        }
        # Secrets dlt resolves for this run never reach the event log, metadata or errors.
        self.redactor = SecretRedactor.for_run(
            pipeline=self.pipeline,
            source=self.source,
            credentials=self.run_arguments.get("credentials"),
        )
        self.log = RedactingLogger(self.context.log, self.redactor)
        if self.redactor.uninspected:
            self.log.warning(
                "dagster-dlt could not read secret arguments of "
                f"{', '.join(self.redactor.uninspected)}; secrets that dlt injects from "
                "environment variables or secrets.toml are still redacted. To redact a value "
                "passed in code, read it from dlt.secrets.value instead."
            )
        collector = collector_for_run(self.pipeline.collector, self.log, self.progress_interval)
        # dlt pickles failed steps' exception texts into trace.pickle, which is published.
        collector = TraceRedactingCollector(collector, self.redactor)
        with (
            redacting(self.redactor),
            forward_dlt_logs(self.context.log, redactor=self.redactor),
            isolated_pipeline(self.pipeline, self.log, descriptor, collector) as isolation,
        ):
            run_pipeline = isolation.pipeline
            try:
                with (
                    partition_interval(self.partition) as window,
                    outside_a_window(self.source),
                ):
                    self.window_end = window.end.isoformat() if window is not None else None
                    warn_if_partition_ignored(
                        self.context,
                        self.partition,
                        self.source,
                        source_from_definition=self.source_from_definition,
                    )
                    self.run_pipeline = run_pipeline
                    self.destination = DestinationFacts.of(run_pipeline)
                    clash = self.destination.name_clash(run_pipeline.pipeline_name)
                    if clash is not None:  # before anything is extracted: nothing to take back
                        raise DltConfigurationError(clash)
                    if self.destination.single_writer_file is not None:
                        self.log.info(
                            f"dlt pipeline '{run_pipeline.pipeline_name}' loads into DuckDB file "
                            f"{self.destination.single_writer_file}."
                        )
                    self._lock = destination_lock(
                        self.destination, self.lock_timeout, self._owner(), self.log.info
                    )
                    try:
                        failure = self._run_steps(run_pipeline, isolation)
                        self.window_cursors = window_cursors(self.source) if window else {}
                    except Exception as stopped:
                        # A contract violation stops dlt before anything loads: the contract
                        # check records it, then the step fails.
                        if contract_violation(stopped) is not None:
                            yield from self._check_results(None, stopped)
                        raise
                yield from self._materializations(failure)
            except (DltLoadJobsFailedError, DltConfigurationError, PipelineStepFailed):
                raise  # dlt finished with the package: it is published, not resumed
            except BaseException:
                # Interrupted (terminated, a dead executor, a closed iterator): a package that
                # dlt has not finished stays for the next run to resume.
                isolation.keep_for_resume = isolation.own is not None and _has_pending(run_pipeline)
                raise
        self.finished = True

    def _materializations(self, failure: Optional[Exception]) -> Iterator[DltEventType]:
        assert self.run_pipeline is not None and self.destination is not None
        facts = RunFacts.collect(
            self.run_pipeline,
            self.load_info,
            self.source.schema.name,
            self.row_counts,
            destination=self.destination,
            state_before=self.state_before,
            window_end=self.window_end,
            window_cursors=self.window_cursors,
        )
        self.facts = facts
        resources = self.source.selected_resources
        partition = self.partition.key
        nested = self.nested.table_by_key
        for key, name in self.names_by_key.items():
            self.tables_by_key[key] = facts.tables_written(resources[name], nested.get(key))
        if self.as_asset:
            self.data_versions = data_versions(
                facts,
                self.run_pipeline,
                self.holding_destination,
                self.context,
                names_by_key=self.names_by_key,
                tables_by_key=self.tables_by_key,
                nested_by_key=self.nested.table_by_key,
                resources=resources,
                row_counts=self.row_counts,
            )
        for key, name in self.names_by_key.items():
            metadata = facts.metadata_for(resources[name], nested.get(key))
            if metadata is None:
                continue
            metadata = self.redactor.redact_value(
                {**metadata, **nested_asset_metadata(self.nested, facts, resources[name], key)}
            )
            if self.as_asset:
                version = self.data_versions.get(key)
                yield MaterializeResult(
                    asset_key=key,
                    metadata=metadata,
                    data_version=DataVersion(version) if version else None,
                )
            else:
                yield AssetMaterialization(asset_key=key, metadata=metadata, partition=partition)
        yield from self._check_results(facts, None)
        failed = facts.failed_tables
        if failed:
            raise DltLoadJobsFailedError(failed, facts.base[k.LOAD_IDS]) from failure
        if failure is not None:
            raise failure

    def _run_steps(self, pipeline: Pipeline, isolation: Isolation) -> Optional[Exception]:
        """dlt's steps, as ``pipeline.run`` takes them. A failure in the load step comes back, so
        that the tables that did load can still be reported; any other failure is raised."""
        where = {k: v for k, v in self.run_arguments.items() if k in _DESTINATION_ARGS}
        extract_kwargs = {k: v for k, v in self.run_arguments.items() if k not in _DESTINATION_ARGS}
        extract_kwargs.setdefault("refresh", pipeline.refresh)
        leases = LoadLeases.of(self.context, pipeline, isolation)
        try:
            with self.holding_destination():
                # Before state is restored: a dead load's state file must not be restored.
                leases.take_back_dead(self.log)
                # With no data, run() only sets the destination and restores state from it.
                pipeline.run(None, **where)
                if isolation.own is not None:  # steps that load at once keep all cursors
                    keep_parallel_states(pipeline, self.source.name, self.names_by_key.values())
                self.state_before = copy.deepcopy(_state(pipeline))
                schema_name = self.source.schema.name
                if schema_name in pipeline.schema_names:
                    self.schema_before = pipeline.schemas[schema_name].to_dict()
                if isolation.own is not None and self.destination is not None:
                    self.resumed = recovery.repair(
                        isolation,
                        self.pipeline,
                        self.destination,
                        self.work,
                        self.log,
                        schema_name=self.source.schema.name,
                        leases=leases,
                    )
                    pipeline.activate()
            if self.resumed is not None:
                # A dead run did this run's work and its load is now finished: report it.
                self.run_pipeline = self.resumed.pipeline
                self.load_info = self.resumed.load_info
                self.row_counts = dict(self.resumed.row_counts)
                return None
            pipeline.extract(self.source, **extract_kwargs)
            normalize_info = pipeline.normalize()
            self.row_counts = dict(normalize_info.row_counts) if normalize_info else {}
            try:
                with self.holding_destination(), leases.holding(pipeline, self.log):
                    self.load_info = pipeline.load(
                        where.get("destination"),
                        where.get("dataset_name"),
                        credentials=where.get("credentials"),
                    )
            finally:
                # Failed and retried jobs' messages, written by dlt into the package.
                redact_package_exceptions(pipeline, self.redactor)
            return None
        except (PipelineStepFailed, ConfigurationException) as failure:
            self._raise_if_configuration(failure, pipeline)
            loaded_some = isinstance(failure, PipelineStepFailed) and failure.step == "load"
            if loaded_some and isinstance(failure.step_info, LoadInfo):
                self.load_info = failure.step_info
                return failure
            raise

    def _check_results(
        self, facts: Optional[RunFacts], failure: Optional[BaseException]
    ) -> Iterator[AssetCheckResult]:
        """The selected schema-drift and contract checks of this run's assets."""
        if not self.as_asset:
            return
        selected = self.context.selected_asset_check_keys
        if not selected:
            return
        resources = self.source.selected_resources
        if facts is None and self.run_pipeline is not None and self.destination is not None:
            # Stopped before loading: the schema dlt extracted still tells which table broke.
            facts = RunFacts.collect(
                self.run_pipeline, None, self.source.schema.name, {}, self.destination
            )
        tables_by_key = {
            key: (facts.tables_of(resources[name]) if facts else [])
            for key, name in self.names_by_key.items()
        }
        after = facts.schema if facts is not None and failure is None else None
        yield from dlt_check_results(
            before=self.schema_before,
            after=after,
            tables_by_key=tables_by_key,
            selected=selected,
            failure=failure,
        )

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


def _state(pipeline: Pipeline) -> Optional[Mapping[str, Any]]:
    try:
        return pipeline.state
    except Exception:
        return None


def _has_pending(pipeline: Pipeline) -> bool:
    try:
        return bool(pipeline.has_pending_data)
    except Exception:
        return False
