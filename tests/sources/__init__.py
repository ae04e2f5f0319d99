"""The sources under dlt_sources/."""
