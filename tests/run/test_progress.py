"""A long dlt run shows its extract, normalize and load progress in the step's event log."""

import itertools
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
import pytest
from dagster import AssetExecutionContext, DagsterInstance, asset, materialize
from dlt.common.runtime.collector import Collector, LogCollector, NullCollector

from dagster_dlt.run.progress import DagsterProgressCollector, collector_for_run
from tests.support.dlt_fixtures import shop


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Lines(logging.Handler):
    """Collects what a logger receives."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def lines() -> Iterator[tuple[logging.Logger, Lines]]:
    logger = logging.getLogger("test_progress")
    logger.setLevel(logging.INFO)
    handler = Lines()
    logger.addHandler(handler)
    yield logger, handler
    logger.removeHandler(handler)


def progress_messages(instance: DagsterInstance, run_id: str) -> list[str]:
    return [
        entry.user_message
        for entry in instance.all_logs(run_id)
        if entry.dagster_event is None and entry.user_message.startswith("dlt ")
    ]


def test_progress_of_every_step_reaches_the_event_log(tmp_path: Path) -> None:
    @asset
    def shop_data(context: AssetExecutionContext) -> None:
        pipeline = dlt.pipeline(
            pipeline_name="progress_shop",
            pipelines_dir=str(tmp_path / "pipelines"),
            destination=dlt.destinations.duckdb(str(tmp_path / "shop.duckdb")),
            dataset_name="raw",
            progress=DagsterProgressCollector(context.log, interval=0.5),
        )
        pipeline.run(shop())

    instance = DagsterInstance.ephemeral()
    result = materialize([shop_data], instance=instance)

    assert result.success
    messages = progress_messages(instance, result.run_id)
    extract = [m for m in messages if m.startswith("dlt Extract shop finished")]
    normalize = [m for m in messages if m.startswith("dlt Normalize shop in ")]
    load = [m for m in messages if m.startswith("dlt Load shop in ")]
    # dlt's own state extraction is a second extract step: it logs nothing.
    assert len(extract) == 1, messages
    assert extract[0].startswith(
        "dlt Extract shop finished: 11 rows (orders 6, customers 2, view_events 2, "
        "click_events 1), resources 2/2, "
    )
    assert re.search(r"rows/s in \d+\.\d s$", extract[0])
    assert normalize and "17 rows (orders 6, orders__items 6, customers 2," in normalize[-1]
    assert load and re.search(r"finished: jobs (\d+)/\1, ", load[-1]), load


def test_a_step_logs_at_most_once_per_interval(lines: tuple[logging.Logger, Lines]) -> None:
    logger, handler = lines
    clock = FakeClock()
    collector = DagsterProgressCollector(logger, interval=5, clock=clock)

    with collector("Extract big"):
        collector.update("Resources", 0, total=1)
        for _ in range(100):  # 100 updates over 49.5 s
            collector.update("rows", 10)
            clock.now += 0.5

    running = [m for m in handler.messages if not m.startswith("dlt Extract big finished")]
    # one line per 5 s of running, never two within 5 s, then the closing line
    assert len(running) == 9 and len(handler.messages) == 10
    elapsed = [float(re.search(r"after (\S+) s$", m).group(1)) for m in running]
    assert all(b - a >= 5 for a, b in itertools.pairwise(elapsed)), elapsed
    assert (
        running[0] == "dlt Extract big: 110 rows (rows 110), resources 0/1, 22 rows/s after 5.0 s"
    )
    assert handler.messages[-1] == (
        "dlt Extract big finished: 1,000 rows (rows 1,000), resources 0/1, 20 rows/s in 50.0 s"
    )


def test_rate_limit_holds_in_a_real_pipeline(
    lines: tuple[logging.Logger, Lines], tmp_path: Path
) -> None:
    logger, handler = lines
    clock = FakeClock()

    @dlt.resource
    def slow_rows() -> Iterator[list[dict[str, Any]]]:
        for batch in range(20):
            clock.now += 1.0  # each batch "takes" a second
            yield [{"id": batch * 10 + i} for i in range(10)]

    pipeline = dlt.pipeline(
        pipeline_name="progress_slow",
        pipelines_dir=str(tmp_path / "pipelines"),
        destination=dlt.destinations.duckdb(str(tmp_path / "slow.duckdb")),
        progress=DagsterProgressCollector(logger, interval=4, clock=clock),
    )
    pipeline.run(slow_rows())

    extract = [m for m in handler.messages if m.startswith("dlt Extract progress_slow")]
    running = [m for m in extract if " finished: " not in m]
    elapsed = [float(re.search(r"after (\S+) s$", m).group(1)) for m in running]
    assert len(running) == 5 and elapsed == [4.0, 8.0, 12.0, 16.0, 20.0], extract
    assert extract[-1].startswith("dlt Extract progress_slow finished: 200 rows (slow_rows 200)")


def test_a_failing_step_says_so(lines: tuple[logging.Logger, Lines], tmp_path: Path) -> None:
    logger, handler = lines

    @dlt.resource
    def broken() -> Iterator[dict[str, Any]]:
        yield {"id": 1}
        raise RuntimeError("source went away")

    pipeline = dlt.pipeline(
        pipeline_name="progress_broken",
        pipelines_dir=str(tmp_path / "pipelines"),
        destination=dlt.destinations.duckdb(str(tmp_path / "broken.duckdb")),
        progress=DagsterProgressCollector(logger, interval=60),
    )
    with pytest.raises(Exception, match="source went away"):
        pipeline.run(broken())

    assert [m.split(":")[0] for m in handler.messages] == ["dlt Extract progress_broken failed"]


class Recording(Collector):
    """A user's own collector: records the steps it saw."""

    def __init__(self) -> None:
        self.steps: list[str] = []
        self.rows = 0

    def update(self, name, inc=1, total=None, inc_total=None, message=None, label=None) -> None:
        if name not in ("Resources", "Files", "Jobs"):
            self.rows += inc

    def _start(self, step: str) -> None:
        self.steps.append(step)

    def _stop(self) -> None:
        pass


