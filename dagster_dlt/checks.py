"""Asset checks for dlt assets, as pure functions of dlt schemas and contract errors.

- **Schema drift** compares an asset's tables in the dlt schema before a run with the schema
  after it: tables and columns the run added, columns whose type changed, and variant columns
  (dlt's ``<column>__v_<type>`` for values of another type). It warns when anything changed. A
  first load (the asset's table did not exist before) is not drift: it passes and names the
  tables it created.
- **Contract** reports each schema-contract violation (dlt's ``DataValidationError``) as a
  failed check, naming the table, column, entity and mode.

Nothing here runs dlt or touches a destination; the run calls these with what it captured.
"""

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional, Union

from dagster import (
    AssetCheckKey,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
)
from dlt.common.schema import Schema
from dlt.common.schema.exceptions import DataValidationError
from dlt.common.schema.utils import get_nested_tables
from dlt.extract.resource import DltResource
from dlt.extract.source import DltSource

__all__ = [
    "CONTRACT_CHECK_NAME",
    "SCHEMA_DRIFT_CHECK_NAME",
    "ContractViolation",
    "SchemaDrift",
    "contract_check_result",
    "contract_check_spec",
    "contract_violation",
    "dlt_check_results",
    "dlt_check_specs",
    "has_schema_contract",
    "schema_drift",
    "schema_drift_check_result",
    "schema_drift_check_spec",
]

SCHEMA_DRIFT_CHECK_NAME = "dlt_schema_drift"
CONTRACT_CHECK_NAME = "dlt_schema_contract"

SchemaLike = Union[Schema, Mapping[str, Any], None]


def schema_drift_check_spec(asset_key: AssetKey) -> AssetCheckSpec:
    """The schema drift check of a dlt asset."""
    return AssetCheckSpec(
        name=SCHEMA_DRIFT_CHECK_NAME,
        asset=asset_key,
        description=(
            "Warns when a dlt run added tables or columns, changed a column's type or added a "
            "variant column to this asset's tables; passes when their schema did not change."
        ),
    )


def contract_check_spec(asset_key: AssetKey) -> AssetCheckSpec:
    """The schema contract check of a dlt asset whose resource declares a contract."""
    return AssetCheckSpec(
        name=CONTRACT_CHECK_NAME,
        asset=asset_key,
        description=(
            "Fails, naming each violation, when the data broke the resource's dlt schema "
            "contract; passes otherwise."
        ),
    )


@dataclass(frozen=True)
class SchemaDrift:
    """How a run changed the schema of an asset's tables.

    Attributes:
        added_tables: nested tables that did not exist before the run, under a table that did.
        added_columns: table -> columns added to a table that existed before.
        type_changes: table -> column -> (type before, type after).
        variant_columns: table -> variant columns (dlt's ``__v_<type>`` columns) the run added.
        created_tables: tables a first load created (the asset's table, and its nested tables,
            did not exist before). Not drift.
    """

    added_tables: tuple[str, ...] = ()
    added_columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    type_changes: Mapping[str, Mapping[str, tuple[Optional[str], Optional[str]]]] = field(
        default_factory=dict
    )
    variant_columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    created_tables: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        """Whether anything changed in tables that existed before (a first load is no change)."""
        return bool(
            self.added_tables or self.added_columns or self.type_changes or self.variant_columns
        )

    def describe(self) -> str:
        """One line per change, for people."""
        lines = [f"new table {table}" for table in self.added_tables]
        for table, columns in self.added_columns.items():
            lines.append(f"new columns in {table}: {', '.join(columns)}")
        for table, changes in self.type_changes.items():
            for column, (old, new) in changes.items():
                lines.append(f"type of {table}.{column} changed from {old} to {new}")
        for table, columns in self.variant_columns.items():
            lines.append(f"variant columns in {table}: {', '.join(columns)}")
        if self.created_tables:
            lines.append(f"first load: created tables {', '.join(self.created_tables)}")
        return "\n".join(lines) or "no change"


