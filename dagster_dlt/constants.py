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

# Which nested table of the resource a spec stands for (``nested_tables="assets"``), and whether
# the multi-asset makes assets of nested tables at all.
META_KEY_NESTED_TABLE = "dagster_dlt/nested_table"
META_KEY_NESTED_AS_ASSETS = "dagster_dlt/nested_tables_as_assets"

# What the dlt schema says of a table, in its spec before any run (``dlt_schema=``).
SPEC_WRITE_DISPOSITION = "dagster_dlt/write_disposition"
SPEC_PRIMARY_KEY = "dagster_dlt/primary_key"
SPEC_MERGE_KEY = "dagster_dlt/merge_key"
SPEC_SCHEMA_CONTRACT = "dagster_dlt/schema_contract"
SPEC_TABLE_FORMAT = "dagster_dlt/table_format"
SPEC_DESTINATION_TYPE = "dagster_dlt/destination_type"
SPEC_DATASET_NAME = "dagster_dlt/dataset_name"
SPEC_PARENT_TABLE = "dagster_dlt/parent_table"

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
# Assets of the same dlt resource that this run loaded without their being selected (dlt loads
# a resource's nested tables with it), and nested tables the run wrote that have no asset yet.
LOADED_ALONG = "dagster_dlt/loaded_along"
NESTED_TABLES_WITHOUT_ASSETS = "dagster_dlt/nested_tables_without_assets"

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
    "LOADED_ALONG",
    "LOAD_IDS",
    "META_KEY_NESTED_AS_ASSETS",
    "META_KEY_NESTED_TABLE",
    "META_KEY_PIPELINE",
    "META_KEY_RESOURCE_NAME",
    "META_KEY_SOURCE",
    "META_KEY_TRANSLATOR",
    "NESTED_TABLES_WITHOUT_ASSETS",
    "PARTITION_ROW_COUNT",
    "ROWS_LOADED",
    "ROWS_LOADED_BY_TABLE",
    "ROW_COUNT",
    "SCHEMA_NAME",
    "SCHEMA_VERSION_HASH",
    "SPEC_DATASET_NAME",
    "SPEC_DESTINATION_TYPE",
    "SPEC_MERGE_KEY",
    "SPEC_PARENT_TABLE",
    "SPEC_PRIMARY_KEY",
    "SPEC_SCHEMA_CONTRACT",
    "SPEC_TABLE_FORMAT",
    "SPEC_WRITE_DISPOSITION",
    "STARTED_AT",
    "STORAGE_KIND",
    "TABLES",
    "TABLE_NAME",
    "WRITE_DISPOSITION",
]
