"""The component's ``split:`` through the real ``dg`` CLI: four steps of one load, launched
twice with new ids between; every id is loaded once."""

import json
from pathlib import Path
from textwrap import dedent

import duckdb
import pytest

from tests.components.test_components_cli import dg, dg_env, project  # noqa: F401 - a fixture
from tests.support.split_defs import RESOURCES


@pytest.mark.slow
def test_a_split_load_launches_as_four_steps(project: Path, tmp_path: Path):  # noqa: F811
    target = tmp_path / "ledger.duckdb"
    folder = project / "cli_project" / "defs" / "ledger"
    folder.mkdir()
    (folder / "loads.py").write_text(
        dedent(
            f"""
            import dlt
            from tests.support.split_defs import ledger

            ledger_source = ledger("yaml_ledger")
            ledger_pipeline = dlt.pipeline(
                pipeline_name="yaml_ledger",
                destination=dlt.destinations.duckdb(r"{target}"),
                dataset_name="yaml_ledger",
            )
            """
        )
    )
    (folder / "defs.yaml").write_text(
        dedent(
            """
            type: dagster_dlt.DltLoadCollectionComponent
            attributes:
              loads:
                - source: .loads.ledger_source
                  pipeline: .loads.ledger_pipeline
                  split: 4
            """
        )
    )
    keys = ",".join(f"yaml_ledger/{resource}" for resource in RESOURCES)

    listed = json.loads(dg(project, dg_env(tmp_path), "list", "defs", "--json").stdout)
    ops = {asset["key"] if "key" in asset else asset["asset_key"] for asset in listed["assets"]}
    assert {f"yaml_ledger/{resource}" for resource in RESOURCES} <= ops

    for ids in (40, 70):
        env = dg_env(tmp_path, SPLIT_IDS=str(ids), SPLIT_EXTRACT_SECONDS="0.5")
        result = dg(project, env, "launch", "--assets", keys)
        output = result.stdout + result.stderr
        for step in range(4):
            assert f"dlt_assets_yaml_ledger_yaml_ledger_{step}" in output
        with duckdb.connect(str(target), read_only=True) as conn:
            counts = {
                resource: conn.execute(
                    f'SELECT COUNT(*), COUNT(DISTINCT id) FROM yaml_ledger."{resource}"'
                ).fetchone()
                for resource in RESOURCES
            }
        assert counts == {resource: (ids, ids) for resource in RESOURCES}
