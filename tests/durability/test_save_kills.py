"""A save killed at a deterministic point of its load, then run again: a save is a run, so its rows
land exactly once, and a reader never sees a half-written ``replace``.

Each save runs in a forked process that stops itself at a point of dlt's load
(tests/support/kill_points.py); the test SIGKILLs it there, reads the table as readers do, then saves
again in this process. 50,000 rows in files of 5,000 rows make ten load jobs, loaded one at a time.
"""

import os
import signal
import tempfile
import time
from pathlib import Path
from typing import Any

import dlt
import duckdb
import pandas as pd
import pytest
from dagster import AssetExecutionContext, MaterializeResult, ResourceParam, asset, materialize

from dagster_dlt import DltDatasetWriter, WritableDataset
from dagster_dlt.data.dataset import open_dataset
from tests.support.dlt_fixtures import step_failure_text
from tests.support.kill_points import StopAt, stop_here

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:Arrow output on a DB-API result:UserWarning"),
]

NEW_ROWS = 50_000
OLD_ROWS = 1_000
MANY_FILES = {"DATA_WRITER__FILE_MAX_ITEMS": "5000", "LOAD__WORKERS": "1"}


class StopAfterLastJob(StopAt):
    """Stops the process once every job of the load completed, followup jobs included: for a
    staged ``replace`` the swap into the table has committed, and ``_dlt_loads`` has no row yet."""

    def __init__(self, marker: str) -> None:
        super().__init__("", marker)
        self.total = 0
        self.followups = False

    def update(self, name, inc=1, total=None, inc_total=None, message=None, label=None) -> None:
        if not (self.step.startswith("Load") and name == "Jobs" and not label):
            return
        if total is not None:
            self.total = total
        if inc_total:
            self.total += inc_total
            self.followups = True
        self.jobs += inc
        if inc and self.followups and self.jobs >= self.total:
            stop_here(self.marker, f"after all {self.jobs} load jobs")


def scores(batch: str, count: int) -> pd.DataFrame:
    """The day's scores: ``count`` rows, each carrying ``batch`` to tell one save from another."""
    return pd.DataFrame(
        {"id": [f"{batch}-{i}" for i in range(count)], "batch": batch, "score": range(count)}
    )


def reports_pipeline(tmp_path: Path, progress: Any = None) -> dlt.Pipeline:
    return dlt.pipeline(
        "reports_writer",
        pipelines_dir=str(tmp_path / "pipelines"),
        destination=dlt.destinations.duckdb(str(tmp_path / "warehouse.duckdb")),
        dataset_name="reports",
        progress=progress,
    )


def save(tmp_path: Path, frame: pd.DataFrame, disposition: str, progress: Any = None) -> None:
    """Materialize an asset that saves ``frame`` through ``DltDatasetWriter``, as users do."""

    @asset(name="daily_scores")
    def daily_scores(
        context: AssetExecutionContext, writer: ResourceParam[DltDatasetWriter]
    ) -> MaterializeResult:
        return writer.save(
            context, frame, dataset="reports", table="scores", write_disposition=disposition
        )

    writer = DltDatasetWriter([WritableDataset(reports_pipeline(tmp_path, progress))])
    result = materialize([daily_scores], resources={"writer": writer}, raise_on_error=False)
    assert result.success, step_failure_text(result)


def save_until_killed(tmp_path: Path, disposition: str, at: str) -> str:
    """Save ``NEW_ROWS`` in a forked process that stops itself at ``at``; SIGKILL it there."""
    marker = tmp_path / "stopped"
    frame = scores("new", NEW_ROWS)
    pid = os.fork()
    if pid == 0:  # the child: save, and never return into pytest
        code = 3
        try:
            os.environ.update(MANY_FILES)
            tempfile.tempdir = str(tmp_path / "tmp")
            progress = StopAfterLastJob(str(marker)) if at == "last" else StopAt(at, str(marker))
            save(tmp_path, frame, disposition, progress)
            code = 0
        finally:
            os._exit(code)
    deadline = time.monotonic() + 180
    while not marker.exists():
        finished, status = os.waitpid(pid, os.WNOHANG)
        if finished:
            pytest.fail(f"the save ended (status {status}) before it reached the kill point {at}")
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail(f"the save did not reach the kill point {at} in 180 s")
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return marker.read_text()


