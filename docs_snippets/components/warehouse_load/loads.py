"""Every table of a database, reflected by `dg utils refresh-defs-state`, not at each load.

dlt reads the database's URL from SOURCES__SQL_DATABASE__CREDENTIALS (or
[sources.sql_database] credentials in .dlt/secrets.toml) when the refresh and the runs call
sql_database; the definitions need neither the URL nor the database.
"""

import dlt
from dlt.sources.sql_database import sql_database

__all__ = ["erp_pipeline", "sql_database"]

erp_pipeline = dlt.pipeline(
    pipeline_name="erp",
    destination=dlt.destinations.duckdb("warehouse.duckdb"),
    dataset_name="erp",
)
