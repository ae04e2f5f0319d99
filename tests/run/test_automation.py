"""``on_new_data()`` and ``observe_files()``, evaluated by Dagster over several ticks.

The upstream here is a plain asset with explicit data versions, so that the condition is tested
apart from how dlt assets compute theirs (tests/docs/test_state_aware_docs.py covers dlt assets).
"""

import os
from pathlib import Path
from typing import Any, Optional

import pytest
from dagster import (
    AssetKey,
    AutomationCondition,
    DagsterInstance,
    DataVersion,
    Definitions,
    MaterializeResult,
    asset,
    define_asset_job,
    evaluate_automation_conditions,
    materialize,
    observable_source_asset,
)

from dagster_dlt.automation import observe_files, on_new_data

VERSION = {"upstream": "v1"}


@asset
def upstream() -> MaterializeResult:
    return MaterializeResult(data_version=DataVersion(VERSION["upstream"]))


@asset(deps=[upstream], automation_condition=on_new_data())
def on_new_data_child() -> None: ...


@asset(deps=[upstream], automation_condition=AutomationCondition.eager())
def eager_child() -> None: ...


CHILDREN = [on_new_data_child.key, eager_child.key]
DEFS = Definitions(assets=[upstream, on_new_data_child, eager_child])


class Ticks:
    def __init__(self, defs: Definitions, instance: DagsterInstance) -> None:
        self.defs, self.instance, self.cursor = defs, instance, None

    def tick(self) -> Any:
        result = evaluate_automation_conditions(
            defs=self.defs, instance=self.instance, cursor=self.cursor
        )
        self.cursor = result.cursor
        return result

    def requested(self) -> dict[str, int]:
        result = self.tick()
        return {key.to_user_string(): result.get_num_requested(key) for key in CHILDREN}


def materialize_upstream(instance: DagsterInstance, version: str, *also: AssetKey) -> None:
    VERSION["upstream"] = version
    assets = [upstream, on_new_data_child, eager_child]
    assert materialize(assets, selection=[upstream.key, *also], instance=instance).success


def materialize_children(instance: DagsterInstance) -> None:
    assets = [upstream, on_new_data_child, eager_child]
    assert materialize(assets, selection=CHILDREN, instance=instance).success


def test_fires_only_when_the_data_version_changed_where_eager_fires_on_every_materialization():
    with DagsterInstance.ephemeral() as instance:
        ticks = Ticks(DEFS, instance)
        # upstream never materialized: neither condition requests anything.
        assert ticks.requested() == {"on_new_data_child": 0, "eager_child": 0}

        seen = []
        for version in ["v1", "v1", "v2"]:
            materialize_upstream(instance, version)
            seen.append(ticks.requested())
            materialize_children(instance)
            assert ticks.requested() == {"on_new_data_child": 0, "eager_child": 0}

    assert seen == [
        {"on_new_data_child": 1, "eager_child": 1},  # a first version is a change
        {"on_new_data_child": 0, "eager_child": 1},  # same version: only eager() fires
        {"on_new_data_child": 1, "eager_child": 1},
    ]


def test_an_update_by_a_run_that_also_ran_the_child_does_not_request_it_again():
    with DagsterInstance.ephemeral() as instance:
        ticks = Ticks(DEFS, instance)
        ticks.tick()
        materialize_upstream(instance, "v1", *CHILDREN)
        assert ticks.requested() == {"on_new_data_child": 0, "eager_child": 0}
        materialize_upstream(instance, "v2", *CHILDREN)
        assert ticks.requested() == {"on_new_data_child": 0, "eager_child": 0}


def test_a_change_between_ticks_is_not_forgotten_while_the_upstream_runs_again():
    # Two materializations between ticks, v1 -> v2: the tick compares with what it saw last.
    with DagsterInstance.ephemeral() as instance:
        ticks = Ticks(DEFS, instance)
        materialize_upstream(instance, "v1")
        ticks.tick()
        materialize_children(instance)
        ticks.tick()
        materialize_upstream(instance, "v2")
        materialize_upstream(instance, "v2")
        assert ticks.requested()["on_new_data_child"] == 1


