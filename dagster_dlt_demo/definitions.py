"""The demo code location: GH Archive and GitHub loaded into DuckDB by dlt, and reports on top,
plus the components in ``defs/`` (a SQL database loaded by a ``defs.yaml``).

Load it with ``dagster dev -w workspace.yaml``. Loading does no I/O: no network, no secrets, no
query of the DuckDB file.
"""

import warnings
from pathlib import Path

from dagster import (
    AssetSelection,
    BetaWarning,
    ComponentTree,
    DefaultScheduleStatus,
    Definitions,
    PreviewWarning,
    ScheduleDefinition,
    build_schedule_from_partitioned_job,
    define_asset_job,
)

import dagster_dlt_demo.defs
from dagster_dlt import DagsterDltResource
from dagster_dlt_demo.automation import gharchive_automation, observed_upstream, state_aware
from dagster_dlt_demo.gharchive_assets import gharchive_assets, gharchive_upstream
from dagster_dlt_demo.github_assets import github_assets, github_upstream
from dagster_dlt_demo.reports import events_per_repo_per_day, top_contributors

__all__ = ["defs", "gharchive_job", "gharchive_schedule", "github_job", "github_schedule"]

gharchive_job = define_asset_job(
    "gharchive_job",
    # Daily partitioned, like its assets: Dagster infers the partitions from them.
    selection=AssetSelection.assets(gharchive_assets, events_per_repo_per_day, top_contributors),
    description="Load a day of GH Archive events into DuckDB, then rebuild the reports.",
)

gharchive_schedule = build_schedule_from_partitioned_job(
    gharchive_job,
    name="gharchive_daily",
    # GH Archive publishes an hour shortly after it ends: by 01:00 UTC yesterday is complete.
    hour_of_day=1,
    default_status=DefaultScheduleStatus.STOPPED,
)

github_job = define_asset_job(
    "github_job",
    selection=AssetSelection.assets(github_assets),
    description="Load new and updated issues and comments, and clone traffic, from GitHub.",
)

github_schedule = ScheduleDefinition(
    name="github_daily",
    job=github_job,
    cron_schedule="0 2 * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.STOPPED,
)


def _components() -> Definitions:
    """The defs folder, as load_from_defs_folder would load it in a dg project; the repository's
    pyproject.toml is not one, so the tree is built from the module."""
    # Dagster warns that its own defs-folder loading is in preview: not the demo's to act on.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=PreviewWarning)
        warnings.simplefilter("ignore", category=BetaWarning)
        return ComponentTree.from_module(
            defs_module=dagster_dlt_demo.defs, project_root=Path(__file__).resolve().parents[1]
        ).build_defs()


def _python_defs() -> Definitions:
    return Definitions(
        assets=[
            # The GH Archive files, observed; loads and reports run when their upstream changed.
            *observed_upstream(gharchive_upstream),
            *state_aware(gharchive_assets, events_per_repo_per_day, top_contributors),
            *github_upstream,
            github_assets,
        ],
        jobs=[gharchive_job, github_job],
        schedules=[gharchive_schedule, github_schedule],
        sensors=[gharchive_automation],
        resources={"dlt": DagsterDltResource()},
    )


# One Definitions object at module scope: the dagster CLI's -m finds it without -a.
defs = Definitions.merge(_python_defs(), _components())
