"""State-aware runs: a dlt asset's data version changes only when the run changed its tables, and
its materialization shows dlt's state (incremental cursors, schema name and version hash)."""

import subprocess
from pathlib import Path

import pytest
from dagster import (
    AssetKey,
    AutomationCondition,
    DagsterInstance,
    Definitions,
    evaluate_automation_conditions,
    materialize,
)

from tests.support.parallel_cli import REPO, dagster_cli, process_env

ENTRIES = AssetKey("dlt_feed_entries")
REPORT = AssetKey("feed_report")


@pytest.fixture
def state_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("STATE_TARGET", str(tmp_path / "feed.duckdb"))
    monkeypatch.setenv("STATE_IDS", "10")
    import importlib

    import tests.support.state_defs

    importlib.reload(tests.support.state_defs)
    return {"STATE_TARGET": str(tmp_path / "feed.duckdb")}


def data_version(instance: DagsterInstance, key: AssetKey) -> str:
    event = instance.get_latest_materialization_event(key)
    return event.asset_materialization.tags["dagster/data_version"]


def is_stale(instance: DagsterInstance, downstream: AssetKey, upstream: AssetKey) -> bool:
    """Stale when the upstream's data version differs from the one the downstream last read."""
    event = instance.get_latest_materialization_event(downstream)
    seen = event.asset_materialization.tags[
        f"dagster/input_data_version/{upstream.to_user_string()}"
    ]
    return seen != data_version(instance, upstream)


def run_entries(instance: DagsterInstance, with_report: bool = False):
    import tests.support.state_defs as defs_module

    assets = [defs_module.feed_assets] + ([defs_module.feed_report] if with_report else [])
    result = materialize(
        assets,
        resources=dict(defs_module.defs.resources),
        instance=instance,
        selection=None if with_report else [ENTRIES],
    )
    assert result.success
    return result


def test_the_data_version_changes_only_when_rows_landed(state_env, monkeypatch):
    instance = DagsterInstance.ephemeral()
    condition = AutomationCondition.any_deps_match(AutomationCondition.data_version_changed())
    import tests.support.state_defs as defs_module

    defs = Definitions(
        assets=[
            defs_module.feed_assets,
            defs_module.feed_report.with_attributes(automation_condition=condition),
        ],
        resources=dict(defs_module.defs.resources),
    )
    cursor = evaluate_automation_conditions(defs=defs, instance=instance).cursor

    run_entries(instance, with_report=True)  # rows, and the report reads them
    first = data_version(instance, ENTRIES)
    assert not is_stale(instance, REPORT, ENTRIES)
    ticked = evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
    cursor = ticked.cursor

    result = run_entries(instance)  # nothing new
    metadata = result.asset_materializations_for_node("feed_assets")[0].metadata
    assert metadata["rows_loaded"].value == 0
    assert data_version(instance, ENTRIES) == first
    assert not is_stale(instance, REPORT, ENTRIES)
    ticked = evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
    assert ticked.get_num_requested(REPORT) == 0
    cursor = ticked.cursor

    monkeypatch.setenv("STATE_IDS", "15")  # new rows
    run_entries(instance)
    assert data_version(instance, ENTRIES) != first
    assert is_stale(instance, REPORT, ENTRIES)
    ticked = evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
    assert ticked.get_num_requested(REPORT) == 1


def test_materializations_show_the_cursor_and_the_schema(state_env, monkeypatch):
    instance = DagsterInstance.ephemeral()
    first = run_entries(instance).asset_materializations_for_node("feed_assets")[0].metadata
    monkeypatch.setenv("STATE_IDS", "12")
    second = run_entries(instance).asset_materializations_for_node("feed_assets")[0].metadata

    assert first["incremental_cursors"].value == [
        {"cursor_path": "id", "started_from": None, "ended_at": 10}
    ]
    assert second["incremental_cursors"].value == [
        {"cursor_path": "id", "started_from": 10, "ended_at": 12}
    ]
    assert second["dlt_schema_name"].value == "feed"
    assert len(second["dlt_schema_version_hash"].value) > 20


@pytest.mark.slow
def test_data_versions_need_no_state_in_the_process(tmp_path):
    """The same three runs as separate `dagster asset materialize` processes."""
    home = tmp_path / "dagster_home"
    env = process_env(tmp_path, STATE_TARGET=str(tmp_path / "feed.duckdb"))
    versions = []
    for ids in ("10", "10", "15"):
        env["STATE_IDS"] = ids
        subprocess.run(
            [
                dagster_cli(),
                "asset",
                "materialize",
                "-m",
                "tests.support.state_defs",
                "--select",
                "dlt_feed_entries",
            ],
            cwd=REPO,
            env=env,
            check=True,
            capture_output=True,
            timeout=300,
        )
        with DagsterInstance.from_config(str(home)) as instance:
            versions.append(data_version(instance, ENTRIES))
    assert versions[0] == versions[1] != versions[2]
