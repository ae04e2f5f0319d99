"""``DltEventIterator``: the events of a dlt run, with optional post-processing steps."""

from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from typing import Any, Generic, Optional, TypeVar, Union

from dagster import (
    AssetExecutionContext,
    AssetMaterialization,
    MaterializeResult,
    MetadataValue,
    OpExecutionContext,
    TextMetadataValue,
)
from dlt.destinations.exceptions import DatabaseUndefinedRelation
from dlt.pipeline.pipeline import Pipeline

from dagster_dlt.constants import ROWS_LOADED

__all__ = ["DltEventIterator", "DltEventType"]

DltEventType = Union[AssetMaterialization, MaterializeResult]
T = TypeVar("T", bound=DltEventType)


class DltEventIterator(Iterator[T], Generic[T]):
    """Iterates the materializations of a dlt run; chain ``fetch_row_count()`` to enrich them.

    Example:
        .. code-block:: python

            @dlt_assets(dlt_source=source, dlt_pipeline=pipeline)
            def assets(context: AssetExecutionContext, dlt: DagsterDltResource):
                yield from dlt.run(context=context).fetch_row_count()
    """

    def __init__(
        self,
        events: Iterator[T],
        context: Union[OpExecutionContext, AssetExecutionContext],
        dlt_pipeline: Pipeline,
        *,
        run_session: Any = None,
    ) -> None:
        self._inner = events
        self._context = context
        self._dlt_pipeline = dlt_pipeline
        # The run loads through a per-run copy of the pipeline and may hold a single-writer lock
        # on the destination; queries go through the same copy and lock.
        self._session = run_session

    def __next__(self) -> T:
        return next(self._inner)

    def __iter__(self) -> "DltEventIterator[T]":
        return self

    def fetch_row_count(self) -> "DltEventIterator[T]":
        """Add each table's total row count from the destination as ``dagster/row_count``.

        On partitioned runs ``dagster/partition_row_count`` is added too: the rows this run
        loaded for the partition. A count that cannot be fetched (for example on a destination
        without SQL) is logged as a warning and left out; it never fails the step.

        Returns:
            A new iterator over the same events with the row counts added.
        """
        return DltEventIterator(
            self._with_row_counts(),
            self._context,
            self._dlt_pipeline,
            run_session=self._session,
        )

    def _with_row_counts(self) -> Iterator[T]:
        for event in self:
            extra: dict[str, Any] = {}
            table = _table_of(event)
            if table is not None:
                try:
                    # One short connection per event: the lock must not stay held while the
                    # event is handed to Dagster.
                    with self._lock(), self._pipeline().sql_client() as client:
                        extra["dagster/row_count"] = MetadataValue.int(_count(client, table))
                except DatabaseUndefinedRelation:
                    # The resource has never yielded a row, so dlt never created its table.
                    extra["dagster/row_count"] = MetadataValue.int(0)
                except Exception as error:
                    self._context.log.warning(
                        f"Could not fetch the row count of table '{table}' for "
                        f"{event.asset_key.to_user_string() if event.asset_key else 'asset'}: "
                        f"{type(error).__name__}. The materialization is reported without it."
                    )
            if _has_partition(self._context):
                rows = (event.metadata or {}).get(ROWS_LOADED)
                value = getattr(rows, "value", rows)
                extra["dagster/partition_row_count"] = MetadataValue.int(int(value or 0))
            yield event._replace(metadata={**(event.metadata or {}), **extra})

    def _pipeline(self) -> Pipeline:
        pipeline = getattr(self._session, "pipeline", None)
        return pipeline or self._dlt_pipeline

    def _lock(self) -> AbstractContextManager[None]:
        lock = getattr(self._session, "lock", None)
        return lock() if lock else nullcontext()


def _table_of(event: DltEventType) -> Optional[str]:
    name = (event.metadata or {}).get("dagster/table_name")
    name = name.value if isinstance(name, TextMetadataValue) else name
    return name.rsplit(".", 1)[-1] if isinstance(name, str) and name else None


def _count(client: Any, table: str) -> int:
    qualified = client.make_qualified_table_name(table)
    rows = client.execute_sql(f"SELECT COUNT(*) FROM {qualified}")
    return int(rows[0][0])


def _has_partition(context: Union[OpExecutionContext, AssetExecutionContext]) -> bool:
    try:
        return bool(context.has_partition_key or context.has_partition_key_range)
    except Exception:
        return False
