"""The pure mapping from a dlt resource to a Dagster ``AssetSpec``.

``DagsterDltTranslator.get_asset_spec`` is the one method users override. Older code overrides
per-field getters (``get_asset_key``, ``get_group_name``, ...); those live in a mixin of their own
(``translator_legacy.py``) and are honoured in one place.
"""

import inspect
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Optional

from dagster import AssetKey, AssetSpec
from dlt.common.destination import Destination
from dlt.extract.resource import DltResource
from dlt.pipeline.pipeline import Pipeline

from dagster_dlt import internals
from dagster_dlt.constants import STORAGE_KIND, TABLE_NAME
from dagster_dlt.translator_legacy import LegacyTranslatorGetters, legacy_overrides

__all__ = ["DagsterDltTranslator", "DltResourceTranslatorData", "dagster_name"]


@dataclass(frozen=True)
class DltResourceTranslatorData:
    """What the translator sees of one dlt resource.

    Pass the pipeline, or only its destination (as Dagster's guide does); ``destination``
    defaults to the pipeline's.

    Attributes:
        resource: the dlt resource.
        pipeline: the dlt pipeline that loads it, when known.
        destination: the destination it loads into, when known.

    Example:
        .. code-block:: python

            data = DltResourceTranslatorData(resource=source.resources["orders"],
                                             destination=pipeline.destination)
            spec = DagsterDltTranslator().get_asset_spec(data)
    """

    resource: DltResource
    pipeline: Optional[Pipeline] = None
    destination: Optional[Destination] = None

    def __post_init__(self) -> None:
        if self.destination is None and self.pipeline is not None:
            # Frozen: the one place the default is filled in.
            object.__setattr__(self, "destination", self.pipeline.destination)


_INVALID_NAME_CHARS = re.compile(r"[^A-Za-z0-9_]")


def dagster_name(name: str) -> str:
    """``name`` as a valid Dagster name: every character outside ``[A-Za-z0-9_]`` becomes ``_``.

    dlt resource and table names may hold spaces or dashes (``"Order Items"``, ``order-lines``);
    Dagster names may not. Default keys and upstream keys use this form.
    """
    return _INVALID_NAME_CHARS.sub("_", name)


def default_asset_key(resource: DltResource) -> AssetKey:
    """The published package's key, kept so that migrating users keep their asset keys."""
    return AssetKey(dagster_name(f"dlt_{resource.source_name}_{resource.name}"))


def default_deps(resource: DltResource) -> list[AssetKey]:
    """One upstream key per resource: where its data comes from (for a transformer, its root)."""
    root = internals.root_resource_name(resource)
    return [AssetKey(dagster_name(f"{resource.source_name}_{root}"))]


def default_description(resource: DltResource) -> Optional[str]:
    """The docstring of the function behind the resource, if it has exactly one."""
    steps = internals.resource_steps(resource)
    if len(steps) == 1 and callable(steps[0]) and steps[0].__doc__:
        return inspect.cleandoc(steps[0].__doc__)
    return None


def static_table_name(resource: DltResource) -> str:
    """The resource's table name, or its name when the table name is computed per item."""
    table_name = resource.table_name
    return table_name if isinstance(table_name, str) else resource.name


def default_kinds(destination: Optional[Destination]) -> set[str]:
    return {"dlt", destination.destination_name} if destination is not None else {"dlt"}


def default_asset_spec(
    data: DltResourceTranslatorData, extra_metadata: Optional[Mapping[str, Any]] = None
) -> AssetSpec:
    """The spec a plain ``DagsterDltTranslator`` gives a resource."""
    resource, destination = data.resource, data.destination
    return AssetSpec(
        key=default_asset_key(resource),
        deps=default_deps(resource),
        description=default_description(resource),
        metadata={**default_metadata(resource, destination), **(extra_metadata or {})},
        kinds=default_kinds(destination),
    )


def uses_defaults(translator: "DagsterDltTranslator") -> bool:
    """True when ``translator`` changes nothing of the default spec."""
    cls = type(translator)
    return cls.get_asset_spec is DagsterDltTranslator.get_asset_spec and not legacy_overrides(cls)


def default_metadata(resource: DltResource, destination: Optional[Destination]) -> dict[str, Any]:
    metadata: dict[str, Any] = {TABLE_NAME: static_table_name(resource)}
    if destination is not None:
        metadata[STORAGE_KIND] = destination.destination_name
    return metadata


class DagsterDltTranslator(LegacyTranslatorGetters):
    """Maps dlt resources to Dagster asset specs. Subclass it and override ``get_asset_spec``.

    The defaults match the published ``dagster-dlt`` package: key ``dlt_<source>_<resource>``, one
    upstream dep ``<source>_<resource>`` (a transformer's root resource for transformers), the
    resource function's docstring as description, kinds ``{"dlt", <destination name>}``. Names
    that are not valid Dagster names have each invalid character replaced by ``_``.

    Example:
        .. code-block:: python

            from dagster import AssetKey
            from dagster_dlt import DagsterDltTranslator
            from dagster_dlt.translator import DltResourceTranslatorData

            class PrefixedTranslator(DagsterDltTranslator):
                def get_asset_spec(self, data: DltResourceTranslatorData):
                    spec = super().get_asset_spec(data)
                    return spec.replace_attributes(key=AssetKey(["raw", data.resource.name]))
    """

    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
        """The asset spec of one dlt resource.

        Args:
            data: the resource and, when known, its pipeline or destination.

        Returns:
            The ``AssetSpec`` Dagster uses for that resource.
        """
        return self._apply_legacy_overrides(default_asset_spec(data), data)

    def _default_spec(self, resource: DltResource, destination: Optional[Destination]) -> AssetSpec:
        return default_asset_spec(
            DltResourceTranslatorData(resource=resource, destination=destination)
        )

    def _translate(self, resource: DltResource, destination: Optional[Destination]) -> AssetSpec:
        return self.get_asset_spec(
            DltResourceTranslatorData(resource=resource, destination=destination)
        )
