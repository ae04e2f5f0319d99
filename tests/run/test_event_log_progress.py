"""dlt's progress and warnings reach the step's event log through @dlt_assets, once each."""

import dlt
from dagster import AssetExecutionContext, DagsterInstance, materialize

from dagster_dlt import DagsterDltResource, dlt_assets
from tests.support.dlt_fixtures import shop


def messages(instance: DagsterInstance, run_id: str) -> list[str]:
    return [entry.user_message for entry in instance.all_logs(run_id)]


def test_a_log_progress_pipeline_reports_each_step_once_in_the_event_log(
    tmp_path, duckdb_path, capsys
):
    pipeline = dlt.pipeline(
        pipeline_name="logged",
        pipelines_dir=str(tmp_path / "pipelines"),
        destination=dlt.destinations.duckdb(str(duckdb_path)),
        dataset_name="raw",
        progress="log",  # as Dagster's guide writes it
    )

    @dlt_assets(dlt_source=shop(), dlt_pipeline=pipeline)
    def assets(context: AssetExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context)

    instance = DagsterInstance.ephemeral()
    result = materialize(
        [assets],
        resources={"dlt": DagsterDltResource(progress_interval_seconds=60)},
        instance=instance,
    )

    assert result.success
    logged = messages(instance, result.run_id)
    for step in ("Extract", "Normalize", "Load"):
        lines = [m for m in logged if m.startswith(f"dlt {step} shop")]
        assert len(lines) == 1, (step, lines)
    assert any("rows" in m for m in logged if m.startswith("dlt Extract shop"))
    # progress="log" printed nothing of its own: the event log has it once.
    assert "------" not in capsys.readouterr().out


def test_dlt_warnings_reach_the_event_log(make_pipeline):
    @dlt.source(name="sparse")
    def sparse():
        @dlt.resource
        def rows():
            yield [{"id": 1, "empty": None}]

        return rows

    @dlt_assets(dlt_source=sparse(), dlt_pipeline=make_pipeline())
    def assets(context: AssetExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context)

    instance = DagsterInstance.ephemeral()
    result = materialize([assets], resources={"dlt": DagsterDltResource()}, instance=instance)

    assert result.success
    warnings = [m for m in messages(instance, result.run_id) if "did not receive any data" in m]
    assert len(warnings) == 1, warnings
