"""The dlt schema that definitions are built from: given, exported to a file, or stored locally.

``@dlt_assets(dlt_schema=...)`` takes one of three things, all read without a network or a
database query:

- a ``dlt.Schema`` object;
- the path of a schema file dlt exported (``export_schema_path``: ``<name>.schema.yaml``, or a
  ``.json`` file);
- ``"pipeline"``: the schema stored in the pipeline's working directory by its last run. Before
  the first run there is none, and the source's own hints (``source.discover_schema()``: the
  columns, keys and dispositions its resources declare, the columns ``sql_database`` reflected)
  are what is known.
"""

import json
import os
from pathlib import Path
from typing import Any, Literal, Optional, Union

import yaml
from dagster import DagsterInvalidDefinitionError
from dlt.common.schema import Schema
from dlt.extract.source import DltSource
from dlt.pipeline.pipeline import Pipeline

__all__ = ["DltSchemaArg", "NestedTables", "resolve_schema"]

DltSchemaArg = Union[Schema, str, "os.PathLike[str]", None]
"""What ``dlt_schema=`` takes: a schema, a schema file's path, ``"pipeline"``, or ``None``."""

NestedTables = Literal["metadata", "assets"]
"""What nested tables become: entries of their parent's metadata, or assets of their own."""

PIPELINE = "pipeline"


def resolve_schema(
    dlt_schema: DltSchemaArg, source: DltSource, pipeline: Pipeline
) -> Optional[Schema]:
    """The schema that ``dlt_schema`` names, or ``None`` when it is ``None``.

    Raises:
        DagsterInvalidDefinitionError: the file is missing or is not a dlt schema, or the value
            is of another type.
    """
    if dlt_schema is None:
        return None
    if isinstance(dlt_schema, Schema):
        return dlt_schema
    if isinstance(dlt_schema, str) and dlt_schema == PIPELINE:
        return stored_schema(pipeline, source.schema.name) or source.discover_schema()
    if isinstance(dlt_schema, (str, os.PathLike)):
        return schema_from_file(Path(dlt_schema))
    raise DagsterInvalidDefinitionError(
        f"dlt_schema must be a dlt.Schema, the path of an exported schema file or "
        f"'{PIPELINE}', got {type(dlt_schema).__name__}."
    )


def stored_schema(pipeline: Pipeline, schema_name: str) -> Optional[Schema]:
    """The schema named ``schema_name`` in the pipeline's local working directory, if any."""
    if schema_name not in pipeline.schema_names:
        return None
    return pipeline.schemas[schema_name]


def schema_from_file(path: Path) -> Schema:
    """A schema exported by dlt (YAML or JSON).

    Raises:
        DagsterInvalidDefinitionError: the file does not exist or holds no dlt schema.
    """
    if not path.is_file():
        raise DagsterInvalidDefinitionError(
            f"dlt_schema: no schema file at {path}. Export one by running the pipeline once with "
            "dlt.pipeline(..., export_schema_path='schemas') (it writes "
            "schemas/<name>.schema.yaml), or pass dlt_schema='pipeline' to read the schema the "
            "last run stored."
        )
    text = path.read_text(encoding="utf-8")
    try:
        stored: Any = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        raise DagsterInvalidDefinitionError(
            f"dlt_schema: {path} is not valid {'JSON' if path.suffix == '.json' else 'YAML'}: "
            f"{error}"
        ) from error
    if not isinstance(stored, dict) or "tables" not in stored or "name" not in stored:
        raise DagsterInvalidDefinitionError(
            f"dlt_schema: {path} is not a dlt schema (it has no 'name' and 'tables'). Pass a "
            "file that dlt exported (export_schema_path), e.g. schemas/<name>.schema.yaml."
        )
    return Schema.from_dict(stored, bump_version=False)
