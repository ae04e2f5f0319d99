"""The sources and helpers the benchmarks share."""

import gc
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Optional

import dlt
from dagster import AssetExecutionContext, DagsterInstance, materialize

from dagster_dlt import DagsterDltResource, dlt_assets

BATCH = 10_000


def rows_source(rows: int, name: str = "rows") -> Any:
    """One resource yielding ``rows`` small rows in batches, as an API client would."""

    @dlt.source(name=name)
    def source():
        @dlt.resource(name="items")
        def items() -> Iterator[list[dict[str, Any]]]:
            for start in range(0, rows, BATCH):
                yield [
                    {"id": i, "name": f"item-{i % 97}", "value": i * 0.5, "flag": i % 2 == 0}
                    for i in range(start, min(rows, start + BATCH))
                ]

        return items

    return source()


def wide_source(resources: int, rows: int, name: str = "wide") -> Any:
    """``resources`` resources of ``rows`` rows each."""

    def make(i: int):
        def gen() -> Iterator[list[dict[str, Any]]]:
            yield [{"id": j, "resource": i, "value": j * 0.5} for j in range(rows)]

        return gen

    @dlt.source(name=name)
    def source():
        return [dlt.resource(make(i), name=f"r{i}") for i in range(resources)]

    return source()


def pipeline_into(workdir: Path, name: str) -> dlt.Pipeline:
    return dlt.pipeline(
        pipeline_name=name,
        pipelines_dir=str(workdir / "pipelines"),
        destination=dlt.destinations.duckdb(str(workdir / f"{name}.duckdb")),
        dataset_name="bench",
    )


Timing = tuple[float, float]
"""(wall-clock seconds, CPU seconds of this process, all threads)."""


class Clock:
    """Wall-clock and CPU seconds of a block, started after a full collection."""

    def __enter__(self) -> "Clock":
        gc.collect()
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.timing = (time.perf_counter() - self._wall, time.process_time() - self._cpu)


def run_plain(make_source: Callable[[], Any], **run_kwargs: Any) -> Timing:
    """Time ``pipeline.run`` into a fresh DuckDB file."""
    with tempfile.TemporaryDirectory() as tmp:
        pipeline = pipeline_into(Path(tmp), "plain")
        source = make_source()
        with Clock() as clock:
            pipeline.run(source, **run_kwargs)
        return clock.timing


def run_dagster(
    make_source: Callable[[], Any],
    instance: Optional[DagsterInstance] = None,
    **run_kwargs: Any,
) -> Timing:
    """Time ``dagster.materialize`` of the source's assets into a fresh DuckDB file.

    The clock covers what a user waits for: building the assets and the whole Dagster run.
    """
    with tempfile.TemporaryDirectory() as tmp:
        pipeline = pipeline_into(Path(tmp), "dagster")
        source = make_source()
        instance = instance or DagsterInstance.ephemeral()
        with Clock() as clock:

            @dlt_assets(dlt_source=source, dlt_pipeline=pipeline)
            def assets(context: AssetExecutionContext, dlt: DagsterDltResource):
                yield from dlt.run(context=context, **run_kwargs)

            result = materialize(
                [assets], resources={"dlt": DagsterDltResource()}, instance=instance
            )
        assert result.success
        return clock.timing


def median(values: Iterable[float]) -> float:
    return round(statistics.median(values), 3)


def run_rounds(sides: dict[str, Callable[[], Timing]], repeats: int) -> list[dict[str, Timing]]:
    """Run every side back to back, ``repeats`` times, rotating which goes first (AB, BA, ...).

    A shared machine drifts over a benchmark's minutes; the runs of one round see nearly the same
    load, so figures are derived round by round and their median reported.
    """
    names = list(sides)
    rounds = []
    for i in range(repeats):
        shift = i % len(names)
        rounds.append({name: sides[name]() for name in names[shift:] + names[:shift]})
    return rounds


def compare(
    plain: Callable[[], Timing], dagster: Callable[[], Timing], repeats: int
) -> dict[str, float]:
    """Plain dlt against Dagster in rounds (see ``run_rounds``): the ratios are taken round by
    round. CPU time is the steadier figure on a busy machine; wall-clock is what a user waits for.
    """
    rounds = run_rounds({"plain": plain, "dagster": dagster}, repeats)
    return {
        "plain_wall_s": median(r["plain"][0] for r in rounds),
        "dagster_wall_s": median(r["dagster"][0] for r in rounds),
        "wall_ratio": median(r["dagster"][0] / r["plain"][0] for r in rounds),
        "plain_cpu_s": median(r["plain"][1] for r in rounds),
        "dagster_cpu_s": median(r["dagster"][1] for r in rounds),
        "cpu_ratio": median(r["dagster"][1] / r["plain"][1] for r in rounds),
    }