def test_the_condition_is_labelled_and_keeps_eagers_guards():
    condition = on_new_data()
    assert condition.get_label() == "on_new_data"
    text = str(condition)
    for guard in ("any_deps_missing", "any_deps_in_progress", "in_progress"):
        assert guard in text, text
    assert "any_deps_updated" not in text
    assert "any_deps_data_version_changed" in text


def make_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "files"
    (folder / "2024").mkdir(parents=True)
    (folder / "a.json.gz").write_bytes(b"a")
    (folder / "2024" / "b.json.gz").write_bytes(b"bb")
    (folder / "notes.txt").write_text("not data")
    return folder


def version_of(folder: Path, pattern: str = "**/*.json.gz") -> Optional[str]:
    data_version = observe_files(folder, pattern).data_version
    return data_version.value if data_version else None


def test_observe_files_moves_with_every_change_to_a_matching_file(tmp_path: Path):
    folder = make_folder(tmp_path)
    first = version_of(folder)
    assert first and version_of(folder) == first

    (folder / "notes.txt").write_text("changed, but not matched")
    assert version_of(folder) == first

    later = (folder / "a.json.gz").stat().st_mtime + 10
    os.utime(folder / "a.json.gz", (later, later))
    touched = version_of(folder)
    assert touched != first

    (folder / "2024" / "c.json.gz").write_bytes(b"c")
    added = version_of(folder)
    assert added not in (first, touched)

    (folder / "2024" / "c.json.gz").unlink()
    assert version_of(folder) == touched  # back to the same files: back to the same version

    # A file rewritten with its old modification time still changes size, and the version.
    stat = (folder / "a.json.gz").stat()
    (folder / "a.json.gz").write_bytes(b"abc")
    os.utime(folder / "a.json.gz", ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert version_of(folder) != touched


def test_observe_files_reports_the_count_and_the_newest_file(tmp_path: Path):
    folder = make_folder(tmp_path)
    newest = folder / "2024" / "b.json.gz"
    later = (folder / "a.json.gz").stat().st_mtime + 60
    os.utime(newest, (later, later))
    metadata = observe_files(folder, "**/*.json.gz").metadata
    values: dict[str, Any] = {k: getattr(v, "value", v) for k, v in metadata.items()}
    assert values["files"] == 2
    assert values["newest_file"] == str(newest)
    assert values["newest_modified"] == pytest.approx(later)

    empty = tmp_path / "empty"
    empty.mkdir()
    result = observe_files(empty)
    assert result.metadata["files"].value == 0
    assert "newest_file" not in result.metadata
    assert result.data_version != observe_files(folder).data_version


def test_observe_files_on_a_missing_folder_says_which_folder(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match=r"'nowhere' is not a folder.*the folder your dlt"):
        observe_files("nowhere")


def test_an_observed_folder_requests_its_loader_only_when_it_moved(tmp_path: Path):
    folder = make_folder(tmp_path)

    @observable_source_asset(key="landing_files")
    def landing_files():
        return observe_files(folder, "**/*.json.gz")

    @asset(deps=["landing_files"], automation_condition=on_new_data())
    def loaded() -> None: ...

    observe_job = define_asset_job("observe", selection=[landing_files.key])
    defs = Definitions(assets=[landing_files, loaded], jobs=[observe_job])
    with DagsterInstance.ephemeral() as instance:
        ticks = Ticks(defs, instance)

        def observe_then_tick() -> int:
            defs.resolve_job_def("observe").execute_in_process(instance=instance)
            count = ticks.tick().get_num_requested(loaded.key)
            if count:
                materialize([landing_files, loaded], selection=[loaded.key], instance=instance)
            return count

        assert ticks.tick().get_num_requested(loaded.key) == 0  # never observed
        assert observe_then_tick() == 1
        assert observe_then_tick() == 0
        later = (folder / "a.json.gz").stat().st_mtime + 10
        os.utime(folder / "a.json.gz", (later, later))
        assert observe_then_tick() == 1
        assert observe_then_tick() == 0
