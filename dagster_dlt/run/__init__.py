"""A dlt run under Dagster: the ``DltRun`` engine, which resources a step loads, run
configuration, what a run reports (metadata, data versions), progress and dlt's logs."""
