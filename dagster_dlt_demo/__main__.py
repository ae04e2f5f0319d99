"""Materialize the demo offline into its DuckDB file and print the tables and rows that landed.

``python -m dagster_dlt_demo`` runs ``gharchive_job`` once over every daily partition: the GH
Archive event types (from the bundled sample unless ``DAGSTER_DLT_DEMO_GHARCHIVE_URL`` says
otherwise), then the reports; then ``shop_job``, the YAML component's load of a SQLite file.
The GitHub assets need the network and are left to the UI. Runs go to ``$DAGSTER_HOME`` when it
is set, so ``dagster dev`` shows them; otherwise to a throwaway instance.
"""

import os
import sys
from typing import Any

import duckdb
from dagster import DagsterInstance

from dagster_dlt_demo.definitions import defs, gharchive_job
from dagster_dlt_demo.defs.shop.loads import shop_pipeline
from dagster_dlt_demo.defs.shop_database import shop_job
from dagster_dlt_demo.gharchive_assets import daily_partitions, gharchive_pipeline
from dagster_dlt_demo.reports import REPORTS_SCHEMA
from dagster_dlt_demo.settings import SETTINGS
from dlt_sources.gharchive import SAMPLE_DIR

# A single run over a range of partitions; assets with a single-run backfill policy get it whole.
_RANGE_START = "dagster/asset_partition_range_start"
_RANGE_END = "dagster/asset_partition_range_end"
# Failures are summed up below; Dagster's console logs would repeat them with every traceback.
_QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def main() -> int:
    keys = daily_partitions.get_partition_keys()
    first, last = keys[0], keys[-1]
    where = (
        "the bundled GH Archive sample"
        if SETTINGS.gharchive_url == SAMPLE_DIR
        else SETTINGS.gharchive_url
    )
    print(f"Loading {where}, {first} to {last}, into {SETTINGS.duckdb_path} ...", flush=True)
    instance = DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else None
    with instance or DagsterInstance.ephemeral() as dagster_instance:
        result = defs.resolve_job_def(gharchive_job.name).execute_in_process(
            instance=dagster_instance,
            tags={_RANGE_START: first, _RANGE_END: last},
            run_config=_QUIET,
            raise_on_error=False,
        )
        if result.success:
            # The components load (defs/shop/defs.yaml): the shop's SQLite file into DuckDB.
            result = defs.resolve_job_def(shop_job.name).execute_in_process(
                instance=dagster_instance, run_config=_QUIET, raise_on_error=False
            )
    if not result.success:
        for event in result.all_events:
            if event.is_step_failure and event.step_failure_data.error:
                print(
                    f"Step {event.step_key} failed: {_root_cause(event.step_failure_data.error)}",
                    file=sys.stderr,
                )
        print("The demo run failed.", file=sys.stderr)
        return 1
    print(summary(), end="")
    print("\nSee the lineage and materialize from the UI: dagster dev -w workspace.yaml")
    return 0


def _root_cause(error: Any) -> str:
    """The innermost error of a chain, the one that says what went wrong, with its class."""
    while error.cause is not None:
        error = error.cause
    return error.message.strip()


def summary() -> str:
    """The tables of the demo's datasets and their row counts, one line each."""
    schemas = [gharchive_pipeline.dataset_name, REPORTS_SCHEMA, shop_pipeline.dataset_name]
    with duckdb.connect(str(SETTINGS.duckdb_path), read_only=True) as db:
        tables = db.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema IN (?, ?, ?) AND table_name NOT LIKE '\\_dlt%' ESCAPE '\\' "
            "ORDER BY table_schema, table_name",
            schemas,
        ).fetchall()
        counts = [
            (
                f"{schema}.{table}",
                db.execute(f'SELECT COUNT(*) FROM "{schema}"."{table}"').fetchone()[0],
            )
            for schema, table in tables
        ]
    width = max((len(name) for name, _ in counts), default=5)
    lines = [f"  {'table':<{width}}  {'rows':>6}"]
    lines += [f"  {name:<{width}}  {rows:>6}" for name, rows in counts]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
