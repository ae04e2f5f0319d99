"""``DltCatalog``: a code location's dlt datasets, listed and read from a script."""

import os
import subprocess
import sys
from pathlib import Path

import dlt
import pytest
from dagster import AssetExecutionContext, AssetKey, Definitions, asset, materialize

from dagster_dlt import DagsterDltResource, dlt_assets
from dagster_dlt.data.catalog import DltCatalog, DltCatalogError
from dagster_dlt.data.dataset import DltRelation, DltTableNotFoundError
from tests.support.shop_orders import shop

pytest_plugins = ["tests.support.snowflake_emulator"]

pytestmark = pytest.mark.filterwarnings("ignore:Arrow output on a DB-API result:UserWarning")

REPO = Path(__file__).resolve().parents[2]


def assets_for(pipeline: dlt.Pipeline):
    @dlt_assets(dlt_source=shop(), dlt_pipeline=pipeline, name=f"{pipeline.pipeline_name}_assets")
    def shop_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context)

    return shop_assets


@asset
def not_dlt() -> int:
    return 1


def test_catalog_lists_datasets_locations_and_tables_without_credentials(
    tmp_path: Path, duckdb_path: Path, snowflake_env: dict[str, str]
):
    duck = dlt.pipeline(
        "cat_duck",
        pipelines_dir=str(tmp_path / "p"),
        destination=dlt.destinations.duckdb(str(duckdb_path)),
        dataset_name="shop_raw",
    )
    lake = dlt.pipeline(
        "cat_fs",
        pipelines_dir=str(tmp_path / "p"),
        destination=dlt.destinations.filesystem((tmp_path / "lake").as_uri()),
        dataset_name="shop_files",
    )
    snow = dlt.pipeline("cat_snow", destination="snowflake", dataset_name="shop_snow")
    never = dlt.pipeline(
        "cat_never",
        pipelines_dir=str(tmp_path / "p"),
        destination=dlt.destinations.duckdb(str(duckdb_path)),
        dataset_name="shop_later",
    )
    definitions = [assets_for(p) for p in (duck, lake, snow, never)]
    for assets_def in definitions[:3]:
        assert materialize([assets_def], resources={"dlt": DagsterDltResource()}).success
    defs = Definitions(assets=[*definitions, not_dlt])

    catalog = DltCatalog.from_definitions(defs)
    printed = str(catalog)

    assert list(catalog) == ["shop_raw", "shop_files", "shop_snow", "shop_later"]
    blocks = {block.split("  (")[0]: block for block in printed.split("\n") if block[0:1] != " "}
    assert blocks["shop_raw"] == f"shop_raw  (duckdb: {duckdb_path})"
    assert blocks["shop_files"] == f"shop_files  (filesystem: {(tmp_path / 'lake').as_uri()})"
    host = snowflake_env["DESTINATION__SNOWFLAKE__CREDENTIALS__HOST"]
    database = snowflake_env["DESTINATION__SNOWFLAKE__CREDENTIALS__DATABASE"]
    assert blocks["shop_snow"] == f"shop_snow  (snowflake: {host}/{database})"
    assert "shop_later  (duckdb:" in printed and "  (not loaded yet)" in printed
    for name in ("shop_raw", "shop_files", "shop_snow"):
        section = printed.split(blocks[name])[1].split("\nshop_")[0]
        assert section.splitlines()[1:] == ["  orders", "    orders__items", "  customers"]
    assert snowflake_env["DESTINATION__SNOWFLAKE__CREDENTIALS__PASSWORD"] not in printed
    assert snowflake_env["DESTINATION__SNOWFLAKE__CREDENTIALS__USERNAME"] not in printed


def test_catalog_reads_tables_and_assets_lazily(tmp_path: Path, duckdb_path: Path):
    pipeline = dlt.pipeline(
        "cat_read",
        pipelines_dir=str(tmp_path / "p"),
        destination=dlt.destinations.duckdb(str(duckdb_path)),
        dataset_name="shop_read",
    )
    assets_def = assets_for(pipeline)
    assert materialize([assets_def], resources={"dlt": DagsterDltResource()}).success
    catalog = DltCatalog([assets_def])

    orders = catalog.table("shop_read", "orders")
    customers = catalog.asset("dlt_shop_customers")

    assert isinstance(orders, DltRelation)
    assert sorted(orders.select("id").fetchall()) == [(1,), (2,)]
    assert len(customers.df()) == 3
    assert (
        catalog.dataset("shop_read").query("SELECT COUNT(*) FROM orders__items").fetchscalar() == 3
    )
    assert catalog["shop_read"].assets == {
        AssetKey("dlt_shop_orders"): "orders",
        AssetKey("dlt_shop_customers"): "customers",
    }
    with pytest.raises(DltTableNotFoundError, match="Its tables:"):
        catalog.table("shop_read", "order")
    with pytest.raises(DltCatalogError, match="Datasets: shop_read"):
        catalog["raw"]
    with pytest.raises(DltCatalogError, match="Its dlt assets: dlt_shop_customers"):
        catalog.asset("orders")


def test_building_the_catalog_reads_nothing(tmp_path: Path):
    pipeline = dlt.pipeline(
        "cat_lazy",
        pipelines_dir=str(tmp_path / "p"),
        destination=dlt.destinations.duckdb(str(tmp_path / "absent.duckdb")),
        dataset_name="shop_lazy",
    )

    catalog = DltCatalog([assets_for(pipeline)])

    assert list(catalog) == ["shop_lazy"]
    assert repr(catalog) == "DltCatalog(datasets=['shop_lazy'])"
    assert not (tmp_path / "absent.duckdb").exists()


SCRIPT = """
import dlt
from dagster import AssetExecutionContext, Definitions, materialize
from dagster_dlt import DagsterDltResource, dlt_assets
from dagster_dlt.data.catalog import DltCatalog
from tests.support.shop_orders import shop

pipeline = dlt.pipeline("cat_script", destination=dlt.destinations.duckdb("s.duckdb"),
                        dataset_name="shop_script")

@dlt_assets(dlt_source=shop(), dlt_pipeline=pipeline)
def shop_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
    yield from dlt.run(context=context)

materialize([shop_assets], resources={"dlt": DagsterDltResource()})
catalog = DltCatalog.from_definitions(Definitions(assets=[shop_assets]))
print(catalog)
print(len(catalog.table("shop_script", "orders").df()))
"""


def test_a_script_prints_the_catalog(tmp_path: Path):
    (tmp_path / "script.py").write_text(SCRIPT)

    result = subprocess.run(
        [sys.executable, "script.py"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO), "RUNTIME__DLTHUB_TELEMETRY": "false"},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert lines[-5:] == [
        f"shop_script  (duckdb: {tmp_path / 's.duckdb'})",
        "  orders",
        "    orders__items",
        "  customers",
        "2",
    ]
