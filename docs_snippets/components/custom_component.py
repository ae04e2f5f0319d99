"""A subclass of the component: tags every asset and logs around each run.

Use it from a defs.yaml with ``type: docs_snippets.components.custom_component.AuditedLoads``.
"""

from collections.abc import Iterator
from typing import Any

from dagster import AssetExecutionContext, AssetSpec

from dagster_dlt import DagsterDltResource, DltLoadCollectionComponent
from dagster_dlt.translator import DltResourceTranslatorData


class AuditedLoads(DltLoadCollectionComponent):
    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
        # The default spec (key [dataset, table]); each load's translation applies after this.
        spec = super().get_asset_spec(data)
        return spec.merge_attributes(tags={"source": data.resource.source_name})

    def execute(
        self, context: AssetExecutionContext, dlt_pipeline_resource: DagsterDltResource
    ) -> Iterator[Any]:
        selected = sorted(key.to_user_string() for key in context.selected_asset_keys)
        context.log.info(f"Loading {', '.join(selected)}")
        # super().execute keeps uncalled source functions and include_metadata working.
        yield from super().execute(context, dlt_pipeline_resource)
        context.log.info("Loaded")
