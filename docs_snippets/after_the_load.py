"""After the load: dlt's LoadInfo, and the loaded data through the pipeline's dataset."""

from dagster import AssetExecutionContext, Definitions

from dagster_dlt import DagsterDltResource, dlt_assets

from example_source import example, example_pipeline


@dlt_assets(dlt_source=example(), dlt_pipeline=example_pipeline, name="example_checked")
def example_checked_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
    events = dlt.run(context=context)
    yield from events  # the run happens here
    # dlt's own LoadInfo, and a pipeline attached to what the run left behind.
    context.log.info(f"dlt loaded {', '.join(events.load_info.loads_ids)}")
    titles = sorted(t for (t,) in events.pipeline.dataset().courses.select("title").fetchall())
    context.log.info(f"{len(titles)} courses now: {', '.join(titles)}")


defs = Definitions(assets=[example_checked_assets], resources={"dlt": DagsterDltResource()})
