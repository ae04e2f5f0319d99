"""The demo code location: dlt sources loaded into a local DuckDB file by Dagster."""
