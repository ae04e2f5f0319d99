"""Materialize the demo into a local DuckDB file, offline, and print what landed."""

import sys

from dagster import DagsterInstance, materialize

from dagster_dlt_demo.definitions import DUCKDB_PATH, defs


def main() -> int:
    assets = list(defs.assets or [])
    resources = dict(defs.resources or {})
    result = materialize(assets, resources=resources, instance=DagsterInstance.ephemeral())
    print(f"Materialized into {DUCKDB_PATH}:")
    for event in result.get_asset_materialization_events():
        metadata = event.materialization.metadata
        table = metadata.get("dagster/table_name")
        rows = metadata.get("rows_loaded")
        total = metadata.get("dagster/row_count")
        print(
            f"  {event.asset_key.to_user_string():<28} {getattr(table, 'value', '-'):<32} "
            f"rows loaded: {getattr(rows, 'value', 0):>5}  rows in table: {getattr(total, 'value', '-')}"
        )
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main())
