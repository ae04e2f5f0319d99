"""Secrets never leave a run: for a token in a header and in a query string, on a failing and a
passing run, no file the run writes (the event log, the compute logs, dlt's pipeline directory
with its trace and load packages, the destination) and neither the CLI's output nor dlt's own
``dlt pipeline trace`` holds any occurrence of it."""

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import DagsterInstance, serialize_value
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.support.parallel_cli import REPO, dagster_cli, process_env

pytestmark = pytest.mark.slow

TOKEN = "tok-5d2c8e71a9f04b36"
# The token alone, as the query string carries it, and as the Authorization header carries it.
LEAKS = (TOKEN, f"access_token={TOKEN}", f"Bearer {TOKEN}")


def leaks_in_files(root: Path) -> list[str]:
    """Every file under ``root`` (bytes, pickles included; gzip files also decompressed) that
    holds the token in any of its forms, with the number of occurrences."""
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        contents = [path.read_bytes()]
        if contents[0][:2] == b"\x1f\x8b":
            contents.append(gzip.decompress(contents[0]))
        hits = sum(content.count(leak.encode()) for content in contents for leak in LEAKS)
        if hits:
            found.append(f"{path.relative_to(root)} ({hits})")
    return found


def run_dagster(tmp_path: Path, httpserver: HTTPServer, **extra: str) -> tuple[dict, str, bool]:
    """``dagster asset materialize`` of tests/support/secrets_defs.py: its env, its output, success."""
    env = process_env(
        tmp_path,
        SECRET_TARGET=str(tmp_path / "secret.duckdb"),
        SOURCES__SECRET_API__BASE_URL=httpserver.url_for("").rstrip("/"),
        SOURCES__SECRET_API__ACCESS_TOKEN=TOKEN,
        **extra,
    )
    command = [
        dagster_cli(),
        "asset",
        "materialize",
        "-m",
        "tests.support.secrets_defs",
        "--select",
        "*",
    ]
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    return env, result.stdout + result.stderr, result.returncode == 0


def dlt_trace(env: dict) -> str:
    """The output of dlt's own ``dlt pipeline secret_api trace``, which must still read it."""
    trace = subprocess.run(
        [str(Path(sys.executable).with_name("dlt")), "pipeline", "secret_api", "trace"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert trace.returncode == 0, trace.stdout + trace.stderr
    return trace.stdout + trace.stderr


def serve(httpserver: HTTPServer, mode: str, accept: bool) -> None:
    def handler(request: Request) -> Response:
        sent = (
            request.args.get("access_token")
            if mode == "query"
            else request.headers.get("Authorization", "").removeprefix("Bearer ")
        )
        if accept and sent == TOKEN:
            return Response(json.dumps([{"id": 1, "name": "widget"}]), mimetype="application/json")
        return Response("bad token", status=401)

    httpserver.expect_request("/items", method="GET").respond_with_handler(handler)


@pytest.mark.parametrize("accept", [False, True], ids=["failing", "passing"])
@pytest.mark.parametrize("mode", ["header", "query"])
def test_the_token_is_nowhere_in_event_log_compute_logs_or_cli_output(
    httpserver: HTTPServer, tmp_path: Path, mode: str, accept: bool
):
    serve(httpserver, mode, accept)
    home = tmp_path / "dagster_home"
    env, cli_output, succeeded = run_dagster(tmp_path, httpserver, SECRET_MODE=mode)

    assert succeeded is accept, cli_output[-6000:]
    assert httpserver.log, "the source called the server"
    assert TOKEN not in cli_output
    with DagsterInstance.from_config(str(home)) as instance:
        (run,) = instance.get_runs()
        event_log = serialize_value(instance.all_logs(run.run_id))
    assert TOKEN not in event_log
    if not accept:
        assert "401 Client Error" in event_log
        if mode == "query":
            assert "access_token=***" in event_log
    else:
        assert "ASSET_MATERIALIZATION" in event_log
    compute_logs = [p for p in (home / "storage").rglob("*") if p.is_file()]
    assert compute_logs, "no compute logs were written"
    # Everything written: Dagster's home, dlt's data dir with the published pipeline directory
    # (trace.pickle, load packages), the DuckDB file.
    assert leaks_in_files(tmp_path) == []

    trace = dlt_trace(env)
    assert ("FAILED" in trace) is not accept, trace
    assert not any(leak in trace for leak in LEAKS), trace


def test_a_load_job_failing_with_the_token_leaves_it_in_no_package_file(
    httpserver: HTTPServer, tmp_path: Path
):
    # The source reads with the token in the query string; the sink posts the rows back the
    # same way and is refused, so dlt retries the job and writes its message into the package.
    serve(httpserver, "query", accept=True)
    httpserver.expect_request("/items", method="POST").respond_with_data("bad token", status=401)
    env, cli_output, succeeded = run_dagster(
        tmp_path,
        httpserver,
        SECRET_MODE="query",
        SECRET_DESTINATION="sink",
        DESTINATION__ITEMS_API__ACCESS_TOKEN=TOKEN,
    )

    assert not succeeded, cli_output[-6000:]
    assert any(request.method == "POST" for request, _ in httpserver.log), "the sink ran"
    exceptions = list((tmp_path / "dlt_data").rglob("*.exception"))
    assert exceptions, "dlt wrote no job exception: the load job did not fail"
    assert "access_token=***" in "".join(p.read_text() for p in exceptions)
    assert not any(leak in cli_output for leak in LEAKS)
    assert leaks_in_files(tmp_path) == []
    trace = dlt_trace(env)
    assert "FAILED" in trace and not any(leak in trace for leak in LEAKS), trace
