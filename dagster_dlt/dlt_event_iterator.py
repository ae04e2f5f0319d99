"""``DltEventIterator``: the events of a dlt run, with optional post-processing steps."""

from collections.abc import Callable, Iterator
from typing import Any, Generic, Optional, TypeVar

from dagster import AssetCheckResult, AssetKey, MetadataValue
from dlt.common.pipeline import LoadInfo
from dlt.destinations.exceptions import DatabaseUndefinedRelation
from dlt.pipeline.pipeline import Pipeline

from dagster_dlt.constants import PARTITION_ROW_COUNT, ROW_COUNT, ROWS_LOADED
from dagster_dlt.run.dlt_run import DltEventType, DltRun

__all__ = ["DltEventIterator", "DltEventType"]

T = TypeVar("T", bound=DltEventType)


class DltEventIterator(Iterator[T], Generic[T]):
    """Iterates the materializations of a dlt run; chain ``fetch_row_count()`` to enrich them.

    The run itself is a ``DltRun`` (``.dlt_run``): after the events are consumed it holds dlt's
    ``LoadInfo`` and the pipeline the run loaded with.

    Example:
        .. code-block:: python

            @dlt_assets(dlt_source=source, dlt_pipeline=pipeline)
            def assets(context: AssetExecutionContext, dlt: DagsterDltResource):
                events = dlt.run(context=context).fetch_row_count()
                yield from events
                context.log.info(f"load ids: {events.load_info.loads_ids}")
    """

    def __init__(self, dlt_run: DltRun, events: Optional[Iterator[T]] = None) -> None:
        self.dlt_run = dlt_run
        self._inner: Iterator[T] = events if events is not None else dlt_run.events()  # type: ignore[assignment]

    def __next__(self) -> T:
        return next(self._inner)

    def __iter__(self) -> "DltEventIterator[T]":
        return self

    @property
    def load_info(self) -> Optional[LoadInfo]:
        """dlt's ``LoadInfo`` of the run, once the load step has run."""
        return self.dlt_run.load_info

    @property
    def pipeline(self) -> Pipeline:
        """The pipeline to read the loaded data with, e.g. ``pipeline.dataset()``."""
        return self.dlt_run.loaded_pipeline()

    def fetch_row_count(self) -> "DltEventIterator[T]":
        """Add each table's total row count from the destination as ``dagster/row_count``.

        On partitioned runs ``dagster/partition_row_count`` is added too: the rows this run
        loaded for the partition. A count that cannot be fetched (for example on a destination
        without SQL) is logged as a warning and left out; it never fails the step.

        Returns:
            A new iterator over the same events with the row counts added.
        """
        return self._chain(self._row_counts)

    def _chain(self, fetch: Callable[[T], dict[str, Any]]) -> "DltEventIterator[T]":
        """One helper for every ``fetch_*``: add what ``fetch`` returns to each event's metadata."""

        def enriched() -> Iterator[T]:
            for event in self:
                if isinstance(event, AssetCheckResult):
                    yield event  # checks carry their own metadata
                    continue
                extra = fetch(event)
                yield (
                    event._replace(metadata={**(event.metadata or {}), **extra}) if extra else event
                )

        return DltEventIterator(self.dlt_run, enriched())

    def _row_counts(self, event: T) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        run = self.dlt_run
        tables = run.tables_of(event.asset_key) if event.asset_key else []
        if tables and run.run_pipeline is not None:
            table = tables[0]
            try:
                # One short connection per event: the lock must not stay held while the event
                # is handed to Dagster.
                with run.holding_destination(), run.run_pipeline.sql_client() as client:
                    extra[ROW_COUNT] = MetadataValue.int(_count(client, table))
            except DatabaseUndefinedRelation:
                # The resource has never yielded a row, so dlt never created its table.
                extra[ROW_COUNT] = MetadataValue.int(0)
            except Exception as error:
                run.context.log.warning(
                    f"Could not fetch the row count of table '{table}' for "
                    f"{_name(event.asset_key)}: {type(error).__name__}. The materialization is "
                    "reported without it."
                )
        if run.partition.partitioned:
            rows = (event.metadata or {}).get(ROWS_LOADED)
            value = getattr(rows, "value", rows)
            extra[PARTITION_ROW_COUNT] = MetadataValue.int(int(value or 0))
        return extra


def _name(key: Optional[AssetKey]) -> str:
    return key.to_user_string() if key else "asset"


def _count(client: Any, table: str) -> int:
    qualified = client.make_qualified_table_name(table)
    rows = client.execute_sql(f"SELECT COUNT(*) FROM {qualified}")
    return int(rows[0][0])
