"""dlt sources used by the dagster-dlt examples and tests: `github` and `gharchive`."""
