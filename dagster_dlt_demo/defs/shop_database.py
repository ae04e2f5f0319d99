"""The shop database the YAML load reads: a small SQLite file written by an asset, and a job."""

import sqlite3

from dagster import AssetSelection, AssetSpec, MaterializeResult, define_asset_job, multi_asset

from dagster_dlt_demo.defs.shop.loads import SHOP_DATABASE_PATH

__all__ = ["CUSTOMERS", "ORDERS", "shop_database_tables", "shop_job"]

CUSTOMERS = [(1, "Ada", "London"), (2, "Grace", "New York"), (3, "Linus", "Helsinki")]
ORDERS = [
    (100, 1, "2024-01-01", 2500),
    (101, 1, "2024-01-02", 1250),
    (102, 2, "2024-01-02", 4000),
    (103, 3, "2024-01-03", 725),
    (104, 3, "2024-01-04", 1999),
]


@multi_asset(
    # The keys the dlt assets depend on by default: <source name>_<resource name>.
    specs=[
        AssetSpec("sql_database_customers", group_name="shop", description="Shop customers."),
        AssetSpec("sql_database_orders", group_name="shop", description="Shop orders."),
    ],
    name="shop_database_tables",
)
def shop_database_tables():
    """Write the shop's SQLite file from scratch."""
    SHOP_DATABASE_PATH.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(SHOP_DATABASE_PATH) as db:
        db.executescript(
            "DROP TABLE IF EXISTS orders; DROP TABLE IF EXISTS customers;"
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, city TEXT);"
            "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER"
            " REFERENCES customers(id), day TEXT, amount_cents INTEGER);"
        )
        db.executemany("INSERT INTO customers VALUES (?, ?, ?)", CUSTOMERS)
        db.executemany("INSERT INTO orders VALUES (?, ?, ?, ?)", ORDERS)
    yield MaterializeResult(asset_key="sql_database_customers", metadata={"rows": len(CUSTOMERS)})
    yield MaterializeResult(asset_key="sql_database_orders", metadata={"rows": len(ORDERS)})


shop_job = define_asset_job(
    "shop_job",
    selection=AssetSelection.groups("shop"),
    description="Write the shop's SQLite file, then load it into DuckDB with the YAML component.",
)
