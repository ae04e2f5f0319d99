"""Names shared by the decorator, the run, user code and the UI: every metadata key is here.

The three ``META_KEY_*`` keys match the published package: specs built by ``build_dlt_asset_specs``
carry the dlt source, pipeline and translator under them, which is how ``DagsterDltResource.run``
finds what to run from an asset context.
"""

META_KEY_SOURCE = "dagster_dlt/source"
META_KEY_PIPELINE = "dagster_dlt/pipeline"
META_KEY_TRANSLATOR = "dagster_dlt/translator"

# The name of the dlt resource behind a spec: a plain string, so a run maps asset keys back to
# resources by a typed lookup instead of recomputing keys with a translator.
META_KEY_RESOURCE_NAME = "dagster_dlt/resource_name"

# Dagster's own metadata keys, which the UI reads.
TABLE_NAME = "dagster/table_name"
COLUMN_SCHEMA = "dagster/column_schema"
ROW_COUNT = "dagster/row_count"
PARTITION_ROW_COUNT = "dagster/partition_row_count"
STORAGE_KIND = "dagster/storage_kind"
# The tag Dagster stores a materialization's data version under.
DATA_VERSION_TAG = "dagster/data_version"

# Materialization metadata keys.
ROWS_LOADED = "rows_loaded"
ROWS_LOADED_BY_TABLE = "rows_loaded_by_table"
DATASET_NAME = "dataset_name"
DESTINATION_NAME = "destination_name"
DESTINATION_TYPE = "destination_type"
FIRST_RUN = "first_run"
STARTED_AT = "started_at"
FINISHED_AT = "finished_at"
LOAD_IDS = "load_ids"
JOBS = "jobs"
TABLES = "tables"
WRITE_DISPOSITION = "write_disposition"
SCHEMA_NAME = "dlt_schema_name"
SCHEMA_VERSION_HASH = "dlt_schema_version_hash"
INCREMENTAL_CURSORS = "incremental_cursors"

__all__ = [
    "COLUMN_SCHEMA",
    "DATASET_NAME",
    "DATA_VERSION_TAG",
    "DESTINATION_NAME",
    "DESTINATION_TYPE",
    "FINISHED_AT",
    "FIRST_RUN",
    "INCREMENTAL_CURSORS",
    "JOBS",
    "LOAD_IDS",
    "META_KEY_PIPELINE",
    "META_KEY_RESOURCE_NAME",
    "META_KEY_SOURCE",
    "META_KEY_TRANSLATOR",
    "PARTITION_ROW_COUNT",
    "ROWS_LOADED",
    "ROWS_LOADED_BY_TABLE",
    "ROW_COUNT",
    "SCHEMA_NAME",
    "SCHEMA_VERSION_HASH",
    "STARTED_AT",
    "STORAGE_KIND",
    "TABLES",
    "TABLE_NAME",
    "WRITE_DISPOSITION",
]
