"""The pure mapping from a dlt resource to a Dagster ``AssetSpec``.

``DagsterDltTranslator.get_asset_spec`` is the one method users override. Older code overrides
per-field getters (``get_asset_key``, ``get_group_name``, ...); those are a mixin,
``LegacyTranslatorGetters``, and are honoured in one place, ``_apply_legacy_overrides``, with one
deprecation warning per class and getter. Calling a getter on any translator returns that field
of the spec the translator produces.
"""

import functools
import inspect
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from typing import Any, Optional

from dagster import AssetKey, AssetSpec, AutoMaterializePolicy, AutomationCondition
from dlt.common.destination import Destination
from dlt.extract.resource import DltResource

from dagster_dlt._seams import internals
from dagster_dlt.constants import STORAGE_KIND, TABLE_NAME
from dagster_dlt.schema.nested_specs import default_nested_table_spec, schema_metadata
from dagster_dlt.translator_data import (
    DltNestedTableTranslatorData,
    DltResourceTranslatorData,
    dagster_name,
)

__all__ = [
    "DagsterDltTranslator",
    "DltNestedTableTranslatorData",
    "DltResourceTranslatorData",
    "dagster_name",
]


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
        metadata={
            **default_metadata(resource, destination),
            **schema_metadata(data),
            **(extra_metadata or {}),
        },
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


# Legacy getter name -> the AssetSpec attribute it sets.
LEGACY_GETTERS: Mapping[str, str] = {
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

# True while get_asset_spec calls a user's legacy override: the base getters then return the
# defaults, because an override that calls ``super().get_asset_key(resource)`` would otherwise
# recurse through get_asset_spec forever. A context variable keeps threads and tasks apart.
_resolving: ContextVar[bool] = ContextVar("dagster_dlt_resolving_legacy_getters", default=False)


@functools.cache
def legacy_overrides(cls: type) -> tuple[str, ...]:
    """The legacy getters that ``cls`` overrides, looked up (and warned about) once per class."""
    overridden = tuple(
        name
        for name in LEGACY_GETTERS
        if getattr(cls, name) is not getattr(LegacyTranslatorGetters, name)
    )
    for name in overridden:
        warnings.warn(
            f"{cls.__name__}.{name} is deprecated: override get_asset_spec(data) and return "
            f"spec.replace_attributes({LEGACY_GETTERS[name]}=...) instead. The override still "
            "takes effect.",
            DeprecationWarning,
            stacklevel=3,
        )
    return overridden


class LegacyTranslatorGetters:
    """The deprecated per-field getters. Override ``get_asset_spec`` instead.

    The class using this mixin provides ``get_asset_spec`` and two hooks: ``_default_spec``
    (the spec with no customisation) and ``_translate`` (the spec this translator produces).
    """

    def _default_spec(self, resource: DltResource, destination: Optional[Destination]) -> AssetSpec:
        raise NotImplementedError

    def _translate(self, resource: DltResource, destination: Optional[Destination]) -> AssetSpec:
        raise NotImplementedError

    def _apply_legacy_overrides(
        self, spec: AssetSpec, data: DltResourceTranslatorData
    ) -> AssetSpec:
        overridden = legacy_overrides(type(self))
        if not overridden:
            return spec
        changes: dict[str, Any] = {}
        token = _resolving.set(True)
        try:
            for name in overridden:
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
                    changes[LEGACY_GETTERS[name]] = method(data.resource)
        finally:
            _resolving.reset(token)
        return spec.replace_attributes(**changes)

    def _spec_for_getter(
        self, resource: DltResource, destination: Optional[Destination] = None
    ) -> AssetSpec:
        if _resolving.get():
            return self._default_spec(resource, destination)
        return self._translate(resource, destination)

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
        # While overrides are applied, the spec's own metadata is merged in by the caller.
        return {} if _resolving.get() else self._spec_for_getter(resource).metadata

    def get_owners(self, resource: DltResource) -> Optional[Sequence[str]]:
        """Deprecated: override ``get_asset_spec``. The owners of ``resource``."""
        return self._spec_for_getter(resource).owners

    def get_tags(self, resource: DltResource) -> Mapping[str, str]:
        """Deprecated: override ``get_asset_spec``. The tags of ``resource`` (kinds excluded)."""
        tags = self._spec_for_getter(resource).tags
        return {k: v for k, v in tags.items() if not k.startswith("dagster/kind/")}

    def get_kinds(self, resource: DltResource, destination: Optional[Destination]) -> set[str]:
        """Deprecated: override ``get_asset_spec``. The kinds of ``resource`` at ``destination``."""
        return set(self._spec_for_getter(resource, destination).kinds)

    def get_automation_condition(self, resource: DltResource) -> Optional[AutomationCondition]:
        """Deprecated: override ``get_asset_spec``. The automation condition of ``resource``."""
        return self._spec_for_getter(resource).automation_condition

    def get_auto_materialize_policy(self, resource: DltResource) -> Optional[AutoMaterializePolicy]:
        """Deprecated: override ``get_asset_spec`` and set ``automation_condition``.

        An override of this method is converted to an automation condition.
        """
        return None


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

    def get_nested_table_spec(self, data: DltNestedTableTranslatorData) -> AssetSpec:
        """The asset spec of one nested table, with ``nested_tables="assets"``.

        Args:
            data: the nested table, its resource, and the spec of its parent table's asset.

        Returns:
            By default: the parent's key with the nested table's name in place of the parent
            table's (``["raw", "posts__tags"]`` for ``["raw", "posts"]``), one dep on the parent,
            the parent's group, owners, tags and kinds, and the table's column schema and hints.
        """
        return default_nested_table_spec(data)

    def _default_spec(self, resource: DltResource, destination: Optional[Destination]) -> AssetSpec:
        return default_asset_spec(
            DltResourceTranslatorData(resource=resource, destination=destination)
        )

    def _translate(self, resource: DltResource, destination: Optional[Destination]) -> AssetSpec:
        return self.get_asset_spec(
            DltResourceTranslatorData(resource=resource, destination=destination)
        )
