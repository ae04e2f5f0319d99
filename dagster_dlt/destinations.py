"""What is known about a pipeline's destination without querying it.

One object, built once per run (and for a lock or a catalog) from the pipeline's configuration:
the destination's type and name, whether it takes one writing process at a time (a DuckDB file)
and which file that is, how it names relations (``<database>.<dataset>.<table>`` in the
destination's case), whether dlt restores state from it, and how to explain the DuckDB name clash.
Building it resolves the destination's configuration but opens no connection.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from dlt.pipeline.pipeline import Pipeline

from dagster_dlt import internals

__all__ = ["DestinationFacts", "database_from_credentials"]

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
        """What to do when a DuckDB load failed because the dataset is named like its file.

        DuckDB names the database (catalog) after the file, and a schema of the same name makes
        every unqualified reference ambiguous. dlt only warns about it, and the load then fails
        with advice about concurrent pipelines and retries, which does not apply.
        """
        if "ambiguous reference to catalog or schema" not in str(failure).lower():
            return None
        database, dataset = self.single_writer_file, self.dataset_name
        if database is None or not dataset or database.stem.lower() != dataset.lower():
            return None
        return (
            f"dlt pipeline '{pipeline_name}' loads dataset '{dataset}' into DuckDB file "
            f"{database}, whose database has the same name, so DuckDB cannot tell the dataset "
            f"from the database and the load failed. Give the dataset another name, for example "
            f'dlt.pipeline(..., dataset_name="{dataset}_data"), or the database file another '
            "name."
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
