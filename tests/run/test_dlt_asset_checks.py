"""Asset checks of dlt assets: schema drift (WARN) and schema contracts (ERROR), run with the
materialization, reported for the selected assets only. ``@dlt_assets`` adds them on request."""

import dlt
from dagster import AssetCheckKey, AssetCheckSeverity, AssetExecutionContext, AssetKey, materialize

from dagster_dlt import DagsterDltResource, dlt_assets
from tests.support.dlt_fixtures import count_rows

EXTRA = {"value": False}


@dlt.source(name="catalog")
def catalog():
    @dlt.resource(primary_key="id", write_disposition="merge")
    def products():
        row = {"id": 1, "name": "lamp"}
        if EXTRA["value"]:
            row["color"] = "red"
        yield [row]

    @dlt.resource(schema_contract={"columns": "freeze"}, write_disposition="append")
    def prices():
        row = {"id": 1, "price": 10}
        if EXTRA["value"]:
            row["currency"] = "EUR"
        yield [row]

    return products, prices


def build(pipeline, **kwargs):
    kwargs = {"schema_drift_check": True, "contract_check": True, **kwargs}

    @dlt_assets(dlt_source=catalog(), dlt_pipeline=pipeline, name="catalog_assets", **kwargs)
    def catalog_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context)

    return catalog_assets


def evaluations(result):
    return {(e.asset_key.path[-1], e.check_name): e for e in result.get_asset_check_evaluations()}


def run(assets, selection=None):
    return materialize(
        [assets], resources={"dlt": DagsterDltResource()}, selection=selection, raise_on_error=False
    )


def test_drift_warns_when_a_run_adds_columns_and_passes_when_nothing_changed(make_pipeline):
    EXTRA["value"] = False
    assets = build(make_pipeline())
    keys = {check.asset_key.path[-1] + "/" + check.name for check in assets.check_specs}
    assert keys == {
        "dlt_catalog_products/dlt_schema_drift",
        "dlt_catalog_prices/dlt_schema_drift",
        "dlt_catalog_prices/dlt_schema_contract",
    }
    first = evaluations(run(assets))
    # A first load is not drift: the check passes and names the tables it created.
    created = first[("dlt_catalog_products", "dlt_schema_drift")]
    assert created.passed
    assert created.metadata["created_tables"].value == ["products"]
    second = evaluations(run(assets))
    assert second[("dlt_catalog_products", "dlt_schema_drift")].passed

    EXTRA["value"] = True
    third = run(assets, selection=[AssetKey("dlt_catalog_products")])
    assert third.success
    drift = evaluations(third)[("dlt_catalog_products", "dlt_schema_drift")]
    assert not drift.passed and drift.severity == AssetCheckSeverity.WARN
    assert "color" in str(drift.metadata) or "color" in (drift.description or "")
    # A subset run reports the checks of its own assets only.
    assert {key for key, _ in evaluations(third)} == {"dlt_catalog_products"}


def test_a_contract_violation_fails_the_check_naming_it_and_loads_nothing(
    make_pipeline, duckdb_path
):
    EXTRA["value"] = False
    assets = build(make_pipeline())
    assert run(assets).success
    assert evaluations(run(assets))[("dlt_catalog_prices", "dlt_schema_contract")].passed

    EXTRA["value"] = True
    result = run(assets, selection=[AssetKey("dlt_catalog_prices")])

    assert not result.success
    contract = evaluations(result)[("dlt_catalog_prices", "dlt_schema_contract")]
    assert not contract.passed and contract.severity == AssetCheckSeverity.ERROR
    violation = contract.metadata["violations"].value[0]
    assert (violation["table"], violation["column"], violation["mode"]) == (
        "prices",
        "currency",
        "freeze",
    )
    assert count_rows(duckdb_path, "raw", "prices") == 2
    EXTRA["value"] = False


def test_checks_are_opt_in_and_each_can_be_turned_on_alone(make_pipeline):
    @dlt_assets(dlt_source=catalog(), dlt_pipeline=make_pipeline("default"), name="plain")
    def plain(context: AssetExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context)

    assert list(plain.check_specs) == []
    assets = build(make_pipeline(), schema_drift_check=False, contract_check=False)
    assert list(assets.check_specs) == []
    only_contract = build(make_pipeline("other"), schema_drift_check=False)
    assert {spec.key for spec in only_contract.check_specs} == {
        AssetCheckKey(AssetKey("dlt_catalog_prices"), "dlt_schema_contract")
    }
