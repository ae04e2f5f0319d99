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

from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, Optional

from dlt.common.pipeline import LoadInfo
from dlt.common.schema import Schema
from dlt.pipeline.exceptions import PipelineStepFailed
from dlt.pipeline.pipeline import Pipeline

from dagster_dlt._seams import internals
from dagster_dlt.durability.destinations import DestinationFacts
from dagster_dlt.durability.isolation import STATE_FILE, Isolation, RunDirectory
from dagster_dlt.durability.leases import LoadLeases
from dagster_dlt.durability.take_back import (
    ABORTED_STATUS,
    LOAD_ID,
    delete_load_rows,
    describe_rows,
    existing_tables,
    lineage,
    record_aborted,
    remove_orphans,
    take_back,
)

__all__ = ["ABORTED_STATUS", "ResumedLoad", "repair"]


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
    leases: Optional[LoadLeases] = None,
) -> Optional[ResumedLoad]:
    """Finish or take back the loads of the dead runs ``isolation`` claimed, then remove orphans.

    ``leases`` (on the filesystem destination) hold a dead run's loads as this run's while they
    are repaired. Returns the resumed load when one of the dead runs was doing this run's work.
    """
    resumed = None
    run_pipeline = isolation.pipeline
    for dead in isolation.dead:
        with leases.standing_in_for(dead, log) if leases is not None else nullcontext():
            outcome = _repair_one(dead, user_pipeline, run_pipeline, destination, work, log)
        if outcome is not None and resumed is None:
            resumed = outcome
            isolation.publish = outcome.pipeline
    if destination.single_writer_file is not None:
        remove_orphans(run_pipeline, schema_name, log)
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
    removed = take_back(run_pipeline, destination, schema, normalized)
    record_aborted(run_pipeline, schema, [i for i in normalized if i not in aborted])
    dead.repaired = True
    log.warning(
        f"Took back the unfinished load(s) {', '.join(pending)} of dead run {who}"
        f"{' (already recorded as aborted)' if aborted else ''}: removed "
        f"{describe_rows(removed)} from the destination and its working directory. That run's "
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
        f"{jobs} job(s) in {len(load_info.load_packages)} package(s), {describe_rows(rows)} in the "
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
    rows are found through its parent's). A table that dlt loads through the staging dataset (a
    ``merge``, a ``replace`` from staging) has its rows removed there: the staging table is not
    truncated again on resume, and the followup job that copies it into the dataset would copy
    them twice. The followup jobs themselves (SQL run in one transaction) are safe to run again.
    """
    packages = internals.normalized_packages(leftover)
    for load_id in packages.list_packages():
        schema = packages.load_schema(load_id)
        jobs = packages.list_all_jobs_with_states(load_id)
        uncertain = {
            job.table_name
            for state, job in jobs
            if state == "started_jobs"
            and job.file_format != "sql"
            and not internals.outcome_recorded(packages, load_id, job.file_name())
        }
        tables = [name for name in uncertain if _retakeable(schema, name, log)]
        if not tables:
            continue
        staged = internals.staged_tables(leftover, schema, tables)
        try:
            with leftover.sql_client() as client:
                for in_staging in (False, True):
                    names = [name for name in tables if (name in staged) is in_staging]
                    if names:
                        _delete_from(client, schema, names, load_id, in_staging)
        except LookupError:
            pass  # no dataset yet: nothing was committed
        for state, job in jobs:
            if job.table_name not in tables or job.file_format == "sql":
                continue
            if state == "completed_jobs":
                internals.requeue_completed_job(packages, load_id, job.file_name())
            elif state == "started_jobs":
                internals.forget_outcome(packages, load_id, job.file_name())
        log.info(
            f"Load {load_id} was killed while loading {', '.join(sorted(tables))}: removed "
            "what it had loaded of these tables, which the resumed load loads again, once."
        )


def _delete_from(
    client: Any, schema: Schema, names: list[str], load_id: str, in_staging: bool
) -> None:
    """Delete load ``load_id``'s rows of ``names``, in the dataset or in its staging dataset."""
    with client.with_staging_dataset() if in_staging else nullcontext():
        existing = existing_tables(client)
        for name in sorted(names, key=lambda name: -len(lineage(schema, name))):
            if client.capabilities.casefold_identifier(name) in existing:
                delete_load_rows(client, schema, name, load_id)


def _retakeable(schema: Schema, name: str, log: Any) -> bool:
    """Whether the load's rows of table ``name`` can be removed and its jobs run again."""
    table = schema.tables.get(name)
    if table is None or name.startswith("_dlt"):
        return False  # dlt's own tables: state and version rows are deduplicated by dlt
    root = schema.tables[lineage(schema, name)[0]]
    disposition = root.get("write_disposition", "append")
    if disposition not in ("append", "replace", "merge"):
        return False
    if LOAD_ID not in root.get("columns", {}) and disposition != "replace":
        log.warning(
            f"Table '{name}' may hold rows twice: the run was killed while loading it, and its "
            f"rows carry no {LOAD_ID} to take back (Arrow and pandas data). Set "
            "NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID=true so that such loads can be "
            "taken back."
        )
        return False
    return True


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
                if "parent" in table or LOAD_ID not in table.get("columns", {}):
                    continue
                placeholders = ", ".join(["%s"] * len(load_ids))
                qualified = client.make_qualified_table_name(table["name"])
                rows = client.execute_sql(
                    f"SELECT COUNT(*) FROM {qualified} WHERE {LOAD_ID} IN ({placeholders})",
                    *load_ids,
                )
                counts[table["name"]] = int(rows[0][0])
    except Exception:
        return counts
    return counts
