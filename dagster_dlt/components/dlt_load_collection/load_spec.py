"""``DltLoadSpecModel``: one load of ``defs.yaml``, its fields and how each resolves."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Optional, Union

from dagster import BackfillPolicy, PartitionsDefinition, Resolvable, Resolver
from dagster.components.resolved.context import ResolutionContext
from dagster.components.resolved.core_models import (
    DailyPartitionsDefinitionModel,
    HourlyPartitionsDefinitionModel,
    MultiRunBackfillPolicyModel,
    OpSpec,
    SingleRunBackfillPolicyModel,
    StaticPartitionsDefinitionModel,
    TimeWindowPartitionsDefinitionModel,
    WeeklyPartitionsDefinitionModel,
    resolve_backfill_policy,
    resolve_partitions_def,
)
from dagster.components.utils.translation import TranslationFn, TranslationFnResolver
from dlt.extract.resource import DltResource
from dlt.extract.source import DltSource
from dlt.pipeline.pipeline import Pipeline

from dagster_dlt.components.dlt_load_collection.deferred import is_source_function
from dagster_dlt.components.dlt_load_collection.python_paths import import_object, location_of
from dagster_dlt.translator import DltResourceTranslatorData

__all__ = ["DltLoadSpecModel", "MetadataAddon", "NestedTables"]

MetadataAddon = Literal["row_count", "column_metadata"]
NestedTables = Literal["metadata", "assets"]


def _resolve_source(context: ResolutionContext, path: str) -> Any:
    where = location_of(context)
    value = import_object(path, where)
    if isinstance(value, DltSource) or is_source_function(value):
        return value
    if isinstance(value, DltResource):
        hint = (
            " It is a dlt resource: return it from a @dlt.source function and point 'source:' "
            "at that function, or at the source it returns."
        )
    else:
        hint = ""
    raise ValueError(
        f"{where.describe()}: '{path}' is a {type(value).__name__}, not a dlt source. Point "
        "'source:' at a dlt source (the result of calling a @dlt.source function) or at the "
        f"@dlt.source function itself.{hint}"
    )


def _resolve_pipeline(context: ResolutionContext, path: str) -> Pipeline:
    where = location_of(context)
    value = import_object(path, where)
    if isinstance(value, Pipeline):
        return value
    raise ValueError(
        f"{where.describe()}: '{path}' is a {type(value).__name__}, not a dlt pipeline. Point "
        "'pipeline:' at a pipeline made with dlt.pipeline(pipeline_name=..., "
        "destination=..., dataset_name=...)."
    )


def _template_vars(data: DltResourceTranslatorData) -> dict[str, Any]:
    # Dagster adds ``spec``, the spec before translation.
    return {"resource": data.resource, "pipeline": data.pipeline}


@dataclass
class DltLoadSpecModel(Resolvable):
    """One dlt load: a source, the pipeline that loads it, and how its assets look and run.

    Attributes:
        pipeline: the dlt pipeline, as a Python path (``.loads.my_pipeline``; a leading dot is
            relative to the folder of ``defs.yaml``).
        source: the dlt source, as a Python path: a called source, or an uncalled
            ``@dlt.source`` function whose configuration and secrets resolve when a run starts.
        translation: Dagster's asset attributes (key, key_prefix, group_name, deps, tags, ...),
            templated with ``resource``, ``pipeline`` and ``spec``.
        partitions_def: partitions of the load's assets (hourly, daily, weekly, time_window,
            static).
        backfill_policy: how backfills run (single_run or multi_run).
        op: the op's name, tags, pool and backfill policy.
        include_metadata: ``row_count`` adds each table's total rows to every materialization;
            ``column_metadata`` is accepted for symmetry with the dbt and sling components: the
            column schema is always reported.
        schema_drift_check: give every asset a ``dlt_schema_drift`` check (on by default).
        contract_check: give assets with a schema contract a ``dlt_schema_contract`` check (on
            by default).
        nested_tables: ``metadata`` (the default) describes a resource's nested tables in its
            asset's metadata; ``assets`` makes each nested table an asset of its own. Both need
            the dlt schema: the component's ``defs_state``.
        split: load in several steps, as ``build_dlt_assets_definitions`` does: ``resource``,
            ``scc``, a number of steps, or a list of lists of resource names. Each step's op is
            named ``<op name>_<n>`` (``<op name>_<resource>`` for ``resource``).
    """

    pipeline: Annotated[
        Pipeline,
        Resolver(
            _resolve_pipeline,
            model_field_type=str,
            description="Python path of the dlt pipeline, e.g. .loads.my_load_pipeline.",
        ),
    ]
    source: Annotated[
        Union[DltSource, Callable[..., DltSource]],
        Resolver(
            _resolve_source,
            model_field_type=str,
            description=(
                "Python path of the dlt source, or of an uncalled @dlt.source function, e.g. "
                ".loads.my_load_source."
            ),
        ),
    ]
    translation: Optional[
        Annotated[
            TranslationFn[DltResourceTranslatorData],
            TranslationFnResolver[DltResourceTranslatorData](_template_vars),
        ]
    ] = None
    partitions_def: Annotated[
        Optional[PartitionsDefinition],
        Resolver(
            resolve_partitions_def,
            model_field_type=Optional[
                Union[
                    HourlyPartitionsDefinitionModel,
                    DailyPartitionsDefinitionModel,
                    WeeklyPartitionsDefinitionModel,
                    TimeWindowPartitionsDefinitionModel,
                    StaticPartitionsDefinitionModel,
                ]
            ],
            description="Partitions of the load's assets.",
        ),
    ] = None
    backfill_policy: Annotated[
        Optional[BackfillPolicy],
        Resolver(
            resolve_backfill_policy,
            model_field_type=Optional[
                Union[SingleRunBackfillPolicyModel, MultiRunBackfillPolicyModel]
            ],
            description="How backfills of a partitioned load run.",
        ),
    ] = None
    op: Optional[OpSpec] = None
    include_metadata: list[MetadataAddon] = field(default_factory=list)
    schema_drift_check: bool = True
    contract_check: bool = True
    nested_tables: NestedTables = "metadata"
    split: Optional[Union[Literal["resource", "scc"], int, list[list[str]]]] = None
