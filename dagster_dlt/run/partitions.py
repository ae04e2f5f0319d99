"""What a run knows of its partition, read from the Dagster context once, and how a time
window reaches dlt: as an external scheduler's interval for incrementals that join it.
"""

import inspect
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Optional

from dagster import OpExecutionContext, TimeWindow
from dlt.extract.source import DltSource

from dagster_dlt._seams import internals

__all__ = [
    "PartitionFacts",
    "outside_a_window",
    "partition_interval",
    "warn_if_partition_ignored",
    "window_cursors",
]


@dataclass(frozen=True)
class PartitionFacts:
    """The partition of a run: its key or key range, and its time window if it has one.

    Attributes:
        key: the partition key of a single-partition run.
        key_range: ``(start, end)`` of a run over a range of partitions.
        window: the time window of a time-window partition (or range), else ``None``.
    """

    key: Optional[str] = None
    key_range: Optional[tuple[str, str]] = None
    window: Optional[TimeWindow] = None

    @classmethod
    def of(cls, context: Any) -> "PartitionFacts":
        """The facts of ``context``'s run; an unpartitioned run (or a context without
        partitions, such as a direct invocation) has none."""
        try:
            key = context.partition_key if context.has_partition_key else None
            key_range = None
            if key is None and context.has_partition_key_range:
                key_range = (context.partition_key_range.start, context.partition_key_range.end)
        except Exception:
            return cls()
        window = None
        if key is not None or key_range is not None:
            try:
                window = context.partition_time_window
            except Exception:
                window = None  # static or dynamic partitions: users pass the key to the source
        return cls(key, key_range, window)

    @property
    def partitioned(self) -> bool:
        """Whether the run is of a partition or a range of them."""
        return self.key is not None or self.key_range is not None

    @property
    def work(self) -> Any:
        """The partition as a run's work records it: the key, ``[start, end]`` or ``None``."""
        return list(self.key_range) if self.key_range is not None else self.key


@contextmanager
def partition_interval(partition: PartitionFacts) -> Iterator[Optional[TimeWindow]]:
    """Offer a time-window partition to dlt as an external scheduler's interval.

    dlt incrementals declared with ``allow_external_schedulers=True`` then load exactly the
    partition's window (``initial_value`` = start, ``end_value`` = end), without touching their
    stored cursor, just as they do under Airflow.
    """
    window = partition.window
    if window is None:
        yield None
        return
    with internals.external_schedule_interval(window.start, window.end):
        yield window


@contextmanager
def outside_a_window(source: DltSource) -> Iterator[None]:
    """With no interval offered (an unpartitioned asset, an op), incrementals declared with
    ``allow_external_schedulers=True`` run from their stored cursor, as they would without it,
    instead of failing with dlt's ``ExternalSchedulerNotAvailable``."""
    if internals.offered_interval() is not None:
        yield
        return
    with internals.without_external_scheduler(source.selected_resources.values()):
        yield


def window_cursors(source: DltSource) -> dict[str, dict[str, tuple[Any, Any]]]:
    """resource -> cursor path -> (window start, newest cursor value loaded), for the
    incrementals that joined a partition's window: dlt keeps no state for them."""
    cursors: dict[str, dict[str, tuple[Any, Any]]] = {}
    for name, resource in source.selected_resources.items():
        wrapper = resource.incremental
        incremental = getattr(wrapper, "incremental", None)
        if incremental is None or incremental.end_value is None:
            continue
        try:
            last = incremental.last_value
        except Exception:
            last = None
        cursors[name] = {incremental.cursor_path: (incremental.start_value, last)}
    return cursors


def _joins_window(resource: Any) -> bool:
    """Whether a resource has an incremental that takes a partition's window."""
    wrapper = resource.incremental
    incremental = getattr(wrapper, "incremental", None)
    declared = incremental.allow_external_schedulers if incremental is not None else None
    if declared is None and wrapper is not None:
        declared = _default_allows_external_schedulers(resource)
    if declared is None:
        return os.environ.get("DLT_ALLOW_EXTERNAL_SCHEDULERS", "").lower() in ("true", "1", "yes")
    return bool(declared)


def _default_allows_external_schedulers(resource: Any) -> Optional[bool]:
    """``allow_external_schedulers`` of the incremental in the resource function's signature."""
    try:
        gen = internals.resource_steps(resource)[0]
        parameters = inspect.signature(gen).parameters.values()
    except (IndexError, TypeError, ValueError):
        return None
    for parameter in parameters:
        default = parameter.default
        if hasattr(default, "allow_external_schedulers") and hasattr(default, "cursor_path"):
            return default.allow_external_schedulers
    return None


def warn_if_partition_ignored(
    context: OpExecutionContext,
    partition: PartitionFacts,
    source: DltSource,
    *,
    source_from_definition: bool,
) -> None:
    """Warn when a partitioned run gives the source nothing of its partition: it would load
    the same rows for every partition."""
    if not partition.partitioned or not source_from_definition:
        return
    window = partition.window
    if window is not None and any(_joins_window(r) for r in source.selected_resources.values()):
        return
    which = partition.key if partition.key is not None else "the range"
    how = (
        "declare its incremental with allow_external_schedulers=True, or pass "
        "dlt_source=my_source(...) built from context.partition_time_window"
        if window is not None
        else "pass dlt_source=my_source(...) built from context.partition_key"
    )
    context.log.warning(
        f"This run of partition {which} runs the dlt source '{source.name}' given to "
        "@dlt_assets, which receives nothing of the partition: every partition loads the same "
        f"rows. To load only this partition, {how}."
    )
