"""Definitions build: build the assets of a source of N resources and validate the Definitions.

What a code location pays at load time for ``@dlt_assets``: the decorator (specs and op) plus
``Definitions.validate_loadable``, by default and with the opt-in asset checks
(``total_with_checks_s``; Dagster builds one check spec per asset, a quarter of the cost). Next to it, the same asset graph (same keys, upstream deps and
kinds) built with a plain ``@multi_asset`` and no dlt: Dagster's own cost for that graph, which no
integration can go below. The difference is what dagster-dlt adds.

Each size runs in a fresh process, so import costs and caches of one size do not help another; a
small warm-up in that process keeps one-time import costs out of the figures. Each figure is the
median of three builds, alternating ours and Dagster's alone so that load on a shared machine hits
both alike.

Usage: python -m benchmarks.definitions_build [--sizes 10 100 1000 5000]
"""

import argparse
import json
import subprocess
import sys
import tempfile

CHILD = r"""
import gc, json, statistics, sys, time
import dlt
from dagster import AssetExecutionContext, AssetKey, AssetSpec, Definitions, multi_asset
from dagster_dlt import DagsterDltResource, build_dlt_asset_specs, dlt_assets
from benchmarks.workloads import wide_source

PIPELINES_DIR = sys.argv[2]

def pipeline_for(name):
    return dlt.pipeline(pipeline_name=name, destination="duckdb", pipelines_dir=PIPELINES_DIR)

def specs_only(n, name):
    source, pipeline = wide_source(n, 1, name=name), pipeline_for(name)
    gc.collect()  # each build starts from the same collector state, not the set-up's debt
    start = time.perf_counter()
    build_dlt_asset_specs(source, pipeline)
    return time.perf_counter() - start

def ours(n, name, with_upstream=False, checks=False):
    source, pipeline = wide_source(n, 1, name=name), pipeline_for(name)
    upstream = [AssetSpec(f"{name}_r{i}") for i in range(n)] if with_upstream else []
    gc.collect()
    start = time.perf_counter()

    @dlt_assets(
        dlt_source=source, dlt_pipeline=pipeline, name=f"{name}_assets",
        schema_drift_check=checks, contract_check=checks,
    )
    def assets(context: AssetExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context)

    Definitions.validate_loadable(
        Definitions(assets=[assets, *upstream], resources={"dlt": DagsterDltResource()})
    )
    return time.perf_counter() - start

def dagster_only(n, name):
    # The same asset graph built by Dagster alone: Dagster's own floor. The dlt source is built
    # too, though not used, because a code location holds it either way: its objects make every
    # collection Dagster triggers slower, and that is not the integration's cost.
    source = wide_source(n, 1, name=name)
    gc.collect()
    start = time.perf_counter()
    specs = [
        AssetSpec(AssetKey(f"dlt_{name}_r{i}"), deps=[AssetKey(f"{name}_r{i}")], kinds={"dlt", "duckdb"})
        for i in range(n)
    ]

    @multi_asset(specs=specs, can_subset=True, name=f"{name}_plain")
    def assets(context):
        pass

    Definitions.validate_loadable(Definitions(assets=[assets]))
    elapsed = time.perf_counter() - start
    del source
    return elapsed

ours(10, "warm"); dagster_only(10, "warm"); specs_only(10, "warm_specs")
n = int(sys.argv[1])
runs = {
    "total_s": [], "dagster_only_s": [], "specs_s": [], "total_with_upstream_s": [],
    "total_with_checks_s": [],
}
for i in range(3):
    pair = [("total_s", lambda: ours(n, f"b{i}")), ("dagster_only_s", lambda: dagster_only(n, f"f{i}"))]
    for key, measure in pair if i % 2 == 0 else reversed(pair):
        runs[key].append(measure())
    runs["specs_s"].append(specs_only(n, f"s{i}"))
    runs["total_with_upstream_s"].append(ours(n, f"u{i}", with_upstream=True))
    runs["total_with_checks_s"].append(ours(n, f"c{i}", checks=True))
result = {"resources": n, **{k: round(statistics.median(v), 4) for k, v in runs.items()}}
result["integration_s"] = round(result["total_s"] - result["dagster_only_s"], 4)
result["specs_us_per_resource"] = round(result["specs_s"] / n * 1e6, 1)
result["checks_off_vs_on"] = round(result["total_s"] / result["total_with_checks_s"], 3)
print(json.dumps(result))
"""


def measure(n: int) -> dict[str, float]:
    """Figures for a source of ``n`` resources, measured in a fresh process."""
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
        print(json.dumps(measure(n)), flush=True)


if __name__ == "__main__":
    main()
