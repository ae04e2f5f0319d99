"""Repair what dead runs left: finish their loads, or take back the rows of loads that will never
finish. Every function runs while the run holds the destination's lock.

A run killed in dlt's load step leaves a half-loaded package in its working directory and rows in
the destination whose load id has no row in ``_dlt_loads``. What happens next depends on whether
the leftover can be reached and on what the dead run was doing:

- **Its own re-run** (the same resources, partition and arguments) on a machine that sees the
  directory resumes the package: dlt loads the jobs that did not finish, and the source is not
  called again. The resumed load is reported as the re-run's materializations.
- **Any other run** that finds the directory removes the rows of the unfinished load (from
  ``append`` and ``replace`` tables and their nested tables; a ``merge`` deduplicates by key on
  the next load anyway) and records the load as aborted in ``_dlt_loads`` (status 1, which dlt's
  state restore ignores); the dead run's own re-run extracts that data again. A load whose every
  job had landed (the run died before dlt recorded it) is recorded instead: for a staged
  ``replace`` the old rows are already gone, and taking back the new ones would empty the table.
- **No leftover to reach** (the re-run lands on another machine): on a single-writer destination
  (a DuckDB file), rows whose load id is missing from ``_dlt_loads`` can only come from a dead
  load, because every load holds the file's lock; they are removed and recorded the same way.
  A leftover found later for such a load is discarded, not resumed.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

from dlt.common.pipeline import LoadInfo
from dlt.common.schema import Schema
from dlt.common.schema.utils import get_nested_tables
from dlt.pipeline.exceptions import PipelineStepFailed
from dlt.pipeline.pipeline import Pipeline

from dagster_dlt._seams import internals
from dagster_dlt.durability.destinations import DestinationFacts
from dagster_dlt.durability.isolation import STATE_FILE, Isolation, RunDirectory

__all__ = ["ABORTED_STATUS", "ResumedLoad", "repair"]

ABORTED_STATUS = 1
"""The ``_dlt_loads.status`` recorded for a load taken back after its run died (dlt writes 0)."""

_LOAD_ID = "_dlt_load_id"


@dataclass
class ResumedLoad:
    """A dead run's load, finished by its re-run: the re-run reports it as its own."""

    pipeline: Pipeline
    load_info: LoadInfo
    row_counts: dict[str, int] = field(default_factory=dict)


def repair(
    isolation: Isolation,
    user_pipeline: Pipeline,
    destination: DestinationFacts,
    work: dict[str, Any],
    log: Any,
    schema_name: Optional[str] = None,
) -> Optional[ResumedLoad]:
    """Finish or take back the loads of the dead runs ``isolation`` claimed, then remove orphans.

    Returns the resumed load when one of the dead runs was doing this run's work.
    """
    resumed = None
    run_pipeline = isolation.pipeline
    for dead in isolation.dead:
        outcome = _repair_one(dead, user_pipeline, run_pipeline, destination, work, log)
        if outcome is not None and resumed is None:
            resumed = outcome
            isolation.publish = outcome.pipeline
    if destination.single_writer_file is not None:
        _remove_orphans(run_pipeline, schema_name, log)
    return resumed


def _repair_one(
    dead: RunDirectory,
    user_pipeline: Pipeline,
    run_pipeline: Pipeline,
    destination: DestinationFacts,
    work: dict[str, Any],
    log: Any,
) -> Optional[ResumedLoad]:
    name = user_pipeline.pipeline_name
    who = dead.descriptor.get("dagster_run_id", "unknown")
    if not (dead.working_dir(name) / STATE_FILE).exists():
        dead.repaired = True  # died before dlt wrote anything worth keeping
        return None
    leftover = internals.copy_pipeline(user_pipeline, str(dead.path))
    extracted = list(leftover.list_extracted_load_packages())
    normalized = list(leftover.list_normalized_load_packages())
    pending = [*normalized, *extracted]
    if not pending:
        dead.repaired = True
        log.info(f"Removed the working directory of dead run {who}: it left no unfinished load.")
        return None
    statuses = _load_statuses(run_pipeline, pending)
    if any(statuses.get(load_id) == 0 for load_id in pending):
        dead.repaired = True
        log.info(f"Removed the working directory of dead run {who}: its load had completed.")
        return None
    aborted = [load_id for load_id in pending if statuses.get(load_id) == ABORTED_STATUS]
    if dead.descriptor.get("work") == work and not aborted:
        outcome = _resume(leftover, extracted, pending, who, log)
        if outcome is not None:
            dead.repaired = True
            return outcome
    # Its rows are all in (for a staged replace, the swap committed and the old rows are
    # gone): taking them back would leave an empty table, so the load is recorded instead.
    landed = not aborted and not extracted and _every_job_landed(leftover, normalized)
    if landed and _resume(leftover, extracted, pending, who, log) is not None:
        dead.repaired = True
        return None
    schema = leftover.default_schema if leftover.default_schema_name else None
    removed = _take_back(run_pipeline, destination, schema, normalized)
    _record_aborted(run_pipeline, schema, [i for i in normalized if i not in aborted])
    dead.repaired = True
    log.warning(
        f"Took back the unfinished load(s) {', '.join(pending)} of dead run {who}"
        f"{' (already recorded as aborted)' if aborted else ''}: removed "
        f"{_describe(removed)} from the destination and its working directory. That run's "
        "own re-run extracts the data again."
    )
    return None


