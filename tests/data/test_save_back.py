"""An asset saves its result into a dataset through dlt, under the dataset's contract."""

import subprocess
from pathlib import Path
from typing import Any, Optional

import dlt
import duckdb
import pandas as pd
import pyarrow as pa
import pytest
from dagster import (
    AssetExecutionContext,
    AssetKey,
    DagsterInstance,
    MaterializeResult,
    ResourceParam,
    asset,
    materialize,
)

from dagster_dlt import DagsterDltError
from dagster_dlt.data.dataset import open_dataset
from dagster_dlt.data.save import (
    DltContractViolationError,
    DltDatasetWriter,
    DltUnsupportedDataError,
    WritableDataset,
    validate_contract,
)
from tests.support.crash_runs import finish, kill_at
from tests.support.dlt_fixtures import step_failure_text
from tests.support.parallel_cli import REPO, dagster_cli, process_env

pytest_plugins = ["tests.support.snowflake_emulator"]

pytestmark = pytest.mark.filterwarnings("ignore:Arrow output on a DB-API result:UserWarning")

SCORES = [{"player": "ada", "score": 10}, {"player": "grace", "score": 7}]


def reports_pipeline(tmp_path: Path, duckdb_path: Path, dataset: str = "reports") -> dlt.Pipeline:
    return dlt.pipeline(
        f"{dataset}_writer",
        pipelines_dir=str(tmp_path / "pipelines"),
        destination=dlt.destinations.duckdb(str(duckdb_path)),
        dataset_name=dataset,
    )


