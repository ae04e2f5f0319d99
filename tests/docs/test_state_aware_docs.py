"""The examples of docs/state-aware.md, run for real: dlt into DuckDB files under tmp_path, Dagster
through ``materialize``, jobs and ``evaluate_automation_conditions`` over several ticks.
"""

import json
import os
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional

import duckdb
from dagster import (
    AssetKey,
    AutomationCondition,
    DagsterInstance,
    Definitions,
    asset,
    define_asset_job,
    evaluate_automation_conditions,
    materialize,
)

from tests.support.snippets import load_snippet

REPORT = AssetKey("orders_by_status")
ORDERS = AssetKey("dlt_orders_drop_orders")
FILES = AssetKey("orders_drop_orders")


def drop(name: str, *orders: tuple[int, str, str]) -> Path:
    """Write a file of orders (id, status, updated_at) into the snippets' drop folder."""
    folder = Path("orders_drop")
    folder.mkdir(exist_ok=True)
    path = folder / name
    rows = [{"id": i, "status": status, "updated_at": updated} for i, status, updated in orders]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def orders_in(database: Path) -> int:
    with duckdb.connect(str(database), read_only=True) as db:
        return db.execute("SELECT COUNT(*) FROM shop.orders").fetchone()[0]


def metadata_of(result: Any, key: AssetKey) -> dict[str, Any]:
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key == key]
    materialization = event.materialization
    values = {k: getattr(v, "value", v) for k, v in materialization.metadata.items()}
    values["data_version"] = materialization.tags.get("dagster/data_version")
    return values


class Ticks:
    """Successive evaluations of the automation conditions of ``defs``, as the sensor makes them."""

    def __init__(self, defs: Definitions, instance: DagsterInstance) -> None:
        self.defs = defs
        self.instance = instance
        self.cursor: Optional[Any] = None

    def tick(self) -> Any:
        result = evaluate_automation_conditions(
            defs=self.defs, instance=self.instance, cursor=self.cursor
        )
        self.cursor = result.cursor
        return result


def test_the_report_is_requested_only_after_loads_that_changed_the_orders():
    snippet = load_snippet("state_aware_downstream")

    # The same report under eager(), for the page's comparison.
    @asset(deps=[ORDERS], automation_condition=AutomationCondition.eager())
    def eager_report() -> None: ...

    drop("001.jsonl", (1, "paid", "2024-01-01T10:00:00"), (2, "open", "2024-01-01T11:00:00"))
    assets = [snippet.orders_assets, snippet.orders_by_status, eager_report]
    resources = dict(snippet.defs.resources)
    reports = [REPORT, eager_report.key]
    with DagsterInstance.ephemeral() as instance:
        ticks = Ticks(Definitions(assets=assets, resources=resources), instance)

        def requested() -> tuple[int, int]:
            tick = ticks.tick()
            return tick.get_num_requested(REPORT), tick.get_num_requested(eager_report.key)

        def load() -> dict[str, Any]:
            result = materialize(assets, selection=[ORDERS], resources=resources, instance=instance)
            return metadata_of(result, ORDERS)

        def report() -> None:
            materialize(assets, selection=reports, resources=resources, instance=instance)

        assert requested() == (0, 0)  # the orders were never loaded

        first = load()
        assert first["rows_loaded"] == 2
        assert requested() == (1, 1)
        report()
        assert requested() == (0, 0)

        # Nothing new in the folder: the load materializes, with the same data version.
        again = load()
        assert again["rows_loaded"] == 0
        assert again["data_version"] == first["data_version"]
        assert requested() == (0, 1)  # only eager() rebuilds
        report()
        assert requested() == (0, 0)

        drop("002.jsonl", (3, "paid", "2024-01-02T09:00:00"))
        third = load()
        assert third["rows_loaded"] == 1
        assert third["data_version"] != first["data_version"]
        assert requested() == (1, 1)


def test_each_materialization_shows_the_incremental_cursor_and_the_dlt_schema(tmp_path: Path):
    snippet = load_snippet("state_aware_downstream")
    drop("001.jsonl", (1, "paid", "2024-01-01T10:00:00"), (2, "open", "2024-01-01T11:00:00"))
    resources = dict(snippet.defs.resources)
    first = metadata_of(materialize([snippet.orders_assets], resources=resources), ORDERS)
    drop("002.jsonl", (3, "paid", "2024-01-02T09:00:00"))
    second = metadata_of(materialize([snippet.orders_assets], resources=resources), ORDERS)

    assert first["dlt_schema_name"] == second["dlt_schema_name"] == "orders_drop"
    assert first["dlt_schema_version_hash"]
    [cursor] = second["incremental_cursors"]
    assert cursor["cursor_path"] == "updated_at"
    # The second run started where the first ended, and ended at the newest order.
    assert str(first["incremental_cursors"][0]["ended_at"]).startswith("2024-01-01T11:00:00")
    assert str(cursor["started_from"]).startswith("2024-01-01T11:00:00")
    assert str(cursor["ended_at"]).startswith("2024-01-02T09:00:00")
    assert orders_in(tmp_path / "orders_drop.duckdb") == 3


