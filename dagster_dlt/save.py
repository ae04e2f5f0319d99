"""Moved to ``dagster_dlt.data.save``: this path, which the docs taught, keeps working."""

from dagster_dlt.data.save import *  # noqa: F403
from dagster_dlt.data.save import __all__  # noqa: F401
