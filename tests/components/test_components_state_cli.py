"""The state-backed component through the real dg CLI: refresh, list, launch.

``dg utils refresh-defs-state`` reflects a SQLite database once; the database is then moved away,
and ``dg list defs`` lists its tables and the code location's definitions carry their columns,
read from the stored state; the database is back before ``dg launch``, whose run calls the real
``sql_database``.
"""

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from textwrap import dedent

import pytest
import yaml

from tests.components.test_components_cli import dg, dg_env, project  # noqa: F401 (fixture)
from tests.support.dlt_fixtures import count_rows

TABLES = {"customers", "orders", "products"}

# The code location's definitions, loaded as dg loads them, printed as key -> column names.
PRINT_COLUMNS = """
import json
from dagster import DagsterInstance, Definitions
from cli_project.definitions import defs

# The instance in DAGSTER_HOME, entered, is where versioned definitions state is read from.
with DagsterInstance.get():
    loaded = defs() if callable(defs) else defs
    repository = Definitions.merge(loaded).get_repository_def()
print(json.dumps({
    key.to_user_string(): [c.name for c in meta["dagster/column_schema"].schema.columns]
    for key, meta in (
        (spec.key, spec.metadata) for assets in repository.assets_defs_by_key.values()
        for spec in assets.specs
    )
    if "dagster/column_schema" in meta
}))
"""


@pytest.fixture
def shop_db(tmp_path: Path) -> Path:
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        db.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER)")
        db.execute("CREATE TABLE products (sku TEXT PRIMARY KEY, price NUMERIC(10, 2))")
        db.executemany("INSERT INTO customers VALUES (?, ?)", [(1, "ada"), (2, "grace")])
        db.executemany("INSERT INTO orders VALUES (?, ?)", [(10, 1), (11, 1), (12, 2)])
    return path


def state_backed_project(root: Path, tmp_path: Path, shop_db: Path, management_type: str):
    """The shop database's load, uncalled sql_database with defs_state; dg's environment."""
    folder = root / "cli_project" / "defs" / "shop"
    folder.mkdir()
    (folder / "loads.py").write_text(
        dedent(
            f"""
            import dlt
            from dlt.sources.sql_database import sql_database

            shop_pipeline = dlt.pipeline(
                pipeline_name="cli_state_shop",
                destination=dlt.destinations.duckdb(r"{root / "warehouse.duckdb"}"),
                dataset_name="shop",
            )
            """
        )
    )
    (folder / "defs.yaml").write_text(
        yaml.safe_dump(
            {
                "type": "dagster_dlt.DltLoadCollectionComponent",
                "attributes": {
                    # Every dg command refreshes state first unless told not to (refresh_if_dev).
                    "defs_state": {"management_type": management_type, "refresh_if_dev": False},
                    "loads": [
                        {"source": ".loads.sql_database", "pipeline": ".loads.shop_pipeline"}
                    ],
                },
            }
        )
    )
    env = dg_env(tmp_path, SOURCES__SQL_DATABASE__CREDENTIALS=f"sqlite:///{shop_db}")
    # `dg utils refresh-defs-state` imports the project in its own process.
    env["PYTHONPATH"] = f"{root}:{env['PYTHONPATH']}"
    return env


def printed_columns(root: Path, env: dict[str, str]) -> dict[str, list[str]]:
    """Asset key -> column names, from the code location's definitions as dg loads them."""
    printed = subprocess.run(
        [sys.executable, "-c", PRINT_COLUMNS],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert printed.returncode == 0, printed.stderr
    return json.loads(printed.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_refresh_then_list_without_the_database_then_launch(
    project: Path,  # noqa: F811
    tmp_path: Path,
    shop_db: Path,
):
    warehouse = project / "warehouse.duckdb"
    env = state_backed_project(project, tmp_path, shop_db, "LOCAL_FILESYSTEM")

    before = dg(project, env, "list", "defs", "--json", check=False)
    assert "dg utils refresh-defs-state" in before.stdout + before.stderr

    dg(project, env, "utils", "refresh-defs-state")
    hidden = shop_db.rename(tmp_path / "elsewhere.db")

    listed = json.loads(dg(project, env, "list", "defs", "--json").stdout)
    keys = {asset["asset_key"] for asset in listed["assets"] if asset["is_executable"]}
    assert keys == {f"shop/{table}" for table in TABLES}
    columns = printed_columns(project, env)
    assert columns == {
        "shop/customers": ["id", "name"],
        "shop/orders": ["id", "customer_id"],
        "shop/products": ["sku", "price"],
    }

    hidden.rename(shop_db)
    dg(project, env, "launch", "--assets", ",".join(f"shop/{table}" for table in sorted(TABLES)))
    assert count_rows(warehouse, "shop", "customers") == 2
    assert count_rows(warehouse, "shop", "orders") == 3


# The newest materialization's definitions-state note, read from the instance in DAGSTER_HOME.
PRINT_NOTE = """
from dagster import AssetKey, DagsterInstance
event = DagsterInstance.get().get_latest_materialization_event(AssetKey(["shop", "orders"]))
print(event.asset_materialization.metadata["dagster_dlt/definitions_state"].value)
"""


# A run of shop/orders with the instance in DAGSTER_HOME, as a code server's run would have it.
MATERIALIZE_ORDERS = """
from dagster import AssetKey, DagsterInstance, Definitions, materialize
from cli_project.definitions import defs

with DagsterInstance.get() as instance:
    loaded = defs() if callable(defs) else defs
    assets = Definitions.merge(loaded).get_repository_def().assets_defs_by_key
    orders = assets[AssetKey(["shop", "orders"])]
    result = materialize([orders], instance=instance, selection=[AssetKey(["shop", "orders"])])
    assert result.success
"""


@pytest.mark.slow
def test_a_run_that_finds_a_new_column_stores_a_new_version_the_next_load_reads(
    project: Path,  # noqa: F811
    tmp_path: Path,
    shop_db: Path,
):
    env = state_backed_project(project, tmp_path, shop_db, "VERSIONED_STATE_STORAGE")
    dg(project, env, "utils", "refresh-defs-state")
    assert printed_columns(project, env)["shop/orders"] == ["id", "customer_id"]
    with sqlite3.connect(shop_db) as db:
        db.execute("ALTER TABLE orders ADD COLUMN coupon TEXT")

    # Not `dg launch`: it loads the definitions without the instance's defs state storage, so
    # versioned state is not found there (a code server's runs get it).
    ran = subprocess.run(
        [sys.executable, "-c", MATERIALIZE_ORDERS],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr

    note = subprocess.run(
        [sys.executable, "-c", PRINT_NOTE], env=env, capture_output=True, text=True, timeout=120
    )
    assert "This run added orders.coupon" in note.stdout, note.stdout + note.stderr
    assert "stored as version" in note.stdout
    # The loaded table's columns: dlt's own too, as the destination has them.
    assert printed_columns(project, env)["shop/orders"] == [
        "id",
        "customer_id",
        "coupon",
        "_dlt_load_id",
        "_dlt_id",
    ]
