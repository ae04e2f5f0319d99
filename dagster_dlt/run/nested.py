"""What a run's materializations say of nested tables that are assets (``nested_tables="assets"``).

dlt cannot load a nested table without its parent resource: a step selected for ``posts__tags``
loads ``posts`` and all its nested tables. Each materialization names the assets that came along
without being selected, and a resource's own materialization names the nested tables the run
wrote that have no asset yet (new since the schema the definitions were built from).
"""

from typing import Any

from dagster import AssetKey
from dlt.extract.resource import DltResource

import dagster_dlt.constants as k
from dagster_dlt.run.metadata import RunFacts
from dagster_dlt.run.selection import NestedAssets

__all__ = ["nested_asset_metadata"]


def nested_asset_metadata(
    nested: NestedAssets, facts: RunFacts, resource: DltResource, key: AssetKey
) -> dict[str, Any]:
    """The ``dagster_dlt/loaded_along`` and ``dagster_dlt/nested_tables_without_assets`` entries
    of one materialization; none when nested tables are not assets."""
    if not nested.as_assets:
        return {}
    metadata: dict[str, Any] = {}
    along = nested.unselected_by_resource.get(resource.name)
    if along:
        metadata[k.LOADED_ALONG] = [other.to_user_string() for other in along]
    if key not in nested.table_by_key:
        defined = nested.defined_by_resource.get(resource.name, frozenset())
        roots = set(facts.tables_of(resource))
        new = [
            table
            for table in facts.tables_written(resource)
            if table not in roots and table not in defined
        ]
        if new:
            metadata[k.NESTED_TABLES_WITHOUT_ASSETS] = new
    return metadata
