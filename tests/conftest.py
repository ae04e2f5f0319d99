"""Shared fixtures: every test gets its own dlt data dir, working directory and DuckDB file."""

from pathlib import Path

import dlt
import pytest


@pytest.fixture(autouse=True)
def isolated_dlt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep dlt's pipelines, and any relative DuckDB file, inside the test's tmp_path."""
    data_dir = tmp_path / "dlt_data"
    monkeypatch.setenv("DLT_DATA_DIR", str(data_dir))
    monkeypatch.chdir(tmp_path)
    return data_dir


@pytest.fixture
def duckdb_path(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"


@pytest.fixture
def make_pipeline(tmp_path: Path, duckdb_path: Path):
    """A factory of dlt pipelines into the test's DuckDB file."""

    def make(name: str = "test_pipeline", dataset: str = "raw", **kwargs) -> dlt.Pipeline:
        return dlt.pipeline(
            pipeline_name=name,
            pipelines_dir=str(tmp_path / "pipelines"),
            destination=dlt.destinations.duckdb(str(duckdb_path)),
            dataset_name=dataset,
            **kwargs,
        )

    return make


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A test of the Snowflake emulator needs fakesnow, wherever it is (each folder's conftest.py
    # marks its own modules that need the test extra).
    for item in items:
        if any("snowflake" in name for name in getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.extended)


@pytest.fixture(autouse=True)
def no_active_pipeline_between_tests():
    """Leave no dlt pipeline active after a test: dlt creates a source's schema with the active
    pipeline's destination capabilities, so a @dlt.destination sink left active by one test would
    give the next test's sources max_table_nesting=0 (no nested tables)."""
    yield
    from dagster_dlt._seams import internals

    internals.reactivate(None)
