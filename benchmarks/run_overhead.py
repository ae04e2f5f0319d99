"""Run overhead: materialize a one-resource source of N rows, against pipeline.run of it.

Usage: python -m benchmarks.run_overhead [--rows 1000000] [--repeats 5]
"""

import argparse
import json

from benchmarks.workloads import compare, rows_source, run_dagster, run_plain


def measure(rows: int, repeats: int, loader_file_format: str = "parquet") -> dict[str, float]:
    kwargs = {"loader_file_format": loader_file_format}
    # Warm both paths once so imports and first-call caches are not billed to either side.
    run_plain(lambda: rows_source(1_000), **kwargs)
    run_dagster(lambda: rows_source(1_000), **kwargs)
    result = compare(
        lambda: run_plain(lambda: rows_source(rows), **kwargs),
        lambda: run_dagster(lambda: rows_source(rows), **kwargs),
        repeats,
    )
    return {"rows": rows, **result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--format", default="parquet")
    args = parser.parse_args()
    print(json.dumps(measure(args.rows, args.repeats, args.format)))


if __name__ == "__main__":
    main()
