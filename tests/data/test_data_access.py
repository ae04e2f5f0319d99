"""A downstream asset reads a dlt asset's table through ``DltDatasetInputManager``.

Real parts: dlt into a DuckDB file, the filesystem destination into a folder, Snowflake through
the real connector against fakesnow, Dagster through ``materialize`` and the ``dagster`` CLI.
"""

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path
from typing import Any, Optional

import dlt
import pandas as pd
import pytest
from dagster import (
    AssetExecutionContext,
    AssetIn,
    AssetKey,
    AssetsDefinition,
    Definitions,
    asset,
    materialize,
)

from dagster_dlt import DagsterDltError, DagsterDltResource, DestinationLockTimeout, dlt_assets
from dagster_dlt.data.dataset import (
    DltDataset,
    DltDatasetNotLoadedError,
    DltRelation,
    DltTableNotFoundError,
    open_dataset,
)
from dagster_dlt.data.input_manager import (
    INPUT_MISSING_OK_KEY,
    INPUT_TABLE_KEY,
    DltDatasetInputManager,
    DltInputError,
)
from tests.support.shop_orders import shop

pytest_plugins = ["tests.support.snowflake_emulator"]

pytestmark = pytest.mark.filterwarnings("ignore:Arrow output on a DB-API result:UserWarning")

REPO = Path(__file__).resolve().parents[2]
ORDERS = AssetKey("dlt_shop_orders")
CUSTOMERS = AssetKey("dlt_shop_customers")


def shop_assets(pipeline: dlt.Pipeline) -> AssetsDefinition:
    @dlt_assets(dlt_source=shop(), dlt_pipeline=pipeline)
    def shop_to_destination(context: AssetExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context)

    return shop_to_destination


seen: dict[str, Any] = {}


@asset(ins={"orders": AssetIn(key=ORDERS, input_manager_key="dlt_dataset")})
def order_report(orders: dlt.Relation) -> None:
    """Reads the table, a nested table and SQL over the dataset."""
    seen["type"] = type(orders)
    seen["orders"] = orders.select("id", "customer").order_by("id").fetchall()
    seen["frame"] = orders.df()
    seen["items"] = sorted(orders.nested("items").select("sku", "qty").fetchall())
    seen["arrow_rows"] = orders.nested("orders__items").arrow().num_rows
    seen["quantity"] = orders.query("SELECT SUM(qty) AS q FROM orders__items").fetchscalar()


@asset(
    ins={
        "items": AssetIn(
            key=ORDERS, input_manager_key="dlt_dataset", metadata={INPUT_TABLE_KEY: "items"}
        )
    }
)
def item_report(items: dlt.Relation) -> None:
    seen["item_skus"] = sorted(sku for (sku,) in items.select("sku").fetchall())


RESOURCES = {"dlt": DagsterDltResource(), "dlt_dataset": DltDatasetInputManager()}


def load_and_report(pipeline: dlt.Pipeline) -> None:
    assets = shop_assets(pipeline)
    result = materialize([assets, order_report, item_report], resources=RESOURCES)
    assert result.success


def assert_report_read_everything() -> None:
    assert issubclass(seen["type"], dlt.Relation)
    assert [tuple(row) for row in seen["orders"]] == [(1, "ada"), (2, "grace")]
    assert isinstance(seen["frame"], pd.DataFrame) and len(seen["frame"]) == 2
    assert seen["items"] == [("a", 1), ("b", 2), ("c", 5)]
    assert seen["arrow_rows"] == 3
    assert seen["quantity"] == 8
    assert seen["item_skus"] == ["a", "b", "c"]


@pytest.fixture(autouse=True)
def clear_seen() -> None:
    seen.clear()


def test_duckdb_input_is_a_lazy_relation_with_nested_tables_and_sql(make_pipeline):
    load_and_report(make_pipeline("shop_duck", dataset="shop_raw"))

    assert_report_read_everything()


