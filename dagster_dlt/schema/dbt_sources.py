"""A dbt ``sources.yml`` for a pipeline's dataset, written from its dlt schema.

dbt models that read what dlt loaded declare the dataset as a dbt source. The dlt schema already
names every table, nested table and column, so the declaration need not be written by hand:
``write_dbt_sources`` writes it, with each root table's ``_dlt_load_id`` (the Unix time of the
load, as text) as the ``loaded_at_field`` that ``dbt source freshness`` reads. Nothing is queried:
the schema comes from the pipeline's working directory or an exported schema file.
"""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional, Union

import dlt
import yaml
from dlt.common.schema import Schema
from dlt.common.schema.utils import is_nested_table
from dlt.pipeline.pipeline import Pipeline

from dagster_dlt._seams import internals

__all__ = ["dbt_sources", "write_dbt_sources"]

LOAD_ID = "_dlt_load_id"

# ``_dlt_load_id`` holds seconds since the epoch as text; dbt compares ``loaded_at_field`` with
# the current time, so it must be a timestamp expression in the warehouse's SQL.
_LOADED_AT_BY_DESTINATION: Mapping[str, str] = {
    "bigquery": f"TIMESTAMP_MICROS(CAST(CAST({LOAD_ID} AS FLOAT64) * 1000000 AS INT64))",
    "postgres": f"to_timestamp(cast({LOAD_ID} as double precision))",
    "redshift": f"timestamp 'epoch' + cast({LOAD_ID} as double precision) * interval '1 second'",
    "mssql": f"DATEADD(second, CAST(CAST({LOAD_ID} AS FLOAT) AS BIGINT), '1970-01-01')",
    "databricks": f"timestamp_seconds(cast({LOAD_ID} as double))",
    "clickhouse": f"toDateTime(toFloat64({LOAD_ID}))",
}
_LOADED_AT_DEFAULT = f"to_timestamp(cast({LOAD_ID} as double))"  # DuckDB, Snowflake, others


SchemaArg = Union[Schema, str, "os.PathLike[str]", None]


def dbt_sources(
    dlt_pipeline: Pipeline,
    *,
    dlt_schema: SchemaArg = None,
    source_name: Optional[str] = None,
    loaded_at_field: Optional[str] = None,
    freshness: Optional[Mapping[str, Any]] = None,
) -> dict[str, Any]:
    """The dbt ``sources.yml`` document of a pipeline's dataset, as a dict.

    One dbt source named after the dataset (its ``schema`` is the dataset name), with one table
    per table of the dlt schema: root tables and nested tables (``orders__items``), each with its
    columns, their dlt data types (under ``meta``) and descriptions. Root tables get
    ``loaded_at_field``, a timestamp made from their ``_dlt_load_id``; nested tables have no
    ``_dlt_load_id`` of their own by default (they join their root on ``_dlt_root_id``), so they
    get one only when dlt gave them the column.

    Args:
        dlt_pipeline: the pipeline whose dataset the source declares.
        dlt_schema: the dlt schema to read: a ``dlt.Schema``, or the path of an exported schema
            file (``.schema.yaml`` or ``.json``). By default the pipeline's default schema as
            its working directory holds it now (the pipeline must have run or synced there).
        source_name: the dbt source's name; the dataset name by default.
        loaded_at_field: the SQL expression for ``loaded_at_field``; by default
            ``_dlt_load_id`` converted to a timestamp in the destination's SQL.
        freshness: dbt's ``freshness`` block for the source, e.g.
            ``{"warn_after": {"count": 1, "period": "day"}}``; none by default.

    Returns:
        The document, ready for ``yaml.safe_dump``.

    Raises:
        ValueError: the pipeline has no dataset name, or no schema to read.

    Example:
        .. code-block:: python

            from dagster_dlt import dbt_sources

            doc = dbt_sources(pipeline, freshness={"warn_after": {"count": 1, "period": "day"}})
            print([table["name"] for table in doc["sources"][0]["tables"]])
    """
    schema = _schema_of(dlt_pipeline, dlt_schema)
    dataset = dlt_pipeline.dataset_name
    if not dataset:
        raise ValueError(
            f"Pipeline '{dlt_pipeline.pipeline_name}' has no dataset_name, so there is no schema "
            "for dbt to read: give dlt.pipeline(...) a dataset_name."
        )
    loaded_at = loaded_at_field or _default_loaded_at(dlt_pipeline)
    source: dict[str, Any] = {
        "name": source_name or dataset,
        "schema": dataset,
        "description": f"Loaded by dlt pipeline {dlt_pipeline.pipeline_name} "
        f"(dlt schema {schema.name}).",
    }
    if freshness is not None:
        source["freshness"] = dict(freshness)
    source["tables"] = [_table(schema, name, loaded_at) for name in schema.data_table_names()]
    return {"version": 2, "sources": [source]}


