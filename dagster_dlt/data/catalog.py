"""``DltCatalog``: the datasets a code location's dlt assets load, for notebooks and scripts.

Built from a ``Definitions`` object or a list of assets: building reads nothing. Listing tables
reads each dataset's dlt schema (from the destination, or the pipeline's local copy when the
destination has none), never its data. Reading a table gives the same lazy relation that
``DltDatasetInputManager`` gives an asset.
"""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Optional, Union

from dagster import AssetKey, AssetsDefinition, Definitions
from dlt.pipeline.pipeline import Pipeline

from dagster_dlt.data.dataset import (
    DltDataset,
    DltRelation,
    destination_location,
    open_dataset,
    tables_by_root,
)
from dagster_dlt.durability.locking import DEFAULT_TIMEOUT_SECONDS
from dagster_dlt.errors import DltCatalogError
from dagster_dlt.spec_facts import SpecFacts

__all__ = ["CatalogDataset", "DltCatalog", "DltCatalogError"]


@dataclass
class CatalogDataset:
    """One dataset of the catalog: where it lives and which dlt assets load it.

    Attributes:
        name: the dataset name.
        pipeline: the dlt pipeline that loads it.
        schema_name: the dlt schema of its source.
        assets: asset key -> dlt resource name, for the assets that load it.
    """

    name: str
    pipeline: Pipeline
    schema_name: Optional[str]
    assets: dict[AssetKey, str] = field(default_factory=dict)
    lock_timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS

    @property
    def destination(self) -> str:
        """The destination's name, e.g. ``duckdb``."""
        destination = self.pipeline.destination
        return destination.destination_name if destination is not None else "(none)"

    @property
    def location(self) -> str:
        """Where the data lives: a file path, ``host/database`` or a bucket; never credentials."""
        try:
            client = self.pipeline.destination_client()
        except Exception:
            # Missing credentials: say so rather than fail the listing.
            return "(credentials not configured)"
        return destination_location(self.pipeline.destination, client)

    def open(self) -> DltDataset:
        """The dataset, for reading; reads its schema (not its data) from the destination."""
        return open_dataset(
            self.pipeline,
            schema=self.schema_name,
            owner="dagster-dlt catalog",
            lock_timeout_seconds=self.lock_timeout_seconds,
        )

    def tables(self) -> dict[str, list[str]]:
        """Each top-level table with its nested tables, from the stored dlt schema."""
        dataset = self.open()
        roots: dict[str, list[str]] = {}
        for schema in dataset.schemas:
            for table, nested in tables_by_root(schema).items():
                roots.setdefault(table, nested)
        return roots


class DltCatalog(Mapping[str, CatalogDataset]):
    """The datasets that a code location's dlt assets load, by dataset name.

    ``print(catalog)`` lists each dataset with its destination, location and tables (this reads
    each dataset's schema, never its data, and never shows credentials). ``catalog.table(...)``
    and ``catalog.asset(...)`` give lazy ``dlt.Relation`` objects.

    Example:
        .. code-block:: python

            from dagster_dlt import DltCatalog
            from my_project.definitions import defs

            catalog = DltCatalog.from_definitions(defs)
            print(catalog)
            orders = catalog.table("raw", "orders").df()
    """

    def __init__(
        self,
        assets: Iterable[Any],
        *,
        lock_timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        self._datasets: dict[str, CatalogDataset] = {}
        self._by_key: dict[AssetKey, CatalogDataset] = {}
        self._nested: dict[AssetKey, str] = {}
        for assets_def in assets:
            if not isinstance(assets_def, AssetsDefinition):
                continue
            for key, metadata in assets_def.metadata_by_key.items():
                self._add(key, metadata, lock_timeout_seconds)

    @classmethod
    def from_definitions(
        cls, defs: Definitions, *, lock_timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    ) -> "DltCatalog":
        """The catalog of every dlt asset in ``defs``."""
        return cls(defs.assets or [], lock_timeout_seconds=lock_timeout_seconds)

    def _add(self, key: AssetKey, metadata: Mapping[str, Any], timeout: float) -> None:
        facts = SpecFacts.of(metadata)
        pipeline = facts.pipeline
        if not facts.is_dlt_asset:
            return
        name = pipeline.dataset_name
        entry = self._datasets.get(name)
        if entry is None:
            entry = CatalogDataset(
                name=name,
                pipeline=pipeline,
                schema_name=facts.schema_name,
                lock_timeout_seconds=timeout,
            )
            self._datasets[name] = entry
        elif not _same_place(entry.pipeline, pipeline):
            raise DltCatalogError(
                f"Two dlt pipelines load a dataset named '{name}' into different destinations "
                f"('{entry.pipeline.pipeline_name}' and '{pipeline.pipeline_name}'): the catalog "
                "names datasets by name, so give them distinct dataset names."
            )
        entry.assets[key] = facts.resource_name
        if facts.nested_table is not None:
            self._nested[key] = facts.nested_table
        self._by_key[key] = entry

    def __getitem__(self, name: str) -> CatalogDataset:
        try:
            return self._datasets[name]
        except KeyError:
            raise DltCatalogError(
                f"No dlt asset loads a dataset named '{name}'. Datasets: "
                f"{', '.join(self._datasets) or 'none'}."
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._datasets)

    def __len__(self) -> int:
        return len(self._datasets)

    def dataset(self, name: str) -> DltDataset:
        """A dataset, for reading: ``catalog.dataset("raw").query("SELECT ...").df()``."""
        return self[name].open()

    def table(self, dataset: str, table: str) -> DltRelation:
        """A lazy relation on ``dataset.table``; the error lists the tables that exist."""
        return self.dataset(dataset).table(table)

    def asset(self, key: Union[AssetKey, str]) -> DltRelation:
        """A lazy relation on the table a dlt asset loads."""
        asset_key = AssetKey.from_user_string(key) if isinstance(key, str) else key
        entry = self._by_key.get(asset_key)
        if entry is None:
            known = ", ".join(sorted(k.to_user_string() for k in self._by_key)) or "none"
            raise DltCatalogError(
                f"Asset {asset_key.to_user_string()} is not a dlt asset of this catalog. Its dlt "
                f"assets: {known}."
            )
        dataset = entry.open()
        if asset_key in self._nested:  # the asset of a nested table (nested_tables="assets")
            return dataset.table(self._nested[asset_key])
        roots = dataset.root_tables_of(entry.assets[asset_key])
        return dataset.table(roots[0] if roots else entry.assets[asset_key])

    def describe(self) -> str:
        """Each dataset with destination, location and tables (reads schemas, not data)."""
        lines = []
        for entry in self._datasets.values():
            lines.append(f"{entry.name}  ({entry.destination}: {entry.location})")
            try:
                tables = entry.tables()
            except Exception as error:  # an unreachable destination must not hide the others
                lines.append(f"  (tables unavailable: {type(error).__name__})")
                continue
            if not tables:
                lines.append("  (not loaded yet)")
            for table, nested in tables.items():
                lines.append(f"  {table}")
                lines.extend(f"    {name}" for name in nested)
        return "\n".join(lines) or "(no dlt assets)"

    def __str__(self) -> str:
        return self.describe()

    def __repr__(self) -> str:
        return f"DltCatalog(datasets={list(self._datasets)})"


def _same_place(one: Pipeline, other: Pipeline) -> bool:
    if one is other:
        return True
    a, b = one.destination, other.destination
    if a is None or b is None or a.destination_type != b.destination_type:
        return a is b
    try:
        return destination_location(a, one.destination_client()) == destination_location(
            b, other.destination_client()
        )
    except Exception:
        return True
