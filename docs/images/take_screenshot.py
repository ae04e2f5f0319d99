"""Retake ``docs/images/lineage.png``: the demo's lineage in the Dagster UI after the README's demo.

In a throwaway copy of the repository, runs the README's two commands as a new user does:
``python -m dagster_dlt_demo`` (its Dagster home, ``.dagster_home``, and DuckDB file at their
defaults, in the copy), then ``dagster-webserver -w workspace.yaml`` with
``DAGSTER_HOME=$PWD/.dagster_home``, as the README starts ``dagster dev``. Then headless Chromium
screenshots the global asset lineage page, with Dagster's first-run pop-up dismissed (see
``LINEAGE_LOCAL_STORAGE`` in tests/demo/test_webserver_e2e.py, whose helpers this uses). Nothing is
written outside the copy but the picture. From the repository root:

.. code-block:: shell

    .venv/bin/python docs/images/take_screenshot.py            # writes docs/images/lineage.png
    .venv/bin/python docs/images/take_screenshot.py out.png
"""

import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.support.dagster_ui import (  # noqa: E402
    DagsterWebserver,
    copy_of_the_repository,
    readme_env,
    take_lineage_screenshot,
)

# Texts the page must show before the picture is taken: nodes, and a state the demo gave them.
_MUST_SHOW = ["gharchive_events", "top_contributors", "Materialized"]


def main(output: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="dagster-dlt-screenshot-") as tmp:
        checkout = copy_of_the_repository(Path(tmp) / "dagster-dlt")
        env = readme_env(Path(tmp))
        demo = subprocess.run(
            [sys.executable, "-m", "dagster_dlt_demo"],
            cwd=checkout,
            env=env,
            capture_output=True,
            text=True,
        )
        if demo.returncode != 0:
            raise SystemExit(f"python -m dagster_dlt_demo failed:\n{demo.stdout}{demo.stderr}")
        env["DAGSTER_HOME"] = str(checkout / ".dagster_home")
        with DagsterWebserver(env, Path(tmp) / "webserver.log", cwd=checkout) as server:
            take_lineage_screenshot(server.url, output.resolve(), _MUST_SHOW)
    print(f"wrote {output}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("lineage.png"))
