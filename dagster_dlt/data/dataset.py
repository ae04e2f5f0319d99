"""Lazy, lock-aware access to what a dlt pipeline loaded, on dlt's ``pipeline.dataset()``.

A ``dlt.Relation`` is lazy: it opens a connection only while it runs a query (``.df()``,
``.arrow()``, ``.fetchall()``, ...). On a DuckDB file, which allows one writing process at a time,
that connection must not meet a dlt run writing to the same file. The dataset here holds
dagster-dlt's single-writer lock exactly while a connection is open, and never while the caller
works on a DataFrame it already read. Other destinations take no lock.
"""

import threading
from collections.abc import Collection, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Optional

import dlt
from dlt.common.schema import Schema
from dlt.common.schema.utils import get_nested_tables
from dlt.pipeline.pipeline import Pipeline

from dagster_dlt._seams import internals
from dagster_dlt.durability.destinations import anchor_local_files
from dagster_dlt.durability.locking import (
    DEFAULT_TIMEOUT_SECONDS,
    LockFactory,
    single_writer_lock_factory,
)
from dagster_dlt.errors import DagsterDltError, DltDatasetNotLoadedError, DltTableNotFoundError

__all__ = [
    "DltDataset",
    "DltDatasetNotLoadedError",
    "DltRelation",
    "DltTableNotFoundError",
    "open_dataset",
]


class _ReentrantHold:
    """Holds a lock factory's lock once while any use nests inside another (the dataset's open
    block, then a relation's query), or while several threads of one process read at once."""

    def __init__(self, factory: LockFactory) -> None:
        self._factory = factory
        self._depth = 0
        self._held: Optional[AbstractContextManager[None]] = None
        self._mutex = threading.Lock()

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._mutex:
            if self._depth == 0:
                held = self._factory()
                held.__enter__()
                self._held = held
            self._depth += 1
        try:
            yield
        finally:
            with self._mutex:
                self._depth -= 1
                if self._depth == 0 and self._held is not None:
                    held, self._held = self._held, None
                    held.__exit__(None, None, None)


class _LockingSqlClient:
    """A dlt SQL client whose connection, while open, holds the destination's lock."""

    def __init__(self, client: Any, hold: _ReentrantHold) -> None:
        self._client = client
        self._hold = hold
        self._holding: list[AbstractContextManager[None]] = []

    def __enter__(self) -> Any:
        holding = self._hold()
        holding.__enter__()
        try:
            self._client.__enter__()
        except BaseException:
            holding.__exit__(None, None, None)
            raise
        self._holding.append(holding)
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            self._client.__exit__(*exc)
        finally:
            self._holding.pop().__exit__(None, None, None)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


class DltRelation(dlt.Relation):
    """A lazy ``dlt.Relation`` on a table that dagster-dlt loaded, with its dataset at hand.

    Everything a ``dlt.Relation`` does works (``.df()``, ``.arrow()``, ``.fetchall()``,
    ``.select()``, ``.where()``, ``.limit()``, ...); a connection is opened only while a query
    runs. Reach the table's nested tables with :meth:`nested`, and run SQL over the whole dataset
    with :meth:`query`.

    Example:
        .. code-block:: python

            orders.select("id", "status").limit(10).df()
            orders.nested("items").arrow()  # the table orders__items
            orders.query("SELECT COUNT(*) FROM orders__items").fetchscalar()
    """

    @property
    def dataset(self) -> "DltDataset":
        """The dataset this relation reads from."""
        return internals.relation_dataset(self)  # type: ignore[no-any-return]

    @property
    def table_name(self) -> Optional[str]:
        """The table this relation reads, or ``None`` for a query."""
        return internals.relation_table_name(self)

    def query(self, sql: str) -> "DltRelation":
        """A lazy relation over ``sql`` in the destination's dialect; table names are the
        dataset's, unqualified (``SELECT * FROM orders__items``)."""
        return self.dataset.query(sql)

    def nested(self, name: str) -> "DltRelation":
        """A nested table of this table, by its full name (``orders__items``) or by the part after
        this table's name (``items``)."""
        table_name = self.table_name
        if table_name is None:
            raise DltTableNotFoundError(
                "nested() needs a relation on a table, not on a query: call it on the input or on "
                "dataset.table(...)."
            )
        nested = self.dataset.nested_tables(table_name)
        prefix = table_name + "__"
        for candidate in (name, prefix + name):
            if candidate in nested:
                return self.dataset.table(candidate)
        raise DltTableNotFoundError(
            f"Table '{table_name}' of dataset '{self.dataset.dataset_name}' has no nested "
            f"table '{name}'. Its nested tables: "
            f"{', '.join(t.removeprefix(prefix) for t in nested) or 'none'}."
        )


