"""Definitions build: build the specs and validate Definitions for sources of N resources.

Each size runs in a fresh process, so import costs and caches of one size do not help another;
a small warm-up in that process keeps one-time import costs out of the figure.

Usage: python -m benchmarks.definitions_build [--sizes 10 100 1000 5000]
"""

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, sys, time
import dlt
from dagster import AssetExecutionContext, AssetSpec, Definitions
from dagster_dlt import DagsterDltResource, build_dlt_asset_specs, dlt_assets
from benchmarks.workloads import wide_source

def build(n, name, with_upstream):
    source = wide_source(n, 1, name=name)
    pipeline = dlt.pipeline(pipeline_name=name, destination="duckdb", pipelines_dir=sys.argv[2])
    start = time.perf_counter()
    specs = build_dlt_asset_specs(source, pipeline)
    specs_done = time.perf_counter()

    @dlt_assets(dlt_source=source, dlt_pipeline=pipeline, name=f"{name}_assets")
    def assets(context: AssetExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context)

    upstream = [AssetSpec(dep.asset_key) for spec in specs for dep in spec.deps] if with_upstream else []
    Definitions.validate_loadable(
        Definitions(assets=[assets, *upstream], resources={"dlt": DagsterDltResource()})
    )
    return specs_done - start, time.perf_counter() - start

def dagster_only(n):
    # The same asset graph with no dlt and no dagster-dlt: Dagster's own floor.
    from dagster import AssetKey, multi_asset
    start = time.perf_counter()
    specs = [
        AssetSpec(AssetKey(f"dlt_x_r{i}"), deps=[AssetKey(f"x_r{i}")], kinds={"dlt", "duckdb"})
        for i in range(n)
    ]

    @multi_asset(specs=specs, can_subset=True, name="plain_multi_asset")
    def assets(context):
        pass

    Definitions.validate_loadable(Definitions(assets=[assets]))
    return time.perf_counter() - start

build(10, "warmup", False)
dagster_only(10)
n = int(sys.argv[1])
specs_s, total_s = build(n, "bench", False)
_, total_up_s = build(n, "bench_up", True)
floor_s = dagster_only(n)
print(json.dumps({"resources": n, "specs_s": specs_s, "total_s": total_s, "total_with_upstream_s": total_up_s, "dagster_only_s": floor_s}))
"""


def measure(n: int) -> dict[str, float]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(n), tmp], capture_output=True, text=True, check=True
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000, 5000])
    args = parser.parse_args()
    for n in args.sizes:
        print(json.dumps(measure(n)))


if __name__ == "__main__":
    main()
