"""``dg scaffold defs dagster_dlt.DltLoadCollectionComponent <path>``: write ``defs.yaml`` and a
``loads.py`` from a template in this package, offline (no ``dlt init``, no git clone)."""

from typing import Any, Optional

import click
from dagster import Scaffolder, ScaffoldRequest, scaffold_component
from pydantic import BaseModel, Field, field_validator, model_validator

from dagster_dlt.components.dlt_load_collection.templates import (
    DESTINATIONS,
    SOURCES,
    project_names,
    render_loads,
    unknown_destination,
    unknown_source,
)

__all__ = ["DltLoadCollectionScaffolder", "DltScaffolderParams", "ScaffoldOptionError"]


class ScaffoldOptionError(click.UsageError):
    """A ``--source`` or ``--destination`` that no template has.

    dg validates the options before it makes the component's folder, and prints this error as
    one line, ``Error: <message>``, with no traceback: it is a click error, which the CLI prints
    itself, and not a ``ValueError``, which pydantic would wrap into a ``ValidationError`` (that dg
    prints as JSON).
    """


class DltScaffolderParams(BaseModel):
    """The options of ``dg scaffold defs dagster_dlt.DltLoadCollectionComponent``.

    Raises:
        ScaffoldOptionError: a name that no template has.
    """

    source: Optional[str] = Field(
        default=None,
        description=(
            f"The dlt source that loads.py starts from: one of {', '.join(SOURCES)}. Without "
            "it, a small example source that needs no configuration."
        ),
    )
    destination: Optional[str] = Field(
        default=None,
        description=(
            f"Where the pipeline loads to: one of {', '.join(DESTINATIONS)}. Default: duckdb, "
            "the file <project>.duckdb at the project's root."
        ),
    )

    @model_validator(mode="before")
    @classmethod
    def _known_options(cls, data: Any) -> Any:
        # pydantic would drop an unknown key silently: a misspelt key of --json-params (dg
        # itself rejects a misspelt --option) would scaffold the example instead.
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(cls.model_fields))
            if unknown:
                raise ScaffoldOptionError(
                    f"Unknown scaffold option {', '.join(map(repr, unknown))}: the options are "
                    f"{', '.join(cls.model_fields)}."
                )
        return data

    @field_validator("source")
    @classmethod
    def _known_source(cls, source: Optional[str]) -> Optional[str]:
        if source is not None and source not in SOURCES:
            raise ScaffoldOptionError(f"--source: {unknown_source(source)}")
        return source

    @field_validator("destination")
    @classmethod
    def _known_destination(cls, destination: Optional[str]) -> Optional[str]:
        if destination is not None and destination not in DESTINATIONS:
            raise ScaffoldOptionError(f"--destination: {unknown_destination(destination)}")
        return destination


class DltLoadCollectionScaffolder(Scaffolder[DltScaffolderParams]):
    """Writes ``loads.py`` (a source and a pipeline) and a ``defs.yaml`` that points at them.

    In a project, the pipeline is named after the project and the load (see
    ``templates.project_names``) and DuckDB writes ``<project>.duckdb`` at the project's root.

    Example:
        .. code-block:: bash

            dg scaffold defs dagster_dlt.DltLoadCollectionComponent shop_load \\
                --source sql_database --destination duckdb
    """

    @classmethod
    def get_scaffold_params(cls) -> type[DltScaffolderParams]:
        return DltScaffolderParams

    def scaffold(self, request: ScaffoldRequest[DltScaffolderParams]) -> None:
        params = request.params or DltScaffolderParams()
        target = request.target_path
        names = (
            project_names(request.project_root, target)
            if request.project_root is not None
            else None
        )
        try:
            loads = render_loads(params.source, params.destination, names)
        except ValueError:
            # Only reached when the params skipped validation (model_construct): a bad option
            # leaves nothing behind, not even the empty folder that dg made for the component.
            if target.is_dir() and not any(target.iterdir()):
                target.rmdir()
            raise
        loads_path = target / "loads.py"
        if loads_path.exists():
            raise FileExistsError(
                f"{loads_path} already exists. Scaffold into a new folder, or move it away."
            )
        target.mkdir(parents=True, exist_ok=True)
        loads_path.write_text(loads.text)
        scaffold_component(
            request=request,
            yaml_attributes={
                "loads": [
                    {
                        "source": f".loads.{loads.source_attribute}",
                        "pipeline": f".loads.{loads.pipeline_attribute}",
                    }
                ]
            },
        )
