"""The dlt facts an asset spec carries, written and read in one place.

``@dlt_assets`` and ``build_dlt_asset_specs`` put the dlt source, pipeline and translator and the
name of each asset's resource into the spec's metadata, under the published package's
``META_KEY_*`` keys (``constants.py``). A run finds its source and pipeline there, a step maps
its selected keys to resources, the input manager and the catalog find the dataset to read.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Optional

from dagster import AssetsDefinition, TextMetadataValue
from dlt.extract.source import DltSource
from dlt.pipeline.pipeline import Pipeline

from dagster_dlt.constants import (
    META_KEY_NESTED_AS_ASSETS,
    META_KEY_NESTED_TABLE,
    META_KEY_PIPELINE,
    META_KEY_RESOURCE_NAME,
    META_KEY_SOURCE,
    META_KEY_TRANSLATOR,
)

__all__ = ["SpecFacts"]


@dataclass(frozen=True)
class SpecFacts:
    """What one asset spec says of its dlt origin; every field is ``None`` for other assets.

    Attributes:
        source: the dlt source given to ``@dlt_assets``.
        pipeline: the dlt pipeline that loads it.
        translator: the translator the specs were built with.
        resource_name: the dlt resource behind this asset.
        nested_table: the nested table this asset stands for (``nested_tables="assets"``);
            ``None`` for a resource's own table.
        nested_as_assets: whether the multi-asset makes assets of nested tables.

    Example:
        .. code-block:: python

            facts = SpecFacts.of(spec.metadata)
            if facts.is_dlt_asset:
                print(facts.pipeline.dataset_name, facts.resource_name)
    """

    source: Any = None
    pipeline: Any = None
    translator: Any = None
    resource_name: Optional[str] = None
    nested_table: Optional[str] = None
    nested_as_assets: bool = False

    @classmethod
    def of(cls, metadata: Optional[Mapping[str, Any]]) -> "SpecFacts":
        """The facts in a spec's (or an asset's) metadata."""
        metadata = metadata or {}
        name = _text(metadata.get(META_KEY_RESOURCE_NAME))
        return cls(
            source=metadata.get(META_KEY_SOURCE),
            pipeline=metadata.get(META_KEY_PIPELINE),
            translator=metadata.get(META_KEY_TRANSLATOR),
            resource_name=name,
            nested_table=_text(metadata.get(META_KEY_NESTED_TABLE)),
            nested_as_assets=_flag(metadata.get(META_KEY_NESTED_AS_ASSETS)),
        )

    @classmethod
    def of_assets(cls, assets_def: Optional[AssetsDefinition]) -> "SpecFacts":
        """The source, pipeline and translator shared by a multi-asset's specs (no resource)."""
        for metadata in assets_def.metadata_by_key.values() if assets_def is not None else ():
            if META_KEY_SOURCE in metadata:
                facts = cls.of(metadata)
                return cls(
                    facts.source,
                    facts.pipeline,
                    facts.translator,
                    nested_as_assets=facts.nested_as_assets,
                )
        return cls()

    @staticmethod
    def resource_names(assets_def: AssetsDefinition) -> dict[Any, str]:
        """Asset key -> the dlt resource behind it, for the keys of a multi-asset that have one."""
        return SpecFacts._by_key(assets_def, "resource_name")

    @staticmethod
    def nested_tables(assets_def: AssetsDefinition) -> dict[Any, str]:
        """Asset key -> nested table, for the keys of a multi-asset that stand for one."""
        return SpecFacts._by_key(assets_def, "nested_table")

    @staticmethod
    def _by_key(assets_def: AssetsDefinition, fact: str) -> dict[Any, str]:
        found = {}
        for key, metadata in assets_def.metadata_by_key.items():
            value = getattr(SpecFacts.of(metadata), fact)
            if value is not None:
                found[key] = value
        return found

    @property
    def carried(self) -> bool:
        """Whether the spec was built by ``@dlt_assets`` or ``build_dlt_asset_specs``."""
        return self.source is not None

    @property
    def is_dlt_asset(self) -> bool:
        """Whether the asset has a pipeline and a resource: a dlt table to read."""
        return isinstance(self.pipeline, Pipeline) and self.resource_name is not None

    @property
    def schema_name(self) -> Optional[str]:
        """The dlt schema of the source, if the spec carries a source."""
        return self.source.schema.name if isinstance(self.source, DltSource) else None

    def metadata(self, resource_name: str, nested_table: Optional[str] = None) -> dict[str, Any]:
        """The metadata entries a spec of ``resource_name`` (or of one of its nested tables)
        carries."""
        metadata = {
            META_KEY_SOURCE: self.source,
            META_KEY_PIPELINE: self.pipeline,
            META_KEY_TRANSLATOR: self.translator,
            META_KEY_RESOURCE_NAME: resource_name,
        }
        if self.nested_as_assets:
            metadata[META_KEY_NESTED_AS_ASSETS] = True
        if nested_table is not None:
            metadata[META_KEY_NESTED_TABLE] = nested_table
        return metadata


def _text(value: Any) -> Optional[str]:
    # Dagster turns string metadata into TextMetadataValue.
    value = value.value if isinstance(value, TextMetadataValue) else value
    return value if isinstance(value, str) else None


def _flag(value: Any) -> bool:
    value = getattr(value, "value", value)  # BoolMetadataValue
    return value is True
