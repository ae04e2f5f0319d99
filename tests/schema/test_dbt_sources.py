"""A dbt ``sources.yml`` from a pipeline's dlt schema: the YAML a dbt project reads.

A real pipeline loads nested data into DuckDB; the test reads back the written file as dbt
would (``version: 2``, one source, its tables and columns) and runs each ``loaded_at_field``
against the loaded tables, as ``dbt source freshness`` does.
"""

import time
from pathlib import Path

import dlt
import duckdb
import pytest
import yaml

from dagster_dlt import dbt_sources, write_dbt_sources


@dlt.source
def shop():
    @dlt.resource(primary_key="id", write_disposition="merge")
    def orders():
        """Orders and their lines."""
        yield [
            {"id": 1, "customer": "ada", "items": [{"sku": "a", "qty": 2}, {"sku": "b", "qty": 1}]},
            {"id": 2, "customer": "grace", "items": [{"sku": "c", "qty": 5}]},
        ]

    @dlt.resource
    def customers():
        yield [{"name": "ada"}, {"name": "grace"}]

    return orders, customers


@pytest.fixture
def loaded(make_pipeline) -> dlt.Pipeline:
    pipeline = make_pipeline("dbt_shop", dataset="shop_raw")
    pipeline.run(shop())
    return pipeline


def test_the_file_declares_every_table_nested_tables_and_their_columns(
    loaded: dlt.Pipeline, tmp_path: Path
):
    path = write_dbt_sources(loaded, tmp_path / "models" / "sources.yml")

    document = yaml.safe_load(path.read_text())
    assert document["version"] == 2
    (source,) = document["sources"]
    assert source["name"] == "shop_raw" and source["schema"] == "shop_raw"
    tables = {table["name"]: table for table in source["tables"]}
    assert set(tables) == {"orders", "orders__items", "customers"}

    orders = tables["orders"]
    columns = {column["name"]: column for column in orders["columns"]}
    assert {"id", "customer", "_dlt_load_id", "_dlt_id"} <= set(columns)
    assert columns["id"]["meta"] == {
        "dlt_data_type": "bigint",
        "dlt_primary_key": True,
        "dlt_nullable": False,
    }
    assert orders["meta"]["dlt_write_disposition"] == "merge"
    assert orders["loaded_at_field"] == "to_timestamp(cast(_dlt_load_id as double))"

    items = tables["orders__items"]
    assert {"sku", "qty", "_dlt_parent_id"} <= {column["name"] for column in items["columns"]}
    assert items["meta"]["dlt_parent"] == "orders"
    assert "_dlt_parent_id" in items["description"]
    assert "loaded_at_field" not in items  # no _dlt_load_id of its own
    assert not any(name.startswith("_dlt_") for name in tables)  # dlt's own tables stay out


def test_each_loaded_at_field_is_a_timestamp_of_the_load(loaded: dlt.Pipeline, duckdb_path: Path):
    source = dbt_sources(loaded)["sources"][0]

    with duckdb.connect(str(duckdb_path), read_only=True) as db:
        for table in source["tables"]:
            if "loaded_at_field" not in table:
                continue
            (loaded_at,) = db.sql(
                f"SELECT max({table['loaded_at_field']}) FROM shop_raw.{table['name']}"
            ).fetchone()
            assert abs(loaded_at.timestamp() - time.time()) < 600, table["name"]


def test_an_exported_schema_file_a_name_and_freshness(make_pipeline, tmp_path: Path):
    export = tmp_path / "schemas"
    pipeline = make_pipeline("dbt_export", dataset="shop_raw", export_schema_path=str(export))
    pipeline.run(shop())
    (schema_file,) = export.glob("*.schema.yaml")
    freshness = {"warn_after": {"count": 1, "period": "day"}}

    document = dbt_sources(
        make_pipeline("dbt_never_ran", dataset="shop_raw"),
        dlt_schema=schema_file,
        source_name="shop",
        freshness=freshness,
    )

    (source,) = document["sources"]
    assert source["name"] == "shop" and source["schema"] == "shop_raw"
    assert source["freshness"] == freshness
    assert {table["name"] for table in source["tables"]} == {
        "orders",
        "orders__items",
        "customers",
    }


def test_a_pipeline_that_never_ran_says_what_to_pass(make_pipeline):
    with pytest.raises(ValueError, match=r"run it once, or pass dlt_schema="):
        dbt_sources(make_pipeline("dbt_nothing", dataset="shop_raw"))
