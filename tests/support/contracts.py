"""The seams' contract tests: an assumption about dlt or Dagster that fails names the library,
its version and the assumption."""

import importlib.metadata
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

__all__ = ["contract"]


@contextmanager
def contract(assumption: str, library: str = "dlt") -> Iterator[None]:
    """Fail saying which assumption of ``dagster_dlt/_seams/internals.py`` ``library`` broke."""
    try:
        yield
    except Exception as error:
        version = importlib.metadata.version(library)
        pytest.fail(
            f"{library} {version} broke an assumption of dagster_dlt/_seams/internals.py: "
            f"{assumption} ({type(error).__name__}: {error})",
            pytrace=False,
        )