def test_filesystem_destination_input(tmp_path: Path):
    bucket = tmp_path / "lake"
    pipeline = dlt.pipeline(
        "shop_fs",
        pipelines_dir=str(tmp_path / "pipelines"),
        destination=dlt.destinations.filesystem(bucket.as_uri()),
        dataset_name="shop_files",
    )

    load_and_report(pipeline)

    assert_report_read_everything()
    assert (bucket / "shop_files" / "orders").is_dir()


def test_snowflake_input_through_the_emulator(snowflake_env: dict[str, str]):
    pipeline = dlt.pipeline("shop_snow", destination="snowflake", dataset_name="shop_snow")

    load_and_report(pipeline)

    assert_report_read_everything()


def test_input_before_the_upstream_was_loaded_says_to_materialize_it(make_pipeline):
    assets = shop_assets(make_pipeline("shop_empty", dataset="shop_empty"))

    result = materialize(
        [assets, order_report],
        selection=[order_report.key],
        resources=RESOURCES,
        raise_on_error=False,
    )

    assert not result.success
    message = _failure_message(result)
    assert "DltDatasetNotLoadedError" in message
    assert "dlt_shop_orders" in message
    assert "Materialize the upstream asset first" in message


def test_input_naming_an_unknown_nested_table_lists_those_that_exist(make_pipeline):
    assets = shop_assets(make_pipeline("shop_unknown", dataset="shop_unknown"))

    @asset(
        ins={
            "x": AssetIn(
                key=ORDERS, input_manager_key="dlt_dataset", metadata={INPUT_TABLE_KEY: "nope"}
            )
        }
    )
    def bad(x: dlt.Relation) -> None:
        pass

    assert materialize([assets], resources=RESOURCES).success
    result = materialize(
        [assets, bad], selection=[bad.key], resources=RESOURCES, raise_on_error=False
    )

    message = _failure_message(result)
    assert "DltTableNotFoundError" in message
    assert "has no nested table 'nope'" in message
    assert "Its nested tables: items" in message


def test_input_from_an_asset_that_is_not_a_dlt_asset_is_refused():
    @asset
    def plain() -> int:
        return 1

    @asset(ins={"value": AssetIn(key=plain.key, input_manager_key="dlt_dataset")})
    def reader(value: Any) -> None:
        pass

    result = materialize([plain, reader], resources=RESOURCES, raise_on_error=False)

    message = _failure_message(result)
    assert "DltInputError" in message and "not a dlt asset" in message


def test_unknown_table_lists_the_tables_and_stays_an_attribute_error(make_pipeline):
    pipeline = make_pipeline("shop_tables", dataset="shop_tables")
    assert materialize([shop_assets(pipeline)], resources=RESOURCES).success
    dataset = open_dataset(pipeline, schema="shop")

    with pytest.raises(DltTableNotFoundError) as raised:
        dataset.table("order")

    listed = str(raised.value).split("Its tables: ")[1].rstrip(".").split(", ")
    assert sorted(listed) == ["customers", "orders", "orders__items"]
    assert isinstance(raised.value, (DagsterDltError, ValueError))
    assert getattr(dataset, "order", None) is None
    assert isinstance(dataset.orders, DltRelation)


def test_a_dataset_never_loaded_says_so(make_pipeline):
    pipeline = make_pipeline("shop_never", dataset="shop_never")

    with pytest.raises(DltDatasetNotLoadedError, match="has not loaded it yet"):
        open_dataset(pipeline, schema="shop").table("orders")


# --- the single-writer lock -----------------------------------------------------------------


def _hold_lock_in_subprocess(pipeline: dlt.Pipeline, seconds: float) -> subprocess.Popen:
    """Another process holding dagster-dlt's lock on the pipeline's DuckDB file."""
    code = (
        "import sys, time, dlt\n"
        "from dagster_dlt.durability.locking import single_writer_lock_factory\n"
        f"p = dlt.pipeline('holder', pipelines_dir=sys.argv[1], destination="
        f"dlt.destinations.duckdb(sys.argv[2]), dataset_name='x')\n"
        "with single_writer_lock_factory(p, 'test holder', 5)():\n"
        "    print('held', flush=True)\n"
        f"    time.sleep({seconds})\n"
    )
    database = pipeline.destination_client().config.credentials.database
    process = subprocess.Popen(
        [sys.executable, "-c", code, str(Path(database).parent / "holder_pipelines"), database],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "RUNTIME__DLTHUB_TELEMETRY": "false"},
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    return process


