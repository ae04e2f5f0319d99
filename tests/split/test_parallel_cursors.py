"""Steps of one source that load at once keep every incremental cursor (issue #22).

Four steps over one pipeline run on the multiprocess executor, three rounds (two for the
hand-made split) with new ids in between; every id of every resource must be there exactly once. Before the per-resource merge of
``durability/parallel_state.py``, the step whose state row landed last won, and the cursors of
the other steps' resources went back: append resources loaded their ids again.
"""

import subprocess
from pathlib import Path

import duckdb
import pytest

from tests.support.parallel_cli import REPO, dagster_cli, forkserver_run_config, process_env
from tests.support.split_defs import RESOURCES

DEFS_MODULE = "tests.support.split_defs"
ROUNDS = [40, 70, 100]  # ids per resource after each round


def run_job(env: dict[str, str], job: str, config: Path) -> str:
    result = subprocess.run(
        [dagster_cli(), "job", "execute", "-m", DEFS_MODULE, "-j", job, "-c", str(config)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    return output


def rows_per_resource(target: Path, dataset: str) -> dict[str, tuple[int, int]]:
    """(rows, distinct ids) of each resource's table."""
    with duckdb.connect(str(target), read_only=True) as conn:
        return {
            resource: conn.execute(
                f'SELECT COUNT(*), COUNT(DISTINCT id) FROM "{dataset}"."{resource}"'
            ).fetchone()
            for resource in RESOURCES
        }


@pytest.mark.slow
@pytest.mark.parametrize(
    ("job", "dataset", "rounds"),
    # The hand-made split lost cursors from its second round on: two rounds show it.
    [("by_hand_job", "by_hand", ROUNDS[1:]), ("split_job", "split", ROUNDS)],
)
def test_rounds_of_parallel_steps_load_every_id_once(tmp_path, job, dataset, rounds):
    # Not split.duckdb: a file named like a dataset in it makes DuckDB's names ambiguous.
    target = tmp_path / "ledger.duckdb"
    config = forkserver_run_config(tmp_path, DEFS_MODULE)
    for ids in rounds:
        env = process_env(tmp_path, SPLIT_TARGET=str(target), SPLIT_IDS=str(ids))
        output = run_job(env, job, config)
        assert "multiprocess" in output.lower()
        counts = rows_per_resource(target, dataset)
        duplicated = {r: c for r, c in counts.items() if c != (ids, ids)}
        assert duplicated == {}, f"after the round to {ids} ids, (rows, ids): {duplicated}"
