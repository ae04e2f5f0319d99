"""Markers of tests/data/. The Snowflake emulator needs fakesnow, which pins its own duckdb and sqlglot."""

from tests.support.markers import extended_modules

collect_ignore, pytest_collection_modifyitems = extended_modules(__file__, ["test_snowflake"])
