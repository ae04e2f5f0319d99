"""Wide runs: a source of many resources, materialized through Dagster against plain dlt.

Usage: python -m benchmarks.wide_runs [--resources 200] [--rows 1000] [--repeats 5]
"""

import argparse
import json
from collections.abc import Callable
from typing import Any

from dagster import (
    AssetKey,
    AssetSpec,
    DagsterInstance,
    MaterializeResult,
    materialize,
    multi_asset,
)

from benchmarks.workloads import (
    Clock,
    Timing,
    median,
    run_dagster,
    run_plain,
    run_rounds,
    wide_source,
)


def sample_metadata(rows: int) -> dict[str, Any]:
    """The metadata dagster-dlt reports for one resource of ``rows`` rows, from a real run."""
    instance = DagsterInstance.ephemeral()
    run_dagster(lambda: wide_source(1, rows), instance=instance)
    event = instance.get_latest_materialization_event(AssetKey("dlt_wide_r0"))
    assert event is not None and event.asset_materialization is not None
    return dict(event.asset_materialization.metadata)


def run_floor(resources: int, metadata: dict[str, Any]) -> Timing:
    """Time a Dagster run of the same shape with no dlt and no dagster-dlt: one step of
    ``resources`` assets, each with its upstream dependency, each reporting a materialization
    with the same metadata. The part of the overhead no integration can remove."""
    specs = [
        AssetSpec(f"dlt_wide_r{i}", deps=[f"wide_r{i}"], kinds={"dlt", "duckdb"})
        for i in range(resources)
    ]
    instance = DagsterInstance.ephemeral()
    with Clock() as clock:

        @multi_asset(specs=specs, name="floor", can_subset=True)
        def floor(context):
            for i in range(resources):
                yield MaterializeResult(asset_key=f"dlt_wide_r{i}", metadata=metadata)

        materialize([floor], instance=instance)
    return clock.timing


def measure(resources: int, rows: int, repeats: int) -> dict[str, float]:
    """Plain dlt, dagster-dlt and Dagster alone, in rounds (see ``run_rounds``); each figure is
    the median over the rounds of what that round measured."""
    metadata = sample_metadata(rows)
    sides: dict[str, Callable[[], Timing]] = {
        "plain": lambda: run_plain(lambda: wide_source(resources, rows)),
        "dagster": lambda: run_dagster(lambda: wide_source(resources, rows)),
        "floor": lambda: run_floor(resources, metadata),
    }
    run_plain(lambda: wide_source(5, 10))
    run_dagster(lambda: wide_source(5, 10))
    run_floor(5, metadata)
    rounds = run_rounds(sides, repeats)

    wall = {name: [r[name][0] for r in rounds] for name in sides}
    return {
        "resources": resources,
        "rows_per_resource": rows,
        "plain_wall_s": median(wall["plain"]),
        "dagster_wall_s": median(wall["dagster"]),
        "wall_ratio": median(r["dagster"][0] / r["plain"][0] for r in rounds),
        "cpu_ratio": median(r["dagster"][1] / r["plain"][1] for r in rounds),
        "dagster_floor_s": median(wall["floor"]),
        "floor_ratio": median((r["plain"][0] + r["floor"][0]) / r["plain"][0] for r in rounds),
        "integration_overhead_s": median(
            r["dagster"][0] - r["plain"][0] - r["floor"][0] for r in rounds
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--resources", type=int, default=200)
    parser.add_argument("--rows", type=int, default=1_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps(measure(args.resources, args.rows, args.repeats)))


if __name__ == "__main__":
    main()