def test_queries_wait_for_the_lock_but_building_relations_and_using_frames_do_not(make_pipeline):
    pipeline = make_pipeline("shop_lock", dataset="shop_lock")
    assert materialize([shop_assets(pipeline)], resources=RESOURCES).success
    dataset = open_dataset(pipeline, schema="shop", owner="lock test", lock_timeout_seconds=0.3)
    frame = dataset.table("orders").df()

    holder = _hold_lock_in_subprocess(pipeline, seconds=3)
    try:
        relation = dataset.table("orders").select("id")  # lazy: no connection, no lock
        assert sorted(frame["id"].tolist()) == [1, 2]  # a frame already read needs no lock
        with pytest.raises(DestinationLockTimeout, match=r"held by .*test holder"):
            relation.fetchall()
    finally:
        holder.wait(timeout=30)

    assert sorted(relation.fetchall()) == [(1,), (2,)]


def test_the_lock_is_held_exactly_while_a_query_runs(make_pipeline):
    pipeline = make_pipeline("shop_held", dataset="shop_held")
    assert materialize([shop_assets(pipeline)], resources=RESOURCES).success
    database = Path(pipeline.destination_client().config.credentials.database)
    lock_file = database.with_name(database.name + ".lock")
    dataset = open_dataset(pipeline, schema="shop", owner="held test")
    owners: list[str] = []

    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            if lock_file.exists() and lock_file.read_text():
                owners.append(lock_file.read_text())
            time.sleep(0.001)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for _ in range(20):
            dataset.table("orders").df()
    finally:
        stop.set()
        watcher.join()

    assert any("held test" in owner for owner in owners)
    assert lock_file.read_text() == "", "the lock must be released after the query"


# --- through the dagster CLI ----------------------------------------------------------------

CLI_DEFS = """
import dlt
from dagster import AssetExecutionContext, AssetIn, Definitions, MaterializeResult, asset
from dagster_dlt import DagsterDltResource, dlt_assets
from dagster_dlt.data.input_manager import DltDatasetInputManager
from tests.support.shop_orders import shop

pipeline = dlt.pipeline(
    "shop_cli", destination=dlt.destinations.duckdb("cli.duckdb"), dataset_name="shop_cli"
)


@dlt_assets(dlt_source=shop(), dlt_pipeline=pipeline)
def shop_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
    yield from dlt.run(context=context)


@asset(ins={"orders": AssetIn(key="dlt_shop_orders", input_manager_key="dlt_dataset")})
def order_count(orders: dlt.Relation) -> MaterializeResult:
    return MaterializeResult(metadata={"orders": len(orders.fetchall())})


defs = Definitions(
    assets=[shop_assets, order_count],
    resources={"dlt": DagsterDltResource(), "dlt_dataset": DltDatasetInputManager()},
)
"""


@pytest.mark.slow
def test_dagster_cli_materializes_the_report_in_its_own_process(tmp_path: Path):
    (tmp_path / "cli_defs.py").write_text(CLI_DEFS)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO)]),
        "DAGSTER_HOME": str(tmp_path),
        "RUNTIME__DLTHUB_TELEMETRY": "false",
    }

    def dagster(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "dagster", "asset", "materialize", "-m", "cli_defs", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )

    before = dagster("--select", "order_count")
    assert before.returncode != 0
    assert "Materialize the upstream asset first" in before.stdout + before.stderr

    loaded = dagster("--select", "dlt_shop_orders")
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    after = dagster("--select", "order_count")
    assert after.returncode == 0, after.stderr[-3000:]
    assert 'Loaded input "orders" using input manager "dlt_dataset"' in after.stderr


def _failure_message(result: Any) -> str:
    messages = []
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data.error:
            error = event.step_failure_data.error
            while error is not None:
                messages.append(f"{error.cls_name}: {error.message}")
                error = error.cause
    return "\n".join(messages)


