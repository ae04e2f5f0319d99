"""Secrets never reach Dagster: not in exceptions, event-log messages, metadata or warnings."""

import logging
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
import pytest
from dagster import (
    DagsterInstance,
    MetadataValue,
    asset,
    materialize,
    serialize_value,
)
from dlt.common.configuration.specs import ConnectionStringCredentials
from dlt.common.typing import TSecretStrValue
from dlt.destinations.impl.snowflake.configuration import SnowflakeCredentials
from dlt.pipeline.exceptions import PipelineStepFailed
from dlt.sources.helpers import requests
from pytest_httpserver import HTTPServer

from dagster_dlt.redaction import (
    REDACTED,
    RedactingFilter,
    RedactingLogger,
    SecretRedactor,
    is_secret_key,
    redact_exception,
    redacting,
)

TOKEN = "tok_9f8e7d6c5b4a"


def chain_text(error: BaseException) -> str:
    """What Dagster shows of an error: every exception of the chain, with its message."""
    return "".join(traceback.format_exception(error))


# Where secret values come from


def test_placeholder_is_dlts() -> None:
    from dlt.sources.helpers.rest_client.redaction import sanitize_url

    assert sanitize_url("https://h/x?token=abcd") == f"https://h/x?token={REDACTED}"


# dlt registers (and so remembers the resolved arguments of) module-level sources and resources.
@dlt.source(name="vault_api")
def vault_api(
    api_token: str = dlt.secrets.value,
    signing_value: TSecretStrValue = dlt.secrets.value,
    region: str = dlt.config.value,
):
    @dlt.resource
    def things() -> Iterator[dict[str, Any]]:
        yield {"region": region}

    return things


@dlt.resource(name="feed")
def feed(feed_password: str = dlt.secrets.value, page_size: str = "1000") -> Iterator[Any]:
    yield {"n": 1}


def test_source_secret_arguments_resolved_by_dlt_and_passed_in_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SOURCES__VAULT_API__API_TOKEN", "env-token-4321")
    monkeypatch.setenv("SOURCES__VAULT_API__REGION", "eu-central-1")
    source = vault_api(signing_value="passed-in-code-8765")
    # Only the source path: no provider scan, so the env token must come from dlt's resolution.
    redactor = SecretRedactor()
    redactor.add_source(source)

    text = "token env-token-4321, signed with passed-in-code-8765, in eu-central-1"
    assert redactor.redact(text) == f"token {REDACTED}, signed with {REDACTED}, in eu-central-1"


def test_standalone_resource_secret_argument() -> None:
    redactor = SecretRedactor()
    redactor.add_source(feed(feed_password="pw-for-the-feed", page_size="25000"))

    assert redactor.redact("pw-for-the-feed 25000") == f"{REDACTED} 25000"


def test_env_variables_by_key_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCES__SHOP__ACCESS_TOKEN", "shop-token-1111")
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS__PASSWORD", "pg-password-2222")
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS__HOST", "db.internal.example")
    monkeypatch.setenv(
        "DESTINATION__MSSQL__CREDENTIALS", "mssql://loader:p%40ss-3333@sql.example:1433/dwh"
    )
    monkeypatch.setenv("SOURCES__SHOP__PRIMARY_KEY", "order_number")
    redactor = SecretRedactor.for_run()

    text = "shop-token-1111 pg-password-2222 db.internal.example p@ss-3333 p%40ss-3333 order_number"
    assert redactor.redact(text) == (
        f"{REDACTED} {REDACTED} db.internal.example {REDACTED} {REDACTED} order_number"
    )
    # A connection string keeps its readable parts; its password goes.
    assert (
        redactor.redact("mssql://loader:p%40ss-3333@sql.example:1433/dwh")
        == f"mssql://loader:{REDACTED}@sql.example:1433/dwh"
    )


