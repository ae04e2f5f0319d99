"""Markers of tests/durability/. Parallel CLI runs need the test extra's pins."""

from tests.support.markers import extended_modules

collect_ignore, pytest_collection_modifyitems = extended_modules(__file__, ["test_parallel_runs"])
