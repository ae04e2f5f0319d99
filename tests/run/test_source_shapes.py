"""Every dlt source shape of the corpus (tests/support/source_shapes.py) on every run path.

The paths: in-process ``materialize``; the ``dagster asset materialize`` CLI; a daily partition;
a process killed after extract and once a load job of its first table committed but before
dlt recorded it, then run again; the YAML component.
Each asserts the rows in the DuckDB file: every shape loads exactly what it yields, once.

A mechanism that touches every run (isolation, recovery, publishing, redaction, checks, data
versions) must pass this whole module before it lands (CONTRIBUTING.md).
"""

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dagster import (
    AssetExecutionContext,
    DagsterInstance,
    DailyPartitionsDefinition,
    materialize,
)

from dagster_dlt import DagsterDltResource, DltLoadCollectionComponent, dlt_assets
from tests.support.components_sandbox import (
    component_defs,
    defs_yaml,
    dlt_assets_defs,
    load,
    sandbox_with,
)
from tests.support.dlt_fixtures import step_failure_text, table_exists
from tests.support.kill_points import StopAt
from tests.support.parallel_cli import REPO, dagster_cli, forkserver_run_config, process_env
from tests.support.source_shapes import API_TOKEN, PARTITION, SHAPES, Shape, shape_pipeline

pytestmark = pytest.mark.corpus

SHAPE_NAMES = list(SHAPES)
DAILY = DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-06")
TOKEN_ENV = "SOURCES__SOURCE_SHAPES__TICKETING__API_TOKEN"


# --- The outside data: a SQLite database, files, an HTTP API ------------------------------------


