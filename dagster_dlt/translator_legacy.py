"""The legacy per-field getters of ``DagsterDltTranslator``, in a mixin of their own.

Code written for older releases overrides ``get_asset_key``, ``get_group_name`` and the rest
instead of ``get_asset_spec``. Those overrides are honoured in one place,
``_apply_legacy_overrides``, with one deprecation warning per class and getter. Calling a getter
on any translator returns that field of the spec the translator produces.
"""

import functools
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Optional

from dagster import AssetKey, AssetSpec, AutoMaterializePolicy, AutomationCondition
from dlt.common.destination import Destination
from dlt.extract.resource import DltResource

if TYPE_CHECKING:
    from dagster_dlt.translator import DltResourceTranslatorData

__all__ = ["LegacyTranslatorGetters", "legacy_overrides"]

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
        self, spec: AssetSpec, data: "DltResourceTranslatorData"
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
