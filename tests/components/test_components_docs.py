"""docs/components.md: its examples (``docs_snippets/components/``) are shown verbatim and run.

The page marks each file with ``<!-- component snippet: docs_snippets/components/... -->``
followed by a fenced block holding the file's text. These files live in a folder of their own,
as a defs folder needs, so this module checks and runs them (tests/docs/test_docs_pages.py and
tests/docs/test_docs_snippets.py cover the top-level snippets). After editing one, refresh the page
with ``python tests/components/test_components_docs.py``.
"""

import re
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest
from dagster import (
    AssetKey,
    AssetsDefinition,
    BackfillPolicy,
    DagsterInstance,
    DailyPartitionsDefinition,
    Definitions,
    materialize,
)
from dagster.components.testing import create_defs_folder_sandbox
from pytest_httpserver import HTTPServer

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "components.md"
EXAMPLES = REPO / "docs_snippets" / "components"
MARKER = re.compile(r"^<!-- component snippet: (?P<path>\S+) -->$")
LANGUAGES = {".py": "python", ".yaml": "yaml"}


def shown_files() -> list[tuple[int, str, str]]:
    """(line, path, block) of each marked file on the page."""
    lines = PAGE.read_text().splitlines()
    shown = []
    for index, line in enumerate(lines):
        match = MARKER.match(line)
        if not match:
            continue
        closing = next(j for j in range(index + 2, len(lines)) if lines[j] == "```")
        fence = lines[index + 1]
        path = match["path"]
        assert fence == f"```{LANGUAGES[Path(path).suffix]}", f"line {index + 1}: bad fence"
        shown.append((index + 1, path, "\n".join(lines[index + 2 : closing]) + "\n"))
    return shown


def example_files() -> set[str]:
    return {
        str(path.relative_to(REPO))
        for path in EXAMPLES.rglob("*")
        if path.is_file() and path.suffix in LANGUAGES
    }


def test_the_page_shows_every_example_verbatim():
    shown = shown_files()

    assert {path for _, path, _ in shown} == example_files()
    for line, path, block in shown:
        assert block == (REPO / path).read_text(), (
            f"docs/components.md:{line} shows an outdated copy of {path}: run "
            "`python tests/components/test_components_docs.py`"
        )


def test_the_docs_index_links_the_page():
    assert "(components.md)" in (REPO / "docs" / "README.md").read_text()


@contextmanager
def example_defs(*folders: str, component: str = "") -> Iterator[Definitions]:
    """The definitions of example load folders, copied into a fresh defs folder."""
    with create_defs_folder_sandbox() as sandbox:
        for folder in folders:
            target = sandbox.defs_folder_path / folder
            shutil.copytree(EXAMPLES / folder, target)
            if component:
                defs_yaml = target / "defs.yaml"
                defs_yaml.write_text(
                    defs_yaml.read_text().replace(
                        "type: dagster_dlt.DltLoadCollectionComponent", f"type: {component}"
                    )
                )
        with sandbox.build_all_defs() as defs:
            yield defs


def only_assets_def(defs: Definitions) -> AssetsDefinition:
    (assets_def,) = [asset for asset in defs.assets or [] if isinstance(asset, AssetsDefinition)]
    return assets_def


def rows(sql: str) -> list[tuple]:
    with duckdb.connect("warehouse.duckdb", read_only=True) as db:
        return db.execute(sql).fetchall()


def test_shop_load_translation_op_and_row_counts():
    from docs_snippets.components.full_refresh_job import shop_full_refresh

    with example_defs("shop_load") as defs:
        assets_def = only_assets_def(defs)
        customers = AssetKey(["landing", "shop", "customers"])
        spec = assets_def.specs_by_key[customers]

        assert set(assets_def.keys) == {customers, AssetKey(["landing", "shop", "orders"])}
        assert spec.group_name == "shop"
        assert spec.tags["table"] == "customers"
        assert spec.description == "customers, loaded by shop"
        assert assets_def.op.name == "shop_load"
        assert assets_def.op.tags["team"] == "data"
        assert assets_def.op.pool == "warehouse_writer"

        result = materialize([assets_def])
        counts = {
            event.asset_key: event.metadata["dagster/row_count"].value
            for event in result.asset_materializations_for_node("shop_load")
        }
        assert counts == {customers: 2, AssetKey(["landing", "shop", "orders"]): 4}

        job_defs = Definitions(assets=[assets_def], jobs=[shop_full_refresh])
        refreshed = job_defs.resolve_job_def("shop_full_refresh").execute_in_process()
        assert refreshed.success
        assert rows("SELECT COUNT(*) FROM shop.orders") == [(4,)]


def test_subclass_tags_assets_and_logs_around_each_run():
    component = "docs_snippets.components.custom_component.AuditedLoads"
    with example_defs("shop_load", component=component) as defs:
        assets_def = only_assets_def(defs)
        spec = assets_def.specs_by_key[AssetKey(["landing", "shop", "customers"])]
        assert spec.tags["source"] == "shop"

        with DagsterInstance.ephemeral() as instance:
            result = materialize([assets_def], instance=instance)
            messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
        assert result.success
        assert "Loading landing/shop/customers, landing/shop/orders" in messages
        assert "Loaded" in messages


