"""Taking back what a dead load wrote: its rows in append and replace tables and their nested
tables (children first, found through their parents), its files on the filesystem destination,
and the record of the load as aborted in ``_dlt_loads``; on a single-writer file, rows of loads
that no run can still be writing.
"""

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

from dlt.common.schema import Schema
from dlt.common.schema.utils import get_nested_tables
from dlt.pipeline.pipeline import Pipeline

from dagster_dlt.durability.destinations import DestinationFacts

__all__ = [
    "ABORTED_STATUS",
    "LOAD_ID",
    "delete_load_rows",
    "describe_rows",
    "existing_tables",
    "lineage",
    "record_aborted",
    "remove_orphans",
    "take_back",
]

ABORTED_STATUS = 1
"""The ``_dlt_loads.status`` recorded for a load taken back after its run died (dlt writes 0)."""

LOAD_ID = "_dlt_load_id"


def lineage(schema: Schema, name: str) -> list[str]:
    """``name`` and its parents, root first."""
    chain = [name]
    while "parent" in schema.tables[chain[0]]:
        chain.insert(0, schema.tables[chain[0]]["parent"])
    return chain


def delete_load_rows(client: Any, schema: Schema, name: str, load_id: str) -> None:
    """Delete the rows that load ``load_id`` wrote to table ``name``: through its parents' ids
    for a nested table; every row of a replaced root without load ids (the load truncated it)."""
    chain = lineage(schema, name)
    root = schema.tables[chain[0]]
    if LOAD_ID in root.get("columns", {}):
        condition = f"{LOAD_ID} = %s"
        params: list[Any] = [load_id]
    else:
        condition, params = "1 = 1", []
    for parent in chain[:-1]:
        condition = (
            f"_dlt_parent_id IN (SELECT _dlt_id FROM "
            f"{client.make_qualified_table_name(parent)} WHERE {condition})"
        )
    client.execute_sql(
        f"DELETE FROM {client.make_qualified_table_name(name)} WHERE {condition}", *params
    )


def take_back(
    pipeline: Pipeline,
    destination: DestinationFacts,
    schema: Optional[Schema],
    load_ids: list[str],
) -> dict[str, int]:
    """Remove what ``load_ids`` wrote to append and replace tables (and their nested tables)."""
    if schema is None or not load_ids:
        return {}
    if destination.destination_name == "filesystem":
        return _take_back_files(pipeline, schema, load_ids)
    removed: dict[str, int] = {}
    try:
        with pipeline.sql_client() as client:
            existing = existing_tables(client)
            for root in _root_tables(schema):
                _delete_tree(client, schema, root, load_ids, existing, removed)
    except Exception:
        return removed  # the dataset does not exist yet: nothing was written
    return removed


def _root_tables(schema: Schema) -> list[dict[str, Any]]:
    return [
        table
        for table in schema.data_tables(include_incomplete=True)
        if "parent" not in table
        and table.get("write_disposition", "append") in ("append", "replace")
        and LOAD_ID in table.get("columns", {})
    ]


def _delete_tree(
    client: Any,
    schema: Schema,
    root: dict[str, Any],
    load_ids: list[str],
    existing: set[str],
    removed: dict[str, int],
) -> None:
    placeholders = ", ".join(["%s"] * len(load_ids))
    conditions: dict[str, str] = {root["name"]: f"{LOAD_ID} IN ({placeholders})"}
    tree = get_nested_tables(schema.tables, root["name"])
    for table in tree[1:]:
        parent = table["parent"]
        parent_name = client.make_qualified_table_name(parent)
        conditions[table["name"]] = (
            f"_dlt_parent_id IN (SELECT _dlt_id FROM {parent_name} WHERE {conditions[parent]})"
        )
    # Children first: their condition reads the parent rows about to go.
    for table in reversed(tree):
        name = table["name"]
        if client.capabilities.casefold_identifier(name) not in existing:
            continue
        qualified = client.make_qualified_table_name(name)
        where = conditions[name]
        # Only the root's condition has placeholders; each nested one embeds it once.
        count = client.execute_sql(f"SELECT COUNT(*) FROM {qualified} WHERE {where}", *load_ids)
        if count and int(count[0][0]):
            client.execute_sql(f"DELETE FROM {qualified} WHERE {where}", *load_ids)
            removed[name] = int(count[0][0])


