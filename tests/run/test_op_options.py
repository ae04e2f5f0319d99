"""Options of the op behind @dlt_assets: pool, op_tags, hooks."""

from dagster import AssetExecutionContext, AssetKey, HookContext, materialize, success_hook

from dagster_dlt import DagsterDltResource, dlt_assets
from tests.support.dlt_fixtures import shop


def test_pool_and_op_tags_reach_the_op(make_pipeline):
    @dlt_assets(
        dlt_source=shop(),
        dlt_pipeline=make_pipeline(),
        pool="duckdb_writer",
        op_tags={"team": "ingest", "dagster/max_retries": "2"},
    )
    def tagged(context: AssetExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context)

    assert tagged.op.pool == "duckdb_writer"
    assert tagged.op.tags["team"] == "ingest"
    assert tagged.op.tags["dagster/max_retries"] == "2"


def test_hooks_run_after_the_step(make_pipeline):
    seen: list[str] = []

    @success_hook
    def record_success(context: HookContext):
        seen.append(context.op.name)

    @dlt_assets(dlt_source=shop(), dlt_pipeline=make_pipeline(), hooks={record_success})
    def hooked(context: AssetExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context)

    result = materialize(
        [hooked],
        resources={"dlt": DagsterDltResource()},
        selection=[AssetKey("dlt_shop_customers")],
    )
    assert result.success
    assert seen == ["hooked"]