def schema_drift(before: SchemaLike, after: SchemaLike, root_tables: Sequence[str]) -> SchemaDrift:
    """Compare an asset's tables, and their nested tables, between two dlt schemas.

    Args:
        before: the dlt schema before the run (a ``Schema`` or its ``to_dict()``), or ``None``
            when there was none (a first load: every table is created, which is not drift).
        after: the dlt schema after the run.
        root_tables: the asset's top-level tables.

    Example:
        .. code-block:: python

            before = pipeline.default_schema.to_dict()
            pipeline.run(source)
            drift = schema_drift(before, pipeline.default_schema, ["orders"])
            print(drift.describe())
    """
    old_tables = _tables(before)
    new_tables = _tables(after)
    added_tables: list[str] = []
    created_tables: list[str] = []
    added_columns: dict[str, tuple[str, ...]] = {}
    type_changes: dict[str, dict[str, tuple[Optional[str], Optional[str]]]] = {}
    variants: dict[str, tuple[str, ...]] = {}
    for table, root in _with_roots(new_tables, root_tables):
        new_columns = _complete_columns(new_tables.get(table))
        if not _complete_columns(old_tables.get(table)):
            if new_columns:
                # A table that is new with its root is a first load; under a root that was
                # there before, it is drift (a new nested list in the data).
                first_load = not _complete_columns(old_tables.get(root))
                (created_tables if first_load else added_tables).append(table)
            continue
        old_columns = _complete_columns(old_tables[table])
        added = [name for name in new_columns if name not in old_columns]
        plain = tuple(name for name in added if not new_columns[name].get("variant"))
        variant = tuple(name for name in added if new_columns[name].get("variant"))
        if plain:
            added_columns[table] = plain
        if variant:
            variants[table] = variant
        changes = {
            name: (old_columns[name].get("data_type"), column.get("data_type"))
            for name, column in new_columns.items()
            if name in old_columns and old_columns[name].get("data_type") != column.get("data_type")
        }
        if changes:
            type_changes[table] = changes
    return SchemaDrift(
        tuple(added_tables), added_columns, type_changes, variants, tuple(created_tables)
    )


def schema_drift_check_result(asset_key: AssetKey, drift: SchemaDrift) -> AssetCheckResult:
    """A WARN result listing the drift, or a passing one when nothing changed (a first load
    passes, with the tables it created under ``created_tables``)."""
    metadata: dict[str, Any] = {"changes": MetadataValue.md(_markdown_list(drift))}
    if drift.created_tables:
        metadata["created_tables"] = MetadataValue.json(list(drift.created_tables))
    if drift.added_tables:
        metadata["added_tables"] = MetadataValue.json(list(drift.added_tables))
    if drift.added_columns:
        metadata["added_columns"] = MetadataValue.json(
            {t: list(c) for t, c in drift.added_columns.items()}
        )
    if drift.type_changes:
        metadata["type_changes"] = MetadataValue.json(
            {t: {c: list(v) for c, v in ch.items()} for t, ch in drift.type_changes.items()}
        )
    if drift.variant_columns:
        metadata["variant_columns"] = MetadataValue.json(
            {t: list(c) for t, c in drift.variant_columns.items()}
        )
    return AssetCheckResult(
        asset_key=asset_key,
        check_name=SCHEMA_DRIFT_CHECK_NAME,
        passed=not drift.changed,
        severity=AssetCheckSeverity.WARN,
        metadata=metadata,
        description=drift.describe(),
    )


@dataclass(frozen=True)
class ContractViolation:
    """One schema-contract violation: what dlt refused, and under which mode."""

    schema: str
    table: str
    column: Optional[str]
    entity: str
    mode: str

    def describe(self) -> str:
        where = f"{self.table}.{self.column}" if self.column else self.table
        return f"{where}: contract on {self.entity} is '{self.mode}' (schema {self.schema})"


def contract_violation(error: BaseException) -> Optional[ContractViolation]:
    """The violation behind ``error`` (dlt's ``DataValidationError``, maybe wrapped in
    ``PipelineStepFailed``), or ``None`` when it is not a contract violation."""
    seen: set[int] = set()
    current: Optional[BaseException] = error
    while current is not None and id(current) not in seen:
        if isinstance(current, DataValidationError):
            return ContractViolation(
                schema=current.schema_name,
                table=current.table_name,
                column=current.column_name,
                entity=current.schema_entity,
                mode=current.contract_mode,
            )
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def contract_check_result(
    asset_key: AssetKey, violations: Iterable[Union[ContractViolation, BaseException]]
) -> AssetCheckResult:
    """A failed ERROR result naming each violation, or a passing one when there is none."""
    found = []
    for item in violations:
        violation = item if isinstance(item, ContractViolation) else contract_violation(item)
        if violation is not None:
            found.append(violation)
    return AssetCheckResult(
        asset_key=asset_key,
        check_name=CONTRACT_CHECK_NAME,
        passed=not found,
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "violations": MetadataValue.json(
                [
                    {
                        "schema": v.schema,
                        "table": v.table,
                        "column": v.column,
                        "entity": v.entity,
                        "mode": v.mode,
                    }
                    for v in found
                ]
            )
        },
        description="\n".join(v.describe() for v in found) or "no violation",
    )


