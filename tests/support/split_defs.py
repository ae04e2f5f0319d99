"""A code location for the split tests: one source of eight append resources with incremental
cursors, split into four steps by hand (four ``@dlt_assets`` over one pipeline, what users did
before ``build_dlt_assets_definitions``) and by ``build_dlt_assets_definitions``.

Each resource yields ids 1..``SPLIT_IDS`` above its cursor; a lost cursor loads ids again, so
the tests count rows per id. ``SPLIT_TARGET`` is the DuckDB file; ``SPLIT_EXTRACT_SECONDS``
stretches each resource's extract so that the four steps overlap.
"""

import os
import time
from collections.abc import Iterator
from typing import Any

import dlt
from dagster import AssetExecutionContext, Definitions, define_asset_job

from dagster_dlt import DagsterDltResource, build_dlt_assets_definitions, dlt_assets

RESOURCES = [f"r{i}" for i in range(8)]
GROUPS = [RESOURCES[i : i + 2] for i in range(0, 8, 2)]


def ledger(name: str) -> Any:
    """A source named ``name`` of the eight append resources."""

    def entries(resource: str) -> Any:
        @dlt.resource(name=resource, primary_key="id", write_disposition="append")
        def rows(cursor=dlt.sources.incremental("id", initial_value=0)) -> Iterator[Any]:
            time.sleep(float(os.environ.get("SPLIT_EXTRACT_SECONDS", "1")))
            ids = int(os.environ.get("SPLIT_IDS", "100"))
            yield [{"id": i, "resource": resource} for i in range(cursor.start_value + 1, ids + 1)]

        return rows

    def resources() -> list[Any]:
        return [entries(resource) for resource in RESOURCES]

    return dlt.source(resources, name=name)()


def _pipeline(name: str) -> dlt.Pipeline:
    return dlt.pipeline(
        pipeline_name=name,
        destination=dlt.destinations.duckdb(os.environ.get("SPLIT_TARGET", "ledger.duckdb")),
        dataset_name=name,
    )


by_hand_pipeline = _pipeline("by_hand")


def _by_hand(index: int, group: list[str]) -> Any:
    @dlt_assets(
        dlt_source=ledger("by_hand").with_resources(*group),
        dlt_pipeline=by_hand_pipeline,
        name=f"by_hand_{index}",
    )
    def step(context: AssetExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context)

    return step


by_hand_steps = [_by_hand(index, group) for index, group in enumerate(GROUPS)]

split_steps = build_dlt_assets_definitions(
    dlt_source=ledger("split"), dlt_pipeline=_pipeline("split"), split=4
)

by_hand_job = define_asset_job("by_hand_job", selection=[f"dlt_by_hand_{r}" for r in RESOURCES])
split_job = define_asset_job("split_job", selection=[f"dlt_split_{r}" for r in RESOURCES])

defs = Definitions(
    assets=[*by_hand_steps, *split_steps],
    jobs=[by_hand_job, split_job],
    resources={"dlt": DagsterDltResource()},
)
