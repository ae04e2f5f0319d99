"""The component's definitions state: refresh once, then load with no database and no secrets.

A real SQLite file with several tables, dlt's own ``sql_database`` named uncalled in
``defs.yaml`` with ``defs_state``, and a DuckDB destination. The refresh reflects the database;
definitions load reads the stored dlt schema and sends the database no query (counted with
SQLAlchemy's engine events); a run calls the real source.
"""

import asyncio
import sqlite3
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from textwrap import dedent

import pytest
from dagster import AssetKey, TableSchema, materialize
from sqlalchemy import event
from sqlalchemy.engine import Engine

from dagster_dlt import DltLoadCollectionComponent
from dagster_dlt.components.dlt_load_collection.state_after_run import DEFINITIONS_STATE
from tests.support.components_sandbox import (
    component_defs,
    defs_yaml,
    dlt_assets_defs,
    load,
    only_assets_def,
    sandbox_with,
    shop_loads,
)
from tests.support.dlt_fixtures import count_rows

LOCAL = {"management_type": "LOCAL_FILESYSTEM"}


@pytest.fixture
def shop_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A shop database of three tables; its URL where dlt reads sql_database's credentials."""
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        db.execute(
            "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, total NUMERIC(10, 2))"
        )
        db.execute("CREATE TABLE products (sku TEXT PRIMARY KEY, price NUMERIC(10, 2))")
        db.executemany("INSERT INTO customers VALUES (?, ?)", [(1, "ada"), (2, "grace")])
        db.executemany("INSERT INTO orders VALUES (?, ?, ?)", [(10, 1, 2.5), (11, 2, 4.0)])
        db.executemany("INSERT INTO products VALUES (?, ?)", [("a", 1.25)])
    monkeypatch.setenv("SOURCES__SQL_DATABASE__CREDENTIALS", f"sqlite:///{path}")
    return path


def sql_loads(duckdb_path: Path) -> str:
    return dedent(
        f"""
        import dlt
        from dlt.sources.sql_database import sql_database

        shop_pipeline = dlt.pipeline(
            pipeline_name="state_shop",
            destination=dlt.destinations.duckdb(r"{duckdb_path}"),
            dataset_name="shop",
        )
        """
    )


@contextmanager
def counted_queries() -> Iterator[list[str]]:
    """Every statement any SQLAlchemy engine sends, reflection's PRAGMAs included."""
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", count)


def refresh(sandbox) -> None:
    """What `dg utils refresh-defs-state` does for each state-backed component."""
    with sandbox.build_component_tree() as tree:
        components = tree.get_all_components(of_type=DltLoadCollectionComponent)
        for component in components:
            asyncio.run(component.refresh_state(sandbox.project_root))


SQL_LOAD = defs_yaml(load(source=".loads.sql_database"))


def state_backed(text: str, **defs_state) -> str:
    return text.replace("attributes:\n", f"attributes:\n  defs_state: {defs_state or LOCAL}\n", 1)


def test_definitions_load_sends_the_database_no_query(shop_db: Path, duckdb_path: Path):
    with sandbox_with(sql_loads(duckdb_path), state_backed(SQL_LOAD)) as sandbox:
        refresh(sandbox)
        with counted_queries() as statements, sandbox.build_all_defs() as defs:
            assets_def = only_assets_def(defs)

        assert statements == []
        assert set(assets_def.keys) == {
            AssetKey(["shop", "customers"]),
            AssetKey(["shop", "orders"]),
            AssetKey(["shop", "products"]),
        }
        schema = (
            assets_def.specs_by_key[AssetKey(["shop", "orders"])]
            .metadata["dagster/column_schema"]
            .schema
        )
        assert isinstance(schema, TableSchema)
        types = {column.name: column.type for column in schema.columns}
        assert types == {"id": "bigint", "customer_id": "bigint", "total": "decimal"}


def test_a_refreshed_load_loads_without_the_database_at_definitions_load(
    shop_db: Path, duckdb_path: Path, tmp_path: Path
):
    with sandbox_with(sql_loads(duckdb_path), state_backed(SQL_LOAD)) as sandbox:
        refresh(sandbox)
        hidden = shop_db.rename(tmp_path / "elsewhere.db")
        with sandbox.build_all_defs() as defs:
            assets_def = only_assets_def(defs)
            hidden.rename(shop_db)  # back before the run, which calls the real source
            result = materialize([assets_def])

    assert result.success
    assert count_rows(duckdb_path, "shop", "customers") == 2
    assert count_rows(duckdb_path, "shop", "orders") == 2


def test_the_state_keeps_what_earlier_runs_stored(duckdb_path: Path):
    # The shop fixture declares no columns: the refresh finds them in the pipeline's schema.
    loads_py = shop_loads(duckdb_path, dataset="raw")
    with sandbox_with(loads_py, state_backed(defs_yaml(load()))) as sandbox:
        with sandbox.build_all_defs() as defs, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert materialize(dlt_assets_defs(defs)).success
        refresh(sandbox)
        with sandbox.build_all_defs() as defs:
            specs = only_assets_def(defs).specs_by_key

    columns = specs[AssetKey(["raw", "orders"])].metadata["dagster/column_schema"].schema.columns
    assert {"id", "customer_id", "_dlt_load_id"} <= {column.name for column in columns}


