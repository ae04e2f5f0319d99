"""Failed loads, leftovers of crashed runs, and missing configuration."""

from typing import Any

import dlt
import pytest
from dagster import AssetExecutionContext, AssetKey, DagsterInstance, materialize
from dlt.common.destination.exceptions import DestinationTerminalException
from dlt.pipeline.exceptions import PipelineStepFailed

from dagster_dlt import DagsterDltResource, dlt_assets
from dagster_dlt.errors import DltConfigurationError, DltLoadJobsFailedError
from tests.support.dlt_fixtures import count_rows, shop

# What the sink received, by table: the sink is the destination, so this is what "landed".
LANDED: dict[str, list[dict[str, Any]]] = {}
REJECT = {"orders"}


@dlt.destination(batch_size=100, name="picky_sink")
def picky_sink(items, table) -> None:
    if table["name"] in REJECT:
        raise DestinationTerminalException(f"sink refuses table {table['name']}: quota exceeded")
    LANDED.setdefault(table["name"], []).extend(items)


@pytest.fixture(autouse=True)
def reset_sink():
    LANDED.clear()
    REJECT.clear()
    REJECT.add("orders")


def sink_pipeline(tmp_path):
    return dlt.pipeline(
        pipeline_name="sink_pipeline",
        pipelines_dir=str(tmp_path / "pipelines"),
        destination=picky_sink,
    )


def build_assets(source, pipeline):
    @dlt_assets(dlt_source=source, dlt_pipeline=pipeline)
    def the_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context)

    return the_assets


def test_failed_load_job_fails_the_step_after_reporting_what_loaded(tmp_path):
    instance = DagsterInstance.ephemeral()
    result = materialize(
        [build_assets(shop(), sink_pipeline(tmp_path))],
        resources={"dlt": DagsterDltResource()},
        instance=instance,
        raise_on_error=False,
    )

    assert not result.success
    # customers and events landed and are reported; orders failed and is not.
    assert {e.asset_key for e in result.get_asset_materialization_events()} == {
        AssetKey("dlt_shop_customers"),
        AssetKey("dlt_shop_events"),
    }
    assert len(LANDED["customers"]) == 2
    failure = result.get_step_failure_events()[0].step_failure_data.error
    assert "DltLoadJobsFailedError" in failure.cls_name
    assert "orders" in failure.message
    assert "sink refuses table orders: quota exceeded" in failure.message
    # The materializations come before the failure in the event log.
    kinds = [e.event_type_value for e in result.all_events]
    assert kinds.index("STEP_FAILURE") > max(
        i for i, k in enumerate(kinds) if k == "ASSET_MATERIALIZATION"
    )


def test_failed_load_raises_a_typed_error(tmp_path):
    with pytest.raises(DltLoadJobsFailedError) as raised:
        materialize(
            [build_assets(shop(), sink_pipeline(tmp_path))], resources={"dlt": DagsterDltResource()}
        )
    assert set(raised.value.failed_tables) == {"orders"}


def test_a_pending_package_from_a_failed_run_does_not_break_the_next_run(tmp_path):
    pipeline = sink_pipeline(tmp_path)
    assets = build_assets(shop(), pipeline)
    first = materialize([assets], resources={"dlt": DagsterDltResource()}, raise_on_error=False)
    assert not first.success
    assert pipeline.has_pending_data, "the failed package stays pending in dlt's working directory"

    REJECT.clear()  # the destination recovers
    second = materialize([assets], resources={"dlt": DagsterDltResource()})

    assert second.success
    assert len(second.get_asset_materialization_events()) == 3
    assert not pipeline.has_pending_data
    assert len(LANDED["orders"]) == 6


def test_leftover_local_state_of_the_pipeline_does_not_break_a_run(make_pipeline, duckdb_path):
    pipeline = make_pipeline()
    # A crashed plain-dlt run: data extracted and normalized, never loaded.
    pipeline.extract(shop())
    pipeline.normalize()
    assert pipeline.has_pending_data

    result = materialize([build_assets(shop(), pipeline)], resources={"dlt": DagsterDltResource()})

    assert result.success
    assert count_rows(duckdb_path, "raw", "orders") == 6


def test_missing_destination_credentials_name_the_variables(tmp_path, monkeypatch):
    for name in ("PASSWORD", "USERNAME", "HOST", "DATABASE"):
        monkeypatch.delenv(f"DESTINATION__POSTGRES__CREDENTIALS__{name}", raising=False)
    pipeline = dlt.pipeline(
        pipeline_name="pg_pipeline",
        pipelines_dir=str(tmp_path / "pipelines"),
        destination="postgres",
    )
    # Building the assets needs no credentials.
    assets = build_assets(shop(), pipeline)

    instance = DagsterInstance.ephemeral()
    with pytest.raises(DltConfigurationError) as raised:
        materialize([assets], resources={"dlt": DagsterDltResource()}, instance=instance)
    message = str(raised.value)
    assert "DESTINATION__POSTGRES__CREDENTIALS__PASSWORD" in message
    assert "DESTINATION__POSTGRES__CREDENTIALS__DATABASE" in message
    assert "[destination.postgres.credentials]" in message
    assert ".dlt/secrets.toml" in message


def into_shop_duckdb(tmp_path, dataset_name: str) -> dlt.Pipeline:
    return dlt.pipeline(
        pipeline_name="shop_pipeline",
        pipelines_dir=str(tmp_path / "pipelines"),
        destination=dlt.destinations.duckdb(str(tmp_path / "shop.duckdb")),
        dataset_name=dataset_name,
    )


def test_a_dataset_named_like_its_duckdb_file_fails_with_the_fix(tmp_path):
    # dlt's own message blames concurrent pipelines and suggests a retry, which cannot help.
    pipeline = into_shop_duckdb(tmp_path, dataset_name="shop")

    extracted = []

    @dlt.resource
    def orders():
        extracted.append("orders")
        yield {"id": 1}

    with pytest.raises(DltConfigurationError) as raised:
        materialize([build_assets(orders(), pipeline)], resources={"dlt": DagsterDltResource()})

    message = str(raised.value)
    assert "dataset 'shop'" in message
    assert str(tmp_path / "shop.duckdb") in message
    assert 'dataset_name="shop_data"' in message
    assert extracted == []  # found before the run extracted anything


def test_plain_dlt_fails_every_load_into_a_dataset_named_like_its_duckdb_file(tmp_path):
    # Why a run refuses the names before it extracts: the load could never succeed.
    pipeline = into_shop_duckdb(tmp_path, dataset_name="shop")

    for _ in range(2):
        with pytest.raises(PipelineStepFailed, match=r"(?i)ambiguous reference to catalog"):
            pipeline.run(shop())


def test_the_clash_is_only_reported_when_the_names_match(tmp_path):
    pipeline = into_shop_duckdb(tmp_path, dataset_name="shop_data")

    result = materialize([build_assets(shop(), pipeline)], resources={"dlt": DagsterDltResource()})

    assert result.success
    assert count_rows(tmp_path / "shop.duckdb", "shop_data", "orders") == 6
