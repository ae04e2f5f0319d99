"""A code location with every shape of the corpus (tests/support/source_shapes.py), for the CLI run path.

Each shape is one ``@dlt_assets`` definition with its own pipeline into its own DuckDB file,
``$SHAPES_TARGET/<shape>.duckdb``, and its asset keys under the shape's name: several shapes load
tables of the same name (``tickets``, ``customers``). ``dlt.pipeline()`` runs at import, as in
users' code locations.
"""

import os
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetKey, AssetSpec, Definitions

from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData
from tests.support.source_shapes import SHAPES, Shape, shape_pipeline


class ShapeTranslator(DagsterDltTranslator):
    """The default keys, under the shape's name."""

    def __init__(self, shape: str) -> None:
        self.shape = shape

    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
        spec = super().get_asset_spec(data)
        return spec.replace_attributes(key=AssetKey([self.shape, *spec.key.path]))


def shape_assets(shape: Shape, target: Path) -> Any:
    @dlt_assets(
        dlt_source=shape.build(),
        dlt_pipeline=shape_pipeline(shape, target / f"{shape.name}.duckdb"),
        name=f"shape_{shape.name}",
        dagster_dlt_translator=ShapeTranslator(shape.name),
    )
    def assets(context: AssetExecutionContext, dlt: DagsterDltResource):
        yield from dlt.run(context=context)

    return assets


defs = Definitions(
    assets=[shape_assets(shape, Path(os.environ["SHAPES_TARGET"])) for shape in SHAPES.values()],
    resources={"dlt": DagsterDltResource()},
)
