"""The component's definitions state: what each load's source discovery found, stored once.

``dg utils refresh-defs-state`` calls each load's source for real (a ``sql_database`` source
reflects the database then) and stores, per load, the dlt schema that ``discover_schema()`` gives,
merged into the pipeline's stored schema when it has one (which knows the columns earlier runs
found), and what the source's resources are: name, table name, root resource, description,
write disposition and contract. Definitions load reads that file and needs neither the database
nor the source's secrets: an uncalled ``@dlt.source`` function is not called at all, and
stand-in resources with the stored names give the specs; each run still calls the real function.

The state is one JSON file: ``{"format": 1, "loads": {<op name>: {"schema": ..., "resources":
[...]}}}``.
"""

import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import dlt
from dagster.components import DefsStateConfig
from dlt.common.schema import Schema
from dlt.extract.resource import DltResource
from dlt.extract.source import DltSource
from dlt.pipeline.pipeline import Pipeline

from dagster_dlt._seams import internals
from dagster_dlt.translator import default_description

__all__ = [
    "REFRESH_COMMAND",
    "LoadState",
    "discover",
    "missing_state",
    "read_state",
    "stand_in_source",
    "write_state",
]

FORMAT = 1
REFRESH_COMMAND = "dg utils refresh-defs-state"


@dataclass(frozen=True)
class LoadState:
    """One load's stored discovery: its source's identity, resources and dlt schema.

    Attributes:
        source_name: the dlt source's name.
        section: the source's configuration section.
        resources: one entry per resource: ``name``, ``table_name`` (``None`` when computed per
            item), ``root`` (a transformer's root resource), ``selected``, ``description``,
            ``write_disposition`` and ``schema_contract``.
        schema: the dlt schema, as ``Schema.to_dict()`` gives it.
    """

    source_name: str
    section: str
    resources: list[dict[str, Any]]
    schema: dict[str, Any]

    def dlt_schema(self) -> Schema:
        """The stored dlt schema."""
        return Schema.from_dict(self.schema)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, Any]:
        return {
            "source_name": self.source_name,
            "section": self.section,
            "resources": self.resources,
            "schema": self.schema,
        }

    @classmethod
    def from_dict(cls, value: Mapping[str, Any]) -> "LoadState":
        return cls(
            source_name=value["source_name"],
            section=value["section"],
            resources=list(value["resources"]),
            schema=dict(value["schema"]),
        )


def discover(source: DltSource, pipeline: Pipeline) -> LoadState:
    """What ``source`` declares now, merged into what ``pipeline`` already stored of it.

    No destination is queried: the pipeline's schema is read from its local working directory.
    """
    discovered = source.discover_schema()
    schema = _merged(_stored_schema(pipeline, discovered.name), discovered)
    return LoadState(
        source_name=source.name,
        section=source.section,
        resources=[_describe(resource) for resource in source.resources.values()],
        schema=schema.to_dict(),
    )


def _stored_schema(pipeline: Pipeline, name: str) -> Optional[Schema]:
    try:
        return pipeline.schemas[name] if name in pipeline.schema_names else None
    except Exception:
        return None  # an unreadable working directory: what the source declares is enough


def _merged(stored: Optional[Schema], discovered: Schema) -> Schema:
    if stored is None:
        return discovered
    merged = stored.clone()
    for table in discovered.data_tables(include_incomplete=True):
        try:
            merged.update_table(table)
        except Exception:
            # The source now declares a table that conflicts with what was loaded (a column's
            # type changed): the declaration wins, as the next run will apply it.
            merged.tables[table["name"]] = table
    return merged


def _describe(resource: DltResource) -> dict[str, Any]:
    table_name = resource.table_name
    contract = resource.schema_contract
    disposition = resource.write_disposition
    return {
        "name": resource.name,
        "table_name": table_name if isinstance(table_name, str) else None,
        "root": internals.root_resource_name(resource),
        "selected": resource.selected,
        "description": default_description(resource),
        "write_disposition": disposition if isinstance(disposition, (str, dict)) else None,
        "schema_contract": contract if isinstance(contract, (str, dict)) else None,
    }


