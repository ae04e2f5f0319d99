"""``DltLoadCollectionComponent``: one ``@dlt_assets`` per dlt load declared in ``defs.yaml``."""

from dagster_dlt.components.dlt_load_collection.component import (
    DltLoadCollectionComponent,
    DltLoadSpecModel,
)

__all__ = ["DltLoadCollectionComponent", "DltLoadSpecModel"]
