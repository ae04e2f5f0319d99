"""Dagster components for dlt: declare dlt loads in YAML with ``DltLoadCollectionComponent``."""

from dagster_dlt.components.dlt_load_collection.component import (
    DltLoadCollectionComponent,
    DltLoadSpecModel,
)

__all__ = ["DltLoadCollectionComponent", "DltLoadSpecModel"]
