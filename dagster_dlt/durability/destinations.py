"""What is known about a pipeline's destination without querying it.

One object, built once per run (and for a lock or a catalog) from the pipeline's configuration:
the destination's type and name, whether it takes one writing process at a time (a DuckDB file)
and which file that is, how it names relations (``<database>.<dataset>.<table>`` in the
destination's case), whether dlt restores state from it, and how to explain the DuckDB name clash.
Building it resolves the destination's configuration but opens no connection.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import dlt
from dlt.common.storages.configuration import WithLocalFiles
from dlt.pipeline.pipeline import Pipeline

from dagster_dlt._seams import internals

__all__ = ["DestinationFacts", "anchor_local_files", "database_from_credentials"]

_DUCKDB = "dlt.destinations.duckdb"


@dataclass(frozen=True)
class DestinationFacts:
    """Facts about one pipeline's destination, computed once from its configuration.

    Attributes:
        destination_type: dlt's destination type, e.g. ``dlt.destinations.duckdb``.
        destination_name: the destination's name, e.g. ``duckdb`` or ``snowflake``.
        dataset_name: the pipeline's dataset.
        single_writer_file: the database file of a destination that allows one writing process
            at a time (a DuckDB file), else ``None``.
        relation_prefix: ``[<database>, <dataset>]`` as the destination names them.
        casefold: the destination's case folding of identifiers (Snowflake upper-cases them).
        restores_state: whether dlt restores this pipeline's state and schemas from the
            destination.
    """

    destination_type: Optional[str]
    destination_name: Optional[str]
    dataset_name: Optional[str]
    single_writer_file: Optional[Path] = None
    relation_prefix: tuple[str, ...] = ()
    casefold: Callable[[str], str] = field(default=str, compare=False)
    restores_state: bool = False

    @classmethod
    def of(cls, pipeline: Pipeline) -> "DestinationFacts":
        """The facts of ``pipeline``'s destination. Opens no connection and never raises."""
        destination = pipeline.destination
        dataset = pipeline.dataset_name
        if destination is None:
            return cls(None, None, dataset, relation_prefix=(dataset,) if dataset else ())
        client = _sql_client(pipeline)
        credentials = getattr(client, "credentials", None) if client is not None else None
        if client is None:
            # Destinations without SQL (filesystem, custom sinks) have no database to name.
            prefix: tuple[str, ...] = (dataset,) if dataset else ()
            casefold: Callable[[str], str] = str
        else:
            casefold = client.capabilities.casefold_identifier
            path = list(client.make_qualified_table_name_path(None, quote=False))
            if not client.catalog_name(quote=False):
                catalog = database_from_credentials(credentials)
                if catalog:
                    path = [casefold(catalog), *path]
            prefix = tuple(path)
        return cls(
            destination_type=destination.destination_type,
            destination_name=destination.destination_name,
            dataset_name=dataset,
            single_writer_file=_single_writer_file(destination.destination_type, credentials),
            relation_prefix=prefix,
            casefold=casefold,
            restores_state=pipeline.config.restore_from_destination
            and internals.syncs_state(pipeline),
        )

    def relation(self, table: str) -> str:
        """The fully qualified relation of a table: ``<database>.<dataset>.<table>``."""
        return ".".join([*self.relation_prefix, self.casefold(table)])

    def duckdb_name_clash(self, failure: BaseException, pipeline_name: str) -> Optional[str]:
        """What to do when a DuckDB load failed because the dataset is named like its file."""
        if "ambiguous reference to catalog or schema" not in str(failure).lower():
            return None
        return self.name_clash(pipeline_name)

    def name_clash(self, pipeline_name: str) -> Optional[str]:
        """What to do when the dataset is named like its DuckDB file, found before any load.

        DuckDB names the database (catalog) after the file, and a schema of the same name makes
        every reference to the dataset's tables ambiguous, so every load fails (the contract in
        tests/seams/test_dlt_seams.py). dlt only warns about it, and the load then fails with
        advice about concurrent pipelines and retries, which does not apply.
        """
        database, dataset = self.single_writer_file, self.dataset_name
        if database is None or not dataset or database.stem.lower() != dataset.lower():
            return None
        return (
            f"dlt pipeline '{pipeline_name}' loads dataset '{dataset}' into DuckDB file "
            f"{database}, whose database has the same name, so DuckDB cannot tell the dataset "
            f"from the database and every load into it fails. Give the dataset another name, for "
            f'example dlt.pipeline(..., dataset_name="{dataset}_data"), or the database file '
            "another name."
        )


def database_from_credentials(credentials: Any) -> Optional[str]:
    """The database named in a destination's credentials (a DuckDB file's stem), if any."""
    database = getattr(credentials, "database", None)
    if not database or not isinstance(database, str) or database.startswith(":"):
        # ":memory:", or ":external:", the in-memory DuckDB through which the filesystem
        # destination reads its files: no name anyone can query the data by.
        return None
    if database.endswith((".duckdb", ".db")) or "/" in database:
        # DuckDB names its catalog after the database file.
        return Path(database).stem
    return database


def _sql_client(pipeline: Pipeline) -> Any:
    try:
        return pipeline.sql_client()
    except Exception:
        return None


def _single_writer_file(destination_type: str, credentials: Any) -> Optional[Path]:
    if destination_type != _DUCKDB:
        return None
    database = getattr(credentials, "database", None)
    if not isinstance(database, str) or database.startswith(":memory:") or "://" in database:
        return None
    return Path(database).resolve()


def anchor_local_files(pipeline: Pipeline) -> Optional[tuple[str, str]]:
    """Make the pipeline's local destination files (a DuckDB file, a local filesystem bucket)
    resolve against this process's working directory, as the code implies, and not against the
    folder an older pipeline of the same name remembers.

    dlt keeps a pipeline's first working directory (``initial_cwd``) and, for very old pipelines,
    its DuckDB path (``duckdb_database``) in the local state of the machine-wide pipelines
    directory, keyed by pipeline name, and resolves relative paths against them. Two projects
    that use one pipeline name (``my_load``, ``sql_database``) then load into the first one's
    file, silently. An explicit absolute path is unaffected; so is a ``local_dir`` the code sets.

    Returns the remembered location that no longer applies and the working directory used
    instead, or ``None`` if nothing changed.
    Reads the pipeline's local state only: no destination is queried.
    """
    here = os.path.abspath(dlt.current.run_context().local_dir)
    moved: Optional[str] = None
    for destination in (pipeline.destination, pipeline.staging):
        if destination is None or not issubclass(destination.spec, WithLocalFiles):
            continue
        params = destination.config_params
        remembered = params.get("legacy_db_path")
        if remembered:
            params.pop("legacy_db_path")
            moved = moved or str(remembered)
        bound = params.get("local_dir")
        if bound and bound != here and bound == _initial_cwd(pipeline):
            params["local_dir"] = here
            moved = moved or str(bound)
    return (moved, here) if moved else None


def _initial_cwd(pipeline: Pipeline) -> Optional[str]:
    try:
        return str(pipeline.get_local_state_val("initial_cwd"))
    except Exception:
        return None