def _resume(
    leftover: Pipeline, extracted: list[str], pending: list[str], who: str, log: Any
) -> Optional[ResumedLoad]:
    try:
        if extracted:
            leftover.normalize()
        _requeue_uncertain_jobs(leftover, log)
        load_info = leftover.load()
    except PipelineStepFailed as failure:
        log.warning(
            f"Could not resume the load(s) {', '.join(pending)} of dead run {who}: "
            f"{type(failure.exception).__name__}. Taking them back instead."
        )
        return None
    rows = _rows_of_loads(leftover, pending)
    jobs = sum(len(jobs) for package in load_info.load_packages for jobs in package.jobs.values())
    log.info(
        f"Resumed the load(s) {', '.join(pending)} left unfinished by dead run {who}: "
        f"{jobs} job(s) in {len(load_info.load_packages)} package(s), {_describe(rows)} in the "
        "destination now. The source was not called again."
    )
    return ResumedLoad(leftover, load_info, rows)


def _every_job_landed(leftover: Pipeline, load_ids: list[str]) -> bool:
    """Whether every job of the packages, followup jobs included, is in ``completed_jobs``: the
    run died after its data landed and before dlt recorded the load in ``_dlt_loads``.

    dlt writes a table chain's followup jobs (a staged replace's swap) before it moves the
    chain's last job to ``completed_jobs``, so a package whose jobs are all there has no
    followup left to create. A started job does not count, even with its outcome recorded:
    its followups may not exist yet.
    """
    packages = internals.normalized_packages(leftover)
    for load_id in load_ids:
        states = [state for state, _ in packages.list_all_jobs_with_states(load_id)]
        if not states or any(state != "completed_jobs" for state in states):
            return False
    return bool(load_ids)


def _requeue_uncertain_jobs(leftover: Pipeline, log: Any) -> None:
    """Make resuming a killed load exactly once, whatever instant the kill hit.

    A job killed after the destination committed its rows but before dlt recorded that (its
    pending-transition marker) is run again by dlt on resume: its rows would be loaded twice.
    The rows of one job cannot be told apart from those of the other jobs of its table in the
    same load, so for each table with such a job, the load's rows of that table are removed and
    every job of the table in the package runs again (children before parents, since a child's
    rows are found through its parent's).
    """
    packages = internals.normalized_packages(leftover)
    for load_id in packages.list_packages():
        schema = packages.load_schema(load_id)
        jobs = packages.list_all_jobs_with_states(load_id)
        uncertain = {
            job.table_name
            for state, job in jobs
            if state == "started_jobs"
            and not internals.outcome_recorded(packages, load_id, job.file_name())
        }
        tables = [name for name in uncertain if _retakeable(schema, name, jobs, log)]
        if not tables:
            continue
        try:
            with leftover.sql_client() as client:
                existing = _existing_tables(client)
                for name in sorted(tables, key=lambda name: -len(_lineage(schema, name))):
                    if client.capabilities.casefold_identifier(name) in existing:
                        _delete_load_rows(client, schema, name, load_id)
        except LookupError:
            pass  # no dataset yet: nothing was committed
        for state, job in jobs:
            if job.table_name not in tables:
                continue
            if state == "completed_jobs":
                internals.requeue_completed_job(packages, load_id, job.file_name())
            elif state == "started_jobs":
                internals.forget_outcome(packages, load_id, job.file_name())
        log.info(
            f"Load {load_id} was killed while loading {', '.join(sorted(tables))}: removed "
            "what it had loaded of these tables, which the resumed load loads again, once."
        )


def _retakeable(schema: Schema, name: str, jobs: list[Any], log: Any) -> bool:
    """Whether the load's rows of table ``name`` can be removed and its jobs run again."""
    table = schema.tables.get(name)
    if table is None or name.startswith("_dlt"):
        return False  # dlt's own tables: state and version rows are deduplicated by dlt
    root = schema.tables[_lineage(schema, name)[0]]
    disposition = root.get("write_disposition", "append")
    followups = any(job.table_name == name and job.file_format == "sql" for _, job in jobs)
    if disposition not in ("append", "replace") or followups:
        return False  # merge deduplicates by key; staged loads are finished by a later job
    if _LOAD_ID not in root.get("columns", {}) and disposition == "append":
        log.warning(
            f"Table '{name}' may hold rows twice: the run was killed while loading it, and its "
            f"rows carry no {_LOAD_ID} to take back (Arrow and pandas data). Set "
            "NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID=true so that such loads can be "
            "taken back."
        )
        return False
    return True


