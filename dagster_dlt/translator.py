"""The pure mapping from a dlt resource to a Dagster ``AssetSpec``.

``DagsterDltTranslator.get_asset_spec`` is the one method users override. Older code overrides
per-field getters (``get_asset_key``, ``get_group_name``, ...); those are honoured in one place,
``_apply_legacy_overrides``, with a deprecation warning, instead of wrapping every field.
"""

import functools
import inspect
import threading
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Optional

from dagster import AssetKey, AssetSpec, AutoMaterializePolicy, AutomationCondition
from dlt.common.destination import Destination
from dlt.extract.resource import DltResource
from dlt.pipeline.pipeline import Pipeline

__all__ = ["DagsterDltTranslator", "DltResourceTranslatorData"]


@dataclass(frozen=True)
class DltResourceTranslatorData:
    """What the translator sees of one dlt resource.

    Attributes:
        resource: the dlt resource.
        pipeline: the dlt pipeline that loads it, when known.
    """

    resource: DltResource
    pipeline: Optional[Pipeline] = None

    @property
    def destination(self) -> Optional[Destination]:
        """The pipeline's destination, or ``None`` when there is no pipeline or no destination."""
        if self.pipeline is None:
            return None
        return self.pipeline.destination


# Legacy getter name -> the AssetSpec attribute it sets.
_LEGACY_GETTERS: Mapping[str, str] = {
    "get_asset_key": "key",
    "get_deps_asset_keys": "deps",
    "get_description": "description",
    "get_group_name": "group_name",
    "get_metadata": "metadata",
    "get_owners": "owners",
    "get_tags": "tags",
    "get_kinds": "kinds",
    "get_automation_condition": "automation_condition",
    "get_auto_materialize_policy": "automation_condition",
}

# While get_asset_spec calls a user's legacy override, the base getters must return defaults:
# an override that calls ``super().get_asset_key(resource)`` would otherwise recurse forever.
_resolving = threading.local()
_warned: set[tuple[type, str]] = set()


def _warn_legacy(cls: type, getter: str) -> None:
    # Once per class and getter: a source of 1000 resources should not print 1000 warnings.
    if (cls, getter) in _warned:
        return
    _warned.add((cls, getter))
    target = _LEGACY_GETTERS[getter]
    warnings.warn(
        f"{cls.__name__}.{getter} is deprecated: override get_asset_spec(data) and return "
        f"spec.replace_attributes({target}=...) instead. The override still takes effect.",
        DeprecationWarning,
        stacklevel=4,
    )


def default_asset_key(resource: DltResource) -> AssetKey:
    """The published package's key, kept so that migrating users keep their asset keys."""
    return AssetKey(f"dlt_{resource.source_name}_{resource.name}")


def root_resource_name(resource: DltResource) -> str:
    """The name of the resource at the root of a transformer's pipe (the resource itself otherwise)."""
    pipe = resource._pipe  # dlt exposes no public accessor for a transformer's parent pipe
    while pipe.has_parent:
        pipe = pipe.parent
    return pipe.name


def default_deps(resource: DltResource) -> list[AssetKey]:
    """One upstream key per resource: where its data comes from (for a transformer, its root)."""
    return [AssetKey(f"{resource.source_name}_{root_resource_name(resource)}")]


def default_description(resource: DltResource) -> Optional[str]:
    """The docstring of the function behind the resource, if it has exactly one."""
    steps = resource._pipe.steps
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


@functools.cache
def legacy_overrides(cls: type) -> tuple[str, ...]:
    """The legacy per-field getters that ``cls`` overrides, looked up once per class."""
    return tuple(
        name
        for name in _LEGACY_GETTERS
        if getattr(cls, name) is not getattr(DagsterDltTranslator, name)
    )


def uses_defaults(translator: "DagsterDltTranslator") -> bool:
    """True when ``translator`` changes nothing of the default spec."""
    cls = type(translator)
    return cls.get_asset_spec is DagsterDltTranslator.get_asset_spec and not legacy_overrides(cls)


def default_metadata(resource: DltResource, destination: Optional[Destination]) -> dict[str, Any]:
    metadata: dict[str, Any] = {"dagster/table_name": static_table_name(resource)}
    if destination is not None:
        metadata["dagster/storage_kind"] = destination.destination_name
    return metadata


