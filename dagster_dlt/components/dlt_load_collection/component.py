"""``DltLoadCollectionComponent``: dlt loads declared in ``defs.yaml``, one ``@dlt_assets`` each.

The component only translates YAML into calls of the public API: ``@dlt_assets`` builds the
assets (and gives each op the run configuration that every ``@dlt_assets`` has), and
``DagsterDltResource.run`` loads them.
"""

import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetMaterialization,
    AssetSpec,
    ComponentLoadContext,
    Definitions,
    MaterializeResult,
    Resolvable,
)
from dagster.components import (
    DefsStateConfig,
    DefsStateConfigArgs,
    ResolvedDefsStateConfig,
    StateBackedComponent,
)
from dagster.components.resolved.core_models import OpSpec
from dagster.components.scaffold.scaffold import scaffold_with
from dlt.common.schema import Schema
from dlt.extract.source import DltSource

from dagster_dlt.asset_decorator import dlt_assets
from dagster_dlt.components.dlt_load_collection.deferred import (
    call_for_run,
    call_for_specs,
    is_source_function,
    source_function_name,
)
from dagster_dlt.components.dlt_load_collection.load_spec import DltLoadSpecModel
from dagster_dlt.components.dlt_load_collection.scaffolder import DltLoadCollectionScaffolder
from dagster_dlt.components.dlt_load_collection.state import (
    REFRESH_COMMAND,
    LoadState,
    discover,
    missing_state,
    read_state,
    stand_in_source,
    write_state,
)
from dagster_dlt.components.dlt_load_collection.state_after_run import (
    DEFINITIONS_STATE,
    update_after_run,
)
from dagster_dlt.resource import DagsterDltResource
from dagster_dlt.split import split_steps
from dagster_dlt.translator import DagsterDltTranslator, DltResourceTranslatorData

__all__ = ["DltLoadCollectionComponent", "DltLoadSpecModel"]


