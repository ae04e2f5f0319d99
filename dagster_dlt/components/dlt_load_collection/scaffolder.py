"""``dg scaffold defs dagster_dlt.DltLoadCollectionComponent <path>``: write ``defs.yaml`` and a
``loads.py`` from a template in this package, offline (no ``dlt init``, no git clone)."""

from typing import Optional

from dagster import Scaffolder, ScaffoldRequest, scaffold_component
from pydantic import BaseModel, Field

from dagster_dlt.components.dlt_load_collection.templates import (
    DESTINATIONS,
    SOURCES,
    render_loads,
)

__all__ = ["DltLoadCollectionScaffolder", "DltScaffolderParams"]


class DltScaffolderParams(BaseModel):
    """The options of ``dg scaffold defs dagster_dlt.DltLoadCollectionComponent``."""

    source: Optional[str] = Field(
        default=None,
        description=f"A source template: {', '.join(SOURCES)}. Default: a small example source.",
    )
    destination: Optional[str] = Field(
        default=None,
        description=f"A destination template: {', '.join(DESTINATIONS)}. Default: duckdb.",
    )


class DltLoadCollectionScaffolder(Scaffolder[DltScaffolderParams]):
    """Writes ``loads.py`` (a source and a pipeline) and a ``defs.yaml`` that points at them.

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
        try:
            loads = render_loads(params.source, params.destination)
        except ValueError:
            # A bad --source or --destination leaves nothing behind, not even the empty folder
            # that dg made for the component.
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
