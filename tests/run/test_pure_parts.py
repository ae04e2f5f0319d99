"""Unit tests of the pure parts, without a pipeline run: run facts and metadata, config-error
descriptions, destination facts and the translator's legacy getters."""

import warnings
from datetime import datetime, timezone
from pathlib import Path

import dlt
import pytest
from dagster import AssetKey
from dlt.common.configuration.exceptions import ConfigFieldMissingException
from dlt.common.schema import Schema
from dlt.common.schema.utils import new_column, new_table
from dlt.common.storages.load_package import LoadJobInfo, ParsedLoadJobFileName

from dagster_dlt import DagsterDltTranslator, constants
from dagster_dlt.durability.destinations import DestinationFacts, database_from_credentials
from dagster_dlt.run.config_errors import configuration_problem, describe_config_problem
from dagster_dlt.run.metadata import RunFacts, TableJobs, job_entry, root_tables_by_resource
from dagster_dlt.translator import DltResourceTranslatorData, dagster_name
from tests.support.dlt_fixtures import shop


def orders_schema() -> Schema:
    schema = Schema("shop")
    orders = new_table(
        "orders",
        write_disposition="merge",
        columns=[
            new_column("id", "bigint", nullable=False),
            {**new_column("amount", "decimal"), "precision": 10, "scale": 2},
            {**new_column("placed_at", "timestamp"), "timezone": False, "precision": 3},
        ],
        resource="orders",
    )
    items = new_table(
        "orders__items", parent_table_name="orders", columns=[new_column("sku", "text")]
    )
    schema.update_table(orders)
    schema.update_table(items)
    return schema


FACTS = DestinationFacts(
    destination_type="dlt.destinations.duckdb",
    destination_name="duckdb",
    dataset_name="raw",
    single_writer_file=Path("/data/shop.duckdb"),
    relation_prefix=("shop", "raw"),
)


def run_facts(jobs=None) -> RunFacts:
    schema = orders_schema()
    return RunFacts(
        base={constants.LOAD_IDS: ["1"], constants.STORAGE_KIND: "duckdb"},
        row_counts={"orders": 3, "orders__items": 5},
        jobs_by_table=jobs or {},
        schema=schema,
        root_tables_by_resource=root_tables_by_resource(schema),
        destination=FACTS,
    )


def test_metadata_names_the_relation_rows_nested_tables_and_type_hints():
    resource = dlt.resource([{"id": 1}], name="orders")
    metadata = run_facts().metadata_for(resource)

    assert metadata[constants.TABLE_NAME].value == "shop.raw.orders"
    assert metadata[constants.ROWS_LOADED].value == 3
    assert metadata[constants.ROWS_LOADED_BY_TABLE].value == {"orders": 3, "orders__items": 5}
    assert metadata[constants.WRITE_DISPOSITION] == "merge"
    assert metadata[constants.STORAGE_KIND] == "duckdb"
    columns = {c.name: c for c in metadata[constants.COLUMN_SCHEMA].value.columns}
    assert columns["amount"].tags == {"precision": "10", "scale": "2"}
    assert columns["placed_at"].tags == {"timezone": "false", "precision": "3"}
    assert columns["id"].constraints.nullable is False
    assert "orders__items" in metadata
    assert run_facts().tables_written(resource) == ["orders", "orders__items"]


def test_an_asset_with_a_failed_nested_table_is_not_reported():
    resource = dlt.resource([{"id": 1}], name="orders")
    failed = {"orders__items": TableJobs(jobs=[{}], failed_message="boom")}
    facts = run_facts(failed)
    assert facts.metadata_for(resource) is None
    assert facts.failed_tables == {"orders__items": "boom"}


def test_job_entries_are_a_superset_of_dlts_job_info():
    info = ParsedLoadJobFileName("orders", "abc123", 0, "parquet")
    job = LoadJobInfo(
        state="completed_jobs",
        file_path="/tmp/orders.abc123.0.parquet",
        file_size=100,
        created_at=datetime(2024, 1, 1, tzinfo=timezone.utc),
        elapsed=0.5,
        job_file_info=info,
        failed_message=None,
    )
    entry = job_entry(job, "1700000000.1")
    published = set(job.asdict())
    assert published <= set(entry), published - set(entry)
    assert entry["state"] == "completed_jobs" and entry["file_format"] == "parquet"
    assert entry["created_at"] == "2024-01-01T00:00:00+00:00"
    assert entry["load_id"] == "1700000000.1" and entry["file_type"] == "parquet"


