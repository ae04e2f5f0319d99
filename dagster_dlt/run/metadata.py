"""Materialization metadata from a dlt run: pure functions over the load info and the schema.

Run-wide facts (timestamps, load ids, row counts, jobs grouped by table, the tables each resource
wrote) are computed once per run by ``RunFacts.collect``; ``RunFacts.metadata_for`` then hands
each asset its slice, in time proportional to that asset's tables only.
"""

import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

from dagster import MetadataValue
from dlt.common.pipeline import LoadInfo
from dlt.common.schema import Schema
from dlt.common.schema.typing import TTableSchema
from dlt.common.schema.utils import get_nested_tables
from dlt.extract.resource import DltResource
from dlt.pipeline.pipeline import Pipeline

import dagster_dlt.constants as k
from dagster_dlt.durability.destinations import DestinationFacts
from dagster_dlt.schema.columns import table_schema_of

_PENDING_STATES = ("new_jobs", "started_jobs")


@dataclass
class TableJobs:
    """The load jobs of one table in this run."""

    jobs: list[dict[str, Any]] = field(default_factory=list)
    failed_message: Optional[str] = None
    pending: bool = False

    @property
    def completed(self) -> bool:
        return bool(self.jobs) and self.failed_message is None and not self.pending


@dataclass
class RunFacts:
    """What one dlt run did, computed once and shared by every asset of the run."""

    base: dict[str, Any]
    row_counts: Mapping[str, int]
    jobs_by_table: Mapping[str, TableJobs]
    schema: Optional[Schema]
    root_tables_by_resource: Mapping[str, list[str]]
    destination: DestinationFacts
    # Incremental state of each resource before and after the run: cursor path -> last value.
    cursors_before: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    cursors_after: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    window_end: Optional[str] = None
    # Incrementals that joined a partition's window, which dlt keeps no state for:
    # resource -> cursor path -> (window start, newest cursor value loaded).
    window_cursors: Mapping[str, Mapping[str, tuple[Any, Any]]] = field(default_factory=dict)

    @classmethod
    def collect(
        cls,
        pipeline: Pipeline,
        load_info: Optional[LoadInfo],
        schema_name: str,
        row_counts: Mapping[str, int],
        destination: Optional[DestinationFacts] = None,
        state_before: Optional[Mapping[str, Any]] = None,
        window_end: Optional[str] = None,
        window_cursors: Optional[Mapping[str, Mapping[str, tuple[Any, Any]]]] = None,
    ) -> "RunFacts":
        """Gather the run-wide facts. Reads only local state: no destination query.

        Args:
            pipeline: the pipeline the run loaded with.
            load_info: dlt's load info, or ``None`` when nothing reached the load step.
            schema_name: the name of the source's schema.
            row_counts: rows per table, from dlt's normalize step.
            destination: the destination's facts, when the caller already has them.
            state_before: dlt's pipeline state when the run started (for incremental cursors).
            window_end: the end of the partition's time window offered to incrementals.
            window_cursors: the incrementals that joined that window, with where they started
                (the window's start) and the newest cursor value they loaded.
        """
        schema = pipeline.schemas.get(schema_name) if schema_name in pipeline.schema_names else None
        if schema is None and pipeline.default_schema_name:
            schema = pipeline.default_schema
        destination = destination or DestinationFacts.of(pipeline)
        base = _base_metadata(destination, pipeline, load_info)
        if schema is not None:
            base[k.SCHEMA_NAME] = schema.name
            base[k.SCHEMA_VERSION_HASH] = schema.version_hash
        return cls(
            base=base,
            row_counts=row_counts,
            jobs_by_table=_jobs_by_table(load_info),
            schema=schema,
            root_tables_by_resource=root_tables_by_resource(schema),
            destination=destination,
            cursors_before=_cursors(state_before, schema_name),
            cursors_after=_cursors(_state_of(pipeline), schema_name),
            window_end=window_end,
            window_cursors=dict(window_cursors or {}),
        )

    @property
    def failed_tables(self) -> dict[str, str]:
        return {
            table: jobs.failed_message
            for table, jobs in self.jobs_by_table.items()
            if jobs.failed_message is not None
        }

    def tables_of(self, resource: DltResource) -> list[str]:
        """The root tables ``resource`` writes: its static table, or those dlt saw it create."""
        seen = self.root_tables_by_resource.get(resource.name, [])
        if isinstance(resource.table_name, str):
            static = self.normalize(resource.table_name)
            return [static, *(t for t in seen if t != static)]
        return list(seen)

    def normalize(self, name: str) -> str:
        return self.schema.naming.normalize_table_identifier(name) if self.schema else name

    def tables_written(self, resource: DltResource, nested: Optional[str] = None) -> list[str]:
        """Every table ``resource`` wrote or would write: its root tables and their nested ones;
        with ``nested``, that nested table and the tables nested in it."""
        return self._all_tables(self._roots(resource, nested))

    def _roots(self, resource: DltResource, nested: Optional[str]) -> list[str]:
        return [nested] if nested is not None else self.tables_of(resource)

    def metadata_for(
        self, resource: DltResource, nested: Optional[str] = None
    ) -> Optional[dict[str, Any]]:
        """The materialization metadata of one resource's asset (or, with ``nested``, of the
        asset of that nested table), or ``None`` when any of its tables (nested ones included)
        has a failed or pending job: that asset did not load."""
        roots = self._roots(resource, nested)
        all_tables = self._all_tables(roots)
        for table in all_tables:
            jobs = self.jobs_by_table.get(table)
            if jobs is not None and (jobs.failed_message is not None or jobs.pending):
                return None
        metadata: dict[str, Any] = dict(self.base)
        rows = {table: self.row_counts.get(table, 0) for table in all_tables}
        metadata[k.ROWS_LOADED] = MetadataValue.int(sum(rows[t] for t in roots))
        if len(all_tables) > 1:
            metadata[k.ROWS_LOADED_BY_TABLE] = MetadataValue.json(rows)
        metadata[k.JOBS] = [
            job for table in all_tables for job in self.jobs_by_table.get(table, TableJobs()).jobs
        ]
        if roots:
            main = roots[0]
            metadata[k.TABLE_NAME] = MetadataValue.text(self.relation(main))
            metadata[k.COLUMN_SCHEMA] = MetadataValue.table_schema(
                table_schema_of(self.table(main))
            )
            disposition = (self.table(main) or {}).get("write_disposition")
            if disposition:
                metadata[k.WRITE_DISPOSITION] = disposition
        if len(roots) > 1:
            metadata[k.TABLES] = [self.relation(t) for t in roots]
        cursors = self.cursors_of(resource.name) if nested is None else None
        if cursors:
            metadata[k.INCREMENTAL_CURSORS] = MetadataValue.json(cursors)
        for table in all_tables:
            if table not in roots:
                # Nested (child) tables get a schema entry of their own, under their table name.
                metadata[table] = MetadataValue.table_schema(table_schema_of(self.table(table)))
        return metadata

    def relation(self, table: str) -> str:
        """The fully qualified relation of a table: ``<database>.<dataset>.<table>``."""
        return self.destination.relation(table)

    def cursors_of(self, resource_name: str) -> list[dict[str, Any]]:
        """Each incremental of a resource: its cursor path, where this run started and ended."""
        before = self.cursors_before.get(resource_name, {})
        after = self.cursors_after.get(resource_name, {})
        in_window = self.window_cursors.get(resource_name, {})
        cursors = []
        for path in sorted(set(before) | set(after) | set(in_window)):
            if path in in_window:
                # A partition's window: dlt neither read nor moved the stored cursor.
                start, last = in_window[path]
                cursors.append(
                    {
                        "cursor_path": path,
                        "started_from": _jsonable(start),
                        "ended_at": _jsonable(last if last is not None else start),
                        "window_end": self.window_end,
                    }
                )
                continue
            cursor: dict[str, Any] = {
                "cursor_path": path,
                "started_from": _jsonable(before.get(path)),
                "ended_at": _jsonable(after.get(path, before.get(path))),
            }
            if self.window_end is not None:
                cursor["window_end"] = self.window_end
            cursors.append(cursor)
        return cursors

    def data_version(
        self,
        resource: DltResource,
        latest_load_ids: Mapping[str, Any],
        nested: Optional[str] = None,
    ) -> str:
        """A version of what the resource's tables hold, the same while nothing changed them.

        It hashes, for each of the resource's tables, the newest load id found in it (a load
        that brought rows, or a replace that emptied it, changes that) and its columns (a schema
        change). Nothing of it is kept by dagster-dlt: the destination and the dlt schema hold it,
        so it survives restarts and parallel runs.
        """
        tables = self.tables_written(resource, nested)
        parts = []
        for table in tables:
            schema = self.table(table) or {}
            columns = [
                [
                    name,
                    column.get("data_type"),
                    column.get("nullable", True),
                    column.get("precision"),
                    column.get("scale"),
                    column.get("timezone"),
                ]
                for name, column in sorted(schema.get("columns", {}).items())
            ]
            parts.append([table, _jsonable(latest_load_ids.get(table)), columns])
        text = json.dumps(parts, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def table(self, name: str) -> Optional[TTableSchema]:
        """The table named ``name`` in the schema after the run, if it has one."""
        return self.schema.tables.get(name) if self.schema else None

    def _all_tables(self, roots: Sequence[str]) -> list[str]:
        if not self.schema:
            return list(roots)
        tables: list[str] = []
        for root in roots:
            if root in self.schema.tables:
                tables.extend(t["name"] for t in get_nested_tables(self.schema.tables, root))
            else:
                tables.append(root)
        return tables


def _base_metadata(
    destination: DestinationFacts, pipeline: Pipeline, load_info: Optional[LoadInfo]
) -> dict[str, Any]:
    base: dict[str, Any] = {
        k.DATASET_NAME: destination.dataset_name,
        k.DESTINATION_NAME: destination.destination_name,
        k.DESTINATION_TYPE: destination.destination_type,
        k.FIRST_RUN: load_info.first_run if load_info else pipeline.first_run,
        k.LOAD_IDS: list(load_info.loads_ids) if load_info else [],
    }
    if destination.destination_name:
        base[k.STORAGE_KIND] = destination.destination_name
    if load_info is not None:
        if load_info.started_at:
            base[k.STARTED_AT] = load_info.started_at.isoformat()
        if load_info.finished_at:
            base[k.FINISHED_AT] = load_info.finished_at.isoformat()
    return base


def _state_of(pipeline: Pipeline) -> Optional[Mapping[str, Any]]:
    try:
        return pipeline.state
    except Exception:
        return None


def _cursors(state: Optional[Mapping[str, Any]], schema_name: str) -> dict[str, dict[str, Any]]:
    """resource name -> cursor path -> last value, from dlt's pipeline state."""
    if not state:
        return {}
    resources = state.get("sources", {}).get(schema_name, {}).get("resources", {})
    cursors: dict[str, dict[str, Any]] = {}
    for name, resource_state in resources.items():
        incremental = (
            resource_state.get("incremental") if isinstance(resource_state, dict) else None
        )
        if isinstance(incremental, dict):
            cursors[name] = {
                path: value.get("last_value") if isinstance(value, dict) else None
                for path, value in incremental.items()
            }
    return cursors


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    isoformat = getattr(value, "isoformat", None)
    return isoformat() if callable(isoformat) else str(value)


def _jobs_by_table(load_info: Optional[LoadInfo]) -> dict[str, TableJobs]:
    by_table: dict[str, TableJobs] = defaultdict(TableJobs)
    if load_info is None:
        return by_table
    for package in load_info.load_packages:
        for state, jobs in package.jobs.items():
            for job in jobs:
                table = job.job_file_info.table_name
                entry = by_table[table]
                entry.jobs.append(job_entry(job, package.load_id))
                if state == "failed_jobs" or (state in _PENDING_STATES and job.failed_message):
                    entry.failed_message = entry.failed_message or job.failed_message or "failed"
                elif state in _PENDING_STATES:
                    entry.pending = True
    return dict(by_table)


def root_tables_by_resource(schema: Optional[Schema]) -> dict[str, list[str]]:
    by_resource: dict[str, list[str]] = defaultdict(list)
    if schema is None:
        return by_resource
    for table in schema.data_tables(include_incomplete=True):
        if "parent" not in table and table.get("resource"):
            by_resource[table["resource"]].append(table["name"])
    return dict(by_resource)


def job_entry(job: Any, load_id: str) -> dict[str, Any]:
    """One load job: every field dlt's ``LoadJobInfo.asdict()`` has, as the published package
    reports them, plus ``load_id`` and ``file_type``; timestamps as ISO strings."""
    info = job.job_file_info
    return {
        "job_id": info.job_id(),
        "load_id": load_id,
        "state": job.state,
        "table_name": info.table_name,
        "file_id": info.file_id,
        "retry_count": info.retry_count,
        "file_format": info.file_format,
        "file_type": info.file_format,
        "is_compressed": info.is_compressed,
        "file_path": job.file_path,
        "file_size": job.file_size,
        "created_at": job.created_at.isoformat() if job.created_at else None,
        "elapsed": round(job.elapsed, 3) if job.elapsed is not None else None,
        "failed_message": job.failed_message,
    }