def missing_state(where: str, reason: str, config: DefsStateConfig) -> str:
    """The warning of a state-backed load that has no state: which command to run."""
    message = (
        f"{where}: {reason} under the key '{config.key}' ({config.management_type.value}). Run "
        f"`{REFRESH_COMMAND}` in the project (for LOCAL_FILESYSTEM state, where the image is "
        "built) to store each load's dlt schema. Until then the definitions load as without "
        "defs_state: source functions are called (sql_database reflects its database) and "
        "specs carry no column schema."
    )
    if config.management_type.value == "VERSIONED_STATE_STORAGE":
        message += (
            " VERSIONED_STATE_STORAGE state is read through the Dagster instance's defs state "
            "storage: code servers and their runs have it, a process that loads the definitions "
            "outside an entered DagsterInstance (`dg launch` does) has not."
        )
    return message


def write_state(loads: Mapping[str, LoadState], path: Path) -> None:
    """Write every load's state to ``path``."""
    document = {"format": FORMAT, "loads": {name: state.to_dict() for name, state in loads.items()}}
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written aside and moved into place: a definitions load that reads while a run updates
    # the state sees the old file or the new one, never half of one.
    with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False) as file:
        # Unsorted: a table's columns keep their order, which the specs show.
        json.dump(document, file)
    os.replace(file.name, path)


def read_state(path: Path) -> dict[str, LoadState]:
    """Every load's state in the file at ``path``.

    Raises:
        ValueError: the file is not this component's state, or of another format version.
    """
    try:
        document = json.loads(path.read_text())
    except ValueError as error:
        raise ValueError(
            f"The definitions state at {path} is not valid JSON ({error}). Run "
            f"`{REFRESH_COMMAND}` to write it again."
        ) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(
            f"The definitions state at {path} was written by another version of dagster-dlt "
            f"(format {document.get('format') if isinstance(document, dict) else None!r}, this "
            f"version reads {FORMAT}). Run `{REFRESH_COMMAND}` to write it again."
        )
    return {name: LoadState.from_dict(value) for name, value in document["loads"].items()}


def stand_in_source(state: LoadState, schema: Optional[Schema] = None) -> DltSource:
    """A source with the stored schema and one resource per stored resource, yielding nothing.

    It gives the specs (names, table names, roots, descriptions, dispositions, contracts) at
    definitions load; runs call the real source function instead.
    """
    # Roots first: a transformer's stand-in takes its root's stand-in as parent, the same
    # instance the source holds (dlt warns of two resources of one name otherwise).
    roots = {entry["name"]: _resource(entry) for entry in state.resources if _is_root(entry)}
    resources = []
    for entry in state.resources:
        if _is_root(entry):
            resource = roots[entry["name"]]
        else:
            root = entry["root"]
            parent = roots.setdefault(root, _resource({"name": root}))
            resource = dlt.transformer(
                _nothing_from(entry.get("description")),
                data_from=parent,
                name=entry["name"],
                **_hints(entry),
            )
        resource.selected = bool(entry.get("selected", True))
        resources.append(resource)
    return DltSource(schema or state.dlt_schema(), state.section, resources)


def _is_root(entry: Mapping[str, Any]) -> bool:
    return entry["root"] == entry["name"]


def _resource(entry: Mapping[str, Any]) -> DltResource:
    return dlt.resource(_nothing(entry.get("description")), name=entry["name"], **_hints(entry))


def _hints(entry: Mapping[str, Any]) -> dict[str, Any]:
    hints = {
        "table_name": entry.get("table_name"),
        "write_disposition": entry.get("write_disposition"),
        "schema_contract": entry.get("schema_contract"),
    }
    return {key: value for key, value in hints.items() if value is not None}


def _nothing(description: Optional[str]) -> Any:
    def rows() -> Iterator[Any]:
        yield from ()

    rows.__doc__ = description
    return rows


def _nothing_from(description: Optional[str]) -> Any:
    def rows(item: Any) -> Iterator[Any]:
        yield from ()

    rows.__doc__ = description
    return rows