def _schema_for_orphans(pipeline: Pipeline, schema_name: Optional[str]) -> Optional[Schema]:
    """The schema whose tables may hold a dead load's rows: the pipeline's, or, when no load of
    it ever completed (so no state to restore it from), the newest the destination stored."""
    name = schema_name or pipeline.default_schema_name
    if name and name in pipeline.schema_names:
        return pipeline.schemas[name]
    if not name:
        return None
    try:
        with pipeline.destination_client() as client:
            stored = client.get_stored_schema(name)  # type: ignore[attr-defined]
    except Exception:
        return None
    if stored is None:
        return None
    return Schema.from_dict(json.loads(stored.schema))


def existing_tables(client: Any) -> set[str]:
    if not client.has_dataset():
        raise LookupError("no dataset")
    rows = client.execute_sql(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
        client.make_qualified_table_name_path(None, quote=False)[-1],
    )
    return {str(name) for (name,) in rows or []}


def _take_back_files(pipeline: Pipeline, schema: Schema, load_ids: list[str]) -> dict[str, int]:
    removed: dict[str, int] = {}
    client = pipeline.destination_client(schema.name)
    for root in _root_tables(schema):
        for table in get_nested_tables(schema.tables, root["name"]):
            try:
                files = client.list_table_files(table["name"])  # type: ignore[attr-defined]
            except Exception:
                continue
            for path in files:
                if any(Path(path).name.startswith(f"{load_id}.") for load_id in load_ids):
                    client.fs_client.rm(path)  # type: ignore[attr-defined]
                    removed[table["name"]] = removed.get(table["name"], 0) + 1
    return {f"{table} (files)": count for table, count in removed.items()}


def record_aborted(pipeline: Pipeline, schema: Optional[Schema], load_ids: list[str]) -> None:
    """Note in ``_dlt_loads`` that these loads were taken back, so no leftover resumes them."""
    if schema is None or not load_ids:
        return
    try:
        with pipeline.sql_client() as client:
            loads = client.make_qualified_table_name("_dlt_loads")
            for load_id in load_ids:
                client.execute_sql(
                    f"INSERT INTO {loads} (load_id, schema_name, status, inserted_at, "
                    "schema_version_hash) VALUES (%s, %s, %s, %s, %s)",
                    load_id,
                    schema.name,
                    ABORTED_STATUS,
                    datetime.now(timezone.utc),
                    schema.version_hash,
                )
    except Exception:
        return  # no _dlt_loads (nothing ever completed) or no SQL: nothing can resume wrongly


def remove_orphans(pipeline: Pipeline, schema_name: Optional[str], log: Any) -> None:
    """Rows of loads that never finished and whose leftover cannot be reached (single writer)."""
    schema = _schema_for_orphans(pipeline, schema_name)
    if schema is None:
        return
    orphans: set[str] = set()
    try:
        with pipeline.sql_client() as client:
            existing = existing_tables(client)
            loads = client.make_qualified_table_name("_dlt_loads")
            for root in _root_tables(schema):
                if root["name"] not in existing:
                    continue
                qualified = client.make_qualified_table_name(root["name"])
                rows = client.execute_sql(
                    f"SELECT DISTINCT {LOAD_ID} FROM {qualified} WHERE {LOAD_ID} NOT IN "
                    f"(SELECT load_id FROM {loads})"
                )
                orphans.update(str(load_id) for (load_id,) in rows or [])
    except Exception:
        return
    if not orphans:
        return
    ordered = sorted(orphans)
    facts = DestinationFacts.of(pipeline)
    removed = take_back(pipeline, facts, schema, ordered)
    record_aborted(pipeline, schema, ordered)
    log.warning(
        f"Took back load(s) {', '.join(ordered)}, which a dead run started and never finished "
        f"(no row in _dlt_loads, and no run holds the database): removed {describe_rows(removed)}."
    )


def describe_rows(rows: dict[str, int]) -> str:
    """``rows`` (table -> count) as a phrase for a log message."""
    if not rows:
        return "no rows"
    return ", ".join(f"{count} row(s) of {table}" for table, count in sorted(rows.items()))