# dlt's LogCollector warns when psutil (for its memory stats) is missing; irrelevant here.
@pytest.mark.filterwarnings("ignore:psutil dependency")
def test_which_collector_a_run_uses(lines: tuple[logging.Logger, Lines]) -> None:
    logger, _ = lines
    for replaced in (None, NullCollector(), LogCollector(), DagsterProgressCollector(logger)):
        chosen = collector_for_run(replaced, logger, 3)
        assert isinstance(chosen, DagsterProgressCollector) and chosen.interval == 3
        assert chosen is not replaced
    kept = Recording()
    both = collector_for_run(kept, logger, 3)
    assert not isinstance(both, DagsterProgressCollector)
    # running the rule again on its own result does not stack collectors
    again = collector_for_run(both, logger, 3)
    assert again._collectors[0] is kept  # type: ignore[attr-defined]


@pytest.mark.filterwarnings("ignore:psutil dependency")
def test_progress_log_pipeline_prints_nothing_and_logs_once(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # As Dagster's guide creates it: progress="log" prints to stdout.
    pipeline = dlt.pipeline(
        pipeline_name="progress_guide",
        pipelines_dir=str(tmp_path / "pipelines"),
        destination=dlt.destinations.duckdb(str(tmp_path / "guide.duckdb")),
        dataset_name="raw",
        progress="log",
    )
    mine = Recording()

    @asset
    def guide_data(context: AssetExecutionContext) -> None:
        original = pipeline.collector
        pipeline.collector = collector_for_run(original, context.log, 0.5)
        try:
            pipeline.run(shop())
        finally:
            pipeline.collector = original

    instance = DagsterInstance.ephemeral()
    result = materialize([guide_data], instance=instance)

    assert result.success
    assert isinstance(pipeline.collector, LogCollector)  # the user's pipeline is unchanged
    out = capfd.readouterr().out
    assert "Extract shop" not in out and "Load shop" not in out
    messages = progress_messages(instance, result.run_id)
    assert len([m for m in messages if m.startswith("dlt Extract shop finished")]) == 1

    # A user's own collector keeps working next to the event log.
    pipeline.collector = mine
    result = materialize([guide_data], instance=instance)
    assert result.success
    assert mine.rows >= 11 and any(s.startswith("Load shop") for s in mine.steps)
    assert any(m.startswith("dlt Load shop") for m in progress_messages(instance, result.run_id))
