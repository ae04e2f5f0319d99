"""Secrets never leave a run: for a token in a header and in a query string, on a failing and a
passing run, the event log, the compute logs and the CLI's output hold no occurrence of it."""

import json
import subprocess
from pathlib import Path

import pytest
from dagster import DagsterInstance, serialize_value
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.parallel_cli import REPO, dagster_cli, process_env

pytestmark = pytest.mark.slow

TOKEN = "tok-5d2c8e71a9f04b36"


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

    httpserver.expect_request("/items").respond_with_handler(handler)


@pytest.mark.parametrize("accept", [False, True], ids=["failing", "passing"])
@pytest.mark.parametrize("mode", ["header", "query"])
def test_the_token_is_nowhere_in_event_log_compute_logs_or_cli_output(
    httpserver: HTTPServer, tmp_path: Path, mode: str, accept: bool
):
    serve(httpserver, mode, accept)
    home = tmp_path / "dagster_home"
    env = process_env(
        tmp_path,
        SECRET_MODE=mode,
        SECRET_TARGET=str(tmp_path / "secret.duckdb"),
        SOURCES__SECRET_API__BASE_URL=httpserver.url_for("").rstrip("/"),
        SOURCES__SECRET_API__ACCESS_TOKEN=TOKEN,
    )
    command = [dagster_cli(), "asset", "materialize", "-m", "tests.secrets_defs", "--select", "*"]
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)

    assert (result.returncode == 0) is accept, result.stdout[-3000:] + result.stderr[-3000:]
    assert httpserver.log, "the source called the server"
    cli_output = result.stdout + result.stderr
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
    for path in compute_logs:
        assert TOKEN.encode() not in path.read_bytes(), f"the token is in {path}"
