"""Data access: dlt relations as inputs, a catalog of a code location's datasets, and saves
into a dataset under its schema contract."""
