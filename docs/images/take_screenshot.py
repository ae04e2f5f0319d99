"""Retake ``docs/images/lineage.png``: the demo's lineage graph in the Dagster UI, after a run.

Starts the demo's webserver with a throwaway instance and DuckDB file, materializes every sample
day of ``gharchive_job`` in one run (so the graph shows state), and screenshots the global asset
lineage page with headless Chromium. From the repository root:

.. code-block:: shell

    .venv/bin/python docs/images/take_screenshot.py            # writes docs/images/lineage.png
    .venv/bin/python docs/images/take_screenshot.py out.png
"""

import sys
import tempfile
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from dagster_dlt_demo.settings import DemoSettings  # noqa: E402
from tests.test_webserver_e2e import (  # noqa: E402
    DagsterWebserver,
    take_lineage_screenshot,
    webserver_env,
)

# A single run over a range of partitions, as a single-run backfill launches it.
_RANGE_START = "dagster/asset_partition_range_start"
_RANGE_END = "dagster/asset_partition_range_end"


def main(output: Path) -> None:
    settings = DemoSettings.from_env()
    first, last = settings.start_date, settings.end_date - timedelta(days=1)
    with tempfile.TemporaryDirectory(prefix="dagster-dlt-screenshot-") as tmp:
        workdir = Path(tmp)
        with DagsterWebserver(webserver_env(workdir), workdir / "webserver.log") as server:
            run_id = server.launch_run(
                "gharchive_job", {_RANGE_START: first.isoformat(), _RANGE_END: last.isoformat()}
            )
            status = server.wait_for_run(run_id)
            if status != "SUCCESS":
                raise SystemExit(f"the run failed:\n{server.run_failure(run_id)}")
            take_lineage_screenshot(
                server.url, output, ["gharchive_events", "dlt_gharchive_push_event"]
            )
    print(f"wrote {output}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("lineage.png"))