def in_the_table(tmp_path: Path) -> dict[str, tuple[int, int]]:
    """batch -> (rows, distinct ids) in reports.scores, read straight from the DuckDB file."""
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as connection:
        found = connection.execute(
            "SELECT batch, COUNT(*), COUNT(DISTINCT id) FROM reports.scores GROUP BY 1"
        ).fetchall()
    return {batch: (count, distinct) for batch, count, distinct in found}


def unfinished_loads(tmp_path: Path) -> int:
    """Rows whose load id has no row in ``_dlt_loads``: written by a load that never finished."""
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as connection:
        return connection.execute(
            "SELECT COUNT(*) FROM reports.scores WHERE _dlt_load_id NOT IN "
            "(SELECT load_id FROM reports._dlt_loads)"
        ).fetchone()[0]


def what_readers_see(tmp_path: Path) -> dict[str, int]:
    """batch -> rows, read through ``open_dataset`` as the input manager and the catalog read."""
    reader = dlt.pipeline(
        "reports_writer",
        pipelines_dir=str(tmp_path / "reader"),
        destination=dlt.destinations.duckdb(str(tmp_path / "warehouse.duckdb")),
        dataset_name="reports",
    )
    return open_dataset(reader).table("scores").df().groupby("batch").size().to_dict()


def leftovers(tmp_path: Path) -> list[str]:
    """What killed saves left behind: run directories and temporary copies of the pipeline."""
    runs = tmp_path / "pipelines" / ".dagster-dlt" / "reports_writer" / "runs"
    found = [str(path) for path in runs.iterdir()] if runs.exists() else []
    return found + [str(path) for path in (tmp_path / "tmp").glob("dagster-dlt-save-*")]


@pytest.fixture
def rerun_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The re-run in this process: the same small files, and temp dirs the test can see."""
    (tmp_path / "tmp").mkdir()
    for name, value in MANY_FILES.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))


def test_an_append_save_killed_mid_load_then_run_again_saves_every_row_once(
    tmp_path: Path, rerun_env: None
):
    save(tmp_path, scores("old", OLD_ROWS), "append")
    save_until_killed(tmp_path, "append", "load:4")
    assert unfinished_loads(tmp_path) >= 15_000, "the kill came before rows were written"

    save(tmp_path, scores("new", NEW_ROWS), "append")

    assert in_the_table(tmp_path) == {"old": (OLD_ROWS, OLD_ROWS), "new": (NEW_ROWS, NEW_ROWS)}
    assert unfinished_loads(tmp_path) == 0
    assert leftovers(tmp_path) == []


def test_a_replace_save_killed_mid_load_leaves_readers_the_old_table(
    tmp_path: Path, rerun_env: None
):
    save(tmp_path, scores("old", OLD_ROWS), "replace")
    save_until_killed(tmp_path, "replace", "load:4")

    # Between the kill and the re-run: the old table, whole, and none of the new rows.
    assert what_readers_see(tmp_path) == {"old": OLD_ROWS}
    assert in_the_table(tmp_path) == {"old": (OLD_ROWS, OLD_ROWS)}

    save(tmp_path, scores("new", NEW_ROWS), "replace")

    assert in_the_table(tmp_path) == {"new": (NEW_ROWS, NEW_ROWS)}
    assert what_readers_see(tmp_path) == {"new": NEW_ROWS}
    assert leftovers(tmp_path) == []


def test_a_replace_save_killed_after_its_swap_keeps_the_new_table(tmp_path: Path, rerun_env: None):
    """Killed after the swap into the table committed but before dlt recorded the load: the table
    is the whole new one. Taking its rows back would leave readers an empty table until, and
    unless, a re-run succeeds."""
    save(tmp_path, scores("old", OLD_ROWS), "replace")
    save_until_killed(tmp_path, "replace", "last")
    assert what_readers_see(tmp_path) == {"new": NEW_ROWS}

    # Another save into the same dataset, of another table: it repairs what the dead save left.
    other = scores("other", 10)

    @asset(name="weekly_scores")
    def weekly_scores(
        context: AssetExecutionContext, writer: ResourceParam[DltDatasetWriter]
    ) -> MaterializeResult:
        return writer.save(
            context, other, dataset="reports", table="weekly", write_disposition="append"
        )

    writer = DltDatasetWriter([WritableDataset(reports_pipeline(tmp_path))])
    result = materialize([weekly_scores], resources={"writer": writer}, raise_on_error=False)
    assert result.success, step_failure_text(result)

    assert what_readers_see(tmp_path) == {"new": NEW_ROWS}
    assert leftovers(tmp_path) == []