class DltDataset(dlt.Dataset):
    """A ``dlt.Dataset`` that holds the single-writer lock while a connection is open.

    Build one with :func:`open_dataset`. Its relations are :class:`DltRelation`. Use it as a
    context manager to run several queries on one connection (the lock is held for the block).

    Example:
        .. code-block:: python

            dataset = open_dataset(pipeline, schema="shop")
            with dataset:  # one connection, one lock, for both queries
                orders = dataset.orders.df()
                items = dataset.query("SELECT * FROM orders__items").arrow()
    """

    def __init__(
        self,
        pipeline: Pipeline,
        schema: Optional[str],
        hold: LockFactory,
    ) -> None:
        super().__init__(pipeline.destination, pipeline.dataset_name, schema=schema)
        self._dagster_pipeline_name = pipeline.pipeline_name
        self._dagster_hold = _ReentrantHold(hold)

    @property
    def pipeline_name(self) -> str:
        """The dlt pipeline that loads this dataset."""
        return self._dagster_pipeline_name

    @property
    def sql_client(self) -> Any:  # the client, wrapped to hold the lock while connected
        return _LockingSqlClient(super().sql_client, self._dagster_hold)

    def __enter__(self) -> "DltDataset":
        holding = self._dagster_hold()
        holding.__enter__()
        try:
            super().__enter__()
        except BaseException:
            holding.__exit__(None, None, None)
            raise
        self._dagster_holding = holding
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            super().__exit__(*exc)
        finally:
            self._dagster_holding.__exit__(None, None, None)

    def resolve(self) -> "DltDataset":
        """Read the dataset's schema from the destination now, under the lock (no data is read)."""
        with self._dagster_hold():
            self.schemas  # noqa: B018 - resolving is the point
        return self

    @property
    def loaded(self) -> bool:
        """Whether the destination holds a schema with data tables for this dataset."""
        return bool(self.data_tables)

    @property
    def data_tables(self) -> list[str]:
        """The tables holding data (nested ones included), without dlt's own tables."""
        names: list[str] = []
        for schema in self.schemas:
            names.extend(n for n in schema.data_table_names() if n not in names)
        return names

    def nested_tables(self, table: str) -> list[str]:
        """The nested tables of ``table`` that hold data, nearest first."""
        for schema in self.schemas:
            if table in schema.tables:
                loaded = set(schema.data_table_names())
                return [
                    t["name"]
                    for t in get_nested_tables(schema.tables, table)
                    if t["name"] != table and t["name"] in loaded
                ]
        return []

    def root_tables_of(self, resource_name: str) -> list[str]:
        """The top-level tables a dlt resource wrote, as the stored schema records them."""
        return [
            table["name"]
            for schema in self.schemas
            for table in schema.data_tables()
            if table.get("resource") == resource_name and "parent" not in table
        ]

    def table(
        self,
        table_name: str,
        *,
        load_ids: Optional[Collection[str]] = None,
        incremental: Any = None,
        **kwargs: Any,
    ) -> DltRelation:
        """A lazy relation on one table; the error lists the tables that exist."""
        if table_name not in self.tables:
            raise self._unknown_table(table_name)
        relation = DltRelation(dataset=self, table_name=table_name)
        if load_ids:
            relation = relation.from_loads(load_ids)
        if incremental is not None:
            relation = relation.incremental(incremental)
        return relation

    def query(  # type: ignore[override]
        self, query: Any, query_dialect: Optional[str] = None, *, _execute_raw_query: bool = False
    ) -> DltRelation:
        """A lazy relation over a SQL query, SQLGlot or Ibis expression."""
        return DltRelation(
            dataset=self,
            query=query,
            query_dialect=query_dialect,
            _execute_raw_query=_execute_raw_query,
        )

    def loads_table(self) -> DltRelation:
        return DltRelation(dataset=self, table_name=self.schema.loads_table_name)

    def describe_location(self) -> str:
        """Where the dataset lives, without credentials (see ``destination_location``)."""
        return destination_location(internals.dataset_destination(self), self.destination_client)

    def _unknown_table(self, table_name: str) -> DagsterDltError:
        if not self.loaded:
            return DltDatasetNotLoadedError(
                f"Dataset '{self.dataset_name}' has no table '{table_name}': dlt pipeline "
                f"'{self.pipeline_name}' has not loaded it yet (no stored schema "
                f"'{self.schema.name}' with data on {internals.dataset_destination(self).destination_name}). "
                "Materialize the upstream dlt asset first."
            )
        return DltTableNotFoundError(
            f"Dataset '{self.dataset_name}' has no table '{table_name}'. Its tables: "
            f"{', '.join(self.data_tables)}."
        )


