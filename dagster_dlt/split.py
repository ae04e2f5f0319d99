"""Split one dlt source into several Dagster steps: ``build_dlt_assets_definitions``.

Each group of resources becomes its own ``@dlt_assets`` definition over
``source.with_resources(*group)`` with an op name of its own, so every step keeps what
``@dlt_assets`` does (translator, partitions, subsets, metadata, data versions, checks, crash
safety, run configuration). The steps share the user's pipeline; what keeps their incremental
cursors apart when they load at once is ``durability/parallel_state.py``.

Choosing the groups (``split_groups``) is pure: it reads the source's resources and their
transformer edges, nothing else.
"""

import re
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Optional, Union

from dagster import AssetExecutionContext, AssetsDefinition, DagsterInvalidDefinitionError
from dlt.extract.resource import DltResource
from dlt.extract.source import DltSource
from dlt.pipeline.pipeline import Pipeline

from dagster_dlt._seams import internals
from dagster_dlt.asset_decorator import as_source, dlt_assets
from dagster_dlt.resource import DagsterDltResource

__all__ = [
    "SPLIT_STRATEGIES",
    "DltSplit",
    "build_dlt_assets_definitions",
    "split_groups",
    "split_steps",
]

DltSplit = Union[str, int, Sequence[Sequence[str]]]
"""How to split a source: ``"resource"``, ``"scc"``, a number of groups, or explicit groups."""

SPLIT_STRATEGIES = ("resource", "scc")

DltAssetsBody = Callable[[AssetExecutionContext, DagsterDltResource], Iterator[Any]]


def _run_every_selected(context: AssetExecutionContext, dlt: DagsterDltResource) -> Iterator[Any]:
    yield from dlt.run(context=context)


def build_dlt_assets_definitions(
    *,
    dlt_source: Union[DltSource, DltResource],
    dlt_pipeline: Pipeline,
    split: DltSplit,
    name: Optional[str] = None,
    body: Optional[DltAssetsBody] = None,
    **dlt_assets_kwargs: Any,
) -> list[AssetsDefinition]:
    """Split a dlt source into several ``@dlt_assets`` definitions: one Dagster step each.

    Steps of one source run in parallel on the multiprocess executor (or any executor that runs
    steps in their own processes). They share ``dlt_pipeline``: each step restores the pipeline's
    state from the destination and keeps, per resource, the state of the step that last
    extracted it, so steps that load at once never lose each other's incremental cursors.

    Args:
        dlt_source: the dlt source to split, or a single dlt resource.
        dlt_pipeline: the dlt pipeline every step loads with.
        split: how to group the selected resources into steps:

            - ``"resource"``: one step per resource (a transformer's step also runs its parent,
              as ``source.with_resources`` does);
            - ``"scc"``: dlt's strongly connected components (``source.decompose("scc")``), so
              that transformers stay in the step of their parents;
            - an ``int`` ``n``: at most ``n`` groups of about equal size, built from the
              strongly connected components (transformers stay with their parents);
            - a list of lists of resource names: explicit groups; every selected resource must
              be in exactly one of them.
        name: the prefix of the op names, ``<name>_<n>`` (``<name>_<resource>`` for
            ``"resource"``); defaults to ``dlt_<source name>``.
        body: the function of each step, as you would decorate with ``@dlt_assets``; defaults
            to ``yield from dlt.run(context=context)``. A body that passes ``dlt_source=`` (for
            example bound to the partition) may pass the whole source: each step loads only its
            own resources.
        **dlt_assets_kwargs: any other argument of ``@dlt_assets`` (``group_name``,
            ``dagster_dlt_translator``, ``partitions_def``, ``pool``, ``schema_drift_check``,
            ...), given to every step.

    Returns:
        One ``AssetsDefinition`` per group, in the source's order.

    Raises:
        DagsterInvalidDefinitionError: the split names no strategy this function knows, an
            explicit group names a resource the source has not selected, or leaves one out.

    Example:
        .. code-block:: python

            import dlt
            from dagster import Definitions
            from dagster_dlt import DagsterDltResource, build_dlt_assets_definitions
            from dlt.sources.sql_database import sql_database

            steps = build_dlt_assets_definitions(
                dlt_source=sql_database("sqlite:///shop.db"),
                dlt_pipeline=dlt.pipeline(
                    pipeline_name="shop", destination="duckdb", dataset_name="shop"
                ),
                split=4,
            )
            defs = Definitions(assets=steps, resources={"dlt": DagsterDltResource()})
    """
    source = as_source(dlt_source)
    prefix = name or f"dlt_{_op_name(source.name)}"
    run = body or _run_every_selected
    definitions = []
    for suffix, group in split_steps(source, split):
        step = dlt_assets(
            dlt_source=source.with_resources(*group),
            dlt_pipeline=dlt_pipeline,
            name=f"{prefix}_{suffix}",
            **dlt_assets_kwargs,
        )
        definitions.append(step(run))
    if len(definitions) > 1:
        _warn_if_state_stays_local(dlt_pipeline, source.name)
    return definitions


