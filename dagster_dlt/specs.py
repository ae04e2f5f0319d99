"""The asset specs of a dlt source: one per selected resource, and one per nested table with
``nested_tables="assets"``; checked so that a bad key names its resource and translator."""

import re
from typing import Any, Optional

from dagster import AssetKey, AssetSpec, DagsterInvalidDefinitionError
from dlt.common.schema import Schema
from dlt.extract.source import DltSource
from dlt.pipeline.pipeline import Pipeline

from dagster_dlt.schema.stored import DltSchemaArg, NestedTables, resolve_schema
from dagster_dlt.schema.tables import ResourceTables
from dagster_dlt.spec_facts import SpecFacts
from dagster_dlt.translator import (
    DagsterDltTranslator,
    DltNestedTableTranslatorData,
    DltResourceTranslatorData,
    default_asset_spec,
    uses_defaults,
)

__all__ = ["build_specs"]

_NESTED_CHOICES = ("metadata", "assets")


def build_specs(
    dlt_source: DltSource,
    dlt_pipeline: Pipeline,
    dagster_dlt_translator: Optional[DagsterDltTranslator],
    dlt_schema: DltSchemaArg = None,
    nested_tables: NestedTables = "metadata",
) -> list[AssetSpec]:
    """The specs of ``dlt_source``'s selected resources, in the source's order, each followed by
    its nested tables' specs when those are assets."""
    if nested_tables not in _NESTED_CHOICES:
        raise DagsterInvalidDefinitionError(
            f"nested_tables must be 'metadata' (nested tables in their parent's metadata) or "
            f"'assets' (an asset per nested table), got {nested_tables!r}."
        )
    as_assets = nested_tables == "assets"
    if as_assets and dlt_schema is None:
        # Nested tables are known only from a schema: the one the last run stored.
        dlt_schema = "pipeline"
    schema = resolve_schema(dlt_schema, dlt_source, dlt_pipeline)
    # Resources added since the schema was stored still get their declared hints.
    fallback = _discovered(dlt_source) if schema is not None else None
    translator = dagster_dlt_translator or DagsterDltTranslator()
    carried = SpecFacts(
        source=dlt_source, pipeline=dlt_pipeline, translator=translator, nested_as_assets=as_assets
    )
    # Building each spec once instead of building and then merging halves the cost for large
    # sources when the translator changes nothing.
    defaults = uses_defaults(translator)
    specs = []
    resources_by_key: dict[AssetKey, str] = {}
    for resource in dlt_source.selected_resources.values():
        tables = ResourceTables.of(schema, resource, fallback) if schema is not None else None
        data = DltResourceTranslatorData(
            resource=resource,
            pipeline=dlt_pipeline,
            dlt_schema=tables.schema if tables is not None else None,
            table_schema=tables.root if tables is not None else None,
        )
        if defaults:
            spec = default_asset_spec(data, carried.metadata(resource.name))
            _check_unique(spec.key, resource.name, resources_by_key, dlt_source, translator)
        else:
            spec = _translated(translator, data)
            _check_unique(spec.key, resource.name, resources_by_key, dlt_source, translator)
            _check_names(spec, resource, translator)
            spec = spec.merge_attributes(metadata=carried.metadata(resource.name))
        specs.append(spec)
        if as_assets and tables is not None and tables.nested:
            specs.extend(
                _nested_specs(spec, tables, data, translator, carried, resources_by_key, dlt_source)
            )
    return specs


def _translated(translator: DagsterDltTranslator, data: DltResourceTranslatorData) -> AssetSpec:
    spec = translator.get_asset_spec(data)
    if not isinstance(spec, AssetSpec):
        raise DagsterInvalidDefinitionError(
            f"{type(translator).__name__}.get_asset_spec returned {type(spec).__name__} for dlt "
            f"resource '{data.resource.name}'; it must return a dagster.AssetSpec."
        )
    return spec


def _nested_specs(
    root_spec: AssetSpec,
    tables: ResourceTables,
    data: DltResourceTranslatorData,
    translator: DagsterDltTranslator,
    carried: SpecFacts,
    resources_by_key: dict[AssetKey, str],
    source: DltSource,
) -> list[AssetSpec]:
    """One spec per nested table, each built from its parent table's spec."""
    resource = data.resource
    assert tables.root is not None
    spec_by_table = {tables.root["name"]: root_spec}
    specs = []
    for table in tables.nested:
        parent = spec_by_table[table["parent"]]
        nested = DltNestedTableTranslatorData(
            resource=resource,
            table_schema=table,
            dlt_schema=tables.schema,
            parent_spec=parent,
            pipeline=data.pipeline,
            destination=data.destination,
        )
        spec = translator.get_nested_table_spec(nested)
        if not isinstance(spec, AssetSpec):
            raise DagsterInvalidDefinitionError(
                f"{type(translator).__name__}.get_nested_table_spec returned "
                f"{type(spec).__name__} for nested table '{table['name']}' of dlt resource "
                f"'{resource.name}'; it must return a dagster.AssetSpec."
            )
        label = f"{resource.name} (nested table {table['name']})"
        _check_unique(spec.key, label, resources_by_key, source, translator)
        _check_names(spec, resource, translator)
        spec = spec.merge_attributes(metadata=carried.metadata(resource.name, table["name"]))
        spec_by_table[table["name"]] = spec
        specs.append(spec)
    return specs


def _discovered(source: DltSource) -> Optional[Schema]:
    try:
        return source.discover_schema()
    except Exception:  # a hint computed from an item cannot be resolved without one
        return None


def _check_unique(
    key: AssetKey,
    resource_name: str,
    resources_by_key: dict[AssetKey, str],
    source: DltSource,
    translator: DagsterDltTranslator,
) -> None:
    """Name both resources when two map to one key, before Dagster's duplicate errors would."""
    other = resources_by_key.setdefault(key, resource_name)
    if other == resource_name:
        return
    raise DagsterInvalidDefinitionError(
        f"dlt resources '{other}' and '{resource_name}' of source '{source.name}' both map to "
        f"asset key {key.to_user_string()} (keys keep only letters, digits and _; other "
        "characters become _). Give each resource its own key: override get_asset_spec in a "
        f"subclass of {type(translator).__name__}, or rename one of the resources "
        "(dlt.resource(..., name=...))."
    )


_VALID_NAME = re.compile(r"^[A-Za-z0-9_]+$")


def _check_names(spec: AssetSpec, resource: Any, translator: DagsterDltTranslator) -> None:
    """Name the resource and the translator when a key would fail the whole code location."""
    for key, role in [(spec.key, "key"), *((dep.asset_key, "upstream key") for dep in spec.deps)]:
        # Dagster names the op's outputs and inputs after the keys: each must be a valid name.
        if not _VALID_NAME.match(key.to_python_identifier()):
            raise DagsterInvalidDefinitionError(
                f"{type(translator).__name__}.get_asset_spec gave dlt resource '{resource.name}' "
                f"the {role} {key.to_user_string()!r}, which is not a valid Dagster name (letters, "
                "digits and _ only). Use dagster_dlt.translator.dagster_name(...) on names taken "
                "from dlt, or choose another key."
            )
