"""The asset checks' pure parts: schema drift between two real dlt schemas, and contract results.

The schemas come from real dlt runs into DuckDB (the schema before is ``to_dict()`` of the
pipeline's schema, as a run captures it), or from dlt ``Schema`` objects built by dlt's own
normalizer; nothing is mocked.
"""

from pathlib import Path
from typing import Any

import dlt
import pytest
from dagster import AssetCheckKey, AssetCheckSeverity, AssetKey
from dlt.common.schema import Schema
from dlt.common.schema.exceptions import DataValidationError
from dlt.pipeline.exceptions import PipelineStepFailed

from dagster_dlt.checks import (
    CONTRACT_CHECK_NAME,
    SCHEMA_DRIFT_CHECK_NAME,
    ContractViolation,
    contract_check_result,
    contract_check_spec,
    contract_violation,
    dlt_check_results,
    dlt_check_specs,
    has_schema_contract,
    schema_drift,
    schema_drift_check_result,
    schema_drift_check_spec,
)

KEY = AssetKey("dlt_shop_orders")


@pytest.fixture
def pipeline(tmp_path: Path) -> dlt.Pipeline:
    return dlt.pipeline(
        "drift",
        pipelines_dir=str(tmp_path / "pipelines"),
        destination=dlt.destinations.duckdb(str(tmp_path / "drift.duckdb")),
        dataset_name="drift_data",
    )


def run(pipeline: dlt.Pipeline, rows: list[dict[str, Any]], **hints: Any) -> Schema:
    pipeline.run(rows, table_name="orders", **hints)
    return pipeline.default_schema


def test_a_first_load_is_not_drift_and_says_which_tables_it_created(pipeline: dlt.Pipeline):
    after = run(pipeline, [{"id": 1, "items": [{"sku": "a"}]}])

    drift = schema_drift(None, after, ["orders"])
    result = schema_drift_check_result(KEY, drift)

    assert drift.created_tables == ("orders", "orders__items")
    assert drift.added_tables == ()
    assert not drift.changed
    assert result.passed
    assert result.metadata["created_tables"].value == ["orders", "orders__items"]
    assert result.description == "first load: created tables orders, orders__items"


def test_a_new_asset_in_a_loaded_schema_is_a_first_load_too(pipeline: dlt.Pipeline):
    before = run(pipeline, [{"id": 1}]).to_dict()
    pipeline.run([{"name": "ada", "tags": [{"t": "x"}]}], table_name="customers")

    drift = schema_drift(before, pipeline.default_schema, ["customers"])

    assert drift.created_tables == ("customers", "customers__tags")
    assert not drift.changed


def test_a_run_that_changes_nothing_passes(pipeline: dlt.Pipeline):
    before = run(pipeline, [{"id": 1, "items": [{"sku": "a"}]}]).to_dict()
    after = run(pipeline, [{"id": 2, "items": [{"sku": "b"}]}])

    drift = schema_drift(before, after, ["orders"])
    result = schema_drift_check_result(KEY, drift)

    assert not drift.changed
    assert result.passed
    assert result.check_name == SCHEMA_DRIFT_CHECK_NAME
    assert result.description == "no change"


def test_added_columns_nested_tables_and_variants_warn(pipeline: dlt.Pipeline):
    before = run(pipeline, [{"id": 1, "amount": 5, "items": [{"sku": "a"}]}]).to_dict()
    after = run(
        pipeline,
        [
            {
                "id": 2,
                "amount": "five",  # another type: dlt adds the variant column amount__v_text
                "status": "new",
                "items": [{"sku": "b", "qty": 2}],
                "notes": [{"text": "hi"}],
            }
        ],
    )

    drift = schema_drift(before, after, ["orders"])
    result = schema_drift_check_result(KEY, drift)

    assert drift.added_tables == ("orders__notes",)
    assert drift.added_columns == {"orders": ("status",), "orders__items": ("qty",)}
    assert drift.variant_columns == {"orders": ("amount__v_text",)}
    assert not result.passed
    assert result.severity == AssetCheckSeverity.WARN
    assert "new table orders__notes" in result.description
    assert "new columns in orders: status" in result.description
    assert "variant columns in orders: amount__v_text" in result.description
    assert result.metadata["added_columns"].value == {
        "orders": ["status"],
        "orders__items": ["qty"],
    }


def test_drift_only_looks_at_the_assets_tables(pipeline: dlt.Pipeline):
    before = run(pipeline, [{"id": 1}]).to_dict()
    pipeline.run([{"id": 1, "extra": True}], table_name="customers")

    drift = schema_drift(before, pipeline.default_schema, ["orders"])

    assert not drift.changed


def test_a_type_change_is_reported():
    before = Schema("shop")
    before.update_table(
        {"name": "orders", "columns": {"id": {"name": "id", "data_type": "bigint"}}}
    )
    after = before.clone()
    after.tables["orders"]["columns"]["id"]["data_type"] = "decimal"

    drift = schema_drift(before, after, ["orders"])

    assert drift.type_changes == {"orders": {"id": ("bigint", "decimal")}}
    assert "type of orders.id changed from bigint to decimal" in drift.describe()


