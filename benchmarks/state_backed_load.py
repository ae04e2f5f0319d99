"""Definitions load of a ``sql_database`` source of N tables: reflected, deferred, schema-backed.

A local SQLite file of N tables (eight columns each) loaded by ``DltLoadCollectionComponent``,
three ways:

- ``reflect``: ``sql_database(url)`` called in ``loads.py``, today's default: every definitions
  load reflects the whole database (dagster-io/dagster#26627);
- ``deferred``: ``sql_database(url, table_names=[...], defer_table_reflect=True)``: no query, but
  nothing is known about the columns until a run;
- ``schema_backed``: ``source:`` names the uncalled ``sql_database`` and ``defs_state`` is set;
  ``dg utils refresh-defs-state`` (here: the component's ``refresh_state``, not timed) reflected
  once, and definitions load reads the stored dlt schema: every column, no query.

Each figure is the median of five loads of the defs folder (import of ``loads.py``, the
component's build, and Dagster's repository build), in a fresh process per way, after a warm-up
load. The database queries are counted with SQLAlchemy's engine events during one load.

Usage: python -m benchmarks.state_backed_load [--tables 300]
"""

import argparse
import json
import subprocess
import sys

CHILD = r"""
import asyncio, gc, json, sqlite3, statistics, sys, tempfile, time, warnings
from pathlib import Path
import yaml
from sqlalchemy import event
from sqlalchemy.engine import Engine
from dagster import AssetsDefinition
from dagster_dlt import DltLoadCollectionComponent
from tests.support.components_sandbox import sandbox_with

warnings.simplefilter("ignore")
way, n = sys.argv[1], int(sys.argv[2])
tmp = Path(tempfile.mkdtemp())
db = tmp / "wide.db"
with sqlite3.connect(db) as conn:
    for i in range(n):
        conn.execute(
            f"CREATE TABLE t{i:04d} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, amount "
            "NUMERIC(10, 2), created_at TIMESTAMP, flag BOOLEAN, note TEXT, ref INTEGER, "
            "code VARCHAR(16))"
        )
url = f"sqlite:///{db}"
tables = [f"t{i:04d}" for i in range(n)]
pipeline = (
    "import dlt\n"
    "from dlt.sources.sql_database import sql_database\n"
    f"pipeline = dlt.pipeline(pipeline_name='wide_{way}', pipelines_dir=r'{tmp}/p', "
    f"destination=dlt.destinations.duckdb(r'{tmp}/w.duckdb'), dataset_name='wide')\n"
)
load = {"source": ".loads.wide_source", "pipeline": ".loads.pipeline"}
attributes = {"loads": [load]}
if way == "reflect":
    pipeline += f"wide_source = sql_database({url!r})\n"
elif way == "deferred":
    pipeline += f"wide_source = sql_database({url!r}, table_names={tables!r}, defer_table_reflect=True)\n"
else:
    load["source"] = ".loads.sql_database"
    attributes["defs_state"] = {"management_type": "LOCAL_FILESYSTEM"}
    import os
    os.environ["SOURCES__SQL_DATABASE__CREDENTIALS"] = url
defs_text = yaml.safe_dump({"type": "dagster_dlt.DltLoadCollectionComponent", "attributes": attributes})

def one_load(sandbox, statements=None):
    gc.collect()
    start = time.perf_counter()
    with sandbox.build_all_defs() as defs:
        defs.get_repository_def()
        elapsed = time.perf_counter() - start
        (assets_def,) = [a for a in defs.assets if isinstance(a, AssetsDefinition)]
        columns = sum(
            len(spec.metadata["dagster/column_schema"].schema.columns)
            for spec in assets_def.specs if "dagster/column_schema" in spec.metadata
        )
    return elapsed, len(assets_def.keys), columns

with sandbox_with(pipeline, defs_text) as sandbox:
    if way == "schema_backed":
        with sandbox.build_component_tree() as tree:
            for component in tree.get_all_components(of_type=DltLoadCollectionComponent):
                asyncio.run(component.refresh_state(sandbox.project_root))
    one_load(sandbox)  # warm-up: imports and caches of the first load stay out of the figures
    statements = []
    count = lambda conn, cursor, statement, *args: statements.append(statement)
    event.listen(Engine, "before_cursor_execute", count)
    _, assets, columns = one_load(sandbox)
    event.remove(Engine, "before_cursor_execute", count)
    times = [one_load(sandbox)[0] for _ in range(5)]
print(json.dumps({
    "way": way, "tables": n, "assets": assets, "columns_in_specs": columns,
    "queries_at_load": len(statements), "load_s": round(statistics.median(times), 4),
}))
"""

WAYS = ("reflect", "deferred", "schema_backed")


def measure(way: str, tables: int) -> dict[str, float]:
    """One way's figures, measured in a fresh process."""
    out = subprocess.run(
        [sys.executable, "-c", CHILD, way, str(tables)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure_all(tables: int) -> dict[str, dict[str, float]]:
    """Every way's figures, and schema-backed's time over deferred's."""
    results = {way: measure(way, tables) for way in WAYS}
    results["schema_backed"]["vs_deferred"] = round(
        results["schema_backed"]["load_s"] / results["deferred"]["load_s"], 3
    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tables", type=int, default=300)
    args = parser.parse_args()
    for result in measure_all(args.tables).values():
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
