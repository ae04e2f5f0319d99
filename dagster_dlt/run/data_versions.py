"""Each asset's data version after a run, from what its tables hold (``RunFacts.data_version``).

One short connection, under the destination's lock, asks each table for its newest load id
(nested tables, which have none, for their row count). Without SQL (custom sinks) an asset that
loaded nothing keeps the version of its previous materialization.
"""

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any, Optional

from dagster import AssetKey, OpExecutionContext
from dlt.destinations.exceptions import DatabaseUndefinedRelation
from dlt.extract.resource import DltResource
from dlt.pipeline.pipeline import Pipeline

import dagster_dlt.constants as k
from dagster_dlt.run.metadata import RunFacts

__all__ = ["data_versions"]


def data_versions(
    facts: RunFacts,
    pipeline: Optional[Pipeline],
    holding_destination: Callable[[], AbstractContextManager[None]],
    context: OpExecutionContext,
    *,
    names_by_key: Mapping[AssetKey, str],
    tables_by_key: Mapping[AssetKey, list[str]],
    nested_by_key: Mapping[AssetKey, str],
    resources: Mapping[str, DltResource],
    row_counts: Mapping[str, int],
) -> dict[AssetKey, str]:
    """The data version of every asset key the run loaded."""
    tables = {t for key in names_by_key for t in tables_by_key.get(key, [])}
    latest = _latest_load_ids(facts, pipeline, holding_destination, tables)
    versions = {}
    for key, name in names_by_key.items():
        table = nested_by_key.get(key)
        if latest is not None:
            versions[key] = facts.data_version(resources[name], latest, table)
            continue
        rows = sum(row_counts.get(t, 0) for t in tables_by_key.get(key, []))
        previous = None if rows else _previous_data_version(context, key)
        loads = facts.base.get(k.LOAD_IDS) or []
        versions[key] = previous or facts.data_version(
            resources[name], {t: loads[-1] if loads else None for t in tables}, table
        )
    return versions


def _latest_load_ids(
    facts: RunFacts,
    pipeline: Optional[Pipeline],
    holding_destination: Callable[[], AbstractContextManager[None]],
    tables: set[str],
) -> Optional[dict[str, Any]]:
    if pipeline is None or not tables:
        return {} if pipeline is not None else None
    try:
        latest: dict[str, Any] = {}
        with holding_destination(), pipeline.sql_client() as client:
            for table in sorted(tables):
                columns = (facts.table(table) or {}).get("columns", {})
                what = "MAX(_dlt_load_id)" if "_dlt_load_id" in columns else "COUNT(*)"
                qualified = client.make_qualified_table_name(table)
                try:
                    rows = client.execute_sql(f"SELECT {what} FROM {qualified}")
                    latest[table] = rows[0][0] if rows else None
                except DatabaseUndefinedRelation:
                    latest[table] = None  # never created: the resource never yielded a row
        return latest
    except Exception:
        return None


def _previous_data_version(context: OpExecutionContext, key: AssetKey) -> Optional[str]:
    try:
        event = context.instance.get_latest_materialization_event(key)
    except Exception:
        return None
    materialization = event.asset_materialization if event else None
    return materialization.tags.get(k.DATA_VERSION_TAG) if materialization else None