def test_the_drop_folder_is_loaded_only_when_its_files_moved(tmp_path: Path):
    snippet = load_snippet("state_aware_source_freshness")
    assert [dep.asset_key for dep in snippet.orders_on_new_files.specs_by_key[ORDERS].deps] == [
        FILES
    ]
    first_file = drop("001.jsonl", (1, "paid", "2024-01-01T10:00:00"))
    observe = define_asset_job("observe_orders_files", selection=[FILES])
    defs = Definitions.merge(snippet.defs, Definitions(jobs=[observe]))
    assets = [snippet.orders_files, snippet.orders_on_new_files, snippet.orders_by_status]
    resources = dict(snippet.defs.resources)

    with DagsterInstance.ephemeral() as instance:
        ticks = Ticks(defs, instance)

        def observed() -> str:
            result = defs.resolve_job_def(observe.name).execute_in_process(instance=instance)
            [event] = [e for e in result.all_events if e.event_type_value == "ASSET_OBSERVATION"]
            return event.asset_observation_data.asset_observation.tags["dagster/data_version"]

        def run(key: AssetKey) -> Any:
            return materialize(assets, selection=[key], resources=resources, instance=instance)

        assert ticks.tick().total_requested == 0  # the folder was never observed

        marker = observed()
        tick = ticks.tick()
        assert tick.get_num_requested(ORDERS) == 1
        # The report waits for the load's outcome: it is not requested in the same tick.
        assert tick.get_num_requested(REPORT) == 0
        assert metadata_of(run(ORDERS), ORDERS)["rows_loaded"] == 1
        assert ticks.tick().get_num_requested(REPORT) == 1
        run(REPORT)

        # Observed again, nothing changed: nothing runs.
        assert observed() == marker
        assert ticks.tick().total_requested == 0

        # A new file: the folder's marker moves, the load runs and brings rows, the report follows.
        drop("002.jsonl", (2, "open", "2024-01-02T09:00:00"))
        second_marker = observed()
        assert second_marker != marker
        tick = ticks.tick()
        assert (tick.get_num_requested(ORDERS), tick.get_num_requested(REPORT)) == (1, 0)
        assert metadata_of(run(ORDERS), ORDERS)["rows_loaded"] == 1
        assert ticks.tick().get_num_requested(REPORT) == 1
        run(REPORT)

        # A touched file moves the marker, so the load runs; the incremental finds nothing new,
        # the orders keep their data version, and the report is not rebuilt.
        later = time.time() + 5
        os.utime(first_file, (later, later))
        assert observed() != second_marker
        assert ticks.tick().get_num_requested(ORDERS) == 1
        assert metadata_of(run(ORDERS), ORDERS)["rows_loaded"] == 0
        assert ticks.tick().total_requested == 0
    assert orders_in(tmp_path / "orders_drop.duckdb") == 2


def test_the_observable_source_is_observed_on_its_cron(tmp_path: Path):
    snippet = load_snippet("state_aware_source_freshness")
    start = datetime(2026, 1, 1, 0, 1, tzinfo=timezone.utc)
    with DagsterInstance.ephemeral() as instance:
        first = evaluate_automation_conditions(
            defs=snippet.defs, instance=instance, evaluation_time=start
        )
        assert first.get_num_requested(FILES) == 0
        later = evaluate_automation_conditions(
            defs=snippet.defs,
            instance=instance,
            evaluation_time=start + timedelta(minutes=15),
            cursor=first.cursor,
        )
        assert later.get_num_requested(FILES) == 1


def test_the_full_refresh_job_reloads_everything_the_normal_job_skips(tmp_path: Path):
    snippet = load_snippet("state_aware_full_refresh")
    drop("001.jsonl", (1, "paid", "2024-01-01T10:00:00"), (2, "open", "2024-01-01T11:00:00"))
    database = tmp_path / "orders_drop.duckdb"
    with DagsterInstance.ephemeral() as instance:

        def run(job: str) -> dict[str, Any]:
            result = snippet.defs.resolve_job_def(job).execute_in_process(instance=instance)
            return metadata_of(result, ORDERS)

        assert run("orders_job")["rows_loaded"] == 2
        assert run("orders_job")["rows_loaded"] == 0  # the incremental skips what was loaded
        with duckdb.connect(str(database)) as db:
            db.execute("DELETE FROM shop.orders WHERE id = 2")
        assert run("orders_job")["rows_loaded"] == 0
        assert orders_in(database) == 1

        before = run("orders_job")

        refreshed = run("orders_full_refresh")
        assert refreshed["rows_loaded"] == 2  # table and cursor dropped: loaded from scratch
        assert refreshed["data_version"] != before["data_version"]
        assert orders_in(database) == 2


def test_a_refresh_mode_dlt_does_not_know_fails_before_any_data_moves(tmp_path: Path):
    snippet = load_snippet("state_aware_full_refresh")
    drop("001.jsonl", (1, "paid", "2024-01-01T10:00:00"))
    # The launchpad's YAML, as the page shows it.
    run_config = {"ops": {"orders_assets": {"config": {"refresh": "everything"}}}}
    result = snippet.defs.resolve_job_def("orders_job").execute_in_process(
        run_config=run_config, raise_on_error=False
    )
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    message = failure.step_failure_data.error.to_string()
    assert (
        "Run configuration field 'refresh' is 'everything', which dlt does not know. "
        "Allowed values: drop_sources, drop_resources, drop_data, or leave it unset."
    ) in message
    assert not (tmp_path / "orders_drop.duckdb").exists()


def test_progress_lines_reach_the_event_log():
    snippet = load_snippet("state_aware_progress")
    assert snippet.defs.resources["dlt"].progress_interval_seconds == 30
    drop("001.jsonl", (1, "paid", "2024-01-01T10:00:00"))
    with DagsterInstance.ephemeral() as instance:
        result = materialize(
            list(snippet.defs.assets), resources=dict(snippet.defs.resources), instance=instance
        )
        lines = [
            entry.user_message
            for entry in instance.all_logs(result.run_id)
            if entry.dagster_event is None and entry.user_message.startswith("dlt ")
        ]
    # A short step logs one line, when it ends.
    assert any(line.startswith("dlt Extract orders_drop finished: 1 row ") for line in lines), lines
    assert any(line.startswith("dlt Load orders_drop in ") for line in lines), lines
