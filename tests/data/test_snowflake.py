"""Loading into Snowflake: dlt's ``snowflake`` destination and the real connector, end to end.

The emulator tests speak Snowflake's protocol to fakesnow on a local port, with dlt's default
settings (see ``tests/support/snowflake_emulator.py`` for the workarounds the emulator needs); the live
test runs the same Dagster round trip against a real account when ``DAGSTER_DLT_LIVE_SNOWFLAKE=1``.
"""

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import dlt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    ConfigurableResource,
    DagsterInstance,
    Definitions,
    EnvVar,
    materialize,
    serialize_value,
)

from dagster_dlt import DagsterDltResource, dlt_assets
from tests.support.snowflake_emulator import EMULATOR_PASSWORD, SnowflakeEmulator

# The emulator's fixtures: snowflake_emulator, snowflake_database, snowflake_env.
pytest_plugins = ["tests.support.snowflake_emulator"]

pytestmark = pytest.mark.filterwarnings(
    # fakesnow's own use of DuckDB, inside the emulator's thread.
    "ignore:Arrow output on a DB-API result:UserWarning"
)

DATASET = "inventory"
PRODUCTS = AssetKey("dlt_inventory_products")
SUPPLIERS = AssetKey("dlt_inventory_suppliers")
CREDENTIALS = "DESTINATION__SNOWFLAKE__CREDENTIALS__"
# A secret that only ever sits in the credentials: no run may show it either.
TOKEN = "oauth-token-9d1e77"

Query = Callable[[str], list[tuple[Any, ...]]]


@dlt.source
def inventory(first_id: int = 1, count: int = 3, label: str = "first"):
    """Products ``first_id ..`` and two suppliers; ``label`` tells the runs apart."""

    @dlt.resource(primary_key="id", write_disposition="merge")
    def products() -> Iterator[list[dict[str, Any]]]:
        yield [
            {"id": i, "name": f"product-{i}", "label": label}
            for i in range(first_id, first_id + count)
        ]

    @dlt.resource(primary_key="id", write_disposition="merge")
    def suppliers() -> Iterator[list[dict[str, Any]]]:
        yield [{"id": i, "name": f"supplier-{i}", "label": label} for i in (first_id, first_id + 1)]

    return products, suppliers


def inventory_assets(
    source, *, pipeline_name: str = "inventory_to_snowflake", dataset: str = DATASET
) -> AssetsDefinition:
    """``@dlt_assets`` as users write them, into the ``snowflake`` destination."""

    @dlt_assets(
        dlt_source=source,
        dlt_pipeline=dlt.pipeline(
            pipeline_name=pipeline_name, destination="snowflake", dataset_name=dataset
        ),
    )
    def inventory_to_snowflake(context: AssetExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context)

    return inventory_to_snowflake


def materializations(result) -> dict[AssetKey, dict[str, Any]]:
    return {
        event.asset_key: {
            key: getattr(entry, "value", entry)
            for key, entry in event.materialization.metadata.items()
        }
        for event in result.get_asset_materialization_events()
    }


def rows(query: Query, relation: str) -> list[tuple[int, str]]:
    """(id, label) of every row, duplicates included, in id order."""
    return sorted((int(id_), label) for id_, label in query(f"SELECT id, label FROM {relation}"))


def reported_relation(query: Query, database: str, table: str, dataset: str = DATASET) -> str:
    """``<database>.<schema>.<table>`` as Snowflake's information schema names the table."""
    found = query(
        f"SELECT table_catalog, table_schema, table_name FROM {database}.information_schema.tables"
        f" WHERE table_schema = '{dataset.upper()}' AND table_name = '{table.upper()}'"
    )
    assert len(found) == 1, found
    return ".".join(found[0])


def clear_snowflake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in os.environ:
        if name.startswith(CREDENTIALS.rstrip("_")):
            monkeypatch.delenv(name)


def run_log_text(instance: DagsterInstance, run_id: str) -> str:
    """Every event of the run (materializations, logs, failures), serialized."""
    return "\n".join(serialize_value(entry) for entry in instance.all_logs(run_id))


