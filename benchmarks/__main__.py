"""Run every benchmark and print a Markdown table of the figures.

Usage: python -m benchmarks [--quick]

--quick shrinks every workload (for checking that the scripts run, not for figures).
"""

import argparse
import json
import platform
import sys

from benchmarks import (
    crash_resume,
    definitions_build,
    nested_assets_load,
    parallel_partitions,
    peak_memory,
    run_overhead,
    state_backed_load,
    wide_runs,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    quick = args.quick
    rows = []

    def report(name: str, figure: str, target: str, raw: dict) -> None:
        rows.append((name, figure, target))
        print(json.dumps({"benchmark": name, **raw}), file=sys.stderr, flush=True)

    sizes = [10, 100, 1000] if quick else [10, 100, 1000, 5000]
    for n in sizes:
        r = definitions_build.measure(n)
        report(
            f"definitions build, {n} resources",
            f"{r['total_s']:.3f} s; Dagster alone with the same graph {r['dagster_only_s']:.3f} s, "
            f"so dagster-dlt adds {r['integration_s']:.3f} s (specs {r['specs_s']:.3f} s, "
            f"{r['specs_us_per_resource']:.0f} us per resource); with the upstream keys defined "
            f"as assets {r['total_with_upstream_s']:.3f} s",
            "<= 0.25 s at 1000, linear" if n == 1000 else "linear",
            r,
        )

    r = nested_assets_load.measure(20 if quick else 100)
    report(
        f"definitions load, {r['resources']} resources with 3 nested tables each as assets",
        f"{r['ours_nested_s']:.2f} s with nested assets vs {r['ours_flat_s']:.2f} s without: "
        f"{r['ours_ratio']:.2f}x; Dagster's own multi_asset of the same graphs "
        f"{r['dagster_ratio']:.2f}x",
        "ratio <= Dagster's own",
        r,
    )

    tables = 30 if quick else 300
    r = state_backed_load.measure_all(tables)
    reflect, deferred, backed = r["reflect"], r["deferred"], r["schema_backed"]
    report(
        f"definitions load, sql_database of {tables} SQLite tables",
        f"reflected {reflect['load_s']:.2f} s ({reflect['queries_at_load']} queries), "
        f"deferred {deferred['load_s']:.2f} s (0 queries, no columns), schema-backed "
        f"{backed['load_s']:.2f} s ({backed['queries_at_load']} queries, "
        f"{backed['columns_in_specs']} columns in the specs), {backed['vs_deferred']:.2f}x deferred",
        "schema-backed: 0 queries, <= 1.1x deferred",
        r,
    )

    r = run_overhead.measure(100_000 if quick else 1_000_000, 1 if quick else 5)
    report(
        f"run overhead, 1 resource x {r['rows']:,} rows",
        f"wall {r['wall_ratio']:.3f}x ({r['dagster_wall_s']:.1f} s vs {r['plain_wall_s']:.1f} s), "
        f"CPU {r['cpu_ratio']:.3f}x",
        "<= 1.03x",
        r,
    )

    r = wide_runs.measure(20 if quick else 200, 100 if quick else 1_000, 1 if quick else 5)
    report(
        f"wide run, {r['resources']} resources x {r['rows_per_resource']:,} rows",
        f"wall {r['wall_ratio']:.3f}x ({r['dagster_wall_s']:.1f} s vs {r['plain_wall_s']:.1f} s), "
        f"CPU {r['cpu_ratio']:.3f}x; Dagster alone, for a run of the same shape and metadata, "
        f"{r['dagster_floor_s']:.2f} s ({r['floor_ratio']:.3f}x by itself), so dagster-dlt adds "
        f"{r['integration_overhead_s']:.2f} s",
        "<= 1.10x",
        r,
    )

    peaks = {}
    for n in (10_000, 100_000) if quick else (100_000, 1_000_000):
        for mode in ("plain", "dagster"):
            peaks[(mode, n)] = peak_memory.measure(mode, n)["peak_mib"]
    small, large = sorted({n for _, n in peaks})
    plain_growth = peaks[("plain", large)] - peaks[("plain", small)]
    dagster_growth = peaks[("dagster", large)] - peaks[("dagster", small)]
    report(
        f"peak memory, {small:,} -> {large:,} rows",
        f"Dagster {peaks[('dagster', small)]:.0f} -> {peaks[('dagster', large)]:.0f} MiB "
        f"(+{dagster_growth:.0f}); plain dlt {peaks[('plain', small)]:.0f} -> "
        f"{peaks[('plain', large)]:.0f} MiB (+{plain_growth:.0f})",
        "flat: no per-row state, growth as plain dlt's",
        {f"{m}_{n}": v for (m, n), v in peaks.items()},
    )

    r = parallel_partitions.measure(5_000 if quick else 50_000)
    report(
        f"4 partitions x {r['rows_per_partition']:,} rows, parallel vs series",
        f"{r['parallel_s']:.1f} s vs {r['series_s']:.1f} s ({r['parallel_to_series_ratio']:.2f}x); "
        f"{r['parallel_rows_per_s']:,} vs {r['series_rows_per_s']:,} rows/s",
        "all succeed; faster than series",
        r,
    )
    r = crash_resume.measure(2_000 if quick else 50_000, 1 if quick else 5, 0.1)
    report(
        f"re-run after a kill at half the load, 3 tables x {r['ids_per_table']:,} rows, "
        f"source {r['source_delay_s_per_batch']} s per 1,000 rows",
        f"{r['rerun_s']:.1f} s vs {r['full_s']:.1f} s for a full run "
        f"({r['rerun_to_full_ratio']:.2f}x), CPU {r['cpu_ratio']:.2f}x; every id exactly once",
        "clearly less than a full run; no row lost or duplicated",
        r,
    )

    print(
        f"Measured on {platform.node()}: Python {platform.python_version()}, {platform.machine()}\n"
    )
    print("| benchmark | result | target |")
    print("| --- | --- | --- |")
    for name, figure, target in rows:
        print(f"| {name} | {figure} | {target} |")


if __name__ == "__main__":
    main()
