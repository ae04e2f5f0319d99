"""Markers of tests/components/. The dg CLI is in the test extra only."""

from tests.support.markers import extended_modules

collect_ignore, pytest_collection_modifyitems = extended_modules(
    __file__, ["test_components_cli", "test_components_state_cli"]
)
