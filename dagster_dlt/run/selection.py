"""Which dlt resources a step loads, and with what: read from the step's context and asset specs.

Specs built by ``@dlt_assets`` carry the dlt source, pipeline and translator (the published
package's ``META_KEY_*`` entries) and the name of each asset's resource. A step maps its selected
asset keys back to resources by that name, so a subset run loads exactly what was selected.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional, Union

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    OpExecutionContext,
)
from dlt.extract.source import DltSource
from dlt.pipeline.pipeline import Pipeline

from dagster_dlt.errors import DagsterDltError, DltSelectionError
from dagster_dlt.spec_facts import SpecFacts
from dagster_dlt.translator import DagsterDltTranslator, DltResourceTranslatorData

__all__ = ["AnyContext", "NestedAssets", "StepSelection", "op_context"]

AnyContext = Union[OpExecutionContext, AssetExecutionContext]


@dataclass(frozen=True)
class NestedAssets:
    """The nested tables that are assets of their own (``nested_tables="assets"``), for a step.

    Attributes:
        table_by_key: the selected keys that stand for a nested table, and that table.
        unselected_by_resource: per resource that runs, the keys of the multi-asset that the run
            loads without their being selected (dlt loads a resource with all its tables).
        defined_by_resource: per resource, the nested tables that have an asset.
        as_assets: whether the multi-asset makes assets of nested tables at all.
    """

    table_by_key: Mapping[AssetKey, str] = field(default_factory=dict)
    unselected_by_resource: Mapping[str, tuple[AssetKey, ...]] = field(default_factory=dict)
    defined_by_resource: Mapping[str, frozenset[str]] = field(default_factory=dict)
    as_assets: bool = False

    @classmethod
    def of(cls, assets_def: AssetsDefinition, selected: Mapping[AssetKey, str]) -> "NestedAssets":
        """What ``assets_def`` defines around the selected keys (key -> resource)."""
        as_assets = SpecFacts.of_assets(assets_def).nested_as_assets
        if not as_assets:
            return cls()
        tables = SpecFacts.nested_tables(assets_def)
        running = set(selected.values())
        unselected: dict[str, list[AssetKey]] = {}
        defined: dict[str, set[str]] = {}
        for key, name in SpecFacts.resource_names(assets_def).items():
            if key in tables:
                defined.setdefault(name, set()).add(tables[key])
            if name in running and key not in selected:
                unselected.setdefault(name, []).append(key)
        return cls(
            table_by_key={key: tables[key] for key in selected if key in tables},
            unselected_by_resource={name: tuple(keys) for name, keys in unselected.items()},
            defined_by_resource={name: frozenset(t) for name, t in defined.items()},
            as_assets=True,
        )


@dataclass(frozen=True)
class StepSelection:
    """What one step runs: the source, the pipeline and the resource behind each asset key."""

    source: DltSource
    pipeline: Pipeline
    names_by_key: Mapping[AssetKey, str]
    built_by_dlt_assets: bool
    as_asset: bool
    nested: NestedAssets = NestedAssets()

    @classmethod
    def resolve(
        cls,
        context: OpExecutionContext,
        source: Optional[DltSource],
        pipeline: Optional[Pipeline],
        translator: Optional[DagsterDltTranslator],
    ) -> "StepSelection":
        """Fill what the caller left out from the specs, and map selected keys to resources."""
        assets_def = context.assets_def if context.has_assets_def else None
        carried = SpecFacts.of_assets(assets_def)
        source = source if source is not None else carried.source
        pipeline = pipeline if pipeline is not None else carried.pipeline
        if not isinstance(source, DltSource):
            raise DagsterDltError(
                "DagsterDltResource.run needs a dlt source: pass dlt_source=... (required when "
                "called from an @op or from an asset not built by @dlt_assets)."
            )
        if not isinstance(pipeline, Pipeline):
            raise DagsterDltError(
                "DagsterDltResource.run needs a dlt pipeline: pass dlt_pipeline=... (required "
                "when called from an @op or from an asset not built by @dlt_assets)."
            )
        return cls(
            source=source,
            pipeline=pipeline,
            names_by_key={},
            built_by_dlt_assets=carried.carried,
            as_asset=assets_def is not None,
        )._with_names(context, assets_def, translator or carried.translator)

    def _with_names(
        self,
        context: OpExecutionContext,
        assets_def: Optional[AssetsDefinition],
        translator: Optional[DagsterDltTranslator],
    ) -> "StepSelection":
        # Specs built by @dlt_assets name their resource; a translator passed to run() wins.
        names = _names_by_key(assets_def) if assets_def is not None else {}
        explicit = translator is not None and translator is not _carried_translator(assets_def)
        if not names or explicit:
            translator = translator or DagsterDltTranslator()
            names = {
                translator.get_asset_spec(
                    DltResourceTranslatorData(resource=resource, pipeline=self.pipeline)
                ).key: name
                for name, resource in self.source.selected_resources.items()
            }
        nested = NestedAssets()
        if assets_def is not None:
            selected = context.selected_asset_keys
            names = {key: name for key, name in names.items() if key in selected}
            nested = NestedAssets.of(assets_def, names)
        _check(names, self.source, context)
        return StepSelection(
            self.source, self.pipeline, names, self.built_by_dlt_assets, self.as_asset, nested
        )


def op_context(context: AnyContext) -> OpExecutionContext:
    """The op execution context behind an asset or op context."""
    if isinstance(context, AssetExecutionContext):
        return context.op_execution_context
    return context


def _check(names_by_key: Mapping[AssetKey, str], source: DltSource, context: Any) -> None:
    if not names_by_key:
        selected = sorted(key.to_user_string() for key in context.selected_asset_keys)
        raise DltSelectionError(
            f"None of the selected assets ({', '.join(selected) or 'none'}) maps to a resource of "
            f"dlt source '{source.name}' (resources: {', '.join(source.selected_resources)}). "
            "If you pass dagster_dlt_translator to run(), it must produce the same keys as the "
            "translator given to @dlt_assets."
        )
    unknown = sorted(set(names_by_key.values()) - set(source.resources))
    if unknown:
        raise DltSelectionError(
            f"dlt source '{source.name}' has no resource named {', '.join(unknown)}, which the "
            "selected assets were built from. Pass a source with the same resources as the one "
            "given to @dlt_assets."
        )


def _carried_translator(assets_def: Optional[AssetsDefinition]) -> Any:
    return SpecFacts.of_assets(assets_def).translator


def _names_by_key(assets_def: AssetsDefinition) -> dict[AssetKey, str]:
    return SpecFacts.resource_names(assets_def)


def definition_source(context: OpExecutionContext) -> Any:
    """The dlt source given to ``@dlt_assets`` for the step's assets, or ``None``."""
    assets_def = context.assets_def if context.has_assets_def else None
    return SpecFacts.of_assets(assets_def).source
