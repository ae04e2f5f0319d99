"""Moved to ``dagster_dlt.data.dataset``: this path, which the docs taught, keeps working."""

from dagster_dlt.data.dataset import *  # noqa: F403
from dagster_dlt.data.dataset import __all__  # noqa: F401