def open_dataset(
    pipeline: Pipeline,
    *,
    schema: Optional[str] = None,
    owner: Optional[str] = None,
    lock_timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
) -> DltDataset:
    """The dataset ``pipeline`` loads, for reading; its schema is read from the destination.

    Args:
        pipeline: the dlt pipeline (its destination and dataset name are used).
        schema: the dlt schema name, usually the source's name; defaults to the pipeline's default
            schema, or the latest schema stored in the dataset.
        owner: who holds the single-writer lock while reading, shown to a run that waits for it.
        lock_timeout_seconds: how long to wait for that lock on a DuckDB file.

    Raises:
        DagsterDltError: the pipeline has no destination.

    Example:
        .. code-block:: python

            dataset = open_dataset(pipeline, schema="shop")
            orders = dataset.table("orders").df()
    """
    if pipeline.destination is None:
        raise DagsterDltError(
            f"dlt pipeline '{pipeline.pipeline_name}' has no destination, so there is no dataset "
            "to read: pass destination= to dlt.pipeline(...)."
        )
    # The file a run of this pipeline loads into, not one an older same-named pipeline used.
    anchor_local_files(pipeline)
    schema = schema or pipeline.default_schema_name
    hold = single_writer_lock_factory(
        pipeline, owner or f"reader of {pipeline.pipeline_name}", lock_timeout_seconds
    )
    return DltDataset(pipeline, schema, hold).resolve()


def destination_location(destination: Any, client: Any = None) -> str:
    """Where a destination keeps its data, for people: a file path, ``host/database`` or a
    bucket URL, never a user name, password, token or key."""
    try:
        config = client.config if client is not None else None
    except Exception:
        config = None
    bucket = getattr(config, "bucket_url", None)
    if isinstance(bucket, str) and bucket:
        return _strip_userinfo(bucket)
    credentials = getattr(config, "credentials", None)
    database = getattr(credentials, "database", None)
    host = getattr(credentials, "host", None)
    if destination is not None and "duckdb" in str(destination.destination_type):
        return str(database) if isinstance(database, str) else "(in memory)"
    parts = [str(part) for part in (host, database) if isinstance(part, str) and part]
    return "/".join(parts) or "(location not configured)"


def _strip_userinfo(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    netloc, slash, path = rest.partition("/")
    return f"{scheme}://{netloc.rpartition('@')[2]}{slash}{path}"


def tables_by_root(schema: Schema) -> dict[str, list[str]]:
    """Each top-level data table of a dlt schema with its nested data tables."""
    loaded = set(schema.data_table_names())
    roots: dict[str, list[str]] = {}
    for table in schema.data_tables():
        if "parent" in table:
            continue
        roots[table["name"]] = [
            t["name"]
            for t in get_nested_tables(schema.tables, table["name"])
            if t["name"] != table["name"] and t["name"] in loaded
        ]
    return roots
