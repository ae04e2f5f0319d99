"""Two projects on one machine that use the same pipeline name each load into their own files.

dlt keeps a pipeline's first working directory in the machine-wide pipelines directory, keyed by
pipeline name, and resolves relative destination paths against it: a second project's
``my_load`` loaded into the first project's DuckDB file, silently. Each project here is its own
folder with the same generic definitions (as a scaffold or a tutorial gives them), run by the
``dagster`` CLI from that folder, with one shared dlt data directory as on a real machine.
"""

import os
import subprocess
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.support.parallel_cli import dagster_cli, process_env

pytestmark = pytest.mark.slow

DEFINITIONS = """
import dlt
from dagster import AssetExecutionContext, Definitions
from dagster_dlt import DagsterDltResource, dlt_assets


@dlt.source
def sql_database():
    @dlt.resource
    def orders():
        yield [{"id": 1, "project": "PROJECT"}, {"id": 2, "project": "PROJECT"}]

    return orders


@dlt_assets(
    dlt_source=sql_database(),
    dlt_pipeline=dlt.pipeline("my_load", destination=DESTINATION, dataset_name="shop"),
)
def my_load_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
    yield from dlt.run(context=context)


defs = Definitions(assets=[my_load_assets], resources={"dlt": DagsterDltResource()})
"""

DESTINATIONS = {
    # dlt's default: <pipeline name>.duckdb in the working directory.
    "duckdb by name": ('"duckdb"', "my_load.duckdb"),
    "duckdb at a relative path": (
        'dlt.destinations.duckdb("warehouse.duckdb")',
        "warehouse.duckdb",
    ),
    "filesystem in a relative folder": ('dlt.destinations.filesystem("lake")', "lake"),
}


def run_project(project: Path, data_dir: Path) -> str:
    env = process_env(project, PWD=str(project))
    env["DLT_DATA_DIR"] = str(data_dir)  # one machine-wide pipelines directory for both
    result = subprocess.run(
        [dagster_cli(), "asset", "materialize", "-f", "definitions.py", "--select", "*"],
        cwd=project, env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    return output


def rows(project: Path, location: str) -> list[tuple[Any, ...]]:
    target = project / location
    if not target.exists():
        return []
    if target.is_dir():
        files = sorted(str(path) for path in (target / "shop" / "orders").glob("*"))
        if not files:
            return []
        query = f"SELECT id, project FROM read_json_auto({files!r}) ORDER BY id"
        return duckdb.sql(query).fetchall()
    with duckdb.connect(str(target), read_only=True) as connection:
        return connection.sql("SELECT id, project FROM shop.orders ORDER BY id").fetchall()


@pytest.mark.parametrize("destination", DESTINATIONS)
def test_each_project_loads_into_its_own_files(tmp_path: Path, destination: str):
    expression, location = DESTINATIONS[destination]
    data_dir = tmp_path / "dlt"
    projects = [tmp_path / "first_project", tmp_path / "second_project"]
    for project in projects:
        project.mkdir()
        code = DEFINITIONS.replace("DESTINATION", expression).replace("PROJECT", project.name)
        (project / "definitions.py").write_text(code)

    first = run_project(projects[0], data_dir)
    second = run_project(projects[1], data_dir)

    for project in projects:
        assert rows(project, location) == [(1, project.name), (2, project.name)], project
    if location.endswith(".duckdb"):
        # The event log names the file each run loaded into.
        for project, output in zip(projects, (first, second), strict=True):
            assert f"loads into DuckDB file {project / location}." in output
    # The second run says that dlt remembered the first project's folder, and where it loads.
    assert f"remembered {projects[0]}" in second
    assert f"working directory {projects[1]} instead" in second
    assert "remembered" not in first
    assert not any(name.startswith("***") for name in os.listdir(projects[1]))