def test_api_load_resolves_its_secret_and_config_when_the_run_starts(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
):
    for name in ("SOURCES__TICKETS__API_KEY", "SOURCES__TICKETS__BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    httpserver.expect_request(
        "/tickets", headers={"Authorization": "Bearer t0ken"}, query_string="state=open"
    ).respond_with_json([{"id": 7, "title": "Printer on fire"}])

    with example_defs("api_load") as defs:
        # Loaded without the key or the URL.
        assets_def = only_assets_def(defs)
        assert set(assets_def.keys) == {AssetKey(["support", "open_tickets"])}

        monkeypatch.setenv("SOURCES__TICKETS__API_KEY", "t0ken")
        monkeypatch.setenv("SOURCES__TICKETS__BASE_URL", httpserver.url_for(""))
        assert materialize([assets_def]).success

    assert rows("SELECT id, title FROM support.open_tickets") == [(7, "Printer on fire")]


def test_events_load_loads_each_partitions_day():
    with example_defs("events_load") as defs:
        assets_def = only_assets_def(defs)
        assert isinstance(assets_def.partitions_def, DailyPartitionsDefinition)
        assert assets_def.partitions_def.get_partition_keys() == [
            "2024-01-01",
            "2024-01-02",
            "2024-01-03",
        ]
        assert assets_def.backfill_policy == BackfillPolicy.single_run()

        assert materialize([assets_def], partition_key="2024-01-02").success
        assert rows("SELECT id FROM web.page_views ORDER BY id") == [(3,)]
        assert materialize([assets_def], partition_key="2024-01-01").success
        assert rows("SELECT id FROM web.page_views ORDER BY id") == [(1,), (2,), (3,)]


def test_warehouse_load_reflects_once_and_loads_without_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import asyncio
    import sqlite3

    from dagster_dlt import DltLoadCollectionComponent

    database = tmp_path / "erp.db"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount NUMERIC(10, 2))")
        db.execute("CREATE TABLE suppliers (id INTEGER PRIMARY KEY, name TEXT)")
        db.execute("INSERT INTO invoices VALUES (1, 9.5)")
    monkeypatch.setenv("SOURCES__SQL_DATABASE__CREDENTIALS", f"sqlite:///{database}")
    with create_defs_folder_sandbox() as sandbox:
        shutil.copytree(EXAMPLES / "warehouse_load", sandbox.defs_folder_path / "warehouse_load")
        with sandbox.build_component_tree() as tree:  # what `dg utils refresh-defs-state` does
            for component in tree.get_all_components(of_type=DltLoadCollectionComponent):
                asyncio.run(component.refresh_state(sandbox.project_root))
        hidden = database.rename(tmp_path / "away.db")
        with sandbox.build_all_defs() as defs:
            assets_def = only_assets_def(defs)
            invoices = assets_def.specs_by_key[AssetKey(["erp", "invoices"])]
            columns = invoices.metadata["dagster/column_schema"].schema.columns
            assert set(assets_def.keys) == {
                AssetKey(["erp", "invoices"]),
                AssetKey(["erp", "suppliers"]),
            }
            assert [column.name for column in columns] == ["id", "amount"]
            hidden.rename(database)
            assert materialize([assets_def]).success

    assert rows("SELECT id FROM erp.invoices") == [(1,)]


def test_dbt_sources_export_declares_the_shop_dataset(tmp_path: Path):
    import yaml

    from dagster_dlt.spec_facts import SpecFacts
    from docs_snippets.components.dbt_sources_export import export

    with example_defs("shop_load") as defs:
        assets_def = only_assets_def(defs)
        assert materialize([assets_def]).success
        path = export(SpecFacts.of_assets(assets_def).pipeline, tmp_path / "dbt")

    (source,) = yaml.safe_load(path.read_text())["sources"]
    assert path == tmp_path / "dbt" / "models" / "shop" / "sources.yml"
    assert source["schema"] == "shop"
    assert source["freshness"] == {"warn_after": {"count": 1, "period": "day"}}
    assert {table["name"] for table in source["tables"]} == {"customers", "orders"}


def refresh_page() -> bool:
    """Replace each marked block with its file's current text."""
    text = PAGE.read_text()
    lines = text.splitlines()
    for line, path, _ in reversed(shown_files()):
        closing = next(j for j in range(line + 1, len(lines)) if lines[j] == "```")
        body = (REPO / path).read_text().splitlines()
        lines[line + 1 : closing] = body
    new = "\n".join(lines) + "\n"
    PAGE.write_text(new)
    return new != text


if __name__ == "__main__":
    print("refreshed docs/components.md" if refresh_page() else "docs/components.md is current")
    sys.exit(0)
