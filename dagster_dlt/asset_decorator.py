"""``@dlt_assets`` and ``build_dlt_asset_specs``: one Dagster asset per selected dlt resource."""

import inspect
import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any, Optional, Union

from dagster import (
    AssetsDefinition,
    AssetSpec,
    BackfillPolicy,
    DagsterInvalidDefinitionError,
    DagsterInvariantViolationError,
    HookDefinition,
    PartitionsDefinition,
    TimeWindowPartitionsDefinition,
    multi_asset,
)
from dlt.common.schema import Schema
from dlt.extract.resource import DltResource
from dlt.extract.source import DltSource
from dlt.pipeline.pipeline import Pipeline

from dagster_dlt._gc import paused_gc
from dagster_dlt._seams.internals import resource_steps
from dagster_dlt.checks import dlt_check_specs, has_schema_contract
from dagster_dlt.errors import DltSourceExhaustedError
from dagster_dlt.run.config import config_schema
from dagster_dlt.schema.stored import DltSchemaArg, NestedTables
from dagster_dlt.spec_facts import SpecFacts
from dagster_dlt.specs import build_specs
from dagster_dlt.translator import (
    DagsterDltTranslator,
)

__all__ = ["build_dlt_asset_specs", "dlt_assets"]


def build_dlt_asset_specs(
    dlt_source: Union[DltSource, DltResource],
    dlt_pipeline: Pipeline,
    dagster_dlt_translator: Optional[DagsterDltTranslator] = None,
    *,
    dlt_schema: DltSchemaArg = None,
    nested_tables: NestedTables = "metadata",
) -> Sequence[AssetSpec]:
    """The asset specs of a dlt source's selected resources, one per resource.

    Each spec carries the source, pipeline and translator under the ``META_KEY_*`` metadata keys,
    which is how ``DagsterDltResource.run`` finds them. Nothing is loaded, queried or resolved:
    building specs needs no network and no secrets.

    Args:
        dlt_source: the dlt source (the result of calling a ``@dlt.source`` function), or a
            single dlt resource, which runs as a source named after it.
        dlt_pipeline: the dlt pipeline that loads it.
        dagster_dlt_translator: customises keys, deps, groups and the rest of each spec.
        dlt_schema: build the specs from a dlt schema, read with no network and no query: a
            ``dlt.Schema``, the path of a schema file dlt exported, or ``"pipeline"`` (the schema
            the pipeline's last run stored in its working directory). Each spec then carries its
            table's column schema, write disposition, keys, contract, table format, destination
            type and dataset (``docs/schema-backed-definitions.md``).
        nested_tables: ``"metadata"`` (the default): nested tables appear in their parent's
            materialization metadata. ``"assets"``: each nested table the schema knows becomes
            an asset, keyed like its parent with the nested table's name and depending on it;
            without ``dlt_schema`` the pipeline's stored schema is read.

    Returns:
        One ``AssetSpec`` per selected resource, in the source's order (each followed by its
        nested tables' specs with ``nested_tables="assets"``).

    Example:
        .. code-block:: python

            specs = build_dlt_asset_specs(dlt_source=github_source(), dlt_pipeline=pipeline)
            upstream_keys = [dep.asset_key for spec in specs for dep in spec.deps]
    """
    dlt_source = as_source(dlt_source)
    _check_inputs(dlt_source, dlt_pipeline, dagster_dlt_translator)
    with paused_gc():
        return build_specs(
            dlt_source, dlt_pipeline, dagster_dlt_translator, dlt_schema, nested_tables
        )


