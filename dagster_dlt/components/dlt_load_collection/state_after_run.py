"""After a run: what the run taught dlt's schema goes into the stored definitions state.

A run that creates tables or columns (a new table in the database, a new field in an API's
rows) changes the pipeline's dlt schema. The definitions state the code location loaded from
does not know them yet. Each materialization says so in ``dagster_dlt/definitions_state``, and
the state is updated where it can be: ``VERSIONED_STATE_STORAGE`` gets a new version, which the
code location reads when it reloads; ``LOCAL_FILESYSTEM`` state is written in place, which a
local project's next load reads, but which a deployment that baked the state into its image
never sees: its definitions stay behind the data until ``dg utils refresh-defs-state`` runs at
its next build.
"""

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional

from dagster.components import DefsStateConfig
from dlt.common.schema import Schema
from dlt.pipeline.pipeline import Pipeline

from dagster_dlt._seams import internals
from dagster_dlt.components.dlt_load_collection.state import (
    REFRESH_COMMAND,
    LoadState,
    write_state,
)

__all__ = ["DEFINITIONS_STATE", "schema_changes", "update_after_run"]

DEFINITIONS_STATE = "dagster_dlt/definitions_state"


def schema_changes(stored: Schema, loaded: Schema) -> list[str]:
    """What ``loaded`` knows that ``stored`` does not: ``table`` for a new table, ``table.column``
    for a new column of a known table."""
    changes = []
    for table in loaded.data_tables():
        name = table["name"]
        if name not in stored.tables or not stored.tables[name].get("columns"):
            changes.append(name)
            continue
        known = stored.tables[name]["columns"]
        changes.extend(
            f"{name}.{column}" for column in table.get("columns", {}) if column not in known
        )
    return changes


def update_after_run(
    *,
    config: DefsStateConfig,
    states: Mapping[str, LoadState],
    load_name: str,
    pipeline: Pipeline,
    project_root: Optional[Path],
    instance: Any,
) -> Optional[str]:
    """Store what the run added to load ``load_name``'s schema; the text for the
    materializations, or ``None`` when the stored state already knew everything."""
    state = states.get(load_name)
    if state is None:
        return None
    name = state.schema.get("name")
    try:
        loaded = pipeline.schemas[name] if name in pipeline.schema_names else None
    except Exception:
        loaded = None  # the run's schema cannot be read back: nothing to compare
    if loaded is None:
        return None
    stored = state.dlt_schema()
    changes = schema_changes(stored, loaded)
    if not changes:
        return None
    merged = stored.clone()
    for table in loaded.data_tables():
        merged.tables[table["name"]] = table
    updated = {
        **states,
        load_name: LoadState(state.source_name, state.section, state.resources, merged.to_dict()),
    }
    shown = ", ".join(changes[:20]) + (
        f" and {len(changes) - 20} more" if len(changes) > 20 else ""
    )
    news = f"This run added {shown} to the dlt schema the definitions were loaded from."
    try:
        where = _store(config, updated, project_root, instance)
    except Exception as error:
        where = (
            f"The stored state could not be updated ({type(error).__name__}: {error}); run "
            f"`{REFRESH_COMMAND}`."
        )
    return f"{news} {where}"


def _store(
    config: DefsStateConfig,
    states: Mapping[str, LoadState],
    project_root: Optional[Path],
    instance: Any,
) -> str:
    kind = config.management_type.value
    if kind == "LOCAL_FILESYSTEM" and project_root is not None:
        path = Path(internals.local_defs_state_path(config.key, project_root))
        write_state(states, path)
        return (
            f"The definitions state at {path} is updated: the code location shows it once it "
            "reloads. Where that state was built into an image, the deployment's definitions "
            f"stay behind the data until `{REFRESH_COMMAND}` runs at its next build."
        )
    if kind == "VERSIONED_STATE_STORAGE":
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "state"
            write_state(states, path)
            version = internals.store_defs_state_version(instance, config.key, path)
        if version is not None:
            return (
                f"The definitions state is stored as version {version}: the code location shows "
                "it once it reloads."
            )
    return (
        "The definitions are behind the data until the code location reloads (state kept "
        f"{kind}); run `{REFRESH_COMMAND}` where the state is kept."
    )
