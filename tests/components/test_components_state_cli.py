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
from dagster import Definitions
from cli_project.definitions import defs

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


@pytest.mark.slow
def test_refresh_then_list_without_the_database_then_launch(
    project: Path,  # noqa: F811
    tmp_path: Path,
    shop_db: Path,
):
    folder = project / "cli_project" / "defs" / "shop"
    folder.mkdir()
    warehouse = project / "warehouse.duckdb"
    (folder / "loads.py").write_text(
        dedent(
            f"""
            import dlt
            from dlt.sources.sql_database import sql_database

            shop_pipeline = dlt.pipeline(
                pipeline_name="cli_state_shop",
                destination=dlt.destinations.duckdb(r"{warehouse}"),
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
                    "defs_state": {"management_type": "LOCAL_FILESYSTEM", "refresh_if_dev": False},
                    "loads": [
                        {"source": ".loads.sql_database", "pipeline": ".loads.shop_pipeline"}
                    ],
                },
            }
        )
    )
    env = dg_env(tmp_path, SOURCES__SQL_DATABASE__CREDENTIALS=f"sqlite:///{shop_db}")
    # `dg utils refresh-defs-state` imports the project in its own process.
    env["PYTHONPATH"] = f"{project}:{env['PYTHONPATH']}"

    before = dg(project, env, "list", "defs", "--json", check=False)
    assert "dg utils refresh-defs-state" in before.stdout + before.stderr

    dg(project, env, "utils", "refresh-defs-state")
    hidden = shop_db.rename(tmp_path / "elsewhere.db")

    listed = json.loads(dg(project, env, "list", "defs", "--json").stdout)
    keys = {asset["asset_key"] for asset in listed["assets"] if asset["is_executable"]}
    assert keys == {f"shop/{table}" for table in TABLES}
    printed = subprocess.run(
        [sys.executable, "-c", PRINT_COLUMNS],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert printed.returncode == 0, printed.stderr
    columns = json.loads(printed.stdout.strip().splitlines()[-1])
    assert columns == {
        "shop/customers": ["id", "name"],
        "shop/orders": ["id", "customer_id"],
        "shop/products": ["sku", "price"],
    }

    hidden.rename(shop_db)
    dg(project, env, "launch", "--assets", ",".join(f"shop/{table}" for table in sorted(TABLES)))
    assert count_rows(warehouse, "shop", "customers") == 2
    assert count_rows(warehouse, "shop", "orders") == 3