def dlt_assets(
    *,
    dlt_source: Union[DltSource, DltResource],
    dlt_pipeline: Pipeline,
    name: Optional[str] = None,
    group_name: Optional[str] = None,
    dagster_dlt_translator: Optional[DagsterDltTranslator] = None,
    partitions_def: Optional[PartitionsDefinition] = None,
    backfill_policy: Optional[BackfillPolicy] = None,
    hooks: Optional[AbstractSet[HookDefinition]] = None,
    op_tags: Optional[Mapping[str, Any]] = None,
    pool: Optional[str] = None,
    schema_drift_check: bool = False,
    contract_check: bool = False,
    dlt_schema: DltSchemaArg = None,
    nested_tables: NestedTables = "metadata",
) -> Callable[[Callable[..., Any]], AssetsDefinition]:
    """Make a multi-asset with one asset per selected resource of a dlt source.

    The assets can be materialized together or as any subset: a run loads exactly the selected
    resources. Each run works in its own pipeline working directory and restores dlt's state from
    the destination, so parallel runs and partitions do not corrupt each other.

    Args:
        dlt_source: the dlt source to load, or a single dlt resource (it runs as a source named
            after it).
        dlt_pipeline: the dlt pipeline that loads it (name, destination, dataset).
        name: the name of the op; defaults to the decorated function's name.
        group_name: the asset group of every asset. Cannot be combined with a translator that sets
            groups itself.
        dagster_dlt_translator: customises keys, deps, groups and the rest of each spec.
        partitions_def: partitions of the assets. Pass the partition to the source in the body.
        backfill_policy: how backfills run; time-window partitions default to a single run.
        hooks: success and failure hooks of the op.
        op_tags: tags of the op.
        pool: the concurrency pool that governs the op, for example one per single-writer
            destination.
        schema_drift_check: give every asset a ``dlt_schema_drift`` check (WARN when the run
            added tables or columns, changed types or made variant columns). Off by default:
            its results arrive in the ``dlt.run()`` stream, which code written for the published
            package reads as materializations only.
        contract_check: give assets whose resource has a schema contract a
            ``dlt_schema_contract`` check that fails naming each violation. Off by default, for
            the same reason.
        dlt_schema: build the specs from a dlt schema (see ``build_dlt_asset_specs``): every
            spec carries its table's columns and hints before the first run.
        nested_tables: ``"assets"`` makes each nested table an asset; a run of a resource
            materializes its selected nested tables with it (see ``build_dlt_asset_specs``).

    Example:
        .. code-block:: python

            import dlt
            from dagster import AssetExecutionContext, Definitions
            from dagster_dlt import DagsterDltResource, dlt_assets

            @dlt_assets(
                dlt_source=github_source("dagster-io/dagster"),
                dlt_pipeline=dlt.pipeline(
                    pipeline_name="github", dataset_name="github", destination="duckdb"
                ),
                group_name="github",
            )
            def github_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
                yield from dlt.run(context=context)

            defs = Definitions(assets=[github_assets], resources={"dlt": DagsterDltResource()})
    """
    translator = dagster_dlt_translator or DagsterDltTranslator()
    dlt_source = as_source(dlt_source)
    specs = build_dlt_asset_specs(
        dlt_source, dlt_pipeline, translator, dlt_schema=dlt_schema, nested_tables=nested_tables
    )
    if not specs:
        raise DagsterInvalidDefinitionError(_no_resources_message(dlt_source))
    if group_name and any(spec.group_name for spec in specs):
        # Code matches on the published package's opening phrase: keep it first.
        raise DagsterInvariantViolationError(
            f"Cannot set group_name parameter on dlt_assets: group_name='{group_name}' for source "
            f"'{dlt_source.name}' and pipeline '{dlt_pipeline.pipeline_name}', but the translator "
            f"{type(translator).__name__} already sets a group on one or more assets. Set groups "
            "in one place: either pass group_name or set them in the translator."
        )
    resources = dlt_source.selected_resources
    _warn_one_shot(resources.values())
    check_specs = (
        _check_specs(specs, dlt_source, schema_drift_check, contract_check)
        if schema_drift_check or contract_check
        else []
    )
    if isinstance(partitions_def, TimeWindowPartitionsDefinition) and backfill_policy is None:
        # One dlt run over the whole range is far cheaper than one run per partition.
        backfill_policy = BackfillPolicy.single_run()
    options: dict[str, Any] = dict(
        name=name,
        group_name=group_name,
        can_subset=True,
        partitions_def=partitions_def,
        backfill_policy=backfill_policy,
        op_tags=op_tags,
        hooks=hooks,
        specs=specs,
        check_specs=check_specs or None,
        pool=pool,
    )

    def decorate(fn: Callable[..., Any]) -> AssetsDefinition:
        _check_destination(dlt_pipeline, fn)
        # A function that declares its own config keeps it (subclass DltRunConfig to combine);
        # otherwise the op takes the run configuration.
        extra = {} if _declares_config(fn) else {"config_schema": config_schema()}
        decorator = multi_asset(**options, **extra)
        # Dagster builds one output per asset here: as allocation-heavy as building the specs.
        with paused_gc():
            return decorator(fn)

    return decorate


def one_shot_generator(resource: DltResource) -> Optional[str]:
    """The function name behind a resource made from a generator object
    (``dlt.resource(fetch_issues(...), name=...)``), which only one run can consume; else None."""
    steps = resource_steps(resource)
    gen = steps[0] if steps else None
    return getattr(gen, "__name__", "generator") if inspect.isgenerator(gen) else None


def one_shot_advice(resource_name: str, function: str) -> str:
    """What to do about a resource made from a generator object."""
    return (
        f"dlt resource '{resource_name}' is made from a generator object ({function}(...)), "
        "which only the first run in this process can consume: every later run finds it "
        f"exhausted. Pass the function instead, e.g. dlt.resource({function}, name="
        f"'{resource_name}')(...arguments...), or decorate it with @dlt.resource."
    )


def check_not_exhausted(resources: Iterable[DltResource]) -> None:
    """Raise, before anything runs, when an earlier run consumed a resource's generator object
    (dlt would fail in extract with ``SourceExhausted``, naming neither the resource nor the fix).
    """
    for resource in resources:
        steps = resource_steps(resource)
        gen = steps[0] if steps else None
        if inspect.isgenerator(gen) and inspect.getgeneratorstate(gen) != inspect.GEN_CREATED:
            raise DltSourceExhaustedError(one_shot_advice(resource.name, gen.__name__))


