"""Benchmarks of the integration against plain dlt. Run them all with ``python -m benchmarks``."""
