"""Markers of tests/demo/. The UI tests need dagster-webserver and Chromium."""

from tests.support.markers import extended_modules

collect_ignore, pytest_collection_modifyitems = extended_modules(__file__, ["test_webserver_e2e"])
