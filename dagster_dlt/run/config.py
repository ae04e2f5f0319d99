"""Run configuration: one model for ``@dlt_assets`` and the YAML component.

A run can ask dlt to refresh, override the write disposition or pass other ``pipeline.run``
arguments without a code change: from the launchpad, ``define_asset_job(config=...)`` or a
schedule's run config. Every field is optional, and the defaults change nothing.
"""

import inspect
import typing
from collections.abc import Mapping
from typing import Any, Optional

from dagster import Config
from dlt.common.pipeline import TRefreshMode
from dlt.common.schema.typing import TWriteDisposition
from dlt.pipeline.pipeline import Pipeline
from pydantic import Field

from dagster_dlt.errors import DltRunConfigError

__all__ = ["DltRunConfig"]

REFRESH_MODES: tuple[str, ...] = typing.get_args(TRefreshMode)
WRITE_DISPOSITIONS: tuple[str, ...] = typing.get_args(TWriteDisposition)
# pipeline.run's arguments, less the data (the source) and those DltRunConfig has fields for.
RUN_ARGUMENTS: tuple[str, ...] = tuple(
    name
    for name in inspect.signature(Pipeline.run).parameters
    if name not in ("self", "data", "refresh", "write_disposition")
)


class DltRunConfig(Config):
    """How one run of a dlt multi-asset loads; every field is optional.

    ``@dlt_assets`` gives its op this configuration unless the decorated function declares its
    own ``config`` parameter; to have both, make your config class a subclass of this one.

    Example:
        .. code-block:: python

            from dagster import RunConfig, define_asset_job

            full_refresh = define_asset_job(
                "github_full_refresh",
                selection=[github_assets],
                config=RunConfig(ops={"github_assets": DltRunConfig(refresh="drop_sources")}),
            )
    """

    refresh: Optional[str] = Field(
        default=None,
        description=(
            "dlt's refresh mode for this run: drop_sources, drop_resources or drop_data. "
            "Scoped to the selected assets: on a subset, drop_sources acts as drop_resources."
        ),
    )
    write_disposition: Optional[str] = Field(
        default=None,
        description="Override every selected resource's write disposition for this run: "
        "append, replace, merge or skip.",
    )
    run_kwargs: dict[str, Any] = Field(
        default={},
        description="Other arguments to dlt's pipeline.run, e.g. {loader_file_format: parquet}.",
    )

    def pipeline_run_arguments(self) -> dict[str, Any]:
        """The ``pipeline.run`` arguments this configuration asks for, checked.

        Raises:
            DltRunConfigError: a field has a value dlt does not accept; the message names the
                field and the values it allows.
        """
        if self.refresh is not None and self.refresh not in REFRESH_MODES:
            raise DltRunConfigError(
                f"Run configuration field 'refresh' is '{self.refresh}', which dlt does not "
                f"know. Allowed values: {', '.join(REFRESH_MODES)}, or leave it unset."
            )
        if self.write_disposition is not None and self.write_disposition not in WRITE_DISPOSITIONS:
            raise DltRunConfigError(
                f"Run configuration field 'write_disposition' is '{self.write_disposition}', "
                f"which dlt rejects. Allowed values: {', '.join(WRITE_DISPOSITIONS)}, or leave it "
                "unset."
            )
        unknown = sorted(set(self.run_kwargs) - set(RUN_ARGUMENTS))
        if unknown:
            raise DltRunConfigError(
                f"Run configuration field 'run_kwargs' has {', '.join(map(repr, unknown))}, which "
                f"dlt's pipeline.run does not take. Allowed keys: {', '.join(RUN_ARGUMENTS)}; set "
                "refresh and write_disposition with their own fields."
            )
        arguments = dict(self.run_kwargs)
        if self.refresh is not None:
            arguments["refresh"] = self.refresh
        if self.write_disposition is not None:
            arguments["write_disposition"] = self.write_disposition
        return arguments

    @classmethod
    def from_op_config(cls, op_config: Any) -> "DltRunConfig":
        """The run configuration inside an op's config (other keys are the user's own)."""
        if not isinstance(op_config, Mapping):
            return cls()
        known = {name: op_config[name] for name in cls.model_fields if name in op_config}
        return cls(**{k: v for k, v in known.items() if v is not None})


def config_schema() -> dict[str, Any]:
    """``DltRunConfig`` as the config schema of a multi-asset (Dagster takes a mapping there)."""
    return dict(DltRunConfig.to_config_schema().as_field().config_type.fields)
