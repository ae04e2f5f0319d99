"""dlt's own warnings reach the step's event log exactly once, with secrets redacted."""

import logging
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any, Optional

import dlt
import pytest
from dagster import AssetExecutionContext, DagsterInstance, asset, instance_for_test, materialize
from dlt.common import logger as dlt_logger

from dagster_dlt.redaction import SecretRedactor
from dagster_dlt.run.dlt_logs import forward_dlt_logs

TOKEN = "key_5c4b3a2d1e0f"


@dlt.resource(name="readings")
def readings() -> Iterator[dict[str, Any]]:
    # A real retry warning, as a source using dlt's logger writes it, with a key in the URL.
    dlt_logger.warning(f"retrying https://sensors.example/v1?api_key={TOKEN} after 503")
    # "note" never gets a value: dlt's normalizer warns that it cannot infer its type.
    yield [{"id": 1, "note": None}, {"id": 2, "note": None}]


def run_readings(tmp_path: Path, instance: DagsterInstance, *, forward: bool = True):
    pipeline = dlt.pipeline(
        pipeline_name="readings",
        pipelines_dir=str(tmp_path / "pipelines"),
        destination=dlt.destinations.duckdb(str(tmp_path / "readings.duckdb")),
        dataset_name="sensors",
    )

    @asset
    def sensor_readings(context: AssetExecutionContext) -> None:
        redactor = SecretRedactor([TOKEN])
        forwarding = forward_dlt_logs(context.log, redactor=redactor) if forward else nullcontext()
        with forwarding:
            pipeline.run(readings())

    result = materialize([sensor_readings], instance=instance)
    assert result.success
    return [
        (entry.level, entry.user_message)
        for entry in instance.all_logs(result.run_id)
        if entry.dagster_event is None
    ]


def dlt_warnings(messages: list[tuple[int, str]]) -> tuple[list[str], list[str]]:
    retries = [m for level, m in messages if "retrying https://sensors.example" in m]
    unbound = [
        m
        for level, m in messages
        if "did not receive any data" in m and "note" in m and level == logging.WARNING
    ]
    return retries, unbound


@pytest.mark.parametrize(
    ("managed", "propagate"),
    [
        pytest.param(None, False, id="dagster-does-not-capture-dlt"),
        pytest.param("dlt", False, id="dlt-is-a-managed-logger"),
        pytest.param("root", True, id="dlt-propagates-to-managed-root"),
    ],
)
def test_dlt_warnings_reach_the_event_log_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, managed: Optional[str], propagate: bool
) -> None:
    dlt.current.run_context()  # dlt creates its logger with its runtime
    monkeypatch.setattr(dlt_logger.LOGGER, "propagate", propagate)
    overrides = {"python_logs": {"managed_python_loggers": [managed]}} if managed else {}
    handlers_before = list(dlt_logger.LOGGER.handlers)
    filters_before = list(dlt_logger.LOGGER.filters)

    with instance_for_test(overrides=overrides) as instance:
        messages = run_readings(tmp_path, instance)

    retries, unbound = dlt_warnings(messages)
    assert len(retries) == 1, messages
    assert len(unbound) == 1, messages
    assert f"api_key={TOKEN}" not in retries[0] and "api_key=***" in retries[0]
    assert all(TOKEN not in m for _, m in messages)
    # nothing of ours is left on dlt's logger
    assert dlt_logger.LOGGER.handlers == handlers_before
    assert dlt_logger.LOGGER.filters == filters_before


def test_without_forwarding_the_warnings_miss_the_event_log(tmp_path: Path) -> None:
    # What the forwarding fixes: dlt's logger writes to stderr and does not propagate.
    messages = run_readings(tmp_path, DagsterInstance.ephemeral(), forward=False)
    assert dlt_warnings(messages) == ([], [])


def test_levels_below_the_threshold_stay_out(caplog: pytest.LogCaptureFixture) -> None:
    dlt.current.run_context()
    sink = logging.getLogger("test_dlt_logs.sink")
    with caplog.at_level(logging.DEBUG, logger="test_dlt_logs.sink"):
        # nested, as when the run forwards and the user's code does too: still once
        with (
            forward_dlt_logs(sink, level=logging.ERROR),
            forward_dlt_logs(sink, level=logging.ERROR),
        ):
            dlt_logger.warning("only a warning")
            dlt_logger.error("an error")
        dlt_logger.error("after the block")
    # (pytest's caplog also listens on dlt's logger itself; only the sink's records count)
    forwarded = [r.getMessage() for r in caplog.records if r.name == "test_dlt_logs.sink"]
    assert forwarded == ["[dlt] an error"]
