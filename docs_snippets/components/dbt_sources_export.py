"""A dbt sources.yml for the shop load's dataset, written from its dlt schema.

Run it after a load (the schema is read from the pipeline's working directory), or pass
``dlt_schema=`` an exported schema file. No database is queried.
"""

from pathlib import Path

from dagster_dlt import write_dbt_sources


def export(pipeline, dbt_project: Path) -> Path:
    return write_dbt_sources(
        pipeline,
        dbt_project / "models" / "shop" / "sources.yml",
        # `dbt source freshness` warns when the newest _dlt_load_id is older than a day.
        freshness={"warn_after": {"count": 1, "period": "day"}},
    )
