"""The shop load of ``defs.yaml``: dlt's core ``sql_database`` source over a SQLite file, into the
demo's DuckDB file.

``shop_database_tables`` (the asset upstream of these, in ``shop_database.py``) writes the SQLite
file; nothing here opens it. ``sql_database`` is told the tables and defers reflecting them, so
loading the definitions connects to nothing.
"""

import dlt
from dlt.sources.sql_database import sql_database

from dagster_dlt_demo.settings import SETTINGS

__all__ = ["SHOP_DATABASE_PATH", "SHOP_TABLES", "shop_database", "shop_pipeline"]

SHOP_DATABASE_PATH = SETTINGS.duckdb_path.with_name(f"{SETTINGS.duckdb_path.stem}_shop.sqlite")
"""The SQLite file the shop load reads: next to the DuckDB file, e.g. ``demo_shop.sqlite``."""

SHOP_TABLES = ("customers", "orders")

shop_database = sql_database(
    credentials=f"sqlite:///{SHOP_DATABASE_PATH}",
    table_names=list(SHOP_TABLES),
    defer_table_reflect=True,
)
for _table in shop_database.resources.values():
    # Each run copies the tables whole, so running the demo again replaces rather than appends.
    _table.apply_hints(write_disposition="replace")

shop_pipeline = dlt.pipeline(
    pipeline_name="shop_demo",
    destination=dlt.destinations.duckdb(str(SETTINGS.duckdb_path)),
    dataset_name="shop",
)
