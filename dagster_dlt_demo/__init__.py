"""The demo code location: GH Archive and GitHub activity loaded into DuckDB by dlt, as Dagster
assets, with report assets downstream.

``python -m dagster_dlt_demo`` materializes it offline; ``dagster dev -w workspace.yaml`` shows it.
See docs/demo.md.
"""
