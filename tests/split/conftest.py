"""Markers of tests/split/. The steps run in processes of their own through the `dagster` and
`dg` CLIs, which need the test extra's pins."""

from tests.support.markers import extended_modules

collect_ignore, pytest_collection_modifyitems = extended_modules(
    __file__, ["test_dask_executor", "test_parallel_cursors", "test_split_component"]
)
