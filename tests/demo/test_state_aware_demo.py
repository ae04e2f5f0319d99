"""The demo's state-aware automation, tick by tick: GH Archive loads only when its files moved, and
the reports only after a load changed the event tables.

The demo's definitions are imported afresh over a copy of the bundled sample in tmp_path and a
DuckDB file there; loads and reports run for real, in process, through ``materialize``.
"""

import importlib
import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, Optional

import pytest
from dagster import (
    AssetKey,
    DagsterInstance,
    Definitions,
    define_asset_job,
    evaluate_automation_conditions,
    materialize,
)

from dagster_dlt_demo.settings import ENV_DUCKDB, ENV_GHARCHIVE_URL
from dlt_sources.gharchive import SAMPLE_DIR

DEFINITIONS_MODULE = "dagster_dlt_demo.definitions"
FIRST_DAY = "2024-01-01"
LATEST_DAY = "2024-01-04"  # the demo's last daily partition: eager conditions look at it only
SOURCE = AssetKey("gharchive_events")
PER_DAY = AssetKey("events_per_repo_per_day")
TOP = AssetKey("top_contributors")

pytestmark = pytest.mark.slow  # two loads of a day of nine event types, and the reports: ~25 s


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """The demo's definitions module, over a copy of the sample and a DuckDB file in tmp_path."""
    files = tmp_path / "gharchive"
    shutil.copytree(SAMPLE_DIR, files)
    monkeypatch.setenv(ENV_GHARCHIVE_URL, str(files))
    monkeypatch.setenv(ENV_DUCKDB, str(tmp_path / "demo.duckdb"))
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    fresh = [m for m in sys.modules if m.startswith(("dagster_dlt_demo", "docs_snippets"))]
    saved = {name: sys.modules.pop(name) for name in fresh}
    try:
        yield importlib.import_module(DEFINITIONS_MODULE)
    finally:
        for name in [m for m in sys.modules if m.startswith("dagster_dlt_demo")]:
            del sys.modules[name]
        sys.modules.update(saved)


class Demo:
    def __init__(self, module: ModuleType, instance: DagsterInstance) -> None:
        observe = define_asset_job("observe_gharchive_files", selection=[SOURCE])
        self.defs: Definitions = Definitions.merge(module.defs, Definitions(jobs=[observe]))
        self.instance = instance
        self.cursor: Optional[Any] = None
        # Resolved from the definitions, with their resources bound.
        loads = self.defs.resolve_assets_def(AssetKey("dlt_gharchive_push_event"))
        self.loads = list(loads.keys)
        self.assets = [
            loads,
            self.defs.resolve_assets_def(PER_DAY),
            self.defs.resolve_assets_def(TOP),
        ]

    def tick(self) -> dict[AssetKey, set[Optional[str]]]:
        result = evaluate_automation_conditions(
            defs=self.defs, instance=self.instance, cursor=self.cursor
        )
        self.cursor = result.cursor
        keys = [SOURCE, *self.loads, PER_DAY, TOP]
        return {
            key: set(result.get_requested_partitions(key))
            for key in keys
            if result.get_num_requested(key)
        }

    def observe(self) -> str:
        result = self.defs.resolve_job_def("observe_gharchive_files").execute_in_process(
            instance=self.instance
        )
        [event] = [e for e in result.all_events if e.event_type_value == "ASSET_OBSERVATION"]
        return event.asset_observation_data.asset_observation.tags["dagster/data_version"]

    def run_job(self, name: str, *, first: str, last: str) -> bool:
        """A run of a job over a range of partitions, as ``python -m dagster_dlt_demo`` makes."""
        result = self.defs.resolve_job_def(name).execute_in_process(
            instance=self.instance,
            tags={
                "dagster/asset_partition_range_start": first,
                "dagster/asset_partition_range_end": last,
            },
        )
        return result.success

    def run(self, *keys: AssetKey, partition: Optional[str] = None) -> dict[AssetKey, int]:
        result = materialize(
            self.assets,
            selection=list(keys),
            partition_key=partition,
            instance=self.instance,
        )
        assert result.success
        return {
            event.asset_key: event.materialization.metadata["rows_loaded"].value
            for event in result.get_asset_materialization_events()
            if "rows_loaded" in event.materialization.metadata
        }


def test_reports_follow_only_loads_and_loads_only_moved_files(demo: ModuleType, tmp_path: Path):
    with DagsterInstance.ephemeral() as instance:
        app = Demo(demo, instance)
        assert app.tick() == {}  # nothing loaded, the files never observed: nothing can run

        # What python -m dagster_dlt_demo does: every day loaded, then the reports, in one run.
        assert app.run_job("gharchive_job", first=FIRST_DAY, last=LATEST_DAY)
        # That run rebuilt the reports after its loads: no report is requested again for them.
        assert app.tick() == {}

        # The first observation of the files is a change: the latest day is loaded once more. The
        # reports wait for the outcome of that load.
        marker = app.observe()
        assert app.tick() == {key: {LATEST_DAY} for key in app.loads}
        rows = app.run(*app.loads, partition=LATEST_DAY)
        assert sum(rows.values()) > 0
        assert app.tick() == {PER_DAY: {LATEST_DAY}, TOP: {None}}
        app.run(PER_DAY, partition=LATEST_DAY)
        app.run(TOP)
        assert app.tick() == {}

        # Observed again, nothing changed on disk: nothing is loaded, nothing rebuilt.
        assert app.observe() == marker
        assert app.tick() == {}
        assert app.tick() == {}

        # An hour's file is rewritten: the marker moves, the day is loaded again, then the reports.
        hour = tmp_path / "gharchive" / f"{LATEST_DAY}-5.json.gz"
        later = time.time() + 5
        os.utime(hour, (later, later))
        assert app.observe() != marker
        assert app.tick() == {key: {LATEST_DAY} for key in app.loads}
        app.run(*app.loads, partition=LATEST_DAY)
        assert app.tick() == {PER_DAY: {LATEST_DAY}, TOP: {None}}


def test_the_sensor_observes_the_files_and_targets_loads_and_reports(demo: ModuleType):
    sensor = demo.defs.resolve_sensor_def("gharchive_automation")
    assert sensor.default_status.value == "STOPPED"
    graph = demo.defs.resolve_asset_graph()
    assert graph.get(SOURCE).is_observable
    loads = [key for key in graph.get_all_asset_keys() if key.path[0].startswith("dlt_gharchive_")]
    assert len(loads) == 9
    for key in [*loads, PER_DAY, TOP]:
        assert graph.get(key).automation_condition.get_label() == "on_new_data"
    assert sensor.asset_selection.resolve(graph) >= {SOURCE, *loads, PER_DAY, TOP}
