"""A code location for benchmarks/split_steps.py: a ``sql_database`` source over a SQLite file,
as one step or split into ``SPLIT_BENCH_STEPS`` steps, in the job ``load``.

The environment says what to load: ``SPLIT_BENCH_DB`` (the SQLite file), ``SPLIT_BENCH_STEPS``
(1 for one ``@dlt_assets``), ``SPLIT_BENCH_DESTINATION`` (``filesystem`` or ``duckdb``) and
``SPLIT_BENCH_TARGET`` (its folder or file). Every table has an incremental cursor on ``id``.
"""

import os

import dlt
from dagster import AssetExecutionContext, Definitions, define_asset_job
from dlt.sources.sql_database import sql_database

from dagster_dlt import DagsterDltResource, build_dlt_assets_definitions, dlt_assets

PIPELINE = "split_bench"
DATASET = "bench"


def _destination():
    target = os.environ.get("SPLIT_BENCH_TARGET", "split_bench.duckdb")
    if os.environ.get("SPLIT_BENCH_DESTINATION", "duckdb") == "filesystem":
        return dlt.destinations.filesystem(bucket_url=target)
    return dlt.destinations.duckdb(target)


def _source():
    source = sql_database(
        credentials=f"sqlite:///{os.environ.get('SPLIT_BENCH_DB', 'split_bench.db')}",
        table_names=[f"t{i:02d}" for i in range(int(os.environ.get("SPLIT_BENCH_TABLES", "40")))],
        defer_table_reflect=True,
    )
    for resource in source.resources.values():
        resource.apply_hints(incremental=dlt.sources.incremental("id"))
    return source


pipeline = dlt.pipeline(pipeline_name=PIPELINE, destination=_destination(), dataset_name=DATASET)
steps = int(os.environ.get("SPLIT_BENCH_STEPS", "4"))

if steps > 1:
    assets = build_dlt_assets_definitions(dlt_source=_source(), dlt_pipeline=pipeline, split=steps)
else:

    @dlt_assets(dlt_source=_source(), dlt_pipeline=pipeline, name="one_step")
    def one_step(context: AssetExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context)

    assets = [one_step]

defs = Definitions(
    assets=assets,
    jobs=[define_asset_job("load", selection=assets)],
    resources={"dlt": DagsterDltResource()},
)


def restored_cursors(destination: str, target: str, pipelines_dir: str) -> dict[str, object]:
    """Each table's cursor as the next run of the pipeline restores it (``last_value``)."""
    from dagster_dlt.durability.parallel_state import merged_state, stored_states

    os.environ.update(SPLIT_BENCH_DESTINATION=destination, SPLIT_BENCH_TARGET=target)
    restoring = dlt.pipeline(
        pipeline_name=PIPELINE,
        pipelines_dir=pipelines_dir,
        destination=_destination(),
        dataset_name=DATASET,
    )
    restoring.sync_destination()
    state = merged_state(restoring.state, stored_states(restoring))
    resources = state.get("sources", {}).get("sql_database", {}).get("resources", {})
    return {
        name: resource.get("incremental", {}).get("id", {}).get("last_value")
        for name, resource in sorted(resources.items())
    }
