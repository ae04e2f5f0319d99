"""docs/splitting.md: its snippet, imported and run as the page says, twice with a new order in
between (the second run loads only the new order), and its job on the multiprocess executor."""

import runpy
import sqlite3
import subprocess
from pathlib import Path

import duckdb
from dagster import materialize

from tests.support.parallel_cli import dagster_cli, process_env
from tests.support.snippets import SNIPPETS, load_snippet


def orders(database: Path) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as conn:
        return conn.execute(
            "SELECT id, COUNT(*) FROM shop.orders GROUP BY id ORDER BY id"
        ).fetchall()


def test_the_split_snippet_runs_one_step_per_table(tmp_path: Path):
    snippet = load_snippet("split_steps")
    assert [step.op.name for step in snippet.shop_steps] == [
        "dlt_sql_database_customers",
        "dlt_sql_database_orders",
    ]
    runpy.run_path(str(SNIPPETS / "shop_db.py"))
    resources = dict(snippet.defs.resources)

    assert materialize(snippet.shop_steps, resources=resources).success
    with sqlite3.connect(tmp_path / "shop.db") as shop:
        shop.execute("INSERT INTO orders VALUES (13, 2, 1.0)")
    assert materialize(load_snippet("split_steps").shop_steps, resources=resources).success

    assert orders(tmp_path / "shop_split.duckdb") == [(10, 1), (11, 1), (12, 1), (13, 1)]


def test_the_split_snippets_job_runs_its_steps_in_processes_of_their_own(tmp_path: Path):
    runpy.run_path(str(SNIPPETS / "shop_db.py"))
    result = subprocess.run(
        [dagster_cli(), "job", "execute", "-f", str(SNIPPETS / "split_steps.py"), "-j", "shop_job"],
        cwd=tmp_path,
        env=process_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "multiprocess" in output.lower()
    assert orders(tmp_path / "shop_split.duckdb") == [(10, 1), (11, 1), (12, 1)]

    # dlt's CLI still shows the one pipeline of both steps, with each step's load package.
    info = subprocess.run(
        [str(Path(dagster_cli()).with_name("dlt")), "pipeline", "shop_split", "info"],
        cwd=tmp_path,
        env=process_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert info.returncode == 0, info.stdout + info.stderr
    assert "Has 2 completed load packages" in info.stdout
    assert "dataset_name: shop" in info.stdout