def error_chain(error) -> list[tuple[str, str]]:
    """(class name, message) of a Dagster ``SerializableErrorInfo`` and of its causes."""
    chain = []
    while error is not None:
        chain.append((error.cls_name, error.message))
        error = error.cause or error.context
    return chain


def configuration_error(error) -> str:
    """The message of the ``DltConfigurationError`` a failed step reports."""
    chain = error_chain(error)
    messages = [message for cls_name, message in chain if cls_name == "DltConfigurationError"]
    assert messages, f"expected a DltConfigurationError, the step failed with {chain}"
    return messages[0]


def failed_run(instance: DagsterInstance):
    result = materialize(
        [inventory_assets(inventory())],
        resources={"dlt": DagsterDltResource()},
        instance=instance,
        raise_on_error=False,
    )
    assert not result.success
    (failure,) = result.get_step_failure_events()
    return result, failure.step_failure_data.error


# --- plain dlt ------------------------------------------------------------------------------------


@pytest.mark.parametrize("loader_file_format", [None, "parquet"])
def test_dlt_merge_into_snowflake_deduplicates_on_the_primary_key(
    snowflake_env,
    snowflake_emulator: SnowflakeEmulator,
    snowflake_database: str,
    loader_file_format,
):
    pipeline = dlt.pipeline(
        pipeline_name="inventory_plain", destination="snowflake", dataset_name=DATASET
    )
    query: Query = lambda sql: snowflake_emulator.query(snowflake_database, sql)  # noqa: E731
    products = f"{snowflake_database}.{DATASET}.products"

    first = pipeline.run(inventory(first_id=1, count=3), loader_file_format=loader_file_format)

    first.raise_on_failed_jobs()
    assert rows(query, products) == [(1, "first"), (2, "first"), (3, "first")]
    assert pipeline.last_trace.last_normalize_info.row_counts["products"] == 3

    # ids 2 and 3 come again: merged on the primary key, not appended.
    second = pipeline.run(
        inventory(first_id=2, count=4, label="second"), loader_file_format=loader_file_format
    )

    second.raise_on_failed_jobs()
    assert rows(query, products) == [
        (1, "first"),
        (2, "second"),
        (3, "second"),
        (4, "second"),
        (5, "second"),
    ]
    suppliers = f"{snowflake_database}.{DATASET}.suppliers"
    assert rows(query, suppliers) == [(1, "first"), (2, "second"), (3, "second")]
    # Reachable as <database>.<dataset>.<table>; Snowflake names all three in upper case.
    assert reported_relation(query, snowflake_database, "products") == (
        f"{snowflake_database.upper()}.INVENTORY.PRODUCTS"
    )


def test_dlt_restores_its_state_from_snowflake(
    snowflake_env, snowflake_emulator: SnowflakeEmulator, snowflake_database: str, tmp_path
):
    def pipeline_in(directory: str) -> dlt.Pipeline:
        return dlt.pipeline(
            pipeline_name="inventory_state",
            pipelines_dir=str(tmp_path / directory),
            destination="snowflake",
            dataset_name=DATASET,
        )

    pipeline_in("first_machine").run(inventory()).raise_on_failed_jobs()
    # A fresh working directory, as on another machine: state and schema come from Snowflake.
    pipeline = pipeline_in("second_machine")
    pipeline.sync_destination()

    assert not pipeline.first_run
    assert "products" in pipeline.default_schema.tables


def test_connection_string_credentials_reach_snowflake(
    snowflake_emulator: SnowflakeEmulator, snowflake_database: str, monkeypatch
):
    clear_snowflake_credentials(monkeypatch)
    monkeypatch.setenv(
        CREDENTIALS.rstrip("_"), snowflake_emulator.connection_string(snowflake_database)
    )
    pipeline = dlt.pipeline(
        pipeline_name="inventory_url", destination="snowflake", dataset_name=DATASET
    )

    pipeline.run(inventory()).raise_on_failed_jobs()

    count = f"SELECT COUNT(*) FROM {snowflake_database}.{DATASET}.products"
    assert snowflake_emulator.query(snowflake_database, count) == [(3,)]


