"""A Snowflake emulator for tests: fakesnow's server on a local port, spoken to by the real connector.

dlt's ``snowflake`` destination connects with ``snowflake-connector-python`` over HTTP to
``fakesnow.server.app`` (fakesnow's emulation of Snowflake's REST protocol), running in a thread of
the test process. The connector is pointed at it through dlt's own credentials: ``host``, ``port``
and ``protocol`` in the credentials' query string.

fakesnow does not understand all of what dlt sends to Snowflake. Every workaround lives in this
module, in the ASGI layer in front of the emulator (:class:`SqlRewritingApp`), each with the
limitation it covers, so dlt (with its default settings), the connector and the product code run
exactly as they would against a real account:

- ``split_statements``: multi-statement scripts run statement by statement;
- ``unquote_put_stage``: ``PUT`` to a single-quoted stage;
- ``space_separate_put_options``: comma-separated ``PUT`` options;
- ``scope_schemata_to_current_database``: ``INFORMATION_SCHEMA.SCHEMATA`` of one database;
- ``space_separate_file_format``: comma-separated ``FILE_FORMAT`` options in ``COPY INTO``;
- ``unquote_match_by_column_name``: ``MATCH_BY_COLUMN_NAME='CASE_INSENSITIVE'``;
- ``copy_json_lines_as_parquet`` and ``json_lines_to_parquet``: ``jsonl`` loads matched by column;
- HTTP 500 answers become failed statements, so the connector does not retry them for minutes;
- staged files are removed when the emulator stops.

Fixtures: ``snowflake_emulator`` (one per session), ``snowflake_database`` (one per test) and
``snowflake_env`` (the ``DESTINATION__SNOWFLAKE__CREDENTIALS__*`` variables for both).

Test modules load the fixtures with ``pytest_plugins = ["tests.support.snowflake_emulator"]``; the module
holds no test assertions, so pytest need not rewrite it (PYTEST_DONT_REWRITE).
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import re
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

try:
    import fakesnow.server
    import fakesnow.transforms.stage as fakesnow_stage
    import pyarrow.json
    import pyarrow.parquet
    import snowflake.connector
    import uvicorn
    from sqlglot.dialects.snowflake import Snowflake
    from sqlglot.tokens import TokenType
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.types import ASGIApp, Receive, Scope, Send

    EMULATOR_MISSING = None
except ImportError as missing:
    # The minimum-versions job (.ci/run) installs no emulator: fakesnow pins its own sqlglot and
    # duckdb. Its tests are deselected there (marker "extended"); the module must still import.
    EMULATOR_MISSING = missing

QUERY_PATH = "/queries/v1/query-request"

# Dummy secrets: the emulator accepts any. Tests scan logs and metadata for them.
EMULATOR_USER = "loader"
EMULATOR_PASSWORD = "emulator-password-5f3c9a"
EMULATOR_ACCOUNT = "emulator-account"
EMULATOR_WAREHOUSE = "LOAD_WH"
EMULATOR_ROLE = "LOADER"


# --- SQL rewrites: one function per emulator limitation -------------------------------------------


def split_statements(sql: str) -> list[str]:
    """Split a multi-statement script into its statements.

    Limitation: fakesnow runs only the first statement of a request, while dlt sends DDL and merge
    scripts as one request with ``num_statements=0`` (Snowflake's multi-statement execution).
    Splitting on the tokenizer's semicolons keeps semicolons inside literals and comments intact.
    """
    try:
        tokens = Snowflake().tokenize(sql)
    except Exception:
        return [sql]  # let fakesnow report what it cannot read
    statements: list[str] = []
    start = 0
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            statements.append(sql[start : token.start])
            start = token.end + 1
    statements.append(sql[start:])
    return [statement.strip() for statement in statements if statement.strip()]


_PUT_QUOTED_STAGE = re.compile(r"^(PUT\s+'(?:[^']|'')*')\s+'(@[^']*)'", re.IGNORECASE)


def unquote_put_stage(sql: str) -> str:
    """``PUT 'file://...' '@"DS"."%ITEMS"/"load"'`` -> ``PUT 'file://...' @"DS"."%ITEMS"/"load"``.

    Limitation: fakesnow reads the stage of a ``PUT`` only as a bare ``@stage`` reference and
    rejects the single-quoted form Snowflake also accepts, which dlt uses.
    """
    return _PUT_QUOTED_STAGE.sub(r"\1 \2", sql)


_PUT_OPTIONS = re.compile(r"^(PUT\s+'(?:[^']|'')*'\s+\S+)(\s+.*)$", re.IGNORECASE | re.DOTALL)


def space_separate_put_options(sql: str) -> str:
    """``PUT ... OVERWRITE = TRUE, AUTO_COMPRESS = FALSE`` -> the same without the comma.

    Limitation: fakesnow 0.11 (with its sqlglot 30.20) reads comma-separated ``PUT`` options as a
    sequence and fails with "SequenceProperties is not a Property"; Snowflake accepts the commas
    dlt writes.
    """
    match = _PUT_OPTIONS.match(sql.strip())
    if not match:
        return sql
    return match.group(1) + match.group(2).replace(",", " ")


_SCHEMATA_WHERE = re.compile(r"(\bINFORMATION_SCHEMA\.SCHEMATA\s+WHERE\s+)", re.IGNORECASE)


def scope_schemata_to_current_database(sql: str) -> str:
    """``... FROM INFORMATION_SCHEMA.SCHEMATA WHERE schema_name = ...`` in the current database.

    Limitation: fakesnow 0.11's ``INFORMATION_SCHEMA.SCHEMATA`` lists the schemas of every
    database, while Snowflake's lists those of the current one. dlt asks it whether its dataset
    exists, so a dataset of an earlier test's database would count and never be created here.
    """
    return _SCHEMATA_WHERE.sub(r"\1catalog_name = CURRENT_DATABASE() AND ", sql)


_FILE_FORMAT_OPEN = re.compile(r"\bFILE_FORMAT\s*=\s*\(", re.IGNORECASE)


def space_separate_file_format(sql: str) -> str:
    """``FILE_FORMAT = (TYPE = 'PARQUET', USE_LOGICAL_TYPE = TRUE)`` -> the same without commas.

    Limitation: fakesnow parses only space-separated ``FILE_FORMAT`` options; Snowflake also
    accepts the comma-separated list dlt writes in ``COPY INTO``. Commas nested deeper (in
    ``NULL_IF = ('', 'NULL')``) or inside literals are kept.
    """
    match = _FILE_FORMAT_OPEN.search(sql)
    if not match:
        return sql
    chars = list(sql)
    depth, in_literal = 1, False
    for i in range(match.end(), len(sql)):
        char = sql[i]
        if char == "'":
            in_literal = not in_literal
        elif in_literal:
            continue
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                break
        elif char == "," and depth == 1:
            chars[i] = " "
    return "".join(chars)


_QUOTED_MATCH_BY_COLUMN_NAME = re.compile(r"\bMATCH_BY_COLUMN_NAME\s*=\s*'(\w+)'", re.IGNORECASE)


def unquote_match_by_column_name(sql: str) -> str:
    """``MATCH_BY_COLUMN_NAME='CASE_INSENSITIVE'`` -> ``MATCH_BY_COLUMN_NAME=CASE_INSENSITIVE``.

    Limitation: fakesnow takes the ``COPY INTO`` option only as a bare keyword; Snowflake also
    accepts the quoted string dlt writes.
    """
    return _QUOTED_MATCH_BY_COLUMN_NAME.sub(r"MATCH_BY_COLUMN_NAME=\1", sql)


_JSON_FILE_TYPE = re.compile(r"\bTYPE\s*=\s*'?JSON'?", re.IGNORECASE)


def copy_json_lines_as_parquet(sql: str) -> str:
    """``COPY INTO ... FILE_FORMAT = (TYPE = 'JSON' ...) MATCH_BY_COLUMN_NAME=...`` reads parquet.

    Limitation: fakesnow loads a JSON-lines file only as one VARIANT value per line and ignores
    MATCH_BY_COLUMN_NAME ("table has 4 columns but 1 values were supplied"), while dlt loads
    ``jsonl`` files, its default for Snowflake and always for its state table, column by column.
    The upload of such a file is stored as parquet (see ``json_lines_to_parquet``), which fakesnow
    matches by column name.
    """
    if not sql.lstrip().upper().startswith("COPY") or "MATCH_BY_COLUMN_NAME" not in sql.upper():
        return sql
    return _JSON_FILE_TYPE.sub("TYPE = 'PARQUET'", sql)


SQL_REWRITES: list[Callable[[str], str]] = [
    unquote_put_stage,
    space_separate_put_options,
    scope_schemata_to_current_database,
    space_separate_file_format,
    unquote_match_by_column_name,
    copy_json_lines_as_parquet,
]


def rewrite_statement(sql: str) -> str:
    for rewrite in SQL_REWRITES:
        sql = rewrite(sql)
    return sql


# --- staged files ---------------------------------------------------------------------------------

UPLOAD_PATH_PREFIX = "/fs_bucket/"
JSON_LINES_SUFFIXES = (".jsonl", ".jsonl.gz")


def json_lines_to_parquet(body: bytes) -> bytes:
    """A staged JSON-lines file (gzipped or not) as parquet; see ``copy_json_lines_as_parquet``.

    Column types are pyarrow's inference from the JSON values, which DuckDB casts to the table's
    types on insert; flat rows (all that the tests load) convert faithfully.
    """
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    table = pyarrow.json.read_json(io.BytesIO(body))
    out = io.BytesIO()
    pyarrow.parquet.write_table(table, out)
    return out.getvalue()


# --- the ASGI layer in front of fakesnow ----------------------------------------------------------


def _receive_body(body: bytes) -> Receive:
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


class SqlRewritingApp:
    """ASGI app in front of fakesnow: rewrites query requests and JSON-lines uploads.

    A query request goes to fakesnow's own request handler, statement by statement: the client
    gets the last statement's result, or the first failure, as from a Snowflake script.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == QUERY_PATH:
            await self.query(scope, receive, send)
        elif (
            scope["type"] == "http"
            and scope["path"].startswith(UPLOAD_PATH_PREFIX)
            and scope["path"].endswith(JSON_LINES_SUFFIXES)
        ):
            body = json_lines_to_parquet(await Request(scope, receive).body())
            headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            await self.app({**scope, "headers": headers}, _receive_body(body), send)
        else:
            await self.app(scope, receive, send)

    async def query(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        body = await request.body()
        if request.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        payload = json.loads(body)
        plain_scope = {
            **scope,
            "headers": [(k, v) for k, v in scope["headers"] if k.lower() != b"content-encoding"],
        }
        response = None
        for statement in split_statements(payload["sqlText"]) or [payload["sqlText"]]:
            statement_body = json.dumps({**payload, "sqlText": rewrite_statement(statement)})
            statement_request = Request(plain_scope, _receive_body(statement_body.encode()))
            response = await fakesnow.server.query_request(statement_request)
            result = json.loads(response.body)
            if response.status_code >= 500:
                # Limitation: fakesnow answers SQL it cannot emulate with HTTP 500, which the
                # connector retries for minutes. Answer as Snowflake answers a failed statement,
                # so the test fails at once, with fakesnow's message.
                response = JSONResponse(result)
            if not result["success"]:
                break
        assert response is not None
        await response(scope, receive, send)


# --- running the emulator -------------------------------------------------------------------------


@dataclass(frozen=True)
class SnowflakeEmulator:
    """A running emulator, and the dlt credentials that reach it."""

    host: str
    port: int

    def connection_string(self, database: str) -> str:
        """dlt credentials as one connection string: ``DESTINATION__SNOWFLAKE__CREDENTIALS``."""
        return (
            f"snowflake://{EMULATOR_USER}:{EMULATOR_PASSWORD}@{EMULATOR_ACCOUNT}/{database}"
            f"?warehouse={EMULATOR_WAREHOUSE}&role={EMULATOR_ROLE}"
            f"&host={self.host}&port={self.port}&protocol=http"
        )

    def connector_query(self) -> dict[str, str | int]:
        """Connector arguments that send it here instead of ``<account>.snowflakecomputing.com``;
        dlt passes the credentials' ``query`` on to ``snowflake.connector.connect``."""
        return {"host": self.host, "port": self.port, "protocol": "http"}

    def environment(self, database: str) -> dict[str, str]:
        """The ``DESTINATION__SNOWFLAKE__CREDENTIALS__*`` variables a user sets, plus ``QUERY``."""
        prefix = "DESTINATION__SNOWFLAKE__CREDENTIALS__"
        return {
            f"{prefix}DATABASE": database,
            f"{prefix}PASSWORD": EMULATOR_PASSWORD,
            f"{prefix}USERNAME": EMULATOR_USER,
            f"{prefix}HOST": EMULATOR_ACCOUNT,
            f"{prefix}WAREHOUSE": EMULATOR_WAREHOUSE,
            f"{prefix}ROLE": EMULATOR_ROLE,
            f"{prefix}QUERY": json.dumps(self.connector_query()),
        }

    def connect(self, database: str) -> snowflake.connector.SnowflakeConnection:
        """A connector session of its own (no current schema), to check what landed."""
        return snowflake.connector.connect(
            user=EMULATOR_USER,
            password=EMULATOR_PASSWORD,
            account=EMULATOR_ACCOUNT,
            database=database,
            **self.connector_query(),
        )

    def query(self, database: str, sql: str) -> list[tuple[Any, ...]]:
        """Run one statement in a fresh session and return its rows."""
        with self.connect(database) as connection, connection.cursor() as cursor:
            return list(cursor.execute(sql).fetchall())


def _free_port(host: str) -> int:
    with contextlib.closing(socket.socket(type=socket.SOCK_STREAM)) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def run_emulator(host: str = "127.0.0.1") -> Iterator[SnowflakeEmulator]:
    """Serve fakesnow behind the SQL rewrites on a free port, in a daemon thread of this process.

    All sessions share one in-memory DuckDB; keep tests apart by database name.
    """
    port = _free_port(host)
    config = uvicorn.Config(
        SqlRewritingApp(fakesnow.server.app), host=host, port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="snowflake emulator", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the Snowflake emulator did not start on {host}:{port}")
        time.sleep(0.05)
    try:
        yield SnowflakeEmulator(host=host, port=port)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        # Limitation: fakesnow keeps staged (PUT) files in a temporary directory it never removes.
        shutil.rmtree(fakesnow_stage.LOCAL_BUCKET_PATH, ignore_errors=True)


# --- pytest fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def snowflake_emulator() -> Iterator[SnowflakeEmulator]:
    """One emulator for the whole test session."""
    if EMULATOR_MISSING is not None:
        raise RuntimeError(
            f"The Snowflake emulator needs the test extra (pip install -e '.[test]'): "
            f"{EMULATOR_MISSING}"
        )
    with run_emulator() as emulator:
        yield emulator


@pytest.fixture
def snowflake_database() -> str:
    """A database of the test's own, named in lower case as users usually write it; the emulator
    creates it on first connect and, like Snowflake, reports it in upper case."""
    return f"dagster_dlt_{uuid.uuid4().hex[:10]}"


@pytest.fixture
def snowflake_env(
    snowflake_emulator: SnowflakeEmulator, snowflake_database: str, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """Credentials for the emulator in ``DESTINATION__SNOWFLAKE__CREDENTIALS__*`` variables: any
    ``destination="snowflake"`` pipeline of the test then loads into ``snowflake_database``."""
    env = snowflake_emulator.environment(snowflake_database)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env
