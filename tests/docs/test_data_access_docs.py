"""The snippets of docs/data-access.md, imported afresh and run for real in the test's directory."""

from pathlib import Path
from typing import Any

import duckdb
import pytest
from dagster import AssetKey, Definitions, ExecuteInProcessResult, materialize

from dagster_dlt.data.save import DltContractViolationError
from tests.support.snippets import load_snippet


def run(defs: Definitions, **kwargs: Any) -> ExecuteInProcessResult:
    return materialize(list(defs.assets or []), resources=dict(defs.resources or {}), **kwargs)


def metadata_of(result: ExecuteInProcessResult, key: str) -> dict[str, Any]:
    (event,) = [
        e for e in result.get_asset_materialization_events() if e.asset_key == AssetKey(key)
    ]
    return {k: getattr(v, "value", v) for k, v in event.materialization.metadata.items()}


def query(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_input_snippet_reads_the_table_its_nested_table_and_sql(tmp_path: Path):
    snippet = load_snippet("data_access_input")

    result = run(snippet.defs)

    assert result.success
    summary = metadata_of(result, "order_summary")
    assert summary["large_orders"] == 2
    assert summary["sold"] == {"lamp": 2, "pen": 6}
    assert (tmp_path / "shop.duckdb").exists()


def test_catalog_snippet_prints_datasets_and_reads_a_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    assert run(load_snippet("data_access_input").defs).success
    snippet = load_snippet("data_access_catalog")

    snippet.main()

    printed = capsys.readouterr().out.splitlines()
    assert printed[:3] == [
        f"shop_raw  (duckdb: {Path('shop.duckdb').resolve()})",
        "  orders",
        "    orders__items",
    ]
    assert printed[3].split() == ["id", "customer", "total"]
    assert [line.split()[1:] for line in printed[4:]] == [
        ["1", "ada", "80.0"],
        ["2", "grace", "12.5"],
        ["3", "ada", "64.0"],
    ]


def test_save_snippet_saves_the_report_under_its_contract(tmp_path: Path):
    snippet = load_snippet("data_access_save")

    result = run(snippet.defs)

    assert result.success
    reported = metadata_of(result, "revenue_by_customer")
    assert reported["rows_loaded"] == 2
    assert reported["dagster/table_name"] == "shop.shop_reports.revenue_by_customer"
    assert query(
        tmp_path / "shop.duckdb",
        "SELECT customer, revenue FROM shop_reports.revenue_by_customer ORDER BY customer",
    ) == [("ada", 144.0), ("grace", 12.5)]
    with pytest.raises(DltContractViolationError, match="column 'region'"):
        snippet.writer.save(
            None,
            [{"customer": "ada", "revenue": 1.0, "region": "eu"}],
            dataset="shop_reports",
            table="revenue_by_customer",
        )
    with pytest.raises(Exception, match="Datasets that do: shop_reports"):
        snippet.writer.save(None, [{"id": 9}], dataset="shop_raw", table="orders")


def test_checks_snippet_warns_on_drift_and_fails_on_a_contract_violation(
    monkeypatch: pytest.MonkeyPatch,
):
    snippet = load_snippet("data_access_checks")

    def checks(result: ExecuteInProcessResult) -> dict[str, tuple[bool, str]]:
        return {
            e.asset_check_evaluation_data.check_name: (
                e.asset_check_evaluation_data.passed,
                e.asset_check_evaluation_data.description or "",
            )
            for e in result.all_events
            if e.event_type_value == "ASSET_CHECK_EVALUATION"
        }

    first = run(snippet.defs)
    second = run(snippet.defs)
    monkeypatch.setattr(
        snippet, "price_rows", lambda: [{"sku": "lamp", "price": 41.0, "currency": "EUR"}]
    )
    third = run(snippet.defs, raise_on_error=False)

    assert checks(first)["dlt_schema_drift"] == (True, "first load: created tables prices")
    assert checks(second) == {
        "dlt_schema_drift": (True, "no change"),
        "dlt_schema_contract": (True, "no violation"),
    }
    assert not third.success
    passed, description = checks(third)["dlt_schema_contract"]
    assert not passed
    assert "prices.currency: contract on columns is 'freeze'" in description
