"""State-aware automation for the demo: GH Archive loads when its files moved, reports when a load
changed the event tables.

- ``gharchive_events``, the upstream every GH Archive asset depends on, becomes an observable
  source asset when the files are on disk (the bundled sample, or a copy): its observation's data
  version moves when an hourly file is added, removed or rewritten. The automation sensor
  observes it every hour.
- The GH Archive dlt assets and the reports get ``on_new_data()``: a load runs after the files'
  version moved, and a report after a load changed its tables' data version. A load that brought
  nothing keeps the version, and the reports are left as they are.

``gharchive_automation`` is that sensor, stopped by default like the demo's schedules. Loading
these definitions does no I/O: the folder is read when it is observed.
"""

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Union

from dagster import (
    AssetsDefinition,
    AssetSelection,
    AssetSpec,
    AutomationCondition,
    AutomationConditionSensorDefinition,
    BetaWarning,
    DefaultSensorStatus,
    ObserveResult,
    SourceAsset,
    observable_source_asset,
)

from dagster_dlt.automation import observe_files, on_new_data
from dagster_dlt_demo import gharchive_assets, reports
from dagster_dlt_demo.settings import SETTINGS

__all__ = [
    "GHARCHIVE_FILES",
    "OBSERVATION_CRON",
    "gharchive_automation",
    "observed_upstream",
    "state_aware",
]

GHARCHIVE_FILES = "*.json.gz"
"""The hourly files GH Archive publishes (``2024-01-01-15.json.gz``)."""

OBSERVATION_CRON = "10 * * * *"
"""GH Archive publishes an hour's file shortly after the hour ends: look ten minutes past."""


def observed_upstream(
    upstream: Sequence[AssetSpec], folder: Union[str, Path, None] = None
) -> list[Union[AssetSpec, SourceAsset]]:
    """The GH Archive upstream specs, observed when the files are in a local folder.

    Each spec becomes an observable source asset with the same key, group, description, metadata
    and kinds, whose observation is ``observe_files(folder, "*.json.gz")``; the automation sensor
    observes it on ``OBSERVATION_CRON``. An http(s) archive stays as it is (no observation).

    Args:
        upstream: the upstream specs, ``gharchive_assets.gharchive_upstream``.
        folder: where the files are; defaults to ``SETTINGS.gharchive_url``.

    Example:
        .. code-block:: python

            defs = Definitions(assets=[*observed_upstream(gharchive_upstream), gharchive_assets])
    """
    where = str(folder if folder is not None else SETTINGS.gharchive_url)
    if where.startswith(("http://", "https://")):
        return list(upstream)
    path = Path(where.removeprefix("file://"))
    return [_observed(spec, path) for spec in upstream]


def _observed(spec: AssetSpec, folder: Path) -> SourceAsset:
    def observe() -> ObserveResult:
        return observe_files(folder, GHARCHIVE_FILES)

    # Observable source assets are a Dagster beta: not the demo's warning to show.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BetaWarning)
        return _observable(spec, observe)


def _observable(spec: AssetSpec, observe: Any) -> SourceAsset:
    return observable_source_asset(
        key=spec.key,
        group_name=spec.group_name,
        description=spec.description,
        metadata=dict(spec.metadata),
        # SourceAsset takes no kinds argument: kinds are tags under dagster/kind/.
        tags={**spec.tags, **{f"dagster/kind/{kind}": "" for kind in spec.kinds}},
        automation_condition=AutomationCondition.cron_tick_passed(OBSERVATION_CRON),
    )(observe)


def state_aware(*assets_defs: AssetsDefinition) -> list[AssetsDefinition]:
    """The same assets, each requested by ``on_new_data()``.

    Example:
        .. code-block:: python

            loads, per_day, top = state_aware(gharchive_assets, per_day_report, top_report)
    """
    return [
        assets_def.map_asset_specs(
            lambda spec: spec.replace_attributes(automation_condition=on_new_data())
        )
        for assets_def in assets_defs
    ]


with warnings.catch_warnings():
    # include_sources is a Dagster beta parameter: not the demo's warning to show.
    warnings.simplefilter("ignore", BetaWarning)
    _targets = AssetSelection.groups(gharchive_assets.GROUP, reports.GROUP, include_sources=True)

gharchive_automation = AutomationConditionSensorDefinition(
    "gharchive_automation",
    # The observable source too, so that this sensor, not Dagster's default one, observes it.
    target=_targets,
    default_status=DefaultSensorStatus.STOPPED,
    description=(
        "Observes the GH Archive files every hour, loads the latest day when they moved, and "
        "rebuilds the reports when a load changed the event tables."
    ),
)
