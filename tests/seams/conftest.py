"""Markers of tests/seams/. The pins of the test environment itself."""

from tests.support.markers import extended_modules

collect_ignore, pytest_collection_modifyitems = extended_modules(__file__, ["test_version_pins"])
