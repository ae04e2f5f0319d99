"""Moved to ``dagster_dlt.data.input_manager``: this path, which the docs taught, keeps working."""

from dagster_dlt.data.input_manager import *  # noqa: F403
from dagster_dlt.data.input_manager import __all__  # noqa: F401
