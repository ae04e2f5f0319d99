"""Upstream assets for the places dlt assets load from, as Dagster's dlt guide assigns them."""

from typing import Any

from dagster import AssetsDefinition, AssetSpec

__all__ = ["upstream_specs"]


def upstream_specs(assets_def: AssetsDefinition, **attributes: Any) -> list[AssetSpec]:
    """One ``AssetSpec`` per key that ``assets_def`` depends on but does not produce.

    dagster-dlt gives every dlt asset an upstream key for where its data comes from
    (``gharchive_events`` for all GH Archive event types, ``github_issues`` for the GitHub
    issues). Defining those keys as assets puts them in the lineage graph with a group,
    description and kinds of their own.

    Args:
        assets_def: The ``@dlt_assets`` definition.
        **attributes: ``AssetSpec`` arguments given to every upstream spec, e.g. ``group_name``.

    Example:
        .. code-block:: python

            sources = upstream_specs(my_dlt_assets, group_name="raw", kinds={"github"})
            defs = Definitions(assets=[*sources, my_dlt_assets])
    """
    produced = set(assets_def.keys)
    keys = sorted(
        {dep.asset_key for spec in assets_def.specs for dep in spec.deps} - produced,
        key=lambda key: key.to_user_string(),
    )
    return [AssetSpec(key, **attributes) for key in keys]