def _lineage(schema: Schema, name: str) -> list[str]:
    """``name`` and its parents, root first."""
    chain = [name]
    while "parent" in schema.tables[chain[0]]:
        chain.insert(0, schema.tables[chain[0]]["parent"])
    return chain


def _delete_load_rows(client: Any, schema: Schema, name: str, load_id: str) -> None:
    """Delete the rows that load ``load_id`` wrote to table ``name``: through its parents' ids
    for a nested table; every row of a replaced root without load ids (the load truncated it)."""
    chain = _lineage(schema, name)
    root = schema.tables[chain[0]]
    if _LOAD_ID in root.get("columns", {}):
        condition = f"{_LOAD_ID} = %s"
        params: list[Any] = [load_id]
    else:
        condition, params = "1 = 1", []
    for parent in chain[:-1]:
        condition = (
            f"_dlt_parent_id IN (SELECT _dlt_id FROM "
            f"{client.make_qualified_table_name(parent)} WHERE {condition})"
        )
    client.execute_sql(
        f"DELETE FROM {client.make_qualified_table_name(name)} WHERE {condition}", *params
    )


def _describe(rows: dict[str, int]) -> str:
    if not rows:
        return "no rows"
    return ", ".join(f"{count} row(s) of {table}" for table, count in sorted(rows.items()))


def _load_statuses(pipeline: Pipeline, load_ids: list[str]) -> dict[str, int]:
    """``_dlt_loads.status`` of each load id that has a row there."""
    try:
        with pipeline.sql_client() as client:
            loads = client.make_qualified_table_name("_dlt_loads")
            placeholders = ", ".join(["%s"] * len(load_ids))
            rows = client.execute_sql(
                f"SELECT load_id, status FROM {loads} WHERE load_id IN ({placeholders})", *load_ids
            )
        return {str(load_id): int(status) for load_id, status in rows or []}
    except Exception:
        return {}  # no _dlt_loads yet, or a destination without SQL: nothing completed there


def _rows_of_loads(pipeline: Pipeline, load_ids: list[str]) -> dict[str, int]:
    """Rows each root table holds from ``load_ids``, counted in the destination."""
    if not pipeline.default_schema_name:
        return {}
    counts: dict[str, int] = {}
    try:
        with pipeline.sql_client() as client:
            for table in pipeline.default_schema.data_tables():
                if "parent" in table or _LOAD_ID not in table.get("columns", {}):
                    continue
                placeholders = ", ".join(["%s"] * len(load_ids))
                qualified = client.make_qualified_table_name(table["name"])
                rows = client.execute_sql(
                    f"SELECT COUNT(*) FROM {qualified} WHERE {_LOAD_ID} IN ({placeholders})",
                    *load_ids,
                )
                counts[table["name"]] = int(rows[0][0])
    except Exception:
        return counts
    return counts


def _take_back(
    pipeline: Pipeline,
    destination: DestinationFacts,
    schema: Optional[Schema],
    load_ids: list[str],
) -> dict[str, int]:
    """Remove what ``load_ids`` wrote to append and replace tables (and their nested tables)."""
    if schema is None or not load_ids:
        return {}
    if destination.destination_name == "filesystem":
        return _take_back_files(pipeline, schema, load_ids)
    removed: dict[str, int] = {}
    try:
        with pipeline.sql_client() as client:
            existing = _existing_tables(client)
            for root in _root_tables(schema):
                _delete_tree(client, schema, root, load_ids, existing, removed)
    except Exception:
        return removed  # the dataset does not exist yet: nothing was written
    return removed


def _root_tables(schema: Schema) -> list[dict[str, Any]]:
    return [
        table
        for table in schema.data_tables(include_incomplete=True)
        if "parent" not in table
        and table.get("write_disposition", "append") in ("append", "replace")
        and _LOAD_ID in table.get("columns", {})
    ]


