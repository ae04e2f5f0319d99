"""The specs of nested tables (``nested_tables="assets"``), and what the dlt schema adds to any
spec: pure functions over the translator's data."""

from typing import Any, Union

from dagster import AssetKey, AssetSpec

from dagster_dlt.constants import STORAGE_KIND
from dagster_dlt.schema.tables import table_spec_metadata
from dagster_dlt.translator_data import (
    DltNestedTableTranslatorData,
    DltResourceTranslatorData,
    dagster_name,
)

__all__ = ["default_nested_table_spec", "nested_asset_key", "schema_metadata"]


def schema_metadata(
    data: Union[DltResourceTranslatorData, DltNestedTableTranslatorData],
) -> dict[str, Any]:
    """What the dlt schema says of the table, when the definitions are built from one."""
    if data.dlt_schema is None or data.table_schema is None:
        return {}
    destination = data.destination
    return table_spec_metadata(
        data.dlt_schema,
        data.table_schema,
        destination_type=destination.destination_type if destination is not None else None,
        dataset_name=data.pipeline.dataset_name if data.pipeline is not None else None,
    )


def nested_asset_key(parent_key: AssetKey, parent_table: str, table: str) -> AssetKey:
    """A nested table's key: its parent's, with the nested table's name in place of the parent
    table's (``["raw", "posts"]`` -> ``["raw", "posts__tags"]``, ``dlt_blog_posts`` ->
    ``dlt_blog_posts__tags``)."""
    *prefix, last = parent_key.path
    suffix = dagster_name(table[len(parent_table) :] if table.startswith(parent_table) else table)
    if not suffix.startswith("_"):
        suffix = f"__{suffix}"
    return AssetKey([*prefix, f"{last}{suffix}"])


def default_nested_table_spec(data: DltNestedTableTranslatorData) -> AssetSpec:
    """A nested table's spec: keyed like its parent, depending on it, in the parent's group,
    with the parent's owners, tags and kinds."""
    parent = data.parent_spec
    table = data.table_schema
    parent_table = table.get("parent") or ""
    return AssetSpec(
        key=nested_asset_key(parent.key, parent_table, table["name"]),
        deps=[parent.key],
        description=table.get("description")
        or f"Nested table {table['name']} of dlt table {parent_table}.",
        metadata={
            **{k: v for k, v in parent.metadata.items() if k in _INHERITED_METADATA},
            **schema_metadata(data),
        },
        group_name=parent.group_name,
        owners=parent.owners,
        tags=parent.tags,
        kinds=parent.kinds,
        partitions_def=parent.partitions_def,
    )


# What a nested table shares with its parent's spec: where it is stored.
_INHERITED_METADATA = (STORAGE_KIND,)
