"""Run a test module's ``drive_*`` function in a fresh process, outside the repository.

The docs tests save a page's files in an empty folder and run them there with only the installed
packages on the path, so the child cannot import this module: it prints its result as one line,
``<marker>`` and JSON, which the parent reads back here.
"""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = ["run_driver"]


def run_driver(
    script: str, marker: str, driver: str, folder: Path, env: dict[str, str], timeout: float,
    **args: Any,
) -> Any:  # fmt: skip
    """``python <script> <driver> <args as JSON>`` in ``folder``; the result it printed after
    ``marker``. Fails with the child's output tails if it exited non-zero or printed none."""
    done = subprocess.run(
        [sys.executable, script, driver, json.dumps(args)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    results = [line for line in done.stdout.splitlines() if line.startswith(marker)]
    assert done.returncode == 0 and results, (
        f"{driver} failed (exit {done.returncode}):\n{done.stdout[-6000:]}\n{done.stderr[-6000:]}"
    )
    return json.loads(results[-1][len(marker) :])
