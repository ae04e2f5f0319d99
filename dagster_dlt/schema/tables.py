"""What a dlt schema says of one resource's tables: the root table, its nested tables, and the
metadata a spec carries for each before any run.

Pure functions over a ``dlt.Schema``: no destination, no query.
"""

from dataclasses import dataclass
from typing import Any, Optional

from dagster import MetadataValue
from dlt.common.schema import Schema
from dlt.common.schema.typing import TTableSchema
from dlt.common.schema.utils import (
    get_columns_names_with_prop,
    get_nested_tables,
    get_table_format,
    get_write_disposition,
)
from dlt.extract.resource import DltResource

import dagster_dlt.constants as k
from dagster_dlt.schema.columns import table_schema_of

__all__ = ["ResourceTables", "table_spec_metadata"]


@dataclass(frozen=True)
class ResourceTables:
    """A resource's root table and nested tables, as a dlt schema knows them.

    Attributes:
        schema: the dlt schema.
        root: the resource's table, or ``None`` when the schema has none for it.
        nested: its nested tables, each after its parent (``posts__tags``,
            ``posts__tags__links``).
    """

    schema: Schema
    root: Optional[TTableSchema]
    nested: tuple[TTableSchema, ...] = ()

    @classmethod
    def of(
        cls, schema: Schema, resource: DltResource, fallback: Optional[Schema] = None
    ) -> "ResourceTables":
        """The tables of ``resource`` in ``schema``; a table the schema lacks (a resource added
        since it was stored) comes from ``fallback``, the source's own hints, without nested
        tables."""
        root = _root_table(schema, resource)
        if root is None and fallback is not None:
            found = _root_table(fallback, resource)
            return cls(fallback, found) if found is not None else cls(schema, None)
        if root is None:
            return cls(schema, None)
        nested = tuple(t for t in get_nested_tables(schema.tables, root["name"]) if t is not root)
        return cls(schema, root, nested)


def _root_table(schema: Schema, resource: DltResource) -> Optional[TTableSchema]:
    table_name = resource.table_name
    if isinstance(table_name, str):
        table = schema.tables.get(schema.naming.normalize_table_identifier(table_name))
        if table is not None and "parent" not in table:
            return table
    # A table name computed per item: the first table the schema saw the resource create.
    for table in schema.data_tables(include_incomplete=True):
        if table.get("resource") == resource.name and "parent" not in table:
            return table
    return None


def table_spec_metadata(
    schema: Schema,
    table: TTableSchema,
    destination_type: Optional[str] = None,
    dataset_name: Optional[str] = None,
) -> dict[str, Any]:
    """The spec metadata of one table: its columns, hints and contract, and where it loads.

    Args:
        schema: the dlt schema holding ``table``.
        table: the table (root or nested).
        destination_type: the pipeline's destination type (``dlt.destinations.duckdb``), if set.
        dataset_name: the pipeline's dataset.

    Returns:
        ``dagster/table_name``, ``dagster/column_schema`` and the ``dagster_dlt/*`` keys of
        ``constants.py`` (``SPEC_*``); keys dlt has no value for are left out.
    """
    name = table["name"]
    tables = schema.tables
    metadata: dict[str, Any] = {
        k.TABLE_NAME: name,
        k.COLUMN_SCHEMA: MetadataValue.table_schema(table_schema_of(table)),
    }
    disposition = get_write_disposition(tables, name)
    if disposition:
        metadata[k.SPEC_WRITE_DISPOSITION] = disposition
    primary_key = get_columns_names_with_prop(table, "primary_key", include_incomplete=True)
    if primary_key:
        metadata[k.SPEC_PRIMARY_KEY] = primary_key
    merge_key = get_columns_names_with_prop(table, "merge_key", include_incomplete=True)
    if merge_key:
        metadata[k.SPEC_MERGE_KEY] = merge_key
    metadata[k.SPEC_SCHEMA_CONTRACT] = MetadataValue.json(
        dict(schema.resolve_contract_settings_for_table(name))
    )
    table_format = get_table_format(tables, name)
    if table_format:
        metadata[k.SPEC_TABLE_FORMAT] = table_format
    if "parent" in table:
        metadata[k.SPEC_PARENT_TABLE] = table["parent"]
    if destination_type:
        metadata[k.SPEC_DESTINATION_TYPE] = destination_type
    if dataset_name:
        metadata[k.SPEC_DATASET_NAME] = dataset_name
    return metadata
