"""Wide runs: a source of many resources, materialized through Dagster against plain dlt.

Usage: python -m benchmarks.wide_runs [--resources 200] [--rows 1000] [--repeats 3]
"""

import argparse
import json

from benchmarks.workloads import compare, run_dagster, run_plain, wide_source


def measure(resources: int, rows: int, repeats: int) -> dict[str, float]:
    run_plain(lambda: wide_source(5, 10))
    run_dagster(lambda: wide_source(5, 10))
    result = compare(
        lambda: run_plain(lambda: wide_source(resources, rows)),
        lambda: run_dagster(lambda: wide_source(resources, rows)),
        repeats,
    )
    return {"resources": resources, "rows_per_resource": rows, **result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--resources", type=int, default=200)
    parser.add_argument("--rows", type=int, default=1_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(measure(args.resources, args.rows, args.repeats)))


if __name__ == "__main__":
    main()
