"""Materialize the demo offline into its DuckDB file and print the tables and rows that landed.

``python -m dagster_dlt_demo`` runs ``gharchive_job`` once over every daily partition: the GH
Archive event types (from the bundled sample unless ``DAGSTER_DLT_DEMO_GHARCHIVE_URL`` says
otherwise), then the reports; then ``shop_job``, the YAML component's load of a SQLite file.
The GitHub assets need the network and are left to the UI.

The runs are recorded in a persistent Dagster instance, ``$DAGSTER_HOME``, by default
``.dagster_home`` in the working directory (created), so that
``DAGSTER_HOME=$PWD/.dagster_home dagster dev -w workspace.yaml`` shows them afterwards.
"""

import argparse
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional

DEFAULT_DAGSTER_HOME = ".dagster_home"
"""The Dagster home, in the working directory, when ``$DAGSTER_HOME`` is not set (git ignores it)."""

# A single run over a range of partitions; assets with a single-run backfill policy get it whole.
_RANGE_START = "dagster/asset_partition_range_start"
_RANGE_END = "dagster/asset_partition_range_end"
# Failures are summed up below; Dagster's console logs would repeat them with every traceback.
_QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}

_DAGSTER_YAML = """\
# The Dagster instance of the demo, written by python -m dagster_dlt_demo: Dagster's defaults,
# with the runs, event logs and schedules in SQLite files in this directory. The demo runs
# offline, and so does `dagster dev` on it: no telemetry.
telemetry:
  enabled: false
"""

_DESCRIPTION = """\
Materialize the dagster-dlt demo offline and print every table it wrote, with its rows.

It runs gharchive_job once over every daily partition (one dlt asset per GH Archive event
type, loaded from the sample bundled in dlt_sources/gharchive/sample, then the two report
assets), then shop_job (the components demo: a SQLite shop database loaded with dlt's
sql_database). The GitHub assets need the network and are left to the UI. Run it from the
repository root; running it again replaces rows rather than adding them."""

_EPILOG = f"""\
where it writes:
  DuckDB file   $DAGSTER_DLT_DEMO_DUCKDB, default demo.duckdb in the working directory,
                with demo_shop.sqlite (the shop database) and demo.duckdb.lock next to it
  Dagster home  $DAGSTER_HOME, default {DEFAULT_DAGSTER_HOME}/ in the working directory (created):
                the runs and materializations, which the UI then shows
  dlt state     $DLT_DATA_DIR/pipelines, default ~/.dlt/pipelines (/var/dlt/pipelines as root)

then, from the same directory:
  DAGSTER_HOME=$PWD/{DEFAULT_DAGSTER_HOME} .venv/bin/dagster dev -w workspace.yaml

docs/demo.md lists the other settings (DAGSTER_DLT_DEMO_GHARCHIVE_URL, dates, ...)."""


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m dagster_dlt_demo",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser.parse_args(argv)


def dagster_home() -> Path:
    """The Dagster home the runs go to, the one ``dagster dev`` must be given to show them.

    ``$DAGSTER_HOME`` when set; otherwise ``.dagster_home`` in the working directory, exported so
    that ``DagsterInstance.get()`` finds it. Created if missing; a relative ``$DAGSTER_HOME`` is
    left for Dagster to refuse, as ``dagster dev`` would.
    """
    configured = os.environ.get("DAGSTER_HOME")
    if configured:
        home = Path(configured).expanduser()
        if home.is_absolute():
            home.mkdir(parents=True, exist_ok=True)
        return home
    home = Path.cwd() / DEFAULT_DAGSTER_HOME
    home.mkdir(exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        # Without one, the demo and every `dagster dev` warn that none was found.
        config.write_text(_DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def main(argv: Optional[Sequence[str]] = None) -> int:
    parse_args(argv)
    home = dagster_home()
    # Imported only now, so that --help answers at once and whatever the settings hold: loading
    # the definitions reads (and checks) the DAGSTER_DLT_DEMO_* variables.
    from dagster import DagsterInstance
    from dagster._core.errors import DagsterHomeNotSetError, DagsterInvariantViolationError

    from dagster_dlt_demo.definitions import defs, gharchive_job
    from dagster_dlt_demo.defs.shop_database import shop_job
    from dagster_dlt_demo.gharchive_assets import daily_partitions
    from dagster_dlt_demo.settings import SETTINGS
    from dlt_sources.gharchive import SAMPLE_DIR

    keys = daily_partitions.get_partition_keys()
    first, last = keys[0], keys[-1]
    where = (
        "the bundled GH Archive sample"
        if SETTINGS.gharchive_url == SAMPLE_DIR
        else SETTINGS.gharchive_url
    )
    try:
        instance = DagsterInstance.get()
    except (DagsterHomeNotSetError, DagsterInvariantViolationError) as error:
        print(f"Cannot open the Dagster instance: {error}", file=sys.stderr)
        return 2
    print(f"Loading {where}, {first} to {last}, into {SETTINGS.duckdb_path} ...", flush=True)
    with instance:
        result = defs.resolve_job_def(gharchive_job.name).execute_in_process(
            instance=instance,
            tags={_RANGE_START: first, _RANGE_END: last},
            run_config=_QUIET,
            raise_on_error=False,
        )
        if result.success:
            # The components load (defs/shop/defs.yaml): the shop's SQLite file into DuckDB.
            result = defs.resolve_job_def(shop_job.name).execute_in_process(
                instance=instance, run_config=_QUIET, raise_on_error=False
            )
    if not result.success:
        for event in result.all_events:
            if event.is_step_failure and event.step_failure_data.error:
                print(
                    f"Step {event.step_key} failed: {_root_cause(event.step_failure_data.error)}",
                    file=sys.stderr,
                )
        print(f"The demo run failed (recorded in the Dagster home {home}).", file=sys.stderr)
        return 1
    print(summary(), end="")
    print(f"\nThe runs are recorded in the Dagster home {home}. See them, the lineage and the")
    print("GitHub assets in the UI (from this directory):")
    print(f"  {ui_command(home)}")
    return 0


def ui_command(home: Path) -> str:
    """The ``dagster dev`` command line that shows this Dagster home, ready to paste."""
    dagster = Path(sys.executable).with_name("dagster")
    if dagster.exists():
        relative = os.path.relpath(dagster)
        program = relative if not relative.startswith("..") else str(dagster)
    else:
        program = "dagster"
    return f"DAGSTER_HOME={shlex.quote(str(home))} {shlex.quote(program)} dev -w workspace.yaml"


def _root_cause(error: Any) -> str:
    """The innermost error of a chain, the one that says what went wrong, with its class."""
    while error.cause is not None:
        error = error.cause
    return error.message.strip()


def summary() -> str:
    """The tables of the demo's datasets and their row counts, one line each."""
    import duckdb

    from dagster_dlt_demo.defs.shop.loads import shop_pipeline
    from dagster_dlt_demo.gharchive_assets import gharchive_pipeline
    from dagster_dlt_demo.reports import REPORTS_SCHEMA
    from dagster_dlt_demo.settings import SETTINGS

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