def _warn_one_shot(resources: Iterable[DltResource]) -> None:
    for resource in resources:
        function = one_shot_generator(resource)
        if function is not None:
            warnings.warn(one_shot_advice(resource.name, function), UserWarning, stacklevel=3)


def _check_destination(pipeline: Pipeline, fn: Callable[..., Any]) -> None:
    """Reject, at definitions load, a pipeline that would fail every run for want of a destination.

    dlt resolves a destination from config (``DESTINATION_TYPE``, a top-level ``destination_type``
    in ``.dlt/config.toml``) when ``dlt.pipeline()`` is called, not later, so a pipeline without one here has
    none from config either. A body can still pass ``destination=`` to ``dlt.run`` (the published
    package hands extra arguments to ``pipeline.run``): such a body is accepted.
    """
    if pipeline.destination is not None or _names_destination(getattr(fn, "__code__", None)):
        return
    raise DagsterInvalidDefinitionError(
        f"dlt pipeline '{pipeline.pipeline_name}' has no destination, so every run of these "
        'assets would fail. Pass destination= to dlt.pipeline(...) (e.g. destination="duckdb"), '
        "or set it in config: the DESTINATION_TYPE environment variable or a top-level "
        "destination_type in .dlt/config.toml."
    )


def _names_destination(code: Any) -> bool:
    # Keyword names of calls and dict keys are constants of the code object (nested ones too).
    if code is None:
        return True  # not a plain function: cannot tell, so do not reject
    return any(
        const == "destination"
        or (isinstance(const, tuple) and "destination" in const)
        or (inspect.iscode(const) and _names_destination(const))
        for const in code.co_consts
    )


def _check_specs(
    specs: Sequence[AssetSpec], source: DltSource, schema_drift_check: bool, contract_check: bool
) -> list[Any]:
    resources = source.selected_resources
    # Checks belong to the resources' own tables: a nested table's changes show in its root's.
    names = {
        spec.key: _resource_name(spec)
        for spec in specs
        if SpecFacts.of(spec.metadata).nested_table is None
    }
    return dlt_check_specs(
        list(names),
        contract_keys={
            key
            for key, name in names.items()
            if name in resources and has_schema_contract(resources[name], source)
        },
        schema_drift_check=schema_drift_check,
        contract_check=contract_check,
    )


def _resource_name(spec: AssetSpec) -> Optional[str]:
    return SpecFacts.of(spec.metadata).resource_name


def _declares_config(fn: Callable[..., Any]) -> bool:
    return "config" in inspect.signature(fn).parameters


def as_source(dlt_source: Any) -> Any:
    """A dlt resource as a source named after it, so that ``filesystem(...) | read_csv()`` works
    where a source is expected; anything else unchanged."""
    if isinstance(dlt_source, DltResource):
        name = dlt_source.name
        return DltSource(Schema(_schema_name(name)), dlt_source.section or name, [dlt_source])
    return dlt_source


def _schema_name(name: str) -> str:
    # dlt schema names are lower-case identifiers; resource names may be anything.
    cleaned = re.sub(r"[^a-z0-9_]", "_", name.lower()).strip("_")
    return cleaned or "resource"


def _no_resources_message(source: DltSource) -> str:
    message = (
        f"dlt source '{source.name}' has no selected resources, so @dlt_assets would define no "
        "assets. Select at least one resource (see DltSource.with_resources)."
    )
    if not source.resources and source.name == "sql_database":
        message += (
            " sql_database reflected no tables: usually the database path or credentials are "
            "wrong (SQLAlchemy silently creates an empty SQLite file for a wrong path), or the "
            "schema is empty. Check the credentials, or pass table_names=[...] with "
            "defer_table_reflect=True so that definitions load without connecting."
        )
    return message


def _check_inputs(
    dlt_source: Any, dlt_pipeline: Any, translator: Optional[DagsterDltTranslator]
) -> None:
    if not isinstance(dlt_source, DltSource):
        hint = (
            " It looks like the @dlt.source function itself: call it, e.g. dlt_source=my_source()."
            if callable(dlt_source)
            else " Pass the result of calling a @dlt.source function, or a dlt resource."
        )
        raise DagsterInvalidDefinitionError(
            f"dlt_source must be a dlt source (DltSource), got {type(dlt_source).__name__}.{hint}"
        )
    if not isinstance(dlt_pipeline, Pipeline):
        raise DagsterInvalidDefinitionError(
            f"dlt_pipeline must be a dlt Pipeline, got {type(dlt_pipeline).__name__}. Create one "
            "with dlt.pipeline(pipeline_name=..., destination=..., dataset_name=...)."
        )
    if translator is not None and not isinstance(translator, DagsterDltTranslator):
        raise DagsterInvalidDefinitionError(
            "dagster_dlt_translator must be an instance of DagsterDltTranslator (or a subclass), "
            f"got {type(translator).__name__}."
        )
