"""Definitions load with nested tables as assets: a source of N resources with 3 nested tables
each, built from a dlt schema, with ``nested_tables="assets"`` (4N assets) and without (N).

The ratio of the two is set against Dagster's own: the same graphs (N and 4N specs, nested ones
depending on their parent) built with a plain ``@multi_asset``. If the two ratios match, nested
assets cost what Dagster charges per asset and nothing of ours beyond building each spec.

Each figure is the median of three builds in a fresh process, alternating ours and Dagster's.

Usage: python -m benchmarks.nested_assets_load [--resources 100]
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
from dlt.common.schema import Schema
from dlt.common.schema.utils import new_column, new_table
from dagster_dlt import DagsterDltResource, dlt_assets
from benchmarks.workloads import wide_source

N, PIPELINES_DIR, NESTED = int(sys.argv[1]), sys.argv[2], 3

def schema_of(name):
    # What dlt stores after loading rows like {"id": 1, "c0": [...], "c1": [...], "c2": [...]}.
    schema = Schema(name)
    for i in range(N):
        root = f"r{i}"
        columns = [new_column("id", "bigint"), new_column("_dlt_load_id", "text"),
                   new_column("_dlt_id", "text")]
        schema.update_table(new_table(root, columns=columns, resource=root))
        for j in range(NESTED):
            child = [new_column("value", "text"), new_column("_dlt_parent_id", "text"),
                     new_column("_dlt_list_idx", "bigint"), new_column("_dlt_id", "text")]
            schema.update_table(new_table(f"{root}__c{j}", parent_table_name=root, columns=child))
    return schema

def ours(name, nested):
    source = wide_source(N, 1, name=name)
    schema = schema_of(source.schema.name)
    pipeline = dlt.pipeline(pipeline_name=name, destination="duckdb", pipelines_dir=PIPELINES_DIR)
    gc.collect()
    start = time.perf_counter()

    @dlt_assets(dlt_source=source, dlt_pipeline=pipeline, name=f"{name}_assets",
                dlt_schema=schema, nested_tables="assets" if nested else "metadata")
    def assets(context: AssetExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context)

    Definitions.validate_loadable(Definitions(assets=[assets], resources={"dlt": DagsterDltResource()}))
    elapsed = time.perf_counter() - start
    assert len(assets.keys) == N * (1 + NESTED if nested else 1), len(assets.keys)
    return elapsed

def dagster_only(name, nested):
    source = wide_source(N, 1, name=name)  # held by a code location either way
    gc.collect()
    start = time.perf_counter()
    specs = []
    for i in range(N):
        root = AssetKey(f"dlt_{name}_r{i}")
        specs.append(AssetSpec(root, deps=[AssetKey(f"{name}_r{i}")], kinds={"dlt", "duckdb"}))
        if nested:
            specs += [AssetSpec(AssetKey(f"dlt_{name}_r{i}__c{j}"), deps=[root], kinds={"dlt", "duckdb"})
                      for j in range(NESTED)]

    @multi_asset(specs=specs, can_subset=True, name=f"{name}_plain")
    def assets(context):
        pass

    Definitions.validate_loadable(Definitions(assets=[assets]))
    elapsed = time.perf_counter() - start
    del source
    return elapsed

ours("warm", True); dagster_only("warm", True)
runs = {"ours_flat_s": [], "ours_nested_s": [], "dagster_flat_s": [], "dagster_nested_s": []}
for i in range(3):
    pair = [("ours", ours), ("dagster", dagster_only)]
    for who, measure in pair if i % 2 == 0 else reversed(pair):
        runs[f"{who}_flat_s"].append(measure(f"{who[0]}f{i}", False))
        runs[f"{who}_nested_s"].append(measure(f"{who[0]}n{i}", True))
r = {"resources": N, "nested_per_resource": NESTED,
     **{k: round(statistics.median(v), 4) for k, v in runs.items()}}
r["ours_ratio"] = round(r["ours_nested_s"] / r["ours_flat_s"], 2)
r["dagster_ratio"] = round(r["dagster_nested_s"] / r["dagster_flat_s"], 2)
print(json.dumps(r))
"""


def measure(resources: int = 100) -> dict[str, float]:
    """Figures for ``resources`` resources with 3 nested tables each, in a fresh process."""
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(resources), tmp],
            capture_output=True,
            text=True,
            check=True,
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--resources", type=int, default=100)
    print(json.dumps(measure(parser.parse_args().resources)), flush=True)


if __name__ == "__main__":
    main()