def test_definitions_with_the_input_manager_load_without_io(tmp_path: Path):
    pipeline = dlt.pipeline(
        "shop_io",
        pipelines_dir=str(tmp_path / "p"),
        destination=dlt.destinations.duckdb(str(tmp_path / "never.duckdb")),
        dataset_name="shop_io",
    )

    defs = Definitions(assets=[shop_assets(pipeline), order_report], resources=RESOURCES)

    assert defs.resolve_asset_graph().get(order_report.key).parent_keys == {ORDERS}
    assert not (tmp_path / "never.duckdb").exists()


def test_using_it_as_an_output_io_manager_is_refused():
    @asset(io_manager_key="dlt_dataset")
    def wrong() -> int:
        return 1

    result = materialize([wrong], resources=RESOURCES, raise_on_error=False)

    assert "only reads inputs" in _failure_message(result)
    assert DltInputError.__mro__[1] is DagsterDltError


# --- contracts with dlt: what the lock-aware dataset relies on ------------------------------

DLT_VERSION = version("dlt")


def recording_dataset(pipeline: dlt.Pipeline, events: list[str]) -> DltDataset:
    @contextmanager
    def hold() -> Iterator[None]:
        events.append("lock")
        try:
            yield
        finally:
            events.append("unlock")

    return DltDataset(pipeline, "shop", hold).resolve()


def test_every_query_of_a_relation_opens_its_connection_through_the_dataset(make_pipeline):
    pipeline = make_pipeline("shop_contract", dataset="shop_contract")
    assert materialize([shop_assets(pipeline)], resources=RESOURCES).success
    events: list[str] = []
    dataset = recording_dataset(pipeline, events)
    events.clear()
    relation = dataset.table("orders").select("id").where("id", "gt", 0).limit(5)

    assert events == [], "building relations must not connect"
    for read in ("df", "arrow", "fetchall", "fetchone"):
        getattr(relation, read)()
        assert events == ["lock", "unlock"], (
            f"dlt {DLT_VERSION}: Relation.{read}() no longer opens its connection with "
            "`with dataset.sql_client:`, so DltDataset cannot hold the DuckDB lock around it"
        )
        events.clear()
    assert type(relation) is DltRelation, (
        f"dlt {DLT_VERSION}: Relation copies (select/where/limit) no longer keep the subclass"
    )


def test_a_dataset_block_holds_the_lock_once_for_all_its_queries(make_pipeline):
    pipeline = make_pipeline("shop_block", dataset="shop_block")
    assert materialize([shop_assets(pipeline)], resources=RESOURCES).success
    events: list[str] = []
    dataset = recording_dataset(pipeline, events)
    events.clear()

    with dataset:
        dataset.orders.fetchall()
        dataset.query("SELECT COUNT(*) FROM orders__items").fetchscalar()
        assert events == ["lock"], f"dlt {DLT_VERSION}: queries in a dataset block reconnected"

    assert events == ["lock", "unlock"]


def test_missing_ok_gives_none_for_an_asset_not_loaded_yet(make_pipeline):
    assets = shop_assets(make_pipeline("shop_missing", dataset="shop_missing"))

    @asset(
        ins={
            "orders": AssetIn(
                key=ORDERS, input_manager_key="dlt_dataset", metadata={INPUT_MISSING_OK_KEY: True}
            )
        }
    )
    def lenient(orders: Optional[dlt.Relation]) -> None:
        seen["lenient"] = orders

    @asset(ins={"orders": AssetIn(key=ORDERS, input_manager_key="lenient_dataset")})
    def lenient_manager(orders: Optional[dlt.Relation]) -> None:
        seen["lenient_manager"] = orders

    result = materialize(
        [assets, lenient, lenient_manager],
        selection=[lenient.key, lenient_manager.key],
        resources={**RESOURCES, "lenient_dataset": DltDatasetInputManager(missing_ok=True)},
    )

    assert result.success
    assert seen == {"lenient": None, "lenient_manager": None}
