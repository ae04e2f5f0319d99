"""Wide runs: a source of many resources, materialized through Dagster against plain dlt.

Usage: python -m benchmarks.wide_runs [--resources 200] [--rows 1000] [--repeats 3]
"""

import argparse
import json
import statistics
import time

from dagster import AssetSpec, DagsterInstance, MaterializeResult, materialize, multi_asset

from benchmarks.workloads import compare, run_dagster, run_plain, wide_source


def dagster_floor(resources: int, repeats: int) -> float:
    """Seconds Dagster itself takes to run one step that reports ``resources`` materializations,
    with no dlt and no dagster-dlt: the part of the overhead no integration can remove."""

    @multi_asset(specs=[AssetSpec(f"a{i}") for i in range(resources)], name="floor")
    def floor(context):
        for i in range(resources):
            yield MaterializeResult(asset_key=f"a{i}", metadata={"rows_loaded": i})

    times = []
    for _ in range(repeats + 1):
        instance = DagsterInstance.ephemeral()
        start = time.perf_counter()
        materialize([floor], instance=instance)
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:])


def measure(resources: int, rows: int, repeats: int) -> dict[str, float]:
    run_plain(lambda: wide_source(5, 10))
    run_dagster(lambda: wide_source(5, 10))
    result = compare(
        lambda: run_plain(lambda: wide_source(resources, rows)),
        lambda: run_dagster(lambda: wide_source(resources, rows)),
        repeats,
    )
    floor = dagster_floor(resources, repeats)
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