def rows(duckdb_path: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def columns(duckdb_path: Path, schema: str, table: str) -> list[str]:
    return [
        name
        for (name,) in rows(
            duckdb_path,
            "SELECT column_name FROM information_schema.columns "
            f"WHERE table_schema = '{schema}' AND table_name = '{table}' ORDER BY ordinal_position",
        )
    ]


def scores_asset(data: Any, **save: Any):
    @asset(name="scores")
    def scores(
        context: AssetExecutionContext, writer: ResourceParam[DltDatasetWriter]
    ) -> MaterializeResult:
        return writer.save(context, data, dataset="reports", table="scores", **save)

    return scores


@pytest.mark.parametrize(
    "data",
    [
        pd.DataFrame(SCORES),
        pa.Table.from_pylist(SCORES),
        SCORES,
    ],
    ids=["pandas", "arrow", "dicts"],
)
def test_an_asset_saves_a_frame_table_or_dicts_and_reports_dlt_metadata(
    tmp_path: Path, duckdb_path: Path, data: Any
):
    writer = DltDatasetWriter([WritableDataset(reports_pipeline(tmp_path, duckdb_path))])

    result = materialize([scores_asset(data)], resources={"writer": writer})

    assert result.success
    assert sorted(rows(duckdb_path, "SELECT player, score FROM reports.scores")) == [
        ("ada", 10),
        ("grace", 7),
    ]
    (event,) = result.get_asset_materialization_events()
    metadata = {k: getattr(v, "value", v) for k, v in event.materialization.metadata.items()}
    assert event.asset_key == AssetKey("scores")
    assert metadata["rows_loaded"] == 2
    assert metadata["dagster/table_name"] == "warehouse.reports.scores"
    assert metadata["dataset_name"] == "reports"
    assert metadata["write_disposition"] == "replace"
    assert {c.name for c in metadata["dagster/column_schema"].columns} >= {"player", "score"}
    assert metadata["load_ids"] and metadata["jobs"]


def test_saves_replace_by_default_and_merge_on_a_key(tmp_path: Path, duckdb_path: Path):
    writer = DltDatasetWriter([WritableDataset(reports_pipeline(tmp_path, duckdb_path))])
    writer.save(None, SCORES, dataset="reports", table="scores")
    writer.save(None, SCORES[:1], dataset="reports", table="scores")
    assert rows(duckdb_path, "SELECT player FROM reports.scores") == [("ada",)]

    writer.save(
        None,
        [{"player": "ada", "score": 11}, {"player": "linus", "score": 3}],
        dataset="reports",
        table="scores",
        write_disposition="merge",
        primary_key="player",
    )

    assert sorted(rows(duckdb_path, "SELECT player, score FROM reports.scores")) == [
        ("ada", 11),
        ("linus", 3),
    ]


def test_a_frozen_dataset_refuses_a_new_column_before_writing(tmp_path: Path, duckdb_path: Path):
    pipeline = reports_pipeline(tmp_path, duckdb_path)
    writer = DltDatasetWriter([WritableDataset(pipeline, schema_contract={"columns": "freeze"})])
    writer.save(None, SCORES, dataset="reports", table="scores")
    before = rows(duckdb_path, "SELECT * FROM reports.scores ORDER BY player")
    wider = [{**row, "level": 3} for row in SCORES[:1]]

    result = materialize([scores_asset(wider)], resources={"writer": writer}, raise_on_error=False)

    message = step_failure_text(result)
    assert not result.success
    assert "DltContractViolationError" in message
    assert "dataset 'reports'" in message
    assert "column 'level' of table 'scores'" in message
    assert "the contract on columns is 'freeze'" in message
    assert rows(duckdb_path, "SELECT * FROM reports.scores ORDER BY player") == before
    assert "level" not in columns(duckdb_path, "reports", "scores")


def test_freeze_refuses_new_tables_and_type_changes(tmp_path: Path, duckdb_path: Path):
    writer = DltDatasetWriter(
        [WritableDataset(reports_pipeline(tmp_path, duckdb_path), schema_contract="freeze")]
    )
    # "freeze" freezes tables too: not even a first table gets in.
    with pytest.raises(DltContractViolationError) as new_table:
        writer.save(None, SCORES, dataset="reports", table="scores")
    assert (new_table.value.table, new_table.value.entity) == ("scores", "tables")

    open_writer = DltDatasetWriter(
        [
            WritableDataset(
                reports_pipeline(tmp_path, duckdb_path),
                schema_contract={"tables": "evolve", "data_type": "freeze"},
            )
        ]
    )
    open_writer.save(None, SCORES, dataset="reports", table="scores")
    with pytest.raises(DltContractViolationError) as retyped:
        open_writer.save(
            None, [{"player": "x", "score": "lots"}], dataset="reports", table="scores"
        )

    assert (retyped.value.table, retyped.value.entity, retyped.value.mode) == (
        "scores",
        "data_type",
        "freeze",
    )
    assert sorted(rows(duckdb_path, "SELECT player, score FROM reports.scores")) == [
        ("ada", 10),
        ("grace", 7),
    ]


def test_discard_row_drops_rows_that_do_not_fit(tmp_path: Path, duckdb_path: Path):
    writer = DltDatasetWriter(
        [
            WritableDataset(
                reports_pipeline(tmp_path, duckdb_path),
                schema_contract={"columns": "discard_row"},
            )
        ]
    )
    writer.save(None, SCORES, dataset="reports", table="scores", write_disposition="append")

    writer.save(
        None,
        [{"player": "linus", "score": 1}, {"player": "x", "score": 2, "extra": True}],
        dataset="reports",
        table="scores",
        write_disposition="append",
    )

    assert sorted(p for (p,) in rows(duckdb_path, "SELECT player FROM reports.scores")) == [
        "ada",
        "grace",
        "linus",
    ]


def test_a_dataset_not_declared_writable_is_read_only(tmp_path: Path, duckdb_path: Path):
    writer = DltDatasetWriter([WritableDataset(reports_pipeline(tmp_path, duckdb_path))])

    result = materialize([_raw_writer_asset()], resources={"writer": writer}, raise_on_error=False)

    message = step_failure_text(result)
    assert "DltReadOnlyDatasetError" in message
    assert "Dataset 'raw' does not take saves. Datasets that do: reports." in message
    assert not duckdb_path.exists() or not rows(
        duckdb_path,
        "SELECT * FROM information_schema.tables WHERE table_schema = 'raw'",
    )


def _raw_writer_asset():
    @asset(name="into_raw")
    def into_raw(context: AssetExecutionContext, writer: ResourceParam[DltDatasetWriter]):
        return writer.save(context, SCORES, dataset="raw", table="t")

    return into_raw


@pytest.mark.parametrize("data", [{"player": "ada"}, "ada,10", 42, [("ada", 10)]])
def test_unsupported_objects_fail_listing_what_can_be_saved(
    tmp_path: Path, duckdb_path: Path, data: Any
):
    writer = DltDatasetWriter([WritableDataset(reports_pipeline(tmp_path, duckdb_path))])

    with pytest.raises(DltUnsupportedDataError) as raised:
        writer.save(None, data, dataset="reports", table="scores")

    message = str(raised.value)
    for supported in ("pandas.DataFrame", "pyarrow.Table", "list of dicts"):
        assert supported in message
    assert not duckdb_path.exists()


def test_contracts_are_validated_when_declared(tmp_path: Path, duckdb_path: Path):
    pipeline = reports_pipeline(tmp_path, duckdb_path)

    with pytest.raises(DagsterDltError, match="Unknown schema contract mode 'frozen'"):
        WritableDataset(pipeline, schema_contract="frozen")
    with pytest.raises(DagsterDltError, match="Unknown schema contract entity 'rows'"):
        WritableDataset(pipeline, schema_contract={"rows": "freeze"})  # type: ignore[dict-item]
    with pytest.raises(DagsterDltError, match="declared twice"):
        DltDatasetWriter([WritableDataset(pipeline), WritableDataset(pipeline)])
    assert validate_contract({"columns": "discard_value"}) == {"columns": "discard_value"}
    assert (
        DltDatasetWriter([WritableDataset(pipeline, schema_contract="freeze")]).contract_of(
            "reports"
        )
        == "freeze"
    )


def test_saving_into_the_filesystem_destination(tmp_path: Path):
    bucket = tmp_path / "lake"
    pipeline = dlt.pipeline(
        "fs_writer",
        pipelines_dir=str(tmp_path / "pipelines"),
        destination=dlt.destinations.filesystem(bucket.as_uri()),
        dataset_name="reports",
    )
    writer = DltDatasetWriter([WritableDataset(pipeline, schema_contract={"columns": "freeze"})])

    result = writer.save(None, pd.DataFrame(SCORES), dataset="reports", table="scores")
    with pytest.raises(DltContractViolationError):
        writer.save(
            None, [{"player": "x", "score": 1, "new": 1}], dataset="reports", table="scores"
        )

    assert result.metadata["rows_loaded"].value == 2
    assert sorted(pipeline.dataset().scores.select("player").fetchall()) == [("ada",), ("grace",)]


def test_saving_into_snowflake_through_the_emulator(snowflake_env: dict[str, str]):
    pipeline = dlt.pipeline("snow_writer", destination="snowflake", dataset_name="reports")
    writer = DltDatasetWriter([WritableDataset(pipeline, schema_contract={"columns": "freeze"})])

    result = writer.save(None, SCORES, dataset="reports", table="scores")
    with pytest.raises(DltContractViolationError, match="column 'level'"):
        writer.save(
            None, [{"player": "x", "score": 1, "level": 2}], dataset="reports", table="scores"
        )

    assert result.metadata["rows_loaded"].value == 2
    assert sorted(pipeline.dataset().scores.select("player").fetchall()) == [("ada",), ("grace",)]


def test_a_contract_violation_says_what_is_true_and_how_to_fix_it(
    tmp_path: Path, duckdb_path: Path
):
    """dlt's own failure says pending packages are left and to run `dlt pipeline ...
    abort-packages`; a refused save leaves none, so that advice must not reach the user."""
    pipeline = reports_pipeline(tmp_path, duckdb_path)
    writer = DltDatasetWriter([WritableDataset(pipeline, schema_contract={"columns": "freeze"})])
    writer.save(None, SCORES, dataset="reports", table="scores")
    wider = [{**row, "level": 3} for row in SCORES]

    result = materialize([scores_asset(wider)], resources={"writer": writer}, raise_on_error=False)

    message = step_failure_text(result)
    assert "column 'level' of table 'scores'" in message
    assert "the contract on columns is 'freeze'" in message
    assert "relax the contract on columns" in message and "schema_contract=" in message
    assert "abort-packages" not in message and "Pending packages" not in message
    assert "re-tried" not in message
    # Nor is any package left where dlt's tools would show it.
    reader = dlt.attach("reports_writer", pipelines_dir=str(tmp_path / "pipelines"))
    assert not reader.has_pending_data
    assert reader.list_extracted_load_packages() == []


# "str" is pandas 3's string dtype; object is how pandas 2 (and pandas 3 on request) keeps
# strings, which Arrow types as null when there is no value.
@pytest.mark.parametrize("text_dtype", ["str", object])
def test_a_first_save_of_an_empty_frame_creates_the_table_with_its_columns(
    tmp_path: Path, duckdb_path: Path, text_dtype: Any
):
    writer = DltDatasetWriter([WritableDataset(reports_pipeline(tmp_path, duckdb_path))])
    empty = pd.DataFrame(
        {"player": pd.Series([], dtype=text_dtype), "score": pd.Series([], dtype="int64")}
    )

    result = materialize([scores_asset(empty)], resources={"writer": writer})

    assert result.success
    assert rows(duckdb_path, "SELECT COUNT(*) FROM reports.scores") == [(0,)]
    assert columns(duckdb_path, "reports", "scores")[:2] == ["player", "score"]
    (event,) = result.get_asset_materialization_events()
    assert event.materialization.metadata["rows_loaded"].value == 0


@pytest.mark.parametrize("data", [pd.DataFrame(), []], ids=["frame_without_columns", "no_dicts"])
def test_a_first_save_of_nothing_warns_that_no_table_was_created(
    tmp_path: Path, duckdb_path: Path, data: Any
):
    writer = DltDatasetWriter([WritableDataset(reports_pipeline(tmp_path, duckdb_path))])
    instance = DagsterInstance.ephemeral()

    result = materialize([scores_asset(data)], resources={"writer": writer}, instance=instance)

    assert result.success
    warnings = [
        entry.user_message
        for entry in instance.all_logs(result.run_id)
        if entry.level >= 30 and "scores" in (entry.user_message or "")
    ]
    assert any(
        "no rows and no columns" in text and "table 'scores' was not created" in text
        for text in warnings
    ), warnings
    (event,) = result.get_asset_materialization_events()
    note = event.materialization.metadata["save_note"].value
    assert "table 'scores' was not created" in note


# A save killed mid-load, then run again: exactly once, as for runs (tests/durability/test_crash_safety.py).

SAVED_ROWS = 20_000  # 20 load jobs of 1,000 rows
OLD_ROWS = 1_000


def save_env(tmp_path: Path, disposition: str) -> dict[str, str]:
    (tmp_path / "tmp").mkdir(exist_ok=True)
    return process_env(
        tmp_path,
        SAVE_TARGET=str(tmp_path / "warehouse.duckdb"),
        SAVE_DISPOSITION=disposition,
        # Many small load jobs, loaded one at a time, so "after k jobs" is a real point.
        DATA_WRITER__FILE_MAX_ITEMS="1000",
        LOAD__WORKERS="1",
        TMPDIR=str(tmp_path / "tmp"),
    )


def save(
    env: dict[str, str],
    rows: int,
    batch: str,
    crash_at: Optional[str] = None,
    marker: Optional[Path] = None,
) -> subprocess.Popen:
    env = {**env, "SAVE_ROWS": str(rows), "SAVE_BATCH": batch}
    if crash_at:
        env.update(CRASH_AT=crash_at, CRASH_MARKER=str(marker))
    return subprocess.Popen(
        [dagster_cli(), "asset", "materialize", "-m", "tests.support.save_defs", "--select", "*"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, killed as a whole
    )


def batches(env: dict[str, str]) -> dict[str, tuple[int, int]]:
    """batch -> (rows, distinct ids) in the saved table."""
    found = rows(
        Path(env["SAVE_TARGET"]),
        "SELECT batch, COUNT(*), COUNT(DISTINCT id) FROM reports.scores GROUP BY 1 ORDER BY 1",
    )
    return {batch: (count, distinct) for batch, count, distinct in found}


def unfinished_loads(env: dict[str, str]) -> int:
    """Rows whose load id has no row in _dlt_loads: a load that never finished."""
    return rows(
        Path(env["SAVE_TARGET"]),
        "SELECT COUNT(*) FROM reports.scores WHERE _dlt_load_id NOT IN "
        "(SELECT load_id FROM reports._dlt_loads)",
    )[0][0]


def what_readers_see(tmp_path: Path, env: dict[str, str]) -> dict[str, int]:
    """batch -> rows, read as the input manager and the catalog read: through open_dataset."""
    reader = dlt.pipeline(
        "reports_writer",
        pipelines_dir=str(tmp_path / "reader"),
        destination=dlt.destinations.duckdb(env["SAVE_TARGET"]),
        dataset_name="reports",
    )
    frame = open_dataset(reader).table("scores").df()
    return frame.groupby("batch").size().to_dict()


def leftovers(tmp_path: Path, env: dict[str, str]) -> list[str]:
    """What killed saves left: run directories and temporary directories."""
    runs = Path(env["DLT_DATA_DIR"]) / "pipelines" / ".dagster-dlt" / "reports_writer" / "runs"
    found = [str(path) for path in runs.iterdir()] if runs.exists() else []
    return found + [str(path) for path in (tmp_path / "tmp").glob("dagster-dlt-save-*")]


@pytest.mark.slow
def test_an_append_save_killed_mid_load_then_run_again_saves_every_row_once(tmp_path: Path):
    env = save_env(tmp_path, "append")
    finish(save(env, OLD_ROWS, "old"))
    marker = tmp_path / "reached"
    kill_at(save(env, SAVED_ROWS, "new", "load:5", marker), marker)
    assert unfinished_loads(env) >= 4_000, "the kill came before any rows were written"

    output = finish(save(env, SAVED_ROWS, "new"))

    assert "Took back the unfinished load(s)" in output
    assert batches(env) == {"new": (SAVED_ROWS, SAVED_ROWS), "old": (OLD_ROWS, OLD_ROWS)}
    assert unfinished_loads(env) == 0
    assert leftovers(tmp_path, env) == []


@pytest.mark.slow
def test_a_replace_save_killed_mid_load_leaves_readers_the_old_table(tmp_path: Path):
    env = save_env(tmp_path, "replace")
    finish(save(env, OLD_ROWS, "old"))
    marker = tmp_path / "reached"
    kill_at(save(env, SAVED_ROWS, "new", "load:5", marker), marker)

    # Between the kill and the re-run: the old table, whole, and nothing of the new one.
    assert what_readers_see(tmp_path, env) == {"old": OLD_ROWS}
    assert batches(env) == {"old": (OLD_ROWS, OLD_ROWS)}

    finish(save(env, SAVED_ROWS, "new"))

    assert batches(env) == {"new": (SAVED_ROWS, SAVED_ROWS)}
    assert what_readers_see(tmp_path, env) == {"new": SAVED_ROWS}
    assert leftovers(tmp_path, env) == []
