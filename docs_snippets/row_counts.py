"""Report each table's total row count, queried from the destination after the load."""

from dagster import AssetExecutionContext, Definitions

from dagster_dlt import DagsterDltResource, dlt_assets

from example_source import example, example_pipeline


@dlt_assets(dlt_source=example(), dlt_pipeline=example_pipeline, name="example_counted")
def example_counted_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
    # dagster/row_count on every materialization; partitioned runs add dagster/partition_row_count.
    yield from dlt.run(context=context).fetch_row_count()


defs = Definitions(assets=[example_counted_assets], resources={"dlt": DagsterDltResource()})
