"""Schema drift and contract checks around a dlt run, from the pure functions in checks.py."""

from collections.abc import Iterator
from typing import Any, Union

import dlt
from dagster import AssetCheckResult, AssetKey, Definitions, MaterializeResult, asset
from dlt.pipeline.exceptions import PipelineStepFailed

from dagster_dlt import (
    contract_check_result,
    contract_check_spec,
    contract_violation,
    schema_drift,
    schema_drift_check_result,
    schema_drift_check_spec,
)

PRICES = AssetKey("prices")

prices_pipeline = dlt.pipeline(
    pipeline_name="prices",
    destination=dlt.destinations.duckdb("prices.duckdb"),
    dataset_name="prices_raw",
)


def price_rows() -> list[dict[str, Any]]:
    """The rows to load; a test swaps in rows with a new column."""
    return [{"sku": "lamp", "price": 40.0}, {"sku": "pen", "price": 2.5}]


@asset(key=PRICES, check_specs=[schema_drift_check_spec(PRICES), contract_check_spec(PRICES)])
def prices() -> Iterator[Union[MaterializeResult, AssetCheckResult]]:
    """Prices, whose columns are frozen once the table exists."""
    before = (
        prices_pipeline.default_schema.to_dict() if prices_pipeline.default_schema_name else None
    )
    try:
        prices_pipeline.run(
            price_rows(),
            table_name="prices",
            write_disposition="replace",
            schema_contract={"tables": "evolve", "columns": "freeze"},
        )
    except PipelineStepFailed as failure:
        if contract_violation(failure) is None:
            raise
        # The check names the violation in the UI; the step still fails, nothing was loaded.
        yield contract_check_result(PRICES, [failure])
        raise
    yield MaterializeResult()
    yield schema_drift_check_result(
        PRICES, schema_drift(before, prices_pipeline.default_schema, ["prices"])
    )
    yield contract_check_result(PRICES, [])


defs = Definitions(assets=[prices])
