"""Wide runs: a source of many resources, materialized through Dagster against plain dlt.

Usage: python -m benchmarks.wide_runs [--resources 200] [--rows 1000] [--repeats 3]
"""

import argparse
import json
import statistics
from typing import Any

from dagster import (
    AssetKey,
    AssetSpec,
    DagsterInstance,
    MaterializeResult,
    materialize,
    multi_asset,
)

from benchmarks.workloads import Clock, compare, run_dagster, run_plain, wide_source


def sample_metadata(rows: int) -> dict[str, Any]:
    """The metadata dagster-dlt reports for one resource of ``rows`` rows, from a real run."""
    instance = DagsterInstance.ephemeral()
    run_dagster(lambda: wide_source(1, rows), instance=instance)
    event = instance.get_latest_materialization_event(AssetKey("dlt_wide_r0"))
    assert event is not None and event.asset_materialization is not None
    return dict(event.asset_materialization.metadata)


def dagster_floor(resources: int, repeats: int, metadata: dict[str, Any]) -> float:
    """Seconds Dagster itself takes for a run of the same shape with no dlt and no dagster-dlt:
    one step of ``resources`` assets, each with its upstream dependency, each reporting a
    materialization with the same metadata. The part of the overhead no integration can remove."""
    specs = [
        AssetSpec(f"dlt_wide_r{i}", deps=[f"wide_r{i}"], kinds={"dlt", "duckdb"})
        for i in range(resources)
    ]

    times = []
    for _ in range(repeats + 1):
        instance = DagsterInstance.ephemeral()
        with Clock() as clock:

            @multi_asset(specs=specs, name="floor", can_subset=True)
            def floor(context):
                for i in range(resources):
                    yield MaterializeResult(asset_key=f"dlt_wide_r{i}", metadata=metadata)

            materialize([floor], instance=instance)
        times.append(clock.timing[0])
    return statistics.median(times[1:])


def measure(resources: int, rows: int, repeats: int) -> dict[str, float]:
    run_plain(lambda: wide_source(5, 10))
    run_dagster(lambda: wide_source(5, 10))
    result = compare(
        lambda: run_plain(lambda: wide_source(resources, rows)),
        lambda: run_dagster(lambda: wide_source(resources, rows)),
        repeats,
    )
    floor = dagster_floor(resources, repeats, sample_metadata(rows))
    integration = result["dagster_wall_s"] - result["plain_wall_s"] - floor
    return {
        "resources": resources,
        "rows_per_resource": rows,
        **result,
        "dagster_floor_s": round(floor, 3),
        "floor_ratio": round((result["plain_wall_s"] + floor) / result["plain_wall_s"], 3),
        "integration_overhead_s": round(integration, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--resources", type=int, default=200)
    parser.add_argument("--rows", type=int, default=1_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(measure(args.resources, args.rows, args.repeats)))


if __name__ == "__main__":
    main()
