"""A job that reloads the shop load from scratch: the run configuration of its op.

Every load's op takes the same run configuration as any ``@dlt_assets`` op: ``refresh``,
``write_disposition`` and other ``pipeline.run`` arguments, from the launchpad, a job or a
schedule.
"""

from dagster import AssetSelection, define_asset_job

shop_full_refresh = define_asset_job(
    "shop_full_refresh",
    selection=AssetSelection.groups("shop"),
    # The op is named by op.name in defs.yaml, or dlt_assets_<source name>_<dataset name>.
    config={"ops": {"shop_load": {"config": {"refresh": "drop_sources"}}}},
)