# --- through Dagster ------------------------------------------------------------------------------


def test_dlt_assets_merge_into_snowflake_and_report_rows_and_table_names(
    snowflake_env, snowflake_emulator: SnowflakeEmulator, snowflake_database: str
):
    query: Query = lambda sql: snowflake_emulator.query(snowflake_database, sql)  # noqa: E731
    first_assets = inventory_assets(inventory(first_id=1, count=3))
    assert {"dlt", "snowflake"} <= set(first_assets.specs_by_key[PRODUCTS].kinds)

    first = materialize([first_assets], resources={"dlt": DagsterDltResource()})

    assert first.success
    metadata = materializations(first)
    assert set(metadata) == {PRODUCTS, SUPPLIERS}
    assert metadata[PRODUCTS]["rows_loaded"] == 3
    assert metadata[SUPPLIERS]["rows_loaded"] == 2
    for key, table in ((PRODUCTS, "products"), (SUPPLIERS, "suppliers")):
        assert metadata[key]["dagster/table_name"] == reported_relation(
            query, snowflake_database, table
        )
    assert metadata[PRODUCTS]["dagster/table_name"] == (
        f"{snowflake_database.upper()}.INVENTORY.PRODUCTS"
    )

    # A second run with overlapping ids: 2 and 3 come again, 4 is new.
    second = materialize(
        [inventory_assets(inventory(first_id=2, count=3, label="second"))],
        resources={"dlt": DagsterDltResource()},
    )

    assert second.success
    assert materializations(second)[PRODUCTS]["rows_loaded"] == 3
    products = f"{snowflake_database}.{DATASET}.products"
    assert rows(query, products) == [(1, "first"), (2, "second"), (3, "second"), (4, "second")]


def test_definitions_build_without_snowflake_credentials(monkeypatch):
    clear_snowflake_credentials(monkeypatch)

    assets = inventory_assets(inventory())
    defs = Definitions(assets=[assets], resources={"dlt": DagsterDltResource()})

    Definitions.validate_loadable(defs)
    assert set(assets.keys) == {PRODUCTS, SUPPLIERS}
    assert all("snowflake" in spec.kinds for spec in assets.specs)


def test_a_run_without_database_and_account_names_exactly_those_variables(monkeypatch):
    clear_snowflake_credentials(monkeypatch)
    for name, value in {
        "USERNAME": "loader",
        "PASSWORD": EMULATOR_PASSWORD,
        "WAREHOUSE": "LOAD_WH",
        "ROLE": "LOADER",
        "TOKEN": TOKEN,
    }.items():
        monkeypatch.setenv(f"{CREDENTIALS}{name}", value)
    instance = DagsterInstance.ephemeral()

    result, error = failed_run(instance)

    message = configuration_error(error)
    assert f"{CREDENTIALS}DATABASE" in message
    assert f"{CREDENTIALS}HOST" in message
    for present in ("USERNAME", "PASSWORD", "WAREHOUSE", "ROLE"):
        assert f"{CREDENTIALS}{present}" not in message
    log = run_log_text(instance, result.run_id)
    assert f"{CREDENTIALS}DATABASE" in log  # the scan below reads the failure
    assert EMULATOR_PASSWORD not in log
    assert TOKEN not in log


def test_a_run_without_any_credentials_names_every_variable_at_once(monkeypatch):
    # dlt checks username and password only after database and host resolve: without help the
    # user would fix two variables, run again, and only then hear about the other two.
    clear_snowflake_credentials(monkeypatch)

    _, error = failed_run(DagsterInstance.ephemeral())

    message = configuration_error(error)
    for needed in ("DATABASE", "HOST", "USERNAME", "PASSWORD"):
        assert f"{CREDENTIALS}{needed}" in message
    assert "username, password under [destination.snowflake.credentials]" in message