def test_paths_in_the_environment_are_not_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shell's PWD reads as a password key: redacting it hid the working directory (and
    so every DuckDB path under it) as ``***`` in the name-clash error and the event log."""
    project = tmp_path / "example"
    project.mkdir()
    monkeypatch.setenv("PWD", str(project))
    monkeypatch.setenv("SSH_AUTH_SOCK", str(project))
    monkeypatch.setenv("SOURCES__SHOP__CREDENTIALS_PATH_TOKEN", str(project))
    monkeypatch.setenv("SOURCES__SHOP__ACCESS_TOKEN", "shop-token-1111")
    redactor = SecretRedactor.for_run()

    message = f"DuckDB file {project}/example.duckdb, token shop-token-1111"
    assert redactor.redact(message) == f"DuckDB file {project}/example.duckdb, token {REDACTED}"


def test_secrets_toml_values(tmp_path: Path) -> None:
    with dlt.secrets.values(
        {
            "sources.crm.client_secret": "crm-secret-5555",
            "sources.crm.base_url": "https://crm.example",
            "destination.snowflake.credentials.private_key_passphrase": "phrase-6666",
            "destination.snowflake.credentials.username": "loader_user",
        }
    ):
        redactor = SecretRedactor.for_run()

    assert redactor.redact("crm-secret-5555 https://crm.example phrase-6666 loader_user") == (
        f"{REDACTED} https://crm.example {REDACTED} loader_user"
    )


def test_destination_credentials_of_the_pipeline(tmp_path: Path) -> None:
    key = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----"
    credentials = SnowflakeCredentials()
    credentials.update(
        {
            "database": "analytics",
            "username": "loader",
            "password": "snowflake-pw-7777",
            "host": "acme-xy123",
            "private_key": key,
        }
    )
    pipeline = dlt.pipeline(
        pipeline_name="to_snowflake",
        pipelines_dir=str(tmp_path / "pipelines"),
        destination=dlt.destinations.snowflake(credentials=credentials),
        dataset_name="raw",
    )
    redactor = SecretRedactor()
    redactor.add_pipeline(pipeline)

    text = f"login loader/snowflake-pw-7777 to acme-xy123 analytics; key line MIIEvQIBADANBgkqhkiG9w0BAQEFAASC; {key!r}"
    redacted = redactor.redact(text)
    assert "snowflake-pw-7777" not in redacted
    assert "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" not in redacted
    assert "loader/" in redacted and "acme-xy123 analytics" in redacted


def test_destination_credentials_resolved_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for field, value in {
        "DATABASE": "analytics",
        "USERNAME": "loader",
        "PASSWORD": "env-snowflake-pw-4444",
        "HOST": "acme-xy123",
    }.items():
        monkeypatch.setenv(f"DESTINATION__SNOWFLAKE__CREDENTIALS__{field}", value)
    pipeline = dlt.pipeline(
        pipeline_name="env_snowflake",
        pipelines_dir=str(tmp_path / "pipelines"),
        destination="snowflake",
        dataset_name="raw",
    )
    # No provider scan: the password must come from dlt resolving the destination's config.
    redactor = SecretRedactor()
    redactor.add_pipeline(pipeline)

    assert redactor.redact("loader:env-snowflake-pw-4444 acme-xy123") == (
        f"loader:{REDACTED} acme-xy123"
    )


def test_connection_string_credentials_and_explicit_values() -> None:
    redactor = SecretRedactor(["explicit-value-9999", "abc"])  # "abc" is too short to redact
    redactor.add_credentials(ConnectionStringCredentials("postgresql://u:conn-pw-8888@h:5432/db"))

    assert redactor.redact("conn-pw-8888 explicit-value-9999 abc") == (f"{REDACTED} {REDACTED} abc")


def test_secret_key_rule() -> None:
    secret = ["password", "access_token", "client_secret", "api_key", "private_key", "key"]
    secret += ["aws_secret_access_key", "private_key_passphrase", "credentials", "sas_token"]
    plain = ["host", "username", "database", "primary_key", "merge_key", "private_key_path"]
    plain += ["base_url", "port", "region"]
    assert [k for k in secret if not is_secret_key(k)] == []
    assert [k for k in plain if is_secret_key(k)] == []


# Credentials in URLs


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "401 Client Error: Unauthorized for url: https://api.example/x?page=2&access_token=abc123",
            f"401 Client Error: Unauthorized for url: https://api.example/x?page=2&access_token={REDACTED}",
        ),
        (
            "https://h/x?API_KEY=k1&ApiKey=k2&q=ok",
            f"https://h/x?API_KEY={REDACTED}&ApiKey={REDACTED}&q=ok",
        ),
        (
            "https://blob/x?sv=2022&sig=Ab%2Bc%3D&se=1",
            f"https://blob/x?sv=2022&sig={REDACTED}&se=1",
        ),
        (
            "next=https%3A%2F%2Fh%2Fcb%3Fcode%3Dxyz%26state%3D1",
            f"next=https%3A%2F%2Fh%2Fcb%3Fcode%3D{REDACTED}%26state%3D1",
        ),
        ("postgresql://loader:pw123@db:5432/x", f"postgresql://loader:{REDACTED}@db:5432/x"),
        (
            "headers={'Authorization': 'Bearer eyJhbGciOi.xyz'}",
            f"headers={{'Authorization': '{REDACTED}'}}",
        ),
        ("Authorization: Bearer eyJhbGciOi.xyz", f"Authorization: Bearer {REDACTED}"),
        (
            '{"client_secret": "s3cr3t", "id": "app"}',
            f'{{"client_secret": "{REDACTED}", "id": "app"}}',
        ),
        ("https://h/x?monkey=banana&keyboard=1", "https://h/x?monkey=banana&keyboard=1"),
        ('{"code": "E42", "key": "users"}', '{"code": "E42", "key": "users"}'),
    ],
)
def test_url_credentials_are_masked_without_knowing_them(text: str, expected: str) -> None:
    assert SecretRedactor().redact(text) == expected


# Exceptions


@dlt.resource(name="leaky")
def leaky(api_token: str = dlt.secrets.value) -> Iterator[dict[str, Any]]:
    try:
        raise ConnectionError(f"cannot reach https://api.example/?token={api_token}")
    except ConnectionError as error:
        raise RuntimeError(f"giving up with token {api_token}") from error
    yield {}


def test_failed_dlt_run_is_redacted_along_the_whole_chain(tmp_path: Path) -> None:
    pipeline = dlt.pipeline(
        pipeline_name="leaky",
        pipelines_dir=str(tmp_path / "pipelines"),
        destination=dlt.destinations.duckdb(str(tmp_path / "leaky.duckdb")),
    )
    source = leaky(api_token=TOKEN)
    redactor = SecretRedactor.for_run(pipeline=pipeline, source=source)

    with pytest.raises(PipelineStepFailed) as raised, redacting(redactor):
        pipeline.run(source)

    error = raised.value
    text = chain_text(error)
    assert TOKEN not in text
    assert TOKEN not in str(error.exception)
    assert f"giving up with token {REDACTED}" in text
    assert "cannot reach https://api.example/?token=" in text  # the rest of the message stays
    assert isinstance(error.__cause__, Exception) and error.step == "extract"


class TokenError(Exception):
    """An error whose text comes from an attribute, not from args."""

    def __init__(self, where: str, token: str) -> None:
        super().__init__(where)
        self._token = token

    def __str__(self) -> str:
        return f"{self.args[0]} rejected {self._token}"


def test_exception_with_its_own_str_keeps_its_type_name() -> None:
    redactor = SecretRedactor([TOKEN])

    with pytest.raises(TokenError) as raised, redacting(redactor):
        try:
            raise KeyError(f"lookup of {TOKEN}")
        except KeyError:
            raise TokenError("vault", TOKEN) from None

    error = raised.value
    assert type(error).__name__ == "TokenError" and isinstance(error, TokenError)
    assert str(error) == f"vault rejected {REDACTED}"
    text = chain_text(error)
    assert TOKEN not in text and "TokenError: vault rejected" in text


def test_replacement_hides_the_original_but_keeps_its_context() -> None:
    redactor = SecretRedactor([TOKEN])

    with pytest.raises(TokenError) as raised, redacting(redactor):
        try:
            raise ValueError(f"bad value {TOKEN}")
        except ValueError:
            raise TokenError("api", TOKEN)  # noqa: B904 - the implicit context is the point

    text = chain_text(raised.value)
    assert TOKEN not in text
    assert f"ValueError: bad value {REDACTED}" in text


def test_redact_exception_in_place_keeps_the_object() -> None:
    redactor = SecretRedactor([TOKEN])
    error = requests.HTTPError(f"401 for url: https://h/x?id=1&secret_thing={TOKEN}")

    assert redact_exception(error, redactor) is error
    assert str(error) == f"401 for url: https://h/x?id=1&secret_thing={REDACTED}"


def test_base_exceptions_pass_untouched() -> None:
    redactor = SecretRedactor([TOKEN])
    with pytest.raises(KeyboardInterrupt) as raised, redacting(redactor):
        raise KeyboardInterrupt(TOKEN)
    assert str(raised.value) == TOKEN


# Logs and metadata


def test_logger_wrapper_and_filter_redact_messages_and_tracebacks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    redactor = SecretRedactor([TOKEN])
    logger = logging.getLogger("test_redaction.wrapper")
    log = RedactingLogger(logger, redactor)
    with caplog.at_level(logging.INFO, logger="test_redaction.wrapper"):
        log.info("calling %s", f"https://h/x?token={TOKEN}")
        try:
            raise ValueError(f"boom {TOKEN}")
        except ValueError:
            log.exception("failed")
    assert TOKEN not in caplog.text
    assert "calling https://h/x?token=***" in caplog.text and "ValueError: boom ***" in caplog.text

    caplog.clear()
    filtered = logging.getLogger("test_redaction.filter")
    filtered.addFilter(RedactingFilter(redactor))
    with caplog.at_level(logging.WARNING, logger="test_redaction.filter"):
        filtered.warning("retrying with %s", TOKEN)
    assert caplog.messages == ["retrying with ***"]


def test_metadata_values() -> None:
    redactor = SecretRedactor([TOKEN])
    metadata = {
        "url": MetadataValue.url(f"https://h/x?access_token={TOKEN}"),
        "note": MetadataValue.text(f"used {TOKEN}"),
        "json": MetadataValue.json({"calls": [f"?key={TOKEN}"]}),
        "rows": 3,
    }

    redacted = redactor.redact_value(metadata)

    assert TOKEN not in serialize_value(redacted)
    assert redacted["rows"] == 3 and redacted["note"].value == "used ***"


# End to end: a 401 through Dagster


@dlt.source(name="tokened_api")
def tokened_api(base_url: str = dlt.config.value, access_token: str = dlt.secrets.value):
    @dlt.resource
    def items() -> Iterator[dict[str, Any]]:
        response = requests.get(f"{base_url}/items?access_token={access_token}")
        response.raise_for_status()
        yield response.json()

    return items


def run_through_dagster(tmp_path: Path, *, redact: bool, raise_on_error: bool = False):
    pipeline = dlt.pipeline(
        pipeline_name="tokened",
        pipelines_dir=str(tmp_path / "pipelines"),
        destination=dlt.destinations.duckdb(str(tmp_path / "tokened.duckdb")),
        dataset_name="api",
    )

    @asset
    def api_items(context) -> None:
        source = tokened_api()
        redactor = SecretRedactor.for_run(pipeline=pipeline, source=source)
        log = RedactingLogger(context.log, redactor) if redact else context.log
        log.info(f"loading {source.name} with token {TOKEN}")
        if redact:
            with redacting(redactor):
                pipeline.run(source)
        else:
            pipeline.run(source)

    instance = DagsterInstance.ephemeral()
    result = materialize([api_items], instance=instance, raise_on_error=raise_on_error)
    return result, instance


@pytest.fixture
def unauthorized_api(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> HTTPServer:
    httpserver.expect_request("/items").respond_with_data("bad token", status=401)
    monkeypatch.setenv("SOURCES__TOKENED_API__BASE_URL", httpserver.url_for("").rstrip("/"))
    monkeypatch.setenv("SOURCES__TOKENED_API__ACCESS_TOKEN", TOKEN)
    return httpserver


def test_token_in_query_string_never_reaches_the_event_log(
    unauthorized_api: HTTPServer, tmp_path: Path
) -> None:
    # Without redaction the token leaks, through the requests error text that dlt passes on.
    leaked, leaked_instance = run_through_dagster(tmp_path / "plain", redact=False)
    assert not leaked.success
    assert TOKEN in serialize_value(leaked_instance.all_logs(leaked.run_id))

    result, instance = run_through_dagster(tmp_path / "redacted", redact=True)

    assert not result.success
    records = serialize_value(instance.all_logs(result.run_id))
    assert TOKEN not in records
    assert "401 Client Error" in records and "access_token=***" in records
    assert unauthorized_api.log, "the source called the server"
    with pytest.raises(PipelineStepFailed) as raised:
        run_through_dagster(tmp_path / "raised", redact=True, raise_on_error=True)
    assert TOKEN not in chain_text(raised.value)
    assert "401 Client Error: UNAUTHORIZED for url" in chain_text(raised.value)


def test_unterminated_values_do_not_backtrack() -> None:
    # An error text cut off inside a quoted value: linear time, not exponential.
    text = '{"password": "' + "\\x" * 25 + ("a" * 10_000)
    started = time.perf_counter()
    SecretRedactor().redact(text)
    assert time.perf_counter() - started < 0.5
