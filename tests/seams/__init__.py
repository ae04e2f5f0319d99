"""dlt's and Dagster's non-public API, our pins, and the package's shape."""