def test_without_state_the_definitions_load_as_today_and_say_which_command_to_run(
    duckdb_path: Path,
):
    loads_py, defs = shop_loads(duckdb_path), state_backed(defs_yaml(load()))
    with pytest.warns(UserWarning) as warned, component_defs(loads_py, defs) as built:
        keys = set(only_assets_def(built).keys)

    (message,) = [str(w.message) for w in warned if "refresh-defs-state" in str(w.message)]
    assert "Run `dg utils refresh-defs-state`" in message
    assert "DltLoadCollectionComponent[shop_raw]" in message
    assert keys == {AssetKey(["raw", name]) for name in ("customers", "orders", "events")}


def test_without_defs_state_nothing_is_state_backed(duckdb_path: Path):
    with sandbox_with(shop_loads(duckdb_path), defs_yaml(load())) as sandbox:
        with sandbox.build_component_tree() as tree:
            (component,) = tree.get_all_components(of_type=DltLoadCollectionComponent)
            # `dg utils refresh-defs-state` refreshes LOCAL_FILESYSTEM and
            # VERSIONED_STATE_STORAGE components only.
            assert component.defs_state_config.management_type.value == (
                "LEGACY_CODE_SERVER_SNAPSHOTS"
            )
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)
            with sandbox.build_all_defs() as defs:
                assert len(only_assets_def(defs).keys) == 3


FUNCTION_LOADS = """
import dlt
from tests.support.dlt_fixtures import shop

shop_pipeline = dlt.pipeline(
    pipeline_name="state_function",
    destination=dlt.destinations.duckdb(r"{duckdb_path}"),
    dataset_name="raw",
)
"""


def spec_facts(defs) -> dict[str, tuple]:
    return {
        spec.key.to_user_string(): (
            sorted(dep.asset_key.to_user_string() for dep in spec.deps),
            spec.description,
            spec.metadata["dagster/table_name"],
        )
        for spec in only_assets_def(defs).specs
    }


def test_stored_resources_give_the_specs_that_calling_the_function_gives(duckdb_path: Path):
    loads_py = FUNCTION_LOADS.format(duckdb_path=duckdb_path)
    with component_defs(loads_py, defs_yaml(load(source=".loads.shop"))) as called:
        expected = spec_facts(called)
    with sandbox_with(loads_py, state_backed(defs_yaml(load(source=".loads.shop")))) as sandbox:
        refresh(sandbox)
        with sandbox.build_all_defs() as defs:
            assert spec_facts(defs) == expected
            # The transformer's upstream key is its root's, as when the function is called.
            assert expected["raw/orders"][0] == ["shop_customers"]


def test_nested_tables_become_assets_through_the_component(duckdb_path: Path):
    loads_py = FUNCTION_LOADS.format(duckdb_path=duckdb_path)
    defs = state_backed(defs_yaml(load(source=".loads.shop", nested_tables="assets")))
    with sandbox_with(loads_py, defs) as sandbox:
        with sandbox.build_all_defs() as built, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert materialize(dlt_assets_defs(built)).success
        refresh(sandbox)  # the pipeline's stored schema now knows orders__items
        with sandbox.build_all_defs() as built:
            assets_def = only_assets_def(built)
            keys = {key.to_user_string() for key in assets_def.keys}
            assert "raw/orders__items" in keys, keys
            # A run of the stand-ins' assets calls the real function.
            assert materialize([assets_def]).success

    assert count_rows(duckdb_path, "raw", "orders__items") == 6  # merged: one item an order


def test_an_uncalled_sql_database_without_state_says_to_refresh(shop_db: Path, duckdb_path: Path):
    with pytest.raises(Exception) as raised, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with component_defs(sql_loads(duckdb_path), state_backed(SQL_LOAD)):
            pass
    assert "Or run `dg utils refresh-defs-state`" in str(raised.value.__cause__ or raised.value)


def test_a_run_that_changes_the_schema_updates_the_state_the_next_load_reads(duckdb_path: Path):
    loads_py = FUNCTION_LOADS.format(duckdb_path=duckdb_path)
    with sandbox_with(loads_py, state_backed(defs_yaml(load(source=".loads.shop")))) as sandbox:
        refresh(sandbox)  # before any run: the fixture declares no columns
        with sandbox.build_all_defs() as built:
            assets_def = only_assets_def(built)
            result = materialize([assets_def])
        with sandbox.build_all_defs() as built:
            orders = only_assets_def(built).specs_by_key[AssetKey(["raw", "orders"])]
            columns = orders.metadata["dagster/column_schema"].schema.columns

    notes = {
        event.metadata[DEFINITIONS_STATE].value
        for event in result.asset_materializations_for_node(assets_def.op.name)
    }
    (note,) = notes
    assert "This run added" in note and "orders__items" in note
    assert "is updated" in note and "dg utils refresh-defs-state" in note
    assert {"id", "customer_id", "_dlt_load_id"} <= {column.name for column in columns}
