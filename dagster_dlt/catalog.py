"""Moved to ``dagster_dlt.data.catalog``: this path, which the docs taught, keeps working."""

from dagster_dlt.data.catalog import *  # noqa: F403
from dagster_dlt.data.catalog import __all__  # noqa: F401
