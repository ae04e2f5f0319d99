"""What ``DltDatasetWriter`` can save, in the form it hands dlt."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dagster_dlt.errors import DltUnsupportedDataError

__all__ = ["SUPPORTED_DATA", "Saveable", "saveable"]

SUPPORTED_DATA = ("pandas.DataFrame", "pyarrow.Table", "pyarrow.RecordBatch", "list of dicts")


@dataclass(frozen=True)
class Saveable:
    """What a save hands dlt: rows of Python values, or, for data with columns but no rows, its
    Arrow schema, so that a first save creates the table with those columns.

    Attributes:
        rows: the rows, as dicts of Python values.
        empty_table: a ``pyarrow.Table`` with the data's columns and no rows, or ``None``.
    """

    rows: list[dict[str, Any]]
    empty_table: Any = None

    def data(self, *, create_table: bool) -> Any:
        """What to give ``dlt.resource``: the empty table when the table is still to be created."""
        if create_table and self.empty_table is not None:
            # dlt creates a table from an empty Arrow table; from no rows, it creates nothing.
            return self.empty_table
        return self.rows


def saveable(data: Any) -> Saveable:
    """``data`` as rows of Python values, or a clear error naming the types that can be saved.

    Every kind goes through dlt's path for Python objects, the one where dlt checks every
    contract entity (a value of another type is a variant column, which ``data_type`` governs)
    while normalizing, before anything is loaded. Arrow data would be checked for types only at
    load. Data with columns and no rows keeps its Arrow schema: it has no value to check.
    """
    module = type(data).__module__.split(".")[0]
    name = type(data).__name__
    if module == "pandas" and name == "DataFrame":
        import pyarrow

        # Through Arrow: nulls become None and numbers plain Python numbers, not NaN or numpy.
        table = pyarrow.Table.from_pandas(data, preserve_index=False)
    elif module == "pyarrow" and name in ("Table", "RecordBatch"):
        import pyarrow

        table = data if name == "Table" else pyarrow.Table.from_batches([data])
    elif isinstance(data, (list, tuple)) and all(isinstance(row, Mapping) for row in data):
        return Saveable([dict(row) for row in data])
    else:
        raise DltUnsupportedDataError(
            f"Cannot save a {type(data).__module__}.{name}: save one of "
            f"{', '.join(SUPPORTED_DATA)}. Convert it first, e.g. relation.arrow() or "
            "frame.to_dict('records')."
        )
    if table.num_rows == 0 and table.num_columns > 0:
        import pyarrow

        # An empty object column (pandas before 3 keeps strings so) has Arrow type null, which
        # dlt drops: it becomes a string column, the type such a column almost always holds.
        fields = [
            field.with_type(pyarrow.string()) if pyarrow.types.is_null(field.type) else field
            for field in table.schema
        ]
        table = table.cast(pyarrow.schema(fields))
        return Saveable([], table.replace_schema_metadata(None))
    return Saveable(table.to_pylist())
