"""The demo's reports: read through the dlt input, saved into a ``reports`` dataset whose columns
are frozen. A report that grows a column fails with the contract error and changes nothing.

The demo's modules read their settings (the DuckDB file) at import, so each test imports them
afresh with the test's own file.
"""

import ast
import importlib
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from dagster import (
    AssetExecutionContext,
    AssetIn,
    AssetSpec,
    DagsterInstance,
    MaterializeResult,
    ResourceParam,
    materialize,
    multi_asset,
    with_resources,
)

from dagster_dlt import DagsterDltResource
from dagster_dlt.data.save import DltDatasetWriter, DltReadOnlyDatasetError

REPO = Path(__file__).resolve().parents[2]
RANGE = {
    "dagster/asset_partition_range_start": "2024-01-01",
    "dagster/asset_partition_range_end": "2024-01-04",
}

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def import_demo(monkeypatch: pytest.MonkeyPatch, duckdb_path: Path) -> dict[str, ModuleType]:
    monkeypatch.setenv("DAGSTER_DLT_DEMO_DUCKDB", str(duckdb_path))
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    for name in [m for m in sys.modules if m.startswith("dagster_dlt_demo")]:
        monkeypatch.delitem(sys.modules, name)
    return {
        name: importlib.import_module(f"dagster_dlt_demo.{name}")
        for name in ("definitions", "reports", "warehouse", "gharchive_assets")
    }


def query(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def report_columns(path: Path, table: str) -> list[str]:
    return [
        name
        for (name,) in query(
            path,
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'reports' "
            f"AND table_name = '{table}' ORDER BY ordinal_position",
        )
    ]


def run_demo(demo: dict[str, ModuleType]) -> None:
    job = demo["definitions"].defs.resolve_job_def("gharchive_job")
    with DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance, tags=RANGE)
    assert result.success


def widened_top_contributors(demo: dict[str, ModuleType]):
    """The demo's top_contributors report, as someone might change it: one more column."""
    reports, warehouse = demo["reports"], demo["warehouse"]
    keys = {table: key for key, table in reports.EVENT_TABLES.items()}
    tables = ["push_event", "pull_request_event", "pull_request_review_event", "issues_event"]
    tables.append("issue_comment_event")

    @multi_asset(
        specs=[AssetSpec("top_contributors", deps=[keys[t] for t in tables])],
        ins={
            t: AssetIn(key=keys[t], input_manager_key=warehouse.INPUT_MANAGER_KEY) for t in tables
        },
    )
    def top_contributors(
        context: AssetExecutionContext,
        reports_writer: ResourceParam[DltDatasetWriter],
        **events: Any,
    ) -> MaterializeResult:
        activity = {
            "pull_requests": events["pull_request_event"],
            "reviews": events["pull_request_review_event"],
            "issues": events["issues_event"],
            "comments": events["issue_comment_event"],
        }
        table = reports.contributors_table(events["push_event"], activity)
        table = table.append_column("team", pa.array(["core"] * table.num_rows))
        return reports_writer.save(context, table, dataset="reports", table="top_contributors")

    (bound,) = with_resources([top_contributors], warehouse.REPORT_RESOURCES)
    return bound


@pytest.mark.slow
def test_adding_a_column_to_the_saved_report_fails_and_changes_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    path = tmp_path / "demo.duckdb"
    demo = import_demo(monkeypatch, path)
    run_demo(demo)
    before_rows = query(path, "SELECT * FROM reports.top_contributors ORDER BY rank")
    before_columns = report_columns(path, "top_contributors")
    before_loads = query(path, "SELECT COUNT(*) FROM reports._dlt_loads")

    result = materialize(
        [demo["gharchive_assets"].gharchive_assets, widened_top_contributors(demo)],
        selection=["top_contributors"],
        resources={"dlt": DagsterDltResource()},
        raise_on_error=False,
    )

    assert not result.success
    errors = [
        event.step_failure_data.error
        for event in result.all_events
        if event.is_step_failure and event.step_failure_data.error
    ]
    messages = []
    for error in errors:
        while error is not None:
            messages.append(f"{error.cls_name}: {error.message}")
            error = error.cause
    message = "\n".join(messages)
    assert "DltContractViolationError" in message
    assert "dataset 'reports'" in message
    assert "column 'team' of table 'top_contributors'" in message
    assert "the contract on columns is 'freeze'" in message
    assert query(path, "SELECT * FROM reports.top_contributors ORDER BY rank") == before_rows
    assert report_columns(path, "top_contributors") == before_columns
    assert "team" not in before_columns and len(before_rows) == 10
    assert query(path, "SELECT COUNT(*) FROM reports._dlt_loads") == before_loads


@pytest.mark.slow
def test_reports_report_dlt_metadata_and_the_raw_dataset_stays_read_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    path = tmp_path / "demo.duckdb"
    demo = import_demo(monkeypatch, path)
    job = demo["definitions"].defs.resolve_job_def("gharchive_job")
    with DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance, tags=RANGE)
        events = {
            event.asset_key.to_user_string(): {
                k: getattr(v, "value", v) for k, v in event.materialization.metadata.items()
            }
            for event in result.get_asset_materialization_events()
        }

    top, per_day = events["top_contributors"], events["events_per_repo_per_day"]
    assert top["dagster/table_name"] == "demo.reports.top_contributors"
    assert top["dataset_name"] == "reports"
    assert top["rows_loaded"] == top["dagster/row_count"] == 10
    assert per_day["dagster/row_count"] == per_day["dagster/partition_row_count"] > 0
    assert per_day["write_disposition"] == "merge"
    assert sorted(per_day["source_tables"]) == sorted(demo["reports"].EVENT_TABLES.values())
    writer = demo["warehouse"].reports_writer
    with pytest.raises(DltReadOnlyDatasetError, match="Datasets that do: reports"):
        writer.save(None, [{"x": 1}], dataset="gharchive", table="push_event")


def test_the_demo_uses_no_private_lock_helper():
    imported = set()
    for path in (REPO / "dagster_dlt_demo").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)

    assert "dagster_dlt.durability.locking" not in imported
    assert "duckdb" not in {m for m in imported if m == "duckdb"} or _only_main_uses_duckdb()


def _only_main_uses_duckdb() -> bool:
    # __main__.py prints the tables after the run, read-only; the reports never open the file.
    for name in ("reports.py", "warehouse.py"):
        if "import duckdb" in (REPO / "dagster_dlt_demo" / name).read_text():
            return False
    return True