@dataclass(frozen=True)
class _Load:
    """A load ready to define and run: the source for the specs, and how to get one for a run."""

    spec: DltLoadSpecModel
    source: DltSource
    where: str
    name: str

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
class DltLoadCollectionComponent(StateBackedComponent, Resolvable):
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

    With defs_state (management_type: LOCAL_FILESYSTEM or
    VERSIONED_STATE_STORAGE), `dg utils refresh-defs-state` runs each
    load's source once and stores its dlt schema; definitions then load
    from it, with every column and no database query.

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
    defs_state: Optional[ResolvedDefsStateConfig] = None

    @classmethod
    def load(cls, attributes: Any, context: ComponentLoadContext) -> "DltLoadCollectionComponent":
        # Without defs_state the component is a plain one: no state key to mark, nothing for
        # `dg utils refresh-defs-state` to refresh.
        if getattr(attributes, "defs_state", None) is None:
            component = super(StateBackedComponent, cls).load(attributes, context)
        else:
            component = super().load(attributes, context)
        component._file = _defs_file(context)
        return component

    @property
    def defs_state_config(self) -> DefsStateConfig:
        """The state's key (``DltLoadCollectionComponent[<pipeline names>]`` unless set) and
        where it is kept."""
        names = sorted({spec.pipeline.pipeline_name for spec in self.loads})
        key = f"{type(self).__name__}[{','.join(names)}]"
        # Without defs_state, a management type that `dg utils refresh-defs-state` skips.
        args = self.defs_state or DefsStateConfigArgs.legacy_code_server_snapshots()
        return DefsStateConfig.from_args(args, default_key=key)

    def write_state_to_path(self, state_path: Path) -> None:
        """Run each load's source discovery (calling source functions for real) and store it."""
        states = {}
        for index, spec in enumerate(self.loads):
            where = self._where(index)
            source = (
                call_for_run(spec.source, where) if is_source_function(spec.source) else spec.source
            )
            states[_load_name(spec, source.name)] = discover(source, spec.pipeline)
        write_state(states, state_path)

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
        if self.defs_state is None:
            yield from events
            return
        note: Optional[str] = None
        for event in events:
            if isinstance(event, (MaterializeResult, AssetMaterialization)):
                if note is None:  # the run has loaded: its schema is in the pipeline
                    note = self._state_after_run(context, load, _run_pipeline(events)) or ""
                if note:
                    event = event._replace(
                        metadata={**(event.metadata or {}), DEFINITIONS_STATE: note}
                    )
            yield event

    def _state_after_run(
        self, context: AssetExecutionContext, load: "_Load", pipeline: Any
    ) -> Optional[str]:
        states = getattr(self, "_states", None)
        if states is None:
            return None
        note = update_after_run(
            config=self.defs_state_config,
            states=states,
            load_name=load.name,
            pipeline=pipeline,
            project_root=getattr(self, "_project_root", None),
            instance=context.instance,
        )
        if note:
            context.log.warning(note)
        return note

    def build_defs(self, context: ComponentLoadContext) -> Definitions:
        """One ``@dlt_assets`` per load; with ``defs_state``, from the stored state."""
        if self.defs_state is None:
            return self._build(context, None)
        return super().build_defs(context)

    def build_defs_from_state(
        self, context: ComponentLoadContext, state_path: Optional[Path]
    ) -> Definitions:
        """One ``@dlt_assets`` per load, its specs from the stored dlt schema."""
        if state_path is None:
            self._warn_no_state("no definitions state is stored")
            return self._build(context, None)
        return self._build(context, read_state(state_path))

    def _build(
        self, context: ComponentLoadContext, states: Optional[Mapping[str, LoadState]]
    ) -> Definitions:
        self._file = getattr(self, "_file", None) or _defs_file(context)
        self._states = dict(states) if states is not None else None
        self._project_root = _project_root(context)
        loads: dict[str, _Load] = {}
        assets = []
        for index, spec in enumerate(self.loads):
            where = self._where(index)
            name = _load_name(spec, _source_name(spec.source))
            state = states.get(name) if states is not None else None
            if states is not None and state is None:
                self._warn_no_state(f"the stored state has no load '{name}' ({where})")
            schema = state.dlt_schema() if state is not None else None
            source = spec.source
            if is_source_function(source):
                # With state, the function is not called until a run: no secrets, no queries.
                source = stand_in_source(state, schema) if state else self._call(source, where)
            op = spec.op or OpSpec()
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
                loads[step_name] = _Load(spec=spec, source=source, where=where, name=name)
                assets.append(self._define(step_name, spec, step_source, op, schema))
        self._loads = loads
        return Definitions(assets=assets)

    def _call(self, function: Any, where: str) -> DltSource:
        try:
            return call_for_specs(function, where)
        except ValueError as error:
            if self.defs_state is None:
                raise
            raise ValueError(
                f"{error} Or run `{REFRESH_COMMAND}`: with its stored state, the definitions do "
                "not call the source function at all."
            ) from None

    def _where(self, index: int) -> str:
        file = getattr(self, "_file", None)
        return f"load {index} of {file}" if file else f"load {index}"

    def _warn_no_state(self, reason: str) -> None:
        where = str(self._file or type(self).__name__)
        warnings.warn(missing_state(where, reason, self.defs_state_config), stacklevel=2)

    def _define(
        self,
        name: str,
        spec: DltLoadSpecModel,
        source: DltSource,
        op: OpSpec,
        schema: Optional[Schema],
    ) -> Any:
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
            dlt_schema=schema,
            nested_tables=spec.nested_tables,
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


def _source_name(source: Any) -> str:
    return source_function_name(source) if is_source_function(source) else source.name


def _load_name(spec: DltLoadSpecModel, source_name: str) -> str:
    """The load's op name, which also keys its state."""
    return (spec.op.name if spec.op else None) or _op_name(source_name, spec.pipeline.dataset_name)


def _split(source: DltSource, split: Any) -> list[tuple[str, DltSource]]:
    return [(suffix, source.with_resources(*group)) for suffix, group in split_steps(source, split)]


def _op_name(source_name: str, dataset_name: Optional[str]) -> str:
    # Dagster names allow letters, digits and underscores only.
    return re.sub(r"[^A-Za-z0-9_]", "_", f"dlt_assets_{source_name}_{dataset_name}")


def _run_pipeline(events: Any) -> Any:
    """The pipeline the run loaded with: its schema is the run's, before it is copied back."""
    return events.dlt_run.run_pipeline or events.pipeline


def _project_root(context: Optional[ComponentLoadContext]) -> Optional[Path]:
    try:
        return context.project_root if context is not None else None
    except Exception:
        return None  # a component built in Python, outside a project


def _defs_file(context: Optional[ComponentLoadContext]) -> Optional[Path]:
    try:
        path = context.path if context is not None else None
    except Exception:
        return None  # a component built in Python, outside a defs folder
    if path is None:
        return None
    return path / "defs.yaml" if path.is_dir() else path