def test_missing_secrets_name_the_env_var_and_the_toml_key(make_pipeline):
    @dlt.source
    def api(token: str = dlt.secrets.value):
        return dlt.resource([1], name="numbers")

    with pytest.raises(ConfigFieldMissingException) as raised:
        api()
    problem = configuration_problem(raised.value)
    message = describe_config_problem(problem, make_pipeline("api_pipe"))
    # A source defined in a module takes the module's name as its section.
    assert "SOURCES__TEST_PURE_PARTS__TOKEN" in message
    assert "token under [sources.test_pure_parts]" in message and ".dlt/secrets.toml" in message


def test_destination_facts_of_duckdb_filesystem_and_no_destination(
    make_pipeline, tmp_path, duckdb_path
):
    facts = DestinationFacts.of(make_pipeline())
    assert facts.single_writer_file == duckdb_path.resolve()
    assert facts.relation_prefix == ("warehouse", "raw")
    assert facts.relation("orders") == "warehouse.raw.orders"
    assert facts.restores_state

    lake = dlt.pipeline(
        "lake",
        pipelines_dir=str(tmp_path / "p"),
        dataset_name="raw",
        destination=dlt.destinations.filesystem(str(tmp_path / "lake")),
    )
    lake_facts = DestinationFacts.of(lake)
    assert lake_facts.single_writer_file is None and lake_facts.relation_prefix == ("raw",)

    bare = DestinationFacts.of(dlt.pipeline("bare", pipelines_dir=str(tmp_path / "p")))
    assert bare.destination_name is None and bare.single_writer_file is None


def test_the_duckdb_name_clash_is_explained_only_when_it_is_one():
    clash = DestinationFacts("dlt.destinations.duckdb", "duckdb", "shop", Path("/d/shop.duckdb"))
    error = RuntimeError('Binder Error: Ambiguous reference to catalog or schema "shop"')
    assert 'dataset_name="shop_data"' in clash.duckdb_name_clash(error, "p")
    assert clash.duckdb_name_clash(RuntimeError("other"), "p") is None
    assert FACTS.duckdb_name_clash(error, "p") is None
    assert database_from_credentials(type("C", (), {"database": "/x/lake.duckdb"})()) == "lake"


def test_legacy_get_kinds_reports_the_destination(make_pipeline):
    destination = make_pipeline().destination
    resource = shop().resources["customers"]
    assert DagsterDltTranslator().get_kinds(resource, destination) == {"dlt", "duckdb"}
    assert DagsterDltTranslator().get_kinds(resource, None) == {"dlt"}


def test_translator_data_takes_a_destination_as_dagsters_guide_does(make_pipeline):
    pipeline = make_pipeline()
    resource = shop().resources["customers"]
    data = DltResourceTranslatorData(resource=resource, destination=pipeline.destination)
    assert data.destination is pipeline.destination and data.pipeline is None
    assert DagsterDltTranslator().get_asset_spec(data).kinds == {"dlt", "duckdb"}
    assert DltResourceTranslatorData(resource=resource, pipeline=pipeline).destination is not None


def test_legacy_getters_warn_once_per_class_and_super_does_not_recurse():
    class Prefixing(DagsterDltTranslator):
        def get_group_name(self, resource):
            return f"{super().get_group_name(resource) or 'raw'}_{resource.name}"

    resource = shop().resources["customers"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = Prefixing().get_asset_spec(DltResourceTranslatorData(resource=resource))
        Prefixing().get_asset_spec(DltResourceTranslatorData(resource=resource))
    assert first.group_name == "raw_customers"
    assert len([w for w in caught if issubclass(w.category, DeprecationWarning)]) == 1


def test_dagster_names_replace_each_invalid_character():
    assert dagster_name("Order Items") == "Order_Items"
    assert dagster_name("order-lines.v2") == "order_lines_v2"
    assert (
        AssetKey(dagster_name("dlt_shop_Order Items")).to_python_identifier()
        == "dlt_shop_Order_Items"
    )