def _tables(schema: SchemaLike) -> Mapping[str, Any]:
    if schema is None:
        return {}
    if isinstance(schema, Schema):
        return schema.tables
    return schema.get("tables", {})


def _complete_columns(table: Optional[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    # Columns without a data type are hints dlt has not seen data for yet: not in the table.
    if not table:
        return {}
    return {
        name: column
        for name, column in table.get("columns", {}).items()
        if column.get("data_type") is not None
    }


def _with_roots(tables: Mapping[str, Any], roots: Sequence[str]) -> list[tuple[str, str]]:
    """Each of the roots' tables and nested tables, with its root, once."""
    seen: dict[str, str] = {}
    for root in roots:
        for table in _with_nested(tables, [root]):
            seen.setdefault(table, root)
    return list(seen.items())


def _with_nested(tables: Mapping[str, Any], roots: Sequence[str]) -> list[str]:
    names: list[str] = []
    for root in roots:
        if root in tables:
            names.extend(t["name"] for t in get_nested_tables(tables, root))  # type: ignore[arg-type]
        else:
            names.append(root)
    return list(dict.fromkeys(names))


def _markdown_list(drift: SchemaDrift) -> str:
    return "\n".join(f"- {line}" for line in drift.describe().splitlines())


def has_schema_contract(
    resource: DltResource, source: Optional[DltSource] = None, run_contract: Any = None
) -> bool:
    """Whether a resource loads under a schema contract other than dlt's default (evolve):
    its own hint, its source's, or one passed to the run (``schema_contract=``)."""
    for contract in (run_contract, resource.schema_contract, source and source.schema_contract):
        if not contract or callable(contract):  # a hint computed per item is unknown here
            continue
        modes = [contract] if isinstance(contract, str) else list(contract.values())
        if any(mode != "evolve" for mode in modes):
            return True
    return False


def dlt_check_specs(
    keys: Iterable[AssetKey],
    contract_keys: Collection[AssetKey] = (),
    *,
    schema_drift_check: bool = True,
    contract_check: bool = True,
) -> list[AssetCheckSpec]:
    """The checks of a set of dlt assets: schema drift for each, contract for those whose
    resource has a contract (see :func:`has_schema_contract`). Either kind can be turned off.

    Example:
        .. code-block:: python

            contract_keys = {key for key, resource in resources_by_key.items()
                             if has_schema_contract(resource, source)}
            multi_asset(specs=specs, check_specs=dlt_check_specs(keys, contract_keys))
    """
    specs = []
    for key in keys:
        if schema_drift_check:
            specs.append(schema_drift_check_spec(key))
        if contract_check and key in contract_keys:
            specs.append(contract_check_spec(key))
    return specs


def dlt_check_results(
    *,
    before: SchemaLike,
    after: SchemaLike,
    tables_by_key: Mapping[AssetKey, Sequence[str]],
    selected: Collection[AssetCheckKey],
    failure: Optional[BaseException] = None,
) -> list[AssetCheckResult]:
    """The results of a run's selected checks, from the schema before and after the run.

    Args:
        before: the dlt schema before the run (``Schema.to_dict()`` taken before extract), or
            ``None`` for a first run.
        after: the dlt schema after the run.
        tables_by_key: each asset of the run with its top-level tables.
        selected: the check keys the run was asked for (``context.selected_asset_check_keys``);
            a subset run reports only its own.
        failure: the exception that stopped the run, if any. A contract violation in it fails
            the contract check of the asset whose table broke it; drift is not reported after a
            failure, as nothing was loaded.

    Example:
        .. code-block:: python

            before = pipeline.default_schema.to_dict()
            pipeline.run(source)
            yield from dlt_check_results(
                before=before,
                after=pipeline.default_schema,
                tables_by_key={key: ["orders"]},
                selected=context.selected_asset_check_keys,
            )
    """
    violation = contract_violation(failure) if failure is not None else None
    tables = _tables(after) or _tables(before)
    results = []
    for key, roots in tables_by_key.items():
        if failure is None and AssetCheckKey(key, SCHEMA_DRIFT_CHECK_NAME) in selected:
            results.append(schema_drift_check_result(key, schema_drift(before, after, roots)))
        if AssetCheckKey(key, CONTRACT_CHECK_NAME) in selected:
            mine = violation is not None and _belongs(violation.table, roots, tables)
            results.append(contract_check_result(key, [violation] if mine else []))
    return results


def _belongs(table: str, roots: Sequence[str], tables: Mapping[str, Any]) -> bool:
    # A refused new nested table is in no schema: dlt names nested tables <root>__<path>.
    return table in _with_nested(tables, roots) or any(table.startswith(r + "__") for r in roots)