def _sqlite_database(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute(
            "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, total REAL)"
        )
        conn.executemany("INSERT INTO customers VALUES (?, ?)", [(1, "ada"), (2, "bo"), (3, "cy")])
        conn.executemany(
            "INSERT INTO orders VALUES (?, ?, ?)", [(i, i % 3 + 1, i * 1.5) for i in range(5)]
        )
    return f"sqlite:///{path}"


def _files(folder: Path) -> str:
    folder.mkdir()
    (folder / "visits_1.csv").write_text("id,page\n1,home\n2,pricing\n")
    (folder / "visits_2.csv").write_text("id,page\n3,docs\n4,blog\n")
    (folder / "signups.jsonl").write_text(
        "\n".join(json.dumps({"id": i, "plan": "free"}) for i in range(3)) + "\n"
    )
    pq.write_table(
        pa.table({"id": list(range(5)), "amount": [1.0] * 5}), folder / "payments.parquet"
    )
    return str(folder)


def _api(folder: Path) -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 (``python -m http.server``) serving the blog's JSON."""
    folder.mkdir()
    (folder / "posts.json").write_text(json.dumps([{"id": i, "title": f"p{i}"} for i in (1, 2, 3)]))
    for post in (1, 2, 3):
        (folder / "posts" / str(post)).mkdir(parents=True)
        comments = [{"id": post * 10 + c, "post_id": post, "text": "hi"} for c in range(2)]
        (folder / "posts" / str(post) / "comments.json").write_text(json.dumps(comments))
    server = subprocess.Popen(
        [sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "-d", str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = server.stdout.readline()  # "Serving HTTP on 127.0.0.1 port 41234 (...)"
        port = int(line.split(" port ")[1].split()[0])
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.kill()
        server.wait()


@pytest.fixture(scope="module")
def corpus_data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The environment the shapes read: in this process and in the CLI processes it starts."""
    root = tmp_path_factory.mktemp("corpus_data")
    api = _api(root / "api")
    env = {
        "SHAPES_SQL_URL": _sqlite_database(root / "shop.sqlite"),
        "SHAPES_FILES": _files(root / "files"),
        "SHAPES_API_URL": next(api),
        TOKEN_ENV: API_TOKEN,
    }
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        yield env
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        api.close()


def loaded_rows(duckdb_path: Path, expected: dict[str, int]) -> dict[str, Any]:
    """Rows per table in the ``corpus`` dataset, for the tables of ``expected``."""
    import duckdb

    if not Path(duckdb_path).exists():
        return {}
    with duckdb.connect(str(duckdb_path), read_only=True) as conn:
        return {
            table: conn.execute(f'SELECT COUNT(*) FROM corpus."{table}"').fetchone()[0]
            if table_exists(duckdb_path, "corpus", table)
            else "missing"
            for table in expected
        }


def assets_of(shape: Shape, pipeline: Any, *, partitioned: bool = False) -> Any:
    """``@dlt_assets`` for ``shape``, written as the published package's docs write them."""

    @dlt_assets(
        dlt_source=shape.build(),
        dlt_pipeline=pipeline,
        name="corpus_assets",
        partitions_def=DAILY if partitioned else None,
    )
    def corpus_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
        if partitioned and shape.build_for_partition is not None:
            window = context.partition_time_window
            source = shape.build_for_partition(
                window.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                window.end.strftime("%Y-%m-%dT%H:%M:%SZ"),
            )
            yield from dlt.run(context=context, dlt_source=source)
        else:
            yield from dlt.run(context=context)

    return corpus_assets


def leftover_runs(pipelines_dir: Path, shape: Shape) -> list[str]:
    """Run directories a finished run left behind (a dead or unfinished run keeps one)."""
    runs = pipelines_dir / ".dagster-dlt" / f"shape_{shape.name}" / "runs"
    return sorted(path.name for path in runs.glob("*") if path.is_dir()) if runs.exists() else []


def files_with_the_token(folder: Path) -> list[str]:
    """Files under ``folder`` holding the ticketing API's token: none may, whatever we write."""
    found = []
    for path in folder.rglob("*"):
        if path.is_file() and API_TOKEN.encode() in path.read_bytes():
            found.append(str(path.relative_to(folder)))
    return found


# --- In-process materialize ---------------------------------------------------------------------


@pytest.mark.parametrize("name", SHAPE_NAMES)
def test_materialize_in_process(
    name: str, corpus_data: dict, duckdb_path: Path, isolated_dlt: Path
):
    shape = SHAPES[name]
    result = materialize(
        [assets_of(shape, shape_pipeline(shape, duckdb_path))],
        resources={"dlt": DagsterDltResource()},
    )
    assert result.success, step_failure_text(result)
    assert loaded_rows(duckdb_path, shape.rows) == shape.rows
    materialized = result.get_asset_materialization_events()
    assert materialized, "no asset materialized"
    for event in materialized:
        # What code written for the published package reads from every materialization.
        metadata = event.materialization.metadata
        assert {"jobs", "first_run", "started_at", "finished_at"} <= set(metadata), name
    assert files_with_the_token(isolated_dlt) == []


# --- A daily partition --------------------------------------------------------------------------


@pytest.mark.parametrize("name", SHAPE_NAMES)
def test_materialize_one_daily_partition(name: str, corpus_data: dict, duckdb_path: Path):
    shape = SHAPES[name]
    assets = assets_of(shape, shape_pipeline(shape, duckdb_path), partitioned=True)
    result = materialize([assets], resources={"dlt": DagsterDltResource()}, partition_key=PARTITION)
    assert result.success, step_failure_text(result)
    assert loaded_rows(duckdb_path, shape.partition_rows) == shape.partition_rows


# --- Killed at a point of the run, then run again -----------------------------------------------


def _run_until_killed(shape: Shape, duckdb_path: Path, at: str, marker: Path) -> None:
    """Materialize ``shape`` in a forked process that stops itself at ``at``; SIGKILL it there.

    A fork starts the process with dagster and dlt already imported, so the kill costs no import.
    """
    pid = os.fork()
    if pid == 0:  # the child: run, and never return into pytest
        code = 3
        try:
            pipeline = shape_pipeline(shape, duckdb_path, progress=StopAt(at, str(marker)))
            result = materialize(
                [assets_of(shape, pipeline)], resources={"dlt": DagsterDltResource()}
            )
            code = 0 if result.success else 2
        finally:
            os._exit(code)
    deadline = time.monotonic() + 120
    while not marker.exists():
        finished, status = os.waitpid(pid, os.WNOHANG)
        if finished:
            pytest.fail(f"the run ended (status {status}) before it reached the kill point {at}")
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail(f"the run did not reach the kill point {at} in 120 s")
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


@pytest.mark.slow
# "committed" stops once a load job of the shape's first table committed its rows, before dlt
# recorded that (issue #18: such rows were loaded twice on resume, merge tables through their
# staging dataset).
@pytest.mark.parametrize("at", ["normalize", "committed"])
@pytest.mark.parametrize("name", SHAPE_NAMES)
def test_killed_then_run_again_loads_every_row_once(
    name: str,
    at: str,
    corpus_data: dict,
    duckdb_path: Path,
    tmp_path: Path,
    isolated_dlt: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    shape = SHAPES[name]
    if name == "sql_database_pyarrow":
        # Arrow rows carry no _dlt_load_id unless asked for, and without it the rows of a job
        # killed after its commit cannot be taken back (docs/how-it-works.md#crash-safe-runs).
        monkeypatch.setenv("NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID", "true")
    if at == "committed":
        at = f"committed:{next(iter(shape.rows))}"
    _run_until_killed(shape, duckdb_path, at, tmp_path / "stopped")
    pipeline = shape_pipeline(shape, duckdb_path)
    result = materialize([assets_of(shape, pipeline)], resources={"dlt": DagsterDltResource()})
    assert result.success, step_failure_text(result)
    assert loaded_rows(duckdb_path, shape.rows) == shape.rows
    assert leftover_runs(Path(pipeline.pipelines_dir), shape) == []
    assert files_with_the_token(isolated_dlt) == []


# --- The dagster CLI ----------------------------------------------------------------------------


@pytest.mark.slow
def test_every_shape_through_the_dagster_cli(corpus_data: dict, tmp_path: Path):
    """One ``dagster asset materialize`` of every shape: a code location imported by the CLI and
    by each step's process (forked from one that imported it), as users run it."""
    target = tmp_path / "warehouses"
    target.mkdir()
    env = process_env(tmp_path, SHAPES_TARGET=str(target))
    done = subprocess.run(
        [
            dagster_cli(),
            "asset",
            "materialize",
            "-m",
            "tests.support.source_shape_defs",
            "--select",
            "*",
            "-c",
            str(forkserver_run_config(tmp_path, "tests.support.source_shape_defs")),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-6000:]
    loaded = {
        name: loaded_rows(target / f"{name}.duckdb", shape.rows) for name, shape in SHAPES.items()
    }
    assert loaded == {name: shape.rows for name, shape in SHAPES.items()}
    with DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        (run,) = instance.get_runs()
        assert run.is_success


# --- The YAML component -------------------------------------------------------------------------


@pytest.mark.parametrize("name", SHAPE_NAMES)
def test_component_loads(name: str, corpus_data: dict, duckdb_path: Path):
    shape = SHAPES[name]
    loads_py = (
        "from tests.support.source_shapes import SHAPES, shape_pipeline\n"
        f"shape = SHAPES[{name!r}]\n"
        "source = shape.build()\n"
        f"pipeline = shape_pipeline(shape, r'{duckdb_path}')\n"
    )
    with component_defs(loads_py, defs_yaml(load(".loads.source", ".loads.pipeline"))) as defs:
        result = materialize(dlt_assets_defs(defs))
    assert result.success, step_failure_text(result)
    assert loaded_rows(duckdb_path, shape.rows) == shape.rows


@pytest.mark.parametrize("name", SHAPE_NAMES)
def test_state_backed_component_loads(name: str, corpus_data: dict, duckdb_path: Path):
    # defs_state: `dg utils refresh-defs-state` stores the source's discovered schema first,
    # the definitions are built from it, and the run updates it.
    shape = SHAPES[name]
    loads_py = (
        "from tests.support.source_shapes import SHAPES, shape_pipeline\n"
        f"shape = SHAPES[{name!r}]\n"
        "source = shape.build()\n"
        f"pipeline = shape_pipeline(shape, r'{duckdb_path}')\n"
    )
    defs = defs_yaml(load(".loads.source", ".loads.pipeline")).replace(
        "attributes:\n", "attributes:\n  defs_state: {management_type: LOCAL_FILESYSTEM}\n", 1
    )
    with sandbox_with(loads_py, defs) as sandbox:
        with sandbox.build_component_tree() as tree:
            for component in tree.get_all_components(of_type=DltLoadCollectionComponent):
                asyncio.run(component.refresh_state(sandbox.project_root))
        with sandbox.build_all_defs() as built:
            result = materialize(dlt_assets_defs(built))
    assert result.success, step_failure_text(result)
    assert loaded_rows(duckdb_path, shape.rows) == shape.rows