def _warn_if_state_stays_local(pipeline: Pipeline, source_name: str) -> None:
    """Warn when the steps' destination keeps no dlt state (a ``@dlt.destination`` sink): each
    step then has only its own pipelines directory's state, which a fresh machine has not."""
    if pipeline.destination is None or internals.syncs_state(pipeline):
        return
    warnings.warn(
        f"dlt source '{source_name}' is split into steps that load into destination "
        f"'{pipeline.destination.destination_name}' of pipeline '{pipeline.pipeline_name}', "
        "which keeps no dlt state: each step restores its incremental cursors only from the "
        "pipelines directory of the machine it runs on, so a step on another machine or in a "
        "fresh container starts from the initial values and loads its rows again, and steps "
        "that run at once can overwrite each other's cursors. Run the steps one at a time on "
        "one machine with a lasting pipelines directory, or load into a destination that "
        "stores state (DuckDB, the filesystem destination, a warehouse).",
        UserWarning,
        stacklevel=3,
    )


def split_steps(source: DltSource, split: DltSplit) -> list[tuple[str, list[str]]]:
    """Each step's op-name suffix (its number, or its resource for ``"resource"``) and its
    resource names."""
    groups = split_groups(source, split)
    if split == "resource":
        return [(_op_name(group[0]), group) for group in groups]
    return [(str(index), group) for index, group in enumerate(groups)]


def split_groups(source: DltSource, split: DltSplit) -> list[list[str]]:
    """The resource names of each step, in the source's order (pure: reads only the source).

    Example:
        .. code-block:: python

            split_groups(my_source(), 2)  # [["users", "users_details"], ["orders"]]
    """
    selected = list(source.selected_resources)
    if not selected:
        raise DagsterInvalidDefinitionError(
            f"dlt source '{source.name}' has no selected resources, so there is nothing to split. "
            "Select at least one resource (see DltSource.with_resources)."
        )
    order = {name: position for position, name in enumerate(selected)}
    if split == "resource":
        return [[name] for name in selected]
    if split == "scc":
        return _components(source, order)
    if isinstance(split, int) and not isinstance(split, bool):
        if split < 1:
            raise DagsterInvalidDefinitionError(
                f"split={split}: the number of steps must be 1 or more."
            )
        return _balanced(_components(source, order), split, order)
    if isinstance(split, Sequence) and not isinstance(split, str):
        return _explicit(source, [list(group) for group in split], order)
    raise DagsterInvalidDefinitionError(
        f"split={split!r} is not a way to split a dlt source. Pass 'resource' (one step per "
        "resource), 'scc' (transformers with their parents), a number of steps, or a list of "
        "lists of resource names."
    )


def _components(source: DltSource, order: Mapping[str, int]) -> list[list[str]]:
    """dlt's strongly connected components of the selected resources, in the source's order."""
    components = [
        sorted(part.selected_resources, key=order.__getitem__) for part in source.decompose("scc")
    ]
    return sorted((c for c in components if c), key=lambda c: order[c[0]])


def _balanced(components: list[list[str]], steps: int, order: Mapping[str, int]) -> list[list[str]]:
    """At most ``steps`` groups of about equal size: each component, largest first, goes to the
    smallest group so far (a component is never cut)."""
    groups: list[list[str]] = [[] for _ in range(min(steps, len(components)))]
    for component in sorted(components, key=lambda c: (-len(c), order[c[0]])):
        smallest = min(groups, key=lambda g: (len(g), order[g[0]] if g else -1))
        smallest.extend(component)
    ordered = [sorted(group, key=order.__getitem__) for group in groups if group]
    return sorted(ordered, key=lambda g: order[g[0]])


def _explicit(
    source: DltSource, groups: list[list[str]], order: Mapping[str, int]
) -> list[list[str]]:
    named = [name for group in groups for name in group]
    unknown = sorted({name for name in named if name not in order})
    twice = sorted({name for name in named if named.count(name) > 1})
    missing = [name for name in order if name not in named]
    problems = []
    if unknown:
        problems.append(f"names resources the source has not selected: {', '.join(unknown)}")
    if twice:
        problems.append(f"puts resources in more than one group: {', '.join(twice)}")
    if missing:
        problems.append(f"leaves out selected resources: {', '.join(missing)}")
    if any(not group for group in groups):
        problems.append("has an empty group")
    if problems:
        raise DagsterInvalidDefinitionError(
            f"The split of dlt source '{source.name}' {'; '.join(problems)}. Put every selected "
            f"resource ({', '.join(order)}) in exactly one group, or narrow the source first "
            "with source.with_resources(...)."
        )
    return [sorted(group, key=order.__getitem__) for group in groups]


def _op_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)