def _delete_tree(
    client: Any,
    schema: Schema,
    root: dict[str, Any],
    load_ids: list[str],
    existing: set[str],
    removed: dict[str, int],
) -> None:
    placeholders = ", ".join(["%s"] * len(load_ids))
    conditions: dict[str, str] = {root["name"]: f"{_LOAD_ID} IN ({placeholders})"}
    tree = get_nested_tables(schema.tables, root["name"])
    for table in tree[1:]:
        parent = table["parent"]
        parent_name = client.make_qualified_table_name(parent)
        conditions[table["name"]] = (
            f"_dlt_parent_id IN (SELECT _dlt_id FROM {parent_name} WHERE {conditions[parent]})"
        )
    # Children first: their condition reads the parent rows about to go.
    for table in reversed(tree):
        name = table["name"]
        if client.capabilities.casefold_identifier(name) not in existing:
            continue
        qualified = client.make_qualified_table_name(name)
        where = conditions[name]
        # Only the root's condition has placeholders; each nested one embeds it once.
        count = client.execute_sql(f"SELECT COUNT(*) FROM {qualified} WHERE {where}", *load_ids)
        if count and int(count[0][0]):
            client.execute_sql(f"DELETE FROM {qualified} WHERE {where}", *load_ids)
            removed[name] = int(count[0][0])


def _schema_for_orphans(pipeline: Pipeline, schema_name: Optional[str]) -> Optional[Schema]:
    """The schema whose tables may hold a dead load's rows: the pipeline's, or, when no load of
    it ever completed (so no state to restore it from), the newest the destination stored."""
    name = schema_name or pipeline.default_schema_name
    if name and name in pipeline.schema_names:
        return pipeline.schemas[name]
    if not name:
        return None
    try:
        with pipeline.destination_client() as client:
            stored = client.get_stored_schema(name)  # type: ignore[attr-defined]
    except Exception:
        return None
    if stored is None:
        return None
    return Schema.from_dict(json.loads(stored.schema))


def _existing_tables(client: Any) -> set[str]:
    if not client.has_dataset():
        raise LookupError("no dataset")
    rows = client.execute_sql(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
        client.make_qualified_table_name_path(None, quote=False)[-1],
    )
    return {str(name) for (name,) in rows or []}


def _take_back_files(pipeline: Pipeline, schema: Schema, load_ids: list[str]) -> dict[str, int]:
    removed: dict[str, int] = {}
    client = pipeline.destination_client(schema.name)
    for root in _root_tables(schema):
        for table in get_nested_tables(schema.tables, root["name"]):
            try:
                files = client.list_table_files(table["name"])  # type: ignore[attr-defined]
            except Exception:
                continue
            for path in files:
                if any(Path(path).name.startswith(f"{load_id}.") for load_id in load_ids):
                    client.fs_client.rm(path)  # type: ignore[attr-defined]
                    removed[table["name"]] = removed.get(table["name"], 0) + 1
    return {f"{table} (files)": count for table, count in removed.items()}


def _record_aborted(pipeline: Pipeline, schema: Optional[Schema], load_ids: list[str]) -> None:
    """Note in ``_dlt_loads`` that these loads were taken back, so no leftover resumes them."""
    if schema is None or not load_ids:
        return
    try:
        with pipeline.sql_client() as client:
            loads = client.make_qualified_table_name("_dlt_loads")
            for load_id in load_ids:
                client.execute_sql(
                    f"INSERT INTO {loads} (load_id, schema_name, status, inserted_at, "
                    "schema_version_hash) VALUES (%s, %s, %s, %s, %s)",
                    load_id,
                    schema.name,
                    ABORTED_STATUS,
                    datetime.now(timezone.utc),
                    schema.version_hash,
                )
    except Exception:
        return  # no _dlt_loads (nothing ever completed) or no SQL: nothing can resume wrongly


def _remove_orphans(pipeline: Pipeline, schema_name: Optional[str], log: Any) -> None:
    """Rows of loads that never finished and whose leftover cannot be reached (single writer)."""
    schema = _schema_for_orphans(pipeline, schema_name)
    if schema is None:
        return
    orphans: set[str] = set()
    try:
        with pipeline.sql_client() as client:
            existing = _existing_tables(client)
            loads = client.make_qualified_table_name("_dlt_loads")
            for root in _root_tables(schema):
                if root["name"] not in existing:
                    continue
                qualified = client.make_qualified_table_name(root["name"])
                rows = client.execute_sql(
                    f"SELECT DISTINCT {_LOAD_ID} FROM {qualified} WHERE {_LOAD_ID} NOT IN "
                    f"(SELECT load_id FROM {loads})"
                )
                orphans.update(str(load_id) for (load_id,) in rows or [])
    except Exception:
        return
    if not orphans:
        return
    ordered = sorted(orphans)
    facts = DestinationFacts.of(pipeline)
    removed = _take_back(pipeline, facts, schema, ordered)
    _record_aborted(pipeline, schema, ordered)
    log.warning(
        f"Took back load(s) {', '.join(ordered)}, which a dead run started and never finished "
        f"(no row in _dlt_loads, and no run holds the database): removed {_describe(removed)}."
    )
