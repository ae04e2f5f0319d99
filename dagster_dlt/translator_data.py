"""What the translator sees of a dlt resource or nested table, and Dagster-valid names.

``dagster_dlt.translator`` re-exports these, the published import path.
"""

import re
from dataclasses import dataclass
from typing import Optional

from dagster import AssetSpec
from dlt.common.destination import Destination
from dlt.common.schema import Schema
from dlt.common.schema.typing import TTableSchema
from dlt.extract.resource import DltResource
from dlt.pipeline.pipeline import Pipeline

__all__ = ["DltNestedTableTranslatorData", "DltResourceTranslatorData", "dagster_name"]


@dataclass(frozen=True)
class DltResourceTranslatorData:
    """What the translator sees of one dlt resource.

    Pass the pipeline, or only its destination (as Dagster's guide does); ``destination``
    defaults to the pipeline's.

    Attributes:
        resource: the dlt resource.
        pipeline: the dlt pipeline that loads it, when known.
        destination: the destination it loads into, when known.
        dlt_schema: the dlt schema the definitions are built from (``dlt_schema=`` of
            ``@dlt_assets``), if any.
        table_schema: the resource's table in that schema (columns, hints), when it has one.

    Example:
        .. code-block:: python

            data = DltResourceTranslatorData(resource=source.resources["orders"],
                                             destination=pipeline.destination)
            spec = DagsterDltTranslator().get_asset_spec(data)
    """

    resource: DltResource
    pipeline: Optional[Pipeline] = None
    destination: Optional[Destination] = None
    dlt_schema: Optional[Schema] = None
    table_schema: Optional[TTableSchema] = None

    def __post_init__(self) -> None:
        if self.destination is None and self.pipeline is not None:
            # Frozen: the one place the default is filled in.
            object.__setattr__(self, "destination", self.pipeline.destination)


@dataclass(frozen=True)
class DltNestedTableTranslatorData:
    """What the translator sees of one nested table (``nested_tables="assets"``).

    Attributes:
        resource: the dlt resource whose rows the table's rows are nested in.
        table_schema: the nested table in the dlt schema (its ``parent`` names the parent table).
        dlt_schema: the dlt schema holding it.
        parent_spec: the spec of the parent table's asset, as the translator made it.
        pipeline: the dlt pipeline, when known.
        destination: the destination, when known.

    Example:
        .. code-block:: python

            class NestedInRaw(DagsterDltTranslator):
                def get_nested_table_spec(self, data: DltNestedTableTranslatorData):
                    spec = super().get_nested_table_spec(data)
                    return spec.replace_attributes(group_name="nested")
    """

    resource: DltResource
    table_schema: TTableSchema
    dlt_schema: Schema
    parent_spec: AssetSpec
    pipeline: Optional[Pipeline] = None
    destination: Optional[Destination] = None

    @property
    def table_name(self) -> str:
        """The nested table's name (``posts__tags``)."""
        return self.table_schema["name"]


_INVALID_NAME_CHARS = re.compile(r"[^A-Za-z0-9_]")


def dagster_name(name: str) -> str:
    """``name`` as a valid Dagster name: every character outside ``[A-Za-z0-9_]`` becomes ``_``.

    dlt resource and table names may hold spaces or dashes (``"Order Items"``, ``order-lines``);
    Dagster names may not. Default keys and upstream keys use this form.
    """
    return _INVALID_NAME_CHARS.sub("_", name)
