"""Relations as inputs, the catalog, saves, Snowflake."""
