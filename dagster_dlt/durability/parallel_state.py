"""Keep every resource's state when steps of one pipeline load at the same time.

dlt keeps one state per pipeline: every load appends a row to ``_dlt_pipeline_state`` with the
whole state, and a run restores only the newest row. Two steps that load different resources of
one source at once both restore the same row, each moves its own resources' cursors, and each
writes the whole state back: the row that lands last carries the other step's cursors as they
were before. The next run restores it, so the other step's append resources load their rows
again and its merge resources extract them again (issue #22).

So a run marks, in the state it writes, the resources it extracts (``_dagster_dlt.extracted``:
per source, per resource, a number one higher than any mark it restored), and restores each
resource's state from the stored row that marks it highest, ties going to the newer load. Rows
are only ever appended, and each carries the marks it was restored with, so no write can hide
another: a row written by a step that did not see a concurrent one carries that step's
resources with their older marks, which lose. No lock is needed for this, on any destination.

Only completed loads count (``_dlt_loads.status = 0``, as in dlt's own restore), so the state of
a load that a dead run left and another run took back is never restored. State that a whole
source shares (``dlt.current.source_state()``) is not per resource: the newest row's wins, as in
dlt. Resources that no row marks (loads before this version, or by plain dlt) keep dlt's state.
"""

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from dlt.pipeline.pipeline import Pipeline

from dagster_dlt._seams import internals

__all__ = ["MARKS", "keep_parallel_states", "mark_extracted", "merged_state", "stored_states"]

MARKS = "_dagster_dlt"
"""The top-level key of our marks in dlt's state: ``{"extracted": {source: {resource: n}}}``.
Top-level, so that a refresh that drops a source's or a resource's state keeps the mark that
says this run's (now empty) state is the newest."""

HISTORY = 200
"""How many of the newest stored states are read. Every row carries the best marks its run
restored, so only rows written by steps running at once can disagree: far fewer than this."""

StoredState = tuple[str, Mapping[str, Any]]
"""A load id and the state its load stored."""


def keep_parallel_states(pipeline: Pipeline, source_name: str, resources: Iterable[str]) -> None:
    """Give ``pipeline`` (just restored from its destination) each resource's state from the
    stored row of the run that last extracted it, and mark ``resources`` as extracted by this run.
    """
    stored = stored_states(pipeline)
    with pipeline.managed_state() as state:
        merged = merged_state(state, stored)
        state["sources"] = merged.get("sources", {})
        state[MARKS] = merged.get(MARKS, {})  # type: ignore[literal-required]
        mark_extracted(state, source_name, resources)


def stored_states(pipeline: Pipeline) -> list[StoredState]:
    """The newest states of ``pipeline`` in its destination, from completed loads, newest first.

    Empty when there are none yet (the first load) or the destination cannot be queried: the run
    then keeps what dlt restored.
    """
    name = pipeline.pipeline_name.replace("'", "''")
    query = (
        "SELECT s._dlt_load_id, s.state FROM _dlt_pipeline_state AS s JOIN _dlt_loads AS l "
        f"ON l.load_id = s._dlt_load_id WHERE s.pipeline_name = '{name}' AND l.status = 0 "
        f"ORDER BY s._dlt_load_id DESC LIMIT {HISTORY}"
    )
    try:
        rows = pipeline.dataset().query(query).fetchall()
    except Exception:
        return []
    states = []
    for load_id, text in rows:
        try:
            states.append((str(load_id), internals.decode_stored_state(name, text)))
        except Exception:
            continue  # a row dlt could not restore either
    return states


def merged_state(base: Mapping[str, Any], stored: Sequence[StoredState]) -> dict[str, Any]:
    """``base`` with each marked resource's state taken from the state that marks it highest
    (pure). ``base`` (the state dlt restored) loses ties to stored rows."""
    merged = copy.deepcopy(dict(base))
    candidates = [("", base), *stored]
    sources: set[str] = set()
    for _, state in candidates:
        sources.update(_marks(state))
    for source in sorted(sources):
        resources: set[str] = set()
        for _, state in candidates:
            resources.update(_marks(state).get(source, {}))
        for resource in sorted(resources):
            marked = [
                (_marks(state)[source][resource], load_id, state)
                for load_id, state in candidates
                if resource in _marks(state).get(source, {})
            ]
            mark, _, best = max(marked, key=lambda entry: (entry[0], entry[1]))
            own = best.get("sources", {}).get(source, {}).get("resources", {}).get(resource)
            target = merged.setdefault("sources", {}).setdefault(source, {})
            if own is None:
                target.get("resources", {}).pop(resource, None)
            else:
                target.setdefault("resources", {})[resource] = copy.deepcopy(own)
            extracted = merged.setdefault(MARKS, {}).setdefault("extracted", {})
            extracted.setdefault(source, {})[resource] = mark
    return merged


def mark_extracted(state: dict[str, Any], source_name: str, resources: Iterable[str]) -> None:
    """Mark ``resources`` of ``source_name`` as extracted by this run: one higher than any mark
    of the source in ``state``."""
    extracted = state.setdefault(MARKS, {}).setdefault("extracted", {}).setdefault(source_name, {})
    mark = 1 + max(extracted.values(), default=0)
    for resource in resources:
        extracted[resource] = mark


def _marks(state: Mapping[str, Any]) -> Mapping[str, Mapping[str, int]]:
    marks = state.get(MARKS)
    extracted = marks.get("extracted") if isinstance(marks, Mapping) else None
    return extracted if isinstance(extracted, Mapping) else {}
