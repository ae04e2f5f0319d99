"""``DltLoadCollectionComponent``: dlt loads declared in ``defs.yaml``, one ``@dlt_assets`` each.

The component only translates YAML into calls of the public API: ``@dlt_assets`` builds the
assets (and gives each op the run configuration that every ``@dlt_assets`` has), and
``DagsterDltResource.run`` loads them.
"""

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Optional, Union

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    BackfillPolicy,
    Component,
    ComponentLoadContext,
    Definitions,
    PartitionsDefinition,
    Resolvable,
    Resolver,
)
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
from dagster.components.scaffold.scaffold import scaffold_with
from dagster.components.utils.translation import TranslationFn, TranslationFnResolver
from dlt.extract.resource import DltResource
from dlt.extract.source import DltSource
from dlt.pipeline.pipeline import Pipeline

from dagster_dlt.asset_decorator import dlt_assets
from dagster_dlt.components.dlt_load_collection.deferred import (
    call_for_run,
    call_for_specs,
    is_source_function,
)
from dagster_dlt.components.dlt_load_collection.python_paths import import_object, location_of
from dagster_dlt.components.dlt_load_collection.scaffolder import DltLoadCollectionScaffolder
from dagster_dlt.resource import DagsterDltResource
from dagster_dlt.split import split_steps
from dagster_dlt.translator import DagsterDltTranslator, DltResourceTranslatorData

__all__ = ["DltLoadCollectionComponent", "DltLoadSpecModel"]

MetadataAddon = Literal["row_count", "column_metadata"]


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
    split: Optional[Union[Literal["resource", "scc"], int, list[list[str]]]] = None


@dataclass(frozen=True)
class _Load:
    """A load ready to define and run: the source for the specs, and how to get one for a run."""

    spec: DltLoadSpecModel
    source: DltSource
    where: str

    def source_for_run(self) -> Optional[DltSource]:
        """A fresh source for an uncalled source function (its secrets resolve now), else None:
        the run then uses the source carried by the asset specs."""
        if is_source_function(self.spec.source):
            return call_for_run(self.spec.source, self.where)
        return None