class DagsterDltTranslator:
    """Maps dlt resources to Dagster asset specs. Subclass it and override ``get_asset_spec``.

    The defaults match the published ``dagster-dlt`` package: key ``dlt_<source>_<resource>``, one
    upstream dep ``<source>_<resource>`` (a transformer's root resource for transformers), the
    resource function's docstring as description, kinds ``{"dlt", <destination name>}``.

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
            data: the resource and, when known, its pipeline.

        Returns:
            The ``AssetSpec`` Dagster uses for that resource.
        """
        return self._apply_legacy_overrides(default_asset_spec(data), data)

    def _apply_legacy_overrides(
        self, spec: AssetSpec, data: DltResourceTranslatorData
    ) -> AssetSpec:
        overridden = legacy_overrides(type(self))
        if not overridden:
            return spec
        changes: dict[str, Any] = {}
        _resolving.active = True
        try:
            for name in overridden:
                _warn_legacy(type(self), name)
                method: Callable[..., Any] = getattr(self, name)
                if name == "get_kinds":
                    changes["kinds"] = set(method(data.resource, data.destination) or ())
                elif name == "get_auto_materialize_policy":
                    policy = method(data.resource)
                    # An explicit automation condition wins over a converted policy.
                    if policy is not None and "get_automation_condition" not in overridden:
                        changes["automation_condition"] = policy.to_automation_condition()
                elif name == "get_metadata":
                    changes["metadata"] = {**spec.metadata, **(method(data.resource) or {})}
                elif name == "get_deps_asset_keys":
                    changes["deps"] = list(method(data.resource) or [])
                else:
                    changes[_LEGACY_GETTERS[name]] = method(data.resource)
        finally:
            _resolving.active = False
        return spec.replace_attributes(**changes)

    def _spec_for_getter(self, resource: DltResource) -> AssetSpec:
        data = DltResourceTranslatorData(resource=resource)
        if getattr(_resolving, "active", False):
            return default_asset_spec(data)
        return self.get_asset_spec(data)

    # Legacy per-field getters. Deprecated: override get_asset_spec instead. Calling them on any
    # translator returns the field of the spec that translator produces.

    def get_asset_key(self, resource: DltResource) -> AssetKey:
        """Deprecated: override ``get_asset_spec``. The asset key of ``resource``."""
        return self._spec_for_getter(resource).key

    def get_deps_asset_keys(self, resource: DltResource) -> Iterable[AssetKey]:
        """Deprecated: override ``get_asset_spec``. The upstream keys of ``resource``."""
        return [dep.asset_key for dep in self._spec_for_getter(resource).deps]

    def get_description(self, resource: DltResource) -> Optional[str]:
        """Deprecated: override ``get_asset_spec``. The description of ``resource``."""
        return self._spec_for_getter(resource).description

    def get_group_name(self, resource: DltResource) -> Optional[str]:
        """Deprecated: override ``get_asset_spec``. The group name of ``resource``."""
        return self._spec_for_getter(resource).group_name

    def get_metadata(self, resource: DltResource) -> Mapping[str, Any]:
        """Deprecated: override ``get_asset_spec``. Extra spec metadata for ``resource``."""
        return (
            {} if getattr(_resolving, "active", False) else self._spec_for_getter(resource).metadata
        )

    def get_owners(self, resource: DltResource) -> Optional[Sequence[str]]:
        """Deprecated: override ``get_asset_spec``. The owners of ``resource``."""
        return self._spec_for_getter(resource).owners

    def get_tags(self, resource: DltResource) -> Mapping[str, str]:
        """Deprecated: override ``get_asset_spec``. The tags of ``resource`` (kinds excluded)."""
        tags = self._spec_for_getter(resource).tags
        return {k: v for k, v in tags.items() if not k.startswith("dagster/kind/")}

    def get_kinds(self, resource: DltResource, destination: Optional[Destination]) -> set[str]:
        """Deprecated: override ``get_asset_spec``. The kinds of ``resource``."""
        if getattr(_resolving, "active", False):
            return default_kinds(destination)
        return set(self._spec_for_getter(resource).kinds)

    def get_automation_condition(self, resource: DltResource) -> Optional[AutomationCondition]:
        """Deprecated: override ``get_asset_spec``. The automation condition of ``resource``."""
        return self._spec_for_getter(resource).automation_condition

    def get_auto_materialize_policy(self, resource: DltResource) -> Optional[AutoMaterializePolicy]:
        """Deprecated: override ``get_asset_spec`` and set ``automation_condition``.

        An override of this method is converted to an automation condition.
        """
        return None
