"""The dlt schema in every spec before the first run: from an exported schema file, from the
pipeline's stored schema, or from the hints a source declares; with no query at load."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
import pytest
import sqlalchemy as sa
from dagster import AssetSpec, DagsterInvalidDefinitionError, materialize

from dagster_dlt import DagsterDltResource, DagsterDltTranslator, build_dlt_asset_specs, dlt_assets
from dagster_dlt.constants import (
    COLUMN_SCHEMA,
    SPEC_DATASET_NAME,
    SPEC_DESTINATION_TYPE,
    SPEC_MERGE_KEY,
    SPEC_PRIMARY_KEY,
    SPEC_SCHEMA_CONTRACT,
    SPEC_WRITE_DISPOSITION,
)


@dlt.source
def crm():
    """A CRM API: contacts merged on their id, deals appended, under a frozen contract."""

    @dlt.resource(
        primary_key="id",
        merge_key="email",
        write_disposition="merge",
        columns={"email": {"data_type": "text", "nullable": False}},
    )
    def contacts() -> Iterator[dict[str, Any]]:
        yield {"id": 1, "email": "ada@example.com", "score": 0.5}

    @dlt.resource(schema_contract={"columns": "freeze"})
    def deals() -> Iterator[dict[str, Any]]:
        yield {"deal_id": 7, "amount": 100}

    return contacts, deals


def columns(spec: AssetSpec) -> dict[str, str]:
    return {column.name: column.type for column in spec.metadata[COLUMN_SCHEMA].value.columns}


def by_name(specs) -> dict[str, AssetSpec]:
    return {spec.key.path[-1].removeprefix("dlt_crm_"): spec for spec in specs}


def test_an_exported_schema_gives_every_spec_its_columns_and_hints_before_any_run(
    tmp_path: Path, make_pipeline
):
    # Exported once, in development (dlt writes schemas/crm.schema.yaml on every run).
    dev = make_pipeline("crm_dev", export_schema_path=str(tmp_path / "schemas"))
    dev.run(crm())
    production = make_pipeline("crm_production")

    specs = by_name(
        build_dlt_asset_specs(
            crm(), production, dlt_schema=tmp_path / "schemas" / "crm.schema.yaml"
        )
    )

    assert production.first_run  # nothing ran through this pipeline
    assert columns(specs["contacts"]) == {
        "id": "bigint",
        "email": "text",
        "score": "double",
        "_dlt_load_id": "text",
        "_dlt_id": "text",
    }
    contacts = specs["contacts"].metadata
    assert contacts[SPEC_WRITE_DISPOSITION] == "merge"
    assert contacts[SPEC_PRIMARY_KEY] == ["id"]
    assert contacts[SPEC_MERGE_KEY] == ["email"]
    assert contacts[SPEC_DESTINATION_TYPE] == "dlt.destinations.duckdb"
    assert contacts[SPEC_DATASET_NAME] == "raw"
    assert specs["deals"].metadata[SPEC_SCHEMA_CONTRACT].value["columns"] == "freeze"
    assert specs["deals"].metadata[SPEC_WRITE_DISPOSITION] == "append"


def test_before_the_first_run_the_pipeline_option_shows_the_declared_hints(make_pipeline):
    specs = by_name(build_dlt_asset_specs(crm(), make_pipeline("crm"), dlt_schema="pipeline"))

    declared = columns(specs["contacts"])
    assert declared["email"] == "text"
    assert "id" in declared and "score" not in declared  # seen only once a run yields it
    assert specs["contacts"].metadata[SPEC_PRIMARY_KEY] == ["id"]


def test_after_a_run_the_pipeline_option_reads_what_the_run_stored(make_pipeline):
    pipeline = make_pipeline("crm")

    @dlt_assets(dlt_source=crm(), dlt_pipeline=pipeline, dlt_schema="pipeline")
    def crm_assets(context, dlt: DagsterDltResource):
        yield from dlt.run(context=context)

    assert "score" not in columns(by_name(crm_assets.specs)["contacts"])
    assert materialize([crm_assets], resources={"dlt": DagsterDltResource()}).success

    reloaded = by_name(build_dlt_asset_specs(crm(), make_pipeline("crm"), dlt_schema="pipeline"))
    assert columns(reloaded["contacts"])["score"] == "double"


def test_without_dlt_schema_specs_are_as_before(make_pipeline):
    pipeline = make_pipeline("crm")
    pipeline.run(crm())
    spec = by_name(build_dlt_asset_specs(crm(), make_pipeline("crm")))["contacts"]

    assert COLUMN_SCHEMA not in spec.metadata
    assert SPEC_WRITE_DISPOSITION not in spec.metadata


def test_the_translator_sees_the_table_schema_and_can_change_the_metadata(make_pipeline):
    pipeline = make_pipeline("crm")
    pipeline.run(crm())

    class OwnersFromColumns(DagsterDltTranslator):
        def get_asset_spec(self, data):
            spec = super().get_asset_spec(data)
            pii = "email" in (data.table_schema or {}).get("columns", {})
            return spec.merge_attributes(tags={"pii": str(pii).lower()})

    specs = by_name(
        build_dlt_asset_specs(
            crm(), make_pipeline("crm"), OwnersFromColumns(), dlt_schema="pipeline"
        )
    )
    assert specs["contacts"].tags["pii"] == "true"
    assert specs["deals"].tags["pii"] == "false"
    assert columns(specs["deals"])["amount"] == "bigint"


def test_a_missing_schema_file_says_how_to_export_one(tmp_path: Path, make_pipeline):
    with pytest.raises(DagsterInvalidDefinitionError, match="export_schema_path"):
        build_dlt_asset_specs(
            crm(), make_pipeline("crm"), dlt_schema=tmp_path / "schemas" / "crm.schema.yaml"
        )


def test_a_file_that_is_not_a_dlt_schema_says_so(tmp_path: Path, make_pipeline):
    path = tmp_path / "dbt_project.yml"
    path.write_text("name: analytics\nversion: '1.0'\n")
    with pytest.raises(DagsterInvalidDefinitionError, match="is not a dlt schema"):
        build_dlt_asset_specs(crm(), make_pipeline("crm"), dlt_schema=path)


def test_sql_database_schema_backed_definitions_query_nothing_at_load(
    tmp_path: Path, make_pipeline
):
    from dlt.sources.sql_database import sql_database

    database = tmp_path / "shop.db"
    engine = sa.create_engine(f"sqlite:///{database}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE orders (id INTEGER PRIMARY KEY, total NUMERIC(10,2))"))
        conn.execute(sa.text("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)"))
        conn.execute(sa.text("INSERT INTO orders VALUES (1, 9.5)"))
    credentials = f"sqlite:///{database}"
    make_pipeline("shop").run(sql_database(credentials))  # the first run reflects, once

    statements: list[str] = []
    connects: list[Any] = []

    def on_statement(conn, cursor, statement, *args):
        statements.append(statement)

    def on_connect(*args):
        connects.append(args)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", on_statement)
    sa.event.listen(sa.pool.Pool, "connect", on_connect)
    try:
        source = sql_database(
            credentials, table_names=["orders", "customers"], defer_table_reflect=True
        )
        specs = build_dlt_asset_specs(source, make_pipeline("shop"), dlt_schema="pipeline")
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", on_statement)
        sa.event.remove(sa.pool.Pool, "connect", on_connect)

    assert statements == [] and connects == []
    orders = next(spec for spec in specs if spec.key.path[-1].endswith("orders"))
    assert {"id", "total"} <= set(columns(orders))
    assert orders.metadata[SPEC_PRIMARY_KEY] == ["id"]