# The docstring's lines stay short: `dg scaffold defs dagster_dlt.DltLoadCollectionComponent
# --help` shows it, re-wrapped at the terminal's width (80 columns by default), and it is where
# dg users see the scaffold options (dg lists them as "(scaffolder param) source" at best).
@scaffold_with(DltLoadCollectionScaffolder)
@dataclass
class DltLoadCollectionComponent(Component, Resolvable):
    """Expose one or more dlt loads to Dagster as assets, one asset per dlt resource.

    Each load becomes one ``@dlt_assets`` multi-asset whose op is named
    ``dlt_assets_<source name>_<dataset name>`` (or ``op.name``). Asset keys
    default to ``[<dataset name>, <table name>]`` and upstream deps to
    ``<source>_<resource>``, as in the published component. Runs take the
    same run configuration as any ``@dlt_assets`` op.

    Options of ``dg scaffold defs dagster_dlt.DltLoadCollectionComponent``:
        --source: the dlt source that loads.py starts from: sql_database,
            rest_api, filesystem, github or gharchive. Without it: a small
            example source that needs no configuration.
        --destination: duckdb (the default: the file <project>.duckdb at the
            project's root), snowflake or filesystem.
        Nothing is downloaded. docs/components.md says what each one needs.

    Example:
        .. code-block:: yaml

            type: dagster_dlt.DltLoadCollectionComponent
            attributes:
              loads:
                - source: .loads.my_load_source
                  pipeline: .loads.my_load_pipeline
                  include_metadata: ["row_count"]

        .. code-block:: python

            class LoggedLoads(DltLoadCollectionComponent):
                def execute(self, context, dlt_pipeline_resource):
                    context.log.info("loading")
                    yield from super().execute(context, dlt_pipeline_resource)
    """

    loads: Sequence[DltLoadSpecModel]

    @property
    def dlt_pipeline_resource(self) -> DagsterDltResource:
        """The resource that runs the loads; override to change its settings."""
        return DagsterDltResource()

    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
        """The asset spec of one dlt resource, before the load's ``translation`` applies.

        Override it in a subclass to change every load's specs.

        Args:
            data: the resource and its pipeline.

        Returns:
            The default spec with key ``[<dataset name>, <table name>]`` (the resource name when
            the table name is computed per item).

        Example:
            .. code-block:: python

                class TaggedLoads(DltLoadCollectionComponent):
                    def get_asset_spec(self, data):
                        spec = super().get_asset_spec(data)
                        return spec.merge_attributes(tags={"source": data.resource.source_name})
        """
        spec = DagsterDltTranslator().get_asset_spec(data)
        table_name = data.resource.table_name
        if not isinstance(table_name, str):
            table_name = data.resource.name
        dataset = data.pipeline.dataset_name if data.pipeline is not None else None
        return spec.replace_attributes(key=AssetKey([*([dataset] if dataset else []), table_name]))

    def execute(
        self, context: AssetExecutionContext, dlt_pipeline_resource: DagsterDltResource
    ) -> Iterator[Any]:
        """Run the load of the selected assets and yield their materializations.

        Override it in a subclass to wrap the run, and call ``super().execute(...)`` to keep
        uncalled source functions and ``include_metadata`` working.

        Args:
            context: the asset execution context.
            dlt_pipeline_resource: the resource that runs dlt.

        Example:
            .. code-block:: python

                class LoggedLoads(DltLoadCollectionComponent):
                    def execute(self, context, dlt_pipeline_resource):
                        context.log.info("loading")
                        yield from super().execute(context, dlt_pipeline_resource)
        """
        load = self._load_of(context)
        events = dlt_pipeline_resource.run(context=context, dlt_source=load.source_for_run())
        if "row_count" in load.spec.include_metadata:
            events = events.fetch_row_count()
        yield from events

    def build_defs(self, context: ComponentLoadContext) -> Definitions:
        """One ``@dlt_assets`` per load."""
        file = _defs_file(context)
        loads: dict[str, _Load] = {}
        assets = []
        for index, spec in enumerate(self.loads):
            where = f"load {index} of {file}" if file else f"load {index}"
            source = spec.source
            if is_source_function(source):
                source = call_for_specs(source, where)
            op = spec.op or OpSpec()
            name = op.name or _op_name(source.name, spec.pipeline.dataset_name)
            if name in loads:
                raise ValueError(
                    f"{where} and {loads[name].where} both define op '{name}' (source "
                    f"'{source.name}' into dataset '{spec.pipeline.dataset_name}'). Give one of "
                    "them its own op name with op: {name: ...}."
                )
            if op.description is not None:
                raise ValueError(
                    f"{where}: field 'op.description' is not supported, as a dlt load's op has no "
                    "description of its own. Describe the assets with translation: "
                    "{description: ...}, or remove op.description."
                )
            if op.backfill_policy is not None and spec.backfill_policy is not None:
                raise ValueError(
                    f"{where}: both 'backfill_policy' and 'op.backfill_policy' are set. Set the "
                    "backfill policy in one of them."
                )
            steps = [("", source)] if spec.split is None else _split(source, spec.split)
            for suffix, step_source in steps:
                step_name = f"{name}_{suffix}" if suffix else name
                loads[step_name] = _Load(spec=spec, source=source, where=where)
                assets.append(self._define(step_name, spec, step_source, op))
        self._loads = loads
        return Definitions(assets=assets)

    def _define(self, name: str, spec: DltLoadSpecModel, source: DltSource, op: OpSpec) -> Any:
        @dlt_assets(
            dlt_source=source,
            dlt_pipeline=spec.pipeline,
            name=name,
            dagster_dlt_translator=_LoadTranslator(self, spec),
            partitions_def=spec.partitions_def,
            backfill_policy=op.backfill_policy or spec.backfill_policy,
            op_tags=op.tags,
            pool=op.pool,
            schema_drift_check=spec.schema_drift_check,
            contract_check=spec.contract_check,
        )
        def _assets(context: AssetExecutionContext):
            yield from self.execute(context, self.dlt_pipeline_resource)

        return _assets

    def _load_of(self, context: AssetExecutionContext) -> _Load:
        name = context.op_execution_context.op_def.name
        loads: dict[str, _Load] = getattr(self, "_loads", {})
        if name not in loads:
            raise ValueError(
                f"Op '{name}' is not a load of this DltLoadCollectionComponent: execute() runs "
                "only the assets that the component's build_defs defined."
            )
        return loads[name]


class _LoadTranslator(DagsterDltTranslator):
    """The component's ``get_asset_spec`` (a subclass's override included), then the load's
    ``translation``."""

    def __init__(self, component: DltLoadCollectionComponent, spec: DltLoadSpecModel) -> None:
        self._component = component
        self._translation = spec.translation

    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
        spec = self._component.get_asset_spec(data)
        return spec if self._translation is None else self._translation(spec, data)


def _split(source: DltSource, split: Any) -> list[tuple[str, DltSource]]:
    return [(suffix, source.with_resources(*group)) for suffix, group in split_steps(source, split)]


def _op_name(source_name: str, dataset_name: Optional[str]) -> str:
    # Dagster names allow letters, digits and underscores only.
    return re.sub(r"[^A-Za-z0-9_]", "_", f"dlt_assets_{source_name}_{dataset_name}")


def _defs_file(context: Optional[ComponentLoadContext]) -> Optional[Path]:
    try:
        path = context.path if context is not None else None
    except Exception:
        return None  # a component built in Python, outside a defs folder
    if path is None:
        return None
    return path / "defs.yaml" if path.is_dir() else path
