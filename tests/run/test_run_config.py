"""Run configuration (DltRunConfig): refresh, write_disposition and run_kwargs without a code change."""

import dlt
import pytest
from dagster import (
    AssetExecutionContext,
    AssetKey,
    DagsterInstance,
    Definitions,
    RunConfig,
    ScheduleDefinition,
    define_asset_job,
    materialize,
)

from dagster_dlt import DagsterDltResource, DltRunConfig, DltRunConfigError, dlt_assets
from tests.support.dlt_fixtures import count_rows, table_exists


@dlt.source
def ledger():
    @dlt.resource(write_disposition="append")
    def entries():
        yield [{"id": 1}, {"id": 2}]

    @dlt.resource(write_disposition="append")
    def notes():
        yield [{"text": "hi"}]

    return entries, notes


def build(pipeline):
    @dlt_assets(dlt_source=ledger(), dlt_pipeline=pipeline, name="ledger_assets")
    def ledger_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context)

    return ledger_assets


def run(assets, config=None, selection=None, instance=None):
    return materialize(
        [assets],
        resources={"dlt": DagsterDltResource()},
        run_config={"ops": {"ledger_assets": {"config": config}}} if config else None,
        selection=selection,
        instance=instance,
    )


def test_defaults_change_nothing_and_overrides_apply_to_one_run(make_pipeline, duckdb_path):
    assets = build(make_pipeline())
    assert run(assets).success and run(assets).success
    assert count_rows(duckdb_path, "raw", "entries") == 4  # append, twice

    assert run(assets, {"write_disposition": "replace"}).success
    assert count_rows(duckdb_path, "raw", "entries") == 2

    assert run(assets, {"refresh": "drop_data"}).success
    assert count_rows(duckdb_path, "raw", "entries") == 2

    result = run(assets, {"run_kwargs": {"loader_file_format": "parquet"}})
    assert result.success
    jobs = result.asset_materializations_for_node("ledger_assets")[0].metadata["jobs"].value
    assert {job["file_format"] for job in jobs} == {"parquet"}
    assert count_rows(duckdb_path, "raw", "entries") == 4


def test_drop_sources_on_a_subset_drops_only_the_selected_tables(make_pipeline, duckdb_path):
    assets = build(make_pipeline())
    assert run(assets).success and run(assets).success
    assert count_rows(duckdb_path, "raw", "notes") == 2

    entries = AssetKey("dlt_ledger_entries")
    assert run(assets, {"refresh": "drop_sources"}, selection=[entries]).success

    assert count_rows(duckdb_path, "raw", "entries") == 2
    assert count_rows(duckdb_path, "raw", "notes") == 2, "an unselected table was dropped"


@pytest.mark.parametrize(
    ("config", "field", "allowed"),
    [
        ({"refresh": "drop_everything"}, "'refresh'", "drop_sources, drop_resources, drop_data"),
        ({"write_disposition": "upsert"}, "'write_disposition'", "skip, append, replace, merge"),
        ({"run_kwargs": {"data": [1]}}, "'run_kwargs'", "loader_file_format"),
    ],
)
def test_bad_configuration_fails_before_any_data_moves(
    make_pipeline, duckdb_path, config, field, allowed
):
    assets = build(make_pipeline())
    assert run(assets).success

    with pytest.raises(DltRunConfigError) as raised:
        run(assets, config)

    assert field in str(raised.value) and allowed in str(raised.value)
    assert count_rows(duckdb_path, "raw", "entries") == 2


def test_a_full_refresh_job_and_its_schedule_next_to_the_normal_one(make_pipeline, duckdb_path):
    assets = build(make_pipeline())
    normal = define_asset_job("ledger", selection=[assets])
    full_refresh = define_asset_job(
        "ledger_full_refresh",
        selection=[assets],
        config=RunConfig(ops={"ledger_assets": DltRunConfig(refresh="drop_sources")}),
    )
    weekly = ScheduleDefinition(job=full_refresh, cron_schedule="0 3 * * 0")
    defs = Definitions(
        assets=[assets],
        jobs=[normal, full_refresh],
        schedules=[weekly],
        resources={"dlt": DagsterDltResource()},
    )
    instance = DagsterInstance.ephemeral()
    assert defs.resolve_job_def("ledger").execute_in_process(instance=instance).success
    assert defs.resolve_job_def("ledger").execute_in_process(instance=instance).success
    assert count_rows(duckdb_path, "raw", "entries") == 4

    assert defs.resolve_job_def("ledger_full_refresh").execute_in_process(instance=instance).success
    assert count_rows(duckdb_path, "raw", "entries") == 2
    assert defs.resolve_schedule_def(weekly.name).job_name == "ledger_full_refresh"


class LedgerConfig(DltRunConfig):
    note: str = "none"


def test_a_function_with_its_own_config_keeps_it_and_combines_by_subclassing(
    make_pipeline, duckdb_path
):
    seen = []

    @dlt_assets(dlt_source=ledger(), dlt_pipeline=make_pipeline(), name="ledger_assets")
    def ledger_assets(
        context: AssetExecutionContext, dlt: DagsterDltResource, config: LedgerConfig
    ):
        seen.append(config.note)
        yield from dlt.run(context=context)

    assert run(ledger_assets).success
    assert run(ledger_assets, {"note": "second", "write_disposition": "replace"}).success
    assert seen == ["none", "second"]
    assert count_rows(duckdb_path, "raw", "entries") == 2
    assert table_exists(duckdb_path, "raw", "notes")
