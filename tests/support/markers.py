"""The ``extended`` marker, set by each test folder's conftest.py for its own modules.

A module is extended when it needs more than the package's runtime dependencies at their lowest
versions: the UI (webserver, Chromium), the Snowflake emulator (fakesnow pins its own sqlglot and
duckdb), the parallel CLI runs, the dg CLI, the pins of the test environment itself. The
lowest-versions job in .ci/run deselects them with ``-m "not extended"``; without the test
extra they cannot even be imported, so they are left out of collection there.
"""

import importlib.util
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

__all__ = ["extended_modules"]


def extended_modules(
    conftest: str, modules: Iterable[str]
) -> tuple[list[str], Callable[[list[pytest.Item]], None]]:
    """``collect_ignore`` and a ``pytest_collection_modifyitems`` hook for a folder's conftest.

    Example:
        .. code-block:: python

            collect_ignore, pytest_collection_modifyitems = extended_modules(
                __file__, ["test_webserver_e2e"]
            )
    """
    folder = Path(conftest).resolve().parent
    names = frozenset(modules)
    ignored = [] if importlib.util.find_spec("fakesnow") else [f"{m}.py" for m in sorted(names)]

    def mark(items: list[pytest.Item]) -> None:
        for item in items:
            path = Path(str(item.path)).resolve()
            if path.parent == folder and path.stem in names:
                item.add_marker(pytest.mark.extended)

    return ignored, mark