def test_a_key_pair_login_is_not_asked_for_a_password(monkeypatch):
    clear_snowflake_credentials(monkeypatch)
    monkeypatch.setenv(f"{CREDENTIALS}USERNAME", "loader")
    monkeypatch.setenv(f"{CREDENTIALS}PRIVATE_KEY", "not-a-real-key")

    _, error = failed_run(DagsterInstance.ephemeral())

    message = configuration_error(error)
    assert f"{CREDENTIALS}DATABASE" in message
    assert f"{CREDENTIALS}PASSWORD" not in message
    assert f"{CREDENTIALS}USERNAME" not in message
    assert "not-a-real-key" not in message


def test_a_run_without_password_names_the_password_variable(
    snowflake_emulator: SnowflakeEmulator, snowflake_database: str, monkeypatch
):
    clear_snowflake_credentials(monkeypatch)
    for name, value in snowflake_emulator.environment(snowflake_database).items():
        if not name.endswith("PASSWORD"):
            monkeypatch.setenv(name, value)
    instance = DagsterInstance.ephemeral()

    _, error = failed_run(instance)

    message = configuration_error(error)
    assert f"{CREDENTIALS}PASSWORD" in message
    assert f"{CREDENTIALS}USERNAME" not in message


def test_credentials_never_reach_the_event_log_metadata_or_logs(
    snowflake_env, snowflake_database: str, monkeypatch, capfd
):
    monkeypatch.setenv(f"{CREDENTIALS}TOKEN", TOKEN)
    monkeypatch.setenv("RUNTIME__LOG_LEVEL", "INFO")  # dlt logs more than its default warnings
    instance = DagsterInstance.ephemeral()

    result = materialize(
        [inventory_assets(inventory())],
        resources={"dlt": DagsterDltResource()},
        instance=instance,
    )

    assert result.success
    event_log = run_log_text(instance, result.run_id)
    # The scan reads the materialization metadata (the table name names the database).
    assert snowflake_database.upper() in event_log.upper()
    # Everything the process printed: Dagster's console log, dlt's and the connector's loggers.
    printed = "".join(capfd.readouterr())
    assert "ASSET_MATERIALIZATION" in printed
    for secret in (EMULATOR_PASSWORD, TOKEN):
        assert secret not in event_log
        assert secret not in printed
        for metadata in materializations(result).values():
            assert secret not in repr(metadata)


def test_key_pair_credentials_load_and_stay_secret(
    snowflake_env, snowflake_emulator: SnowflakeEmulator, snowflake_database: str, monkeypatch
):
    # The emulator accepts any signature: this checks that dlt decrypts the key and the connector
    # signs its login with it, with no password set.
    passphrase = "key-passphrase-41c2"
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase.encode()),
    ).decode()
    monkeypatch.delenv(f"{CREDENTIALS}PASSWORD")
    monkeypatch.setenv(f"{CREDENTIALS}PRIVATE_KEY", pem)
    monkeypatch.setenv(f"{CREDENTIALS}PRIVATE_KEY_PASSPHRASE", passphrase)
    instance = DagsterInstance.ephemeral()

    result = materialize(
        [inventory_assets(inventory())], resources={"dlt": DagsterDltResource()}, instance=instance
    )

    assert result.success
    count = f"SELECT COUNT(*) FROM {snowflake_database}.{DATASET}.products"
    assert snowflake_emulator.query(snowflake_database, count) == [(3,)]
    event_log = run_log_text(instance, result.run_id)
    assert passphrase not in event_log
    assert pem.splitlines()[1] not in event_log


class SnowflakeLogin(ConfigurableResource):
    """Snowflake credentials as a Dagster resource: ``EnvVar`` fields resolve at run time."""

    account: str
    database: str
    username: str
    password: str
    warehouse: str
    role: str

    def dlt_credentials(self) -> dict[str, Any]:
        return {
            "host": self.account,
            "database": self.database,
            "username": self.username,
            "password": self.password,
            "warehouse": self.warehouse,
            "role": self.role,
        }