def write_dbt_sources(
    dlt_pipeline: Pipeline,
    path: Union[str, "os.PathLike[str]"],
    *,
    dlt_schema: SchemaArg = None,
    source_name: Optional[str] = None,
    loaded_at_field: Optional[str] = None,
    freshness: Optional[Mapping[str, Any]] = None,
) -> Path:
    """Write ``dbt_sources(...)`` as YAML to ``path`` (e.g. ``models/sources.yml``).

    Args:
        dlt_pipeline: the pipeline whose dataset the source declares.
        path: the file to write; its folder is created if missing.
        dlt_schema: as in ``dbt_sources``.
        source_name: as in ``dbt_sources``.
        loaded_at_field: as in ``dbt_sources``.
        freshness: as in ``dbt_sources``.

    Returns:
        The path written.

    Example:
        .. code-block:: python

            from dagster_dlt import write_dbt_sources

            write_dbt_sources(pipeline, "my_dbt_project/models/shop/sources.yml")
    """
    document = dbt_sources(
        dlt_pipeline,
        dlt_schema=dlt_schema,
        source_name=source_name,
        loaded_at_field=loaded_at_field,
        freshness=freshness,
    )
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
    return target


def _schema_of(pipeline: Pipeline, dlt_schema: SchemaArg) -> Schema:
    if isinstance(dlt_schema, Schema):
        return dlt_schema
    if dlt_schema is not None:
        path = Path(dlt_schema)
        if not path.is_file():
            raise ValueError(
                f"dlt schema file {path} does not exist. Export one with "
                "dlt.pipeline(..., export_schema_path=...) or pass a dlt.Schema."
            )
        return Schema.from_dict(yaml.safe_load(path.read_text()))
    stored = _stored_default_schema(pipeline)
    if stored is not None:
        return stored
    if not pipeline.default_schema_name:
        raise ValueError(
            f"Pipeline '{pipeline.pipeline_name}' has no schema in its working directory "
            f"({pipeline.working_dir}): run it once, or pass dlt_schema= (a dlt.Schema or an "
            "exported schema file)."
        )
    return pipeline.default_schema


def _stored_default_schema(pipeline: Pipeline) -> Optional[Schema]:
    """The default schema in the pipeline's working directory as it is now.

    A pipeline object made before a run (the one a definitions module holds) does not see the
    schemas that run stored; attaching reads them. dlt makes the attached pipeline the active
    one, so the one active before is made active again.
    """
    previous = internals.active_pipeline()
    try:
        attached = dlt.attach(pipeline.pipeline_name, pipelines_dir=pipeline.pipelines_dir)
        return attached.default_schema if attached.default_schema_name else None
    except Exception:
        return None  # no working directory yet
    finally:
        internals.reactivate(previous)


def _default_loaded_at(pipeline: Pipeline) -> str:
    destination = pipeline.destination
    name = destination.destination_name if destination is not None else ""
    return _LOADED_AT_BY_DESTINATION.get(name, _LOADED_AT_DEFAULT)


def _table(schema: Schema, name: str, loaded_at: str) -> dict[str, Any]:
    table = schema.tables[name]
    entry: dict[str, Any] = {"name": name}
    if table.get("description"):
        entry["description"] = table["description"]
    elif is_nested_table(table):
        entry["description"] = (
            f"Nested table of {table['parent']}: each row's _dlt_parent_id is the _dlt_id of its "
            f"row in {table['parent']}."
        )
    if LOAD_ID in table.get("columns", {}):
        entry["loaded_at_field"] = loaded_at
    entry["meta"] = {
        key: value
        for key, value in (
            ("dlt_resource", table.get("resource")),
            ("dlt_parent", table.get("parent")),
            ("dlt_write_disposition", table.get("write_disposition")),
        )
        if value
    }
    entry["columns"] = [_column(column) for column in schema.get_table_columns(name).values()]
    return entry


def _column(column: Mapping[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": column["name"]}
    if column.get("description"):
        entry["description"] = column["description"]
    meta = {"dlt_data_type": column.get("data_type")}
    if column.get("primary_key"):
        meta["dlt_primary_key"] = True
    if "nullable" in column:
        meta["dlt_nullable"] = bool(column["nullable"])
    entry["meta"] = {key: value for key, value in meta.items() if value is not None}
    return entry
