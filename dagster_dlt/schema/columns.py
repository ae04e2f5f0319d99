"""Dagster column schemas from dlt table schemas: the same in a spec and in a materialization."""

from collections.abc import Mapping
from typing import Any, Optional

from dagster import TableColumn, TableColumnConstraints, TableSchema
from dlt.common.schema.typing import TTableSchema

__all__ = ["table_schema_of"]

# Column hints that are flags worth showing as constraints ("primary_key", "merge_key", ...).
_CONSTRAINT_HINTS = (
    "primary_key",
    "merge_key",
    "row_key",
    "parent_key",
    "root_key",
    "partition",
    "cluster",
    "sort",
    "unique",
    "dedup_sort",
    "incremental",
)


def table_schema_of(table: Optional[TTableSchema]) -> TableSchema:
    """A Dagster ``TableSchema`` from a dlt table schema; never mutates the dlt schema."""
    if not table:
        return TableSchema(columns=[])
    columns = []
    for column in table.get("columns", {}).values():
        other = [hint for hint in _CONSTRAINT_HINTS if hint != "unique" and column.get(hint)]
        columns.append(
            TableColumn(
                name=column["name"],
                type=column.get("data_type") or "unknown",
                description=column.get("description"),
                constraints=TableColumnConstraints(
                    nullable=column.get("nullable", True),
                    unique=bool(column.get("unique", False)),
                    other=other,
                ),
                tags=_type_hints(column),
            )
        )
    return TableSchema(columns=columns)


# dlt's type hints beyond the data type: a decimal's precision and scale, a timestamp's precision
# and time zone. They go in each column's tags, as strings (Dagster's tags are strings).
_TYPE_HINTS = ("precision", "scale", "timezone")


def _type_hints(column: Mapping[str, Any]) -> dict[str, str]:
    return {
        hint: str(column[hint]).lower() if isinstance(column[hint], bool) else str(column[hint])
        for hint in _TYPE_HINTS
        if column.get(hint) is not None
    }