def test_credentials_from_dagster_env_vars_at_run_time(
    snowflake_emulator: SnowflakeEmulator, snowflake_database: str, monkeypatch
):
    clear_snowflake_credentials(monkeypatch)

    @dlt_assets(
        dlt_source=inventory(),
        dlt_pipeline=dlt.pipeline(
            pipeline_name="inventory_envvar", destination="snowflake", dataset_name=DATASET
        ),
    )
    def inventory_to_snowflake(
        context: AssetExecutionContext, dlt: DagsterDltResource, snowflake: SnowflakeLogin
    ):
        credentials = snowflake.dlt_credentials()
        credentials["query"] = snowflake_emulator.connector_query()  # only for the emulator
        yield from dlt.run(context=context, credentials=credentials)

    defs = Definitions(
        assets=[inventory_to_snowflake],
        resources={
            "dlt": DagsterDltResource(),
            "snowflake": SnowflakeLogin(
                account=EnvVar("SNOWFLAKE_ACCOUNT"),
                database=EnvVar("SNOWFLAKE_DATABASE"),
                username=EnvVar("SNOWFLAKE_USER"),
                password=EnvVar("SNOWFLAKE_PASSWORD"),
                warehouse=EnvVar("SNOWFLAKE_WAREHOUSE"),
                role=EnvVar("SNOWFLAKE_ROLE"),
            ),
        },
    )
    Definitions.validate_loadable(defs)  # before the variables exist
    for name, value in {
        "SNOWFLAKE_ACCOUNT": "emulator-account",
        "SNOWFLAKE_DATABASE": snowflake_database,
        "SNOWFLAKE_USER": "loader",
        "SNOWFLAKE_PASSWORD": EMULATOR_PASSWORD,
        "SNOWFLAKE_WAREHOUSE": "LOAD_WH",
        "SNOWFLAKE_ROLE": "LOADER",
    }.items():
        monkeypatch.setenv(name, value)
    instance = DagsterInstance.ephemeral()

    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(instance=instance)

    assert result.success
    count = f"SELECT COUNT(*) FROM {snowflake_database}.{DATASET}.products"
    assert snowflake_emulator.query(snowflake_database, count) == [(3,)]
    assert EMULATOR_PASSWORD not in run_log_text(instance, result.run_id)


# --- a real Snowflake account ---------------------------------------------------------------------


@pytest.mark.skipif(
    os.environ.get("DAGSTER_DLT_LIVE_SNOWFLAKE") != "1",
    reason="live Snowflake: set DAGSTER_DLT_LIVE_SNOWFLAKE=1 and DESTINATION__SNOWFLAKE__CREDENTIALS__*",
)
def test_live_snowflake_round_trip():
    """The Dagster round trip into a throwaway dataset of a real account, dropped at the end."""
    run = uuid.uuid4().hex[:8]
    dataset, pipeline_name = f"dagster_dlt_live_{run}", f"inventory_live_{run}"
    checker = dlt.pipeline(
        pipeline_name=f"{pipeline_name}_check", destination="snowflake", dataset_name=dataset
    )
    resources = {"dlt": DagsterDltResource()}
    try:
        first_assets = inventory_assets(
            inventory(first_id=1, count=3), pipeline_name=pipeline_name, dataset=dataset
        )
        assert "snowflake" in first_assets.specs_by_key[PRODUCTS].kinds
        first = materialize([first_assets], resources=resources)
        second_assets = inventory_assets(
            inventory(first_id=2, count=3, label="second"),
            pipeline_name=pipeline_name,
            dataset=dataset,
        )
        second = materialize([second_assets], resources=resources)

        assert materializations(first)[PRODUCTS]["rows_loaded"] == 3
        assert materializations(second)[PRODUCTS]["rows_loaded"] == 3
        with checker.sql_client() as client:
            query: Query = lambda sql: client.execute_sql(sql) or []  # noqa: E731
            database = client.credentials.database
            assert rows(query, f"{database}.{dataset}.products") == [
                (1, "first"),
                (2, "second"),
                (3, "second"),
                (4, "second"),
            ]
            table_name = reported_relation(query, database, "products", dataset)
        assert materializations(second)[PRODUCTS]["dagster/table_name"] == table_name
    finally:
        with checker.sql_client() as client:
            if client.has_dataset():
                client.drop_dataset()
            with client.with_staging_dataset():  # merge loads go through <dataset>_staging
                if client.has_dataset():
                    client.drop_dataset()
