"""Running a dlt source from a plain @op job: AssetMaterialization events, required arguments."""

import pytest
from dagster import AssetKey, DagsterInstance, OpExecutionContext, job, op

from dagster_dlt import DagsterDltResource, DagsterDltTranslator
from dagster_dlt.errors import DagsterDltError
from tests.support.dlt_fixtures import count_rows, shop


def test_op_job_loads_and_reports_asset_materializations(make_pipeline, duckdb_path):
    pipeline = make_pipeline()

    class Prefixed(DagsterDltTranslator):
        def get_asset_spec(self, data):
            return (
                super()
                .get_asset_spec(data)
                .replace_attributes(key=AssetKey(["op", data.resource.name]))
            )

    @op(out={})
    def load_shop(context: OpExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(
            context=context,
            dlt_source=shop(),
            dlt_pipeline=pipeline,
            dagster_dlt_translator=Prefixed(),
        ).fetch_row_count()

    @job(resource_defs={"dlt": DagsterDltResource()})
    def shop_job():
        load_shop()

    instance = DagsterInstance.ephemeral()
    result = shop_job.execute_in_process(instance=instance)

    assert result.success
    events = {
        e.asset_key: e.materialization.metadata for e in result.get_asset_materialization_events()
    }
    assert set(events) == {
        AssetKey(["op", "customers"]),
        AssetKey(["op", "orders"]),
        AssetKey(["op", "events"]),
    }
    assert events[AssetKey(["op", "orders"])]["rows_loaded"].value == 6
    assert events[AssetKey(["op", "orders"])]["dagster/row_count"].value == 6
    assert count_rows(duckdb_path, "raw", "orders") == 6
    # The events are recorded against the asset keys, so they show in the asset catalog.
    assert instance.get_latest_materialization_event(AssetKey(["op", "customers"])) is not None


def test_op_without_source_or_pipeline_gets_a_clear_error(make_pipeline):
    @op(out={})
    def no_source(context: OpExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context, dlt_pipeline=make_pipeline())

    @op(out={})
    def no_pipeline(context: OpExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context, dlt_source=shop())

    for the_op, missing in ((no_source, "dlt_source"), (no_pipeline, "dlt_pipeline")):
        the_job = _job_of(the_op, f"job_{missing}")
        with pytest.raises(
            DagsterDltError, match=f"pass {missing}=.*required when called from an @op"
        ):
            the_job.execute_in_process()


def _job_of(the_op, name):
    @job(resource_defs={"dlt": DagsterDltResource()}, name=name)
    def the_job():
        the_op()

    return the_job
