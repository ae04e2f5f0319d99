"""``DltDatasetInputManager``: a dlt asset's table as a downstream asset's input, lazily.

The upstream asset's spec, built by ``@dlt_assets`` or ``build_dlt_asset_specs``, carries its
dlt pipeline, source and resource name. From them the input manager finds the destination, the
dataset, the dlt schema and the resource's table, and hands the downstream asset a lazy
:class:`~dagster_dlt.data.dataset.DltRelation`: nothing is read until the asset calls
``.df()``, ``.arrow()``, ``.fetchall()`` or the like.
"""

from typing import Any, Optional

from dagster import ConfigurableIOManager, InputContext, OutputContext, TextMetadataValue
from dlt.pipeline.pipeline import Pipeline

from dagster_dlt.data.dataset import (
    DltDatasetNotLoadedError,
    DltRelation,
    open_dataset,
)
from dagster_dlt.durability.locking import DEFAULT_TIMEOUT_SECONDS
from dagster_dlt.errors import DltInputError
from dagster_dlt.spec_facts import SpecFacts

__all__ = ["INPUT_MISSING_OK_KEY", "INPUT_TABLE_KEY", "DltDatasetInputManager", "DltInputError"]

INPUT_TABLE_KEY = "dagster_dlt/table"
"""``AssetIn`` metadata naming another table of the upstream asset: a nested table, by its full
name (``orders__items``) or by the part after the asset's table (``items``)."""

INPUT_MISSING_OK_KEY = "dagster_dlt/missing_ok"
"""``AssetIn`` metadata: when true, an upstream dlt asset that has loaded nothing yet gives
``None`` instead of failing, for reports over many tables of which some may not exist yet."""


class DltDatasetInputManager(ConfigurableIOManager):
    """Loads a dlt asset's table as a lazy ``dlt.Relation`` for a downstream asset.

    Point the input at it with ``AssetIn(input_manager_key=...)``. The relation reads the table
    that the upstream dlt asset loads, where its pipeline loads it (DuckDB, Snowflake, the
    filesystem destination, ...). On a DuckDB file, the single-writer lock is held only while a
    query runs, never while the asset works on what it read. The whole table is read; filter it
    for a partition yourself (``.where(...)``).

    Attributes:
        lock_timeout_seconds: how long a query waits for a dlt run writing to the same DuckDB file.
        missing_ok: give ``None`` for an upstream dlt asset that has loaded nothing yet, instead
            of failing; per input, set ``AssetIn(metadata={INPUT_MISSING_OK_KEY: True})``.

    Example:
        .. code-block:: python

            import dlt
            from dagster import AssetIn, Definitions, asset
            from dagster_dlt import DltDatasetInputManager

            @asset(ins={"orders": AssetIn(key="dlt_shop_orders", input_manager_key="dlt_dataset")})
            def order_count(orders: dlt.Relation) -> int:
                return len(orders.df())

            defs = Definitions(
                assets=[shop_assets, order_count],
                resources={"dlt": DagsterDltResource(), "dlt_dataset": DltDatasetInputManager()},
            )
    """

    lock_timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    missing_ok: bool = False

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        raise DltInputError(
            f"DltDatasetInputManager only reads inputs; asset "
            f"{_key_of(context)} used it as its io_manager. Set it as an AssetIn's "
            "input_manager_key, and save data with DltDatasetWriter."
        )

    def load_input(self, context: InputContext) -> Optional[DltRelation]:
        upstream = context.upstream_output
        metadata = dict(upstream.definition_metadata or {}) if upstream is not None else {}
        facts = SpecFacts.of(metadata)
        pipeline, resource_name = facts.pipeline, facts.resource_name
        upstream_key = context.asset_key.to_user_string() if context.has_asset_key else "?"
        if not isinstance(pipeline, Pipeline) or resource_name is None:
            raise DltInputError(
                f"Input '{context.name}' comes from asset {upstream_key}, which is not a dlt "
                "asset: DltDatasetInputManager reads only assets built by @dlt_assets or "
                "build_dlt_asset_specs (their specs carry the dlt pipeline)."
            )
        schema_name = facts.schema_name
        dataset = open_dataset(
            pipeline,
            schema=schema_name,
            owner=f"input {context.name} of run {_run_id(context)}",
            lock_timeout_seconds=self.lock_timeout_seconds,
        )
        roots = dataset.root_tables_of(resource_name)
        missing_ok = self.missing_ok or (context.definition_metadata or {}).get(
            INPUT_MISSING_OK_KEY
        )
        if not roots and missing_ok:
            return None
        if not roots:
            raise DltDatasetNotLoadedError(
                f"Asset {upstream_key} (dlt resource '{resource_name}') has no table in dataset "
                f"'{dataset.dataset_name}' yet: dlt pipeline '{pipeline.pipeline_name}' has not "
                "loaded it. Materialize the upstream asset first."
            )
        table = roots[0]
        wanted = _text((context.definition_metadata or {}).get(INPUT_TABLE_KEY))
        if wanted is None and facts.nested_table is not None:
            # The asset of a nested table (nested_tables="assets") reads that table.
            wanted = facts.nested_table
        if wanted is None or wanted == table:
            return dataset.table(table)
        if wanted in roots:  # a resource whose table name is computed per item writes several
            return dataset.table(wanted)
        return dataset.table(table).nested(wanted)


def _text(value: Any) -> Optional[str]:
    # Dagster turns string metadata into TextMetadataValue.
    value = value.value if isinstance(value, TextMetadataValue) else value
    return value if isinstance(value, str) and value else None


def _run_id(context: InputContext) -> str:
    try:
        return context.step_context.run_id
    except Exception:  # an input context built outside a run, e.g. by build_input_context
        return "(none)"


def _key_of(context: OutputContext) -> str:
    return context.asset_key.to_user_string() if context.has_asset_key else context.name