def test_contract_violation_from_a_real_dlt_run(pipeline: dlt.Pipeline):
    run(pipeline, [{"id": 1}])

    with pytest.raises(PipelineStepFailed) as raised:
        run(pipeline, [{"id": 2, "secret": "x"}], schema_contract={"columns": "freeze"})
    violation = contract_violation(raised.value)
    result = contract_check_result(KEY, [raised.value])

    assert violation == ContractViolation(
        schema="drift", table="orders", column="secret", entity="columns", mode="freeze"
    )
    assert not result.passed
    assert result.severity == AssetCheckSeverity.ERROR
    assert result.check_name == CONTRACT_CHECK_NAME
    assert "orders.secret: contract on columns is 'freeze'" in result.description
    assert result.metadata["violations"].value == [
        {
            "schema": "drift",
            "table": "orders",
            "column": "secret",
            "entity": "columns",
            "mode": "freeze",
        }
    ]


def test_contract_check_passes_without_violations_and_ignores_other_errors():
    error = DataValidationError("s", "t", None, "tables", "freeze", None, {"tables": "freeze"})

    assert contract_check_result(KEY, []).passed
    assert contract_check_result(KEY, [ValueError("not a contract")]).passed
    assert contract_violation(ValueError("x")) is None
    assert contract_violation(error) == ContractViolation("s", "t", None, "tables", "freeze")
    assert "t: contract on tables is 'freeze'" in contract_check_result(KEY, [error]).description


def test_check_specs_name_the_asset():
    drift, contract = schema_drift_check_spec(KEY), contract_check_spec(KEY)

    assert (drift.asset_key, drift.name) == (KEY, SCHEMA_DRIFT_CHECK_NAME)
    assert (contract.asset_key, contract.name) == (KEY, CONTRACT_CHECK_NAME)
    assert drift.description and contract.description


# --- what the run calls: specs for the assets, results for the selected checks ---------------


@dlt.source
def shop():
    @dlt.resource(schema_contract={"columns": "freeze"})
    def orders():
        yield {"id": 1}

    @dlt.resource
    def customers():
        yield {"name": "ada"}

    return orders, customers


def test_which_resources_have_a_contract():
    source = shop()

    assert has_schema_contract(source.resources["orders"], source)
    assert not has_schema_contract(source.resources["customers"], source)
    assert has_schema_contract(source.resources["customers"], source, run_contract="freeze")
    source.schema_contract = {"tables": "freeze"}
    assert has_schema_contract(source.resources["customers"], source)
    assert not has_schema_contract(source.resources["customers"], None, run_contract="evolve")


def test_specs_for_the_assets_and_each_kind_can_be_turned_off():
    orders, customers = AssetKey("orders"), AssetKey("customers")

    specs = dlt_check_specs([orders, customers], contract_keys={orders})
    no_drift = dlt_check_specs([orders, customers], {orders}, schema_drift_check=False)
    none = dlt_check_specs([orders], {orders}, schema_drift_check=False, contract_check=False)

    assert {(s.asset_key, s.name) for s in specs} == {
        (orders, SCHEMA_DRIFT_CHECK_NAME),
        (customers, SCHEMA_DRIFT_CHECK_NAME),
        (orders, CONTRACT_CHECK_NAME),
    }
    assert [(s.asset_key, s.name) for s in no_drift] == [(orders, CONTRACT_CHECK_NAME)]
    assert none == []


def test_results_only_for_the_selected_checks(pipeline: dlt.Pipeline):
    before = run(pipeline, [{"id": 1}]).to_dict()
    pipeline.run([{"name": "ada"}], table_name="customers")
    after = run(pipeline, [{"id": 2, "status": "new"}])
    orders, customers = AssetKey("orders"), AssetKey("customers")

    results = dlt_check_results(
        before=before,
        after=after,
        tables_by_key={orders: ["orders"], customers: ["customers"]},
        selected={AssetCheckKey(orders, SCHEMA_DRIFT_CHECK_NAME)},
    )

    assert [(r.asset_key, r.check_name, r.passed) for r in results] == [
        (orders, SCHEMA_DRIFT_CHECK_NAME, False)
    ]


def test_a_failed_run_fails_only_the_contract_check_of_the_asset_that_broke_it(
    pipeline: dlt.Pipeline,
):
    before = run(pipeline, [{"id": 1}]).to_dict()
    pipeline.run([{"name": "ada"}], table_name="customers")
    with pytest.raises(PipelineStepFailed) as raised:
        run(pipeline, [{"id": 2, "items": [{"sku": "a"}]}], schema_contract={"tables": "freeze"})
    orders, customers = AssetKey("orders"), AssetKey("customers")
    selected = {
        AssetCheckKey(key, name)
        for key in (orders, customers)
        for name in (SCHEMA_DRIFT_CHECK_NAME, CONTRACT_CHECK_NAME)
    }

    results = dlt_check_results(
        before=before,
        after=pipeline.default_schema,
        tables_by_key={orders: ["orders"], customers: ["customers"]},
        selected=selected,
        failure=raised.value,
    )

    outcome = {(r.asset_key, r.check_name): r.passed for r in results}
    assert outcome == {(orders, CONTRACT_CHECK_NAME): False, (customers, CONTRACT_CHECK_NAME): True}
    (failed,) = [r for r in results if not r.passed]
    assert "orders__items: contract on tables is 'freeze'" in (failed.description or "")
