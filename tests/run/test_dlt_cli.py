"""dlt's own inspection commands see Dagster's runs: the run's working directory becomes the
user's pipeline directory when the run ends (issue #12)."""

import subprocess
import sys
from pathlib import Path

import dlt
from dagster import AssetExecutionContext, materialize

from dagster_dlt import DagsterDltResource, dlt_assets
from tests.support.dlt_fixtures import shop


def dlt_cli(pipelines_dir: Path, *args: str) -> str:
    command = [str(Path(sys.executable).with_name("dlt")), "pipeline"]
    command += ["--pipelines-dir", str(pipelines_dir), *args]
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=120,
        env={"RUNTIME__DLTHUB_TELEMETRY": "false", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_dlt_pipeline_info_and_trace_show_the_last_dagster_run(make_pipeline, tmp_path):
    pipeline = make_pipeline("shop_cli")

    @dlt_assets(dlt_source=shop(), dlt_pipeline=pipeline)
    def assets(context: AssetExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context)

    result = materialize([assets], resources={"dlt": DagsterDltResource()})
    assert result.success
    load_id = result.asset_materializations_for_node("assets")[0].metadata["load_ids"].value[0]

    info = dlt_cli(tmp_path / "pipelines", "shop_cli", "info")
    assert "first_run: False" in info
    assert "schema_names: ['shop']" in info
    assert "customers with 1 table(s)" in info and "orders with 2 table(s)" in info
    assert load_id in info and "last run trace" in info
    trace = dlt_cli(tmp_path / "pipelines", "shop_cli", "trace")
    assert load_id in trace
    package = dlt_cli(tmp_path / "pipelines", "shop_cli", "load-package", load_id)
    assert load_id in package and "loaded" in package.lower()

    # A second run replaces what dlt's tools see: last writer wins.
    second = materialize([assets], resources={"dlt": DagsterDltResource()})
    second_id = second.asset_materializations_for_node("assets")[0].metadata["load_ids"].value[0]
    assert second_id in dlt_cli(tmp_path / "pipelines", "shop_cli", "trace")
    attached = dlt.attach("shop_cli", pipelines_dir=str(tmp_path / "pipelines"))
    assert attached.default_schema_name == "shop" and attached.first_run is False
