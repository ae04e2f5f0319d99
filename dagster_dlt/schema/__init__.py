"""What dlt already knows about a source's tables, read without running it.

A dlt schema (stored in the pipeline's working directory, exported with ``export_schema_path``,
or kept as a component's definitions state) holds every table, nested table, column, hint and
contract. This package reads it at definitions load, with no network and no database query, and
turns it into asset specs and other tools' files.
"""
